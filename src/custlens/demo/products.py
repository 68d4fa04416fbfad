"""Product catalogue: eight categories, product families, price bands and launch dates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NEW_PRODUCT_DAYS = 90  # a product is new for 90 days after its launch date (inclusive)
FORMULA, DIAPERS = "奶粉", "纸尿裤"

# category -> (share of order lines, number of products, families)
# family -> (brands, variants, lowest and highest list price in yuan)
CATALOG: dict[
    str, tuple[float, int, dict[str, tuple[tuple[str, ...], tuple[str, ...], float, float]]]
] = {
    "服装": (
        0.22,
        60,
        {
            "T恤": (
                ("优衣库", "森马", "太平鸟", "海澜之家"),
                ("纯棉短袖", "圆领印花", "宽松款"),
                39,
                199,
            ),
            "连衣裙": (("太平鸟", "伊芙丽", "Ochirly"), ("碎花长款", "法式收腰", "针织"), 129, 899),
            "牛仔裤": (("Levi's", "森马", "李宁"), ("直筒", "修身", "阔腿"), 99, 699),
            "羽绒服": (("波司登", "雪中飞", "鸭鸭"), ("轻薄短款", "加厚长款", "连帽"), 299, 1999),
            "卫衣": (("李宁", "安踏", "优衣库"), ("连帽", "加绒", "情侣款"), 79, 399),
        },
    ),
    "美妆": (
        0.14,
        50,
        {
            "口红": (
                ("花西子", "完美日记", "YSL", "迪奥"),
                ("丝绒哑光", "滋润", "小金条"),
                59,
                420,
            ),
            "面霜": (
                ("兰蔻", "雅诗兰黛", "珀莱雅", "薇诺娜"),
                ("保湿", "抗皱紧致", "修护"),
                129,
                1680,
            ),
            "精华液": (("雅诗兰黛", "兰蔻", "珀莱雅"), ("小棕瓶", "淡纹", "烟酰胺"), 199, 1500),
            "面膜": (("薇诺娜", "一叶子", "森田"), ("补水10片", "舒缓", "玻尿酸"), 29, 199),
            "防晒霜": (("安热沙", "薇诺娜", "理肤泉"), ("SPF50", "清爽", "户外"), 79, 299),
        },
    ),
    "数码": (
        0.10,
        45,
        {
            "手机": (("华为", "小米", "苹果", "OPPO", "vivo"), ("256G", "512G", "Pro"), 1299, 8999),
            "蓝牙耳机": (("华为", "小米", "苹果", "漫步者"), ("降噪", "运动", "半入耳"), 99, 1899),
            "充电器": (("绿联", "倍思", "Anker"), ("65W氮化镓", "20W快充", "多口"), 39, 299),
            "数据线": (("绿联", "倍思", "小米"), ("Type-C 1米", "编织2米", "三合一"), 19, 89),
            "智能手表": (("华为", "小米", "苹果"), ("运动版", "GPS", "儿童款"), 299, 3299),
        },
    ),
    "食品": (
        0.18,
        55,
        {
            "坚果礼盒": (
                ("三只松鼠", "良品铺子", "百草味"),
                ("每日坚果30包", "年货礼盒", "混合"),
                59,
                299,
            ),
            "牛奶": (("伊利", "蒙牛", "光明"), ("纯牛奶24盒", "有机", "低脂"), 49, 139),
            "咖啡": (("雀巢", "三顿半", "瑞幸"), ("速溶", "冻干", "挂耳"), 39, 199),
            "茶叶": (("八马", "小罐茶", "竹叶青"), ("铁观音", "龙井", "普洱"), 99, 999),
            "零食大礼包": (
                ("三只松鼠", "良品铺子", "卫龙"),
                ("辣条", "网红零食", "办公室"),
                29,
                129,
            ),
        },
    ),
    "母婴": (
        0.08,
        40,
        {
            FORMULA: (
                ("飞鹤星飞帆", "美赞臣", "爱他美", "a2至初", "君乐宝"),
                ("1段800g", "2段800g", "3段800g"),
                198,
                468,
            ),
            DIAPERS: (("花王", "帮宝适", "好奇", "大王"), ("M码", "L码", "XL码"), 79, 199),
            "奶瓶": (("贝亲", "可优比", "Hegen"), ("宽口径", "玻璃", "PPSU"), 69, 299),
            "婴儿湿巾": (("全棉时代", "babycare", "贝亲"), ("80抽", "手口专用", "12包"), 19, 99),
            "儿童玩具": (("乐高", "费雪", "可优比"), ("积木", "早教", "益智"), 59, 699),
        },
    ),
    "家居": (
        0.12,
        40,
        {
            "四件套": (("罗莱", "水星家纺", "富安娜"), ("纯棉", "天丝", "简约"), 199, 1299),
            "收纳箱": (("百露", "禧天龙", "爱丽思"), ("大号", "可折叠", "抽屉式"), 29, 159),
            "保温杯": (("膳魔师", "象印", "富光"), ("500ml", "不锈钢", "大容量"), 59, 299),
            "香薰": (("观夏", "野兽派", "气味图书馆"), ("无火香薰", "蜡烛", "扩香石"), 69, 399),
        },
    ),
    "图书": (
        0.06,
        30,
        {
            "小说": (("人民文学", "上海译文", "新经典"), ("精装", "平装", "全集套装"), 19, 299),
            "童书": (("接力出版社", "中信童书", "蒲蒲兰"), ("绘本", "科普", "全套"), 25, 398),
            "经管": (("中信出版", "机械工业", "湛庐"), ("平装", "精装", "套装"), 39, 198),
        },
    ),
    "运动": (
        0.10,
        35,
        {
            "跑鞋": (("李宁", "安踏", "耐克", "特步"), ("缓震", "竞速", "轻便"), 199, 1299),
            "瑜伽垫": (("Keep", "迪卡侬", "李宁"), ("加厚", "防滑", "TPE"), 49, 299),
            "运动服": (("耐克", "阿迪达斯", "安踏"), ("速干T恤", "套装", "紧身"), 99, 699),
            "健身器材": (("Keep", "迪卡侬", "舒华"), ("哑铃", "跳绳", "弹力带"), 29, 999),
        },
    ),
}
CATEGORIES = tuple(CATALOG)
CATEGORY_SHARES = np.array([v[0] for v in CATALOG.values()])


@dataclass
class Products:
    """One entry per product; products of a category are contiguous, ids in that order."""

    product_id: list[str]
    name: list[str]
    category: np.ndarray  # index into CATEGORIES
    family: list[str]
    price: np.ndarray  # list price in cents
    band: list[str]  # 低 / 中 / 高 within the category
    launch: np.ndarray  # calendar index of the launch date (negative: before the world)

    @property
    def n(self) -> int:
        return self.price.size

    def family_mask(self, family: str) -> np.ndarray:
        """True for the products of one family (e.g. 奶粉)."""
        return np.array([f == family for f in self.family])

    def to_records(self, start_day: int) -> list[dict]:
        """The catalogue as rows (id, name, category, family, price, launch date) for truth.json."""
        from custlens.demo.timeline import to_date

        return [
            {
                "product_id": self.product_id[i],
                "product_name": self.name[i],
                "category": CATEGORIES[self.category[i]],
                "family": self.family[i],
                "list_price": round(int(self.price[i]) / 100, 2),
                "price_band": self.band[i],
                "launch_date": to_date(start_day + int(self.launch[i])).isoformat(),
            }
            for i in range(self.n)
        ]


def _list_price(yuan: np.ndarray) -> np.ndarray:
    """Shop-style prices: 89.90 below 100 yuan, 199.00 / 1299.00 above."""
    small = np.ceil(yuan) * 100 - 10
    large = (np.round(yuan / 10) * 10 - 1) * 100
    return np.where(yuan < 100, small, large).astype(np.int64)


def build_products(rng: np.random.Generator, n_days: int) -> Products:
    """About 20-60 products per category, launched before or evenly during the world."""
    ids, names, cats, fams, prices, bands, launches = [], [], [], [], [], [], []
    for c, (_share, count, families) in enumerate(CATALOG.values()):
        combos = [
            (fam, f"{brand}{fam}{variant}", lo, hi)
            for fam, (brands, variants, lo, hi) in families.items()
            for brand in brands
            for variant in variants
        ]
        order = rng.permutation(len(combos))[:count]
        chosen = [combos[i] for i in sorted(order)]
        k = len(chosen)
        lo = np.array([x[2] for x in chosen], dtype=float)
        hi = np.array([x[3] for x in chosen], dtype=float)
        price = _list_price(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        n_new = round(k * 0.65)
        grid = np.linspace(-NEW_PRODUCT_DAYS, n_days - 10, n_new)
        grid = grid + rng.uniform(-8, 8, n_new)
        old = rng.integers(-800, -NEW_PRODUCT_DAYS - 10, size=k - n_new)
        launch = rng.permutation(np.concatenate([np.rint(grid), old]).astype(np.int64))
        terciles = np.quantile(price, [1 / 3, 2 / 3])
        band = np.searchsorted(terciles, price, side="right")
        for j, (fam, name, _lo, _hi) in enumerate(chosen):
            ids.append(f"P{c + 1}{len(ids) + 1:04d}")
            names.append(name)
            cats.append(c)
            fams.append(fam)
            bands.append(("低", "中", "高")[band[j]])
        prices.append(price)
        launches.append(launch)
    return Products(
        product_id=ids,
        name=names,
        category=np.array(cats),
        family=fams,
        price=np.concatenate(prices),
        band=bands,
        launch=np.concatenate(launches),
    )


class ProductPicker:
    """Vectorised choice of products by category, target price and launch date."""

    def __init__(self, products: Products):
        self.products = products
        formula = products.family_mask(FORMULA)
        self.by_price, self.old_by_price, self.by_launch = {}, {}, {}
        for c in range(len(CATEGORIES)):
            members = np.flatnonzero((products.category == c) & ~formula)
            self.by_price[c] = members[np.argsort(products.price[members], kind="stable")]
            old = members[products.launch[members] < 0]
            self.old_by_price[c] = old[np.argsort(products.price[old], kind="stable")]
            self.by_launch[c] = members[np.argsort(products.launch[members], kind="stable")]

    def regular(
        self, rng: np.random.Generator, cat: np.ndarray, day: np.ndarray, target: np.ndarray
    ) -> np.ndarray:
        """A product near the target price (cents), launched by ``day``; never 奶粉."""
        out = np.empty(cat.size, dtype=np.int64)
        jitter = rng.integers(-2, 3, size=cat.size)
        price = self.products.price
        for c in range(len(CATEGORIES)):
            rows = np.flatnonzero(cat == c)
            if rows.size == 0:
                continue
            members = self.by_price[c]
            pos = np.searchsorted(price[members], target[rows]) + jitter[rows]
            pick = members[np.clip(pos, 0, members.size - 1)]
            old = self.old_by_price[c]
            late = self.products.launch[pick] > day[rows]
            alt = np.clip(np.searchsorted(price[old], target[rows[late]]), 0, old.size - 1)
            pick[late] = old[alt]
            out[rows] = pick
        return out

    def new(self, rng: np.random.Generator, cat: np.ndarray, day: np.ndarray) -> np.ndarray:
        """A product launched within the last 90 days, or -1 when the category has none."""
        out = np.full(cat.size, -1, dtype=np.int64)
        u = rng.random(cat.size)
        for c in range(len(CATEGORIES)):
            rows = np.flatnonzero(cat == c)
            members = self.by_launch[c]
            launch = self.products.launch[members]
            lo = np.searchsorted(launch, day[rows] - NEW_PRODUCT_DAYS, side="left")
            hi = np.searchsorted(launch, day[rows], side="right")
            ok = hi > lo
            pos = lo + np.floor(u[rows] * (hi - lo)).astype(np.int64)
            out[rows[ok]] = members[pos[ok]]
        return out
