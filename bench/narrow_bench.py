"""Narrow-shape benchmark: RFM scores, the 6-step funnel and category pair rules, custlens vs
hand-written DuckDB SQL, polars, pandas and chdb (ClickHouse windowFunnel) in the same run.

Data (generated in a child process, vectorised NumPy; ``--customers`` sets the size):

* orders: one order per line, 5 columns (customer_id, order_id, order_date, category,
  amount); 55% of customers buy once, the repeaters' order counts are heavy-tailed (Zipf);
  ~2.5M orders per 1M customers. Stored in a custlens workspace (paid, not flagged) and as
  Parquet for the DataFrame peers.
* events: customer_id, session_id, event_time, page_type (home, category, detail, cart,
  checkout, pay) with drop-offs and revisits; ~12M events per 1M customers.
* baskets: (order_id, category) rows over 21 categories, ~4.4 categories per order, one
  basket per customer (``--customers`` orders).

Workloads (every tool computes the same result, checked):

1. rfm: ``compute_rfm`` (R by day bins, tie-aware quintile F and M); the number of customers
   in every (r, f, m) cell must agree.
2. funnel: 6 page_type steps, sequential, 14-day window from the first step, by person;
   the people reaching each step must agree.
3. pair_rules: rules A -> B with support >= MIN_SUPPORT; every rule's count, confidence and
   lift must agree.

Each tool runs in a fresh subprocess (peak RSS is per tool), ``--repeat`` times interleaved;
the fastest run counts (the least disturbed on a shared machine). Seconds are the compute
time inside the process (after imports and opening the data); cpu is the CPU time of all the
process's threads over the same span (steadier than seconds on a busy machine). Prints ratios to the
hand-written DuckDB SQL (and chdb for the funnel) and appends to bench/results/narrow.jsonl.

    python bench/narrow_bench.py [--customers 1000000] [--only rfm funnel pair_rules]
        [--tools custlens chdb] [--repeat 3] [--keep /path/to/reuse/the/data]
        [--peer-python /path/to/python-with-polars-pandas-chdb]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "narrow.jsonl"
AS_OF = "2026-01-01"
MIN_SUPPORT = 0.001
WINDOW = 14 * 86400
PAGES = ("home", "category", "detail", "cart", "checkout", "pay")

GENERATE = r"""
import json, sys
import duckdb, numpy as np, pyarrow as pa, pyarrow.parquet as pq
out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
cats = np.array([f"cat{i:02d}" for i in range(21)])
ids = lambda prefix, a: pa.array(np.char.add(prefix, a.astype(str)))

# orders: 55% single buyers, heavy-tailed repeaters
per = np.where(rng.random(n) < 0.55, 1, 1 + np.minimum(rng.zipf(2.13, n), 400))
cust = np.repeat(np.arange(n), per)
m = cust.size
day = rng.integers(0, 3 * 365, m)
pop = 1.0 / np.arange(1, 22); pop /= pop.sum()
orders = pa.table({
    "customer_id": ids("C", cust),
    "order_id": ids("O", np.arange(m)),
    "order_date": pa.array(np.datetime64("2023-01-01") + day.astype("timedelta64[D]")),
    "category": pa.array(cats[rng.choice(21, m, p=pop)]),
    "amount": pa.array(np.round(rng.lognormal(4.0, 0.9, m), 2)).cast(pa.decimal128(18, 2)),
})
pq.write_table(orders, f"{out}/orders.parquet")
con = duckdb.connect(f"{out}/ws/custlens.duckdb")
con.execute('''INSERT INTO orders BY NAME SELECT *, order_id AS order_line_key, 1 AS line_no,
  1 AS quantity, amount AS unit_price, 'paid' AS status, false AS needs_review,
  1 AS net_quantity, amount AS net_amount FROM read_parquet(?)''', [f"{out}/orders.parquet"])
con.close()

