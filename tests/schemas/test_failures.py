"""The failure table and its listing: columns, row numbers, capping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.schemas._failures import collect, failure_frame, format_failures, text_values


def test_failure_frame_columns_and_types():
    f = failure_frame("adeff", "AVAL", "rule", usubjid=np.array(["001"], dtype=object),
                      row=np.array([3]), value=np.array([11.0]))
    assert list(f.columns) == ["table", "column", "usubjid", "row", "value", "rule"]
    assert f.iloc[0].tolist() == ["adeff", "AVAL", "001", 3, "11", "rule"]
    assert str(f["row"].dtype) == "Int64"


def test_text_values_whole_floats_and_missing():
    out = text_values(np.array([1.0, 2.5, np.nan]))
    assert out.iloc[0] == "1" and out.iloc[1] == "2.5" and pd.isna(out.iloc[2])


def test_collect_empty_has_the_columns():
    empty = collect([])
    assert len(empty) == 0
    assert list(empty.columns) == ["table", "column", "usubjid", "row", "value", "rule"]


def test_listing_caps_each_group_and_counts_all():
    many = failure_frame("adeff", "AVAL", "AVAL of PAINNRS between 0 and 10",
                         usubjid=np.array(["001"] * 25, dtype=object),
                         row=np.arange(1, 26), value=np.full(25, 12.0))
    one = failure_frame("adsl", "TRT01P", "required column present (not found)")
    text = format_failures(collect([one, many]), "trial", cap=3)
    lines = text.splitlines()
    assert lines[0].startswith("trial: 26 failures of the data contract")
    assert lines[1] == "  adsl, TRT01P: required column present (not found)"
    assert lines[2] == (
        "  adeff, AVAL, USUBJID 001, row 1, value '12': AVAL of PAINNRS between 0 and 10"
    )
    assert lines[5] == "  ... and 22 more adeff.AVAL failures: AVAL of PAINNRS between 0 and 10"
    assert len(lines) == 6


def test_missing_value_is_shown():
    f = failure_frame("adsl", "SITEID", "not empty", usubjid=np.array(["002"], dtype=object),
                      row=np.array([2]), value=np.array([np.nan], dtype=object))
    assert "value <empty>: not empty" in format_failures(f, "x")
