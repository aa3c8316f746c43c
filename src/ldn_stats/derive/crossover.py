"""Crossover trials: period endpoints, study or period baselines, and the daily diary table.

Examples
--------
>>> import pandas as pd
>>> from types import SimpleNamespace
>>> from ldn_stats.derive.crossover import derive_crossover
>>> adsl = pd.DataFrame({"USUBJID": ["01"], "SITEID": "S1", "AGE": [40], "SEX": "F",
...                      "ITTFL": "Y", "TRTSEQP": ["A-B"]})
>>> adeff = pd.DataFrame({"USUBJID": "01", "PARAMCD": "PAINVAS",
...     "ADY": [-4, -3, -2, -1, 1, 2, 3, 4, 5, 6, 7, 8],
...     "AVAL": [60, 60, 60, 60, 50, 40, 40, 40, 50, 50, 50, 50],
...     "APERIOD": [None] * 4 + [1, 1, 1, 1, None, 2, 2, 2]})
>>> trial = SimpleNamespace(adsl=adsl, adeff=adeff, design="crossover")
>>> derive_crossover(trial, "PAINVAS")[["APERIOD", "TRTA", "NDAYS", "AVAL", "BASE", "PCHG"]]
   APERIOD TRTA  NDAYS  AVAL  BASE       PCHG
0        1    A      3  40.0  60.0 -33.333333
1        2    B      3  50.0  60.0 -16.666667
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_stats.derive._inputs import (
    ADSL_CARRIED,
    _check_design,
    _fail,
    _Inputs,
    _load,
    _window_mean,
    is_visit_level,
)
from ldn_stats.derive.baseline import _days_before_mean, _study_baseline, given_baseline
from ldn_stats.derive.parallel import parameter_of
from ldn_stats.derive.responders import derive_change, no_analysis_record
from ldn_stats.derive.rules import DeriveRules
from ldn_stats.parameters import Catalogue
from ldn_stats.schemas.analysis import validate_analysis, validate_diary
from ldn_stats.vocabulary import Sequence

__all__ = ["CROSSOVER_COLUMNS", "DIARY_COLUMNS", "crossover_diary", "derive_crossover"]

CROSSOVER_COLUMNS = [
    "USUBJID", "SITEID", "AGE", "SEX", "ITTFL", "TRTSEQP", "APERIOD", "TRTA", "PARAMCD",
    "AVISIT", "AVISITN", "NDAYS", "AVAL", "BASE", "CHG", "PCHG", "CRIT1FL", "CRIT2FL",
    "ANL01FL",
]
DIARY_COLUMNS = ["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "APERDY", "AVAL", "BASE", "ANL01FL"]

_NO_DAY = -(10**12)  # sentinel day index of a period a subject never entered


@dataclass(frozen=True)
class _Periods:
    """Per subject x period quantities; cell ``c = subject * n_max + (period - 1)``."""

    data: _Inputs
    treatments: list[list[str]]  # per subject, the treatment of each period
    n_max: int
    cell: np.ndarray  # per record: its cell, -1 outside periods
    start: np.ndarray  # per cell: first day index in the period (_NO_DAY if none)
    end: np.ndarray  # per cell: last day index in the period (_NO_DAY if none)
    base: np.ndarray | None  # per cell: BASE by the rules; None when the trial has none
    trta: np.ndarray  # per cell: treatment of the period (object, None past the sequence)
    labels: np.ndarray  # per subject: the TRTSEQP label (as given, or built from the data)
    base_rule: str  # the baseline rule in words (for the no-analysis-record error)


def _periods(trial: object, param: str, rules: DeriveRules, func: str) -> _Periods:
    _check_design(trial, "crossover", func, "derive_parallel")
    visit_level = is_visit_level(trial, param)
    data = _load(trial, param, None, rules.population_flag, periods=True,
                 visit_level=visit_level)
    treatments, labels = _sequences(data, rules.sequence_separator)
    n_per = np.array([len(t) for t in treatments], dtype=np.int64)
    n_max = int(n_per.max()) if n_per.size else 1

    aperiod = data.aperiod
    in_period = ~np.isnan(aperiod)
    valid = in_period & (aperiod == np.round(aperiod)) & (aperiod >= 1)
    valid &= aperiod <= np.where(in_period, n_per[data.code], 0)
    bad = in_period & ~valid
    if bad.any():
        usubjid = data.adsl["USUBJID"].to_numpy()
        rows = [
            {"table": "adeff", "column": "APERIOD", "usubjid": usubjid[c], "row": int(r),
             "value": p, "rule": f"APERIOD must be a period of TRTSEQP {labels[c]!r} "
             f"(1..{n_per[c]}); study day {d}"}
            for c, p, d, r in zip(data.code[bad], aperiod[bad], data.ady[bad], data.row[bad],
                                  strict=True)
        ]
        raise _fail("adeff: APERIOD outside the subject's sequence", rows)

    n_cells = data.n_subjects * n_max
    cell = np.where(valid, data.code * n_max + np.where(valid, aperiod, 1).astype(np.int64) - 1, -1)
    start = np.full(n_cells, _NO_DAY, dtype=np.int64)
    end = np.full(n_cells, _NO_DAY, dtype=np.int64)
    inside = np.flatnonzero(valid)
    if inside.size:
        # records are sorted by subject then day, so a cell's first record has its first day
        order = inside[np.argsort(cell[inside], kind="stable")]
        cells, first = np.unique(cell[order], return_index=True)
        last = np.r_[first[1:], order.size] - 1
        start[cells] = data.day[order[first]]
        end[cells] = data.day[order[last]]

    lo, hi = rules.crossover_baseline_window
    in_window = (data.ady >= lo) & (data.ady <= hi) & data.rated & np.isnan(aperiod)
    base: np.ndarray | None
    given = given_baseline(data) if rules.crossover_baseline != "none" else None
    if given is not None:
        base, base_rule = np.repeat(given[0], n_max), given[1]
    elif rules.crossover_baseline == "none":
        base, base_rule = None, "no baseline (DeriveRules.crossover_baseline = 'none')"
    elif visit_level or (rules.crossover_baseline == "study" and not in_window.any()):
        base = None
        base_rule = f"no baseline: no rated record outside periods in days {lo}..{hi}"
    elif rules.crossover_baseline == "study":
        study, _ = _study_baseline(
            data.code, data.ady, data.aval, data.n_subjects,
            rules.crossover_baseline_window, rules.baseline_min_ratings, rules.baseline_method,
        )
        base = np.repeat(study, n_max)
        base_rule = (f"fewer than DeriveRules.baseline_min_ratings = "
                     f"{rules.baseline_min_ratings} rated days in days {lo}..{hi}")
    else:
        base_rule = (f"fewer than DeriveRules.period_baseline_min_ratings = "
                     f"{rules.period_baseline_min_ratings} rated days in the "
                     f"{rules.period_baseline_days} days before the period")
        base = np.full(n_cells, np.nan)
        for p in range(n_max):
            period_start = start[p::n_max]
            mean, _ = _days_before_mean(
                data.code, data.day, data.aval, period_start,
                rules.period_baseline_days, rules.period_baseline_min_ratings,
            )
            base[p::n_max] = np.where(period_start == _NO_DAY, np.nan, mean)
    trta = np.full(n_cells, None, dtype=object)
    for i, sequence in enumerate(treatments):
        trta[i * n_max : i * n_max + len(sequence)] = sequence
    return _Periods(data, treatments, n_max, cell, start, end, base, trta, labels, base_rule)


def _sequences(data: _Inputs, separator: str) -> tuple[list[list[str]], np.ndarray]:
    """Each subject's treatments by period and its sequence label.

    The TRTSEQP label gives the treatments when it names them (by name or first
    letter, :meth:`ldn_stats.vocabulary.Sequence.resolve`); otherwise, or
    without TRTSEQP, they are read from the records (TRTA by APERIOD).
    """
    adsl = data.adsl
    raw = adsl["TRTSEQP"] if "TRTSEQP" in adsl.columns else pd.Series([None] * len(adsl))
    observed: list[dict[int, str]] = [{} for _ in range(data.n_subjects)]
    if data.trta is not None:
        has = ~np.isnan(data.aperiod) & pd.notna(data.trta)
        for c, k, t in zip(data.code[has], data.aperiod[has], data.trta[has], strict=True):
            observed[c].setdefault(int(k), str(t))
    names = sorted({t for o in observed for t in o.values()})
    treatments, labels, rows = [], [], []
    for i, (usubjid, value) in enumerate(zip(adsl["USUBJID"], raw, strict=True)):
        resolved = None if pd.isna(value) else Sequence.resolve(str(value), names, separator)
        found = resolved.treatments if resolved is not None else None
        if found is None:
            seen = observed[i]
            found = tuple(seen[k] for k in sorted(seen)) if seen else ()
            if seen and sorted(seen) != list(range(1, len(seen) + 1)):
                found = ()  # a period without a treatment: cannot read the order
        if not found:
            rows.append({"table": "adsl", "column": "TRTSEQP", "usubjid": usubjid, "row": i + 1,
                         "value": value,
                         "rule": "a sequence naming the treatments (e.g. "
                         f"'A{separator}B' or 'AB'), or TRTA in adeff for every period"})
        treatments.append(list(found))
        labels.append(str(value) if not pd.isna(value) else separator.join(found))
    if rows:
        raise _fail("adsl: invalid TRTSEQP", rows)
    return treatments, np.array(labels, dtype=object)


def _endpoint(periods: _Periods, rules: DeriveRules) -> tuple[np.ndarray, np.ndarray]:
    """Mean of the last k rated days of each cell (NaN below the minimum) and the count used.

    Visit-level records (one per period) give the period's value directly.
    """
    data = periods.data
    n_cells = data.n_subjects * periods.n_max
    if data.visit is not None:
        inside = periods.cell >= 0
        return _window_mean(np.maximum(periods.cell, 0), data.aval, inside, n_cells, 1)
    eligible = (periods.cell >= 0) & data.rated
    if rules.period_endpoint_days is not None:
        last = periods.end[np.maximum(periods.cell, 0)]
        eligible &= data.day >= last - (rules.period_endpoint_days - 1)
    chosen = np.flatnonzero(eligible)
    if chosen.size == 0:
        return np.full(n_cells, np.nan), np.zeros(n_cells, dtype=np.int64)
    order = chosen[np.lexsort((data.day[chosen], periods.cell[chosen]))]
    cells = periods.cell[order]
    # position from the end of each cell's run: 0 for the last rated day
    run_end = np.r_[np.flatnonzero(cells[1:] != cells[:-1]), cells.size - 1]
    run_id = np.r_[0, np.cumsum(cells[1:] != cells[:-1])]
    from_end = run_end[run_id] - np.arange(cells.size)
    include = np.zeros(data.aval.size, dtype=bool)
    include[order[from_end < rules.period_last_k]] = True
    safe_cell = np.maximum(periods.cell, 0)
    return _window_mean(safe_cell, data.aval, include, n_cells, rules.period_min_ratings)


def derive_crossover(
    trial: object,
    param: str = "PAINNRS",
    rules: DeriveRules = DeriveRules(),  # noqa: B008 - frozen, immutable default
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Derive the period analysis table of a crossover trial.

    Parameters
    ----------
    trial : Trial or object with ``.adsl``, ``.adeff`` and ``.design``
        A crossover trial (``design == "crossover"``). ``adsl`` needs USUBJID,
        SITEID, AGE, SEX, ITTFL and TRTSEQP; ``adeff`` needs USUBJID, PARAMCD,
        ADY, AVAL and APERIOD (empty outside periods).
    param : str
        PARAMCD of the ratings, default ``"PAINNRS"`` (Younger 2013: ``"PAINVAS"``).
    rules : DeriveRules
        Every rule used (see :class:`~ldn_stats.derive.rules.DeriveRules`).

    Returns
    -------
    pandas.DataFrame
        Validated by :class:`~ldn_stats.schemas.analysis.AnalysisModel`; one row
        per subject x planned period (the length of its TRTSEQP), sorted by
        USUBJID and APERIOD, columns ``USUBJID, SITEID, AGE, SEX, ITTFL,
        TRTSEQP, APERIOD, TRTA, PARAMCD, AVISIT, AVISITN, NDAYS, AVAL, BASE,
        CHG, PCHG, CRIT1FL, CRIT2FL, ANL01FL``.

    Raises
    ------
    ldn_stats.errors.SpecError
        The trial is not a crossover design, or ``param`` has no records.
    ldn_stats.errors.ValidationError
        A required column is missing, TRTSEQP is empty, APERIOD is not a period
        of the subject's sequence, or a record is invalid.

    Notes
    -----
    - A period's days are the subject's records with that APERIOD; washout
      days (APERIOD empty) never enter an endpoint. Periods may differ in length.
    - AVAL (period endpoint): mean of the last ``rules.period_last_k`` (3,
      Younger 2013) rated days of the period, optionally only among its last
      ``rules.period_endpoint_days`` days; missing with fewer than
      ``rules.period_min_ratings`` (3) such ratings. NDAYS = ratings used.
    - BASE, ``rules.crossover_baseline == "study"`` (default): the mean of the
      ratings in ``rules.crossover_baseline_window`` (days -14..-1, the 14
      baseline days of Younger 2013), at least ``rules.baseline_min_ratings``;
      the same for every period. ``"period"``: the mean of the ratings in the
      ``rules.period_baseline_days`` calendar days before the subject's first
      day of the period (washout and, without washout, the end of the previous
      period included), at least ``rules.period_baseline_min_ratings``.
    - TRTA is the APERIOD-th treatment of TRTSEQP (split at
      ``rules.sequence_separator``); treatment codes come from the data.
    - AVISIT "Period p" (ordered categorical), AVISITN = APERIOD.
    - CHG, PCHG, CRIT1FL, CRIT2FL, ANL01FL: see
      :func:`ldn_stats.derive.responders.derive_change`.

    Validated against hand computation (``tests/derive/test_derive_crossover.py``).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> adsl = pd.DataFrame({"USUBJID": ["01"], "SITEID": "S1", "AGE": [40], "SEX": "F",
    ...                      "ITTFL": "Y", "TRTSEQP": ["X-Y"]})
    >>> adeff = pd.DataFrame({"USUBJID": "01", "PARAMCD": "PAINNRS",
    ...     "ADY": [-2, -1, 1, 2, 3, 4], "AVAL": [6, 8, 5, 4, 3, 2],
    ...     "APERIOD": [None, None, 1, 1, 2, 2]})
    >>> trial = SimpleNamespace(adsl=adsl, adeff=adeff, design="crossover")
    >>> rules = DeriveRules(crossover_baseline="period", period_baseline_days=2,
    ...                     period_baseline_min_ratings=2, period_last_k=2,
    ...                     period_min_ratings=2)
    >>> derive_crossover(trial, rules=rules)[["TRTA", "AVAL", "BASE", "CHG"]]
      TRTA  AVAL  BASE  CHG
    0    X   4.5   7.0 -2.5
    1    Y   2.5   4.5 -2.0
    """
    periods = _periods(trial, param, rules, "derive_crossover")
    data, n_max = periods.data, periods.n_max
    aval, ndays = _endpoint(periods, rules)

    n_per = np.array([len(t) for t in periods.treatments], dtype=np.int64)
    rows = np.repeat(np.arange(data.n_subjects), n_per)
    period = np.concatenate([np.arange(1, k + 1) for k in n_per]) if rows.size else rows
    cell = rows * n_max + period - 1
    subjects = data.adsl.iloc[rows].reset_index(drop=True)
    labels = [f"Period {p}" for p in range(1, n_max + 1)]
    columns: dict[str, object] = {}
    for name in ADSL_CARRIED:
        if name in subjects.columns:
            columns[name] = subjects[name].astype("str") if name == "SITEID" else subjects[name]
    columns.update(
        {
            "TRTSEQP": pd.array(periods.labels[rows], dtype="str"),
            "APERIOD": period,
            "TRTA": pd.array(periods.trta[cell], dtype="str"),
            "PARAMCD": param,
            "AVISIT": pd.Categorical.from_codes(period - 1, categories=labels, ordered=True),
            "AVISITN": period,
            "NDAYS": ndays[cell],
            "AVAL": aval[cell],
        }
    )
    if periods.base is not None:
        columns["BASE"] = periods.base[cell]
    frame = pd.DataFrame(columns)
    if rules.population_flag not in frame.columns:
        frame[rules.population_flag] = subjects[rules.population_flag]
    frame = derive_change(frame, rules, parameter=parameter_of(trial, param, catalogue))
    if not (frame["ANL01FL"] == "Y").any():
        raise no_analysis_record(
            frame, data, rules, param, periods.base_rule,
            f"fewer than DeriveRules.period_min_ratings = {rules.period_min_ratings} rated "
            f"days among the last {rules.period_last_k} of the period", "derive_crossover",
            visit_level=True)
    return validate_analysis(frame[[c for c in CROSSOVER_COLUMNS if c in frame.columns]])


