"""MBG/NBD model of repeat purchasing (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe
2008 erratum).

As BG/NBD, except that a customer may also drop out right after the first purchase: the
dropout chance p ~ Beta(a, b) applies at time 0 and after every repeat purchase. So a
customer who never bought again is not certainly alive (BG/NBD gives them P(alive) = 1, which
ranks one-time buyers as the safest customers). Time unit as for BG/NBD (``time_unit_``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, expit, gammaln, hyp2f1, psi

from ._base import as_array, check_rfm
from .bgnbd import BetaGeoModel


class ModifiedBetaGeoModel(BetaGeoModel):
    """MBG/NBD, fitted by maximum likelihood (analytic gradient, L-BFGS-B on log-parameters).

    Parameters and fitted attributes as :class:`~custlens.analytics.clv.bgnbd.BetaGeoModel`.

    Examples
    --------
    The CDNOW calibration period (39 weeks); BTYDplus reports r 0.525, alpha 6.183, a 0.891,
    b 1.614:

    >>> from custlens.datasets import load_cdnow
    >>> from custlens.analytics.clv import summary_from_orders
    >>> summary = summary_from_orders(load_cdnow(), time_unit="W", calibration_end="1997-09-30")
    >>> model = ModifiedBetaGeoModel().fit(summary)
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'r': 0.525, 'alpha': 6.183, 'a': 0.891, 'b': 1.614}
    """

    model_name = "MBG/NBD"
    _dropout_at_zero = True

    def _prepare(self, x, tx, T, w) -> dict:
        xu, inv = np.unique(x, return_inverse=True)
        wu = np.bincount(inv, weights=w, minlength=len(xu))
        return {"x": x, "tx": tx, "T": T, "w": w, "xu": xu, "inv": inv, "wu": wu}

    def _loglik(self, logp: np.ndarray, data: dict, grad: bool, per_row: bool = False):
        """Total weighted log-likelihood (and its gradient in log-parameters) on scaled times.

        log L = log G(r+x) - log G(r) + r log alpha + log B(a, b+x+1) - log B(a, b)
                - (r+x) log(alpha+T) + log(1 + e^d),
        d = log a - log(b+x) + (r+x) (log(alpha+T) - log(alpha+t_x)).
        """
        r, alpha, a, b = np.exp(logp)
        x, tx, T, w, xu, inv, wu = (data[k] for k in ("x", "tx", "T", "w", "xu", "inv", "wu"))
        log_alpha = np.log(alpha)
        head_u = gammaln(r + xu) - gammaln(r) + r * log_alpha + betaln(a, b + xu + 1) - betaln(a, b)
        rx = r + x
        log_t, log_tx = np.log(alpha + T), np.log(alpha + tx)
        d = (np.log(a) - np.log(b + xu))[inv] + rx * (log_t - log_tx)
        soft = np.logaddexp(d, 0.0)
        rows = head_u[inv] - rx * log_t + soft
        if per_row:
            return rows
        ll = float(np.dot(w, rows))
        if not grad:
            return ll, None
        s = w * expit(d)  # weight of the "dropped out at the last purchase" branch
        su = np.bincount(inv, weights=s, minlength=len(xu))
        psi_ab, psi_abx = psi(a + b), psi(a + b + xu + 1)
        d_r = (
            np.dot(wu, psi(r + xu) - psi(r) + log_alpha)
            - np.dot(w, log_t)
            + np.dot(s, log_t - log_tx)
        )
        d_alpha = (
            wu.sum() * r / alpha
            - np.dot(w * rx, 1 / (alpha + T))
            + np.dot(s * rx, 1 / (alpha + T) - 1 / (alpha + tx))
        )
        d_a = np.dot(wu, psi_ab - psi_abx) + su.sum() / a
        d_b = np.dot(wu, psi(b + xu + 1) - psi(b) + psi_ab - psi_abx) - np.dot(su, 1 / (b + xu))
        return ll, np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    def conditional_probability_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(still active at T | x, t_x, T); below 1 for one-time buyers too."""
        r, alpha, a, b = self._p()
        x, tx, age = check_rfm(frequency, recency, T)
        z = np.log(a / (b + x)) + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        return expit(-z)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: Any, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """E[purchases in (T, T + t] | x, t_x, T], t in ``time_unit_`` periods (Wagner & Hoppe
        2008)."""
        r, alpha, a, b = self._p()
        x, tx, age = check_rfm(frequency, recency, T)
        t = as_array(t, "t")
        rx = r + x
        tail = 1 - np.exp(rx * (np.log(alpha + age) - np.log(alpha + age + t))) * hyp2f1(
            rx, b + x + 1, a + b + x, t / (alpha + age + t)
        )
        return (a + b + x) / (a - 1) * tail * self.conditional_probability_alive(x, tx, age)

    def expected_number_of_purchases_up_to_time(self, t: Any) -> np.ndarray:
        """E[X(t)] for a customer who made the first purchase at time 0."""
        r, alpha, a, b = self._p()
        t = as_array(t, "t")
        hyp = hyp2f1(r, b + 1, a + b, t / (alpha + t))
        return b / (a - 1) * (1 - hyp * np.exp(r * (np.log(alpha) - np.log(alpha + t))))
