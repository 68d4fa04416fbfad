"""The order lines analyses use, and per-customer revenue.

By default analyses see paid sale lines that are not marked needs_review (需核实), at their
value net of returns: test orders, partial refunds and flagged anomalies are excluded unless
asked for, a sale reversed in full (refunded, cancelled, or returned by a later return line)
is not a purchase any more, and a partly returned line counts for what was kept (see
:mod:`custlens.schema.returns`). Every revenue figure of the analyses is therefore net sales.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from custlens.schema.returns import ANALYZABLE_COLUMNS

# the columns the rule of analyzable_orders reads (the SQL rendering's, and the review flag),
# and those it returns net of returns
_RULE_COLUMNS = (*ANALYZABLE_COLUMNS, "needs_review", "quantity", "amount")


def analyzable_orders(
    orders: ir.Table, include_flagged: bool = False, columns: tuple[str, ...] | None = None
) -> ir.Table:
    """Paid sale lines with something left after returns, at their net quantity and amount.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    include_flagged : bool, default False
        Keep lines marked needs_review (需核实).
    columns : tuple of str, optional
        Only these columns (and those the rule reads) go on: a smaller expression to compile
        than the whole table's, for callers that use a few columns.

    Returns
    -------
    ibis.expr.types.Table
        The order lines, with ``quantity`` and ``amount`` net of returns (lines of a table
        without the workspace's ``net_quantity`` / ``net_amount`` columns as they are).
    """
    if columns is not None:
        keep = dict.fromkeys((*columns, *_RULE_COLUMNS))
        orders = orders.select(*(c for c in keep if c in orders.columns))
    expr = _reviewed(orders, include_flagged)
    expr = expr.filter(_counted(expr))
    if "net_amount" not in orders.columns:  # lines from elsewhere than a workspace: no returns
        return expr
    return expr.mutate(quantity=expr.net_quantity, amount=expr.net_amount)


def one_line_orders(orders: ir.Table) -> bool:
    """Whether every order of the stored ``orders`` table has a single line.

    The store keys a line by ``order_line_key`` = order id + line number and keeps that key
    unique (duplicates are rejected at import, re-imports update by it), so when every line is
    line 1 no order id occurs twice: counting lines then counts orders exactly, without a
    distinct count. A table without the store's key (lines from elsewhere) answers False.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.

    Returns
    -------
    bool
        True when the table has the store's key, every line has an order id and every line
        number is 1.

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"order_id": ["A", "B"], "line_no": [1, 1],
    ...                    "order_line_key": ["A#1", "B#1"]})
    >>> one_line_orders(t)
    True
    >>> one_line_orders(t.mutate(line_no=ibis.literal(2)))
    False
    >>> one_line_orders(t.mutate(order_id=ibis.null("string")))
    False
    """
    if not {"order_line_key", "line_no"} <= set(orders.columns):
        return False
    row = orders.aggregate(
        lines=orders.count(),
        ids=orders.order_id.count(),
        numbered=orders.line_no.count(),
        low=orders.line_no.min(),
        top=orders.line_no.max(),
    ).execute()
    lines, ids, numbered, low, top = (
        row[c].iloc[0] for c in ("lines", "ids", "numbered", "low", "top")
    )
    return bool(ids == numbered == lines and (lines == 0 or low == top == 1))


def order_count(orders: ir.Table, lines: ir.Table) -> ir.IntegerScalar:
    """The number of distinct orders among ``lines`` (a filter of the table ``orders``).

    A plain line count when :func:`one_line_orders` says every order has one line (exact, and
    far cheaper than a distinct count per group), the distinct order ids otherwise.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    lines : ibis.expr.types.Table
        Lines of ``orders`` (filtered, e.g. :func:`analyzable_orders`), usually grouped.

    Returns
    -------
    ibis.expr.types.IntegerScalar
        The order count, to use in an aggregation of ``lines``.
    """
    return lines.count() if one_line_orders(orders) else lines.order_id.nunique()


def _reviewed(orders: ir.Table, include_flagged: bool) -> ir.Table:
    """``orders`` without the lines marked needs_review (需核实), unless ``include_flagged``."""
    return orders if include_flagged else orders.filter(~orders.needs_review.fill_null(False))


def _counted(t: ir.Table) -> ir.BooleanValue:
    """Whether a line counts in the analyses: paid, with something left after its returns
    (:data:`custlens.schema.returns.ANALYZABLE_SQL` is the same rule in SQL)."""
    if "net_amount" not in t.columns:
        return t.status == "paid"
    return (t.status == "paid") & ((t.net_quantity > 0) | (t.net_amount > 0))


def sale_lines(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """Sale lines (positive quantity; paid, refunded or cancelled) with ``gross_amount``, their
    own amount, and ``net_amount``, what the analyses count of them (zero for a sale
    reversed or returned in full).

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    include_flagged : bool, default False
        Keep lines marked needs_review (需核实).

    Returns
    -------
    ibis.expr.types.Table
        The sale lines with ``gross_amount`` and ``net_amount``.
    """
    s = orders.filter(orders.quantity > 0, orders.status.isin(("paid", "refunded", "cancelled")))
    s = _reviewed(s, include_flagged)
    zero = ibis.literal(0).cast("decimal(18, 2)")
    left = s.net_amount if "net_amount" in orders.columns else s.amount
    net = ibis.ifelse(_counted(s), left, zero)
    return s.mutate(gross_amount=s.amount, net_amount=net.cast("decimal(18, 2)"))


def sales_totals(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """One row: gross sales, returns, net sales, refund rate and unmatched returns.

    ``gross_sales``: the paid, refunded and cancelled sale lines at their own amount;
    ``net_sales``: what the analyses count (:func:`analyzable_orders`); ``returns`` = net −
    gross (zero or negative); ``refund_rate`` = −returns / gross; ``unmatched_returns``:
    return lines that match no sale (not in net sales), with ``unmatched_return_lines`` their
    count. needs_review lines are left out of every figure unless ``include_flagged``.

    Parameters
    ----------
    orders : ibis.expr.types.Table
        The stored ``orders`` table.
    include_flagged : bool, default False
        Keep lines marked needs_review (需核实).

    Returns
    -------
    ibis.expr.types.Table
        One row with the six figures.
    """
    s = sale_lines(orders, include_flagged)
    unmatched = orders.filter(orders.quantity < 0)
    if "return_of" in orders.columns:
        unmatched = unmatched.filter(unmatched.return_of.isnull())
    unmatched = _reviewed(unmatched, include_flagged)
    zero = ibis.literal(0).cast("decimal(18, 2)")
    t = s.aggregate(gross_sales=s.gross_amount.sum(), net_sales=s.net_amount.sum()).cross_join(
        unmatched.aggregate(
            unmatched_returns=unmatched.amount.sum(), unmatched_return_lines=unmatched.count()
        )
    )
    t = t.mutate(
        gross_sales=t.gross_sales.fill_null(zero),
        net_sales=t.net_sales.fill_null(zero),
        unmatched_returns=t.unmatched_returns.fill_null(zero),
    )
    t = t.mutate(returns=t.net_sales - t.gross_sales)
    return t.select(
        "gross_sales",
        "returns",
        "net_sales",
        refund_rate=ibis.ifelse(
            t.gross_sales > 0,
            (-t.returns).cast("float64") / t.gross_sales.cast("float64"),
            ibis.null("float64"),
        ),
        unmatched_returns=t.unmatched_returns,
        unmatched_return_lines=t.unmatched_return_lines,
    )


def revenue_per_customer(orders: ir.Table, include_flagged: bool = False) -> ir.Table:
    """customer_id, orders (distinct order ids), lines, items, revenue, first/last order date."""
    o = analyzable_orders(orders, include_flagged)
    return (
        o.group_by("customer_id")
        .aggregate(
            orders=o.order_id.nunique(),
            lines=o.count(),
            items=o.quantity.sum(),
            revenue=o.amount.sum(),
            first_order=o.order_date.min(),
            last_order=o.order_date.max(),
        )
        .order_by([ibis.desc("revenue"), "customer_id"])
    )


def store_totals(
    orders: ir.Table, include_flagged: bool = False, customers: ir.Table | None = None
) -> ir.Table:
    """One row: buyers, orders, lines, GMV, AOV, first and last order date; with the
    customer table ``customers`` first its rows, ``customers``.

    The two counts are named apart: ``customers`` are the rows of the customer table (every
    customer with orders has one, those known only from their orders included, plus those who
    have not bought); ``buyers`` are the customers with analysable orders (paid, not 需核实).
    """
    o = analyzable_orders(orders, include_flagged)
    gmv = o.amount.sum()
    n_orders = o.order_id.nunique()
    known = {} if customers is None else {"customers": customers.count().as_scalar()}
    return o.aggregate(
        **known,
        buyers=o.customer_id.nunique(),
        orders=n_orders,
        lines=o.count(),
        gmv=gmv,
        aov=(gmv.cast("float64") / n_orders).round(2),
        first_order=o.order_date.min(),
        last_order=o.order_date.max(),
    )
