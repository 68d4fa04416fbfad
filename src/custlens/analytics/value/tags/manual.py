"""Manual tags: the customers' 标签 column plus ``custlens tags add|remove``.

``manual_tags`` rows (customer_id, tag, category, weight, action) override the imported
ones: ``add`` assigns a tag with its weight, ``remove`` hides a tag imported from the
customers' 标签 column. Rule tags are recomputed on every analysis and cannot be removed
by hand (edit the rule instead).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

SEPARATORS = r"[,，、;；]"
MANUAL_CATEGORY = "manual"


def imported_tags(customers: ir.Table, weight: float = 1.0) -> ir.Table:
    """customer_id, tag, category, weight, source='import' from customers.tags."""
    c = customers.filter(customers.tags.notnull())
    parts = c.select("customer_id", part=c.tags.re_split(SEPARATORS)).unnest("part")
    parts = parts.mutate(tag=parts.part.strip())
    parts = parts.filter(parts.tag != "")
    return parts.select(
        customer_id=parts.customer_id.cast("string"),
        tag=parts.tag.cast("string"),
        category=ibis.literal(MANUAL_CATEGORY, "string"),
        weight=ibis.literal(float(weight), "float64"),
        source=ibis.literal("import", "string"),
    ).distinct(on=["customer_id", "tag"], keep="first")


def combine_manual(imported: ir.Table, manual: ir.Table) -> ir.Table:
    """Imported tags minus removed ones, plus added ones (added weights win)."""
    keys = ["customer_id", "tag"]
    overridden = manual.select(*keys)
    kept = imported.anti_join(overridden, keys)
    added = manual.filter(manual.action == "add")
    added = added.select(
        customer_id=added.customer_id.cast("string"),
        tag=added.tag.cast("string"),
        category=added.category.fill_null(MANUAL_CATEGORY),
        weight=added.weight.fill_null(1.0).cast("float64"),
        source=ibis.literal("manual", "string"),
    )
    return kept.union(added)
