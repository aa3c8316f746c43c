"""The analysis table of a parallel-group trial: one row per subject x analysis week.

Examples
--------
>>> import pandas as pd
>>> from types import SimpleNamespace
>>> from ldn_stats.derive.parallel import derive_parallel
>>> adsl = pd.DataFrame({"USUBJID": ["01"], "SITEID": "S1", "AGE": [44], "SEX": "F",
...                      "ITTFL": "Y", "TRT01P": ["A"]})
>>> adeff = pd.DataFrame({"USUBJID": "01", "PARAMCD": "PAINNRS",
...                       "ADY": [-4, -3, -2, -1, 1, 2, 3, 4],
...                       "AVAL": [6, 6, 6, 6, 3, 3, 3, 3]})
>>> trial = SimpleNamespace(adsl=adsl, adeff=adeff, design="parallel")
>>> derive_parallel(trial)[["AVISIT", "NDAYS", "AVAL", "BASE", "PCHG", "CRIT2FL"]]
   AVISIT  NDAYS  AVAL  BASE  PCHG CRIT2FL
0  Week 1      4   3.0   6.0 -50.0       Y
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.derive._inputs import (
    ADSL_CARRIED,
    _check_design,
    _fail,
    _Inputs,
    _load,
    _number,
    is_visit_level,
)
from ldn_stats.derive.baseline import _study_baseline, given_baseline
from ldn_stats.derive.responders import derive_change, no_analysis_record
from ldn_stats.derive.rules import DeriveRules
from ldn_stats.derive.weekly import planned_weeks, visit_window_values, weekly_means
from ldn_stats.errors import DataError
from ldn_stats.parameters import Catalogue, Parameter
from ldn_stats.schemas.analysis import validate_analysis

__all__ = ["PARALLEL_COLUMNS", "derive_parallel"]

PARALLEL_COLUMNS = [
    "USUBJID", "SITEID", "AGE", "SEX", "ITTFL", "TRT01P", "PARAMCD", "AVISIT", "AVISITN",
    "NDAYS", "AVAL", "BASE", "CHG", "PCHG", "CRIT1FL", "CRIT2FL", "ANL01FL",
]


def parameter_of(trial: object, param: str, catalogue: Catalogue | None) -> Parameter:
    """The catalogue entry of ``param``: the given catalogue, the trial's, or the built-in one."""
    if catalogue is not None:
        return catalogue.get(param)
    found = getattr(trial, "catalogue", None)
    if isinstance(found, Catalogue):
        return found.get(param)
    from ldn_stats.parameters import builtin_catalogue

    return builtin_catalogue().get(param)


def _visit_grid(data: _Inputs, n: int) -> tuple[np.ndarray, ...]:
    """AVAL (and given CHG, PCHG) of each subject x analysis visit of visit-level records."""
    post = ~data.ablfl if data.ablfl is not None else np.ones(data.aval.size, dtype=bool)
    numbers = np.unique(data.visit[post])
    col = np.searchsorted(numbers, data.visit)
    grids = {}
    for name, values in [("AVAL", data.aval), *data.given.items()]:
        grid = np.full((n, numbers.size), np.nan)
        grid[data.code[post], col[post]] = values[post]
        grids[name] = grid
    return numbers, grids


#: Most analysis weeks a derived grid may have (ten years of weekly visits).
MAX_WEEKS = 520


def _check_study_days(data, rules: DeriveRules) -> None:
    """Refuse study days implausibly far beyond the trial's own span (a typo such as 10000000).

    The span is the median over subjects of the last on-treatment day; a day
    beyond ``rules.study_day_factor`` times it (at least one week) is refused,
    naming the subject, row and value, before any grid is built on it.
    """
    if rules.study_day_factor is None or not data.ady.size:
        return
    on = data.ady >= 1
    if not on.any():
        return
    last = np.full(data.n_subjects, -1, dtype=np.int64)
    np.maximum.at(last, data.code[on], data.ady[on])
    span = float(np.median(last[last >= 1]))
    limit = rules.study_day_factor * max(span, rules.week_length)
    bad = np.flatnonzero(data.ady > limit)
    if bad.size:
        ids = data.adsl["USUBJID"].to_numpy()
        rule = (f"study day within {rules.study_day_factor:g} x the trial's span "
                f"(median last day {span:g}): ADY <= {limit:g}")
        rows = [{"table": "adeff", "column": "ADY", "usubjid": str(ids[data.code[i]]),
                 "row": int(data.row[i]), "value": str(int(data.ady[i])), "rule": rule}
                for i in bad]
        raise _fail(f"adeff: {bad.size} implausible study day(s) for {data.paramcd} "
                    "(set DeriveRules.study_day_factor to change the rule)", rows)


