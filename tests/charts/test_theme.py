"""Number formats shared by charts, reports, web pages and CLI tables."""

from __future__ import annotations

import pytest

from custlens.i18n.numbers import currency_symbol, excel_money_format, format_money


@pytest.mark.parametrize(
    ("value", "lang", "currency", "expected"),
    [
        (1234.5, "zh", "CNY", "¥1,234.50"),
        (1234.5, "zh", "GBP", "£1,234.50"),
        (1234.5, "en", "GBP", "£1,234.50"),
        (1234.5, "en", "USD", "$1,234.50"),
        (1234.5, "en", "CNY", "CN¥1,234.50"),  # CLDR: ¥ alone would read as yen in English
        (123456.0, "zh", "CNY", "¥12.35万"),
        (123456.0, "zh", "GBP", "£12.35万"),
        (123456.0, "en", "GBP", "£123,456.00"),
        (2.5e8, "zh", "EUR", "€2.50亿"),
        (-50.0, "en", "GBP", "-£50.00"),
        (1234.0, "en", "JPY", "¥1,234"),  # the currency's own decimals
        (None, "zh", "GBP", "–"),
    ],
)
def test_format_money(value, lang, currency, expected):
    assert format_money(value, lang, currency) == expected


def test_format_money_default_is_cny_and_full_digits_on_request():
    assert format_money(123456.0) == "¥12.35万"
    assert format_money(123456.0, "zh", "GBP", abbreviate=False) == "£123,456.00"


def test_symbols_and_excel_formats():
    assert currency_symbol("GBP", "zh") == "£"
    assert currency_symbol("CNY", "zh") == "¥"
    assert excel_money_format("GBP", "en") == '"£"#,##0.00'
    assert excel_money_format("CNY", "zh") == '"¥"#,##0.00'
    assert excel_money_format("JPY", "en") == '"¥"#,##0'
