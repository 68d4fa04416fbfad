"""A corpus of hostile and awkward files to import, generated on the spot.

Each case is (file name, bytes, expected) where expected is ``("ok", rows read)`` or
``("error", a piece of the zh message, a piece of the en message)``. docs/reliability.md
lists the same corpus with the answer for each.
"""

from __future__ import annotations

import io
import random
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

HEADER = "客户编号,姓名,联系方式,注册日期\n"
ROW = "C{:06d},张三,138{:08d},2024-01-05\n"

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def workbook(dimension: str | None, extra_rows: str = "", pad_mb: int = 0) -> bytes:
    """A minimal .xlsx: one customer row, an optional declared dimension, extra XML rows and
    an optional highly compressible padding member (a zip bomb)."""
    header = "".join(
        _cell(f"{c}1", t)
        for c, t in zip("ABCD", ("客户编号", "姓名", "联系方式", "注册日期"), strict=True)
    )
    row = "".join(
        _cell(f"{c}2", t)
        for c, t in zip("ABCD", ("C1", "张三", "13812345678", "2024-01-05"), strict=True)
    )
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
        f'org/spreadsheetml/2006/main">{dim}<sheetData><row r="1">{header}</row>'
        f'<row r="2">{row}</row>{extra_rows}</sheetData></worksheet>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        if pad_mb:
            z.writestr(
                zipfile.ZipInfo("xl/media/pad.bin"),
                b"\0" * (pad_mb << 20),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return buf.getvalue()


def customers_csv(n: int) -> str:
    return HEADER + "".join(ROW.format(i, i) for i in range(n))


def wide_parquet(columns: int) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({f"c{i}": ["x"] for i in range(columns)}), buf)
    return buf.getvalue()


def corpus(web: bool = False) -> list[tuple[str, bytes, tuple]]:
    """The hostile-file corpus; ``web`` leaves out what the web form does not accept."""
    garbage = random.Random(17).randbytes(4096)
    cases: list[tuple[str, bytes, tuple]] = [
        ("empty.csv", b"", ("error", "文件是空的", "the file is empty")),
        ("empty.xlsx", b"", ("error", "Excel", "Excel")),
        ("garbage.csv", garbage, ("error", "", "")),
        ("garbage.xlsx", garbage, ("error", "Excel", "Excel")),
        ("garbage-zip.xlsx", b"PK\x03\x04" + garbage, ("error", "不是 Excel", "not an Excel")),
        (
            "dimension-bomb.xlsx",
            workbook("A1:XFD1048576"),
            ("error", "工作表声明了 1,048,576 行 × 16,384 列，超出上限", "the sheet declares "),
        ),
        (
            "far-cell.xlsx",  # no dimension, one cell in the last column of the last row
            workbook(None, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'),
            ("error", "读取进程已终止", "the reader stopped"),
        ),
        (
            "zip-bomb.xlsx",
            workbook("A1:D2", pad_mb=64),
            ("error", "疑似压缩炸弹", "a zip bomb"),
        ),
        (
            "wide.csv",
            (",".join(f"列{i}" for i in range(2000)) + "\n" + ",".join("x" * 2000) + "\n").encode(),
            ("error", "文件有 2,000 列，超出上限 1,000 列", "the file has 2,000 columns"),
        ),
        (
            "long-line.csv",
            (HEADER + "C1,张三,138" + "0" * (2 << 20) + ",2024-01-05\n").encode(),
            ("error", "有一行超过 1,024 KB", "a line is longer than 1,024 KB"),
        ),
        ("gbk.csv", customers_csv(3).encode("gbk"), ("ok", 3)),
        ("utf16.csv", customers_csv(3).encode("utf-16"), ("ok", 3)),
        ("large.csv", customers_csv(60_000).encode(), ("ok", 60_000)),
        ("ok.xlsx", workbook("A1:D2"), ("ok", 1)),
    ]
    if not web:
        cases += [
            ("wide.parquet", wide_parquet(2000), ("error", "2,000 列", "2,000 columns")),
            ("garbage.parquet", garbage, ("error", "不是 Parquet", "not a Parquet")),
        ]
    return cases
