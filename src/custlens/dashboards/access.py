"""Who may open, change, share and delete a dashboard.

* open: the owner, an admin, a user named in ``shared_with.users`` or holding a role in
  ``shared_with.roles``; a dashboard one may not open is "not found" (its existence is not
  told);
* create: any signed-in user with ``view`` (a dashboard of one's own);
* change (name, widgets, filters, sharing): the owner or an admin;
* delete: the owner or an admin.

Everyone reads the data of a dashboard through their own row filters, whoever built it.
"""

from __future__ import annotations

from typing import Any

from custlens.errors import PermissionDenied
from custlens.privacy.policy import Principal


def may_open(principal: Principal, board: dict[str, Any]) -> bool:
    """True when ``principal`` may open ``board`` (a stored dashboard).

    Examples
    --------
    >>> from custlens.dashboards.spec import read_spec
    >>> board = {"owner": "ana", "spec": read_spec({"name": "x", "shared_with": {"roles": ["viewer"]}})}
    >>> may_open(Principal("vic", "viewer"), board), may_open(Principal("bob", "analyst"), board)
    (True, False)
    """
    sharing = board["spec"].shared_with
    return (
        principal.role == "admin"
        or board["owner"] == principal.username
        or principal.username in sharing.users
        or principal.role in sharing.roles
    )


def may_change(principal: Principal, board: dict[str, Any]) -> bool:
    """True when ``principal`` may edit, share or delete ``board``: its owner or an admin."""
    return principal.role == "admin" or board["owner"] == principal.username


def require_change(principal: Principal, board: dict[str, Any]) -> None:
    """PermissionDenied unless ``principal`` may change ``board``."""
    if not may_change(principal, board):
        raise PermissionDenied.of(
            "{user} may not change the dashboard {name} of {owner}",
            user=principal.username,
            name=board["name"],
            owner=board["owner"],
        )


def check_shared_users(con: Any, spec: Any) -> None:
    """Raise :class:`InputError` (zh / en) naming the users a dashboard is shared with that do
    not exist, so a typing mistake is not saved as a share that never reaches anyone."""
    from custlens.errors import InputError
    from custlens.privacy.users import unknown_users

    unknown = unknown_users(con, list(spec.shared_with.users))
    if unknown:
        raise InputError.of(
            "cannot share with unknown users: {names}", names=", ".join(unknown)[:300]
        )
