"""Shops outside mainland China: phone numbers by the workspace's phone_region (CN mobile,
another region through libphonenumber, or off), customers files without phones when
phone_required is false, and amounts written with £ or $."""

from __future__ import annotations

import pyarrow as pa
import pytest

from custlens.config import update_settings
from custlens.errors import InputError
from custlens.io.phones import phone_e164
from custlens.io.pipeline import import_file
from custlens.store import init_workspace

HEADER = "customer_id,name,phone\n"


@pytest.fixture
def make_ws(tmp_path):
    opened = []

    def _make(**settings: str):
        root = tmp_path / f"ws{len(opened)}"
        if settings:
            update_settings(root, settings)
        ws = init_workspace(root)
        opened.append(ws)
        return ws

    yield _make
    for ws in opened:
        ws.close()


def _import(ws, write, rows: str, header: str = HEADER):
    result = import_file(ws, "customers", write("c.csv", header + rows), lang="en")
    stored = dict(ws.con.execute("SELECT customer_id, phone FROM customers").fetchall())
    codes = sorted((p.row, p.code) for p in result.problems)
    return stored, codes, result


def test_cn_default_mainland_mobiles(make_ws, write):
    ws = make_ws()
    stored, codes, _ = _import(
        ws, write, "C1,Li,+86 138-1234-5678\nC2,Wang,12812345679\nC3,Zhao,07911 123456\n"
    )
    assert stored == {"C1": "13812345678"}
    assert codes == [(3, "invalid_phone"), (4, "invalid_phone")]


def test_gb_numbers_valid_and_invalid(make_ws, write):
    ws = make_ws(phone_region="GB")
    rows = (
        "C1,Ann,07911 123456\n"  # national mobile
        "C2,Bob,+44 (0)20 7946 0958\n"  # international, London fixed line
        "C3,Cat,0044 7911 123457\n"  # international prefix dialled from the UK
        "C4,Dan,+33 6 12 34 56 78\n"  # a French mobile is a valid number too
        "C5,Eve,12345\n"  # too short
        "C6,Fay,13812345678\n"  # a Chinese mobile without +86 is not a UK number
        "C7,Gus,07911 123456\n"  # the same number as C1: parsed once, both rows valid
    )
    stored, codes, result = _import(ws, write, rows)
    assert stored == {
        "C1": "+447911123456",
        "C2": "+442079460958",
        "C3": "+447911123457",
        "C4": "+33612345678",
        "C7": "+447911123456",
    }
    assert codes == [(6, "invalid_phone_number"), (7, "invalid_phone_number")]
    (problem, _) = result.problems
    assert problem.message == (
        "row 6, phone: not a valid phone number for the workspace's phone region"
    )


def test_off_keeps_normalised_text(make_ws, write):
    ws = make_ws(phone_region="off")
    stored, codes, _ = _import(ws, write, "C1,Ann,0791-112 3456\nC2,Bob,ext 12\n")
    assert stored == {"C1": "07911123456", "C2": "ext12"}
    assert codes == []


def test_optional_phone_customers_file_without_phone_column(make_ws, write):
    ws = make_ws(phone_region="GB", phone_required="false")
    stored, codes, result = _import(ws, write, "C1,Ann\nC2,Bob\n", header="customer_id,name\n")
    assert stored == {"C1": None, "C2": None} and codes == []
    assert result.inserted == 2
    # blank phones in a file that has the column are fine too; a bad one is left empty
    stored, codes, result = _import(ws, write, "C3,Cat,\nC4,Dan,12345\n")
    assert stored["C3"] is None and stored["C4"] is None
    assert codes == [(3, "invalid_phone_number")] and result.rejected == 0
    assert result.problems[0].message.endswith("; left empty")


def test_phone_required_by_default(make_ws, write):
    ws = make_ws()
    with pytest.raises(InputError, match="missing required columns: phone"):
        _import(ws, write, "C1,Ann\n", header="customer_id,name\n")
    _, codes, _ = _import(ws, write, "C1,Ann,\n")
    assert codes == [(2, "missing_required")]


def test_phone_e164_parses_each_distinct_number_once(monkeypatch):
    import custlens.io.phones as phones

    seen = []
    real = phones._e164
    monkeypatch.setattr(phones, "_e164", lambda key: seen.append(key) or real(key))
    numbers = pa.chunked_array([["07911123456", None, "07911123456"], ["12345", "07911123456"]])
    regions = pa.chunked_array([["GB"] * 3, ["GB"] * 2])
    out = phone_e164(numbers, regions)
    assert out.to_pylist() == ["+447911123456", None, "+447911123456", None, "+447911123456"]
    assert sorted(seen) == ["GB\x1f07911123456", "GB\x1f12345"]


def test_pound_and_dollar_amounts_import(make_ws, write):
    ws = make_ws(currency="GBP", phone_region="GB")
    import_file(ws, "customers", write("c.csv", HEADER + "C1,Ann,07911 123456\n"))
    path = write(
        "o.csv",
        "order_id,customer_id,order_time,product_name,quantity,unit_price,amount\n"
        'O1,C1,2024-02-01,Tea,2,£12.50,"£1,025.00"\nO2,C1,2024-02-02,Tea,1,$9.99,$9.99\n',
    )
    result = import_file(ws, "orders", path)
    amounts = ws.con.execute("SELECT order_id, amount FROM orders ORDER BY 1").fetchall()
    assert [(o, float(a)) for o, a in amounts] == [("O1", 1025.0), ("O2", 9.99)]
    assert "invalid_number" not in result.problem_counts
