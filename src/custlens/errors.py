"""Exception hierarchy. Every user-facing error carries a clear, localised message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self


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
    msgid: str | None = None  # the catalogue message behind ``message``, when there is one
    params: dict[str, Any] | None = None

    def message_in(self, lang: str | None) -> str:
        """The message in ``lang`` when it came from the catalogue, else as is.

        Examples
        --------
        >>> p = Problem(2, None, "missing", "missing 'expr'", msgid="missing '{key}'",
        ...             params={"key": "expr"})
        >>> p.message_in("en"), p.message_in("zh")
        ("missing 'expr'", '缺少 expr')
        """
        if self.msgid is None:
            return self.message
        return translate(self.msgid, self.params or {}, lang)


def translate(msgid: str, params: dict[str, Any], lang: str | None) -> str:
    """``msgid`` in ``lang`` with ``params``; a parameter given as a ``(msgid, params)`` pair is
    itself a catalogue message, translated first (a problem that quotes another message)."""
    from custlens.i18n import gettext

    done = {
        k: translate(v[0], v[1], lang)
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], dict)
        else v
        for k, v in params.items()
    }
    return gettext(msgid, lang, **done)


class CustlensError(Exception):
    """Base class for all custlens errors.

    An error made with :meth:`of` keeps its catalogue message id and parameters, so each
    user sees it in their own language (:meth:`message_in`); ``str()`` is the English text.
    """

    exit_code = 1
    msgid: str | None = None
    params: dict[str, Any] | None = None
    parts: list[tuple[str, dict[str, Any]]] | None = None

    @classmethod
    def of(cls, msgid: str, **params: Any) -> Self:
        """The error with the catalogue message ``msgid`` formatted with ``params``.

        Examples
        --------
        >>> err = InputError.of("hour must be 0-23")
        >>> str(err), err.message_in("zh")
        ('hour must be 0-23', '小时须为 0-23')
        """
        err = cls(msgid.format(**params) if params else msgid)
        err.msgid, err.params = msgid, params
        return err

    @classmethod
    def of_each(cls, messages: list[tuple[str, dict[str, Any]]]) -> Self:
        """One error stating several catalogue messages (msgid, params), joined by ``; ``.

        Examples
        --------
        >>> err = UsageError.of_each([("window must be positive", {})] * 2)
        >>> str(err), err.message_in("zh")
        ('window must be positive; window must be positive', '窗口须为正；窗口须为正')
        """
        err = cls("; ".join(m.format(**p) for m, p in messages))
        err.parts = messages
        return err

    def message_in(self, lang: str | None) -> str:
        """The message in ``lang`` (zh | en) when it came from the catalogue, else as is."""
        from custlens.i18n import gettext

        if self.parts:
            return gettext("; ", lang).join(translate(m, p, lang) for m, p in self.parts)
        if self.msgid is None:
            return str(self)
        return translate(self.msgid, self.params or {}, lang)


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
    """The current principal may not do this (HTTP 403 on the web)."""

    exit_code = 1


class CsrfFailed(PermissionDenied):
    """A state-changing web request came without the form's security token, or a wrong one."""


class LoginRequired(CustlensError):
    """No valid session or bearer token (the web answers 401 or sends to the login page)."""
