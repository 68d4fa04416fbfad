"""Web benchmark: the dashboard and API at 1M customers, cold and under concurrent load.

Builds (once, cached under the work directory) a demo workspace with ``--customers``
customers (default 1,000,000; ~2.5 orders each, their events, campaigns and feedback) and the
stored customer-value analysis, serves it with ``custlens.web`` (uvicorn) in one process and
drives it from this process over 127.0.0.1:

1. cold: right after the server starts (while it still warms its caches in the background),
   one login, then each page and API call once: the latency a first visitor sees;
2. warm: ``--concurrency`` closed-loop clients (default 20) for ``--duration`` seconds
   (default 30), each logging in first, over the mix of :mod:`web_requests` (总览, 客户列表
   with a filter, customer search, 客户360, 分群, 漏斗, CLV, 营销活动, 满意度, the API's customer
   search and look-up).

Prints one table: the cold latency and the warm p50 / p95 / p99 per request kind, the target
of its group (pages and the API look-up p95 < 300 ms, customer search p95 < 100 ms, login
p95 < 300 ms) and whether it is met; throughput, errors, the machine's load and the cores the
server and this load generator used (on a small machine the generator competes with the
server). ``--cold-only`` stops after the cold pass; ``--settle SECONDS`` waits until no page
says a model is being fitted (churn; the recommender and the next-purchase model, whose fits
the first 客户360 view starts) before the load (else the load starts at once).

The workspace is built once per ``--workdir`` (default: a temp dir per size and seed) and
reused by later runs; opening it with a newer custlens applies its schema migrations.

    python bench/web_bench.py [--customers 1000000] [--duration 30] [--concurrency 20]

``--peer-python`` is accepted and ignored (the Makefile passes it to every bench; there is no
peer to compare a web app with here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from web_requests import ADMIN, KINDS, PASSWORD, TARGETS, TIMEOUT, cold_pass, load, settle

RESULTS = Path(__file__).parent / "results" / "web.jsonl"
TABLES = ("customers", "orders", "events", "campaigns", "campaign_responses", "feedback")


def build(root: Path, customers: int, seed: int, analyze: bool) -> Path:
    """The workspace for ``customers`` (reused when already built; a workspace built before
    the bench imported events gets them imported)."""
    from custlens.analytics.value.analysis import analyze_value
    from custlens.demo import generate_world
    from custlens.io.pipeline import import_file
    from custlens.privacy import users
    from custlens.store import init_workspace, open_workspace
    from custlens.store.results import save_analysis

    ws_dir, data, done = root / "ws", root / "data", root / "built.json"
    if done.exists():
        meta = json.loads(done.read_text())
        missing = [t for t in TABLES if t not in meta.get("tables", ("customers", "orders"))]
        if "events" in missing:  # the only table earlier versions of the bench left out
            ws = open_workspace(ws_dir)
            _import(ws, data, {"events": "events.parquet"}, ["events"], import_file)
            ws.close()
            done.write_text(json.dumps({**meta, "tables": list(TABLES)}))
        return ws_dir
    t0 = time.perf_counter()
    truth = generate_world(data, n_customers=customers, seed=seed, fmt="parquet")
    print(f"generated {customers:,} customers in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    ws = init_workspace(ws_dir)
    _import(ws, data, truth["files"], TABLES, import_file)
    if analyze:
        t = time.perf_counter()
        save_analysis(ws, analyze_value(ws, cluster=False))
        print(f"analysed in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    users.add_user(ws.con, ADMIN, PASSWORD, "admin")
    ws.con.execute("CHECKPOINT")
    orders = ws.count("orders")
    ws.close()
    done.write_text(
        json.dumps({"customers": customers, "order_lines": orders, "tables": list(TABLES)})
    )
    return ws_dir


def _import(ws, data: Path, files: dict, tables, import_file) -> None:
    ws.settings.limits.max_rows = 100_000_000  # ~23 events a customer: 23M rows at 1M
    for table in tables:
        t = time.perf_counter()
        r = import_file(ws, table, data / files[table])
        print(
            f"imported {table}: {r.inserted:,} rows in {time.perf_counter() - t:.0f}s",
            file=sys.stderr,
        )


def serve(ws_dir: str, port: int) -> None:
    """Server process: the app over the workspace, as `custlens serve` runs it."""
    import uvicorn

    from custlens.store import open_workspace
    from custlens.web.app import create_app

    ws = open_workspace(ws_dir)
    uvicorn.run(create_app(None, ws), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def sample_ids(ws_dir: Path, n: int = 500) -> list[str]:
    import duckdb

    con = duckdb.connect(str(ws_dir / "custlens.duckdb"), read_only=True)
    sql = f"SELECT customer_id FROM customers USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE (1)"
    ids = [r[0] for r in con.execute(sql).fetchall()]
    con.close()
    return ids


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) of a process so far, from /proc (None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _share(now: float | None, before: float | None, seconds: float) -> float | None:
    """Cores used on average (1.0 = one core busy the whole time)."""
    return None if now is None or before is None else round((now - before) / seconds, 2)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))] if s else float("nan")


def _ms(value: float | None) -> str:
    if value == float("inf"):
        return f">{TIMEOUT}s"
    return "—" if value is None or value != value else f"{value:.0f}"


def report(records: list, cold: dict[str, float], duration: float, meta: dict) -> dict:
    """Print the table of cold and warm latencies against the targets; the result as a dict."""
    print(
        f"\n{meta['customers']:,} customers, {meta['order_lines']:,} order lines; "
        f"{meta['concurrency']} clients for {duration:.0f}s\n"
    )
    print(
        f"{'request':34} {'cold':>7} {'n':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'err':>4}"
        f"  {'target p95':>10}  (ms)"
    )
    rows = {}
    for kind, label, _, group in KINDS:
        lat = [r[1] for r in records if r[0] == kind]
        p95 = pct(lat, 95)
        rows[kind] = {
            "label": label,
            "group": group,
            "n": len(lat),
            "p50": pct(lat, 50),
            "p95": p95,
            "p99": pct(lat, 99),
            "cold": cold.get(kind),
            "errors": sum(1 for r in records if r[0] == kind and r[2] != 200),
            "target_p95": TARGETS[group],
        }
        r = rows[kind]
        verdict = "—" if not lat else ("met" if p95 < TARGETS[group] else "OVER")
        print(
            f"{label:34} {_ms(r['cold']):>7} {r['n']:>6} {_ms(r['p50']):>6} {_ms(p95):>6} "
            f"{_ms(r['p99']):>6} {r['errors']:>4}  {'< ' + str(TARGETS[group]):>10}  {verdict}"
        )
    summary = {}
    for group, target in TARGETS.items():
        lat = [r[1] for r in records if rows[r[0]]["group"] == group]
        p95 = pct(lat, 95)
        summary[group] = {"p50": pct(lat, 50), "p95": p95, "p99": pct(lat, 99)}
        summary[group]["target_p95"] = target
        verdict = "no requests" if p95 != p95 else ("met" if p95 < target else "OVER TARGET")
        print(
            f"group {group:28} p50 {_ms(summary[group]['p50'])}  p95 {_ms(p95)}  p99 "
            f"{_ms(summary[group]['p99'])} ms  (target p95 < {target} ms: {verdict})"
        )
    errors = sum(1 for r in records if r[2] != 200)
    rps = len(records) / duration if duration else 0.0
    print(f"throughput {rps:.1f} req/s, {len(records):,} requests, errors {errors}")
    return {
        "requests": len(records),
        "rps": rps,
        "errors": errors,
        "groups": summary,
        "kinds": rows,
    }


def wait_started(base: str, server: subprocess.Popen) -> float:
    """Seconds until the server answers the login page."""
    import httpx

    t0, deadline = time.perf_counter(), time.time() + 600
    while True:
        try:
            if httpx.get(f"{base}/login", timeout=5).status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        if time.time() > deadline or server.poll() is not None:
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def run(ws_dir: Path, ids: list[str], args: argparse.Namespace) -> tuple[dict, list, dict]:
    """Start the server, run the cold pass and (unless ``--cold-only``) the load; stop it."""
    port = free_port()
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(ws_dir), "--port", str(port)]
    )
    base = f"http://127.0.0.1:{port}"
    machine = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    try:
        machine["start_s"] = wait_started(base, server)
        cold, token = asyncio.run(cold_pass(base, ids))
        machine["cold_pass_s"] = time.perf_counter() - started - machine["start_s"]
        records = []
        if args.settle and not args.cold_only:
            machine["settled_s"] = asyncio.run(settle(base, args.settle, ids[0]))
        if not args.cold_only:
            cpu = (_cpu_seconds(server.pid), time.process_time())
            records = asyncio.run(load(base, ids, token, args.concurrency, args.duration))
            machine["server_cpu_share"] = _share(_cpu_seconds(server.pid), cpu[0], args.duration)
            machine["client_cpu_share"] = _share(time.process_time(), cpu[1], args.duration)
        machine["load_after"] = os.getloadavg()[0]
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # threads busy in a model fit
            server.kill()
    return cold, records, machine


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--duration", type=float, default=30)
    ap.add_argument("--concurrency", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the workspace is built and kept [default: a temp dir per size]",
    )
    ap.add_argument(
        "--no-analyze", "--no-analyse", action="store_true", help="skip the stored analysis"
    )
    ap.add_argument("--cold-only", action="store_true", help="only the cold pass, no load")
    ap.add_argument(
        "--settle",
        type=float,
        default=0,
        help="after the cold pass, wait up to this many seconds until no page says a model is "
        "being fitted (churn, the recommender, next purchase) before the load [default: 0, "
        "load at once]",
    )
    ap.add_argument("--save", action="store_true", help=f"append the result to {RESULTS}")
    ap.add_argument("--peer-python", default=None, help="ignored (no peer for this bench)")
    ap.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    root = (
        args.workdir
        or Path(tempfile.gettempdir()) / f"custlens-web-bench-{args.customers}-{args.seed}"
    )
    root.mkdir(parents=True, exist_ok=True)
    ws_dir = build(root, args.customers, args.seed, not args.no_analyze)
    meta = json.loads((root / "built.json").read_text())
    cold, records, machine = run(ws_dir, sample_ids(ws_dir), args)
    duration = 0.0 if args.cold_only else args.duration
    result = report(records, cold, duration, {**meta, "concurrency": args.concurrency})
    print(
        f"machine: {machine['cpus']} cores, load {machine['load_before']:.2f} before / "
        f"{machine['load_after']:.2f} after; server up in {machine['start_s']:.1f}s, cold pass "
        f"{machine['cold_pass_s']:.1f}s, settled {machine.get('settled_s', 0):.0f}s; during the load the server used "
        f"{machine.get('server_cpu_share')} and this client {machine.get('client_cpu_share')} "
        "cores (the client shares the machine)"
    )
    result["machine"] = machine
    if args.save:
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as fh:
            entry = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), **meta}
            entry.update(concurrency=args.concurrency, duration=duration, **result)
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