# baskets: each category with its own probability, raised by one of 3 shopper types
base = np.sort(rng.uniform(0.02, 0.265, 21))[::-1]
kind = rng.integers(0, 3, n)
boost = np.zeros((3, 21)); boost[0, :5] = 0.25; boost[1, 5:10] = 0.3; boost[2, 10:14] = 0.35
hold = rng.random((n, 21)) < np.minimum(base + boost[kind], 0.95)
hold[~hold.any(axis=1), 0] = True
o, c = np.nonzero(hold)
pq.write_table(pa.table({"order_id": ids("B", o), "category": pa.array(cats[c])}),
               f"{out}/baskets.parquet")
del hold, o, c

# events: sessions home -> category -> detail -> [detail again] -> cart -> checkout -> pay
s = int(n * 4.2)
person = rng.integers(0, n, s)
start = rng.integers(0, 90 * 86400, s)
cont = np.array([0.62, 0.78, 0.52, 0.8, 0.9])
depth = 1 + np.cumprod(rng.random((s, 5)) < cont, axis=1).sum(axis=1)
revisit = (depth >= 3) & (rng.random(s) < 0.35)
n_ev = depth + revisit
sess = np.repeat(np.arange(s), n_ev)
first = np.cumsum(n_ev) - n_ev
pos = np.arange(sess.size) - first[sess]
r = revisit[sess]
step = np.where(r & (pos == 3), 2, pos - r * (pos >= 4))
cum = np.cumsum(rng.integers(5, 120, sess.size))
t = start[sess] + cum - cum[first][sess]
del cum
ts = np.datetime64("2025-01-01T00:00:00") + t.astype("timedelta64[s]")
names = np.char.add("C", np.arange(n).astype(str))
events = pa.table({
    "customer_id": pa.DictionaryArray.from_arrays(pa.array(person[sess].astype(np.int32)),
                                                  pa.array(names)).cast(pa.string()),
    "session_id": pa.array(sess.astype(np.int64)),
    "event_time": pa.array(ts.astype("datetime64[us]")),
    "page_type": pa.DictionaryArray.from_arrays(pa.array(step.astype(np.int32)),
                                                pa.array(PAGES)).cast(pa.string()),
})
pq.write_table(events, f"{out}/events.parquet", row_group_size=1_000_000)
print(json.dumps({"orders": m, "baskets": int(n), "basket_rows": pq.read_metadata(
    f"{out}/baskets.parquet").num_rows, "events": events.num_rows}))
"""

PRELUDE = r"""
import json, resource, sys, time
DIR = sys.argv[1]
AS_OF, MIN_SUPPORT, WINDOW = {AS_OF!r}, {MIN_SUPPORT!r}, {WINDOW!r}
PAGES = {PAGES!r}
CPU0 = [0.0]
def start():  # the compute starts: wall clock, and CPU time of every thread from here
    CPU0[0] = time.process_time()
    return time.perf_counter()
def report(result, seconds):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cpu = time.process_time() - CPU0[0]
    print(json.dumps({{"result": result, "seconds": seconds, "cpu": cpu, "rss_mb": rss}}))
def rules_out(rows):  # (a, b, n_ab, confidence, lift) rounded, sorted
    return sorted([a, b, int(n), round(c, 9), round(l, 9)] for a, b, n, c, l in rows)
"""

# (workload, tool) -> code; ``python`` "peer" runs with --peer-python
RUNNERS: dict[tuple[str, str], str] = {
    ("rfm", "custlens"): r"""
import datetime as dt
from custlens.store import open_workspace
from custlens.analytics.value.rfm import compute_rfm
ws = open_workspace(DIR + "/ws")
orders = ws.table("orders")  # Ibis loaded before the clock, as in the other custlens runners
t0 = start()
out = compute_rfm(orders, dt.date.fromisoformat(AS_OF)).to_pyarrow()
seconds = time.perf_counter() - t0
cells = out.group_by(["r_score", "f_score", "m_score"]).aggregate([("customer_id", "count")])
report(sorted(map(list, zip(*[c.to_pylist() for c in cells.columns]))), seconds)
""",
    ("rfm", "duckdb_sql"): r"""
