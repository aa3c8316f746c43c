"""DeriveRules: defaults are the published conventions, frozen, and checked on construction."""

from __future__ import annotations

import dataclasses

import pytest

from ldn_stats.derive import DeriveRules, VisitWindow
from ldn_stats.errors import SpecError


def test_defaults_are_the_documented_conventions():
    rules = DeriveRules()
    # IMMPACT weekly means (4 of 7), baseline -7..-1 with >= 4 ratings
    assert (rules.baseline_window, rules.baseline_min_ratings) == ((-7, -1), 4)
    assert (rules.week_length, rules.week_min_days) == (7, 4)
    # >= 30% and >= 50% reductions
    assert (rules.crit1_pchg, rules.crit2_pchg) == (-30.0, -50.0)
    # Younger 2013: 14 baseline days, endpoint = mean of the last 3 days of each condition
    assert rules.crossover_baseline_window == (-14, -1)
    assert (rules.period_last_k, rules.period_min_ratings) == (3, 3)
    assert rules.crossover_baseline == "study"
    assert rules.population_flag == "ITTFL"


def test_rules_are_frozen_and_hashable():
    rules = DeriveRules()
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.week_min_days = 3
    assert hash(rules) == hash(DeriveRules())
    assert DeriveRules(n_weeks=12) != rules


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("baseline_min_ratings", 0),
        ("baseline_min_ratings", 2.5),
        ("week_length", 0),
        ("week_min_days", 8),
        ("n_weeks", 0),
        ("responder_tolerance", -1e-9),
        ("crossover_baseline", "both"),
        ("crossover_baseline_window", (-14, 0)),
        ("period_baseline_days", 0),
        ("period_baseline_min_ratings", 8),
        ("period_last_k", 0),
        ("period_min_ratings", 4),
        ("period_endpoint_days", 0),
        ("population_flag", ""),
        ("sequence_separator", ""),
        ("visit_windows", ()),
    ],
)
def test_impossible_rules_name_the_field(field, value):
    with pytest.raises(SpecError, match=f"DeriveRules.{field}: expected"):
        DeriveRules(**{field: value})


def test_visit_windows():
    with pytest.raises(SpecError, match="lo <= hi"):
        VisitWindow("Week 4", 4, 35, 22)
    with pytest.raises(SpecError, match="target within"):
        VisitWindow("Week 4", 4, 22, 35, target=40)
    assert VisitWindow("Week 4", 4, 22, 35).target_day == 35
    with pytest.raises(SpecError, match="unique"):
        DeriveRules(visit_windows=(VisitWindow("W", 1, 1, 5), VisitWindow("W", 2, 6, 9)))
    # a list is accepted and stored as a tuple, so the rules stay hashable
    rules = DeriveRules(visit_windows=[VisitWindow("W", 1, 1, 5)])
    assert isinstance(rules.visit_windows, tuple)
    hash(rules)


def test_rules_from_a_toml_spec():
    # a TOML [derive] table arrives as lists, ints and dicts
    rules = DeriveRules(
        baseline_window=[-7, -1],
        crit1_pchg=-30,
        visit_windows=[{"avisit": "Week 4", "avisitn": 4, "lo": 15, "hi": 42, "target": 28}],
    )
    assert rules.baseline_window == (-7, -1)
    assert rules.crit1_pchg == -30.0 and isinstance(rules.crit1_pchg, float)
    assert rules.visit_windows == (VisitWindow("Week 4", 4, 15, 42, target=28),)
    assert DeriveRules(baseline_window=[-7, -1]) == DeriveRules()
    with pytest.raises(SpecError, match="expected keys avisit"):
        DeriveRules(visit_windows=[{"avisit": "Week 4", "low": 1}])
