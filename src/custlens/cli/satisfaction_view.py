"""Headers and row helpers of `custlens satisfaction ...` (tables in the workspace's language)."""

from __future__ import annotations

from typing import Any

HEADERS = {
    "group": "Group",
    "nps_answers": "NPS answers",
    "promoters": "Promoters",
    "passives": "Passives",
    "detractors": "Detractors",
    "nps": "NPS",
    "nps_low": "NPS 95% low",
    "nps_high": "NPS 95% high",
    "ratings": "Ratings",
    "csat": "CSAT",
    "avg_rating": "Average rating",
    "complaints": "Complaints",
    "per_1000_orders": "Complaints per 1,000 orders",
    "resolved": "Resolved",
    "resolution_rate": "Resolution rate",
    "complainers": "Complainers",
    "repeat_complainers": "Repeat complainers",
    "complaint_type": "Complaint type",
    "share": "Share",
    "nps_group": "NPS group",
    "customers": "Customers",
    "churned": "Churned",
    "churn_rate": "Churn rate",
    "sentiment_score": "Sentiment score",
    "sentiment_label": "Sentiment",
    "aspect": "Aspect",
    "mentions": "Mentions",
    "avg_sentiment": "Average sentiment",
    "negative_share": "Negative share",
    "revenue_rank": "Revenue rank",
    "term": "Term",
    "odds_ratio": "Odds ratio",
    "ci_low": "95% low",
    "ci_high": "95% high",
    "p_value": "p value",
}


def customer_groups(ws: Any, by: Any) -> Any:
    """The customer groups of --by segment / stage, from the last `custlens analyze`."""
    from custlens.store.results import require_run, stored

    if by.value not in ("segment", "stage"):
        return None
    require_run(ws)
    if by.value == "segment":
        t = stored(ws, "rfm_scores")
        return t.select("customer_id", group=t.segment_code)
    t = stored(ws, "customer_lifecycle")
    return t.select("customer_id", group=t.stage_code)


def plain_rows(frame: Any) -> list[dict]:
    """Rows of a pandas frame for ``emit``: floats rounded to 4 places, missing as None."""
    floats = frame.select_dtypes("float").columns
    frame = frame.assign(**{c: frame[c].round(4) for c in floats})
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def code_words(rows: list[dict], columns: tuple[str, ...], lang: str) -> list[dict]:
    """Codes of ``columns`` as words of ``lang`` (terminal tables only)."""
    from custlens.i18n import gettext

    return [
        {k: gettext(v, lang) if k in columns and isinstance(v, str) else v for k, v in r.items()}
        for r in rows
    ]