import duckdb
con = duckdb.connect(DIR + "/ws/custlens.duckdb", read_only=True)
t0 = start()
out = con.execute(f'''
WITH c AS (
  SELECT customer_id, max(order_date) AS last_order, count(DISTINCT order_id) AS orders,
         sum(net_amount) AS revenue
  FROM orders WHERE status = 'paid' AND NOT coalesce(needs_review, false)
    AND (net_quantity > 0 OR net_amount > 0) AND order_date < DATE '{AS_OF}'
  GROUP BY customer_id)
SELECT customer_id, date_diff('day', last_order, DATE '{AS_OF}') AS recency_days, orders, revenue,
  4 - (recency_days > 30)::INT - (recency_days > 90)::INT - (recency_days > 180)::INT AS r,
  least((rank() OVER (ORDER BY orders) - 1) * 5 // greatest(count(*) OVER () - 1, 1) + 1, 5) AS f,
  least((rank() OVER (ORDER BY revenue) - 1) * 5 // greatest(count(*) OVER () - 1, 1) + 1, 5) AS m
FROM c''').fetch_arrow_table()
seconds = time.perf_counter() - t0
cells = con.execute("SELECT r, f, m, count(*) FROM out GROUP BY ALL ORDER BY ALL").fetchall()
report(sorted(map(list, cells)), seconds)
""",
    ("rfm", "polars"): r"""
import datetime as dt, polars as pl
asof = dt.date.fromisoformat(AS_OF)
t0 = start()
o = pl.scan_parquet(DIR + "/orders.parquet").filter(pl.col("order_date") < asof)
c = o.group_by("customer_id").agg(pl.col("order_date").max().alias("last"),
    pl.col("order_id").n_unique().alias("orders"), pl.col("amount").sum().alias("revenue"))
