"""RFM benchmark: custlens metrics + RFM vs hand-written DuckDB SQL, pandas and polars.

Generates N customers (default 1,000,000) with ~2.5 orders each (geometric), stores them in a
custlens workspace, then in the same run times, each in a fresh subprocess (peak RSS per tool):

  1. custlens_rfm     summarise_rfm + score_rfm + assign_segments (Ibis on DuckDB) -> Arrow
  2. duckdb_sql       the same in one hand-written SQL statement -> Arrow
  3. pandas           the same in pandas (reads the same Parquet file)
  4. polars           the same in polars (via --peer-python when it has polars; else skipped)
  5. custlens_full    the value chain: all ~30 metrics + RFM + segments (no peer)

Every peer computes recency, orders, revenue, R by day bins, tie-aware quintile F and M
(floor(min_rank * 5 / (N - 1)) + 1) and the 8-class segment on mean scores; the segment
counts must agree. Prints seconds, ratio to hand-written DuckDB SQL and peak RSS, and appends
a line to bench/results/rfm.jsonl. Target: custlens_rfm within 1.3x of duckdb_sql, faster
than pandas.
    python bench/rfm_bench.py [--customers 1000000] [--peer-python .venv-bench/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "rfm.jsonl"
AS_OF = "2026-01-01"
SEGMENTS = """CASE (r > avg_r)::INT * 4 + (f > avg_f)::INT * 2 + (m > avg_m)::INT
    WHEN 7 THEN 'important_value' WHEN 5 THEN 'important_develop' WHEN 3 THEN 'important_keep'
    WHEN 1 THEN 'important_retain' WHEN 6 THEN 'general_value' WHEN 4 THEN 'general_develop'
    WHEN 2 THEN 'general_keep' ELSE 'general_retain' END"""
CODES = {
    7: "important_value",
    5: "important_develop",
    3: "important_keep",
    1: "important_retain",
    6: "general_value",
    4: "general_develop",
    2: "general_keep",
    0: "general_retain",
}

RUNNERS = {
    "custlens_rfm": """
import datetime as dt, sys
from custlens.store import open_workspace
from custlens.analytics.value.metrics import summarise_rfm
from custlens.analytics.value.rfm import score_rfm
from custlens.analytics.value.segments import assign_segments
ws = open_workspace(sys.argv[2])
_t = time.perf_counter()
out = assign_segments(score_rfm(summarise_rfm(ws.table("orders"), dt.date.fromisoformat(AS_OF)))).to_pyarrow()
counts = dict(zip(*[c.to_pylist() for c in out.group_by("segment_code").aggregate([("customer_id", "count")]).columns]))
""",
    "custlens_full": """
import datetime as dt, sys
from custlens.store import open_workspace
from custlens.analytics.value.chain import value_chain
ws = open_workspace(sys.argv[2])
_t = time.perf_counter()
chain = value_chain(ws.table("orders"), dt.date.fromisoformat(AS_OF))
with chain.metrics.cache() as cached:
    metrics = cached.to_pyarrow()
    out = chain.with_metrics(cached).segments.to_pyarrow()
counts = dict(zip(*[c.to_pylist() for c in out.group_by("segment_code").aggregate([("customer_id", "count")]).columns]))
""",
    "duckdb_sql": """
import duckdb, sys
con = duckdb.connect(sys.argv[2] + "/custlens.duckdb", read_only=True)
_t = time.perf_counter()
out = con.execute(f'''
WITH c AS (
  SELECT customer_id, max(order_date) AS last_order, count(DISTINCT order_id) AS orders,
         sum(amount)::DECIMAL(18,2) AS revenue
  FROM orders WHERE status = 'paid' AND NOT coalesce(needs_review, false)
    AND order_date < DATE '{AS_OF}'
  GROUP BY customer_id),
s AS (
  SELECT *, date_diff('day', last_order, DATE '{AS_OF}') AS recency_days,
    4 - (recency_days > 30)::INT - (recency_days > 90)::INT - (recency_days > 180)::INT AS r,
    least((rank() OVER (ORDER BY orders) - 1) * 5 // greatest(count(*) OVER () - 1, 1) + 1, 5) AS f,
    least((rank() OVER (ORDER BY revenue) - 1) * 5 // greatest(count(*) OVER () - 1, 1) + 1, 5) AS m
  FROM c),
t AS (SELECT *, avg(r) OVER () AS avg_r, avg(f) OVER () AS avg_f, avg(m) OVER () AS avg_m FROM s)
SELECT customer_id, recency_days, orders, revenue, r, f, m, {SEGMENTS} AS segment_code FROM t
''').fetch_arrow_table()
counts = dict(con.execute("SELECT segment_code, count(*) FROM out GROUP BY 1").fetchall())
""",
    "pandas": """
