"""Numbers as a person reads them, chosen by the unit of their column.

One registry says what a column's numbers are (a count, an amount, a rate, a change of a
rate, seconds, days, a p-value ...), from the one snake_case column vocabulary; one formatter
writes a value of a unit in the workspace's language and currency. Terminal tables
(``custlens.cli.common.emit``) and rendered text use it; JSON and CSV keep plain numbers.

Examples
--------
>>> unit_of("repeat_rate"), unit_of("revenue"), unit_of("customers"), unit_of("p_value")
('rate', 'money', 'int', 'p')
>>> format_value(1919.0, "int", "zh")
'1,919'
>>> format_value(0.1234, "rate", "en")
'12.3%'
>>> format_value(192, "duration", "zh"), format_value(192, "duration", "en")
('3分12秒', '3m 12s')
>>> format_value(0.00002, "p", "en")
'< 0.001'
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from custlens.i18n import gettext
from custlens.records import known

# amounts (the one column vocabulary); terminal tables show them in the workspace's currency
MONEY = frozenset(
    [
        "amount",
        "aov",
        "budget",
        "campaign_revenue",
        "clv",
        "cost",
        "discount",
        "expected_spend",
        "gmv",
        "gross_revenue",
        "gross_sales",
        "mean_clv",
        "mean_monetary",
        "mean_revenue",
        "monetary",
        "net_amount",
        "new_revenue",
        "post_revenue",
        "predicted_clv",
        "returning_revenue",
        "returns",
        "revenue",
        "revenue_ma",
        "total_clv",
        "unit_price",
    ]
)
# counts of things: shown without decimals, with thousands separators
COUNTS = frozenset(
    [
        "actors",
        "active_at_start",
        "audience",
        "bounces",
        "buyers",
        "campaign_orders",
        "churned",
        "cohort_size",
        "complaints",
        "control",
        "converted",
        "coupon_users",
        "customers",
        "customers_without_profile",
        "dropoff",
        "exposed",
        "frequency",
        "intervals",
        "items",
        "lines",
        "needs_review",
        "new_lines",
        "orders",
        "page_views",
        "participants",
        "post_buyers",
        "post_orders",
        "repeat_buyers",
        "rows",
        "sessions",
        "touches",
        "visitors",
        "x",
    ]
)
# plain numbers with two decimals (ratios that are not shares, scores, weights)
DECIMALS = frozenset(
    [
        "avg_rating",
        "conviction",
        "index",
        "lift",
        "mean_frequency",
        "mean_orders",
        "roi",
        "uplift",
    ]
)
# the rule list is read top to bottom; the first pattern that matches names the unit
_RULES: tuple[tuple[str, str], ...] = (
    (r"p_value", "p"),
    (r".*_seconds(_.*)?|mean_dwell\w*", "duration"),
    (r"(yoy_)?change", "change"),  # a KPI's change: pp for rates, its own unit otherwise
    (r"(yoy_)?change_pct|\w+_change_pct", "rel"),  # a relative change: +12.5%
    (r".*_pp", "pp"),
    (r"(.*_)?(rate|share|retention|probability|confidence|p_alive)(_\w+)?", "rate"),
    (r"conversion_from_\w+|support(_[ab])?|rate_\d+d|csat", "rate"),
    (r"(n_\w+|rows_\w+|\w+_sessions|eligible_\d+d|repeat_\d+d|orders_\d+d)", "int"),
    (r"(mean_|median_)?\w*days", "days"),
    (r"\w+_ma|\w+_per_day|mean_pages", "mean"),  # averages of counts: one decimal
    (r"nps(_low|_high)?", "mean"),  # net promoter scores, -100..100: one decimal
    (r"mean_\w+_score|z_\w+|\w+_per_\w+|alpha|beta|gamma", "float"),
)


def unit_of(column: str) -> str:
    """The unit of a column's numbers: money, int, rate, rel (a relative change), pp,
    change, duration, days, mean (an average of counts), p, float, or ``plain`` (shown as it is: ids, years, hours, scores 1-5).

    Parameters
    ----------
    column : str
        A column name of the one snake_case vocabulary (``repeat_rate``, ``revenue`` ...).

    Returns
    -------
    str
        The unit's name.

    Examples
    --------
    >>> unit_of("mean_duration_seconds"), unit_of("recency_days"), unit_of("lift")
    ('duration', 'days', 'float')
    """
    if column in MONEY:
        return "money"
    if column in COUNTS:
        return "int"
    if column in DECIMALS:
        return "float"
    for pattern, unit in _RULES:
        if re.fullmatch(pattern, column):
            return unit
    return "plain"


def format_duration(seconds: float, lang: str = "zh") -> str:
    """``3分12秒`` / ``3m 12s``; hours from an hour up (``1小时5分`` / ``1h 5m``).

    Examples
    --------
    >>> format_duration(3900, "en")
    '1h 5m'
    >>> format_duration(45.4, "zh")
    '45秒'
    """
    total = round(float(seconds))
    sign = "−" if total < 0 else ""
    h, rest = divmod(abs(total), 3600)
    m, s = divmod(rest, 60)
    if h:
        return sign + gettext("{h}h {m}m", lang, h=h, m=m)
    if m:
        return sign + gettext("{m}m {s}s", lang, m=m, s=s)
    return sign + gettext("{s}s", lang, s=s)


def format_p(p: float) -> str:
    """A p-value: ``< 0.001`` below a thousandth, three decimals otherwise.

    Examples
    --------
    >>> format_p(0.0412), format_p(1e-9)
    ('0.041', '< 0.001')
    """
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def format_value(value: Any, unit: str, lang: str = "zh", currency: str = "CNY") -> str:
    """``value`` as text in ``unit`` (see :func:`unit_of`); ``""`` for a missing value.

    Text passes through unchanged; so do numbers of the unit ``plain`` (ids, years, hours).

    Parameters
    ----------
    value : Any
        The value (int, float, Decimal, date, str or None).
    unit : str
        money | int | rate | rel | pp | change | duration | days | mean | p | float |
        plain.
    lang : str
        zh or en.
    currency : str
        ISO 4217 code of the workspace (``money``).

    Returns
    -------
    str
        The cell's text.

    Examples
    --------
    >>> format_value(1234.5, "money", "en", "GBP")
    '£1,234.50'
    >>> format_value(-0.021, "pp", "zh"), format_value(0.021, "pp", "en")
    ('−2.1个百分点', '+2.1 pp')
    >>> format_value(12.04, "days", "en")
    '12.0'
    """
    if not known(value):
        return ""
    if isinstance(value, bool):
        return gettext("yes" if value else "no", lang)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(format_value(v, unit, lang, currency) for v in value)
    if not isinstance(value, int | float | decimal.Decimal):
        return str(value)
    v = float(value) + 0.0  # no "-0"
    if unit in ("rate", "pp", "rel") and abs(v) < 5e-4:
        v = 0.0
    if unit == "money":
        from custlens.i18n.numbers import format_money

        return format_money(v, lang, currency, abbreviate=False)
    if unit == "int":
        return f"{v:,.0f}"
    if unit == "rate":
        return f"{v * 100:.1f}%"
    if unit in ("pp", "rel"):
        from custlens.i18n.numbers import format_change

        return format_change(v, "rate_pp" if unit == "pp" else "rel", lang)
    if unit == "duration":
        return format_duration(v, lang)
    if unit == "p":
        return format_p(v)
    if unit == "mean":
        return f"{v:,.1f}"
    if unit == "days":
        return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    if unit in ("float", "change"):
        return f"{v:,.2f}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(value)


def format_text(text: str) -> str:
    """A stored timestamp string as a person reads it (``2026-12-05T14:57:26.49`` ->
    ``2026-12-05 14:57:26``; midnight -> the date alone); other text unchanged.

    Examples
    --------
    >>> format_text("2023-01-18T00:00:00.000"), format_text("2026-12-05T14:57:26.499892")
    ('2023-01-18', '2026-12-05 14:57:26')
    """
    m = _STAMP.fullmatch(text)
    if not m:
        return text
    day, clock = m.group(1), m.group(2) + (m.group(3) or "")[:3]
    return day if not clock.strip("0:") else f"{day} {clock}"


_STAMP = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:?\d{2})?")
