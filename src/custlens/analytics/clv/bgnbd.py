"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting Your Customers the
Easy Way").

While active a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
each repeat purchase they drop out with probability p ~ Beta(a, b). Time unit: recency, T and
t are in the unit of the summary (``time_unit_``: D days, W weeks, M months); ``alpha`` is a
rate scale in that unit (7 times larger in days than in weeks), r, a and b have no unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, expit, gammaln, hyp2f1, psi

from ._base import TransactionModel, as_array, check_rfm


class BetaGeoModel(TransactionModel):
    """BG/NBD, fitted by maximum likelihood (analytic gradient, L-BFGS-B on log-parameters).

    Parameters: ``penalizer_coef`` adds ``penalizer_coef * (r² + alpha² + a² + b²)`` to the
    mean negative log-likelihood (0 = plain MLE; the penalty depends on the time unit through
    alpha). After ``fit``: ``params_`` {r, alpha, a, b}, ``standard_errors_``,
    ``log_likelihood_`` (total, unpenalised), ``time_unit_``, ``degenerate_`` and
    ``degenerate_reasons_`` (a fit that cannot separate active from churned customers, e.g.
    ``a`` near 0 with ``b`` huge: nobody ever drops out; see ``clv.diagnostics``).

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        Weight of the L2 penalty on the parameters (0 = plain maximum likelihood).
    max_iter : int, default 2000
        Iteration limit of the optimiser; a fit that stops short raises ConvergenceError.

    Examples
    --------
    The published CDNOW fit (Fader, Hardie & Lee 2005: r 0.243, alpha 4.414, a 0.793,
    b 2.426), then the expected purchases of a customer in the next 39 weeks:

    >>> from custlens.datasets import load_cdnow
    >>> from custlens.analytics.clv import summary_from_orders
    >>> summary = summary_from_orders(load_cdnow(), time_unit="W", calibration_end="1997-09-30")
    >>> model = BetaGeoModel().fit(summary)
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> round(float(model.conditional_expected_number_of_purchases_up_to_time(39, 2, 30.43, 38.86)[0]), 3)
    1.226
    """

    param_names = ("r", "alpha", "a", "b")
    scale_params = ("alpha",)
    model_name = "BG/NBD"
    # MBG/NBD lets a customer drop out at time zero, before any repeat purchase
    _dropout_at_zero = False

    # ---- likelihood -------------------------------------------------------------------
    def _prepare(self, x, tx, T, w) -> dict:
        zero = x == 0  # one-time buyers: a much cheaper likelihood, kept apart
        pos = ~zero
        xu, inv = np.unique(x[pos], return_inverse=True)
        return {
            "zero": zero,
            "T0": T[zero],
            "w0": w[zero],
            "x": x[pos],
            "tx": tx[pos],
            "T": T[pos],
            "w": w[pos],
            "xu": xu,
            "inv": inv,
            "wu": np.bincount(inv, weights=w[pos], minlength=len(xu)),
        }

    def _loglik(self, logp: np.ndarray, data: dict, grad: bool, per_row: bool = False):
        """Total weighted log-likelihood (and its gradient in log-parameters) on scaled times.

        log L = log G(r+x) - log G(r) + r log alpha
                + log[ B(a, b+x)/B(a, b) (alpha+T)^-(r+x)
                       + [x>0] B(a+1, b+x-1)/B(a, b) (alpha+t_x)^-(r+x) ]
        which is r (log alpha - log(alpha+T)) for x = 0. Terms that depend on x only are
        computed once per distinct x.
        """
        r, alpha, a, b = np.exp(logp)
        x, tx, T, w, xu, inv, wu = (data[k] for k in ("x", "tx", "T", "w", "xu", "inv", "wu"))
        w0 = data["w0"]
        log_alpha = np.log(alpha)
        log_t0 = np.log(alpha + data["T0"])
        a0u = gammaln(r + xu) - gammaln(r) + r * log_alpha
        beta_ab = betaln(a, b)
        b1u = betaln(a, b + xu) - beta_ab
        b2u = betaln(a + 1, b + xu - 1) - beta_ab
        rx = r + x
        log_t = np.log(alpha + T)
        log_tx = np.log(alpha + tx)
        a1 = b1u[inv] - rx * log_t
        # d = a2 - a1; log(e^a1 + e^a2) = a1 + softplus(d), with d clipped (exact to e^-700)
        d = (b2u - b1u)[inv] - rx * (log_tx - log_t)
        dc = np.minimum(d, 700.0)
        e = np.exp(dc)
        lse = a1 + np.log1p(e) + np.maximum(d - 700.0, 0.0)
        if per_row:
            out = np.empty(len(data["zero"]))
            out[data["zero"]] = r * (log_alpha - log_t0)
            out[~data["zero"]] = a0u[inv] + lse
            return out
        w0_sum = w0.sum()
        sum_log_t0 = np.dot(w0, log_t0)
        ll = float(np.dot(w, lse) + np.dot(wu, a0u) + r * (w0_sum * log_alpha - sum_log_t0))
        if not grad:
            return ll, None
        w1 = w / (1 + e)
        w2 = w - w1
        w1u = np.bincount(inv, weights=w1, minlength=len(xu))
        w2u = wu - w1u
        d_r = (
            np.dot(wu, psi(r + xu) - psi(r) + log_alpha)
            - np.dot(w1, log_t)
            - np.dot(w2, log_tx)
            + w0_sum * log_alpha
            - sum_log_t0
        )
        d_alpha = (
            (wu.sum() + w0_sum) * r / alpha
            - np.dot(w1 * rx, 1 / (alpha + T))
            - np.dot(w2 * rx, 1 / (alpha + tx))
            - r * np.dot(w0, 1 / (alpha + data["T0"]))
        )
        psi_ab = psi(a + b)
        psi_abx = psi(a + b + xu)
        d_a = np.dot(w1u, psi_ab - psi_abx) + np.dot(w2u, psi(a + 1) - psi(a) + psi_ab - psi_abx)
        d_b = np.dot(w1u, psi(b + xu) - psi_abx - psi(b) + psi_ab) + np.dot(
            w2u, psi(b + xu - 1) - psi(b) + psi_ab - psi_abx
        )
        return ll, np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    def _start(self, data: dict) -> np.ndarray:
        return np.array([0.0, 0.0, 0.0, 0.0])

    # ---- predictions (times in time_unit_) -----------------------------------------------
    def _p(self) -> tuple[float, float, float, float]:
        self._check_fitted()
        return tuple(self.params_[k] for k in self.param_names)  # type: ignore[return-value]

    def score_samples(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Per-customer log-likelihood at ``params_``."""
        r, alpha, a, b = self._p()
        x, tx, age = check_rfm(frequency, recency, T)
        data = self._prepare(x.ravel(), tx.ravel(), age.ravel(), np.ones(x.size))
        logp = np.log([r, alpha, a, b])
        return self._loglik(logp, data, False, per_row=True).reshape(x.shape)

    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(still active at T | x, t_x, T); 1 for customers without repeat purchases."""
        r, alpha, a, b = self._p()
        x, tx, age = check_rfm(frequency, recency, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log(a / (b + x - 1)) + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        return np.where(x > 0, expit(-z), 1.0)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: Any, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """E[purchases in (T, T + t] | x, t_x, T], t in ``time_unit_`` periods (FHL 2005 eq. 10)."""
        r, alpha, a, b = self._p()
        x, tx, age = check_rfm(frequency, recency, T)
        t = as_array(t, "t")
        rx = r + x
        z = t / (alpha + age + t)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - np.exp(rx * (np.log(alpha + age) - np.log(alpha + age + t))) * hyp2f1(
            rx, b + x, a + b + x - 1, z
        )
        return head * tail * self.conditional_probability_alive(x, tx, age)

    def expected_number_of_purchases_up_to_time(self, t: Any) -> np.ndarray:
        """E[X(t)] for a customer who made the first purchase at time 0 (FHL 2005 eq. 9)."""
        r, alpha, a, b = self._p()
        t = as_array(t, "t")
        return (
            (a + b - 1)
            / (a - 1)
            * (
                1
                - np.exp(r * (np.log(alpha) - np.log(alpha + t)))
                * hyp2f1(r, b, a + b - 1, t / (alpha + t))
            )
        )

    def probability_of_n_purchases_up_to_time(self, t: float, n: Any) -> np.ndarray:
        """P(X(t) = n) for a new customer, t in ``time_unit_`` periods (FHL 2005 eq. 8; the
        MBG/NBD form where the model lets a customer drop out at time zero)."""
        r, alpha, a, b = self._p()
        z = 1 if self._dropout_at_zero else 0
        n = as_array(n, "n").astype(np.int64)
        t = float(t)
        log_q = np.log(t / (alpha + t)) if t > 0 else -np.inf
        log_p0 = r * (np.log(alpha) - np.log(alpha + t))
        m = int(n.max()) if n.size else 0
        j = np.arange(max(m, 1))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_terms = gammaln(r + j) - gammaln(r) - gammaln(j + 1) + j * log_q
            cum = np.concatenate([[0.0], np.cumsum(np.exp(log_terms + log_p0))])
            first = np.exp(
                betaln(a, b + n + z)
                - betaln(a, b)
                + gammaln(r + n)
                - gammaln(r)
                - gammaln(n + 1)
                + log_p0
                + n * log_q
            )
            second = np.exp(betaln(a + 1, b + n - 1 + z) - betaln(a, b)) * (1 - cum[n])
        return first + (second if z else np.where(n > 0, second, 0.0))
