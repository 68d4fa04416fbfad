"""`custlens clv ...` and `custlens churn ...` through typer's CliRunner, on files and a workspace."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from custlens.cli.churn import churn_app
from custlens.cli.clv import clv_app
from tests.analytics.clv.conftest import (
    CAL_END,
    OBS_END,
    regular_cadence_orders,
    simulate_bgnbd,
)

runner = CliRunner()


def run(app, *args):
    return runner.invoke(app, [str(a) for a in args])


def test_fit_json_prints_parameters_by_name(cdnow_csv):
    r = run(
        clv_app,
        "fit",
        cdnow_csv,
        "--time-unit",
        "W",
        "--calibration-end",
        CAL_END,
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["time_unit"] == "W" and out["time_unit_name"] == "weeks"
    assert {k: round(v, 3) for k, v in out["params"].items()} == {
        "r": 0.243,
        "alpha": 4.414,
        "a": 0.793,
        "b": 2.426,
    }
    assert set(out["standard_errors"]) == {"r", "alpha", "a", "b"}
    assert round(out["log_likelihood"], 1) == -9582.4
    gg = out["gamma_gamma"]
    assert {k: round(v, 2) for k, v in gg["params"].items()} == {"p": 6.25, "q": 3.74, "v": 15.44}
    assert set(gg["standard_errors"]) == {"p", "q", "v"} and gg["customers"] == 946


def test_fit_table_pareto_and_csv(cdnow_csv):
    r = run(clv_app, "fit", cdnow_csv, "--calibration-end", CAL_END, "--model", "pareto")
    assert r.exit_code == 0, r.output
    # (no workspace: the default language, Chinese, with the unit named: 时间单位：周)
    assert "Pareto/NBD" in r.stdout and "时间单位：周" in r.stdout and "beta" in r.stdout
    r = run(
        clv_app,
        "fit",
        cdnow_csv,
        "--calibration-end",
        CAL_END,
        "--time-unit",
        "D",
        "--format",
        "csv",
    )
    assert r.exit_code == 0, r.output
    rows = list(pd.read_csv(pd.io.common.StringIO(r.stdout)).itertuples())
    assert [row.parameter for row in rows] == ["r", "alpha", "a", "b", "p", "q", "v"]
    assert rows[1].estimate == pytest.approx(7 * 4.4136, rel=1e-4)  # alpha in days


def test_validate_json(cdnow_csv):
    r = run(
        clv_app,
        "validate",
        cdnow_csv,
        "--calibration-end",
        CAL_END,
        "--observation-end",
        OBS_END,
        "--model",
        "bgnbd",
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["purchases"]["actual_total"] == 1882
    assert round(out["purchases"]["predicted_total"], 1) == 1653.4
    assert [c["model"] for c in out["model_check"]["candidates"]] == ["BG/NBD"]
    assert len(out["by_frequency"]) == 8 and len(out["tracking"]) == 78
    assert out["spend"]["actual_total"] > 0 and out["time_unit"] == "W"
    r = run(
        clv_app, "validate", cdnow_csv, "--calibration-end", CAL_END, "--observation-end", OBS_END
    )
    assert r.exit_code == 0 and "39周" in r.stdout


def test_predict_csv_and_json(cdnow_csv):
    r = run(clv_app, "predict", cdnow_csv, "--calibration-end", CAL_END, "--format", "csv")
    assert r.exit_code == 0, r.output
    frame = pd.read_csv(pd.io.common.StringIO(r.stdout))
    assert len(frame) == 2357
    assert {
        "p_alive",
        "expected_purchases_90d",
        "expected_purchases_365d",
        "clv",
        "churn_risk_label",
    } <= set(frame.columns)
    assert frame["clv"].is_monotonic_decreasing
    r = run(
        clv_app,
        "predict",
        cdnow_csv,
        "--calibration-end",
        CAL_END,
        "--format",
        "json",
        "--months",
        "6",
    )
    out = json.loads(r.stdout)
    assert out["horizon_months"] == 6 and sum(t["customers"] for t in out["by_churn_risk"]) == 2357


def test_churn_commands_on_a_file(cdnow_csv, tmp_path):
    from tests.analytics.churn.test_churn import planted_world

    orders, _ = planted_world(n=1500, seed=4)
    path = tmp_path / "orders.csv"
    orders.to_csv(path, index=False)
    r = run(churn_app, "train", path, "--format", "json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert rep["roc_auc"] > 0.7 and rep["train_label_end"] <= rep["test_cutoff"]
    r = run(churn_app, "score", path, "--format", "csv")
    assert r.exit_code == 0, r.output
    scores = pd.read_csv(pd.io.common.StringIO(r.stdout))
    assert scores["churn_probability"].is_monotonic_decreasing and len(scores) == 1500
    r = run(churn_app, "score", cdnow_csv, "--method", "palive", "--format", "json")
    assert r.exit_code == 0, r.output
    assert {"p_alive", "churn_risk"} <= set(json.loads(r.stdout)[0])


def test_chinese_headers_are_detected(cdnow_csv, tmp_path):
    orders = pd.read_csv(cdnow_csv).rename(
        columns={"customer_id": "客户编号", "order_date": "下单日期", "amount": "总金额"}
    )
    path = tmp_path / "订单.csv"
    orders.to_csv(path, index=False, encoding="gb18030")
    r = run(clv_app, "fit", path, "--calibration-end", CAL_END, "--format", "json")
    assert r.exit_code == 0, r.output
    assert round(json.loads(r.stdout)["params"]["r"], 3) == 0.243


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("customer_id,order_date,amount\nA,2024-01-01,10\nA,2024-02-01,-5\n", "negative"),
        ("who,when\nA,2024-01-01\n", "找不到客户、日期和金额列"),
        ("customer_id,order_date,amount\nA,2024-01-01,10\nB,2024-01-02,5\n", "repeat buyers"),
    ],
)
def test_bad_files_exit_1_with_a_message(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    r = run(clv_app, "fit", path)
    assert r.exit_code == 1 and message in r.stderr
    r = run(clv_app, "fit", tmp_path / "missing.csv")
    assert r.exit_code == 1 and "找不到文件" in r.stderr  # the default language: zh


@pytest.fixture
def workspace_with_orders(tmp_path):
    from custlens.io.pipeline import import_file
    from custlens.store import init_workspace

    frame, end = simulate_bgnbd(400, 0.8, 8.0, 0.6, 3.0, seed=5, orders=True)
    frame["订单编号"] = [f"O{i}" for i in range(len(frame))]
    frame = frame.rename(
        columns={"customer_id": "客户编号", "order_date": "下单时间", "amount": "总金额"}
    )
    frame["商品类别"] = "图书"
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    ws = init_workspace(tmp_path / "ws")
    result = import_file(ws, "orders", path)
    assert result.rejected == 0
    ws.close()
    return tmp_path / "ws", end, len(frame)


def test_workspace_mode(workspace_with_orders):
    ws, end, _ = workspace_with_orders
    r = run(clv_app, "fit", "--workspace", ws, "--format", "json", "--calibration-end", end)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (
        out["customers"] == 400
        and out["time_unit"] == "W"
        and set(out["params"]) == {"r", "alpha", "a", "b"}
    )
    r = run(
        clv_app,
        "predict",
        "--workspace",
        ws,
        "--calibration-end",
        end,
        "--by",
        "level",
        "-f",
        "json",
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["by_group"] == [
        {**json.loads(r.stdout)["by_group"][0], "level": "(none)", "customers": 400}
    ]
    r = run(clv_app, "predict", "--workspace", ws, "--by", "password")
    assert r.exit_code == 1 and "不是客户表的列" in r.stderr
    r = run(churn_app, "score", "--workspace", ws, "--method", "palive", "--format", "json")
    assert r.exit_code == 0, r.output
    assert len(json.loads(r.stdout)) == 400


def test_registered_in_the_main_app(cdnow_csv):
    from custlens.cli.main import app

    names = {g.name for g in app.registered_groups}
    assert {"clv", "churn"} <= names
    r = run(
        app,
        "clv",
        "fit",
        cdnow_csv,
        "--time-unit",
        "W",
        "--calibration-end",
        CAL_END,
        "--format",
        "json",
    )
    assert r.exit_code == 0, r.output
    assert round(json.loads(r.stdout)["params"]["alpha"], 3) == 4.414


@pytest.fixture(scope="module")
def degenerate_workspace(tmp_path_factory):
    """A workspace holding a 13-month export on which BG/NBD cannot identify drop-out."""
    from custlens.io.pipeline import import_file
    from custlens.store import init_workspace

    root = tmp_path_factory.mktemp("degenerate")
    frame, _ = regular_cadence_orders()
    frame.insert(0, "order_id", [f"O{i}" for i in range(len(frame))])
    path = root / "orders.csv"
    frame.to_csv(path, index=False)
    ws = init_workspace(root / "ws")
    assert import_file(ws, "orders", path).rejected == 0
    ws.close()
    return root / "ws"


def test_degenerate_fit_is_said_and_the_lifecycle_rule_used(degenerate_workspace):
    from custlens.analytics.value.lifecycle import resolve_stage
    from custlens.cli.main import app

    ws = degenerate_workspace
    r = run(app, "lifecycle", "-w", ws, "--format", "json")
    assert r.exit_code == 0, r.output
    stages = {resolve_stage(s.get("stage_code") or s["target"]): s for s in json.loads(r.stdout)}
    churned = stages["churned"]["customers"]
    assert churned > 0

    r = run(clv_app, "predict", "-w", ws, "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    risk = out["churn_risk"]
    assert risk["degenerate"] is True and risk["basis"] == "lifecycle_rule"
    assert "p_alive_constant" in risk["degenerate_reasons"]
    assert "无法区分活跃客户与流失客户" in r.stderr and "流失阶段" in r.stderr
    tiers = {t["churn_risk"]: t["customers"] for t in out["by_churn_risk"]}
    assert tiers["high"] == churned  # high churn risk = the churned stage, same customers
    assert sum(tiers.values()) == 4339

    r = run(churn_app, "score", "-w", ws, "--method", "palive", "--lang", "en", "-f", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert sum(row["churn_risk"] == "high" for row in rows) == churned
    assert all(row["churn_probability"] is None for row in rows)
    assert "cannot separate active from churned customers" in r.stderr


def test_validate_is_a_quality_report(cdnow_csv):
    args = ["validate", cdnow_csv, "--calibration-end", CAL_END, "--observation-end", OBS_END]
    r = run(clv_app, *args, "--format", "json", "--lang", "en")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    check = out["model_check"]
    errors = {c["model"]: abs(c["error_pct"]) for c in check["candidates"]}
    assert set(errors) == {"BG/NBD", "Pareto/NBD", "MBG/NBD"}
    assert check["chosen"] == min(errors, key=errors.get) == out["fit"]["model"]
    assert check["adequate"] == (errors[check["chosen"]] <= 20)
    assert [d["decile"] for d in out["by_decile"]] == list(range(1, 11))
    assert sum(d["actual_total"] for d in out["by_decile"]) == 1882
    assert out["chart"]["title"] == "Holdout purchases per customer by calibration frequency"
    assert f"Model chosen on a holdout after {CAL_END}" in r.stderr.replace("\n", " ")
    r = run(clv_app, *args)
    assert r.exit_code == 0 and "各模型在验证期的对比" in r.stdout and "7+" in r.stdout
    assert "验证期选出的模型" in r.stderr.replace("\n", "")


def test_degenerate_fit_is_explained_with_what_to_try(tmp_path):
    orders, end = regular_cadence_orders(n=1500)
    path = tmp_path / "cadence.csv"
    orders.to_csv(path, index=False)
    r = run(clv_app, "fit", path, "--calibration-end", end, "--format", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["degenerate"] and "更长的订单历史" in out["degenerate_explanation"]
    said = r.stderr.replace("\n", "")
    assert "拟合退化" in said and "更长的订单历史" in said
