"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model of
Monetary Value"; Colombo & Jiang 1999).

Each transaction value of a customer is Gamma(p, nu) with nu ~ Gamma(q, v) across customers;
the model is fitted on repeat buyers (frequency x > 0) and their mean repeat spend m_x. Money is
in the currency of the orders; no time unit is involved except in ``customer_lifetime_value``,
whose horizon is in months and whose purchase forecasts come from the transaction model (in
that model's ``time_unit_``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln, psi
from threadpoolctl import threadpool_limits

from custlens.errors import ConvergenceError, InputError, NotFittedError, Problem

from ._base import LOG_BOUND, as_array
from .value import customer_lifetime_value as _dcf_value

CORRELATION_WARNING = 0.3


def check_monetary(frequency: Any, monetary_value: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays x (frequency) and m (mean spend); InputError listing rows with bad values."""
    x = as_array(frequency, "frequency")
    m = as_array(monetary_value, "monetary_value")
    x, m = np.broadcast_arrays(x, m)
    if x.size == 0:
        raise InputError("no customers: frequency and monetary_value are empty")
    bad = ~np.isfinite(x) | ~np.isfinite(m) | (x < 0) | (m < 0)
    bad |= (x > 0) & (m <= 0)
    if np.any(bad):
        rows = np.flatnonzero(bad)
        problems = [
            Problem(
                int(i) + 1,
                "monetary_value",
                "spend",
                f"customer {int(i) + 1}: frequency={x.flat[i]}, monetary_value={m.flat[i]}",
            )
            for i in rows[:20]
        ]
        raise InputError(
            f"{len(rows)} customer(s) with missing, negative or zero spend among repeat buyers; "
            "the Gamma-Gamma model needs monetary_value > 0 for frequency > 0 "
            "(drop them first, e.g. summary[summary.monetary_value > 0])",
            problems,
        )
    return x.astype("float64"), m.astype("float64")


class GammaGammaModel:
    """Gamma-Gamma spend model; ``fit(frequency, monetary_value)`` uses repeat buyers only.

    ``params_`` {p, q, v}, ``standard_errors_``, ``log_likelihood_``. Warns (UserWarning) when
    frequency and monetary value correlate (|r| > 0.3): the model assumes they are independent.
    ``penalizer_coef`` adds ``penalizer_coef * (p² + q² + v²)`` to the mean negative
    log-likelihood.

    Parameters
    ----------
    penalizer_coef : float, default 0.0
        Weight of the L2 penalty on the parameters (0 = plain maximum likelihood).
    max_iter : int, default 2000
        Iteration limit of the optimiser.

    Examples
    --------
    The CDNOW fit (Fader & Hardie 2013 report p 6.25, q 3.74, v 15.44), then the expected
    spend per transaction of a customer with 2 repeat purchases averaging 30 dollars:

    >>> from custlens.datasets import load_cdnow_summary
    >>> summary = load_cdnow_summary()
    >>> model = GammaGammaModel().fit(summary)
    >>> {k: round(v, 2) for k, v in model.params_.items()}
    {'p': 6.25, 'q': 3.74, 'v': 15.44}
    >>> round(float(model.conditional_expected_average_profit(2, 30.0)[0]), 2)
    30.93
    """

    param_names = ("p", "q", "v")

    def __init__(self, penalizer_coef: float = 0.0, max_iter: int = 2000):
        self.penalizer_coef = penalizer_coef
        self.max_iter = max_iter

    @staticmethod
    def _loglik(logp: np.ndarray, x: np.ndarray, m: np.ndarray, per_row: bool = False):
        """Density of the mean m of x transactions: log of
        G(px+q) / (G(px) G(q)) v^q m^(px-1) x^(px) / (v + x m)^(px+q)."""
        p, q, v = np.exp(logp)
        px = p * x
        log_xm_v = np.log(x * m + v)
        ll = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * log_xm_v
        )
        if per_row:
            return ll
        psi_pxq = psi(px + q)
        d_p = np.sum(x * (psi_pxq - psi(px) + np.log(m) + np.log(x) - log_xm_v))
        d_q = np.sum(psi_pxq - psi(q) + np.log(v) - log_xm_v)
        d_v = np.sum(q / v - (px + q) / (x * m + v))
        return float(ll.sum()), np.array([d_p * p, d_q * q, d_v * v])

    def _repeat_buyers(self, params: Any, frequency: Any, monetary_value: Any):
        """Log-parameters and the (x, m_x) of the repeat buyers, as the likelihood takes them."""
        if isinstance(params, dict):
            params = [params[k] for k in self.param_names]
        x, m = check_monetary(frequency, monetary_value)
        keep = x > 0
        return np.log(np.asarray(params, dtype="float64")), x[keep], m[keep]

    def log_likelihood(self, params: Any, frequency: Any, monetary_value: Any) -> float:
        """Total log density of the repeat buyers' mean spend at ``params``.

        Parameters
        ----------
        params : dict or array-like
            ``{"p": ..., "q": ..., "v": ...}`` or the values in that order; they need not be
            the fitted ones.
        frequency, monetary_value : array-like
            Repeat purchases and mean repeat spend per customer; customers with frequency 0
            are left out, as in ``fit``.

        Returns
        -------
        float
            The sum over repeat buyers (it equals ``log_likelihood_`` at the fitted params).

        Examples
        --------
        >>> from custlens.datasets import load_cdnow_summary
        >>> s = load_cdnow_summary()
        >>> model = GammaGammaModel().fit(s)
        >>> ll = model.log_likelihood(model.params_, s.frequency, s.monetary_value)
        >>> bool(abs(ll - model.log_likelihood_) < 1e-6)
        True
        """
        logp, x, m = self._repeat_buyers(params, frequency, monetary_value)
        return float(self._loglik(logp, x, m)[0])

    def log_likelihood_gradient(
        self, params: Any, frequency: Any, monetary_value: Any
    ) -> np.ndarray:
        """Gradient of :meth:`log_likelihood` with respect to log p, log q and log v.

        Parameters
        ----------
        params : dict or array-like
            ``{"p": ..., "q": ..., "v": ...}`` or the values in that order.
        frequency, monetary_value : array-like
            Repeat purchases and mean repeat spend per customer.

        Returns
        -------
        numpy.ndarray
            Three entries (p, q, v): the analytic gradient ``fit`` follows on the log scale.

        Examples
        --------
        >>> from custlens.datasets import load_cdnow_summary
        >>> s = load_cdnow_summary()
        >>> model = GammaGammaModel().fit(s)
        >>> grad = model.log_likelihood_gradient(model.params_, s.frequency, s.monetary_value)
        >>> bool(abs(grad).max() < 0.01)
        True
        """
        logp, x, m = self._repeat_buyers(params, frequency, monetary_value)
        return self._loglik(logp, x, m)[1]

    def fit(self, frequency: Any, monetary_value: Any = None):
        """Fit on customers with frequency > 0. ``frequency`` may be a summary DataFrame."""
        with threadpool_limits(limits=1, user_api="blas"):  # long vectors, little work each
            return self._fit(frequency, monetary_value)

    def _fit(self, frequency: Any, monetary_value: Any):
        if monetary_value is None and hasattr(frequency, "columns"):
            frequency, monetary_value = frequency["frequency"], frequency["monetary_value"]
        x, m = check_monetary(frequency, monetary_value)
        keep = x > 0
        x, m = x[keep], m[keep]
        if x.size < 3:
            raise InputError(f"Gamma-Gamma needs repeat buyers; found {x.size}")
        if x.size > 2 and np.std(x) > 0 and np.std(m) > 0:
            corr = float(np.corrcoef(x, m)[0, 1])
            self.frequency_monetary_correlation_ = corr
            if abs(corr) > CORRELATION_WARNING:
                warnings.warn(
                    f"frequency and monetary_value correlate (r = {corr:.2f}); the Gamma-Gamma "
                    "model assumes they are independent, so spend forecasts may be biased",
                    UserWarning,
                    stacklevel=3,
                )
        scale = float(np.mean(m))  # fit on m / scale: v scales with the currency unit
        ms = m / scale
        n = x.size
        pen = float(self.penalizer_coef)
        log_scale = np.array([0.0, 0.0, np.log(scale)])

        def objective(logp):
            ll, grad = self._loglik(logp, x, ms)
            theta2 = np.exp(2 * (logp + log_scale))
            return -ll / n + pen * theta2.sum(), -grad / n + 2 * pen * theta2

        with np.errstate(all="ignore"):
            res = minimize(
                objective,
                np.zeros(3),
                jac=True,
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND)] * 3,
                options={"maxiter": self.max_iter, "ftol": 1e-14, "gtol": 1e-9},
            )
        grad_ok = np.all(np.isfinite(res.jac)) and np.max(np.abs(res.jac)) < 1e-4
        if (
            not np.isfinite(res.fun)
            or (not res.success and not grad_ok)
            or np.any(np.abs(res.x) >= LOG_BOUND - 1e-3)
        ):
            raise ConvergenceError(
                f"Gamma-Gamma did not converge ({res.message}); try penalizer_coef=0.001, and "
                "check that monetary_value is the mean repeat spend of each customer"
            )
        theta = np.exp(res.x + log_scale)
        self.params_ = dict(zip(self.param_names, map(float, theta), strict=True))
        # mean spend m in units of `scale` changes the density by a factor scale per customer
        self.log_likelihood_ = float(
            self._loglik(res.x, x, ms, per_row=True).sum() - n * np.log(scale)
        )
        self.n_customers_ = int(n)
        self.n_iter_ = int(res.nit)
        hess = np.empty((3, 3))
        h = 1e-5
        for i in range(3):
            step = np.zeros(3)
            step[i] = h
            hess[i] = (objective(res.x + step)[1] - objective(res.x - step)[1]) / (2 * h)
        hess = (hess + hess.T) / 2 * n
        try:
            cov = np.linalg.inv(hess)
            se = theta * np.sqrt(np.diag(cov))
        except np.linalg.LinAlgError:
            se = np.full(3, np.nan)
        self.standard_errors_ = dict(zip(self.param_names, map(float, se), strict=True))
        return self

    @classmethod
    def from_params(cls, params: dict[str, float]) -> GammaGammaModel:
        """A model with given parameters ``{p, q, v}`` (e.g. published ones), ready to predict."""
        model = cls()
        model.params_ = {k: float(params[k]) for k in cls.param_names}
        model.standard_errors_ = dict.fromkeys(cls.param_names, float("nan"))
        return model

    def _p(self) -> tuple[float, float, float]:
        if not hasattr(self, "params_"):
            raise NotFittedError("GammaGammaModel is not fitted yet: call fit() first")
        return self.params_["p"], self.params_["q"], self.params_["v"]

    def score_samples(self, frequency: Any, monetary_value: Any) -> np.ndarray:
        """Per-customer log density of the mean spend (repeat buyers; NaN for frequency 0)."""
        x, m = check_monetary(frequency, monetary_value)
        out = np.full(x.shape, np.nan)
        keep = x > 0
        out[keep] = self._loglik(np.log(self._p()), x[keep], m[keep], per_row=True)
        return out

    def conditional_expected_average_profit(
        self, frequency: Any, monetary_value: Any
    ) -> np.ndarray:
        """E[spend per transaction | x, m_x] = p (v + x m_x) / (p x + q - 1); for x = 0 the
        population mean p v / (q - 1). Needs q > 1."""
        p, q, v = self._p()
        if q <= 1:
            raise InputError(f"q = {q:.3f} <= 1: the mean spend is infinite under this fit")
        x, m = check_monetary(frequency, monetary_value)
        return p * (v + x * m) / (p * x + q - 1)

    def population_mean_spend(self) -> float:
        """Mean spend per transaction across customers, p v / (q - 1) (infinite when q <= 1)."""
        p, q, v = self._p()
        return p * v / (q - 1) if q > 1 else float("inf")

    def customer_lifetime_value(
        self,
        transaction_model: Any,
        frequency: Any,
        recency: Any,
        T: Any,
        monetary_value: Any,
        time: int = 12,
        discount_rate: float = 0.01,
        margin: float = 1.0,
        time_unit: str | None = None,
    ) -> np.ndarray:
        """Discounted value of the next ``time`` months per customer (see ``value``).

        ``discount_rate`` is per month; ``time_unit`` (of recency and T) defaults to the
        transaction model's ``time_unit_``.
        """
        spend = self.conditional_expected_average_profit(frequency, monetary_value)
        return _dcf_value(
            transaction_model,
            frequency,
            recency,
            T,
            spend,
            time=time,
            discount_rate=discount_rate,
            margin=margin,
            time_unit=time_unit,
        )
