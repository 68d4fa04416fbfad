"""Tag statistics: customers and share per tag, overlap between tags, rare-tag merging."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from custlens.analytics.value.tags.rules import TagRule


def tag_stats(tags: ir.Table, customers: int, min_share: float = 0.01) -> ir.Table:
    """tag, category, customers, share, weight, rare (share < ``min_share``), by size.

    One row per tag name, as the customer list filters by it: a name both imported and given
    by a rule counts each customer once, its categories listed together (``behaviour,
    manual``)."""
    g = tags.group_by("tag").aggregate(
        customers=tags.customer_id.nunique(),
        weight=tags.weight.max(),
        category=tags.category.collect(distinct=True).sort().join(", "),
    )
    share = g.customers / ibis.literal(max(int(customers), 1), "int64")
    g = g.mutate(share=share, rare=share < ibis.literal(float(min_share), "float64"))
    return g.order_by([ibis.desc("customers"), "tag"])


def tag_overlap(tags: ir.Table, min_customers: int = 1) -> ir.Table:
    """Pairs of tags: customers holding both, each tag's size, share of each, Jaccard index.

    ``share_of_a`` = both / customers(a): how much of tag a also carries tag b.
    """
    t = tags.select("customer_id", "tag").distinct()
    sizes = t.group_by("tag").aggregate(n=t.count())
    a = t.rename(tag_a="tag")
    b = t.rename(tag_b="tag")
    pairs = a.join(b, (a.customer_id == b.customer_id) & (a.tag_a < b.tag_b))
    both = pairs.group_by(["tag_a", "tag_b"]).aggregate(both=pairs.count())
    both = both.filter(both.both >= min_customers)
    sa = sizes.rename(tag_a="tag", customers_a="n")
    sb = sizes.rename(tag_b="tag", customers_b="n")
    out = both.join(sa, "tag_a").join(sb, "tag_b")
    return out.mutate(
        share_of_a=out.both / out.customers_a,
        share_of_b=out.both / out.customers_b,
        jaccard=out.both / (out.customers_a + out.customers_b - out.both),
    ).order_by([ibis.desc("both"), "tag_a", "tag_b"])


def merge_targets(
    stats_rows: list[dict], rules: list[TagRule], other_name: str = "其他"
) -> dict[str, str]:
    """Rare tag -> the tag it merges into: its rule's ``parent``, else ``other_name``."""
    parents = {r.name: r.parent for r in rules}
    return {row["tag"]: parents.get(row["tag"]) or other_name for row in stats_rows if row["rare"]}


def merge_rare_tags(tags: ir.Table, targets: dict[str, str]) -> ir.Table:
    """Relabel rare tags (``merge_targets``); one row per customer and resulting tag."""
    if not targets:
        return tags
    merged = tags.mutate(
        tag=tags.tag.substitute(targets, else_=tags.tag),
        category=ibis.ifelse(tags.tag.isin(list(targets)), "merged", tags.category),
    )
    return (
        merged.group_by(["customer_id", "tag", "source"])
        .aggregate(category=merged.category.min(), weight=merged.weight.max())
        .select(*["customer_id", "tag", "category", "weight", "source"])
    )
