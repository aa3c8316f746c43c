"""Designs calibrated to published LDN trials (``/work/shared/LITERATURE.md``).

``PRESETS`` maps a name to a frozen design:

``final``
    Bruun et al. 2024, Lancet Rheumatology (FINAL, NCT04270877): parallel 1:1,
    99 women (49 LDN / 50 placebo), none lost, 12 weeks, 6 mg after a 4-week
    titration, daily 0-10 NRS, entry with pain >= 4.  Published: change at
    week 12 LDN -1.3 (95% CI -1.7 to -0.8), placebo -0.9 (-1.4 to -0.5),
    difference -0.34 (-0.95 to 0.27); SD of change about 1.5; >= 30 %
    responders 45 % vs 28 %; any adverse event 84 % vs 86 %; stopped for
    adverse events 8 % vs 6 %.
``younger2013``
    Younger, Noor, McCue, Mackey 2013, Arthritis & Rheumatism (NCT00568555):
    counterbalanced crossover, 31 women (16 LDN first, 15 placebo first),
    2 weeks baseline, 12 weeks LDN and 4 weeks placebo, 22 weeks in all,
    daily 0-100 VAS; endpoint the mean of the last 3 days of each condition
    against the 14-day baseline.  Published: -28.8 % (LDN) vs -18.0 %
    (placebo); vivid dreams 37 % vs 13 %, headache 16 % vs 3 %; 29 of 31
    completed.

Examples
--------
>>> sorted(PRESETS)
['final', 'younger2013']
>>> PRESETS["final"].allocation, PRESETS["younger2013"].allocation
((49, 50), (16, 15))
>>> d = PRESETS["younger2013"]
>>> d.run_in_days + sum(d.period_days.values()) + sum(d.washout_days)
154

Notes
-----
Choices not given by the publications, and why:

* Pain level.  FINAL: latent baseline level N(5.6, 1.4) on 0-10, randomized
  only with a 7-day run-in mean >= 4 (observed baseline mean about 6.0); the
  selection on a noisy mean adds a little regression to the mean.
  Younger 2013: N(60, 12) on 0-100, no entry threshold (none published).
* Day-to-day variation: AR(1) with marginal SD 1.6 on 0-10 (16 on 0-100;
  Harris 2005) and lag-1 correlation 0.4.
* Placebo (non-specific) response: proportional, reaching its plateau over
  4 weeks.  FINAL: mean -13.5 %, between-subject SD 15 %, which with the
  noise gives an SD of change about 1.5-1.6 (the published CIs imply
  1.55).  Younger 2013: mean -19 %, SD 15 %.
* LDN specific response, on top of the placebo response.  FINAL: 25 % of
  subjects respond, mean over all subjects -6.6 % of the level, reached
  over the 4-week titration; the mixture makes responder rates differ more
  than the mean change (-0.34) does.  Even so the expected >= 30 % responder
  rates are about 36 % vs 27 %: with a mean difference of -0.34 and an SD of
  change of 1.55 no plausible response distribution gives 45 % vs 28 % on
  average, so the published 45 % is read as one realization (it lies within
  1.3 replicate SDs of the simulated mean).  Younger 2013: 40 %
  respond, mean -11.5 %, 2-week onset (4.5 mg from the start).
  Effects wear off over 7 days after the last dose.
* FINAL adverse events: vivid dreams (MedDRA ``ABNORMAL DREAMS``), nausea
  and insomnia more often on LDN; the other terms are plausible background
  events whose risks were chosen so that the probability of any event,
  ``1 - (1 - stop risk) * prod(1 - risk)`` (a subject who stops for an
  adverse event has at least one), is 84 % (LDN) and 86 % (placebo);
  per-term risks are not published.  Stops
  for adverse events (8 % vs 6 %) end the treatment (``TRTEDY``, ``DCTREAS``);
  half of those stopping also leave the study that day (``ae_leave_share``
  0.5, an assumption: the trial does not report how many kept their diary),
  so the demo carries both kinds of intercurrent event: treatment stopped with
  the diary going on, and missing diary after leaving.
* Younger 2013 schedule: the 4 weeks not spent in baseline or treatment are
  placed as a 2-week washout between conditions (the specific effect wears
  off in 7 days, so no carry-over reaches the second condition's endpoint)
  and a 2-week treatment-free follow-up: 2 + 12 (or 4) + 2 + 4 (or 12) + 2
  = 22 weeks.  Dropout is MCAR with probability 2/31 (29 of 31 completed).
  Only the two published event terms are simulated (risks per exposure to a
  condition: vivid dreams 37 % vs 13 %, headache 16 % vs 3 %).
* Younger 2013's responder definition (pain plus fatigue or sleep) needs
  symptoms the simulator does not generate; only pain is calibrated.
"""