c = c.with_columns((pl.lit(asof) - pl.col("last")).dt.total_days().alias("rd"))
n = pl.max_horizontal(pl.len() - 1, 1)
c = c.with_columns(
    (4 - (pl.col("rd") > 30).cast(pl.Int32) - (pl.col("rd") > 90).cast(pl.Int32)
       - (pl.col("rd") > 180).cast(pl.Int32)).alias("r"),
    pl.min_horizontal((pl.col("orders").rank("min").cast(pl.Int64) - 1) * 5 // n + 1, 5).alias("f"),
    pl.min_horizontal((pl.col("revenue").rank("min").cast(pl.Int64) - 1) * 5 // n + 1, 5).alias("m"),
).collect()
seconds = time.perf_counter() - t0
report(sorted(map(list, c.group_by(["r", "f", "m"]).len().iter_rows())), seconds)
""",
    ("rfm", "pandas"): r"""
import numpy as np, pandas as pd
t0 = start()
o = pd.read_parquet(DIR + "/orders.parquet", columns=["customer_id", "order_id", "order_date", "amount"])
o["order_date"] = pd.to_datetime(o.order_date)
o["amount"] = o.amount.astype("float64")
o = o[o.order_date < pd.Timestamp(AS_OF)]
c = o.groupby("customer_id", sort=False).agg(last=("order_date", "max"),
    orders=("order_id", "nunique"), revenue=("amount", "sum"))
c["revenue"] = c.revenue.round(2)
rd = (pd.Timestamp(AS_OF) - c["last"]).dt.days
c["r"] = 4 - (rd > 30).astype(int) - (rd > 90) - (rd > 180)
n = max(len(c) - 1, 1)
for col, out in (("orders", "f"), ("revenue", "m")):
    c[out] = np.minimum((c[col].rank(method="min").astype("int64") - 1) * 5 // n + 1, 5)
seconds = time.perf_counter() - t0
cells = c.groupby(["r", "f", "m"]).size()
report(sorted([int(r), int(f), int(m), int(k)] for (r, f, m), k in cells.items()), seconds)
""",
    ("funnel", "custlens"): r"""
import ibis
from custlens.analytics.behaviour.funnel import build_funnel
from custlens.analytics.behaviour.funnel_spec import FunnelSpec, Step
con = ibis.duckdb.connect()
events = con.read_parquet(DIR + "/events.parquet", table_name="events")
spec = FunnelSpec(steps=tuple(Step.of(p, page_type=p) for p in PAGES))
t0 = start()
table = build_funnel(events, spec).to_pyarrow()  # the step table of `custlens funnel`
seconds = time.perf_counter() - t0
report(table.column("actors").to_pylist(), seconds)
""",
    ("funnel", "duckdb_sql"): r"""
import duckdb
con = duckdb.connect()
levels = ",\n".join(
    f'''l{j} AS (SELECT * EXCLUDE (p),
      CASE WHEN code & {1 << j} > 0 AND t <= p + INTERVAL {WINDOW} SECOND THEN p END AS b{j}
    FROM (SELECT *, max(b{j - 1}) OVER (PARTITION BY actor ORDER BY t
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS p FROM l{j - 1}))'''
    for j in range(1, 6))
code = " + ".join(f"(page_type = '{p}')::INT * {1 << i}" for i, p in enumerate(PAGES))
sql = f'''
WITH e AS (SELECT customer_id AS actor, event_time AS t, bit_or({code}) AS code
  FROM read_parquet('{DIR}/events.parquet') GROUP BY ALL),
l0 AS (SELECT *, CASE WHEN code & 1 > 0 THEN t END AS b0 FROM e),
{levels},
per AS (SELECT actor, max(CASE {" ".join(f"WHEN b{j} IS NOT NULL THEN {j + 1}" for j in range(5, -1, -1))}
  ELSE 0 END) AS steps FROM l5 GROUP BY actor)
SELECT {", ".join(f"count(*) FILTER (WHERE steps >= {i})" for i in range(1, 7))} FROM per'''
t0 = start()
row = con.execute(sql).fetchone()
report([int(x) for x in row], time.perf_counter() - t0)
""",
    ("funnel", "chdb"): r"""
import chdb
conds = ", ".join(f"page_type = '{p}'" for p in PAGES)
sql = f'''SELECT {", ".join(f"countIf(level >= {i})" for i in range(1, 7))} FROM (
  SELECT customer_id, windowFunnel({WINDOW}, 'strict_increase')(toDateTime(event_time), {conds})
    AS level FROM file('{DIR}/events.parquet', Parquet) GROUP BY customer_id)'''
t0 = start()
row = chdb.query(sql, "CSV").data().strip().split(",")
report([int(x) for x in row], time.perf_counter() - t0)
""",
    ("pair_rules", "custlens"): r"""
import ibis
from custlens.analytics.patterns.basket import pair_rules
con = ibis.duckdb.connect()
b = con.read_parquet(DIR + "/baskets.parquet").rename(basket_id="order_id", item="category")
t0 = start()
out = pair_rules(b, min_support=MIN_SUPPORT).to_pyarrow()
seconds = time.perf_counter() - t0
cols = [out.column(c).to_pylist() for c in ("a", "b", "n_ab", "confidence", "lift")]
report(rules_out(zip(*cols)), seconds)
""",
    ("pair_rules", "duckdb_sql"): r"""
import duckdb
con = duckdb.connect()
t0 = start()
rows = con.execute(f'''
WITH b AS (SELECT order_id AS basket, category AS item FROM read_parquet('{DIR}/baskets.parquet')),
nb AS (SELECT count(DISTINCT basket) AS n FROM b),
s AS (SELECT item, count(*) AS n FROM b GROUP BY item HAVING count(*) >= {MIN_SUPPORT} * (SELECT n FROM nb)),
k AS (SELECT b.* FROM b SEMI JOIN s USING (item)),
p AS (SELECT x.item AS a, y.item AS b, count(*) AS n_ab FROM k x JOIN k y
      ON x.basket = y.basket AND x.item <> y.item GROUP BY ALL)
SELECT p.a, p.b, p.n_ab, p.n_ab / sa.n AS confidence, p.n_ab / sa.n / (sb.n / nb.n) AS lift
FROM p JOIN s sa ON sa.item = p.a JOIN s sb ON sb.item = p.b, nb
WHERE p.n_ab >= {MIN_SUPPORT} * nb.n''').fetchall()
seconds = time.perf_counter() - t0
report(rules_out(rows), seconds)
""",
    ("pair_rules", "polars"): r"""
import polars as pl
t0 = start()
b = pl.read_parquet(DIR + "/baskets.parquet").rename({"order_id": "basket", "category": "item"})
nb = b["basket"].n_unique()
s = b.group_by("item").len("n").filter(pl.col("n") >= MIN_SUPPORT * nb)
k = b.join(s.select("item"), on="item", how="semi")
p = (k.join(k, on="basket", suffix="_b").filter(pl.col("item") != pl.col("item_b"))
     .group_by(["item", "item_b"]).len("n_ab").filter(pl.col("n_ab") >= MIN_SUPPORT * nb))
p = p.join(s.rename({"n": "n_a"}), on="item").join(s.rename({"item": "item_b", "n": "n_b"}), on="item_b")
p = p.with_columns(conf=pl.col("n_ab") / pl.col("n_a"))
p = p.with_columns(lift=pl.col("conf") / (pl.col("n_b") / nb))
seconds = time.perf_counter() - t0
report(rules_out(p.select("item", "item_b", "n_ab", "conf", "lift").iter_rows()), seconds)
""",
}
PEER_TOOLS = {"polars", "pandas", "chdb"}
REFERENCE = {"rfm": "duckdb_sql", "funnel": "duckdb_sql", "pair_rules": "duckdb_sql"}
TARGETS = {  # workload -> (peer, custlens may take at most this multiple of its time)
    "rfm": [("duckdb_sql", 1.2), ("polars", 1.0)],
    "funnel": [("chdb", 1.0)],
    "pair_rules": [("duckdb_sql", 1.2)],
}


def run_tool(python: str, workload: str, tool: str, data: Path) -> dict:
    prelude = PRELUDE.format(AS_OF=AS_OF, MIN_SUPPORT=MIN_SUPPORT, WINDOW=WINDOW, PAGES=PAGES)
    t = time.perf_counter()
    proc = subprocess.run(
        [python, "-c", prelude + RUNNERS[(workload, tool)], str(data)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall": wall}


def can_import(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def close(x, y) -> bool:
    """Results equal, floats to 1e-9 relative."""
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(close(a, b) for a, b in zip(x, y, strict=True))
    if isinstance(x, float) or isinstance(y, float):
        return abs(x - y) <= 1e-9 * max(abs(x), abs(y), 1)
    return x == y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="runs per tool; the fastest counts")
    ap.add_argument("--only", nargs="*", default=list(TARGETS), choices=list(TARGETS))
    ap.add_argument("--tools", nargs="*", help="run only these tools (e.g. custlens chdb)")
    ap.add_argument("--peer-python", default=sys.executable, help="python with polars/pandas/chdb")
    ap.add_argument("--keep", type=Path, help="generate into (or reuse) this folder")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="narrow-bench-") as tmp:
        data = args.keep or Path(tmp)
        if not (data / "events.parquet").exists():
            (data / "ws").mkdir(parents=True, exist_ok=True)
            from custlens.store import init_workspace

            init_workspace(data / "ws").close()
            t = time.perf_counter()
            gen = subprocess.run(
                [
                    *(sys.executable, "-c", GENERATE.replace("PAGES", repr(PAGES)), str(data)),
                    *(str(args.customers), str(args.seed)),
                ],
                capture_output=True,
                text=True,
            )
            if gen.returncode:
                sys.exit(f"generation failed: {gen.stderr[-3000:]}")
            sizes = json.loads(gen.stdout.strip().splitlines()[-1])
            (data / "sizes.json").write_text(json.dumps(sizes))
            print(f"generated in {time.perf_counter() - t:.0f}s: {sizes}")
        sizes = json.loads((data / "sizes.json").read_text())
        tools = {}
        for workload, tool in RUNNERS:
            if workload not in args.only or (args.tools and tool not in args.tools):
                continue
            python = args.peer_python if tool in PEER_TOOLS else sys.executable
            module = {"polars": "polars", "pandas": "pandas", "chdb": "chdb"}.get(tool)
            if module and not can_import(python, module):
                print(f"{workload}/{tool}: skipped ({module} not installed for {python})")
                continue
            tools[(workload, tool)] = python
        runs: dict[tuple[str, str], list[dict]] = {}
        for _ in range(args.repeat):  # interleaved: background load hits every tool alike
            for key, python in tools.items():
                runs.setdefault(key, []).append(run_tool(python, *key, data))
    record = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "customers": args.customers, **sizes}
    failed = False
    for workload in args.only:
        best = {}
        for (w, tool), rs in runs.items():
            ok = [r for r in rs if "seconds" in r]
            if w == workload:
                best[tool] = min(ok, key=lambda r: r["seconds"]) if ok else rs[-1]
                best[tool]["runs"] = [round(r["seconds"], 2) for r in ok]
        # results are checked against the reference (else the target peer, else any tool run)
        order = (REFERENCE[workload], *(peer for peer, _ in TARGETS[workload]), *best)
        ref_tool = next((t for t in order if "result" in best.get(t, {})), "-")
        ref = best.get(ref_tool, {})
        print(f"== {workload}")
        print(
            f"{'tool':12s}{'seconds':>9s}{'cpu':>7s}{'wall':>7s}{'x ' + ref_tool:>15s}"
            f"{'RSS MB':>8s}  agrees"
        )
        for tool, r in best.items():
            if "error" in r:
                print(f"{tool:12s} failed: {r['error']}")
                failed = True
                continue
            agree = close(r["result"], ref.get("result"))
            failed |= not agree
            print(
                f"{tool:12s}{r['seconds']:9.2f}{r['cpu']:7.2f}{r['wall']:7.1f}"
                f"{r['seconds'] / ref.get('seconds', float('nan')):15.2f}{r['rss_mb']:8.0f}  "
                f"{'yes' if agree else 'NO'}   runs {r['runs']}"
            )
        mine = best.get("custlens", {})
        for peer, limit in TARGETS[workload]:
            if "seconds" in best.get(peer, {}) and "seconds" in mine:
                ratio = mine["seconds"] / best[peer]["seconds"]
                rss = mine["rss_mb"] / best[peer]["rss_mb"]
                cpu = mine["cpu"] / best[peer]["cpu"]
                verdict = "met" if ratio <= limit else "MISSED"
                print(
                    f"target custlens <= {limit}x {peer}: {ratio:.2f}x {verdict}"
                    f" (CPU time {cpu:.2f}x, peak RSS {rss:.2f}x)"
                )
            else:
                print(f"target vs {peer}: not measured ({peer} not run)")
        record[workload] = {
            t: {k: r.get(k) for k in ("seconds", "cpu", "wall", "rss_mb", "runs", "error")}
            for t, r in best.items()
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    if failed:
        sys.exit("a tool failed or its result differs from the reference")


if __name__ == "__main__":
    main()
