"""Day-first and month-first dates found from the file's values, never guessed."""

from __future__ import annotations

from custlens.io.pipeline import import_file
from tests.io.exports import invoice_lines

HEADER = "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"


def test_month_first_found_from_a_day_above_twelve(ws, write):
    rows = "1,A,1,12/1/2010 8:26,2.5,17850.0\n2,B,2,1/13/2011 17:05,1.0,17850.0\n"
    result = import_file(ws, "orders", write("o.csv", HEADER + rows), lang="en")
    assert result.rejected == 0, result.problems
    assert result.notes == ["dates in InvoiceDate read as %m/%d/%Y %H:%M (detected)"]
    got = ws.con.execute("SELECT order_id, order_time FROM orders ORDER BY 1").fetchall()
    assert [str(t) for _, t in got] == ["2010-12-01 08:26:00", "2011-01-13 17:05:00"]
    assert ws.con.execute("SELECT DISTINCT customer_id FROM orders").fetchall() == [("17850",)]


def test_day_first_with_dots(ws, write):
    rows = "1,A,1,25.12.2023,2.5,C1\n2,B,1,03.01.2024,2.5,C1\n"
    result = import_file(ws, "orders", write("o.csv", HEADER + rows), lang="en")
    assert result.rejected == 0
    assert result.notes == ["dates in InvoiceDate read as %d.%m.%Y (detected)"]


def test_ambiguous_dates_are_not_guessed(ws, write):
    rows = "1,A,1,3/4/2024,2.5,C1\n2,B,1,5/6/2024,2.5,C1\n"
    result = import_file(ws, "orders", write("o.csv", HEADER + rows))
    assert result.rejected == 2 and result.problem_counts == {"invalid_date": 2}
    (note,) = result.notes
    assert "%d/%m/%Y / %m/%d/%Y" in note and "date_format" in note


def test_the_invoice_export_needs_no_mapping_file(ws, tmp_path):
    """English headers, float ids, month-first dates and "C" cancellations with no mapping."""
    text, frame = invoice_lines()
    path = tmp_path / "Online Retail.csv"
    path.write_text(text, encoding="utf-8")
    result = import_file(ws, "orders", path)
    assert result.rows_read == len(frame)
    assert result.rejected == int((frame.CustomerID == "").sum())
    assert ws.con.execute("SELECT count(*) FROM orders WHERE return_of IS NOT NULL").fetchone()[0]
