"""What every section builder receives: the workspace tables, periods, as-of date, language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from custlens.analytics.patterns.periods import Period, coverage, period_as_of
from custlens.i18n import gettext
from custlens.i18n.numbers import format_money


@dataclass
class Context:
    """What every report section reads: the workspace, engine, periods, language and currency."""

    ws: Any
    engine: str | None
    period: Period
    previous: Period
    year_ago: Period
    lang: str
    last_order: date
    currency: str = "CNY"  # ISO 4217 code of the workspace (Settings.currency)
    first_order: date | None = None
    compare: str = "previous"  # previous (环比) | yoy (同比) | another period

    @property
    def as_of(self) -> date:
        """The date (exclusive) the period is measured at: the day after its end, or after the
        last order when the data stops first (customer value, lifecycle, CLV)."""
        return period_as_of(self.period, self.last_order)

    def coverage(self, period: Period) -> str:
        """How much of ``period`` the orders cover: full | partial | none."""
        return coverage(period, self.first_order, self.last_order)

    def table(self, name: str) -> Any:
        """The canonical table ``name`` on the report's engine."""
        return self.ws.table(name, self.engine)

    def _(self, msgid: str, **kwargs: object) -> str:
        return gettext(msgid, self.lang, **kwargs)

    def money(self, value: float | None) -> str:
        """An amount in the workspace's currency, as narratives write it (¥12.35万, £1,234.50)."""
        return format_money(value, self.lang, self.currency)
