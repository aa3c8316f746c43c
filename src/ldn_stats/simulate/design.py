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
>>> from ldn_stats.simulate.components import NRS, Treatment
>>> from ldn_stats.simulate.design import ParallelDesign
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

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from ldn_stats.errors import SpecError
from ldn_stats.simulate._checks import _check_code, _check_int, _fail
from ldn_stats.simulate.components import (
    NRS,
    Dropout,
    PlaceboResponse,
    Population,
    Scale,
    Treatment,
)
from ldn_stats.vocabulary import SEQUENCE_SEPARATOR, Sequence

__all__ = ["CrossoverDesign", "ParallelDesign", "TrialDesign"]


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
    ae_leave_share : float
        With ``ae_withdrawal="treatment"``: the share of subjects stopping treatment
        for an adverse event who also leave the study that day (``DCSREAS =
        "ADVERSE EVENT"``, no diary afterwards); the others keep their diary off
        treatment. Drawn from its own random stream, so the other draws of a seed
        do not change with it.
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
    ae_leave_share: float = 0.0

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
        share = self.ae_leave_share
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            raise _fail(o, "ae_leave_share", "a share in [0, 1]", share)

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
        split = [s.split(SEQUENCE_SEPARATOR) if isinstance(s, str) else [] for s in self.sequences]
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
        return Sequence.parse(self.sequences[0]).n_periods

    @property
    def n_subjects(self) -> int:
        """Number of randomized subjects."""
        return sum(self.allocation)

    def days_of(self, sequence: str, period: int) -> int:
        """Length in days of ``period`` (1-based) of ``sequence``."""
        code = Sequence.parse(sequence).treatment_in(period)
        if isinstance(self.period_days, Mapping):
            return int(self.period_days[code])
        return int(self.period_days[period - 1])
