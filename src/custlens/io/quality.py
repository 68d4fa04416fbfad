"""Table-level data-quality rules over stored orders, and the quality report.

Row-level warnings (negative amount, zero quantity, amount mismatch, future date, test
orders, refunds) are found at import and kept in ``orders.row_flags``. The rules below need
other rows (the customer's history, the customer table) and are recomputed for the whole
table at every import of orders or customers, so they stay true as data arrives. An import
that only adds orders has them computed before its rows are written (over the stored orders
plus the incoming ones), so the new rows are written once with their final flags; changing a
just-written row in the same transaction would make DuckDB rewrite the whole new data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custlens.config import Settings
from custlens.io.upsert import STUB_SQL
from custlens.schema.tables import TABLES

if TYPE_CHECKING:
    import ibis.expr.types as ir

STATUS_DEFAULT = TABLES["orders"].column("status").default

# all_orders: the stored orders, or those plus the incoming ones (see INCOMING_SQL)
FLAGS_SQL = """
lines AS NOT MATERIALIZED (  -- sale lines at what is left of them after returns
    SELECT customer_id, order_id, order_time, net_amount AS amount FROM all_orders
    WHERE row_flags IS NULL AND status = 'paid' AND (net_quantity > 0 OR net_amount > 0)
),
busy AS (  -- customers with enough lines to have enough orders for either rule
    SELECT customer_id FROM lines GROUP BY customer_id
    HAVING count(*) >= least(greatest(3, $min_orders + 1), $burst + 1)
),
clean AS (  -- their orders (grouping every order line by two strings costs the most here)
    SELECT customer_id, order_id, min(order_time) AS order_time, sum(amount) AS amount
    FROM lines SEMI JOIN busy USING (customer_id)
    GROUP BY customer_id, order_id
),
counts AS (SELECT customer_id, count(*) AS n FROM clean GROUP BY customer_id),
stats AS (  -- only customers with enough orders to judge one against the others
    SELECT customer_id, median(amount) AS med, sum(amount) AS s1,
           sum(amount * amount) AS s2, count(*) AS n
    FROM clean JOIN counts k USING (customer_id)
    WHERE k.n >= greatest(3, $min_orders + 1)
    GROUP BY customer_id
),
loo AS (  -- leave-one-out: each order against the customer's *other* orders
    SELECT c.order_id, c.amount, s.med, s.n - 1 AS n_other,
           (s.s1 - c.amount) / (s.n - 1) AS mean_other,
           sqrt(greatest(((s.s2 - c.amount * c.amount)
                - (s.s1 - c.amount) * (s.s1 - c.amount) / (s.n - 1)) / (s.n - 2), 0)) AS sd_other
    FROM clean c JOIN stats s USING (customer_id) WHERE s.n > 2
),
outliers AS (
    SELECT order_id FROM loo
    WHERE n_other >= $min_orders AND amount > $k_median * med
      AND amount > mean_other + $k_sd * sd_other
),
bursts AS (
    SELECT order_id FROM (
        SELECT order_id, count(*) OVER (
            PARTITION BY customer_id ORDER BY order_time
            RANGE BETWEEN to_minutes(CAST($minutes AS BIGINT)) PRECEDING AND CURRENT ROW
        ) AS n_window
        FROM clean JOIN counts k USING (customer_id)
        WHERE k.n > $burst  -- fewer orders in all cannot make a burst
    ) WHERE n_window > $burst
),
before_reg AS (
    SELECT o.order_line_key FROM all_orders o JOIN customers c USING (customer_id)
    WHERE o.order_date < c.registration_date
)
SELECT o.order_line_key,
       NULLIF(concat_ws(',', o.row_flags,
           CASE WHEN b.order_line_key IS NOT NULL THEN 'before_registration' END,
           CASE WHEN x.order_id IS NOT NULL THEN 'amount_outlier' END,
           CASE WHEN u.order_id IS NOT NULL THEN 'burst_orders' END), '') AS reasons
