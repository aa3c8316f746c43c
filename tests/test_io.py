"""ldn_stats.io: every unreadable file is a DataError naming the file; writers are atomic."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from ldn_stats import io
from ldn_stats.errors import DataError
from ldn_stats.io import (
    atomic_output_dir,
    atomic_write_bytes,
    atomic_write_text,
    read_table,
    write_tables,
)

HEADER = b"USUBJID,PARAMCD,ADY,AVAL\n"


def _csv(tmp_path, data: bytes, name="adeff.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- reading


def test_csv_keeps_identifiers_as_text(tmp_path):
    df = read_table(_csv(tmp_path, HEADER + b"001,PAINNRS,-1,5\n010,PAINNRS,1,\n"))
    assert df["USUBJID"].tolist() == ["001", "010"]
    assert df["ADY"].tolist() == ["-1", "1"]  # conversion is the schema's job
    assert df["AVAL"].isna().tolist() == [False, True]
    assert list(df.index) == [0, 1]


def test_csv_with_bom_crlf_and_quotes(tmp_path):
    data = b"\xef\xbb\xbfUSUBJID,AEDECOD\r\n001,\"Nausea, mild\"\r\n"
    df = read_table(_csv(tmp_path, data, "adae.csv"))
    assert df.columns.tolist() == ["USUBJID", "AEDECOD"]
    assert df["AEDECOD"].tolist() == ["Nausea, mild"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty (0 bytes)"),
        (HEADER, "header only (4 columns, 0 records)"),
        (b"\x00\x01\x02\x03binary" * 10, "expected UTF-8 comma-separated text, found binary data"),
        (b"PAR1\x00\x00", "found a Parquet file"),
        (b"\x1f\x8b\x08\x00abc", "found a gzip-compressed file"),
        (b"USUBJID;ADY\n001;1\n", "expected comma-separated columns, found ';'"),
        (b"USUBJID\tADY\n001\t1\n", "expected comma-separated columns, found tab"),
        (HEADER + b"001,PAINNRS,1,5\n002,Z\xfcrich,1,5\n", "found byte 0xfc on line 3"),
        (HEADER + b"001,PAINNRS,1,5,9\n", "cannot parse it"),
        (b"USUBJID,ADY,ADY\n001,1,2\n", "expected unique column names, found repeated ['ADY']"),
        (b"\n001,1\n", "first line is blank"),
    ],
    ids=["empty", "header-only", "binary", "parquet-bytes", "gzip", "semicolon", "tab", "latin1",
         "ragged", "duplicate-columns", "blank-header"],
)
def test_unreadable_csv(tmp_path, data, message):
    path = _csv(tmp_path, data)
    with pytest.raises(DataError) as info:
        read_table(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_missing_file_and_unknown_extension(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_table(tmp_path / "adsl.csv")
    with pytest.raises(DataError, match=r"unsupported file type '\.xlsx'; expected one of \.csv"):
        read_table(tmp_path / "adsl.xlsx")
    (tmp_path / "adsl.csv").mkdir()
    with pytest.raises(DataError, match="expected a file"):
        read_table(tmp_path / "adsl.csv")


def test_parquet_round_trip_and_truncation(tmp_path):
    df = pd.DataFrame({"USUBJID": ["001", "002"], "AVAL": [1.5, np.nan]})
    path = tmp_path / "adeff.parquet"
    df.to_parquet(path)
    back = read_table(path)
    assert back["USUBJID"].tolist() == ["001", "002"]
    assert back["AVAL"].tolist()[0] == 1.5
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match=r"adeff\.parquet: expected a Parquet file, cannot read"):
        read_table(path)


def test_xpt_round_trip_and_garbage(tmp_path):
    df = pd.DataFrame({"USUBJID": ["001", "002"], "TRTA": ["LDN", ""], "ADY": [1.0, -1.0]})
    path = tmp_path / "adeff.xpt"
    pyreadstat.write_xport(df, str(path), table_name="ADEFF")
    back = read_table(path)
    assert back["USUBJID"].tolist() == ["001", "002"]
    assert back["TRTA"].isna().tolist() == [False, True]  # empty SAS text is missing
    assert back["ADY"].tolist() == [1.0, -1.0]
    path.write_bytes(b"not a transport file at all" * 10)
    with pytest.raises(DataError, match=r"expected a SAS transport \(\.xpt\) file"):
        read_table(path)
    sas = tmp_path / "adsl.sas7bdat"
    sas.write_bytes(b"garbage" * 100)
    with pytest.raises(DataError, match=r"expected a SAS \(\.sas7bdat\) file"):
        read_table(sas)


# ---- writing


def test_write_tables_bytes_are_fixed(tmp_path):
    frame = pd.DataFrame(
        {"USUBJID": ["001", "002"], "ADY": [1, -1], "AVAL": [0.1, np.nan],
         "APERIOD": pd.array([1, None], dtype="Int64")}
    )
    write_tables({"adeff": frame}, tmp_path / "out")
    assert (tmp_path / "out" / "adeff.csv").read_bytes() == (
        b"USUBJID,ADY,AVAL,APERIOD\n001,1,0.1,1\n002,-1,,\n"
    )


def test_written_floats_round_trip_exactly(tmp_path):
    rng = np.random.default_rng(20240101)
    values = np.concatenate([rng.normal(0, 1e3, 500), rng.random(500) / 3, [1e-300, 1e300]])
    write_tables({"x": pd.DataFrame({"v": values})}, tmp_path / "f")
    back = read_table(tmp_path / "f" / "x.csv")["v"].astype(float).to_numpy()
    assert np.array_equal(back, values)  # bit for bit: shortest repr round-trips


def test_write_tables_replaces_folder_as_a_whole(tmp_path):
    out = tmp_path / "out"
    write_tables({"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"x": [2]})}, out)
    write_tables({"a": pd.DataFrame({"x": [3]})}, out, replaceable=["b.csv"])
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temp folders left


class _Broken:
    def to_csv(self, **kwargs):
        raise RuntimeError("disk full")


def test_failed_write_leaves_old_output_untouched(tmp_path):
    out = tmp_path / "out"
    write_tables({"a": pd.DataFrame({"x": [1]})}, out)
    before = (out / "a.csv").read_bytes()
    with pytest.raises(RuntimeError, match="disk full"):
        write_tables({"a": pd.DataFrame({"x": [9]}), "b": _Broken()}, out)
    assert (out / "a.csv").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_bad_table_name_is_refused(tmp_path):
    with pytest.raises(DataError, match="expected a plain file stem"):
        write_tables({"../x": pd.DataFrame({"x": [1]})}, tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_atomic_output_dir_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="found a file"):
        with atomic_output_dir(tmp_path / "f"):
            pass


def test_atomic_write_failure_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "r.txt"
    atomic_write_text(target, "old\n")

    def boom(src, dst):
        raise OSError("replace failed")

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(OSError, match="replace failed"):
        atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.txt"]


def test_atomic_write_permissions_follow_umask(tmp_path):
    atomic_write_bytes(tmp_path / "p.bin", b"x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "p.bin").stat().st_mode & 0o777 == 0o666 & ~mask
