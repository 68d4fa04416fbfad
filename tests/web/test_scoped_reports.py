"""Reports through the web read the user's row-filtered workspace: a user with row filters
(province=广东) gets every section, each counting only their rows, checked against SQL written
here; an unrestricted admin's report counts every row, as the raw SQL quality report does."""

from __future__ import annotations

import pytest

from custlens.io.quality import quality_report
from custlens.reports.build import SECTIONS, build_report
from custlens.schema.returns import ANALYZABLE_SQL
from custlens.schema.tables import TABLES
from custlens.web.routes import reports as report_route

GD = "广东"
PERIOD = "2025-10"
AS_OF = "2025-11-01"  # the day after the period (the demo's orders run past it)
VISIBLE = "customer_id IN (SELECT customer_id FROM customers WHERE province = ?)"


@pytest.fixture
def built(monkeypatch):
    """The report models the web route writes its files from."""
    seen = []

    def spy(*args, **kwargs):
        seen.append(build_report(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(report_route, "build_report", spy)
    return seen


def _report(client, built):
    resp = client.post(
        "/reports", data={"csrf_token": client.csrf, "format": "html", "period": PERIOD}
    )
    assert resp.status_code == 200, resp.text[:300]
    assert "attachment" in resp.headers["content-disposition"]
    (report,) = built
    return {s.key: s for s in report.sections}


def _table(section, title):
    (table,) = [t for t in section.tables if t.title == title]
    return table.rows


def _scoped_count(con, name: str, scoped: bool) -> int:
    where = ""
    if scoped and name == "customers":
        where = " WHERE province = ?"
    elif scoped and "customer_id" in TABLES[name].names:
        where = f" WHERE {VISIBLE}"
    params = [GD] if where else []
    return con.execute(f'SELECT count(*) FROM "{name}"{where}', params).fetchone()[0]


def _review(con, scoped: bool) -> tuple[int, int, list[int]]:
    """Order lines, those marked needs review, and the lines per rule (sorted counts)."""
    where, params = (f"WHERE {VISIBLE}", [GD]) if scoped else ("", [])
    lines, marked = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE needs_review) FROM orders {where}", params
    ).fetchone()
    per_rule = con.execute(
        "SELECT count(*) FROM (SELECT unnest(string_split(review_reasons, ',')) AS code "
        f"FROM orders {where} {'AND' if where else 'WHERE'} needs_review) GROUP BY code",
        params,
    ).fetchall()
    return lines, marked, sorted(n for (n,) in per_rule)


def _buyers(con, scoped: bool) -> int:
    """Customers with an analysed order before the report's as-of date."""
    extra, params = (f"AND {VISIBLE}", [GD]) if scoped else ("", [])
    return con.execute(
        f"SELECT count(DISTINCT customer_id) FROM orders WHERE {ANALYZABLE_SQL} "
        f"AND NOT coalesce(needs_review, false) AND order_date < DATE '{AS_OF}' {extra}",
        params,
    ).fetchone()[0]


def test_restricted_user_may_choose_every_section(clients):
    page = clients["gd"].get("/reports").text
    for key in SECTIONS:
        assert f'value="{key}"' in page, key


def test_restricted_report_has_every_section_with_only_their_rows(clients, built, con):
    sections = _report(clients["gd"], built)
    assert list(sections) == list(SECTIONS)

    quality = sections["quality"]
    counts = {r["table"]: r["rows"] for r in _table(quality, "已导入的数据表")}
    for name in TABLES:
        assert counts[name] == _scoped_count(con, name, True), name
    for name in ("customers", "orders", "events"):
        assert 0 < counts[name] < _scoped_count(con, name, False), name
    lines, marked, per_rule = _review(con, True)
    flagged = _table(quality, "需核实订单（按规则）")
    assert sorted(r["rows"] for r in flagged) == per_rule
    assert sum(per_rule) < sum(_review(con, False)[2])
    text = " ".join(quality.narrative)
    assert f"{lines:,}" in text and f"{marked:,}" in text
    # an import counts the rows of every customer: no import log under row filters
    assert not [t for t in quality.tables if t.title == "导入日志"]
    assert "导入日志" in text

    value = sections["value"]
    buyers = _buyers(con, True)
    assert 0 < buyers < _buyers(con, False)
    for title in ("RFM 分群", "价值分组", "生命周期阶段"):
        assert sum(r["customers"] for r in _table(value, title)) == buyers, title


def test_admin_report_counts_every_row(clients, built, con):
    sections = _report(clients["admin"], built)
    assert list(sections) == list(SECTIONS)
    quality = sections["quality"]
    counts = {r["table"]: r["rows"] for r in _table(quality, "已导入的数据表")}
    assert counts == {name: _scoped_count(con, name, False) for name in TABLES}
    raw = quality_report(con)
    flagged = _table(quality, "需核实订单（按规则）")
    assert sorted(r["rows"] for r in flagged) == sorted(raw["flagged"].values())
    assert f"{raw['needs_review']:,}" in " ".join(quality.narrative)
    log = _table(quality, "导入日志")
    assert len(log) == min(20, con.execute("SELECT count(*) FROM import_log").fetchone()[0]) > 0
    value = sections["value"]
    for title in ("RFM 分群", "价值分组", "生命周期阶段"):
        assert sum(r["customers"] for r in _table(value, title)) == _buyers(con, False), title
