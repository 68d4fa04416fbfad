"""Import benchmark: validated `custlens import orders` vs bare DuckDB read_csv and pandas.

Generates N order lines as CSV (default 1,000,000), then in the same run times
  1. DuckDB's bare ``read_csv`` into a table (the floor),
  2. pandas ``read_csv``,
  3. ``custlens import orders FILE`` (the CLI command: mapping, cleaning, validation, dedup,
     flags, Parquet mirror, the summary it prints) into a workspace created beforehand,
each in a fresh subprocess so peak RSS is per tool, ``--repeat`` times interleaved (the
fastest run of each counts). Each time runs from the start of the subprocess's code (its
imports included) to its end. Prints seconds, ratio to the floor and peak RSS; appends a
line to bench/results/import.jsonl.

Two file shapes (``--shape``):
  wide    10 columns of Chinese-headed order lines (order number, line, customer, time,
          category, product, quantity, price, amount, payment), 1,000,000 lines by default;
          target: custlens within 3x of the bare DuckDB load;
  narrow  5 columns (customer_id, order_id, order_date, category, amount), one line per
          order, 2,500,000 rows by default, 55% of the customers buying once and the
          others' order counts heavy-tailed; target: within 8x of the bare load.
Peak RSS target: under 1 GB.
    python bench/import_bench.py [--shape wide|narrow] [--rows N] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "import.jsonl"

RUNNERS = {
    "duckdb_read_csv": """
import duckdb, sys
con = duckdb.connect(sys.argv[2] + '/bare.duckdb')
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, header=true)", [sys.argv[1]])
""",
    "pandas_read_csv": """
import pandas as pd, sys
pd.read_csv(sys.argv[1])
""",
    "custlens_import": """
import sys
from custlens.cli.main import app
app(["import", "orders", sys.argv[1], "--workspace", sys.argv[2] + "/ws"], standalone_mode=False)
""",
}
# untimed set-up in a subprocess of its own, before the timed one
SETUP = {
    "custlens_import": """
import sys
from custlens.store import init_workspace
init_workspace(sys.argv[2] + '/ws').close()
"""
}


def make_orders(path: Path, rows: int, seed: int = 7) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    n_orders = rows // 2
    order_no = rng.integers(0, n_orders, rows)
    qty = rng.integers(1, 4, rows)
    price = np.round(rng.gamma(2.0, 60.0, rows), 2)
    seconds = rng.integers(0, 3 * 365 * 86400, rows)
    times = np.datetime64("2023-01-01T00:00:00") + seconds.astype("timedelta64[s]")
    cats = np.array(["服装", "美妆", "数码", "食品", "母婴", "家居", "图书", "运动"])
    table = pa.table(
        {
            "订单编号": pa.array(np.char.add("O", order_no.astype(str))),
            "行号": pa.array(np.arange(rows) % 3 + 1),
            "客户编号": pa.array(np.char.add("C", rng.integers(0, rows // 3, rows).astype(str))),
            "下单时间": pa.array(times.astype("datetime64[s]").astype(str)),
            "商品类别": pa.array(cats[rng.integers(0, len(cats), rows)]),
            "商品名称": pa.array(np.char.add("商品", rng.integers(0, 5000, rows).astype(str))),
            "购买数量": pa.array(qty),
            "单价": pa.array(price),
            "总金额": pa.array(np.round(qty * price, 2)),
            "支付方式": pa.array(
                np.array(["微信支付", "支付宝", "银行卡"])[rng.integers(0, 3, rows)]
            ),
        }
    )
    # unique keys: order number + line
    table = table.set_column(0, "订单编号", pa.array(np.char.add("O", np.arange(rows).astype(str))))
    pacsv.write_csv(table, path)


def make_narrow(path: Path, rows: int, seed: int = 11) -> None:
    """``rows`` orders of customers of whom 55% buy once; the others' counts are 2 + a
    Pareto draw (heavy-tailed: a few customers with hundreds of orders), their amounts
    log-normal around a level of the customer's own."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    n_cust = int(rows / 2.2)  # enough customers; the counts are cut at ``rows`` orders
    counts = np.where(
        rng.random(n_cust) < 0.55, 1, 2 + np.floor(rng.pareto(1.3, n_cust) * 2).astype(int)
    )
    counts = np.minimum(counts, 500)
    ends = np.cumsum(counts)
    n_cust = int(np.searchsorted(ends, rows)) + 1
    counts = counts[:n_cust]
    counts[-1] -= int(ends[n_cust - 1] - rows)
    cust = np.repeat(np.arange(n_cust), counts)
    rng.shuffle(cust)
    level = rng.lognormal(4.5, 0.8, n_cust)
    amount = np.round(level[cust] * rng.lognormal(0.0, 0.5, rows), 2)
    days = rng.integers(0, 3 * 365, rows)
    dates = np.datetime64("2023-01-01") + days.astype("timedelta64[D]")
    cats = np.array(["服装", "美妆", "数码", "食品", "母婴", "家居", "图书", "运动"])
    table = pa.table(
        {
            "customer_id": pa.array(np.char.add("C", cust.astype(str))),
            "order_id": pa.array(np.char.add("O", np.arange(rows).astype(str))),
            "order_date": pa.array(dates.astype(str)),
            "category": pa.array(cats[rng.integers(0, len(cats), rows)]),
            "amount": pa.array(amount),
        }
    )
    pacsv.write_csv(table, path)


