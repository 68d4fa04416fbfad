"""Canonical tables: columns, types, header aliases (zh/en) and validation rules."""

from custlens.schema.tables import TABLES, Column, Table, get_table

__all__ = ["TABLES", "Column", "Table", "get_table"]
