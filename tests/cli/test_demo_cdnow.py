"""`custlens demo cdnow` through typer's CliRunner: the files, the messages, then `clv fit` on them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from custlens.cli.main import app
from custlens.datasets import cdnow_file, load_cdnow_reference

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_writes_the_sample_and_clv_fit_reproduces_the_published_parameters(tmp_path):
    out = tmp_path / "cdnow"
    r = invoke("demo", "cdnow", "--out", out)
    assert r.exit_code == 0, r.output
    sample = out / "cdnow_sample.csv"
    assert sample.read_bytes() == cdnow_file("cdnow_sample.csv").read_bytes()
    assert (out / "cdnow_README.md").read_bytes() == cdnow_file("README.md").read_bytes()
    assert "CDNOW 样本已写入" in r.output and "6,919" in r.output and "2,357" in r.output
    hint = f"custlens clv fit {sample} --time-unit W --calibration-end 1997-09-30"
    assert hint in r.output
    # the command the user is told to try
    r = invoke(*hint.split()[1:], "--format", "json")
    assert r.exit_code == 0, r.output
    published = load_cdnow_reference()["published"]
    fit = json.loads(r.stdout)
    assert {k: round(v, 3) for k, v in fit["params"].items()} == {
        k: published["bgnbd"][k] for k in ("r", "alpha", "a", "b")
    }
    gg = fit["gamma_gamma"]["params"]
    assert {k: round(v, 2) for k, v in gg.items()} == {
        k: published["gamma_gamma"][k] for k in ("p", "q", "v")
    }


def test_english_messages(tmp_path):
    r = invoke("demo", "cdnow", "-o", tmp_path, "--lang", "en")
    assert r.exit_code == 0, r.output
    assert "CDNOW sample written to" in r.output and "Source, definitions and licence" in r.output
    assert "Try: custlens clv fit" in r.output


def test_help_has_an_example():
    r = invoke("demo", "cdnow", "--help")
    assert r.exit_code == 0
    assert "custlens demo cdnow --out cdnow" in r.output
    assert "custlens clv fit cdnow/cdnow_sample.csv" in r.output
    assert "cdnow" in invoke("demo", "--help").output


def test_output_path_that_is_a_file_exits_1(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    r = invoke("demo", "cdnow", "--out", blocker)
    assert r.exit_code == 1
    assert "错误" in r.output
    r = invoke("demo", "cdnow", "--out", blocker, "--lang", "en")
    assert r.exit_code == 1
    assert "error" in r.output
