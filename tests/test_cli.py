"""Command-line plumbing: exit codes and error reporting without tracebacks."""

from __future__ import annotations

import subprocess
import sys

from ldn_stats.cli import main


def test_version_exits_zero(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == "ldn-stats 0.1.0"


def test_usage_error_exits_two_without_traceback(capsys):
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err
    assert "Traceback" not in err


def test_console_module_runs():
    out = subprocess.run(
        [sys.executable, "-m", "ldn_stats.cli", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "validate" in out.stdout and "simulate" in out.stdout
