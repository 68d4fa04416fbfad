"""The Parquet mirror of the workspace tables, which the Spark engine reads, kept in step
incrementally.

Layout (Hive style, readable by Spark, DuckDB, pyarrow without any connector jar)::

    parquet/<table>/month=2024-05/part-<import>-<id>.parquet   (orders, events)
    parquet/<table>/bucket=07/part-<import>-<id>.parquet       (tables with customer_id)
    parquet/<table>/all/part-<import>-<id>.parquet             (campaigns)
    parquet/<table>/_manifest.json

The manifest lists, per partition, its files, row count and fingerprint (the sum of a hash of
every mirrored column of every row, computed by DuckDB). :func:`sync_mirror` compares the
table's partitions with the manifest in one scan and writes only what changed:

- a partition whose fingerprint is unchanged is left alone;
- a partition that only gained rows of the import being mirrored (the other rows' fingerprint
  is the stored one) gets one new file with just those rows (an append);
- any other change (updated or deleted rows) rewrites that partition only;
- partitions that no longer have rows are dropped.

The mirror exists for Spark alone, so a workspace that only ever runs on DuckDB has none:
imports, ingestion and sentiment scoring keep the mirror in step once it exists
(:func:`mirror_kept`: Spark built it on first use) or when the workspace's engine is Spark.
A DuckDB-only import thereby skips a Parquet copy of its rows (a quarter of a large import's
time, and the disk space of a second copy).

The new manifest replaces the old one atomically (write, then rename): it is the commit point.
Readers use the files it lists, so files of a failed or interrupted sync are ignored (and
removed by the next sync or :func:`compact_mirror`). Because the sync compares content, not an
import log, running it again is harmless and repairs a mirror left behind by a crash.
Bookkeeping columns analyses never read are left out.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from custlens.store.sql import quote_literal, quote_name

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

MANIFEST = "_manifest.json"
BUCKETS = 16
# tables partitioned by month, with their date column; tables with customer_id are bucketed
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


def _columns(ws: Workspace, name: str) -> list[str]:
    rows = ws.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "AND table_catalog = current_database() ORDER BY ordinal_position",
        [name],
    ).fetchall()
    return [r[0] for r in rows]


def _partition_key(name: str, columns: list[str]) -> tuple[str, str] | None:
    """(key, SQL of the value) of the table's Hive-style partitions (``month=2024-05``,
    ``bucket=07``); None for a table kept whole (``all``)."""
    if name in PARQUET_PARTITIONS:
        return "month", f"strftime({quote_name(PARQUET_PARTITIONS[name])}, '%Y-%m')"
    if "customer_id" in columns:
        return "bucket", f"lpad(CAST(hash(customer_id) % {BUCKETS} AS VARCHAR), 2, '0')"
    return None


def _partition_sql(name: str, columns: list[str]) -> str:
    """The SQL expression naming a row's partition directory."""
    key = _partition_key(name, columns)
    return f"'{key[0]}=' || {key[1]}" if key else "'all'"


