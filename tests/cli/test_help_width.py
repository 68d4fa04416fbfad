"""Every command's help is read at 80 columns: no option name may be cut short there (a user
cannot type ``--forwarded-allow-…``)."""

from __future__ import annotations

import re

import typer.main
from typer.testing import CliRunner

from custlens.cli.main import app


def _commands(command, prefix=()):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*prefix, name))
    else:
        yield prefix


def test_every_option_name_is_whole_at_80_columns():
    runner = CliRunner()
    paths = list(_commands(typer.main.get_command(app)))
    assert len(paths) > 50 and ("serve",) in paths
    cut = {}
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
        assert result.exit_code == 0, path
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, path
        names = re.findall(r"--[a-z0-9-]+…", result.stdout)
        if names:
            cut[" ".join(path)] = names
    assert cut == {}
    serve = runner.invoke(app, ["serve", "--help"], env={"COLUMNS": "80"}).stdout
    assert "--forwarded-allow-ips" in serve
