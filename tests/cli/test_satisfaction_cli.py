"""`custlens satisfaction sentiment|scores|complaints|churn|reviews` through typer's CliRunner."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from tests.conftest import demo_workspace

runner = CliRunner()


def test_sentiment_of_a_file_keeps_every_column(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        "id,评价内容,rating\n1,质量很好，物流也快,5\n2,没有想象中差，用起来还挺顺手,4\n"
        "3,用了两天就坏了，很失望,1\n4,,3\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["satisfaction", "sentiment", str(path), "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert list(rows[0]) == ["id", "评价内容", "rating", "sentiment_score", "sentiment_label"]
    assert [row["sentiment_label"] for row in rows] == ["positive", "positive", "negative", ""]
    assert 0.5 < float(rows[0]["sentiment_score"]) <= 1.0
    j = runner.invoke(
        app,
        ["satisfaction", "sentiment", str(path), "--text-column", "评价内容", "--format", "json"],
    )
    assert json.loads(j.stdout)[2]["sentiment_label"] == "negative"


def test_sentiment_table_speaks_chinese_and_english(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("text\n非常满意，会回购\n", encoding="utf-8")
    zh = runner.invoke(app, ["satisfaction", "sentiment", str(path), "--format", "table"])
    en = runner.invoke(
        app, ["satisfaction", "sentiment", str(path), "--format", "table", "--lang", "en"]
    )
    assert "正面" in zh.stdout and "positive" in en.stdout


def test_sentiment_without_a_text_column_is_a_user_error(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    r = runner.invoke(app, ["satisfaction", "sentiment", str(path), "--lang", "en"])
    assert r.exit_code == 1
    assert "--text-column" in r.output


@pytest.fixture(scope="module")
def ws_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("satisfaction_cli")
    ws, _truth = demo_workspace(root, 1500, 4, tables=("customers", "orders", "feedback"))
    ws.close()
    return root / "ws"


def run_json(ws, *args):
    r = runner.invoke(app, ["satisfaction", *args, "--workspace", str(ws), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_scores_and_complaints(ws_dir):
    overall = run_json(ws_dir, "scores")[0]
    n = overall["nps_answers"]
    assert n > 0 and overall["promoters"] + overall["passives"] + overall["detractors"] == n
    assert overall["nps_low"] < overall["nps"] < overall["nps_high"]
    quarters = run_json(ws_dir, "scores", "--by", "quarter")
    assert sum(q["nps_answers"] for q in quarters) == n
    complaints = run_json(ws_dir, "complaints", "--by", "channel")
    assert all(
        c["per_1000_orders"] == pytest.approx(1000 * c["complaints"] / c["orders"], abs=1e-3)
        for c in complaints
    )
    types = run_json(ws_dir, "complaints", "--view", "types")
    assert sum(t["share"] for t in types) == pytest.approx(1.0, abs=1e-3)
    assert "other" not in {t["complaint_type"] for t in types}  # every demo complaint typed


def test_churn_and_reviews(ws_dir):
    churn = run_json(ws_dir, "churn")
    assert churn["detractor_vs_promoter"]["difference"] > 0
    assert {o["term"] for o in churn["odds_ratios"]} >= {"detractor", "passive"}
    reviews = run_json(ws_dir, "reviews")
    labels = {r["sentiment_label"] for r in reviews}
    assert labels <= {"positive", "neutral", "negative"} and "negative" in labels
    # ratings are a separate signal: low ratings mostly come with negative texts
    low = [r for r in reviews if r["rating"] == 1]
    assert sum(r["sentiment_label"] == "negative" for r in low) > 0.6 * len(low)


def test_alerts_are_masked(ws_dir):
    alerts = run_json(ws_dir, "alerts", "--top-share", "0.5")
    assert alerts and all(a["name"] is None or "*" in a["name"] for a in alerts)
    ranks = [a["revenue_rank"] for a in alerts]
    assert ranks == sorted(ranks)


def test_segment_needs_an_analysis(ws_dir):
    r = runner.invoke(
        app, ["satisfaction", "scores", "--by", "segment", "--workspace", str(ws_dir)]
    )
    assert r.exit_code == 2 or r.exit_code == 1
    assert "analyze" in r.output


def test_keywords_textrank_by_category(ws_dir):
    rows = run_json(ws_dir, "keywords", "--by", "category", "--top", "3", "--method", "textrank")
    assert rows and all(r["rank"] <= 3 and 0 < r["score"] <= 1.0 + 1e-9 for r in rows)
    tops = [r for r in rows if r["rank"] == 1]
    assert all(r["score"] == pytest.approx(1.0) for r in tops)
    bad = runner.invoke(app, ["satisfaction", "keywords", "-w", str(ws_dir), "--method", "lda"])
    assert bad.exit_code != 0
