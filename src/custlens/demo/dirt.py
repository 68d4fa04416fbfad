"""Planted dirt: each dirty row carries exactly one problem and the clean data stays intact.

Customers (about ``dirty_rate`` of the rows, a quarter per kind): ``duplicate_row`` (an exact
copy of a clean row, placed after it), ``invalid_phone`` (10 or 12 digits, or starting with 12),
``missing_required`` (name or phone blank) and ``mixed_date_format`` (registration date written
``2024/1/5``, ``2024年1月5日`` or ``20240105``; still valid, counted but not an error). Each kind
hits different customers.

Orders (an eighth of ``dirty_rate`` per kind): dirty rows are *added* copies of clean lines;
all but ``duplicate_row`` get a fresh ``D…`` order id. ``mixed_date_format`` rewrites the time
of clean lines as ``2024/1/5 20:13`` or ``2024年1月5日 20:13:05`` (same minute, not an error).
A negated amount also breaks quantity × price − discount: report it as negative_amount only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custlens.demo import formats as F
from custlens.demo.timeline import to_days

CUSTOMER_KINDS = ("duplicate_row", "invalid_phone", "missing_required", "mixed_date_format")
ORDER_KINDS = (
    "duplicate_row",
    "missing_required",
    "negative_amount",
    "zero_quantity",
    "amount_mismatch",
    "test_order",
    "future_date",
    "mixed_date_format",
)
NOT_ERRORS = ("mixed_date_format",)
FUTURE_RANGE = (date(2031, 1, 1), date(2036, 1, 1))


def _counts(rows: int, rate: float, kinds: int) -> int:
    """Rows per kind: round(rate / kinds * rows), at most rows // kinds."""
    return min(round(rate / kinds * rows), rows // kinds)


def _replace(values: pa.Array, positions: np.ndarray, new: pa.Array) -> pa.Array:
    """Put ``new`` (ordered like sorted ``positions``) at ``positions``."""
    order = np.argsort(positions, kind="stable")
    mask = np.zeros(len(values), dtype=bool)
    mask[positions] = True
    return pc.replace_with_mask(values, pa.array(mask), new.take(pa.array(order)))


def _invalid_phones(rng: np.random.Generator, n: int) -> pa.Array:
    kind = rng.integers(0, 3, n)
    ten = rng.integers(13 * 10**8, 2 * 10**9, n)
    twelve = rng.integers(13 * 10**10, 2 * 10**11, n)
    starts_12 = rng.integers(12 * 10**9, 13 * 10**9, n)
    return F.format_ints(np.choose(kind, [ten, twelve, starts_12]))


def apply_customer_dirt(
    rng: np.random.Generator, columns: dict[str, pa.Array], reg_days: np.ndarray, rate: float
) -> tuple[dict, dict, list]:
    """Returns the dirty columns, counts per kind and the dirty rows.

    The rows are ``{"row", "code", "index"}`` arrays: file row (the header is row 1), index
    into CUSTOMER_KINDS and the clean customer's index.
    """
    n = len(columns["customer_id"])
    k = _counts(n, rate, len(CUSTOMER_KINDS))
    picked = rng.choice(n, size=4 * k, replace=False)
    dup_src, bad_phone, missing, mixed = np.split(picked, 4)
    out = dict(columns)
    out["phone"] = _replace(out["phone"], bad_phone, _invalid_phones(rng, k))
    blank_name = rng.random(k) < 0.5
    out["name"] = F.blank_where(out["name"], np.isin(np.arange(n), missing[blank_name]))
    out["phone"] = F.blank_where(out["phone"], np.isin(np.arange(n), missing[~blank_name]))
    out["registration_date"] = _replace(
        out["registration_date"],
        mixed,
        F.format_dates_variant(reg_days[mixed], rng.integers(0, 3, k)),
    )

    # duplicates go somewhere after their original
    key = np.concatenate(
        [np.arange(n, dtype=float), dup_src + 0.5 + rng.random(k) * (n - 1 - dup_src)]
    )
    source = np.concatenate([np.arange(n), dup_src])
    order = np.argsort(key, kind="stable")
    source = source[order]
    out = {c: v.take(pa.array(source)) for c, v in out.items()}
    row_of = np.empty(n, dtype=np.int64)
    is_copy = order >= n
    row_of[source[~is_copy]] = np.flatnonzero(~is_copy)
    copies = np.flatnonzero(is_copy)
    index = np.concatenate([source[copies], bad_phone, missing, mixed])
    records = {
        "row": np.concatenate([copies, row_of[index[copies.size :]]]) + 2,
        "code": np.repeat(np.arange(len(CUSTOMER_KINDS)), k),
        "index": index,
    }
    counts = {c: k for c in CUSTOMER_KINDS}
    return out, counts, records


@dataclass
class OrderRows:
    """The rows of the orders file: a clean line index per row plus what was changed."""

    source: np.ndarray  # clean line index
    code: np.ndarray  # index into ORDER_KINDS, -1 for a clean row
    dirty_number: np.ndarray  # 1-based number of the D order, 0 for clean rows/duplicates
    time_variant: np.ndarray  # -1 standard, 0 ``2024/1/5 20:13``, 1 ``2024年1月5日 20:13:05``
    future_second: np.ndarray  # replacement order time for future_date rows
    offset: np.ndarray  # cents added for amount_mismatch rows
    counts: dict


def plan_order_rows(rng: np.random.Generator, line_order: np.ndarray, rate: float) -> OrderRows:
    """Choose the order lines that get each kind of planted problem, ``rate`` of them in all."""
    m = line_order.size
    k = _counts(m, rate, len(ORDER_KINDS))
    picked = rng.choice(m, size=len(ORDER_KINDS) * k, replace=False)
    code = np.repeat(np.arange(len(ORDER_KINDS)), k)
    mixed_code = ORDER_KINDS.index("mixed_date_format")
    add = code != mixed_code
    src, add_code = picked[add], code[add]
    time_variant = np.full(m, -1)
    time_variant[picked[~add]] = rng.integers(0, 2, k)

    # a copy goes right after the last line of its source order
    last_line = np.searchsorted(line_order, line_order[src], side="right") - 1
    key = np.concatenate([np.arange(m, dtype=float), last_line + 0.5 + 0.4 * rng.random(src.size)])
    order = np.argsort(key, kind="stable")
    source = np.concatenate([np.arange(m), src])[order]
    row_code = np.concatenate([np.where(time_variant >= 0, mixed_code, -1), add_code])[order]
    is_copy = order >= m
    fresh = is_copy & (row_code != ORDER_KINDS.index("duplicate_row"))
    dirty_number = np.zeros(source.size, dtype=np.int64)
    dirty_number[fresh] = np.arange(1, int(fresh.sum()) + 1)
    lo, hi = (to_days(d) * 86_400 for d in FUTURE_RANGE)
    return OrderRows(
        source=source,
        code=row_code,
        dirty_number=dirty_number,
        time_variant=np.where(is_copy, -1, time_variant[source]),
        future_second=rng.integers(lo, hi, source.size),
        offset=rng.integers(100, 5_001, source.size),
        counts={c: k for c in ORDER_KINDS},
    )
