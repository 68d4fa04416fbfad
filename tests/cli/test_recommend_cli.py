"""`custlens recommend evaluate|customer|export` through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from tests.conftest import demo_workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("recommend_cli")
    ws, _truth = demo_workspace(root, 2000, 8, tables=("customers", "orders"))
    ws.close()
    return root / "ws"


def test_evaluate_reports_every_recommender_on_a_time_split(ws_dir):
    r = runner.invoke(
        app, ["recommend", "evaluate", "-w", str(ws_dir), "--test-days", "30", "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    names = [row["name"] for row in rep["results"]]
    assert names == [
        "popularity", "preference", "cooccurrence", "itemcf", "als", "buy_again", "blend",
        "served",
    ]  # fmt: skip
    assert rep["test_end"] > rep["train_end"] and rep["test_days"] == 30
    assert rep["served"] in names and rep["test_customers"] > 0
    for row in rep["results"]:
        assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1 and 0 <= row["ndcg"] <= 1
    table = runner.invoke(app, ["recommend", "evaluate", "-w", str(ws_dir), "--lang", "en"])
    assert table.exit_code == 0, table.output
    assert "Recall@k" in table.stdout and "Blend" in table.stdout


def test_customer_shows_ten_items_with_reasons_in_both_languages(ws_dir):
    args = ["recommend", "customer", "C00000007", "-w", str(ws_dir), "--format", "json"]
    zh = runner.invoke(app, args)
    assert zh.exit_code == 0, zh.output
    rows = json.loads(zh.stdout)
    assert [r["rank"] for r in rows] == list(range(1, 11))
    assert len({r["product_id"] for r in rows}) == 10
    assert all(r["reason"] for r in rows)
    assert max(sum(r["category"] == c for r in rows) for c in {r["category"] for r in rows}) <= 4
    en = json.loads(runner.invoke(app, [*args, "--lang", "en"]).stdout)
    assert [r["product_id"] for r in en] == [r["product_id"] for r in rows]
    assert not any("常" in r["reason"] or "您" in r["reason"] for r in en)


def test_unknown_customer_is_a_user_error(ws_dir):
    r = runner.invoke(app, ["recommend", "customer", "NOPE", "-w", str(ws_dir), "--lang", "en"])
    assert r.exit_code == 1
    assert "NOPE" in r.output


def test_export_writes_masked_lists(ws_dir, tmp_path):
    out = tmp_path / "lists.csv"
    r = runner.invoke(
        app, ["recommend", "export", "-w", str(ws_dir), "--top", "5", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert list(rows[0]) == [
        "customer_id", "name", "rank", "product_id", "product_name", "category", "reason",
    ]  # fmt: skip
    assert max(int(r["rank"]) for r in rows) == 5
    named = [r["name"] for r in rows if r["name"]]
    assert named and all("*" in n for n in named)
    xlsx = tmp_path / "lists.xlsx"
    r = runner.invoke(app, ["recommend", "export", "-w", str(ws_dir), "--out", str(xlsx)])
    assert r.exit_code == 0, r.output
    assert xlsx.stat().st_size > 0


def test_strict_price_is_an_option_of_the_lists(ws_dir):
    args = ["recommend", "customer", "C00000007", "-w", str(ws_dir), "--format", "json"]
    r = runner.invoke(app, [*args, "--strict-price"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows and all(x["reason"] for x in rows)
    assert [x["rank"] for x in rows] == list(range(1, len(rows) + 1))
