"""Analysis visits of parallel trials: weekly means of daily ratings, or visit windows.

Both functions work on flat arrays (one entry per record) and return
``(n_subjects, n_visits)`` arrays, so a million-row diary takes one
``numpy.bincount`` pass.

Examples
--------
>>> import numpy as np
>>> from ldn_stats.derive.weekly import weekly_means
>>> code = np.zeros(9, dtype=np.int64)           # one subject
>>> ady = np.arange(1, 10)                       # days 1..9
>>> aval = np.array([5, 5, 4, 4, 6, np.nan, np.nan, 3, 3], dtype=float)
>>> aval_w, ndays = weekly_means(code, ady, aval, n_subjects=1, n_weeks=2)
>>> aval_w.tolist(), ndays.tolist()
([[4.8, nan]], [[5, 2]])
"""

from __future__ import annotations

import numpy as np

from ldn_stats.derive._inputs import _window_mean
from ldn_stats.derive.rules import VisitWindow, study_day_index

__all__ = ["planned_weeks", "visit_window_values", "weekly_means"]


def planned_weeks(ady: np.ndarray, week_length: int = 7) -> int:
    """Number of analysis weeks reaching the latest on-treatment study day.

    Parameters
    ----------
    ady : numpy.ndarray
        Study days of the records (any subject).
    week_length : int
        Days per week.

    Returns
    -------
    int
        ``ceil(max(ADY >= 1) / week_length)``; 0 when no record is on treatment.

    Examples
    --------
    >>> planned_weeks(np.array([-3, 1, 14, 15]))
    3
    """
    on = ady[ady >= 1]
    return int(-(-on.max() // week_length)) if on.size else 0


def weekly_means(
    code: np.ndarray,
    ady: np.ndarray,
    aval: np.ndarray,
    n_subjects: int,
    n_weeks: int,
    week_length: int = 7,
    min_days: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Weekly means of daily ratings with a minimum-days rule.

    Parameters
    ----------
    code : numpy.ndarray of int
        Subject number (0..n_subjects-1) of each record.
    ady : numpy.ndarray of int
        Study day of each record.
    aval : numpy.ndarray of float
        Rating of each record, NaN when missing.
    n_subjects, n_weeks : int
        Shape of the result.
    week_length : int
        Days per week (7).
    min_days : int
        Fewest rated days for a weekly mean (4).

    Returns
    -------
    aval : numpy.ndarray, shape (n_subjects, n_weeks)
        Weekly mean, NaN when fewer than ``min_days`` days are rated.
    ndays : numpy.ndarray of int, shape (n_subjects, n_weeks)
        Rated days of the week.

    Notes
    -----
    Week ``w`` (1-based) covers study days ``L(w-1)+1 .. Lw`` with
    ``L = week_length``, so with weeks of 7 days day 7 is the last day of week 1
    and day 8 the first of week 2. Days before the first dose (ADY < 0) and
    after week ``n_weeks`` are not used. ``AVAL_iw = mean of the rated days``
    when at least ``min_days`` are rated, else missing (IMMPACT: a weekly mean
    counts when at least 4 of 7 days are rated). Validated against hand
    computation (``tests/derive/test_derive_weekly.py``).

    Examples
    --------
    >>> code = np.array([0, 0, 0, 1])
    >>> means, n = weekly_means(code, np.array([1, 7, 8, 2]), np.array([2., 4., 6., 1.]),
    ...                         n_subjects=2, n_weeks=2, min_days=1)
    >>> means.tolist(), n.tolist()
    ([[3.0, 6.0], [1.0, nan]], [[2, 1], [1, 0]])
    """
    week = (ady - 1) // week_length  # 0-based week, negative before the first dose
    include = (ady >= 1) & (week < n_weeks)
    cell = code * n_weeks + np.where(include, week, 0)
    mean, count = _window_mean(cell, aval, include, n_subjects * n_weeks, min_days)
    return mean.reshape(n_subjects, n_weeks), count.reshape(n_subjects, n_weeks)


def visit_window_values(
    code: np.ndarray,
    ady: np.ndarray,
    aval: np.ndarray,
    n_subjects: int,
    windows: tuple[VisitWindow, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Visit-level records mapped to analysis visits by study-day windows.

    Parameters
    ----------
    code, ady, aval : numpy.ndarray
        Subject number, study day and rating of each record (as in
        :func:`weekly_means`).
    n_subjects : int
        Number of subjects.
    windows : tuple of VisitWindow
        The analysis-visit windows, non-overlapping.

    Returns
    -------
    aval : numpy.ndarray, shape (n_subjects, len(windows))
        The rating used for each visit (columns in the order of ``windows``),
        NaN when the window holds no rating.
    ndays : numpy.ndarray of int
        Ratings used: 1, or 0 when none.

    Notes
    -----
    Among the rated records with ``lo <= ADY <= hi`` the one nearest the
    window's target day is used; on a tie the earlier day (the usual ADaM
    windowing convention). Distances are counted in calendar days (no day 0).

    Examples
    --------
    >>> w = (VisitWindow("Week 4", 4, 15, 42, target=28),)
    >>> values, n = visit_window_values(np.array([0, 0, 0]), np.array([-1, 26, 30]),
    ...                                 np.array([7., 5., 4.]), 1, w)
    >>> values.tolist(), n.tolist()
    ([[5.0]], [[1]])
    """
    values = np.full((n_subjects, len(windows)), np.nan)
    ndays = np.zeros((n_subjects, len(windows)), dtype=np.int64)
    day = study_day_index(ady)
    rated = ~np.isnan(aval)
    for j, window in enumerate(windows):
        inside = np.flatnonzero(rated & (ady >= window.lo) & (ady <= window.hi))
        if inside.size == 0:
            continue
        distance = np.abs(day[inside] - study_day_index(window.target_day))
        order = np.lexsort((ady[inside], distance, code[inside]))
        chosen = inside[order]
        first = np.ones(chosen.size, dtype=bool)
        first[1:] = code[chosen][1:] != code[chosen][:-1]
        chosen = chosen[first]
        values[code[chosen], j] = aval[chosen]
        ndays[code[chosen], j] = 1
    return values, ndays
