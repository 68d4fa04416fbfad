"""A UK shop as a new user meets custlens: a workspace in pounds, an English invoice-line
export brought in with the shipped mapping, the figures read back in the terminal."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from custlens.analytics.orders import sales_totals
from custlens.cli.main import app
from custlens.store import open_workspace
from tests.io.exports import invoice_lines
from tests.io.test_real_exports import expected_invoice_totals

runner = CliRunner()
MAPPING = Path(__file__).resolve().parents[2] / "docs" / "mappings" / "online-retail.yaml"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_uk_invoice_export_end_to_end(tmp_path):
    shop = tmp_path / "shop"
    r = invoke("init", shop, "--currency", "GBP", "--timezone", "Europe/London", "--locale", "en")
    assert r.exit_code == 0, r.output
    text, frame = invoice_lines()
    data = tmp_path / "Online Retail.csv"
    data.write_text(text, encoding="utf-8")
    want = expected_invoice_totals(frame)
    r = invoke("import", "orders", data, "--mapping", MAPPING, "-w", shop, "--format", "json")
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert result["rows_read"] == len(frame)
    assert result["duplicate"] == want["duplicate"] and result["rejected"] == want["rejected"]
    n_customers = frame.loc[frame.CustomerID != "", "CustomerID"].nunique()
    assert result["customers_created"] == n_customers
    # the table output says so in one line, in the workspace's language
    r = invoke("import", "orders", data, "--mapping", MAPPING, "-w", shop)
    assert r.exit_code == 0, r.output
    assert "customers appear only in the orders" not in r.output  # none new the second time
    zh = tmp_path / "zh-shop"
    assert invoke("init", zh).exit_code == 0
    r = invoke("import", "orders", data, "--mapping", MAPPING, "-w", zh)
    assert r.exit_code == 0, r.output
    assert f"{n_customers} 位客户只出现在订单中" in r.output
    r = invoke("summary", "-w", shop)
    assert r.exit_code == 0, r.output
    assert "£" in r.output and "¥" not in r.output
    r = invoke("summary", "-w", shop, "--format", "json")
    assert r.exit_code == 0, r.output
    gmv = Decimal(str(json.loads(r.stdout)["totals"]["gmv"]))
    ws = open_workspace(shop)
    try:
        orders = ws.ibis().table("orders")
        every = sales_totals(orders, include_flagged=True).execute().iloc[0]
        default = sales_totals(orders).execute().iloc[0]
    finally:
        ws.close()
    # the terminal's GMV is net sales without the 需核实 lines, as in every other figure
    assert gmv == Decimal(str(default.net_sales)) < want["net"]
    assert Decimal(str(every.net_sales)) == want["net"]
