"""How far to trust a CLV forecast: transaction models compared on a holdout, and the choice.

Every candidate model (BG/NBD, Pareto/NBD, MBG/NBD) is fitted on the calibration period and asked to
forecast the repeat purchases of the holdout (``compare_holdout``). The model chosen is the one
with the smallest absolute % error of the *total* repeat purchases in the holdout; ties (to 0.1
percentage point) go to the smaller mean absolute error per customer. Degenerate fits (see
``diagnostics``) and fits that fail rank last. A forecast is called adequate when the chosen
model's total is within ``ADEQUATE_ERROR_PCT`` (±20%) of what customers then did.

Without a holdout given, ``holdout_split`` holds back the last third of the order history
(at most 52 weeks); a history shorter than ``MIN_HISTORY_DAYS`` or with fewer than
``MIN_REPEAT_BUYERS`` repeat buyers in the calibration period is too short to check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from custlens.errors import ConvergenceError, InputError
from custlens.i18n import gettext as _

from .diagnostics import explain_degenerate
from .validation import HoldoutReport, compare_holdout
from .workflow import MODELS, ClvFit, fit_clv_models

ADEQUATE_ERROR_PCT = 20.0
CANDIDATES = ("bgnbd", "pareto", "mbgnbd")
MIN_HISTORY_DAYS = 168
MIN_REPEAT_BUYERS = 20
MAX_HOLDOUT_DAYS = 364
TIE_PCT = 0.1


def by_decile(
    per_customer: pd.DataFrame,
    predicted: str = "predicted_purchases",
    actual: str = "actual_purchases",
) -> pd.DataFrame:
    """Predicted vs actual holdout totals per decile of the predicted value (10 = highest).

    Customers are ranked by ``predicted`` (equal values by customer id) and cut into ten groups
    of (nearly) equal size; a good model keeps the actual totals in the same order.

    Parameters
    ----------
    per_customer : pandas.DataFrame
        ``HoldoutReport.per_customer``.
    predicted, actual : str
        The columns compared (``predicted_spend`` / ``actual_spend`` for spend).

    Returns
    -------
    pandas.DataFrame
        decile, customers, predicted_total, actual_total, error_pct.

    Examples
    --------
    >>> frame = pd.DataFrame({"predicted_purchases": range(20), "actual_purchases": [1] * 20})
    >>> by_decile(frame)["customers"].tolist()
    [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    """
    usable = per_customer[[predicted, actual]].dropna().sort_index(kind="stable")
    rank = usable[predicted].rank(method="first").to_numpy()
    decile = np.ceil(rank * 10 / max(len(usable), 1)).astype(int)
    out = (
        usable.assign(decile=decile)
        .groupby("decile")
        .agg(
            customers=(actual, "size"),
            predicted_total=(predicted, "sum"),
            actual_total=(actual, "sum"),
        )
        .reset_index()
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["error_pct"] = (
            100 * (out["predicted_total"] - out["actual_total"]) / out["actual_total"]
        )
    return out


@dataclass
class Candidate:
    """One model fitted on the calibration period and checked on the holdout."""

    name: str
    model_name: str
    fit: ClvFit | None
    report: HoldoutReport | None
    failure: str | None = None

    @property
    def degenerate_reasons(self) -> list[str]:
        tm = self.fit.transaction_model if self.fit else None
        return list(getattr(tm, "degenerate_reasons_", []))

    def sort_key(self) -> tuple:
        if self.report is None:
            return (2, np.inf, np.inf)
        p = self.report.purchases
        err = abs(p["error_pct"]) if np.isfinite(p["error_pct"]) else np.inf
        return (1 if self.degenerate_reasons else 0, round(err / TIE_PCT), p["mae"])

    def row(self) -> dict[str, Any]:
        """model, error of the total, MAE per customer, totals, spend error, degenerate."""
        out: dict[str, Any] = {"model": self.model_name, "failed": self.failure}
        if self.report is not None:
            p = self.report.purchases
            out |= {
                "predicted_total": p["predicted_total"],
                "actual_total": p["actual_total"],
                "error_pct": p["error_pct"],
                "mae": p["mae"],
                "spend_error_pct": (self.report.spend or {}).get("error_pct"),
            }
        out["degenerate_reasons"] = self.degenerate_reasons
        return out


@dataclass
class ModelChoice:
    """The holdout check of the candidate models and the model it chose.

    ``candidates`` are best first; ``chosen`` is the key (bgnbd, pareto) of the best, None when
    no holdout was possible (``reason`` says why).
    """

    candidates: list[Candidate] = field(default_factory=list)
    calibration_end: str | None = None
    observation_end: str | None = None
    time_unit: str | None = None
    reason: str | None = None
    history_days: int | None = None
    reason_buyers: int = 0

    @property
    def best(self) -> Candidate | None:
        ok = [c for c in self.candidates if c.report is not None]
        return ok[0] if ok else None

    @property
    def chosen(self) -> str | None:
        return self.best.name if self.best else None

    @property
    def error_pct(self) -> float | None:
        return self.best.report.purchases["error_pct"] if self.best else None

    @property
    def adequate(self) -> bool:
        err = self.error_pct
        best = self.best
        return bool(
            best is not None
            and not best.degenerate_reasons
            and err is not None
            and np.isfinite(err)
            and abs(err) <= ADEQUATE_ERROR_PCT
        )

    def rows(self) -> list[dict[str, Any]]:
        """One row per candidate, best first (the comparison table)."""
        return [
            c.row() | {"chosen": i == 0 and c.report is not None}
            for i, c in enumerate(self.candidates)
        ]

    def verdict(self, lang: str = "zh") -> list[str]:
        """Sentences for a reader: which model, its holdout error, whether it is adequate."""
        if self.best is None:
            if self.reason == "too_little_history":
                return [
                    _(
                        "No holdout check: the order history ({days} days, {buyers} repeat "
                        "buyers) is too short to hold back a period and compare (at least "
                        "{min_days} days and {min_buyers} repeat buyers are needed). The "
                        "forecasts are unchecked.",
                        lang,
                        days=self.history_days or 0,
                        buyers=self.reason_buyers,
                        min_days=MIN_HISTORY_DAYS,
                        min_buyers=MIN_REPEAT_BUYERS,
                    )
                ]
            return [
                _("No holdout check: no model could be fitted on the calibration period.", lang)
            ]
        best = self.best
        p = best.report.purchases
        args = {
            "model": best.model_name,
            "start": self.calibration_end,
            "end": self.observation_end,
            "error": f"{p['error_pct']:+.1f}%",
            "predicted": f"{p['predicted_total']:,.0f}",
            "actual": f"{p['actual_total']:,.0f}",
            "mae": f"{p['mae']:.2f}",
            "limit": f"{ADEQUATE_ERROR_PCT:g}%",
        }
        others = [
            f"{c.model_name} {c.report.purchases['error_pct']:+.1f}%"
            for c in self.candidates[1:]
            if c.report is not None
        ]
        if self.adequate:
            text = [
                _(
                    "Model chosen on a holdout after {start} (to {end}): {model}. Total repeat "
                    "purchases off by {error} ({predicted} predicted, {actual} actual); mean "
                    "absolute error {mae} purchases per customer.",
                    lang,
                    **args,
                )
            ]
        elif best.degenerate_reasons:
            text = [
                _(
                    "No model can be trusted on the holdout after {start} (to {end}): the best, "
                    "{model}, is off by {error} in total repeat purchases ({predicted} "
                    "predicted, {actual} actual), and its fit is degenerate.",
                    lang,
                    **args,
                )
            ]
        else:
            text = [
                _(
                    "No model is adequate on the holdout after {start} (to {end}): the best, "
                    "{model}, is off by {error} in total repeat purchases ({predicted} "
                    "predicted, {actual} actual), beyond ±{limit}. Use its forecasts to rank "
                    "customers, not as amounts.",
                    lang,
                    **args,
                )
            ]
        if others:
            text.append(_("Other models: {others}.", lang, others=", ".join(others)))
        if best.degenerate_reasons:
            text.append(explain_degenerate(best.degenerate_reasons, best.model_name, lang))
        return text

    def to_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The check as JSON-ready data (criterion, candidates, chosen model, verdict)."""
        return {
            "criterion": criterion_text(lang),
            "calibration_end": self.calibration_end,
            "observation_end": self.observation_end,
            "time_unit": self.time_unit,
            "chosen": self.best.model_name if self.best else None,
            "error_pct": self.error_pct,
            "adequate": self.adequate,
            "adequate_limit_pct": ADEQUATE_ERROR_PCT,
            "no_holdout_reason": self.reason,
            "candidates": self.rows(),
            "verdict": self.verdict(lang),
        }


def criterion_text(lang: str = "zh") -> str:
    """How the model is chosen, in words."""
    return _(
        "Chosen by the smallest error of total repeat purchases in the holdout, then the mean "
        "absolute error per customer; degenerate fits rank last; adequate within ±{limit}.",
        lang,
        limit=f"{ADEQUATE_ERROR_PCT:g}%",
    )


def choose_model(
    summary: pd.DataFrame,
    models: tuple[str, ...] = CANDIDATES,
    penalizer_coef: float = 0.0,
    spend: bool = True,
) -> ModelChoice:
    """Fit each model in ``models`` on the calibration period of ``summary`` and rank them on
    its holdout (criterion in the module docstring).

    Parameters
    ----------
    summary : pandas.DataFrame
        ``summary_from_orders(..., calibration_end=..., observation_end=...)`` (with holdout).
    models : tuple of str
        Keys of ``workflow.MODELS``.
    penalizer_coef : float
        L2 penalty of every fit.
    spend : bool
        Also fit Gamma-Gamma and check the holdout spend.

    Returns
    -------
    ModelChoice
    """
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise InputError.of("unknown model {model}: use bgnbd or pareto", model=unknown[0])
    candidates = []
    for name in models:
        try:
            fit = fit_clv_models(summary, name, penalizer_coef, spend=spend)
        except ConvergenceError as exc:
            candidates.append(Candidate(name, MODELS[name].model_name, None, None, str(exc)))
            continue
        report = compare_holdout(fit.transaction_model, summary, fit.spend_model)
        candidates.append(Candidate(name, fit.transaction_model.model_name, fit, report))
    candidates.sort(key=Candidate.sort_key)
    a = summary.attrs
    return ModelChoice(
        candidates,
        a.get("calibration_end"),
        a.get("observation_end"),
        a.get("time_unit"),
    )


def holdout_split(dates: pd.Series) -> tuple[str, str] | None:
    """(calibration_end, observation_end) holding back the last third of the history (at most
    52 weeks, whole weeks); None when the history is shorter than ``MIN_HISTORY_DAYS``.

    Examples
    --------
    >>> holdout_split(pd.Series(pd.to_datetime(["2024-01-01", "2024-12-31"])))
    ('2024-09-03', '2024-12-31')
    """
    day = pd.to_datetime(dates, errors="coerce").dropna()
    if day.empty:
        return None
    first, last = day.min().date(), day.max().date()
    span = (last - first).days
    if span < MIN_HISTORY_DAYS:
        return None
    hold = min(7 * round(span / 3 / 7), MAX_HOLDOUT_DAYS)
    return (last - dt.timedelta(days=hold)).isoformat(), last.isoformat()


def check_models(
    orders: pd.DataFrame,
    time_unit: str = "W",
    models: tuple[str, ...] = CANDIDATES,
    penalizer_coef: float = 0.0,
) -> ModelChoice:
    """The holdout check on an orders frame without a chosen holdout (``holdout_split``).

    Returns a ``ModelChoice`` without candidates (``reason="too_little_history"``) when the
    history is too short to check.
    """
    from .summary import summary_from_orders

    dates = pd.to_datetime(orders["order_date"], errors="coerce")
    span = int((dates.max() - dates.min()).days) if dates.notna().any() else 0
    split = holdout_split(dates)
    short = ModelChoice(reason="too_little_history", history_days=span, time_unit=time_unit)
    if split is None:
        return short
    summary = summary_from_orders(
        orders, time_unit=time_unit, calibration_end=split[0], observation_end=split[1]
    )
    short.reason_buyers = int((summary["frequency"] > 0).sum())
    if short.reason_buyers < MIN_REPEAT_BUYERS:
        return short
    return choose_model(summary, models, penalizer_coef)


def fit_checked(
    orders: pd.DataFrame,
    time_unit: str = "W",
    model: str = "auto",
    calibration_end: str | None = None,
    penalizer_coef: float = 0.0,
    spend: bool = True,
) -> tuple[ClvFit, ModelChoice]:
    """The fit every surface shows: the model chosen on a holdout (``model="auto"``; BG/NBD
    when no holdout is possible) or the one asked for, checked the same way, then fitted on
    the whole history up to ``calibration_end``.

    With ``spend=False`` only the purchase model is fitted (P(alive) rankings need no
    Gamma-Gamma, which needs repeat buyers with spend).

    Returns
    -------
    (ClvFit, ModelChoice)
        The forecasting fit and the holdout check behind it.
    """
    from .summary import summary_from_orders

    models = CANDIDATES if model == "auto" else (model,)
    history = orders
    if calibration_end is not None:
        dates = pd.to_datetime(orders["order_date"], errors="coerce")
        history = orders[dates <= pd.Timestamp(calibration_end)]
    choice = check_models(history, time_unit, models, penalizer_coef)
    name = choice.chosen or (models[0] if model != "auto" else "bgnbd")
    summary = summary_from_orders(orders, time_unit=time_unit, calibration_end=calibration_end)
    fit = fit_clv_models(summary, name, penalizer_coef, spend=spend)
    fit.check = choice
    return fit, choice
