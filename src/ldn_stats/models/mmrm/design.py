"""Fixed-effects design matrices with R ``model.matrix`` coding and SAS-style hypotheses.

:func:`build_design` turns a parsed :class:`~ldn_stats.models.mmrm.formula.Formula`
and a long data frame into a frozen :class:`DesignSpec` (the encoding: factor
levels, covariate means, column names, aliased columns) plus the design matrix
of the rows used. The spec encodes new data exactly as at fit time
(:meth:`DesignSpec.matrix`), builds LS-means reference grids
(:meth:`DesignSpec.reference_grid`) and SAS type III hypothesis matrices
(:meth:`DesignSpec.term_contrasts`).

Examples
--------
>>> import pandas as pd
>>> from ldn_stats.models.mmrm.formula import parse_formula
>>> data = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "arm": ["PBO", "TRT", "PBO", "TRT"],
...                      "visit": ["V1", "V1", "V2", "V2"]})
>>> spec, X, mask = build_design(parse_formula("y ~ arm * visit"), data)
>>> spec.columns
('(Intercept)', 'armTRT', 'visitV2', 'armTRT:visitV2')
>>> X.astype(int).tolist()
[[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 1, 1]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from types import MappingProxyType

import numpy as np
import pandas as pd
import scipy.linalg

from ldn_stats.errors import DataError, FormulaError, ModelError, SingularDesignError
from ldn_stats.models.mmrm.formula import SPATIAL_STRUCTURES, Formula

__all__ = ["ALIAS_TOLERANCE", "ESTIMABILITY_TOLERANCE", "DesignSpec", "build_design",
           "is_factor"]

#: Relative tolerance below which a column counts as aliased (R ``qr()``'s default 1e-7).
ALIAS_TOLERANCE = 1e-7

#: A linear function ``l' beta`` is non-estimable when its component in the design's null
#: space exceeds this fraction of its size (``|l' N| > tol * max|l|``, ``N`` an orthonormal
#: null-space basis): the check of SAS's LSMEANS/ESTIMATE and of R's ``estimability``.
ESTIMABILITY_TOLERANCE = 1e-6

# A column is a product of parts: (variable, level index) for a factor indicator,
# (variable, -1) for a numeric covariate.
_Part = tuple[str, int]


def is_factor(series: pd.Series) -> bool:
    """Whether a column is treated as a factor (class variable) rather than a covariate.

    Object, string, categorical and boolean columns are factors; numeric
    columns are covariates (as R's ``model.matrix`` treats character vectors).

    Parameters
    ----------
    series : pandas.Series

    Returns
    -------
    bool

    Examples
    --------
    >>> is_factor(pd.Series(["a", "b"])), is_factor(pd.Series([1.5, 2.0]))
    (True, False)
    """
    dtype = series.dtype
    return bool(
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    )


def _labels(series: pd.Series) -> np.ndarray:
    """Values of a factor column as strings (object array), None where missing."""
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(series.dtype):
        out = np.where(series.to_numpy(dtype=bool, na_value=False), "TRUE", "FALSE")
        out = out.astype(object)
    else:
        out = series.astype(str).to_numpy(dtype=object)
    out[missing] = None
    return out


def _factorized(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each row (-1 where missing) and the string label of each code."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp), _labels(pd.Series(uniques))


def _level_order(series: pd.Series, used: np.ndarray) -> tuple[str, ...]:
    """Levels present in the used rows: categorical order, else sorted values."""
    codes, labels = _factorized(series)
    present = set(labels[np.unique(codes[used & (codes >= 0)])].tolist())
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in series.cat.categories]
        return tuple(c for c in cats if c in present)
    if pd.api.types.is_bool_dtype(series.dtype):
        return tuple(c for c in ("FALSE", "TRUE") if c in present)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = sorted(set(series.to_numpy()[used].tolist()))
        return tuple(str(v) for v in values)
    return tuple(sorted(present))


@dataclass(frozen=True)
class DesignSpec:
    """The frozen encoding of a fixed-effects design (R ``model.matrix`` coding).

    Parameters
    ----------
    formula : Formula
        The parsed formula.
    factors : Mapping[str, tuple of str]
        Level order of every factor: the fixed-effect factors, the covariance
        term's visit factor and group column. Levels are those present in the
        used rows, in categorical order (else sorted).
    numerics : Mapping[str, float]
        Mean over the used rows of each numeric covariate (for LS-means).
    columns : tuple of str
        Column names as R's ``colnames(model.matrix(...))``, aliased columns
        removed: ``"(Intercept)"``, ``"ARMCDTRT"``, ``"ARMCDTRT:AVISITVIS2"``.
    column_terms : tuple of int
        Index into ``formula.terms`` of each column; -1 for the intercept.
    dropped : tuple of str
        Aliased columns removed because the design is rank deficient (each is
        a linear combination of earlier columns; R ``mmrm(accept_singular=TRUE)``).

    Notes
    -----
    Treatment contrasts with the first level as reference. In a term, a
    factor is coded by contrasts if the term without it is in the model (the
    empty term being the intercept), otherwise by a full set of indicators,
    which is R's rule for interactions whose margin is absent. Interaction
    columns vary the first variable fastest, as R does.

    Examples
    --------
    >>> from ldn_stats.models.mmrm.formula import parse_formula
    >>> data = pd.DataFrame({"y": [1.0, 2, 3, 4], "x": [1.0, 2, 3, 6],
    ...                      "g": ["a", "b", "a", "b"]})
    >>> spec, X, mask = build_design(parse_formula("y ~ x:g"), data)
    >>> spec.columns, dict(spec.numerics)
    (('(Intercept)', 'x:ga', 'x:gb'), {'x': 3.0})
    """

    formula: Formula
    factors: Mapping[str, tuple[str, ...]]
    numerics: Mapping[str, float]
    columns: tuple[str, ...]
    column_terms: tuple[int, ...]
    dropped: tuple[str, ...]
    # the encoding of every column before aliased ones were dropped, and which are kept
    _parts: tuple[tuple[_Part, ...], ...] = field(repr=False, default=())
    _keep: tuple[int, ...] = field(repr=False, default=())
    # one null-space vector of the full design per dropped column, (n_full_columns, n_dropped):
    # e_j minus the combination of kept columns that reproduces dropped column j
    _null: np.ndarray | None = field(repr=False, default=None, compare=False)

    # ----------------------------------------------------------------- estimability

    @property
    def aliases(self) -> dict[str, str]:
        """Each dropped column as the combination of kept columns it equals.

        Returns
        -------
        dict of str to str
            ``{"ARMTRT": "0.2222 DOSE"}``: the dropped column, then the kept
            columns (with coefficients) that reproduce it on the data; empty
            for a full-rank design.

        Examples
        --------
        >>> from ldn_stats.models.mmrm.formula import parse_formula
        >>> d = pd.DataFrame({"y": [1.0, 2, 3, 4], "a": ["p", "t", "p", "t"],
        ...                   "dose": [0.0, 4.5, 0.0, 4.5]})
        >>> build_design(parse_formula("y ~ dose + a"), d)[0].aliases
        {'at': '0.2222 dose'}
        """
        if self._null is None or not self.dropped:
            return {}
        names = _all_names(self)
        out: dict[str, str] = {}
        dropped = [j for j in range(len(self._parts)) if j not in set(self._keep)]
        for col, j in enumerate(dropped):
            c = -self._null[:, col]
            text = ""
            for k in self._keep:
                if abs(c[k]) > ALIAS_TOLERANCE * max(1.0, np.abs(c).max()):
                    sign = ("-" if c[k] < 0 else "") if not text else (
                        " - " if c[k] < 0 else " + ")
                    text += f"{sign}{abs(c[k]):.4g} {names[k]}"
            out[names[j]] = text or "0 (all zero on the data)"
        return out

    def full(self, L: np.ndarray) -> np.ndarray:
        """Embed rows over the kept columns into the full parameterisation (0 for dropped).

        Examples
        --------
        >>> from ldn_stats.models.mmrm.formula import parse_formula
        >>> d = pd.DataFrame({"y": [1.0, 2, 3, 4], "a": ["p", "t", "p", "t"],
        ...                   "dose": [0.0, 4.5, 0.0, 4.5]})
        >>> spec = build_design(parse_formula("y ~ dose + a"), d)[0]
        >>> spec.columns, spec.dropped, spec.full(np.array([[1.0, 2.0]])).tolist()
        (('(Intercept)', 'dose'), ('at',), [[1.0, 2.0, 0.0]])
        """
        L = np.atleast_2d(np.asarray(L, dtype=float))
        out = np.zeros((L.shape[0], len(self._parts)))
        out[:, list(self._keep)] = L
        return out

    def estimability(self, L_full: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Which rows of ``L_full`` are estimable, and the aliased columns each depends on.

        A linear function ``l' beta`` of the full parameterisation (every
        column before aliased ones were dropped) is estimable when ``l`` lies
        in the row space of the design, i.e. is orthogonal to its null space;
        otherwise its value depends on how the aliased columns were resolved
        and no number may be reported for it (SAS prints "Non-est", emmeans NA).

        Parameters
        ----------
        L_full : numpy.ndarray, shape (q, n_full_columns)
            Rows over the full parameterisation (:meth:`reference_grid` and
            :meth:`term_contrasts` with ``full=True``, or :meth:`full`).

        Returns
        -------
        estimable : numpy.ndarray of bool, shape (q,)
        aliased : list of str
            Per row, the dropped columns it loads on (comma-separated; ``""``
            when estimable).

        Examples
        --------
        >>> from ldn_stats.models.mmrm.formula import parse_formula
        >>> d = pd.DataFrame({"y": [1.0, 2, 3, 4], "a": ["p", "t", "p", "t"],
        ...                   "dose": [0.0, 4.5, 0.0, 4.5]})
        >>> spec = build_design(parse_formula("y ~ dose + a"), d)[0]
        >>> _, L = spec.reference_grid("a", full=True)
        >>> ok, aliased = spec.estimability(np.vstack([L, L[1] - L[0]]))
        >>> ok.tolist(), aliased
        ([False, False, False], ['at', 'at', 'at'])
        """
        L_full = np.atleast_2d(np.asarray(L_full, dtype=float))
        q = L_full.shape[0]
        if self._null is None or self._null.shape[1] == 0 or q == 0:
            return np.ones(q, dtype=bool), [""] * q
        basis, _ = np.linalg.qr(self._null)
        size = np.abs(L_full).max(axis=1)
        size = np.where(size > 0, size, 1.0)
        ok = np.abs(L_full @ basis).max(axis=1) <= ESTIMABILITY_TOLERANCE * size
        names = _all_names(self)
        dropped = [j for j in range(len(self._parts)) if j not in set(self._keep)]
        unit = self._null / np.linalg.norm(self._null, axis=0)
        loads = np.abs(L_full @ unit) > ESTIMABILITY_TOLERANCE * size[:, None]
        aliased = ["" if ok[i] else
                   ", ".join(names[dropped[k]] for k in np.flatnonzero(loads[i])) or
                   ", ".join(self.dropped)
                   for i in range(q)]
        return ok, aliased

    # ----------------------------------------------------------------- encoding

    def codes(self, data: pd.DataFrame, column: str) -> np.ndarray:
        """Level index (0-based, in ``factors[column]`` order) of each row; -1 if missing.

        Parameters
        ----------
        data : pandas.DataFrame
        column : str
            A factor of this design.

        Returns
        -------
        numpy.ndarray of int

        Raises
        ------
        FormulaError
            If a value is not a level seen at fit time.

        Examples
        --------
        >>> from ldn_stats.models.mmrm.formula import parse_formula
        >>> d = pd.DataFrame({"y": [1.0, 2.0], "g": ["b", "a"]})
        >>> spec = build_design(parse_formula("y ~ g"), d)[0]
        >>> spec.codes(d, "g").tolist()
        [1, 0]
        """
        if column not in self.factors:
            raise FormulaError(
                f"{column!r} is not a factor of the design; factors: {', '.join(self.factors)}"
            )
        if column not in data.columns:
            raise FormulaError(f"data has no column {column!r}")
        levels = self.factors[column]
        codes, labels = _factorized(data[column])
        to_level = pd.Index(list(levels), dtype=object).get_indexer(labels).astype(np.intp)
        unknown = np.flatnonzero(to_level < 0)
        if unknown.size:
            row = int(np.flatnonzero(codes == unknown[0])[0])
            raise FormulaError(
                f"column {column!r}, row {row}: level {labels[unknown[0]]!r} was not in the "
                f"data the model was fitted to; known levels: {', '.join(levels)}"
            )
        return np.where(codes >= 0, to_level[np.maximum(codes, 0)], -1)

    def _evaluate(self, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """All columns (before dropping) from per-variable values.

        ``values[factor]`` is an (n, K) weight matrix over levels,
        ``values[numeric]`` an (n,) vector.
        """
        out = np.ones((n, len(self._parts)))
        for j, parts in enumerate(self._parts):
            for var, lev in parts:
                out[:, j] *= values[var] if lev < 0 else values[var][:, lev]
        return out

    def matrix(self, data: pd.DataFrame) -> np.ndarray:
        """Encode data exactly as at fit time (kept columns only).

        Parameters
        ----------
        data : pandas.DataFrame
            Must have every fixed-effect variable, without missing values.

        Returns
        -------
        numpy.ndarray, shape (len(data), len(columns))

        Raises
        ------
        FormulaError
            On a missing column, a missing value, or a level unseen at fit time
            (naming the column and value).

        Examples
        --------
        >>> from ldn_stats.models.mmrm.formula import parse_formula
        >>> d = pd.DataFrame({"y": [1.0, 2.0, 4.0], "g": ["a", "b", "c"]})
        >>> spec = build_design(parse_formula("y ~ g"), d)[0]
        >>> spec.matrix(pd.DataFrame({"g": ["c"]})).tolist()
        [[1.0, 0.0, 1.0]]
        """
        n = len(data)
        values: dict[str, np.ndarray] = {}
        for var in dict.fromkeys(v for t in self.formula.terms for v in t):
            if var not in data.columns:
                raise FormulaError(f"data has no column {var!r} needed by the design")
            if data[var].isna().any():
                row = int(np.flatnonzero(data[var].isna().to_numpy())[0])
                raise FormulaError(f"column {var!r}, row {row}: missing value in new data")
            if var in self.factors:
                codes = self.codes(data, var)
                onehot = np.zeros((n, len(self.factors[var])))
                onehot[np.arange(n), codes] = 1.0
                values[var] = onehot
            else:
                col = data[var]
                if not pd.api.types.is_numeric_dtype(col.dtype) or is_factor(col):
                    raise FormulaError(
                        f"column {var!r} was a numeric covariate at fit time, found "
                        f"dtype {col.dtype}"
                    )
                values[var] = col.to_numpy(dtype=float)
        return self._evaluate(values, n)[:, list(self._keep)]

    # ----------------------------------------------------------------- LS-means

    def _fixed_factors(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(v for t in self.formula.terms for v in t if v in self.factors)
        )

    def reference_grid(
        self, specs: str | Sequence[str], by: str | Sequence[str] | None = None,
        *, full: bool = False,
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """LS-means reference grid and its L matrix (SAS LSMEANS, emmeans).

        Parameters
        ----------
        specs : str or sequence of str
            Factors whose level combinations get an LS-mean.
        by : str or sequence of str, optional
            Factors to condition on; they vary slowest in the grid.
        full : bool, default False
            Return ``L`` over every column before aliased ones were dropped
            (for :meth:`estimability`) instead of the kept columns.

        Returns
        -------
        grid : pandas.DataFrame
            One row per combination, one ordered Categorical column per factor
            (``by`` factors first varying slowest, then ``specs``; within each,
            the first factor varies fastest, as emmeans prints).
        L : numpy.ndarray, shape (len(grid), len(columns))
            LS-mean of row i is ``L[i] @ beta``.

        Raises
        ------
        FormulaError
            If a name is not a factor among the fixed effects.

        Notes
        -----
        Equal weights over the levels of every other factor in the fixed
        effects; numeric covariates at their mean over the used rows. With
        aliased (dropped) columns an LS-mean may be non-estimable: check the
        full ``L`` with :meth:`estimability` (``MMRMResult.lsmeans`` does).

        Examples
        --------
        >>> from ldn_stats.models.mmrm.formula import parse_formula
        >>> d = pd.DataFrame({"y": [1.0, 2, 3, 5], "a": ["p", "t", "p", "t"],
        ...                   "v": ["1", "1", "2", "2"]})
        >>> spec = build_design(parse_formula("y ~ a + v"), d)[0]
        >>> grid, L = spec.reference_grid("a")
        >>> grid["a"].tolist(), L.tolist()
        (['p', 't'], [[1.0, 0.0, 0.5], [1.0, 1.0, 0.5]])
        """
        specs_t = (specs,) if isinstance(specs, str) else tuple(specs)
        by_t = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
        fixed = self._fixed_factors()
        names = by_t + specs_t
        for name in names:
            if name not in fixed:
                raise FormulaError(
                    f"LS-means: {name!r} is not a factor among the fixed effects; "
                    f"factors: {', '.join(fixed) or '(none)'}"
                )
        if len(set(names)) != len(names):
            raise FormulaError(f"LS-means: a factor is named twice in {names}")
        # emmeans order: within specs and within by the first factor varies fastest,
        # by varies slowest overall
        order = tuple(reversed(by_t)) + tuple(reversed(specs_t))  # slowest first
        combos = list(product(*(range(len(self.factors[f])) for f in order)))
        n = len(combos)
        grid = pd.DataFrame(
            {
                f: pd.Categorical(
                    [self.factors[f][c[order.index(f)]] for c in combos],
                    categories=list(self.factors[f]),
                    ordered=True,
                )
                for f in specs_t + by_t
            }
        )
        values: dict[str, np.ndarray] = {}
        for f in fixed:
            k = len(self.factors[f])
            if f in order:
                onehot = np.zeros((n, k))
                onehot[np.arange(n), [c[order.index(f)] for c in combos]] = 1.0
                values[f] = onehot
            else:
                values[f] = np.full((n, k), 1.0 / k)
        for v, mean in self.numerics.items():
            values[v] = np.full(n, mean)
        L = self._evaluate(values, n)
        return grid, (L if full else L[:, list(self._keep)])

    # ----------------------------------------------------------------- type III

    def term_contrasts(self, *, full: bool = False) -> dict[str, np.ndarray]:
        """SAS type III hypothesis matrix of every fixed-effect term.

        Parameters
        ----------
        full : bool, default False
            Rows over every column before aliased ones were dropped (for
            :meth:`estimability`); the rows kept are the same either way.

        Returns
        -------
        dict of str to numpy.ndarray
            Keyed by term label (``"ARMCD"``, ``"ARMCD:AVISIT"``, ``"BASE"``);
            each value has ``len(columns)`` columns and full row rank.

        Notes
        -----
        For a term with factors F and numeric covariates N: the equal-weighted
        cell means over every other factor of the model (numeric covariates not
        in the term at 0, as SAS does, and differentiated with respect to those
        in N), contrasted by the interaction contrasts (each level against the
        first) of the factors in F. For a main effect this is equality of its
        LS-means; for an interaction, the interaction contrasts; for a covariate,
        its (average) slope. Redundant rows (rank deficient designs) are removed
        with a pivoted QR. Matches SAS type III in models where every cell is
        estimable.

        Examples
        --------
        >>> from ldn_stats.models.mmrm.formula import parse_formula
        >>> d = pd.DataFrame({"y": [1.0, 2, 3, 5, 4, 4], "a": ["p", "t"] * 3,
        ...                   "v": ["1", "1", "2", "2", "3", "3"]})
        >>> L = build_design(parse_formula("y ~ a * v"), d)[0].term_contrasts()
        >>> {k: v.shape for k, v in L.items()}
        {'a': (1, 6), 'v': (2, 6), 'a:v': (2, 6)}
        >>> L["a"].round(3).tolist()
        [[0.0, 1.0, 0.0, 0.0, 0.333, 0.333]]
        """
        fixed = self._fixed_factors()
        out: dict[str, np.ndarray] = {}
        keep = list(self._keep)
        for term in self.formula.terms:
            f_t = tuple(v for v in term if v in self.factors)
            n_t = frozenset(v for v in term if v not in self.factors)
            cells = list(product(*(range(len(self.factors[f])) for f in reversed(f_t))))
            n = len(cells)
            values: dict[str, np.ndarray] = {}
            for f in fixed:
                k = len(self.factors[f])
                if f in f_t:
                    pos = len(f_t) - 1 - f_t.index(f)
                    onehot = np.zeros((n, k))
                    onehot[np.arange(n), [c[pos] for c in cells]] = 1.0
                    values[f] = onehot
                else:
                    values[f] = np.full((n, k), 1.0 / k)
            for v in self.numerics:
                values[v] = np.ones(n)
            M = self._evaluate(values, n)
            # derivative w.r.t. the term's covariates, others at 0
            for j, parts in enumerate(self._parts):
                if frozenset(v for v, lev in parts if lev < 0) != n_t:
                    M[:, j] = 0.0
            C = np.ones((1, 1))
            for f in reversed(f_t):  # slowest first -> kron(D_slow, ..., D_fast)
                k = len(self.factors[f])
                D = np.hstack([-np.ones((k - 1, 1)), np.eye(k - 1)])
                C = np.kron(C, D)
            L_all = C @ M
            rows = _independent_rows(L_all[:, keep], index=True)
            out[":".join(term)] = (L_all if full else L_all[:, keep])[rows]
        return out


def _independent_rows(L: np.ndarray, index: bool = False) -> np.ndarray:
    """The rows of L forming a basis of its row space, in their original order.

    With ``index`` the row indices are returned instead of the rows.
    """
    if L.size == 0 or np.abs(L).max() == 0:
        rows = np.arange(0, dtype=np.intp)
    else:
        _, R, piv = scipy.linalg.qr(L.T, pivoting=True, mode="economic")
        diag = np.abs(np.diag(R))
        rank = int(np.sum(diag > ALIAS_TOLERANCE * max(diag[0], 1e-300) * max(L.shape)))
        rows = np.sort(piv[:rank])
    return rows if index else L[rows]


def _all_names(spec: DesignSpec) -> list[str]:
    """Names of every column before aliased ones were dropped."""
    names = [""] * len(spec._parts)
    for j, name in zip(spec._keep, spec.columns, strict=True):
        names[j] = name
    dropped = [j for j in range(len(spec._parts)) if j not in set(spec._keep)]
    for j, name in zip(dropped, spec.dropped, strict=True):
        names[j] = name
    return names


def _null_space(X: np.ndarray, keep: Sequence[int], drop: Sequence[int]) -> np.ndarray:
    """One null vector of ``X`` per dropped column: ``e_j - (coefficients on kept columns)``."""
    N = np.zeros((X.shape[1], len(drop)))
    if not drop:
        return N
    coef, *_ = np.linalg.lstsq(X[:, list(keep)], X[:, list(drop)], rcond=None)
    for col, j in enumerate(drop):
        N[j, col] = 1.0
        N[list(keep), col] = -coef[:, col]
    return N


def _resolve_weights(weights, data: pd.DataFrame) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in data.columns:
            raise FormulaError(f"weights column {weights!r} is not in the data")
        w = data[weights]
    else:
        try:
            w = pd.Series(np.asarray(weights, dtype=float))
        except (TypeError, ValueError) as exc:
            raise DataError(f"weights: expected numbers, found {exc}") from None
        if len(w) != len(data):
            raise DataError(f"weights have {len(w)} values, the data {len(data)} rows")
    values = pd.to_numeric(w, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(np.isnan(values) & w.notna().to_numpy())
    if bad.size:
        name = f"weights column {weights!r}" if isinstance(weights, str) else "weights"
        raise DataError(f"{name}, row {int(bad[0])}: expected a number, found "
                        f"{w.iloc[bad[0]]!r} ({bad.size} such rows)")
    return values


def _column_parts(
    formula: Formula, factors: Mapping[str, tuple[str, ...]]
) -> tuple[list[tuple[_Part, ...]], list[str], list[int]]:
    """R model.matrix columns: parts, names and term indices (before dropping)."""
    parts: list[tuple[_Part, ...]] = []
    names: list[str] = []
    terms: list[int] = []
    if formula.intercept:
        parts.append(())
        names.append("(Intercept)")
        terms.append(-1)
    present = {frozenset()} if formula.intercept else set()
    for t_index, term in enumerate(formula.terms):
        per_var: list[list[tuple[_Part, str]]] = []
        for var in term:
            if var not in factors:
                per_var.append([((var, -1), var)])
                continue
            margin = frozenset(term) - {var}
            levels = factors[var]
            first = 1 if margin in present else 0
            per_var.append([((var, i), f"{var}{levels[i]}") for i in range(first, len(levels))])
        # first variable varies fastest
        for combo in product(*reversed(per_var)):
            combo = tuple(reversed(combo))
            parts.append(tuple(p for p, _ in combo))
            names.append(":".join(name for _, name in combo))
            terms.append(t_index)
        present.add(frozenset(term))
        if len(term) == 1 and term[0] in factors:
            # without an intercept, the first factor's full indicators span it (R's rule:
            # only the first factor main effect gets all its levels)
            present.add(frozenset())
    return parts, names, terms


def _aliased(X: np.ndarray) -> list[int]:
    """Columns that are (numerically) linear combinations of earlier columns.

    Greedy Gram-Schmidt with re-orthogonalisation; a column is aliased when
    its residual norm is below ``ALIAS_TOLERANCE`` times its own norm, which
    is the rule of R's ``qr()`` (LINPACK ``dqrdc2``) used by ``lm``/``mmrm``.
    """
    basis: list[np.ndarray] = []
    dropped: list[int] = []
    for j in range(X.shape[1]):
        x = X[:, j]
        norm = np.linalg.norm(x)
        r = x.copy()
        for _ in range(2):
            for q in basis:
                r -= (q @ r) * q
        rn = np.linalg.norm(r)
        if norm == 0 or rn <= ALIAS_TOLERANCE * norm:
            dropped.append(j)
        else:
            basis.append(r / rn)
    return dropped


def build_design(
    formula: Formula, data: pd.DataFrame, weights=None
) -> tuple[DesignSpec, np.ndarray, np.ndarray]:
    """Build the fixed-effects design of a formula on a data frame.

    Parameters
    ----------
    formula : Formula
        From :func:`~ldn_stats.models.mmrm.formula.parse_formula`.
    data : pandas.DataFrame
        Long data, one row per observation.
    weights : str or array-like, optional
        A weights column name or one weight per row; rows with a missing
        weight are not used.

    Returns
    -------
    spec : DesignSpec
    X : numpy.ndarray, shape (mask.sum(), len(spec.columns))
        The design of the used rows, aliased columns removed.
    mask : numpy.ndarray of bool, shape (len(data),)
        Rows used: response, every fixed-effect variable, the covariance
        term's variables, random-effect grouping columns and weights present.

    Raises
    ------
    FormulaError
        If the formula names a column the data lack, or the response is not numeric.
    DataError
        If no row is complete.
    SingularDesignError
        If every column is aliased.

    Notes
    -----
    Rows are dropped one by one (an incomplete row does not drop its subject),
    as SAS PROC MIXED and R mmrm do. Factor levels are those present in the
    used rows (R ``droplevels``, SAS class levels), in categorical order if the
    column is a pandas Categorical, else sorted by code point. Validated
    against the coefficient names of R mmrm fits (``mmrm_r_reference.json``).

    Examples
    --------
    >>> from ldn_stats.models.mmrm.formula import parse_formula
    >>> d = pd.DataFrame({"y": [1.0, None, 3.0, 4.0], "g": ["a", "b", "b", "c"]})
    >>> spec, X, mask = build_design(parse_formula("y ~ g"), d)
    >>> mask.tolist(), X.shape
    ([True, False, True, True], (3, 3))
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, found {type(data).__name__}")
    needed = formula.variables()
    missing = [v for v in needed if v not in data.columns]
    if missing:
        raise FormulaError(
            f"formula {formula.text!r} names columns not in the data: {', '.join(missing)}; "
            f"available: {', '.join(map(str, data.columns))}"
        )
    resp = data[formula.response]
    if is_factor(resp) or not pd.api.types.is_numeric_dtype(resp.dtype):
        raise FormulaError(
            f"response {formula.response!r} must be numeric, found dtype {resp.dtype}"
        )
    mask = np.ones(len(data), dtype=bool)
    for v in needed:
        mask &= data[v].notna().to_numpy()
    w = _resolve_weights(weights, data)
    if w is not None:
        mask &= ~np.isnan(w)
    if not mask.any():
        raise DataError(
            f"no row of the data has every variable of {formula.text!r} present "
            f"({', '.join(needed)})"
        )
    factors: dict[str, tuple[str, ...]] = {}
    numerics: dict[str, float] = {}
    for term in formula.terms:
        for v in term:
            if v in factors or v in numerics:
                continue
            if is_factor(data[v]):
                factors[v] = _level_order(data[v], mask)
            else:
                numerics[v] = float(data[v].to_numpy(dtype=float)[mask].mean())
    cov = formula.covariance
    if cov is not None:
        extra = [] if cov.structure in SPATIAL_STRUCTURES else list(cov.time)
        if cov.group is not None:
            extra.append(cov.group)
        for v in extra:
            factors.setdefault(v, _level_order(data[v], mask))
    parts, names, terms = _column_parts(formula, factors)
    spec = DesignSpec(
        formula=formula,
        factors=MappingProxyType(factors),
        numerics=MappingProxyType(numerics),
        columns=tuple(names),
        column_terms=tuple(terms),
        dropped=(),
        _parts=tuple(parts),
        _keep=tuple(range(len(names))),
    )
    X_full = spec.matrix(data.loc[mask])
    drop = _aliased(X_full)
    if drop and len(drop) == len(names):
        raise SingularDesignError(f"every column of the design of {formula.text!r} is zero")
    keep = tuple(j for j in range(len(names)) if j not in set(drop))
    spec = DesignSpec(
        formula=formula,
        factors=spec.factors,
        numerics=spec.numerics,
        columns=tuple(names[j] for j in keep),
        column_terms=tuple(terms[j] for j in keep),
        dropped=tuple(names[j] for j in drop),
        _parts=tuple(parts),
        _keep=keep,
        _null=_null_space(X_full, keep, drop) if keep else None,
    )
    if not keep:
        raise ModelError(f"the design of {formula.text!r} has no columns")
    return spec, X_full[:, list(keep)], mask
