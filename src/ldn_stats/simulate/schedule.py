"""Day-by-day schedule of one arm or sequence: study day, period, treatment.

A :class:`Schedule` is the plan every subject of a group follows: index ``j``
runs over the diary days from the first run-in day; ``ady[j]`` is the ADaM
study day (run-in ``-R .. -1``, first dose day 1, no day 0), ``aperiod[j]``
the crossover period (0 outside periods and in parallel designs), and
``trta[j]`` the planned treatment (``""`` in run-in, washout and follow-up).

Examples
--------
>>> from ldn_stats.simulate.design import CrossoverDesign
>>> d = CrossoverDesign(sequences=("A-B", "B-A"), allocation=(2, 2),
...                     period_days=(3, 2), washout_days=(1,), run_in_days=2)
>>> s = group_schedules(d)["B-A"]
>>> s.ady.tolist()
[-2, -1, 1, 2, 3, 4, 5, 6]
>>> s.trta.tolist()
['', '', 'B', 'B', 'B', '', 'A', 'A']
>>> s.aperiod.tolist()
[0, 0, 1, 1, 1, 0, 2, 2]
>>> s.exposures
(Exposure(code='B', start=2, stop=5, period=1), Exposure(code='A', start=6, stop=8, period=2))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn_stats.simulate.design import CrossoverDesign, ParallelDesign, TrialDesign
from ldn_stats.vocabulary import Sequence

__all__ = ["Exposure", "Schedule", "effect_level", "group_schedules", "study_day"]


@dataclass(frozen=True)
class Exposure:
    """One planned stretch of a treatment: day indices ``start`` to ``stop - 1``."""

    code: str
    start: int
    stop: int
    period: int


@dataclass(frozen=True)
class Schedule:
    """Planned days of one arm (parallel) or sequence (crossover)."""

    group: str
    ady: np.ndarray
    aperiod: np.ndarray
    trta: np.ndarray
    exposures: tuple[Exposure, ...]
    run_in_days: int

    @property
    def n_days(self) -> int:
        """Number of diary days, run-in included."""
        return int(self.ady.size)


def study_day(index: np.ndarray | int, run_in_days: int) -> np.ndarray | int:
    """Convert day indices (0 = first run-in day) to ADaM study days (no day 0).

    Examples
    --------
    >>> study_day(np.arange(4), run_in_days=2).tolist()
    [-2, -1, 1, 2]
    """
    rel = np.asarray(index) - run_in_days
    out = np.where(rel >= 0, rel + 1, rel)
    return int(out) if np.ndim(out) == 0 else out


def _build(group: str, run_in: int, segments: list[tuple[str, int, int]]) -> Schedule:
    """Segments are ``(code or "", days, period)`` after the run-in."""
    n = run_in + sum(days for _, days, _ in segments)
    trta = np.full(n, "", dtype=object)
    aperiod = np.zeros(n, dtype=np.int64)
    exposures = []
    j = run_in
    for code, days, period in segments:
        if code:
            trta[j:j + days] = code
            aperiod[j:j + days] = period
            exposures.append(Exposure(code, j, j + days, period))
        j += days
    ady = study_day(np.arange(n), run_in)
    return Schedule(group, ady.astype(np.int64), aperiod, trta, tuple(exposures), run_in)


def group_schedules(design: TrialDesign) -> dict[str, Schedule]:
    """Return the planned schedule of each arm or sequence, in design order.

    Parameters
    ----------
    design : ParallelDesign or CrossoverDesign

    Returns
    -------
    dict of str to Schedule
        Keyed by arm code (parallel) or sequence (crossover).
    """
    out: dict[str, Schedule] = {}
    if isinstance(design, ParallelDesign):
        for arm in design.arms:
            segs = [(arm, 7 * design.weeks, 0)]
            if design.follow_up_days:
                segs.append(("", design.follow_up_days, 0))
            out[arm] = _build(arm, design.run_in_days, segs)
    elif isinstance(design, CrossoverDesign):
        for seq in design.sequences:
            segs = []
            for k, code in enumerate(Sequence.parse(seq).treatments, start=1):
                segs.append((code, design.days_of(seq, k), k))
                if k <= len(design.washout_days) and design.washout_days[k - 1]:
                    segs.append(("", design.washout_days[k - 1], 0))
            out[seq] = _build(seq, design.run_in_days, segs)
    else:  # pragma: no cover - TrialDesign itself is abstract
        raise TypeError(f"unsupported design type {type(design).__name__}")
    return out


def effect_level(on: np.ndarray, onset_days: int, offset_days: int) -> np.ndarray:
    """Fraction of full effect on each day given the days on treatment.

    The level rises by ``1 / onset_days`` on each treated day (titration) and
    falls by ``1 / offset_days`` on each untreated day, within [0, 1].

    Examples
    --------
    >>> on = np.array([0, 1, 1, 1, 0, 0], dtype=bool)
    >>> effect_level(on, onset_days=2, offset_days=2).tolist()
    [0.0, 0.5, 1.0, 1.0, 0.5, 0.0]
    """
    level = np.zeros(on.size)
    current = 0.0
    up, down = 1.0 / onset_days, 1.0 / offset_days
    for j, is_on in enumerate(on):
        current = min(1.0, current + up) if is_on else max(0.0, current - down)
        level[j] = current
    return level
