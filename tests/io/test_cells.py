"""Exports, rejects files and XLSX reports never carry a live formula (CSV injection)."""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pyarrow as pa
import pytest
import xlsxwriter

from custlens.io.cells import neutralise_table
from custlens.io.export import export_table, write_table
from custlens.io.pipeline import import_file
from custlens.reports.model import Column, Report, Section, TableBlock
from custlens.reports.xlsx import write_xlsx

EVIL = '=HYPERLINK("http://evil.example","点我")'
RISKY = [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]
CUSTOMERS = (
    "客户编号,姓名,城市,联系方式\n"
    f'C001,"=Evil","{EVIL.replace(chr(34), chr(34) * 2)}",13812345678\n'
    "C002,张三,@cmd,13912345678\n"
    "C003,李四,杭州,13712345678\n"
)


def _csv_rows(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _xlsx_cells(path):
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [c for row in sheet.iter_rows() for c in row if c.value is not None]


@pytest.fixture
def evil_ws(ws, write):
    import_file(ws, "customers", write("customers.csv", CUSTOMERS))
    return ws


def test_csv_export_quotes_formula_like_text(evil_ws, tmp_path):
    path, _ = export_table(evil_ws.con, "customers", tmp_path / "c.csv", "csv", "en")
    rows = _csv_rows(path)
    city = rows[0].index("city")
    name = rows[0].index("name")
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["C001"][city] == "'" + EVIL
    assert by_id["C002"][city] == "'@cmd"
    assert by_id["C003"][city] == "杭州"
    assert by_id["C001"][name].startswith("'=")  # the masked "=***"
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)


def test_xlsx_export_has_no_formula_cells(evil_ws, tmp_path):
    path, _ = export_table(evil_ws.con, "customers", tmp_path / "c.xlsx", "xlsx", "en")
    cells = _xlsx_cells(path)
    assert all(c.data_type != "f" for c in cells)
    values = {c.value for c in cells}
    assert EVIL in values and "@cmd" in values  # visible value kept


def test_numbers_stay_numbers(tmp_path):
    data = pa.table({"label": RISKY, "amount": [-12.5, -1.0, 0.0, 3.0, -7.25, 1.0]})
    csv_rows = _csv_rows(write_table(data, tmp_path / "n.csv", "csv"))
    assert [r[0] for r in csv_rows[1:]] == ["'" + v for v in RISKY]
    assert [float(r[1]) for r in csv_rows[1:]] == data.column("amount").to_pylist()
    sheet = openpyxl.load_workbook(write_table(data, tmp_path / "n.xlsx", "xlsx")).active
    labels = [sheet.cell(r, 1) for r in range(2, 8)]
    assert all(c.data_type == "s" for c in labels)
    # openpyxl shows a stored CR as its XML escape _x000D_; the rest read back verbatim
    assert [c.value for c in labels[:5]] == RISKY[:5]
    assert [sheet.cell(r, 2).value for r in range(2, 8)] == data.column("amount").to_pylist()


def test_numbers_written_as_text_are_not_quoted():
    data = pa.table({"raw": ["-12.50", "+3", "-1e3", "-1+2", None]})
    assert neutralise_table(data).column("raw").to_pylist() == [
        "-12.50",
        "+3",
        "-1e3",
        "'-1+2",
        None,
    ]


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_rejects_file_neutralised(ws, write, ext, tmp_path):
    rows = "客户编号,姓名,城市,年龄,联系方式\nC001,=Evil,=1+1,30,1281234567\nC002,张三,杭州,30,13912345678\n"
    src = write("bad.csv", rows)
    if ext == "xlsx":
        src = tmp_path / "bad.xlsx"
        book = xlsxwriter.Workbook(str(src))
        sheet = book.add_worksheet()
        for r, line in enumerate(rows.strip().split("\n")):
            for c, text in enumerate(line.split(",")):
                sheet.write_string(r, c, text)  # text cells, as a user's sheet would hold
        book.close()
    result = import_file(ws, "customers", src)
    assert result.rejected == 1
    path = ws.root / "rejects" / result.rejects_file.split("/")[-1]
    if ext == "csv":
        cells = [c for r in _csv_rows(path) for c in r]
        assert "'=Evil" in cells and "'=1+1" in cells
    else:
        cells = _xlsx_cells(path)
        assert all(c.data_type != "f" for c in cells)
        assert {"=Evil", "=1+1"} <= {c.value for c in cells}


def test_report_xlsx_has_no_formula_cells(tmp_path):
    table = TableBlock(
        "top",
        [Column("city", "城市"), Column("amount", "金额", "money")],
        [{"city": EVIL, "amount": -5}, {"city": "-x", "amount": 3}],
    )
    report = Report(
        "报告",
        "zh",
        "2024",
        "2023",
        "2023",
        dt.datetime(2024, 1, 1),
        "ws",
        "2024",
        [Section("s", "节", tables=[table])],
        params={"城市": "=1+1"},
    )
    book = openpyxl.load_workbook(write_xlsx(report, tmp_path / "r.xlsx"))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    values = [c.value for c in cells]
    assert EVIL in values and "=1+1" in values and "-x" in values
    assert -5 in values  # the amount stays a number
