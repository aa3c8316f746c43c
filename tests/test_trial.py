"""read_trial / validate_tables: the data contract of issue 2, rule by rule.

Every corruption must be reported with its table, column, subject and data row
(rows count records from 1, header excluded), all failures at once.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from ldn_stats.errors import DataError, ValidationError
from ldn_stats.io import write_tables
from ldn_stats.trial import Trial, read_trial, validate_tables
from support.trial_tables import (
    CORRUPTIONS,
    crossover_tables,
    parallel_tables,
    tables_for,
    write_trial,
)


def _failures(tables) -> pd.DataFrame:
    with pytest.raises(ValidationError) as info:
        validate_tables(**tables)
    failures = info.value.failures
    assert list(failures.columns) == ["table", "column", "usubjid", "row", "value", "rule"]
    return failures


def _has(failures, table, column, usubjid=None, rule=None) -> pd.DataFrame:
    hit = failures[(failures["table"] == table) & (failures["column"] == column)]
    if usubjid is not None:
        hit = hit[hit["usubjid"] == usubjid]
    if rule is not None:
        hit = hit[hit["rule"].str.contains(rule, regex=False)]
    assert len(hit), f"no {table}.{column} {usubjid} {rule} failure in\n{failures}"
    return hit


# ---- valid trials


def test_parallel_trial_is_valid_and_typed():
    trial = validate_tables(**parallel_tables(), source="demo")
    assert trial.design == "parallel"
    assert trial.summary() == (
        "OK demo: parallel design, 4 subjects, 36 adeff records, 3 adae records"
    )
    assert trial.adsl["USUBJID"].tolist() == ["001", "002", "003", "004"]  # leading zeros kept
    assert trial.adsl["AGE"].dtype == np.float64  # numeric, fractional ages allowed (CDISC)
    assert trial.adeff["ADY"].dtype == np.int64
    assert trial.adeff["AVAL"].dtype == np.float64
    assert trial.adeff["AVAL"].isna().sum() == 1
    assert str(trial.adeff["APERIOD"].dtype) == "Int64"
    assert trial.adeff["TRTA"].isna().sum() == 12  # 3 pre-dose days x 4 subjects
    assert str(trial.adae["ASTDY"].dtype) == "Int64"


def test_crossover_trial_is_valid():
    trial = validate_tables(**crossover_tables())
    assert trial.design == "crossover"
    assert trial.summary() == (
        "OK <memory>: crossover design, 4 subjects, 48 adeff records, 1 adae record"
    )


def test_adae_is_optional():
    tables = parallel_tables()
    trial = validate_tables(tables["adsl"], tables["adeff"])
    assert trial.adae is None
    assert trial.summary().endswith("no adae table")


def test_trial_is_frozen():
    trial = validate_tables(**parallel_tables())
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.design = "crossover"
    assert isinstance(trial, Trial)


def test_callers_frames_are_not_modified():
    tables = parallel_tables()
    before = {k: v.copy() for k, v in tables.items()}
    validate_tables(**tables)
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], before[name])


def test_typed_numeric_input_is_accepted():
    tables = parallel_tables()
    adeff = tables["adeff"].copy()
    adeff["ADY"] = adeff["ADY"].astype(int)
    adeff["AVAL"] = pd.to_numeric(adeff["AVAL"].replace("", np.nan))
    trial = validate_tables(tables["adsl"], adeff, tables["adae"])
    assert trial.adeff["ADY"].tolist()[:4] == [-3, -2, -1, 1]


# ---- the corruptions of issue 2's "Done when", in process


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_corruption_is_reported_with_column_and_subject(name):
    design, corrupt, (table, column, usubjid) = CORRUPTIONS[name]
    with pytest.raises(ValidationError) as info:
        validate_tables(**corrupt(tables_for(design)))
    failures = info.value.failures
    _has(failures, table, column, usubjid)
    message = str(info.value)
    assert column in message
    if usubjid is not None:
        assert f"USUBJID {usubjid}" in message


def test_every_failure_is_reported_at_once():
    tables = CORRUPTIONS["aval_out_of_range"][1](parallel_tables())
    tables = CORRUPTIONS["nonnumeric_age"][1](tables)
    tables = CORRUPTIONS["unknown_usubjid"][1](tables)
    failures = _failures(tables)
    assert set(zip(failures["table"], failures["column"], strict=True)) == {
        ("adsl", "AGE"), ("adeff", "AVAL"), ("adeff", "USUBJID")
    }
    # adsl first, then adeff, in row order
    assert failures["table"].tolist()[0] == "adsl"


def test_row_and_value_point_at_the_cell():
    failures = _failures(CORRUPTIONS["aval_out_of_range"][1](parallel_tables()))
    hit = _has(failures, "adeff", "AVAL", "002", "PAINNRS between 0 and 10")
    assert hit["row"].tolist() == [13]  # data row 13 = line 14 of the CSV
    assert hit["value"].tolist() == ["11"]


# ---- the remaining rules one by one


def _edit(tables, table, column, row, value):
    frame = tables[table].copy()
    frame.loc[row, column] = value
    return {**tables, table: frame}


@pytest.mark.parametrize(
    ("table", "column", "row", "value", "rule"),
    [
        ("adsl", "AGE", 0, "-1", ">= 0"),
        ("adsl", "SEX", 1, "X", "one of M, F, U, UNDIFFERENTIATED"),
        ("adsl", "ITTFL", 1, "y", "one of Y, N"),
        ("adeff", "ADY", 3, "0", "not 0"),
        ("adeff", "AVAL", 8, "101", "PAINVAS between 0 and 100"),
        ("adeff", "AVAL", 0, "-1", "PAINNRS between 0 and 10"),
        ("adeff", "TRTA", 4, "PBO", "equals the subject's TRT01P"),
        ("adeff", "APERIOD", 4, "0", ">= 1"),
        ("adeff", "APERIOD", 4, "1e30", "a whole number (integer)"),
        ("adeff", "ADY", 4, "1e30", "a whole number (integer)"),
        ("adeff", "ADY", 4, "inf", "a whole number (integer)"),
        ("adae", "AESEV", 0, "Mild", "one of MILD, MODERATE, SEVERE"),
        ("adae", "AESER", 0, "Yes", "one of Y, N"),
        ("adae", "USUBJID", 0, "005", "present in adsl"),
        ("adae", "TRTA", 0, "PBO", "equals the subject's TRT01P"),
        ("adae", "ASTDY", 0, "x", "a number"),
    ],
)
def test_parallel_rule(table, column, row, value, rule):
    failures = _failures(_edit(parallel_tables(), table, column, row, value))
    hit = _has(failures, table, column, rule=rule)
    assert hit["row"].tolist() == [row + 1]


def test_painvas_within_0_100_is_valid():
    trial = validate_tables(**_edit(parallel_tables(), "adeff", "AVAL", 8, "99.5"))
    assert trial.adeff.loc[8, "AVAL"] == 99.5


def test_randomized_subject_needs_a_planned_arm():
    failures = _failures(_edit(parallel_tables(), "adsl", "TRT01P", 2, ""))
    _has(failures, "adsl", "TRT01P", "003", "not empty when RANDFL is Y")


def test_unrandomized_subject_may_have_no_arm():
    tables = _edit(parallel_tables(), "adsl", "TRT01P", 2, "")
    tables = _edit(tables, "adsl", "RANDFL", 2, "N")
    adeff = tables["adeff"]
    tables["adeff"] = adeff[adeff["USUBJID"] != "003"].reset_index(drop=True)
    tables["adae"] = tables["adae"][tables["adae"]["USUBJID"] != "003"]
    assert validate_tables(**tables).design == "parallel"


def test_both_design_columns_is_an_error():
    tables = parallel_tables()
    tables["adsl"] = tables["adsl"].assign(TRTSEQP="LDN-PBO")
    failures = _failures(tables)
    hit = _has(failures, "adsl", "TRT01P, TRTSEQP")
    assert hit["value"].tolist() == ["both present"]


def test_missing_required_column_is_reported():
    tables = parallel_tables()
    tables["adeff"] = tables["adeff"].drop(columns=["ADY"])
    failures = _failures(tables)
    hit = _has(failures, "adeff", "ADY", rule="required column present")
    assert hit["row"].isna().all()


def test_crossover_needs_aperiod():
    tables = crossover_tables()
    tables["adeff"] = tables["adeff"].drop(columns=["APERIOD"])
    _has(_failures(tables), "adeff", "APERIOD", rule="required column present in a crossover")


@pytest.mark.parametrize(
    ("row", "column", "value", "rule"),
    [
        (2, "APERIOD", "3", "APERIOD within the number of periods"),
        (6, "TRTA", "PBO", "TRTA empty outside periods"),  # washout day 5
        (2, "TRTA", "PBO", "one treatment per subject and period"),
        (2, "TRTA", "XYZ", "period's treatment in the subject's TRTSEQP"),
    ],
)
def test_crossover_rule(row, column, value, rule):
    failures = _failures(_edit(crossover_tables(), "adeff", column, row, value))
    _has(failures, "adeff", column, "001", rule)


def test_crossover_periods_must_not_overlap():
    tables = crossover_tables()
    # subject 001: washout day 5 relabelled as period 2 (PBO) is fine ...
    ok = _edit(_edit(tables, "adeff", "APERIOD", 6, "2"), "adeff", "TRTA", 6, "PBO")
    validate_tables(**ok)
    # ... but a period-2 record on day 3 overlaps period 1 (days 1-4)
    adeff = tables["adeff"].copy()
    adeff.loc[4, ["APERIOD", "TRTA"]] = ["2", "PBO"]  # 001 day 3
    failures = _failures({**tables, "adeff": adeff})
    hit = _has(failures, "adeff", "ADY", "001", "periods do not overlap")
    assert hit["value"].tolist() == ["period 2 starts day 3, period 1 ends day 4"]


def test_crossover_sequence_of_one_treatment_has_one_period():
    failures = _failures(_edit(crossover_tables(), "adsl", "TRTSEQP", 0, "LDN"))
    _has(failures, "adeff", "APERIOD", "001", "APERIOD within the number of periods")


def test_crossover_adae_treatment_in_sequence():
    failures = _failures(_edit(crossover_tables(), "adae", "TRTA", 0, "XYZ"))
    _has(failures, "adae", "TRTA", "002", "one of the treatments of the subject's TRTSEQP")


def test_treatment_levels_come_from_the_data():
    tables = crossover_tables()
    for name in ("adsl", "adeff", "adae"):
        tables[name] = tables[name].replace({"LDN": "NTX4.5", "PBO": "CTRL"}, regex=True)
    assert validate_tables(**tables).design == "crossover"


def test_listing_is_capped_but_counts_everything():
    tables = parallel_tables()
    adeff = pd.concat([tables["adeff"]] * 30, ignore_index=True)  # 29 duplicates per key
    with pytest.raises(ValidationError) as info:
        validate_tables(tables["adsl"], adeff)
    message = str(info.value)
    assert message.startswith("<memory>: 1,080 failures of the data contract")
    assert "... and 1,070 more adeff.ADY failures" in message
    assert len(message.splitlines()) == 1 + 10 + 1


# ---- read_trial: finding and reading the files


def test_read_trial_folder(tmp_path):
    folder = write_trial(parallel_tables(), tmp_path / "trial")
    trial = read_trial(folder)
    assert trial.source == str(folder)
    assert trial.summary().startswith(f"OK {folder}: parallel design, 4 subjects")
    pd.testing.assert_frame_equal(trial.adeff, validate_tables(**parallel_tables()).adeff)


def test_read_trial_names_are_case_insensitive(tmp_path):
    folder = write_trial(crossover_tables(), tmp_path / "t")
    for p in folder.iterdir():
        p.rename(p.with_name(p.name.upper()))
    assert read_trial(folder).design == "crossover"


def test_read_trial_missing_folder_and_tables(tmp_path):
    with pytest.raises(DataError, match="trial folder not found"):
        read_trial(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DataError) as info:
        read_trial(tmp_path)
    assert "table adsl not found" in str(info.value)
    assert "table adeff not found" in str(info.value)
    # what was found is summarised, never listed (a folder such as /etc is nobody's business)
    assert "found no table files among 1 entry" in str(info.value)
    assert "notes.txt" not in str(info.value)


def test_read_trial_ambiguous_table(tmp_path):
    tables = parallel_tables()
    folder = write_trial(tables, tmp_path / "t")
    tables["adsl"].to_parquet(folder / "adsl.parquet")
    with pytest.raises(DataError, match=r"table adsl is ambiguous, found adsl\.csv, adsl\.parquet"):
        read_trial(folder)


def test_read_trial_lists_every_unreadable_file(tmp_path):
    folder = write_trial(parallel_tables(), tmp_path / "t")
    (folder / "adeff.csv").write_bytes(b"")
    (folder / "adae.csv").write_bytes(b"\x00\x01\x02")
    with pytest.raises(DataError) as info:
        read_trial(folder)
    assert "adeff.csv: file is empty" in str(info.value)
    assert "adae.csv: expected UTF-8 comma-separated text, found binary" in str(info.value)
    assert not isinstance(info.value, ValidationError)


def _typed_for_sas(frame: pd.DataFrame) -> pd.DataFrame:
    """SAS has numbers and text: numeric contract columns as numbers, empty text as ''."""
    out = frame.copy()
    for col in ("AGE", "ADY", "AVAL", "APERIOD", "ASTDY"):
        if col in out:
            out[col] = pd.to_numeric(out[col].replace("", np.nan))
    return out


@pytest.mark.parametrize("fmt", ["parquet", "xpt"])
def test_round_trip_parquet_and_xpt(tmp_path, fmt):
    """The same trial as CSV, Parquet and SAS transport gives the same typed tables."""
    tables = parallel_tables()
    expected = validate_tables(**tables)
    folder = tmp_path / fmt
    folder.mkdir()
    for name, frame in tables.items():
        typed = _typed_for_sas(frame)
        if fmt == "parquet":
            typed.to_parquet(folder / f"{name}.parquet")
        else:
            pyreadstat.write_xport(
                typed.astype({c: object for c in typed.select_dtypes("string").columns}),
                str(folder / f"{name}.xpt"),
                table_name=name.upper(),
            )
    trial = read_trial(folder)
    for name in ("adsl", "adeff", "adae"):
        pd.testing.assert_frame_equal(getattr(trial, name), getattr(expected, name))


def test_write_then_read_is_identity(tmp_path):
    trial = validate_tables(**crossover_tables())
    write_tables({"adsl": trial.adsl, "adeff": trial.adeff, "adae": trial.adae}, tmp_path / "c")
    again = read_trial(tmp_path / "c")
    pd.testing.assert_frame_equal(again.adeff, trial.adeff)
    pd.testing.assert_frame_equal(again.adsl, trial.adsl)


def test_duplicate_key_with_far_apart_study_days():
    """300 subjects x days +-9e15 overflow a packed int64 key; duplicates are still found."""
    tables = parallel_tables()
    extra = pd.DataFrame(
        {"USUBJID": [f"X{i:03d}" for i in range(300)] + ["X000"], "PARAMCD": "PAINNRS",
         "ADY": ["-9000000000000000", "9000000000000000"] * 150 + ["-9000000000000000"],
         "AVAL": "1", "APERIOD": "", "TRTA": ""}
    )
    adeff = pd.concat([tables["adeff"], extra], ignore_index=True)
    failures = _failures({**tables, "adeff": adeff})
    hit = _has(failures, "adeff", "ADY", "X000", "one record per USUBJID x PARAMCD x ADY")
    assert hit["row"].tolist() == [37, 337]
    assert (failures["rule"] == "one record per USUBJID x PARAMCD x ADY").sum() == 2
