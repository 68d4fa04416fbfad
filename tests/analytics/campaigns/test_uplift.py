"""Uplift modelling: Qini by hand, a synthetic world with persuadable customers, and the demo
world's planted A/B uplift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.campaigns.stats import two_proportion_z
from custlens.analytics.campaigns.uplift import (
    TLearner,
    qini_coefficient,
    qini_curve,
    target_list,
    uplift_at_k,
    uplift_frame,
)
from custlens.errors import InputError, NotFittedError
from tests.conftest import demo_workspace


def test_qini_by_hand():
    # ranked: treated converted, control not, treated not, control converted
    u, t, y = [0.9, 0.5, 0.1, 0.0], [1, 0, 1, 0], [1, 0, 0, 1]
    c = qini_curve(u, t, y)
    # k=1: 1 - 0; k=2: 1 - 0 * 1/1; k=3: 1 - 0 * 2/1; k=4: 1 - 1 * 2/2
    assert c.qini.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    assert qini_coefficient(u, t, y) == pytest.approx(3 / 4)
    # the reverse ranking is worse than random
    assert qini_coefficient([-x for x in u], t, y) < 0
    assert uplift_at_k(u, t, y, 0.5) == 1.0


def _persuadable_world(n=6000, seed=4):
    rng = np.random.default_rng(seed)
    recency = rng.integers(1, 400, n)
    treated = rng.random(n) < 0.5
    p = 0.05 + np.where(treated & (recency < 60), 0.30, 0.0)  # only recent buyers respond
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "treated": treated,
            "converted": rng.random(n) < p,
            "recency_days": recency.astype(float),
            "frequency": rng.integers(1, 10, n).astype(float),
            "history_revenue": rng.gamma(2.0, 100.0, n),
            "pre_revenue": rng.gamma(1.0, 20.0, n),
        }
    )


def test_t_learner_finds_the_persuadable_customers():
    f = _persuadable_world()
    m = TLearner().fit(f)
    r = m.report_
    assert r["qini_coefficient"] > 0
    assert r["uplift_at_10"] > 2 * r["observed_uplift"]
    top = target_list(m, f, 500)
    chosen = f.set_index("customer_id").loc[top.customer_id]
    assert (chosen.recency_days < 60).mean() > 0.8
    assert top.attrs["expected_incremental"] == pytest.approx(
        top.predicted_uplift.clip(lower=0).sum()
    )


def test_t_learner_refuses_what_it_cannot_fit():
    f = _persuadable_world().assign(converted=False)
    with pytest.raises(InputError, match="at least 10 converted and 10 unconverted"):
        TLearner().fit(f)
    with pytest.raises(NotFittedError):
        TLearner().predict_uplift(f)


def test_demo_planted_uplift_recovered(tmp_path):
    tables = ("customers", "orders", "campaigns", "campaign_responses")
    ws, truth = demo_workspace(tmp_path, 4000, 5, tables=tables)
    try:
        t = {k: ws.table(k) for k in tables}
        (cid, planted) = max(
            truth["campaigns"]["ab_tests"].items(), key=lambda kv: kv[1]["n_control"]
        )
        f = uplift_frame(t, cid)
    finally:
        ws.close()
    assert (int(f.treated.sum()), int((~f.treated).sum())) == (
        planted["n_treatment"],
        planted["n_control"],
    )
    m = TLearner().fit(f)
    tt, y = f.treated.to_numpy(), f.converted.to_numpy()
    ab = two_proportion_z(int(y[tt].sum()), int(tt.sum()), int(y[~tt].sum()), int((~tt).sum()))
    # the model's mean predicted uplift and the planted uplift both lie in the A/B interval
    mean_uplift = float(m.predict_uplift(f).mean())
    assert ab["ci_low"] < planted["uplift"] < ab["ci_high"]
    assert ab["ci_low"] < mean_uplift < ab["ci_high"]
