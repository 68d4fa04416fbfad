"""Workspace settings: validation of locale, currency, time zone and phone region, and
changes written back to custlens.toml with every other value kept."""

from __future__ import annotations

import tomllib

import pytest

from custlens.config import CONFIG_FILE, Settings, get_setting, update_settings
from custlens.errors import InputError


def test_defaults_are_a_chinese_shop(tmp_path):
    s = Settings.load(tmp_path)
    assert (s.locale, s.timezone, s.currency) == ("zh_CN", "Asia/Shanghai", "CNY")
    assert (s.phone_region, s.phone_required) == ("CN", True)


def test_update_round_trip_keeps_other_values(tmp_path):
    update_settings(tmp_path, {"rfm.recency_bins": "[10, 20, 40]", "quality.test_words": "x,y"})
    s = update_settings(
        tmp_path,
        {
            "currency": "gbp",
            "timezone": "Europe/London",
            "locale": "en",
            "quality.amount_tolerance": "0.05",
            "spark.master": "local[1]",
            "phone_region": "gb",
            "phone_required": "false",
        },
    )
    again = Settings.load(tmp_path)
    assert again == s
    assert (again.currency, again.timezone, again.locale) == ("GBP", "Europe/London", "en")
    assert (again.phone_region, again.phone_required) == ("GB", False)
    assert again.quality.amount_tolerance == 0.05 and again.spark_master == "local[1]"
    assert again.rfm.recency_bins == [10, 20, 40] and again.quality.test_words == ["x", "y"]
    raw = tomllib.loads((tmp_path / CONFIG_FILE).read_text(encoding="utf-8"))
    assert raw["general"]["currency"] == "GBP" and raw["quality"]["amount_tolerance"] == 0.05
    assert get_setting(again, "quality.amount_tolerance") == 0.05
    assert get_setting(again, "spark.master") == "local[1]"


def test_strings_with_quotes_survive(tmp_path):
    update_settings(tmp_path, {"tags.other_name": 'say "other" \\ here'})
    assert Settings.load(tmp_path).tags.other_name == 'say "other" \\ here'


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("currency", "XYZ", "未知币种 XYZ"),
        ("timezone", "Mars/Olympus", "未知时区 Mars/Olympus"),
        ("locale", "fr", "未知语言 fr"),
        ("phone_region", "ZZ", "未知号码地区 ZZ"),
        ("nonsense", "1", "没有设置项 nonsense"),
        ("quality.amount_tolerance", "lots", "quality.amount_tolerance 的值无效"),
        ("phone_required", "maybe", "phone_required 的值无效"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_written(tmp_path, key, value, message):
    update_settings(tmp_path, {"max_upload_mb": "50"})
    before = (tmp_path / CONFIG_FILE).read_text(encoding="utf-8")
    with pytest.raises(InputError, match=message) as err:
        update_settings(tmp_path, {key: value})
    assert "\n" not in str(err.value)
    assert (tmp_path / CONFIG_FILE).read_text(encoding="utf-8") == before


def test_messages_follow_the_workspace_language(tmp_path):
    update_settings(tmp_path, {"locale": "en"})
    with pytest.raises(InputError, match=r"^Unknown currency XYZ: use an ISO 4217 code"):
        update_settings(tmp_path, {"currency": "XYZ"})