def read_manifest(ws: Workspace, name: str) -> dict[str, Any]:
    """The table's manifest (``{"partitions": {dir: {files, rows, fingerprint}}}``); empty
    when the table was never mirrored."""
    path = ws.parquet_dir / name / MANIFEST
    if not path.exists():
        return {"table": name, "partitions": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def mirror_files(ws: Workspace, name: str) -> list[Path]:
    """The Parquet files the manifest lists for ``name`` (what readers must read)."""
    root = ws.parquet_dir / name
    parts = read_manifest(ws, name)["partitions"]
    return [root / f for p in sorted(parts) for f in parts[p]["files"]]


def _fingerprints(ws: Workspace, name: str, cols: list[str], import_id: int | None) -> dict:
    """Per partition: rows and fingerprint of all rows, and of the rows not written by
    ``import_id`` (to tell an append from an update)."""
    part = _partition_sql(name, cols)
    row_hash = f"CAST(hash({', '.join(quote_name(c) for c in cols)}) AS HUGEINT)"
    mine = "import_id = $imp" if "import_id" in _columns(ws, name) else "false"
    rows = ws.con.execute(
        f"SELECT {part} AS p, count(*), CAST(sum({row_hash}) AS VARCHAR), "
        f"count(*) FILTER (WHERE {mine}), "
        f"CAST(coalesce(sum({row_hash}) FILTER (WHERE NOT coalesce({mine}, false)), 0) "
        "AS VARCHAR), "
        f"count(*) FILTER (WHERE NOT coalesce({mine}, false)) "
        f"FROM {quote_name(name)} GROUP BY 1",
        {"imp": -1 if import_id is None else import_id} if mine != "false" else None,
    ).fetchall()
    return {
        p: {"rows": n, "fingerprint": fp, "new_rows": new, "old_fingerprint": old_fp, "old": old}
        for p, n, fp, new, old_fp, old in rows
    }


def _write(
    ws: Workspace, name: str, cols: list[str], part: str, import_id: int | None, tag: str
) -> str:
    """Write the rows of partition ``part`` (only those of ``import_id`` when given) as one
    new file; its path relative to the table's directory."""
    rel = f"{part}/part-{tag}-{uuid.uuid4().hex[:12]}.parquet"
    target = ws.parquet_dir / name / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    keep = ", ".join(quote_name(c) for c in cols)
    expr = _partition_sql(name, _columns(ws, name))
    only = "AND import_id = $imp" if import_id is not None else ""
    params: dict[str, Any] = {"part": part}
    if import_id is not None:
        params["imp"] = import_id
    ws.con.sql(
        f"SELECT {keep} FROM {quote_name(name)} WHERE {expr} = $part {only}", params=params
    ).write_parquet(str(target))
    return rel


def _write_parts(
    ws: Workspace,
    name: str,
    cols: list[str],
    parts: list[str],
    import_id: int | None,
    tag: str,
) -> dict[str, list[str]]:
    """Write the rows of every partition in ``parts`` (only those of ``import_id`` when
    given) in one scan of the table (DuckDB's partitioned COPY), a new file or more per
    partition; each partition's files, relative to the table's directory.

    Files are written under a staging directory, then moved into their partitions: none is
    listed until the caller commits the manifest, so an interrupted write leaves only files
    the next sync removes."""
    if not parts:
        return {}
    all_cols = _columns(ws, name)
    key = _partition_key(name, all_cols)
    if key is None or key[0] in cols:  # one partition (``all``), or a column of that name
        return {p: [_write(ws, name, cols, p, import_id, tag)] for p in parts}
    root = ws.parquet_dir / name
    staging = root / f".staging-{uuid.uuid4().hex[:12]}"
    root.mkdir(parents=True, exist_ok=True)
    keep = ", ".join(quote_name(c) for c in cols)
    values = [p.split("=", 1)[1] for p in parts]
    only = "AND import_id = $imp" if import_id is not None else ""
    params: dict[str, Any] = {"values": values}
    if import_id is not None:
        params["imp"] = import_id
    ws.con.execute(
        f"COPY (SELECT {keep}, {key[1]} AS {key[0]} FROM {quote_name(name)} "
        f"WHERE list_contains($values, {key[1]}) {only}) TO {quote_literal(staging)} "
        f"(FORMAT parquet, PARTITION_BY ({key[0]}), FILENAME_PATTERN 'part-{tag}-{{uuid}}')",
        params,
    )
    out: dict[str, list[str]] = {}
    for part in parts:
        (root / part).mkdir(parents=True, exist_ok=True)
        files = sorted((staging / part).glob("*.parquet")) if (staging / part).exists() else []
        for f in files:
            f.replace(root / part / f.name)
        out[part] = [f"{part}/{f.name}" for f in files]
    _remove_dir(staging)
    return out


def _remove_dir(path: Path) -> None:
    """Remove a directory tree left empty (or holding only empty directories)."""
    if not path.exists():
        return
    for d in sorted((p for p in path.rglob("*") if p.is_dir()), reverse=True):
        d.rmdir()
    path.rmdir()


def sync_mirror(ws: Workspace, name: str, import_id: int | None = None) -> dict[str, int]:
    """Bring the mirror of ``name`` in step with the table, writing only what changed.

    Parameters
    ----------
    ws : Workspace
        The open workspace.
    name : str
        A canonical table.
    import_id : int, optional
        The import just committed: partitions that only gained its rows get an appended file.

    Returns
    -------
    dict
        How many partitions were ``kept``, ``appended``, ``rewritten`` and ``dropped``.
    """
    all_cols = _columns(ws, name)
    cols = [c for c in all_cols if c not in MIRROR_SKIP]
    root = ws.parquet_dir / name
    manifest = read_manifest(ws, name)
    before = manifest["partitions"]
    now = _fingerprints(ws, name, cols, import_id)
    tag = str(import_id) if import_id is not None else "sync"
    after: dict[str, dict] = {}
    counts = {"kept": 0, "appended": 0, "rewritten": 0, "dropped": 0}
    appends, rewrites = [], []
    for part, fp in sorted(now.items()):
        old = before.get(part)
        intact = bool(old) and all((root / f).exists() for f in old["files"])
        if intact and (old["rows"], old["fingerprint"]) == (fp["rows"], fp["fingerprint"]):
            after[part] = old
            counts["kept"] += 1
        elif (
            intact
            and fp["new_rows"]
            and (old["rows"], old["fingerprint"]) == (fp["old"], fp["old_fingerprint"])
        ):
            appends.append(part)
        else:
            rewrites.append(part)
    # one scan of the table for all appends, one for all rewrites
    for parts, only, kind in ((appends, import_id, "appended"), (rewrites, None, "rewritten")):
        for part, files in _write_parts(ws, name, cols, parts, only, tag).items():
            fp = now[part]
            kept = before[part]["files"] if kind == "appended" else []
            after[part] = {"rows": fp["rows"], "fingerprint": fp["fingerprint"]}
            after[part]["files"] = [*kept, *files]
            counts[kind] += 1
    if not now:  # an empty table: one empty file keeps the schema readable
        empty = before.get("all") if before.keys() == {"all"} else None
        if empty and empty["rows"] == 0:
            after["all"] = empty
        else:
            after["all"] = {"rows": 0, "fingerprint": "0", "files": [_empty(ws, name, cols, tag)]}
    counts["dropped"] = len(set(before) - set(after))
    _commit(root, {"table": name, "columns": cols, "partitions": after})
    _remove_unlisted(root, after)
    return counts


def mirror_kept(ws: Workspace) -> bool:
    """Whether writes keep the mirror in step: once it exists (its directory: Spark built it),
    when the workspace's engine is Spark or when its location is set (``[spark] mirror``, e.g.
    for a cluster reading it). Otherwise there is no mirror to keep;
    :func:`custlens.store.spark.connect_spark` builds it when Spark first reads the workspace."""
    return (
        ws.settings.engine == "spark" or bool(ws.settings.spark_mirror) or ws.parquet_dir.exists()
    )


def follow(ws: Workspace, name: str, import_id: int | None = None) -> bool:
    """:func:`sync_mirror` where the mirror is kept (:func:`mirror_kept`); whether it ran."""
    if not mirror_kept(ws):
        return False
    sync_mirror(ws, name, import_id)
    return True


def sync_after_import(
    ws: Workspace, name: str, import_id: int, changed: bool, customers_created: int
) -> None:
    """Bring the kept mirrors (:func:`mirror_kept`) in step after import ``import_id`` into
    table ``name``: a file that changed no row leaves it as it was (its rows' flags did not
    change either: they depend on the stored rows alone) unless the table is not mirrored
    yet; customers bring their orders' flags along; orders that created customers bring the
    customers."""
    if changed or not (ws.parquet_dir / name / MANIFEST).exists():
        synced = follow(ws, name, import_id)
        if synced and name == "customers":
            follow(ws, "orders")
    if customers_created:
        follow(ws, "customers")


def _empty(ws: Workspace, name: str, cols: list[str], tag: str) -> str:
    rel = f"all/part-{tag}-{uuid.uuid4().hex[:12]}.parquet"
    target = ws.parquet_dir / name / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    keep = ", ".join(quote_name(c) for c in cols)
    ws.con.execute(
        f"COPY (SELECT {keep} FROM {quote_name(name)} LIMIT 0) TO {quote_literal(target)} "
        "(FORMAT parquet)"
    )
    return rel


def _commit(root: Path, manifest: dict) -> None:
    """Replace the manifest atomically: the moment the new files become the mirror."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{MANIFEST}.{uuid.uuid4().hex}"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    tmp.replace(root / MANIFEST)


def _remove_unlisted(root: Path, partitions: dict) -> None:
    """Delete data files the manifest does not list (superseded or left by a failed sync)."""
    listed = {root / f for p in partitions.values() for f in p["files"]}
    for path in root.rglob("*.parquet"):
        if path not in listed:
            path.unlink(missing_ok=True)
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()


def compact_mirror(ws: Workspace, name: str) -> int:
    """Rewrite every partition of ``name`` that has several files as one file; the number of
    partitions compacted."""
    root = ws.parquet_dir / name
    manifest = read_manifest(ws, name)
    cols = manifest.get("columns") or [c for c in _columns(ws, name) if c not in MIRROR_SKIP]
    several = [p for p, entry in manifest["partitions"].items() if len(entry["files"]) > 1]
    for part, files in _write_parts(ws, name, cols, several, None, "compact").items():
        manifest["partitions"][part]["files"] = files
    done = len(several)
    if done:
        _commit(root, manifest)
        _remove_unlisted(root, manifest["partitions"])
    return done


def mirror_in_step(ws: Workspace, name: str) -> bool:
    """Whether the manifest's partitions match the table's (rows and fingerprints) and every
    file it lists exists: what `custlens doctor` checks."""
    if not (ws.parquet_dir / name / MANIFEST).exists():
        return False
    cols = [c for c in _columns(ws, name) if c not in MIRROR_SKIP]
    listed = read_manifest(ws, name)["partitions"]
    now = _fingerprints(ws, name, cols, None)
    if not now:
        listed = {p: e for p, e in listed.items() if e["rows"]}
    same = {p: (e["rows"], e["fingerprint"]) for p, e in listed.items()} == {
        p: (f["rows"], f["fingerprint"]) for p, f in now.items()
    }
    return same and all(f.exists() for f in mirror_files(ws, name))


def write_mirror(ws: Workspace, name: str) -> Path:
    """Rewrite the whole mirror of one table (``doctor --repair``); its directory."""
    root = ws.parquet_dir / name
    if (root / MANIFEST).exists():
        (root / MANIFEST).unlink()
    sync_mirror(ws, name)
    return root
