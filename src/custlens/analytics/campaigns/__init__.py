"""Campaign analysis and experiments: per-campaign participation, conversion, revenue, cost and
ROI (:mod:`.summary`), the incremental effect against a control group or a matched comparison
(:mod:`.effect`), A/B test analysis and planning (:mod:`.abtest`, :mod:`.decision`,
:mod:`.planning`), the campaign-sensitivity score (:mod:`.sensitivity`), uplift modelling
(:mod:`.uplift`) and the statistics they share (:mod:`.stats`). See docs/campaigns.md."""
