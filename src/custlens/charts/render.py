"""Static chart rendering (SVG / PNG) with vl-convert, offline, CJK font registered."""

from __future__ import annotations

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


def to_svg(spec: dict[str, Any]) -> str:
    return _converter().vegalite_to_svg(json.dumps(themed(spec), ensure_ascii=False))


def to_png(spec: dict[str, Any], scale: float = 2.0) -> bytes:
    return _converter().vegalite_to_png(json.dumps(themed(spec), ensure_ascii=False), scale=scale)
