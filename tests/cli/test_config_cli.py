"""`custlens init --currency/--timezone/--locale` and `custlens config set|get|show`; a
workspace in pounds shows pounds in the terminal."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.config import Settings
from tests.conftest import CUSTOMERS_CSV, ORDERS_CSV

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_init_with_currency_timezone_locale(tmp_path):
    root = tmp_path / "uk"
    r = invoke("init", root, "--currency", "GBP", "--timezone", "Europe/London", "--locale", "en")
    assert r.exit_code == 0, r.output
    s = Settings.load(root)
    assert (s.currency, s.timezone, s.locale) == ("GBP", "Europe/London", "en")
    r = invoke("init", root, "--currency", "EUR")  # again: only the option given changes
    assert r.exit_code == 0, r.output
    s = Settings.load(root)
    assert (s.currency, s.timezone, s.locale) == ("EUR", "Europe/London", "en")


def test_init_refuses_unknown_values_in_one_line(tmp_path):
    r = invoke("init", tmp_path / "a", "--currency", "QQQ")
    assert r.exit_code == 1
    assert (
        r.output.strip() == "error: 未知币种 QQQ：请使用 ISO 4217 币种代码，如 CNY、GBP、USD、EUR"
    )
    assert not (tmp_path / "a").exists()
    r = invoke("init", tmp_path / "b", "--locale", "en", "--timezone", "Europe/Londres")
    assert r.exit_code == 1
    assert "Unknown time zone Europe/Londres" in r.output
    assert not (tmp_path / "b").exists()


def test_config_set_get_show(tmp_path):
    root = tmp_path / "ws"
    assert invoke("init", root).exit_code == 0
    r = invoke("config", "set", "quality.amount_tolerance", "0.05", "-w", root)
    assert r.exit_code == 0, r.output
    assert "已保存 quality.amount_tolerance = 0.05" in r.output
    r = invoke("config", "set", "currency", "GBP", "-w", root)
    assert r.exit_code == 0, r.output
    assert invoke("config", "get", "quality.amount_tolerance", "-w", root).stdout == "0.05\n"
    assert invoke("config", "get", "currency", "-w", root).stdout == "GBP\n"
    assert invoke("config", "get", "rfm.recency_bins", "-w", root).stdout == "[30, 90, 180]\n"
    shown = json.loads(invoke("config", "show", "--format", "json", "-w", root).stdout)
    assert shown["general"]["currency"] == "GBP"
    assert shown["quality"]["amount_tolerance"] == 0.05
    assert shown["general"]["timezone"] == "Asia/Shanghai"  # untouched values kept
    r = invoke("config", "set", "currency", "nope", "-w", root)
    assert r.exit_code == 1 and "未知币种 NOPE" in r.output
    assert Settings.load(root).currency == "GBP"
    r = invoke("config", "get", "currency", "-w", tmp_path / "missing")
    assert r.exit_code == 1 and "不是工作区" in r.output and "custlens init" in r.output


def test_summary_and_rfm_tables_in_the_workspace_currency(tmp_path):
    root = tmp_path / "ws"
    (tmp_path / "c.csv").write_text(CUSTOMERS_CSV, encoding="utf-8")
    (tmp_path / "o.csv").write_text(ORDERS_CSV, encoding="utf-8")
    assert invoke("init", root, "--currency", "GBP").exit_code == 0
    assert invoke("import", "customers", tmp_path / "c.csv", "-w", root).exit_code == 0
    assert invoke("import", "orders", tmp_path / "o.csv", "-w", root).exit_code == 0
    r = invoke("summary", "-w", root)
    assert r.exit_code == 0, r.output
    assert "£807.00" in r.stdout and "£497.00" in r.stdout  # GMV; C001's revenue
    assert "¥" not in r.stdout
    r = invoke("rfm", "-w", root, "--as-of", "2024-05-01")
    assert r.exit_code == 0, r.output
    assert "£497.00" in r.stdout and "¥" not in r.stdout
    data = json.loads(invoke("summary", "--format", "json", "-w", root).stdout)
    assert data["totals"]["gmv"] == 807.0  # machines get plain numbers


def test_default_workspace_shows_yuan(tmp_path):
    root = tmp_path / "ws"
    (tmp_path / "o.csv").write_text(ORDERS_CSV, encoding="utf-8")
    (tmp_path / "c.csv").write_text(CUSTOMERS_CSV, encoding="utf-8")
    assert invoke("init", root).exit_code == 0
    assert invoke("import", "customers", tmp_path / "c.csv", "-w", root).exit_code == 0
    assert invoke("import", "orders", tmp_path / "o.csv", "-w", root).exit_code == 0
    r = invoke("summary", "-w", root)
    assert "¥807.00" in r.stdout and "£" not in r.stdout
