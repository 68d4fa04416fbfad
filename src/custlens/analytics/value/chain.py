"""The customer-value chain, written once: metrics -> RFM scores -> segments -> lifecycle -> tag
frame.

Every caller that needs a customer's value (``custlens analyze``, the value commands, the
report, the tag rules, the web pages) takes it from :func:`value_chain` (or
:func:`workspace_value_chain` over a workspace's tables). Each stage is a lazy Ibis expression:
a caller that needs only the segments computes only the metrics and the segments. Nothing is
written: :mod:`custlens.store.results` keeps the results of `custlens analyze`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ibis.expr.types as ir

from custlens.analytics.value.lifecycle import assign_lifecycle
from custlens.analytics.value.metrics import compute_customer_metrics, default_as_of
from custlens.analytics.value.rfm import score_rfm
from custlens.analytics.value.segments import assign_segments
from custlens.analytics.value.tags.engine import tag_frame

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace


@dataclass(frozen=True)
class ValueChain:
    """The per-customer stages of the customer-value analysis as Ibis expressions.

    Attributes
    ----------
    metrics : ibis.expr.types.Table
        :func:`~custlens.analytics.value.metrics.compute_customer_metrics`, a row per customer.
    segments : ibis.expr.types.Table
        RFM scores with the 8 segments and 3 value groups (the ``rfm_scores`` columns).
    stages : ibis.expr.types.Table
        Lifecycle stages (the ``customer_lifecycle`` columns).
    as_of : datetime.date or None
        The (exclusive) analysis date; None for stored results read back.
    settings : Settings or None
        The workspace settings the stages used (None: the defaults).
    """

    metrics: ir.Table
    segments: ir.Table
    stages: ir.Table
    as_of: dt.date | None = None
    settings: Any = None

    def tag_frame(
        self,
        customers: ir.Table | None = None,
        scores: ir.Table | None = None,
        features: ir.Table | None = None,
    ) -> ir.Table:
        """The tag frame: metrics + segment + stage + customer attributes + stored scores +
        campaign and satisfaction features
        (see :func:`~custlens.analytics.value.tags.engine.tag_frame`)."""
        return tag_frame(self.metrics, self.segments, self.stages, customers, scores, features)

    def with_metrics(self, metrics: ir.Table) -> ValueChain:
        """The same chain over other metrics (e.g. the cached ones of a long run)."""
        return chain_from_metrics(metrics, self.as_of, self.settings)


def chain_from_metrics(
    metrics: ir.Table, as_of: dt.date | None = None, settings: Any = None
) -> ValueChain:
    """The chain's later stages over already computed customer metrics.

    Parameters
    ----------
    metrics : ibis.expr.types.Table
        Customer metrics (at least customer_id, recency_days, orders, revenue, tenure_days).
    as_of : datetime.date, optional
        The date the metrics are as of, carried along.
    settings : Settings, optional
        The workspace settings (its ``rfm`` and ``lifecycle`` sections); None: the defaults.

    Returns
    -------
    ValueChain
    """
    rfm = getattr(settings, "rfm", None)
    segments = assign_segments(score_rfm(metrics, rfm), rfm)
    stages = assign_lifecycle(metrics, getattr(settings, "lifecycle", None))
    return ValueChain(metrics, segments, stages, as_of, settings)


def value_chain(
    orders: ir.Table,
    as_of: dt.date | None = None,
    settings: Any = None,
    events: ir.Table | None = None,
    responses: ir.Table | None = None,
    include_flagged: bool = False,
) -> ValueChain:
    """The customer-value chain over an orders table.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        Orders (canonical columns).
    as_of : datetime.date, optional
        Exclusive analysis date; default: the day after the last analysable order.
    settings : Settings, optional
        The workspace settings (``metrics``, ``rfm`` and ``lifecycle`` sections); None: the
        defaults.
    events, responses : ibis.expr.types.Table, optional
        Behaviour events (adds ``active_hour``) and campaign responses (``campaigns_joined``).
    include_flagged : bool
        Count test, refunded, cancelled and needs_review orders too.

    Returns
    -------
    ValueChain
        ``metrics``, ``segments`` and ``stages`` as lazy expressions, and the ``as_of`` used.

    Examples
    --------
    >>> import datetime as dt
    >>> from decimal import Decimal
    >>> import ibis, pyarrow as pa
    >>> from custlens.analytics.value.tags.engine import canonical_schema
    >>> lines = [("o1", "A", dt.date(2024, 1, 5), 100), ("o2", "A", dt.date(2024, 3, 1), 50),
    ...          ("o3", "B", dt.date(2024, 2, 10), 80)]
    >>> rows = [{"order_id": o, "customer_id": c, "order_date": d, "status": "paid",
    ...          "quantity": 1, "net_quantity": 1, "amount": Decimal(a), "net_amount": Decimal(a)}
    ...         for o, c, d, a in lines]
    >>> orders = ibis.memtable(pa.Table.from_pylist(rows, canonical_schema("orders").to_pyarrow()))
    >>> chain = value_chain(orders)
    >>> chain.as_of
    datetime.date(2024, 3, 2)
    >>> chain.segments.order_by("customer_id").frequency.to_list()
    [2, 1]
    >>> chain.stages.order_by("customer_id").stage_code.to_list()
    ['growing', 'new']
    """
    as_of = as_of or default_as_of(orders, include_flagged)
    metrics = compute_customer_metrics(
        orders,
        as_of,
        events=events,
        responses=responses,
        settings=getattr(settings, "metrics", None),
        include_flagged=include_flagged,
    )
    return chain_from_metrics(metrics, as_of, settings)


def workspace_value_chain(
    ws: Workspace,
    engine: str | None = None,
    as_of: dt.date | None = None,
    include_flagged: bool = False,
) -> ValueChain:
    """:func:`value_chain` over the workspace's orders, events and campaign responses on
    ``engine`` (default: the workspace's), with the workspace's settings."""
    return value_chain(
        ws.table("orders", engine),
        as_of,
        ws.settings,
        events=ws.table("events", engine),
        responses=ws.table("campaign_responses", engine),
        include_flagged=include_flagged,
    )


def workspace_tag_frame(
    ws: Workspace, engine: str | None = None, as_of: dt.date | None = None
) -> tuple[ir.Table, dt.date]:
    """The tag frame over the workspace (with its customers, stored CLV / churn scores and
    campaign / satisfaction features) and its as-of date."""
    from custlens.store.scores import stored_scores

    chain = workspace_value_chain(ws, engine, as_of)
    assert chain.as_of is not None
    features = workspace_features(ws, chain.as_of)
    frame = chain.tag_frame(ws.table("customers", engine), stored_scores(ws, engine), features)
    return frame, chain.as_of


def workspace_features(ws: Workspace, as_of: dt.date | None = None) -> ir.Table:
    """The campaign and satisfaction features of the workspace's customers for the tag frame
    (:func:`~custlens.analytics.value.tags.features.customer_features`).

    They are computed from the DuckDB tables whatever the engine (the sentiment model and the
    sensitivity score run in pandas) and returned as an in-memory table, which DuckDB and Spark
    both join."""
    from custlens.analytics.value.tags.features import FEATURE_TABLES, customer_features

    return customer_features({k: ws.table(k, "duckdb") for k in FEATURE_TABLES}, as_of)


def stored_value_chain(table: Callable[[str], ir.Table]) -> ValueChain:
    """The chain as the latest `custlens analyze` stored it.

    Parameters
    ----------
    table : callable
        ``table(name)`` gives a stored result table (``customer_metrics``, ``rfm_scores``,
        ``customer_lifecycle``), e.g. a row-filtered web scope's ``table``.
    """
    return ValueChain(table("customer_metrics"), table("rfm_scores"), table("customer_lifecycle"))
