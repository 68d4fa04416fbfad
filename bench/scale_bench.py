"""Scale benchmark: a large demo world through import, analyze, funnel, basket, CLV fit and report.

Generates (or reuses, when ``<data>/truth.json`` matches) a demo world of ``--customers``
customers as Parquet (above 200,000 customers the generator writes it in chunks, in constant
memory), imports its six files into a workspace and runs the steps, each as its own
``custlens`` process, on every engine of ``--engines``:

  duckdb      the default engine, ``memory_limit = 4GB`` (DuckDB spills beyond it);
  duckdb-2gb  a second workspace with ``memory_limit = 2GB``: must complete by spilling;
  spark       ``--engine spark`` on ``local[2]`` over the duckdb workspace's Parquet mirror;
  cluster     ``--engine spark`` on a standalone master and two workers started here
              (``LocalCluster``: three more JVM processes).

For every step it prints seconds and the peak RSS of every process that ran meanwhile (the
custlens process, its Spark driver JVM, the cluster's master and workers), sampled with psutil
every 0.2 s, and appends one line to bench/results/scale.jsonl. The default (200,000 customers,
duckdb engines) fits in ``make bench``; the 10M-order run is

    python bench/scale_bench.py --customers 3000000 --engines duckdb,duckdb-2gb,spark,cluster

``--workspace PATH`` runs the steps on a workspace imported before (the duckdb engine then
skips ``import``), e.g. to measure ``analyze`` again after a change without the import.

``--peer-python`` is accepted for ``make bench`` and ignored (no peer tools here).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

RESULTS = Path(__file__).parent / "results" / "scale.jsonl"
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # this checkout's custlens (LocalCluster)
TABLES = ("customers", "orders", "events", "campaigns", "campaign_responses", "feedback")
STEPS = ("import", "analyze", "funnel", "basket", "clv", "report")
ENGINES = ("duckdb", "duckdb-2gb", "spark", "cluster")
SPARK_STEPS = {"analyze", "funnel", "basket", "clv", "report"}


def custlens(*args: str) -> list[str]:
    """The command line of one custlens invocation with this interpreter."""
    return [sys.executable, "-m", "custlens.cli.main", *args]


class PeakRss:
    """Peak RSS (MB) of each process descended from this one, sampled every 0.2 s."""

    def __init__(self) -> None:
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for proc in me.children(recursive=True):
                try:
                    label = _label(proc)
                    rss = proc.memory_info().rss / 2**20
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                self.peaks[label] = max(self.peaks.get(label, 0.0), round(rss, 1))
            self._stop.wait(0.2)


def _label(proc: psutil.Process) -> str:
    cmd = " ".join(proc.cmdline())
    for key, name in (
        ("deploy.master.Master", "spark-master"),
        ("deploy.worker.Worker", "spark-worker"),
        ("CoarseGrainedExecutorBackend", "spark-executor"),
        ("java", "spark-driver"),
        ("custlens", "custlens"),
    ):
        if key in cmd:
            return f"{name}:{proc.pid}" if name in {"spark-worker", "spark-executor"} else name
    return proc.name()


def run_step(commands: list[list[str]], env: dict) -> dict:
    """Run commands one after the other; seconds and per-process peak RSS."""
    started = time.perf_counter()
    codes = []
    with PeakRss() as rss:
        for cmd in commands:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
            codes.append(done.returncode)
            if done.returncode:  # partial imports exit 1 too: say so, keep going
                print(f"exit {done.returncode}: {' '.join(cmd[3:])}\n{done.stderr[-1500:]}")
    seconds = round(time.perf_counter() - started, 2)
    return {"seconds": seconds, "rss_mb": rss.peaks, "exit_codes": codes}


def step_commands(step: str, data: Path, ws: Path, engine: str, out: Path) -> list[list[str]]:
    """The custlens invocations of one step."""
    w = ["--workspace", str(ws)]
    e = ["--engine", "spark"] if engine in {"spark", "cluster"} else []
    if step == "import":
        truth = json.loads((data / "truth.json").read_text(encoding="utf-8"))
        return [custlens("import", t, str(data / truth["files"][t]), *w) for t in TABLES]
    if step == "clv":
        return [custlens("clv", "fit", *w, *e)]
    if step == "report":
        return [custlens("report", *w, *e, "--out", str(out / f"report-{engine}"))]
    return [custlens(step, *w, *e)]


def ensure_world(data: Path, customers: int, seed: int, env: dict) -> dict | None:
    """Generate the Parquet world unless ``data`` already holds this one."""
    truth_file = data / "truth.json"
    if truth_file.exists():
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if truth["n_customers"] == customers and truth["seed"] == seed:
            return None
    cmd = custlens("demo", "generate", "-n", str(customers), "--seed", str(seed))
    result = run_step([[*cmd, "-f", "parquet", "-o", str(data)]], env)
    result["rows"] = json.loads(truth_file.read_text(encoding="utf-8"))["rows"]
    return result


def init_workspace(ws: Path, memory: str, env: dict) -> None:
    """A fresh workspace with DuckDB's ``memory_limit``."""
    for cmd in (
        custlens("init", str(ws)),
        custlens("config", "set", "memory_limit", memory, "--workspace", str(ws)),
        # a file may hold more than the default 5M rows (3M customers: ~68M events)
        custlens("config", "set", "limits.max_rows", "500000000", "--workspace", str(ws)),
    ):
        subprocess.run(cmd, env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--engines", default="duckdb,duckdb-2gb")
    parser.add_argument("--data", type=Path, help="Cache directory of the generated world")
    parser.add_argument(
        "--workspace",
        type=Path,
        help="Run the steps on this workspace (already imported: the duckdb engine skips its "
        "init and import) instead of a new one",
    )
    parser.add_argument("--peer-python", help="Ignored (no peer tools)")
    args = parser.parse_args()
    steps = [s for s in args.steps.split(",") if s]
    engines = [e for e in args.engines.split(",") if e]
    if set(steps) - set(STEPS) or set(engines) - set(ENGINES):
        parser.error(f"steps from {STEPS}, engines from {ENGINES}")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    tmp = Path(tempfile.mkdtemp(prefix="custlens-scale-"))
    data = args.data or Path(tempfile.gettempdir()) / f"custlens-scale-{args.customers}-{args.seed}"
    record = {"at": time.strftime("%Y-%m-%dT%H:%M:%S"), "customers": args.customers}
    record["load_average"] = [round(x, 1) for x in os.getloadavg()]
    record["cpus"] = os.cpu_count()
    generated = ensure_world(data, args.customers, args.seed, env)
    if generated:
        record["generate"] = generated
        print(f"generate: {generated['seconds']} s, peak RSS {generated['rss_mb']} MB", flush=True)
    record["rows"] = json.loads((data / "truth.json").read_text(encoding="utf-8"))["rows"]
    workspaces = {"duckdb": args.workspace or tmp / "ws", "duckdb-2gb": tmp / "ws-2gb"}
    try:
        for engine in engines:
            ws = workspaces.get(engine, workspaces["duckdb"])
            reused = engine == "duckdb" and args.workspace is not None
            if engine in workspaces and not reused:
                init_workspace(ws, "4GB" if engine == "duckdb" else "2GB", env)
            elif not (ws / "custlens.toml").exists():
                raise SystemExit("the Spark engines read the duckdb workspace: list duckdb first")
            record[engine] = {}
            todo = [s for s in steps if not (reused and s == "import")]
            run_engine(engine, todo, data, ws, tmp, env, record[engine])
    finally:  # an interrupted run keeps the steps it finished
        RESULTS.parent.mkdir(exist_ok=True)
        with RESULTS.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


def run_engine(
    engine: str, steps: list[str], data: Path, ws: Path, tmp: Path, env: dict, out: dict
) -> None:
    """Every step on one engine into ``out`` (a local cluster started and stopped around)."""
    todo = [s for s in steps if engine not in {"spark", "cluster"} or s in SPARK_STEPS]
    cluster = None
    master = "local[2]"
    if engine == "cluster":
        from custlens.store.spark_cluster import LocalCluster

        cluster = LocalCluster(tmp / "cluster-logs", workers=2).__enter__()
        master = cluster.url
    if engine in {"spark", "cluster"}:
        set_master = custlens("config", "set", "spark.master", master, "--workspace", str(ws))
        subprocess.run(set_master, env=env, check=True, capture_output=True)
    try:
        for step in todo:
            out[step] = run_step(step_commands(step, data, ws, engine, tmp), env)
            print(
                f"{engine:11s} {step:8s} {out[step]['seconds']:8.1f} s  {out[step]['rss_mb']}",
                flush=True,
            )
    finally:
        if cluster is not None:
            cluster.__exit__(None, None, None)


if __name__ == "__main__":
    main()
