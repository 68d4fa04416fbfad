"""The English msgids of stored codes that are not defined by an analysis: import and user
statuses, audit actions, event steps, traffic and tag sources, weekdays, satisfaction codes.

:mod:`custlens.i18n.labels` maps each code column to one of these tables; charts take the
weekday names from here. Every value is a msgid of the one catalogue
(``locale/zh_CN/LC_MESSAGES/custlens.po``).

Examples
--------
>>> STATUS_LABELS["partial"], WEEKDAYS[0], FEEDBACK_CODES["detractor"]
('partly imported', 'Monday', 'detractor')
"""

from __future__ import annotations

STATUS_LABELS = {
    "ok": "succeeded",
    "partial": "partly imported",
    "failed": "failed",
    "running": "running",
    "active": "active",
    "disabled": "disabled",
    "locked": "locked",
    "problem": "problem",
    "full": "full data",
    "none": "no data",
    "paid": "paid",
    "test": "test",
    "refunded": "refunded",
    "cancelled": "cancelled",
}
AUDIT_ACTIONS = {
    "login": "login",
    "login_failed": "failed login",
    "login_locked": "login while locked",
    "logout": "logout",
    "import": "import",
    "export": "export",
    "report": "report",
    "rejects_download": "rejects downloaded",
    "unmask": "unmasked view",
    "tag_change": "tag change",
    "analysis": "analysis",
    "user_add": "user added",
    "user_disable": "user disabled",
    "user_enable": "user enabled",
    "user_role": "role changed",
    "user_filters": "row filters changed",
    "user_passwd": "password changed",
    "user_unlock": "user unlocked",
    "token_create": "API token created",
    "token_revoke": "API token revoked",
    "session_revoke": "session revoked",
    "dashboard_create": "dashboard created",
    "dashboard_update": "dashboard changed",
    "dashboard_delete": "dashboard deleted",
    "settings": "settings changed",
    "subscription_add": "subscription added",
    "subscription_remove": "subscription removed",
    "schedule_add": "report schedule added",
    "schedule_remove": "report schedule removed",
    "scheduled_report": "scheduled report made",
    "scheduled_report_failed": "scheduled report failed",
    "add": "added",
    "remove": "removed",
}
STEP_LABELS = {
    "home": "Home",
    "首页": "Home",
    "category": "Category page",
    "类目页": "Category page",
    "detail": "Product detail",
    "商品详情": "Product detail",
    "add_to_cart": "Add to cart",
    "cart": "Add to cart",
    "加入购物车": "Add to cart",
    "checkout": "Checkout",
    "结算": "Checkout",
    "pay": "Paid",
    "支付成功": "Paid",
    "search": "Search",
    "搜索": "Search",
    "view": "Page view",
    "page_view": "Page view",
    "click": "Click",
    "favorite": "Favourite",
    "collect": "Favourite",
    "share": "Share",
    "login": "Log-in",
    "register": "Sign-up",
    "(start)": "(start)",
    "(end)": "(end)",
}
SOURCE_LABELS = {
    "(none)": "(no source)",
    "ads": "ads",
    "direct": "direct",
    "search": "search engine",
    "social": "social media",
    "email": "email",
    "sms": "SMS",
    "push": "push",
    "referral": "referral",
    "campaign": "campaign",
    # where a customer's tag came from (tag lists and tag changes on 客户360)
    "rule": "by rule",
    "import": "imported",
    "manual": "by hand",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORT_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # chart axes
KIND_LABELS = {"lifecycle": "lifecycle stage", "segment": "segment", "group": "value group"}
# satisfaction codes (sentiment, complaint type, NPS group): the code is its own msgid
FEEDBACK_CODES = {
    c: c
    for c in (
        *("positive", "neutral", "negative", "promoter", "passive", "detractor"),
        *("delivery", "refund", "damaged", "defect", "service", "price", "invoice", "other"),
    )
}
ARM_LABELS = {
    "treatment": "Treatment",
    "control": "Control",
    "exposed": "Exposed, matched",
    "comparison": "Matched comparison",
}
BASIS_LABELS = {"propensity": "churn propensity", "p_alive": "P(alive)", "rule": "lifecycle rule"}

# what an audited export wrote (the ``what`` of its detail)
EXPORT_WHAT = {
    "customers": "Customer list",
    "uplift_targets": "Uplift target list",
    "dashboard_widget": "Dashboard widget",
}
