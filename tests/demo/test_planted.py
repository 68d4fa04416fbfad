"""The planted patterns can be measured back from the written files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.demo.conftest import read_table


def test_truth_lists_every_file(world):
    folder, truth = world
    for table in ("customers", "orders", "events", "campaigns", "campaign_responses", "feedback"):
        assert (folder / truth["files"][table]).exists()
    assert (folder / "truth.json").exists()
    assert (folder / "truth_customers.parquet").exists()
    segments = set(pd.read_parquet(folder / "truth_customers.parquet").segment)
    assert segments == set(truth["segments"])


def test_amounts_are_exact(clean_orders):
    lhs = clean_orders.quantity * clean_orders.unit_price_cents - clean_orders.discount_cents
    assert (lhs == clean_orders.amount_cents).all()
    assert (clean_orders.amount_cents > 0).all() and (clean_orders.discount_cents >= 0).all()
    assert set(clean_orders.status) == {"paid"}
    assert (
        clean_orders.groupby("order_id")
        .product_id.nunique()
        .eq(clean_orders.groupby("order_id").size())
        .all()
    )


def test_no_order_before_registration_or_after_end(world, clean_orders, customers):
    _, truth = world
    reg = customers.drop_duplicates().set_index("customer_id").registration_date
    reg = pd.to_datetime(reg[reg.str.fullmatch(r"\d{4}-\d\d-\d\d")])
    joined = clean_orders.join(reg.rename("reg"), on="customer_id", how="inner")
    assert len(joined) > 0.95 * len(clean_orders)
    assert (joined.time.dt.normalize() >= joined.reg).all()
    assert clean_orders.time.max() < pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    assert clean_orders.time.min() >= pd.Timestamp(truth["start"])


def test_peak_hour_is_in_the_evening(world, clean_orders):
    _, truth = world
    peak = int(clean_orders.drop_duplicates("order_id").time.dt.hour.value_counts().idxmax())
    assert 20 <= peak <= 22
    assert truth["time"]["peak_hour"] == 21


def test_category_shares(world, clean_orders):
    _, truth = world
    shares = clean_orders.category.value_counts(normalize=True)
    for category, planted in truth["categories"].items():
        assert shares[category] == pytest.approx(planted["share_of_lines"], abs=0.002)
        assert shares[category] == pytest.approx(planted["planted_share"], abs=0.035)


def test_formula_repurchase_cycle(world, clean_orders):
    _, truth = world
    formula = clean_orders[clean_orders.product_name.str.contains("奶粉")]
    times = formula.drop_duplicates("order_id").sort_values(["customer_id", "time"])
    gaps = times.groupby("customer_id").time.diff().dropna().dt.total_seconds() / 86_400
    assert len(gaps) > 100
    assert gaps.median() == pytest.approx(28, abs=2)
    assert truth["repurchase_cycle"]["奶粉"]["planted_days"] == 28


def test_formula_diapers_association(world, clean_orders):
    _, truth = world
    baskets = clean_orders.groupby("order_id").product_name.agg(" ".join)
    has_f, has_d = baskets.str.contains("奶粉"), baskets.str.contains("纸尿裤")
    confidence = (has_f & has_d).sum() / has_f.sum()
    lift = confidence / has_d.mean()
    planted = truth["association"]
    assert confidence == pytest.approx(planted["confidence"], abs=1e-3)
    assert lift == pytest.approx(planted["lift"], rel=1e-3)
    assert lift > 3


def test_promotions_lift_orders(world, clean_orders):
    _, truth = world
    daily = clean_orders.drop_duplicates("order_id").time.dt.normalize().value_counts()
    for key, promo in truth["time"]["promotions"].items():
        assert promo["uplift"] > 1.2, key
    window = pd.date_range("2024-11-01", "2024-11-11")
    base = pd.date_range("2024-10-01", "2024-10-31").union(
        pd.date_range("2024-11-12", "2024-12-11")
    )
    assert (
        daily.reindex(window, fill_value=0).mean() > 1.8 * daily.reindex(base, fill_value=0).mean()
    )


def test_segment_behaviour(world, clean_orders):
    folder, _ = world
    seg = pd.read_parquet(folder / "truth_customers.parquet").set_index("customer_id").segment
    df = clean_orders.join(seg, on="customer_id")
    new_share = df.groupby("segment").is_new_product.apply(lambda s: (s == "是").mean())
    assert new_share["new_product_lover"] >= 0.6
    assert new_share.drop("new_product_lover").max() < 0.3
    discounted = (
        df.assign(d=df.discount_cents > 0)
        .groupby("order_id")
        .agg(d=("d", "any"), segment=("segment", "first"))
    )
    rate = discounted.groupby("segment").d.mean()
    assert rate["price_sensitive"] > 0.8 > rate.drop("price_sensitive").max()
    per_buyer = (
        df.drop_duplicates("order_id").groupby("segment").size()
        / df.groupby("segment").customer_id.nunique()
    )
    assert per_buyer["vip"] > 2 * per_buyer.drop("vip").max()
    assert per_buyer["one_time"] < 1.2


def test_funnel_conversion_matches_planted(world):
    folder, truth = world
    events = read_table(folder, truth, "events")
    steps = truth["funnel"]["steps"]
    pages = events[events.page_type.isin(steps)]
    reached = pages.groupby(["channel", "source", "page_type"]).session_id.nunique()
    checked = 0
    for channel, sources in truth["funnel"]["by_channel_source"].items():
        for source, cell in sources.items():
            counts = [reached.get((channel, source, step), 0) for step in steps]
            for k in range(1, len(steps)):
                if counts[k - 1] < 800:
                    continue
                measured = counts[k] / counts[k - 1]
                assert measured == pytest.approx(cell["planted"][k - 1], abs=0.04), (
                    channel,
                    source,
                    steps[k],
                )
                assert measured == pytest.approx(cell["measured"][k - 1], abs=1e-4)
                checked += 1
    assert checked > 30


def test_every_online_order_has_one_pay_event(world, clean_orders):
    folder, truth = world
    events = read_table(folder, truth, "events")
    pays = events[events.event_type == "pay"]
    assert pays.order_id.str.startswith("O").all() and pays.order_id.is_unique
    online = set(clean_orders[clean_orders.channel != "门店"].order_id)
    assert set(pays.order_id) == online
    assert (events.event_type != "pay").sum() > 3 * len(pays)
    pay_time = pays.set_index("order_id").event_time
    first_line = clean_orders.drop_duplicates("order_id").set_index("order_id")
    standard = first_line.order_time.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
    assert (
        pay_time.reindex(first_line.index[standard & first_line.index.isin(online)])
        == first_line.order_time[standard & first_line.index.isin(online)]
    ).all()


def test_complaints_follow_churn(world):
    folder, truth = world
    feedback = read_table(folder, truth, "feedback")
    seg = pd.read_parquet(folder / "truth_customers.parquet").set_index("customer_id").segment
    complainers = set(feedback[feedback.feedback_type == "投诉"].customer_id)
    rate = seg.index.to_series().isin(complainers).groupby(seg).mean()
    assert rate["churned"] > 2.5 * rate[["vip", "growing", "price_sensitive"]].max()
    for value in truth["feedback"]["complaint_rate"].values():
        assert value["measured"] == pytest.approx(value["planted"], abs=0.05)
    ratings = feedback[feedback.feedback_type == "评价"].rating.astype(int)
    assert ratings.between(1, 5).all()
    surveys = feedback[feedback.feedback_type == "问卷"]
    answered = surveys[surveys.responded == "是"]
    assert answered.nps.astype(int).between(0, 10).all()
    assert (surveys[surveys.responded == "否"].nps == "").all()  # unanswered: no score
    assert set(surveys.responded) == {"是", "否"}
    timed = feedback[feedback.resolved_time != ""]
    assert (timed.resolved == "是").all()
    assert (timed.resolved_time >= timed.feedback_time).all()


def test_ab_tests_have_planted_uplift(world):
    folder, truth = world
    responses = read_table(folder, truth, "campaign_responses")
    ab = truth["campaigns"]["ab_tests"]
    assert len(ab) == 2
    for campaign_id, test in ab.items():
        rows = responses[responses.campaign_id == campaign_id]
        assert set(rows.group) == {"实验组", "对照组"}
        conv = rows.groupby("group").converted.apply(lambda s: (s == "是").mean())
        assert conv["实验组"] == pytest.approx(test["measured_treatment"], abs=1e-4)
        assert test["uplift"] == pytest.approx(test["p_treatment"] - test["p_control"])
    others = responses[~responses.campaign_id.isin(ab)]
    assert (others.group == "").all()


def test_phones_are_valid_and_unique(customers, world):
    folder, _ = world
    dirty = pd.read_parquet(folder / "truth_dirt.parquet")
    bad = set(dirty[dirty.table == "customers"].key)
    clean = customers.drop_duplicates()[lambda d: ~d.customer_id.isin(bad)]
    assert clean.phone.str.fullmatch(r"1[3-9]\d{9}").all()
    assert clean.phone.is_unique
    assert set(clean.gender) <= {"男", "女", ""}
    assert 0.01 < (clean.gender == "").mean() < 0.06
    ages = clean.age.astype(int)
    assert ages.between(18, 70).all()
    assert np.isin(clean.level, ["VIP", "潜力", "普通", ""]).all()


def test_growing_and_declining_customers(world, clean_orders):
    """Where repeat purchases fall in each customer's window: late for growing, early for
    declining (0.5 would be even)."""
    folder, truth = world
    latent = pd.read_parquet(folder / "truth_customers.parquet").set_index("customer_id")
    orders = clean_orders.drop_duplicates("order_id").join(latent, on="customer_id")
    orders = orders[~orders.is_parent]
    first = orders.groupby("customer_id").time.transform("min")
    end = pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    position = ((orders.time - first) / (end - first))[orders.time > first]
    mean = position.groupby(orders.segment).mean()
    assert mean["growing"] > 0.58
    assert mean["declining"] < 0.36
    for segment in ("vip", "price_sensitive", "new_product_lover"):
        assert mean["declining"] + 0.08 < mean[segment] < mean["growing"] - 0.08
    alive = latent.groupby("segment").alive_at_end.mean()
    assert alive["churned"] < 0.4 < alive.drop("churned").min()


def test_all_times_inside_the_world(world, customers):
    folder, truth = world
    lo, hi = pd.Timestamp(truth["start"]), pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    reg = pd.to_datetime(
        customers.drop_duplicates().set_index("customer_id").registration_date,
        format="mixed",
        errors="coerce",
    ).dropna()
    for table, column in (
        ("events", "event_time"),
        ("feedback", "feedback_time"),
        ("campaign_responses", "response_time"),
    ):
        df = read_table(folder, truth, table)
        times = pd.to_datetime(df[column][df[column] != ""])
        assert times.between(lo, hi, inclusive="left").all(), table
        seen = df.loc[times.index, "customer_id"].map(reg)
        known = seen.notna()
        assert known.mean() > 0.97
        assert (times.dt.normalize()[known] >= seen[known]).all(), table
