"""Message catalog (gettext .po files read with Babel). English msgids, zh_CN default.

The .po file is read at first use, so no compile step is needed; ``custlens`` ships
``locale/<lang>/LC_MESSAGES/custlens.po``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANG = "zh"
_PO_LOCALES = {"zh": "zh_CN"}


@cache
def _catalog(lang: str) -> dict[str, str]:
    locale = _PO_LOCALES.get(lang)
    if locale is None:
        return {}
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "custlens.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    return {m.id: m.string for m in catalog if m.id and m.string}


def normalise_lang(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANG
    return "en" if lang.lower().startswith("en") else "zh"


def babel_locale(lang: str | None) -> str:
    """The Babel (CLDR) locale of ``lang``: number, currency and date conventions.

    Examples
    --------
    >>> babel_locale("zh"), babel_locale("en")
    ('zh_CN', 'en')
    """
    lang = normalise_lang(lang)
    return _PO_LOCALES.get(lang, lang)


def gettext(msgid: str, lang: str | None = DEFAULT_LANG, **kwargs: object) -> str:
    """Translate ``msgid`` into ``lang`` (zh | en) and format it with ``kwargs``."""
    text = _catalog(normalise_lang(lang)).get(msgid, msgid)
    return text.format(**kwargs) if kwargs else text


def bilingual(zh: str, en: str, lang: str | None = DEFAULT_LANG) -> str:
    """The name in ``lang`` of something whose own definition carries both names (a schema
    table or column, a segment, a lifecycle stage); every other text is a catalogue msgid
    read with :func:`gettext`. The one place such a pair is chosen from.

    Parameters
    ----------
    zh : str
        The Chinese name.
    en : str
        The English name (or, for a file header a person fills in, the column's key).
    lang : str or None
        zh | en (anything else as :func:`normalise_lang` reads it).

    Returns
    -------
    str

    Examples
    --------
    >>> bilingual("客户编号", "customer_id", "zh"), bilingual("客户编号", "customer_id", "en")
    ('客户编号', 'customer_id')
    """
    return (zh, en)[normalise_lang(lang) == "en"]


_ = gettext