from __future__ import annotations

from types import MappingProxyType

from ldn_stats.simulate.components import (
    NRS,
    VAS,
    AdverseEvent,
    Dropout,
    PlaceboResponse,
    Population,
    Treatment,
)
from ldn_stats.simulate.design import CrossoverDesign, ParallelDesign

__all__ = ["PRESETS"]

_EARLY = 14.0  # mean onset (days) of events linked to starting the drug


def _ae(decod: str, risk: float, early: bool = False) -> AdverseEvent:
    return AdverseEvent(decod=decod, risk=risk, onset_mean_days=_EARLY if early else None)


def _final() -> ParallelDesign:
    ldn_events = (
        _ae("ABNORMAL DREAMS", 0.25, early=True),
        _ae("HEADACHE", 0.30, early=True),
        _ae("NAUSEA", 0.20, early=True),
        _ae("INSOMNIA", 0.15, early=True),
        _ae("FATIGUE", 0.20),
        _ae("DIZZINESS", 0.15),
        _ae("BACK PAIN", 0.15),
        _ae("ARTHRALGIA", 0.10),
        _ae("NASOPHARYNGITIS", 0.064),
    )
    pbo_events = (
        _ae("ABNORMAL DREAMS", 0.12, early=True),
        _ae("HEADACHE", 0.35, early=True),
        _ae("NAUSEA", 0.12, early=True),
        _ae("INSOMNIA", 0.12, early=True),
        _ae("FATIGUE", 0.30),
        _ae("DIZZINESS", 0.20),
        _ae("BACK PAIN", 0.20),
        _ae("ARTHRALGIA", 0.15),
        _ae("NASOPHARYNGITIS", 0.117),
    )
    return ParallelDesign(
        name="final",
        study_id="FINAL",
        arms=("LDN", "PBO"),
        allocation=(49, 50),
        weeks=12,
        run_in_days=7,
        scale=NRS,
        population=Population(baseline_mean=5.6, baseline_sd=1.4, within_sd=1.6, ar1=0.4,
                              entry_min=4.0, age_mean=50.0, age_sd=11.0, female_share=1.0,
                              missed_day_rate=0.05),
        placebo_response=PlaceboResponse(mean=-0.135, sd=0.15, onset_days=28),
        treatments=(
            Treatment(code="LDN", effect=-0.066, effect_sd=0.10, responder_share=0.25,
                      onset_days=28, offset_days=7, adverse_events=ldn_events,
                      ae_stop_risk=0.08),
            Treatment(code="PBO", adverse_events=pbo_events, ae_stop_risk=0.06),
        ),
        dropout=Dropout(rate=0.0),
        ae_withdrawal="treatment",
        ae_leave_share=0.5,
    )


def _younger2013() -> CrossoverDesign:
    return CrossoverDesign(
        name="younger2013",
        study_id="YNG13",
        sequences=("LDN-PBO", "PBO-LDN"),
        allocation=(16, 15),
        period_days={"LDN": 84, "PBO": 28},
        washout_days=(14, 14),
        run_in_days=14,
        scale=VAS,
        population=Population(baseline_mean=60.0, baseline_sd=12.0, within_sd=16.0, ar1=0.4,
                              entry_min=None, age_mean=45.0, age_sd=11.0, female_share=1.0,
                              missed_day_rate=0.05),
        placebo_response=PlaceboResponse(mean=-0.19, sd=0.15, onset_days=28),
        treatments=(
            Treatment(code="LDN", effect=-0.115, effect_sd=0.08, responder_share=0.4,
                      onset_days=14, offset_days=7,
                      adverse_events=(_ae("ABNORMAL DREAMS", 0.37, early=True),
                                      _ae("HEADACHE", 0.16, early=True))),
            Treatment(code="PBO",
                      adverse_events=(_ae("ABNORMAL DREAMS", 0.13, early=True),
                                      _ae("HEADACHE", 0.03, early=True))),
        ),
        dropout=Dropout(rate=2 / 31, mechanism="MCAR"),
        ae_withdrawal="study",
    )


#: Calibrated designs by name (read-only).
PRESETS = MappingProxyType({"final": _final(), "younger2013": _younger2013()})
