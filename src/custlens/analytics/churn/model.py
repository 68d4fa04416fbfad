"""Churn risk (model): a supervised churn-propensity model; the tiers are in ``churn_tiers``.

Time unit: days. A customer *churns* at a cut-off date when they make no purchase in the next
``horizon_days`` (default 90). Features (:mod:`custlens.analytics.churn.features`) are computed
from rows on or before the cut-off only, so a model trained at one cut-off can be evaluated at a later one:
the split is always by time, never random, and the training labels must end on or before the
evaluation cut-off (otherwise the training set would see the evaluation period).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from custlens.analytics.churn.explain import baseline_reasons, reason_weights, reasons_in
from custlens.analytics.churn.features import (
    ChurnExtras,
    churn_features,
    cutoff_day,
)
from custlens.analytics.churn.orders import prepare_orders
from custlens.analytics.churn.quality import (
    ScoreCalibrator,
    baseline_scores,
    bgnbd_scores,
    brier_score,
    compare_baselines,
    evaluation_report,
    reliability_table,
)
from custlens.analytics.churn.sampling import IMPORTANCE_CUSTOMERS, sample_customers
from custlens.analytics.churn.tiers import (  # noqa: F401  (part of this module's API)
    RISK_LABELS,
    churn_risk_from_p_alive,
    churn_risk_from_silence,
    churn_risk_tiers,
)
from custlens.analytics.churn.tuning import classifier, tune
from custlens.errors import InputError, NotFittedError


def churn_labels(
    orders: pd.DataFrame, customers: pd.Index, cutoff: Any, horizon_days: int = 90
) -> pd.Series:
    """1 when the customer makes no purchase in (cutoff, cutoff + horizon_days], else 0."""
    day = cutoff_day(cutoff, "cutoff")
    end = day + pd.Timedelta(days=horizon_days)
    if orders["order_date"].max() < end:
        raise InputError(
            f"the label window ends {end.date()}, after the last order "
            f"{orders['order_date'].max().date()}: choose an earlier cut-off or a shorter horizon"
        )
    window = orders[(orders["order_date"] > day) & (orders["order_date"] <= end)]
    bought = pd.Index(window["customer_id"].unique())
    return pd.Series((~customers.isin(bought)).astype(int), index=customers, name="churned")


@dataclass
class _Snapshot:
    cutoff: pd.Timestamp
    X: pd.DataFrame
    y: pd.Series


class ChurnPropensityModel:
    """Churn propensity with HistGradientBoostingClassifier, a time split, baselines and
    calibration.

    ``fit(orders, train_cutoff, test_cutoff)`` stacks snapshots at ``train_cutoff`` and up to
    ``n_cutoffs - 1`` earlier cut-offs (``cutoff_step_days`` apart, as far as history allows).
    The latest of them is the validation fold: the snapshots whose labels end before it are fitted
    with each setting of :data:`custlens.analytics.churn.tuning.GRID`, and the setting and
    number of boosting iterations with the lowest validation log loss are kept
    (``params_``); the isotonic calibration is fitted on the validation fold. The model is then
    fitted on every training snapshot (``refit=True``; else on the fit fold only) and evaluated
    at the later ``test_cutoff``: ROC AUC, PR AUC, lift by decile, Brier score, reliability by
    decile, permutation importance, and the baselines of
    :mod:`custlens.analytics.churn.quality` on the same customers and labels. When the model
    does not beat the best baseline, that baseline's ranking is served (``served_``) by
    :meth:`score`. With more than ``max_train_customers`` customers, the snapshots are built
    from a fixed random sample of that many (their orders and activity; the same sample at
    every cut-off, chosen by a hash of the id and ``random_state``): the features of every
    customer at every cut-off took more memory than the data (over 12 GB at 3M customers),
    while a few hundred thousand customers estimate the model as well. :meth:`score` then
    scores every customer. The served probabilities are calibrated on the test snapshot (the latest
    labelled window).

    Examples
    --------
    >>> model = ChurnPropensityModel(horizon_days=90)  # doctest: +SKIP
    >>> model.fit(orders).report_["served"]  # doctest: +SKIP
    'model'
    """

    def __init__(
        self,
        horizon_days: int = 90,
        max_iter: int = 200,
        learning_rate: float = 0.08,
        refit: bool = True,
        n_repeats: int = 3,
        n_cutoffs: int = 6,
        cutoff_step_days: int = 45,
        random_state: int = 0,
        max_train_customers: int | None = 200_000,
    ):
        self.horizon_days = horizon_days
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.refit = refit
        self.n_repeats = n_repeats
        self.n_cutoffs = n_cutoffs
        self.cutoff_step_days = cutoff_step_days
        self.random_state = random_state
        self.max_train_customers = max_train_customers

    def _features(self, orders, cutoff, extras) -> pd.DataFrame:
        """``churn_features`` and the BG/NBD fit at the cut-off (P(alive), P(no purchase in the
        horizon)): the model starts from the best simple ranking instead of competing with it."""
        X = churn_features(orders, cutoff, extras=extras)
        bgnbd = bgnbd_scores(orders, cutoff_day(cutoff, "cutoff"), self.horizon_days)
        if bgnbd is not None:
            X["bgnbd_p_alive"] = bgnbd["p_alive"].reindex(X.index)
            X["bgnbd_no_purchase"] = bgnbd["p_no_purchase"].reindex(X.index)
        return X

    def _snapshot(self, orders, cutoff, extras) -> _Snapshot:
        X = self._features(orders, cutoff, extras)
        y = churn_labels(orders, X.index, cutoff, self.horizon_days)
        if y.nunique() < 2:
            raise InputError(
                f"at the cut-off {cutoff_day(cutoff, 'cutoff').date()} every customer has "
                "the same label: pick another cut-off or horizon"
            )
        return _Snapshot(cutoff_day(cutoff, "cutoff"), X, y)

    def fit(
        self,
        orders: Any,
        train_cutoff: Any = None,
        test_cutoff: Any = None,
        feedback: Any = None,
        extras: ChurnExtras | None = None,
    ) -> ChurnPropensityModel:
        """Fit on snapshots up to ``train_cutoff`` and evaluate at ``test_cutoff``.

        Parameters
        ----------
        orders : DataFrame or pyarrow.Table
            Order lines (customer_id, order_date, amount, order_id?, category?).
        train_cutoff, test_cutoff : date or str, optional
            Default: the latest cut-offs whose label windows fit in the data.
        feedback : DataFrame, optional
            Feedback rows (complaints, ratings).
        extras : ChurnExtras, optional
            Returns, behaviour events, campaign responses.

        Returns
        -------
        ChurnPropensityModel
            ``self``, with ``report_``, ``served_``, ``model_``, ``calibrator_``, ``params_``.
        """
        orders = prepare_orders(orders)
        extras = extras or ChurnExtras()
        if feedback is not None:
            extras.feedback = feedback
        last = orders["order_date"].max()  # (the cut-offs follow all the data, not the sample)
        orders, extras, self.train_sample_ = sample_customers(
            orders, extras, self.max_train_customers, self.random_state
        )
        # below ~100k customers OpenMP threads cost more than they give (badly so on a busy host)
        threads = None if orders["customer_id"].nunique() > 100_000 else 1
        with threadpool_limits(limits=threads):
            return self._fit(orders, train_cutoff, test_cutoff, extras, last)

    def _training_snapshots(self, orders, train, extras) -> list[_Snapshot]:
        """Snapshots at ``train`` and earlier cut-offs ``cutoff_step_days`` apart (latest
        first), while at least 30 days of history and both labels remain."""
        first = orders["order_date"].min()
        step = pd.Timedelta(days=self.cutoff_step_days)
        snaps = []
        for k in range(max(1, self.n_cutoffs)):
            c = train - k * step
            if c - pd.Timedelta(days=30) < first and snaps:
                break
            try:
                snaps.append(self._snapshot(orders, c, extras))
            except InputError:
                if not snaps:
                    raise
                break
        return snaps

    def _fit(self, orders, train_cutoff, test_cutoff, extras, last) -> ChurnPropensityModel:
        from sklearn.inspection import permutation_importance

        horizon = pd.Timedelta(days=self.horizon_days)
        test = cutoff_day(test_cutoff, "test_cutoff") if test_cutoff is not None else last - horizon
        train = (
            cutoff_day(train_cutoff, "train_cutoff") if train_cutoff is not None else test - horizon
        )
        if train + horizon > test:
            raise InputError(
                f"label leakage: the training labels run to {(train + horizon).date()}, after "
                f"the test cut-off {test.date()}; use train_cutoff <= test_cutoff - "
                f"{self.horizon_days} days"
            )
        snaps = self._training_snapshots(orders, train, extras)
        te = self._snapshot(orders, test, extras)
        names = [c for c in snaps[0].X.columns if c in te.X.columns]
        fit_X, fit_y, val_X, val_y = _folds(snaps, names, horizon, self.random_state)
        # a feature with one value (or none) in the fit fold cannot split anything
        names = [c for c in names if fit_X[c].nunique() > 1]
        fit_X, val_X = fit_X[names], val_X[names]
        self.feature_names_ = names
        self.params_, self.tuning_, val_pred = tune(
            fit_X, fit_y, val_X, val_y, self.max_iter, self.learning_rate, self.random_state
        )
        self.n_iter_ = self.params_["max_iter"]
        rates = [float(s.y.mean()) for s in snaps]
        cal = ScoreCalibrator().fit(val_pred, val_y.to_numpy(), float(np.mean(rates)))
        if self.refit:  # every training snapshot (all labels end by the test cut-off)
            fit_X = pd.concat([s.X[names] for s in snaps])
            fit_y = pd.concat([s.y for s in snaps])
        hyper = {k: v for k, v in self.params_.items() if k != "max_iter"}
        self.model_ = classifier(hyper, self.n_iter_, self.learning_rate, self.random_state)
        self.model_.fit(fit_X, fit_y)
        Xt, yt = te.X[names], te.y.to_numpy()
        raw = self.model_.predict_proba(Xt)[:, 1]
        prob = cal.predict(raw)
        imp = permutation_importance(
            self.model_,
            Xt,
            yt,
            scoring="roc_auc",
            n_repeats=self.n_repeats,
            random_state=self.random_state,
            # the drivers' ranking is estimated as well on 50,000 customers as on millions
            max_samples=min(len(yt), IMPORTANCE_CUSTOMERS),
        )
        base = baseline_scores(orders, te.X, test, self.horizon_days)
        self.report_ = evaluation_report(yt, raw)
        self.report_.update(compare_baselines(yt, raw, base))
        self.report_.update(
            brier=brier_score(yt, prob),
            brier_uncalibrated=brier_score(yt, raw),
            calibration_base_rate=cal.target_rate_,
            reliability=reliability_table(yt, prob),
            train_cutoffs=[str(s.cutoff.date()) for s in snaps],
            train_cutoff=str(train.date()),
            test_cutoff=str(test.date()),
            train_label_end=str((train + horizon).date()),
            test_label_end=str((test + horizon).date()),
            horizon_days=self.horizon_days,
            n_iter=self.n_iter_,
            model_params=self.params_,
            train_customers=len(fit_y),
            train_sample=self.train_sample_,
            test_customers=len(yt),
            train_churn_rate=float(fit_y.mean()),
            validation_churn_rate=float(val_y.mean()),
            test_churn_rate=float(yt.mean()),
            top_drivers=sorted(
                (
                    {"feature": f, "importance": float(m), "std": float(s)}
                    for f, m, s in zip(
                        names, imp.importances_mean, imp.importances_std, strict=True
                    )
                ),
                key=lambda d: -d["importance"],
            ),
        )
        self.served_ = self.report_["served"]
        served_score = raw if self.served_ == "model" else base[self.served_].to_numpy()
        # the served probabilities are calibrated on the latest labelled window (the test one)
        self.calibrator_ = ScoreCalibrator().fit(
            served_score, yt, float(np.mean([*rates, yt.mean()]))
        )
        return self

    def score(
        self,
        orders: Any,
        cutoff: Any = None,
        feedback: Any = None,
        high_at: float = 0.7,
        low_below: float = 0.3,
        lang: str = "zh",
        extras: ChurnExtras | None = None,
    ) -> pd.DataFrame:
        """Served churn probability, risk tier and reasons per customer at ``cutoff``.

        Parameters
        ----------
        orders : DataFrame or pyarrow.Table
            Order lines.
        cutoff : date or str, optional
            Default: the last order date.
        feedback, extras : optional
            As for :meth:`fit`.
        high_at, low_below : float
            Tier thresholds on the churn probability.
        lang : str
            ``zh`` or ``en`` for the labels and reasons.

        Returns
        -------
        pandas.DataFrame
            churn_probability (calibrated, from the served ranking), churn_risk,
            churn_risk_label, churn_reasons and the features; attrs cutoff, horizon_days and
            served.
        """
        return self.score_languages(
            orders, cutoff, feedback, high_at, low_below, (lang,), extras=extras
        )[lang]

    def score_languages(
        self,
        orders: Any,
        cutoff: Any = None,
        feedback: Any = None,
        high_at: float = 0.7,
        low_below: float = 0.3,
        langs: tuple[str, ...] = ("zh", "en"),
        extras: ChurnExtras | None = None,
        with_features: bool = True,
    ) -> dict[str, pd.DataFrame]:
        """:meth:`score` in each of ``langs``: the features, probabilities and reason weights
        are computed once (the labels and reasons are text). ``with_features=False`` leaves
        the features out of the frames (a copy of them per language: ~250 MB each at 1M
        customers)."""
        if not hasattr(self, "model_"):
            raise NotFittedError("ChurnPropensityModel is not fitted yet: call fit() first")
        orders = prepare_orders(orders)
        extras = extras or ChurnExtras()
        if feedback is not None:
            extras.feedback = feedback
        day = cutoff_day(cutoff, "cutoff") if cutoff is not None else orders["order_date"].max()
        X = self._features(orders, day, extras)
        missing = set(self.feature_names_) - set(X.columns)
        if missing:
            raise InputError(f"features missing at scoring: {', '.join(sorted(missing))}")
        Xf = X[self.feature_names_]
        if self.served_ == "model":
            raw = self.model_.predict_proba(Xf)[:, 1]
            weights = reason_weights(self.model_, Xf)
            reasons = {lang: reasons_in(weights, Xf, lang) for lang in langs}
        else:
            raw = baseline_scores(orders, X, day, self.horizon_days)[self.served_].to_numpy()
            reasons = {lang: baseline_reasons(X, self.served_, lang) for lang in langs}
        prob = pd.Series(self.calibrator_.predict(raw), index=X.index, name="churn_probability")
        out = {}
        for lang in langs:
            tiers = churn_risk_tiers(prob, high_at, low_below, lang)
            out[lang] = pd.concat(
                [prob, tiers, reasons[lang], *([X] if with_features else [])], axis=1
            )
            out[lang].attrs.update(
                cutoff=str(day.date()), horizon_days=self.horizon_days, served=self.served_
            )
        return out


def _folds(snaps: list[_Snapshot], names: list[str], horizon: pd.Timedelta, seed: int):
    """Fit and validation folds. The validation fold is the latest snapshot; the fit fold the
    snapshots whose labels end on or before its cut-off (so the validation labels are unseen),
    or, when there are none, a random three quarters of the latest snapshot's customers."""
    rest = [s for s in snaps[1:] if s.cutoff + horizon <= snaps[0].cutoff]
    if rest:
        X = pd.concat([s.X[names] for s in rest])
        y = pd.concat([s.y for s in rest])
        return X, y, snaps[0].X[names], snaps[0].y
    X, y = snaps[0].X[names], snaps[0].y
    val = np.random.default_rng(seed).random(len(y)) < 0.25
    return X[~val], y[~val], X[val], y[val]
