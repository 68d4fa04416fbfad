"""The 需求预测 page: reads the stored forecast (nothing fitted in the request), shows the
backtest and the chart of one series, links to the others; not shown to restricted accounts."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import unquote

from tests.web.conftest import login
from tests.web.test_page_language import visible_text

from custlens.analytics.forecast import demand_series, forecast_demand
from custlens.store.forecasts import save_forecast


def _spec(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="chart\d+-spec">(.*?)</script>', html, re.S)
    assert m, "no chart"
    return json.loads(m.group(1))["spec"]


def test_forecast_page_before_and_after_a_stored_forecast(fresh_app, fresh_ws):
    vic = login(fresh_app, "vic")
    text = visible_text(vic.get("/forecast").text)
    assert "需求预测" in text and "custlens forecast run" in text
    series = demand_series(fresh_ws.table("orders"), "category", "units", "W")
    fc = forecast_demand(series, horizon=6, folds=3)
    run_id = save_forecast(fresh_ws, fc)
    html = vic.get("/forecast").text
    text = visible_text(html)
    assert fc.served in text and "回测（对比季节朴素法）" in text
    spec = _spec(html)
    assert {v["kind"] for v in spec["data"]["values"]} == {"history", "forecast"}
    smallest = fc.forecast.groupby("unique_id")["yhat"].sum().idxmin()
    links = [unescape(h) for h in re.findall(r'href="(/forecast\?run=[^"]+)"', html)]
    assert len(links) == series.frame["unique_id"].nunique()
    link = next(h for h in links if unquote(h).endswith(f"series={smallest}"))
    other = vic.get(link)
    assert other.status_code == 200 and smallest in _spec(other.text)["title"]
    assert vic.get(f"/forecast?run={run_id + 99}&series=nothing").status_code == 200
    st = login(fresh_app, "st")
    assert "仅限部分数据的账号不显示" in visible_text(st.get("/forecast").text)
