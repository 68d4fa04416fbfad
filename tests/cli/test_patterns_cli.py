"""`custlens patterns|basket|compare` through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.config import update_settings

runner = CliRunner()


def run(ws, *args):
    result = runner.invoke(app, [*map(str, args), "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    return result


def test_patterns_commands(loaded, tmp_path):
    data = json.loads(
        run(loaded, "patterns", "time", "--format", "json", "--chart", tmp_path / "c.json").stdout
    )
    assert data["peak"]["peak_hour"] == 10  # 3 of the 4 orders at 10:00 (hand table)
    charts = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert [c.get("mark", "layer") for c in charts] == [
        "rect",
        "layer",
        {"type": "line", "point": True},
    ]
    cats = json.loads(run(loaded, "patterns", "categories", "--format", "json").stdout)
    assert cats["top"][0]["category"] == "母婴" and cats["top"][0]["revenue"] == 497.0
    rep = json.loads(run(loaded, "patterns", "repurchase", "--format", "json").stdout)
    assert (
        rep["as_of"] == "2024-04-04" and rep["rates"]["eligible_30d"] == 2
    )  # C003 started 1 day before
    out = run(loaded, "patterns", "repurchase", "--overdue", "--format", "csv").stdout
    assert out.startswith("customer_id,purchases")


def test_basket_and_compare(loaded):
    rules = json.loads(run(loaded, "basket", "--format", "json").stdout)
    assert rules == []  # every order holds one category, except O3 (美妆 only)
    rules = json.loads(run(loaded, "basket", "--level", "product", "--format", "json").stdout)
    assert {(r["a"], r["b"]) for r in rules} == {("口红", "眼影"), ("眼影", "口红")}
    cmp = json.loads(
        run(loaded, "compare", "--metric", "gmv", "--period", "2024-03", "--format", "json").stdout
    )
    assert cmp[0]["value"] == 99.0 and cmp[0]["base"] == 618.0
    bad = runner.invoke(
        app, ["compare", "--metric", "nope", "--period", "2024-03", "-w", str(loaded.root)]
    )
    assert bad.exit_code == 2


def test_weekday_profile_names_days_in_the_output_language(loaded):
    """JSON keeps the weekday number (a stable key); tables name the day in the language."""
    data = json.loads(
        run(loaded, "patterns", "time", "--view", "weekday", "--format", "json").stdout
    )
    assert [r["weekday"] for r in data] == list(range(7))
    assert all(set(r) == {"weekday", "orders", "revenue", "share"} for r in data)
    zh = run(loaded, "patterns", "time", "--view", "weekday").stdout
    update_settings(loaded.root, {"locale": "en"})
    en = run(loaded, "patterns", "time", "--view", "weekday").stdout
    assert "周一" in zh and "周日" in zh
    assert "周" not in en and "Mon" in en and "Sun" in en
