"""What a measure of the metric catalogue (:mod:`custlens.analytics.measures`) is made of.

A :class:`Measure` records an id, a display name, a definition, a formula, a unit and the
direction that is good. Formulas are small expression trees over the period's components
(:class:`Col`, :class:`Sub`, :class:`Div`): the same object builds the Ibis expression and the
text docs/metrics.md prints. A ratio whose denominator is 0 or missing is empty (NULL), never 0
or infinity; :func:`rate_of` is that rule for ad-hoc ratios.

This module imports no Ibis at import time, so ``custlens compare --help`` can list the metrics
cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNITS = ("count", "money", "rate", "days", "ratio")
FORMATS = {"count": ",.0f", "money": ",.2f", "rate": ".2%", "days": ",.1f", "ratio": ",.2f"}


@dataclass(frozen=True)
class Col:
    """A component of the period (see :data:`COMPONENTS`)."""

    name: str

    def build(self, t: Any) -> Any:
        """The column as a float Ibis expression over the table ``t``."""
        return t[self.name].cast("float64")

    def text(self) -> str:
        """The formula as written in docs/metrics.md: the column name."""
        return self.name

    def components(self) -> tuple[str, ...]:
        """The column names the formula reads."""
        return (self.name,)


@dataclass(frozen=True)
class Sub:
    """``left − right``."""

    left: Col | Sub
    right: Col | Sub

    def build(self, t: Any) -> Any:
        """``left - right`` as an Ibis expression over the table ``t``."""
        return self.left.build(t) - self.right.build(t)

    def text(self) -> str:
        """The formula as written in docs/metrics.md."""
        return f"{self.left.text()} − {self.right.text()}"

    def components(self) -> tuple[str, ...]:
        """The column names the formula reads, left then right."""
        return (*self.left.components(), *self.right.components())


@dataclass(frozen=True)
class Div:
    """``num / den``, empty (NULL) when ``den`` is 0 or missing."""

    num: Col | Sub
    den: Col

    def build(self, t: Any) -> Any:
        """``num / den`` as an Ibis expression over ``t``; NULL where ``den`` is 0 or missing."""
        import ibis

        den = self.den.build(t)
        ok = den.notnull() & (den > ibis.literal(0.0, "float64"))
        return ibis.ifelse(ok, self.num.build(t) / den, ibis.null("float64"))

    def text(self) -> str:
        """The formula as written in docs/metrics.md (a difference numerator in brackets)."""
        num = f"({self.num.text()})" if isinstance(self.num, Sub) else self.num.text()
        return f"{num} / {self.den.text()}"

    def components(self) -> tuple[str, ...]:
        """The column names the formula reads, numerator then denominator."""
        return (*self.num.components(), *self.den.components())


@dataclass(frozen=True)
class Measure:
    """One metric of the catalogue.

    Attributes
    ----------
    id : str
        Name in JSON, CSV and on the command line (``repurchase_rate``).
    name : str
        Display name, an English msgid (Chinese in the message catalogue).
    definition : str
        What it counts, an English msgid.
    formula : Col | Sub | Div
        How it is computed from the period's components.
    unit : str
        ``count``, ``money``, ``rate``, ``days`` or ``ratio``.
    good : str
        ``up`` when a higher value is better, ``down`` when lower is.
    test : str or None
        Significance test of a period comparison: ``proportion`` (pooled two-proportion
        z-test on the formula's numerator and denominator), ``welch`` (Welch's t-test on the
        per-order values) or None.
    splittable : bool
        Can be split by an order column (``custlens compare --by channel``).
    source : str
        ``orders``, ``events`` (empty without a behaviour log), ``feedback`` (empty without
        feedback) or ``campaigns`` (empty without campaign responses).
    """

    id: str
    name: str
    definition: str
    formula: Col | Sub | Div
    unit: str
    good: str = "up"
    test: str | None = None
    splittable: bool = True
    source: str = "orders"

    @property
    def fmt(self) -> str:
        """Number format (d3-format) of the unit."""
        return FORMATS[self.unit]

    @property
    def counts(self) -> tuple[str, str] | None:
        """(numerator, denominator) components of a proportion, else None."""
        f = self.formula
        if isinstance(f, Div) and isinstance(f.num, Col):
            return f.num.name, f.den.name
        return None


def rate_of(num: Any, den: Any, digits: int = 4) -> Any:
    """``num / den`` as a float rounded to ``digits`` places; NULL where ``den`` is 0 or
    missing, never infinity. ``num`` and ``den`` are Ibis numeric expressions.

    Parameters
    ----------
    num, den
        Numerator and denominator (Ibis numeric values or columns).
    digits
        Decimal places kept.

    Returns
    -------
    ibis.expr.types.FloatingValue

    Examples
    --------
    >>> import ibis
    >>> t = ibis.memtable({"hits": [1, 2], "visits": [3, 0]})
    >>> t.select(share=rate_of(t.hits, t.visits)).to_pandas().share.tolist()
    [0.3333, nan]
    """
    return (num.cast("float64") / den.cast("float64").nullif(0.0)).round(digits)
