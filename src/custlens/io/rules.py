"""Per-table row rules applied after column normalisation (orders, customers, events,
campaigns).

A rule is (column, code, condition over the staged, typed columns). Error-severity rules
reject the row; warning rules keep it and, for orders, mark it needs_review (需核实).
"""

from __future__ import annotations

from dataclasses import dataclass

from custlens.config import Settings
from custlens.schema.returns import BASE_NET_AMOUNT_SQL, BASE_NET_QUANTITY_SQL
from custlens.store.sql import SqlParams


@dataclass(frozen=True)
class Rule:
    """A validation rule: the column, the problem code and the SQL condition of a bad value."""

    column: str
    code: str
    condition: str


def derived_columns(table: str) -> dict[str, str]:
    """Columns recomputed from others before rules run (name -> SQL)."""
    if table == "orders":
        # a return line (negative quantity) carries a negative amount whatever sign the file
        # gives it, and a status of paid becomes refunded (see custlens.schema.returns)
        computed = (
            "CAST(round(sign(quantity) * (abs(quantity) * unit_price - coalesce(discount, 0)), 2)"
            " AS DECIMAL(18,2))"
        )
        return {
            "amount": f"CASE WHEN quantity < 0 THEN -abs(coalesce(amount, {computed})) "
            f"ELSE coalesce(amount, {computed}) END",
            "status": "CASE WHEN quantity < 0 AND coalesce(status, 'paid') = 'paid' "
            "THEN 'refunded' ELSE status END",
            "is_new_product": "coalesce(is_new_product, CASE WHEN launch_date IS NOT NULL THEN "
            "date_diff('day', launch_date, CAST(order_time AS DATE)) BETWEEN 0 AND 90 END)",
        }
    return {}


def row_rules(table: str, settings: Settings, p: SqlParams, now: object) -> list[Rule]:
    """The validation rules of ``table`` under the workspace's settings (quality thresholds, test
    words, phone region).
    """
    if table == "orders":
        qs = settings.quality
        words = [w.lower() for w in qs.test_words]
        # one contains() per word: much cheaper per row than a lambda over a list
        test_name = (
            "(" + " OR ".join(f"contains(lower(product_name), {p.add(w)})" for w in words) + ")"
            if words
            else "FALSE"
        )
        return [
            Rule(
                "amount",
                "missing_required",
                "amount IS NULL AND unit_price IS NULL "
                "AND e_amount IS NULL AND e_unit_price IS NULL",
            ),
            Rule("unit_price", "negative_price", "unit_price < 0"),
            Rule("quantity", "zero_quantity", "quantity = 0"),
            # a negative amount on a sale line (a return line has a negative quantity too)
            Rule("amount", "negative_amount", "amount < 0 AND quantity > 0"),
            Rule(
                "amount",
                "amount_mismatch",
                "(amount >= 0 OR quantity < 0) AND quantity <> 0 AND unit_price >= 0 AND "
                "abs(abs(amount) - (abs(quantity) * unit_price - coalesce(discount, 0))) > "
                f"{p.add(qs.amount_tolerance)}",
            ),
            Rule("order_time", "future_date", f"order_time > {p.add(now)}"),
            Rule("status", "test_order", f"status = 'test' OR {test_name}"),
            # a partial refund leaves the line's net value unknown: 需核实 (full refunds and
            # cancellations are reversed sales, see custlens.schema.returns)
            Rule("status", "refund", "status = 'partially_refunded'"),
        ]
    if table == "customers":
        # a registration after the import is a typo: left empty (with a warning), or every
        # order of the customer would look placed before the registration
        return [Rule("registration_date", "future_date", f"registration_date > {p.add(now)}")]
    if table == "events":
        return [
            Rule("customer_id", "missing_required", "customer_id IS NULL AND anonymous_id IS NULL")
        ]
    if table == "campaigns":
        return [Rule("end_date", "out_of_range", "end_date < start_date")]
    return []


# key expression over staged/final columns, and over the stored table
def key_sql(table: str) -> str:
    """SQL for the key that identifies a row of ``table`` (duplicates and upserts match on it)."""
    return {
        "customers": "customer_id",
        "orders": "order_line_key",
        "events": "event_key",
        "campaigns": "campaign_id",
        "campaign_responses": "campaign_id || '#' || customer_id",
        "feedback": "feedback_key",
    }[table]


# tables whose key is a hash of every column of the row (``_hash``): a stored row with the
# same key holds the same values, so a re-imported row is never an update; with a column of
# those values that stored rows are found by (their day: the table is written in about that
# order, so the scan for a day's or a file's range of days skips the other row groups)
CONTENT_KEYED = {"events": "event_date"}


def system_sql(
    table: str,
    fallback_hash: str = "_hash",
    positional_lines: bool = True,
    single_lines: bool = False,
) -> dict[str, str]:
    """System columns computed for the stored row from staged columns and ``_hash``.

    An order line is keyed by (order id, line number); a file without line numbers numbers
    the lines of each order in file order (after exact duplicate rows are dropped), so the
    same product twice in one order is two lines and a re-import of the same file finds the
    same keys (a line without its number, in a file that has them, too). ``fallback_hash`` is
    the SQL a key uses when it falls back on the row hash (an order or feedback without an
    id): the hash expression itself makes it computed for those rows alone.
    ``single_lines``: the rows are lines of orders with one line in the file (a line without
    its number is line 1; the numbering pass is left out).
    """
    if table == "orders":
        oid = f"coalesce(order_id, 'H' || substr({fallback_hash}, 1, 16))"
        position = f"CAST(row_number() OVER (PARTITION BY {oid} ORDER BY _row) AS INTEGER)"
        # (the numbering pass is left out when every line of the file has its number)
        line = f"coalesce(line_no, {position})" if positional_lines else "line_no"
        if single_lines:
            line = "coalesce(line_no, 1)"
        return {
            "order_id": oid,
            "line_no": line,
            "order_line_key": f"{oid} || '#' || {line}",
            "order_date": "CAST(order_time AS DATE)",
            "row_flags": "_flags",
            "source_row": "_row",
            "net_quantity": BASE_NET_QUANTITY_SQL,
            "net_amount": BASE_NET_AMOUNT_SQL,
        }
    if table == "events":
        return {"event_key": "_hash", "event_date": "CAST(event_time AS DATE)"}
    if table == "feedback":
        return {"feedback_key": f"coalesce(feedback_id, {fallback_hash})"}
    return {}
