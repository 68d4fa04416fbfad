"""What 客户360 shows of one customer: profile (masked), orders, events, feedback, stored
scores, tags, CLV and churn risk, read within the principal's rows.

The page (``/customers/{cid}``), the unmasked view and the API (``/api/customers/{id}``) all
call :func:`customer_detail`.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from fastapi import HTTPException
from starlette.requests import Request

from custlens.i18n import gettext
from custlens.privacy.masking import mask_table
from custlens.privacy.policy import MASKED, MaskingPolicy, Principal
from custlens.schema.tables import TABLES
from custlens.store.sentiment import SENTIMENT_COLUMNS
from custlens.store.sql import quote_name
from custlens.web.queries import plain_rows
from custlens.web.render import lang_of
from custlens.web.routes.common import ctx_of, stored_results
from custlens.web.scope import scoped_sql

ORDER_COLUMNS = (
    "order_id",
    "order_time",
    "category",
    "product_name",
    "quantity",
    "unit_price",
    "amount",
    "payment_method",
    "channel",
    "store_id",
    "status",
    "needs_review",
)
EVENT_COLUMNS = (
    "event_time",
    "event_type",
    "page_type",
    "category",
    "product_id",
    "channel",
    "source",
    "device",
    "search_query",
)
FEEDBACK_COLUMNS = (
    "feedback_time",
    "feedback_type",
    "rating",
    "nps",
    "text",
    "resolved",
    *SENTIMENT_COLUMNS,  # stored at import (a review not scored yet is scored on the page)
)


def _part(
    name: str,
    principal: Principal,
    cid: str,
    cols: tuple[str, ...] | None,
    order: str = "",
    limit: int = 1,
) -> tuple[str, list[Any]]:
    """``(sql, params)``: rows of ``name`` for one customer, within the principal's rows
    (parameterised SQL, read through the customer_id index or the zone maps of a table kept
    in customer order; only ``cols`` when given: each column read costs)."""
    sql, params = scoped_sql(name, principal, cid, cols, materialize=bool(order))
    tail = f" ORDER BY {order} DESC" if order else ""
    select = ", ".join(cols) if cols else "*"
    return f"SELECT {select} FROM ({sql}){tail} LIMIT {int(limit)}", params


def _fetch_rows(con: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows of a small query as dicts (DuckDB's Python values: what Arrow's ``to_pylist``
    gives, without building Arrow buffers for a few rows)."""
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _parts(con: Any, parts: dict[str, tuple[str, list[Any], bool]]) -> dict[str, Any]:
    """Every part, one small query each: ``key -> (sql, params, many)``; a part is a list of
    rows when ``many``, else its first row or None. (One query of scalar subqueries costs
    more CPU: DuckDB plans an aggregate hash table per subquery to check it returns one row,
    and a cross product to join them.)"""
    out: dict[str, Any] = {}
    for key, (sql, params, many) in parts.items():
        rows = plain_rows(_fetch_rows(con, sql, params))
        out[key] = rows if many else (rows[0] if rows else None)
    return out


# stored results on 客户360: (key, table, columns the page shows); the API returns whole rows
STORED = (
    (
        "metrics",
        "customer_metrics",
        (
            "revenue",
            "orders",
            "aov",
            "recency_days",
            "orders_per_month",
            "favourite_category",
            "main_channel",
        ),
    ),
    (
        "rfm",
        "rfm_scores",
        ("r_score", "f_score", "m_score", "rfm_code", "segment", "value_group"),
    ),
    ("lifecycle", "customer_lifecycle", ("stage",)),
    ("cluster", "customer_clusters", ("cluster", "cluster_name")),
)


TAG_COLUMNS = ("tag", "category", "source", "weight", "valid_from", "valid_to")

# tables 客户360 reads that a workspace may well not have filled (no behaviour log, no
# feedback, no clustering): known empty, they are not queried for every customer
OPTIONAL = ("events", "feedback", "customer_clusters")


def _filled(request: Request) -> frozenset[str]:
    """Which of :data:`OPTIONAL` hold rows (per data version)."""
    ctx = ctx_of(request)

    def compute() -> frozenset[str]:
        con = ctx.con()
        exists = "SELECT EXISTS (SELECT 1 FROM {})"
        return frozenset(t for t in OPTIONAL if con.execute(exists.format(t)).fetchone()[0])

    return ctx.cached(("filled_tables",), compute)


PROFILE_COLUMNS = tuple(c.name for c in TABLES["customers"].columns)
PROFILE_SELECT = ", ".join(quote_name(c) for c in PROFILE_COLUMNS)
PROFILE_PII = tuple(c.name for c in TABLES["customers"].columns if c.pii)


def _masked(row: dict[str, Any], policy: MaskingPolicy) -> dict[str, Any]:
    """``row`` with its PII masked by the one masking module (a one-row Arrow table of the
    PII columns only: the other columns pass through unchanged)."""
    pii = pa.table({n: pa.array([row[n]], pa.string()) for n in PROFILE_PII})
    return {**row, **mask_table(pii, policy).to_pylist()[0]}


CHANGE_COLUMNS = ("changed_at", "kind", "from_code", "to_code", "cause")


