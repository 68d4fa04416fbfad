"""What every section builder receives: the workspace tables, periods and language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from custlens.analytics.periods import Period
from custlens.charts.theme import format_money
from custlens.i18n import gettext


@dataclass
class Context:
    ws: Any
    engine: str | None
    period: Period
    previous: Period
    year_ago: Period
    lang: str
    last_order: date
    currency: str = "CNY"  # ISO 4217 code of the workspace (Settings.currency)

    def table(self, name: str) -> Any:
        return self.ws.table(name, self.engine)

    def _(self, msgid: str, **kwargs: object) -> str:
        return gettext(msgid, self.lang, **kwargs)

    def money(self, value: float | None) -> str:
        """An amount in the workspace's currency, as narratives write it (¥12.35万, £1,234.50)."""
        return format_money(value, self.lang, self.currency)
