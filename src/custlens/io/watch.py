"""Import the files dropped into a folder (``custlens watch``), for shops whose systems export
on a schedule.

Each CSV, XLSX or Parquet file in the folder (not its sub-folders) is imported once it has
not changed for ``settle`` seconds, into the table given or the one its name names
(``orders_2024-06.csv``, ``订单2024-06.xlsx``). An imported file, rejected rows or not, moves
to ``imported/``; a file that could not be imported moves to ``failed/`` with a
``<name>.reasons.txt`` beside it. A file of the same name already there is not overwritten:
the moved file gets the time as a suffix.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from custlens.errors import CustlensError
from custlens.i18n import gettext
from custlens.io.pipeline import import_file
from custlens.io.readers import FORMATS
from custlens.schema.tables import TABLES
from custlens.store.workspace import Workspace

IMPORTED = "imported"
FAILED = "failed"


@dataclass
class WatchOutcome:
    """One file handled: where it went, its table and import id, or why it failed."""

    file: str
    status: str  # imported | partial | failed
    table: str | None
    moved_to: str
    import_id: int | None = None
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    reason: str | None = None


def detect_table(name: str) -> str | None:
    """The table a file's name names (English or Chinese, longest name first), else None.

    Examples
    --------
    >>> detect_table("orders_2024-06.csv"), detect_table("客户名单.xlsx")
    ('orders', 'customers')
    >>> detect_table("campaign_responses.csv"), detect_table("notes.csv") is None
    ('campaign_responses', True)
    """
    stem = Path(name).stem.lower()
    names = [(t.name, t.name) for t in TABLES.values()] + [(t.zh, t.name) for t in TABLES.values()]
    names += [("客户", "customers"), ("订单", "orders"), ("行为", "events"), ("事件", "events")]
    for word, table in sorted(names, key=lambda x: -len(x[0])):
        if word.lower() in stem:
            return table
    return None


def ready_files(folder: Path, settle: float) -> list[Path]:
    """The importable files of ``folder`` unchanged for ``settle`` seconds, oldest first."""
    now = time.time()
    files = [
        p
        for p in Path(folder).iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower() in FORMATS
        and now - p.stat().st_mtime >= settle
    ]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def _move(path: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(exist_ok=True)
    dest = dest_dir / path.name
    if dest.exists():
        dest = dest_dir / f"{path.stem}.{datetime.now():%Y%m%d-%H%M%S-%f}{path.suffix}"
    return path.rename(dest)


def import_folder(
    ws: Workspace,
    folder: str | Path,
    table: str | None = None,
    *,
    settle: float = 2.0,
    lang: str | None = None,
) -> list[WatchOutcome]:
    """Import every ready file of ``folder`` once, moving each to ``imported/`` or ``failed/``.

    Parameters
    ----------
    ws : Workspace
        The workspace imported into.
    folder : str or Path
        The watched folder.
    table : str, optional
        The table of every file; by default found from each file's name.
    settle : float
        Seconds a file must be unchanged (a file still being written is left for later).
    lang : str, optional
        ``zh`` or ``en`` for the reasons.

    Returns
    -------
    list of WatchOutcome
        One per file handled, in the order handled.
    """
    folder = Path(folder)
    lang = lang or ws.settings.lang
    outcomes = []
    for path in ready_files(folder, settle):
        target = table or detect_table(path.name)
        try:
            if target is None:
                raise CustlensError.of(
                    "cannot tell the table from the file name {name}: name it after the table "
                    "(customers, orders, events ...) or pass --table",
                    name=path.name,
                )
            result = import_file(ws, target, path, lang=lang)
        except CustlensError as exc:
            moved = _move(path, folder / FAILED)
            reasons = [exc.message_in(lang)]
            reasons += [p.message for p in getattr(exc, "problems", [])]
            moved.with_name(moved.name + ".reasons.txt").write_text(
                "\n".join(reasons) + "\n", encoding="utf-8"
            )
            outcomes.append(
                WatchOutcome(path.name, "failed", target, str(moved), reason=reasons[0])
            )
            continue
        moved = _move(path, folder / IMPORTED)
        outcomes.append(
            WatchOutcome(
                path.name,
                "partial" if result.rejected else "imported",
                target,
                str(moved),
                result.import_id,
                result.inserted,
                result.updated,
                result.rejected,
                gettext("rejected rows: {path}", lang, path=result.rejects_file)
                if result.rejects_file
                else None,
            )
        )
    return outcomes
