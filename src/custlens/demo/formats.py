"""Vectorised text formatting: numbers, ids, dates and money become Arrow string arrays.

Every table of the demo world is held as ``dict[str, pa.Array]`` of strings (nulls are blank
cells), exactly as the cells will appear in a CSV file. Fixed-width values (ids, timestamps)
are built as a byte matrix in NumPy, which is much faster than per-value formatting.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SECONDS_PER_DAY = 86_400
NULL = pa.scalar(None, pa.string())
# numbers added to the ids of these prefixes (``C``, ``O``, ...): a world generated in chunks
# numbers each chunk's ids after the previous chunks' (see ``custlens.demo.chunked``)
ID_OFFSETS: dict[str, int] = {}


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) uint8 matrix."""
    values = np.asarray(values, dtype=np.int64)
    out = np.empty((values.size, width), dtype=np.uint8)
    rest = values.copy()
    for j in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        out[:, j] = digit
    out += 48
    return out


def _literal(text: str, n: int) -> np.ndarray:
    raw = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return np.broadcast_to(raw, (n, raw.size))


def _from_matrix(matrix: np.ndarray) -> pa.Array:
    """Rows of a uint8 matrix (each a UTF-8 string of the same byte length) -> string array."""
    n, width = matrix.shape
    data = np.ascontiguousarray(matrix).tobytes()
    large = n * width >= 2**31 - 1
    offsets = np.arange(n + 1, dtype=np.int64 if large else np.int32) * width
    kind = pa.large_string() if large else pa.string()
    return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``format_ids("C", [1, 2], 6)`` -> ``["C000001", "C000002"]``."""
    numbers = np.asarray(numbers, dtype=np.int64) + ID_OFFSETS.get(prefix, 0)
    return _from_matrix(np.hstack([_literal(prefix, numbers.size), _digits(numbers, width)]))


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    years = d.astype("datetime64[Y]")
    months = d.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, day


def format_dates(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 -> ``YYYY-MM-DD``."""
    y, m, d = _ymd(days)
    n = y.size
    dash = _literal("-", n)
    return _from_matrix(np.hstack([_digits(y, 4), dash, _digits(m, 2), dash, _digits(d, 2)]))


def format_datetimes(seconds: np.ndarray) -> pa.Array:
    """Seconds since 1970-01-01 (local wall time) -> ``YYYY-MM-DD HH:MM:SS``."""
    seconds = np.asarray(seconds, dtype=np.int64)
    days, sod = np.divmod(seconds, SECONDS_PER_DAY)
    y, m, d = _ymd(days)
    n = seconds.size
    dash, colon = _literal("-", n), _literal(":", n)
    parts = [
        _digits(y, 4),
        dash,
        _digits(m, 2),
        dash,
        _digits(d, 2),
        _literal(" ", n),
        _digits(sod // 3600, 2),
        colon,
        _digits(sod // 60 % 60, 2),
        colon,
        _digits(sod % 60, 2),
    ]
    return _from_matrix(np.hstack(parts))


def _join(*parts: pa.Array | str) -> pa.Array:
    args = [pa.scalar(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, "")


def format_dates_variant(days: np.ndarray, variant: np.ndarray) -> pa.Array:
    """Non-standard dates: variant 0 ``2024/1/5``, 1 ``2024年1月5日``, 2 ``20240105``."""
    y, m, d = (format_ints(v) for v in _ymd(days))
    slash = _join(y, "/", m, "/", d)
    chinese = _join(y, "年", m, "月", d, "日")
    compact = pc.replace_substring(format_dates(days), "-", "")
    variant = pa.array(np.asarray(variant))
    return pc.case_when(
        pc.make_struct(pc.equal(variant, 0), pc.equal(variant, 1)), slash, chinese, compact
    )


def format_datetimes_variant(seconds: np.ndarray, variant: np.ndarray) -> pa.Array:
    """Non-standard timestamps: 0 ``2024/1/5 20:13`` (minutes), 1 ``2024年1月5日 20:13:05``."""
    seconds = np.asarray(seconds, dtype=np.int64)
    days = seconds // SECONDS_PER_DAY
    y, m, d = (format_ints(v) for v in _ymd(days))
    clock = format_datetimes(seconds)
    hhmm = pc.utf8_slice_codeunits(clock, 11, 16)
    hhmmss = pc.utf8_slice_codeunits(clock, 11, 19)
    slash = _join(y, "/", m, "/", d, " ", hhmm)
    chinese = _join(y, "年", m, "月", d, "日 ", hhmmss)
    return pc.if_else(pa.array(np.asarray(variant) == 0), slash, chinese)


def format_ints(values: np.ndarray) -> pa.Array:
    """Integers as text cells."""
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def format_fixed(units: np.ndarray, scale: int) -> pa.Array:
    """Integers in 10**-scale units -> decimal text: ``format_fixed([12345], 2)`` -> ``123.45``."""
    units = np.asarray(units, dtype=np.int64)
    words = np.empty(units.size * 2, dtype=np.int64)
    words[0::2] = units
    words[1::2] = np.where(units < 0, -1, 0)
    arr = pa.Array.from_buffers(
        pa.decimal128(18, scale), units.size, [None, pa.py_buffer(words.tobytes())]
    )
    return arr.cast(pa.string())


def format_money(cents: np.ndarray) -> pa.Array:
    """Amounts in cents as text with two decimals (``12345`` -> ``123.45``)."""
    return format_fixed(cents, 2)


def take_text(vocab: list[str], index: np.ndarray) -> pa.Array:
    """Strings ``vocab[index]``; a negative index gives a blank (null) cell."""
    index = np.asarray(index, dtype=np.int64)
    mask = index < 0
    if not len(vocab):
        return pa.nulls(index.size, pa.string())
    out = pc.take(pa.array(vocab, pa.string()), pa.array(np.where(mask, 0, index)))
    return blank_where(out, mask) if mask.any() else out


def dict_text(vocab: list[str] | pa.Array, index: np.ndarray) -> pa.Array:
    """Like ``take_text`` but dictionary-encoded: cheap for long columns of few values.

    Written to CSV and Parquet (without the Arrow schema) it is plain text.
    """
    index = np.asarray(index)
    if not len(vocab):
        vocab = [""]  # every index is -1: all blank
    if not isinstance(vocab, pa.Array):  # a dictionary must not repeat values
        first = {v: i for i, v in reversed(list(enumerate(vocab)))}
        unique = sorted(first, key=first.get)
        remap = np.array([unique.index(v) for v in vocab] + [-1])
        index = remap[np.where(index < 0, len(vocab), index)]
        vocab = pa.array(unique, pa.string())
    mask = index < 0
    indices = pa.array(np.where(mask, 0, index).astype(np.int32), mask=mask if mask.any() else None)
    values = vocab
    return pa.DictionaryArray.from_arrays(indices, values)


def dict_fixed(units: np.ndarray, scale: int) -> pa.Array:
    """``format_fixed`` for long columns with few distinct values (e.g. dwell seconds)."""
    values, index = np.unique(np.asarray(units, dtype=np.int64), return_inverse=True)
    return dict_text(format_fixed(values, scale), index)


def blank_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """Replace values by blanks (nulls) where ``mask`` is true."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), NULL, values)


def bool_text(values: np.ndarray, headers: str) -> pa.Array:
    """Booleans as 是/否 (Chinese headers) or true/false."""
    words = ["否", "是"] if headers == "zh" else ["false", "true"]
    return take_text(words, np.asarray(values, dtype=np.int64))
