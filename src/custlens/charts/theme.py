"""One look for every chart: palette, CJK font, number formats (the workspace's currency,
%, 万/亿)."""

from __future__ import annotations

import copy
from typing import Any

FONT = "Noto Sans CJK SC"
PALETTE = ["#2F6FDE", "#F28C28", "#2BA84A", "#D64550", "#8E5CC5", "#1BA3B8", "#C9A227", "#7A7A7A"]

CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "white",
    "view": {"stroke": None},
    "range": {"category": PALETTE},
    "axis": {
        "labelFont": FONT,
        "titleFont": FONT,
        "labelFontSize": 11,
        "titleFontSize": 12,
        "gridColor": "#E6E6E6",
        "domainColor": "#999999",
    },
    "legend": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11},
    "title": {"font": FONT, "fontSize": 14, "anchor": "start", "color": "#222222"},
    "header": {"labelFont": FONT, "titleFont": FONT},
    "mark": {"color": PALETTE[0]},
    "bar": {"color": PALETTE[0]},
    "line": {"color": PALETTE[0], "strokeWidth": 2},
}


def themed(spec: dict[str, Any], width: int = 640, height: int = 280) -> dict[str, Any]:
    """A copy of ``spec`` with the house config and a fixed size (for static rendering)."""
    out = copy.deepcopy(spec)
    out.setdefault("$schema", "https://vega.github.io/schema/vega-lite/v5.json")
    out["config"] = {**CONFIG, **out.get("config", {})}
    if out.get("width") in (None, "container"):
        out["width"] = width
    out.setdefault("height", height)
    return out


BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}


def format_money(
    value: float | None, lang: str = "zh", currency: str = "CNY", abbreviate: bool = True
) -> str:
    """An amount in the workspace's currency, as written in ``lang`` (Babel, CLDR symbols).

    Parameters
    ----------
    value : float or None
        The amount; None gives ``"–"``.
    lang : str
        ``"zh"`` or ``"en"``: chooses the symbol (CNY is ``¥`` in Chinese, ``CN¥`` in
        English) and, in Chinese, the 万 / 亿 abbreviation of large amounts.
    currency : str
        ISO 4217 code of the workspace (``Settings.currency``).
    abbreviate : bool
        Write Chinese large amounts as ``¥12.35万`` / ``¥1.23亿`` (cards, narratives and
        report tables); False keeps every digit (CLI tables).

    Returns
    -------
    str

    Examples
    --------
    >>> format_money(1234.5, "zh", "GBP")
    '£1,234.50'
    >>> format_money(123456, "zh")
    '¥12.35万'
    >>> format_money(123456, "en", "GBP")
    '£123,456.00'
    """
    if value is None:
        return "–"
    from babel.numbers import format_currency

    v = float(value)
    locale = BABEL_LOCALES.get(lang, "zh_CN")
    unit = ""
    if abbreviate and lang == "zh" and abs(v) >= 1e8:
        v, unit = v / 1e8, "亿"
    elif abbreviate and lang == "zh" and abs(v) >= 1e4:
        v, unit = v / 1e4, "万"
    return format_currency(v, currency, locale=locale) + unit


def currency_symbol(currency: str = "CNY", lang: str = "zh") -> str:
    """The symbol of ``currency`` as written in ``lang`` (``£``; CNY: ``¥`` / ``CN¥``).

    Examples
    --------
    >>> currency_symbol("GBP", "en")
    '£'
    >>> currency_symbol("CNY", "zh")
    '¥'
    """
    from babel.numbers import get_currency_symbol

    return get_currency_symbol(currency, BABEL_LOCALES.get(lang, "zh_CN"))


def excel_money_format(currency: str = "CNY", lang: str = "zh") -> str:
    """A native Excel number format for amounts: ``"£"#,##0.00`` (``"¥"#,##0`` for JPY).

    Examples
    --------
    >>> excel_money_format("GBP", "en")
    '"£"#,##0.00'
    """
    from babel.numbers import get_currency_precision

    digits = get_currency_precision(currency)
    symbol = currency_symbol(currency, lang).replace('"', "")
    return f'"{symbol}"#,##0' + ("." + "0" * digits if digits else "")


def format_count(value: float | None, lang: str = "zh") -> str:
    if value is None:
        return "–"
    v = float(value)
    if lang == "zh" and abs(v) >= 1e8:
        return f"{v / 1e8:,.2f}亿"
    if lang == "zh" and abs(v) >= 1e5:
        return f"{v / 1e4:,.1f}万"
    return f"{v:,.0f}"


def format_pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{float(value) * 100:.{digits}f}%"


def format_change(change: float | None, kind: str, lang: str = "zh") -> str:
    """+3.1个百分点 / +3.1 pp for rates; +12.5% for amounts and counts (relative change)."""
    if change is None:
        return "–"
    sign = "+" if change >= 0 else "−"
    if kind == "rate_pp":
        pp = abs(change) * 100
        return f"{sign}{pp:.1f}个百分点" if lang == "zh" else f"{sign}{pp:.1f} pp"
    return f"{sign}{abs(change) * 100:.1f}%"
