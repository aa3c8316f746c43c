"""Property: whatever a careless or hostile user does to a trial folder, ``validate`` and
``run`` succeed or exit 1 with a message, never exit 2, never leave a partial output
folder and never change an input (issue 11, "Done when").

Hypothesis draws corruptions of a small simulated trial: cells set to odd text, numbers
and whitespace, columns dropped or renamed, rows duplicated or removed, files truncated,
replaced by binary data, given CR-only line ends, deleted or replaced by a folder, junk
beside them. The default run is small and derandomized (a few seconds, the same examples
every time); ``@pytest.mark.slow`` runs many more, randomly.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldn_stats.cli import main
from ldn_stats.io import write_tables
from ldn_stats.simulate import simulate_trial

SPEC = """
[analysis]
name = "prop"
number = 1
title = "Property"
estimand = "Difference in mean change at the last week."
[data]
trial = "trial"
[model]
kind = "ancova"
formula = "CHG ~ BASE + TRT01P"
[outputs]
tables = ["lsmeans"]
"""

ODD_VALUES = ["", " ", "NA", "nan", "NaN", ".", "inf", "-inf", "1e308", "-1e308", "0", "-0",
              "10000000", "-10000000", "2.5", "ldn", "Ldn", " LDN", "LDN ", "PBO", "Y", "y",
              "\u00e9", "\u202e", "=cmd|' /C calc'!A0", "<script>", "'", '"', "a,b", "\t",
              "9" * 40, "-1", "1"]


def _base_tables() -> dict[str, pd.DataFrame]:
    """A small parallel trial (16 subjects of the FINAL preset), all columns as text."""
    tables = simulate_trial("final", seed=5)
    keep = set(tables["adsl"]["USUBJID"].iloc[:16])
    return {name: frame[frame["USUBJID"].isin(keep)].reset_index(drop=True).astype(str)
            .replace({"nan": "", "<NA>": "", "None": ""})
            for name, frame in tables.items()}


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile_base")
    write_tables(_base_tables(), root / "trial")
    (root / "prop.toml").write_text(SPEC, encoding="utf-8")
    return root


# ---- corruptions: each takes (folder, draw) and edits files under folder/trial


def _frame(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def _save(folder: Path, name: str, frame: pd.DataFrame) -> None:
    (folder / f"{name}.csv").write_text(frame.to_csv(index=False, lineterminator="\n"),
                                        encoding="utf-8")


_TABLE = st.sampled_from(["adsl", "adeff", "adae"])


@st.composite
def corruption(draw):
    kind = draw(st.sampled_from([
        "cell", "cell", "cell", "column_drop", "column_rename", "row_dup", "row_drop",
        "truncate", "binary", "cr_only", "delete", "as_folder", "junk", "shuffle"]))
    table = draw(_TABLE)
    value = draw(st.one_of(st.sampled_from(ODD_VALUES), st.text(max_size=12)))
    a = draw(st.integers(0, 10_000))
    b = draw(st.integers(0, 10_000))
    return kind, table, value, a, b


def _apply(trial: Path, spec) -> None:
    kind, table, value, a, b = spec
    path = trial / f"{table}.csv"
    if not path.is_file():
        return
    if kind in ("truncate", "binary", "cr_only", "delete", "as_folder", "junk"):
        data = path.read_bytes()
        if kind == "truncate":
            path.write_bytes(data[: a % max(len(data), 1)])
        elif kind == "binary":
            path.write_bytes(bytes((a * 7 + i * b) % 256 for i in range(512)))
        elif kind == "cr_only":
            path.write_bytes(data.replace(b"\n", b"\r"))
        elif kind == "delete":
            path.unlink()
        elif kind == "as_folder":
            path.unlink()
            path.mkdir()
        else:
            (trial / f"notes{a % 3}.txt").write_text(value or "junk", encoding="utf-8")
        return
    try:
        frame = _frame(trial, table)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return  # already unreadable (truncated, binary): a cell edit cannot apply
    if frame.empty:
        return
    row, col = a % len(frame), frame.columns[b % frame.shape[1]]
    if kind == "cell":
        frame.loc[row, col] = value.replace("\r", "").replace("\n", "")
    elif kind == "column_drop":
        frame = frame.drop(columns=col)
    elif kind == "column_rename":
        frame = frame.rename(columns={col: col.lower() if a % 2 else f" {col}"})
    elif kind == "row_dup":
        frame = pd.concat([frame, frame.iloc[[row]]], ignore_index=True)
    elif kind == "row_drop":
        frame = frame.drop(index=row)
    elif kind == "shuffle":
        frame = frame.sample(frac=1.0, random_state=a)
    _save(trial, table, frame)


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def _cli(args: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


def _check_validate(base: Path, corruptions) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(base / "trial", work / "trial")
        for c in corruptions:
            _apply(work / "trial", c)
        before = _snapshot(work)
        code, err = _cli(["validate", str(work / "trial")])
        assert code in (0, 1), err
        assert "internal error" not in err and "Traceback" not in err
        if code == 1:
            assert "error:" in err
        assert _snapshot(work) == before  # validation writes nothing, changes nothing


def _check_run(base: Path, corruptions) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shutil.copytree(base / "trial", work / "trial")
        shutil.copy(base / "prop.toml", work / "prop.toml")
        for c in corruptions:
            _apply(work / "trial", c)
        before = _snapshot(work)
        out = work / "reports"
        code, err = _cli(["run", str(work / "prop.toml"), "--out", str(out)])
        assert code in (0, 1), err
        assert "internal error" not in err and "Traceback" not in err
        after = _snapshot(work)
        inputs = {k: v for k, v in after.items() if not k.startswith("reports")}
        assert inputs == before  # no input changed, nothing written beside them
        written = sorted(p.name for p in out.iterdir()) if out.exists() else []
        if code == 0:
            assert written == ["prop"]  # the whole folder, no .tmp / .old beside it
            assert (out / "prop" / "outputs.json").is_file()
        else:
            assert written == []  # nothing partial


_CORRUPTIONS = st.lists(corruption(), min_size=0, max_size=3)
_QUICK = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture,
                                         HealthCheck.too_slow])
_QUICK_RUN = settings(_QUICK, max_examples=4)
_LONG = settings(max_examples=300, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])
_LONG_RUN = settings(_LONG, max_examples=60)


@_QUICK
@given(corruptions=_CORRUPTIONS)
def test_validate_never_crashes_nor_writes(base, corruptions):
    _check_validate(base, corruptions)


@_QUICK_RUN
@given(corruptions=_CORRUPTIONS)
def test_run_never_crashes_nor_writes_partially(base, corruptions):
    _check_run(base, corruptions)


@pytest.mark.slow
@_LONG
@given(corruptions=_CORRUPTIONS)
def test_validate_never_crashes_nor_writes_many(base, corruptions):
    _check_validate(base, corruptions)


@pytest.mark.slow
@_LONG_RUN
@given(corruptions=_CORRUPTIONS)
def test_run_never_crashes_nor_writes_partially_many(base, corruptions):
    _check_run(base, corruptions)
