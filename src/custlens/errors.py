"""Exception hierarchy. Every user-facing error carries a clear, localised message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in input data.

    ``row`` is 1-based as the user sees it in Excel (the header is row 1), or None for
    file-level problems.
    """

    row: int | None
    column: str | None
    code: str
    message: str
    value: str | None = None
    severity: str = "error"  # error: row rejected; warning: row kept and flagged; info


class CustlensError(Exception):
    """Base class for all custlens errors."""

    exit_code = 1


class InputError(CustlensError):
    """Bad input: a file, value or parameter the user can fix."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


class UsageError(CustlensError):
    """The command or function was called wrongly."""

    exit_code = 2


class WorkspaceError(CustlensError):
    """The workspace is missing, damaged or from a newer custlens."""


class NotFittedError(CustlensError, ValueError):
    """A model method needs ``fit`` first."""


class ConvergenceError(CustlensError):
    """An optimiser did not converge; the message says what to try."""


class PermissionDenied(CustlensError):
    """The current principal may not do this."""

    exit_code = 1
