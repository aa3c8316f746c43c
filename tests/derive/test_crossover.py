"""derive_crossover and crossover_diary: last-k endpoints, washout, unequal periods, baselines.

Witness: hand arithmetic in the comments; exact values or pytest.approx(rel=1e-12).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ldn_stats.derive import DeriveRules, crossover_diary, derive_crossover
from ldn_stats.derive.crossover import CROSSOVER_COLUMNS, DIARY_COLUMNS
from ldn_stats.errors import DataError, SpecError, ValidationError
from support.derive_helpers import diary, make_trial, subject

EXPECTED_COLUMNS = [
    "USUBJID", "SITEID", "AGE", "SEX", "ITTFL", "TRTSEQP", "APERIOD", "TRTA", "PARAMCD",
    "AVISIT", "AVISITN", "NDAYS", "AVAL", "BASE", "CHG", "PCHG", "CRIT1FL", "CRIT2FL",
    "ANL01FL",
]


def _subject_01():
    # sequence A-B; baseline -14..-1: day -14 = 0, the other 13 days = 7 -> 91 / 14 = 6.5
    # period 1 = days 1..10: 6 x7, then 5, 4, 3; washout days 11..13 = 9 (never an endpoint)
    # period 2 = days 14..17 (shorter than period 1): 5, 6, 7, 8
    days = {-14: 0} | {d: 7 for d in range(-13, 0)}
    days |= {d: 6 for d in range(1, 8)} | {8: 5, 9: 4, 10: 3}
    days |= {11: 9, 12: 9, 13: 9} | {14: 5, 15: 6, 16: 7, 17: 8}
    periods = {d: 1 for d in range(1, 11)} | {d: 2 for d in range(14, 18)}
    return diary("01", days, periods=periods)


def _subject_02():
    # sequence B-A; only 3 baseline ratings (days -3..-1 = 5) -> study BASE missing
    # period 1 = days 1..10: days 1..7 = 4, day 8 = 2, days 9 and 10 unrated (records, AVAL missing)
    # period 2 starts on day 11 without washout; dropout after two rated days: 5, 6
    days = {-3: 5, -2: 5, -1: 5} | {d: 4 for d in range(1, 8)} | {8: 2, 9: None, 10: None}
    days |= {11: 5, 12: 6}
    periods = {d: 1 for d in range(1, 11)} | {11: 2, 12: 2}
    return diary("02", days, periods=periods)


def _subject_03():
    # three periods C-A-B of three days each, values 1..9; baseline days -4..-1 = 8
    days = {d: 8 for d in range(-4, 0)} | {d: d for d in range(1, 10)}
    periods = {d: (d - 1) // 3 + 1 for d in range(1, 10)}
    return diary("03", days, periods=periods)


def _trial():
    return make_trial(
        [subject("02", "B-A", column="TRTSEQP"), subject("01", "A-B", column="TRTSEQP"),
         subject("03", "C-A-B", column="TRTSEQP")],
        [_subject_02(), _subject_01(), _subject_03()],
        design="crossover",
    )


def _by_period(table):
    return table.set_index(["USUBJID", "APERIOD"])


def test_columns_rows_and_treatments_from_the_sequence():
    table = derive_crossover(_trial())
    assert table.columns.tolist() == EXPECTED_COLUMNS == CROSSOVER_COLUMNS
    assert table["USUBJID"].tolist() == ["01", "01", "02", "02", "03", "03", "03"]
    assert table["APERIOD"].tolist() == [1, 2, 1, 2, 1, 2, 3]
    assert table["AVISITN"].tolist() == table["APERIOD"].tolist()
    assert table["TRTA"].tolist() == ["A", "B", "B", "A", "C", "A", "B"]
    assert table["AVISIT"].cat.categories.tolist() == ["Period 1", "Period 2", "Period 3"]
    assert table["AVISIT"].cat.ordered


def test_period_endpoint_is_the_mean_of_the_last_three_rated_days():
    table = _by_period(derive_crossover(_trial()))
    # 01 period 1: last three rated days 8, 9, 10 -> (5 + 4 + 3) / 3 = 4.0
    assert table.loc[("01", 1), "AVAL"] == 4.0
    # 01 period 2 (4 days, shorter): days 15..17 -> (6 + 7 + 8) / 3 = 7.0; washout 9s unused
    assert table.loc[("01", 2), "AVAL"] == 7.0
    # 02 period 1: days 9, 10 unrated -> last rated 6, 7, 8 -> (4 + 4 + 2) / 3 = 10 / 3
    assert table.loc[("02", 1), "AVAL"] == pytest.approx(10 / 3, rel=1e-12)
    assert table.loc[("02", 1), "NDAYS"] == 3
    # 02 period 2: only 2 ratings < 3 -> missing, NDAYS 2
    assert np.isnan(table.loc[("02", 2), "AVAL"])
    assert table.loc[("02", 2), "NDAYS"] == 2
    # 03: (1+2+3)/3 = 2, (4+5+6)/3 = 5, (7+8+9)/3 = 8
    assert table.loc["03", "AVAL"].tolist() == [2.0, 5.0, 8.0]


def test_study_baseline_uses_14_days_and_change():
    table = _by_period(derive_crossover(_trial()))
    # 01: BASE = 91 / 14 = 6.5; period 1: CHG = 4 - 6.5 = -2.5, PCHG = -250 / 6.5 = -38.46
    assert table.loc["01", "BASE"].tolist() == [6.5, 6.5]
    assert table.loc[("01", 1), "CHG"] == -2.5
    assert table.loc[("01", 1), "PCHG"] == pytest.approx(-250 / 6.5, rel=1e-12)
    assert table.loc[("01", 1), ["CRIT1FL", "CRIT2FL", "ANL01FL"]].tolist() == ["Y", "N", "Y"]
    # 01 period 2: CHG = 7 - 6.5 = 0.5, PCHG = 50 / 6.5 -> not a responder
    assert table.loc[("01", 2), "CRIT1FL"] == "N"
    # 02: 3 baseline ratings < 4 -> BASE missing, ANL01FL N in both periods
    assert table.loc["02", "BASE"].isna().all()
    assert table.loc["02", "ANL01FL"].tolist() == ["N", "N"]
    # 03: (8 * 4) / 4 = 8
    assert table.loc["03", "BASE"].tolist() == [8.0] * 3


def test_last_k_and_minimum_are_configurable():
    rules = DeriveRules(period_last_k=2, period_min_ratings=2)
    table = _by_period(derive_crossover(_trial(), rules=rules))
    # 01 period 1: (4 + 3) / 2 = 3.5; 02 period 2: (5 + 6) / 2 = 5.5
    assert table.loc[("01", 1), "AVAL"] == 3.5
    assert table.loc[("02", 2), "AVAL"] == 5.5
    # minimum 1 of the last 3: 02 period 2 -> (5 + 6) / 2 = 5.5 with NDAYS 2
    loose = _by_period(derive_crossover(_trial(), rules=DeriveRules(period_min_ratings=1)))
    assert loose.loc[("02", 2), ["NDAYS", "AVAL"]].tolist() == [2, 5.5]


def test_endpoint_limited_to_the_last_days_of_the_period():
    # only the last 4 days of each period: 02 period 1 ends on day 10 (its last record), so
    # days 7..10, rated 7 and 8 -> 2 ratings; with a minimum of 2: (4 + 2) / 2 = 3.0
    rules = DeriveRules(period_endpoint_days=4, period_min_ratings=2)
    table = _by_period(derive_crossover(_trial(), rules=rules))
    assert table.loc[("02", 1), ["NDAYS", "AVAL"]].tolist() == [2, 3.0]
    # 01 period 1 is unaffected: days 7..10 rated, last three 5, 4, 3 -> 4.0
    assert table.loc[("01", 1), "AVAL"] == 4.0


def test_period_baselines_include_the_washout():
    rules = DeriveRules(crossover_baseline="period", period_baseline_days=3,
                        period_baseline_min_ratings=3)
    table = _by_period(derive_crossover(_trial(), rules=rules))
    # 01 period 1 starts day 1: days -3..-1 (no day 0) = 7, 7, 7 -> 7.0
    # 01 period 2 starts day 14: days 11..13 are the washout = 9, 9, 9 -> 9.0
    assert table.loc["01", "BASE"].tolist() == [7.0, 9.0]
    # 01 period 2: CHG = 7 - 9 = -2, PCHG = -200 / 9
    assert table.loc[("01", 2), "PCHG"] == pytest.approx(-200 / 9, rel=1e-12)
    # 02 period 2 starts day 11: days 8..10 -> only day 8 rated (2) < 3 -> missing
    assert np.isnan(table.loc[("02", 2), "BASE"])
    # 02 period 1: days -3..-1 = 5, 5, 5 -> 5.0 (a period baseline exists though the
    # study baseline does not)
    assert table.loc[("02", 1), "BASE"] == 5.0
    # five days before 01's period 2: days 9..13 = 4, 3, 9, 9, 9 -> 34 / 5 = 6.8
    wide = DeriveRules(crossover_baseline="period", period_baseline_days=5)
    assert _by_period(derive_crossover(_trial(), rules=wide)).loc[("01", 2), "BASE"] == (
        pytest.approx(34 / 5, rel=1e-12)
    )


def test_study_baseline_window_is_configurable():
    # -7..-1: 01 -> 7 * 7 / 7 = 7.0; 02 still only 3 ratings -> missing
    rules = DeriveRules(crossover_baseline_window=(-7, -1))
    table = _by_period(derive_crossover(_trial(), rules=rules))
    assert table.loc[("01", 1), "BASE"] == 7.0
    assert np.isnan(table.loc[("02", 1), "BASE"])


def test_diary_table_rows_days_and_baselines():
    table = crossover_diary(_trial())
    assert table.columns.tolist() == DIARY_COLUMNS
    one = table[table["USUBJID"] == "01"]
    # period 1: days 1..10 -> APERDY 1..10; period 2: days 14..17 -> APERDY 1..4;
    # washout days 11..13 are not rows
    assert one["APERIOD"].tolist() == [1] * 10 + [2] * 4
    assert one["APERDY"].tolist() == [*range(1, 11), 1, 2, 3, 4]
    assert one["AVAL"].tolist()[-4:] == [5.0, 6.0, 7.0, 8.0]
    assert 9.0 not in one["AVAL"].tolist()
    assert one["TRTA"].tolist() == ["A"] * 10 + ["B"] * 4
    assert (one["BASE"] == 6.5).all() and (one["ANL01FL"] == "Y").all()
    two = table[table["USUBJID"] == "02"]
    # unrated days 9 and 10 are left out: period 1 rows are APERDY 1..8
    assert two.loc[two["APERIOD"] == 1, "APERDY"].tolist() == list(range(1, 9))
    assert (two["ANL01FL"] == "N").all()  # no study baseline
    assert len(table) == 14 + 10 + 9


def test_row_order_of_the_input_does_not_change_a_byte():
    trial = _trial()
    shuffled = SimpleNamespace(adsl=trial.adsl.sample(frac=1.0, random_state=3),
                               adeff=trial.adeff.sample(frac=1.0, random_state=4),
                               design="crossover")
    for derive in (derive_crossover, crossover_diary):
        assert derive(shuffled).to_csv(index=False) == derive(trial).to_csv(index=False)


def test_design_mismatch_and_missing_period_column():
    trial = _trial()
    with pytest.raises(SpecError, match=r"crossover trial.*'parallel'.*derive_parallel"):
        derive_crossover(SimpleNamespace(adsl=trial.adsl, adeff=trial.adeff, design="parallel"))
    no_period = SimpleNamespace(adsl=trial.adsl, adeff=trial.adeff.drop(columns="APERIOD"),
                                design="crossover")
    with pytest.raises(ValidationError, match="APERIOD"):
        derive_crossover(no_period)


def test_period_outside_the_sequence():
    trial = _trial()
    adeff = trial.adeff.copy()
    adeff.loc[(adeff["USUBJID"] == "01") & (adeff["ADY"] == 17), "APERIOD"] = 3.0
    with pytest.raises(ValidationError, match=r"USUBJID=01.*3\.0.*A-B") as info:
        derive_crossover(SimpleNamespace(adsl=trial.adsl, adeff=adeff, design="crossover"))
    assert info.value.failures["column"].tolist() == ["APERIOD"]


def test_empty_sequence():
    trial = _trial()
    adsl = trial.adsl.assign(TRTSEQP=["B-A", "A-", "C-A-B"])
    with pytest.raises(ValidationError, match=r"TRTSEQP.*USUBJID=01"):
        derive_crossover(SimpleNamespace(adsl=adsl, adeff=trial.adeff, design="crossover"))


def test_unknown_parameter():
    with pytest.raises(SpecError, match="PAINVAS"):
        derive_crossover(_trial(), param="PAINVAS")


def test_subject_without_records_gets_missing_periods():
    trial = _trial()
    adsl = pd.concat([trial.adsl, pd.DataFrame([subject("04", "B-A", column="TRTSEQP")])])
    table = derive_crossover(SimpleNamespace(adsl=adsl, adeff=trial.adeff, design="crossover"))
    four = table[table["USUBJID"] == "04"]
    assert four["TRTA"].tolist() == ["B", "A"]
    assert four["NDAYS"].tolist() == [0, 0]
    assert four["AVAL"].isna().all() and (four["ANL01FL"] == "N").all()


def test_no_rated_day_in_any_period():
    trial = _trial()
    adeff = trial.adeff.assign(AVAL=trial.adeff["AVAL"].where(trial.adeff["APERIOD"].isna()))
    # issue 9: no analysis record is an error saying which rule removed how many records
    with pytest.raises(DataError) as info:
        derive_crossover(SimpleNamespace(adsl=trial.adsl, adeff=adeff, design="crossover"))
    message = str(info.value)
    total = int(re.search(r"of (\d+) subject x visit records", message).group(1))
    removed = [int(n) for n in re.findall(r"removed (\d+)", message)]
    assert len(removed) == 3  # population, baseline, AVAL, each counted on its own
    assert removed[2] == total  # no period has a rated day
    assert "AVAL (fewer than DeriveRules.period_min_ratings = 3 rated days among the last 3 " \
           "of the period)" in message
