"""The report model: sections of KPIs, tables, charts and narrative. Renderers only read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# column kinds drive number formats in every renderer
KINDS = ("text", "int", "money", "pct", "float", "date")


@dataclass
class Column:
    """A column of a report table: its key, header and kind of value (text, money, pct ...)."""

    key: str
    label: str
    kind: str = "text"


@dataclass
class Kpi:
    """A headline number of a report section with its previous-period and last-year values."""

    key: str
    label: str
    value: float | None
    kind: str  # money | int | pct | float
    previous: float | None = None
    year_ago: float | None = None

    def change(self, base: float | None) -> float | None:
        """Relative change for amounts and counts; difference (pp) for rates."""
        if self.value is None or base is None:
            return None
        if self.kind == "pct":
            return self.value - base
        return (self.value - base) / base if base else None


@dataclass
class TableBlock:
    """A table of a report section, with an optional native Excel chart of it."""

    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: dict[str, Any] | None = None  # native Excel chart: {"type", "x", "y": [keys]}


@dataclass
class ChartBlock:
    """A chart of a report section as a Vega-Lite spec."""

    title: str
    spec: dict[str, Any]  # Vega-Lite


@dataclass
class Section:
    """One section of a report: title, narrative, KPIs, tables and charts."""

    key: str
    title: str
    narrative: list[str] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    tables: list[TableBlock] = field(default_factory=list)
    charts: list[ChartBlock] = field(default_factory=list)


@dataclass
class Report:
    """A built report, ready for the HTML, XLSX and PDF writers."""

    title: str
    lang: str
    period: str
    previous: str
    year_ago: str
    generated_at: datetime
    workspace: str
    data_range: str
    sections: list[Section] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    currency: str = "CNY"  # ISO 4217 code of every money cell and KPI (Settings.currency)
    timezone: str = "Asia/Shanghai"  # IANA zone of generated_at (Settings.timezone)
    compare: str = "previous"  # what ``previous`` is: previous (环比) | yoy (同比) | custom
    # how much of each period the data covers: full | partial (部分数据) | none (无数据)
    coverage: dict[str, str] = field(default_factory=dict)  # period, previous, year_ago
    # colour of KPI changes (Settings.change_colours): meaning | red_up (红涨绿跌)
    change_colours: str = "meaning"
