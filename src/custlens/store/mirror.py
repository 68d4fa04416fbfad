"""The Parquet mirror of the workspace tables, which the Spark engine reads: one directory per
table (orders and events partitioned by month), rewritten atomically (a temp directory, then
a rename), without the bookkeeping columns analyses never read."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from custlens.store.sql import quote_literal, quote_name

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

# tables mirrored as Parquet, with the month column they are partitioned by (if any)
PARQUET_PARTITIONS = {"orders": "order_date", "events": "event_date"}
# bookkeeping columns analyses never read: left out of the mirror to keep it small and fast
MIRROR_SKIP = (
    "row_flags",
    "source_row",
    "import_id",
    "order_line_key",
    "event_key",
    "feedback_key",
    "created_at",
    "updated_at",
)


def write_mirror(ws: Workspace, name: str) -> Path:
    """Rewrite the Parquet mirror of one table atomically (temp dir, then rename)."""
    target = ws.parquet_dir / name
    tmp = ws.parquet_dir / f".{name}.{uuid.uuid4().hex}"
    tmp.mkdir(parents=True)
    date_col = PARQUET_PARTITIONS.get(name)
    skip = [c for c in MIRROR_SKIP if c in _columns(ws, name)]
    cols = f"* EXCLUDE ({', '.join(skip)})" if skip else "*"
    if date_col and ws.count(name) > 0:
        sql = (
            f"COPY (SELECT {cols}, strftime({date_col}, '%Y-%m') AS month FROM {quote_name(name)}) "
            f"TO {quote_literal(tmp)} (FORMAT parquet, PARTITION_BY (month), OVERWRITE_OR_IGNORE)"
        )
    else:
        sql = (
            f"COPY (SELECT {cols} FROM {quote_name(name)}) "
            f"TO {quote_literal(tmp / 'data.parquet')} "
            "(FORMAT parquet)"
        )
    ws.con.execute(sql)
    old = None
    if target.exists():
        old = ws.parquet_dir / f".{name}.old.{uuid.uuid4().hex}"
        target.rename(old)
    tmp.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def _columns(ws: Workspace, name: str) -> list[str]:
    rows = ws.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_catalog = current_database()",
        [name],
    ).fetchall()
    return [r[0] for r in rows]
