"""Product association (关联分析): baskets, pair rules, multi-item rules, sequential rules.

Everything is a join/aggregate in the engine. Pair rules cross each basket's list of item
codes with itself after pruning items below the minimum support (an itemset is never more
frequent than its items). Multi-item itemsets are grown level by level by self-joins
(Apriori candidate generation in SQL), which returns exactly the frequent itemsets
FP-growth would, without a one-hot matrix in memory: baskets x items never materialise.

Rules are ordered by their measure and then by their items, so equal lifts or confidences
always list in the same order (and ``--top`` keeps the same rules).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from custlens.analytics.orders import analyzable_orders
from custlens.errors import UsageError

LEVELS = {"category": "category", "product": "product_name", "product_id": "product_id"}


@dataclass(frozen=True)
class BasketSpec:
    """What a basket and an item are: the item level, order or customer baskets, the window and
    keywords.
    """

    level: str = "category"  # category | product | product_id
    by: str = "order"  # order | customer
    window_days: int = 30  # with by="customer": baskets are a customer's purchases in N days
    keywords: tuple[str, ...] = ()  # optional: item = first keyword contained in the name


def item_column(o: ir.Table, level: str, keywords: tuple[str, ...] = ()) -> ir.Value:
    """The item an order line counts as: its category, product, or the first keyword its
    product name contains (e.g. ("奶粉", "纸尿裤") groups every formula and diaper product)."""
    if level not in LEVELS:
        raise UsageError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    item = o[LEVELS[level]].cast("string")
    if keywords:
        name = o.product_name.cast("string")
        item = ibis.cases(*[(name.contains(k), k) for k in keywords], else_=None)
    return item


def build_baskets(orders: ir.Table, spec: BasketSpec = BasketSpec()) -> ir.Table:
    """Distinct (basket_id, item) pairs from analysable orders; a basket whose lines match no
    keyword keeps one row with a NULL item so it still counts in the number of baskets."""
    if spec.by not in ("order", "customer"):
        raise UsageError("by must be order or customer")
    o = analyzable_orders(orders)
    if spec.by == "order":
        basket = o.order_id.cast("string")
    else:
        first = o.group_by("customer_id").aggregate(_first=o.order_date.min())
        o = o.join(first, "customer_id")
        bucket = (o.order_date.delta(o._first, unit="day") // spec.window_days).cast("string")
        basket = o.customer_id.cast("string") + ":" + bucket
    return o.select(basket_id=basket, item=item_column(o, spec.level, spec.keywords)).distinct()


def item_support(baskets: ir.Table) -> ir.Table:
    """item, n (baskets holding it), n_baskets, support.

    ``baskets`` are distinct (basket_id, item) pairs (:func:`build_baskets`), so the baskets
    holding an item are its rows: a count, not a distinct count per item (which costs a hash
    set of basket ids per item). Pair and itemset counts rely on the same distinctness.
    """
    total = baskets.aggregate(n_baskets=baskets.basket_id.nunique())
    b = baskets.filter(baskets.item.notnull())
    counts = b.group_by("item").aggregate(n=b.count()).cross_join(total)
    return counts.mutate(support=counts.n.cast("float64") / counts.n_baskets)


def pair_rules(
    baskets: ir.Table, min_support: float = 0.001, min_confidence: float = 0.0, min_count: int = 1
) -> ir.Table:
    """Rules A -> B with count, support, confidence P(B|A), lift and conviction.

    Each item gets an integer code, its rank by basket count (the most frequent is 0), and
    each basket the list of its items' codes, in one pass that also counts the baskets. The
    pairs are the list crossed with itself inside each basket (both directions at once, no
    join of the basket rows with themselves), on the codes of the items with enough support
    alone: ranking by count puts them first, so they are the codes below their number.

    Parameters
    ----------
    baskets : ibis Table
        Distinct (basket_id, item) pairs (:func:`build_baskets`).
    min_support : float
        Smallest share of baskets holding both items.
    min_confidence : float
        Smallest P(B|A).
    min_count : int
        Smallest number of baskets holding both items.

    Returns
    -------
    ibis Table
        a, b, n_ab, n_a, n_b, n_baskets, support, support_a, support_b, confidence, lift,
        conviction; by lift (highest first), then a, then b.

    Examples
    --------
    >>> import ibis
    >>> b = ibis.memtable({"basket_id": ["1", "1", "2", "2", "3"],
    ...                    "item": ["tea", "cup", "tea", "cup", "tea"]})
    >>> r = pair_rules(b, min_support=0.0).to_pyarrow()
    >>> r.column("a").to_pylist(), r.column("n_ab").to_pylist()
    (['cup', 'tea'], [2, 2])
    """
    named = baskets.filter(baskets.item.notnull())
    items = named.group_by("item").aggregate(n=named.count())
    items = items.mutate(code=ibis.row_number().over(order_by=[ibis.desc(items.n), items.item]))
    coded = baskets.left_join(items.select("item", "code"), "item")
    lists = coded.group_by(coded.basket_id).aggregate(codes=coded.code.collect())
    items = items.cross_join(lists.aggregate(n_baskets=lists.count()))
    keep = items.mutate(support=items.n.cast("float64") / items.n_baskets)
    keep = keep.filter(keep.support >= min_support)
    kept = keep.aggregate(kept=keep.count())  # the kept items are the codes 0 .. kept - 1
    first = lists.filter(lists.codes.length() > 1).cross_join(kept)
    first = first.mutate(a=first.codes.unnest())
    first = first.filter(first.a < first.kept)
    both = first.mutate(b=first.codes.unnest())
    both = both.filter((both.b < both.kept) & (both.a != both.b))
    counts = both.group_by(["a", "b"]).aggregate(n_ab=both.count())
    sa = keep.select(a="code", item_a="item", n_a="n", support_a="support", n_baskets="n_baskets")
    sb = keep.select(b="code", item_b="item", n_b="n", support_b="support")
    rules = counts.join(sa, "a").join(sb, "b")
    rules = rules.mutate(a=rules.item_a, b=rules.item_b)
    confidence = rules.n_ab.cast("float64") / rules.n_a
    support = rules.n_ab.cast("float64") / rules.n_baskets
    rules = rules.mutate(support=support, confidence=confidence)
    rules = rules.mutate(
        lift=rules.confidence / rules.support_b,
        conviction=ibis.cases(
            (rules.confidence < 1, (1 - rules.support_b) / (1 - rules.confidence)), else_=None
        ),
    )
    rules = rules.filter(
        (rules.support >= min_support)
        & (rules.confidence >= min_confidence)
        & (rules.n_ab >= min_count)
    )
    return rules.select(
        "a",
        "b",
        "n_ab",
        "n_a",
        "n_b",
        "n_baskets",
        "support",
        "support_a",
        "support_b",
        "confidence",
        "lift",
        "conviction",
    ).order_by([ibis.desc("lift"), "a", "b"])


def confidence_matrix(baskets: ir.Table) -> ir.Table:
    """P(B|A) for every pair of items (the category heatmap), including A == B as 1."""
    rules = pair_rules(baskets, min_support=0.0)
    return rules.select(a="a", b="b", confidence="confidence", lift="lift", n_ab="n_ab")


def frequent_itemsets(baskets: ir.Table, min_support: float = 0.01, max_len: int = 3) -> ir.Table:
    """Frequent itemsets up to ``max_len`` items: itemset (sorted array), n, support.

    Level k+1 extends, inside each basket, only the k-itemsets found frequent at level k by
    an item greater than their last one, so candidates never leave their basket.
    """
    items = item_support(baskets)
    total = baskets.aggregate(n_baskets=baskets.basket_id.nunique())
    keep = items.filter(items.support >= min_support)
    b = baskets.semi_join(keep, "item")
    frequent = keep.select(itemset=ibis.array([keep.item]), n=keep.n)
    levels = [frequent]
    current = b.select("basket_id", itemset=ibis.array([b.item]), last=b.item)
    for level in range(2, max_len + 1):
        if level > 2:  # keep only the baskets' itemsets found frequent at the last level
            known = frequent.select(known_set="itemset", _n="n")
            current = current.join(known, current.itemset == known.known_set).select(
                "basket_id", "itemset", "last"
            )
        ext = current.join(b, "basket_id").filter(lambda t: t.item > t.last)
        current = ext.select(
            "basket_id", itemset=ext.itemset.concat(ibis.array([ext.item])), last=ext.item
        )
        counted = current.group_by("itemset").aggregate(n=current.count()).cross_join(total)
        frequent = counted.filter(counted.n.cast("float64") / counted.n_baskets >= min_support)
        frequent = frequent.select("itemset", "n")
        levels.append(frequent)
    out = levels[0]
    for extra in levels[1:]:
        out = out.union(extra)
    out = out.cross_join(total)
    return out.mutate(support=out.n.cast("float64") / out.n_baskets, size=out.itemset.length())


def multi_item_rules(
    baskets: ir.Table, min_support: float = 0.01, min_confidence: float = 0.3, max_len: int = 3
) -> ir.Table:
    """Rules {A1..Ak} -> B from frequent itemsets: the consequent is one item."""
    sets = frequent_itemsets(baskets, min_support, max_len)
    big = sets.filter(sets.size >= 2)
    exploded = big.mutate(consequent=big.itemset.unnest())
    exploded = exploded.mutate(
        antecedent=exploded.itemset.filter(lambda x: x != exploded.consequent)
    )
    ante = sets.select(antecedent="itemset", n_ante="n")
    cons = sets.filter(sets.size == 1).select(consequent=ibis._.itemset[0], support_c="support")
    rules = exploded.join(ante, "antecedent").join(cons, "consequent")
    rules = rules.mutate(confidence=rules.n.cast("float64") / rules.n_ante)
    rules = rules.mutate(lift=rules.confidence / rules.support_c)
    return (
        rules.filter(rules.confidence >= min_confidence)
        .select("antecedent", "consequent", "n", "support", "confidence", "lift")
        .order_by([ibis.desc("lift"), ibis._.antecedent.join("\x1f"), "consequent"])
    )


def sequential_rules(
    orders: ir.Table,
    level: str = "category",
    within_days: int = 30,
    min_customers: int = 1,
    keywords: tuple[str, ...] = (),
) -> ir.Table:
    """Bought A, then B within N days: per pair the customers with A, with A->B, confidence
    (share of A-buyers who then bought B) and lift (against the share of all buyers who ever
    bought B)."""
    o = analyzable_orders(orders)
    o = o.mutate(_item=item_column(o, level, keywords)).filter(ibis._._item.notnull())
    firsts = o.group_by(["customer_id", o._item.name("a")]).aggregate(t_a=o.order_date.min())
    later = o.select("customer_id", b=o._item, t_b=o.order_date)
    j = firsts.join(later, "customer_id").filter(
        lambda t: (t.a != t.b) & (t.t_b > t.t_a) & (t.t_b.delta(t.t_a, unit="day") <= within_days)
    )
    hits = j.group_by(["a", "b"]).aggregate(n_ab=j.customer_id.nunique())
    n_a = firsts.group_by("a").aggregate(n_a=firsts.customer_id.nunique())
    buyers = o.aggregate(buyers=o.customer_id.nunique())
    n_b = later.group_by("b").aggregate(n_b=later.customer_id.nunique())
    rules = hits.join(n_a, "a").join(n_b, "b").cross_join(buyers)
    rules = rules.mutate(
        confidence=rules.n_ab.cast("float64") / rules.n_a,
        base_rate=rules.n_b.cast("float64") / rules.buyers,
    )
    rules = rules.mutate(lift=rules.confidence / rules.base_rate, within_days=within_days)
    return rules.filter(rules.n_ab >= min_customers).order_by([ibis.desc("confidence"), "a", "b"])