def crossover_diary(
    trial: object,
    param: str = "PAINNRS",
    rules: DeriveRules = DeriveRules(),  # noqa: B008 - frozen, immutable default
) -> pd.DataFrame:
    """Daily-diary analysis table of a crossover trial: one row per rated day in a period.

    Parameters
    ----------
    trial : Trial or object with ``.adsl``, ``.adeff`` and ``.design``
        A crossover trial, as for :func:`derive_crossover`.
    param : str
        PARAMCD of the ratings.
    rules : DeriveRules
        The baseline rules (``crossover_baseline`` and its settings) and the
        population flag are used; endpoint rules are not.

    Returns
    -------
    pandas.DataFrame
        Validated by :class:`~ldn_stats.schemas.analysis.DiaryModel`, sorted by
        USUBJID, APERIOD, APERDY; columns ``USUBJID, TRTSEQP, APERIOD, TRTA,
        APERDY, AVAL, BASE, ANL01FL``.

    Raises
    ------
    ldn_stats.errors.SpecError, ldn_stats.errors.ValidationError
        As :func:`derive_crossover`.

    Notes
    -----
    For mixed models of the daily ratings (e.g. ``AVAL ~ BASE + APERIOD + TRTA
    + (1 | USUBJID)``). APERDY counts calendar days from the subject's first
    record of the period (APERDY = 1). Washout days and unrated days are left
    out. BASE is the study or period baseline exactly as in
    :func:`derive_crossover`. ANL01FL = "Y" when the subject is in the
    population and BASE is present.

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> adsl = pd.DataFrame({"USUBJID": ["01"], "SITEID": "S1", "AGE": [40], "SEX": "F",
    ...                      "ITTFL": "Y", "TRTSEQP": ["X-Y"]})
    >>> adeff = pd.DataFrame({"USUBJID": "01", "PARAMCD": "PAINNRS",
    ...     "ADY": [-1, 1, 2, 3, 4, 5], "AVAL": [6, 5, None, 4, 3, 2],
    ...     "APERIOD": [None, 1, 1, None, 2, 2]})
    >>> trial = SimpleNamespace(adsl=adsl, adeff=adeff, design="crossover")
    >>> crossover_diary(trial, rules=DeriveRules(baseline_min_ratings=1))
      USUBJID TRTSEQP  APERIOD TRTA  APERDY  AVAL  BASE ANL01FL
    0      01     X-Y        1    X       1   5.0   6.0       Y
    1      01     X-Y        2    Y       1   3.0   6.0       Y
    2      01     X-Y        2    Y       2   2.0   6.0       Y
    """
    periods = _periods(trial, param, rules, "crossover_diary")
    data, n_max = periods.data, periods.n_max
    keep = np.flatnonzero((periods.cell >= 0) & data.rated)
    cell = periods.cell[keep]
    subject = data.code[keep]
    period = cell - subject * n_max + 1
    order = np.lexsort((data.day[keep], period, subject))
    keep, cell, subject, period = keep[order], cell[order], subject[order], period[order]
    base = periods.base[cell] if periods.base is not None else np.full(cell.size, np.nan)
    in_population = (data.adsl[rules.population_flag] == "Y").fillna(False).to_numpy(dtype=bool)
    usubjid = data.adsl["USUBJID"].to_numpy()
    frame = pd.DataFrame(
        {
            "USUBJID": pd.array(usubjid[subject], dtype="str"),
            "TRTSEQP": pd.array(periods.labels[subject], dtype="str"),
            "APERIOD": period,
            "TRTA": pd.array(periods.trta[cell], dtype="str"),
            "APERDY": data.day[keep] - periods.start[cell] + 1,
            "AVAL": data.aval[keep],
            "BASE": base,
            "ANL01FL": pd.array(np.where(in_population[subject] & (
                ~np.isnan(base) | (periods.base is None)), "Y", "N"), dtype="str"),
        }
    )
    return validate_diary(frame[DIARY_COLUMNS])
