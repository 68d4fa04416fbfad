"""`custlens import` with foreign layouts: --write-mapping, the missing-column report, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from typer.testing import CliRunner

import custlens
from custlens.cli.main import app
from tests.conftest import ORDERS_CSV

runner = CliRunner()
FOREIGN = (
    "Beleg,Kunde E-Mail,Zeitpunkt,Anzahl,Betrag,Land\n"
    "A1,a@example.com,2024-01-05 10:00,2,19.90,DE\n"
    "A2,b@example.com,2024-01-06 11:00,1,5.00,AT\n"
)


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def _rows(table: str = "orders") -> int:
    status = json.loads(invoke("status", "--format", "json").stdout)
    return {x["table"]: x["rows"] for x in status}[table]


def test_missing_columns_shown_once_with_candidates_and_mapping(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTLENS_WORKSPACE", str(tmp_path / "ws"))
    invoke("init")
    (tmp_path / "f.csv").write_text(FOREIGN, encoding="utf-8")
    for lang, headline, candidate in (
        ("zh", "缺少必填列：客户编号（customer_id）", "购买日期（order_time） 的候选列：Zeitpunkt"),
        ("en", "missing required columns: customer_id", "Candidates for order_time: Zeitpunkt"),
    ):
        r = invoke("import", "orders", tmp_path / "f.csv", "--dry-run", "--lang", lang)
        assert r.exit_code == 1
        assert r.output.count(headline) == 1, r.output  # printed once, not again per column
        assert candidate in r.output and "  columns:\n    Kunde E-Mail: customer_id" in r.output


def test_write_mapping_then_import_with_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTLENS_WORKSPACE", str(tmp_path / "ws"))
    invoke("init")
    (tmp_path / "f.csv").write_text(FOREIGN, encoding="utf-8")
    out = tmp_path / "map.yaml"
    r = invoke("import", "orders", tmp_path / "f.csv", "--write-mapping", out, "--lang", "en")
    assert r.exit_code == 0, r.output
    assert f"Mapping written to {out}" in r.output
    assert _rows() == 0  # nothing imported
    text = out.read_text(encoding="utf-8")
    assert "Zeitpunkt: order_time  # guess: values look like dates" in text
    assert yaml.safe_load(text)["columns"] == {
        "Kunde E-Mail": "customer_id",
        "Zeitpunkt": "order_time",
        "Betrag": "amount",
    }
    r = invoke("import", "orders", tmp_path / "f.csv", "--mapping", out, "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["inserted"] == 2 and _rows() == 2


def test_write_mapping_of_a_recognised_file_keeps_the_given_mapping(tmp_path, monkeypatch):
    monkeypatch.setenv("CUSTLENS_WORKSPACE", str(tmp_path / "ws"))
    invoke("init")
    (tmp_path / "o.csv").write_text(ORDERS_CSV, encoding="utf-8")
    given = tmp_path / "given.yaml"
    given.write_text("constants:\n  channel: 天猫\nfloat_ids: false\n", encoding="utf-8")
    out = tmp_path / "map.yaml"
    r = invoke("import", "orders", tmp_path / "o.csv", "--mapping", given, "--write-mapping", out)
    assert r.exit_code == 0, r.output
    spec = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert spec["columns"]["下单时间"] == "order_time"
    assert spec["constants"] == {"channel": "天猫"} and spec["float_ids"] is False


def test_ctrl_c_cancels_the_import_and_leaves_the_workspace(tmp_path):
    ws = tmp_path / "ws"
    env = dict(os.environ, CUSTLENS_WORKSPACE=str(ws))
    src = str(Path(custlens.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")])
    cli = [sys.executable, "-m", "custlens.cli.main"]
    subprocess.run([*cli, "init"], env=env, check=True, capture_output=True, timeout=120)
    (tmp_path / "o.csv").write_text(ORDERS_CSV, encoding="utf-8")
    subprocess.run(
        [*cli, "import", "orders", str(tmp_path / "o.csv")],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("订单编号,客户编号,下单时间,商品名称,购买数量,单价\n")
        fh.writelines(
            f"B{i},C{i % 5000},2024-01-{1 + i % 28:02d} 10:00:00,p{i % 50},{1 + i % 3},10.50\n"
            for i in range(500_000)
        )
    for lang, message in (
        ("zh", "导入已取消，工作区未改变"),
        ("en", "import cancelled, workspace unchanged"),
    ):
        proc = subprocess.Popen(
            [*cli, "import", "orders", str(big), "--lang", lang],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_until_open(proc, big)
        time.sleep(0.5)  # part-way through the import
        # Ctrl-C, again if DuckDB swallowed it in a step that does not check for interrupts
        for _ in range(10):
            proc.send_signal(signal.SIGINT)
            try:
                _, err = proc.communicate(timeout=2)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            proc.kill()
            _, err = proc.communicate()
        assert proc.returncode == 130, err
        assert message in err and "Traceback" not in err
    status = subprocess.run(
        [*cli, "status", "--format", "json"], env=env, capture_output=True, text=True, timeout=120
    )
    rows = {x["table"]: x["rows"] for x in json.loads(status.stdout)}
    assert rows["orders"] == 5


def _wait_until_open(proc: subprocess.Popen, path: Path) -> None:
    """Return once ``proc`` has ``path`` open (the import has started)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{proc.pid}/fd").iterdir()):
                return
        except OSError:
            pass
        time.sleep(0.02)
