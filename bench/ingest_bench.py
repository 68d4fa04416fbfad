"""Ingestion benchmark: sustained POSTs of orders and events to the ingestion API.

Builds (once, cached under ``--workdir``) a demo workspace of ``--customers`` customers with a
stored customer-value analysis, serves it with ``custlens serve`` (one process; its answer
waits until the batch is applied and the touched customers' segments are updated, so a
request's latency is "POST to updated segment"), and drives it from this process with
``--concurrency`` closed-loop clients (httpx, asyncio), each with a token of its own (the API
allows 120 requests a minute per token), for ``--duration`` seconds. Each client alternates an
orders batch (``--order-rows`` lines of existing customers) and an events batch
(``--event-rows``). With ``--order-rate`` (and ``--event-rate``), batches are sent open-loop at
those rows a second instead, whatever the answers, the tokens in turn, each batch's latency
counted from when it was due: the sustained load the targets name.

Prints throughput (order lines/s, events/s), latency p50 / p95 / p99 per table and per
minute of the run (growth over the run shows as rising minutes), errors by status, and the
server's peak RSS (VmHWM), and appends them as a line to bench/results/ingest.jsonl (with the
scale, so that small runs on a busy machine are not read as the target's). Targets
(docs/ingestion.md): 5,000 events/s and 1,000 order lines/s with p95 under 2 s at 1M customers on
2 cores.

    python bench/ingest_bench.py [--customers 100000] [--duration 60] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
CUSTLENS = str(Path(sys.executable).parent / "custlens")
RESULTS = HERE / "results" / "ingest.jsonl"


def build(workdir: Path, customers: int, clients: int) -> tuple[Path, list[str], dt.date]:
    """The workspace (built once), one ingest token per client, and the data's last day."""
    from custlens.analytics.value.analysis import analyze_value
    from custlens.demo import generate_world
    from custlens.io.pipeline import import_file
    from custlens.privacy import users
    from custlens.store import init_workspace, open_workspace
    from custlens.store.results import latest_run, save_analysis

    root = workdir / "ws"
    if not root.exists():
        truth = generate_world(workdir / "data", n_customers=customers, seed=7)
        ws = init_workspace(root)
        for table, name in truth["files"].items():
            import_file(ws, table, workdir / "data" / name)
        save_analysis(ws, analyze_value(ws, cluster=False))
        users.add_user(ws.con, "bench", "bench-pass-01", "analyst")
        ws.close()
    with open_workspace(root) as ws:
        tokens = [users.create_token(ws.con, "bench", f"bench{i}", ("ingest",))[1]
                  for i in range(clients)]  # fmt: skip
        as_of = latest_run(ws)["as_of"]
        ws.con.execute("CHECKPOINT")
    return root, tokens, as_of


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) in MB; 0 when not readable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def batch(table, args, as_of, ids, rng, tag) -> list[dict]:
    """One batch of ``table`` rows of random existing customers; ``tag`` keeps its order ids
    and sessions its own (a run's rows are its own: another run on the same workspace sending
    the same rows would find them stored, unchanged, nothing to update, and look fast)."""
    day = as_of.isoformat()
    if table == "orders":
        return [{"order_id": f"B{tag}-{i}", "customer_id": rng.choice(ids),
                 "order_time": f"{day} 12:{i % 60:02d}:00", "quantity": 1,
                 "amount": rng.randint(10, 900), "product_name": "压测商品"}
                for i in range(args.order_rows)]  # fmt: skip
    return [{"customer_id": rng.choice(ids), "event_type": "page_view",
             "event_time": f"{day} 13:{i % 60:02d}:{rng.randrange(60):02d}",
             "session_id": f"S{tag}"}
            for i in range(args.event_rows)]  # fmt: skip


async def post(http, table, rows, results, started) -> None:
    """POST one batch; its latency counts from ``started`` (when it was due)."""
    try:
        got = await http.post(f"/api/v1/{table}", json=rows)
        status = got.status_code
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    results.append((started, table, len(rows), time.monotonic() - started, status))


async def client(url, token, args, as_of, ids, results, ends, seq) -> None:
    """One closed-loop client: orders and events batches in turn until ``ends``."""
    headers = {"Authorization": f"Bearer {token}"}
    run = f"{time.time_ns():x}"
    rng = random.Random(f"{run}-{seq}")
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
        n = 0
        while time.monotonic() < ends:
            n += 1
            table = "orders" if n % 2 else "events"
            rows = batch(table, args, as_of, ids, rng, f"{run}-{seq}-{n}")
            await post(http, table, rows, results, time.monotonic())


