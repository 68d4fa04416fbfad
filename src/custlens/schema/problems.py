"""Problem codes found by import validation and data-quality rules.

severity ``error``: the row is rejected (written to the rejects file, nothing else changes);
``warning``: the row is imported; an order with a rule's warning (negative amount, test
order ...) is marked needs_review (需核实) so analyses exclude it by default; ``info``:
reported only.

A bad value is an error only in a column the row cannot do without: a required column, or
an optional one whose value changes the money (order amounts, status, line numbers, see
:attr:`custlens.schema.model.Column.strict`). In any other optional column (a customer's
email, age, level ...) the same code is a warning: the value is left empty, or set to the
column's default, and the row is kept (:func:`column_severity`).
"""

from __future__ import annotations

from dataclasses import dataclass

from custlens.i18n import gettext
from custlens.schema.model import Column


@dataclass(frozen=True)
class ProblemCode:
    """A kind of import problem: code, severity, message and suggested fix."""

    code: str
    severity: str
    message: str  # English msgid; zh in the catalog
    suggestion: str
    # severity in an optional column (value left empty or defaulted); None: as ``severity``
    optional_severity: str | None = None


_CODES = [
    ProblemCode(
        "missing_required",
        "error",
        "required value missing",
        "Fill in every column marked * in the template",
    ),
    ProblemCode(
        "invalid_phone",
        "error",
        "invalid format (expected an 11-digit mobile number)",
        "Enter an 11-digit mainland mobile number starting 13-19",
        "warning",
    ),
    ProblemCode(
        "invalid_phone_number",
        "error",
        "not a valid phone number for the workspace's phone region",
        "Enter a number valid in the phone_region set for the workspace, or add the country code "
        "(+44 ...)",
        "warning",
    ),
    ProblemCode(
        "invalid_email",
        "error",
        "invalid email address",
        "Enter an address like name@example.com, or leave it empty",
        "warning",
    ),
    ProblemCode(
        "invalid_date",
        "error",
        "unrecognised date",
        "Use YYYY-MM-DD (2024-01-05), 2024/1/5, 2024年1月5日 or an Excel date",
        "warning",
    ),
    ProblemCode(
        "invalid_number",
        "error",
        "not a number",
        "Enter a plain number; ¥ and thousands separators are fine",
        "warning",
    ),
    ProblemCode(
        "invalid_quantity",
        "error",
        "quantity must be a whole number",
        "Enter a whole number of items",
        "warning",
    ),
    ProblemCode(
        "invalid_age",
        "error",
        "age must be a whole number from 0 to 120",
        "Enter the age in whole years, or leave it empty",
        "warning",
    ),
    ProblemCode(
        "invalid_choice",
        "error",
        "value not allowed",
        "Use one of the values listed in the template's 说明 sheet",
        "warning",
    ),
    ProblemCode(
        "out_of_range",
        "error",
        "value out of range",
        "Check the allowed range in the template's 说明 sheet",
        "warning",
    ),
    ProblemCode(
        "negative_price",
        "error",
        "unit price must not be negative",
        "Record a return as a line with a negative quantity, not a negative price",
    ),
    ProblemCode(
        "duplicate_key",
        "error",
        "the same key appears twice in this file with different values",
        "Keep one row per key; the first one was imported",
    ),
    ProblemCode(
        "duplicate_row",
        "info",
        "duplicate row (identical to an earlier row)",
        "Nothing to do: duplicates are imported once",
    ),
    ProblemCode(
        "unknown_gender", "warning", "gender not recognised, stored as 未知", "Use 男, 女 or 未知"
    ),
    ProblemCode(
        "negative_amount",
        "warning",
        "negative amount on a sale line (positive quantity)",
        "A return needs a negative quantity too; check the amount",
    ),
    ProblemCode("zero_quantity", "warning", "quantity is zero", "Check the quantity"),
    ProblemCode(
        "amount_mismatch",
        "warning",
        "amount differs from quantity × unit price − discount",
        "Check the amount, unit price and discount",
    ),
    ProblemCode("future_date", "warning", "date is in the future", "Check the date"),
    ProblemCode(
        "before_registration",
        "warning",
        "order placed before the customer registered",
        "Check the order date and the registration date",
    ),
    ProblemCode(
        "amount_outlier",
        "warning",
        "amount far above this customer's usual orders",
        "Verify the order with the customer or the shop",
    ),
    ProblemCode(
        "burst_orders",
        "warning",
        "unusually many orders in a short time",
        "Check for scripted or duplicated orders",
    ),
    ProblemCode("test_order", "warning", "test order", "Test orders are excluded from analysis"),
    ProblemCode(
        "refund",
        "warning",
        "partially refunded order (its net value is unknown)",
        "Import the refund as a return line (negative quantity) and mark the order paid",
    ),
    ProblemCode(
        "truncated_file",
        "warning",
        "the file ends in the middle of a row (truncated?)",
        "Export or download the file again; the last row is incomplete",
    ),
    ProblemCode(
        "unmatched_return",
        "info",
        "return or cancellation matches no earlier sale of the product to this customer",
        "Kept and reported as an unmatched return; it is not subtracted from net sales",
    ),
    ProblemCode(
        "outside_scope",
        "error",
        "outside your data scope (your account's row filters)",
        "Send rows of your own stores, provinces or channels only (an order needs a customer "
        "you can see), or use a token of an account without row filters",
    ),
    ProblemCode(
        "orphan_order",
        "info",
        "customer not in the customer table",
        "Import the customer list, or check the customer ID",
    ),
]

