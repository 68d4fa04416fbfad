"""The one masking module used by every output path (CLI, exports, reports, web).

name 张三丰 -> 张**; phone 13812345678 -> 138****1234; email alice@example.com ->
a***@example.com. Vectorised with pyarrow.compute; also usable on scalars.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from custlens.privacy.policy import MaskingPolicy
from custlens.schema.tables import TABLES


def mask_name(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Names masked after the first character: 张三丰 -> 张**."""
    first = pc.utf8_slice_codeunits(values, 0, 1)
    rest = pc.max_element_wise(pc.subtract(pc.utf8_length(values), 1), 1)
    return pc.binary_join_element_wise(first, pc.binary_repeat("*", rest), "")


def mask_phone(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Phone numbers masked in the middle: 13812345678 -> 138****5678 (short ones fully)."""
    head = pc.utf8_slice_codeunits(values, 0, 3)
    tail = pc.utf8_slice_codeunits(values, -4)
    short = pc.less(pc.utf8_length(values), 8)
    masked = pc.binary_join_element_wise(head, "****", tail, "")
    return pc.if_else(short, pc.binary_repeat("*", pc.utf8_length(values)), masked)


def mask_email(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """E-mail addresses masked before the @: alice@example.com -> a***@example.com."""
    masked = pc.replace_substring_regex(values, pattern=r"^(.)[^@]*(@.*)$", replacement=r"\1***\2")
    return pc.if_else(pc.match_substring(values, "@"), masked, "***")


MASKERS = {"name": mask_name, "phone": mask_phone, "email": mask_email}


def mask_value(kind: str, value: str | None) -> str | None:
    """One value masked as a ``kind`` (name, phone or email) value; None stays None."""
    if value is None:
        return None
    return MASKERS[kind](pa.array([value], pa.string()))[0].as_py()


def mask_table(
    table: pa.Table, policy: MaskingPolicy | None = None, columns: dict[str, str] | None = None
) -> pa.Table:
    """Mask every PII column of an Arrow table unless ``policy`` allows it unmasked.

    ``columns`` maps column names to PII kinds (default: every canonical PII column name,
    matched by English name or Chinese display name).
    """
    policy = policy or MaskingPolicy()
    columns = columns or _all_pii_names()
    for i, name in enumerate(table.column_names):
        kind = columns.get(name)
        if kind and not policy.allows(kind):
            col = pc.cast(table.column(i), pa.string())
            table = table.set_column(i, name, MASKERS[kind](col))
    return table


def _all_pii_names() -> dict[str, str]:
    out = {}
    for t in TABLES.values():
        for c in t.columns:
            if c.pii:
                out[c.name] = c.pii
                out[c.zh] = c.pii
                out[c.en] = c.pii
    return out
