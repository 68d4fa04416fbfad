"""SQL text helpers: quoted identifiers, string literals and a parameter builder.

Values reach queries as bound parameters (:class:`SqlParams`, or ``?`` placeholders).
Identifiers cannot be bound, so table and column names are quoted with
:func:`quote_name`. :func:`quote_literal` is only for the few statements that take no
parameters (``COPY ... TO``, ``SET``, ``ATTACH``) and for constants written into SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def quote_name(name: str) -> str:
    """``name`` as a double-quoted SQL identifier (a quote inside is doubled).

    Parameters
    ----------
    name
        A table or column name, in any script (``客户``), a reserved word or with quotes.

    Returns
    -------
    str
        The identifier, safe to place in SQL text.

    Examples
    --------
    >>> quote_name("order")
    '"order"'
    >>> quote_name('a"b')
    '"a""b"'
    >>> quote_name("客户")
    '"客户"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def quote_literal(value: object) -> str:
    """``value`` as a single-quoted SQL string literal (a quote inside is doubled).

    Only for statements that take no parameters (``COPY ... TO``, ``SET``, ``ATTACH``);
    everywhere else bind values as parameters.

    Parameters
    ----------
    value
        A path, a setting or other text (``str()`` is taken).

    Returns
    -------
    str
        The literal, safe to place in SQL text.

    Examples
    --------
    >>> quote_literal("O'Brien")
    "'O''Brien'"
    >>> quote_literal(2)
    "'2'"
    """
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class SqlParams:
    """Collects named parameters (``$p0`` ...) while SQL text is assembled; an expression may
    be repeated in the text without upsetting parameter order.

    Examples
    --------
    >>> p = SqlParams()
    >>> p.add("张三"), p.add(3), p.values
    ('$p0', '$p1', {'p0': '张三', 'p1': 3})
    """

    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> str:
        """Bind ``value`` and return its placeholder (``$p0``, ``$p1`` ...)."""
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"

    def map_case(self, expr: str, mapping: dict[str, Any], lower: bool = True) -> str:
        """A ``CASE`` mapping ``expr``'s values through ``mapping`` (others to NULL), every
        key and value bound; ``lower`` compares in lower case.

        Examples
        --------
        >>> p = SqlParams()
        >>> p.map_case("x", {"M": "男"})
        '(CASE lower(x) WHEN $p0 THEN $p1 ELSE NULL END)'
        >>> p.values
        {'p0': 'm', 'p1': '男'}
        """
        key = f"lower({expr})" if lower else expr
        whens = " ".join(
            f"WHEN {self.add(k.lower() if lower else k)} THEN {self.add(v)}"
            for k, v in mapping.items()
        )
        return f"(CASE {key} {whens} ELSE NULL END)"
