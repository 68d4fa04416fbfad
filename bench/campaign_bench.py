"""Campaign benchmark: custlens's campaign summary and the A/B bootstrap against a hand-written
DuckDB SQL query and a plain NumPy loop, same data, same run.

Data (generated in a child process): N customers (default 1,000,000), 20 campaigns of 14
days each reaching 5% of the customers (a tenth of each audience held out as control), and
two order lines per customer over a year. Each tool runs in its own subprocess, so peak RSS is
per tool.

- ``custlens_summary``: :func:`custlens.analytics.campaigns.summary.campaign_summary` (Ibis on
  DuckDB over the Parquet files): audience, participation, conversion, window and post-window
  revenue, cost and ROI of every campaign.
- ``duckdb_sql``: the same participation, conversion and window revenue written by hand in SQL.
- ``custlens_bootstrap``: :func:`custlens.analytics.campaigns.stats.bootstrap_mean_difference`,
  2,000 resamples of revenue per user over N assignments (two arms).
- ``numpy_loop``: the textbook bootstrap, one ``rng.choice`` per resample and arm.

    python bench/campaign_bench.py [--customers 1000000] [--resamples 2000]

Target (the product brief): under 10 s each at 1M customers × 20 campaigns on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "campaign.jsonl"
CAMPAIGNS = 20

CUSTLENS_SUMMARY = """
import sys, ibis
from custlens.analytics.campaigns.summary import campaign_summary
con = ibis.duckdb.connect()
d = sys.argv[1]
t = {k: con.read_parquet(f"{d}/{k}.parquet") for k in ("campaigns", "responses", "orders")}
s = campaign_summary(t["campaigns"], t["responses"], t["orders"]).to_pandas()
print("campaigns", len(s), "participation", round(float(s.participation_rate.mean()), 4),
      "revenue", round(float(s.revenue.astype(float).sum()), 2))
"""

DUCKDB_SQL = """
import sys, duckdb
con = duckdb.connect()
d = sys.argv[1].replace("'", "''")
for k in ("campaigns", "responses", "orders"):
    con.execute(f"CREATE VIEW {k} AS SELECT * FROM read_parquet('{d}/{k}.parquet')")
