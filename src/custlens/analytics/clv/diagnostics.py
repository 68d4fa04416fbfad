"""Degenerate fits: when a transaction model cannot tell active customers from churned ones.

A maximum-likelihood fit can "succeed" on data that do not identify the model: on a short
history where nearly every repeat customer keeps buying at a steady cadence, BG/NBD sends the
drop-out parameter ``a`` towards 0 and ``b`` towards infinity, every P(alive) comes out as 1
and the only symptom is a singular Hessian. ``diagnose_fit`` runs after every fit and the
model keeps the result in ``degenerate_`` (bool) and ``degenerate_reasons_`` (codes below).

Criteria, each of which alone makes a fit degenerate:

1. ``parameter_at_bound``: a log-parameter within ``BOUND_MARGIN`` (1e-3) of the optimiser's
   bound +-18, i.e. a parameter below e^-18 or above e^18;
2. ``hessian_not_positive_definite``: the Hessian of the negative log-likelihood (in
   log-parameters, at the optimum) has a non-finite entry, or its smallest eigenvalue is at most
   ``HESSIAN_RTOL`` (1e-8) times its largest: the likelihood is flat, or curves the wrong way,
   in some direction, so the optimum is not a proper maximum;
3. ``standard_errors_not_finite``: a standard error is NaN or infinite;
4. ``p_alive_constant``: among repeat buyers (frequency > 0; BG/NBD gives every one-time buyer
   P(alive) = 1 by construction), the 5th to 95th (customer-weighted) percentile range of
   P(alive) is below ``P_ALIVE_MIN_SPREAD`` (0.01): the model rates practically everyone as
   equally likely to be active.

On CDNOW (the published benchmark) none applies: the smallest Hessian eigenvalue is 0.6% of
the largest and P(alive) of repeat buyers spreads from 0.15 to 0.87 between those percentiles
(weekly BG/NBD, calibration to 1997-09-30).
"""

from __future__ import annotations

from typing import Any

import numpy as np

BOUND_MARGIN = 1e-3
HESSIAN_RTOL = 1e-8
P_ALIVE_MIN_SPREAD = 0.01
P_ALIVE_PERCENTILES = (0.05, 0.95)

#: reason code -> English description (also the message id of its translation)
DEGENERATE_REASONS = {
    "parameter_at_bound": "a parameter ran to the edge of its range",
    "hessian_not_positive_definite": (
        "the likelihood is flat in some direction (singular Hessian)"
    ),
    "standard_errors_not_finite": "the standard errors cannot be computed",
    "p_alive_constant": "P(alive) is nearly the same for every repeat buyer",
}


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, q: tuple[float, ...]) -> np.ndarray:
    """Quantiles ``q`` of ``values`` with ``weights`` (customers per row): the smallest value
    whose cumulative weight reaches q of the total."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    idx = np.searchsorted(cum, np.asarray(q) * cum[-1], side="left")
    return values[order][np.minimum(idx, len(values) - 1)]


def diagnose_fit(
    model: Any, logp: np.ndarray, x: np.ndarray, tx: np.ndarray, age: np.ndarray, w: Any
) -> list[str]:
    """Reason codes (``DEGENERATE_REASONS``) that make a fitted model degenerate; [] if none.

    Parameters
    ----------
    model : TransactionModel
        A model right after fitting: ``params_``, ``standard_errors_`` and ``hessian_`` set.
    logp : numpy.ndarray
        The optimum in (scaled) log-parameters, as the optimiser returned it.
    x, tx, age : numpy.ndarray
        Frequency, recency and T per summary row, in the model's time unit.
    w : numpy.ndarray or None
        Customers per row (None: one each).

    Returns
    -------
    list of str
        Codes in the order of the criteria in the module docstring.
    """
    from ._base import LOG_BOUND

    reasons = []
    if np.any(np.abs(logp) >= LOG_BOUND - BOUND_MARGIN):
        reasons.append("parameter_at_bound")
    hess = getattr(model, "hessian_", None)
    if hess is None or not np.all(np.isfinite(hess)):
        reasons.append("hessian_not_positive_definite")
    else:
        eig = np.linalg.eigvalsh(hess)
        if eig[0] <= HESSIAN_RTOL * max(abs(eig[-1]), np.finfo(float).tiny):
            reasons.append("hessian_not_positive_definite")
    if not all(np.isfinite(v) for v in model.standard_errors_.values()):
        reasons.append("standard_errors_not_finite")
    repeat = x > 0
    weights = np.ones(x.shape) if w is None else np.asarray(w, dtype="float64")
    repeat &= weights > 0
    if not repeat.any():
        return [*reasons, "p_alive_constant"]
    with np.errstate(all="ignore"):
        p_alive = model.conditional_probability_alive(x[repeat], tx[repeat], age[repeat])
    low, high = weighted_quantiles(p_alive, weights[repeat], P_ALIVE_PERCENTILES)
    if not np.isfinite(high - low) or high - low < P_ALIVE_MIN_SPREAD:
        reasons.append("p_alive_constant")
    return reasons


def explain_degenerate(reasons: list[str], model: str = "BG/NBD", lang: str = "zh") -> str:
    """A degenerate fit in plain words: what went wrong, what it means, what to try.

    Parameters
    ----------
    reasons : list of str
        Codes of ``DEGENERATE_REASONS`` (a model's ``degenerate_reasons_``).
    model : str
        The model's name (BG/NBD, MBG/NBD or Pareto/NBD); Pareto/NBD is suggested, or BG/NBD
        for Pareto/NBD.
    lang : str
        zh or en.

    Returns
    -------
    str
        Empty when ``reasons`` is empty.

    Examples
    --------
    >>> explain_degenerate(["parameter_at_bound"], "BG/NBD", "en")[:52]
    'The BG/NBD fit is degenerate (a parameter ran to the'
    """
    from custlens.i18n import gettext as _

    if not reasons:
        return ""
    other = "BG/NBD" if model == "Pareto/NBD" else "Pareto/NBD"
    return _(
        "The {model} fit is degenerate ({reasons}): on this data the model cannot tell "
        "customers who stopped buying from those who still buy, so its P(alive) and forecasts "
        "are unreliable. Try a longer order history (an earlier start or a later calibration "
        "end), a different time unit (days or months instead of weeks), or {other}.",
        lang,
        model=model,
        reasons=_("; ", lang).join(_(DEGENERATE_REASONS.get(r, r), lang) for r in reasons),
        other=other,
    )
