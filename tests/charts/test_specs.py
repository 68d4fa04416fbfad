"""Chart specs: axis titles and month names in the chart's language, full hour x weekday
grids, the CLV distribution on log-spaced bands, labels that cannot overlap, change colours."""

from __future__ import annotations

import re

import numpy as np
import pytest

from custlens.charts import basic, behaviour, patterns, value
from custlens.charts.change_colours import change_colour, good_direction
from custlens.charts.render import to_svg
from custlens.i18n.numbers import format_change, format_pct

ORDER_CELLS = [
    {"weekday": 0, "hour": 9, "orders": 5, "revenue": 120.0, "customers": 4},
    {"weekday": 4, "hour": 21, "orders": 9, "revenue": 300.0, "customers": 7},
]


def _cells(spec: dict) -> dict[tuple[int, int], dict]:
    return {(r["weekday"], r["hour"]): r for r in spec["data"]["values"]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_order_heatmap_shows_all_24_hours_with_zeros(lang):
    spec = patterns.hour_weekday_heatmap(ORDER_CELLS, lang=lang)
    cells = _cells(spec)
    assert len(spec["data"]["values"]) == 7 * 24
    assert set(cells) == {(d, h) for d in range(7) for h in range(24)}
    assert cells[(0, 9)]["orders"] == 5 and cells[(4, 21)]["revenue"] == 300.0
    assert cells[(2, 3)] == {"weekday": 2, "hour": 3, "orders": 0, "revenue": 0, "customers": 0}
    assert spec["encoding"]["x"]["scale"]["domain"] == list(range(24))


def test_activity_heatmap_fills_the_week_and_speaks_english():
    rows = [{"weekday": 6, "hour": 23, "events": 4, "sessions": 1, "visitors": 1}]
    spec = behaviour.activity_heatmap(rows, "sessions", lang="en")
    assert len(spec["data"]["values"]) == 168
    names = {r["weekday_name"] for r in spec["data"]["values"]}
    assert names == {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
    assert spec["encoding"]["x"]["title"] == "Hour"
    assert spec["encoding"]["color"]["title"] == "Sessions"
    zh = behaviour.activity_heatmap(rows, "sessions", lang="zh")
    assert zh["encoding"]["x"]["title"] == "小时"


FUNNEL = [
    {
        "step": 1,
        "step_name": "Home",
        "actors": 100,
        "conversion_from_previous": 1.0,
        "conversion_from_first": 1.0,
        "median_seconds_from_previous": None,
    },
    {
        "step": 2,
        "step_name": "Paid",
        "actors": 40,
        "conversion_from_previous": 0.4,
        "conversion_from_first": 0.4,
        "median_seconds_from_previous": 60.0,
    },
]


def _titles(spec: dict) -> list[str]:
    """Every title a reader sees: chart, axes, legends, tooltips (layers included)."""
    out = [spec.get("title", "")]
    for part in [spec, *spec.get("layer", [])]:
        for channel in part.get("encoding", {}).values():
            for item in channel if isinstance(channel, list) else [channel]:
                if isinstance(item, dict) and item.get("title"):
                    out.append(item["title"])
    return [t for t in out if t]


@pytest.mark.parametrize(
    "build",
    [
        lambda lang: behaviour.funnel_bars(FUNNEL, lang=lang),
        lambda lang: behaviour.time_to_convert_histogram(
            [{"label": "<1h", "actors": 3, "share": 1.0}], lang=lang
        ),
        lambda lang: behaviour.conversion_trend(
            [{"period": "2024-01-01", "conversion_rate": 0.1, "entered": 10, "converted": 1}],
            lang=lang,
        ),
        lambda lang: behaviour.retention_heatmap(
            [{"cohort": "2024-01-01", "period": 0, "customers": 5, "retention": 1.0}], lang=lang
        ),
        lambda lang: patterns.hour_weekday_heatmap(ORDER_CELLS, lang=lang),
        lambda lang: patterns.trend_lines([{"period": "2024-01-01", "revenue": 1.0}], lang=lang),
        lambda lang: value.clv_histogram([1.0, 20.0, 300.0], lang, "$"),
    ],
)
def test_titles_in_the_chart_language(build):
    en, zh = _titles(build("en")), _titles(build("zh"))
    assert en and all(t.isascii() for t in en), en
    assert any(re.search(r"[\u4e00-\u9fff]", t) for t in zh), zh
    assert "人数" not in " ".join(en)


def test_month_names_follow_the_language():
    rows = [{"period": f"2024-{m:02d}-01", "revenue": float(m)} for m in range(1, 13)]
    zh = to_svg(patterns.trend_lines(rows, lang="zh"), "zh")
    en = to_svg(patterns.trend_lines(rows, lang="en"), "en")
    assert "4月" in zh and "April" not in zh
    assert "April" in en


def test_clv_distribution_on_log_spaced_bands():
    rng = np.random.default_rng(0)
    clv = np.concatenate([rng.lognormal(3, 1.2, 2000), [0.0] * 50, [8000.0]])
    spec = value.clv_histogram(clv, "zh", "¥")
    rows = spec["data"]["values"]
    assert sum(r["customers"] for r in rows) == len(clv)
    ratios = {round(r["bin_end"] / r["bin_start"], 2) for r in rows if r["bin_start"] > 0}
    assert ratios <= {2.0, 2.5}  # 1-2-5 steps: equal widths on a log axis
    assert rows[0]["bin_start"] == 0 and rows[-1]["bin_end"] > 8000
    # the crowd is spread over several bands, not piled into the first of 40 equal bins
    assert max(r["share"] for r in rows) < 0.5
    # CLV is modelled for customers with a purchase: the count is of buying customers
    assert spec["encoding"]["y"]["title"] == "购买客户数"
    assert value.clv_histogram(clv, "en")["encoding"]["y"]["title"] == "Buying customers"
    assert "对数" in spec["encoding"]["x"]["title"] and "¥" in spec["encoding"]["x"]["title"]


def test_dense_category_axes_tilt_and_limit_their_labels():
    long = [{"name": f"Big spenders to win back {i}", "customers": i} for i in range(8)]
    axis = basic.bar(long, "name", "customers", "RFM")["encoding"]["x"]["axis"]
    assert axis["labelAngle"] == -35 and axis["labelLimit"] == basic.TILTED_LIMIT
    short = [{"band": b, "customers": 1} for b in ("<25", "25-34", "35-44")]
    assert basic.bar(short, "band", "customers", "Age")["encoding"]["x"]["axis"]["labelAngle"] == 0
    side = basic.bar(long, "name", "customers", "RFM", horizontal=True)["encoding"]["y"]["axis"]
    assert side["labelLimit"] >= 200
    funnel = behaviour.funnel_bars(FUNNEL, lang="en")
    assert funnel["layer"][0]["encoding"]["y"]["axis"]["labelLimit"] >= 200


def test_change_colours_by_direction_and_red_up():
    assert good_direction("churn_rate") == "down" and good_direction("gmv") == "up"
    # colour by meaning: a rise in churn or refunds is bad (red), a rise in sales good
    assert change_colour("churn_rate", 0.03) == "red"
    assert change_colour("refund_rate", -0.01) == "green"
    assert change_colour("gmv", 0.1) == "green" and change_colour("gmv", -0.1) == "red"
    # 红涨绿跌 swaps: red for every rise, green for every fall
    assert change_colour("gmv", 0.1, "red_up") == "red"
    assert change_colour("gmv", -0.1, "red_up") == "green"
    assert change_colour("churn_rate", -0.03, "red_up") == "green"
    assert change_colour("gmv", 0.0) == change_colour("gmv", 1e-6, "red_up") == "grey"


def test_zero_changes_and_shares_have_no_sign():
    assert format_pct(-0.000001) == "0.0%"
    assert format_change(-0.000001, "rate_pp") == "0.0个百分点"
    assert format_change(0.125, "rel") == "+12.5%"
