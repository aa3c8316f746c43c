"""Issue 9: the data contract as real trials write their tables.

Each test names the defect of the old contract it guards against: R's NA and
SAS's '.', any endpoint, CDISC ADSL, visit-level BDS, crossover sequence labels.
"""

from __future__ import annotations

import pandas as pd
import pytest

from ldn_stats.errors import ValidationError
from ldn_stats.io import read_table
from ldn_stats.trial import read_trial, validate_tables
from support.trial_tables import crossover_tables, parallel_tables, write_trial


def _failures(**tables) -> pd.DataFrame:
    with pytest.raises(ValidationError) as info:
        validate_tables(**tables)
    return info.value.failures


# ---- missing values: one rule


@pytest.mark.parametrize("missing", ["NA", ".", "", "NaN", "nan", " NA "])
def test_missing_value_texts_in_a_csv(tmp_path, missing):
    tables = parallel_tables()
    tables["adeff"].loc[12, "AVAL"] = missing  # old main: "NA" / "." -> "a number" failure
    tables["adsl"].loc[0, "DCSREAS"] = missing
    trial = read_trial(write_trial(tables, tmp_path / "t"))
    assert pd.isna(trial.adeff["AVAL"].iloc[12]) and pd.isna(trial.adsl["DCSREAS"].iloc[0])


def test_r_write_csv_quoting_and_na(tmp_path):
    path = tmp_path / "adeff.csv"
    path.write_text('"USUBJID","AVAL","TRTA"\n"001",NA,NA\n"002",.,"LDN"\n')
    frame = read_table(path)
    assert frame["AVAL"].isna().all() and frame["TRTA"].isna().tolist() == [True, False]


def test_in_memory_tables_follow_the_same_rule():
    tables = parallel_tables()
    tables["adeff"].loc[[12, 13], "AVAL"] = ["NA", "."]
    trial = validate_tables(**tables)
    assert trial.adeff["AVAL"].iloc[[12, 13]].isna().all()


# ---- any endpoint


def test_undeclared_paramcd_validates_with_a_note():
    tables = parallel_tables()
    adeff = tables["adeff"].copy()
    bdi = adeff[adeff["PARAMCD"] == "PAINVAS"].assign(PARAMCD="SEIZ", AVAL="102")
    trial = validate_tables(tables["adsl"], pd.concat([adeff, bdi], ignore_index=True))
    assert any("SEIZ" in n and "not in the parameter catalogue" in n for n in trial.notes)
    assert "note: adeff.PARAMCD SEIZ" in trial.summary()


def test_declared_range_still_fails():
    tables = parallel_tables()
    tables["adeff"].loc[0, "AVAL"] = "11"
    failures = _failures(**tables)
    assert "AVAL of PAINNRS between 0 and 10" in set(failures["rule"])


# ---- CDISC ADSL


def test_minimal_cdisc_adsl():
    tables = parallel_tables()
    adsl = tables["adsl"][["USUBJID", "TRT01P", "ITTFL"]].assign(
        AGE=["11.4", "", "9.75", "NA"], AGEU="YEARS", SEX=["F", "U", "UNDIFFERENTIATED", ""],
        RACE="WHITE", ARM="Arm A", TRT01A=tables["adsl"]["TRT01P"])
    trial = validate_tables(adsl, tables["adeff"])  # old main: AGE 18-100, SEX F/M, SITEID
    assert trial.adsl["AGE"].tolist()[0] == 11.4 and trial.adsl["AGE"].isna().sum() == 2


def test_adsl_failures_are_all_reported_at_once():
    adsl = parallel_tables()["adsl"].assign(AGE=["-1", "x", "40", "40"],
                                            SEX=["F", "male", "M", "F"], AGEU="yrs")
    failures = _failures(adsl=adsl, adeff=parallel_tables()["adeff"])
    assert {("AGE", "001"), ("AGE", "002"), ("SEX", "002")} <= set(
        zip(failures["column"], failures["usubjid"], strict=True))
    assert (failures["column"] == "AGEU").sum() == 4


# ---- visit-level BDS


