"""Versioned schema migrations for the workspace database.

Each migration is a list of SQL statements applied in one transaction; the version reached
is recorded in ``schema_version``. Opening an older workspace applies the missing ones;
a workspace written by a newer custlens is refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Callable

# v1 to v9 and the table shapes they build on (SYSTEM_COLUMNS, table_ddl, CUSTOMER_INDEXES)
# live in migrations_early; the shapes are re-exported here, where the io and store modules
# import them from
from custlens.store.migrations_early import CUSTOMER_INDEXES as CUSTOMER_INDEXES
from custlens.store.migrations_early import EARLY_MIGRATIONS
from custlens.store.migrations_early import SYSTEM_COLUMNS as SYSTEM_COLUMNS
from custlens.store.migrations_early import table_ddl as table_ddl


def _v10() -> list[str]:
    """Review sentiment stored with the feedback (:mod:`custlens.store.sentiment`): the rows
    of an older workspace have none yet and are scored, once, by the next import or analysis.
    """
    return [
        "ALTER TABLE feedback ADD COLUMN IF NOT EXISTS sentiment_score DOUBLE",
        "ALTER TABLE feedback ADD COLUMN IF NOT EXISTS sentiment_label VARCHAR",
    ]


def _v11() -> list[str]:
    """Ingestion through the API (see custlens.io.ingest_log).

    * ``api_tokens.scopes``: what a token may do, comma-separated (``api`` reads and
      imports as its user may, ``ingest`` posts rows to the ingestion endpoints); the
      tokens made before scopes had ``api`` alone.
    * ``ingest_batches``: every batch applied from the write-ahead file, by its id, written
      in the batch's own transaction (a replay skips the batches found here).
    * ``ingest_requests``: the response of each ``Idempotency-Key`` of a token.
    * ``profile_thresholds``: the RFM cut-offs and centres of a full analysis run, which the
      profiles of customers touched by ingested rows are scored with until the next run.
    * ``profile_changes``: each customer's segment and lifecycle-stage changes (from, to,
      when, cause) made by those updates.
    """
    return [
        "ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS scopes VARCHAR DEFAULT 'api'",
        "UPDATE api_tokens SET scopes = 'api' WHERE scopes IS NULL",
        """CREATE TABLE IF NOT EXISTS ingest_batches (
            batch_id VARCHAR PRIMARY KEY, table_name VARCHAR NOT NULL, username VARCHAR,
            token_id VARCHAR, rows_received INTEGER, import_id INTEGER, status VARCHAR,
            received_at TIMESTAMP, applied_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS ingest_requests (
            token_id VARCHAR NOT NULL, idempotency_key VARCHAR NOT NULL,
            body_sha256 VARCHAR NOT NULL, status_code INTEGER NOT NULL, response VARCHAR,
            created_at TIMESTAMP, PRIMARY KEY (token_id, idempotency_key)
        )""",
        """CREATE TABLE IF NOT EXISTS profile_thresholds (
            run_id INTEGER PRIMARY KEY, thresholds VARCHAR NOT NULL, created_at TIMESTAMP
        )""",
        """CREATE TABLE IF NOT EXISTS profile_changes (
            customer_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, from_code VARCHAR,
            to_code VARCHAR, changed_at TIMESTAMP NOT NULL, cause VARCHAR
        )""",
    ]


def _v12() -> list[str]:
    """Feedback: ``resolved_time`` (time to resolve a complaint) and ``responded`` (surveys and
    callbacks answered)."""
    return [
        "ALTER TABLE feedback ADD COLUMN IF NOT EXISTS resolved_time TIMESTAMP",
        "ALTER TABLE feedback ADD COLUMN IF NOT EXISTS responded BOOLEAN",
    ]


def _v13() -> list[str]:
    """Dashboards users build (custlens.store.dashboards): the spec as JSON, its owner and
    who it is shared with."""
    return [
        "CREATE SEQUENCE IF NOT EXISTS dashboard_id_seq START 1",
        """CREATE TABLE IF NOT EXISTS dashboards (
            dashboard_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, owner VARCHAR NOT NULL,
            spec VARCHAR NOT NULL,             -- JSON (custlens.dashboards.spec.DashboardSpec)
            shared_roles VARCHAR NOT NULL,     -- JSON list of roles
            shared_users VARCHAR NOT NULL,     -- JSON list of user names
            created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
        )""",
    ]


def _v14() -> list[str]:
    """The models `custlens analyze` fits once on the whole workspace: their quality summaries
    (``model_results``, JSON per run and kind) and the run that wrote each customer's scores."""
    return [
        """CREATE TABLE IF NOT EXISTS model_results (
            run_id INTEGER NOT NULL, kind VARCHAR NOT NULL,   -- churn | clv
            as_of DATE, summary VARCHAR NOT NULL,              -- JSON, per language
            created_at TIMESTAMP NOT NULL, PRIMARY KEY (run_id, kind)
        )""",
        "ALTER TABLE customer_scores ADD COLUMN IF NOT EXISTS clv_run_id INTEGER",
        "ALTER TABLE customer_scores ADD COLUMN IF NOT EXISTS clv_churn_risk VARCHAR",
        "ALTER TABLE customer_scores ADD COLUMN IF NOT EXISTS churn_run_id INTEGER",
        "ALTER TABLE customer_scores ADD COLUMN IF NOT EXISTS churn_reasons_zh VARCHAR",
        "ALTER TABLE customer_scores ADD COLUMN IF NOT EXISTS churn_reasons_en VARCHAR",
    ]


def _v15() -> list[str]:
    """Stored campaign outcomes (custlens.store.campaign_outcomes): one row per compared
    customer of each campaign, written by `custlens analyze`, and each campaign's comparison
    (control group, exact strata or propensity matching) chosen over the whole workspace."""
    return [
        """CREATE TABLE IF NOT EXISTS campaign_outcomes (
            campaign_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
            arm VARCHAR NOT NULL,              -- treatment | control | exposed | comparison
            stratum INTEGER, converted BOOLEAN, bought BOOLEAN, revenue DOUBLE,
            matched_id VARCHAR                 -- an exposed customer's propensity neighbour
        )""",
        """CREATE TABLE IF NOT EXISTS campaign_bases (
            campaign_id VARCHAR PRIMARY KEY, basis VARCHAR NOT NULL,
            strata_matched BIGINT, computed_at TIMESTAMP NOT NULL
        )""",
    ]


def _v16() -> list[str]:
    """Scheduled reports (custlens.store.schedules): weekly or monthly, the standard report or
    one dashboard, and every run with its period, status and files."""
    return [
        "CREATE SEQUENCE IF NOT EXISTS report_schedule_id_seq START 1",
        """CREATE TABLE IF NOT EXISTS report_schedules (
            schedule_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
            frequency VARCHAR NOT NULL,        -- weekly | monthly
            dashboard_id INTEGER,              -- NULL: the standard report
            lang VARCHAR NOT NULL, formats VARCHAR NOT NULL,  -- comma-separated
            sections VARCHAR,                  -- comma-separated; NULL: every section
            run_hour INTEGER NOT NULL,         -- local hour from which a period's report is due
            owner VARCHAR NOT NULL,            -- whose rows the report holds
            created_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE IF NOT EXISTS report_run_id_seq START 1",
        """CREATE TABLE IF NOT EXISTS report_runs (
            run_id INTEGER PRIMARY KEY, schedule_id INTEGER NOT NULL,
            schedule_name VARCHAR NOT NULL, owner VARCHAR NOT NULL,  -- kept when it is removed
            period VARCHAR NOT NULL,           -- a..b, the report's period
            started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,  -- UTC
            status VARCHAR NOT NULL,           -- ok | failed
            files VARCHAR NOT NULL,            -- JSON list, relative to <workspace>/reports
            error VARCHAR, delivery VARCHAR    -- what failed; what the delivery hook answered
        )""",
    ]


def _v17() -> list[str]:
    """Notifications of profile changes (custlens.store.subscriptions).

    * ``subscriptions``: what to notify (a customer entering or leaving a segment, value
      group, lifecycle stage or tag; a VIP's complaint; a high-CLV customer inactive for some
      days), the webhook URL and the secret its body is signed with.
    * ``notifications``: every notification to deliver, its attempts, when it is next tried
      and its status (``pending``, ``delivered``, or ``dead`` after the last attempt failed).
    """
    return [
        "CREATE SEQUENCE IF NOT EXISTS subscription_id_seq START 1",
        """CREATE TABLE IF NOT EXISTS subscriptions (
            subscription_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
            trigger VARCHAR NOT NULL,    -- enters | leaves | complaint | inactive
            kind VARCHAR,                -- segment | stage | tag (enters / leaves)
            codes VARCHAR NOT NULL,      -- JSON list of the codes that count as inside
            params VARCHAR NOT NULL,     -- JSON: days, min_clv, vip codes ...
            url VARCHAR NOT NULL, secret VARCHAR NOT NULL, owner VARCHAR,
            active BOOLEAN NOT NULL DEFAULT TRUE, created_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE IF NOT EXISTS notification_id_seq START 1",
        """CREATE TABLE IF NOT EXISTS notifications (
            notification_id BIGINT PRIMARY KEY, subscription_id INTEGER NOT NULL,
            customer_id VARCHAR NOT NULL, payload VARCHAR NOT NULL, cause VARCHAR,
            created_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TIMESTAMP,
            last_error VARCHAR, delivered_at TIMESTAMP
        )""",
    ]


def _v18() -> list[str]:
    """Demand forecasts (custlens.store.forecasts): the latest run per level, measure and
    frequency, its backtest, and the history and forecast rows the report and web page show."""
    return [
        "CREATE SEQUENCE IF NOT EXISTS forecast_run_seq START 1",
        """CREATE TABLE IF NOT EXISTS forecast_runs (
            run_id INTEGER PRIMARY KEY, level VARCHAR NOT NULL, measure VARCHAR NOT NULL,
            freq VARCHAR NOT NULL, horizon INTEGER NOT NULL, served VARCHAR NOT NULL,
            backtest VARCHAR NOT NULL,        -- JSON: per model mase, smape, relative_mase
            series_backtest VARCHAR NOT NULL, -- JSON: per series MASE of served and benchmark
            cutoffs VARCHAR NOT NULL,         -- JSON list of ISO dates
            history_end DATE NOT NULL, created_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS demand_forecasts (
            run_id INTEGER NOT NULL, unique_id VARCHAR NOT NULL, label VARCHAR,
            ds DATE NOT NULL, kind VARCHAR NOT NULL,  -- history | forecast
            y DOUBLE, yhat DOUBLE, lo_80 DOUBLE, hi_80 DOUBLE, lo_95 DOUBLE, hi_95 DOUBLE
        )""",
    ]


MIGRATIONS: list[Callable[[], list[str]]] = [
    *EARLY_MIGRATIONS,  # v1 to v9 (custlens.store.migrations_early)
    _v10,
    _v11,
    _v12,
    _v13,
    _v14,
    _v15,
    _v16,
    _v17,
    _v18,
]
LATEST_VERSION = len(MIGRATIONS)
