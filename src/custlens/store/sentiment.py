"""Review sentiment stored with the feedback (columns ``sentiment_score`` and
``sentiment_label`` of the ``feedback`` table).

A review is scored once: after the import that brings it (or changes it: an updated row's
sentiment is cleared by the import) and, in a workspace made before sentiment was stored,
by the next import or analysis. Readers (tag features, 客户360, `custlens satisfaction
reviews`) then read the stored values instead of running the model again.

The scorer is passed in (``custlens.analytics.satisfaction.sentiment.score_sentiment``): the
store does not depend on the analyses. A text the model cannot score (only blanks) is stored
with a NaN score and no label, so it is not scored again either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from custlens.store.mirror import follow

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

SENTIMENT_COLUMNS = ("sentiment_score", "sentiment_label")
# the feedback rows a scorer reads: reviews with a text
REVIEWS_SQL = "feedback_type = 'review' AND text IS NOT NULL"
UNSCORED_SQL = f"{REVIEWS_SQL} AND sentiment_score IS NULL"


def unscored_reviews(ws: Workspace) -> int:
    """How many reviews have no stored sentiment yet.

    Parameters
    ----------
    ws : Workspace
        The workspace.

    Returns
    -------
    int
    """
    return ws.con.execute(f"SELECT count(*) FROM feedback WHERE {UNSCORED_SQL}").fetchone()[0]


def store_sentiment(ws: Workspace, scorer: Callable[[Sequence[str | None]], Any]) -> int:
    """Score the reviews that have no stored sentiment yet and store score and label.

    Reviews already scored are not read again: a second call, or a re-import of the same
    file, runs no model. The Parquet mirror of ``feedback`` is rewritten when rows were
    scored.

    Parameters
    ----------
    ws : Workspace
        The workspace, open for writing.
    scorer : callable
        Texts -> a frame with ``sentiment_score`` and ``sentiment_label``, one row per text
        in order (:func:`custlens.analytics.satisfaction.sentiment.score_sentiment`).

    Returns
    -------
    int
        The number of reviews scored.

    Examples
    --------
    >>> import pandas as pd
    >>> from custlens.store.workspace import init_workspace
    >>> import tempfile, pathlib
    >>> ws = init_workspace(pathlib.Path(tempfile.mkdtemp()) / "ws")
    >>> _ = ws.con.execute("INSERT INTO feedback (feedback_key, feedback_type, text) "
    ...     "VALUES ('F1', 'review', '很好'), ('F2', 'complaint', '太慢')")
    >>> fake = lambda texts: pd.DataFrame({"sentiment_score": [0.9] * len(texts),
    ...     "sentiment_label": ["positive"] * len(texts)})
    >>> store_sentiment(ws, fake), store_sentiment(ws, fake)
    (1, 0)
    >>> ws.con.execute("SELECT feedback_key, sentiment_label FROM feedback "
    ...     "ORDER BY 1").fetchall()
    [('F1', 'positive'), ('F2', None)]
    >>> ws.close()
    """
    import numpy as np
    import pyarrow as pa

    rows = ws.con.execute(
        f"SELECT feedback_key, text FROM feedback WHERE {UNSCORED_SQL}"
    ).fetch_arrow_table()
    if rows.num_rows == 0:
        return 0
    scored = scorer(rows["text"].to_pylist())
    # NaN (not NULL) for a text the model cannot score: scored, so not scored again
    score = np.asarray(scored["sentiment_score"], dtype=float)
    values = pa.table(
        {
            "feedback_key": rows["feedback_key"],
            "sentiment_score": pa.array(score, pa.float64()),
            "sentiment_label": pa.array(scored["sentiment_label"], pa.string(), from_pandas=True),
        }
    )
    with ws.transaction() as con:
        con.register("_scored_sentiment", values)
        try:
            con.execute(
                "UPDATE feedback SET sentiment_score = s.sentiment_score, "
                "sentiment_label = s.sentiment_label FROM _scored_sentiment s "
                "WHERE feedback.feedback_key = s.feedback_key"
            )
        finally:
            con.unregister("_scored_sentiment")
    follow(ws, "feedback")
    return rows.num_rows
