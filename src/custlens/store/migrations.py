"""Versioned schema migrations for the workspace database.

Each migration is a list of SQL statements applied in one transaction; the version reached
is recorded in ``schema_version``. Opening an older workspace applies the missing ones;
a workspace written by a newer custlens is refused with a clear error.
"""

from __future__ import annotations

from collections.abc import Callable

from custlens.schema.tables import TABLES, Table

# system columns appended to each canonical table
SYSTEM_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "customers": [
        ("content_hash", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("updated_at", "TIMESTAMP"),
        ("import_id", "INTEGER"),
    ],
    "orders": [
        ("order_line_key", "VARCHAR"),
        ("order_date", "DATE"),
        ("content_hash", "VARCHAR"),
        ("row_flags", "VARCHAR"),  # row-level warnings found at import
        ("needs_review", "BOOLEAN DEFAULT FALSE"),
        ("review_reasons", "VARCHAR"),
        ("import_id", "INTEGER"),
        ("source_row", "INTEGER"),
    ],
    "events": [("event_key", "VARCHAR"), ("event_date", "DATE"), ("import_id", "INTEGER")],
    "campaigns": [("content_hash", "VARCHAR"), ("import_id", "INTEGER")],
    "campaign_responses": [("content_hash", "VARCHAR"), ("import_id", "INTEGER")],
    "feedback": [
        ("feedback_key", "VARCHAR"),
        ("content_hash", "VARCHAR"),
        ("import_id", "INTEGER"),
    ],
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_ddl(table: Table) -> str:
    cols = [f"{_quote(c.name)} {c.sql_type}" for c in table.columns]
    cols += [f"{_quote(n)} {t}" for n, t in SYSTEM_COLUMNS[table.name]]
    return f"CREATE TABLE {_quote(table.name)} (\n  " + ",\n  ".join(cols) + "\n)"


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


MIGRATIONS: list[Callable[[], list[str]]] = [_v1, _v2]
LATEST_VERSION = len(MIGRATIONS)
