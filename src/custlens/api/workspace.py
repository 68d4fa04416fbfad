"""Workspaces for notebooks: open or create one, import files, or build the demo world."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from custlens.store.workspace import Workspace, init_workspace, resolve_workspace_path
from custlens.store.workspace import open_workspace as _open_store

DEMO_TABLES = ("customers", "orders", "events", "campaigns", "campaign_responses", "feedback")
_DEMO_DIRS: dict[tuple[int, int], Path] = {}  # demo worlds built by this process


def open_workspace(
    path: str | Path | None = None, *, create: bool = False, read_only: bool = False
) -> Workspace:
    """Open a custlens workspace (the directory `custlens init` makes).

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The workspace directory; default ``$CUSTLENS_WORKSPACE`` or ``custlens-workspace``.
    create : bool, default False
        Create the workspace when the directory holds none (like `custlens init`).
    read_only : bool, default False
        Open without write access, so several processes can read at once; imports then fail.

    Returns
    -------
    custlens.store.workspace.Workspace
        The open workspace; use it as a context manager, or call ``ws.close()`` when done.

    Raises
    ------
    custlens.errors.WorkspaceError
        When there is no workspace at ``path`` and ``create`` is False.

    Examples
    --------
    >>> import tempfile, custlens as cl
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with cl.open_workspace(tmp, create=True) as ws:
    ...         ws.count("orders")
    0
    """
    if create:
        return init_workspace(resolve_workspace_path(path))
    return _open_store(path, read_only=read_only)


def import_file(
    ws: Workspace,
    table: str,
    path: str | Path,
    mapping: str | Path | dict[str, Any] | None = None,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Import a CSV, Excel or Parquet file into one of the workspace's tables.

    Same pipeline as `custlens import`: Chinese or English headers are recognised, bad rows
    are rejected with the reason (and kept in a rejects file), and the import is
    all-or-nothing.

    Parameters
    ----------
    ws : Workspace
        An open, writable workspace.
    table : str
        ``customers``, ``orders``, ``events``, ``campaigns``, ``campaign_responses`` or
        ``feedback`` (docs/data-format.md).
    path : str or pathlib.Path
        The file to import.
    mapping : str, pathlib.Path or dict, optional
        A column mapping for a foreign layout: a YAML file as `custlens import --mapping`
        takes, or the same content as a dict, file header to custlens column
        (e.g. ``{"columns": {"单号": "order_id"}}``).
    sheet : str, optional
        The Excel sheet to read (default: the first).
    dry_run : bool, default False
        Check the file and report what would happen; write nothing.

    Returns
    -------
    dict
        The import summary: ``rows_read``, ``inserted``, ``updated``, ``unchanged``,
        ``rejected``, ``duplicate``, ``problems`` (the first problems found, with row and
        column), ``rejects_file``, ``mapping`` and ``notes``.

    Examples
    --------
    >>> import tempfile, custlens as cl
    >>> from pathlib import Path
    >>> tmp = Path(tempfile.mkdtemp())
    >>> ws = cl.open_workspace(tmp / "ws", create=True)
    >>> _ = (tmp / "orders.csv").write_text(
    ...     "订单编号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,总金额\\n"
    ...     "O1,C001,2024-02-01 20:10:00,母婴,奶粉,2,199.00,398.00\\n"
    ...     "O2,C002,2024-13-01 10:00:00,美妆,口红,1,120.00,120.00\\n",
    ...     encoding="utf-8",
    ... )
    >>> result = cl.import_file(ws, "orders", tmp / "orders.csv")
    >>> result["inserted"], result["rejected"]
    (1, 1)
    >>> ws.close()
    """
    from custlens.analytics.satisfaction.sentiment import score_sentiment
    from custlens.io.pipeline import import_file as run_import
    from custlens.store.sentiment import store_sentiment

    if isinstance(mapping, dict):  # the importer reads mappings from YAML files
        with tempfile.TemporaryDirectory() as tmp:
            spec = Path(tmp) / "mapping.yaml"
            spec.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
            result = run_import(ws, table, path, sheet=sheet, mapping_file=spec, dry_run=dry_run)
    else:
        result = run_import(ws, table, path, sheet=sheet, mapping_file=mapping, dry_run=dry_run)
    if table == "feedback" and not dry_run:  # each new or changed review scored once
        store_sentiment(ws, score_sentiment)
    return result.to_dict()


def demo_workspace(
    path: str | Path | None = None, *, customers: int = 300, seed: int = 42
) -> Workspace:
    """A workspace holding a synthetic demo shop, ready to analyse.

    Generates the demo world of `custlens demo generate` (customers, orders, events,
    campaigns, responses, feedback, with planted segments, funnels and baskets) and imports
    it. Without ``path`` the world is built once per process in a temporary directory
    (removed at exit), so later calls with the same ``customers`` and ``seed`` are instant.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Directory for the workspace (``<path>/workspace``) and the generated files
        (``<path>/data``); default a temporary directory.
    customers : int, default 300
        Number of customers; 300 builds in a few seconds, 20000 is `make demo`'s size.
    seed : int, default 42
        Random seed: the same seed gives the same shop.

    Returns
    -------
    custlens.store.workspace.Workspace
        An open, writable workspace.

    Examples
    --------
    >>> import custlens as cl
    >>> ws = cl.demo_workspace()
    >>> ws.count("customers") > 250, ws.count("orders") > 500
    (True, True)
    """
    if path is None:
        root = _DEMO_DIRS.get((customers, seed))
        if root is not None:
            return _open_store(root / "workspace")
        root = Path(tempfile.mkdtemp(prefix="custlens-demo-"))
        atexit.register(shutil.rmtree, root, True)
    else:
        root = Path(path)
    ws = _build_demo(root, customers, seed)
    if path is None:
        _DEMO_DIRS[(customers, seed)] = root
    return ws


def _build_demo(root: Path, customers: int, seed: int) -> Workspace:
    """Generate the demo files under ``root/data`` and import them into ``root/workspace``."""
    from custlens.analytics.satisfaction.sentiment import score_sentiment
    from custlens.demo import generate_world
    from custlens.io.pipeline import import_file as run_import
    from custlens.store.sentiment import store_sentiment

    truth = generate_world(root / "data", n_customers=customers, seed=seed)
    ws = init_workspace(root / "workspace")
    for name in DEMO_TABLES:
        if name in truth["files"]:
            run_import(ws, name, root / "data" / truth["files"][name])
    store_sentiment(ws, score_sentiment)
    return ws
