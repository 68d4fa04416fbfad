"""Per-table row rules applied after column normalisation (orders, events, campaigns).

A rule is (column, code, condition over the staged, typed columns). Error-severity rules
reject the row; warning rules keep it and, for orders, mark it needs_review (需核实).
"""

from __future__ import annotations

from dataclasses import dataclass

from custlens.config import Settings
from custlens.io.normalise import SqlParams


@dataclass(frozen=True)
class Rule:
    column: str
    code: str
    condition: str


def derived_columns(table: str) -> dict[str, str]:
    """Columns recomputed from others before rules run (name -> SQL)."""
    if table == "orders":
        return {
            "amount": "coalesce(amount, CAST(round(quantity * unit_price - coalesce(discount, 0), 2)"
            " AS DECIMAL(18,2)))",
            "is_new_product": "coalesce(is_new_product, CASE WHEN launch_date IS NOT NULL THEN "
            "date_diff('day', launch_date, CAST(order_time AS DATE)) BETWEEN 0 AND 90 END)",
        }
    return {}


def row_rules(table: str, settings: Settings, p: SqlParams, now: object) -> list[Rule]:
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
            Rule("amount", "negative_amount", "amount < 0"),
            Rule(
                "amount",
                "amount_mismatch",
                f"amount >= 0 AND quantity > 0 AND unit_price >= 0 AND abs(amount - (quantity * "
                f"unit_price - coalesce(discount, 0))) > {p.add(qs.amount_tolerance)}",
            ),
            Rule("order_time", "future_date", f"order_time > {p.add(now)}"),
            Rule("status", "test_order", f"status = 'test' OR {test_name}"),
            Rule("status", "refund", "status IN ('refunded', 'partially_refunded')"),
        ]
    if table == "events":
        return [
            Rule("customer_id", "missing_required", "customer_id IS NULL AND anonymous_id IS NULL")
        ]
    if table == "campaigns":
        return [Rule("end_date", "out_of_range", "end_date < start_date")]
    return []


# key expression over staged/final columns, and over the stored table
def key_sql(table: str) -> str:
    return {
        "customers": "customer_id",
        "orders": "order_line_key",
        "events": "event_key",
        "campaigns": "campaign_id",
        "campaign_responses": "campaign_id || '#' || customer_id",
        "feedback": "feedback_key",
    }[table]


def system_sql(
    table: str, positional_lines: bool = False, fallback_hash: str = "_hash"
) -> dict[str, str]:
    """System columns computed for the stored row from staged columns and ``_hash``.

    An order line is identified by its line number, else its product, else (only when the
    file has none of these columns) its position within the order. ``fallback_hash`` is the
    SQL a key uses when it falls back on the row hash (an order or feedback without an id):
    the hash expression itself makes it computed for those rows alone.
    """
    if table == "orders":
        oid = f"coalesce(order_id, 'H' || substr({fallback_hash}, 1, 16))"
        position = (
            "CAST(row_number() OVER (PARTITION BY order_id ORDER BY _row) AS VARCHAR)"
            if positional_lines
            else "''"
        )
        line = f"coalesce(CAST(line_no AS VARCHAR), product_id, product_name, {position})"
        return {
            "order_id": oid,
            "order_line_key": f"CASE WHEN order_id IS NULL THEN {oid} || '#1' "
            f"ELSE order_id || '#' || {line} END",
            "order_date": "CAST(order_time AS DATE)",
            "row_flags": "_flags",
            "source_row": "_row",
        }
    if table == "events":
        return {"event_key": "_hash", "event_date": "CAST(event_time AS DATE)"}
    if table == "feedback":
        return {"feedback_key": f"coalesce(feedback_id, {fallback_hash})"}
    return {}
