"""Web benchmark: the dashboard and API under bounded concurrent load.

Builds (once, cached under the work directory) a demo workspace with ``--customers``
customers (default 1,000,000; ~2.5 orders each) and the stored customer-value analysis, serves
it with ``custlens.web`` (uvicorn) in one process and drives it from this process over
127.0.0.1 with ``--concurrency`` clients (default 20) for ``--duration`` seconds (default 30):
dashboard pages (总览, 客户, 客户360, 购买模式, 分群) through a logged-in session and the JSON API
through a bearer token. Prints p50 / p95 / p99 latency per request kind, throughput and
errors, plus the cold (first, uncached) latency of each page.

Targets (issue 10): p95 under 500 ms for dashboard pages, under 150 ms for customer search,
zero errors. Also prints the machine's load and how many cores the server and this load
generator used during the run (on a small machine the generator competes with the server).

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
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ADMIN, PASSWORD = "bench", "bench-pass-1"
RESULTS = Path(__file__).parent / "results" / "web.jsonl"
# (kind, weight, group): group "dashboard" targets p95 < 500 ms, "search" < 150 ms
MIX = [
    ("page /", 2, "dashboard"),
    ("page /customers", 2, "dashboard"),
    ("page /customers?q=", 4, "search"),
    ("page /customers/{id}", 3, "dashboard"),
    ("page /patterns", 1, "dashboard"),
    ("page /segments", 1, "dashboard"),
    ("api /kpis", 2, "dashboard"),
    ("api /customers?q=", 4, "search"),
    ("api /customers?filters", 2, "search"),
    ("api /customers/{id}", 3, "dashboard"),
]


def build(root: Path, customers: int, seed: int, analyze: bool) -> Path:
    """The workspace for ``customers`` (reused when already built)."""
    from custlens.analytics.value.analysis import analyze_value
    from custlens.demo import generate_world
    from custlens.io.pipeline import import_file
    from custlens.privacy import users
    from custlens.store import init_workspace
    from custlens.store.results import save_analysis

    ws_dir = root / "ws"
    done = root / "built.json"
    if done.exists():
        return ws_dir
    data = root / "data"
    t0 = time.perf_counter()
    truth = generate_world(data, n_customers=customers, seed=seed, fmt="parquet")
    print(f"generated {customers:,} customers in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    ws = init_workspace(ws_dir)
    for table in ("customers", "orders", "campaigns", "campaign_responses", "feedback"):
        t = time.perf_counter()
        r = import_file(ws, table, data / truth["files"][table])
        print(
            f"imported {table}: {r.inserted:,} rows in {time.perf_counter() - t:.0f}s",
            file=sys.stderr,
        )
    if analyze:
        t = time.perf_counter()
        save_analysis(ws, analyze_value(ws, cluster=False))
        print(f"analysed in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    users.add_user(ws.con, ADMIN, PASSWORD, "admin")
    ws.con.execute("CHECKPOINT")
    orders = ws.count("orders")
    ws.close()
    done.write_text(json.dumps({"customers": customers, "order_lines": orders}))
    return ws_dir


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


def request_for(kind: str, rng: random.Random, ids: list[str]) -> tuple[str, dict]:
    cid = rng.choice(ids)
    if kind == "page /":
        return "/", {"period": rng.choice(["month", "week", "quarter"])}
    if kind == "page /customers":
        return "/customers", {"page": rng.randint(1, 50)}
    if kind == "page /customers?q=":
        return "/customers", {"q": rng.choice([cid, cid[:-2], rng.choice("张王李赵刘陈杨")])}
    if kind == "page /customers/{id}":
        return f"/customers/{cid}", {}
    if kind == "page /patterns":
        return "/patterns", {}
    if kind == "page /segments":
        return "/segments", {}
    if kind == "api /kpis":
        return "/api/v1/kpis", {"period": rng.choice(["month", "week"])}
    if kind == "api /customers?q=":
        return "/api/v1/customers", {
            "q": rng.choice([cid, cid[:-3], f"{rng.randint(0, 9999):04d}"])
        }
    if kind == "api /customers?filters":
        return "/api/v1/customers", {
            "province": rng.choice(["广东", "浙江", "山东"]),
            "sort": rng.choice(["customer_id", "revenue"]),
            "desc": True,
            "page": rng.randint(1, 20),
        }
    return f"/api/v1/customers/{cid}", {}


async def login(client) -> None:
    html = (await client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    resp = await client.post(
        "/login", data={"username": ADMIN, "password": PASSWORD, "csrf_token": token}
    )
    assert resp.status_code in (200, 303), resp.status_code


async def api_token(base: str) -> str:
    import httpx

    async with httpx.AsyncClient(base_url=base, follow_redirects=True) as c:
        await login(c)
        html = (await c.get("/account")).text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
        page = (await c.post("/account/tokens", data={"name": "bench", "csrf_token": csrf})).text
        return re.search(r'id="new-token">([^<]+)<', page).group(1)


async def cold_pass(base: str, ids: list[str], token: str) -> dict[str, float]:
    """Each request kind once, in order, before any load: uncached latencies."""
    import httpx

    out = {}
    rng = random.Random(0)
    async with httpx.AsyncClient(base_url=base, timeout=600) as c:
        await login(c)
        for kind, _, _ in MIX:
            path, params = request_for(kind, rng, ids)
            headers = {"Authorization": f"Bearer {token}"} if kind.startswith("api") else {}
            t = time.perf_counter()
            resp = await c.get(path, params=params, headers=headers)
            out[kind] = (time.perf_counter() - t) * 1000
            assert resp.status_code == 200, (kind, resp.status_code, resp.text[:300])
    return out


async def load(base: str, ids: list[str], token: str, clients: int, duration: float) -> list:
    import httpx

    kinds = [k for k, w, _ in MIX for _ in range(w)]
    records: list[tuple[str, float, int]] = []
    stop = time.perf_counter() + duration

    async def worker(n: int) -> None:
        rng = random.Random(n)
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as c:
            await login(c)
            while time.perf_counter() < stop:
                kind = rng.choice(kinds)
                path, params = request_for(kind, rng, ids)
                headers = {"Authorization": f"Bearer {token}"} if kind.startswith("api") else {}
                t = time.perf_counter()
                try:
                    status = (await c.get(path, params=params, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0
                records.append((kind, (time.perf_counter() - t) * 1000, status))

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return records


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


def report(records: list, cold: dict[str, float], duration: float, meta: dict) -> dict:
    groups = {k: g for k, _, g in MIX}
    print(
        f"\n{meta['customers']:,} customers, {meta['order_lines']:,} order lines; "
        f"{meta['concurrency']} clients for {duration:.0f}s\n"
    )
    print(f"{'request':28} {'n':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'cold':>8} {'err':>4}  (ms)")
    rows = {}
    for kind, _, _ in MIX:
        lat = [r[1] for r in records if r[0] == kind]
        err = sum(1 for r in records if r[0] == kind and r[2] != 200)
        rows[kind] = {
            "n": len(lat),
            "p50": pct(lat, 50),
            "p95": pct(lat, 95),
            "p99": pct(lat, 99),
            "cold": cold.get(kind),
            "errors": err,
        }
        r = rows[kind]
        print(
            f"{kind:28} {r['n']:>6} {r['p50']:>7.0f} {r['p95']:>7.0f} {r['p99']:>7.0f} "
            f"{r['cold']:>8.0f} {err:>4}"
        )
    summary = {}
    for group, target in (("dashboard", 500), ("search", 150)):
        lat = [r[1] for r in records if groups[r[0]] == group]
        p95 = pct(lat, 95)
        summary[group] = {
            "p50": pct(lat, 50),
            "p95": p95,
            "p99": pct(lat, 99),
            "target_p95": target,
        }
        verdict = "ok" if p95 <= target else "OVER TARGET"
        print(
            f"{group:28} p50 {summary[group]['p50']:.0f}  p95 {p95:.0f}  p99 "
            f"{summary[group]['p99']:.0f} ms  (target p95 < {target} ms: {verdict})"
        )
    errors = sum(1 for r in records if r[2] != 200)
    rps = len(records) / duration
    print(f"throughput {rps:.1f} req/s, {len(records):,} requests, errors {errors}")
    return {
        "requests": len(records),
        "rps": rps,
        "errors": errors,
        "groups": summary,
        "kinds": rows,
    }


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
    ids = sample_ids(ws_dir)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(ws_dir), "--port", str(port)]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.3)
        token = asyncio.run(api_token(base))
        cold = asyncio.run(cold_pass(base, ids, token))
        machine = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
        cpu = (_cpu_seconds(server.pid), time.process_time())
        records = asyncio.run(load(base, ids, token, args.concurrency, args.duration))
        machine["server_cpu_share"] = _share(_cpu_seconds(server.pid), cpu[0], args.duration)
        machine["client_cpu_share"] = _share(time.process_time(), cpu[1], args.duration)
        machine["load_after"] = os.getloadavg()[0]
    finally:
        server.terminate()
        server.wait(30)
    result = report(records, cold, args.duration, {**meta, "concurrency": args.concurrency})
    print(
        f"machine: {machine['cpus']} cores, load {machine['load_before']:.2f} before / "
        f"{machine['load_after']:.2f} after; during the load the server used "
        f"{machine['server_cpu_share']} and this client {machine['client_cpu_share']} "
        "cores (the client shares the machine)"
    )
    result["machine"] = machine
    if args.save:
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write(
                json.dumps(
                    {
                        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                        **meta,
                        "concurrency": args.concurrency,
                        "duration": args.duration,
                        **result,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )


if __name__ == "__main__":
    main()
