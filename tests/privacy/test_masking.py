"""Every PII field is masked on every output path unless the policy allows it."""

from __future__ import annotations

import re

import openpyxl
import pyarrow as pa
import pytest

from custlens.errors import PermissionDenied
from custlens.io.export import export_table
from custlens.privacy.masking import mask_email, mask_name, mask_phone, mask_table, mask_value
from custlens.privacy.policy import MaskingPolicy, Principal


def test_mask_name():
    assert mask_name(pa.array(["张三丰", "李", "欧阳娜娜", None])).to_pylist() == [
        "张**",
        "李*",
        "欧***",
        None,
    ]


def test_mask_phone():
    assert mask_phone(pa.array(["13812345678", "123", None])).to_pylist() == [
        "138****5678",
        "***",
        None,
    ]


def test_mask_email():
    assert mask_email(pa.array(["alice@example.com", "bob", None])).to_pylist() == [
        "a***@example.com",
        "***",
        None,
    ]
    assert mask_value("email", "x@y.cn") == "x***@y.cn"


def test_mask_table_by_policy():
    t = pa.table(
        {"姓名": ["张三"], "phone": ["13812345678"], "email": ["a@b.cn"], "city": ["杭州"]}
    )
    masked = mask_table(t).to_pylist()[0]
    assert masked == {"姓名": "张*", "phone": "138****5678", "email": "a***@b.cn", "city": "杭州"}
    open_ = mask_table(t, MaskingPolicy(frozenset({"phone"}))).to_pylist()[0]
    assert open_["phone"] == "13812345678" and open_["姓名"] == "张*"


def test_roles():
    viewer = Principal("v", "viewer")
    assert not viewer.can("export")
    with pytest.raises(PermissionDenied):
        viewer.require("export")
    admin = Principal("a", "admin")
    assert admin.masking("客户投诉核实").allows("phone")
    assert not admin.masking().allows("phone")
    assert not Principal("x", "analyst").masking("reason").allows("name")


PHONE = re.compile(r"1[3-9]\d{9}")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_never_contain_raw_pii(loaded, tmp_path, fmt):
    loaded.con.execute("UPDATE customers SET email = 'zhangsan@example.com'")
    out, rows = export_table(loaded.con, "customers", tmp_path / f"c.{fmt}", fmt)
    assert rows == 3
    if fmt == "csv":
        text = out.read_text(encoding="utf-8-sig")
    else:
        text = "\n".join(str(v) for row in openpyxl.load_workbook(out).active.values for v in row)
    assert not PHONE.search(text)
    assert "zhangsan@" not in text and "张三" not in text
    assert "张*" in text and "138****5678" in text and "z***@example.com" in text
