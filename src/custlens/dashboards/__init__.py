"""Dashboards users build: a documented spec (:mod:`.spec`), widget data computed through the
metric catalogue under the viewer's row filters (:mod:`.data`), chart specs per widget
(:mod:`.charts`) and who may read or change a dashboard (:mod:`.access`)."""
