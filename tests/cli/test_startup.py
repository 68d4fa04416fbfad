"""CLI start-up: the skeleton imports no analytics stack; heavy modules load in the commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("ibis", "pandas", "sqlglot", "sklearn", "scipy", "pyarrow.compute")

PROBE = """
import json, sys
import typer
from custlens.cli.main import app
command = typer.main.get_command(app)
names = sorted(command.commands)
print(json.dumps({"commands": names, "modules": sorted(sys.modules)}))
"""


def _probe() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout)


def test_cli_skeleton_imports_no_heavy_modules():
    probe = _probe()
    loaded = set(probe["modules"])
    heavy = sorted(m for m in loaded if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))
    assert heavy == [], f"building the CLI imported {heavy[:10]}"
    assert {"import", "report", "rfm", "clv", "churn", "funnel", "serve"} <= set(probe["commands"])


def test_help_lists_the_commands():
    script = Path(sys.executable).with_name("custlens")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "custlens.cli.main"]
    out = subprocess.run([*cmd, "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for name in ("init", "import", "summary", "report", "rfm", "segments", "clv", "churn"):
        assert f" {name} " in out.stdout, name
