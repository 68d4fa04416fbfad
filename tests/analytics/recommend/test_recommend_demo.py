"""Recommendations on the demo world: the served lists beat segment popularity, recover the
planted 奶粉 -> 纸尿裤 affinity, and suggest 奶粉 again only when it is due."""

from __future__ import annotations

import numpy as np
import pytest

from custlens.analytics.recommend.evaluation import evaluate_recommenders
from custlens.analytics.recommend.interactions import EPOCH, purchase_data, purchase_lines
from custlens.analytics.recommend.model import ProductRecommender
from custlens.analytics.recommend.served import customer_groups, recommendations
from custlens.analytics.value.analysis import analyze_value
from custlens.store import results
from tests.conftest import demo_workspace

N_CUSTOMERS, SEED = 6000, 12


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("recommend_demo")
    ws, truth = demo_workspace(root, N_CUSTOMERS, SEED, tables=("customers", "orders"))
    results.save_analysis(ws, analyze_value(ws, cluster=False))
    groups = customer_groups(ws.table("customers"), results.stored(ws, "rfm_scores"))
    lines = purchase_lines(ws.table("orders"))
    data = purchase_data(lines, groups.to_pandas())
    yield ws, truth, lines, data
    ws.close()


@pytest.fixture(scope="module")
def served(world):
    _ws, _truth, _lines, data = world
    model = ProductRecommender().fit(data)
    return model, recommendations(model, lang="zh")


def test_served_beats_segment_popularity_by_a_fifth_on_recall(world):
    *_, data = world
    rep = evaluate_recommenders(data, test_days=30)
    by = {r["name"]: r for r in rep["results"]}
    assert set(by) == {
        "popularity", "preference", "cooccurrence", "itemcf", "als", "buy_again", "blend",
        "served",
    }  # fmt: skip
    # the served one is the best on the validation window, not on the test window
    validation = {n: r["validation_recall"] for n, r in by.items() if n != "served"}
    assert rep["served"] == max(validation, key=validation.get)
    assert by["served"]["recall"] >= 1.2 * by["popularity"]["recall"]
    assert rep["lift_over_popularity"] == pytest.approx(
        by["served"]["recall"] / by["popularity"]["recall"] - 1
    )
    for r in rep["results"]:
        assert 0 <= r["precision"] <= r["hit_rate"] <= 1 and 0 < r["coverage"] <= 1


def test_formula_buyers_are_offered_diapers(world, served):
    """The planted affinity: 纸尿裤 is bought with 奶粉 in 45% of the routine orders."""
    _ws, _truth, lines, data = world
    model, table = served
    family = (
        np.array(["奶粉" in n for n in data.item_name]),
        np.array(["纸尿裤" in n for n in data.item_name]),
    )
    formula, diapers = family
    # co-occurrence: every 奶粉 product's strongest partner is a 纸尿裤 product
    sim = model.members_["cooccurrence"].similarity_.toarray()
    bought_with = sim[formula].argmax(axis=1)
    has_partner = sim[formula].max(axis=1) > 0
    assert has_partner.mean() > 0.8
    assert diapers[bought_with[has_partner]].all()
    # served lists: 奶粉 buyers get 纸尿裤 more often than other 母婴 buyers (same category)
    formula_buyers = set(lines.loc[lines["product_name"].str.contains("奶粉"), "customer_id"])
    baby = set(lines.loc[lines["category"] == "母婴", "customer_id"]) - formula_buyers
    offered = table.assign(d=table["product_name"].str.contains("纸尿裤"))
    per_customer = offered.groupby("customer_id")["d"].any()
    rate_formula = per_customer[per_customer.index.isin(list(formula_buyers))].mean()
    rate_baby = per_customer[per_customer.index.isin(list(baby))].mean()
    assert rate_formula > 0.8
    assert rate_formula > 1.5 * rate_baby
    # the bought-together lists of 奶粉 buyers hold 纸尿裤, other customers' seldom do
    rows = data.customers.get_indexer(list(formula_buyers))
    others = np.setdiff1d(np.arange(data.n_customers), rows)
    with_diapers = []
    for group in (rows, others):
        top, _source = model.lists(group, which="cooccurrence")
        with_diapers.append((diapers[np.maximum(top, 0)] & (top >= 0)).any(axis=1).mean())
    assert with_diapers[0] > 0.9
    assert with_diapers[0] > 5 * with_diapers[1]


def test_formula_is_suggested_again_only_when_due(world, served):
    _ws, truth, lines, data = world
    model, table = served
    cycle = truth["repurchase_cycle"]["奶粉"]["planted_days"]
    again = model.members_["buy_again"]
    cycles = again.cycle_days_[again.cycle_days_ > 0]
    assert cycles.size > 0 and np.all(np.abs(cycles - cycle) <= 3)
    replenished = set(data.items[again.cycle_days_ > 0])
    names = [data.item_name[data.items.get_loc(i)] for i in replenished]
    # the planted routine: 奶粉 (and the 纸尿裤 bought with it) and nothing else
    assert any("奶粉" in n for n in names)
    assert all("奶粉" in n or "纸尿裤" in n for n in names)
    # days since each customer last bought each product, from the order lines themselves
    day = EPOCH + np.timedelta64(model.history_.day, "D")
    last = lines.groupby(["customer_id", "item"])["order_date"].max().reset_index()
    last["elapsed"] = (
        (np.datetime64(day) - last["order_date"].to_numpy()).astype("timedelta64[D]").astype(int)
    )
    shown = table.merge(
        last, left_on=["customer_id", "product_id"], right_on=["customer_id", "item"], how="left"
    )
    shown = shown.assign(
        cycle=[again.cycle_days_[data.items.get_loc(p)] for p in shown["product_id"]]
    )
    due = shown[shown["source"] == "buy_again"]
    assert len(due) > 0
    assert due["product_name"].str.contains("奶粉").any()
    assert (due["elapsed"] >= due["cycle"] - again.lead_days).all()
    # the planted 28-day cycle, a week's lead (the default) and the measured cycle's +/- 1 day
    assert (due["elapsed"] >= cycle - 7 - 1).all()
    assert due["reason"].str.match(r"您约\d+天购买一次，已到期").all()
    # nothing bought in the last 30 days comes back unless it is due
    recent = shown[shown["elapsed"] < model.recent_days]
    assert (recent["source"] == "buy_again").all()
    # formula bought less than cycle - lead days ago is never suggested
    formula_last = last[last["item"].isin(replenished)]
    early = formula_last[formula_last["elapsed"] < cycle - again.lead_days - 3]
    assert len(early) > 0
    pairs = set(zip(table["customer_id"], table["product_id"], strict=True))
    assert not any(
        (c, i) in pairs for c, i in zip(early["customer_id"], early["item"], strict=True)
    )


def test_fit_reads_nothing_on_or_after_its_cut_off(world):
    *_, data = world
    cut = data.last_day + 1 - 30
    early = ProductRecommender().fit(data, as_of=cut)
    past = data.lines[data.lines["day"] < cut]
    from dataclasses import replace

    only_past = ProductRecommender().fit(replace(data, lines=past), as_of=cut)
    rows = np.arange(0, data.n_customers, 7)
    assert early.served_ == only_past.served_ and early.weights_ == only_past.weights_
    np.testing.assert_array_equal(early.lists(rows)[0], only_past.lists(rows)[0])
