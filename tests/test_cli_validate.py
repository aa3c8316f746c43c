"""``ldn-stats validate`` as a user runs it: exit 1, the column and subject on stderr,
no traceback, and nothing written (issue 2, "Done when")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ldn_stats
from ldn_stats.cli import main
from support.trial_tables import CORRUPTIONS, parallel_tables, snapshot, tables_for, write_trial

# the subprocess runs the same ldn_stats as this test process, whatever the venv points at
_SRC = str(Path(ldn_stats.__file__).resolve().parents[1])
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([_SRC, os.environ.get("PYTHONPATH", "")])}


def _validate(folder) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ldn_stats.cli", "validate", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        env=_ENV,
    )


def test_valid_folder_prints_one_ok_line(tmp_path):
    folder = write_trial(parallel_tables(), tmp_path / "trial")
    out = _validate(folder)
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        f"OK {folder}: parallel design, 4 subjects, 36 adeff records, 3 adae records\n"
    )
    assert out.stderr == ""


def _header_only(folder):
    path = folder / "adeff.csv"
    path.write_bytes(path.read_bytes().split(b"\n")[0] + b"\n")


def _binary(folder):
    (folder / "adeff.csv").write_bytes(bytes(range(256)) * 8)


# corruption name -> (design, table edit or file edit, words stderr must hold)
_CASES = {
    name: (design, edit, [column.split(",")[0]] + ([f"USUBJID {subject}"] if subject else []))
    for name, (design, edit, (_table, column, subject)) in CORRUPTIONS.items()
}
_FILE_CASES = {
    "header_only_adeff": (_header_only, ["adeff.csv", "header only"]),
    "binary_adeff": (_binary, ["adeff.csv", "binary"]),
}


@pytest.mark.parametrize("name", sorted(_CASES) + sorted(_FILE_CASES))
def test_corrupted_folder_exits_1_without_traceback_or_output(tmp_path, name):
    folder = tmp_path / "trial"
    if name in _CASES:
        design, edit, words = _CASES[name]
        write_trial(edit(tables_for(design)), folder)
    else:
        edit, words = _FILE_CASES[name]
        write_trial(parallel_tables(), folder)
        edit(folder)
    before = snapshot(tmp_path)
    out = _validate(folder)
    assert out.returncode == 1
    assert out.stderr.startswith("ldn-stats validate: error: ")
    assert "Traceback" not in out.stderr
    for word in words:
        assert word in out.stderr
    assert out.stdout == ""
    assert snapshot(tmp_path) == before  # nothing changed, nothing new


# file-level failures in process (same code path as the command, without process start)


def _empty(folder):
    (folder / "adae.csv").write_bytes(b"")


def _semicolon(folder):
    path = folder / "adsl.csv"
    path.write_bytes(path.read_bytes().replace(b",", b";"))


def _latin1(folder):
    path = folder / "adsl.csv"
    latin1 = "Perdu à suivre".encode("latin-1")
    path.write_bytes(path.read_bytes().replace(b"Lost to follow-up", latin1))


def _truncated_parquet(folder):
    frame = parallel_tables()["adeff"]
    (folder / "adeff.csv").unlink()
    frame.to_parquet(folder / "adeff.parquet")
    data = (folder / "adeff.parquet").read_bytes()
    (folder / "adeff.parquet").write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (_empty, ["adae.csv", "file is empty"]),
        (_semicolon, ["adsl.csv", "found ';' as the delimiter"]),
        (_latin1, ["adsl.csv", "expected UTF-8", "line 4"]),
        (_truncated_parquet, ["adeff.parquet", "expected a Parquet file"]),
    ],
    ids=["empty", "semicolon", "latin1", "truncated-parquet"],
)
def test_unreadable_file_in_process(tmp_path, capsys, edit, words):
    folder = write_trial(parallel_tables(), tmp_path / "trial")
    edit(folder)
    before = snapshot(tmp_path)
    assert main(["validate", str(folder)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    for word in words:
        assert word in captured.err
    assert snapshot(tmp_path) == before


def test_missing_folder_in_process(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nowhere")]) == 1
    assert "trial folder not found" in capsys.readouterr().err