FROM all_orders o
LEFT JOIN before_reg b USING (order_line_key)
LEFT JOIN (SELECT DISTINCT order_id FROM outliers) x ON o.order_id = x.order_id
LEFT JOIN (SELECT DISTINCT order_id FROM bursts) u ON o.order_id = u.order_id
-- only rows whose reasons may change: flagged now or before (most rows are neither)
WHERE o.row_flags IS NOT NULL OR o.review_reasons IS NOT NULL
   OR b.order_line_key IS NOT NULL OR x.order_id IS NOT NULL OR u.order_id IS NOT NULL
"""


STORED_SQL = "WITH all_orders AS NOT MATERIALIZED (SELECT * FROM orders),"
# the orders as they will be once the new ones among the incoming rows (``_final``, see
# custlens.io.upsert) are written; only the columns the rules read. The incoming rows are
# read from the staged table (the keyed rows are computed once, so they are not copied).
INCOMING_SQL = f"""
WITH incoming AS NOT MATERIALIZED (
    SELECT order_line_key, order_id, customer_id, order_time, order_date, amount,
           coalesce(status, '{STATUS_DEFAULT}') AS status, row_flags, NULL AS review_reasons,
           net_quantity, net_amount
    FROM _final WHERE _action = 'insert'
),
all_orders AS {{materialized}} (
    SELECT order_line_key, order_id, customer_id, order_time, order_date, amount, status,
           row_flags, review_reasons, net_quantity, net_amount FROM orders {{touched}}
    UNION ALL SELECT * FROM incoming
),"""
# a batch that only adds orders can change the reasons of its own customers' orders alone;
# their rows are few, so they are read from the table once (materialised), not once for each
# rule that reads them (three scans of every stored order at a million customers)
TOUCHED_SQL = "WHERE customer_id IN (SELECT customer_id FROM incoming)"


def compute_order_flags(
    con: Any, settings: Settings, incoming: bool = False, touched_only: bool = False
) -> None:
    """``_flags`` (order_line_key, reasons): the review reasons of every order whose reasons
    may have changed, over the stored orders or (``incoming``) those plus the new rows of the
    import in progress, before they are written.

    ``touched_only`` (with ``incoming``; the ingestion API's small batches): only the orders of
    the incoming rows' customers are judged, the only ones whose reasons an import that adds
    orders can change; a file import judges every order again, so that changed quality
    settings reach all of them."""
    qs = settings.quality
    params = {
        "min_orders": qs.outlier_min_orders,
        "k_median": qs.outlier_median_multiple,
        "k_sd": qs.outlier_sd,
        "minutes": qs.burst_minutes,
        "burst": qs.burst_orders,
    }
    if incoming:
        head = INCOMING_SQL.format(
            touched=TOUCHED_SQL if touched_only else "",
            materialized="MATERIALIZED" if touched_only else "NOT MATERIALIZED",
        )
    else:
        head = STORED_SQL
    con.execute(f"CREATE OR REPLACE TEMP TABLE _flags AS {head}{FLAGS_SQL}", params)


def apply_order_flags(con: Any, import_id: int | None = None) -> None:
    """Store ``_flags`` on the orders whose reasons changed; with ``import_id``, the table-level
    flags of that import's rows also count as its problems."""
    con.execute(
        "UPDATE orders SET review_reasons = f.reasons, needs_review = f.reasons IS NOT NULL "
        "FROM _flags f WHERE orders.order_line_key = f.order_line_key "
        "AND orders.review_reasons IS DISTINCT FROM f.reasons"
    )
    if import_id is None:
        return
    con.execute(
        "INSERT INTO import_problems SELECT o.import_id, o.source_row, "
        "CASE r.code WHEN 'amount_outlier' THEN 'amount' ELSE 'order_time' END, r.code, "
        "'warning', CASE r.code WHEN 'amount_outlier' THEN CAST(o.amount AS VARCHAR) "
        "ELSE CAST(o.order_time AS VARCHAR) END FROM orders o, "
        "unnest(string_split(o.review_reasons, ',')) AS r(code) "
        "WHERE r.code IN ('before_registration', 'amount_outlier', 'burst_orders') "
        "AND o.import_id = $id",
        {"id": import_id},
    )


def review_counts(orders: ir.Table) -> dict[str, Any]:
    """Order lines and those marked needs review (需核实), in all and per rule, over the
    ``orders`` given (e.g. a user's row-filtered orders): the counts of :func:`quality_report`.

    Parameters
    ----------
    orders
        Order lines as an Ibis table (``needs_review``, ``review_reasons``).

    Returns
    -------
    dict
        ``orders`` and ``needs_review`` (line counts) and ``flagged`` ({rule: lines}, most
        lines first, then by rule).

    Examples
    --------
    >>> import ibis
    >>> o = ibis.memtable(
    ...     {"needs_review": [True, True, False], "review_reasons": ["a,b", "b", None]}
    ... )
    >>> review_counts(o)
    {'orders': 3, 'needs_review': 2, 'flagged': {'b': 2, 'a': 1}}
    """
    totals = orders.aggregate(
        orders=orders.count(), needs_review=orders.count(where=orders.needs_review)
    )
    total = totals.to_pyarrow().to_pylist()[0]
    marked = orders.filter(orders.needs_review)
    codes = marked.select(code=marked.review_reasons.split(",").unnest())
    per_rule = codes.group_by("code").aggregate(rows=codes.count())
    rows = per_rule.order_by([per_rule.rows.desc(), per_rule.code]).to_pyarrow().to_pylist()
    return {
        "orders": total["orders"],
        "needs_review": total["needs_review"],
        "flagged": {r["code"]: r["rows"] for r in rows},
    }


def quality_report(con: Any, examples: int = 5) -> dict[str, Any]:
    """Counts per rule over the stored orders, plus rejected rows per code over all imports."""
    flagged = con.execute(
        "SELECT code, count(*) FROM (SELECT unnest(string_split(review_reasons, ',')) AS code "
        "FROM orders WHERE needs_review) GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    # order lines of customers without a profile (known only from orders, see
    # custlens.io.upsert.create_customers_from_orders)
    orphan = con.execute(
        "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c "
        f"WHERE c.customer_id = o.customer_id AND NOT ({STUB_SQL}))"
    ).fetchone()[0]
    profiles = con.execute(
        f"SELECT count(*) FILTER (WHERE {STUB_SQL}), count(*) FROM customers"
    ).fetchone()
    rejected = con.execute(
        "SELECT l.table_name, p.code, count(*) FROM import_problems p JOIN import_log l "
        "USING (import_id) WHERE p.severity = 'error' GROUP BY 1, 2 ORDER BY 1, 3 DESC"
    ).fetchall()
    sample = con.execute(
        "SELECT code, order_id, customer_id, order_time, amount FROM ("
        "SELECT r.code, o.order_id, o.customer_id, o.order_time, o.amount, row_number() OVER "
        "(PARTITION BY r.code ORDER BY o.order_time) AS rn FROM orders o, "
        "unnest(string_split(o.review_reasons, ',')) AS r(code) WHERE o.needs_review) "
        "WHERE rn <= ? ORDER BY code, order_time",
        [examples],
    ).fetchall()
    totals = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE needs_review) FROM orders"
    ).fetchone()
    return {
        "orders": totals[0],
        "needs_review": totals[1],
        "flagged": dict(flagged),
        "orphan_order": orphan,
        "customers_without_profile": profiles[0],
        "customers": profiles[1],
        "rejected": [{"table": t, "code": c, "rows": n} for t, c, n in rejected],
        "examples": [
            {"code": c, "order_id": o, "customer_id": cu, "order_time": str(t), "amount": str(a)}
            for c, o, cu, t, a in sample
        ],
    }
