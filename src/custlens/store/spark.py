"""The Spark engine: a SparkSession reading the workspace's Parquet mirror, wrapped by Ibis.

Spark never reads the DuckDB file; each import rewrites ``<workspace>/parquet`` and every
canonical table is registered as a temporary view over it. ``spark.master`` comes from
custlens.toml (``local[2]`` by default, a ``spark://`` URL for a cluster).
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

from custlens.errors import WorkspaceError
from custlens.schema.tables import TABLES

if TYPE_CHECKING:
    from custlens.store.workspace import Workspace

_SESSION: Any = None


def spark_session(master: str = "local[2]", timezone: str = "Asia/Shanghai") -> Any:
    """One SparkSession per process (start-up costs seconds); reused across workspaces."""
    global _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise WorkspaceError(
            "the Spark engine needs the spark extra: pip install 'custlens[spark]' (and Java 17)"
        ) from exc
    if _SESSION is not None and _SESSION.sparkContext._jsc is not None:
        return _SESSION
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    warehouse = tempfile.mkdtemp(prefix="custlens-spark-warehouse-")
    _SESSION = (
        SparkSession.builder.master(master)
        .appName("custlens")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", timezone)
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def connect_spark(ws: Workspace) -> Any:
    """An Ibis PySpark backend with the workspace's Parquet mirror registered as its tables."""
    import ibis

    if not ws.parquet_dir.exists():
        raise WorkspaceError(f"{ws.parquet_dir} is missing: import data first")
    session = spark_session(ws.settings.spark_master, ws.settings.timezone)
    for name in TABLES:
        path = ws.parquet_dir / name
        if not path.exists():
            ws.write_parquet(name)
        frame = session.read.parquet(str(path))
        if "month" in frame.columns:
            frame = frame.drop("month")
        frame.createOrReplaceTempView(name)
    return ibis.pyspark.connect(session)
