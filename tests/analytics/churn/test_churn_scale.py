"""The churn model at scale: events read as per-day counts give the features every event
gives, training on a fixed sample of customers when there are many, and one scoring for
both languages."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from custlens.analytics.churn.explain import (
    NO_PURCHASE,
    PHRASES,
    feature_contributions,
    reason_weights,
)
from custlens.analytics.churn.features import ChurnExtras, churn_extras_frames, churn_features
from custlens.analytics.churn.model import ChurnPropensityModel
from custlens.analytics.churn.sampling import sample_customers
from tests.analytics.churn.test_churn import planted_world


@pytest.fixture(scope="module")
def world():
    orders, _ = planted_world(n=1500, seed=3)
    rng = np.random.default_rng(5)
    ids = orders["customer_id"].unique()
    n = 40_000
    # several events a day per customer, at times of day, some on the cut-off day itself
    events = pd.DataFrame(
        {
            "customer_id": rng.choice(ids, n),
            "event_time": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 730 * 86400, n), unit="s"),
        }
    )
    return orders, events


def test_events_counted_by_day_give_the_features_of_every_event(world):
    orders, events = world
    cutoff = pd.Timestamp("2024-06-01")
    per_day = churn_extras_frames(
        {"orders": ibis.memtable(orders), "events": ibis.memtable(events)}
    ).events
    assert list(per_day.columns) == ["customer_id", "event_time", "n"]
    assert per_day["n"].sum() == len(events) and len(per_day) < len(events)
    assert (per_day["event_time"] == per_day["event_time"].dt.normalize()).all()
    every = churn_features(orders, cutoff, extras=ChurnExtras(events=events))
    counted = churn_features(orders, cutoff, extras=ChurnExtras(events=per_day))
    assert every["events_90d"].sum() > 0
    pd.testing.assert_frame_equal(counted, every)


def test_training_uses_a_fixed_sample_of_customers_and_scores_everyone(world):
    orders, events = world
    extras = ChurnExtras(events=events)
    all_ids = set(orders["customer_id"])
    sampled, kept, info = sample_customers(orders, extras, 600, seed=0)
    ids = set(sampled["customer_id"])
    assert info == {"customers": len(ids), "of": len(all_ids)}
    assert 450 < len(ids) < 750  # about the cap
    # every row of a sampled customer, none of the others, in orders and activity alike
    pd.testing.assert_frame_equal(
        sampled, orders[orders["customer_id"].isin(ids)].reset_index(drop=True)
    )
    assert set(kept.events["customer_id"]) <= ids
    assert len(kept.events) == events["customer_id"].isin(ids).sum()
    # the same ids and seed give the same sample; another seed another one
    again, _, _ = sample_customers(orders, extras, 600, seed=0)
    pd.testing.assert_frame_equal(again, sampled)
    other, _, _ = sample_customers(orders, extras, 600, seed=1)
    assert set(other["customer_id"]) != ids
    # no cap, or fewer customers than it: the inputs as they are
    assert sample_customers(orders, extras, None, 0)[2] is None
    assert sample_customers(orders, extras, len(all_ids), 0)[0] is orders

    model = ChurnPropensityModel(horizon_days=90, n_repeats=1, max_train_customers=600)
    model.fit(orders, "2024-06-01", "2024-09-01", extras=extras)
    rep = model.report_
    assert rep["train_sample"] == info
    assert rep["test_customers"] <= len(ids) < len(all_ids)
    assert rep["roc_auc"] > 0.7  # planted churners still found from the sample
    scored = model.score(orders, "2024-09-01", extras=extras)
    assert len(scored) == len(all_ids)  # everyone is scored


def test_both_languages_are_scored_from_one_computation(world):
    orders, events = world
    extras = ChurnExtras(events=events)
    model = ChurnPropensityModel(horizon_days=90, n_repeats=1).fit(orders, extras=extras)
    assert model.report_["train_sample"] is None
    both = model.score_languages(orders, extras=extras, langs=("zh", "en"))
    for lang in ("zh", "en"):
        pd.testing.assert_frame_equal(both[lang], model.score(orders, lang=lang, extras=extras))
    assert (both["zh"]["churn_probability"] == both["en"]["churn_probability"]).all()
    assert both["zh"]["churn_reasons"].str.contains("[\u4e00-\u9fff]").any()
    assert not both["en"]["churn_reasons"].str.contains("[\u4e00-\u9fff]").any()


def test_reason_weights_in_parts_equal_one_pass(world):
    orders, _ = world
    model = ChurnPropensityModel(horizon_days=90, n_repeats=1).fit(orders)
    X = model.score(orders)[model.feature_names_]
    whole = reason_weights(model.model_, X, chunk_rows=len(X))
    parts = reason_weights(model.model_, X, chunk_rows=97)  # the medians stay everyone's
    pd.testing.assert_frame_equal(parts, whole)
    assert (whole.to_numpy() > 0).any()
    # each feature's contribution lands on the phrase of its side of the median
    contrib = feature_contributions(model.model_, X)
    expected = pd.Series(0.0, index=X.index)
    for c in X.columns:
        high, low = PHRASES.get(c, (None, None))
        above = X[c] > X[c].median()
        expected += contrib[c].where(
            (above & (high == NO_PURCHASE)) | (~above & (low == NO_PURCHASE)), 0.0
        )
    assert (expected != 0).any()
    np.testing.assert_allclose(whole[NO_PURCHASE], expected, atol=1e-12)


def test_contributions_skip_only_customers_already_at_the_median(world):
    orders, _ = world
    model = ChurnPropensityModel(horizon_days=90, n_repeats=1).fit(orders)
    X = model.score(orders)[model.feature_names_]
    got = feature_contributions(model.model_, X)
    base = model.model_.predict_proba(X)[:, 1]
    median = X.median()
    at_median = 0
    for col in X.columns:  # the definition: every customer predicted with the feature moved
        moved = model.model_.predict_proba(X.assign(**{col: median[col]}))[:, 1]
        # (only the trees splitting on the feature are evaluated again: the same sum in
        # another order)
        np.testing.assert_allclose(got[col].to_numpy(), base - moved, rtol=0, atol=1e-12)
        at_median += int((X[col] == median[col]).sum())
    assert at_median > len(X)  # the shortcut is taken


def test_contributions_by_the_trees_a_feature_splits_equal_full_predictions(world, monkeypatch):
    """The per-tree path against full predictions (the path taken when scikit-learn's trees
    cannot be read): the same contributions within rounding and the same reasons."""
    import custlens.analytics.churn.explain as explain

    orders, _ = world
    model = ChurnPropensityModel(horizon_days=90, n_repeats=1).fit(orders)
    X = model.score(orders)[model.feature_names_]
    trees = explain._TreeEnsemble.of(model.model_, X)
    assert trees is not None
    unused = [c for j, c in enumerate(X.columns) if not trees.users[j]]
    fast = feature_contributions(model.model_, X)
    fast_reasons = {lang: explain.churn_reasons(model.model_, X, lang) for lang in ("zh", "en")}
    monkeypatch.setattr(explain._TreeEnsemble, "of", classmethod(lambda cls, m, X: None))
    full = feature_contributions(model.model_, X)
    np.testing.assert_allclose(fast.to_numpy(), full.to_numpy(), rtol=0, atol=1e-12)
    assert (fast[unused] == 0).all().all() and (full[unused] == 0).all().all()
    for lang, reasons in fast_reasons.items():
        pd.testing.assert_series_equal(reasons, explain.churn_reasons(model.model_, X, lang))
        assert (reasons != "").any()


def test_features_do_not_depend_on_row_order_or_id_type(world):
    orders, events = world
    cutoff = pd.Timestamp("2024-06-01")
    stranger = pd.DataFrame({"customer_id": ["NOBODY"] * 3, "event_time": cutoff})
    extras = ChurnExtras(events=pd.concat([events, stranger], ignore_index=True))
    base = churn_features(orders, cutoff, extras=extras)
    assert base.index.is_monotonic_increasing and "NOBODY" not in base.index
    shuffled = orders.sample(frac=1.0, random_state=0)
    arrow = shuffled.assign(customer_id=shuffled["customer_id"].astype("string[pyarrow]"))
    for other in (shuffled, arrow):
        got = churn_features(other, cutoff, extras=extras)
        pd.testing.assert_frame_equal(got, base, check_index_type=False)
        assert got.index.tolist() == base.index.tolist()


def test_activity_ids_are_looked_up_once_per_distinct_id():
    """Activity customer ids become positions in the feature customers, whatever their
    dtype: unknown and missing ids are -1."""
    from custlens.analytics.churn.features import _positions

    ids = pd.Index(["A", "B", "C"], dtype="str")
    for dtype in ("str", object, "category"):
        values = pd.Series(["C", "A", None, "Z", "C", "B"], dtype=dtype)
        assert _positions(ids, values).tolist() == [2, 0, -1, -1, 2, 1], dtype


def test_prepared_orders_keep_string_columns_as_they_are(world):
    """prepare_orders passes string columns through without turning them into Python
    objects: same values and dtype as the input."""
    from custlens.analytics.churn.orders import prepare_orders

    orders, _ = world
    frame = orders.astype({"customer_id": "str"}).assign(order_id=lambda d: d.index.astype(str))
    prepared = prepare_orders(frame)
    assert prepared["customer_id"].dtype == frame["customer_id"].dtype
    assert prepared["customer_id"].tolist() == frame["customer_id"].tolist()
    assert prepared["order_id"].tolist() == frame["order_id"].tolist()
    objects = prepare_orders(frame.astype({"customer_id": object}))
    assert objects["customer_id"].tolist() == frame["customer_id"].tolist()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reasons_equal_the_phrases_built_row_by_row(lang):
    """The reasons built once per distinct text against a row-by-row reference: the two
    largest positive weights (ties by column order), the no-purchase phrase with each row's
    own days, nothing where no weight is positive."""
    from custlens.analytics.churn.explain import LESS_OFTEN, RETURNS, SPENDING_LESS, _join
    from custlens.i18n import gettext as _

    rng = np.random.default_rng(7)
    n = 3000
    names = [LESS_OFTEN, NO_PURCHASE, SPENDING_LESS, RETURNS]
    values = rng.choice([-0.2, 0.0, 1e-12, 0.05, 0.05, 0.3], size=(n, len(names)))
    values[:5] = 0.0  # no reason at all
    scores = pd.DataFrame(values, columns=names, index=[f"C{i}" for i in range(n)])
    X = pd.DataFrame({"recency_days": rng.integers(0, 900, n) + 0.4}, index=scores.index)
    got = _join(scores, X, lang, 2)
    expected = []
    for i in range(n):  # the reference, one row at a time
        ranked = sorted(range(len(names)), key=lambda j: -values[i, j])[:2]
        phrases = [
            _(NO_PURCHASE, lang, days=str(round(X["recency_days"].iloc[i])))
            if names[j] == NO_PURCHASE
            else _(names[j], lang)
            for j in ranked
            if values[i, j] > 1e-9
        ]
        expected.append(_(", ", lang).join(phrases))
    assert got.tolist() == expected
    assert got.index.equals(scores.index) and got.name == "churn_reasons"
    assert (got == "").sum() >= 5 and got.str.contains(_(", ", lang), regex=False).any()
    assert len({id(text) for text in got}) == got.nunique() < n  # one object per text
