"""The only package that opens engines: the DuckDB workspace file and Spark sessions.

``Workspace``, ``init_workspace`` and ``open_workspace`` load DuckDB on first use, so modules
that only need :mod:`custlens.store.sql` (SQL text for the import) stay light to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace, init_workspace, open_workspace

__all__ = ["Workspace", "init_workspace", "open_workspace"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from custlens.store import workspace

        return getattr(workspace, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
