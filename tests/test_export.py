"""`ldn-stats derive`: analysis datasets as XPT/Parquet/CSV with labels and a dictionary.

Witness: pyreadstat (ReadStat's SAS transport reader) and pyarrow read the files
back; values are compared with the derive_parallel / derive_crossover tables the
package computes in memory. Tolerance: text exact; numbers exact in Parquet and
CSV (shortest repr round-trips), and within 1 unit in the 15th significant digit
for XPT (IBM hexadecimal floats hold 56 mantissa bits, so the conversion from IEEE
may round by one ulp). Labels exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from ldn_stats.cli import main
from ldn_stats.errors import DataError
from ldn_stats.export import LABELS, Dataset, check_xpt, write_datasets
from ldn_stats.schemas.analysis import AnalysisModel, DiaryModel

ROOT = Path(__file__).resolve().parents[1]
FINAL = ROOT / "data" / "demo" / "final"
YOUNGER = ROOT / "data" / "demo" / "younger2013"

pytestmark = pytest.mark.skipif(not (FINAL / "adsl.csv").exists(),
                                reason="demo data not generated (make demo)")


def _expected_parallel() -> pd.DataFrame:
    from ldn_stats import derive_parallel, read_trial

    return derive_parallel(read_trial(FINAL), param="PAINNRS")


def _same_values(got: pd.DataFrame, want: pd.DataFrame, *, rtol: float) -> None:
    for col in want.columns:
        w, g = want[col], got[col]
        if isinstance(w.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(w):
            assert g.tolist() == w.astype(object).where(w.notna(), "").map(str).tolist(), col
        else:
            np.testing.assert_allclose(g.to_numpy(float), w.to_numpy(float), rtol=rtol,
                                       atol=0, equal_nan=True, err_msg=col)


def test_every_schema_column_has_an_xpt_label():
    for model in (AnalysisModel, DiaryModel):
        for col in model.to_schema().columns:
            assert col in LABELS, f"{model.__name__}.{col} has no dataset label"
            assert 0 < len(LABELS[col]) <= 40 and LABELS[col].isascii()
            assert len(col) <= 8


def test_derive_xpt_reads_back_with_the_same_values_and_labels(tmp_path, capsys):
    out = tmp_path / "adam"
    assert main(["derive", str(FINAL), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["adeffanl.xpt", "dictionary.json",
                                                     "dictionary.md"]
    assert str(out / "adeffanl.xpt") in capsys.readouterr().out
    df, meta = pyreadstat.read_xport(str(out / "adeffanl.xpt"))
    want = _expected_parallel()
    assert meta.table_name == "ADEFFANL"
    assert meta.file_label == "Efficacy Analysis Records"
    assert list(df.columns) == [*want.columns[:14], "CRIT1", "CRIT1FL", "CRIT2", "CRIT2FL",
                                "ANL01FL"]
    assert meta.column_names_to_labels == {c: LABELS[c] for c in df.columns}
    _same_values(df, want, rtol=1e-15)
    assert set(df["CRIT1"]) == {"PCHG <= -30"} and set(df["CRIT2"]) == {"PCHG <= -50"}
    # the dictionary beside: labels as in the file, descriptions from the schema
    entry = json.loads((out / "dictionary.json").read_text())
    (ds,) = entry["datasets"]
    assert ds["file"] == "adeffanl.xpt" and ds["records"] == len(want)
    schema = AnalysisModel.to_schema().columns
    for var in ds["variables"]:
        assert var["label"] == meta.column_names_to_labels[var["name"]]
        if var["name"] in schema:
            assert var["description"] == " ".join(schema[var["name"]].description.split())
        assert var["description"]
    assert entry["provenance"]["parameters"] == ["PAINNRS"]
    assert "| `CHG` | Change from Baseline |" in (out / "dictionary.md").read_text()


def test_derive_is_byte_reproducible(tmp_path):
    for name in ("a", "b"):
        assert main(["derive", str(FINAL), "--out", str(tmp_path / name)]) == 0
    for f in ("adeffanl.xpt", "dictionary.json", "dictionary.md"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_derive_crossover_writes_period_and_diary_datasets(tmp_path):
    from ldn_stats import derive_crossover, read_trial
    from ldn_stats.derive import crossover_diary

    out = tmp_path / "xo"
    assert main(["derive", str(YOUNGER), "--out", str(out)]) == 0
    trial = read_trial(YOUNGER)
    anl, _ = pyreadstat.read_xport(str(out / "adeffanl.xpt"))
    _same_values(anl, derive_crossover(trial, param="PAINVAS"), rtol=1e-15)
    dia, dmeta = pyreadstat.read_xport(str(out / "adeffdia.xpt"))
    _same_values(dia, crossover_diary(trial, param="PAINVAS"), rtol=1e-15)
    assert dmeta.table_name == "ADEFFDIA" and dmeta.column_names_to_labels["APERDY"] == \
        "Day within Period"
    assert set(anl["AVISIT"]) == {"Period 1", "Period 2"}


def test_derive_parquet_and_csv_keep_exact_values(tmp_path):
    want = _expected_parallel()
    assert main(["derive", str(FINAL), "--out", str(tmp_path / "pq"), "--format",
                 "parquet"]) == 0
    table = pq.read_table(tmp_path / "pq" / "adeffanl.parquet")
    _same_values(table.to_pandas(), want, rtol=0)
    assert table.schema.field("PCHG").metadata[b"label"] == b"Percent Change from Baseline"
    assert main(["derive", str(FINAL), "--out", str(tmp_path / "csv"), "--format", "csv"]) == 0
    got = pd.read_csv(tmp_path / "csv" / "adeffanl.csv", dtype={"SITEID": str},
                      keep_default_na=False, na_values={c: [""] for c in
                                                        ("AVAL", "BASE", "CHG", "PCHG")})
    _same_values(got, want, rtol=0)


def test_xpt_limits_are_enforced_with_a_clear_error(tmp_path):
    frame = pd.DataFrame({"AVAL": [1.0], "TXT": ["a"]})
    with pytest.raises(DataError, match=r"ADEFFANL\.LONGNAME9: SAS transport v5 variable "
                       r"names have at most 8"):
        check_xpt("ADEFFANL", frame.rename(columns={"TXT": "LONGNAME9"}), {})
    with pytest.raises(DataError, match=r"X\.AVAL: SAS transport v5 labels have at most 40 "
                       r"characters; .* has 41"):
        check_xpt("X", frame, {"AVAL": "L" * 41})
    with pytest.raises(DataError, match=r"dataset names"):
        check_xpt("TOOLONGNAME", frame, {})
    with pytest.raises(DataError, match=r"X\.TXT, row 2: SAS transport v5 text values are "
                       r"ASCII; got 'é'"):
        check_xpt("X", pd.DataFrame({"TXT": ["a", "é"]}), {})
    with pytest.raises(DataError, match=r"at most 200 bytes"):
        check_xpt("X", pd.DataFrame({"TXT": ["x" * 201]}), {})
    # nothing is written when a dataset breaks the limits
    bad = Dataset("X", "T", pd.DataFrame({"LONGNAME9": [1.0]}), {}, {})
    with pytest.raises(DataError):
        write_datasets([bad], tmp_path / "out", "xpt")
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []
    # Parquet and CSV have no such limits
    write_datasets([bad], tmp_path / "out", "csv")
    assert (tmp_path / "out" / "x.csv").read_text() == "LONGNAME9\n1.0\n"


def test_derive_bad_input_exits_1_without_output(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["derive", str(tmp_path / "missing"), "--out", str(out)]) == 1
    assert "ldn-stats derive: error:" in capsys.readouterr().err
    assert main(["derive", str(FINAL), "--out", str(out), "--param", "NOPE"]) == 1
    err = capsys.readouterr().err
    assert "adeff.PARAMCD" in err and "'NOPE'" in err and "PAINNRS" in err
    assert not out.exists()
    assert main(["derive", str(FINAL), "--out", str(out), "--format", "sas7bdat"]) == 2
    assert not out.exists()


def test_derive_never_deletes_files_it_did_not_write(tmp_path, capsys):
    out = tmp_path / "adam"
    assert main(["derive", str(FINAL), "--out", str(out)]) == 0
    assert main(["derive", str(FINAL), "--out", str(out), "--format", "csv"]) == 0  # rerun
    assert sorted(p.name for p in out.iterdir()) == ["adeffanl.csv", "dictionary.json",
                                                     "dictionary.md"]
    (out / "notes.txt").write_text("mine")
    assert main(["derive", str(FINAL), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "not a previous output" in err and "'notes.txt'" in err
    assert (out / "notes.txt").read_text() == "mine" and (out / "adeffanl.csv").exists()


def test_derive_never_replaces_the_trial_folder(tmp_path, capsys):
    import shutil

    trial = tmp_path / "trial"
    shutil.copytree(FINAL, trial)
    before = {p.name: p.read_bytes() for p in trial.iterdir()}
    for target in (trial, tmp_path):
        assert main(["derive", str(trial), "--out", str(target)]) == 1
        assert "would replace the trial folder" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in trial.iterdir()} == before
