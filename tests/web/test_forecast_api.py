"""GET /api/v1/forecasts: the stored forecast as JSON, the same numbers as the page 需求预测,
labels in the caller's language, not for accounts limited to some rows."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
from tests.web.conftest import login

from custlens.analytics.forecast import demand_series, forecast_demand
from custlens.store.forecasts import save_forecast


def test_forecasts_api_returns_the_stored_forecast(fresh_app, fresh_ws):
    vic = login(fresh_app, "vic")
    missing = vic.get("/api/v1/forecasts")
    assert (
        missing.status_code == 404 and "custlens forecast run" in missing.json()["error"]["message"]
    )
    series = demand_series(fresh_ws.table("orders"), "category", "units", "W")
    fc = forecast_demand(series, horizon=6, folds=3)
    save_forecast(fresh_ws, fc)

    resp = vic.get("/api/v1/forecasts", params={"level": "category"})
    assert resp.status_code == 200, resp.text
    (doc,) = resp.json()["forecasts"]
    assert (doc["level"], doc["measure"], doc["freq"]) == ("category", "units", "W")
    assert doc["level_label"] == "按品类" and doc["served"] == fc.served
    bt = fc.backtest.set_index("model")
    assert {r["model"]: r["mase"] for r in doc["backtest"]} == {
        m: round(float(v), 4) for m, v in bt["mase"].items()
    }
    expected = fc.forecast.sort_values(["unique_id", "ds"])
    assert {s["unique_id"] for s in doc["series"]} == set(expected["unique_id"])
    for s in doc["series"]:
        want = expected[expected["unique_id"] == s["unique_id"]]
        got = s["forecast"]
        assert [p["ds"] for p in got] == [str(d.date()) for d in want["ds"]]
        np.testing.assert_allclose([p["yhat"] for p in got], want["yhat"], atol=1e-3)
        np.testing.assert_allclose([p["lo_95"] for p in got], want["lo_95"], atol=1e-3)
        np.testing.assert_allclose([p["hi_80"] for p in got], want["hi_80"], atol=1e-3)
        assert s["total"] == round(float(want["yhat"].sum()), 3)
        assert s["history"] and all(p["y"] is not None for p in s["history"])
        assert s["mase"] is not None and s["mase_benchmark"] is not None
    totals = [s["total"] for s in doc["series"]]
    assert totals == sorted(totals, reverse=True)

    # the page lists the same series in the same order with the same totals
    html = vic.get("/forecast").text
    cells = [unescape(c) for c in re.findall(r'<td class="num">([^<]+)</td>', html)]
    shown = [float(c.replace(",", "")) for c in cells[-len(totals) :]]
    np.testing.assert_allclose(shown, totals, atol=0.006)

    vic.cookies.set("custlens_lang", "en")
    en = vic.get("/api/v1/forecasts").json()["forecasts"][0]
    assert en["level_label"] == "per category" and en["series"] == doc["series"]
    assert vic.get("/api/v1/forecasts", params={"level": "store"}).status_code == 404
    assert vic.get("/api/v1/forecasts", params={"level": "planet"}).status_code == 422

    st = login(fresh_app, "st")
    denied = st.get("/api/v1/forecasts")
    assert (
        denied.status_code == 403
        and "仅限部分数据的账号不显示" in denied.json()["error"]["message"]
    )
