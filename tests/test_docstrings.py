"""Docstring coverage: at least 90% of custlens's public names are documented (interrogate,
configured in pyproject.toml's [tool.interrogate])."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_public_names_are_documented():
    out = subprocess.run(
        [sys.executable, "-m", "interrogate", "-c", "pyproject.toml", "-vv", "src/custlens"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = re.search(r"actual: ([\d.]+)%", out.stdout)
    assert found, out.stdout + out.stderr
    missed = [line for line in out.stdout.splitlines() if "MISSED" in line]
    assert out.returncode == 0, f"docstring coverage {found[1]}% < 90%:\n" + "\n".join(missed)
    assert float(found[1]) >= 90
