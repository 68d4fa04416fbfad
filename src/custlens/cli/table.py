"""Terminal tables: every column formatted by its unit, headers and codes in the language of
the workspace, and a table that fits the terminal (or one record per block).

The one place where the CLI turns rows into text (``custlens.cli.common.emit`` calls it):
commands pass rows with the stable English keys and codes that JSON and CSV carry, and get

* headers from the catalogue (``repurchase_rate`` -> 复购率 / Repurchase rate),
* codes of known code columns in words (``segment``, ``stage``, ``status``, problem ``code``,
  audit ``action`` ...; ``custlens.i18n.labels``),
* numbers by unit (``custlens.i18n.units``): counts ``1,919``, money in the workspace's
  currency, rates ``12.3%``, rate changes ``+2.1个百分点`` / ``+2.1 pp``, seconds ``3分12秒``,
  p-values ``< 0.001``,
* a table no wider than the terminal whose numbers never break across lines; a table that
  cannot fit is shown one record per block, and ``--wide`` prints every column at full width.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from custlens.i18n import gettext, normalise_lang
from custlens.i18n.labels import code_label, column_label, is_code_column
from custlens.i18n.units import format_text, format_value, unit_of
from custlens.records import known

# columns whose numbers take the unit of the row's metric (KPI tables, comparisons)
_BY_METRIC = frozenset(["value", "previous", "last_year", "base", "change", "yoy_change"])
_METRIC_KEYS = ("kpi", "metric")
# a column ``name`` with a sibling ``name_en`` (cluster names): English tables show the sibling
_SIBLINGS = {"en": "_en"}
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def metric_unit(column: str, row: dict[str, Any]) -> str:
    """The unit of ``column`` in ``row``: a KPI table's value, previous, change ... take the
    unit of the row's KPI (money for gmv, a rate for churn_rate; its change in pp)."""
    metric = next((row[k] for k in _METRIC_KEYS if isinstance(row.get(k), str)), None)
    if metric is None:
        return unit_of(column)
    unit = unit_of(metric)
    unit = "int" if unit == "plain" else unit
    if column in ("change", "yoy_change"):
        return "pp" if unit == "rate" else unit
    return unit


def column_decimals(column: str, rows: list[dict[str, Any]]) -> int | None:
    """Decimals every number of ``column`` shows, so that one column has one format
    (``52.00`` beside ``123.58``, never ``52``); None where the unit fixes its own format.

    Plain numbers: none when all are whole, else the most any of them needs (two from 100
    up, four significant digits below, at most four decimals). Days: one decimal when any
    is fractional.

    Examples
    --------
    >>> column_decimals("total", [{"total": 52.0}, {"total": 123.58}])
    2
    >>> column_decimals("total", [{"total": 52.0}, {"total": 7}])
    0
    """
    unit = unit_of(column)
    if unit not in ("plain", "days") or column in _BY_METRIC:
        return None
    values = [float(v) for r in rows if _is_number(v := r.get(column))]
    fractional = [v for v in values if v != int(v)]
    if not fractional:
        return 0
    if unit == "days":
        return 1
    return max(_decimals_needed(v) for v in fractional)


def _decimals_needed(value: float) -> int:
    """Decimals of ``value`` at two decimals from 100 up, else four significant digits."""
    size = abs(value)
    if size >= 100:
        return 2
    return int(min(max(3 - math.floor(math.log10(size)), 0), 4))


def cell_text(
    column: str,
    value: Any,
    row: dict[str, Any],
    lang: str,
    currency: str,
    decimals: int | None = None,
) -> str:
    """One cell as text: a code in words, a number in its unit, a timestamp short.

    ``decimals`` (from :func:`column_decimals`) fixes the decimals of a plain or days number,
    so that every cell of its column has the same format."""
    if is_code_column(column):
        value = code_label(column, value, lang)
    if column in ("change_pct", "yoy_change_pct") and _is_rate_metric(row):
        # a rate's change reads in percentage points, not as a percentage of a percentage
        absolute = row.get(column.removesuffix("_pct"))
        if isinstance(absolute, int | float):
            return format_value(absolute, "pp", lang, currency)
    unit = metric_unit(column, row) if column in _BY_METRIC else unit_of(column)
    if decimals is not None and unit in ("plain", "days") and _is_number(value):
        if unit == "plain" and decimals == 0 and abs(value) < 10000:
            return str(int(value))
        return f"{value:,.{decimals}f}"
    if isinstance(value, str):
        if unit == "money" and _NUMBER.fullmatch(value):
            return format_value(float(value), unit, lang, currency)
        return format_text(value)
    if unit == "plain" and isinstance(value, float) and known(value):
        if value == int(value) and abs(value) < 1e15:
            value = int(value)
        else:
            return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4g}"
    if unit == "plain" and isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    return format_value(value, unit, lang, currency)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and known(value)


def _is_rate_metric(row: dict[str, Any]) -> bool:
    metric = next((row[k] for k in _METRIC_KEYS if isinstance(row.get(k), str)), None)
    return metric is not None and unit_of(metric) == "rate"


