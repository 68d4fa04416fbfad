"""The vocabulary of canonical tables: columns with their logical kinds, Chinese and English
names, recognised header variants and documentation; tables of columns."""

from __future__ import annotations

from dataclasses import dataclass, field

from custlens.i18n import bilingual

# logical kind -> DuckDB storage type
SQL_TYPES = {
    "text": "VARCHAR",
    "id": "VARCHAR",
    "phone": "VARCHAR",
    "email": "VARCHAR",
    "gender": "VARCHAR",
    "level": "VARCHAR",
    "tags": "VARCHAR",
    "enum": "VARCHAR",
    "int": "INTEGER",
    "age": "INTEGER",
    "quantity": "INTEGER",
    "money": "DECIMAL(18,2)",
    "float": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    """A canonical column: name, type, Chinese and English names, aliases, rules and PII kind."""

    name: str
    kind: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    pii: str | None = None  # "name" | "phone" | "email" when the column holds personal data
    choices: tuple[str, ...] = ()
    choices_en: tuple[str, ...] = ()  # English display names of the stored choices
    default: str | None = None
    region: str = "CN"  # phone columns: CN (mainland mobile) | an ISO region | off (unchecked)
    # optional, but a value given must be valid: a bad one rejects the row instead of being
    # left empty (order amounts, status and line numbers: a wrong one changes the money)
    strict: bool = False
    doc_zh: str = ""
    doc_en: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]

    @property
    def rejects_bad_value(self) -> bool:
        """A bad value in this column rejects the row (required or strict); elsewhere it is
        left empty (or set to the default) with a warning."""
        return self.required or self.strict

    def display(self, value: object, lang: str) -> object:
        """A stored value as shown in ``lang``: stored choices are Chinese; English output
        shows their English names (anything else as stored)."""
        if self.choices_en and value in self.choices:
            return bilingual(value, self.choices_en[self.choices.index(value)], lang)
        return value


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, key and system columns."""

    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    extra_sql: tuple[tuple[str, str], ...] = field(default=())  # system columns (name, type)

    def column(self, name: str) -> Column:
        """The column named ``name``; KeyError when the table has none."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]
