"""Saved dashboards in the workspace database (table ``dashboards``, migration v13).

Parameterised SQL only. The spec is stored as the JSON text of
:class:`custlens.dashboards.spec.DashboardSpec` (validated before it gets here) with its
sharing in two columns the listing filters on. Who may read or change a dashboard is decided
by :mod:`custlens.dashboards.access`; this module stores and reads.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

_COLUMNS = "dashboard_id, name, owner, spec, created_at, updated_at"


def _row(row: tuple) -> dict[str, Any]:
    did, name, owner, spec, created, updated = row
    return {
        "id": int(did),
        "name": name,
        "owner": owner,
        "spec": spec,
        "created_at": created,
        "updated_at": updated,
    }


def _sharing(spec: dict[str, Any]) -> tuple[str, str]:
    shared = spec.get("shared_with") or {}
    roles = sorted(set(shared.get("roles") or []))
    users = sorted(set(shared.get("users") or []))
    return json.dumps(roles, ensure_ascii=False), json.dumps(users, ensure_ascii=False)


def create_dashboard(con: Any, owner: str, spec: dict[str, Any]) -> int:
    """Store ``spec`` owned by ``owner``; returns the new dashboard id.

    Parameters
    ----------
    con
        A DuckDB connection (cursor) on the workspace database.
    owner : str
        The user name of the owner.
    spec : dict
        A validated dashboard spec as JSON data (``name``, ``shared_with``, ``widgets`` ...).

    Returns
    -------
    int

    Examples
    --------
    >>> import tempfile
    >>> from custlens.store import init_workspace
    >>> with init_workspace(tempfile.mkdtemp()) as ws:
    ...     did = create_dashboard(ws.con, "ana", {"name": "周报", "shared_with": {"roles": ["viewer"]}})
    ...     [b["name"] for b in visible_dashboards(ws.con, "vic", "viewer")]
    ['周报']
    """
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    roles, users = _sharing(spec)
    row = con.execute(
        "INSERT INTO dashboards VALUES (nextval('dashboard_id_seq'), ?, ?, ?, ?, ?, ?, ?) "
        "RETURNING dashboard_id",
        [spec["name"], owner, json.dumps(spec, ensure_ascii=False), roles, users, now, now],
    ).fetchone()
    return int(row[0])


def update_dashboard(con: Any, dashboard_id: int, spec: dict[str, Any]) -> None:
    """Replace the spec of dashboard ``dashboard_id`` (the owner stays)."""
    roles, users = _sharing(spec)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(
        "UPDATE dashboards SET name = ?, spec = ?, shared_roles = ?, shared_users = ?, "
        "updated_at = ? WHERE dashboard_id = ?",
        [spec["name"], json.dumps(spec, ensure_ascii=False), roles, users, now, dashboard_id],
    )


def delete_dashboard(con: Any, dashboard_id: int) -> None:
    """Remove dashboard ``dashboard_id``."""
    con.execute("DELETE FROM dashboards WHERE dashboard_id = ?", [dashboard_id])


def get_dashboard(con: Any, dashboard_id: int) -> dict[str, Any] | None:
    """Dashboard ``dashboard_id`` (id, name, owner, spec as JSON text, created_at, updated_at)
    or None."""
    row = con.execute(
        f"SELECT {_COLUMNS} FROM dashboards WHERE dashboard_id = ?", [dashboard_id]
    ).fetchone()
    return _row(row) if row else None


def visible_dashboards(con: Any, username: str, role: str) -> list[dict[str, Any]]:
    """The dashboards ``username`` (with ``role``) may open, by name: their own, those shared
    with them or their role, and every one for an admin."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM dashboards WHERE ? = 'admin' OR owner = ? "
        "OR list_contains(CAST(CAST(shared_users AS JSON) AS VARCHAR[]), ?) "
        "OR list_contains(CAST(CAST(shared_roles AS JSON) AS VARCHAR[]), ?) ORDER BY lower(name), dashboard_id",
        [role, username, username, role],
    ).fetchall()
    return [_row(r) for r in rows]
