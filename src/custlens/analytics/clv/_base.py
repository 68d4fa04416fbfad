"""Shared machinery of the transaction models: input checks, MLE on log-parameters, Hessian.

Times (recency, T, t) are in the time unit of the summary the model was fitted on; the unit
is kept in ``time_unit_``. Internally the times are divided by the mean of T so that the
optimiser sees the same problem whatever the unit: fits in days and in weeks give the same
shape parameters and a scale parameter (alpha, beta) exactly 7 times larger in days.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from custlens.errors import ConvergenceError, InputError, NotFittedError, Problem

from .diagnostics import diagnose_fit
from .likelihood import LikelihoodMixin
from .summary import TIME_UNIT_NAMES, check_time_unit

LOG_BOUND = 18.0  # |log parameter| limit: parameters outside e^-18 .. e^18 mean a degenerate fit


def as_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a float64 array of at least one dimension; InputError naming ``name`` if not
    numeric.
    """
    try:
        arr = np.asarray(values, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric") from exc
    return np.atleast_1d(arr)


def check_rfm(frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, ...]:
    """float arrays x, t_x, T; InputError listing rows that break 0 <= t_x <= T, x integer."""
    x, tx, age = (
        as_array(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T"))
    )
    x, tx, age = np.broadcast_arrays(x, tx, age)
    if x.size == 0:
        raise InputError("no customers: frequency, recency and T are empty")
    checks = [  # (rows, column, code, message)
        (
            ~(np.isfinite(x) & np.isfinite(tx) & np.isfinite(age)),
            None,
            "missing",
            "missing or infinite value",
        ),
        (
            (x < 0) | (x != np.round(x)),
            "frequency",
            "frequency",
            "frequency must be a whole number >= 0",
        ),
        (tx < 0, "recency", "recency", "recency must be >= 0"),
        (tx > age * (1 + 1e-9) + 1e-12, "T", "T<recency", "T is smaller than recency"),
        ((x == 0) & (tx > 0), "recency", "recency", "recency must be 0 when frequency is 0"),
    ]
    problems: list[Problem] = []
    for mask, column, code, message in checks:
        for i in np.flatnonzero(mask)[:20]:
            problems.append(
                Problem(
                    int(i) + 1,
                    column,
                    code,
                    f"customer {int(i) + 1}: {message} "
                    f"(frequency={x.flat[i]}, recency={tx.flat[i]}, T={age.flat[i]})",
                )
            )
    if problems:
        raise InputError(
            f"{len(problems)} invalid customer summary row(s): {problems[0].message}", problems
        )
    return x.astype("float64"), tx.astype("float64"), age.astype("float64")


def unpack_summary(frequency: Any, recency: Any, T: Any, time_unit: str | None):
    """Accept either three arrays or a summary DataFrame (time unit from its attrs)."""
    if isinstance(frequency, pd.DataFrame):
        frame = frequency
        missing = {"frequency", "recency", "T"} - set(frame.columns)
        if missing:
            raise InputError(f"summary lacks column(s) {', '.join(sorted(missing))}")
        time_unit = time_unit or frame.attrs.get("time_unit")
        if time_unit is None:
            warnings.warn(
                "the summary carries no time unit (pandas drops attrs in joins and merges): "
                "pass time_unit='D', 'W' or 'M' so forecasts and CLV can convert horizons",
                UserWarning,
                stacklevel=4,
            )
        return frame["frequency"], frame["recency"], frame["T"], time_unit
    if recency is None or T is None:
        raise InputError("give frequency, recency and T (or a summary DataFrame)")
    return frequency, recency, T, time_unit


def unique_rows(*columns: np.ndarray, weights: np.ndarray | None = None):
    """Unique rows of the given columns and their summed weights (fits run on these)."""
    n = len(columns[0])
    key, bound = np.zeros(n, dtype=np.int64), 1
    for col in columns:  # hash each column, then combine the codes into one integer key
        codes, uniques = pd.factorize(np.asarray(col))
        if bound * len(uniques) >= 2**62:
            key, groups = pd.factorize(key)
            bound = len(groups)
        key = key * len(uniques) + codes
        bound *= len(uniques)
    ids, groups = pd.factorize(key)
    first = np.empty(len(groups), dtype=np.int64)
    first[ids[::-1]] = np.arange(n - 1, -1, -1)
    w = np.bincount(ids, weights=weights, minlength=len(groups)).astype("float64")
    return (*(np.asarray(c, dtype="float64")[first] for c in columns), w)


class TransactionModel(LikelihoodMixin):
    """Base of BG/NBD and Pareto/NBD: fit by penalised MLE on log-parameters (L-BFGS-B).

    Subclasses set ``param_names``, ``scale_params`` (the rate parameters that carry the time
    unit) and implement ``_loglik(logp, data, grad)`` on scaled times.
    """

    param_names: tuple[str, ...] = ()
    scale_params: tuple[str, ...] = ()
    model_name = ""

    def __init__(self, penalizer_coef: float = 0.0, max_iter: int = 2000):
        self.penalizer_coef = penalizer_coef
        self.max_iter = max_iter

    # ---- fitting ------------------------------------------------------------------------
    def fit(
        self,
        frequency: Any,
        recency: Any = None,
        T: Any = None,
        weights: Any = None,
        time_unit: str | None = None,
    ):
        """Fit on per-customer (frequency, recency, T), or on a summary DataFrame.

        ``time_unit`` (D/W/M) is taken from the summary's attrs when not given; times are in
        that unit. ``weights`` counts customers per row (for pre-aggregated data).

        A fit the data cannot identify does not raise: it sets ``degenerate_`` to True and
        lists why in ``degenerate_reasons_`` (see ``custlens.analytics.clv.diagnostics``);
        its P(alive) must then not be used to tell active from churned customers.
        """
        # the vectors are long and the work per element small: multithreaded BLAS dot products
        # only add synchronisation (and stall badly on a busy machine)
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(frequency, recency, T, weights, time_unit)

    def _fit(self, frequency, recency, T, weights, time_unit):
        """See ``fit``."""
        frequency, recency, T, time_unit = unpack_summary(frequency, recency, T, time_unit)
        self.time_unit_ = check_time_unit(time_unit) if time_unit else None
        if self.penalizer_coef < 0:
            raise InputError("penalizer_coef must be >= 0")
        x, tx, age = check_rfm(frequency, recency, T)
        w = None if weights is None else np.broadcast_to(as_array(weights, "weights"), x.shape)
        if w is not None and (np.any(w < 0) or not np.all(np.isfinite(w))):
            raise InputError("weights must be finite and >= 0")
        if not np.any(x > 0):
            raise InputError(
                f"{self.model_name} needs repeat buyers: every customer has frequency 0"
            )
        self._scale = float(np.average(age, weights=w)) or 1.0
        ux, utx, uT, uw = unique_rows(x, tx / self._scale, age / self._scale, weights=w)
        data = self._prepare(ux, utx, uT, uw)
        n_total = float(uw.sum())
        self._n_total = n_total
        log_scale = np.array(
            [np.log(self._scale) if p in self.scale_params else 0.0 for p in self.param_names]
        )
        pen = float(self.penalizer_coef)

        def objective(logp: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = self._loglik(logp, data, True)
            theta2 = np.exp(2 * (logp + log_scale))
            value = -ll / n_total + pen * theta2.sum()
            return value, -grad / n_total + 2 * pen * theta2

        x0 = self._start(data)
        with np.errstate(all="ignore"):
            value0, _ = objective(x0)
            if not np.isfinite(value0):
                raise ConvergenceError(
                    f"{self.model_name}: log-likelihood is not finite at the start"
                )
            res = minimize(
                objective,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-LOG_BOUND, LOG_BOUND)] * len(x0),
                options={"maxiter": self.max_iter, "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20},
            )
        self._check_convergence(res)
        logp = res.x
        self._logp_scaled = logp
        theta = np.exp(logp + log_scale)
        self.params_ = dict(zip(self.param_names, map(float, theta), strict=True))
        ll_scaled = self._exact_loglik(logp, data)
        # time rescaling multiplies each customer's likelihood by scale^-x
        self.log_likelihood_ = float(ll_scaled - np.dot(uw, ux) * np.log(self._scale))
        self.n_customers_ = round(n_total)
        self.n_iter_ = int(res.nit)
        self.converged_ = True
        self.max_frequency_ = int(x.max())
        self.max_T_ = float(age.max())
        self.standard_errors_ = self._standard_errors(objective, logp, n_total, theta)
        self.degenerate_reasons_ = diagnose_fit(self, logp, x, tx, age, w)
        self.degenerate_ = bool(self.degenerate_reasons_)
        return self

    def _start(self, data: dict) -> np.ndarray:
        return np.zeros(len(self.param_names))

    def _exact_loglik(self, logp: np.ndarray, data: dict) -> float:
        return self._loglik(logp, data, False)[0]

    def _check_convergence(self, res: Any) -> None:
        grad_ok = (
            res.jac is not None and np.all(np.isfinite(res.jac)) and np.max(np.abs(res.jac)) < 1e-4
        )
        advice = (
            "try penalizer_coef=0.001 (or larger), check the time unit of the summary "
            "(weeks for calibration periods under a few years), and make sure there are "
            "enough repeat buyers"
        )
        if not np.all(np.isfinite(res.x)) or not np.isfinite(res.fun):
            raise ConvergenceError(f"{self.model_name}: the likelihood became non-finite; {advice}")
        if not res.success and not grad_ok:
            raise ConvergenceError(
                f"{self.model_name} did not converge after {res.nit} iterations "
                f"({res.message}); {advice}"
            )

    def _standard_errors(self, objective, logp: np.ndarray, n_total: float, theta: np.ndarray):
        """Delta-method standard errors from a central-difference Hessian of the gradient."""
        k = len(logp)
        hess = np.empty((k, k))
        h = 1e-5
        with np.errstate(all="ignore"):
            for i in range(k):
                step = np.zeros(k)
                step[i] = h
                hess[i] = (objective(logp + step)[1] - objective(logp - step)[1]) / (2 * h)
        hess = (hess + hess.T) / 2 * n_total
        self.hessian_ = hess  # of the negative (penalised) log-likelihood, log-parameters
        try:
            cov = np.linalg.inv(hess)
            ok = np.all(np.isfinite(cov)) and np.all(np.diag(cov) > 0)
        except np.linalg.LinAlgError:
            ok = False
        if not ok:  # reported as a degenerate fit (``degenerate_reasons_``), not as a warning
            return dict.fromkeys(self.param_names, float("nan"))
        self.covariance_log_ = cov
        se = theta * np.sqrt(np.diag(cov))
        return dict(zip(self.param_names, map(float, se), strict=True))

    @classmethod
    def from_params(cls, params: dict[str, float], time_unit: str | None = None, **kwargs: Any):
        """A model with given parameters (e.g. published ones), ready to predict."""
        missing = set(cls.param_names) - set(params)
        if missing:
            raise InputError(f"missing parameter(s): {', '.join(sorted(missing))}")
        bad = [k for k in cls.param_names if not (np.isfinite(params[k]) and params[k] > 0)]
        if bad:
            raise InputError(f"parameters must be positive: {', '.join(bad)}")
        model = cls(**kwargs)
        model.params_ = {k: float(params[k]) for k in cls.param_names}
        model.standard_errors_ = dict.fromkeys(cls.param_names, float("nan"))
        model.time_unit_ = check_time_unit(time_unit) if time_unit else None
        model.max_frequency_ = None
        model.max_T_ = None
        model.degenerate_ = False
        model.degenerate_reasons_ = []
        return model

    # ---- helpers --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit() first")

    def params_table(self) -> pd.DataFrame:
        """Estimate, standard error and 95% interval (computed on the log scale) per parameter."""
        self._check_fitted()
        est = pd.Series(self.params_)
        se = pd.Series(self.standard_errors_)
        rel = np.sqrt(np.log1p((se / est) ** 2))
        return pd.DataFrame(
            {
                "estimate": est,
                "std_error": se,
                "ci_lower": est * np.exp(-1.96 * rel),
                "ci_upper": est * np.exp(1.96 * rel),
            }
        )

    @property
    def time_unit_label(self) -> str:
        unit = getattr(self, "time_unit_", None)
        return TIME_UNIT_NAMES.get(unit, "periods of the input") if unit else "periods of the input"

    def frequency_recency_matrix(
        self,
        T: float | None = None,
        t: float = 1.0,
        max_frequency: int | None = None,
        max_recency: float | None = None,
        n_recency: int = 40,
        kind: str = "expected",
    ) -> pd.DataFrame:
        """Expected purchases in the next ``t`` periods (``kind="expected"``) or P(alive)
        (``kind="alive"``) for a customer of age ``T`` (default: the oldest fitted customer),
        by frequency (rows, 0..max) and recency (columns, ``n_recency`` points from 0 to T).
        """
        self._check_fitted()
        if (T is None and self.max_T_ is None) or (
            max_frequency is None and self.max_frequency_ is None
        ):
            raise InputError("give T and max_frequency (the model was not fitted on data)")
        T = self.max_T_ if T is None else float(T)
        max_frequency = self.max_frequency_ if max_frequency is None else int(max_frequency)
        max_recency = T if max_recency is None else min(float(max_recency), T)
        freq = np.arange(max_frequency + 1, dtype="float64")
        rec = np.linspace(0.0, max_recency, n_recency)
        xx, rr = np.meshgrid(freq, rec, indexing="ij")
        rr = np.where(xx == 0, 0.0, rr)
        if kind == "expected":
            values = self.conditional_expected_number_of_purchases_up_to_time(t, xx, rr, T)
        elif kind == "alive":
            values = self.conditional_probability_alive(xx, rr, T)
        else:
            raise InputError(f"kind must be 'expected' or 'alive', not {kind!r}")
        frame = pd.DataFrame(
            np.reshape(values, xx.shape), index=freq.astype(int), columns=np.round(rec, 4)
        )
        frame.index.name = "frequency"
        frame.columns.name = "recency"
        frame.attrs.update(time_unit=getattr(self, "time_unit_", None), T=T, t=t, kind=kind)
        return frame

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        """Expected purchases in the next ``t`` periods of customers with the given history
        (per model).
        """
        raise NotImplementedError

    def conditional_probability_alive(self, frequency, recency, T):
        """Probability that customers with the given history are still active (per model)."""
        raise NotImplementedError

    def _prepare(self, x, tx, T, w) -> dict:
        raise NotImplementedError

    def _loglik(self, logp: np.ndarray, data: dict, grad: bool):
        raise NotImplementedError
