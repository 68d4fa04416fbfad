"""The 10-customer table worked by hand for metrics, RFM, segments, tags, lifecycle and KPIs.

As of 2024-07-01 (exclusive). Store revenue 3520.00 over 22 orders: store AOV exactly 160,
so 高客单价 starts at AOV 240 (C05 is exactly there, C06 at 239.99 is not) and 低客单价 is
below 80 (C03 is exactly 80). Every seed-tag threshold has a customer on its boundary:

    C01 3 orders in 30 days (高频 at 3.0/month), 3 of 5 lines new (新品偏好 at 60%), VIP
    C02 3 orders in 31 days (2.90/month), 4 of 7 lines new, 2 of 3 orders discounted
    C03 2 orders in 60 days (1.0/month: not 低频), 1 of 2 orders in a campaign
    C04 one order 31 days ago (R 3 boundary, 新客); a later order on 2024-07-01 is excluded
    C05 last order 90 days ago (R 3 boundary), AOV 240 = 1.5 x store AOV
    C06 last order 91 days ago (R 2), AOV 239.99, spend fell to 0 (衰退)
    C07 one order 180 days ago (R 2 boundary, 衰退 not 流失)
    C08 one order 181 days ago (R 1, 流失); a test order and a needs_review row are excluded
    C09 5 orders, 4 discounted (价格敏感型 at 80%), growth exactly 20% (潜力增长), 成熟
    C10 growth 19.99% (not 潜力增长)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from custlens.io.pipeline import import_file

AS_OF = dt.date(2024, 7, 1)

CUSTOMERS = """客户编号,姓名,性别,年龄,联系方式,注册日期,客户等级,标签,渠道
C01,张三丰,女,28,13800000001,2024-05-01,VIP,"老客户,母婴",APP
C02,李四,男,30,13800000002,2024-05-01,,高频,小程序
C03,王五,女,55,13800000003,2024-04-01,,,PC
C04,赵六,男,54,13800000004,2024-05-01,,,
C05,钱七,,,13800000005,2023-10-01,,,
C06,孙八,,,13800000006,2023-12-01,,,
C07,周九,,,13800000007,2024-01-01,,,门店
C08,吴十,,,13800000008,2024-01-01,,,
C09,郑一,,,13800000009,2023-08-01,,,
C10,冯二,,,13800000010,2024-03-01,,,
"""

_H = "订单编号,行号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,优惠金额,总金额,渠道,订单状态,是否新品,上市日期,活动编号"
ORDERS = (
    _H
    + """
