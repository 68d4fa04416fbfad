"""What every section builder receives: the workspace tables, periods and language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from custlens.analytics.periods import Period
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

    def table(self, name: str) -> Any:
        return self.ws.table(name, self.engine)

    def _(self, msgid: str, **kwargs: object) -> str:
        return gettext(msgid, self.lang, **kwargs)
