"""Building blocks of a simulated trial design: scale, population, responses, harms, dropout.

Each is a frozen dataclass validated when built; an invalid value raises
:class:`~ldn_stats.errors.SpecError` naming the class, the field, what was
expected and what was found.  :mod:`ldn_stats.simulate.design` assembles them
into parallel and crossover designs.

Examples
--------
>>> from ldn_stats.simulate.components import NRS, Treatment
>>> NRS.paramcd, NRS.high
('PAINNRS', 10.0)
>>> Treatment(code="LDN", onset_days=0)
Traceback (most recent call last):
...
ldn_stats.errors.SpecError: Treatment('LDN').onset_days: expected an integer >= 1, found 0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ldn_stats.simulate._checks import (
    SEVERITIES,
    _check_code,
    _check_int,
    _check_nonneg,
    _check_prob,
    _fail,
)

__all__ = [
    "NRS",
    "SEVERITIES",
    "VAS",
    "AdverseEvent",
    "Dropout",
    "PlaceboResponse",
    "Population",
    "Scale",
    "Treatment",
]


@dataclass(frozen=True, kw_only=True)
class Scale:
    """A pain rating scale as a diary records it.

    Parameters
    ----------
    paramcd : str
        ADaM parameter code written to ``adeff.PARAMCD``.
    low, high : float
        Ends of the scale; latent values are clipped to them.
    decimals : int
        Recorded precision: 0 for integer ratings (an 11-point NRS, or a
        100 mm VAS read to the millimetre).

    Examples
    --------
    >>> VAS.paramcd, VAS.high, VAS.units_per_nrs_point
    ('PAINVAS', 100.0, 10.0)
    """

    paramcd: str
    low: float
    high: float
    decimals: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.paramcd, str) or not self.paramcd:
            raise _fail("Scale", "paramcd", "a non-empty parameter code", self.paramcd)
        if not self.high > self.low:
            raise _fail("Scale", "high", f"a value above low={self.low}", self.high)
        _check_int("Scale", "decimals", self.decimals, 0)

    @property
    def units_per_nrs_point(self) -> float:
        """Scale units per point of a 0-10 scale (10 for a 0-100 VAS)."""
        return (self.high - self.low) / 10.0


#: Daily 0-10 numeric rating scale, integer ratings.
NRS = Scale(paramcd="PAINNRS", low=0.0, high=10.0, decimals=0)
#: Daily 0-100 visual analogue scale, read to the millimetre (integers).
VAS = Scale(paramcd="PAINVAS", low=0.0, high=100.0, decimals=0)


@dataclass(frozen=True, kw_only=True)
class Population:
    """Who enters the trial and how their daily pain varies.

    Pain values are on the design's scale (``baseline_mean=6`` on NRS means 6
    of 10).

    Parameters
    ----------
    baseline_mean, baseline_sd : float
        Mean and between-subject SD of each subject's latent pain level.
    within_sd : float
        Marginal SD of the day-to-day fluctuation around the subject's level
        (about 1.6 on 0-10 for fibromyalgia; Harris 2005).
    ar1 : float
        Lag-1 autocorrelation of the daily fluctuation (an AR(1) process).
    entry_min : float or None
        Minimum run-in mean rating to be randomized (screening); ``None``
        admits everyone.
    age_mean, age_sd : float
        Age distribution (normal, rounded, clipped to 18-80 years).
    female_share : float
        Probability that a subject is a woman.
    missed_day_rate : float
        Mean probability that a diary day is not rated; each subject's own
        rate is drawn from a Beta distribution with this mean and
        ``missed_day_concentration`` (alpha + beta).
    missed_day_concentration : float
        Larger values make adherence more alike across subjects.
    """

    baseline_mean: float
    baseline_sd: float
    within_sd: float
    ar1: float = 0.4
    entry_min: float | None = None
    age_mean: float = 50.0
    age_sd: float = 10.0
    female_share: float = 1.0
    missed_day_rate: float = 0.05
    missed_day_concentration: float = 20.0

    def __post_init__(self) -> None:
        o = "Population"
        _check_nonneg(o, "baseline_sd", self.baseline_sd)
        _check_nonneg(o, "within_sd", self.within_sd)
        if not -1.0 < self.ar1 < 1.0:
            raise _fail(o, "ar1", "a correlation strictly between -1 and 1", self.ar1)
        _check_nonneg(o, "age_sd", self.age_sd)
        _check_prob(o, "female_share", self.female_share)
        if not 0.0 <= self.missed_day_rate < 1.0:
            raise _fail(o, "missed_day_rate", "a probability in [0, 1)", self.missed_day_rate)
        if not self.missed_day_concentration > 0:
            raise _fail(o, "missed_day_concentration", "a number > 0",
                        self.missed_day_concentration)


@dataclass(frozen=True, kw_only=True)
class PlaceboResponse:
    """Non-specific improvement shared by every arm (placebo response).

    It includes expectation, natural history and regression effects, starts at
    the first dose, reaches its plateau linearly over ``onset_days`` and then
    stays for the rest of the trial (washouts included).

    Parameters
    ----------
    mean : float
        Mean proportional change of the subject's pain level at the plateau
        (``-0.15`` is a 15 % reduction).
    sd : float
        Between-subject SD of that proportion.
    onset_days : int
        Days from the first dose to the plateau.
    """

    mean: float = 0.0
    sd: float = 0.0
    onset_days: int = 28

    def __post_init__(self) -> None:
        _check_nonneg("PlaceboResponse", "sd", self.sd)
        _check_int("PlaceboResponse", "onset_days", self.onset_days, 1)


@dataclass(frozen=True, kw_only=True)
class AdverseEvent:
    """One adverse-event term and its risk during one exposure to a treatment.

    Parameters
    ----------
    decod : str
        Dictionary-derived term written to ``adae.AEDECOD`` (MedDRA preferred
        term, e.g. ``ABNORMAL DREAMS`` for vivid dreams).
    risk : float
        Probability that a subject reports the event at least once during an
        exposure (a parallel arm, or one crossover period) to the treatment.
    onset_mean_days : float or None
        Mean days from the start of the exposure to onset (exponential,
        truncated to the exposure); ``None`` spreads onsets uniformly.
    severity : tuple of float
        Probabilities of MILD, MODERATE and SEVERE; must sum to 1.
    serious : float
        Probability that the event is serious (``AESER = "Y"``).
    """

    decod: str
    risk: float
    onset_mean_days: float | None = None
    severity: tuple[float, float, float] = (0.6, 0.3, 0.1)
    serious: float = 0.0

    def __post_init__(self) -> None:
        o = f"AdverseEvent({self.decod!r})"
        if not isinstance(self.decod, str) or not self.decod.strip():
            raise _fail("AdverseEvent", "decod", "a non-empty term", self.decod)
        _check_prob(o, "risk", self.risk)
        _check_prob(o, "serious", self.serious)
        if self.onset_mean_days is not None and not self.onset_mean_days > 0:
            raise _fail(o, "onset_mean_days", "None or a number > 0", self.onset_mean_days)
        sev = tuple(self.severity)
        if len(sev) != 3 or any(not 0 <= p <= 1 for p in sev) or abs(sum(sev) - 1) > 1e-9:
            raise _fail(o, "severity", "three probabilities (MILD, MODERATE, SEVERE) summing to 1",
                        self.severity)


@dataclass(frozen=True, kw_only=True)
class Treatment:
    """A treatment's specific effect, beyond the placebo response, and its harms.

    Parameters
    ----------
    code : str
        Treatment code written to ``TRTA``/``TRT01P``/``TRTSEQP`` (no ``-``).
    effect : float
        Mean specific proportional change of the pain level at full effect,
        over all subjects (``-0.06`` is a further 6 % reduction).
    effect_sd : float
        Between-subject SD of the specific effect among responders.
    responder_share : float
        Share of subjects whose pain responds to the drug at all; responders
        draw their effect from a normal distribution with mean
        ``effect / responder_share``, the others get none.  Heterogeneous
        response makes responder rates differ more than mean changes do.
    onset_days : int
        Days from the first dose to full effect (titration: linear ramp).
    offset_days : int
        Days for the effect to wear off after the last dose (linear decline).
    adverse_events : tuple of AdverseEvent
        Events that may occur during each exposure.
    ae_stop_risk : float
        Probability that a subject stops the treatment because of an adverse
        event during an exposure.
    """

    code: str
    effect: float = 0.0
    effect_sd: float = 0.0
    responder_share: float = 1.0
    onset_days: int = 1
    offset_days: int = 1
    adverse_events: tuple[AdverseEvent, ...] = ()
    ae_stop_risk: float = 0.0

    def __post_init__(self) -> None:
        _check_code("Treatment", "code", self.code)
        o = f"Treatment({self.code!r})"
        _check_nonneg(o, "effect_sd", self.effect_sd)
        if not 0.0 < self.responder_share <= 1.0:
            raise _fail(o, "responder_share", "a share in (0, 1]", self.responder_share)
        _check_int(o, "onset_days", self.onset_days, 1)
        _check_int(o, "offset_days", self.offset_days, 1)
        _check_prob(o, "ae_stop_risk", self.ae_stop_risk)
        object.__setattr__(self, "adverse_events", tuple(self.adverse_events))
        names = [ae.decod for ae in self.adverse_events]
        if len(set(names)) != len(names):
            raise _fail(o, "adverse_events", "distinct AEDECOD terms", names)


@dataclass(frozen=True, kw_only=True)
class Dropout:
    """Leaving the study early (after randomization).

    Parameters
    ----------
    rate : float
        Probability of leaving before the end of the trial when the hazard
        does not depend on pain (the MCAR rate); it sets the baseline daily
        hazard ``h0 = 1 - (1 - rate) ** (1 / days)``.
    mechanism : {"MCAR", "MAR", "MNAR"}
        ``MCAR``: constant hazard.  ``MAR``: the hazard depends on the mean
        of the ratings *recorded* over the previous 7 days.  ``MNAR``: it
        depends on the subject's latent pain on the day of leaving, which is
        never recorded.
    strength : float
        Log hazard ratio per ``within_sd`` of pain above the population
        baseline mean (MAR and MNAR only; realized rates then differ from
        ``rate``).
    """

    rate: float = 0.0
    mechanism: Literal["MCAR", "MAR", "MNAR"] = "MCAR"
    strength: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate < 1.0:
            raise _fail("Dropout", "rate", "a probability in [0, 1)", self.rate)
        if self.mechanism not in ("MCAR", "MAR", "MNAR"):
            raise _fail("Dropout", "mechanism", "one of 'MCAR', 'MAR', 'MNAR'", self.mechanism)
        if not math.isfinite(self.strength):
            raise _fail("Dropout", "strength", "a finite number", self.strength)
        if self.mechanism == "MCAR" and self.strength != 0:
            raise _fail("Dropout", "strength", "0 for MCAR dropout", self.strength)
