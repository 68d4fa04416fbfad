"""Rejects files: written once per distinct set of rejects, at most rejects_keep per table."""

from __future__ import annotations

from custlens.io.pipeline import import_file
from custlens.store import open_workspace

HEADER = "客户编号,姓名,联系方式\n"


def _files(ws):
    return sorted(p.name for p in ws.rejects_dir.iterdir())


def test_a_reimport_reuses_the_rejects_file(ws, write):
    path = write("c.csv", HEADER + "C1,张三,13800000001\nC2,李四,123\n")
    first = import_file(ws, "customers", path)
    assert first.rejected == 1 and first.rejects_file
    again = import_file(ws, "customers", path)
    assert again.rejects_file == first.rejects_file
    assert _files(ws) == ["c.rejects.1.csv"]
    # a changed file with other rejects gets its own
    other = import_file(ws, "customers", write("c.csv", HEADER + "C3,王五,456\n"))
    assert other.rejects_file != first.rejects_file
    assert len(_files(ws)) == 2


def test_only_the_newest_rejects_files_are_kept(ws, write):
    (ws.root / "custlens.toml").write_text(
        (ws.root / "custlens.toml").read_text().replace("rejects_keep = 20", "rejects_keep = 2")
    )
    ws.close()
    ws = open_workspace(ws.root)
    try:
        results = [
            import_file(ws, "customers", write(f"c{i}.csv", HEADER + f"C{i},某,{i}\n"))
            for i in range(4)
        ]
        assert _files(ws) == ["c2.rejects.3.csv", "c3.rejects.4.csv"]
        logged = ws.con.execute(
            "SELECT import_id, rejects_file IS NOT NULL FROM import_log ORDER BY 1"
        ).fetchall()
        assert logged == [(1, False), (2, False), (3, True), (4, True)]
        assert all(r.rejected == 1 for r in results)
    finally:
        ws.close()
