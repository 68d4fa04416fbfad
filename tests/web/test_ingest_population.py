"""The two numbers of campaign sensitivity over everyone (participation rate of all exposed
customers, last order day) are kept between micro-batches: computed again only when a write
could have changed them, and always equal to the aggregate over everyone."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.conftest import demo_workspace

from custlens.analytics.value.analysis import analyze_value
from custlens.io import ingest_log
from custlens.io.pipeline import import_file
from custlens.store.results import latest_run, save_analysis
from custlens.web import ingest_profiles
from custlens.web.ingest_profiles import refresh_profiles


@pytest.fixture()
def analysed(tmp_path):
    ws, _truth = demo_workspace(tmp_path / "ws", 300, 5)
    save_analysis(ws, analyze_value(ws, cluster=False))
    yield ws
    ws.close()


def _orders(ws, ids, day, tag):
    rows = [{"order_id": f"{tag}{i}", "customer_id": cid, "order_time": f"{day} 10:00:00",
             "quantity": 1, "amount": 80, "product_name": "茶叶"}
            for i, cid in enumerate(ids)]  # fmt: skip
    return _apply(ws, "orders", rows)


def _apply(ws, table, rows):
    entry = ingest_log.new_entry(
        table, rows, username="pos", token_id=None, row_filters={}, lang="zh",
        received_at=dt.datetime.now(),
    )  # fmt: skip
    result = ingest_log.apply_entry(ws, entry)
    refresh_profiles(ws, [(table, result.import_id)], "test")
    return result


def _population():
    (steps,) = ingest_profiles._PLANS.values()
    return steps.population


def _over_everyone(ws, population):
    day = ws.con.execute(population.last_day_sql).fetchone()[0]
    return ws.con.execute(population.overall_sql).fetchone()[0], day


def _exposed(ws, n):
    return [r[0] for r in ws.con.execute(
        "SELECT DISTINCT customer_id FROM campaign_responses ORDER BY customer_id LIMIT ?", [n]
    ).fetchall()]  # fmt: skip


def test_kept_values_equal_the_aggregate_and_are_computed_only_when_needed(analysed, tmp_path):
    ws = analysed
    day = latest_run(ws)["as_of"]
    a, b, c = _exposed(ws, 3)
    _orders(ws, [a], day, "P1-")  # the date moves to the day after: a new plan
    population = _population()
    assert population.computed == 2  # both numbers, once
    overall, last = population._overall[1], population._last_day[1]
    assert (overall, last.date()) == _over_everyone(ws, population)

    # events only: orders and campaigns unchanged, nothing computed again
    _apply(ws, "events", [{"customer_id": b, "event_type": "page_view",
                           "event_time": f"{day} 11:00:00", "session_id": "PS1"}])  # fmt: skip
    assert _population() is population and population.computed == 2

    # orders of the same day: the touched customer's own last order day is the latest
    _orders(ws, [b], day, "P2-")
    assert population.computed == 2
    assert population._last_day[1].date() == _over_everyone(ws, population)[1] == day

    # an earlier order: its customer's last day is earlier than the kept one, computed again
    _orders(ws, [c], day - dt.timedelta(days=40), "P3-")
    assert population.computed == 3
    assert population._last_day[1].date() == _over_everyone(ws, population)[1]

    # rows written by another import in between (not this micro-batch's): computed again
    other = tmp_path / "more.csv"
    other.write_text(
        f"订单号,客户ID,下单时间,商品名称,数量,金额\nF1,{a},{day} 09:00:00,茶叶,1,60\n"
    )
    import_file(ws, "orders", other)
    _orders(ws, [c], day, "P4-")
    assert population.computed == 4
    assert population._last_day[1].date() == _over_everyone(ws, population)[1]


def test_a_changed_campaign_table_computes_the_rate_again(analysed):
    ws = analysed
    day = latest_run(ws)["as_of"]
    a, b = _exposed(ws, 2)
    _orders(ws, [a], day, "Q1-")
    population = _population()
    before = population.computed
    ws.con.execute(
        "UPDATE campaign_responses SET participated = NOT coalesce(participated, false), "
        "import_id = import_id + 1000 WHERE customer_id = ?",
        [a],
    )
    _orders(ws, [b], day, "Q2-")
    assert population.computed == before + 1
    assert population._overall[1] == _over_everyone(ws, population)[0]