def _named_changes(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Segment, stage and tag changes (newest first) with their kind, from and to named in
    ``lang`` (a tag is its own name)."""
    from custlens.analytics.value.lifecycle import stage_names
    from custlens.analytics.value.segments import segment_names
    from custlens.i18n.codes import KIND_LABELS

    names = {"segment": segment_names(lang), "stage": stage_names(lang)}
    kinds = {**KIND_LABELS, "stage": KIND_LABELS["lifecycle"], "tag": "Tag"}
    out = []
    for row in rows:  # a customer's changes: a few rows
        named = names.get(row["kind"], {})
        out.append({
            **row,
            "changed_at": str(row["changed_at"])[:19],  # to the second
            "kind_label": gettext(kinds.get(row["kind"], row["kind"]), lang),
            "from_label": named.get(row["from_code"], row["from_code"]) or "—",
            "to_label": named.get(row["to_code"], row["to_code"]) or "—",
        })  # fmt: skip
    return out


def customer_detail(
    request: Request,
    principal: Principal,
    cid: str,
    policy: MaskingPolicy = MASKED,
    whole_rows: bool = False,
) -> dict[str, Any]:
    """Everything 客户360 shows of one customer; ``whole_rows``: every column of the stored
    results (the API), else the ones the page shows."""
    con = ctx_of(request).con()
    sql, params = scoped_sql("customers", principal, cid, materialize=False)
    found = _fetch_rows(con, f"SELECT {PROFILE_SELECT} FROM ({sql}) LIMIT 1", params)
    if not found:
        raise HTTPException(
            404, gettext("No such customer (or not visible to you).", lang_of(request))
        )
    profile = _masked(found[0], policy)
    filled = _filled(request)
    parts = {"orders": (*_part("orders", principal, cid, ORDER_COLUMNS, "order_time", 100), True)}
    if "events" in filled:
        parts["events"] = (*_part("events", principal, cid, EVENT_COLUMNS, "event_time", 100), True)
    if "feedback" in filled:
        parts["feedback"] = (
            *_part("feedback", principal, cid, FEEDBACK_COLUMNS, "feedback_time", 50),
            True,
        )
    if stored_results(request):
        for key, table, cols in STORED:
            if table not in OPTIONAL or table in filled:
                parts[key] = (*_part(table, principal, cid, None if whole_rows else cols), False)
        parts["tags"] = (*_part("customer_tags", principal, cid, TAG_COLUMNS, "", 1000), True)
        parts["changes"] = (
            *_part("profile_changes", principal, cid, CHANGE_COLUMNS, "changed_at", 200),
            True,
        )
    rows = _parts(con, parts)
    detail: dict[str, Any] = {
        "profile": profile,
        "orders": rows["orders"],
        "events": rows.get("events", []),
        "feedback": _feedback(request, rows.get("feedback", []), found[0].get("name"), policy),
        **{key: rows.get(key) for key, _, _ in STORED},
        "tags": sorted(
            (t for t in rows.get("tags", []) if t["valid_to"] is None), key=lambda t: t["tag"]
        ),
        # every tag the customer had, newest first: when each was given and (ended) taken off
        "tag_history": sorted(
            rows.get("tags", []), key=lambda t: str(t["valid_from"]), reverse=True
        ),
        "profile_changes": _named_changes(rows.get("changes", []), lang_of(request)),
        "clv": None,
    }
    detail["clv"], detail["churn"] = _models_of(request, principal, cid)
    if not whole_rows:  # 推荐商品 on the page; the API has its own route
        from custlens.web.recommendations import recommendations_soon

        detail["recommendations"] = recommendations_soon(request, principal, cid)
        from custlens.web.next_purchase import next_purchase_soon

        detail["next_purchase"] = next_purchase_soon(request, principal, cid)  # 下次购买
    return detail


def _feedback(
    request: Request, rows: list[dict[str, Any]], name: str | None, policy: MaskingPolicy
) -> list:
    """The feedback rows with each review's sentiment; phones, the customer's name and other
    customers' names in the texts masked unless ``policy`` shows names (an admin's view).
    Other customers' names are looked up in the workspace's names, prepared once per data
    version (reading every customer's name per request cost ~25 ms at 1M customers)."""
    from custlens.analytics.satisfaction.reviews import feedback_sentiment
    from custlens.store.free_text import known_names, names_in_texts

    shown = policy.allows("name")
    others = []
    if not shown and rows:
        ctx = ctx_of(request)
        known = ctx.cached(("known_names",), lambda: known_names(ctx.con()))
        others = names_in_texts(known, [r.get("text") for r in rows])
    return feedback_sentiment(rows, None if shown else name, shown, others)


def _models_of(request: Request, principal: Principal, cid: str) -> tuple[Any, Any]:
    """The customer's stored CLV and churn scores of the latest analysis run (the models it
    fitted on the whole workspace), read within the principal's rows."""
    from custlens.web.model_queries import customer_models
    from custlens.web.routes.value import stored_models

    stored = stored_models(request)
    if not stored:
        return None, None

    def one(table: str, key: str, cols: tuple[str, ...]) -> tuple[str, list[Any]]:
        return scoped_sql(table, principal, key, cols, materialize=False)

    return customer_models(ctx_of(request).con(), one, cid, stored, lang_of(request))
