"""Reports and CLV data for notebooks: write the HTML / XLSX / PDF report, summarise orders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from custlens.errors import UsageError
from custlens.store.workspace import Workspace

REPORT_FORMATS = ("html", "xlsx", "pdf")


def report(
    ws: Workspace,
    out: str | Path,
    format: str | Sequence[str] = "html",
    lang: str | None = None,
    *,
    period: str | None = None,
    compare: str = "previous",
    sections: Sequence[str] | None = None,
    engine: str | None = None,
) -> list[Path]:
    """Write the customer-analysis report, as `custlens report` does.

    Names and phone numbers never appear unmasked in it.

    Parameters
    ----------
    ws : Workspace
        An open workspace.
    out : str or pathlib.Path
        Output directory (created if missing).
    format : str or sequence of str, default "html"
        ``html``, ``xlsx`` and/or ``pdf``; a comma-separated string works too.
    lang : {"zh", "en"}, optional
        Report language; default the workspace's.
    period : str, optional
        ``2024-Q4``, ``2024-11``, ``2024-10-01..2024-12-31``, ``last-30d`` ...; default the
        last month with data.
    compare : str, default "previous"
        ``previous`` (环比), ``yoy`` (同比) or another period.
    sections : sequence of str, optional
        Only these sections (``summary``, ``quality``, ``customers``, ``value``,
        ``patterns``, ``association``, ``behaviour``, ``clv``); default all.
    engine : {"duckdb", "spark"}, optional
        Where to compute; default the workspace's setting.

    Returns
    -------
    list of pathlib.Path
        The files written, one per format, named
        ``custlens-report-<period>-<lang>.<format>``.

    Examples
    --------
    >>> import tempfile, custlens as cl
    >>> ws = cl.demo_workspace()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = cl.report(ws, tmp, format="html", lang="en", sections=["summary"])
    ...     [p.suffix for p in paths], paths[0].read_text(encoding="utf-8").count("<html")
    (['.html'], 1)
    """
    from custlens.reports.build import build_report

    formats = [f.strip() for f in format.split(",")] if isinstance(format, str) else list(format)
    if any(f not in REPORT_FORMATS for f in formats):
        raise UsageError.of("format must be one of {formats}", formats=", ".join(REPORT_FORMATS))
    lg = lang or ws.settings.lang
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    built = build_report(ws, period, compare, list(sections) if sections else None, lg, engine)
    stem = f"custlens-report-{built.period.replace('..', '_')}-{lg}"
    return [_write(built, f, folder / f"{stem}.{f}") for f in formats]


def _write(built: object, fmt: str, path: Path) -> Path:
    """Render the built report in one format."""
    if fmt == "html":
        from custlens.reports.html import write_html

        return write_html(built, path)
    if fmt == "xlsx":
        from custlens.reports.xlsx import write_xlsx

        return write_xlsx(built, path)
    from custlens.reports.pdf import write_pdf

    return write_pdf(built, path)


def clv_summary(
    data: Workspace | pd.DataFrame,
    time_unit: str = "W",
    calibration_end: str | dt.date | None = None,
    observation_end: str | dt.date | None = None,
    engine: str | None = None,
) -> pd.DataFrame:
    """Per-customer frequency, recency, T and monetary value, the input of the CLV models.

    Parameters
    ----------
    data : Workspace or pandas.DataFrame
        A workspace (its analysable orders), or transactions with ``customer_id``,
        ``order_date`` and ``amount`` columns (such as :func:`load_cdnow`).
    time_unit : {"D", "W", "M"}, default "W"
        Unit of recency and T: days, weeks or months of 30.4375 days.
    calibration_end : str or datetime.date, optional
        Last day the models learn from; default the last order.
    observation_end : str or datetime.date, optional
        Last day of the data (with ``calibration_end``, the holdout period is in between).
    engine : {"duckdb", "spark"}, optional
        Where a workspace's orders are aggregated to one row per customer and purchase day;
        default the workspace's ``engine`` setting. The summary is then computed here from
        those rows, the same on either engine.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``frequency`` (repeat purchase days), ``recency``,
        ``T``, ``monetary_value`` (mean repeat spend), with the time unit in ``.attrs``.

    Examples
    --------
    >>> import custlens as cl
    >>> summary = cl.clv_summary(cl.load_cdnow(), calibration_end="1997-09-30")
    >>> summary.shape, int(summary["frequency"].sum())
    ((2357, 4), 2457)
    """
    from custlens.analytics.clv.summary import orders_frame, summary_from_orders

    orders = orders_frame(data.table("orders", engine)) if isinstance(data, Workspace) else data
    return summary_from_orders(
        orders,
        time_unit=time_unit,
        calibration_end=calibration_end,
        observation_end=observation_end,
    )
