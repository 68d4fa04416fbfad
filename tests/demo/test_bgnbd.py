"""Purchases follow BG/NBD: simulated counts match the closed-form expectation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.demo.purchases import SEGMENT_PARAMS, simulate_bgnbd


def hyp2f1(a: float, b: float, c: float, z: np.ndarray, terms: int = 4000) -> np.ndarray:
    """Gauss hypergeometric series, fine for 0 <= z <= 0.99."""
    z = np.asarray(z, dtype=float)
    term = np.ones_like(z)
    total = np.ones_like(z)
    for k in range(terms):
        term = term * (a + k) * (b + k) / ((c + k) * (k + 1)) * z
        total += term
    return total


def expected_repeat(r: float, alpha: float, a: float, b: float, t: np.ndarray) -> np.ndarray:
    """E[X(t)] = (a+b-1)/(a-1) * (1 - (alpha/(alpha+t))**r * 2F1(r, b; a+b-1; t/(alpha+t))).

    Evaluated with Euler's transformation, (1-z)**r 2F1(r, b; c; z) =
    (1-z)**(a-1) 2F1(c-r, a-1; c; z), which converges quickly for z near 1.
    """
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    c = a + b - 1
    return c / (a - 1) * (1 - (1 - z) ** (a - 1) * hyp2f1(c - r, a - 1, c, z))


def naive_bgnbd(rng: np.random.Generator, lam, p, horizon) -> np.ndarray:
    """Step-by-step simulation: exponential gaps, drop out with probability p after each."""
    x = np.zeros(lam.size, dtype=np.int64)
    now = np.zeros(lam.size)
    active = np.ones(lam.size, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1 / lam[idx])
        bought = now[idx] <= horizon[idx]
        x[idx[bought]] += 1
        dies = rng.random(idx.size) < p[idx]
        active[idx[~bought | dies]] = False
    return x


def test_closed_form_matches_an_independent_simulation():
    r, alpha, a, b = SEGMENT_PARAMS["price_sensitive"][0]
    rng = np.random.default_rng(2024)
    n = 200_000
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    x = naive_bgnbd(rng, lam, p, np.full(n, 700.0))
    assert x.mean() == pytest.approx(expected_repeat(r, alpha, a, b, 700.0), rel=0.03)


@pytest.mark.parametrize("segment", ["price_sensitive", "vip", "churned", "growing"])
def test_generator_matches_closed_form(segment):
    r, alpha, a, b = SEGMENT_PARAMS[segment][0]
    rng = np.random.default_rng(7)
    n = 200_000
    lam, p = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n)
    for t in (90.0, 400.0, 1000.0):
        x, died, times = simulate_bgnbd(rng, lam, p, np.full(n, t))
        assert times.size == x.sum() and (times > 0).all() and (times <= t).all()
        assert x.mean() == pytest.approx(expected_repeat(r, alpha, a, b, t), rel=0.03)
        assert not died[x == 0].any()


def test_world_counts_match_closed_form(world):
    folder, truth = world
    latent = pd.read_parquet(folder / "truth_customers.parquet")
    buyers = latent[latent.first_purchase_date.notna()]
    expected = simulated = 0.0
    for name, params in truth["segments"].items():
        assert tuple(params["bgnbd"].values()) == SEGMENT_PARAMS[name][0]
        assert tuple(params["gamma_gamma"].values()) == SEGMENT_PARAMS[name][1]
        rows = buyers[buyers.segment == name]
        r, alpha, a, b = SEGMENT_PARAMS[name][0]
        assert rows["lambda"].mean() == pytest.approx(r / alpha, rel=0.2)
        assert rows.p.mean() == pytest.approx(a / (a + b), rel=0.2)
        expected += expected_repeat(r, alpha, a, b, rows.horizon_operational_days.to_numpy()).sum()
        simulated += rows.repeat_transactions.sum()
    assert simulated == pytest.approx(expected, rel=0.12)
    assert (latent.bgnbd_orders == latent.repeat_transactions + 1)[
        latent.first_purchase_date.notna()
    ].all()


def test_orders_per_customer_match_truth(world, clean_orders):
    folder, _ = world
    latent = pd.read_parquet(folder / "truth_customers.parquet").set_index("customer_id")
    per_customer = clean_orders.groupby("customer_id").order_id.nunique()
    expected = latent.bgnbd_orders + latent.formula_orders
    expected = expected[expected > 0]
    # orders of customers whose row is rejected as missing_required have no customer id
    missing = clean_orders.customer_id.eq("").sum()
    assert missing == 0
    assert per_customer.reindex(expected.index, fill_value=0).eq(expected).all()
