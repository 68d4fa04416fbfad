"""The customer-value commands through typer's CliRunner (real workspace, real app)."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.store import init_workspace
from tests.analytics import value_fixture as vf

runner = CliRunner()
AS_OF = "2024-07-01"


@pytest.fixture(scope="module")
def wsdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    ws = init_workspace(root / "ws")
    vf.load(ws, root / "data")
    ws.close()
    return root / "ws"


def run(wsdir, *args, ok=True):
    result = runner.invoke(app, [*map(str, args), "-w", str(wsdir)])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def flat(text: str) -> str:
    """Output without the line breaks rich adds at the terminal width."""
    return " ".join(text.split())


def rows(result):
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_analyze_then_customers_and_tags(wsdir, tmp_path):
    out = json.loads(run(wsdir, "analyze", "--as-of", AS_OF, "--no-clusters", "-f", "json").stdout)
    assert out["customers"] == 10 and out["as_of"] == AS_OF
    assert [g["name"] for g in out["value_groups"]] == ["高价值", "潜力", "流失预警", "其他"]
    # the churned stage, named with its rule, counted as `custlens lifecycle` counts it
    stages = json.loads(run(wsdir, "lifecycle", "--as-of", AS_OF, "-f", "json").stdout)
    churned = [s["customers"] for s in stages if s.get("target", s.get("stage")) == "流失"]
    assert out["churned_stage"]["customers"] == sum(churned) > 0
    assert out["churned_stage"]["label"] == "流失阶段（生命周期规则：超过180天未购买）"
    listing = rows(run(wsdir, "customers", "--tag", "VIP", "--segment", "重要价值", "-f", "csv"))
    assert [r["customer_id"] for r in listing] == ["C01"]
    assert listing[0]["name"] == "张**" and listing[0]["phone"] == "138****0001"
    assert "13800000001" not in run(wsdir, "customers", "-f", "json").stdout
    assert run(wsdir, "customers", "--stage", "成熟", "-f", "json").stdout.count("C09") == 1
    table = run(wsdir, "customers", "--segment", "高价值").stdout
    assert "张**" in table and "张三丰" not in table
    stats = rows(run(wsdir, "tags", "stats", "-f", "csv"))
    vip = next(r for r in stats if r["tag"] == "VIP")
    assert (vip["customers"], vip["share"]) == ("1", "0.1")
    pairs = rows(run(wsdir, "tags", "stats", "--overlap", "-f", "csv"))
    assert any({p["tag_a"], p["tag_b"]} == {"VIP", "高频"} for p in pairs)
    added = json.loads(
        run(wsdir, "tags", "add", "C03", "重点维护", "--weight", "2", "-f", "json").stdout
    )
    assert added == [{"customer_id": "C03", "tag": "重点维护", "action": "add", "weight": 2.0}]
    assert [
        r["customer_id"] for r in rows(run(wsdir, "customers", "--tag", "重点维护", "-f", "csv"))
    ] == ["C03"]
    run(wsdir, "tags", "remove", "C03", "重点维护")
    assert rows(run(wsdir, "customers", "--tag", "重点维护", "-f", "csv")) == []
    bad = run(wsdir, "tags", "add", "C99", "x", ok=False)
    assert bad.exit_code == 1 and "unknown customer" in flat(bad.output)
    out_file = tmp_path / "c.xlsx"
    run(wsdir, "customers", "--limit", "0", "--out", out_file, "-f", "json")
    values = list(openpyxl.load_workbook(out_file).active.values)
    assert len(values) == 11 and all(v[1].endswith("*") for v in values[1:])


def test_kpi_formats(wsdir):
    june = ("kpi", "--freq", "month", "--start", "2024-06-01", "--end", "2024-06-30")
    data = json.loads(run(wsdir, *june, "-f", "json").stdout)
    gmv = next(r for r in data if r["kpi"] == "gmv")
    assert (gmv["value"], gmv["previous"]) == (1719.99, 260.0)
    csv_rows = rows(run(wsdir, *june, "--kpi", "buyers", "-f", "csv"))
    assert [(r["kpi"], r["value"], r["previous"]) for r in csv_rows] == [("buyers", "5.0", "3.0")]
    assert "repurchase_rate" in run(wsdir, "kpi", "--freq", "quarter", "-f", "csv").stdout
    assert "按季度KPI" in run(wsdir, "kpi", "--freq", "quarter").stdout  # zh workspace
    bad = run(wsdir, *june, "--kpi", "customers_total", ok=False)
    assert bad.exit_code == 2 and "repurchase_rate" in bad.output  # lists the catalogue ids


def test_rfm_segments_lifecycle_clusters(wsdir):
    rfm = json.loads(run(wsdir, "rfm", "--as-of", AS_OF, "--limit", "2", "-f", "json").stdout)
    assert [(r["customer_id"], r["rfm_code"], r["name"]) for r in rfm] == [
        ("C01", "445", "张**"),
        ("C09", "455", "郑*"),
    ]
    seg = rows(run(wsdir, "segments", "--as-of", AS_OF, "-f", "csv"))
    assert (
        seg[0]["name"] == "重要价值"
        and seg[0]["customers"] == "2"
        and "专属客服" in seg[0]["strategy"]
    )
    groups = rows(run(wsdir, "segments", "--as-of", AS_OF, "--by", "group", "-f", "csv"))
    assert (groups[0]["name"], groups[0]["strategy"]) == (
        "高价值",
        "专属客服、VIP 福利、新品优先",
    )
    life = rows(run(wsdir, "lifecycle", "--as-of", AS_OF, "-f", "csv"))
    assert [(r["target"], r["customers"]) for r in life] == [
        ("新客", "1"),
        ("成长", "5"),
        ("成熟", "1"),
        ("衰退", "2"),
        ("流失", "1"),
    ]
    assert "引导二次购买" in life[0]["actions"]
    moves = rows(run(wsdir, "lifecycle", "--from", "2024-05-01", "--to", AS_OF, "-f", "csv"))
    assert {(m["from_stage"], m["to_stage"], m["customers"]) for m in moves} >= {
        ("衰退", "流失", "1")
    }
    assert run(wsdir, "lifecycle", "--from", "2024-05-01", ok=False).exit_code == 2
    clusters = json.loads(run(wsdir, "clusters", "--as-of", AS_OF, "--k", "2", "-f", "json").stdout)
    assert len(clusters) == 2 and sum(c["customers"] for c in clusters) == 10


def test_tags_list_and_preview(wsdir, tmp_path):
    rules = json.loads(run(wsdir, "tags", "list", "-f", "json").stdout)
    assert any(r["name"] == "VIP" and r["category"] == "value" for r in rules)
    prev = json.loads(
        run(wsdir, "tags", "preview", "高客单价", "--as-of", AS_OF, "-f", "json").stdout
    )
    assert (prev["matched"], prev["customers"]) == (2, 10)
    prev = json.loads(
        run(
            wsdir, "tags", "preview", "orders >= 2", "--as-of", AS_OF, "--show", "3", "-f", "json"
        ).stdout
    )
    assert prev["matched"] == 7 and [c["customer_id"] for c in prev["customers"]] == [
        "C01",
        "C02",
        "C03",
    ]
    assert prev["customers"][0]["name"] == "张**"
    bad = run(wsdir, "tags", "preview", "order_count > 1", ok=False)
    assert bad.exit_code == 1 and "未知列 'order_count'" in flat(bad.output)
    (wsdir / "tags.yaml").write_text(
        "tags:\n  - {name: X, category: value, expr: nope > 1}\n", encoding="utf-8"
    )
    try:
        bad = run(wsdir, "tags", "list", ok=False)
        assert bad.exit_code == 1 and "第 2 行，规则 X：未知列 'nope'" in flat(bad.output)
    finally:
        (wsdir / "tags.yaml").unlink()


def test_commands_have_examples():
    for command in ("analyze", "kpi", "rfm", "segments", "lifecycle", "clusters", "customers"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0 and "Example: custlens" in result.output
        assert "--format" in result.output
    for sub in ("list", "stats", "preview", "add", "remove"):
        result = runner.invoke(app, ["tags", sub, "--help"])
        assert result.exit_code == 0 and "Example: custlens tags" in result.output
        assert "--format" in result.output


def test_kpi_default_range_starts_with_the_data(wsdir):
    """No --start: twelve months back, but no month before the first order (2023-08-01)."""
    data = json.loads(run(wsdir, "kpi", "-f", "json").stdout)
    starts = sorted({r["period_start"] for r in data})
    assert starts[0] == "2023-08-01" and starts[-1] == "2024-07-01"
