"""Effects of stored campaign outcomes: the rows analyze stores, aggregated in SQL, give the
effects computed from every customer's outcome, for each basis, and the arms they count."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from custlens.analytics.campaigns.effect import _effects_of, choose_comparison
from custlens.analytics.campaigns.stored import _rows_of, stored_arm, stored_effects

FIGURES = ("n_1", "n_0", "value_1", "value_0", "diff", "ci_low", "ci_high", "p_value")


def _outcomes(kind: str, seed: int = 1) -> pd.DataFrame:
    """One campaign's outcomes: ``control`` (treatment and control groups), ``strata`` (many
    unexposed customers in the exposed customers' stratum) or ``propensity`` (few there, many
    alike in the next stratum)."""
    rng = np.random.default_rng(seed)
    n_t, n_same, n_other = (60, 5, 300) if kind == "propensity" else (60, 200, 100)
    n = n_t + n_same + n_other
    arm = ["exposed"] * n_t + ["unexposed"] * (n_same + n_other)
    if kind == "control":
        arm = ["treatment"] * n_t + ["control"] * n_same + ["unexposed"] * n_other
    revenue = np.where(rng.random(n) < 0.3, rng.gamma(2.0, 50.0, n), 0.0)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(n)],
            "arm": arm,
            "converted": rng.random(n) < 0.4,
            "revenue": revenue,
            "bought": revenue > 0,
            "stratum": [111] * (n_t + n_same) + [112] * n_other,
            "recency_days": rng.integers(20, 40, n),
            "frequency": rng.integers(1, 4, n),
            "history_revenue": rng.uniform(100, 300, n),
            "pre_revenue": rng.uniform(0, 100, n),
        }
    )


def _stored(frame: pd.DataFrame, visible: set[str] | None = None):
    c = choose_comparison(frame)
    rows = _rows_of("K", frame, c)
    if visible is not None:
        rows = rows[rows["customer_id"].isin(visible)]
    bases = pd.DataFrame({"campaign_id": ["K"], "basis": [c.basis], "strata_matched": [c.n_strata]})
    return ibis.memtable(rows), bases, c


@pytest.mark.parametrize(
    ("kind", "basis"),
    [
        ("control", "control_group"),
        ("strata", "matched_strata"),
        ("propensity", "matched_propensity"),
    ],
)
def test_stored_rows_give_the_effects_of_every_customer(kind, basis):
    frame = _outcomes(kind)
    table, bases, _ = _stored(frame)
    got = stored_effects(table, bases).set_index("metric")
    want = pd.DataFrame(_effects_of("K", frame, "zh")).set_index("metric")
    assert set(got["basis"]) == {basis}
    for metric in want.index:
        for k in FIGURES:
            assert got.loc[metric, k] == pytest.approx(want.loc[metric, k], rel=1e-9), (metric, k)
        assert got.loc[metric, "basis_note"] == want.loc[metric, "basis_note"]
    if basis != "control_group":  # the drill-down lists as many customers as the counts
        conv = got.loc["conversion"]
        for arm, n in (("exposed", conv.n_1), ("comparison", conv.n_0)):
            assert stored_arm(table, "K", arm, basis).count().to_pyarrow().as_py() == n


def test_a_restricted_user_counts_the_pairs_with_both_customers():
    frame = _outcomes("propensity")
    c = choose_comparison(frame)
    ids = frame["customer_id"].to_numpy()
    visible = set(ids[::2])  # every other customer
    table, bases, _ = _stored(frame, visible)
    got = stored_effects(table, bases).set_index("metric").loc["revenue_per_customer"]
    t_ids, c_ids = ids[c.pairs[0]], ids[c.pairs[1]]
    both = np.array([a in visible and b in visible for a, b in zip(t_ids, c_ids, strict=True)])
    rev = frame["revenue"].to_numpy()
    diffs = rev[c.pairs[0]][both] - rev[c.pairs[1]][both]
    assert got.n_1 == both.sum() and got.n_0 == len(set(c_ids[both]))
    assert got["diff"] == pytest.approx(diffs.mean(), rel=1e-9)
    exposed_visible = sum(1 for i in ids[c.exposed] if i in visible)
    assert got.exposed == exposed_visible
