"""Derivation rules against careless input (issue 11, items 4 and 5): implausible study
days and impossible rules are refused by name before any grid is built."""

from __future__ import annotations

import math

import pytest

from ldn_stats.derive import DeriveRules, derive_parallel
from ldn_stats.derive.parallel import MAX_WEEKS
from ldn_stats.errors import DataError, SpecError, ValidationError
from support.derive_helpers import diary, make_trial, subject


def _trial(typo_day: int | None = None):
    days = {d: 5.0 for d in [*range(-7, 0), *range(1, 29)]}
    records = [diary(s, dict(days)) for s in ("01", "02", "03", "04")]
    if typo_day is not None:
        records[2] = diary("03", {**days, typo_day: 4.0})
    return make_trial([subject("01", "A"), subject("02", "B"), subject("03", "A"),
                       subject("04", "B")], records)


def test_one_ady_typo_is_refused_naming_subject_row_and_value():
    # it used to build a 1.4-million-week grid (51 s, 7.9 GB) before failing
    with pytest.raises(ValidationError, match="implausible study day") as info:
        derive_parallel(_trial(10_000_000))
    failures = info.value.failures
    assert failures[["column", "usubjid", "value"]].values.tolist() == [
        ["ADY", "03", "10000000"]]


def test_the_plausibility_rule_is_configurable_and_the_grid_capped():
    with pytest.raises(DataError, match=f"expected at most {MAX_WEEKS} analysis weeks"):
        derive_parallel(_trial(10_000_000), rules=DeriveRules(study_day_factor=None))
    out = derive_parallel(_trial(200), rules=DeriveRules(study_day_factor=10))
    assert out["AVISITN"].max() == math.ceil(200 / 7)
    assert derive_parallel(_trial())["AVISITN"].max() == 4  # a plausible trial is untouched


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_responder_thresholds_are_refused(value):
    with pytest.raises(SpecError, match="crit1_pchg: expected a finite number"):
        DeriveRules(crit1_pchg=value)


@pytest.mark.parametrize("name", ["baseline_window", "crossover_baseline_window"])
def test_a_baseline_window_reaching_into_treatment_is_refused(name):
    with pytest.raises(SpecError, match="reaches into treatment days"):
        DeriveRules(**{name: (-7, 3)})