O0101,1,C01,2024-06-01 10:00:00,美妆,精华,1,300.00,0,300.00,APP,paid,是,,
O0101,2,C01,2024-06-01 10:00:00,美妆,面膜,1,100.00,0,100.00,APP,paid,否,,
O0102,1,C01,2024-06-11 21:00:00,美妆,口红,2,200.00,0,400.00,APP,paid,是,,
O0103,1,C01,2024-06-21 21:30:00,美妆,香水,1,300.00,0,300.00,APP,paid,,2024-05-22,
O0103,2,C01,2024-06-21 21:30:00,美妆,卸妆水,1,100.00,0,100.00,APP,paid,,2023-01-01,
O0104,1,C01,2024-06-25 10:00:00,美妆,粉底,1,999.00,0,999.00,APP,refunded,,,
O0201,1,C02,2024-05-31 20:00:00,食品,坚果,1,60.00,10.00,50.00,小程序,paid,是,,
O0201,2,C02,2024-05-31 20:00:00,食品,饼干,1,50.00,0,50.00,小程序,paid,是,,
O0201,3,C02,2024-05-31 20:00:00,食品,牛奶,1,50.00,0,50.00,小程序,paid,否,,
O0202,1,C02,2024-06-10 20:00:00,食品,咖啡,1,60.00,10.00,50.00,小程序,paid,是,,CP1
O0202,2,C02,2024-06-10 20:00:00,食品,茶叶,1,50.00,0,50.00,小程序,paid,否,,CP1
O0203,1,C02,2024-06-20 10:00:00,食品,果汁,1,50.00,0,50.00,小程序,paid,是,,
O0203,2,C02,2024-06-20 10:00:00,食品,面包,1,50.00,0,50.00,小程序,paid,否,,
O0301,1,C03,2024-05-02 19:30:00,图书,小说,2,40.00,0,80.00,PC,paid,,,CP1
O0302,1,C03,2024-06-01 19:10:00,图书,杂志,4,20.00,0,80.00,PC,paid,,,
O0401,1,C04,2024-05-31 12:00:00,家居,毛巾,1,40.00,10.00,30.00,,paid,,,CP1
O0402,1,C04,2024-07-01 09:00:00,家居,拖鞋,1,30.00,0,30.00,,paid,,,
O0501,1,C05,2023-10-04 10:00:00,数码,耳机,1,240.00,0,240.00,,paid,,,
O0502,1,C05,2024-04-02 10:00:00,数码,充电器,2,120.00,0,240.00,,paid,,,
O0601,1,C06,2024-01-03 10:00:00,运动,跑鞋,1,239.99,0,239.99,,paid,,,
O0602,1,C06,2024-04-01 10:00:00,运动,T恤,1,239.99,0,239.99,,paid,,,
O0701,1,C07,2024-01-03 15:00:00,服装,袜子,1,60.02,0,60.02,门店,paid,,,
O0801,1,C08,2024-01-02 11:00:00,食品,糖果,1,20.01,0,20.01,,paid,,,
O0802,1,C08,2024-03-01 11:00:00,食品,测试商品,1,500.00,0,500.00,,test,,,
O0803,1,C08,2024-03-05 11:00:00,食品,巧克力,1,10.00,0,12.00,,paid,,,
O0901,1,C09,2023-08-01 10:00:00,母婴,奶粉,1,110.00,10.00,100.00,,paid,,,
O0902,1,C09,2023-10-01 10:00:00,母婴,奶粉,1,110.00,10.00,100.00,,paid,,,
O0903,1,C09,2023-12-01 10:00:00,母婴,奶粉,1,110.00,10.00,100.00,,paid,,,
O0904,1,C09,2024-03-01 10:00:00,母婴,奶粉,1,110.00,10.00,100.00,,paid,,,
O0905,1,C09,2024-06-20 10:00:00,母婴,奶粉,1,120.00,0,120.00,,paid,,,
O1001,1,C10,2024-03-01 10:00:00,母婴,纸尿裤,1,100.00,0,100.00,,paid,,,
O1002,1,C10,2024-06-20 10:00:00,母婴,纸尿裤,1,119.99,0,119.99,,paid,,,
"""
)

EVENTS = """事件时间,客户编号,匿名编号,会话编号,事件类型,页面类型
2024-06-01 22:00:00,C01,,S1,page_view,detail
2024-06-01 22:05:00,C01,,S1,pay,pay
2024-06-10 20:05:00,C02,,S2,page_view,home
2024-06-15 09:00:00,,A1,S3,page_view,home
2024-06-16 09:00:00,,A2,S4,page_view,detail
2024-06-16 09:01:00,,A2,S4,add_to_cart,cart
"""


def load(ws, directory: Path, events: bool = True) -> None:
    """Import the fixture into ``ws`` (CSV files written under ``directory``)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"customers": CUSTOMERS, "orders": ORDERS}
    if events:
        files["events"] = EVENTS
    for table, text in files.items():
        path = directory / f"value_{table}.csv"
        path.write_text(text, encoding="utf-8")
        import_file(ws, table, path)


def by_id(table) -> dict:
    """{customer_id: row} from an Ibis expression or Arrow table."""
    rows = table.to_pyarrow().to_pylist() if hasattr(table, "to_pyarrow") else table.to_pylist()
    return {r["customer_id"]: r for r in rows}
