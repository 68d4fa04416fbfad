"""Display names of columns and of the codes they hold, in the workspace's language.

Columns and codes keep one snake_case English vocabulary in JSON, CSV and SQL; what a person
reads (terminal tables, pages, reports) goes through here: :func:`column_label` for a header
(``repurchase_rate`` -> 复购率 / Repurchase rate) and :func:`code_label` for a value of a code
column (``segment``: ``important_value`` -> 重要价值 / Champions (important value)). Every
text is an English msgid of the one catalogue (``locale/zh_CN/LC_MESSAGES/custlens.po``)
or comes from the code's own definition (segments, stages, tables, problem codes).

Examples
--------
>>> column_label("repurchase_rate", "zh"), column_label("repurchase_rate", "en")
('复购率', 'Repurchase rate')
>>> code_label("segment", "important_value", "en")
'Champions (important value)'
>>> code_label("status", "partial", "zh")
'部分导入'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from custlens.i18n import bilingual, gettext
from custlens.i18n.codes import (
    ARM_LABELS,
    AUDIT_ACTIONS,
    BASIS_LABELS,
    EXPORT_WHAT,
    FEEDBACK_CODES,
    KIND_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    WEEKDAYS,
)
from custlens.i18n.columns import COLUMN_LABELS, FILTER_LABELS, KPI_ALIASES, KPI_EXTRA

__all__ = ["CODE_COLUMNS", "COLUMN_LABELS", "code_label", "column_label", "is_code_column"]


def column_label(column: str, lang: str = "zh") -> str:
    """The header of ``column`` in ``lang``: its catalogue label, the schema's display
    name of an imported column, or (an unknown column) its words without underscores.

    Parameters
    ----------
    column : str
        A column name (snake_case).
    lang : str
        zh or en.

    Returns
    -------
    str
        The header text.

    Examples
    --------
    >>> column_label("customer_id", "zh")
    '客户编号'
    """
    if column in COLUMN_LABELS:
        return gettext(COLUMN_LABELS[column], lang)
    if (kpi := kpi_msgid(column)) is not None:
        return gettext(kpi, lang)
    schema = _schema_labels()
    if column in schema:
        return bilingual(*schema[column], lang)
    if column.startswith("mean_") and column[5:] in COLUMN_LABELS:
        return gettext("Mean {what}", lang, what=column_label(column[5:], lang))
    if column in _problem_codes():
        return code_label("code", column, lang)
    return column.replace("_", " ")


@cache
def _schema_labels() -> dict[str, tuple[str, str]]:
    from custlens.schema.tables import TABLES

    return {c.name: (c.zh, c.en) for t in TABLES.values() for c in t.columns}


@cache
def _problem_codes() -> frozenset[str]:
    from custlens.schema.problems import PROBLEM_CODES

    return frozenset(PROBLEM_CODES)


def kpi_msgid(name: str) -> str | None:
    """The English msgid naming the KPI ``name``: a metric's name comes from the metric
    catalogue (:data:`custlens.analytics.measures.MEASURES`), the one place it is defined.

    Parameters
    ----------
    name : str
        A metric id (``repurchase_rate``) or a KPI name of the reports (``customers``).

    Returns
    -------
    str or None
        The msgid, or None for a name that is no KPI.

    Examples
    --------
    >>> kpi_msgid("gmv"), kpi_msgid("customers"), kpi_msgid("customer_id")
    ('Net sales (GMV)', 'Buying customers', None)
    """
    from custlens.analytics.measures import BY_ID  # a higher layer: read when first asked

    measure = BY_ID.get(KPI_ALIASES.get(name, name))
    return measure.name if measure is not None else KPI_EXTRA.get(name)


# --- code values ------------------------------------------------------------------------


def _by_name(pairs: Callable[[], list[tuple[str, str, str]]]) -> Callable[[str, str], str | None]:
    """A translator from (code, zh, en) triples: any of the three -> the name in ``lang``."""

    @cache
    def table() -> dict[str, tuple[str, str]]:
        out: dict[str, tuple[str, str]] = {}
        for code, zh, en in pairs():
            for key in (code, zh, en):
                out.setdefault(key, (zh, en))
        return out

    def translate(value: str, lang: str) -> str | None:
        names = table().get(value)
        return None if names is None else bilingual(*names, lang)

    return translate


def _segments() -> list[tuple[str, str, str]]:
    from custlens.analytics.value.segments import SEGMENTS, VALUE_GROUPS

    return [(s.code, s.zh, s.en) for s in (*SEGMENTS, *VALUE_GROUPS)]


def _stages() -> list[tuple[str, str, str]]:
    from custlens.analytics.value.lifecycle import NOT_YET, STAGES

    return [(s.code, s.zh, s.en) for s in (*STAGES, NOT_YET)]


def _tables() -> list[tuple[str, str, str]]:
    from custlens.schema.tables import TABLES

    return [(t.name, t.zh, getattr(t, "en", t.name.replace("_", " "))) for t in TABLES.values()]


def _risks() -> list[tuple[str, str, str]]:
    from custlens.analytics.churn.tiers import RISK_LABELS

    return [(k, gettext(msgid, "zh"), msgid) for k, msgid in RISK_LABELS.items()]


def _msgids(table: dict[str, str]) -> Callable[[str, str], str | None]:
    def translate(value: str, lang: str) -> str | None:
        return gettext(table[value], lang) if value in table else None

    return translate


def _problem(value: str, lang: str) -> str | None:
    from custlens.schema.problems import PROBLEM_CODES, describe

    return describe(value, lang) if value in PROBLEM_CODES else None


def _problems(value: str, lang: str) -> str | None:
    """A list of problem codes with counts (``amount_mismatch:5, future_date 2``, or the
    import log's JSON ``{"amount_mismatch": 5}``) in words."""
    import json

    if value.startswith("{"):
        try:
            value = ", ".join(f"{k}:{v}" for k, v in json.loads(value).items())
        except (ValueError, AttributeError):
            return None
    parts = [p.strip() for p in re.split(r"[,;]", value) if p.strip()]
    out = []
    for part in parts:
        code, count = [*re.split(r"[:=\s]+", part, maxsplit=1), ""][:2]
        name = _problem(code.strip(), lang) or code.strip()
        out.append(f"{name} {count.strip()}".strip())
    sep = gettext(", ", lang)
    return sep.join(out) if out else None


def _path(value: str, lang: str) -> str | None:
    """A path of steps (``home > category > detail``) with every step in words."""
    steps = _msgids(STEP_LABELS)
    return " > ".join(steps(s.strip(), lang) or s.strip() for s in value.split(">"))


def _detail(value: str, lang: str) -> str | None:
    """An audit entry's JSON detail (``{"table": "customers", "via": "cli"}``) in words:
    ``表: 客户信息表, 途径: cli``."""
    import json

    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return _detail_words(data, lang)


# keys of an audit detail whose column name means something else elsewhere
DETAIL_KEYS = {"what": "Export", "filters": "Filters", "campaign": "Campaign"}


def _detail_words(data: dict, lang: str) -> str:
    """``key: value`` pairs in words; a nested dict (an export's filters) in brackets, its
    keys named as the customer list's filter chips name them."""

    def name(key: str, nested: bool) -> str:
        if nested and key in FILTER_LABELS:
            return gettext(FILTER_LABELS[key], lang)
        if not nested and key in DETAIL_KEYS:
            return gettext(DETAIL_KEYS[key], lang)
        return column_label(key, lang)

    def words(value: object, key: str) -> object:
        if isinstance(value, dict):
            inner = gettext(", ", lang).join(
                f"{name(k, True)}: {words(v, k)}" for k, v in value.items()
            )
            return f"({inner})"
        if isinstance(value, list):
            return gettext(", ", lang).join(str(words(v, key)) for v in value)
        return code_label(key, value, lang)

    return gettext(", ", lang).join(f"{name(k, False)}: {words(v, k)}" for k, v in data.items())


def _weekday(value: object, lang: str) -> str | None:
    if isinstance(value, int) and 0 <= value <= 6:
        return gettext(WEEKDAYS[value], lang)
    return None


def _promotion(value: str, lang: str) -> str | None:
    from custlens.analytics.patterns.calendar import promotion_label

    return promotion_label(value, lang)


def _kpi(value: str, lang: str) -> str | None:
    if (kpi := kpi_msgid(value)) is not None:
        return gettext(kpi, lang)
    return column_label(value, lang) if value in COLUMN_LABELS else None


# code column -> translator(value, lang) -> name (None: not a known code, shown as stored)
CODE_COLUMNS: dict[str, Callable[..., str | None]] = {
    "segment": _by_name(_segments),
    "segment_code": _by_name(_segments),
    "value_group": _by_name(_segments),
    "value_group_code": _by_name(_segments),
    "stage": _by_name(_stages),
    "stage_code": _by_name(_stages),
    "target": _by_name(_stages),
    "from_stage": _by_name(_stages),
    "to_stage": _by_name(_stages),
    "churn_risk": _by_name(_risks),
    "table": _by_name(_tables),
    "table_name": _by_name(_tables),
    "status": _msgids(STATUS_LABELS),
    "coverage": _msgids(STATUS_LABELS),
    "base_coverage": _msgids(STATUS_LABELS),
    "previous_coverage": _msgids(STATUS_LABELS),
    "last_year_coverage": _msgids(STATUS_LABELS),
    "code": _problem,
    "rule": _problem,
    "flag": _problem,
    "problems": _problems,
    "review_reasons": _problems,
    "action": _msgids(AUDIT_ACTIONS),
    "detail": _detail,
    "kpi": _kpi,
    "metric": _kpi,
    "step_name": _msgids(STEP_LABELS),
    "node": _msgids(STEP_LABELS),
    "path": _path,
    "source": _msgids(SOURCE_LABELS),
    "weekday": _weekday,
    "promotion": _promotion,
    "kind": _msgids(KIND_LABELS),
    "churn_risk_basis": _msgids(BASIS_LABELS),
    "basis": _msgids(BASIS_LABELS),
    "sentiment_label": _msgids(FEEDBACK_CODES),
    "complaint": _msgids(FEEDBACK_CODES),
    "nps_group": _msgids(FEEDBACK_CODES),
    "arm": _msgids(ARM_LABELS),
    "what": _msgids(EXPORT_WHAT),
}


def is_code_column(column: str) -> bool:
    """Whether ``column`` holds codes that :func:`code_label` puts into words."""
    return column in CODE_COLUMNS


def code_label(column: str, value: object, lang: str = "zh") -> object:
    """A value of the code column ``column`` as a person reads it in ``lang``; a value that
    is not a known code (a name a user gave, an id) comes back unchanged.

    Parameters
    ----------
    column : str
        The code column (``segment``, ``stage``, ``status``, ``code``, ``action`` ...).
    value : object
        The stored value (a code, or a display name in either language).
    lang : str
        zh or en.

    Returns
    -------
    object
        The display name, or ``value`` itself.

    Examples
    --------
    >>> code_label("stage", "成熟", "en"), code_label("weekday", 0, "zh")
    ('Mature', '周一')
    """
    translate = CODE_COLUMNS.get(column)
    if translate is None or value is None or isinstance(value, bool | float):
        return value
    if not isinstance(value, str | int):
        return value
    return translate(value, lang) or value
