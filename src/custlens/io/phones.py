"""Phone numbers on import, by the workspace's ``phone_region``: SQL for mainland mobiles,
libphonenumber for other regions (called from DuckDB over Arrow batches), or no check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from custlens.schema.tables import Table
    from custlens.store.sql import SqlParams

PHONE_FUNCTION = "custlens_phone_e164"


def phone_sql(t: str, p: SqlParams, region: str = "CN") -> tuple[str, str]:
    """(value, error code) of a phone number given text ``t``, by ``Settings.phone_region``.

    ``CN``: a mainland mobile, 11 digits ``1[3-9]...`` (+86 / 0086 / 86 dropped), else
    ``invalid_phone``. ``off``: spaces, dashes and brackets dropped, nothing checked. Any other
    region: the number as libphonenumber reads it in that region, in E.164 (``+447911123456``),
    else ``invalid_phone_number`` (see :func:`register_phone_function`).
    """
    digits = f"regexp_replace({t}, '[\\s\\-()（）]', '', 'g')"
    if region == "off":
        return digits, "CAST(NULL AS VARCHAR)"
    if region == "CN":
        value = (
            f"(CASE WHEN regexp_full_match({digits}, '(\\+86|0086|86)1[3-9][0-9]{{9}}') "
            f"THEN right({digits}, 11) ELSE {digits} END)"
        )
        code = (
            f"CASE WHEN NOT regexp_full_match({value}, '1[3-9][0-9]{{9}}') THEN 'invalid_phone' END"
        )
        return value, code
    e164 = f"{PHONE_FUNCTION}({digits}, {p.add(region)})"
    code = f"CASE WHEN {digits} IS NOT NULL AND {e164} IS NULL THEN 'invalid_phone_number' END"
    return f"coalesce({e164}, {digits})", code


def register_phone_function(con: Any, table: Table) -> None:
    """Give ``con`` the phone check of ``table``'s phone columns where one needs it.

    Numbers outside mainland China are checked with libphonenumber (``phonenumbers``), which
    cannot run inside SQL: a DuckDB function over Arrow batches parses each batch's distinct
    numbers once and maps the results back onto the rows (DuckDB evaluates it once per row
    for the value and the error code together).
    """
    if all(c.kind != "phone" or c.region in ("CN", "off") for c in table.columns):
        return
    registered = con.execute(
        "SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [PHONE_FUNCTION]
    ).fetchone()[0]
    if not registered:
        con.create_function(
            PHONE_FUNCTION,
            phone_e164,
            ["VARCHAR", "VARCHAR"],
            "VARCHAR",
            type="arrow",
            null_handling="special",  # invalid numbers come back as NULL
        )


def phone_e164(numbers: Any, regions: Any) -> Any:
    """E.164 forms of ``numbers`` read in ``regions`` (Arrow arrays); null where invalid.

    Examples
    --------
    >>> import pyarrow as pa
    >>> numbers = pa.array(["07911123456", "12345", "+33612345678"])
    >>> phone_e164(numbers, pa.array(["GB"] * 3)).to_pylist()
    ['+447911123456', None, '+33612345678']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = pc.binary_join_element_wise(regions, numbers, "\x1f")
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    encoded = keys.dictionary_encode()
    checked = pa.array([_e164(k) for k in encoded.dictionary.to_pylist()], pa.string())
    return checked.take(encoded.indices)


def _e164(key: str) -> str | None:
    import phonenumbers

    region, _, number = key.partition("\x1f")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
