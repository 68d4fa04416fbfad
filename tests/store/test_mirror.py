"""The Parquet mirror follows each import incrementally: unchanged partitions keep their
files, partitions that only gained rows get an appended file, changed ones are rewritten,
and the manifest is the commit point (stray files are ignored, a stale mirror is found and
repaired)."""

from __future__ import annotations

import pytest

from custlens.io.pipeline import import_file
from custlens.store.integrity import check_workspace
from custlens.store.mirror import compact_mirror, mirror_files, mirror_in_step, read_manifest

HEAD = "订单编号,客户编号,下单时间,商品类别,商品名称,购买数量,单价,总金额\n"
FEB_MAR = (
    "O1,C1,2024-02-01 10:00:00,母婴,奶粉,1,100.00,100.00\n"
    "O2,C2,2024-02-02 10:00:00,母婴,奶粉,1,100.00,100.00\n"
    "O3,C2,2024-03-03 10:00:00,母婴,纸尿裤,2,50.00,100.00\n"
)
MAR_APR = (
    "O4,C3,2024-03-20 10:00:00,图书,小说,1,20.00,20.00\n"
    "O5,C1,2024-04-02 10:00:00,图书,小说,1,20.00,20.00\n"
)


@pytest.fixture
def ws(ws):
    """A workspace whose mirror is kept, as once Spark has read it (its directory exists)."""
    ws.parquet_dir.mkdir(parents=True)
    return ws


def _files(ws) -> dict[str, list[str]]:
    return {p: e["files"] for p, e in read_manifest(ws, "orders")["partitions"].items()}


def _mirrored(ws) -> list[tuple]:
    files = [str(f) for f in mirror_files(ws, "orders")]
    return ws.con.execute(
        "SELECT order_id, customer_id, amount FROM read_parquet(?) ORDER BY ALL", [files]
    ).fetchall()


def _table(ws) -> list[tuple]:
    return ws.con.execute(
        "SELECT order_id, customer_id, amount FROM orders ORDER BY ALL"
    ).fetchall()


def test_imports_append_rewrite_and_keep_partitions(ws, write):
    import_file(ws, "orders", write("a.csv", HEAD + FEB_MAR))
    first = _files(ws)
    assert sorted(first) == ["month=2024-02", "month=2024-03"]
    assert _mirrored(ws) == _table(ws)

    # new rows in March (appended) and April (a new partition); February untouched
    import_file(ws, "orders", write("b.csv", HEAD + MAR_APR))
    second = _files(ws)
    assert second["month=2024-02"] == first["month=2024-02"]
    assert second["month=2024-03"][0] == first["month=2024-03"][0]
    assert len(second["month=2024-03"]) == 2 and len(second["month=2024-04"]) == 1
    assert _mirrored(ws) == _table(ws) and len(_table(ws)) == 5

    # a changed row in February rewrites February only (one file again)
    import_file(
        ws,
        "orders",
        write("c.csv", HEAD + FEB_MAR.replace(",1,100.00,100.00\n", ",2,100.00,200.00\n", 1)),
    )
    third = _files(ws)
    assert len(third["month=2024-02"]) == 1 and third["month=2024-02"] != first["month=2024-02"]
    assert third["month=2024-03"] == second["month=2024-03"]
    assert third["month=2024-04"] == second["month=2024-04"]
    assert _mirrored(ws) == _table(ws)
    assert ("O1", "C1", 200) in [(o, c, int(a)) for o, c, a in _mirrored(ws)]

    # only the listed files are on disk
    on_disk = {
        str(p.relative_to(ws.parquet_dir / "orders"))
        for p in (ws.parquet_dir / "orders").rglob("*.parquet")
    }
    assert on_disk == {f for files in third.values() for f in files}

    # compaction leaves one file per partition, same rows
    assert compact_mirror(ws, "orders") == 1
    assert all(len(f) == 1 for f in _files(ws).values())
    assert _mirrored(ws) == _table(ws) and mirror_in_step(ws, "orders")


def test_a_stray_file_is_ignored_and_removed(ws, write):
    import_file(ws, "orders", write("a.csv", HEAD + FEB_MAR))
    stray = ws.parquet_dir / "orders" / "month=2024-02" / "part-99-unfinished.parquet"
    stray.write_bytes((ws.parquet_dir / "orders" / _files(ws)["month=2024-02"][0]).read_bytes())
    assert _mirrored(ws) == _table(ws)  # readers use the manifest's files only
    import_file(ws, "orders", write("b.csv", HEAD + MAR_APR))
    assert not stray.exists()


