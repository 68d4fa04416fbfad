"""Masked exports of canonical tables (CSV with BOM or XLSX)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from custlens.errors import UsageError
from custlens.i18n import bilingual
from custlens.i18n.labels import column_label
from custlens.io.cells import neutralise_table
from custlens.io.rejects import write_xlsx
from custlens.privacy.masking import mask_table
from custlens.privacy.policy import MASKED, MaskingPolicy
from custlens.schema.tables import get_table
from custlens.store.sql import quote_name

EXPORT_EXTRA = {"orders": ["order_date", "needs_review", "review_reasons"]}


def fetch_table(con: Any, table_name: str) -> pa.Table:
    """The table's canonical columns (and for orders the review columns), unmasked."""
    table = get_table(table_name)
    names = table.names + EXPORT_EXTRA.get(table.name, [])
    cols = ", ".join('"' + n + '"' for n in names)
    return con.execute(f"SELECT {cols} FROM {quote_name(table.name)}").fetch_arrow_table()


def localise_headers(data: pa.Table, table_name: str, lang: str) -> pa.Table:
    """``data`` with the headers of an export in ``lang``: a Chinese export reads the
    columns' Chinese names (the headers an import recognises), an English one keeps the
    stable snake_case keys."""
    zh = {c.name: c.zh for c in get_table(table_name).columns}
    return data.rename_columns(
        [bilingual(zh.get(n) or column_label(n, "zh"), n, lang) for n in data.column_names]
    )


def write_table(data: pa.Table, out: Path, fmt: str) -> Path:
    """Write ``data`` as CSV (UTF-8 with BOM, for Excel) or XLSX at ``out``, formulas neutralised."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with out.open("wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            pacsv.write_csv(neutralise_table(data), fh)
    elif fmt == "xlsx":
        data = data.cast(pa.schema([pa.field(f.name, _xlsx_type(f.type)) for f in data.schema]))
        write_xlsx(data, out, sheet="data")
    else:
        raise UsageError.of("unknown export format {fmt!r}; expected csv or xlsx", fmt=fmt)
    return out


def _xlsx_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_decimal(t):
        return pa.float64()
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        return pa.string()
    return t


def export_table(
    con: Any,
    table_name: str,
    out: Path,
    fmt: str = "csv",
    lang: str = "zh",
    policy: MaskingPolicy = MASKED,
) -> tuple[Path, int]:
    """Write ``table_name`` masked according to ``policy``; returns (path, rows)."""
    data = mask_table(fetch_table(con, table_name), policy)
    if "text" in data.column_names and not policy.allows("name"):
        data = _mask_free_text(con, data)
    data = localise_headers(data, table_name, lang)
    return write_table(data, out, fmt), data.num_rows


def _mask_free_text(con: Any, data: pa.Table) -> pa.Table:
    """Phone numbers and customers' names inside the ``text`` column (feedback) masked."""
    from custlens.privacy.free_text import mask_free_text
    from custlens.store.free_text import customer_names

    texts = mask_free_text(data.column("text").to_pandas(), customer_names(con))
    i = data.column_names.index("text")
    return data.set_column(i, "text", pa.array(texts, pa.string()))
