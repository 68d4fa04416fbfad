"""Canonical table definitions.

Every table has English snake_case column names (the one vocabulary used in SQL, JSON and
English exports) plus the Chinese display name and the header variants recognised on import.
Types are *logical* kinds; ``sql_type`` gives the storage type in the workspace. The tables
are defined in customer_tables, order_tables and behaviour_tables; this is their registry.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from custlens.schema.behaviour_tables import CAMPAIGN_RESPONSES, CAMPAIGNS, EVENTS
from custlens.schema.customer_tables import CUSTOMERS, FEEDBACK
from custlens.schema.model import SQL_TYPES, Column, Table
from custlens.schema.order_tables import ORDERS

__all__ = ["SQL_TYPES", "TABLES", "Column", "Table", "get_table"]

TABLES: dict[str, Table] = {
    t.name: t for t in (CUSTOMERS, ORDERS, EVENTS, CAMPAIGNS, CAMPAIGN_RESPONSES, FEEDBACK)
}


def get_table(name: str, settings: Any = None) -> Table:
    """The canonical table ``name``; with a workspace's ``settings``, as that workspace
    imports it: phone columns checked for ``settings.phone_region`` and optional when
    ``settings.phone_required`` is false.

    Examples
    --------
    >>> get_table("customers").column("phone").required
    True
    """
    try:
        table = TABLES[name]
    except KeyError:
        from custlens.errors import UsageError

        raise UsageError(f"unknown table {name!r}; expected one of {', '.join(TABLES)}") from None
    if settings is None or all(c.kind != "phone" for c in table.columns):
        return table
    columns = tuple(
        replace(
            c,
            required=c.required and settings.phone_required,
            region=settings.phone_region,
        )
        if c.kind == "phone"
        else c
        for c in table.columns
    )
    return replace(table, columns=columns)
