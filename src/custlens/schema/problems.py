"""Problem codes found by import validation and data-quality rules.

severity ``error``: the row is rejected (written to the rejects file, nothing else changes);
``warning``: the row is imported and, for orders, marked needs_review (需核实) so analyses
exclude it by default; ``info``: reported only.
"""

from __future__ import annotations

from dataclasses import dataclass

from custlens.i18n import gettext


@dataclass(frozen=True)
class ProblemCode:
    code: str
    severity: str
    message: str  # English msgid; zh in the catalog
    suggestion: str


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
    ),
    ProblemCode(
        "invalid_phone_number",
        "error",
        "not a valid phone number for the workspace's phone region",
        "Enter a number valid in the phone_region set for the workspace, or add the country code "
        "(+44 ...)",
    ),
    ProblemCode(
        "invalid_email",
        "error",
        "invalid email address",
        "Enter an address like name@example.com, or leave it empty",
    ),
    ProblemCode(
        "invalid_date",
        "error",
        "unrecognised date",
        "Use YYYY-MM-DD (2024-01-05), 2024/1/5, 2024年1月5日 or an Excel date",
    ),
    ProblemCode(
        "invalid_number",
        "error",
        "not a number",
        "Enter a plain number; ¥ and thousands separators are fine",
    ),
    ProblemCode(
        "invalid_quantity",
        "error",
        "quantity must be a whole number",
        "Enter a whole number of items",
    ),
    ProblemCode(
        "invalid_age",
        "error",
        "age must be a whole number from 0 to 120",
        "Enter the age in whole years, or leave it empty",
    ),
    ProblemCode(
        "invalid_choice",
        "error",
        "value not allowed",
        "Use one of the values listed in the template's 说明 sheet",
    ),
    ProblemCode(
        "out_of_range",
        "error",
        "value out of range",
        "Check the allowed range in the template's 说明 sheet",
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
    return PROBLEM_CODES[code].severity


def describe(code: str, lang: str = "zh") -> str:
    return gettext(PROBLEM_CODES[code].message, lang)


def suggest(code: str, lang: str = "zh") -> str:
    return gettext(PROBLEM_CODES[code].suggestion, lang)


def format_problem(row: int | None, column_label: str | None, code: str, lang: str = "zh") -> str:
    """``第5行 联系方式：格式错误（应为11位手机号）`` / ``row 5, phone: invalid format (...)``."""
    message = describe(code, lang)
    if lang == "en":
        where = ", ".join(x for x in (f"row {row}" if row else None, column_label) if x)
        return f"{where}: {message}" if where else message
    where = " ".join(x for x in (f"第{row}行" if row else None, column_label) if x)
    return f"{where}：{message}" if where else message
