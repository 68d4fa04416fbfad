"""Orders for `custlens clv` and `custlens churn`: from a CSV/Parquet file or the workspace,
and JSON-ready rows of their results."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from custlens.cli.common import workspace
from custlens.errors import InputError
from custlens.records import json_ready

if TYPE_CHECKING:
    import pandas as pd


def read_frame(path: Path) -> pd.DataFrame:
    """A CSV (encoding and delimiter detected, every cell text) or Parquet file as it is."""
    import pandas as pd

    from custlens.io.readers import SAMPLE_BYTES, detect_delimiter, detect_encoding, detect_format

    if not path.exists():
        raise InputError.of("{path}: file not found", path=path)
    fmt = detect_format(path)
    if fmt == "parquet":
        frame = pd.read_parquet(path)
    elif fmt == "csv":
        with path.open("rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        encoding = detect_encoding(sample)
        first = sample.decode(encoding, errors="ignore").lstrip("\ufeff").splitlines() or [""]
        sep = detect_delimiter(first[0])
        frame = pd.read_csv(path, encoding=encoding, sep=sep, dtype=str)
    else:
        raise InputError.of(
            "{file}: use CSV or Parquet here (import XLSX into a workspace)", file=path.name
        )
    return frame


def read_file(path: Path, columns: str | None) -> pd.DataFrame:
    """customer_id, order_date, amount (+ order_id, category when present) from a file."""
    from custlens.io.mapping import build_mapping
    from custlens.schema.tables import TABLES

    frame = read_frame(path)
    mapped = build_mapping(TABLES["orders"], [str(c) for c in frame.columns]).columns
    if columns:
        names = [c.strip() for c in columns.split(",")]
        if len(names) != 3:
            raise InputError.of("--columns needs three names: customer,date,amount")
    else:
        date = mapped.get("order_date") or mapped.get("order_time")
        names = [mapped.get("customer_id"), date, mapped.get("amount")]
        if None in names:
            raise InputError.of(
                "{file}: cannot find the customer, date and amount columns among {columns}; "
                "pass --columns customer,date,amount",
                file=path.name,
                columns=", ".join(map(str, frame.columns)),
            )
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise InputError.of(
            "{file}: no column(s) {columns}", file=path.name, columns=", ".join(missing)
        )
    out = frame[names].set_axis(["customer_id", "order_date", "amount"], axis=1)
    for extra in ("order_id", "category"):
        if mapped.get(extra) in frame.columns:
            out[extra] = frame[mapped[extra]]
    return out


def read_orders(src: tuple, churn: bool = False) -> tuple[pd.DataFrame, Any]:
    """Orders frame and feedback (workspace only, or None); src = (file, columns, ws, engine)."""
    file, columns, ws_path, engine = src
    if file is not None:
        return read_file(file, columns), None
    from custlens.analytics.churn.orders import churn_orders_frame
    from custlens.analytics.clv.summary import orders_frame

    ws = workspace(ws_path)
    eng = engine.value if engine else None
    table = ws.table("orders", eng)
    frame = churn_orders_frame(table) if churn else orders_frame(table)
    feedback = None
    if churn and ws.count("feedback"):
        fb = ws.table("feedback", eng)
        feedback = fb.select("customer_id", "feedback_time", "feedback_type", "rating").to_pyarrow()
    return frame, feedback


def rounded(rows: list[dict], digits: int) -> list[dict]:
    return [
        {k: round(v, digits) if isinstance(v, float) else v for k, v in r.items()} for r in rows
    ]


def rows(frame: pd.DataFrame, index: bool = True, digits: int | None = None) -> list[dict]:
    out = json_ready((frame.reset_index() if index else frame).to_dict(orient="records"))
    return out if digits is None else rounded(out, digits)
