"""`make demo` end to end at a small size: data, workspace, analyses, reports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_make_demo_small(tmp_path):
    if shutil.which("make") is None:
        pytest.fail("make is required")
    out = tmp_path / "demo"
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"}
    cmd = ["make", "-s", "demo", "DEMO_CUSTOMERS=1500", f"DEMO_DIR={out}", "DEMO_SERVE=0"]
    run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    truth = json.loads((out / "data" / "truth.json").read_text(encoding="utf-8"))
    assert truth["n_customers"] == 1500
    assert (out / "workspace" / "custlens.duckdb").exists()
    reports = sorted(p.suffix for p in (out / "reports").iterdir())
    assert reports == [".html", ".html", ".pdf", ".pdf", ".xlsx"]
    assert "Reports:" in run.stdout
    clv = (out / "clv.csv").read_text(encoding="utf-8").splitlines()
    assert clv[0].startswith("customer_id,") and len(clv) > 500
    # rerunnable: a second run imports nothing new
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-2000:]
