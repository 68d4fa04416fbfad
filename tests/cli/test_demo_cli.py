"""``custlens demo generate`` through typer's CliRunner."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from custlens.cli.demo import demo_app


def test_generate_writes_the_files(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        demo_app,
        [
            "generate",
            "--customers",
            "300",
            "--seed",
            "3",
            "--out",
            str(out),
            "--format",
            "parquet",
            "--dirty-rate",
            "0.05",
            "--headers",
            "en",
        ],
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["n_customers"] == 300 and truth["seed"] == 3 and truth["headers"] == "en"
    for file in truth["files"].values():
        assert (out / file).exists()
    assert "orders.parquet" in result.output  # the summary (stderr is mixed in by CliRunner)


def test_help_has_an_example():
    result = CliRunner().invoke(demo_app, ["generate", "--help"])
    assert result.exit_code == 0
    assert "custlens demo generate --customers" in result.output
    assert "--dirty-rate" in result.output


def test_bad_format_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(demo_app, ["generate", "--out", str(tmp_path), "--format", "json"])
    assert result.exit_code == 2
    assert "json" in result.output


def test_registers_as_a_sub_command(tmp_path):
    import typer

    app = typer.Typer()
    app.add_typer(demo_app, name="demo")
    result = CliRunner().invoke(app, ["demo", "generate", "-n", "100", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "customers.csv").exists()
