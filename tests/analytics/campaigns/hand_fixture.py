"""A workspace of six customers, two campaigns and seven orders whose campaign figures are worked
out by hand in the tests that use it.

K1 (2024-03-01 .. 03-10, budget 1000, no control group): exposed C1, C2, C5; C3 responded
unexposed. K2 (2024-04-01 .. 04-10, no budget): treatment C1, C2 (exposed left blank), control
C3, C4.
"""

from __future__ import annotations

CUSTOMERS = """客户编号,姓名,联系方式,注册日期
C1,甲,13812345671,2024-01-01
C2,乙,13812345672,2024-01-01
C3,丙,13812345673,2024-01-01
C4,丁,13812345674,2024-01-01
C5,戊,13812345675,2024-01-01
C6,己,13812345676,2024-01-01
"""

ORDERS = """订单编号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,总金额,活动编号
O1,C1,2024-01-10 10:00:00,母婴,奶粉,1,100.00,100.00,
O2,C1,2024-03-05 10:00:00,母婴,奶粉,2,100.00,200.00,
O3,C2,2024-03-08 10:00:00,美妆,口红,1,50.00,50.00,K1
O4,C2,2024-03-15 10:00:00,美妆,眼影,1,80.00,80.00,
O5,C3,2024-05-01 10:00:00,图书,小说,1,70.00,70.00,
O6,C4,2024-03-02 10:00:00,图书,小说,1,40.00,40.00,
O7,C1,2024-04-05 10:00:00,母婴,纸尿裤,1,60.00,60.00,K2
"""

CAMPAIGNS = """活动编号,活动名称,活动类型,渠道,开始日期,结束日期,预算
K1,春季促销,节日促销,APP,2024-03-01,2024-03-10,1000.00
K2,召回测试,召回,短信,2024-04-01,2024-04-10,
"""

RESPONSES = """活动编号,客户编号,分组,是否触达,是否参与,是否转化,是否用券
K1,C1,,是,是,是,否
K1,C2,,是,是,是,是
K1,C3,,否,否,否,否
K1,C5,,是,否,否,否
K2,C1,实验组,是,是,是,是
K2,C2,实验组,,否,否,否
K2,C3,对照组,,否,是,否
K2,C4,对照组,,否,否,否
"""


def load_hand_campaigns(ws, write) -> dict:
    """Import the four tables into ``ws``; return them as Ibis tables by name."""
    from custlens.io.pipeline import import_file

    for name, text in (
        ("customers", CUSTOMERS),
        ("orders", ORDERS),
        ("campaigns", CAMPAIGNS),
        ("campaign_responses", RESPONSES),
    ):
        import_file(ws, name, write(f"{name}.csv", text))
    return {k: ws.table(k) for k in ("customers", "orders", "campaigns", "campaign_responses")}
