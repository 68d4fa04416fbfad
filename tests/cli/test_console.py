"""The CLI's consoles follow the terminal width of each command, not of the first one."""

from __future__ import annotations

import io

from custlens.cli.common import TerminalConsole


def test_a_console_made_once_follows_columns_at_each_print(monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    console = TerminalConsole(file=io.StringIO())
    assert console.width == 300
    monkeypatch.setenv("COLUMNS", "80")
    assert console.width == 80  # Rich's own Console would still say 300
    console.print("x" * 100)
    assert [len(line) for line in console.file.getvalue().splitlines()] == [80, 20]


def test_an_explicit_width_is_kept(monkeypatch):
    monkeypatch.setenv("COLUMNS", "300")
    console = TerminalConsole(file=io.StringIO(), width=120)
    monkeypatch.setenv("COLUMNS", "80")
    assert console.width == 120
