"""The parameters of a customer list (客户 page, export, API, drill-downs): what may be filtered
and sorted, validated from query parameters into a :class:`CustomerQuery`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from custlens.analytics.campaigns.arms import ARMS
from custlens.analytics.satisfaction.churn_link import NPS_GROUPS
from custlens.analytics.satisfaction.complaints import COMPLAINT_TYPES
from custlens.errors import InputError
from custlens.i18n.columns import FILTER_LABELS

BASE_COLUMNS = (
    "customer_id",
    "name",
    "phone",
    "gender",
    "age",
    "province",
    "city",
    "channel",
    "level",
    "registration_date",
)
EXPORT_COLUMNS = (*BASE_COLUMNS, "email", "industry", "store_id", "tags")
RESULT_COLUMNS = ("segment", "stage", "revenue", "orders", "last_order_date")
SORTS = {
    "customer_id": "customer_id",
    "registration_date": "registration_date",
    "age": "age",
    "revenue": "revenue",
    "orders": "orders",
    "last_order_date": "last_order_date",
}
NEEDS_RESULTS = ("revenue", "orders", "last_order_date")
TEXT_LIMIT = 100
CLUSTER_NUMBER = re.compile(r"[0-9]{1,9}")  # a cluster asked for by number, not name

FUNNEL_PARAMS = ("funnel_steps", "funnel_window", "funnel_order")
PATH_PARAMS = ("path_start", "path_length")  # the 路径 chart a path drill-down came from


@dataclass
class CustomerQuery:
    """The filters, sort and page of the customer list, as read from the query string."""

    q: str | None = None
    segment: str | None = None
    stage: str | None = None
    tag: str | None = None
    cluster: str | None = None
    province: str | None = None
    city: str | None = None
    channel: str | None = None
    level: str | None = None
    gender: str | None = None
    min_revenue: float | None = None
    max_revenue: float | None = None
    category: str | None = None
    also: str | None = None
    period: str | None = None
    hour: int | None = None
    weekday: int | None = None
    order_channel: str | None = None
    store: str | None = None
    flag: str | None = None
    risk: str | None = None
    funnel_steps: str | None = None
    funnel_window: str | None = None
    funnel_order: str | None = None
    funnel_step: int | None = None
    cohort: str | None = None
    path: str | None = None
    path_start: str | None = None
    path_length: int | None = None
    feedback_period: str | None = None
    complaint: str | None = None
    nps_group: str | None = None
    campaign: str | None = None
    arm: str | None = None
    sort: str = "customer_id"
    desc: bool = False
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_params(cls, params: Mapping[str, Any], max_per_page: int = 200) -> CustomerQuery:
        """The query from request parameters: blanks dropped, text cut to length, numbers
        checked.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = params.get(f.name)
            if raw is None or str(raw).strip() == "":
                continue
            text = str(raw).strip()[:TEXT_LIMIT]
            if f.name in ("hour", "weekday", "page", "per_page", "funnel_step", "path_length"):
                values[f.name] = _int(f.name, text)
            elif f.name in ("min_revenue", "max_revenue"):
                values[f.name] = _float(f.name, text)
            elif f.name == "desc":
                values[f.name] = text.lower() in ("1", "true", "yes", "desc")
            else:
                values[f.name] = text
        q = cls(**values)
        if q.sort not in SORTS:
            q.sort = "customer_id"
        if q.hour is not None and not 0 <= q.hour <= 23:
            raise InputError.of("hour must be 0-23")
        if q.weekday is not None and not 0 <= q.weekday <= 6:
            raise InputError.of("weekday must be 0 (Monday) to 6 (Sunday)")
        if q.also and not q.category:
            raise InputError.of("'also' needs a category")
        if q.risk and q.risk not in ("high", "medium", "low"):
            raise InputError.of("risk must be high, medium or low")
        if q.cluster and q.cluster.isdigit() and not CLUSTER_NUMBER.fullmatch(q.cluster):
            raise InputError.of("cluster: a name or a number of at most 9 digits")
        if q.path_length is not None and not 2 <= q.path_length <= 6:
            raise InputError.of("path length must be 2-6")
        if q.complaint and q.complaint not in (*COMPLAINT_TYPES, "other"):
            raise InputError.of("unknown complaint type {value}", value=q.complaint)
        if q.nps_group and q.nps_group not in NPS_GROUPS:
            raise InputError.of("nps_group must be promoter, passive or detractor")
        if q.arm and q.arm not in ARMS:
            raise InputError.of("unknown campaign arm {value}", value=q.arm)
        if q.arm and not q.campaign:
            raise InputError.of("'arm' needs a campaign")
        q.page = max(1, min(q.page, 10**7))
        q.per_page = max(1, min(q.per_page, max_per_page))
        return q

    def params(self) -> dict[str, Any]:
        """The non-default parameters (for links keeping the current filters)."""
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v not in (None, "", f.default) or (f.name == "desc" and v):
                out[f.name] = int(v) if isinstance(v, bool) else v
        return out

    def active_filters(self) -> list[tuple[str, str, Any]]:
        """(parameter, label message id, value) of each filter set; removing a chip drops
        the parameter (and the funnel definition with the funnel step, the path's start and
        length with the path)."""
        return [
            (k, label, getattr(self, k))
            for k, label in FILTER_LABELS.items()
            if getattr(self, k) not in (None, "")
        ]


def _int(name: str, text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise InputError.of("{name} must be a whole number", name=name) from exc


def _float(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise InputError.of("{name} must be a number", name=name) from exc
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError.of("{name} must be a number", name=name)
    return value