rows = con.execute('''
WITH r AS (SELECT *, coalesce(exposed, coalesce("group", 'treatment') <> 'control') AS x
           FROM responses),
counts AS (SELECT campaign_id, count(*) FILTER (WHERE x) AS exposed,
                  count(*) FILTER (WHERE x AND participated) AS participants
           FROM r GROUP BY 1),
aud AS (SELECT DISTINCT r.campaign_id, r.customer_id, c.start_date, c.end_date
        FROM r JOIN campaigns c USING (campaign_id) WHERE x),
win AS (SELECT a.campaign_id, sum(o.amount) AS revenue FROM aud a JOIN orders o
          ON o.customer_id = a.customer_id AND o.order_date BETWEEN a.start_date AND a.end_date
        WHERE o.status = 'paid' AND NOT o.needs_review AND o.quantity > 0 GROUP BY 1)
SELECT count(*), avg(participants / exposed), sum(revenue)
FROM counts LEFT JOIN win USING (campaign_id)''').fetchone()
print("campaigns", rows[0], "participation", round(rows[1], 4), "revenue", round(float(rows[2]), 2))
"""

CUSTLENS_BOOTSTRAP = """
import sys, numpy as np
from custlens.analytics.campaigns.stats import bootstrap_mean_difference
y = np.load(f"{{sys.argv[1]}}/ab.npz")
r = bootstrap_mean_difference(y["y1"], y["y0"], {b})
print("diff", round(r["diff"], 4), "ci", round(r["ci_low"], 4), round(r["ci_high"], 4))
"""

NUMPY_LOOP = """
import sys, numpy as np
y = np.load(f"{{sys.argv[1]}}/ab.npz")
y1, y0 = y["y1"], y["y0"]
rng = np.random.default_rng(0)
d = [rng.choice(y1, y1.size).mean() - rng.choice(y0, y0.size).mean() for _ in range({b})]
lo, hi = np.quantile(d, [0.025, 0.975])
print("diff", round(y1.mean() - y0.mean(), 4), "ci", round(lo, 4), round(hi, 4))
"""


def make_world(directory: Path, customers: int, seed: int = 5) -> None:
    """Parquet files campaigns, responses and orders, and the A/B outcomes ab.npz."""
    import datetime as dt

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01")
    starts = start + np.arange(CAMPAIGNS) * 17
    ids = np.char.add("CP", np.char.zfill(np.arange(CAMPAIGNS).astype(str), 3))
    pq.write_table(
        pa.table(
            {
                "campaign_id": ids,
                "campaign_name": ids,
                "campaign_type": np.full(CAMPAIGNS, "promotion"),
                "start_date": starts.astype("datetime64[D]").astype(dt.date),
                "end_date": (starts + 13).astype("datetime64[D]").astype(dt.date),
                "budget": pa.array(rng.uniform(1e4, 1e5, CAMPAIGNS).round(2)).cast(
                    pa.decimal128(18, 2)
                ),
            }
        ),
        directory / "campaigns.parquet",
    )
    n_resp = customers // 20 * CAMPAIGNS
    control = rng.random(n_resp) < 0.1
    participated = rng.random(n_resp) < np.where(control, 0.0, 0.2)
    pq.write_table(
        pa.table(
            {
                "campaign_id": np.repeat(ids, n_resp // CAMPAIGNS),
                "customer_id": np.char.add("C", rng.integers(0, customers, n_resp).astype(str)),
                "group": np.where(control, "control", "treatment"),
                "exposed": ~control,
                "participated": participated,
                "converted": participated & (rng.random(n_resp) < 0.5),
                "coupon_used": participated & (rng.random(n_resp) < 0.3),
            }
        ),
        directory / "responses.parquet",
    )
    lines = customers * 2
    amount = rng.lognormal(4.5, 0.8, lines).round(2)
    pq.write_table(
        pa.table(
            {
                "order_id": np.char.add("O", np.arange(lines).astype(str)),
                "customer_id": np.char.add("C", rng.integers(0, customers, lines).astype(str)),
                "order_date": (start + rng.integers(0, 365, lines)).astype(dt.date),
                "amount": pa.array(amount).cast(pa.decimal128(18, 2)),
                "quantity": np.ones(lines, dtype="int64"),
                "status": np.full(lines, "paid"),
                "needs_review": np.zeros(lines, dtype=bool),
                "campaign_id": pa.nulls(lines, pa.string()),
            }
        ),
        directory / "orders.parquet",
    )
    # revenue per user of an A/B test over N assignments: heavy-tailed, 8% buy
    half = customers // 2
    y1 = np.where(rng.random(half) < 0.09, rng.lognormal(4.6, 1.0, half), 0.0)
    y0 = np.where(
        rng.random(customers - half) < 0.08, rng.lognormal(4.5, 1.0, customers - half), 0.0
    )
    np.savez(directory / "ab.npz", y1=y1, y0=y0)


def run(code: str, data: Path) -> dict:
    wrapped = (
        "import resource, time\n_t=time.perf_counter()\n" + code + "\nprint('__T', "
        "time.perf_counter()-_t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    try:
        out = subprocess.run(
            [sys.executable, "-c", wrapped, str(data)], capture_output=True, text=True, timeout=3600
        )
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    lines = out.stdout.splitlines()
    last = [ln for ln in lines if ln.startswith("__T")][-1].split()
    # DuckDB draws a progress bar on stdout for long queries: the tool's line is the result
    said = [ln for ln in lines if ln.startswith(("campaigns ", "diff "))]
    return {
        "seconds": float(last[1]),
        "rss_mb": float(last[2]) / 1024,
        "output": said[0] if said else "",
    }


def report(title: str, results: dict[str, dict], base: str) -> None:
    ref = results[base].get("seconds")
    print(f"\n{title}")
    print(f"{'tool':<20}{'seconds':>9}{'x custlens':>12}{'peak RSS MB':>13}  output")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<20}{'-':>9}{'-':>12}{'-':>13}  {r['error']}")
        else:
            ratio = f"{r['seconds'] / ref:>12.2f}" if ref else f"{'-':>12}"
            print(f"{name:<20}{r['seconds']:>9.2f}{ratio}{r['rss_mb']:>13.0f}  {r['output']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=2000)
    # `make bench` passes every benchmark an interpreter for peers; these peers (DuckDB, NumPy)
    # are custlens's own dependencies, so it is not needed here
    parser.add_argument("--peer-python", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        make_world(args.generate, args.customers)
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, __file__, "--customers", str(args.customers), "--generate", tmp],
            check=True,
        )
        data = Path(tmp)
        summary = {
            "custlens_summary": run(CUSTLENS_SUMMARY, data),
            "duckdb_sql": run(DUCKDB_SQL, data),
        }
        boot = {
            "custlens_bootstrap": run(CUSTLENS_BOOTSTRAP.format(b=args.resamples), data),
            "numpy_loop": run(NUMPY_LOOP.format(b=args.resamples), data),
        }
    n = f"{args.customers:,}"
    report(f"campaign summary: {n} customers × {CAMPAIGNS} campaigns", summary, "custlens_summary")
    report(
        f"A/B bootstrap: {n} assignments, {args.resamples} resamples", boot, "custlens_bootstrap"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        row = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "customers": args.customers}
        fh.write(json.dumps({**row, "resamples": args.resamples, **summary, **boot}) + "\n")


if __name__ == "__main__":
    main()