def _numeric(column: str, rows: list[dict[str, Any]]) -> bool:
    values = [r.get(column) for r in rows if r.get(column) is not None]
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def render_table(
    console: Console,
    rows: list[dict[str, Any]],
    columns: list[str],
    *,
    title: str | None,
    lang: str,
    currency: str,
    labels: dict[str, str] | None = None,
    wide: bool = False,
) -> None:
    """Print ``rows`` as a table on ``console`` (see the module's docstring).

    Parameters
    ----------
    console : rich.console.Console
        Where to print; its width is the terminal's.
    rows : list of dict
        The rows, keyed by stable column names.
    columns : list of str
        The columns to show, in order.
    title : str or None
        The title, already in ``lang``.
    lang : str
        zh or en.
    currency : str
        ISO 4217 code of the workspace's amounts.
    labels : dict, optional
        column -> English msgid of its header, where a command names a column its own way.
    wide : bool
        Every column at full width, however wide the terminal.
    """
    labels = labels or {}
    suffix = _SIBLINGS.get(normalise_lang(lang))
    if suffix:  # a column with a sibling in this language shows the sibling's text
        rows = [
            {**r, **{c: r[c + suffix] for c in columns if r.get(c + suffix) is not None}}
            for r in rows
        ]
    columns = [c for c in columns if not any(c.endswith(x) for x in _SIBLINGS.values())]
    headers = [gettext(labels[c], lang) if c in labels else column_label(c, lang) for c in columns]
    decimals = {c: column_decimals(c, rows) for c in columns}
    texts = [
        [cell_text(c, r.get(c), r, lang, currency, decimals[c]) for c in columns] for r in rows
    ]
    numeric = {c for c in columns if _numeric(c, rows) and not is_code_column(c)}
    # per column: the least width (cells kept whole for numbers and ids, longest word of
    # text; a header may wrap) and the natural width (nothing wraps)
    least, body, natural = [], [], []
    for i, (col, head) in enumerate(zip(columns, headers, strict=True)):
        cells = [t[i] for t in texts]
        whole = col in numeric or all(_short(c) for c in cells)
        widest = max((cell_len(c) for c in cells), default=0)
        least.append(max(widest if whole else _least(cells, 8), _least([head], 4), 1))
        body.append(max(widest, least[-1]))
        natural.append(max(widest, cell_len(head), 1))
    width = console.width
    frame = 3 * len(columns) + 1  # borders and padding
    table = RichTable(title=title, show_lines=False)
    for col, head in zip(columns, headers, strict=True):
        justify = "right" if col in numeric else "left"
        table.add_column(head, justify=justify, overflow="fold")
    for cells in texts:
        table.add_row(*cells)
    if wide:
        full = max(sum(natural) + frame, cell_len(title or ""))
        Console(file=console.file, width=max(full, width), highlight=False).print(table)
        return
    if sum(least) + frame > width:
        _print_blocks(console, title, headers, texts)
        return
    if sum(natural) + frame > width:
        # whole cells keep their width; cells' text comes before headers' for the spare
        floor, goal = (least, body) if sum(body) + frame > width else (body, natural)
        spare = width - frame - sum(floor)
        grow = [g - f for g, f in zip(goal, floor, strict=True)]
        total = sum(grow) or 1
        for column, f, g in zip(table.columns, floor, grow, strict=True):
            column.width = f + min(g, (spare * g) // total)
    elif title and sum(natural) + frame < cell_len(title):
        table.min_width = min(cell_len(title) + 2, width)
    console.print(table)


def _least(texts: list[str], cjk: int) -> int:
    """The narrowest a text column can be: its longest word (CJK text folds anywhere, so
    ``cjk`` cells will do)."""
    words = [w for t in texts for w in t.split()]
    return max((min(cell_len(w), cjk) if _cjk(w) else cell_len(w) for w in words), default=1)


def _short(text: str) -> bool:
    """Ids, dates, times, amounts and short codes stay on one line (words may wrap)."""
    if _cjk(text) or cell_len(text) > 19:
        return False
    return " " not in text or _STAMP.fullmatch(text) is not None


def _cjk(word: str) -> bool:
    return any(cell_len(ch) == 2 for ch in word)


def _print_blocks(
    console: Console, title: str | None, headers: list[str], texts: list[list[str]]
) -> None:
    """One record per block: ``header  value`` lines, a rule between records."""
    from rich.rule import Rule

    if title:
        console.print(Text(title, style="bold"), justify="center")
    label_width = min(max(cell_len(h) for h in headers), console.width // 3)
    for i, cells in enumerate(texts, start=1):
        if len(texts) > 1:
            console.print(Rule(str(i), style="dim", align="left"))
        grid = RichTable.grid(padding=(0, 2))
        grid.add_column(width=label_width, style="bold", overflow="fold")
        grid.add_column(overflow="fold")
        for head, text in zip(headers, cells, strict=True):
            grid.add_row(head, text)
        console.print(grid)
