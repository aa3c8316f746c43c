"""Careless and hostile input folders and files (issue 11, items 3, 4 and 7): a clean
DataError (CLI exit 1) saying what was expected and found, and no folder listings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ldn_stats.cli import main
from ldn_stats.errors import DataError, ValidationError
from ldn_stats.io import read_table
from ldn_stats.trial import read_trial
from support.trial_tables import parallel_tables, write_trial


def _validate(folder, capsys) -> tuple[int, str]:
    code = main(["validate", str(folder)])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("folder", ["/etc", "/proc/self"])
def test_system_folders_are_refused_without_their_listing(folder, capsys):
    if not Path(folder).is_dir():
        pytest.skip(f"{folder} not on this system")
    code, err = _validate(folder, capsys)
    assert code == 1
    assert "table adsl not found" in err and "no table files among" in err
    assert "passwd" not in err and "environ" not in err and "internal error" not in err


def test_unreadable_table_is_a_clean_error(tmp_path, monkeypatch, capsys):
    folder = write_trial(parallel_tables(), tmp_path / "t")
    real_open = open

    def denied(file, *args, **kwargs):
        if str(file).endswith("adeff.csv"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", denied)  # chmod 000 does not stop root
    code, err = _validate(folder, capsys)
    assert code == 1
    assert "adeff.csv: cannot read the file: Permission denied" in err


def test_unreadable_folder_is_a_clean_error(tmp_path, monkeypatch, capsys):
    folder = write_trial(parallel_tables(), tmp_path / "t")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", denied)
    code, err = _validate(folder, capsys)
    assert code == 1
    assert "cannot list the trial folder: Permission denied" in err


def test_a_folder_or_dangling_link_named_like_a_table_is_named_so(tmp_path):
    folder = write_trial(parallel_tables(), tmp_path / "t")
    (folder / "adae.csv").unlink()
    (folder / "adae.csv").mkdir()
    with pytest.raises(DataError, match=r"adae\.csv: expected a file, found a folder"):
        read_trial(folder)
    (folder / "adae.csv").rmdir()
    (folder / "adae.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(DataError, match=r"adae\.csv: is a dangling symbolic link"):
        read_trial(folder)
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    with pytest.raises(DataError, match="trial folder is a dangling symbolic link"):
        read_trial(tmp_path / "link")


def test_cr_only_line_ends_are_named(tmp_path):
    path = tmp_path / "adsl.csv"
    path.write_bytes(b"USUBJID,AGE\r001,41\r002,50\r")
    with pytest.raises(DataError, match="CR-only line ends"):
        read_table(path)


def test_binary_file_is_refused_from_its_first_bytes(tmp_path, monkeypatch):
    path = tmp_path / "adeff.csv"
    path.write_bytes(b"PAR1" + b"\x00" * 100_000)

    def whole(self):
        raise AssertionError("read whole before its first 8 KB were checked")

    monkeypatch.setattr(Path, "read_bytes", whole)
    with pytest.raises(DataError, match="found a Parquet file"):
        read_table(path)


@pytest.mark.parametrize("header", ["usubjid", " USUBJID", "USUBJID "])
def test_lower_case_or_padded_header_gets_a_hint(tmp_path, header):
    tables = parallel_tables()
    tables["adsl"] = tables["adsl"].rename(columns={"USUBJID": header})
    folder = write_trial(tables, tmp_path / "t")
    with pytest.raises(ValidationError) as info:
        read_trial(folder)
    assert f"found {header!r}" in str(info.value)
    assert "upper case without surrounding spaces" in str(info.value)


def test_special_file_is_not_read(tmp_path):
    fifo = tmp_path / "adsl.csv"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="special file"):
        read_table(fifo)  # would block for ever if opened



def _case_variant_trial(tmp_path):
    tables = parallel_tables()
    for name in ("adsl", "adeff", "adae"):
        t = tables[name].copy()
        t.loc[t["USUBJID"] == "003", "USUBJID"] = "00a"
        t.loc[t["USUBJID"] == "004", "USUBJID"] = "00A"
        tables[name] = t
    return write_trial(tables, tmp_path / "t")


def test_usubjids_differing_only_in_case_are_noted(tmp_path, capsys):
    folder = _case_variant_trial(tmp_path)
    trial = read_trial(folder)
    assert any("differ only in case" in n and "'00a', '00A'" in n for n in trial.notes)
    assert main(["validate", str(folder)]) == 0
    assert "differ only in case" in capsys.readouterr().out


def test_usubjids_differing_only_in_case_are_refused_when_strict(tmp_path, capsys):
    folder = _case_variant_trial(tmp_path)
    with pytest.raises(ValidationError) as info:
        read_trial(folder, strict=True)
    assert info.value.failures["value"].tolist() == ["00a", "00A"]
    assert main(["validate", "--strict", str(folder)]) == 1
    assert "unique ignoring case and spaces" in capsys.readouterr().err
