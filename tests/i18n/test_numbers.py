"""Money as Babel writes it: format_money keeps Babel's currency pattern per locale instead
of looking it up for every amount, and must write exactly what format_currency writes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from babel.numbers import format_currency

from custlens.i18n import babel_locale
from custlens.i18n.numbers import MYRIADS, format_money

CURRENCIES = ("CNY", "GBP", "USD", "EUR", "JPY", "KRW", "BHD", "HKD")


def _amounts() -> list[float]:
    rng = np.random.default_rng(7)
    magnitudes = 10.0 ** rng.integers(-3, 13, 400)
    values = (rng.random(400) - 0.3) * magnitudes
    edges = [0.0, -0.0, 0.005, 0.015, 0.125, 9999.995, 1e4, -1e4, 99999999.5, 1e8, -1.5e8]
    rounded = [
        round(float(v), int(d)) for v, d in zip(values, rng.integers(0, 5, 400), strict=True)
    ]
    return [*edges, *rounded, math.inf, -math.inf]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("currency", CURRENCIES)
def test_format_money_writes_what_babel_writes(lang, currency):
    locale = babel_locale(lang)
    for abbreviate in (True, False):
        for v in _amounts():
            size, unit = next(
                ((n, w) for n, w in MYRIADS.get(locale, ()) if abs(v) >= n), (1.0, "")
            )
            if not abbreviate:
                size, unit = 1.0, ""
            expected = format_currency(v / size, currency, locale=locale) + unit
            assert format_money(v, lang, currency, abbreviate) == expected, (v, abbreviate)
    assert format_money(None, lang, currency) == "–"


def test_format_money_examples():
    assert format_money(123456, "zh") == "¥12.35万"
    assert format_money(-1.5e8, "zh") == "-¥1.50亿"
    assert format_money(1234, "en", "JPY") == "¥1,234"
    assert format_money(1234.5, "en", "GBP") == "£1,234.50"
