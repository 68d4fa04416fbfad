"""The log-likelihood of the BG/NBD and Pareto/NBD models at any parameters, and its gradient.

``fit`` maximises this likelihood; these methods evaluate it where the caller chooses, to
compare parameter sets (a published fit against custlens's) or to check the analytic gradient
the optimiser uses against finite differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


class LikelihoodMixin:
    """``log_likelihood`` and ``log_likelihood_gradient`` for a transaction model."""

    param_names: tuple[str, ...]

    def _log_params(self, params: Mapping[str, float] | Any) -> np.ndarray:
        """Parameters (a dict by name, or values in ``param_names`` order) on the log scale."""
        if isinstance(params, Mapping):
            params = [params[k] for k in self.param_names]
        return np.log(np.asarray(params, dtype="float64"))

    def _likelihood_data(self, frequency: Any, recency: Any, T: Any, weights: Any) -> dict:
        """The model's prepared likelihood terms of the given customers (times unscaled)."""
        from ._base import as_array, check_rfm

        x, tx, age = (a.ravel() for a in check_rfm(frequency, recency, T))
        w = np.ones(x.size) if weights is None else np.broadcast_to(as_array(weights, "w"), x.shape)
        return self._prepare(x, tx, age, np.asarray(w, dtype="float64"))  # type: ignore[attr-defined]

    def log_likelihood(
        self,
        params: Mapping[str, float] | Any,
        frequency: Any,
        recency: Any,
        T: Any,
        weights: Any = None,
    ) -> float:
        """Total log-likelihood of customers' (frequency, recency, T) at ``params``.

        Parameters
        ----------
        params : dict or array-like
            Parameter values by name (``{"r": ..., "alpha": ...}``), or in ``param_names``
            order; they need not be the fitted ones.
        frequency, recency, T : array-like
            Per-customer summary in one time unit (:func:`summary_from_orders`).
        weights : array-like, optional
            Customers per row, for pre-aggregated data (default 1 each).

        Returns
        -------
        float
            The sum of the customers' log-likelihoods (the time unit changes it by a
            constant: rates scale with the unit).

        Examples
        --------
        >>> from custlens.datasets import load_cdnow_summary
        >>> from custlens.analytics.clv import BetaGeoModel
        >>> s = load_cdnow_summary()
        >>> published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(BetaGeoModel().log_likelihood(published, s.frequency, s.recency, s["T"]), 1)
        -9582.4
        """
        data = self._likelihood_data(frequency, recency, T, weights)
        return float(self._exact_loglik(self._log_params(params), data))  # type: ignore[attr-defined]

    def log_likelihood_gradient(
        self,
        params: Mapping[str, float] | Any,
        frequency: Any,
        recency: Any,
        T: Any,
        weights: Any = None,
    ) -> np.ndarray:
        """Gradient of :meth:`log_likelihood` with respect to the log of each parameter.

        This is the analytic gradient ``fit`` follows (it optimises on the log scale).

        Parameters
        ----------
        params : dict or array-like
            Parameter values by name, or in ``param_names`` order.
        frequency, recency, T : array-like
            Per-customer summary in one time unit.
        weights : array-like, optional
            Customers per row (default 1 each).

        Returns
        -------
        numpy.ndarray
            d log L / d log(theta), one entry per parameter in ``param_names`` order; zero at
            the maximum-likelihood estimate.

        Examples
        --------
        >>> from custlens.datasets import load_cdnow_summary
        >>> from custlens.analytics.clv import BetaGeoModel
        >>> s = load_cdnow_summary()
        >>> model = BetaGeoModel().fit(s, time_unit="W")
        >>> grad = model.log_likelihood_gradient(model.params_, s.frequency, s.recency, s["T"])
        >>> bool(abs(grad).max() < 0.01)
        True
        """
        data = self._likelihood_data(frequency, recency, T, weights)
        return self._loglik(self._log_params(params), data, True)[1]  # type: ignore[attr-defined]
