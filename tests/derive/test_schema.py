"""AnalysisModel and DiaryModel: the derived tables' contract and its failure report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats.derive import derive_parallel
from ldn_stats.errors import ValidationError
from ldn_stats.schemas.analysis import (
    AnalysisModel,
    DiaryModel,
    validate_analysis,
    validate_diary,
)
from support.derive_helpers import diary, make_trial, subject


def _table():
    days = {d: 6 for d in range(-7, 0)} | {d: 3 for d in range(1, 15)}
    return derive_parallel(make_trial([subject("01"), subject("02")],
                                      [diary("01", days), diary("02", days)]))


def test_every_field_is_documented():
    for model in (AnalysisModel, DiaryModel):
        schema = model.to_schema()
        undocumented = [n for n, c in schema.columns.items() if not c.description]
        assert undocumented == [], model.__name__
    assert AnalysisModel.to_schema().name == "adeff_anl"
    assert DiaryModel.to_schema().name == "adeff_diary"


def test_a_derived_table_passes_unchanged():
    table = _table()
    pd.testing.assert_frame_equal(validate_analysis(table), table)


def test_every_failure_is_listed_at_once():
    table = _table()
    table["CRIT1FL"] = table["CRIT1FL"].astype("str").mask(table.index == 1, "maybe")
    table["AVISIT"] = table["AVISIT"].cat.as_unordered()
    table.loc[3, "AVISITN"] = 1  # 02 now has week 1 twice
    with pytest.raises(ValidationError, match="adeff_anl") as info:
        validate_analysis(table)
    failures = info.value.failures
    assert list(failures.columns) == ["table", "column", "usubjid", "row", "value", "rule"]
    assert set(failures["column"].dropna()) >= {"CRIT1FL", "AVISIT"}
    maybe = failures[failures["value"].astype("str") == "maybe"]
    assert maybe[["usubjid", "row"]].values.tolist() == [["01", 2]]
    assert failures["rule"].astype("str").str.contains("unique|duplicate", regex=True).any()


def test_design_columns_are_either_parallel_or_crossover():
    table = _table()
    with pytest.raises(ValidationError, match="design_columns"):
        validate_analysis(table.drop(columns="TRT01P"))
    both = table.assign(TRTSEQP="A-B", APERIOD=1, TRTA="A")
    with pytest.raises(ValidationError, match="design_columns"):
        validate_analysis(both)


def test_missing_analysis_flag_is_refused():
    table = _table()
    table["ANL01FL"] = table["ANL01FL"].mask(table.index == 0, np.nan)
    with pytest.raises(ValidationError, match="ANL01FL"):
        validate_analysis(table)


def test_diary_model():
    frame = pd.DataFrame({"USUBJID": ["01"], "TRTSEQP": ["A-B"], "APERIOD": [1], "TRTA": ["A"],
                          "APERDY": [0], "AVAL": [3.0], "BASE": [np.nan], "ANL01FL": ["N"]})
    with pytest.raises(ValidationError, match="APERDY"):
        validate_diary(frame)
    assert validate_diary(frame.assign(APERDY=1))["APERDY"].tolist() == [1]
