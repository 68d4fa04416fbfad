"""Encodings, delimiters, Excel sheets and serial dates, Parquet."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

from custlens.errors import InputError
from custlens.io.pipeline import import_file

ROWS = "客户编号,姓名,联系方式,注册日期\nC1,张三,13812345678,2024年1月5日\nC2,欧阳娜娜,139-1234-5678,2024/1/6\n"


def _customers(ws):
    return ws.con.execute(
        "SELECT customer_id, name, phone, registration_date FROM customers ORDER BY 1"
    ).fetchall()


EXPECTED = [
    ("C1", "张三", "13812345678", dt.date(2024, 1, 5)),
    ("C2", "欧阳娜娜", "13912345678", dt.date(2024, 1, 6)),
]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_csv_encodings(ws, write, encoding):
    result = import_file(ws, "customers", write("c.csv", ROWS, encoding))
    assert result.inserted == 2 and result.rejected == 0
    assert _customers(ws) == EXPECTED


@pytest.mark.parametrize("sep", ["\t", ";"])
def test_csv_delimiters(ws, write, sep):
    import_file(ws, "customers", write("c.csv", ROWS.replace(",", sep)))
    assert _customers(ws) == EXPECTED


def test_excel_serial_dates_and_second_sheet(ws, tmp_path):
    path = tmp_path / "客户.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    first = wb.add_worksheet("说明")
    first.write(0, 0, "这一页不是数据")
    sheet = wb.add_worksheet("客户信息")
    sheet.write_row(0, 0, ["客户编号*", "姓名*", "手机号", "注册日期"])
    sheet.write_row(1, 0, ["C1", "张三", 13812345678, 45296])  # phone as number, serial date
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(2, 0, ["C2", "欧阳娜娜", "139 1234 5678"])
    sheet.write_datetime(2, 3, dt.datetime(2024, 1, 6), date_fmt)
    sheet.write_row(3, 0, ["C3", "王五", "123", "2024-01-07"])
    wb.close()
    result = import_file(ws, "customers", path, sheet="客户信息")
    assert result.inserted == 2 and result.rejected == 1
    assert result.problems[0].row == 4 and result.problems[0].code == "invalid_phone"
    assert _customers(ws) == EXPECTED
    # rejects come back as an Excel file with the reasons

    import openpyxl

    rows = list(openpyxl.load_workbook(result.rejects_file).active.values)
    assert rows[0][0] == "原行号" and rows[0][-1] == "错误原因"
    assert rows[1][0] == 4 and "联系方式" in rows[1][-1]


def test_excel_missing_sheet(ws, tmp_path):
    path = tmp_path / "a.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("A").write(0, 0, "x")
    wb.close()
    with pytest.raises(InputError, match="没有工作表 'B'；现有工作表：A"):
        import_file(ws, "customers", path, sheet="B")
    with pytest.raises(InputError, match="no sheet 'B'; sheets: A"):
        import_file(ws, "customers", path, sheet="B", lang="en")


def test_parquet(ws, tmp_path):
    path = tmp_path / "c.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": ["C1", "C2"],
                "name": ["张三", "欧阳娜娜"],
                "phone": ["13812345678", "+86 139 1234 5678"],
                "registration_date": [dt.date(2024, 1, 5), dt.date(2024, 1, 6)],
            }
        ),
        path,
    )
    import_file(ws, "customers", path)
    assert _customers(ws) == EXPECTED


def test_unsupported_and_empty(ws, write):
    with pytest.raises(InputError, match="unsupported"):
        import_file(ws, "customers", write("c.json", "{}"), lang="en")
    with pytest.raises(InputError, match="不支持的文件类型"):
        import_file(ws, "customers", write("c.json", "{}"))
    with pytest.raises(InputError, match="文件是空的"):
        import_file(ws, "customers", write("c.csv", ""))


def test_missing_required_column(ws, write):
    with pytest.raises(InputError, match="缺少必填列：联系方式"):
        import_file(ws, "customers", write("c.csv", "客户编号,姓名\nC1,张三\n"))


@pytest.mark.parametrize("extra", ["", "rowid"])
def test_row_numbers_of_a_large_file_read_in_parallel(ws, write, extra):
    """Row numbers are file positions however the reader splits the file (and when the file
    has a column called rowid): bad rows far apart are reported at their Excel rows."""
    n = 300_000
    bad = {7, 150_001, 299_998}  # 0-based data rows with a malformed phone
    head = "客户编号,姓名,联系方式" + (f",{extra}" if extra else "")
    lines = [
        f"C{i},客户{i},{'12345' if i in bad else 13800000000 + i}" + (f",{i}" if extra else "")
        for i in range(n)
    ]
    result = import_file(ws, "customers", write("big.csv", "\n".join([head, *lines]) + "\n"))
    assert result.inserted == n - len(bad)
    rows = ws.con.execute(
        "SELECT source_row, value FROM import_problems WHERE code = 'invalid_phone' ORDER BY 1"
    ).fetchall()
    assert rows == [(i + 2, "12345") for i in sorted(bad)]


def test_no_scratch_folder_is_left_behind(ws, write, monkeypatch, tmp_path):
    """A GBK file is transcoded in a scratch folder, which goes once the rows are read."""
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    from custlens.io.pipeline import import_file

    path = write("c.csv", "客户编号,姓名,联系方式\nC1,张三,13800000001\n", encoding="gbk")
    assert import_file(ws, "customers", path).inserted == 1
    assert list(scratch.iterdir()) == []
