"""The dashboard spec: a named, ordered list of widgets with global filters and sharing.

A widget is a metric of the catalogue (:mod:`custlens.analytics.measures`, the numbers of
``custlens kpi``) × an optional dimension × a chart type × an optional period of its own.
The JSON schema is ``DashboardSpec.model_json_schema()`` (also in the API's OpenAPI
description and docs/dashboards.md).

Rules checked here, so a saved dashboard always renders:

* ``kpi`` cards take no dimension; ``line`` needs the ``period`` dimension; ``stacked_bar``
  and ``heatmap`` split a dimension (not ``period``) by month;
* metrics that cannot be split (churn rate, visitors, conversion rate) take no dimension;
* periods are written as ``custlens --period`` reads them (``2024-Q1``, ``2024-03``,
  ``last-3m``, ``2024-01-01..2024-03-31``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from custlens.analytics.measures import BY_ID, MEASURE_IDS
from custlens.analytics.patterns.periods import parse_period
from custlens.errors import InputError, translate

DIMENSIONS = (
    "channel",
    "category",
    "province",
    "store",
    "segment",
    "stage",
    "tag",
    "cohort",
    "period",
)
CHARTS = ("kpi", "line", "bar", "stacked_bar", "pie", "heatmap", "table", "funnel")
GRAINS = ("week", "month", "quarter")
# a widget's share of the dashboard's width (on a narrow screen every widget is full width)
WIDTHS = ("1/3", "1/2", "2/3", "full")
ROLES = ("admin", "analyst", "viewer")
# chart types drawn over months × a dimension
BY_MONTH = ("stacked_bar", "heatmap")

Text = Field(default=None, max_length=100)


class SpecProblem(ValueError):
    """A rule of the spec broken: a catalogue message id and its parameters (pydantic turns
    ValueErrors into validation errors; :func:`read_spec` puts them in the user's language)."""

    def __init__(self, msgid: str, **params: object):
        super().__init__(msgid.format(**params) if params else msgid)
        self.msgid, self.params = msgid, params


def _check_period(text: str | None) -> str | None:
    if text in (None, ""):
        return None
    try:
        parse_period(text)
    except InputError as exc:
        raise SpecProblem(exc.msgid or str(exc), **(exc.params or {})) from None
    return text


class Filters(BaseModel):
    """Global filters applied to every widget (each may be left empty)."""

    model_config = ConfigDict(extra="forbid")

    period: str | None = Field(
        default=None,
        max_length=40,
        description="Period as --period reads it (2024-Q1, 2024-03, last-3m, a..b); "
        "empty: the last 12 months of data.",
    )
    channel: str | None = Text
    store: str | None = Text
    segment: str | None = Text

    _period = field_validator("period")(classmethod(lambda cls, v: _check_period(v)))


class Widget(BaseModel):
    """One chart of a dashboard."""

    model_config = ConfigDict(extra="forbid")

    metric: str = Field(description="A metric id of the catalogue (docs/metrics.md).")
    dimension: Literal[DIMENSIONS] | None = Field(  # type: ignore[valid-type]
        default=None, description="Split by this dimension (none: one value)."
    )
    chart: Literal[CHARTS] = "bar"  # type: ignore[valid-type]
    period: str | None = Field(
        default=None, max_length=40, description="The widget's own period (else the global one)."
    )
    grain: Literal[GRAINS] = "month"  # type: ignore[valid-type]
    title: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=12, ge=1, le=50, description="Most categories shown.")
    width: Literal[WIDTHS] = Field(  # type: ignore[valid-type]
        default="full", description="Share of the dashboard's width: 1/3, 1/2, 2/3 or full."
    )

    _period = field_validator("period")(classmethod(lambda cls, v: _check_period(v)))

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        if v not in BY_ID:
            raise SpecProblem(
                "unknown metric {metric}; expected one of {known}",
                metric=v,
                known=", ".join(MEASURE_IDS),
            )
        return v

    @model_validator(mode="after")
    def _fits(self) -> Widget:
        if self.chart == "kpi" and self.dimension:
            raise SpecProblem("a KPI card takes no dimension")
        if self.chart == "line" and self.dimension != "period":
            raise SpecProblem("a line chart needs the period dimension")
        if self.chart in (*BY_MONTH, "pie", "bar", "table", "funnel") and not self.dimension:
            raise SpecProblem("this chart type needs a dimension")
        if self.chart in (*BY_MONTH, "pie", "funnel") and self.dimension == "period":
            raise SpecProblem("this chart type needs a dimension other than period")
        if self.dimension not in (None, "period") and not BY_ID[self.metric].splittable:
            raise SpecProblem(
                "{metric} cannot be split by {dimension}",
                metric=self.metric,
                dimension=self.dimension,
            )
        return self


class Sharing(BaseModel):
    """Who else may open the dashboard (the owner and admins always may)."""

    model_config = ConfigDict(extra="forbid")

    roles: list[Literal[ROLES]] = Field(default_factory=list, max_length=3)  # type: ignore[valid-type]
    users: list[str] = Field(default_factory=list, max_length=200)


class DashboardSpec(BaseModel):
    """A dashboard as the API takes it (``POST`` / ``PUT /api/v1/dashboards``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    filters: Filters = Field(default_factory=Filters)
    shared_with: Sharing = Field(default_factory=Sharing)
    widgets: list[Widget] = Field(default_factory=list, max_length=30)


def read_spec(data: dict) -> DashboardSpec:
    """A :class:`DashboardSpec` from JSON data; every problem in one :class:`InputError`.

    Parameters
    ----------
    data : dict
        The spec as JSON (``name``, ``filters``, ``shared_with``, ``widgets``).

    Returns
    -------
    DashboardSpec

    Examples
    --------
    >>> spec = read_spec({"name": "周报", "widgets": [{"metric": "gmv", "chart": "kpi"}]})
    >>> spec.widgets[0].chart, spec.filters.period
    ('kpi', None)
    >>> read_spec({"name": "x", "widgets": [{"metric": "gmv", "chart": "line"}]})
    Traceback (most recent call last):
    ...
    custlens.errors.InputError: widgets.0: a line chart needs the period dimension
    """
    return _validated(DashboardSpec, data)


def read_filters(data: dict[str, Any]) -> Filters:
    """Global filters (as given in a dashboard's URL) checked as :func:`read_spec` checks a
    spec: a bad value is an InputError saying which, never a server error.

    Examples
    --------
    >>> read_filters({"period": "2024-Q4"}).period
    '2024-Q4'
    >>> read_filters({"period": "0"})
    Traceback (most recent call last):
    ...
    custlens.errors.InputError: period: ...
    """
    return _validated(Filters, data)


def _validated(model: Any, data: dict[str, Any]) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()))
            cause = (e.get("ctx") or {}).get("error")
            if isinstance(cause, SpecProblem):
                problem: object = (cause.msgid, cause.params)
            else:
                problem = e.get("msg", "")
            parts.append(("{where}: {problem}", {"where": where, "problem": problem}))
        err = InputError("; ".join(translate(m, p, "en") for m, p in parts))
        err.parts = parts
        raise err from None
