"""The derivation rules: one frozen object holding every choice a derivation makes.

A biostatistician should be able to read a :class:`DeriveRules` and know exactly
how BASE, AVAL, CHG, PCHG, the responder flags and ANL01FL were obtained; the
defaults follow the pain-trial conventions in ``LITERATURE.md`` (IMMPACT weekly
means with a 4-of-7 rule; Younger 2013 for crossovers).

Examples
--------
>>> from ldn_stats.derive.rules import DeriveRules, VisitWindow
>>> rules = DeriveRules()
>>> rules.baseline_window, rules.baseline_min_ratings, rules.week_min_days
((-7, -1), 4, 4)
>>> DeriveRules(week_min_days=5).week_min_days
5
>>> DeriveRules(week_min_days=8)
Traceback (most recent call last):
...
ldn_stats.errors.SpecError: DeriveRules.week_min_days: expected an integer in 1..7 ...
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

from ldn_stats.errors import SpecError

__all__ = ["DeriveRules", "VisitWindow", "study_day_index", "week_visit_windows"]


def study_day_index(ady):
    """Map study days (no day 0) onto a gap-free day index.

    ADaM study days jump from -1 to 1, so ``ADY`` is not a count of days. The
    index is ``ADY`` for days before the first dose and ``ADY - 1`` from day 1
    on, so day -1 maps to -1 and day 1 to 0 and every calendar day moves the
    index by exactly one.

    Parameters
    ----------
    ady : int or numpy.ndarray
        Study day(s); never 0.

    Returns
    -------
    int or numpy.ndarray
        The day index, same shape as ``ady``.

    Examples
    --------
    >>> import numpy as np
    >>> study_day_index(np.array([-2, -1, 1, 2])).tolist()
    [-2, -1, 0, 1]
    """
    return ady - (ady > 0)


@dataclass(frozen=True)
class VisitWindow:
    """An analysis-visit window for visit-level (non-daily) records.

    Parameters
    ----------
    avisit : str
        Analysis visit label, e.g. ``"Week 4"``.
    avisitn : int
        Analysis visit number (orders the visits; must be unique).
    lo, hi : int
        First and last study day (inclusive) that fall into the window.
    target : int, optional
        Target study day; the record nearest to it is used when a window holds
        several ratings (default: ``hi``).

    Examples
    --------
    >>> VisitWindow("Week 4", 4, 22, 35, target=28).target
    28
    """

    avisit: str
    avisitn: int
    lo: int
    hi: int
    target: int | None = None

    def __post_init__(self) -> None:
        if self.lo == 0 or self.hi == 0 or self.lo > self.hi:
            raise SpecError(
                f"VisitWindow {self.avisit!r}: expected study days lo <= hi, neither 0, "
                f"found lo={self.lo}, hi={self.hi}"
            )
        if self.target is not None and not self.lo <= self.target <= self.hi:
            raise SpecError(
                f"VisitWindow {self.avisit!r}: expected target within {self.lo}..{self.hi}, "
                f"found {self.target}"
            )

    @property
    def target_day(self) -> int:
        """The target study day (``target`` or, when unset, ``hi``)."""
        return self.hi if self.target is None else self.target


def week_visit_windows(
    weeks: list[int] | tuple[int, ...], last_day: int | None = None
) -> tuple[VisitWindow, ...]:
    """Analysis windows around scheduled weekly visits, split at the midpoints.

    Parameters
    ----------
    weeks : sequence of int
        Scheduled visit weeks after the first dose, increasing (e.g. ``[2, 4, 8,
        12]``). Visit ``w`` is labelled ``"Week w"``, numbered ``w`` and targets
        study day ``7w``.
    last_day : int, optional
        Last study day of the last window. Default: the last target plus half
        the distance from the previous target (rounded down).

    Returns
    -------
    tuple of VisitWindow
        Contiguous windows: the first starts on day 1, each ends on the
        midpoint day between its target and the next (rounded down), so every
        on-treatment day up to ``last_day`` belongs to exactly one window.

    Examples
    --------
    >>> [(w.avisit, w.lo, w.target, w.hi) for w in week_visit_windows([2, 4, 8])]
    [('Week 2', 1, 14, 21), ('Week 4', 22, 28, 42), ('Week 8', 43, 56, 70)]
    """
    weeks = [int(w) for w in weeks]
    if not weeks or weeks[0] < 1 or any(b <= a for a, b in itertools.pairwise(weeks)):
        raise SpecError(f"week_visit_windows: expected increasing weeks >= 1, found {weeks}")
    targets = [7 * w for w in weeks]
    if last_day is None:
        previous = targets[-2] if len(targets) > 1 else 0
        last_day = targets[-1] + (targets[-1] - previous) // 2
    if last_day < targets[-1]:
        raise SpecError(
            f"week_visit_windows: expected last_day >= {targets[-1]} (the last target), "
            f"found {last_day}"
        )
    ends = [(a + b) // 2 for a, b in itertools.pairwise(targets)] + [last_day]
    starts = [1] + [e + 1 for e in ends[:-1]]
    return tuple(
        VisitWindow(f"Week {w}", w, lo, hi, target=t)
        for w, lo, hi, t in zip(weeks, starts, ends, targets, strict=True)
    )


@dataclass(frozen=True)
class DeriveRules:
    """Every rule the derivations use, with the pain-trial defaults.

    Parameters
    ----------
    baseline_window : tuple of int
        Study days (inclusive) whose ratings are averaged into BASE for parallel
        designs. Default ``(-7, -1)``: the week before the first dose.
    baseline_min_ratings : int
        Fewest non-missing ratings in the baseline window for BASE to exist;
        otherwise BASE is missing and every record of the subject gets
        ``ANL01FL = "N"``. Default 4. Applies to parallel and crossover study
        baselines alike.
    baseline_method : {"mean", "last"}
        ``"mean"`` (default): BASE is the mean of the window's ratings.
        ``"last"``: BASE is the window's last rating (the ADaM "last
        non-missing value before the first dose", usual for visit-level data;
        pair it with ``baseline_min_ratings=1``). Applies to parallel and
        crossover study baselines.
    week_length : int
        Days per analysis week. Week ``w`` covers study days
        ``week_length*(w-1)+1 .. week_length*w``. Default 7.
    week_min_days : int
        Fewest rated days for a weekly mean; with fewer, AVAL is missing
        (NDAYS still counts the rated days). Default 4 (of 7), as IMMPACT.
    n_weeks : int, optional
        Planned number of analysis weeks. Default ``None``: the week of the
        latest on-treatment study day (``ADY >= 1``) in the parameter's records,
        over all subjects. Records after the last planned week are ignored.
    visit_windows : tuple of VisitWindow, optional
        Set this when the records are visit-level (one per visit, not daily);
        mappings with the VisitWindow fields are accepted (as from a TOML spec):
        each record is mapped to the window holding its study day and AVAL is
        the rating nearest the window's target day (ties: the earlier day).
        Default ``None``: records are daily diaries summarised by week. With
        visit-level data lower ``baseline_min_ratings`` (often to 1).
    crit1_pchg, crit2_pchg : float
        Responder thresholds on PCHG: ``CRIT1FL = "Y"`` when
        ``PCHG <= crit1_pchg`` (default -30: at least a 30% reduction) and
        ``CRIT2FL`` likewise with ``crit2_pchg`` (default -50). Which flags a
        parameter has, and in which direction, comes from its entry in the
        parameter catalogue (:mod:`ldn_stats.parameters`); a value set away
        from its default replaces the threshold of a relative CRIT1FL /
        CRIT2FL definition there.
    responder_tolerance : float
        Percentage points of slack in the responder comparison
        (``PCHG <= threshold + tolerance``) so that a reduction of exactly 30%
        is not lost to binary floating point (``100 * (4.2 - 6) / 6`` is
        ``-29.999999999999996``). Default ``1e-9``.
    population_flag : str
        ADSL flag column whose ``"Y"`` subjects enter analyses (ANL01FL).
        Default ``"ITTFL"``.
    crossover_baseline : {"study", "period", "none"}
        BASE of a crossover period: the study baseline (mean of
        ``crossover_baseline_window``, the same value for every period; default),
        a period baseline (mean of the last ``period_baseline_days`` days
        before the period's first day, washout days included), or ``"none"``:
        no baseline, the periods are analysed on AVAL (BASE, CHG, PCHG absent).
        A study baseline whose window holds no rated record outside the
        periods for any subject is absent too: a baseline is never invented.
    crossover_baseline_window : tuple of int
        Study-baseline window of crossover trials. Default ``(-14, -1)``: the 14
        baseline days of Younger 2013.
    period_baseline_days : int
        Days before a period's first day averaged into a period baseline.
        Default 7.
    period_baseline_min_ratings : int
        Fewest ratings for a period baseline. Default 4.
    period_last_k : int
        The period endpoint (crossover AVAL) is the mean of the last
        ``period_last_k`` rated days of the period. Default 3 (Younger 2013).
    period_min_ratings : int
        Fewest rated days (at most ``period_last_k``) for a period endpoint;
        otherwise AVAL is missing. Default 3: exactly the last three ratings.
    period_endpoint_days : int, optional
        When set, only the last ``period_endpoint_days`` days of the subject's
        period (ending at its last record in that period) may contribute to the
        endpoint, so a subject who stopped rating early in a period does not get
        an "end of period" value from its first weeks. Default ``None``: any day
        of the period.
    sequence_separator : str
        Separator of treatments in TRTSEQP. Default ``"-"`` (``"LDN-PBO"``).
    study_day_factor : float or None
        Plausibility of on-treatment study days: a day later than this many
        times the trial's span (the median over subjects of the last
        on-treatment day, at least a week) is refused as a typo before the
        weekly grid is built. Default ``4.0``; ``None`` switches the rule off.

    Notes
    -----
    Windows given as lists (TOML arrays) are stored as tuples and thresholds
    as floats, so equal rules compare and hash equal. The rules are checked on
    construction; an impossible combination raises
    :class:`ldn_stats.errors.SpecError` naming the field, what was expected and
    what was found.

    Examples
    --------
    >>> DeriveRules(crossover_baseline="period", period_baseline_days=14).crossover_baseline
    'period'
    """

    baseline_window: tuple[int, int] = (-7, -1)
    baseline_min_ratings: int = 4
    baseline_method: Literal["mean", "last"] = "mean"
    week_length: int = 7
    week_min_days: int = 4
    n_weeks: int | None = None
    visit_windows: tuple[VisitWindow, ...] | None = None
    crit1_pchg: float = -30.0
    crit2_pchg: float = -50.0
    responder_tolerance: float = 1e-9
    population_flag: str = "ITTFL"
    crossover_baseline: Literal["study", "period", "none"] = "study"
    crossover_baseline_window: tuple[int, int] = (-14, -1)
    period_baseline_days: int = 7
    period_baseline_min_ratings: int = 4
    period_last_k: int = 3
    period_min_ratings: int = 3
    period_endpoint_days: int | None = None
    sequence_separator: str = "-"
    study_day_factor: float | None = 4.0

    def __post_init__(self) -> None:
        for name in ("baseline_window", "crossover_baseline_window"):
            window = getattr(self, name)
            if isinstance(window, list):  # TOML arrays arrive as lists
                window = tuple(window)
                object.__setattr__(self, name, window)
            _check_window(name, window)
        _check_int("baseline_min_ratings", self.baseline_min_ratings, 1)
        if self.baseline_method not in ("mean", "last"):
            raise SpecError(
                "DeriveRules.baseline_method: expected 'mean' or 'last', "
                f"found {self.baseline_method!r}"
            )
        _check_int("week_length", self.week_length, 1)
        _check_int("week_min_days", self.week_min_days, 1, self.week_length, "week_length")
        if self.n_weeks is not None:
            _check_int("n_weeks", self.n_weeks, 1)
        if self.visit_windows is not None:
            windows = _visit_windows(self.visit_windows)
            _check_visit_windows(windows)
            object.__setattr__(self, "visit_windows", windows)
        for name in ("crit1_pchg", "crit2_pchg", "responder_tolerance"):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value)):
                raise SpecError(f"DeriveRules.{name}: expected a finite number, found {value!r}")
            object.__setattr__(self, name, float(value))
        if not 0 <= self.responder_tolerance < 1:
            raise SpecError(
                "DeriveRules.responder_tolerance: expected a number in [0, 1), "
                f"found {self.responder_tolerance!r}"
            )
        if self.crossover_baseline not in ("study", "period", "none"):
            raise SpecError(
                "DeriveRules.crossover_baseline: expected 'study', 'period' or 'none', "
                f"found {self.crossover_baseline!r}"
            )
        _check_int("period_baseline_days", self.period_baseline_days, 1)
        _check_int(
            "period_baseline_min_ratings",
            self.period_baseline_min_ratings,
            1,
            self.period_baseline_days,
            "period_baseline_days",
        )
        _check_int("period_last_k", self.period_last_k, 1)
        _check_int(
            "period_min_ratings", self.period_min_ratings, 1, self.period_last_k, "period_last_k"
        )
        if self.period_endpoint_days is not None:
            _check_int("period_endpoint_days", self.period_endpoint_days, 1)
        if not isinstance(self.population_flag, str) or not self.population_flag:
            raise SpecError(
                "DeriveRules.population_flag: expected an ADSL column name, "
                f"found {self.population_flag!r}"
            )
        factor = self.study_day_factor
        if factor is not None and (isinstance(factor, bool) or not isinstance(factor, int | float)
                                   or not math.isfinite(factor) or factor < 1):
            raise SpecError("DeriveRules.study_day_factor: expected a finite number >= 1 (or "
                            f"none), found {factor!r}")
        if not isinstance(self.sequence_separator, str) or not self.sequence_separator:
            raise SpecError(
                "DeriveRules.sequence_separator: expected a non-empty string, "
                f"found {self.sequence_separator!r}"
            )


def _check_int(
    name: str, value: object, lo: int, hi: int | None = None, hi_name: str | None = None
) -> None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= lo
    if ok and hi is not None:
        ok = value <= hi
    if not ok:
        bound = f"{lo}..{hi} ({hi_name})" if hi is not None else f">= {lo}"
        raise SpecError(f"DeriveRules.{name}: expected an integer in {bound}, found {value!r}")


def _check_window(name: str, window: object) -> None:
    ok = (
        isinstance(window, tuple)
        and len(window) == 2
        and all(isinstance(d, int) and not isinstance(d, bool) for d in window)
        and 0 not in window
        and window[0] <= window[1]
    )
    if not ok:
        raise SpecError(
            f"DeriveRules.{name}: expected a (first, last) pair of study days, first <= last, "
            f"neither 0, found {window!r}"
        )
    if window[1] > 0:
        raise SpecError(
            f"DeriveRules.{name}: a baseline window must end before the first dose (study "
            f"day -1 or earlier), found {window!r}, which reaches into treatment days"
        )


def _visit_windows(windows: object) -> tuple:
    """Windows as a tuple of VisitWindow; mappings (from a TOML spec) are converted."""
    if isinstance(windows, str | bytes) or not hasattr(windows, "__iter__"):
        return (windows,)  # refused by _check_visit_windows
    out = []
    for window in windows:
        if isinstance(window, dict):
            try:
                window = VisitWindow(**window)
            except TypeError as exc:
                raise SpecError(
                    "DeriveRules.visit_windows: expected keys avisit, avisitn, lo, hi and "
                    f"optionally target, found {sorted(window)} ({exc})"
                ) from None
        out.append(window)
    return tuple(out)


def _check_visit_windows(windows: tuple[VisitWindow, ...]) -> None:
    if not windows or not all(isinstance(w, VisitWindow) for w in windows):
        raise SpecError(
            "DeriveRules.visit_windows: expected a non-empty tuple of VisitWindow, "
            f"found {windows!r}"
        )
    numbers = [w.avisitn for w in windows]
    labels = [w.avisit for w in windows]
    if len(set(numbers)) != len(numbers) or len(set(labels)) != len(labels):
        raise SpecError(
            "DeriveRules.visit_windows: expected unique AVISIT labels and AVISITN numbers, "
            f"found {labels} / {numbers}"
        )
    ordered = sorted(windows, key=lambda w: w.lo)
    for a, b in itertools.pairwise(ordered):
        if b.lo <= a.hi:
            raise SpecError(
                f"DeriveRules.visit_windows: expected non-overlapping windows, found "
                f"{a.avisit!r} ({a.lo}..{a.hi}) overlapping {b.avisit!r} ({b.lo}..{b.hi})"
            )
