"""Static chart rendering (SVG / PNG) with vl-convert, offline, CJK font registered."""

from __future__ import annotations

import datetime
import decimal
import json
from functools import cache
from pathlib import Path
from typing import Any

from custlens.charts.theme import themed

FONT_DIRS = [Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto")]


@cache
def _converter() -> Any:
    import vl_convert as vlc

    for d in FONT_DIRS:
        if d.exists():
            vlc.register_font_directory(str(d))
    return vlc


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a chart spec")


def spec_json(spec: dict[str, Any], lang: str | None = None) -> str:
    """The themed spec as JSON (month names in ``lang`` when given); Decimal money and dates
    become numbers and ISO text."""
    return json.dumps(themed(spec, lang=lang), ensure_ascii=False, default=_plain)


def to_svg(spec: dict[str, Any], lang: str | None = None) -> str:
    """The chart as SVG text, its month and weekday names in ``lang`` (zh | en)."""
    return _converter().vegalite_to_svg(spec_json(spec, lang))
