"""Weekly means of daily ratings: week boundaries and the minimum-days rule.

Witness: hand arithmetic in the comments; exact values or pytest.approx(rel=1e-12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats.derive import DeriveRules, VisitWindow, derive_parallel, week_visit_windows
from ldn_stats.derive.weekly import planned_weeks, visit_window_values, weekly_means
from ldn_stats.errors import SpecError
from support.derive_helpers import diary, make_trial, subject

BASELINE = {-4: 6, -3: 6, -2: 6, -1: 6}  # BASE = 6.0


def _table(days, rules=DeriveRules()):  # noqa: B008
    trial = make_trial([subject("01")], [diary("01", {**BASELINE, **days})])
    return derive_parallel(trial, rules=rules).set_index("AVISITN")


def test_day_7_ends_week_1_and_day_8_starts_week_2():
    # days 4..7 = 2 each -> week 1 = (2+2+2+2)/4 = 2.0; days 8..11 = 4 -> week 2 = 4.0
    table = _table({4: 2, 5: 2, 6: 2, 7: 2, 8: 4, 9: 4, 10: 4, 11: 4})
    assert table.loc[1, "AVAL"] == 2.0
    assert table.loc[2, "AVAL"] == 4.0
    assert table.loc[1, "NDAYS"] == 4 and table.loc[2, "NDAYS"] == 4


def test_three_rated_days_give_a_missing_week():
    # week 1: days 1, 3, 5 rated (3 < 4) -> AVAL missing, NDAYS 3; days 2, 4 missing
    # week 2: days 8..14, 4 rated: (5 + 3 + 4 + 4) / 4 = 16 / 4 = 4.0
    table = _table({1: 3, 2: None, 3: 3, 4: None, 5: 3, 8: 5, 9: 3, 12: 4, 14: 4})
    assert np.isnan(table.loc[1, "AVAL"])
    assert table.loc[1, "NDAYS"] == 3
    assert table.loc[1, "ANL01FL"] == "N"
    assert pd.isna(table.loc[1, "CRIT1FL"]) and pd.isna(table.loc[1, "PCHG"])
    assert table.loc[2, "AVAL"] == 4.0
    assert table.loc[2, "NDAYS"] == 4
    # with a 3-of-7 rule week 1 counts: (3 + 3 + 3) / 3 = 3.0
    relaxed = _table({1: 3, 2: None, 3: 3, 4: None, 5: 3}, DeriveRules(week_min_days=3))
    assert relaxed.loc[1, "AVAL"] == 3.0


def test_weekly_mean_arithmetic_uneven_values():
    # week 1: 7, 6, 5, 5, 4, 4, 2 -> 33 / 7
    table = _table({1: 7, 2: 6, 3: 5, 4: 5, 5: 4, 6: 4, 7: 2})
    assert table.loc[1, "AVAL"] == pytest.approx(33 / 7, rel=1e-12)
    assert table.loc[1, "CHG"] == pytest.approx(33 / 7 - 6, rel=1e-12)
    assert table.loc[1, "PCHG"] == pytest.approx(100 * (33 / 7 - 6) / 6, rel=1e-12)


def test_planned_weeks_fill_a_complete_grid():
    # subject 01 rates through day 21 (3 weeks); 02 drops out after day 3: it still gets
    # weeks 1..3 with AVAL missing, so an MMRM sees a rectangular grid
    trial = make_trial(
        [subject("02", "B"), subject("01", "A")],
        [diary("01", {**BASELINE, **{d: 5 for d in range(1, 22)}}),
         diary("02", {**BASELINE, 1: 4, 2: 4, 3: 4})],
    )
    table = derive_parallel(trial)
    assert table["USUBJID"].tolist() == ["01"] * 3 + ["02"] * 3
    assert table["AVISITN"].tolist() == [1, 2, 3] * 2
    assert table["AVISIT"].cat.categories.tolist() == ["Week 1", "Week 2", "Week 3"]
    assert table["AVISIT"].cat.ordered
    assert table["AVAL"].isna().tolist() == [False] * 3 + [True] * 3
    assert table["NDAYS"].tolist() == [7, 7, 7, 3, 0, 0]
    # n_weeks fixes the grid: days after week 2 are ignored
    two = derive_parallel(trial, rules=DeriveRules(n_weeks=2))
    assert two["AVISITN"].tolist() == [1, 2, 1, 2]


def test_planned_weeks_and_weekly_means_on_arrays():
    assert planned_weeks(np.array([-7, 1, 7])) == 1
    assert planned_weeks(np.array([-7, 8])) == 2
    assert planned_weeks(np.array([-7, -1])) == 0
    # a 5-day week: days 1..5 week 1, day 6 week 2
    means, n = weekly_means(np.array([0, 0, 0]), np.array([1, 5, 6]), np.array([1.0, 3.0, 8.0]),
                            n_subjects=1, n_weeks=2, week_length=5, min_days=1)
    assert means.tolist() == [[2.0, 8.0]]
    assert n.tolist() == [[2, 1]]


def test_visit_windows_pick_the_rating_nearest_the_target():
    windows = (
        VisitWindow("Week 4", 4, 15, 42, target=28),
        VisitWindow("Week 8", 8, 43, 70, target=56),
    )
    trial = make_trial(
        [subject("01"), subject("02")],
        [
            # 01: days 26 and 30 are both 2 days from 28 -> tie goes to the earlier, day 26 (5)
            #     day 60 in Week 8 window (only one) -> 3
            diary("01", {-1: 7, 26: 5, 30: 4, 60: 3}),
            # 02: day 29 (distance 1) beats day 27 missing and day 20; nothing in Week 8
            diary("02", {-1: 8, 20: 6, 27: None, 29: 2}),
        ],
    )
    rules = DeriveRules(visit_windows=windows, baseline_min_ratings=1)
    table = derive_parallel(trial, rules=rules).set_index(["USUBJID", "AVISITN"])
    assert table.loc[("01", 4), "AVAL"] == 5.0
    assert table.loc[("01", 8), "AVAL"] == 3.0
    assert table.loc[("02", 4), "AVAL"] == 2.0
    assert np.isnan(table.loc[("02", 8), "AVAL"])
    assert table["NDAYS"].tolist() == [1, 1, 1, 0]
    assert table["AVISIT"].cat.categories.tolist() == ["Week 4", "Week 8"]
    # 01: PCHG = 100 * (5 - 7) / 7
    assert table.loc[("01", 4), "PCHG"] == pytest.approx(-200 / 7, rel=1e-12)


def test_visit_window_across_day_zero_counts_calendar_days():
    # target day 1; day -1 and day 2 are both one calendar day away (there is no day 0):
    # the tie goes to the earlier day, -1
    window = (VisitWindow("Day 1", 1, -2, 3, target=1),)
    values, n = visit_window_values(np.array([0, 0]), np.array([-1, 2]), np.array([4.0, 9.0]),
                                    1, window)
    assert values.tolist() == [[4.0]] and n.tolist() == [[1]]


def test_overlapping_visit_windows_are_rejected():
    with pytest.raises(SpecError, match="overlapping"):
        DeriveRules(visit_windows=(VisitWindow("A", 1, 1, 10), VisitWindow("B", 2, 10, 20)))
    with pytest.raises(SpecError, match="week_min_days"):
        DeriveRules(week_min_days=0)


def test_week_visit_windows_split_at_midpoints():
    windows = week_visit_windows([2, 4, 8, 12])
    # targets 14, 28, 56, 84; ends at midpoints (14+28)/2 = 21, (28+56)/2 = 42, (56+84)/2 = 70,
    # the last at 84 + (84-56)//2 = 98
    assert [(w.lo, w.target, w.hi) for w in windows] == [
        (1, 14, 21), (22, 28, 42), (43, 56, 70), (71, 84, 98)]
    assert [w.avisitn for w in windows] == [2, 4, 8, 12]
    assert week_visit_windows([1], last_day=10)[0].hi == 10
    # odd midpoint: targets 7 and 14 -> (7+14)//2 = 10
    assert week_visit_windows([1, 2])[0].hi == 10
    with pytest.raises(SpecError, match="increasing"):
        week_visit_windows([4, 2])
    with pytest.raises(SpecError, match="last_day"):
        week_visit_windows([2], last_day=10)
