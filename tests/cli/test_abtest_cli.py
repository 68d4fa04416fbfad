"""`custlens abtest analyze` on the demo world: an arm's catalogue metrics are the numbers
`custlens kpi` gives for the campaign window on a workspace holding only that arm's customers'
orders, and `--sequential` reports the mSPRT per look."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.io.pipeline import import_file
from custlens.store import init_workspace
from tests.conftest import demo_workspace

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def _json(*args):
    r = run(*args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("abtest_cli")
    tables = ("customers", "orders", "campaigns", "campaign_responses")
    ws, truth = demo_workspace(root, 2500, 5, tables=tables)
    planted = truth["campaigns"]["ab_tests"]
    cid = max(planted, key=lambda c: planted[c]["n_control"])
    r = ws.table("campaign_responses")
    arms = r.filter(r.campaign_id == cid).select("customer_id", "group").to_pandas()
    o = ws.table("orders")
    orders = o.select("order_id", "customer_id").distinct().to_pandas()
    ws.close()
    return {"root": root, "truth": truth, "cid": cid, "arms": arms, "orders": orders}


def _arm_workspace(world, arm: str):
    """A workspace holding the demo's order file rows of one arm's customers only."""
    ids = set(world["arms"].loc[world["arms"].group == arm, "customer_id"])
    mine = set(world["orders"].loc[world["orders"].customer_id.isin(ids), "order_id"])
    src = world["root"] / "data" / world["truth"]["files"]["orders"]
    rows = pd.read_csv(src, dtype=str, keep_default_na=False)
    kept = rows[rows["订单编号"].str.strip().isin(mine)]
    path = world["root"] / f"orders_{arm}.csv"
    kept.to_csv(path, index=False)
    ws = init_workspace(world["root"] / f"ws_{arm}")
    import_file(ws, "orders", path)
    ws.close()
    return world["root"] / f"ws_{arm}"


def test_arm_aov_is_the_kpi_aov_of_the_arm(world):
    ws = world["root"] / "ws"
    res = _json(
        "abtest", "analyze", "-w", ws, "-e", world["cid"], "--metric", "aov", "--metric",
        "repurchase_rate", "--resamples", 200, "-f", "json",
    )  # fmt: skip
    aov, rep = res["results"]
    c = world["truth"]["campaigns"]["items"]
    item = next(i for i in c if i["campaign_id"] == world["cid"])
    for arm in ("treatment", "control"):
        kpi = _json(
            "kpi", "-w", _arm_workspace(world, arm), "--freq", "range", "--start",
            item["start"], "--end", item["end"], "--kpi", "aov", "--kpi", "repurchase_rate",
            "--format", "json",
        )  # fmt: skip
        got = {r["kpi"]: r["value"] for r in kpi}
        assert aov[f"value_{arm}"] == pytest.approx(got["aov"], rel=1e-9)
        assert rep[f"value_{arm}"] == pytest.approx(got["repurchase_rate"], rel=1e-9)


def test_sequential_reports_each_look_in_zh_and_en(world):
    ws = world["root"] / "ws"
    args = ("abtest", "analyze", "-w", ws, "-e", world["cid"], "--sequential", "--looks", 5)
    res = _json(*args, "--resamples", 200, "-f", "json")
    looks = res["sequential"]
    assert [r["look"] for r in looks if r["metric"] == "conversion"] == [1, 2, 3, 4, 5]
    conv = res["results"][0]
    assert conv["decided_on"] == "sequential"
    assert conv["p_always_valid"] == looks[4]["p_always_valid"]
    csv = run(*args, "--resamples", 200, "-f", "csv")
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0].startswith("metric,look,")
    zh = run(*args, "--resamples", 200)
    assert zh.exit_code == 0, zh.output
    assert "序贯检验（mSPRT）" in zh.stdout and "始终有效的 mSPRT 序贯检验" in zh.stderr
    en = run(*args, "--resamples", 200, "--lang", "en")
    assert "Sequential test (mSPRT)" in en.stdout and "always-valid mSPRT test" in en.stderr


def test_a_metric_the_catalogue_cannot_split_by_customer_is_refused(world):
    r = run("abtest", "analyze", "-w", world["root"] / "ws", "-e", world["cid"], "-m", "nps")
    assert r.exit_code == 2
    assert "A/B 实验无法比较" in r.output
