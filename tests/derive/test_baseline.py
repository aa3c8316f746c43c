"""Baseline window and minimum-ratings rule.

Witness: hand arithmetic in the comments; tolerance 1e-12 (pytest.approx rel=1e-12) unless
the value is exact.
"""

from __future__ import annotations

import numpy as np
import pytest

from ldn_stats.derive import DeriveRules, derive_baseline, derive_parallel
from ldn_stats.errors import SpecError
from support.derive_helpers import diary, make_trial, subject


def _trial():
    return make_trial(
        [subject("01"), subject("02"), subject("03"), subject("04")],
        [
            # 01: days -8..-1; day -8 is outside the default window -7..-1
            diary("01", {-8: 10, -7: 4, -6: 5, -5: 6, -4: None, -3: 5, -2: 4, -1: 6, 1: 3}),
            # 02: exactly 4 ratings in the window
            diary("02", {-7: 7, -5: 8, -3: 6, -1: 7, 1: 5, 2: 5, 3: 5, 4: 5}),
            # 03: only 3 ratings in the window -> BASE missing
            diary("03", {-10: 9, -9: 9, -6: 2, -4: 3, -2: 4, 1: 1, 2: 1, 3: 1, 4: 1}),
            # 04: day 1 is on treatment and never in the baseline
        ],
    )


def test_baseline_window_and_minimum_ratings():
    base = derive_baseline(_trial()).set_index("USUBJID")
    # 01: (4 + 5 + 6 + 5 + 4 + 6) / 6 = 30 / 6 = 5.0 (day -8 = 10 excluded, day -4 missing)
    assert base.loc["01", "NBASE"] == 6
    assert base.loc["01", "BASE"] == pytest.approx(30 / 6, rel=1e-12)
    # 02: (7 + 8 + 6 + 7) / 4 = 28 / 4 = 7.0
    assert base.loc["02", "NBASE"] == 4
    assert base.loc["02", "BASE"] == 7.0
    # 03: 3 ratings in -7..-1 (2, 3, 4) < 4 -> missing
    assert base.loc["03", "NBASE"] == 3
    assert np.isnan(base.loc["03", "BASE"])
    # 04: no records at all -> missing, 0 ratings
    assert base.loc["04", "NBASE"] == 0
    assert np.isnan(base.loc["04", "BASE"])


def test_baseline_minimum_is_configurable():
    base = derive_baseline(_trial(), rules=DeriveRules(baseline_min_ratings=3))
    # 03: (2 + 3 + 4) / 3 = 3.0 once 3 ratings are enough
    assert base.set_index("USUBJID").loc["03", "BASE"] == 3.0


def test_baseline_window_is_configurable():
    rules = DeriveRules(baseline_window=(-10, -1), baseline_min_ratings=4)
    base = derive_baseline(_trial(), rules=rules).set_index("USUBJID")
    # 03: days -10, -9, -6, -4, -2 -> (9 + 9 + 2 + 3 + 4) / 5 = 27 / 5 = 5.4
    assert base.loc["03", "BASE"] == pytest.approx(27 / 5, rel=1e-12)
    # 01: day -8 now inside: (10 + 30) / 7 = 40 / 7
    assert base.loc["01", "BASE"] == pytest.approx(40 / 7, rel=1e-12)
    # the window argument overrides the rules: -8..-8 holds 01's single rating 10
    one = derive_baseline(_trial(), rules=DeriveRules(baseline_min_ratings=1), window=(-8, -8))
    assert one.set_index("USUBJID").loc["01", "BASE"] == 10.0


def test_missing_baseline_sets_every_record_of_the_subject_to_anl01fl_n():
    table = derive_parallel(_trial(), rules=DeriveRules(n_weeks=2)).set_index(
        ["USUBJID", "AVISITN"]
    )
    # 02 and 03 both have 4 rated days in week 1, so a weekly mean
    assert table.loc[("02", 1), "AVAL"] == 5.0
    assert table.loc[("03", 1), "AVAL"] == 1.0
    # 02 has a baseline: its week 1 is analysed; 03 has none: N for every week
    assert table.loc[("02", 1), "ANL01FL"] == "Y"
    assert table.loc["03", "ANL01FL"].tolist() == ["N", "N"]
    assert table.loc["03", "BASE"].isna().all()
    assert table.loc["03", "CHG"].isna().all()


@pytest.mark.parametrize("window", [(-1, -7), (-3, 0), (0, 2)])
def test_bad_window_is_a_spec_error(window):
    with pytest.raises(SpecError, match="baseline_window"):
        DeriveRules(baseline_window=window)


def test_last_rating_before_the_first_dose():
    rules = DeriveRules(baseline_method="last", baseline_min_ratings=1)
    base = derive_baseline(_trial(), rules=rules).set_index("USUBJID")
    # 01: latest rating in -7..-1 is day -1 = 6; 02: day -1 = 7; 03: day -2 = 4 (day -1 absent)
    assert base["BASE"].tolist()[:3] == [6.0, 7.0, 4.0]
    assert np.isnan(base.loc["04", "BASE"])
    # the minimum still applies: 03 has 3 ratings < 4 -> missing
    strict = derive_baseline(_trial(), rules=DeriveRules(baseline_method="last"))
    assert np.isnan(strict.set_index("USUBJID").loc["03", "BASE"])
    with pytest.raises(SpecError, match="baseline_method"):
        DeriveRules(baseline_method="median")