import sys, numpy as np, pandas as pd
_t = time.perf_counter()
o = pd.read_parquet(sys.argv[1], columns=["customer_id", "order_id", "order_date", "amount", "status", "needs_review"])
o["order_date"] = pd.to_datetime(o.order_date)
o["amount"] = o.amount.astype("float64")
o = o[(o.status == "paid") & ~o.needs_review.fillna(False) & (o.order_date < pd.Timestamp(AS_OF))]
c = o.groupby("customer_id", sort=False).agg(last_order=("order_date", "max"), orders=("order_id", "nunique"), revenue=("amount", "sum"))
c["revenue"] = c.revenue.round(2)
c["recency_days"] = (pd.Timestamp(AS_OF) - c.last_order).dt.days
c["r"] = 4 - (c.recency_days > 30).astype(int) - (c.recency_days > 90) - (c.recency_days > 180)
n = max(len(c) - 1, 1)
for col, out in (("orders", "f"), ("revenue", "m")):
    rank = c[col].rank(method="min").astype("int64") - 1
    c[out] = np.minimum(rank * 5 // n + 1, 5)
code = (c.r > c.r.mean()) * 4 + (c.f > c.f.mean()) * 2 + (c.m > c.m.mean()) * 1
c["segment_code"] = code.map(CODES)
counts = c.segment_code.value_counts().to_dict()
""",
    "polars": """
import sys, datetime as dt, polars as pl
_t = time.perf_counter()
asof = dt.date.fromisoformat(AS_OF)
o = pl.scan_parquet(sys.argv[1]).filter((pl.col("status") == "paid") & ~pl.col("needs_review").fill_null(False) & (pl.col("order_date") < asof))
c = o.group_by("customer_id").agg(pl.col("order_date").max().alias("last_order"), pl.col("order_id").n_unique().alias("orders"), pl.col("amount").sum().alias("revenue"))
c = c.with_columns((pl.lit(asof) - pl.col("last_order")).dt.total_days().alias("recency_days"))
n = pl.max_horizontal(pl.len() - 1, 1)
c = c.with_columns(
    (4 - (pl.col("recency_days") > 30).cast(pl.Int32) - (pl.col("recency_days") > 90).cast(pl.Int32) - (pl.col("recency_days") > 180).cast(pl.Int32)).alias("r"),
    pl.min_horizontal((pl.col("orders").rank("min").cast(pl.Int64) - 1) * 5 // n + 1, 5).alias("f"),
    pl.min_horizontal((pl.col("revenue").rank("min").cast(pl.Int64) - 1) * 5 // n + 1, 5).alias("m"),
)
code = (pl.col("r") > pl.col("r").mean()).cast(pl.Int32) * 4 + (pl.col("f") > pl.col("f").mean()).cast(pl.Int32) * 2 + (pl.col("m") > pl.col("m").mean()).cast(pl.Int32)
c = c.with_columns(code.replace_strict(CODES, return_dtype=pl.String).alias("segment_code")).collect()
counts = dict(c.group_by("segment_code").len().iter_rows())
""",
}


def make_orders(path: Path, customers: int, seed: int = 7) -> int:
    """~2.5 orders per customer over three years; one line per order; written as Parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    per = rng.geometric(0.4, customers)
    cust = np.repeat(np.arange(customers), per)
    n = len(cust)
    day = rng.integers(0, 3 * 365, n)
    dates = np.datetime64("2023-01-01") + day.astype("timedelta64[D]")
    seconds = day * 86400 + rng.integers(0, 86400, n)
    qty = rng.integers(1, 4, n)
    price = np.round(rng.lognormal(4.0, 0.8, n), 2)
    amount = np.round(qty * price, 2)
    status = np.where(rng.random(n) < 0.03, "refunded", "paid")
    table = pa.table(
        {
            "order_id": pa.array(np.char.add("O", np.arange(n).astype(str))),
            "line_no": pa.array(np.ones(n, dtype=np.int32)),
            "customer_id": pa.array(np.char.add("C", cust.astype(str))),
            "order_time": pa.array(
                np.datetime64("2023-01-01T00:00:00") + seconds.astype("timedelta64[s]")
            ),
            "order_date": pa.array(dates),
            "quantity": pa.array(qty.astype(np.int32)),
            "unit_price": pa.array(price).cast(pa.decimal128(18, 2)),
            "discount": pa.array(np.zeros(n)).cast(pa.decimal128(18, 2)),
            "amount": pa.array(amount).cast(pa.decimal128(18, 2)),
            "status": pa.array(status),
            "needs_review": pa.array(rng.random(n) < 0.005),
        }
    )
    pq.write_table(table, path)
    return n


def load_workspace(parquet: Path, root: Path) -> None:
    from custlens.store import init_workspace

    ws = init_workspace(root)
    ws.con.execute("INSERT INTO orders BY NAME SELECT * FROM read_parquet(?)", [str(parquet)])
    ws.close()


def run(name: str, python: str, parquet: Path, ws: Path) -> tuple[float, float, dict]:
    prelude = f"import json, resource, time\nAS_OF = {AS_OF!r}\nCODES = {CODES!r}\nSEGMENTS = {SEGMENTS!r}\n"
    code = (
        prelude
        + RUNNERS[name]
        + (
            "\nprint(json.dumps([time.perf_counter() - _t, "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, counts]))"
        )
    )
    proc = subprocess.run(
        [python, "-c", code, str(parquet), str(ws)], capture_output=True, text=True
    )
    if proc.returncode:
        sys.exit(f"{name} failed:\n{proc.stderr[-3000:]}")
    out = proc.stdout.strip().splitlines()[-1]
    secs, rss, counts = json.loads(out)
    return secs, rss / 1024, counts