PROBLEM_CODES: dict[str, ProblemCode] = {p.code: p for p in _CODES}

# rules whose rows are kept but marked needs_review on orders
REVIEW_CODES = (
    "negative_amount",
    "zero_quantity",
    "amount_mismatch",
    "future_date",
    "before_registration",
    "amount_outlier",
    "burst_orders",
    "test_order",
    "refund",
)


def severity(code: str) -> str:
    """The severity of ``code`` in a column the row cannot do without (or of a row problem)."""
    return PROBLEM_CODES[code].severity


def column_severity(code: str, column: Column) -> str:
    """The severity of ``code`` found in ``column``: a bad value rejects the row only in a
    required or strict column; in another optional column it is left empty (or defaulted).

    Examples
    --------
    >>> from custlens.schema.tables import get_table
    >>> customers = get_table("customers")
    >>> column_severity("invalid_phone", customers.column("phone"))
    'error'
    >>> column_severity("invalid_email", customers.column("email"))
    'warning'
    >>> column_severity("missing_required", customers.column("name"))
    'error'
    """
    problem = PROBLEM_CODES[code]
    if problem.optional_severity is None or column.rejects_bad_value:
        return problem.severity
    return problem.optional_severity


def kept_note(column: Column, code: str, severity: str, lang: str = "zh") -> str | None:
    """What became of a bad value in ``column`` kept with a ``severity`` warning: ``已留空`` /
    ``left empty``, or ``已按默认值“普通”导入`` / ``stored as the default 普通``; None when the
    value was kept as it is (a required or strict column) or the message says it already.

    Examples
    --------
    >>> from custlens.schema.tables import get_table
    >>> customers = get_table("customers")
    >>> kept_note(customers.column("email"), "invalid_email", "warning", "en")
    'left empty'
    >>> kept_note(customers.column("level"), "invalid_choice", "warning")
    '已按默认值“普通”导入'
    """
    if severity != "warning" or column.rejects_bad_value or code == "unknown_gender":
        return None
    if column.default is None:
        return gettext("left empty", lang)
    return gettext("stored as the default {default}", lang, default=column.default)


def describe(code: str, lang: str = "zh") -> str:
    """The message of problem ``code`` in ``lang``."""
    return gettext(PROBLEM_CODES[code].message, lang)


def suggest(code: str, lang: str = "zh") -> str:
    """The suggested fix for problem ``code`` in ``lang``."""
    return gettext(PROBLEM_CODES[code].suggestion, lang)


def format_problem(
    row: int | None, column_label: str | None, code: str, lang: str = "zh", note: str | None = None
) -> str:
    """``第5行 联系方式：格式错误（应为11位手机号）`` / ``row 5, phone: invalid format (...)``;
    ``note`` (what became of the value, see :func:`kept_note`) follows the message."""
    message = describe(code, lang)
    if note:
        message += gettext("; ", lang) + note
    at = gettext("row {row}", lang, row=row) if row else None
    where = gettext("{row}, {column}", lang, row=at, column=column_label)
    where = where if at and column_label else at or column_label
    return gettext("{where}: {message}", lang, where=where, message=message) if where else message
