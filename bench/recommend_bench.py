"""Recommendation benchmark: ALS training and top-10 lists for every customer, custlens vs the
``implicit`` library run standalone (the reference) and a popularity baseline, same data.

Data: N customers (default 1,000,000) x P products (50,000) with about L purchase lines
(3,000,000), generated vectorised and seeded: every customer buys at least once, the rest of
the lines go to customers by a gamma-distributed activity; products have a Zipf-like
long-tail popularity and 100 categories, and 60 % of a customer's lines fall in their
favourite category (category affinity). Written to Parquet as order lines the product reads.

Tools, each in its own subprocess so peak RSS is its own:

- ``custlens_als``: the product's ALS path on an Ibis (DuckDB) table of the order lines:
  ``purchase_lines`` -> ``purchase_data`` -> ``history_at`` -> ``ImplicitALS.fit`` (with
  buy-again, which the rules need), then every customer's top 10 through ``member_top_k``
  (recently bought items left out unless due, at most 4 per category; the lists
  ``top_k(score_batch(...))`` gives, in large batches on ``--threads`` threads).
- ``custlens_full``: what ``custlens recommend export`` computes, ``ProductRecommender.fit``
  (every member, validation window, blend weights) and ``lists`` for every customer;
  ``--full`` to run it (long at full scale; ``--timeout`` caps it).
- ``implicit``: ``AlternatingLeastSquares`` on the same CSR matrix (confidence
  ``1 + 10 log1p(count)``, 32 factors, 15 iterations) and ``recommend`` for every customer.
- ``popularity``: the 10 most-bought products each customer has not bought (numpy).

    python bench/recommend_bench.py [--customers 1000000] [--products 50000]
        [--lines 3000000] [--threads 2] [--full]

Target: recommendations for 1M customers in under 2 minutes on 2 cores.
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

RESULTS = Path(__file__).parent / "results" / "recommend.jsonl"
N_CATEGORIES = 100

PRELUDE = """
import json, resource, sys, time
import numpy as np
path, threads = sys.argv[1], int(sys.argv[2])
stages = {}
_t = time.perf_counter()
def lap(name):
    global _t
    now = time.perf_counter()
    stages[name] = round(now - _t, 2)
    _t = now
"""

CUSTLENS_ALS = """
import ibis
from custlens.analytics.recommend.buy_again import BuyAgain
from custlens.analytics.recommend.interactions import history_at, purchase_data, purchase_lines
from custlens.analytics.recommend.lists import member_top_k
from custlens.analytics.recommend.recommenders import ImplicitALS
orders = ibis.duckdb.connect().read_parquet(path)
data = purchase_data(purchase_lines(orders))
history = history_at(data, data.last_day + 1)
lap("load")
members = {"als": ImplicitALS(threads=threads).fit(history),
           "buy_again": BuyAgain().fit(history)}
lap("fit")
top = member_top_k(members["als"], members["buy_again"], history, np.arange(data.n_customers),
                   30, 10, 4, threads=threads)
lap("score")
out = f"{top.shape[0]} lists, {int((top >= 0).sum())} items"
"""

CUSTLENS_FULL = """
import ibis
from custlens.analytics.recommend.interactions import purchase_data, purchase_lines
from custlens.analytics.recommend.model import ProductRecommender
orders = ibis.duckdb.connect().read_parquet(path)
data = purchase_data(purchase_lines(orders))
lap("load")
model = ProductRecommender(threads=threads).fit(data)
lap("fit")
top, _ = model.lists(np.arange(data.n_customers))
lap("score")
out = f"{top.shape[0]} lists, {int((top >= 0).sum())} items, served {model.served_}"
"""

IMPLICIT = """
import pandas as pd, scipy.sparse as sp
from threadpoolctl import threadpool_limits
from implicit.cpu.als import AlternatingLeastSquares
df = pd.read_parquet(path, columns=["customer_id", "product_id"])
cust, _ = pd.factorize(df["customer_id"])
item, items = pd.factorize(df["product_id"])
x = sp.csr_matrix((np.ones(len(df), np.float32), (cust, item)),
                  shape=(cust.max() + 1, len(items)))
x.sum_duplicates()
x.data = 1 + 10 * np.log1p(x.data)
lap("load")
with threadpool_limits(limits=threads):
    model = AlternatingLeastSquares(factors=32, regularization=0.05, alpha=1.0, iterations=15,
                                    random_state=0, num_threads=threads)
    model.fit(x, show_progress=False)
    lap("fit")
    users = np.arange(x.shape[0])
    top = np.vstack([model.recommend(users[s:s + 100_000], x[s:s + 100_000], N=10)[0]
                     for s in range(0, users.size, 100_000)])
lap("score")
out = f"{top.shape[0]} lists, {int((top >= 0).sum())} items"
"""

POPULARITY = """
import pandas as pd, scipy.sparse as sp
df = pd.read_parquet(path, columns=["customer_id", "product_id"])
cust, _ = pd.factorize(df["customer_id"])
item, items = pd.factorize(df["product_id"])
x = sp.csr_matrix((np.ones(len(df), np.float32), (cust, item)),
                  shape=(cust.max() + 1, len(items)))