def _visit_tables() -> dict[str, pd.DataFrame]:
    adsl = pd.DataFrame({"USUBJID": ["01", "02"], "TRT01P": ["A", "B"], "ITTFL": "Y"})
    rows = []
    for s, base in (("01", 20.0), ("02", 30.0)):
        for n, label, aval in ((0, "Baseline", base), (2, "Month 2", base - 5),
                               (4, "Month 4", base - 8)):
            rows.append({"USUBJID": s, "PARAMCD": "BDI", "AVISIT": label, "AVISITN": n,
                         "ABLFL": "Y" if n == 0 else None, "AVAL": aval,
                         "BASE": base, "CHG": aval - base, "ADT": f"2024-0{n + 1}-01"})
    return {"adsl": adsl, "adeff": pd.DataFrame(rows)}


def test_visit_level_records_without_ady_validate():
    trial = validate_tables(**_visit_tables())
    assert "ADY" not in trial.adeff.columns and trial.adeff["AVISITN"].tolist()[:3] == [0, 2, 4]


@pytest.mark.parametrize(
    ("edit", "column", "rule"),
    [(lambda a: a.assign(CHG=a["CHG"].where(a.index != 1, 9.0)), "CHG",
      "CHG equals AVAL - BASE within rounding"),
     (lambda a: a.assign(AVISITN=a["AVISITN"].where(a.index != 2, 2)), "AVISITN",
      "one record per USUBJID x PARAMCD x AVISITN"),
     (lambda a: a.assign(AVISIT=a["AVISIT"].where(a.index != 4, "Week 8")), "AVISIT",
      "one AVISIT label per AVISITN"),
     (lambda a: a.assign(ABLFL=a["ABLFL"].where(a.index != 1, "Y")), "ABLFL",
      "at most one baseline record"),
     (lambda a: a.assign(BASE=a["BASE"].where(a.index != 2, 21.0)), "BASE",
      "one BASE per USUBJID x PARAMCD"),
     (lambda a: a.drop(columns="AVISITN"), "ADY", "required column present: ADY")],
)
def test_visit_level_rules(edit, column, rule):
    tables = _visit_tables()
    failures = _failures(adsl=tables["adsl"], adeff=edit(tables["adeff"]))
    hit = failures[(failures["column"] == column) & failures["rule"].str.contains(rule)]
    assert len(hit), failures


def test_chg_within_rounding_is_accepted():
    tables = _visit_tables()
    adeff = tables["adeff"].assign(CHG=tables["adeff"]["CHG"] + 0.004)  # BDI: 2 decimals
    validate_tables(tables["adsl"], adeff)


# ---- crossover sequence labels


def _labelled(labels: list[str], **rename) -> dict[str, pd.DataFrame]:
    tables = crossover_tables()
    adsl = tables["adsl"].assign(TRTSEQP=labels)
    out = {"adsl": adsl, "adeff": tables["adeff"], "adae": tables["adae"]}
    if rename:
        out = {k: v.replace(rename) for k, v in out.items()}
    return out


@pytest.mark.parametrize(
    "labels",
    [["LP", "PL", "LP", "PL"],  # first letters of LDN / PBO
     ["LDN/PBO", "PBO/LDN", "LDN/PBO", "PBO/LDN"]],
)
def test_sequence_labels_are_checked_against_the_periods(labels):
    assert validate_tables(**_labelled(labels)).notes == ()
    wrong = labels[1:2] + labels[1:]  # 001 given 002's sequence
    failures = _failures(**_labelled(wrong))
    assert "TRTA" in set(failures.loc[failures["usubjid"] == "001", "column"])


def test_ab_ba_with_treatments_a_and_b():
    tables = _labelled(["AB", "BA", "AB", "BA"], LDN="A", PBO="B")
    assert validate_tables(**tables).design == "crossover"


def test_opaque_labels_read_the_order_from_the_data():
    trial = validate_tables(**_labelled(["Group 1", "Group 2", "Group 1", "Group 2"]))
    assert any("'Group 1'" in n and "LDN-PBO (2)" in n for n in trial.notes)


def test_sequence_column_may_be_absent():
    tables = crossover_tables()
    trial = validate_tables(tables["adsl"].drop(columns="TRTSEQP"), tables["adeff"])
    assert trial.design == "crossover"
    assert any("no TRTSEQP" in n and "LDN-PBO (2), PBO-LDN (2)" in n for n in trial.notes)


def test_declared_separator_is_honoured():
    tables = _labelled(["LDN+PBO", "PBO+LDN", "LDN+PBO", "PBO+LDN"])
    assert validate_tables(**tables, sequence_separator="+").notes == ()
