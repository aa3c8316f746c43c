"""describe_rules: the sentences follow the rules actually set."""

from __future__ import annotations

import pytest

from ldn_stats.derive import DeriveRules, describe_rules, week_visit_windows
from ldn_stats.errors import SpecError


def test_parallel_defaults():
    text = "\n".join(describe_rules(DeriveRules(), "parallel"))
    assert "study days -7 to -1; missing with fewer than 4 ratings" in text
    assert "study days 7(w-1)+1 to 7w); missing with fewer than 4 of 7 days rated" in text
    assert "PCHG <= -30 (a reduction of at least 30%)" in text
    assert "PCHG <= -50 (at least 50%)" in text
    assert "ANL01FL = Y when ITTFL = Y" in text


def test_settings_change_the_words():
    rules = DeriveRules(baseline_method="last", baseline_min_ratings=1, n_weeks=12,
                        crit1_pchg=-20, population_flag="SAFFL",
                        visit_windows=week_visit_windows([4]))
    text = "\n".join(describe_rules(rules, "parallel"))
    assert "last rating on study days -7 to -1; missing with fewer than 1 rating." in text
    assert "Week 4: days 1 to 42, target 28" in text
    assert "at least 20%" in text and "SAFFL = Y" in text
    crossover = DeriveRules(crossover_baseline="period", period_baseline_days=5,
                            period_endpoint_days=7, period_last_k=4, period_min_ratings=2)
    text = "\n".join(describe_rules(crossover, "crossover"))
    assert "in the 5 days before each period's first day (washout included)" in text
    assert "last 4 rated days of the last 7 days of the period" in text
    assert "fewer than 2." in text


def test_unknown_design():
    with pytest.raises(SpecError, match="design"):
        describe_rules(DeriveRules(), "factorial")
