"""Text clean-up of every imported value: trim, full-width to half-width, empty to NULL."""

from __future__ import annotations

import duckdb
import pytest

from custlens.io.normalise import text_expr

CASES = [
    ("C001", "C001"),
    ("  C001 ", "C001"),
    (" ", None),
    ("", None),
    (None, None),
    ("\tC001", "\tC001"),  # only spaces are trimmed
    ("ＶＩＰ１２３", "VIP123"),
    ("　１３８－１２３４　", "138-1234"),  # ideographic spaces become spaces, then trimmed
    ("张三", "张三"),
    (" 张三　", "张三"),
    ("a　b", "a b"),
    ("微信支付 ", "微信支付"),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_text_expr(raw, expected):
    con = duckdb.connect()
    got = con.execute(f"SELECT {text_expr('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", [raw])
    assert got.fetchone()[0] == expected
