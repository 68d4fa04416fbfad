"""The data-quality page lists every imported table with its row count; overview KPI cards
are coloured by the KPI's good direction."""

from __future__ import annotations

import re

from custlens.schema.tables import TABLES


def test_quality_page_counts_every_imported_table(clients, con):
    html = clients["vic"].get("/quality").text
    assert "已导入的数据表" in html
    for name, table in TABLES.items():
        rows = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        assert rows > 0, name
        cell = f"{rows:,}" if rows < 100_000 else f"{rows / 1e4:,.1f}万"
        assert re.search(rf"{table.zh}</td>\s*<td[^>]*>{name}</td>\s*<td[^>]*>{cell}</td>", html)


def test_quality_page_hides_counts_from_row_filtered_accounts(clients):
    html = clients["gd"].get("/quality").text
    assert "已导入的数据表" not in html


def test_overview_cards_coloured_by_direction(clients):
    html = clients["vic"].get("/", params={"period": "month"}).text
    cards = re.findall(
        r'data-kpi="(\w+)">.*?<div class="change ([^"]*)">\s*([+−]?)[\d.]', html, flags=re.S
    )
    assert len(cards) >= 4
    for key, classes, sign in cards:
        good = "down" if key in ("refund_rate", "churn_rate") else "up"
        expected = "grey" if not sign else ("green" if (sign == "+") == (good == "up") else "red")
        assert expected in classes.split(), (key, classes, sign)