def test_a_mirror_behind_the_table_is_found_and_repaired(ws, write):
    import_file(ws, "orders", write("a.csv", HEAD + FEB_MAR))
    # as if the process died after the DuckDB commit, before the mirror was written
    ws.con.execute("UPDATE orders SET amount = 90 WHERE order_id = 'O3'")
    assert not mirror_in_step(ws, "orders")
    finding = {f.table: f for f in check_workspace(ws) if f.kind == "mirror"}["orders"]
    assert not finding.ok and finding.derived
    untouched = _files(ws)["month=2024-02"]
    ws.write_parquet("orders")
    assert mirror_in_step(ws, "orders") and _mirrored(ws) == _table(ws)
    assert _files(ws)["month=2024-02"] == untouched  # only March was rewritten


def test_the_mirror_location_is_a_setting(tmp_path, write):
    from custlens.config import update_settings
    from custlens.store import init_workspace

    update_settings(tmp_path / "ws", {"spark.mirror": "../lake/shop"})
    ws = init_workspace(tmp_path / "ws")
    import_file(ws, "orders", write("a.csv", HEAD + FEB_MAR))
    lake = (tmp_path / "lake" / "shop").resolve()
    assert ws.parquet_dir.resolve() == lake
    assert (lake / "orders" / "_manifest.json").is_file() and not (
        tmp_path / "ws" / "parquet"
    ).exists()
    assert _mirrored(ws) == _table(ws)
    ws.close()


def test_doctor_compacts_and_repairs_a_missing_file(ws, write):
    from typer.testing import CliRunner

    from custlens.cli.main import app

    import_file(ws, "orders", write("a.csv", HEAD + FEB_MAR))
    import_file(ws, "orders", write("b.csv", HEAD + MAR_APR))
    assert len(_files(ws)["month=2024-03"]) == 2
    (ws.parquet_dir / "orders" / _files(ws)["month=2024-02"][0]).unlink()
    assert not mirror_in_step(ws, "orders")
    root = str(ws.root)
    ws.close()
    runner = CliRunner()
    broken = runner.invoke(app, ["doctor", "-w", root, "--format", "json"])
    assert broken.exit_code == 1
    fixed = runner.invoke(app, ["doctor", "-w", root, "--repair", "--compact", "--format", "json"])
    assert fixed.exit_code == 0, fixed.output
    from custlens.store import open_workspace

    again = open_workspace(root)
    assert all(len(f) == 1 for f in _files(again).values())
    assert mirror_in_step(again, "orders") and _mirrored(again) == _table(again)
    again.close()


def test_an_empty_table_is_mirrored_as_one_empty_file(ws):
    assert not mirror_in_step(ws, "events")  # never mirrored
    ws.write_parquet("events")
    files = mirror_files(ws, "events")
    assert len(files) == 1 and mirror_in_step(ws, "events")
    import pyarrow.parquet as pq

    table = pq.read_table(files[0])
    assert table.num_rows == 0 and "customer_id" in table.column_names


def test_a_duckdb_only_workspace_keeps_no_mirror_until_spark_builds_it(tmp_path, write):
    """No Parquet copy for a workspace Spark never read (imports skip it, doctor has nothing
    to check); once the mirror is built (as `connect_spark` does), imports keep it in step."""
    from custlens.store import init_workspace

    ws = init_workspace(tmp_path / "plain")
    import_file(ws, "orders", write("a.csv", HEAD + FEB_MAR))
    assert not ws.parquet_dir.exists()
    assert not [f for f in check_workspace(ws) if f.kind == "mirror"]
    for name in ("orders", "customers"):  # Spark's first read
        ws.write_parquet(name)
    import_file(ws, "orders", write("b.csv", HEAD + MAR_APR))
    assert mirror_in_step(ws, "orders") and _mirrored(ws) == _table(ws)
    assert len(_files(ws)["month=2024-03"]) == 2  # appended, not rewritten
    mirror = {f.table: f.ok for f in check_workspace(ws) if f.kind == "mirror"}
    assert mirror["orders"] and mirror["customers"]
    ws.close()


def test_a_spark_workspace_keeps_its_mirror_from_the_first_import(tmp_path, write):
    from custlens.config import update_settings
    from custlens.store import init_workspace

    update_settings(tmp_path / "ws", {"engine": "spark"})
    ws = init_workspace(tmp_path / "ws")
    import_file(ws, "orders", write("a.csv", HEAD + FEB_MAR))
    assert mirror_in_step(ws, "orders") and _mirrored(ws) == _table(ws)
    assert mirror_in_step(ws, "customers")  # the customers the orders created
    ws.close()
