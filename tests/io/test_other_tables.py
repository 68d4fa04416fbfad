"""Events, campaigns, campaign responses and feedback import with their own rules."""

from __future__ import annotations

import datetime as dt

from custlens.io.pipeline import import_file


def test_events(ws, write):
    text = (
        "事件时间,客户编号,访客id,会话编号,事件类型,页面类型,渠道,流量来源,停留时长,搜索词\n"
        "2024-02-01 20:00:01,C1,,S1,浏览,首页,app,search,12.5,\n"
        "2024-02-01 20:00:30,C1,,S1,搜索,,app,search,,奶粉\n"
        "2024-02-01 20:01:00,,V9,S2,浏览,商品详情,微信小程序,ads,3,\n"
        "2024-02-01 20:02:00,,,S3,浏览,首页,PC,direct,1,\n"  # no customer nor visitor
        "2024-02-01 20:00:01,C1,,S1,浏览,首页,app,search,12.5,\n"  # duplicate
    )
    r = import_file(ws, "events", write("e.csv", text))
    assert (r.inserted, r.rejected, r.duplicate) == (3, 1, 1)
    assert r.problems[0].row == 5 and r.problems[0].code == "missing_required"
    rows = ws.con.execute(
        "SELECT event_type, page_type, channel, dwell_seconds, search_query, event_date "
        "FROM events ORDER BY event_time"
    ).fetchall()
    assert rows == [
        ("page_view", "home", "APP", 12.5, None, dt.date(2024, 2, 1)),
        ("search", None, "APP", None, "奶粉", dt.date(2024, 2, 1)),
        ("page_view", "detail", "小程序", 3.0, None, dt.date(2024, 2, 1)),
    ]
    again = import_file(ws, "events", write("e.csv", text))
    assert again.inserted == 0 and again.unchanged == 3


def test_campaigns_and_responses(ws, write):
    camp = (
        "活动编号,活动名称,开始日期,结束日期,预算\n"
        'CP1,618大促,2024-06-01,2024-06-18,"¥50,000"\n'
        "CP2,错误活动,2024-06-18,2024-06-01,100\n"
    )
    r = import_file(ws, "campaigns", write("c.csv", camp))
    assert (r.inserted, r.rejected) == (1, 1) and r.problem_counts == {"out_of_range": 1}
    assert ws.con.execute("SELECT budget FROM campaigns").fetchone()[0] == 50000
    resp = (
        "活动编号,客户编号,分组,是否触达,是否参与,是否转化,是否用券\n"
        "CP1,C1,实验组,是,是,否,1\n"
        "CP1,C2,对照组,是,否,否,0\n"
        "CP1,C3,对照组,也许,否,否,0\n"
    )
    r = import_file(ws, "campaign_responses", write("r.csv", resp))
    # an unrecognised optional yes/no is left empty: the response is kept
    assert (r.inserted, r.rejected) == (3, 0) and r.problem_counts == {"invalid_choice": 1}
    assert r.problems[0].severity == "warning"
    rows = ws.con.execute(
        'SELECT customer_id, "group", exposed, participated, coupon_used '
        "FROM campaign_responses ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("C1", "treatment", True, True, True),
        ("C2", "control", True, False, False),
        ("C3", "control", None, False, False),
    ]
    # a changed response for the same campaign and customer updates it
    r = import_file(
        ws, "campaign_responses", write("r2.csv", "活动编号,客户编号,是否转化\nCP1,C2,是\n")
    )
    assert (r.inserted, r.updated) == (0, 1)
    assert ws.con.execute(
        "SELECT converted, exposed FROM campaign_responses WHERE customer_id = 'C2'"
    ).fetchone() == (True, True)


def test_feedback(ws, write):
    text = (
        "客户编号,反馈时间,反馈类型,评分,推荐意愿,内容,是否解决\n"
        "C1,2024-03-01 10:00,评价,5,,物流很快,\n"
        "C2,2024-03-02,投诉,1,,发错货了,否\n"
        "C3,2024-03-03,问卷,,11,,\n"
        "C4,2024-03-04,评价,6,,,\n"
        "C5,2024-03-05,聊天,,,,\n"
    )
    r = import_file(ws, "feedback", write("f.csv", text))
    # a rating or NPS out of range is left empty (optional); an unknown type is refused
    assert r.inserted == 4 and r.rejected == 1
    assert r.problem_counts == {"out_of_range": 2, "invalid_choice": 1}
    severities = sorted((p.row, p.code, p.severity) for p in r.problems)
    assert severities == [
        (4, "out_of_range", "warning"),
        (5, "out_of_range", "warning"),
        (6, "invalid_choice", "error"),
    ]
    rows = ws.con.execute(
        "SELECT customer_id, feedback_type, rating, nps, resolved FROM feedback ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("C1", "review", 5, None, None),
        ("C2", "complaint", 1, None, False),
        ("C3", "survey", None, None, None),
        ("C4", "review", None, None, None),
    ]
