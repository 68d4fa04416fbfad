"""Blank import templates: headers (required ones marked *), an example row, a 说明 sheet."""

from __future__ import annotations

from pathlib import Path

from custlens.errors import UsageError
from custlens.i18n import bilingual, gettext
from custlens.schema.tables import get_table

EXAMPLES = {
    "customers": {
        "customer_id": "C0001",
        "name": "张三",
        "gender": "男",
        "age": "32",
        "phone": "13812345678",
        "email": "zhangsan@example.com",
        "registration_date": "2024-01-05",
        "industry": "零售",
        "level": "普通",
        "tags": "母婴,活动敏感",
        "note": "",
        "province": "浙江",
        "city": "杭州",
        "channel": "小程序",
        "store_id": "S001",
    },
    "orders": {
        "order_id": "O20240105001",
        "line_no": "1",
        "customer_id": "C0001",
        "order_time": "2024-01-05 20:15:00",
        "category": "母婴",
        "product_id": "P1001",
        "product_name": "婴儿奶粉 900g",
        "quantity": "2",
        "unit_price": "199.00",
        "discount": "20.00",
        "amount": "378.00",
        "payment_method": "微信支付",
        "channel": "小程序",
        "store_id": "",
        "status": "paid",
        "is_new_product": "否",
        "launch_date": "2023-11-01",
        "campaign_id": "",
    },
    "events": {
        "event_time": "2024-01-05 20:01:10",
        "customer_id": "C0001",
        "anonymous_id": "",
        "session_id": "S9001",
        "event_type": "page_view",
        "page_type": "home",
        "category": "",
        "product_id": "",
        "channel": "APP",
        "source": "search",
        "device": "iOS",
        "dwell_seconds": "12.5",
        "search_query": "",
        "order_id": "",
    },
    "campaigns": {
        "campaign_id": "CP2024618",
        "campaign_name": "618大促",
        "campaign_type": "满减",
        "channel": "APP",
        "start_date": "2024-06-01",
        "end_date": "2024-06-18",
        "budget": "50000.00",
        "target_segment": "全部",
    },
    "campaign_responses": {
        "campaign_id": "CP2024618",
        "customer_id": "C0001",
        "group": "treatment",
        "exposed": "是",
        "participated": "是",
        "converted": "否",
        "coupon_used": "否",
        "response_time": "2024-06-02 10:00:00",
    },
    "feedback": {
        "feedback_id": "F0001",
        "customer_id": "C0001",
        "feedback_time": "2024-01-10 09:30:00",
        "feedback_type": "review",
        "rating": "5",
        "nps": "9",
        "text": "物流很快，质量很好",
        "resolved": "是",
        "resolved_time": "",
        "responded": "",
        "order_id": "",
    },
}


def header(col, lang: str) -> str:
    """A column's header in an import template: Chinese or English name, ``*`` when required."""
    label = bilingual(col.zh, col.name, lang)  # English headers are the columns' keys
    return label + ("*" if col.required else "")


def write_template(table_name: str, out: Path, fmt: str = "xlsx", lang: str = "zh") -> Path:
    """Write an import template of ``table_name`` (headers and one example row) as XLSX or CSV."""
    table = get_table(table_name)
    example = EXAMPLES[table.name]
    headers = [header(c, lang) for c in table.columns]
    row = [example.get(c.name, "") for c in table.columns]
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        import csv

        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(headers)
            writer.writerow(row)
        return out
    if fmt != "xlsx":
        raise UsageError.of("unknown template format {fmt!r}; expected xlsx or csv", fmt=fmt)
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out))
    required = wb.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1})
    optional = wb.add_format({"bold": True, "bg_color": "#EAF1FB", "border": 1})
    text = wb.add_format({"num_format": "@"})
    ws = wb.add_worksheet(bilingual(table.zh, table.name, lang))
    for i, col in enumerate(table.columns):
        ws.write_string(0, i, headers[i], required if col.required else optional)
        ws.write_string(1, i, row[i], text)  # text cells keep phones and IDs intact
        ws.set_column(i, i, max(12, len(headers[i]) * 2 + 2), text)
    ws.freeze_panes(1, 0)
    notes = wb.add_worksheet(gettext("notes", lang))
    titles = [
        gettext(t, lang) for t in ("column", "Chinese header", "required", "format and rules")
    ]
    notes.write_row(0, 0, titles, required)
    for i, col in enumerate(table.columns, start=1):
        rule = bilingual(col.doc_zh or col.zh, col.doc_en or col.en, lang)
        if col.choices:
            rule += gettext("; values: ", lang) + "/".join(col.choices)
        notes.write_row(
            i,
            0,
            [
                bilingual(col.zh, col.name, lang),
                bilingual(col.name, col.zh, lang),  # the header in the other language
                gettext("yes" if col.required else "no", lang),
                rule,
            ],
        )
    notes.set_column(0, 1, 18)
    notes.set_column(3, 3, 80)
    wb.close()
    return out
