"""derive_parallel: the table's shape and order, determinism and input errors.

Witness: hand arithmetic in the comments; exact comparisons.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ldn_stats.derive import DeriveRules, derive_parallel
from ldn_stats.derive.parallel import PARALLEL_COLUMNS
from ldn_stats.errors import DataError, SpecError, ValidationError
from support.derive_helpers import diary, make_trial, subject

EXPECTED_COLUMNS = [
    "USUBJID", "SITEID", "AGE", "SEX", "ITTFL", "TRT01P", "PARAMCD", "AVISIT", "AVISITN",
    "NDAYS", "AVAL", "BASE", "CHG", "PCHG", "CRIT1FL", "CRIT2FL", "ANL01FL",
]


def _trial():
    base = {d: 6 for d in range(-7, 0)}
    return make_trial(
        [subject("03", "Tx-9"), subject("01", "Ref"), subject("02", "Tx-9", ittfl="N")],
        [
            diary("01", base | {d: 3 for d in range(1, 15)}),
            diary("02", base | {d: 4 for d in range(1, 8)}),
            diary("03", base | {d: 5 for d in range(1, 15)}),
            diary("01", {d: 60 for d in range(-7, 15) if d != 0}, param="PAINVAS"),
        ],
    )


def test_columns_order_rows_and_types():
    table = derive_parallel(_trial())
    assert table.columns.tolist() == EXPECTED_COLUMNS == PARALLEL_COLUMNS
    assert table["USUBJID"].tolist() == ["01", "01", "02", "02", "03", "03"]
    assert table["AVISITN"].tolist() == [1, 2] * 3
    assert table.index.tolist() == list(range(6))
    # treatment codes are whatever the data say
    assert table["TRT01P"].tolist() == ["Ref", "Ref", "Tx-9", "Tx-9", "Tx-9", "Tx-9"]
    assert table["PARAMCD"].unique().tolist() == ["PAINNRS"]
    assert isinstance(table["AVISIT"].dtype, pd.CategoricalDtype)
    for column in ("AVAL", "BASE", "CHG", "PCHG", "AGE"):  # AGE: CDISC numeric, may be 11.5
        assert table[column].dtype == np.float64
    for column in ("AVISITN", "NDAYS"):
        assert table[column].dtype == np.int64


def test_values_and_analysis_flag():
    table = derive_parallel(_trial()).set_index(["USUBJID", "AVISITN"])
    # 01: BASE 6, weeks 3 -> CHG -3, PCHG -50 -> both responder flags Y
    assert table.loc[("01", 1), ["AVAL", "BASE", "CHG", "PCHG"]].tolist() == [3, 6, -3, -50]
    assert table.loc[("01", 1), ["CRIT1FL", "CRIT2FL"]].tolist() == ["Y", "Y"]
    # 03: 5 vs 6 -> PCHG -100/6 = -16.67 -> N, N
    assert table.loc[("03", 2), ["CRIT1FL", "CRIT2FL"]].tolist() == ["N", "N"]
    # 02 is not ITT: ANL01FL N though its values exist; its week 2 is empty
    assert table.loc[("02", 1), "AVAL"] == 4.0
    assert table.loc["02", "ANL01FL"].tolist() == ["N", "N"]
    assert np.isnan(table.loc[("02", 2), "AVAL"])


def test_other_parameter():
    table = derive_parallel(_trial(), param="PAINVAS", rules=DeriveRules(n_weeks=2))
    # only 01 has PAINVAS: every value 60 -> CHG 0, PCHG 0
    assert table.loc[table["USUBJID"] == "01", "PCHG"].tolist() == [0.0, 0.0]
    assert table.loc[table["USUBJID"] != "01", "AVAL"].isna().all()


def test_row_order_of_the_input_does_not_change_a_byte():
    trial = _trial()
    shuffled = SimpleNamespace(
        adsl=trial.adsl.sample(frac=1.0, random_state=1),
        adeff=trial.adeff.sample(frac=1.0, random_state=2),
        design="parallel",
    )
    first = derive_parallel(trial).to_csv(index=False)
    assert derive_parallel(shuffled).to_csv(index=False) == first
    assert derive_parallel(trial).to_csv(index=False) == first


def test_inputs_are_not_modified():
    trial = _trial()
    adeff, adsl = trial.adeff.copy(), trial.adsl.copy()
    derive_parallel(trial)
    pd.testing.assert_frame_equal(trial.adeff, adeff)
    pd.testing.assert_frame_equal(trial.adsl, adsl)


def test_unknown_parameter_lists_the_ones_found():
    with pytest.raises(SpecError, match=r"PAINXYZ.*found: PAINNRS, PAINVAS"):
        derive_parallel(_trial(), param="PAINXYZ")


def test_design_mismatch():
    trial = _trial()
    crossover = SimpleNamespace(adsl=trial.adsl, adeff=trial.adeff, design="crossover")
    with pytest.raises(SpecError, match=r"parallel trial.*'crossover'.*derive_crossover"):
        derive_parallel(crossover)


def test_missing_column_is_named():
    trial = _trial()
    no_arm = SimpleNamespace(adsl=trial.adsl.drop(columns="TRT01P"), adeff=trial.adeff,
                             design="parallel")
    with pytest.raises(ValidationError, match="TRT01P") as info:
        derive_parallel(no_arm)
    assert info.value.failures[["table", "column"]].values.tolist() == [["adsl", "TRT01P"]]


def test_record_of_unknown_subject():
    trial = _trial()
    extra = pd.concat([trial.adeff, diary("99", {1: 3})], ignore_index=True)
    with pytest.raises(ValidationError, match="USUBJID=99"):
        derive_parallel(SimpleNamespace(adsl=trial.adsl, adeff=extra, design="parallel"))


def test_duplicate_record_and_day_zero():
    trial = _trial()
    duplicate = pd.concat([trial.adeff, diary("01", {3: 2})], ignore_index=True)
    with pytest.raises(ValidationError, match=r"USUBJID=01.*3") as info:
        derive_parallel(SimpleNamespace(adsl=trial.adsl, adeff=duplicate, design="parallel"))
    assert info.value.failures["rule"].str.contains("one record per").all()
    day_zero = pd.concat([trial.adeff, diary("01", {0: 2})], ignore_index=True)
    with pytest.raises(ValidationError, match="ADY"):
        derive_parallel(SimpleNamespace(adsl=trial.adsl, adeff=day_zero, design="parallel"))


def test_not_a_trial():
    with pytest.raises(DataError, match="adsl"):
        derive_parallel(SimpleNamespace(adsl=None, adeff=None, design="parallel"))


def test_no_on_treatment_record_needs_n_weeks():
    trial = make_trial([subject("01")], [diary("01", {-2: 5, -1: 5})])
    with pytest.raises(DataError, match="n_weeks"):
        derive_parallel(trial)
    table = derive_parallel(trial, rules=DeriveRules(n_weeks=2, baseline_min_ratings=2))
    assert table["AVAL"].isna().all() and table["BASE"].tolist() == [5.0, 5.0]


def test_population_flag_is_configurable():
    trial = _trial()
    adsl = trial.adsl.assign(SAFFL=["N", "Y", "Y"])  # rows 03, 01, 02
    table = derive_parallel(SimpleNamespace(adsl=adsl, adeff=trial.adeff, design="parallel"),
                            rules=DeriveRules(population_flag="SAFFL"))
    assert table.columns.tolist() == EXPECTED_COLUMNS  # SAFFL is used, not added
    flags = table.groupby("USUBJID")["ANL01FL"].agg("".join)
    # 01 safety Y, weeks 1-2 rated -> YY; 02 safety Y, week 2 empty -> YN; 03 safety N -> NN
    assert flags.to_dict() == {"01": "YY", "02": "YN", "03": "NN"}
    with pytest.raises(ValidationError, match="PPROTFL"):
        derive_parallel(trial, rules=DeriveRules(population_flag="PPROTFL"))
