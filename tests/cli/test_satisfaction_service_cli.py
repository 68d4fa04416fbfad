"""`custlens satisfaction service`: a feedback file with Chinese headers (解决时间, 是否回应)
imported for real, then read back through the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from custlens.cli.main import app

runner = CliRunner()

FEEDBACK_CSV = """反馈编号,客户编号,反馈时间,反馈类型,推荐意愿,内容,是否解决,解决时间,是否回应
F1,C001,2024-03-01 09:00:00,投诉,,物流太慢,是,2024-03-02 09:00:00,
F2,C002,2024-03-01 09:00:00,投诉,,快递超时,是,2024-03-04 09:00:00,
F3,C003,2024-03-01 09:00:00,投诉,,发票没开,否,,
F4,C001,2024-03-05 10:00:00,问卷,9,,,,是
F5,C002,2024-03-05 10:00:00,问卷,,,,,否
F6,C003,2024-03-06 10:00:00,回访,,回访：满意,,,
"""


@pytest.fixture
def ws_dir(loaded, write, tmp_path):
    from custlens.io.pipeline import import_file

    import_file(loaded, "feedback", write("feedback.csv", FEEDBACK_CSV))
    loaded.close()
    return tmp_path / "ws"


def test_resolution_and_responses(ws_dir):
    r = runner.invoke(app, ["satisfaction", "service", "-w", str(ws_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = {row["complaint_type"]: row for row in json.loads(r.stdout)}
    # delivery: 1 and 3 days -> median 2, p90 1 + 0.9 * 2 = 2.8; invoice unresolved, no time
    assert rows["delivery"]["median_days"] == pytest.approx(2.0)
    assert rows["delivery"]["p90_days"] == pytest.approx(2.8)
    assert rows["all"]["resolution_rate"] == pytest.approx(2 / 3, abs=1e-4)  # rounded to 4 places
    assert rows["invoice"]["median_days"] is None
    r = runner.invoke(
        app,
        ["satisfaction", "service", "-w", str(ws_dir), "--view", "responses", "--format", "json"],
    )
    rates = {row["feedback_type"]: row for row in json.loads(r.stdout)}
    assert (rates["survey"]["sent"], rates["survey"]["responded"]) == (2, 1)
    assert rates["callback"]["response_rate"] == pytest.approx(1.0)  # blank, with a text


def test_tables_in_both_languages(ws_dir):
    zh = runner.invoke(app, ["satisfaction", "service", "-w", str(ws_dir)])
    assert zh.exit_code == 0, zh.output
    assert "投诉处理" in zh.stdout and "物流" in zh.stdout  # title and type in Chinese
    from custlens.config import update_settings

    update_settings(ws_dir, {"locale": "en"})
    en = runner.invoke(app, ["satisfaction", "service", "-w", str(ws_dir), "--view", "responses"])
    assert en.exit_code == 0, en.output
    assert "response rates" in en.stdout and "survey" in en.stdout
