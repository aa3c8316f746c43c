"""Baseline: the mean of the pre-dose ratings in a window of study days.

Examples
--------
>>> import pandas as pd
>>> from types import SimpleNamespace
>>> from ldn_stats.derive.baseline import derive_baseline
>>> adsl = pd.DataFrame({"USUBJID": ["01", "02"], "SITEID": "S1", "AGE": [40, 50],
...                      "SEX": "F", "ITTFL": "Y", "TRT01P": ["A", "B"]})
>>> adeff = pd.DataFrame({"USUBJID": ["01"] * 4 + ["02"] * 3, "PARAMCD": "PAINNRS",
...                       "ADY": [-4, -3, -2, -1, -3, -2, -1],
...                       "AVAL": [6, 7, 5, 6, 3, 4, 5]})
>>> trial = SimpleNamespace(adsl=adsl, adeff=adeff, design="parallel")
>>> derive_baseline(trial)
  USUBJID  NBASE  BASE
0      01      4   6.0
1      02      3   NaN
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.derive._inputs import _load, _window_mean
from ldn_stats.derive.rules import DeriveRules, _check_window

__all__ = ["derive_baseline"]


def derive_baseline(
    trial: object,
    param: str = "PAINNRS",
    rules: DeriveRules = DeriveRules(),  # noqa: B008 - frozen, immutable default
    window: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Baseline of every subject: the mean of the ratings in a pre-dose window.

    Parameters
    ----------
    trial : Trial or object with ``.adsl``, ``.adeff`` and ``.design``
        The trial; ``adsl`` needs USUBJID, SITEID, AGE, SEX, ITTFL and TRT01P
        (parallel) or TRTSEQP (crossover).
    param : str
        PARAMCD of the ratings, default ``"PAINNRS"``.
    rules : DeriveRules
        ``baseline_min_ratings`` is the fewest ratings for a baseline;
        ``baseline_window`` (parallel) or ``crossover_baseline_window``
        (crossover) the window, unless ``window`` is given.
    window : tuple of int, optional
        First and last study day of the window, overriding the rules.

    Returns
    -------
    pandas.DataFrame
        One row per ADSL subject, sorted by USUBJID: ``USUBJID``, ``NBASE``
        (number of non-missing ratings in the window) and ``BASE`` (their mean,
        missing when ``NBASE < baseline_min_ratings``).

    Raises
    ------
    ldn_stats.errors.SpecError
        ``param`` has no records.
    ldn_stats.errors.ValidationError
        A required column is missing, an ADY is not a non-zero integer, or a
        record is duplicated or belongs to no ADSL subject.

    Notes
    -----
    ``BASE_i = mean{AVAL_id : lo <= ADY_id <= hi, AVAL_id not missing}`` when at
    least ``baseline_min_ratings`` such ratings exist, else missing; with
    ``rules.baseline_method == "last"`` the latest such rating instead of the
    mean. The window
    is in study days, which have no day 0. Validated against hand computation
    (``tests/derive/test_derive_baseline.py``).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> adsl = pd.DataFrame({"USUBJID": ["01"], "SITEID": "S1", "AGE": [40], "SEX": "F",
    ...                      "ITTFL": "Y", "TRT01P": ["A"]})
    >>> adeff = pd.DataFrame({"USUBJID": "01", "PARAMCD": "PAINNRS",
    ...                       "ADY": [-3, -2, -1, 1], "AVAL": [4, 5, 6, 2]})
    >>> trial = SimpleNamespace(adsl=adsl, adeff=adeff, design="parallel")
    >>> derive_baseline(trial, rules=DeriveRules(baseline_min_ratings=3))["BASE"].tolist()
    [5.0]
    """
    crossover = getattr(trial, "design", None) == "crossover"
    design_column = "TRTSEQP" if crossover else "TRT01P"
    if window is None:
        window = rules.crossover_baseline_window if crossover else rules.baseline_window
    else:
        _check_window("window", tuple(window))
    data = _load(trial, param, design_column, rules.population_flag, periods=False)
    base, nbase = _study_baseline(data.code, data.ady, data.aval, data.n_subjects,
                                  window, rules.baseline_min_ratings, rules.baseline_method)
    return pd.DataFrame({"USUBJID": data.adsl["USUBJID"], "NBASE": nbase, "BASE": base})


def _study_baseline(
    code: np.ndarray,
    ady: np.ndarray,
    aval: np.ndarray,
    n_subjects: int,
    window: tuple[int, int],
    min_ratings: int,
    method: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline and count of each subject's ratings with ``window[0] <= ADY <= window[1]``.

    ``method="mean"``: their mean; ``"last"``: the latest of them (records are
    sorted by subject then day). Missing where the count is below ``min_ratings``.
    """
    lo, hi = window
    include = (ady >= lo) & (ady <= hi)
    mean, count = _window_mean(code, aval, include, n_subjects, min_ratings)
    if method == "mean":
        return mean, count
    rated = np.flatnonzero(include & ~np.isnan(aval))
    last = np.full(n_subjects, np.nan)
    owner = code[rated]
    is_last = np.r_[owner[1:] != owner[:-1], True] if rated.size else np.zeros(0, dtype=bool)
    last[owner[is_last]] = aval[rated[is_last]]
    return np.where(count >= min_ratings, last, np.nan), count


def _days_before_mean(
    code: np.ndarray,
    day: np.ndarray,
    aval: np.ndarray,
    start_day: np.ndarray,
    n_days: int,
    min_ratings: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and count of the ratings in the ``n_days`` days before each subject's start.

    ``day`` and ``start_day`` are gap-free day indexes (see
    :func:`ldn_stats.derive.rules.study_day_index`), ``start_day`` one entry per
    subject (a sentinel below every record's day index where there is no start,
    giving an empty window).
    """
    start = start_day[code]
    include = (day >= start - n_days) & (day <= start - 1)
    return _window_mean(code, aval, include, len(start_day), min_ratings)



def given_baseline(data) -> tuple[np.ndarray, str] | None:
    """BASE as the data give it: the BASE column, else the AVAL of the ABLFL = Y record.

    Returns ``(base per subject, rule in words)`` or ``None`` when adeff gives
    neither (then the baseline is derived, or absent).
    """
    n = data.n_subjects
    if data.given and "BASE" in data.given:
        values = data.given["BASE"]
        base = np.full(n, np.nan)
        known = ~np.isnan(values)
        base[data.code[known]] = values[known]  # one BASE per subject (validated)
        if data.ablfl is not None:
            flagged = data.ablfl & ~np.isnan(data.aval)
            fill = np.isnan(base[data.code[flagged]])
            base[data.code[flagged][fill]] = data.aval[flagged][fill]
        return base, "BASE empty in adeff (and no rated baseline record, ABLFL = Y)"
    if data.ablfl is not None and data.ablfl.any():
        base = np.full(n, np.nan)
        flagged = data.ablfl & ~np.isnan(data.aval)
        base[data.code[flagged]] = data.aval[flagged]
        return base, "no rated baseline record (ABLFL = Y) in adeff"
    return None
