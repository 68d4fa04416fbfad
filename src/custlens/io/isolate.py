"""Parse a file to import in a child process held to a memory and a time limit.

Some parser failures are not exceptions: calamine (the Excel reader) aborts the whole process
when an allocation fails, and any native reader may run out of memory or loop on a damaged
file. The web server must survive every upload, so the file is read by a child Python process
(``python -m custlens.io.isolate``) under ``RLIMIT_AS`` (address space) and ``RLIMIT_CPU``
plus a wall-clock timeout. The child writes the file's columns, as text and in file order, to
a Parquet file that the import then loads; a child that dies becomes an
:class:`~custlens.errors.InputError` ("the reader stopped") and the caller carries on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from custlens.config import ImportLimits
from custlens.errors import InputError
from custlens.i18n import gettext as _

STDERR_TAIL = 2000  # characters of the child's stderr kept in the message's log


def read_isolated(
    path: Path, sheet: str | None, limits: ImportLimits, lang: str, tmpdir: Path
) -> tuple[Path, object]:
    """Read ``path`` in a child process into ``tmpdir/<stem>.parsed.parquet``.

    Parameters
    ----------
    path : Path
        The file to import (CSV, XLSX or Parquet).
    sheet : str, optional
        The Excel sheet, by name or 1-based number.
    limits : ImportLimits
        Checks before reading, and the child's memory (``parse_memory_mb``) and time
        (``parse_seconds``).
    lang : str
        ``zh`` or ``en`` for messages.
    tmpdir : Path
        Where the Parquet file is written (the caller deletes it).

    Returns
    -------
    tuple of (Path, SourceFile)
        The Parquet file (every column VARCHAR, rows in file order) and what was read.

    Raises
    ------
    InputError
        The file failed a check, could not be read, or the child died or ran out of time.
    """
    from custlens.io.readers import SourceFile

    out = Path(tmpdir) / f"{path.stem}.parsed.parquet"
    job = {
        "path": str(path),
        "sheet": sheet,
        "out": str(out),
        "limits": asdict(limits),
        "lang": lang,
        "tmpdir": str(tmpdir),
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", "custlens.io.isolate", json.dumps(job)],
            capture_output=True,
            timeout=limits.parse_seconds,
            env=_child_env(),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out.unlink(missing_ok=True)
        raise InputError(
            _(
                "{name}: reading the file took longer than {seconds:,} s; it was stopped",
                lang,
                name=path.name,
                seconds=limits.parse_seconds,
            )
        ) from exc
    answer = _answer(done.stdout)
    if done.returncode == 0 and "columns" in answer:
        return out, SourceFile(
            path,
            answer["fmt"],
            answer["columns"],
            answer["encoding"],
            answer["delimiter"],
            answer["sheet"],
        )
    out.unlink(missing_ok=True)
    if "error" in answer:
        raise InputError(answer["error"])
    raise InputError(
        _(
            "{name}: the file could not be read (the reader stopped: {reason}); it may be "
            "damaged, or need more than {mb:,} MB of memory",
            lang,
            name=path.name,
            reason=_reason(done.returncode),
            mb=limits.parse_memory_mb,
        ),
    )


def _answer(stdout: bytes) -> dict:
    lines = stdout.decode("utf-8", errors="replace").strip().splitlines()
    try:
        return json.loads(lines[-1]) if lines else {}
    except ValueError:
        return {}


def _reason(code: int) -> str:
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


def _child_env() -> dict[str, str]:
    """The parent's environment with this custlens first on the path."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env["RUST_BACKTRACE"] = "0"
    return env


def _limit_child(limits: ImportLimits) -> None:
    import resource

    memory = limits.parse_memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = limits.parse_seconds + 5
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def _child(job: dict) -> dict:
    limits = ImportLimits(**job["limits"])
    _limit_child(limits)
    import duckdb

    from custlens.io.readers import open_source
    from custlens.store.sql import quote_literal

    lang = job["lang"]
    try:
        con = duckdb.connect()
        # DuckDB keeps well inside the address-space limit and spills beyond it
        con.execute(f"SET memory_limit = '{max(limits.parse_memory_mb // 4, 64)}MB'")
        con.execute(f"SET temp_directory = {quote_literal(job['tmpdir'])}")
        con.execute("SET preserve_insertion_order = true")
        rel, src = open_source(
            con, Path(job["path"]), job["sheet"], Path(job["tmpdir"]), limits=limits, lang=lang
        )
        rel.write_parquet(job["out"])
    except InputError as exc:
        return {"error": str(exc)}
    except duckdb.Error as exc:
        from custlens.io.readers import read_error_message

        return {"error": read_error_message(Path(job["path"]), exc, limits, lang)}
    return {
        "fmt": src.fmt,
        "columns": src.columns,
        "encoding": src.encoding,
        "delimiter": src.delimiter,
        "sheet": src.sheet,
    }


if __name__ == "__main__":
    answer = _child(json.loads(sys.argv[1]))
    sys.stdout.write("\n" + json.dumps(answer, ensure_ascii=False) + "\n")
    sys.exit(0 if "columns" in answer else 3)
