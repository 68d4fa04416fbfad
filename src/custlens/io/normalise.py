"""SQL expressions that clean and validate one column of raw text, run inside DuckDB.

For each canonical column ``c`` the staging query produces ``c`` (typed, normalised) and
``e_c`` (a problem code or NULL). User-supplied values (mapping constants, value maps,
date formats) are bound as parameters, never formatted into the SQL.
"""

from __future__ import annotations

from custlens.io.phones import phone_sql
from custlens.schema.tables import Column
from custlens.store.sql import SqlParams

FULL = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ＋－．＠／：　"
HALF = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+-.@/: "

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y.%m.%d"]
TIME_SUFFIXES = [" %H:%M:%S", " %H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "", " %H%M%S"]

GENDER = {
    "男": "男",
    "m": "男",
    "male": "男",
    "1": "男",
    "男性": "男",
    "先生": "男",
    "man": "男",
    "女": "女",
    "f": "女",
    "female": "女",
    "0": "女",
    "2": "女",
    "女性": "女",
    "女士": "女",
    "woman": "女",
    "未知": "未知",
    "unknown": "未知",
    "u": "未知",
    "保密": "未知",
    "其他": "未知",
}
LEVEL = {
    "vip": "VIP",
    "潜力": "潜力",
    "potential": "潜力",
    "普通": "普通",
    "normal": "普通",
    "regular": "普通",
    "general": "普通",
    "一般": "普通",
}
BOOL = {
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "是": True,
    "否": False,
    "t": True,
    "f": False,
    "已解决": True,
    "未解决": False,
    "已处理": True,
    "未处理": False,
    "新品": True,
}
STATUS = {
    "paid": "paid",
    "已支付": "paid",
    "已付款": "paid",
    "支付成功": "paid",
    "完成": "paid",
    "已完成": "paid",
    "交易成功": "paid",
    "成功": "paid",
    "refunded": "refunded",
    "已退款": "refunded",
    "退款": "refunded",
    "退款成功": "refunded",
    "partially_refunded": "partially_refunded",
    "部分退款": "partially_refunded",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "已取消": "cancelled",
    "取消": "cancelled",
    "交易关闭": "cancelled",
    "关闭": "cancelled",
    "test": "test",
    "测试": "test",
}
FEEDBACK_TYPE = {
    "review": "review",
    "评价": "review",
    "评论": "review",
    "survey": "survey",
    "问卷": "survey",
    "调查": "survey",
    "complaint": "complaint",
    "投诉": "complaint",
    "callback": "callback",
    "回访": "callback",
}
CHANNEL = {
    "app": "APP",
    "小程序": "小程序",
    "miniprogram": "小程序",
    "mini program": "小程序",
    "微信小程序": "小程序",
    "pc": "PC",
    "web": "PC",
    "网页": "PC",
    "官网": "PC",
    "门店": "门店",
    "store": "门店",
    "offline": "门店",
    "线下": "门店",
    "线下门店": "门店",
}
PAGE_TYPE = {
    "首页": "home",
    "类目页": "category",
    "分类页": "category",
    "商品详情": "detail",
    "详情页": "detail",
    "商品详情页": "detail",
    "购物车": "cart",
    "加入购物车": "cart",
    "结算": "checkout",
    "结算页": "checkout",
    "支付成功": "pay",
    "支付": "pay",
}
EVENT_TYPE = {
    "浏览": "page_view",
    "访问": "page_view",
    "搜索": "search",
    "加购": "add_to_cart",
    "加入购物车": "add_to_cart",
    "结算": "checkout",
    "支付": "pay",
    "支付成功": "pay",
    "收藏": "favorite",
    "点击": "click",
}
GROUP = {
    "实验组": "treatment",
    "对照组": "control",
    "treatment": "treatment",
    "control": "control",
    "a": "control",
    "b": "treatment",
}

# value maps applied to text columns by name (after the kind's own normalisation)
COLUMN_MAPS = {
    "channel": CHANNEL,
    "page_type": PAGE_TYPE,
    "event_type": EVENT_TYPE,
    "group": GROUP,
    "status": STATUS,
    "feedback_type": FEEDBACK_TYPE,
}
RANGES = {
    "rating": (1, 5),
    "nps": (0, 10),
    "age": (0, 120),
    "line_no": (1, None),
}


def text_expr(raw: str) -> str:
    """Trim, full-width to half-width, empty to NULL.

    ``translate`` is costly per row, so it only runs on values holding full-width forms,
    and the (also costly) test for them only on values with non-ASCII characters (more
    bytes than characters). ``trim`` copies every value, so it only runs on values that
    start or end with a space.
    """
    spaced = f"{raw} LIKE ' %' OR {raw} LIKE '% '"
    return (
        f"CASE WHEN strlen({raw}) <> length({raw}) "
        f"AND regexp_matches({raw}, '[\uff01-\uff5e\u3000]') "
        f"THEN NULLIF(trim(translate({raw}, '{FULL}', '{HALF}')), '') "
        f"WHEN {spaced} THEN NULLIF(trim({raw}), '') ELSE NULLIF({raw}, '') END"
    )


def float_id_expr(t: str) -> str:
    """An ID written as a float by a spreadsheet (``17850.0``) back to ``17850``: only an
    all-digit value with a ``.0`` suffix changes (``17850.5`` and ``A1.0`` stay)."""
    return (
        f"(CASE WHEN {t} LIKE '%.0%' AND regexp_full_match({t}, '[0-9]+\\.0+') "
        f"THEN split_part({t}, '.', 1) ELSE {t} END)"
    )


EPOCH_S = (946684800, 4102444800)  # 2000-01-01 .. 2100-01-01 as unix seconds


def epoch_text_expr(t: str, timezone: str, unit: str | None = None) -> str:
    """A unix timestamp as the wall-clock time in ``timezone`` (an SQL expression, e.g. a
    bound parameter), other text unchanged.

    With ``unit`` None, integers of 9-10 digits are read as seconds and of 12-13 digits as
    milliseconds when they fall in 2000..2100 (so compact ``20240105`` dates and 5-digit
    Excel serials are untouched); ``unit`` ``epoch_s`` or ``epoch_ms`` reads every integer
    in that unit.
    """
    lo, hi = EPOCH_S
    if unit is None:
        digits = f"length({t}) BETWEEN 9 AND 13 AND regexp_full_match({t}, '[0-9]+')"
        n = f"TRY_CAST({t} AS BIGINT)"
        millis = (
            f"CASE WHEN {n} >= {lo} AND {n} < {hi} THEN {n} * 1000 "
            f"WHEN {n} >= {lo * 1000} AND {n} < {hi * 1000} THEN {n} END"
        )
    else:
        # at most 11 / 14 digits: the microseconds must fit a BIGINT (year 5138 is plenty)
        width = 11 if unit == "epoch_s" else 14
        digits = f"regexp_full_match({t}, '-?[0-9]{{1,{width}}}')"
        millis = f"TRY_CAST({t} AS BIGINT)" + (" * 1000" if unit == "epoch_s" else "")
    utc = f"timezone('UTC', make_timestamp(({millis}) * 1000))"
    local = f"CAST(timezone({timezone}, {utc}) AS VARCHAR)"
    return f"(CASE WHEN {digits} THEN coalesce({local}, {t}) ELSE {t} END)"


def number_expr(t: str, sql_type: str = "DOUBLE") -> str:
    """A number from text, ignoring currency signs, thousands separators and spaces (only
    tried when the text is not already a number)."""
    cleaned = f"regexp_replace({t}, '[¥￥£$,，元\\s]', '', 'g')"
    return f"coalesce(TRY_CAST({t} AS {sql_type}), TRY_CAST({cleaned} AS {sql_type}))"


def date_expr(t: str, p: SqlParams, with_time: bool, custom: str | None) -> str:
    """Parse dates: a mapping's own format, ISO (fast path), Chinese and compact forms, and
    Excel serial numbers. COALESCE stops at the first form that parses."""
    fmts = [d + s for d in DATE_FORMATS for s in TIME_SUFFIXES] if with_time else DATE_FORMATS
    parsed = f"try_strptime({t}, {p.add(fmts)})"
    iso = f"TRY_CAST({t} AS TIMESTAMP)"
    serial = (
        f"(CASE WHEN regexp_full_match({t}, '[1-9][0-9]{{4}}(\\.[0-9]+)?') "
        f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(TRY_CAST({t} AS DOUBLE) * "
        "86400e6) AS BIGINT)) END)"
    )
    # epoch_s / epoch_ms are read before (see epoch_text_expr), not by strptime
    own = f"try_strptime({t}, {p.add(custom)}), " if custom and "%" in custom else ""
    ts = f"coalesce({own}{iso}, {parsed}, {serial})"
    return ts if with_time else f"CAST({ts} AS DATE)"


def column_sql(
    col: Column, t: str, p: SqlParams, date_format: str | None, values: dict[str, str] | None
) -> tuple[str, str]:
    """(value expression, error-code expression) for column ``col`` given text ``t``."""
    if values:
        t = f"coalesce({p.map_case(t, values, lower=False)}, {t})"
    kind = col.kind
    code = "CAST(NULL AS VARCHAR)"
    if kind in ("text", "id"):
        value = t
        mapping = COLUMN_MAPS.get(col.name)
        if mapping:
            value = f"coalesce({p.map_case(t, mapping)}, {t})"
    elif kind == "phone":
        value, code = phone_sql(t, p, col.region)
    elif kind == "email":
        value = f"lower({t})"
        code = (
            f"CASE WHEN NOT regexp_full_match({value}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') "
            "THEN 'invalid_email' END"
        )
    elif kind == "gender":
        mapped = p.map_case(t, GENDER)
        value = f"coalesce({mapped}, {p.add(col.default)})"
        code = f"CASE WHEN {t} IS NOT NULL AND {mapped} IS NULL THEN 'unknown_gender' END"
    elif kind in ("level", "enum"):
        table = LEVEL if kind == "level" else COLUMN_MAPS[col.name]
        mapped = p.map_case(t, table)
        value = f"coalesce({mapped}, {p.add(col.default)})" if col.default else mapped
        code = f"CASE WHEN {t} IS NOT NULL AND {mapped} IS NULL THEN 'invalid_choice' END"
    elif kind == "bool":
        mapped = p.map_case(t, BOOL)
        value = mapped
        code = f"CASE WHEN {t} IS NOT NULL AND {mapped} IS NULL THEN 'invalid_choice' END"
    elif kind == "tags":
        parts = f"string_split(regexp_replace({t}, '[，、;；|]', ',', 'g'), ',')"
        # list_distinct does not keep order; sort for a stable, comparable value
        value = (
            f"NULLIF(array_to_string(list_sort(list_distinct(list_filter(list_transform("
            f"{parts}, x -> trim(x)), x -> x <> ''))), ','), '')"
        )
    elif kind in ("int", "age", "quantity"):
        num = number_expr(t)
        bad = (
            "invalid_age"
            if kind == "age"
            else ("invalid_quantity" if kind == "quantity" else "invalid_number")
        )
        lo, hi = RANGES.get(col.name, (None, None))
        range_bad = " OR ".join(
            x
            for x in (
                f"{num} < {lo}" if lo is not None else "",
                f"{num} > {hi}" if hi is not None else "",
            )
            if x
        )
        range_code = "invalid_age" if kind == "age" else "out_of_range"
        code = (
            f"CASE WHEN {t} IS NOT NULL AND ({num} IS NULL OR {num} <> floor({num})) "
            f"THEN '{bad}' "
            + (f"WHEN {range_bad} THEN '{range_code}' " if range_bad else "")
            + "END"
        )
        value = f"(CASE WHEN {num} = floor({num}) THEN CAST({num} AS INTEGER) END)"
    elif kind == "money":
        value = number_expr(t, "DECIMAL(18,2)")
        code = f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN 'invalid_number' END"
    elif kind == "float":
        value = number_expr(t)
        code = f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN 'invalid_number' END"
    elif kind in ("date", "datetime"):
        value = date_expr(t, p, kind == "datetime", date_format)
        code = f"CASE WHEN {t} IS NOT NULL AND {value} IS NULL THEN 'invalid_date' END"
    else:  # pragma: no cover - schema and this function are kept in step by tests
        raise ValueError(f"unknown column kind {kind}")
    if col.required:
        code = f"CASE WHEN {t} IS NULL THEN 'missing_required' ELSE {code} END"
    return value, code