def derive_parallel(
    trial: object,
    param: str = "PAINNRS",
    rules: DeriveRules = DeriveRules(),  # noqa: B008 - frozen, immutable default
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Derive the weekly (or visit-level) analysis table of a parallel-group trial.

    Parameters
    ----------
    trial : Trial or object with ``.adsl``, ``.adeff`` and ``.design``
        A parallel trial (``design == "parallel"``). ``adsl`` needs USUBJID,
        SITEID, AGE, SEX, ITTFL and TRT01P; ``adeff`` needs USUBJID, PARAMCD,
        ADY and AVAL.
    param : str
        PARAMCD of the ratings, default ``"PAINNRS"``.
    rules : DeriveRules
        Every rule used (see :class:`~ldn_stats.derive.rules.DeriveRules`).
    catalogue : Catalogue, optional
        The parameter catalogue (direction, responder definitions); default the
        trial's (``trial.catalogue``) or the built-in one.

    Returns
    -------
    pandas.DataFrame
        Validated by :class:`~ldn_stats.schemas.analysis.AnalysisModel`; one row
        per ADSL subject x planned analysis visit, sorted by USUBJID and
        AVISITN, columns ``USUBJID, SITEID, AGE, SEX, ITTFL, TRT01P, PARAMCD,
        AVISIT, AVISITN, NDAYS, AVAL, BASE, CHG, PCHG, CRIT1FL, CRIT2FL,
        ANL01FL`` (the ADSL columns SITEID, AGE, SEX, ITTFL when present;
        BASE, CHG, PCHG only when the trial has a baseline; CRIT1FL, CRIT2FL
        only as the parameter's responder definitions give them). Every subject
        has every planned visit (AVAL missing where it cannot be derived), so
        the data form a complete grid for an MMRM.

    Raises
    ------
    ldn_stats.errors.SpecError
        The trial is not a parallel design, or ``param`` has no records.
    ldn_stats.errors.ValidationError
        A required column is missing, or a record is invalid (ADY not a
        non-zero integer, duplicate USUBJID x ADY, USUBJID not in adsl).
    ldn_stats.errors.DataError
        No analysis visit can be formed (no record on or after day 1 and no
        ``rules.n_weeks``), or the rules leave no analysis record (the message
        says which rule removed how many records and what to change); an
        explicit ``rules.n_weeks`` asks for the planned grid even when it is
        all missing.

    Notes
    -----
    - Visit-level records (adeff has AVISITN for ``param`` and
      ``rules.visit_windows`` is unset): the analysis visits are the AVISITN
      values of the non-baseline records, ordered by AVISITN and labelled by
      AVISIT; AVAL is the visit's record. BASE is the BASE column as given,
      else the AVAL of the baseline record (ABLFL = Y); with neither the trial
      has no baseline and is analysed on AVAL (BASE, CHG, PCHG absent). CHG
      and PCHG given in adeff are used (validation checked them), derived only
      where absent.
    - BASE (daily records): mean of the ratings with ADY in
      ``rules.baseline_window`` (default -7..-1), missing with fewer than
      ``rules.baseline_min_ratings`` (4); absent when no subject has a rated
      record in the window (a trial without baseline).
    - Daily records (default): AVAL of week ``w`` (days ``7(w-1)+1 .. 7w``) is
      the mean of its rated days when at least ``rules.week_min_days`` (4) of
      them are rated, else missing; NDAYS = rated days; AVISIT = "Week w",
      AVISITN = w, for ``w = 1 .. n_weeks`` (``rules.n_weeks``, or the week of
      the latest on-treatment record in the trial).
    - Visit-level records (``rules.visit_windows`` set): AVAL is the rating
      nearest each window's target day; AVISIT/AVISITN from the windows.
    - CHG, PCHG, CRIT1FL, CRIT2FL, ANL01FL: see
      :func:`ldn_stats.derive.responders.derive_change`.
    - Treatment arms are whatever TRT01P holds; nothing is assumed about them.

    Validated against hand computation (``tests/derive/test_derive_parallel.py``).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> adsl = pd.DataFrame({"USUBJID": ["02", "01"], "SITEID": "S1", "AGE": [51, 44],
    ...                      "SEX": "F", "ITTFL": "Y", "TRT01P": ["B", "A"]})
    >>> adeff = pd.DataFrame({"USUBJID": ["01"] * 4 + ["02"] * 3, "PARAMCD": "PAINNRS",
    ...                       "ADY": [-1, 1, 2, 9, -1, 1, 8],
    ...                       "AVAL": [5, 4, 3, 2, 8, 6, 4]})
    >>> trial = SimpleNamespace(adsl=adsl, adeff=adeff, design="parallel")
    >>> rules = DeriveRules(baseline_min_ratings=1, week_min_days=1)
    >>> derive_parallel(trial, rules=rules)[["USUBJID", "TRT01P", "AVISIT", "AVAL", "CHG"]]
      USUBJID TRT01P  AVISIT  AVAL  CHG
    0      01      A  Week 1   3.5 -1.5
    1      01      A  Week 2   2.0 -3.0
    2      02      B  Week 1   6.0 -2.0
    3      02      B  Week 2   4.0 -4.0
    """
    _check_design(trial, "parallel", "derive_parallel", "derive_crossover")
    visit_level = rules.visit_windows is None and is_visit_level(trial, param)
    data = _load(trial, param, "TRT01P", rules.population_flag, periods=False,
                 visit_level=visit_level)
    parameter = parameter_of(trial, param, catalogue)
    n = data.n_subjects
    given: dict[str, np.ndarray] = {}

    if visit_level:
        visit_numbers, grids = _visit_grid(data, n)
        if visit_numbers.size == 0:
            raise DataError(f"adeff: every {param} record is a baseline record (ABLFL = Y), so "
                            "there is no analysis visit")
        aval = grids.pop("AVAL")
        given = {k: v.ravel() for k, v in grids.items() if k in ("CHG", "PCHG")}
        ndays = (~np.isnan(aval)).astype(np.int64)
        labels = [data.visit_labels[v] for v in visit_numbers]
        numbers = [_number(v) for v in visit_numbers]
        aval_rule = "the record of the analysis visit (AVISITN) has no AVAL"
    elif rules.visit_windows is not None:
        windows = sorted(rules.visit_windows, key=lambda w: w.avisitn)
        aval, ndays = visit_window_values(data.code, data.ady, data.aval, n, tuple(windows))
        labels = [w.avisit for w in windows]
        numbers = [w.avisitn for w in windows]
        aval_rule = "no rated record in the visit window (DeriveRules.visit_windows)"
    else:
        _check_study_days(data, rules)
        n_weeks = rules.n_weeks or planned_weeks(data.ady, rules.week_length)
        if n_weeks > MAX_WEEKS:
            raise DataError(f"adeff: {param} records reach week {n_weeks:,}; expected at most "
                            f"{MAX_WEEKS} analysis weeks (set DeriveRules.n_weeks)")
        if n_weeks == 0:
            raise DataError(
                f"adeff: no {param} record on or after study day 1, so no analysis week "
                "can be formed (set DeriveRules.n_weeks to build an all-missing grid)"
            )
        aval, ndays = weekly_means(
            data.code, data.ady, data.aval, n, n_weeks, rules.week_length, rules.week_min_days
        )
        labels = [f"Week {w}" for w in range(1, n_weeks + 1)]
        numbers = list(range(1, n_weeks + 1))
        aval_rule = (f"fewer than DeriveRules.week_min_days = {rules.week_min_days} rated days "
                     f"in the week of {rules.week_length} days")

    base, base_rule = _baseline(data, rules, visit_level)
    n_visits = len(labels)
    rows = np.repeat(np.arange(n), n_visits)
    subjects = data.adsl.iloc[rows].reset_index(drop=True)
    columns: dict[str, object] = {}
    for name in ADSL_CARRIED:
        if name in subjects.columns:
            columns[name] = subjects[name].astype("str") if name == "SITEID" else subjects[name]
    columns.update(
        {
            "TRT01P": subjects["TRT01P"].astype("str"),
            "PARAMCD": param,
            "AVISIT": pd.Categorical.from_codes(
                np.tile(np.arange(n_visits), n), categories=labels, ordered=True
            ),
            "AVISITN": np.tile(np.asarray(numbers), n),
            "NDAYS": ndays.ravel(),
            "AVAL": aval.ravel(),
        }
    )
    if base is not None:
        columns["BASE"] = base[rows]
    frame = pd.DataFrame(columns)
    population = rules.population_flag
    if population not in frame.columns:
        frame[population] = subjects[population]
    frame = derive_change(frame, rules, parameter=parameter, given=given)
    planned_grid = rules.n_weeks is not None and not visit_level and rules.visit_windows is None
    if not (frame["ANL01FL"] == "Y").any() and not planned_grid:
        raise no_analysis_record(frame, data, rules, param, base_rule, aval_rule,
                                 "derive_parallel", visit_level)
    order = [c for c in PARALLEL_COLUMNS if c in frame.columns]
    return validate_analysis(frame[order])


def _baseline(data: _Inputs, rules: DeriveRules, visit_level: bool):
    """BASE per subject (or ``None`` when the trial has no baseline) and the rule in words."""
    found = given_baseline(data)
    if found is not None:
        return found
    if visit_level:
        return None, "no baseline: adeff has neither BASE nor baseline records (ABLFL = Y)"
    lo, hi = rules.baseline_window
    if not ((data.ady >= lo) & (data.ady <= hi) & data.rated).any():
        return None, f"no baseline: no rated record in the baseline window (days {lo}..{hi})"
    base, _ = _study_baseline(
        data.code, data.ady, data.aval, data.n_subjects, rules.baseline_window,
        rules.baseline_min_ratings, rules.baseline_method,
    )
    return base, (f"fewer than DeriveRules.baseline_min_ratings = {rules.baseline_min_ratings} "
                  f"rated days in the baseline window (days {lo}..{hi})")
