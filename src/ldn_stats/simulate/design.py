"""Frozen, validated descriptions of a simulated LDN pain trial.

A design says *what* is simulated: the pain scale, the population, the
non-specific (placebo) response, each treatment's specific effect and adverse
events, dropout, and the schedule (parallel arms or crossover sequences).
:func:`ldn_stats.simulate.simulate_trial` turns a design and a seed into
ADaM-style tables.  Every check happens when a design is built, so an invalid
design fails with a :class:`~ldn_stats.errors.SpecError` naming the field, the
expected value and the value found.

Examples
--------
>>> from ldn_stats.simulate.design import NRS, ParallelDesign, Treatment
>>> d = ParallelDesign(
...     arms=("LDN", "PBO"), allocation=(10, 10), weeks=4, scale=NRS,
...     treatments=(Treatment(code="LDN", effect=-0.1), Treatment(code="PBO")),
... )
>>> d.n_subjects, d.treatment("LDN").effect
(20, -0.1)
>>> ParallelDesign(arms=("LDN",), allocation=(5, 5), weeks=4)
Traceback (most recent call last):
...
ldn_stats.errors.SpecError: ParallelDesign.allocation: expected one count per arm (1), found 2
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ldn_stats.errors import SpecError

__all__ = [
    "NRS",
    "VAS",
    "AdverseEvent",
    "CrossoverDesign",
    "Dropout",
    "ParallelDesign",
    "PlaceboResponse",
    "Population",
    "Scale",
    "Treatment",
    "TrialDesign",
]

SEVERITIES: tuple[str, str, str] = ("MILD", "MODERATE", "SEVERE")


def _fail(owner: str, name: str, expected: str, found: object) -> SpecError:
    return SpecError(f"{owner}.{name}: expected {expected}, found {found!r}")


def _check_prob(owner: str, name: str, value: float) -> None:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise _fail(owner, name, "a probability in [0, 1]", value)


def _check_nonneg(owner: str, name: str, value: float) -> None:
    if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
        raise _fail(owner, name, "a finite number >= 0", value)


def _check_int(owner: str, name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(owner, name, f"an integer >= {minimum}", value)


def _check_code(owner: str, name: str, value: str) -> None:
    if not isinstance(value, str) or not value or "-" in value or value != value.strip():
        raise _fail(owner, name, "a non-empty treatment code without '-' or spaces", value)


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


def _default_population() -> Population:
    return Population(baseline_mean=6.0, baseline_sd=1.3, within_sd=1.6)


@dataclass(frozen=True, kw_only=True)
class TrialDesign:
    """Fields shared by every design; use :class:`ParallelDesign` or :class:`CrossoverDesign`.

    Parameters
    ----------
    name : str
        Label of the design (used in messages).
    study_id : str
        Prefix of ``USUBJID`` (``STUDY-SITE-NNNN``).
    n_sites : int
        Number of sites; subjects are assigned to sites at random.
    run_in_days : int
        Pre-dose diary days (study days ``-run_in_days .. -1``).
    scale : Scale
        The pain scale of the diary.
    population : Population
        Subject levels, day-to-day variation, entry criterion, demography.
    placebo_response : PlaceboResponse
        Non-specific improvement shared by all arms.
    treatments : tuple of Treatment
        Every treatment code used by the arms or sequences.
    dropout : Dropout
        Study discontinuation other than for adverse events.
    ae_withdrawal : {"treatment", "study"}
        What a stop for an adverse event ends: only the treatment (the diary
        continues with empty ``TRTA``; parallel designs only) or study
        participation (``DCSREAS = "ADVERSE EVENT"``).
    """

    name: str = "custom"
    study_id: str = "SIM"
    n_sites: int = 1
    run_in_days: int = 7
    scale: Scale = NRS
    population: Population = field(default_factory=_default_population)
    placebo_response: PlaceboResponse = field(default_factory=PlaceboResponse)
    treatments: tuple[Treatment, ...] = ()
    dropout: Dropout = field(default_factory=Dropout)
    ae_withdrawal: Literal["treatment", "study"] = "study"

    def _validate_common(self, codes_used: tuple[str, ...]) -> None:
        o = type(self).__name__
        if not isinstance(self.study_id, str) or not self.study_id or "-" in self.study_id:
            raise _fail(o, "study_id", "a non-empty identifier without '-'", self.study_id)
        _check_int(o, "n_sites", self.n_sites, 1)
        _check_int(o, "run_in_days", self.run_in_days, 1)
        for name, cls in (("scale", Scale), ("population", Population),
                          ("placebo_response", PlaceboResponse), ("dropout", Dropout)):
            if not isinstance(getattr(self, name), cls):
                raise _fail(o, name, f"a {cls.__name__}", getattr(self, name))
        object.__setattr__(self, "treatments", tuple(self.treatments))
        if not all(isinstance(t, Treatment) for t in self.treatments):
            raise _fail(o, "treatments", "a tuple of Treatment", self.treatments)
        defined = [t.code for t in self.treatments]
        if len(set(defined)) != len(defined):
            raise _fail(o, "treatments", "distinct treatment codes", defined)
        missing = sorted(set(codes_used) - set(defined))
        if self.treatments and missing:
            used = sorted(set(codes_used))
            raise _fail(o, "treatments", f"a Treatment for every code used {used}", defined)
        if not self.treatments:  # no effects given: inert treatments with those codes
            object.__setattr__(self, "treatments",
                               tuple(Treatment(code=c) for c in dict.fromkeys(codes_used)))
        if self.ae_withdrawal not in ("treatment", "study"):
            raise _fail(o, "ae_withdrawal", "'treatment' or 'study'", self.ae_withdrawal)

    def treatment(self, code: str) -> Treatment:
        """Return the :class:`Treatment` with this code."""
        for t in self.treatments:
            if t.code == code:
                return t
        raise SpecError(f"{type(self).__name__}: no treatment {code!r}; "
                        f"defined: {[t.code for t in self.treatments]}")


def _check_allocation(o: str, allocation: tuple[int, ...], n: int, what: str) -> tuple[int, ...]:
    allocation = tuple(allocation)
    if len(allocation) != n:
        raise SpecError(
            f"{o}.allocation: expected one count per {what} ({n}), found {len(allocation)}")
    for a in allocation:
        _check_int(o, "allocation", a, 1)
    return allocation


@dataclass(frozen=True, kw_only=True)
class ParallelDesign(TrialDesign):
    """A parallel-group trial: each subject gets one arm for the whole treatment phase.

    Parameters
    ----------
    arms : tuple of str
        Treatment codes of the arms (``TRT01P``).
    allocation : tuple of int
        Number of subjects randomized to each arm.
    weeks : int
        Length of the treatment phase (study days ``1 .. 7 * weeks``).
    follow_up_days : int
        Off-treatment diary days after the treatment phase (``TRTA`` empty).
    **common
        The fields of :class:`TrialDesign`.
    """

    arms: tuple[str, ...]
    allocation: tuple[int, ...]
    weeks: int
    follow_up_days: int = 0

    def __post_init__(self) -> None:
        o = "ParallelDesign"
        object.__setattr__(self, "arms", tuple(self.arms))
        if not self.arms:
            raise _fail(o, "arms", "at least one arm", self.arms)
        for a in self.arms:
            _check_code(o, "arms", a)
        if len(set(self.arms)) != len(self.arms):
            raise _fail(o, "arms", "distinct arm codes", self.arms)
        object.__setattr__(self, "allocation",
                           _check_allocation(o, self.allocation, len(self.arms), "arm"))
        _check_int(o, "weeks", self.weeks, 1)
        _check_int(o, "follow_up_days", self.follow_up_days, 0)
        self._validate_common(self.arms)

    @property
    def n_subjects(self) -> int:
        """Number of randomized subjects."""
        return sum(self.allocation)


@dataclass(frozen=True, kw_only=True)
class CrossoverDesign(TrialDesign):
    """A crossover trial: each subject follows a sequence of treatment periods.

    Parameters
    ----------
    sequences : tuple of str
        Sequences as ``TRTSEQP`` writes them, treatments per period joined by
        ``-`` (``("LDN-PBO", "PBO-LDN")`` for a 2x2; a Williams design lists
        every row of its square).  All have the same number of periods (>= 2).
    allocation : tuple of int
        Number of subjects randomized to each sequence.
    period_days : tuple of int or mapping of str to int
        Length of each period, by position (a tuple, one per period) or by
        treatment (a mapping code -> days, for unequal conditions such as
        12 weeks of LDN and 4 of placebo).
    washout_days : tuple of int
        Treatment-free days after each period: one per gap between periods,
        optionally one more for an off-treatment follow-up after the last.
    **common
        The fields of :class:`TrialDesign`; ``ae_withdrawal`` must be
        ``"study"``.
    """

    sequences: tuple[str, ...]
    allocation: tuple[int, ...]
    period_days: tuple[int, ...] | Mapping[str, int]
    washout_days: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        o = "CrossoverDesign"
        object.__setattr__(self, "sequences", tuple(self.sequences))
        if not self.sequences:
            raise _fail(o, "sequences", "at least one sequence", self.sequences)
        if len(set(self.sequences)) != len(self.sequences):
            raise _fail(o, "sequences", "distinct sequences", self.sequences)
        split = [s.split("-") if isinstance(s, str) else [] for s in self.sequences]
        n_periods = len(split[0])
        for s, parts in zip(self.sequences, split, strict=True):
            if len(parts) != n_periods or n_periods < 2:
                raise _fail(o, "sequences",
                            "sequences of one common length >= 2 periods like 'LDN-PBO'", s)
            for code in parts:
                _check_code(o, "sequences", code)
        object.__setattr__(self, "allocation",
                           _check_allocation(o, self.allocation, len(self.sequences), "sequence"))
        codes = tuple(dict.fromkeys(c for parts in split for c in parts))
        if isinstance(self.period_days, Mapping):
            days = dict(self.period_days)
            if set(days) != set(codes):
                raise _fail(o, "period_days", f"days for each treatment {sorted(codes)}",
                            sorted(days))
            for v in days.values():
                _check_int(o, "period_days", v, 1)
            object.__setattr__(self, "period_days", MappingProxyType(days))
        else:
            days_t = tuple(self.period_days)
            if len(days_t) != n_periods:
                raise _fail(o, "period_days", f"one length per period ({n_periods})", days_t)
            for v in days_t:
                _check_int(o, "period_days", v, 1)
            object.__setattr__(self, "period_days", days_t)
        washout = tuple(self.washout_days)
        if len(washout) not in (n_periods - 1, n_periods):
            raise _fail(o, "washout_days",
                        f"{n_periods - 1} gaps between periods (or {n_periods} with a follow-up)",
                        washout)
        for v in washout:
            _check_int(o, "washout_days", v, 0)
        object.__setattr__(self, "washout_days", washout)
        self._validate_common(codes)
        if self.ae_withdrawal != "study":
            raise _fail(o, "ae_withdrawal", "'study' (a crossover stop ends participation)",
                        self.ae_withdrawal)

    @property
    def n_periods(self) -> int:
        """Number of treatment periods per sequence."""
        return len(self.sequences[0].split("-"))

    @property
    def n_subjects(self) -> int:
        """Number of randomized subjects."""
        return sum(self.allocation)

    def days_of(self, sequence: str, period: int) -> int:
        """Length in days of ``period`` (1-based) of ``sequence``."""
        code = sequence.split("-")[period - 1]
        if isinstance(self.period_days, Mapping):
            return int(self.period_days[code])
        return int(self.period_days[period - 1])
