"""The 客户满意度 page: numbers checked against SQL, and read through the viewer's rows."""

from __future__ import annotations

import re


def _answers(html: str) -> int:
    # the first data row: NPS, low, high, answers ...
    row = re.search(r"<tbody><tr>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    return int(cells[3].replace(",", ""))


def test_page_counts_the_nps_answers(clients, con):
    r = clients["vic"].get("/satisfaction")
    assert r.status_code == 200
    assert "客户满意度" in r.text and "投诉类型" in r.text and "各 NPS 分组的流失率" in r.text
    expected = con.execute("SELECT count(nps) FROM feedback").fetchone()[0]
    assert _answers(r.text) == expected > 0
    assert 'href="/satisfaction"' in r.text  # in the navigation


def test_row_filtered_viewer_sees_only_their_customers(clients, con):
    r = clients["gdv"].get("/satisfaction")
    assert r.status_code == 200
    expected = con.execute(
        """SELECT count(f.nps) FROM feedback f JOIN customers c USING (customer_id)
           WHERE c.province = '广东'"""
    ).fetchone()[0]
    assert _answers(r.text) == expected
    assert expected < con.execute("SELECT count(nps) FROM feedback").fetchone()[0]