x.sum_duplicates()
lap("load")
buyers = np.diff(x.tocsc().indptr)
pool = np.argsort(-buyers, kind="stable")[:60]
lap("fit")
bought = x[:, pool].toarray() > 0
pos = np.argsort(bought, axis=1, kind="stable")[:, :10]
top = np.where(np.take_along_axis(bought, pos, axis=1), -1, pool[pos])
lap("score")
out = f"{top.shape[0]} lists, {int((top >= 0).sum())} items"
"""

EPILOGUE = """
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("__R" + json.dumps({"stages": stages, "rss_mb": round(rss), "output": out}))
"""


def make_orders(path: Path, customers: int, products: int, lines: int, seed: int = 21) -> None:
    """Order lines with a long-tail popularity and category affinity (vectorised, seeded)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    lines = max(lines, customers)
    # every customer once, the rest by a heterogeneous activity
    activity = rng.gamma(0.5, 1.0, customers)
    extra = rng.choice(customers, lines - customers, p=activity / activity.sum())
    cust = np.concatenate([np.arange(customers), extra])
    # products: Zipf-like popularity, category by item code (the popularity rank is random)
    pop = 1.0 / np.arange(1, products + 1) ** 1.05
    pop = pop[rng.permutation(products)]
    cat_of = np.sort(rng.integers(0, N_CATEGORIES, products))  # items grouped by category
    cum = np.concatenate([[0.0], np.cumsum(pop / pop.sum())])
    cat_lo = cum[np.searchsorted(cat_of, np.arange(N_CATEGORIES), side="left")]
    cat_hi = cum[np.searchsorted(cat_of, np.arange(N_CATEGORIES), side="right")]
    favourite = rng.integers(0, N_CATEGORIES, customers)[cust]
    u = rng.random(cust.size)
    within = rng.random(cust.size) < 0.6
    u = np.where(within, cat_lo[favourite] + u * (cat_hi[favourite] - cat_lo[favourite]), u)
    item = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, products - 1)
    # orders: a customer's lines fall in up to three orders, on days over two years
    order = cust * 3 + rng.integers(0, 3, cust.size)
    offset = rng.integers(0, 730, customers)[cust] // (1 + order % 3)
    day = np.datetime64("2024-01-01") + offset.astype("timedelta64[D]")
    price = np.round(np.exp(rng.normal(4, 1, products)), 2)[item]
    pq.write_table(
        pa.table(
            {
                "customer_id": np.char.add("C", cust.astype(str)),
                "order_id": np.char.add("O", order.astype(str)),
                "order_date": day.astype("datetime64[s]"),
                "product_id": np.char.add("P", item.astype(str)),
                "product_name": np.char.add("Product ", item.astype(str)),
                "category": np.char.add("Category ", cat_of[item].astype(str)),
                "unit_price": price,
                "quantity": np.ones(cust.size),
                "amount": price,
                "status": np.full(cust.size, "paid"),
                "needs_review": np.zeros(cust.size, dtype=bool),
            }
        ),
        path,
    )


def run(code: str, data: Path, threads: int, timeout: int) -> dict:
    """Run one tool in a subprocess; its stage seconds, peak RSS and a line of output."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    try:
        out = subprocess.run(
            [sys.executable, "-c", PRELUDE + code + EPILOGUE, str(data), str(threads)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout} s"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    res = json.loads([ln for ln in out.stdout.splitlines() if ln.startswith("__R")][-1][3:])
    res["seconds"] = round(sum(res["stages"].values()), 2)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=3_000_000)
    parser.add_argument("--threads", type=int, default=2, help="ALS and BLAS threads")
    parser.add_argument("--full", action="store_true", help="also the whole ProductRecommender")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per tool")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        make_orders(args.generate, args.customers, args.products, args.lines)
        return
    tools = {"implicit": IMPLICIT, "custlens_als": CUSTLENS_ALS, "popularity": POPULARITY}
    if args.full:
        tools["custlens_full"] = CUSTLENS_FULL
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "orders.parquet"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(data)]
            + [f"--{k}={getattr(args, k)}" for k in ("customers", "products", "lines")],
            check=True,
        )
        generate = time.perf_counter() - t0
        results = {
            name: run(code, data, args.threads, args.timeout) for name, code in tools.items()
        }
    report(args, results, load, generate)


def report(args: argparse.Namespace, results: dict, load: tuple, generate: float) -> None:
    """Print the table and append the run to bench/results/recommend.jsonl."""
    base = results["implicit"].get("seconds")
    print(
        f"\n{args.customers:,} customers x {args.products:,} products, ~{args.lines:,} lines, "
        f"{args.threads} threads; data generated in {generate:.1f} s; "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} cores"
    )
    head = f"{'tool':<15}{'load':>8}{'fit':>8}{'score':>8}{'seconds':>9}{'x implicit':>12}"
    print(head + f"{'peak RSS MB':>13}  output")
    for name, r in results.items():
        if "error" in r:
            print(f"{name:<15}{'-':>8}{'-':>8}{'-':>8}{'-':>9}{'-':>12}{'-':>13}  {r['error']}")
            continue
        s = r["stages"]
        ratio = f"{r['seconds'] / base:>12.2f}" if base else f"{'-':>12}"
        print(
            f"{name:<15}{s['load']:>8.1f}{s['fit']:>8.1f}{s['score']:>8.1f}{r['seconds']:>9.1f}"
            f"{ratio}{r['rss_mb']:>13.0f}  {r['output']}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    row = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "customers": args.customers,
        "products": args.products,
        "lines": args.lines,
        "threads": args.threads,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in load],
        **results,
    }
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
