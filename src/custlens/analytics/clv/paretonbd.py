"""Pareto/NBD model of repeat purchasing (Schmittlein, Morrison & Colombo 1987; the likelihood
and predictions as written out in the Fader-Hardie notes on the Pareto/NBD).

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); lifetimes
are exponential with rate mu ~ Gamma(s, beta). Time unit: recency, T and t are in the unit of the
summary (``time_unit_``: D days, W weeks, M months); alpha and beta scale with the unit.

The likelihood of (x, t_x, T) is

    L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s I ],
    I = integral over t_x < tau < T of (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau

and Fader & Hardie's A0 term is (r+s+x) I. ``log_likelihood_``, P(alive) and the expectations use
the closed form of I with the Gauss hypergeometric function (the alpha >= beta form; for
alpha < beta its Pfaff transform, which keeps the argument in (-inf, 0] and avoids overflow);
the fit differentiates I under the integral sign and evaluates the integrals with tanh-sinh
quadrature after an exponential change of variable, so the objective and its analytic gradient
are consistent. Both agree to about 1e-10 on realistic data.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from scipy.special import gammaln, hyp2f1, logsumexp, psi

from ._base import TransactionModel, as_array, check_rfm


def _tanh_sinh(n: int = 40, t_max: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(-t_max, t_max, n)
    h = t[1] - t[0]
    s = np.pi / 2 * np.sinh(t)
    nodes = 0.5 * (1 + np.tanh(s))
    weights = h * 0.5 * (np.pi / 2 * np.cosh(t)) / np.cosh(s) ** 2
    return nodes, weights


_NODES, _WEIGHTS = _tanh_sinh()
_LOG_WEIGHTS = np.log(_WEIGHTS)
_CHUNK = 2_048  # rows per quadrature pass: its (rows, nodes) arrays stay in the CPU cache
_THREADS = min(os.cpu_count() or 1, 4)


def log_integral_quadrature(r, alpha, s, beta, x, tx, T, moments: bool = False):
    """log I by quadrature; with ``moments`` also E[log(alpha+tau)], E[1/(alpha+tau)],
    E[log(beta+tau)], E[1/(beta+tau)] under the density proportional to the integrand.

    Rows are independent: they are evaluated in chunks, on a few threads (NumPy releases the
    GIL), each chunk's results written to its own slice (the same numbers on any number of
    threads)."""
    out = np.full(x.shape, -np.inf)
    mom = np.zeros((4, *x.shape))

    def one(lo: int) -> None:
        sl = slice(lo, lo + _CHUNK)
        res = _quad_chunk(r, alpha, s, beta, x[sl], tx[sl], T[sl], moments)
        out[sl] = res[0]
        if moments:
            mom[:, sl] = res[1]

    starts = range(0, x.size, _CHUNK)
    if _THREADS > 1 and len(starts) > 1:
        with ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(one, starts))
    else:
        for lo in starts:
            one(lo)
    return (out, mom) if moments else out


def _quad_chunk(r, alpha, s, beta, x, tx, T, moments):
    # substitute u = log(g + tau), g = min(alpha, beta): the log-integrand
    # L(u) = (1 - mb) u - no log(e^u + d) is concave and smooth; the nodes follow an
    # exponential tilt of slope lam between the end points (arrays of shape (rows, nodes)
    # are updated in place: the pass is bound by memory traffic)
    if alpha <= beta:
        g, d, mb, no = alpha, beta - alpha, r + x, np.full(x.shape, s + 1.0)
    else:
        g, d, mb, no = beta, alpha - beta, np.full(x.shape, s + 1.0), r + x
    with np.errstate(divide="ignore", invalid="ignore"):
        u0, u1 = ends = np.log(g + np.stack([tx, T]))
        l0, l1 = (1 - mb) * ends - no * np.log(np.exp(ends) + d)  # L at both end points
        hp = u1 - u0
        empty = hp <= 0
        hp = np.where(empty, 1.0, hp)
        sig = (l1 - l0) / hp
        lam = -np.abs(sig)
        lh = lam * hp
        small = lh > -1e-10
        em = np.expm1(lh)
        v = np.multiply(_NODES, em[:, None])  # the offset of each node from its end point
        np.log1p(v, out=v)
        v /= np.where(small, -1.0, lam)[:, None]
        if small.any():
            v[small] = _NODES * hp[small, None]
        log_z = np.log(hp) + np.where(small, 0.0, np.log(em / np.where(small, -1.0, lh)))
        down = sig <= 0
        lref = np.where(down, l0, l1)
        u = v * np.where(down, 1.0, -1.0)[:, None]
        u += np.where(down, u0, u1)[:, None]
        eu = np.exp(u)
        lw = np.add(eu, d)
        np.log(lw, out=lw)
        lw *= -no[:, None]
        lw += (1 - mb)[:, None] * u
        lw -= lam[:, None] * v
        lw += _LOG_WEIGHTS
        lw -= lref[:, None]
        top = lw.max(axis=1)  # log-sum-exp over the nodes
        top = np.where(np.isfinite(top), top, 0.0)
        lw -= top[:, None]
        pi = np.exp(lw)
        total = pi.sum(axis=1)
        lse = np.log(total) + top
    log_i = np.where(empty, -np.inf, lref + log_z + lse)
    if not moments:
        return (log_i,)
    pi /= total[:, None]
    a_tau = eu + (alpha - g)
    b_tau = eu
    b_tau += beta - g
    mom = np.empty((4, x.size))
    mom[1] = (pi / a_tau).sum(1)
    mom[0] = (pi * np.log(a_tau, out=a_tau)).sum(1)
    mom[3] = (pi / b_tau).sum(1)
    mom[2] = (pi * np.log(b_tau, out=b_tau)).sum(1)
    return log_i, mom


def log_integral(r, alpha, s, beta, x, tx, T):
    """log I in closed form (hyp2f1), quadrature where the special function fails."""
    rsx = r + s + x
    with np.errstate(all="ignore"):

        def piece(t):
            return -rsx * np.log(alpha + t) + np.log(
                hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t))
            )

        l1, l2 = piece(tx), piece(T)
        out = l1 + np.log(-np.expm1(l2 - l1)) - np.log(rsx)
    out = np.where(tx >= T, -np.inf, out)
    bad = ~np.isfinite(out) & (tx < T)
    if np.any(bad):
        out[bad] = log_integral_quadrature(r, alpha, s, beta, x[bad], tx[bad], T[bad])
    return out


class ParetoNBDModel(TransactionModel):
    """Pareto/NBD, fitted by maximum likelihood (analytic gradient, L-BFGS-B on log-parameters).

    Same API as :class:`BetaGeoModel`. ``params_`` {r, alpha, s, beta}; ``penalizer_coef`` adds
    ``penalizer_coef * (r² + alpha² + s² + beta²)`` to the mean negative log-likelihood.
    """

    param_names = ("r", "alpha", "s", "beta")
    scale_params = ("alpha", "beta")
    model_name = "Pareto/NBD"

    def _prepare(self, x, tx, T, w) -> dict:
        xu, inv = np.unique(x, return_inverse=True)
        return {
            "x": x,
            "tx": tx,
            "T": T,
            "w": w,
            "xu": xu,
            "inv": inv,
            "wu": np.bincount(inv, weights=w, minlength=len(xu)),
        }

    def _loglik(
        self, logp: np.ndarray, data: dict, grad: bool, per_row: bool = False, exact: bool = False
    ):
        r, alpha, s, beta = np.exp(logp)
        x, tx, T, w, xu, inv, wu = (data[k] for k in ("x", "tx", "T", "w", "xu", "inv", "wu"))
        a0u = gammaln(r + xu) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        log_t_a, log_t_b = np.log(alpha + T), np.log(beta + T)
        log_e = -(r + x) * log_t_a - s * log_t_b
        if exact or per_row:
            log_i, mom = log_integral(r, alpha, s, beta, x, tx, T), None
        else:
            log_i, mom = log_integral_quadrature(r, alpha, s, beta, x, tx, T, moments=grad)
        lse = np.logaddexp(log_e, np.log(s) + log_i)
        if per_row:
            return a0u[inv] + lse
        ll = float(np.dot(wu, a0u) + np.dot(w, lse))
        if not grad:
            return ll, None
        w_e = np.exp(log_e - lse) * w
        w_i = w - w_e
        e_log_a, e_inv_a, e_log_b, e_inv_b = mom
        d_r = (
            np.dot(wu, psi(r + xu) - psi(r) + np.log(alpha))
            - np.dot(w_e, log_t_a)
            - np.dot(w_i, e_log_a)
        )
        d_alpha = (
            wu.sum() * r / alpha
            - np.dot(w_e * (r + x), 1 / (alpha + T))
            - np.dot(w_i * (r + x), e_inv_a)
        )
        d_s = wu.sum() * np.log(beta) - np.dot(w_e, log_t_b) + np.dot(w_i, 1 / s - e_log_b)
        d_beta = wu.sum() * s / beta - np.dot(w_e, s / (beta + T)) - np.dot(w_i, (s + 1) * e_inv_b)
        return ll, np.array([d_r * r, d_alpha * alpha, d_s * s, d_beta * beta])

    def _exact_loglik(self, logp: np.ndarray, data: dict) -> float:
        return self._loglik(logp, data, False, exact=True)[0]

    # ---- predictions (times in time_unit_) -----------------------------------------------
    def _p(self) -> tuple[float, float, float, float]:
        self._check_fitted()
        return tuple(self.params_[k] for k in self.param_names)  # type: ignore[return-value]

    def _rows(self, frequency, recency, T):
        x, tx, age = check_rfm(frequency, recency, T)
        return x.ravel(), tx.ravel(), age.ravel(), x.shape

    def score_samples(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Per-customer log-likelihood at ``params_`` (closed form)."""
        x, tx, age, shape = self._rows(frequency, recency, T)
        data = self._prepare(x, tx, age, np.ones(x.size))
        return self._loglik(np.log(self._p()), data, False, per_row=True).reshape(shape)

    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(still alive at T | x, t_x, T)."""
        r, alpha, s, beta = self._p()
        x, tx, age, shape = self._rows(frequency, recency, T)
        log_e = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
        log_i = log_integral(r, alpha, s, beta, x, tx, age)
        return np.exp(log_e - np.logaddexp(log_e, np.log(s) + log_i)).reshape(shape)

    @staticmethod
    def _g(s: float, ell: np.ndarray) -> np.ndarray:
        """(1 - exp(-(s-1) ell)) / (s-1), with its limit ell at s = 1."""
        if abs(s - 1) < 1e-10:
            return ell
        return -np.expm1(-(s - 1) * ell) / (s - 1)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: Any, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """E[purchases in (T, T + t] | x, t_x, T], t in ``time_unit_`` periods."""
        r, alpha, s, beta = self._p()
        x, tx, age = check_rfm(frequency, recency, T)
        t = as_array(t, "t")
        p_alive = self.conditional_probability_alive(x, tx, age)
        ell = np.log(beta + age + t) - np.log(beta + age)
        return (r + x) / (alpha + age) * (beta + age) * self._g(s, ell) * p_alive

    def expected_number_of_purchases_up_to_time(self, t: Any) -> np.ndarray:
        """E[X(t)] for a customer who made the first purchase at time 0."""
        r, alpha, s, beta = self._p()
        t = as_array(t, "t")
        return r / alpha * beta * self._g(s, np.log(beta + t) - np.log(beta))

    def probability_of_n_purchases_up_to_time(self, t: float, n: Any) -> np.ndarray:
        """P(X(t) = n) for a new customer, t in ``time_unit_`` periods.

        Alive through t: NB(n; r, alpha, t) (beta/(beta+t))^s; died at tau < t: the integral
        over tau, written in y = tau/(alpha+tau) and evaluated by 256-point Gauss-Legendre.
        """
        r, alpha, s, beta = self._p()
        n = as_array(n, "n").astype(np.int64)
        t = float(t)
        log_c = gammaln(r + n) - gammaln(r) - gammaln(n + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            y_t = t / (alpha + t)
            alive = np.exp(
                log_c
                + r * np.log1p(-y_t)
                + np.where(n > 0, n * np.log(y_t), 0.0)
                + s * (np.log(beta) - np.log(beta + t))
            )
            nodes, weights = np.polynomial.legendre.leggauss(256)
            y = (nodes + 1) / 2 * y_t
            lw = np.log(weights * y_t / 2)
            log_f = (r + s - 1) * np.log1p(-y) - (s + 1) * np.log(beta + (alpha - beta) * y) + lw
            terms = np.where(n[..., None] > 0, n[..., None] * np.log(y), 0.0) + log_f
            died = np.exp(
                log_c + np.log(s) + s * np.log(beta) + np.log(alpha) + logsumexp(terms, axis=-1)
            )
        return alive + (died if t > 0 else 0.0)
