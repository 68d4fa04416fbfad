"""The usual CLV run in a few calls: fit both models on a summary, then per-customer forecasts.

Used by the CLI, the reports and the web pages so they stay thin. Time unit: the summary's
(``summary.attrs["time_unit"]``); forecast horizons are given in days and converted.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from custlens.analytics.churn.tiers import HIGH_SHARE, LOW_SHARE
from custlens.errors import InputError

from .bgnbd import BetaGeoModel
from .gamma_gamma import GammaGammaModel
from .mbgnbd import ModifiedBetaGeoModel
from .paretonbd import ParetoNBDModel
from .summary import TIME_UNIT_NAMES, unit_days

MODELS = {"bgnbd": BetaGeoModel, "pareto": ParetoNBDModel, "mbgnbd": ModifiedBetaGeoModel}
CORRELATION_NOTE = (
    "frequency and monetary_value correlate (r = {r}); the Gamma-Gamma model assumes they are "
    "independent, so spend forecasts may be biased"
)


class Note(str):
    """A note for the user: its English text, which also knows its catalogue msgid.

    Examples
    --------
    >>> note = Note("{n} repeat buyer(s) with zero repeat spend left out of the Gamma-Gamma fit", n=2)
    >>> str(note)[:18], note.in_lang("en")[:18]
    ('2 repeat buyer(s) ', '2 repeat buyer(s) ')
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Note:
        note = super().__new__(cls, msgid.format(**params))
        note.msgid, note.params = msgid, params
        return note

    def in_lang(self, lang: str) -> str:
        """The note in ``lang`` (zh | en)."""
        from custlens.i18n import gettext

        return gettext(self.msgid, lang, **self.params)


@dataclass
class ClvFit:
    """A fitted transaction model, its Gamma-Gamma spend model and notes for the user."""

    transaction_model: Any
    spend_model: GammaGammaModel | None
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    check: Any = None  # the holdout check behind the model (quality.ModelChoice), when run

    def to_dict(self) -> dict[str, Any]:
        """The fitted models, their parameters and diagnostics as JSON-ready data."""
        tm = self.transaction_model
        s = self.summary
        out: dict[str, Any] = {
            "model": tm.model_name,
            "time_unit": tm.time_unit_,
            "time_unit_name": TIME_UNIT_NAMES.get(tm.time_unit_ or "", "periods"),
            "calibration_end": s.attrs.get("calibration_end"),
            "customers": len(s),
            "repeat_buyers": int((s["frequency"] > 0).sum()),
            "params": tm.params_,
            "standard_errors": tm.standard_errors_,
            "log_likelihood": tm.log_likelihood_,
            "degenerate": bool(getattr(tm, "degenerate_", False)),
            "degenerate_reasons": list(getattr(tm, "degenerate_reasons_", [])),
        }
        if self.spend_model is not None:
            gg = self.spend_model
            out["gamma_gamma"] = {
                "params": gg.params_,
                "standard_errors": gg.standard_errors_,
                "log_likelihood": gg.log_likelihood_,
                "customers": gg.n_customers_,
                "frequency_monetary_correlation": getattr(
                    gg, "frequency_monetary_correlation_", None
                ),
            }
        if self.notes:
            out["notes"] = self.notes
        return out

    def params_rows(self) -> list[dict[str, Any]]:
        """model, parameter, estimate, std_error, time_unit per parameter (both models)."""
        tm, gg = self.transaction_model, self.spend_model
        parts = [(tm.model_name, tm, tm.time_unit_)]
        if gg is not None:
            parts.append(("Gamma-Gamma", gg, "-"))  # spend per purchase has no time unit
        return [
            {
                "model": name,
                "parameter": k,
                "estimate": v,
                "std_error": m.standard_errors_[k],
                "time_unit": unit,
            }
            for name, m, unit in parts
            for k, v in m.params_.items()
        ]


