"""The workspace's first schema migrations, v1 to v9, and the table shapes they build on.

:mod:`custlens.store.migrations` lists every migration (``MIGRATIONS``) and holds the later
ones; these are the oldest, kept apart so that each module stays short. Each migration is a
function returning the SQL statements of one version, applied in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from custlens.schema.returns import BASE_NET_AMOUNT_SQL, BASE_NET_QUANTITY_SQL
from custlens.schema.tables import TABLES, Table
from custlens.store.search import search_index_sql
from custlens.store.sql import quote_name

# system columns appended to each canonical table
SYSTEM_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "customers": [
        ("created_at", "TIMESTAMP"),
        ("updated_at", "TIMESTAMP"),
        ("import_id", "INTEGER"),
    ],
    "orders": [
        ("order_line_key", "VARCHAR"),
        ("order_date", "DATE"),
        ("row_flags", "VARCHAR"),  # row-level warnings found at import
        ("needs_review", "BOOLEAN DEFAULT FALSE"),
        ("review_reasons", "VARCHAR"),
        ("import_id", "INTEGER"),
        ("source_row", "INTEGER"),
        ("return_of", "VARCHAR"),  # a return line: the order_line_key of the sale it reverses
        ("net_quantity", "INTEGER"),  # a sale line after its returns (custlens.schema.returns)
        ("net_amount", "DECIMAL(18,2)"),
    ],
    "events": [("event_key", "VARCHAR"), ("event_date", "DATE"), ("import_id", "INTEGER")],
    "campaigns": [("import_id", "INTEGER")],
    "campaign_responses": [("import_id", "INTEGER")],
    "feedback": [
        ("feedback_key", "VARCHAR"),
        ("import_id", "INTEGER"),
        # a review's sentiment, scored once after its import (custlens.store.sentiment)
        ("sentiment_score", "DOUBLE"),
        ("sentiment_label", "VARCHAR"),
    ],
}


def table_ddl(table: Table) -> str:
    """The ``CREATE TABLE`` statement of a canonical table, its system columns appended."""
    cols = [f"{quote_name(c.name)} {c.sql_type}" for c in table.columns]
    cols += [f"{quote_name(n)} {t}" for n, t in SYSTEM_COLUMNS[table.name]]
    return f"CREATE TABLE {quote_name(table.name)} (\n  " + ",\n  ".join(cols) + "\n)"


def _v1() -> list[str]:
    stmts = [table_ddl(t) for t in TABLES.values()]
    stmts += [
        """CREATE TABLE import_log (
            import_id INTEGER PRIMARY KEY,
            table_name VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            rows_read BIGINT, rows_inserted BIGINT, rows_updated BIGINT,
            rows_unchanged BIGINT, rows_rejected BIGINT, rows_duplicate BIGINT,
            problems VARCHAR,            -- JSON {code: count}
            rejects_file VARCHAR,
            status VARCHAR NOT NULL      -- ok | partial | failed
        )""",
        """CREATE TABLE import_problems (
            import_id INTEGER, source_row INTEGER, column_name VARCHAR,
            code VARCHAR, severity VARCHAR, value VARCHAR
        )""",
        """CREATE TABLE customer_history (
            customer_id VARCHAR, column_name VARCHAR, old_value VARCHAR, new_value VARCHAR,
            changed_at TIMESTAMP, import_id INTEGER
        )""",
        "CREATE SEQUENCE import_id_seq START 1",
    ]
    return stmts


def _v2() -> list[str]:
    """Users and audit trail used by the permission model (web and CLI)."""
    return [
        """CREATE TABLE users (
            username VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL, role VARCHAR NOT NULL,
            row_filters VARCHAR, disabled BOOLEAN DEFAULT FALSE, created_at TIMESTAMP
        )""",
        """CREATE TABLE audit_log (
            logged_at TIMESTAMP NOT NULL, username VARCHAR, action VARCHAR NOT NULL,
            detail VARCHAR, ip VARCHAR
        )""",
    ]


def _v3() -> list[str]:
    """Stored customer-value results: metrics, RFM, lifecycle, tags with history, clusters."""
    return [
        """CREATE TABLE analysis_runs (
            run_id INTEGER PRIMARY KEY, as_of DATE NOT NULL, engine VARCHAR,
            started_at TIMESTAMP, finished_at TIMESTAMP, customers BIGINT, tags BIGINT,
            params VARCHAR               -- JSON: the settings used
        )""",
        "CREATE SEQUENCE analysis_run_seq START 1",
        """CREATE TABLE customer_metrics (
            run_id INTEGER, customer_id VARCHAR PRIMARY KEY, as_of DATE,
            first_order_date DATE, last_order_date DATE, orders BIGINT, order_days BIGINT,
            lines BIGINT, items BIGINT, revenue DECIMAL(18,2), aov DOUBLE,
            recency_days INTEGER, tenure_days INTEGER, orders_per_month DOUBLE,
            is_repeat BOOLEAN, mean_interpurchase_days DOUBLE,
            revenue_recent DECIMAL(18,2), revenue_previous DECIMAL(18,2),
            revenue_year DECIMAL(18,2), spend_growth DOUBLE, new_product_share DOUBLE,
            discounted_order_share DOUBLE, discount_rate DOUBLE, campaign_order_share DOUBLE,
            campaigns_joined BIGINT, main_channel VARCHAR, channel_count BIGINT,
            favourite_category VARCHAR, avg_unit_price DOUBLE, price_band VARCHAR,
            peak_hour INTEGER, active_hour INTEGER
        )""",
        """CREATE TABLE rfm_scores (
            run_id INTEGER, customer_id VARCHAR PRIMARY KEY, as_of DATE,
            recency_days INTEGER, frequency BIGINT, monetary DECIMAL(18,2),
            r_score INTEGER, f_score INTEGER, m_score INTEGER, rfm_code VARCHAR,
            r_high BOOLEAN, f_high BOOLEAN, m_high BOOLEAN,
            segment VARCHAR, segment_code VARCHAR, value_group VARCHAR, value_group_code VARCHAR
        )""",
        """CREATE TABLE customer_lifecycle (
            run_id INTEGER, customer_id VARCHAR PRIMARY KEY, as_of DATE,
            stage VARCHAR, stage_code VARCHAR
        )""",
        """CREATE TABLE customer_tags (
            customer_id VARCHAR NOT NULL, tag VARCHAR NOT NULL, category VARCHAR,
            source VARCHAR NOT NULL,     -- rule | import | manual
            weight DOUBLE, valid_from DATE NOT NULL, valid_to DATE,  -- open while valid_to IS NULL
            run_id INTEGER
        )""",
        """CREATE TABLE manual_tags (
            customer_id VARCHAR NOT NULL, tag VARCHAR NOT NULL, category VARCHAR,
            weight DOUBLE, action VARCHAR NOT NULL,   -- add | remove (hides an imported tag)
            updated_at TIMESTAMP, updated_by VARCHAR,
            PRIMARY KEY (customer_id, tag)
        )""",
        """CREATE TABLE clusters (
            run_id INTEGER, cluster INTEGER PRIMARY KEY, name VARCHAR, name_en VARCHAR,
            customers BIGINT, share DOUBLE, recency_days DOUBLE, orders DOUBLE,
            revenue DOUBLE, profile VARCHAR           -- JSON: centroid and means per column
        )""",
        """CREATE TABLE customer_clusters (
            run_id INTEGER, customer_id VARCHAR PRIMARY KEY, cluster INTEGER, cluster_name VARCHAR
        )""",
    ]


def _v4() -> list[str]:
    """API tokens for scripts (hashed, revocable), used by the web API."""
    return [
        """CREATE TABLE IF NOT EXISTS api_tokens (
            token_id VARCHAR PRIMARY KEY, token_hash VARCHAR NOT NULL, username VARCHAR NOT NULL,
            name VARCHAR, created_at TIMESTAMP, last_used_at TIMESTAMP,
            revoked BOOLEAN DEFAULT FALSE
        )"""
    ]


def _v5() -> list[str]:
    """Per-customer CLV and churn scores, kept so tags, strategies and pages can use them."""
    return [
        """CREATE TABLE customer_scores (
            customer_id VARCHAR PRIMARY KEY,
            p_alive DOUBLE, expected_purchases_90d DOUBLE, expected_purchases_365d DOUBLE,
            expected_spend DOUBLE, clv DOUBLE, clv_scored_at TIMESTAMP, clv_model VARCHAR,
            churn_probability DOUBLE, churn_risk VARCHAR, churn_scored_at TIMESTAMP,
            churn_method VARCHAR
        )"""
    ]


# per-customer look-ups of the 客户360 page and the API: an ART index on customer_id
CUSTOMER_INDEXES = ("customers", "orders", "events", "feedback")


def _v6() -> list[str]:
    """Fast per-customer reads at millions of rows (web 客户360, customer search).

    * ART indexes on ``customer_id`` of customers, orders, events and feedback: one
      customer's rows are found without scanning the table (orders and events stay in
      time order, which period queries rely on).
    * ``customer_tags`` rewritten in customer order (analysis runs append new assignments
      in customer order too): zone maps then find one customer's tags in a row group or two,
      without the size and write cost of an index on millions of tag rows.
    * the customer search index (:mod:`custlens.store.search`).
    """
    stmts = [f"CREATE INDEX {t}_customer_idx ON {t} (customer_id)" for t in CUSTOMER_INDEXES]
    stmts += [
        "CREATE TEMP TABLE _v6_tags AS SELECT * FROM customer_tags",
        "DELETE FROM customer_tags",
        "INSERT INTO customer_tags SELECT * FROM _v6_tags ORDER BY customer_id, valid_from, tag",
        "DROP TABLE _v6_tags",
    ]
    return stmts + search_index_sql()


def _v7() -> list[str]:
    """Signed-in web sessions (hashed ids), so a restart of the web server keeps users
    logged in (see custlens.web.session_persist)."""
    return [
        """CREATE TABLE IF NOT EXISTS web_sessions (
            token_hash VARCHAR PRIMARY KEY, username VARCHAR NOT NULL, csrf VARCHAR NOT NULL,
            created_at DOUBLE NOT NULL, last_seen DOUBLE NOT NULL   -- epoch seconds
        )"""
    ]


def _v8() -> list[str]:
    """Imports write less.

    * No stored ``content_hash``: nothing read it (re-imports compare the columns
      themselves), and its MD5 of every row was a fifth of an import's write time.
    * The customer_id indexes of v6 are left to whoever serves the workspace
      (:mod:`custlens.store.serving`, the web app at start): the analyses scan and never use
      them, and keeping them cost a first import about 1 s per million order lines.
    """
    stmts = [f"DROP INDEX IF EXISTS {t}_customer_idx" for t in CUSTOMER_INDEXES]
    for t in ("customers", "orders", "campaigns", "campaign_responses", "feedback"):
        stmts.append(f"ALTER TABLE {t} DROP COLUMN IF EXISTS content_hash")
    return stmts


def _v9() -> list[str]:
    """Order lines keyed by (order_id, line_no); returns and cancellations.

    * ``original_order_id`` (a canonical column), ``return_of``, ``net_quantity`` and
      ``net_amount`` (see :mod:`custlens.schema.returns`); stored lines get their net values.
    * Lines stored without a line number were keyed by their product; they get their
      position within the order (in import and file order) as line number and key, as an
      import now gives them, so re-importing the same file still changes nothing.
    """
    return [
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS original_order_id VARCHAR",
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS return_of VARCHAR",
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS net_quantity INTEGER",
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS net_amount DECIMAL(18,2)",
        f"UPDATE orders SET net_quantity = {BASE_NET_QUANTITY_SQL}, "
        f"net_amount = {BASE_NET_AMOUNT_SQL}",
        "UPDATE orders SET line_no = p.pos, order_line_key = orders.order_id || '#' || p.pos "
        "FROM (SELECT order_line_key AS k, row_number() OVER (PARTITION BY order_id "
        "ORDER BY import_id, source_row, order_line_key) AS pos FROM orders "
        "WHERE line_no IS NULL) p WHERE orders.order_line_key = p.k",
    ]


EARLY_MIGRATIONS: list[Callable[[], list[str]]] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]
