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


def gettext(msgid: str, lang: str | None = DEFAULT_LANG, **kwargs: object) -> str:
    """Translate ``msgid`` into ``lang`` (zh | en) and format it with ``kwargs``."""
    text = _catalog(normalise_lang(lang)).get(msgid, msgid)
    return text.format(**kwargs) if kwargs else text


_ = gettext