async def open_loop(url, tokens, args, as_of, ids, results, ends) -> None:
    """Batches sent at fixed rates whatever the answers (``--order-rate`` order lines and
    ``--event-rate`` events a second), each on its own, the tokens in turn: the load the
    targets name, with latency counted from when a batch was due."""
    run = f"{time.time_ns():x}"
    rng = random.Random(run)
    clients = [httpx.AsyncClient(base_url=url, timeout=120,
                                 headers={"Authorization": f"Bearer {t}"}) for t in tokens]  # fmt: skip
    tasks: list[asyncio.Task] = []

    async def send(table: str, every: float) -> None:
        due, n = time.monotonic(), 0
        while due < ends:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            n += 1
            rows = batch(table, args, as_of, ids, rng, f"{run}-{table}-{n}")
            http = clients[n % len(clients)]
            tasks.append(asyncio.create_task(post(http, table, rows, results, due)))
            due += every

    try:
        await asyncio.gather(send("orders", args.order_rows / args.order_rate),
                             send("events", args.event_rows / args.event_rate))  # fmt: skip
        await asyncio.gather(*tasks)
    finally:
        for http in clients:
            await http.aclose()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def report(results: list, started: float, seconds: float, rss: float) -> dict:
    """Print throughput, latency percentiles, errors and peak RSS; return them."""
    ok = [r for r in results if r[4] == 200]
    print(f"requests {len(results)}, applied in time {len(ok)}, over {seconds:.0f} s")
    out: dict = {"seconds": round(seconds, 1), "requests": len(results), "applied": len(ok)}
    for table in ("orders", "events"):
        mine = [r for r in ok if r[1] == table]
        rows = sum(r[2] for r in mine)
        lat = [r[3] for r in mine]
        p = {q: _pct(lat, q) for q in (0.5, 0.95, 0.99)}  # nan: none applied in time
        print(f"{table:7s} {rows / seconds:9.0f} rows/s  p50 {p[.5]:6.2f} s  "
              f"p95 {p[.95]:6.2f} s  p99 {p[.99]:6.2f} s")  # fmt: skip
        out[table] = {"rows_per_s": round(rows / seconds, 1),
                      **{f"p{int(q * 100)}_s": round(v, 3) if v == v else None
                         for q, v in p.items()}}  # fmt: skip
    minutes = []
    for minute in range(int(seconds // 60) + 1):
        lat = [r[3] for r in ok if minute * 60 <= r[0] - started < (minute + 1) * 60]
        if lat:
            print(f"minute {minute + 1}: p95 {_pct(lat, 0.95):.2f} s ({len(lat)} requests)")
            minutes.append(round(_pct(lat, 0.95), 3))
    errors: dict = {}
    for r in results:
        if r[4] != 200:
            errors[str(r[4])] = errors.get(str(r[4]), 0) + 1
    print(f"not applied in time / errors by status: {errors or 'none'}")
    print(f"server peak RSS {rss:.0f} MB")
    return {**out, "p95_by_minute_s": minutes, "errors": errors, "peak_rss_mb": round(rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--order-rows", type=int, default=500)
    parser.add_argument("--event-rows", type=int, default=2500)
    # open loop: batches sent at these rates whatever the answers (0: closed-loop clients)
    parser.add_argument("--order-rate", type=float, default=0.0)
    parser.add_argument("--event-rate", type=float, default=5000.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--peer-python", default=None)  # (the Makefile passes it; unused)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.gettempdir()) / f"custlens-ingest-{args.customers}"
    workdir.mkdir(parents=True, exist_ok=True)
    root, tokens, as_of = build(workdir, args.customers, args.concurrency)
    from custlens.store import open_workspace

    with open_workspace(root, read_only=True) as ws:
        ids = [r[0] for r in ws.con.execute("SELECT customer_id FROM customers").fetchall()]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    server = subprocess.Popen([CUSTLENS, "serve", "-w", str(root), "--port", str(port),
                               "--ingest-wait", "30"], env=env)  # fmt: skip
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        results: list = []
        started = time.monotonic()
        ends = started + args.duration

        async def run() -> None:
            if args.order_rate:
                await open_loop(url, tokens, args, as_of, ids, results, ends)
                return
            await asyncio.gather(*(client(url, t, args, as_of, ids, results, ends, i)
                                   for i, t in enumerate(tokens)))  # fmt: skip

        asyncio.run(run())
        figures = report(results, started, time.monotonic() - started, peak_rss_mb(server.pid))
        line = {"at": dt.datetime.now().isoformat(timespec="seconds"),
                "customers": args.customers, "concurrency": args.concurrency,
                "order_rows": args.order_rows, "event_rows": args.event_rows,
                "open_loop_rates": [args.order_rate, args.event_rate] if args.order_rate else None,
                "cpus": os.cpu_count(), **figures}  # fmt: skip
        with RESULTS.open("a") as fh:
            fh.write(json.dumps(line) + "\n")
    finally:
        server.terminate()
        server.wait(timeout=120)


if __name__ == "__main__":
    main()