def fit_clv_models(
    summary: pd.DataFrame, model: str = "bgnbd", penalizer_coef: float = 0.0, spend: bool = True
) -> ClvFit:
    """Fit BG/NBD (``model="bgnbd"``), Pareto/NBD (``"pareto"``) or MBG/NBD (``"mbgnbd"``) and
    Gamma-Gamma.

    Gamma-Gamma uses repeat buyers with a positive mean repeat spend; the others are counted in
    ``notes``, as is a frequency-spend correlation warning.
    """
    if model not in MODELS:
        raise InputError(f"unknown model {model!r}: use {' or '.join(MODELS)}")
    tm = MODELS[model](penalizer_coef=penalizer_coef).fit(summary)
    notes: list[str] = []
    gg = None
    if spend:
        repeat = summary[summary["frequency"] > 0]
        usable = repeat[repeat["monetary_value"] > 0]
        if len(usable) < len(repeat):
            notes.append(
                Note(
                    "{n} repeat buyer(s) with zero repeat spend left out of the Gamma-Gamma fit",
                    n=len(repeat) - len(usable),
                )
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            gg = GammaGammaModel(penalizer_coef=penalizer_coef).fit(
                usable["frequency"], usable["monetary_value"]
            )
        if any(issubclass(w.category, UserWarning) for w in caught):
            corr = getattr(gg, "frequency_monetary_correlation_", float("nan"))
            notes.append(Note(CORRELATION_NOTE, r=f"{corr:.2f}"))
    return ClvFit(tm, gg, summary, notes)


def expected_spend(spend_model: GammaGammaModel, summary: pd.DataFrame) -> np.ndarray:
    """Gamma-Gamma expected spend per purchase; customers without a usable repeat spend get
    the population mean."""
    x = summary["frequency"].to_numpy(dtype="float64")
    m = summary["monetary_value"].to_numpy(dtype="float64")
    usable = (x > 0) & (m > 0)
    return spend_model.conditional_expected_average_profit(
        np.where(usable, x, 0), np.where(usable, m, 0)
    )


def predict_customers(
    fit: ClvFit,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    margin: float = 1.0,
    horizons_days: tuple[int, ...] = (90, 180, 365),
    high_share: float = HIGH_SHARE,
    low_share: float = LOW_SHARE,
    churn_days: int = 180,
    lang: str = "zh",
) -> pd.DataFrame:
    """Per customer: P(alive), expected purchases in the next 90/180/365 days, expected spend
    per purchase, CLV over ``horizon_months`` (DCF, ``discount_rate`` per month), days since
    the last purchase and the churn-risk tier (流失风险).

    The tier ranks the buyers by P(alive) (``high_share`` lowest: high risk, ``low_share``
    highest: low risk; see ``custlens.analytics.churn.tiers``). When the fit is degenerate
    (``transaction_model.degenerate_``) P(alive) cannot separate active from churned customers
    and the tier follows the lifecycle rule instead (``churn_days``); the column
    ``churn_risk_basis`` and ``attrs["churn_risk_basis"]`` say which (``p_alive_rank`` or
    ``lifecycle_rule``).
    """
    from custlens.analytics.churn.tiers import churn_risk_from_p_alive, churn_risk_from_silence

    from .value import customer_lifetime_value

    tm, s = fit.transaction_model, fit.summary
    x, tx, age = (s[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    days = unit_days(tm.time_unit_ or "D")
    out = s[["frequency", "recency", "T", "monetary_value"]].copy()
    out["p_alive"] = tm.conditional_probability_alive(x, tx, age)
    for h in horizons_days:
        out[f"expected_purchases_{h}d"] = tm.conditional_expected_number_of_purchases_up_to_time(
            h / days, x, tx, age
        )
    if fit.spend_model is not None:
        spend = expected_spend(fit.spend_model, s)
        out["expected_spend"] = spend
        out["clv"] = customer_lifetime_value(
            tm, x, tx, age, spend, time=horizon_months, discount_rate=discount_rate, margin=margin
        )
    # whole days from the last purchase to the day after the calibration end, as the
    # lifecycle stages count them (recency_days of custlens.analytics.value.metrics)
    out["days_since_last_purchase"] = np.rint((age - tx) * days).astype("int64") + 1
    if getattr(tm, "degenerate_", False):
        risk = churn_risk_from_silence(out["days_since_last_purchase"], churn_days, lang)
    else:
        tiebreak = tm.conditional_expected_number_of_purchases_up_to_time(90 / days, x, tx, age)
        risk = churn_risk_from_p_alive(out["p_alive"], tiebreak, high_share, low_share, lang)
    out = pd.concat([out, risk], axis=1)
    out.attrs.update(
        s.attrs,
        horizon_months=horizon_months,
        discount_rate=discount_rate,
        margin=margin,
        churn_risk_basis=str(risk["churn_risk_basis"].iloc[0]) if len(risk) else None,
        churn_days=churn_days,
        high_share=high_share,
        low_share=low_share,
        degenerate_reasons=list(getattr(tm, "degenerate_reasons_", [])),
    )
    return out


def value_by_group(predictions: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Customers, mean P(alive), mean and total CLV per group (e.g. customer level, city or a
    segment), from a Series indexed by customer_id; customers without a group go to "(none)"."""
    name = groups.name or "group"
    key = groups.reindex(predictions.index).astype("object").fillna("(none)").rename(name)
    agg: dict[str, Any] = {"customers": ("p_alive", "size"), "mean_p_alive": ("p_alive", "mean")}
    if "clv" in predictions:
        agg.update(mean_clv=("clv", "mean"), total_clv=("clv", "sum"))
    out = predictions.groupby(key).agg(**agg).reset_index()
    out = out.sort_values([out.columns[-1], name], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def value_by_tier(predictions: pd.DataFrame) -> pd.DataFrame:
    """Customers, mean, lowest and highest P(alive), mean and total CLV per churn-risk tier
    (high, medium, low; a tier without customers is left out)."""
    agg: dict[str, Any] = {
        "customers": ("p_alive", "size"),
        "mean_p_alive": ("p_alive", "mean"),
        "min_p_alive": ("p_alive", "min"),
        "max_p_alive": ("p_alive", "max"),
    }
    if "clv" in predictions:
        agg.update(mean_clv=("clv", "mean"), total_clv=("clv", "sum"))
    out = predictions.groupby(["churn_risk", "churn_risk_label"], sort=False).agg(**agg)
    order = {"high": 0, "medium": 1, "low": 2}
    out = out.reset_index()
    return out.sort_values("churn_risk", key=lambda c: c.map(order)).reset_index(drop=True)
