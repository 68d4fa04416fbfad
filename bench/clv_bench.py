"""BG/NBD fit speed on simulated customers: custlens vs lifetimes / PyMC-Marketing (if present).

Usage: python bench/clv_bench.py [--sizes 100000 1000000] [--peer-python /tmp/benchenv/bin/python]

Data: customers simulated from BG/NBD (r=0.25, alpha=4.4, a=0.8, b=2.4, time unit weeks) with
first purchases spread over 12 weeks and a 39-week calibration end; times are rounded to whole
days (as real order data is), so many customers share (frequency, recency, T).
Peers run in a subprocess of ``--peer-python`` (a separate venv; they are never runtime
dependencies), on the same data written to a temporary Parquet/CSV file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TRUE = {"r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4}


def simulate(n: int, seed: int = 0, whole_days: bool = True) -> pd.DataFrame:
    """frequency, recency, T (weeks, rounded to days unless not ``whole_days``) for n BG/NBD
    customers, vectorised."""
    rng = np.random.default_rng(seed)
    T = (39 * 7 - (rng.integers(0, 84, n) if whole_days else rng.uniform(0, 84, n))) / 7.0
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    n_events = rng.poisson(lam * T)
    life = rng.geometric(p)  # repeat purchases before dropping out
    x = np.minimum(n_events, life)
    tx = np.where(x > 0, T * rng.beta(np.maximum(x, 1), n_events - x + 1), 0.0)
    if whole_days:
        tx = np.floor(tx * 7) / 7
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PEER_SCRIPT = r"""
import json, sys, time, warnings
import pandas as pd
warnings.simplefilter("ignore")
data = pd.read_parquet(sys.argv[2])
out = {}
if sys.argv[1] == "lifetimes":
    from lifetimes import BetaGeoFitter
    t0 = time.perf_counter()
    m = BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"])
    out["seconds"] = time.perf_counter() - t0
    out["params"] = {k: float(v) for k, v in m.params_.items()}
    out["loglik"] = float(-m._negative_log_likelihood_ * len(data)) if hasattr(m, "_negative_log_likelihood_") else None
else:
    from pymc_marketing.clv import BetaGeoModel
    d = data.reset_index().rename(columns={"index": "customer_id"})
    t0 = time.perf_counter()
    m = BetaGeoModel(data=d)
    m.fit(fit_method="map")
    out["seconds"] = time.perf_counter() - t0
    post = getattr(m.fit_result, "posterior", m.fit_result)
    out["params"] = {k: float(post[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}
import resource
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run_peer(python: str, name: str, path: Path) -> dict | None:
    probe = subprocess.run([python, "-c", f"import {name}"], capture_output=True)
    if probe.returncode:
        return None
    res = subprocess.run(
        [python, "-c", PEER_SCRIPT, name, str(path)], capture_output=True, text=True
    )
    if res.returncode:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr else "failed"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument(
        "--peer-python",
        default=None,
        help="python of a separate venv with lifetimes / pymc-marketing",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--continuous",
        action="store_true",
        help="continuous times: every customer row distinct (worst case)",
    )
    args = parser.parse_args()

    from custlens.analytics.clv import BetaGeoModel

    print(f"cores available: {len(os.sched_getaffinity(0))}; true params {TRUE}")
    BetaGeoModel().fit(simulate(5000), time_unit="W")  # warm-up (imports, first calls)
    for n in args.sizes:
        data = simulate(n, whole_days=not args.continuous)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            model = BetaGeoModel().fit(data["frequency"], data["recency"], data["T"], time_unit="W")
            times.append(time.perf_counter() - t0)
        best = min(times)
        ll = model.score_samples(data["frequency"], data["recency"], data["T"]).sum()
        params = {k: round(v, 4) for k, v in model.params_.items()}
        print(
            f"\n{n:>9,} customers: custlens BG/NBD fit {best:.3f} s (best of {args.repeat}), "
            f"{model.n_iter_} iterations, LL {ll:.2f}, params {params}, "
            f"peak RSS {peak_rss_mb():.0f} MB"
        )
        if not args.peer_python:
            print("  peers: lifetimes / pymc-marketing not run (pass --peer-python)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "data.parquet"
            data.to_parquet(path)
            for name in ("lifetimes", "pymc_marketing"):
                res = run_peer(args.peer_python, name, path)
                if res is None:
                    print(f"  {name}: not installed in {args.peer_python}")
                elif "error" in res:
                    print(f"  {name}: failed: {res['error']}")
                else:
                    peer_model = BetaGeoModel.from_params(res["params"])
                    peer_ll = peer_model.score_samples(
                        data["frequency"], data["recency"], data["T"]
                    ).sum()
                    print(
                        f"  {name}: {res['seconds']:.3f} s -> custlens is "
                        f"{res['seconds'] / best:.1f}x faster; LL at its params {peer_ll:.2f} "
                        f"(custlens {ll:.2f}, diff {ll - peer_ll:+.3f}); "
                        f"peak RSS {res['peak_rss_mb']:.0f} MB"
                    )


if __name__ == "__main__":
    sys.exit(main())
