"""Careless and hostile output targets (issue 11, items 2, 3 and 6): no data loss, no
crash, no partial or absent target, no leftovers."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pandas as pd
import pytest

import ldn_stats
from ldn_stats import io
from ldn_stats.cli import main
from ldn_stats.errors import DataError
from ldn_stats.io import atomic_output_dir, write_tables

_SRC = str(Path(ldn_stats.__file__).resolve().parents[1])
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([_SRC, os.environ.get("PYTHONPATH", "")])}
TABLES = {"adsl": pd.DataFrame({"USUBJID": ["001"]}), "adeff": pd.DataFrame({"ADY": [1]})}


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


# ---- item 2: simulate never deletes what the package did not write


def test_simulate_refuses_a_folder_of_someone_elses_files(tmp_path, capsys):
    out = tmp_path / "mine"
    (out / "sub").mkdir(parents=True)
    (out / "thesis.docx").write_bytes(b"years of work")
    (out / "sub" / "data.csv").write_text("x\n1\n")
    before = _tree(out)
    assert main(["simulate", "--preset", "final", "--seed", "7", str(out)]) == 1
    err = capsys.readouterr().err
    assert "not a previous output" in err and "--force" in err
    assert _tree(out) == before


def test_simulate_force_writes_beside_and_deletes_nothing(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"years of work")
    assert main(["simulate", "--preset", "younger2013", "--seed", "7", "--force",
                 str(out)]) == 0
    assert (out / "thesis.docx").read_bytes() == b"years of work"
    assert sorted(p.name for p in out.iterdir()) == [
        "adae.csv", "adeff.csv", "adsl.csv", "thesis.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_simulate_replaces_its_own_previous_output(tmp_path):
    out = tmp_path / "trial"
    assert main(["simulate", "--preset", "younger2013", "--seed", "1", str(out)]) == 0
    first = (out / "adeff.csv").read_bytes()
    assert main(["simulate", "--preset", "younger2013", "--seed", "2", str(out)]) == 0
    assert (out / "adeff.csv").read_bytes() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial"]  # no .old, no .tmp


def test_simulate_into_the_current_folder_leaves_nothing_beside_it(tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["simulate", "--preset", "younger2013", "--seed", "1", "."]) == 0
    assert main(["simulate", "--preset", "younger2013", "--seed", "2", "."]) == 0
    assert sorted(p.name for p in here.iterdir()) == ["adae.csv", "adeff.csv", "adsl.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]  # no ..xxxx.old
    (here / "notes.txt").write_text("mine")
    assert main(["simulate", "--preset", "younger2013", "--seed", "3", "."]) == 1
    assert (here / "notes.txt").read_text() == "mine"


# ---- item 3: targets that crashed with exit 2


def test_out_that_is_a_symlink_is_refused_and_its_target_kept(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (real / "keep.txt").write_text("keep")
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(DataError, match="symbolic link"):
        with atomic_output_dir(tmp_path / "link"):
            pass
    assert (real / "keep.txt").read_text() == "keep"
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert main(["simulate", "--preset", "younger2013", "--seed", "1",
                 str(tmp_path / "dangling")]) == 1
    assert "symbolic link" in capsys.readouterr().err
    assert (tmp_path / "dangling").is_symlink()


def test_out_inside_a_file_or_with_a_long_name_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    for target in (tmp_path / "file", tmp_path / "file" / "sub", tmp_path / ("n" * 300)):
        assert main(["simulate", "--preset", "younger2013", "--seed", "1", str(target)]) == 1
        err = capsys.readouterr().err
        assert "error:" in err and "internal error" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_read_only_out_is_a_clean_error(tmp_path, monkeypatch, capsys):
    # the tests may run as root, for whom chmod does not forbid writing: refuse as the OS would
    def denied(*args, dir=None, **kwargs):
        raise PermissionError(13, "Permission denied", str(dir))

    monkeypatch.setattr(io.tempfile, "mkdtemp", denied)
    assert main(["simulate", "--preset", "younger2013", "--seed", "1",
                 str(tmp_path / "out")]) == 1
    assert "Permission denied" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---- item 6: concurrency and interruption


def test_stale_work_folders_of_a_killed_writer_are_removed_next_run(tmp_path):
    stale = tmp_path / ".out.abcd1234.tmp"
    stale.mkdir()
    (stale / "half.csv").write_text("USUBJID\n00")
    old = tmp_path / ".out.k_9z0000.old"
    old.mkdir()
    other = tmp_path / ".other.abcd1234.tmp"  # another target's: not ours to touch now
    other.mkdir()
    write_tables(TABLES, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.abcd1234.tmp", "out"]


def test_sigterm_mid_write_leaves_no_partial_folder(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        from ldn_stats.cli import main
        real = Path.write_bytes
        def write_then_die(self, data):
            real(self, data)
            os.kill(os.getpid(), signal.SIGTERM)
        Path.write_bytes = write_then_die
        sys.exit(main(["simulate", "--preset", "younger2013", "--seed", "1",
                       {str(tmp_path / "out")!r}]))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=_ENV, timeout=120)
    assert done.returncode == 143, done.stderr
    assert "terminated" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_replacing_a_folder_never_leaves_it_absent(tmp_path):
    out = tmp_path / "out"
    write_tables(TABLES, out)
    seen_absent = []
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            if not (out / "adsl.csv").is_file():
                seen_absent.append(True)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(40):
            write_tables({**TABLES, "adeff": pd.DataFrame({"ADY": [i]})}, out)
    finally:
        stop.set()
        watcher.join()
    if io._EXCHANGE is not None:  # Linux: renameat2(RENAME_EXCHANGE) swaps in one step
        assert seen_absent == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_two_writers_take_turns_and_leave_no_leftovers(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        import pandas as pd
        from ldn_stats.io import write_tables
        for i in range(15):
            t = {{"adsl": pd.DataFrame({{"W": [sys.argv[1]] * 500}}),
                  "adeff": pd.DataFrame({{"W": [sys.argv[1]] * 500}})}}
            write_tables(t, {str(tmp_path / "out")!r})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script, w], env=_ENV,
                              stderr=subprocess.PIPE, text=True) for w in ("a", "b")]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    out = tmp_path / "out"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    adsl, adeff = (pd.read_csv(out / f) for f in ("adsl.csv", "adeff.csv"))
    assert adsl["W"].nunique() == 1 and adsl["W"].iloc[0] == adeff["W"].iloc[0]  # one writer's


def test_lock_wait_has_a_limit(tmp_path, monkeypatch):
    import fcntl

    fd = os.open(tmp_path, os.O_RDONLY)
    script = textwrap.dedent(f"""
        import sys
        from ldn_stats import io
        io.LOCK_TIMEOUT = 0.3
        try:
            with io.atomic_output_dir({str(tmp_path / "out")!r}):
                pass
        except io.DataError as exc:
            print(exc)
            sys.exit(1)
    """)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=_ENV, timeout=60)
    finally:
        os.close(fd)
    assert done.returncode == 1
    assert "another ldn-stats process is writing here" in done.stdout
    assert not (tmp_path / "out").exists()
