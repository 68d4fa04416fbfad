"""The only package that opens engines: the DuckDB workspace file and Spark sessions."""

from custlens.store.workspace import Workspace, init_workspace, open_workspace

__all__ = ["Workspace", "init_workspace", "open_workspace"]
