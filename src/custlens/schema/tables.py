"""Canonical table definitions.

Every table has English snake_case column names (the one vocabulary used in SQL, JSON and
English exports) plus the Chinese display name and the header variants recognised on import.
Types are *logical* kinds; ``sql_type`` gives the storage type in the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# logical kind -> DuckDB storage type
SQL_TYPES = {
    "text": "VARCHAR",
    "id": "VARCHAR",
    "phone": "VARCHAR",
    "email": "VARCHAR",
    "gender": "VARCHAR",
    "level": "VARCHAR",
    "tags": "VARCHAR",
    "enum": "VARCHAR",
    "int": "INTEGER",
    "age": "INTEGER",
    "quantity": "INTEGER",
    "money": "DECIMAL(18,2)",
    "float": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    pii: str | None = None  # "name" | "phone" | "email" when the column holds personal data
    choices: tuple[str, ...] = ()
    default: str | None = None
    doc_zh: str = ""
    doc_en: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Table:
    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    extra_sql: tuple[tuple[str, str], ...] = field(default=())  # system columns (name, type)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


C = Column

CUSTOMERS = Table(
    "customers",
    "客户信息表",
    "Customers",
    (
        C(
            "customer_id",
            "id",
            "客户编号",
            "Customer ID",
            True,
            (
                "客户id",
                "客户号",
                "会员编号",
                "会员id",
                "会员号",
                "用户id",
                "用户编号",
                "顾客编号",
                "customer",
                "customer_no",
                "member_id",
                "user_id",
                "cust_id",
                "id",
            ),
            doc_zh="必填，唯一；同一编号再次导入时更新该客户并记录变更历史",
            doc_en="required, unique; re-importing an ID updates the customer and keeps history",
        ),
        C(
            "name",
            "text",
            "姓名",
            "Name",
            True,
            ("客户姓名", "会员姓名", "用户名", "名字", "customer_name", "full_name"),
            pii="name",
            doc_zh="必填；显示与导出时脱敏为 张**",
            doc_en="required; masked as 张** on display/export",
        ),
        C(
            "gender",
            "gender",
            "性别",
            "Gender",
            False,
            ("sex", "性別"),
            choices=("男", "女", "未知"),
            default="未知",
            doc_zh="男/女/未知；M/F/male/female/1/0/空 自动转换，空值为 未知",
            doc_en="男/女/未知; M/F/male/female/1/0/blank are normalised, blank becomes 未知",
        ),
        C(
            "age",
            "age",
            "年龄",
            "Age",
            False,
            ("age_years",),
            doc_zh="0-120 的整数",
            doc_en="integer 0-120",
        ),
        C(
            "phone",
            "phone",
            "联系方式",
            "Phone",
            True,
            (
                "手机号",
                "手机",
                "手机号码",
                "电话",
                "联系电话",
                "mobile",
                "phone_number",
                "tel",
                "cellphone",
                "contact",
            ),
            pii="phone",
            doc_zh="必填；大陆11位手机号（1[3-9]开头），可带 +86、空格、横线；显示为 138****1234",
            doc_en="required; mainland mobile, 11 digits starting 1[3-9]; +86, spaces and dashes "
            "accepted; shown as 138****1234",
        ),
        C(
            "email",
            "email",
            "邮箱",
            "Email",
            False,
            ("电子邮箱", "邮件", "e-mail", "mail"),
            pii="email",
            doc_zh="可选；显示为 a***@example.com",
            doc_en="optional; shown as a***@example.com",
        ),
        C(
            "registration_date",
            "date",
            "注册日期",
            "Registration date",
            False,
            (
                "注册时间",
                "开卡日期",
                "入会日期",
                "reg_date",
                "signup_date",
                "register_date",
                "registered_at",
                "created_at",
            ),
            doc_zh="日期，支持 2024-01-05、2024/1/5、2024年1月5日、20240105、Excel日期",
            doc_en="date; 2024-01-05, 2024/1/5, 2024年1月5日, 20240105 and Excel dates accepted",
        ),
        C("industry", "text", "所属行业", "Industry", False, ("行业", "职业")),
        C(
            "level",
            "level",
            "客户等级",
            "Level",
            False,
            ("等级", "会员等级", "customer_level", "tier"),
            choices=("VIP", "潜力", "普通"),
            default="普通",
            doc_zh="VIP/潜力/普通，默认 普通",
            doc_en="VIP/潜力/普通, default 普通",
        ),
        C(
            "tags",
            "tags",
            "标签",
            "Tags",
            False,
            ("客户标签", "tag", "labels"),
            doc_zh="多个标签用 , ， 、 ; 分隔",
            doc_en="several tags separated by , ， 、 ;",
        ),
        C("note", "text", "备注", "Note", False, ("说明", "remark", "remarks", "notes", "comment")),
        C("province", "text", "省份", "Province", False, ("省", "所在省份", "state")),
        C("city", "text", "城市", "City", False, ("市", "所在城市")),
        C(
            "channel",
            "text",
            "渠道",
            "Channel",
            False,
            ("注册渠道", "来源渠道", "获客渠道", "source_channel"),
            doc_zh="APP / 小程序 / PC / 门店 等",
            doc_en="APP / 小程序 / PC / 门店 ...",
        ),
        C("store_id", "id", "门店编号", "Store ID", False, ("门店", "门店id", "所属门店", "store")),
    ),
    key=("customer_id",),
)

ORDERS = Table(
    "orders",
    "购买记录表",
    "Orders",
    (
        C(
            "order_id",
            "id",
            "订单编号",
            "Order ID",
            False,
            ("订单号", "订单id", "单号", "order_no", "order_number", "orderid"),
            doc_zh="可选；缺失时按整行内容生成确定的编号",
            doc_en="optional; a deterministic id is derived from the row when absent",
        ),
        C(
            "line_no",
            "int",
            "行号",
            "Line no.",
            False,
            ("明细行号", "line", "line_number", "item_no"),
            doc_zh="可选；同一订单的明细序号",
            doc_en="optional; line number within the order",
        ),
        C(
            "customer_id",
            "id",
            "客户编号",
            "Customer ID",
            True,
            (
                "客户id",
                "会员编号",
                "会员id",
                "用户id",
                "买家id",
                "customer",
                "member_id",
                "user_id",
                "cust_id",
            ),
            doc_zh="必填；与客户信息表关联",
            doc_en="required; joins to customers",
        ),
        C(
            "order_time",
            "datetime",
            "购买日期",
            "Order time",
            True,
            (
                "下单时间",
                "购买时间",
                "订单时间",
                "支付时间",
                "成交时间",
                "下单日期",
                "订单日期",
                "order_date",
                "purchase_date",
                "purchase_time",
                "created_at",
                "paid_at",
                "date",
            ),
            doc_zh="必填；日期或日期时间",
            doc_en="required; date or date-time",
        ),
        C(
            "category",
            "text",
            "商品类别",
            "Category",
            False,
            ("类目", "品类", "商品分类", "一级类目", "product_category", "category_name"),
        ),
        C(
            "product_id",
            "id",
            "商品编号",
            "Product ID",
            False,
            ("商品id", "sku", "sku_id", "货号", "item_id", "product_code"),
        ),
        C(
            "product_name",
            "text",
            "商品名称",
            "Product name",
            False,
            ("商品", "商品名", "品名", "商品标题", "item_name", "product", "title"),
        ),
        C(
            "quantity",
            "quantity",
            "购买数量",
            "Quantity",
            True,
            ("数量", "件数", "qty", "count", "num"),
            doc_zh="必填；正整数",
            doc_en="required; positive integer",
        ),
        C(
            "unit_price",
            "money",
            "单价",
            "Unit price",
            False,
            ("商品单价", "售价", "价格", "price"),
            doc_zh="≥0，两位小数；可带 ¥ 和千分位",
            doc_en=">= 0, 2 dp; ¥ and thousands separators ok",
        ),
        C(
            "discount",
            "money",
            "优惠金额",
            "Discount",
            False,
            ("折扣金额", "优惠", "折扣", "discount_amount", "coupon_amount"),
        ),
        C(
            "amount",
            "money",
            "总金额",
            "Amount",
            False,
            (
                "实付金额",
                "订单金额",
                "金额",
                "支付金额",
                "成交金额",
                "应付金额",
                "total",
                "total_amount",
                "paid_amount",
                "sales",
                "revenue",
            ),
            doc_zh="= 数量 × 单价 − 优惠；缺失时自动计算，差额超过0.01标记为需核实",
            doc_en="= quantity × unit_price − discount; computed when absent; flagged when it "
            "differs by more than 0.01",
        ),
        C(
            "payment_method",
            "text",
            "支付方式",
            "Payment method",
            False,
            ("付款方式", "支付渠道", "payment", "pay_method"),
        ),
        C(
            "channel",
            "text",
            "渠道",
            "Channel",
            False,
            ("下单渠道", "销售渠道", "平台", "order_channel", "platform"),
        ),
        C("store_id", "id", "门店编号", "Store ID", False, ("门店", "门店id", "store")),
        C(
            "status",
            "enum",
            "订单状态",
            "Status",
            False,
            ("状态", "order_status"),
            choices=("paid", "refunded", "partially_refunded", "cancelled", "test"),
            default="paid",
            doc_zh="paid/refunded/partially_refunded/cancelled/test（或 已支付/已退款/部分退款/已取消/测试）",
            doc_en="paid/refunded/partially_refunded/cancelled/test (or the Chinese words)",
        ),
        C(
            "is_new_product",
            "bool",
            "是否新品",
            "New product",
            False,
            ("新品", "new_product", "is_new"),
        ),
        C(
            "launch_date",
            "date",
            "上市日期",
            "Launch date",
            False,
            ("新品上市日期", "product_launch_date"),
        ),
        C(
            "campaign_id",
            "id",
            "活动编号",
            "Campaign ID",
            False,
            ("活动id", "营销活动", "campaign"),
        ),
    ),
    key=("order_line_key",),
)

EVENTS = Table(
    "events",
    "行为日志",
    "Events",
    (
        C(
            "event_time",
            "datetime",
            "事件时间",
            "Event time",
            True,
            ("时间", "发生时间", "访问时间", "timestamp", "time", "ts"),
        ),
        C(
            "customer_id",
            "id",
            "客户编号",
            "Customer ID",
            False,
            ("客户id", "会员编号", "用户id", "user_id", "member_id"),
        ),
        C(
            "anonymous_id",
            "id",
            "匿名编号",
            "Anonymous ID",
            False,
            ("访客id", "设备id", "visitor_id", "device_id", "cookie_id"),
        ),
        C("session_id", "id", "会话编号", "Session ID", False, ("会话id", "session")),
        C(
            "event_type",
            "text",
            "事件类型",
            "Event type",
            True,
            ("行为类型", "事件", "event", "action"),
            doc_zh="page_view/search/add_to_cart/checkout/pay 等",
            doc_en="page_view, search, add_to_cart, checkout, pay, ...",
        ),
        C(
            "page_type",
            "text",
            "页面类型",
            "Page type",
            False,
            ("页面", "page"),
            doc_zh="home/category/detail/cart/checkout/pay（或 首页/类目页/商品详情/购物车/结算/支付成功）",
            doc_en="home/category/detail/cart/checkout/pay",
        ),
        C("category", "text", "商品类别", "Category", False, ("类目", "品类")),
        C("product_id", "id", "商品编号", "Product ID", False, ("商品id", "sku")),
        C("channel", "text", "渠道", "Channel", False, ("平台", "终端渠道")),
        C(
            "source",
            "text",
            "流量来源",
            "Traffic source",
            False,
            ("来源", "渠道来源", "utm_source", "traffic_source", "referrer"),
        ),
        C("device", "text", "设备", "Device", False, ("设备类型", "device_type")),
        C(
            "dwell_seconds",
            "float",
            "停留时长",
            "Dwell seconds",
            False,
            ("停留秒数", "停留时间", "dwell", "duration", "dwell_time"),
        ),
        C(
            "search_query",
            "text",
            "搜索词",
            "Search query",
            False,
            ("搜索关键词", "关键词", "keyword", "query"),
        ),
        C("order_id", "id", "订单编号", "Order ID", False, ("订单号",)),
    ),
    key=("event_key",),
)

CAMPAIGNS = Table(
    "campaigns",
    "营销活动",
    "Campaigns",
    (
        C("campaign_id", "id", "活动编号", "Campaign ID", True, ("活动id", "campaign", "id")),
        C("campaign_name", "text", "活动名称", "Campaign name", True, ("活动", "名称", "name")),
        C("campaign_type", "text", "活动类型", "Campaign type", False, ("类型", "type")),
        C("channel", "text", "渠道", "Channel", False, ("投放渠道",)),
        C(
            "start_date",
            "date",
            "开始日期",
            "Start date",
            True,
            ("开始时间", "start", "start_time"),
        ),
        C("end_date", "date", "结束日期", "End date", True, ("结束时间", "end", "end_time")),
        C("budget", "money", "预算", "Budget", False, ("活动预算", "cost")),
        C("target_segment", "text", "目标人群", "Target segment", False, ("目标客群", "target")),
    ),
    key=("campaign_id",),
)

CAMPAIGN_RESPONSES = Table(
    "campaign_responses",
    "活动响应",
    "Campaign responses",
    (
        C("campaign_id", "id", "活动编号", "Campaign ID", True, ("活动id", "campaign")),
        C("customer_id", "id", "客户编号", "Customer ID", True, ("客户id", "会员编号", "user_id")),
        C(
            "group",
            "text",
            "分组",
            "Group",
            False,
            ("实验分组", "组别", "test_group", "variant"),
            doc_zh="treatment/control（或 实验组/对照组）",
            doc_en="treatment/control",
        ),
        C("exposed", "bool", "是否触达", "Exposed", False, ("触达", "曝光", "is_exposed")),
        C("participated", "bool", "是否参与", "Participated", False, ("参与", "is_participated")),
        C("converted", "bool", "是否转化", "Converted", False, ("转化", "is_converted")),
        C("coupon_used", "bool", "是否用券", "Coupon used", False, ("用券", "使用优惠券")),
        C("response_time", "datetime", "响应时间", "Response time", False, ("参与时间",)),
    ),
    key=("campaign_id", "customer_id"),
)

FEEDBACK = Table(
    "feedback",
    "客户反馈",
    "Feedback",
    (
        C("feedback_id", "id", "反馈编号", "Feedback ID", False, ("反馈id", "工单号", "id")),
        C("customer_id", "id", "客户编号", "Customer ID", True, ("客户id", "会员编号", "user_id")),
        C(
            "feedback_time",
            "datetime",
            "反馈时间",
            "Feedback time",
            True,
            ("时间", "日期", "time", "date", "created_at"),
        ),
        C(
            "feedback_type",
            "enum",
            "反馈类型",
            "Feedback type",
            True,
            ("类型", "type"),
            choices=("review", "survey", "complaint", "callback"),
            doc_zh="review/survey/complaint/callback（或 评价/问卷/投诉/回访）",
            doc_en="review/survey/complaint/callback",
        ),
        C(
            "rating",
            "int",
            "评分",
            "Rating",
            False,
            ("星级", "满意度", "score", "stars"),
            doc_zh="1-5 的整数",
            doc_en="integer 1-5",
        ),
        C(
            "nps",
            "int",
            "推荐意愿",
            "NPS score",
            False,
            ("nps评分", "推荐值", "nps_score"),
            doc_zh="0-10 的整数",
            doc_en="integer 0-10",
        ),
        C(
            "text",
            "text",
            "内容",
            "Text",
            False,
            ("评价内容", "反馈内容", "评论", "content", "comment"),
        ),
        C("resolved", "bool", "是否解决", "Resolved", False, ("已解决", "处理状态", "is_resolved")),
        C("order_id", "id", "订单编号", "Order ID", False, ("订单号",)),
    ),
    key=("feedback_key",),
)

TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, ORDERS, EVENTS, CAMPAIGNS, CAMPAIGN_RESPONSES, FEEDBACK)
}


def get_table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        from custlens.errors import UsageError

        raise UsageError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}") from None