def has_polars(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import polars"], capture_output=True)
    return probe.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--peer-python", default=sys.executable, help="interpreter with polars")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        rows = make_orders(args.generate / "orders.parquet", args.customers)
        load_workspace(args.generate / "orders.parquet", args.generate / "ws")
        print(rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        # generated in a child process so the timed children start from a small parent
        rows = subprocess.run(
            [sys.executable, __file__, "--customers", str(args.customers), "--generate", str(work)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        print(
            f"generated {args.customers:,} customers / {int(rows):,} orders in "
            f"{time.perf_counter() - t:.1f}s"
        )
        parquet, ws = work / "orders.parquet", work / "ws"
        results: dict[str, tuple[float, float, dict]] = {}
        for name in ("duckdb_sql", "custlens_rfm", "pandas", "polars", "custlens_full"):
            python = sys.executable
            if name == "polars":
                python = args.peer_python
                if not has_polars(python):
                    print(
                        "polars: skipped (not installed; pass --peer-python .venv-bench/bin/python)"
                    )
                    continue
            results[name] = run(name, python, parquet, ws)
    floor = results["duckdb_sql"][0]
    reference = results["duckdb_sql"][2]
    print(f"{'tool':<15}{'seconds':>9}{'x duckdb':>10}{'peak RSS MB':>13}  segments agree")
    for name, (secs, rss, counts) in results.items():
        agree = "yes" if counts == reference else "NO"
        print(f"{name:<15}{secs:>9.2f}{secs / floor:>10.2f}{rss:>13.0f}  {agree}")
    ratio = results["custlens_rfm"][0] / floor
    pandas_ok = "pandas" not in results or results["custlens_rfm"][0] < results["pandas"][0]
    print(
        f"target: custlens_rfm <= 1.3x duckdb_sql ({'met' if ratio <= 1.3 else 'MISSED'}: "
        f"{ratio:.2f}x), faster than pandas ({'met' if pandas_ok else 'MISSED'})"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        record = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "customers": args.customers,
            "orders": int(rows),
        }
        record.update({k: {"seconds": v[0], "rss_mb": v[1]} for k, v in results.items()})
        fh.write(json.dumps(record) + "\n")
    if any(counts != reference for _, _, counts in results.values()):
        sys.exit("segment counts differ between tools")


if __name__ == "__main__":
    main()
