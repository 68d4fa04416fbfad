"""Returns and cancellations: how an order line's sign and status make it a sale, a sale
reversed in full, or a return, and what is left of a sale after its returns.

* A **sale line** has a positive quantity. With status ``paid`` (or ``partially_refunded``,
  which stays 需核实) it counts in gross sales; with status ``refunded`` or ``cancelled`` it is
  a sale **reversed in full**: it counts in gross sales and, with the opposite sign, in
  returns, so it adds nothing to net sales.
* A **return line** has a negative quantity and amount (a cancellation invoice, a refund
  row). Imports normalise a return line's amount to the sign of its quantity and its status
  ``paid`` to ``refunded``; it is never rejected. It is linked (``return_of``) to the sale
  line it reverses: the line of its ``original_order_id`` with the same product when the
  file names one, else the latest earlier sale line of the same product to the same
  customer. A return that matches no sale is kept and reported as unmatched.
* ``net_quantity`` / ``net_amount`` of a sale line: what is left after its linked returns
  (zero for a sale reversed in full). Analyses read sale lines with something left, at
  their net values (see :func:`custlens.analytics.orders.analyzable_orders`); an order all
  of whose lines were returned or cancelled is no longer an order or a purchase day.

The SQL below is written once and used by the import, the re-linking of returns after each
import and the schema migration that introduced these columns.
"""

from __future__ import annotations

# statuses of a sale reversed in full by its own line
REVERSED_STATUSES = ("refunded", "cancelled")

_REVERSED = "status IN ('refunded', 'cancelled')"

# what a line is worth before any linked return: a sale line its own quantity and amount,
# a reversed sale or a return line nothing (a return counts through the sale it is linked to)
BASE_NET_QUANTITY_SQL = f"CASE WHEN quantity < 0 OR {_REVERSED} THEN 0 ELSE quantity END"
BASE_NET_AMOUNT_SQL = (
    f"CASE WHEN quantity < 0 OR {_REVERSED} THEN CAST(0 AS DECIMAL(18,2)) ELSE amount END"
)

# a line the analyses count (custlens.analytics.orders.analyzable_orders, for the few raw SQL
# readers): a paid sale line with something left after its returns, at ``net_amount``
ANALYZABLE_SQL = "status = 'paid' AND (net_quantity > 0 OR net_amount > 0)"
ANALYZABLE_COLUMNS = ("status", "net_quantity", "net_amount")  # what ANALYZABLE_SQL reads
