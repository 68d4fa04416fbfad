"""Association-rule benchmark: custlens pair rules and itemsets vs a hand-written DuckDB
self-join and mlxtend (apriori / fpgrowth on a one-hot frame), same data, same run.

Data: N order lines (default 1,000,000) over ~400k baskets and 50,000 products with a
Zipf-like popularity. Each tool runs in its own subprocess so peak RSS is per tool
(generation happens in a child too: ru_maxrss survives exec). mlxtend is not a custlens
dependency: pass --peer-python with an interpreter that has it (`make bench-env`).

    python bench/basket_bench.py [--lines 1000000] [--peer-python .venv-bench/bin/python]

Target: faster than mlxtend, and no out-of-memory at 1M baskets where mlxtend fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "basket.jsonl"
MIN_SUPPORT = 0.0005

CUSTLENS = """
import sys, ibis
from custlens.analytics.patterns.basket import pair_rules, frequent_itemsets
con = ibis.duckdb.connect()
b = con.read_parquet(sys.argv[1]).distinct()
n = pair_rules(b, min_support={s}).count().execute()
k = frequent_itemsets(b, min_support={s}, max_len=3).count().execute()
print("rules", n, "itemsets", k)
"""

DUCKDB_SQL = """
import sys, duckdb
con = duckdb.connect()
path = sys.argv[1].replace("'", "''")
con.execute(f"CREATE VIEW b AS SELECT DISTINCT basket_id, item FROM read_parquet('{{path}}')")
n = con.execute('''
WITH nb AS (SELECT count(DISTINCT basket_id) AS n FROM b),
     s AS (SELECT item, count(*) AS c FROM b GROUP BY item),
     pairs AS (SELECT x.item AS a, y.item AS b, count(*) AS c FROM b x JOIN b y
               ON x.basket_id = y.basket_id AND x.item <> y.item GROUP BY 1, 2)
SELECT count(*) FROM pairs p, nb JOIN s sa ON sa.item = p.a JOIN s sb ON sb.item = p.b
WHERE p.c >= {s} * nb.n''').fetchone()[0]
print("rules", n)
"""

MLXTEND = """
import sys, pandas as pd
from mlxtend.frequent_patterns import fpgrowth, association_rules
df = pd.read_parquet(sys.argv[1])
onehot = pd.crosstab(df.basket_id, df.item).astype(bool)
sets = fpgrowth(onehot, min_support={s}, use_colnames=True, max_len=3)
rules = association_rules(sets, metric="confidence", min_threshold=0.0)
print("rules", len(rules), "itemsets", len(sets))
"""


def make_baskets(path: Path, lines: int, products: int = 50_000, seed: int = 3) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    basket = np.sort(rng.integers(0, lines // 2.5, lines))
    item = np.minimum(rng.zipf(1.3, lines), products) - 1
    pq.write_table(
        pa.table({"basket_id": basket.astype(str), "item": np.char.add("P", item.astype(str))}),
        path,
    )


def run(code: str, data: Path, python: str) -> dict:
    wrapped = (
        "import resource, time\n_t=time.perf_counter()\n" + code + "\nprint('__T', "
        "time.perf_counter()-_t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    try:
        out = subprocess.run(
            [python, "-c", wrapped, str(data)], capture_output=True, text=True, timeout=1800
        )
    except subprocess.TimeoutExpired:
        return {"error": "timeout"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    last = [ln for ln in out.stdout.splitlines() if ln.startswith("__T")][-1].split()
    return {
        "seconds": float(last[1]),
        "rss_mb": float(last[2]) / 1024,
        "output": out.stdout.splitlines()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--peer-python", default=None, help="interpreter with mlxtend")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        make_baskets(args.generate, int(args.lines))
        return
    for lines in [int(x) for x in str(args.lines).split(",")]:
        bench_size(lines, args.peer_python)


def bench_size(lines: int, peer_python: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "baskets.parquet"
        subprocess.run(
            [sys.executable, __file__, "--lines", str(lines), "--generate", str(data)], check=True
        )
        results = {
            "custlens": run(CUSTLENS.format(s=MIN_SUPPORT), data, sys.executable),
            "duckdb_sql": run(DUCKDB_SQL.format(s=MIN_SUPPORT), data, sys.executable),
        }
        if peer_python:
            results["mlxtend_fpgrowth"] = run(MLXTEND.format(s=MIN_SUPPORT), data, peer_python)
        else:
            results["mlxtend_fpgrowth"] = {"error": "not run (pass --peer-python)"}
    base = results["custlens"].get("seconds")
    print(f"\n{lines:,} order lines, min_support {MIN_SUPPORT} (duckdb_sql: pairs only)")
    print(f"{'tool':<18}{'seconds':>9}{'x custlens':>12}{'peak RSS MB':>13}  output")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<18}{'-':>9}{'-':>12}{'-':>13}  {r['error']}")
        else:
            ratio = f"{r['seconds'] / base:>12.2f}" if base else f"{'-':>12}"
            print(f"{name:<18}{r['seconds']:>9.2f}{ratio}{r['rss_mb']:>13.0f}  {r['output']}")
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            json.dumps({"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "lines": lines, **results}) + "\n"
        )


if __name__ == "__main__":
    main()
