"""The full command-line flow through typer's CliRunner."""

from __future__ import annotations

import json

import openpyxl
import pytest
from typer.testing import CliRunner

from custlens.cli.main import app
from tests.conftest import CUSTOMERS_CSV, ORDERS_CSV

runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTLENS_WORKSPACE", str(tmp_path / "ws"))
    (tmp_path / "c.csv").write_text(
        CUSTOMERS_CSV + "C004,赵六,女,33,123,2024-01-08,,\n", encoding="utf-8"
    )
    (tmp_path / "o.csv").write_text(ORDERS_CSV, encoding="utf-8")
    return tmp_path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_full_flow(env):
    r = invoke("init")
    assert r.exit_code == 0, r.output
    r = invoke("import", "customers", env / "c.csv", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["inserted"] == 3 and data["rejected"] == 1
    assert data["problems"][0]["message"] == "第5行 联系方式：格式错误（应为11位手机号）"
    r = invoke("import", "orders", env / "o.csv")
    assert r.exit_code == 0, r.output
    r = invoke("import-log", "--format", "json")
    log = json.loads(r.stdout)
    assert [x["table_name"] for x in log] == ["orders", "customers"]
    assert log[1]["problems"] == {"invalid_phone": 1}
    r = invoke("quality", "--format", "json")
    assert json.loads(r.stdout)["rejected"] == [
        {"table": "customers", "code": "invalid_phone", "rows": 1}
    ]
    r = invoke("summary", "--format", "json")
    summary = json.loads(r.stdout)
    assert (
        summary["totals"]["gmv"] == 807.0 and summary["top_customers"][0]["customer_id"] == "C001"
    )
    # rows of the customer table and customers with analysable orders, named apart
    assert (summary["totals"]["customers"], summary["totals"]["buyers"]) == (3, 3)
    r = invoke("summary", "--format", "csv")
    assert r.stdout.splitlines()[0].startswith("customers,buyers,orders,lines,gmv")
    r = invoke("export", "customers", "--out", env / "x.xlsx", "--format", "xlsx")
    assert r.exit_code == 0
    audit = json.loads(invoke("audit", "--format", "json").stdout)
    assert audit[0]["action"] == "export" and '"via": "cli"' in audit[0]["detail"]
    values = list(openpyxl.load_workbook(env / "x.xlsx").active.values)
    assert values[0][:2] == ("客户编号", "姓名") and values[1][1].endswith("*")
    r = invoke("template", "orders", "--out", env / "t.xlsx")
    assert r.exit_code == 0
    wb = openpyxl.load_workbook(env / "t.xlsx")
    assert wb.sheetnames == ["购买记录表", "说明"]
    header = [c.value for c in wb["购买记录表"][1]]
    assert "客户编号*" in header and "购买日期*" in header
    # the template's example row imports cleanly
    r = invoke("import", "orders", env / "t.xlsx", "--format", "json")
    assert json.loads(r.stdout)["inserted"] == 1


def test_dry_run_shows_mapping(env):
    invoke("init")
    r = invoke("import", "customers", env / "c.csv", "--dry-run", "--lang", "en")
    assert r.exit_code == 0
    assert "Detected mapping" in r.stdout and "dry run" in r.stdout
    r = invoke("status", "--format", "json")
    assert {x["table"]: x["rows"] for x in json.loads(r.stdout)}["customers"] == 0


def test_exit_codes(env):
    invoke("init")
    assert invoke("import", "customers", env / "missing.csv").exit_code == 1
    assert invoke("import", "nosuchtable", env / "c.csv").exit_code == 2
    (env / "bad.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    r = invoke("import", "customers", env / "bad.csv")
    assert r.exit_code == 1 and "缺少必填列" in r.output


def test_no_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTLENS_WORKSPACE", str(tmp_path / "none"))
    r = invoke("status")
    assert r.exit_code == 1 and "custlens init" in r.output


def test_help_has_examples():
    for cmd in ("import", "export", "template", "quality", "import-log", "summary", "init"):
        r = invoke(cmd, "--help")
        assert r.exit_code == 0 and "Example" in r.stdout, cmd


def test_quality_xlsx(env):
    invoke("init")
    (env / "o2.csv").write_text(
        ORDERS_CSV + "O9,C001,2024-05-01,母婴,奶粉,1,10,-10\n", encoding="utf-8"
    )
    invoke("import", "orders", env / "o2.csv")
    assert invoke("quality", "--format", "xlsx").exit_code == 2
    r = invoke("quality", "--format", "xlsx", "--out", env / "q.xlsx")
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(env / "q.xlsx")
    assert wb.sheetnames == ["需核实规则", "导入失败", "示例"]
    rules = list(wb["需核实规则"].values)
    assert ("negative_amount", 1) in rules and ("orphan_order", 6) in rules
