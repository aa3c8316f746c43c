"""Long data for multiple imputation: every subject at every visit, intercurrent events.

:class:`LongData` expands the observed rows to the full subject x visit grid,
fills the covariates of the added rows, and records per subject the first visit
affected by its intercurrent event (ICE) and the strategy that handles it.
Nothing here assumes a column name: they come from the imputation formula and
the ``group`` argument.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_stats.errors import DataError, FormulaError

__all__ = ["FormulaNames", "LongData", "formula_names", "level_order"]

_COV = re.compile(
    r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*([^|()]+?)\s*\|\s*(?:([^/()|]+?)\s*/\s*)?([^/()|]+?)\s*\)"
)
_STRUCTURES = ("us", "cs", "csh", "ar1", "ar1h", "ad", "adh", "toep", "toeph")


@dataclass(frozen=True)
class FormulaNames:
    """The columns an imputation formula names.

    Examples
    --------
    >>> formula_names("CHG ~ BASE * AVISIT + us(AVISIT | USUBJID)").visit
    'AVISIT'
    """

    response: str
    subject: str
    visit: str
    structure: str
    cov_group: str | None


def formula_names(formula: str) -> FormulaNames:
    """Response, subject, visit and covariance structure of an MMRM formula.

    Parameters
    ----------
    formula : str
        ``response ~ fixed effects + cov(VISIT | [GROUP /] SUBJECT)`` with ``cov`` a
        visit-indexed structure (``us``, ``cs``, ``csh``, ``ar1``, ``ar1h``, ``ad``,
        ``adh``, ``toep``, ``toeph``).

    Returns
    -------
    FormulaNames

    Raises
    ------
    FormulaError
        No ``~``, or no (or more than one) covariance term.

    Examples
    --------
    >>> n = formula_names("Y ~ X + us(V | ARM / ID)")
    >>> (n.response, n.subject, n.visit, n.structure, n.cov_group)
    ('Y', 'ID', 'V', 'us', 'ARM')
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise FormulaError(f"imputation formula {formula!r} has no '~'")
    lhs, rhs = formula.split("~", 1)
    response = lhs.strip()
    if not re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", response):
        raise FormulaError(f"imputation formula {formula!r}: the response must be one column, "
                           f"found {response!r}")
    terms = [m for m in _COV.finditer(rhs) if m.group(1) in _STRUCTURES]
    if len(terms) != 1:
        raise FormulaError(
            f"imputation formula {formula!r} needs exactly one covariance term "
            f"such as us(VISIT | SUBJECT) (one of {', '.join(_STRUCTURES)}), found {len(terms)}")
    m = terms[0]
    visit = m.group(2).strip()
    if not re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", visit):
        raise FormulaError(f"imputation formula {formula!r}: the covariance term's visit must "
                           f"be one column, found {visit!r}")
    return FormulaNames(response=response, subject=m.group(4).strip(), visit=visit,
                        structure=m.group(1),
                        cov_group=m.group(3).strip() if m.group(3) else None)


