"""Micro-batching of the ingestion API: batches posted at the same time by several clients are
applied together, fewer transactions than requests, and every row is applied once."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from custlens.privacy import users
from custlens.store import init_workspace
from custlens.web.app import create_app
from custlens.web.context import WebOptions

POSTERS = 8
ROWS = 30  # customers a request


def _batch(p: int) -> list[dict[str, str]]:
    return [
        {"customer_id": f"M{p}{i:04d}", "name": f"客{p}-{i}", "phone": f"138{p}{i:07d}"}
        for i in range(ROWS)
    ]


def test_concurrent_posts_share_transactions_and_apply_every_row_once(tmp_path):
    ws = init_workspace(tmp_path / "ws")
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    _, token = users.create_token(ws.con, "pos", "till", ("ingest",))
    options = WebOptions(warm_caches=False, ingest_wait_seconds=60, ingest_batch_seconds=1.0)
    app = create_app(None, ws, options)
    answers: list[dict] = []
    start = threading.Barrier(POSTERS)

    def post(p: int, client: TestClient) -> None:
        start.wait()
        got = client.post(
            "/api/v1/customers", json=_batch(p), headers={"Authorization": f"Bearer {token}"}
        )
        answers.append({"status": got.status_code, **got.json()})

    with TestClient(app) as client:
        threads = [threading.Thread(target=post, args=(p, client)) for p in range(POSTERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        # the same rows again: matched by their natural keys, nothing is added
        post_again = client.post(
            "/api/v1/customers", json=_batch(0), headers={"Authorization": f"Bearer {token}"}
        )
    ingestor = app.state.ingestor
    ingestor.close()
    assert len(answers) == POSTERS
    assert all(a["status"] == 200 and a["applied"] for a in answers), answers
    assert post_again.json()["inserted"] == 0
    assert ingestor.transactions < POSTERS  # applied together
    count, distinct = ws.con.execute(
        "SELECT count(*), count(DISTINCT customer_id) FROM customers"
    ).fetchone()
    assert count == distinct == POSTERS * ROWS
    batches = ws.con.execute(
        "SELECT count(*), count(DISTINCT batch_id), count(DISTINCT import_id) "
        "FROM ingest_batches WHERE status = 'applied'"
    ).fetchone()
    assert batches == (POSTERS + 1, POSTERS + 1, POSTERS + 1)
    assert sum(a["inserted"] for a in answers) == POSTERS * ROWS
    ws.close()


def test_mirror_follows_ingested_batches_after_a_pause(tmp_path, monkeypatch):
    """The Parquet mirror is not rewritten per micro-batch (a comparison of the whole table
    each time) but once arrivals pause, and when the server closes: then it is in step."""
    from custlens.store import mirror
    from custlens.web import ingest

    monkeypatch.setattr(ingest, "QUIET_SECONDS", 0.3)
    synced: list[str] = []
    real_sync = mirror.sync_mirror

    def recorded(ws, name, import_id=None):
        synced.append(name)
        return real_sync(ws, name, import_id)

    monkeypatch.setattr(mirror, "sync_mirror", recorded)
    ws = init_workspace(tmp_path / "ws")
    ws.parquet_dir.mkdir(parents=True)  # a kept mirror (Spark has read the workspace)
    users.add_user(ws.con, "pos", "pos-pass-001", "analyst")
    _, token = users.create_token(ws.con, "pos", "till", ("ingest",))
    app = create_app(None, ws, WebOptions(warm_caches=False, ingest_wait_seconds=60))
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        for p in range(3):
            got = client.post("/api/v1/customers", json=_batch(p), headers=auth)
            assert got.status_code == 200 and got.json()["applied"], got.text
        assert synced == []  # applied, the mirror not touched per batch
        assert not mirror.mirror_in_step(ws, "customers")
        ingestor = app.state.ingestor
        for _ in range(100):  # the pause: brought in step by the applier thread
            if len(set(synced)) == 3:
                break
            threading.Event().wait(0.1)
        assert sorted(set(synced)) == ["customers", "events", "orders"]
        with app.state.ctx.writing():
            assert mirror.mirror_in_step(ws, "customers")
        got = client.post("/api/v1/customers", json=_batch(7), headers=auth)
        assert got.json()["applied"]
    ingestor.close()  # (closing the server brings it in step too)
    assert mirror.mirror_in_step(ws, "customers")
    rows = ws.con.execute(
        "SELECT count(*) FROM read_parquet(?)",
        [[str(f) for f in mirror.mirror_files(ws, "customers")]],
    ).fetchone()[0]
    assert rows == 4 * ROWS
    ws.close()


def test_steady_arrivals_let_long_background_work_finish():
    """Under steady arrivals a warming pass or snapshot copy still running is not restarted
    (it would never finish on a large workspace), and runs are spaced by their own length."""
    from custlens.web.ingest import MAX_DEFER_SECONDS, STEADY_BACKGROUND_SHARE, background_due

    class Worker:
        def __init__(self, busy: bool, last: float):
            self._busy, self.last_seconds = busy, last

        def busy(self) -> bool:
            return self._busy

    assert not background_due(10_000, [Worker(True, 1.0), None])
    assert not background_due(10_000, [Worker(False, 1.0), Worker(True, 1.0)])
    assert background_due(MAX_DEFER_SECONDS, [None, None])
    assert not background_due(MAX_DEFER_SECONDS - 1, [Worker(False, 1.0)])
    long_runs = [Worker(False, 60.0), Worker(False, 40.0)]  # warming, then the snapshot
    assert not background_due(100 / STEADY_BACKGROUND_SHARE - 1, long_runs)
    assert background_due(100 / STEADY_BACKGROUND_SHARE, long_runs)


def test_a_micro_batch_takes_the_batches_already_waiting_up_to_the_backlog_limit():
    """Behind (batches queued while the last micro-batch was applied), the next one takes
    those already waiting beyond ``max_rows``, up to ``backlog_rows``; a stop request among
    them ends the applier after them."""
    from custlens.web.ingest import Ingestor

    def entry(n: int) -> dict:
        return {"batch_id": f"b{n}", "rows": [{}] * 2}

    for backlog, taken in ((10, 5), (4, 2), (0, 2)):
        ingestor = Ingestor(None, window=0.01, max_rows=4, backlog_rows=backlog)
        for n in range(1, 8):
            ingestor._queue.put(entry(n))
        group, stop = ingestor._collect(entry(0))
        assert [e["batch_id"] for e in group] == [f"b{n}" for n in range(taken)]
        assert not stop and ingestor._queue.qsize() == 8 - taken
    ingestor = Ingestor(None, window=0.01, max_rows=2, backlog_rows=10)
    for item in (entry(1), entry(2), None, entry(3)):
        ingestor._queue.put(item)
    group, stop = ingestor._collect(entry(0))
    assert stop and [e["batch_id"] for e in group] == ["b0", "b1", "b2"]
