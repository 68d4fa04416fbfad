"""Campaign sensitivity's two values over everyone, kept between ingestion micro-batches.

The participation rate of all exposed customers is computed again only when the campaign
tables change; the last order day only when orders change in a way the micro-batch does not
explain (rows of another import, rows updated or removed), or when the touched customers' own
last order day is earlier than the kept one. Otherwise it is that day: the other customers'
orders did not change, so none of theirs is later. An unchanged table is told by its row count
and latest ``import_id`` (every write of a row sets it).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from custlens.store.sql import quote_name

# rows and latest import of the tables the two values read: every write of a row sets its
# ``import_id``, so equal numbers mean unchanged tables
FINGERPRINT_SQL = "SELECT " + ", ".join(
    f"(SELECT [count(*), coalesce(max(import_id), 0)] FROM {quote_name(t)})"
    for t in ("orders", "campaign_responses", "campaigns")
)


class Population:
    """The two values of campaign sensitivity over everyone (the participation rate of all
    exposed customers, the last order day), kept between micro-batches of one
    :class:`~custlens.web.ingest_profiles.Plan`.

    Parameters
    ----------
    overall_sql, last_day_sql : str
        :func:`~custlens.analytics.campaigns.sensitivity.overall_expr` and
        :func:`~custlens.analytics.campaigns.sensitivity.last_day_expr` over everyone.
    """

    def __init__(self, overall_sql: str, last_day_sql: str) -> None:
        self.overall_sql, self.last_day_sql = overall_sql, last_day_sql
        self._overall: tuple[Any, float] | None = None  # (campaign tables' fingerprint, rate)
        self._last_day: tuple[Any, Any] | None = None  # (orders' fingerprint, day)
        self.computed = 0  # aggregates over everyone run (a test reads it)

    def values(self, con: Any, touched_last: Any, order_imports: list[int]) -> tuple[Any, Any]:
        """``(overall, last_day)`` now, as
        :func:`~custlens.analytics.campaigns.sensitivity.population_expr` over everyone gives them.

        Parameters
        ----------
        con : duckdb.DuckDBPyConnection
            The workspace's connection.
        touched_last : date or None
            The latest ``last_order`` of the touched customers (their ``history``).
        order_imports : list of int
            The imports of orders of this micro-batch.
        """
        orders, *campaigns = con.execute(FINGERPRINT_SQL).fetchone()
        if self._overall is None or self._overall[0] != campaigns:
            self.computed += 1
            self._overall = (campaigns, con.execute(self.overall_sql).fetchone()[0])
        if self._last_day is None or self._last_day[0] != orders:
            touched_last = None if touched_last is None else pd.Timestamp(touched_last)
            day = None
            if self._last_day is not None and touched_last is not None:
                (rows, latest), kept = self._last_day
                later = kept is None or touched_last >= kept
                if later and _only_these_imports(con, rows, latest, orders[0], order_imports):
                    day = touched_last
            if day is None:
                self.computed += 1
                day = con.execute(self.last_day_sql).fetchone()[0]
                day = None if day is None else pd.Timestamp(day)
            self._last_day = (orders, day)
        return self._overall[1], self._last_day[1]


def _only_these_imports(con: Any, rows: int, latest: int, now: int, imports: list[int]) -> bool:
    """Whether, since orders held ``rows`` rows whose latest import was ``latest`` (now
    ``now`` rows), the only writes were rows added by ``imports``: no row of another import,
    none updated (an update sets the import) or removed."""
    if not imports:
        return False
    written, others = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT list_contains(?, import_id)) "
        "FROM orders WHERE import_id > ?",
        [imports, latest],
    ).fetchone()
    return others == 0 and written == now - rows