def level_order(series: pd.Series) -> list:
    """Levels of a column in the package's order: categorical order, else sorted values.

    Examples
    --------
    >>> level_order(pd.Series(["b", "a", "b"]))
    ['a', 'b']
    >>> level_order(pd.Series([10, 9, 10]))
    [9, 10]
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().tolist())
        return [c for c in series.cat.categories.tolist() if c in present]
    values = pd.unique(series.dropna())
    try:
        return sorted(values.tolist())
    except TypeError:
        return sorted(values.tolist(), key=str)


def _row_of(data: pd.DataFrame, pos: int) -> str:
    return f"row {pos + 1}"


class LongData:
    """Observed long data expanded to every subject x visit, with intercurrent events.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject and visit (rows may be absent, outcomes may be missing).
    names : FormulaNames
    group : str
        Treatment column (constant within subject).

    Attributes
    ----------
    frame : pandas.DataFrame
        ``n_subjects * n_visits`` rows, subject-major, visits in order; the outcome
        is missing where it was not observed; covariates of added rows filled.
    subjects, visits, groups : list
        Subject ids (first-appearance order), visit levels and group levels
        (categorical order, else sorted: the first is rbmi's ``ref``).
    y : numpy.ndarray
        ``(n_subjects, n_visits)`` outcomes, NaN where missing.
    group_code : numpy.ndarray
        Index into ``groups`` of each subject.

    Examples
    --------
    >>> d = pd.DataFrame({"ID": ["a", "a", "b"], "V": [1, 2, 1], "ARM": ["T", "T", "P"],
    ...                   "Y": [1.0, 2.0, 0.5]})
    >>> ld = LongData(d, formula_names("Y ~ ARM + us(V | ID)"), "ARM")
    >>> ld.y.tolist()
    [[1.0, 2.0], [0.5, nan]]
    """

    def __init__(self, data: pd.DataFrame, names: FormulaNames, group: str) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        self.names = names
        self.group = group
        subj, visit, resp = names.subject, names.visit, names.response
        for col in (subj, visit, resp, group):
            if col not in data.columns:
                raise DataError(f"data has no column {col!r} (named by the formula or group); "
                                f"columns: {', '.join(map(str, data.columns))}")
        for col in (subj, visit, group):
            bad = np.flatnonzero(data[col].isna().to_numpy())
            if bad.size:
                raise DataError(f"data, column {col!r}, {_row_of(data, int(bad[0]))}: "
                                "missing value")
        if not pd.api.types.is_numeric_dtype(data[resp].dtype):
            raise DataError(f"data, column {resp!r}: the outcome must be numeric, found "
                            f"dtype {data[resp].dtype}")
        keys = data[[subj, visit]].astype(str)
        dup = np.flatnonzero(keys.duplicated().to_numpy())
        if dup.size:
            r = int(dup[0])
            raise DataError(f"data, {_row_of(data, r)}: subject {data[subj].iloc[r]!r} has "
                            f"visit {data[visit].iloc[r]!r} twice")
        self.subjects = pd.unique(data[subj]).tolist()
        self.visits = level_order(data[visit])
        self.groups = level_order(data[group])
        n, m = len(self.subjects), len(self.visits)
        s_code = pd.Index(self.subjects).get_indexer(data[subj])
        v_code = pd.Index(self.visits).get_indexer(data[visit])
        grp_of = data.groupby(s_code, sort=True)[group].nunique()
        if (grp_of > 1).any():
            s = self.subjects[int(grp_of.index[np.flatnonzero(grp_of.to_numpy() > 1)[0]])]
            raise DataError(f"data, column {group!r}: subject {s!r} has more than one group")
        g_code = np.full(n, -1)
        g_code[s_code] = pd.Index(self.groups).get_indexer(data[group])
        self.group_code = g_code
        # the full grid, subject-major
        grid_s = np.repeat(np.arange(n), m)
        grid_v = np.tile(np.arange(m), n)
        where = np.full(n * m, -1)
        where[s_code * m + v_code] = np.arange(len(data))
        present = where >= 0
        src = data.reset_index(drop=True)
        frame = src.iloc[np.maximum(where, 0)].reset_index(drop=True)
        # subject and visit columns exactly as in data, visit dtype kept
        first_row = np.full(n, 0)
        first_row[s_code[::-1]] = np.arange(len(data))[::-1]
        frame[subj] = src[subj].to_numpy()[first_row[grid_s]]
        frame[group] = src[group].iloc[first_row[grid_s]].to_numpy()
        if isinstance(src[group].dtype, pd.CategoricalDtype):
            frame[group] = pd.Categorical(frame[group], categories=src[group].cat.categories,
                                          ordered=src[group].cat.ordered)
        frame[visit] = _visit_values(src[visit], self.visits)[grid_v]
        if isinstance(src[visit].dtype, pd.CategoricalDtype):
            frame[visit] = pd.Categorical(frame[visit], categories=src[visit].cat.categories,
                                          ordered=src[visit].cat.ordered)
        frame.loc[~present, resp] = np.nan
        self._fill(frame, src, present, grid_s, grid_v, n, m)
        self.frame = frame
        self.present_row = present.reshape(n, m)
        self.y = frame[resp].to_numpy(dtype=float).reshape(n, m)
        self.missing = np.isnan(self.y)
        # intercurrent events: none until set
        self.ice_index = np.full(n, m)
        self.strategy = np.array(["MAR"] * n, dtype=object)

    def _fill(self, frame, src, present, grid_s, grid_v, n, m) -> None:
        """Covariates of the added rows: the subject's value if constant within subject,
        else the visit's value if constant within visit, else carried forward (then back)."""
        if present.all():
            return
        keys = {self.names.subject, self.names.visit, self.names.response, self.group}
        absent = ~present
        for col in src.columns:
            if col in keys:
                continue
            vals = frame[col].copy()
            vals[absent] = np.nan if not isinstance(vals.dtype, pd.CategoricalDtype) else None
            by_s = vals.groupby(grid_s)
            if (by_s.nunique(dropna=True) <= 1).all():
                frame[col] = by_s.transform("first")
                continue
            by_v = vals.groupby(grid_v)
            if (by_v.nunique(dropna=True) <= 1).all():
                frame[col] = by_v.transform("first")
                continue
            frame[col] = by_s.ffill()
            frame[col] = frame[col].groupby(grid_s).bfill()

    # ------------------------------------------------------------------ ICE
    def set_ice(self, ice: pd.DataFrame | None, known: set[str]) -> None:
        """Record each subject's first visit affected by its ICE and its strategy.

        Raises
        ------
        DataError
            Naming the ice table's column, row and value when a subject or visit is
            unknown, a subject appears twice, or a strategy is not known.
        """
        subj, visit = self.names.subject, self.names.visit
        n, m = len(self.subjects), len(self.visits)
        self.ice_index = np.full(n, m)
        self.strategy = np.array(["MAR"] * n, dtype=object)
        if ice is None or len(ice) == 0:
            return
        if not isinstance(ice, pd.DataFrame):
            raise DataError(f"ice must be a pandas DataFrame, got {type(ice).__name__}")
        scol = _strategy_column(ice)
        for col in (subj, visit):
            if col not in ice.columns:
                raise DataError(f"ice table has no column {col!r}; columns: "
                                f"{', '.join(map(str, ice.columns))}")
        sidx = _lookup(self.subjects, ice[subj], "ice", subj)
        vidx = _lookup(self.visits, ice[visit], "ice", visit)
        dup = pd.Series(sidx).duplicated().to_numpy()
        if dup.any():
            r = int(np.flatnonzero(dup)[0])
            raise DataError(f"ice table, column {subj!r}, row {r + 1}: subject "
                            f"{ice[subj].iloc[r]!r} appears twice (give its first ICE only)")
        strat = ice[scol].astype(str).to_numpy()
        for r, s in enumerate(strat):
            if s not in known:
                raise DataError(f"ice table, column {scol!r}, row {r + 1}: unknown strategy "
                                f"{s!r}; known: {', '.join(sorted(known))}")
        self.ice_index[sidx] = vidx
        self.strategy[sidx] = strat

    def update_strategy(self, update: pd.DataFrame, known: set[str]) -> tuple[np.ndarray,
                                                                              np.ndarray]:
        """Strategies after an update table (subject, strategy); ICE visits unchanged."""
        subj = self.names.subject
        strategy = self.strategy.copy()
        if update is None or len(update) == 0:
            return self.ice_index, strategy
        scol = _strategy_column(update)
        if subj not in update.columns:
            raise DataError(f"strategy table has no column {subj!r}")
        sidx = _lookup(self.subjects, update[subj], "strategy", subj)
        new = update[scol].astype(str).to_numpy()
        for r, (i, s) in enumerate(zip(sidx, new, strict=True)):
            if s not in known:
                raise DataError(f"strategy table, column {scol!r}, row {r + 1}: unknown "
                                f"strategy {s!r}; known: {', '.join(sorted(known))}")
            if self.ice_index[i] >= len(self.visits):
                raise DataError(
                    f"strategy table, row {r + 1}: subject {self.subjects[i]!r} has no "
                    "intercurrent event in the draws' ice table (its ICE visit cannot be set "
                    "by an update)")
            was_mar, now_mar = strategy[i] == "MAR", s == "MAR"
            post_obs = ~self.missing[i, self.ice_index[i]:]
            if was_mar != now_mar and post_obs.any():
                raise DataError(
                    f"strategy table, row {r + 1}: subject {self.subjects[i]!r} has observed "
                    f"data after its ICE, so changing its strategy from {strategy[i]!r} to "
                    f"{s!r} would change the imputation model; refit with draws()")
            strategy[i] = s
        return self.ice_index, strategy

    def is_mar(self, ice_index=None, strategy=None) -> np.ndarray:
        """``(n, m)``: would a missing value here be imputed under MAR?"""
        ice_index = self.ice_index if ice_index is None else ice_index
        strategy = self.strategy if strategy is None else strategy
        m = len(self.visits)
        post = np.arange(m)[None, :] >= ice_index[:, None]
        return ~(post & (strategy != "MAR")[:, None])

    def post_ice(self, ice_index=None) -> np.ndarray:
        ice_index = self.ice_index if ice_index is None else ice_index
        return np.arange(len(self.visits))[None, :] >= ice_index[:, None]

    def fit_mask(self) -> np.ndarray:
        """``(n, m)``: cells used by the imputation model (observed and MAR)."""
        return ~self.missing & self.is_mar()


def _visit_values(col: pd.Series, levels: list) -> np.ndarray:
    out = np.empty(len(levels), dtype=object)
    out[:] = levels
    if pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(col.dtype,
                                                                   pd.CategoricalDtype):
        return np.asarray(levels, dtype=col.dtype)
    return out


def _strategy_column(tab: pd.DataFrame) -> str:
    for c in tab.columns:
        if str(c).lower() == "strategy":
            return c
    raise DataError(f"table has no 'strategy' column; columns: {', '.join(map(str, tab.columns))}")


def _lookup(levels: list, values: pd.Series, table: str, col: str) -> np.ndarray:
    as_str = {str(v): i for i, v in enumerate(levels)}
    out = np.empty(len(values), dtype=int)
    for r, v in enumerate(values.tolist()):
        i = as_str.get(str(v))
        if i is None:
            raise DataError(f"{table} table, column {col!r}, row {r + 1}: value {v!r} is not in "
                            f"the data")
        out[r] = i
    return out
