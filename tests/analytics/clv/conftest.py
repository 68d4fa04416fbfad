"""CDNOW fixtures (the 2,357-customer sample) and an independent BG/NBD simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custlens.analytics.clv import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from custlens.analytics.clv.summary import summary_from_orders
from custlens.datasets import (
    CDNOW_CALIBRATION_END,
    CDNOW_OBSERVATION_END,
    load_cdnow,
    load_cdnow_reference,
)

CAL_END, OBS_END = CDNOW_CALIBRATION_END, CDNOW_OBSERVATION_END


@pytest.fixture(scope="session")
def reference() -> dict:
    return load_cdnow_reference()


@pytest.fixture(scope="session")
def cdnow_orders() -> pd.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="session")
def cdnow_summary(cdnow_orders) -> pd.DataFrame:
    return summary_from_orders(
        cdnow_orders, time_unit="W", calibration_end=CAL_END, observation_end=OBS_END
    )


@pytest.fixture(scope="session")
def bgnbd(cdnow_summary) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_summary)


@pytest.fixture(scope="session")
def pareto(cdnow_summary) -> ParetoNBDModel:
    return ParetoNBDModel().fit(cdnow_summary)


@pytest.fixture(scope="session")
def gamma_gamma(cdnow_summary) -> GammaGammaModel:
    return GammaGammaModel().fit(cdnow_summary)


def simulate_bgnbd(n, r, alpha, a, b, T_max=52.0, seed=0, orders=False):
    """Customers from BG/NBD written from the model's story, not from custlens code.

    Ages T ~ U(T_max/2, T_max); lambda ~ Gamma(r, rate alpha); p ~ Beta(a, b); a customer
    drops out right after the J-th repeat purchase, J ~ Geometric(p); while alive, purchases
    are Poisson(lambda). Returns a summary (frequency, recency, T) or, with ``orders``, order
    rows in days (one per purchase) plus the calibration end.
    """
    rng = np.random.default_rng(seed)
    T = rng.uniform(T_max / 2, T_max, n)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    n_poisson = rng.poisson(lam * T)
    x = np.minimum(n_poisson, rng.geometric(p))
    # the x-th of n_poisson uniform event times on (0, T)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), n_poisson - x + 1), 0.0)
    summary = pd.DataFrame({"frequency": x, "recency": tx, "T": T})
    if not orders:
        return summary
    # orders: first purchase at 0, x - 1 purchases uniform on (0, t_x), the last at t_x (days)
    cust = np.repeat(np.arange(n), x + 1)
    k = np.arange(len(cust)) - np.repeat(np.cumsum(x + 1) - (x + 1), x + 1)
    t = np.where(k == 0, 0.0, rng.uniform(0, 1, len(cust)) * tx[cust])
    t = np.where(k == x[cust], tx[cust], t)
    end = np.datetime64("2024-12-31")
    start = end - np.round(T * 7).astype("timedelta64[D]")
    day = start[cust] + np.floor(t * 7).astype("timedelta64[D]")
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{c:05d}" for c in cust],
            "order_date": day,
            "amount": np.round(rng.gamma(4.0, 25.0, len(cust)), 2),
        }
    )
    return frame, str(end)


def regular_cadence_orders(n: int = 4339, seed: int = 0) -> tuple[pd.DataFrame, str]:
    """Orders shaped like a 13-month invoice export (the UCI Online Retail data): first
    purchases spread over 1 Dec 2010 .. 9 Dec 2011, 35% one-time buyers, and repeat customers
    who keep buying at their own steady cadence (every 7 to ~200 days, +-20%) and never stop.
    Nobody drops out, so BG/NBD cannot identify a drop-out process: a degenerate fit.
    Returns the orders (customer_id, order_date, amount) and the last day."""
    rng = np.random.default_rng(seed)
    start, end = np.datetime64("2010-12-01"), np.datetime64("2011-12-09")
    span = int((end - start).astype(int))
    first = rng.integers(0, span + 1, n)
    repeat = rng.random(n) >= 0.35
    cadence = rng.gamma(2.0, 30.0, n) + 7
    steps = int(span // 7) + 2  # enough purchases for the shortest cadence
    gaps = np.maximum(1, np.rint(rng.normal(cadence[:, None], 0.2 * cadence[:, None], (n, steps))))
    day = first[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(gaps, axis=1)], axis=1)
    keep = (day <= span) & (repeat[:, None] | (np.arange(steps + 1) == 0))
    cust, k = np.nonzero(keep)
    frame = pd.DataFrame(
        {
            "customer_id": [f"U{c:05d}" for c in cust],
            "order_date": start + day[cust, k].astype("int64").astype("timedelta64[D]"),
            "amount": np.round(rng.gamma(2.0, 15.0, len(cust)) + 1, 2),
        }
    )
    return frame, str(end)
