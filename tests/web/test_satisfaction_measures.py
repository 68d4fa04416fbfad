"""NPS and CSAT through the metric catalogue: `custlens kpi` and `custlens compare` give the
numbers of the 满意度 page (GET /api/v1/satisfaction), quarter by quarter."""

from __future__ import annotations

import json

import pytest
from tests.web.conftest import copy_world
from typer.testing import CliRunner

from custlens.cli.main import app as cli


def _json(path, *args: str):
    r = CliRunner().invoke(cli, [*args, "-w", str(path), "--format", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_kpi_and_compare_show_the_page_figures(world, clients, tmp_path):
    page = clients["vic"].get("/api/v1/satisfaction", params={"by": "quarter"}).json()["scores"]
    by_quarter = {row["group"]: row for row in page}
    path = copy_world(world, tmp_path / "cli")
    kpis = _json(path, "kpi", "--freq", "quarter", "--kpi", "nps", "--kpi", "csat")
    seen = 0
    for row in kpis:
        start = row["period_start"]
        quarter = f"{start[:4]}-Q{(int(start[5:7]) - 1) // 3 + 1}"
        if quarter not in by_quarter or row["value"] is None:
            continue
        assert row["value"] == pytest.approx(by_quarter[quarter][row["kpi"]], abs=1e-9), quarter
        seen += 1
    assert seen >= 6  # both measures over several quarters
    last = max(q for q in by_quarter if by_quarter[q]["nps_answers"] > 0)
    for metric in ("nps", "csat"):
        (found,) = _json(path, "compare", "--metric", metric, "--period", last)
        assert found["value"] == pytest.approx(by_quarter[last][metric], abs=1e-9)
