"""Behaviour and marketing tables: 行为日志 (events), 营销活动 (campaigns) and campaign responses."""

from __future__ import annotations

from custlens.schema.model import Column as C
from custlens.schema.model import Table

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
