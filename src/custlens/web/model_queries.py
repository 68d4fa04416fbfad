"""What the CLV与流失 page, 客户360 and the API show of the models stored by `custlens analyze`.

The models are fitted once on the whole workspace (:mod:`custlens.store.models`); here their
quality summaries are read as stored (the same for every user, labelled as the whole
workspace's) and the per-customer scores through the principal's row filters, so a 广东
analyst sees the stored scores of 广东 customers only.
"""

from __future__ import annotations

from typing import Any

from custlens.analytics.churn.tiers import RISK_LABELS, TIERS
from custlens.charts import basic
from custlens.i18n import gettext
from custlens.store.models import run_scores, stored_models
from custlens.web.queries import Scope


def models_of(source: Any) -> dict[str, dict[str, Any]]:
    """The stored model summaries (:func:`custlens.store.models.stored_models`) of an
    unrestricted scoped workspace."""
    return stored_models(source)


def run_note(stored: dict[str, Any], lang: str) -> dict[str, Any]:
    """Which run the scores come from, that the models are the whole workspace's, and whether
    data was imported after that run."""
    note = gettext(
        "Scores and model figures from analysis run {run_id} as of {as_of}: the models are "
        "fitted once on all of the workspace's data.",
        lang,
        run_id=stored["run_id"],
        as_of=stored["as_of"],
    )
    stale = None
    if stored["stale"]:
        stale = gettext(
            "Data was imported after run {run_id}: run the analysis again to update the scores.",
            lang,
            run_id=stored["run_id"],
        )
    return {"run_id": stored["run_id"], "as_of": stored["as_of"], "text": note, "stale": stale}


def _labelled(rows: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """``rows`` with the display name of their churn-risk tier."""
    return [{**r, "churn_risk_label": gettext(RISK_LABELS[r["churn_risk"]], lang)} for r in rows]


def clv_view(scope: Scope, stored: dict[str, Any], lang: str = "zh") -> dict[str, Any]:
    """The CLV page's data from the stored run: the whole workspace's fit, check and
    parameters, and the tiers, top customers and tier ids of the customers ``scope`` sees.

    Parameters
    ----------
    scope : ScopedWorkspace
        The principal's row-filtered workspace.
    stored : dict
        The ``clv`` entry of :func:`models_of`.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    dict
        fit, quality, quality_spec, params, churn_risk (as stored), tiers, spec, top, ids and
        run (:func:`run_note`); ``error`` alone when the run could not fit the models.
    """
    summary = stored["summary"]
    if "error" in summary:
        return {"error": summary["error"][lang], "run": run_note(stored, lang)}
    scores = run_scores(scope.table("customer_scores"), "clv", stored["run_id"])
    scores = scores.filter(scores.clv_churn_risk.notnull())
    tiers = (
        scores.group_by(churn_risk=scores.clv_churn_risk)
        .aggregate(
            customers=scores.count(),
            mean_p_alive=scores.p_alive.mean(),
            min_p_alive=scores.p_alive.min(),
            max_p_alive=scores.p_alive.max(),
            mean_clv=scores.clv.mean(),
            total_clv=scores.clv.sum(),
        )
        .to_pyarrow()
        .to_pylist()
    )
    order = {t: i for i, t in enumerate(TIERS)}
    tiers = _labelled(sorted(tiers, key=lambda r: order[r["churn_risk"]]), lang)
    data = dict(summary[lang])
    heading = data["churn_risk"]["label"]
    top = (
        scores.order_by([scores.clv.desc(), scores.customer_id])
        .limit(20)
        .select("customer_id", "p_alive", "clv", churn_risk=scores.clv_churn_risk)
        .to_pyarrow()
        .to_pylist()
    )
    return {
        **data,
        "tiers": tiers,
        "spec": basic.bar(
            tiers,
            "churn_risk_label",
            "customers",
            gettext("Customers per churn risk", lang),
            heading,
            gettext("Customers", lang),
        ),
        "top": _labelled(top, lang),
        "run": run_note(stored, lang),
    }


def tier_ids(scope: Scope, stored: dict[str, Any], tier: str) -> list[str]:
    """The customers ``scope`` sees in one churn-risk tier of the stored CLV scores."""
    scores = run_scores(scope.table("customer_scores"), "clv", stored["run_id"])
    ids = scores.filter(scores.clv_churn_risk == tier).select("customer_id").to_pyarrow()
    return ids.column(0).to_pylist()


def churn_view(stored: dict[str, Any], lang: str = "zh") -> tuple[dict | None, str | None]:
    """The churn model's quality figures as stored (the whole workspace's), or why there are
    none."""
    summary = stored["summary"]
    if "error" in summary:
        return None, summary["error"][lang]
    return {**summary[lang], "run": run_note(stored, lang)}, None


def customer_models(
    con: Any, scoped_sql: Any, cid: str, stored: dict[str, dict[str, Any]], lang: str
) -> tuple[dict | None, dict | None]:
    """One customer's stored CLV and churn scores (客户360), read within the principal's rows.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A cursor.
    scoped_sql : callable
        ``(table, cid, columns) -> (sql, params)`` of that customer's rows within the
        principal's row filters.
    cid : str
        The customer.
    stored : dict
        :func:`models_of`.
    lang : str
        ``zh`` or ``en``.

    Returns
    -------
    tuple
        ``clv`` (p_alive, expected purchases and spend, clv, churn_risk, churn_risk_label) and
        ``churn`` (churn_probability, churn_risk, churn_risk_label, churn_reasons,
        served_label), each None when the stored run did not score the customer.
    """
    cols = (
        "p_alive",
        "expected_purchases_90d",
        "expected_purchases_365d",
        "expected_spend",
        "clv",
        "clv_churn_risk",
        "clv_run_id",
        "churn_probability",
        "churn_risk",
        "churn_run_id",
        f"churn_reasons_{lang}",
    )
    sql, params = scoped_sql("customer_scores", cid, cols)
    row = con.execute(f"SELECT {', '.join(cols)} FROM ({sql}) LIMIT 1", params).fetchone()
    if row is None:
        return None, None
    r = dict(zip(cols, row, strict=True))
    clv = churn = None
    if "clv" in stored and r["clv_run_id"] == stored["clv"]["run_id"] and r["clv_churn_risk"]:
        clv = {k: r[k] for k in cols[:5]} | {
            "churn_risk": r["clv_churn_risk"],
            "churn_risk_label": gettext(RISK_LABELS[r["clv_churn_risk"]], lang),
        }
    summary = stored.get("churn", {}).get("summary", {})
    if lang in summary and r["churn_run_id"] == stored["churn"]["run_id"]:
        churn = {
            "churn_probability": r["churn_probability"],
            "churn_risk": r["churn_risk"],
            "churn_risk_label": gettext(RISK_LABELS[r["churn_risk"]], lang),
            "churn_reasons": r[f"churn_reasons_{lang}"],
            "served_label": summary[lang]["served_label"],
        }
    return clv, churn
