"""Customers: names, contact details, regions, channels, CRM level and the planted segment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custlens.demo import formats as F
from custlens.demo.timeline import Calendar, daily_intensity

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
    "叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
)
SURNAME_WEIGHTS = np.concatenate(
    [np.linspace(7.0, 1.5, 20), np.linspace(1.4, 0.3, len(SURNAMES) - 20)]
)
MALE_CHARS = "伟强磊军洋勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳建国志成文博晨睿哲"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲婷雪琳晶欣怡佳颖倩月露瑶璐莉萍红梅兰琪悦妍婧雯蕾薇诗思涵萱"
NEUTRAL_CHARS = "子一嘉雨天安可新若晓心宇清然乐书明慧诚嘉瑞"

# province -> cities; weights roughly follow population (millions)
REGIONS = (
    ("广东", 126, ("广州", "深圳", "东莞")),
    ("山东", 101, ("济南", "青岛", "烟台")),
    ("河南", 99, ("郑州", "洛阳")),
    ("江苏", 85, ("南京", "苏州", "无锡")),
    ("四川", 84, ("成都", "绵阳")),
    ("河北", 74, ("石家庄", "唐山")),
    ("湖南", 66, ("长沙", "株洲")),
    ("浙江", 65, ("杭州", "宁波", "温州")),
    ("安徽", 61, ("合肥", "芜湖")),
    ("湖北", 58, ("武汉", "宜昌")),
    ("福建", 42, ("福州", "厦门", "泉州")),
    ("辽宁", 42, ("沈阳", "大连")),
    ("陕西", 40, ("西安", "咸阳")),
    ("重庆", 32, ("重庆",)),
    ("上海", 25, ("上海",)),
    ("北京", 22, ("北京",)),
)
CITY_PROVINCE = [p for p, _, cities in REGIONS for _ in cities]
CITIES = [c for _, _, cities in REGIONS for c in cities]
CITY_WEIGHTS = np.array(
    [
        w * (0.55 if i == 0 else 0.45 / max(len(cs) - 1, 1)) if len(cs) > 1 else w
        for _, w, cs in REGIONS
        for i, _ in enumerate(cs)
    ],
    dtype=float,
)
INDUSTRIES = (
    "互联网",
    "金融",
    "教育",
    "医疗",
    "制造业",
    "零售",
    "政府机关",
    "自由职业",
    "学生",
    "服务业",
    "建筑",
    "物流",
)
TAGS = ("老客户", "高频", "母婴", "学生党", "爱美妆", "数码控", "企业客户", "送礼", "夜猫子")
NOTES = ("电话回访过", "偏好顺丰", "曾投诉物流", "企业采购联系人")
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "gmail.com", "sina.com", "outlook.com")
PHONE_PREFIXES = (
    130,
    131,
    132,
    133,
    135,
    136,
    137,
    138,
    139,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    173,
    175,
    176,
    177,
    180,
    181,
    182,
    183,
    185,
    186,
    187,
    188,
    189,
    191,
    198,
    199,
)
CHANNELS = ("APP", "小程序", "PC", "门店")
CHANNEL_SHARES = (0.40, 0.30, 0.15, 0.15)
LEVELS = ("VIP", "潜力", "普通")
SEGMENTS = (
    "vip",
    "price_sensitive",
    "campaign_sensitive",
    "new_product_lover",
    "growing",
    "declining",
    "churned",
    "one_time",
)
SEGMENT_SHARES = (0.05, 0.18, 0.14, 0.08, 0.12, 0.12, 0.13, 0.18)
LEVEL_BY_SEGMENT = {
    "vip": (0.70, 0.20, 0.10),
    "growing": (0.05, 0.45, 0.50),
    "new_product_lover": (0.10, 0.30, 0.60),
}
PARENT_RATE = 0.012  # customers (not one_time) with a 奶粉 replenishment routine
GENDER_BLANK = 0.03
FEMALE_SHARE = 0.6


@dataclass
class Customers:
    """Latent attributes (NumPy, one entry per customer) and the text columns for the file."""

    reg_day: np.ndarray  # calendar index of the registration date
    segment: np.ndarray  # index into SEGMENTS
    channel: np.ndarray  # index into CHANNELS
    city: np.ndarray  # index into CITIES
    ios: np.ndarray  # phone is an iPhone
    parent: np.ndarray  # buys 奶粉 on a cycle
    favourite: np.ndarray  # favourite category index (set by the basket builder)
    columns: dict[str, pa.Array]

    @property
    def n(self) -> int:
        return self.reg_day.size


def _pick(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


def _names(rng: np.random.Generator, gender: np.ndarray) -> pa.Array:
    n = gender.size
    surname = F.take_text(list(SURNAMES), _pick(rng, SURNAME_WEIGHTS, n))
    pools = [list(MALE_CHARS + NEUTRAL_CHARS), list(FEMALE_CHARS + NEUTRAL_CHARS)]
    female = np.where(gender < 0, rng.random(n) < FEMALE_SHARE, gender == 1)
    given = []
    for _ in range(2):
        idx = rng.integers(0, 10**6, size=n)
        male_text = F.take_text(pools[0], idx % len(pools[0]))
        female_text = F.take_text(pools[1], idx % len(pools[1]))
        given.append(pc.if_else(pa.array(female), female_text, male_text))
    two = pa.array(rng.random(n) < 0.7)
    second = pc.if_else(two, given[1], pa.scalar(""))
    return pc.binary_join_element_wise(surname, given[0], second, "")


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    space = len(PHONE_PREFIXES) * 10**8
    draws = np.unique(rng.integers(0, space, size=n + n // 50 + 100))
    while draws.size < n:  # practically never
        draws = np.unique(np.concatenate([draws, rng.integers(0, space, size=n)]))
    draws = rng.permutation(draws)[:n]
    prefix = np.asarray(PHONE_PREFIXES)[draws // 10**8]
    return F.format_ids("", prefix * 10**8 + draws % 10**8, 11)


def _emails(rng: np.random.Generator, n: int) -> pa.Array:
    has = rng.random(n) < 0.35
    local = F.format_ints(rng.integers(10**5, 10**10, size=n))
    domain = F.take_text(list(EMAIL_DOMAINS), _pick(rng, (6, 3, 1, 1, 1, 1), n))
    return F.blank_where(pc.binary_join_element_wise(local, domain, "@"), ~has)


def _tags(rng: np.random.Generator, parent: np.ndarray) -> pa.Array:
    n = parent.size
    first = rng.integers(0, len(TAGS), size=n)
    first = np.where(parent & (rng.random(n) < 0.5), TAGS.index("母婴"), first)
    second = (first + rng.integers(1, len(TAGS), size=n)) % len(TAGS)
    one = F.take_text(list(TAGS), first)
    sep = F.take_text([",", "、"], rng.integers(0, 2, size=n))
    two = pc.binary_join_element_wise(one, sep, F.take_text(list(TAGS), second), "")
    k = rng.random(n)
    out = pc.if_else(pa.array(k < 0.05), two, one)
    return F.blank_where(out, (k >= 0.15) & ~(parent & (k < 0.4)))


def generate_customers(rng: np.random.Generator, n: int, cal: Calendar) -> Customers:
    """Customers in registration order: ``C00000001`` registered first."""
    segment = _pick(rng, SEGMENT_SHARES, n)
    reg_day = np.empty(n, dtype=np.int64)
    days = max(cal.n_days - 7, 1)
    growth = np.linspace(1.0, 1.6, days)  # the shop grows
    campaign = segment == SEGMENTS.index("campaign_sensitive")
    for mask, sensitive in ((campaign, True), (~campaign, False)):
        w = daily_intensity(cal, sensitive)[:days] * growth
        reg_day[mask] = _pick(rng, w, int(mask.sum()))
    order = np.argsort(reg_day, kind="stable")  # customer ids follow registration
    reg_day, segment = reg_day[order], segment[order]
    channel = _pick(rng, CHANNEL_SHARES, n)
    city = _pick(rng, CITY_WEIGHTS, n)
    ios = rng.random(n) < 0.45
    parent = (rng.random(n) < PARENT_RATE) & (segment != SEGMENTS.index("one_time"))

    u = rng.random(n)
    gender = np.where(u < GENDER_BLANK, -1, (rng.random(n) < FEMALE_SHARE).astype(np.int64))
    age = np.clip(np.rint(rng.normal(34, 10, n) + np.where(parent, -3, 0)), 18, 70)
    level = np.full(n, 2)
    for seg_idx, name in enumerate(SEGMENTS):
        mask = segment == seg_idx
        level[mask] = _pick(rng, LEVEL_BY_SEGMENT.get(name, (0.03, 0.15, 0.82)), int(mask.sum()))
    level = np.where(rng.random(n) < 0.04, -1, level)
    store = np.where(channel == CHANNELS.index("门店"), city + 1, -1)
    note = np.where(rng.random(n) < 0.02, rng.integers(0, len(NOTES), size=n), -1)
    industry = np.where(rng.random(n) < 0.08, -1, rng.integers(0, len(INDUSTRIES), size=n))

    columns = {
        "customer_id": F.format_ids("C", np.arange(1, n + 1), 8),
        "name": _names(rng, gender),
        "gender": F.take_text(["男", "女"], gender),
        "age": F.format_ints(age),
        "phone": _phones(rng, n),
        "email": _emails(rng, n),
        "registration_date": F.format_dates(reg_day + cal.start_day),
        "industry": F.take_text(list(INDUSTRIES), industry),
        "level": F.take_text(list(LEVELS), level),
        "tags": _tags(rng, parent),
        "note": F.take_text(list(NOTES), note),
        "province": F.take_text(CITY_PROVINCE, city),
        "city": F.take_text(CITIES, city),
        "channel": F.take_text(list(CHANNELS), channel),
        "store_id": F.blank_where(F.format_ids("ST", np.maximum(store, 0), 3), store < 0),
    }
    return Customers(
        reg_day=reg_day,
        segment=segment,
        channel=channel,
        city=city,
        ios=ios,
        parent=parent,
        favourite=np.zeros(n, dtype=np.int64),
        columns=columns,
    )
