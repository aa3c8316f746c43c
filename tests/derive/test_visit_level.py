"""Issue 9: visit-level BDS, trials without baseline, responders from the catalogue,
and the error when the rules leave no analysis record."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats.derive import DeriveRules, derive_crossover, derive_parallel
from ldn_stats.errors import DataError
from ldn_stats.trial import validate_tables
from support.trial_tables import crossover_tables


def _visit_trial(with_base: bool = True, paramcd: str = "BDI", given_chg: bool = False):
    adsl = pd.DataFrame({"USUBJID": ["01", "02", "03"], "TRT01P": ["A", "B", "A"],
                         "ITTFL": ["Y", "Y", "N"]})
    rows = []
    for s, base in (("01", 20.0), ("02", 30.0), ("03", 25.0)):
        visits = ((0, "Baseline", base),) if with_base else ()
        visits += ((8, "Month 8", base - 9), (2, "Month 2", base - 4))  # out of order
        for n, label, aval in visits:
            row = {"USUBJID": s, "PARAMCD": paramcd, "AVISIT": label, "AVISITN": n,
                   "ABLFL": "Y" if n == 0 else None, "AVAL": aval}
            if given_chg:
                row["BASE"], row["CHG"] = base, (aval - base) if n else None
            rows.append(row)
    return validate_tables(adsl, pd.DataFrame(rows))


def test_avisitn_orders_the_analysis_visits_and_ablfl_gives_base():
    # old main: "35 empty weeks" from the daily path, or PARAMCD refused outright
    table = derive_parallel(_visit_trial(), param="BDI")
    assert table["AVISIT"].cat.categories.tolist() == ["Month 2", "Month 8"]
    assert table["AVISITN"].tolist()[:2] == [2, 8]
    first = table[table["USUBJID"] == "01"]
    assert first["BASE"].tolist() == [20.0, 20.0] and first["CHG"].tolist() == [-4.0, -9.0]
    assert table.groupby("USUBJID")["ANL01FL"].agg("".join).to_dict() == {
        "01": "YY", "02": "YY", "03": "NN"}


def test_given_chg_is_used():
    trial = _visit_trial(given_chg=True)
    table = derive_parallel(trial, param="BDI")
    assert table.loc[table["USUBJID"] == "02", "CHG"].tolist() == [-4.0, -9.0]


def test_without_baseline_the_analysis_is_on_aval():
    table = derive_parallel(_visit_trial(with_base=False), param="BDI")
    assert not {"BASE", "CHG", "PCHG"} & set(table.columns)  # never invented
    assert (table.loc[table["ITTFL"] == "Y", "ANL01FL"] == "Y").all()


def test_no_responder_flags_without_a_definition():
    # old main: CRIT1FL/CRIT2FL as a PCHG decrease for every parameter
    table = derive_parallel(_visit_trial(), param="BDI")
    assert not {"CRIT1FL", "CRIT2FL"} & set(table.columns)


def test_responders_follow_the_direction_of_improvement():
    trial = _visit_trial(paramcd="SF36PCS")  # increase; no responders built in
    assert "CRIT1FL" not in derive_parallel(trial, param="SF36PCS").columns
    fiqr = derive_parallel(_visit_trial(paramcd="FIQR"), param="FIQR")
    # FIQR: >= 30% reduction only (no CRIT2FL); 01: 20 -> 11 is -45%
    assert "CRIT2FL" not in fiqr.columns
    assert fiqr.loc[(fiqr["USUBJID"] == "01") & (fiqr["AVISITN"] == 8), "CRIT1FL"].item() == "Y"
    assert fiqr.loc[(fiqr["USUBJID"] == "01") & (fiqr["AVISITN"] == 2), "CRIT1FL"].item() == "N"


def test_no_analysis_record_names_each_rule():
    # a daily derivation of visit-level data: old main returned all-missing weeks silently
    adsl = pd.DataFrame({"USUBJID": ["01", "02"], "TRT01P": ["A", "B"], "ITTFL": "Y"})
    adeff = pd.DataFrame({"USUBJID": ["01", "01", "02", "02"], "PARAMCD": "PAINNRS",
                          "ADY": [-1, 28, -1, 28], "AVAL": [6.0, 4.0, 7.0, 5.0]})
    trial = validate_tables(adsl, adeff)
    with pytest.raises(DataError) as info:
        derive_parallel(trial)
    message = str(info.value)
    assert "of 8 subject x visit records" in message
    assert "baseline (fewer than DeriveRules.baseline_min_ratings = 4" in message
    assert "removed 8" in message and "look visit-level" in message
    assert "AVISIT/AVISITN" in message and "visit_windows" in message


def test_crossover_without_baseline_records():
    # old main: no baseline ratings -> every period ANL01FL = N, baseline_min_ratings=0 refused
    tables = crossover_tables()
    adeff = tables["adeff"][tables["adeff"]["APERIOD"] != ""]
    trial = validate_tables(tables["adsl"], adeff)
    table = derive_crossover(trial, param="PAINVAS")
    assert "BASE" not in table.columns and (table["ANL01FL"] == "Y").all()
    table = derive_crossover(validate_tables(**tables), param="PAINVAS",
                             rules=DeriveRules(crossover_baseline="none"))
    assert "BASE" not in table.columns


def test_crossover_sequence_from_letters_and_from_data():
    tables = crossover_tables()
    labelled = tables["adsl"].assign(TRTSEQP=["LP", "PL", "LP", "PL"])
    rules = DeriveRules(baseline_min_ratings=2)  # two run-in days
    table = derive_crossover(validate_tables(labelled, tables["adeff"]), "PAINVAS", rules)
    assert table["TRTSEQP"].tolist()[:2] == ["LP", "LP"]
    assert table["TRTA"].tolist()[:4] == ["LDN", "PBO", "PBO", "LDN"]
    absent = validate_tables(tables["adsl"].drop(columns="TRTSEQP"), tables["adeff"])
    table = derive_crossover(absent, "PAINVAS", rules)
    assert table["TRTSEQP"].tolist()[:4] == ["LDN-PBO", "LDN-PBO", "PBO-LDN", "PBO-LDN"]
    assert np.array_equal(table["AVAL"].to_numpy(),
                          derive_crossover(validate_tables(**tables), "PAINVAS", rules)["AVAL"])
