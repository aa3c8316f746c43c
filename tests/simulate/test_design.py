"""Design validation: every invalid design fails with a SpecError naming field and value."""

from __future__ import annotations

import dataclasses

import pytest

from ldn_stats.errors import LdnStatsError, SpecError
from ldn_stats.simulate import (
    PRESETS,
    AdverseEvent,
    CrossoverDesign,
    Dropout,
    ParallelDesign,
    PlaceboResponse,
    Population,
    Scale,
    Treatment,
    resolve_design,
    simulate_trial,
)


def _parallel(**kw):
    base = dict(arms=("LDN", "PBO"), allocation=(5, 5), weeks=2)
    base.update(kw)
    return ParallelDesign(**base)


def _crossover(**kw):
    base = dict(sequences=("LDN-PBO", "PBO-LDN"), allocation=(3, 3), period_days=(14, 14),
                washout_days=(7,))
    base.update(kw)
    return CrossoverDesign(**base)


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: _parallel(allocation=(5,)),
         "ParallelDesign.allocation: expected one count per arm (2), found 1"),
        (lambda: _parallel(allocation=(5, 0)),
         "ParallelDesign.allocation: expected an integer >= 1, found 0"),
        (lambda: _parallel(arms=("LDN", "LDN")), "distinct arm codes"),
        (lambda: _parallel(arms=("LDN-X", "PBO")), "without '-'"),
        (lambda: _parallel(weeks=0), "ParallelDesign.weeks: expected an integer >= 1, found 0"),
        (lambda: _parallel(weeks=2.5), "found 2.5"),
        (lambda: _parallel(run_in_days=0), "run_in_days"),
        (lambda: _parallel(treatments=(Treatment(code="LDN"),)), "a Treatment for every code used"),
        (lambda: _parallel(ae_withdrawal="site"), "ae_withdrawal"),
        (lambda: _parallel(ae_leave_share=1.5), "ae_leave_share"),
        (lambda: _crossover(sequences=("LDN-PBO", "PBO")), "one common length >= 2"),
        (lambda: _crossover(sequences=("LDN",), allocation=(3,), period_days=(7,),
                            washout_days=()), "one common length >= 2"),
        (lambda: _crossover(period_days=(14,)), "one length per period (2)"),
        (lambda: _crossover(period_days={"LDN": 14}), "days for each treatment ['LDN', 'PBO']"),
        (lambda: _crossover(washout_days=(7, 7, 7)), "washout_days"),
        (lambda: _crossover(washout_days=(-1,)), "an integer >= 0, found -1"),
        (lambda: _crossover(allocation=(3,)), "one count per sequence (2), found 1"),
        (lambda: _crossover(ae_withdrawal="treatment"), "ae_withdrawal"),
        (lambda: Population(baseline_mean=5, baseline_sd=1, within_sd=1.6, ar1=1.0), "ar1"),
        (lambda: Population(baseline_mean=5, baseline_sd=-1, within_sd=1.6), "baseline_sd"),
        (lambda: Population(baseline_mean=5, baseline_sd=1, within_sd=1.6, missed_day_rate=1.0),
         "missed_day_rate"),
        (lambda: Treatment(code="LDN", responder_share=0.0), "responder_share"),
        (lambda: Treatment(code="LDN", onset_days=0), "onset_days"),
        (lambda: Treatment(code="LDN", ae_stop_risk=1.5), "ae_stop_risk"),
        (lambda: Treatment(code="LDN", adverse_events=(AdverseEvent(decod="X", risk=0.1),
                                                     AdverseEvent(decod="X", risk=0.2))),
         "distinct AEDECOD"),
        (lambda: AdverseEvent(decod="HEADACHE", risk=1.2), "risk"),
        (lambda: AdverseEvent(decod="HEADACHE", risk=0.1, severity=(0.5, 0.5, 0.5)), "severity"),
        (lambda: Dropout(rate=1.0), "Dropout.rate"),
        (lambda: Dropout(rate=0.1, mechanism="MISSING"), "mechanism"),
        (lambda: Dropout(rate=0.1, strength=1.0), "0 for MCAR"),
        (lambda: PlaceboResponse(onset_days=0), "onset_days"),
        (lambda: Scale(paramcd="PAINNRS", low=10, high=0), "Scale.high"),
    ],
)
def test_invalid_designs_raise_spec_error(build, fragment):
    with pytest.raises(SpecError) as info:
        build()
    assert fragment in str(info.value)


def test_unknown_preset_lists_valid_names():
    with pytest.raises(SpecError, match=r"unknown simulation preset 'finale'; valid presets: "
                                        r"final, younger2013"):
        simulate_trial("finale", seed=1)


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True, None])
def test_invalid_seed_raises(seed):
    with pytest.raises(LdnStatsError, match="seed: expected a non-negative integer"):
        simulate_trial("final", seed=seed)


def test_resolve_design_rejects_other_objects():
    with pytest.raises(SpecError, match="found dict"):
        resolve_design({"arms": ("LDN",)})


def test_designs_are_frozen_and_presets_read_only():
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["final"].weeks = 13
    with pytest.raises(TypeError):
        PRESETS["new"] = PRESETS["final"]
    with pytest.raises(TypeError):
        PRESETS["younger2013"].period_days["LDN"] = 1


def test_treatments_default_to_inert_codes():
    d = _parallel()
    assert [t.code for t in d.treatments] == ["LDN", "PBO"]
    assert d.treatment("LDN").effect == 0.0
    with pytest.raises(SpecError, match="no treatment 'XYZ'"):
        d.treatment("XYZ")


def test_crossover_period_lengths_by_treatment_or_position():
    d = PRESETS["younger2013"]
    assert d.days_of("LDN-PBO", 1) == 84 and d.days_of("LDN-PBO", 2) == 28
    assert d.days_of("PBO-LDN", 1) == 28 and d.days_of("PBO-LDN", 2) == 84
    assert _crossover(period_days=(14, 21)).days_of("PBO-LDN", 2) == 21