SHAPES = {"wide": (make_orders, 1_000_000, 3.0), "narrow": (make_narrow, 2_500_000, 8.0)}
RSS_TARGET_MB = 1024


def run(name: str, csv: Path, workdir: Path) -> tuple[float, float, float]:
    """Seconds, CPU seconds (user + system, all threads) and peak RSS (MB) of one run."""
    code = (
        "import resource, time\n_t=time.perf_counter()\n"
        + RUNNERS[name]
        + (
            "\n_u=resource.getrusage(resource.RUSAGE_SELF)"
            "\nprint(time.perf_counter()-_t, _u.ru_utime+_u.ru_stime, _u.ru_maxrss)"
        )
    )
    d = Path(tempfile.mkdtemp(dir=workdir))
    if name in SETUP:
        subprocess.run([sys.executable, "-c", SETUP[name], str(csv), str(d)], check=True)
    out = subprocess.run(
        [sys.executable, "-c", code, str(csv), str(d)], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[-3]), float(out[-2]), float(out[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="wide")
    parser.add_argument("--rows", type=int, help="rows of the file (default: the shape's)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the fastest counts")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--peer-python", help="unused: the peers here are DuckDB and pandas")
    args = parser.parse_args()
    make, default_rows, target = SHAPES[args.shape]
    args.rows = args.rows or default_rows
    if args.generate:
        make(args.generate, args.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = work / "orders.csv"
        t = time.perf_counter()
        # generated in a child process: ru_maxrss survives exec, so the parent must stay small
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--shape",
                args.shape,
                "--rows",
                str(args.rows),
                "--generate",
                str(csv),
            ],
            check=True,
        )
        print(
            f"generated {args.rows:,} {args.shape} order lines ({csv.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - t:.1f}s"
        )
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in RUNNERS}
        for _ in range(args.repeat):  # interleaved, so background load hits every tool alike
            for name in RUNNERS:
                runs[name].append(run(name, csv, work))
        # the fastest run of each (the least disturbed by other work on a shared machine)
        results = {name: min(r) for name, r in runs.items()}
        for name, r in runs.items():
            print(f"{name:<18} runs: {', '.join(f'{secs:.2f}s' for secs, _, _ in r)}")
    floor, floor_cpu = results["duckdb_read_csv"][:2]
    # CPU seconds too: on a busy machine they move less than the elapsed time
    print(f"{'tool':<18}{'seconds':>9}{'x floor':>9}{'CPU s':>8}{'x floor':>9}{'peak RSS MB':>13}")
    for name, (secs, cpu, rss) in results.items():
        print(
            f"{name:<18}{secs:>9.2f}{secs / floor:>9.2f}{cpu:>8.2f}{cpu / floor_cpu:>9.2f}"
            f"{rss:>13.0f}"
        )
    ratio = results["custlens_import"][0] / floor
    rss = results["custlens_import"][2]
    print(
        f"target: custlens <= {target:g}x floor ({'met' if ratio <= target else 'MISSED'}: "
        f"{ratio:.2f}x), peak RSS < {RSS_TARGET_MB} MB "
        f"({'met' if rss < RSS_TARGET_MB else 'MISSED'}: {rss:.0f} MB)"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(
            json.dumps(
                {
                    "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "shape": args.shape,
                    "rows": args.rows,
                    **{
                        k: {"seconds": v[0], "cpu_seconds": v[1], "rss_mb": v[2]}
                        for k, v in results.items()
                    },
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
