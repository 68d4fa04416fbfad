"""Link return lines to the sales they reverse and keep the sale lines' net values.

Runs inside every import of orders, after the rows are written, over the whole table:
a return may arrive in a later file than its sale, and a later sale may change which
purchase an earlier-imported return belongs to. Returns are few, so the linking joins only
return lines against the sale lines of the same customers; a shop with no return lines pays
one existence check. The rules are in :mod:`custlens.schema.returns`.
"""

from __future__ import annotations

from typing import Any

from custlens.schema.returns import BASE_NET_AMOUNT_SQL, BASE_NET_QUANTITY_SQL

# each return line with the sale line it reverses: the line of its original order with the
# same product when the file names one, else the latest earlier sale of the same product to
# the same customer (ties by the later key, so the choice never depends on the run)
LINKS_SQL = """
CREATE OR REPLACE TEMP TABLE _links AS
WITH r AS (
    SELECT order_line_key, customer_id, coalesce(product_id, product_name) AS product,
           original_order_id, order_time
    FROM orders WHERE quantity < 0
), s AS (
    SELECT order_line_key, customer_id, order_id,
           coalesce(product_id, product_name) AS product, order_time
    FROM orders
    WHERE quantity > 0 AND status NOT IN ('test', 'refunded', 'cancelled')
      AND customer_id IN (SELECT customer_id FROM r)
), candidates AS (
    SELECT r.order_line_key AS return_key, s.order_line_key AS sale_key,
           row_number() OVER (PARTITION BY r.order_line_key
                              ORDER BY s.order_time DESC, s.order_line_key DESC) AS rn
    FROM r JOIN s ON s.customer_id = r.customer_id AND s.product IS NOT DISTINCT FROM r.product
     AND CASE WHEN r.original_order_id IS NOT NULL THEN s.order_id = r.original_order_id
              ELSE s.order_time <= r.order_time END
)
SELECT return_key, sale_key FROM candidates WHERE rn = 1
"""

SET_LINKS_SQL = """
UPDATE orders SET return_of = l.sale_key FROM (
    SELECT o.order_line_key, k.sale_key FROM orders o
    LEFT JOIN _links k ON k.return_key = o.order_line_key
    WHERE o.quantity < 0 OR o.return_of IS NOT NULL
) l
WHERE orders.order_line_key = l.order_line_key AND orders.return_of IS DISTINCT FROM l.sale_key
"""

SET_NET_SQL = f"""
UPDATE orders SET net_quantity = n.q, net_amount = n.a FROM (
    SELECT o.order_line_key, {BASE_NET_QUANTITY_SQL} + coalesce(r.rq, 0) AS q,
           {BASE_NET_AMOUNT_SQL} + coalesce(r.ra, 0) AS a
    FROM orders o LEFT JOIN (
        SELECT return_of, sum(quantity) AS rq, sum(amount) AS ra FROM orders
        WHERE return_of IS NOT NULL GROUP BY return_of
    ) r ON r.return_of = o.order_line_key
) n
WHERE orders.order_line_key = n.order_line_key
  AND (orders.net_quantity IS DISTINCT FROM n.q OR orders.net_amount IS DISTINCT FROM n.a)
"""


def link_returns(con: Any, import_id: int | None = None) -> None:
    """Link every return line to its sale and update the net values of the sale lines.

    With ``import_id``, that import's return lines that match no sale are recorded as its
    ``unmatched_return`` problems (info).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The workspace connection, inside the import's transaction.
    import_id : int, optional
        The import in progress.
    """
    found = con.execute(
        "SELECT EXISTS (SELECT 1 FROM orders WHERE quantity < 0 OR return_of IS NOT NULL)"
    ).fetchone()[0]
    if not found:
        return
    con.execute(LINKS_SQL)
    con.execute(SET_LINKS_SQL)
    con.execute(SET_NET_SQL)
    if import_id is not None:
        con.execute(
            "INSERT INTO import_problems SELECT import_id, source_row, 'quantity', "
            "'unmatched_return', 'info', CAST(quantity AS VARCHAR) FROM orders "
            "WHERE import_id = ? AND quantity < 0 AND return_of IS NULL",
            [import_id],
        )
