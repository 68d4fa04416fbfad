"""Purchase timing and order values: BG/NBD + Gamma-Gamma per segment, plus 奶粉 routines.

Time unit: days. Each customer's first purchase is on the registration day or shortly after;
from then until the end of the world the customer buys as a BG/NBD process in operational days
(see ``timeline``): lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); while alive, repeat purchases
arrive as a Poisson process with rate lambda and after each repeat purchase the customer drops
out with probability p. Order totals follow Gamma-Gamma: nu ~ Gamma(q, rate v) per customer and
each order total ~ Gamma(p, rate nu). ``growing`` / ``declining`` customers run on a stretched
clock so their purchases bunch late / early; this keeps the count distribution exactly BG/NBD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from custlens.demo.people import SEGMENTS, Customers
from custlens.demo.timeline import Calendar, Clock, daily_intensity, sample_seconds_of_day

# segment -> BG/NBD (r, alpha, a, b), Gamma-Gamma (p, q, v), discount probability
SEGMENT_PARAMS = {
    "vip": ((1.6, 90.0, 0.4, 8.0), (5.0, 4.0, 180.0), 0.15),
    "price_sensitive": ((0.9, 350.0, 1.3, 5.0), (4.0, 6.0, 60.0), 0.85),
    "campaign_sensitive": ((0.8, 380.0, 1.2, 4.0), (5.0, 5.0, 80.0), 0.35),
    "new_product_lover": ((1.1, 300.0, 1.1, 6.0), (5.0, 4.0, 90.0), 0.20),
    "growing": ((1.2, 330.0, 1.5, 9.0), (4.0, 4.0, 90.0), 0.25),
    "declining": ((1.2, 270.0, 2.0, 6.0), (4.0, 4.0, 75.0), 0.25),
    "churned": ((1.5, 120.0, 4.0, 2.0), (4.0, 4.0, 60.0), 0.25),
    "one_time": ((0.3, 3000.0, 2.0, 2.0), (3.0, 4.0, 70.0), 0.25),
}
CLOCK_STRETCH = {"growing": 0.5, "declining": 2.0}  # calendar position = u ** k
FIRST_SAME_DAY = 0.6  # share of customers buying on the registration day
FIRST_DELAY_DAYS = 7.0  # mean delay of the others (exponential, after a day)
FORMULA_CYCLE_DAYS = 28.0
FORMULA_CYCLE_SD = 3.0
KIND_FIRST, KIND_REPEAT, KIND_FORMULA = 0, 1, 2


@dataclass
class Purchases:
    """One entry per order (not yet sorted) and the latent per-customer draws."""

    customer: np.ndarray
    day: np.ndarray  # calendar index
    second: np.ndarray  # seconds after midnight
    value: np.ndarray  # order total in cents; -1 for 奶粉 routine orders (priced by basket)
    kind: np.ndarray
    latent: dict[str, np.ndarray]  # per customer: lam, p, nu, t0, T_op, x, died, ...


def _grouped_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    ends = np.cumsum(counts)
    before = np.concatenate([[0.0], total])[ends - counts]
    return total - np.repeat(before, counts)


def simulate_bgnbd(
    rng: np.random.Generator, lam: np.ndarray, p: np.ndarray, horizon: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat purchases in (0, horizon]: counts x, died flags and flat purchase times.

    The unstopped Poisson process has n ~ Poisson(lam * horizon) events; the customer drops out
    after the J-th repeat purchase, J ~ Geometric(p), so x = min(n, J). The first x of n uniform
    order statistics are S_i / (S_x + G) * horizon with S cumulative Exp(1) and G ~ Gamma(n-x+1).
    """
    n = rng.poisson(lam * horizon)
    jumps = rng.geometric(np.clip(p, 1e-9, 1.0))
    x = np.minimum(n, jumps)
    died = jumps <= n
    spacing = _grouped_cumsum(rng.exponential(1.0, size=int(x.sum())), x)
    rest = rng.gamma(n - x + 1.0)
    last = np.zeros(x.size)
    has = x > 0
    last[has] = spacing[np.cumsum(x)[has] - 1]
    times = spacing / np.repeat(last + rest, x) * np.repeat(horizon, x)
    return x, died, times


