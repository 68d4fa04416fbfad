"""custlens: customer analytics for e-commerce and new retail.

``import custlens as cl`` is the Python API for notebooks (:mod:`custlens.api`):
``cl.open_workspace``, ``cl.rfm``, ``cl.segments``, ``cl.funnel``, ``cl.BetaGeoModel`` ...
The names load on first use, so importing the package (and starting the CLI) stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

# the names of custlens.api offered at the top level (kept equal to custlens.api.__all__)
API_NAMES = (
    "BetaGeoModel",
    "GammaGammaModel",
    "basket",
    "clv_summary",
    "cohorts",
    "compare",
    "demo_workspace",
    "funnel",
    "import_file",
    "kpi",
    "lifecycle",
    "load_cdnow",
    "open_workspace",
    "report",
    "rfm",
    "segments",
)
__all__ = ["__version__", *API_NAMES]


def __getattr__(name: str) -> Any:
    """Load an API name from :mod:`custlens.api` the first time it is used."""
    if name in API_NAMES:
        from custlens import api

        return getattr(api, name)
    raise AttributeError(f"module 'custlens' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the lazily loaded API included."""
    return sorted({*globals(), *API_NAMES})
