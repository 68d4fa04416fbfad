"""Churn quality: baselines against an independent computation, the served ranking when the
model does not win, calibration on the demo world, no leakage across the cut-off, reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from custlens.analytics.churn.explain import churn_reasons
from custlens.analytics.churn.features import ChurnExtras, churn_extras_frames, churn_features
from custlens.analytics.churn.model import ChurnPropensityModel
from custlens.analytics.churn.orders import churn_orders_frame, prepare_orders
from custlens.analytics.churn.quality import reliability_table
from tests.analytics.churn.test_churn import planted_world
from tests.conftest import demo_workspace

START = pd.Timestamp("2023-01-01")


def frequency_world(n: int = 400, seed: int = 1) -> pd.DataFrame:
    """Loyal customers buy every 20 days to the end; churners buy 3 times in the 200 days up
    to their last purchase (before day 640) and never again. At the test cut-off (day 640)
    frequency alone separates them perfectly, recency does not quite (some churners bought
    just before the cut-off)."""
    rng = np.random.default_rng(seed)
    loyal = rng.random(n) < 0.5
    rows = []
    for c in np.flatnonzero(loyal):  # building a small fixture, not analysing
        rows += [(c, d) for d in range(int(rng.integers(0, 20)), 760, 20)]
    for c in np.flatnonzero(~loyal):
        last = int(rng.integers(100, 641))
        rows += [(c, last), *((c, int(d)) for d in rng.integers(last - 200, last, 2))]
    df = pd.DataFrame(rows, columns=["c", "day"])
    return pd.DataFrame(
        {
            "customer_id": [f"C{c:04d}" for c in df["c"]],
            "order_id": [f"O{i:06d}" for i in range(len(df))],
            "order_date": START + pd.to_timedelta(df["day"], unit="D"),
            "amount": 50.0,
        }
    )


@pytest.fixture(scope="module")
def small():
    orders, _ = planted_world(n=600, seed=5)
    model = ChurnPropensityModel(horizon_days=90, n_repeats=1)
    return orders, model.fit(orders, "2024-06-01", "2024-09-01")


def test_baseline_aucs_match_an_independent_computation(small):
    orders, model = small
    cutoff, end = pd.Timestamp("2024-09-01"), pd.Timestamp("2024-11-30")
    past = orders[orders["order_date"] <= cutoff]
    g = past.groupby("customer_id")
    recency = (cutoff - g["order_date"].max()).dt.days
    frequency = g["order_id"].nunique()
    bought = orders[(orders["order_date"] > cutoff) & (orders["order_date"] <= end)]
    y = (~recency.index.isin(bought["customer_id"].unique())).astype(int)
    rfm = recency.rank() - frequency.rank()
    expected = {
        "recency": recency,
        "frequency": -frequency,
        "rfm_rank": rfm,
    }
    got = {b["name"]: b for b in model.report_["baselines"]}
    assert set(got) == {"recency", "frequency", "rfm_rank", "bgnbd", "bgnbd_no_purchase"}
    for name, score in expected.items():
        assert got[name]["roc_auc"] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
        assert got[name]["pr_auc"] == pytest.approx(average_precision_score(y, score), abs=1e-12)
    best = max(got.values(), key=lambda b: b["roc_auc"])
    assert model.report_["best_baseline"] == best["name"]
    assert model.report_["lift_over_best"] == pytest.approx(
        model.report_["roc_auc"] - best["roc_auc"]
    )
    assert model.report_["test_churn_rate"] == pytest.approx(y.mean())


def test_model_not_better_than_frequency_serves_frequency(tmp_path):
    orders = frequency_world()
    model = ChurnPropensityModel(horizon_days=90, n_repeats=1).fit(orders, None, "2024-10-02")
    rep = model.report_
    freq = next(b for b in rep["baselines"] if b["name"] == "frequency")
    assert freq["roc_auc"] == 1.0 and rep["roc_auc"] <= 1.0
    assert rep["served"] == "frequency" and not rep["model_beats_baseline"]
    scores = model.score(orders, lang="en")
    assert scores.attrs["served"] == "frequency"
    # the served ranking is frequency's: fewer orders, higher probability
    low, high = scores["frequency"] <= 3, scores["frequency"] > 3
    assert scores.loc[low, "churn_probability"].min() > scores.loc[high, "churn_probability"].max()

    from typer.testing import CliRunner

    from custlens.cli.main import app

    path = tmp_path / "orders.csv"
    orders.assign(order_date=orders["order_date"].dt.date).to_csv(path, index=False)
    args = ["churn", "train", str(path), "--test-cutoff", "2024-10-02"]
    r = CliRunner().invoke(app, [*args, "--format", "json"])
    assert r.exit_code == 0, r.output
    import json

    out = json.loads(r.stdout)
    assert out["served"] == "frequency" and out["model_beats_baseline"] is False
    assert "未能胜过最佳基线" in out["served_note"] and "仅按购买频次" in out["served_note"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0 and "未能胜过最佳基线" in r.output


def test_top_decile_is_calibrated_on_the_demo_world(tmp_path):
    ws, _ = demo_workspace(tmp_path, 1500, 3)
    try:
        frame = churn_orders_frame(ws.table("orders"))
        names = ("orders", "feedback", "events", "campaign_responses")
        extras = churn_extras_frames({n: ws.table(n) for n in names if ws.count(n)})
    finally:
        ws.close()
    rep = ChurnPropensityModel(n_repeats=1).fit(frame, extras=extras).report_
    top = rep["reliability"][0]
    assert abs(top["mean_predicted"] - top["observed_rate"]) <= 0.05, top
    base = rep["test_churn_rate"]
    assert rep["brier"] < base * (1 - base)  # better than predicting the base rate
    assert len(rep["reliability"]) == 10
    # the demo world has no return lines; the returns features are checked in the leakage test
    assert {"events_30d", "campaign_responses", "complaints"} <= set(
        b["feature"] for b in rep["top_drivers"]
    )


def test_reliability_table_by_hand():
    y = np.array([1, 1, 0, 0])
    p = np.array([0.9, 0.7, 0.4, 0.1])
    rows = reliability_table(y, p, bins=2)
    assert [(r["mean_predicted"], r["observed_rate"]) for r in rows] == [(0.8, 1.0), (0.25, 0.0)]


def test_no_feature_sees_past_the_cut_off():
    orders, _ = planted_world(n=300, seed=2)
    o = prepare_orders(orders)
    cutoff = pd.Timestamp("2024-03-31")
    rng = np.random.default_rng(0)
    ids = o["customer_id"].unique()

    def activity(col: str, n: int = 3000) -> pd.DataFrame:
        days = rng.integers(0, 730, n)
        return pd.DataFrame(
            {"customer_id": rng.choice(ids, n), col: START + pd.to_timedelta(days, unit="D")}
        )

    fb = activity("feedback_time").assign(
        feedback_type=lambda d: np.where(rng.random(len(d)) < 0.3, "complaint", "praise"),
        rating=lambda d: rng.integers(1, 6, len(d)),
    )
    extras = ChurnExtras(
        feedback=fb,
        events=activity("event_time"),
        responses=activity("response_time").assign(participated=True),
        returns=activity("order_date").assign(amount=-20.0),
    )
    before = churn_features(o, cutoff, extras=extras)

    def rewrite(df: pd.DataFrame, col: str) -> pd.DataFrame:
        out = df.copy()
        future = out[col] > cutoff
        out.loc[future, col] = cutoff + pd.Timedelta(days=1)
        out = pd.concat([out, out[future]])  # and twice as much of it
        if "amount" in out:
            out.loc[out[col] > cutoff, "amount"] = -1e6 if col != "order_date" else 1e6
        return out

    changed = ChurnExtras(
        feedback=rewrite(fb, "feedback_time"),
        events=rewrite(extras.events, "event_time"),
        responses=rewrite(extras.responses, "response_time"),
        returns=rewrite(extras.returns, "order_date"),
    )
    after = churn_features(rewrite(o, "order_date"), cutoff, extras=changed)
    pd.testing.assert_frame_equal(after, before)
    # and the extras do count what is before the cut-off
    assert before["events_90d"].sum() > 0 and before["returns_365d"].sum() > 0
    assert before["campaign_responses"].sum() > 0 and before["complaints"].sum() > 0


class _RecencyModel:
    """churn probability rises with the days since the last purchase only"""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-(X["recency_days"].to_numpy() - 60) / 20))
        return np.c_[1 - p, p]


def test_reasons_name_the_days_without_a_purchase():
    X = pd.DataFrame(
        {"recency_days": [5.0, 60.0, 120.0], "frequency": [9.0, 4.0, 1.0]},
        index=pd.Index(["A", "B", "C"], name="customer_id"),
    )
    zh = churn_reasons(_RecencyModel(), X, "zh")
    en = churn_reasons(_RecencyModel(), X, "en")
    assert zh.to_dict() == {"A": "", "B": "", "C": "120天未购买"}
    assert en["C"] == "no purchase in 120 days"


def test_tuning_and_training_see_nothing_after_the_training_labels(small):
    orders, model = small
    end = pd.Timestamp(model.report_["train_label_end"])
    later = orders["order_date"] > end
    changed = orders.copy()  # the orders after the training labels go to other customers
    changed.loc[later, "customer_id"] = (
        changed.loc[later, "customer_id"].sample(frac=1, random_state=0).to_numpy()
    )
    refit = ChurnPropensityModel(horizon_days=90, n_repeats=1)
    refit.fit(changed, "2024-06-01", "2024-09-01")
    assert refit.params_ == model.params_ and refit.tuning_ == model.tuning_
    X = model._features(prepare_orders(orders), "2024-06-01", None)[model.feature_names_]
    np.testing.assert_array_equal(refit.model_.predict_proba(X), model.model_.predict_proba(X))
    assert refit.report_["roc_auc"] != model.report_["roc_auc"]  # the test period did change


def test_tuning_picks_the_iteration_with_the_lowest_validation_loss():
    """tune() against every iteration's log loss computed here: the same setting, iteration
    (the first of equal losses), loss, ROC AUC and validation probabilities."""
    from sklearn.metrics import log_loss

    from custlens.analytics.churn.tuning import GRID, classifier, tune

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=900), "b": rng.normal(size=900)})
    y = pd.Series((X["a"] + rng.normal(scale=1.5, size=900) > 0).astype(int))
    fit, val = slice(0, 600), slice(600, 900)
    chosen, tried, pred = tune(X[fit], y[fit], X[val], y[val], max_iter=40, grid=GRID[:2])
    expected = []
    for params in GRID[:2]:
        clf = classifier(params, 40, 0.08, 0).fit(X[fit], y[fit])
        staged = [p[:, 1] for p in clf.staged_predict_proba(X[val])]
        losses = [log_loss(y[val], p, labels=[0, 1]) for p in staged]
        k = int(np.argmin(losses))
        expected.append((k + 1, losses[k], roc_auc_score(y[val], staged[k]), staged[k]))
    assert [r["max_iter"] for r in tried] == [e[0] for e in expected]
    assert [r["validation_log_loss"] for r in tried] == [e[1] for e in expected]
    assert [r["validation_roc_auc"] for r in tried] == [e[2] for e in expected]
    best = min(range(2), key=lambda i: expected[i][1])
    assert chosen["max_iter"] == expected[best][0] < 40  # the loss turned before the end
    np.testing.assert_array_equal(pred, expected[best][3])