def simulate_purchases(rng: np.random.Generator, people: Customers, cal: Calendar) -> Purchases:
    """Purchase times and values of every customer, from the planted segments' BG/NBD and spend
    models.
    """
    n = people.n
    same_day = rng.random(n) < FIRST_SAME_DAY
    delay = np.where(same_day, rng.random(n), 1.0 + rng.exponential(FIRST_DELAY_DAYS, n))
    t0 = people.reg_day + delay
    buyer = t0 < cal.n_days
    clocks = {False: Clock(daily_intensity(cal)), True: Clock(daily_intensity(cal, True))}

    lam, p, nu, horizon = (np.zeros(n) for _ in range(4))
    gg_p = np.zeros(n)
    for s, name in enumerate(SEGMENTS):
        rows = np.flatnonzero(people.segment == s)
        (r, alpha, a, b), (pp, q, v), _ = SEGMENT_PARAMS[name]
        lam[rows] = rng.gamma(r, 1.0 / alpha, rows.size)
        p[rows] = rng.beta(a, b, rows.size)
        nu[rows] = rng.gamma(q, 1.0 / v, rows.size)
        gg_p[rows] = pp
        clock = clocks[name == "campaign_sensitive"]
        horizon[rows] = np.maximum(clock.total - clock.operational(t0[rows]), 0.0)
    horizon = np.where(buyer, horizon, 0.0)
    x, died, s_rel = simulate_bgnbd(rng, lam, p, horizon)
    x = np.where(buyer, x, 0)

    owner = np.repeat(np.arange(n), x)
    t_rep = np.empty(owner.size)
    for s, name in enumerate(SEGMENTS):
        sel = people.segment[owner] == s
        o = owner[sel]
        u = s_rel[sel] / np.maximum(horizon[o], 1e-12)
        stretched = u ** CLOCK_STRETCH.get(name, 1.0) * horizon[o]
        clock = clocks[name == "campaign_sensitive"]
        t_rep[sel] = clock.calendar(clock.operational(t0[o]) + stretched)

    f_owner, f_time = _formula_routines(rng, people.parent & buyer, t0, cal.n_days)
    first = np.flatnonzero(buyer)
    customer = np.concatenate([first, owner, f_owner])
    t = np.concatenate([t0[first], t_rep, f_time])
    day = np.clip(
        np.floor(t).astype(np.int64), np.floor(t0[customer]).astype(np.int64), cal.n_days - 1
    )
    kind = np.concatenate(
        [
            np.full(first.size, KIND_FIRST),
            np.full(owner.size, KIND_REPEAT),
            np.full(f_owner.size, KIND_FORMULA),
        ]
    )
    value = np.full(customer.size, -1, dtype=np.int64)
    bg = kind != KIND_FORMULA
    draws = rng.gamma(gg_p[customer[bg]], 1.0 / nu[customer[bg]])
    value[bg] = np.maximum(np.rint(draws * 100), 100).astype(np.int64)
    latent = {
        "lam": lam,
        "p": p,
        "nu": nu,
        "t0": t0,
        "horizon_op": horizon,
        "x": x,
        "died": died & buyer & (x > 0),
        "buyer": buyer,
        "formula_orders": np.bincount(f_owner, minlength=n),
    }
    return Purchases(
        customer=customer,
        day=day,
        second=sample_seconds_of_day(rng, day.size),
        value=value,
        kind=kind,
        latent=latent,
    )


def _formula_routines(
    rng: np.random.Generator, parent: np.ndarray, t0: np.ndarray, n_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Parents re-buy 奶粉 about every 28 days for a few months."""
    who = np.flatnonzero(parent)
    begin = t0[who] + rng.uniform(0, 1, who.size) * np.maximum(n_days - t0[who], 1) * 0.5
    cycles = 3 + rng.poisson(3, who.size)
    gaps = np.clip(
        rng.normal(FORMULA_CYCLE_DAYS, FORMULA_CYCLE_SD, int(cycles.sum())),
        FORMULA_CYCLE_DAYS - 8,
        FORMULA_CYCLE_DAYS + 8,
    )
    starts = np.cumsum(cycles) - cycles
    gaps[starts] = 0.0  # the first routine order is at ``begin``
    times = np.repeat(begin, cycles) + _grouped_cumsum(gaps, cycles)
    owner = np.repeat(who, cycles)
    keep = times < n_days
    return owner[keep], times[keep]
