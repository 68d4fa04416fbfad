"""Forecast accuracy: MASE and sMAPE (the measures of the backtest).

MASE (Hyndman & Koehler 2006) divides the mean absolute error of the forecast by the mean
absolute error of the seasonal naive forecast *in the training data* (``y[t] - y[t-m]``), so
MASE < 1 means the forecast beats what repeating last season would have done in-sample, and
series of any size compare. sMAPE is ``mean(2|y - f| / (|y| + |f|))`` in percent (0 to 200);
a day when both the actual and the forecast are 0 counts as no error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_scale(y_train: np.ndarray, season: int) -> float:
    """Mean absolute difference ``|y[t] - y[t - season]|`` of the training data (NaN when it
    is shorter than one season plus one, or constant, so MASE is not defined).

    Examples
    --------
    >>> seasonal_scale(np.array([1.0, 2.0, 4.0, 7.0]), 1)
    2.0
    """
    y = np.asarray(y_train, dtype=float)
    if y.size <= season:
        return float("nan")
    scale = float(np.mean(np.abs(y[season:] - y[:-season])))
    return scale if scale > 0 else float("nan")


def mase(y_true, y_pred, y_train, season: int = 1) -> float:
    """Mean absolute scaled error of one forecast.

    Parameters
    ----------
    y_true, y_pred : array-like
        Actuals and forecasts over the horizon.
    y_train : array-like
        The series the forecast was fitted on (gives the scale).
    season : int
        Season length of the naive forecast of the scale (7 for daily, 1 for none).

    Returns
    -------
    float
        NaN when the scale is not defined (see :func:`seasonal_scale`).

    Examples
    --------
    >>> mase([3.0, 5.0], [4.0, 4.0], [1.0, 2.0, 4.0, 7.0], season=1)
    0.5
    """
    err = np.mean(np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float)))
    return float(err / seasonal_scale(np.asarray(y_train, float), season))


def smape(y_true, y_pred) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    Examples
    --------
    >>> smape([100.0, 0.0], [50.0, 0.0])
    33.33333333333333
    """
    y = np.asarray(y_true, float)
    f = np.asarray(y_pred, float)
    den = np.abs(y) + np.abs(f)
    ratio = np.divide(2 * np.abs(y - f), den, out=np.zeros_like(den), where=den > 0)
    return float(100 * ratio.mean())


def scales_at(history: pd.DataFrame, cutoffs: pd.Series, season: int) -> pd.DataFrame:
    """The MASE scale of every series at every backtest cutoff, without a loop over series.

    Parameters
    ----------
    history : pandas.DataFrame
        ``unique_id, ds, y``, sorted by series and day, every period present.
    cutoffs : pandas.Series
        The cutoffs (last training period of each fold).
    season : int

    Returns
    -------
    pandas.DataFrame
        ``unique_id, cutoff, scale`` (NaN where not defined).
    """
    h = history.sort_values(["unique_id", "ds"])
    diff = (h["y"] - h.groupby("unique_id", sort=False)["y"].shift(season)).abs()
    h = h.assign(absdiff=diff)
    parts = []
    for cutoff in pd.unique(cutoffs):
        part = h[h["ds"] <= cutoff].groupby("unique_id", observed=True)["absdiff"].mean()
        parts.append(part.rename("scale").reset_index().assign(cutoff=cutoff))
    out = pd.concat(parts, ignore_index=True)
    out["scale"] = out["scale"].where(out["scale"] > 0)
    return out[["unique_id", "cutoff", "scale"]]


def fold_errors(cv: pd.DataFrame, history: pd.DataFrame, models: list[str], season: int):
    """MASE and sMAPE per series, fold and model from a cross-validation frame.

    Parameters
    ----------
    cv : pandas.DataFrame
        ``unique_id, ds, cutoff, y`` and one forecast column per model (as
        :func:`custlens.analytics.forecast.models.cross_validate` returns).
    history : pandas.DataFrame
        The series (``unique_id, ds, y``) the folds were cut from.
    models : list of str
        The forecast columns.
    season : int
        Season length of the MASE scale.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, cutoff, model, mase, smape``.
    """
    scales = scales_at(history, cv["cutoff"], season)
    rows = []
    for model in models:
        err = (cv["y"] - cv[model]).abs()
        den = cv["y"].abs() + cv[model].abs()
        sm = np.divide(2 * err, den, out=np.zeros(len(cv)), where=den.to_numpy() > 0)
        frame = pd.DataFrame(
            {"unique_id": cv["unique_id"], "cutoff": cv["cutoff"], "err": err, "sm": sm}
        )
        agg = frame.groupby(["unique_id", "cutoff"], observed=True).agg(
            mae=("err", "mean"), smape=("sm", "mean")
        )
        agg = agg.reset_index().merge(scales, on=["unique_id", "cutoff"], how="left")
        agg["mase"] = agg["mae"] / agg["scale"]
        agg["smape"] *= 100
        rows.append(agg.assign(model=model)[["unique_id", "cutoff", "model", "mase", "smape"]])
    return pd.concat(rows, ignore_index=True)
