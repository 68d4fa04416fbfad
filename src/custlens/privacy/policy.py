"""Who may see what: roles, masking policy and row filters.

The web dashboard and the CLI both ask a :class:`Principal` what it may do; the policy is
enforced where data leaves the library (exports, listings, pages), never in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from custlens.errors import PermissionDenied

ROLES = ("admin", "analyst", "viewer")
PERMISSIONS = {
    "admin": {"view", "analyze", "import", "export", "manage_users", "unmask_one", "audit"},
    "analyst": {"view", "analyze", "import", "export"},
    "viewer": {"view"},
}


@dataclass(frozen=True)
class MaskingPolicy:
    """PII kinds shown unmasked. The default masks everything."""

    unmasked: frozenset[str] = frozenset()

    def allows(self, kind: str) -> bool:
        """True when values of the PII ``kind`` may be shown unmasked."""
        return kind in self.unmasked


MASKED = MaskingPolicy()


@dataclass(frozen=True)
class Principal:
    """A user (or the local CLI operator) with a role and optional row filters.

    ``row_filters`` limits rows by column value, e.g. {"province": ("浙江", "上海")}.
    """

    username: str
    role: str
    row_filters: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; expected one of {ROLES}")

    def can(self, permission: str) -> bool:
        """True when the principal's role has ``permission``."""
        return permission in PERMISSIONS[self.role]

    def require(self, permission: str) -> None:
        """Raise PermissionDenied unless the principal's role has ``permission``."""
        if not self.can(permission):
            raise PermissionDenied.of(
                "{user} ({role}) may not {permission}",
                user=self.username,
                role=self.role,
                permission=permission,
            )

    def masking(self, unmask_reason: str | None = None) -> MaskingPolicy:
        """Masked for everyone; an admin may unmask one record with a stated reason."""
        if unmask_reason and self.can("unmask_one"):
            return MaskingPolicy(frozenset({"name", "phone", "email"}))
        return MASKED


LOCAL_OPERATOR = Principal("local", "analyst")
