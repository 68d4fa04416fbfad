"""Churn on realistic data: an invoice-line export (float ids, returns as "C" invoices, no
customers file) imported through its mapping, and the CDNOW sample (no order ids). The served
ranking must never rank worse than the best baseline, checked on scores and labels computed
here; where the model is reported to win, it must win on the same check."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from custlens.analytics.churn.features import churn_extras_frames
from custlens.analytics.churn.model import ChurnPropensityModel
from custlens.analytics.churn.orders import churn_orders_frame
from custlens.io.pipeline import import_file
from custlens.store.workspace import init_workspace
from tests.io.exports import invoice_history

MAPPING = Path(__file__).resolve().parents[3] / "docs" / "mappings" / "online-retail.yaml"


@pytest.fixture(scope="module")
def invoice_frames(tmp_path_factory):
    root = tmp_path_factory.mktemp("invoices")
    text, _ = invoice_history()
    path = root / "Online Retail.csv"
    path.write_text(text, encoding="utf-8")
    ws = init_workspace(root / "ws")
    try:
        import_file(ws, "orders", path, mapping_file=MAPPING)
        return churn_orders_frame(ws.table("orders")), churn_extras_frames(
            {"orders": ws.table("orders")}
        )
    finally:
        ws.close()


def served_and_baseline_auc(orders: pd.DataFrame, model: ChurnPropensityModel, extras=None):
    """ROC AUC at the test cut-off of the served probabilities (``score``) and of the best
    hand-made ranking (recency, frequency, RFM rank), labels and rankings computed here."""
    rep = model.report_
    cutoff = pd.Timestamp(rep["test_cutoff"])
    end = cutoff + pd.Timedelta(days=rep["horizon_days"])
    dates = pd.to_datetime(orders["order_date"])
    past = orders[dates <= cutoff]
    g = past.groupby("customer_id")
    recency = (cutoff - pd.to_datetime(g["order_date"].max())).dt.days
    per_order = "order_id" if "order_id" in orders.columns else "order_date"
    frequency = g[per_order].nunique()
    later = orders[(dates > cutoff) & (dates <= end)]["customer_id"].unique()
    y = (~recency.index.isin(later)).astype(int)
    by_hand = {
        "recency": roc_auc_score(y, recency),
        "frequency": roc_auc_score(y, -frequency),
        "rfm_rank": roc_auc_score(y, recency.rank() - frequency.rank()),
    }
    scores = model.score(orders, cutoff=cutoff, lang="en", extras=extras)["churn_probability"]
    served = roc_auc_score(y, scores.reindex(recency.index))
    return served, by_hand


def test_invoice_export_model_beats_the_named_baselines(invoice_frames):
    orders, extras = invoice_frames
    assert orders["customer_id"].nunique() > 2500 and extras.returns is not None
    model = ChurnPropensityModel(n_repeats=1).fit(orders, extras=extras)
    rep = model.report_
    assert {"returns_365d", "returns_90d", "order_trend"} <= set(model.feature_names_)
    # the four baselines the issue names: the model wins by a margin
    named = [b for b in rep["baselines"] if b["name"] != "bgnbd_no_purchase"]
    assert rep["roc_auc"] > max(b["roc_auc"] for b in named) + 0.005
    # BG/NBD's probability of no purchase is a model feature and about as good alone: whichever
    # is served ranks at least as well as every baseline, checked on labels computed here
    served, by_hand = served_and_baseline_auc(orders, model, extras)
    best = max([*by_hand.values(), *(b["roc_auc"] for b in rep["baselines"])])
    assert served >= best - 1e-12, (served, by_hand)


def test_cdnow_serves_a_ranking_at_least_as_good_as_the_best_baseline(cdnow_csv):
    orders = pd.read_csv(cdnow_csv, usecols=["customer_id", "order_date", "amount"])
    model = ChurnPropensityModel(n_repeats=1).fit(orders)
    rep = model.report_
    served, by_hand = served_and_baseline_auc(orders, model)
    for b in rep["baselines"]:
        if b["name"] in by_hand:
            assert b["roc_auc"] == pytest.approx(by_hand[b["name"]], abs=1e-12)
    best = max(b["roc_auc"] for b in rep["baselines"])
    assert served >= best - 1e-12, (served, rep["served"], by_hand)
    assert rep["roc_auc"] > 0.8  # the model is close, whichever ranking is served
