"""Analysis models of the completed data sets: per-visit ANCOVA (rbmi's) and MMRM.

The ANCOVA at each visit regresses the outcome on the arm (two levels; the first
level in categorical, else sorted, order is rbmi's ``ref``) and the covariates.
``trt`` is the coefficient of the second arm (``alt - ref``); the LS-means put
every covariate at its mean over the analysed subjects, which is rbmi's
``counterfactual`` weighting for linear models (and its ``proportional`` one).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ldn_stats.errors import DataError, ModelError

__all__ = ["ancova_estimates", "encode_covariates"]


def _is_numeric(col: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype)
            and not isinstance(col.dtype, pd.CategoricalDtype))


def _expand(term: str) -> list[tuple[str, ...]]:
    """``a*b`` -> a, b, a:b; ``a:b`` -> a:b; names kept in order."""
    parts = [p.strip() for p in term.split("*")]
    pieces = [tuple(q.strip() for q in p.split(":")) for p in parts]
    out: list[tuple[str, ...]] = []
    from itertools import combinations
    for r in range(1, len(pieces) + 1):
        for combo in combinations(pieces, r):
            merged = tuple(dict.fromkeys(v for c in combo for v in c))
            if merged not in out:
                out.append(merged)
    return out


def encode_covariates(frame: pd.DataFrame, covariates, forbidden: dict[str, str]
                      ) -> tuple[np.ndarray, list[str]]:
    """Design columns of the covariates (R treatment coding, first level dropped).

    Parameters
    ----------
    frame : DataFrame
        Rows to encode (every subject at every visit).
    covariates : sequence of str
        Column names, or terms ``a*b`` / ``a:b``.
    forbidden : dict
        Columns that may not be covariates, with the reason.

    Returns
    -------
    (numpy.ndarray of shape (len(frame), q), list of column names)

    Examples
    --------
    >>> f = pd.DataFrame({"B": [1.0, 2.0, 3.0], "S": ["m", "f", "m"]})
    >>> Z, names = encode_covariates(f, ["B", "S"], {})
    >>> names, Z[:, 1].tolist()
    (['B', 'Sm'], [1.0, 0.0, 1.0])
    """
    if covariates is None:
        covariates = []
    if isinstance(covariates, str):
        covariates = [covariates]
    cols: list[np.ndarray] = []
    names: list[str] = []
    encoded: dict[str, tuple[np.ndarray, list[str]]] = {}
    for term in covariates:
        if not isinstance(term, str) or not re.fullmatch(r"[\w.:* ]+", term):
            raise ModelError(f"covariate {term!r} must be a column name or a term a*b / a:b")
        for inter in _expand(term):
            mats = []
            for var in inter:
                if var in forbidden:
                    raise ModelError(f"covariate {var!r}: {forbidden[var]}")
                if var not in frame.columns:
                    raise DataError(f"data has no covariate column {var!r}")
                if var not in encoded:
                    col = frame[var]
                    bad = np.flatnonzero(col.isna().to_numpy())
                    if bad.size:
                        raise DataError(f"data, column {var!r}: missing value for the analysis "
                                        f"(expanded row {int(bad[0]) + 1})")
                    if _is_numeric(col):
                        encoded[var] = (col.to_numpy(dtype=float)[:, None], [var])
                    else:
                        from ldn_stats.mi._data import level_order
                        levels = level_order(col)
                        codes = pd.Index(levels).get_indexer(col)
                        onehot = np.zeros((len(col), max(len(levels) - 1, 0)))
                        for j in range(1, len(levels)):
                            onehot[:, j - 1] = codes == j
                        encoded[var] = (onehot, [f"{var}{lv}" for lv in levels[1:]])
                mats.append(encoded[var])
            # products of the columns of each variable
            mat, nm = mats[0]
            for other, onm in mats[1:]:
                mat = np.einsum("ri,rj->rij", mat, other).reshape(len(frame), -1)
                nm = [f"{a}:{b}" for a in nm for b in onm]
            for j, label in enumerate(nm):
                if label not in names:
                    cols.append(mat[:, j])
                    names.append(label)
    Z = np.column_stack(cols) if cols else np.zeros((len(frame), 0))
    return Z, names


def ancova_estimates(y: np.ndarray, alt: np.ndarray, z: np.ndarray,
                     weights: np.ndarray | None = None) -> np.ndarray:
    """Per-visit ANCOVA of one or many completed data sets sharing a design.

    Parameters
    ----------
    y : array (n, K)
        Outcomes at one visit of K completed data sets with the same subjects.
    alt : array (n,)
        1 for the second arm, 0 for the first.
    z : array (n, q)
        Covariate columns.

    Returns
    -------
    array (K, 3, 3): [parameter (trt, lsm_ref, lsm_alt), (estimate, std_error, df)].

    Examples
    --------
    >>> y = np.array([[1.0], [2.0], [3.0], [5.0]])
    >>> r = ancova_estimates(y, np.array([0, 0, 1, 1.0]), np.zeros((4, 0)))
    >>> r[0, :, 0].tolist()
    [2.5, 1.5, 4.0]
    """
    n = y.shape[0]
    X = np.column_stack([np.ones(n), alt, z])
    q = X.shape[1]
    dfr = n - q
    if dfr < 1:
        raise ModelError(f"ANCOVA has {n} subjects for {q} coefficients")
    xtx = X.T @ X
    try:
        inv = np.linalg.inv(xtx)
    except np.linalg.LinAlgError:
        raise ModelError("ANCOVA design is singular (an arm or a covariate level is empty at "
                         "a visit)") from None
    if np.linalg.cond(xtx) > 1e12:
        raise ModelError("ANCOVA design is singular (an arm or a covariate level is empty at "
                         "a visit)")
    B = inv @ (X.T @ y)
    r = y - X @ B
    s2 = np.sum(r * r, axis=0) / dfr
    zbar = z.mean(axis=0) if z.shape[1] else np.zeros(0)
    L = np.array([np.r_[0.0, 1.0, np.zeros(z.shape[1])],
                  np.r_[1.0, 0.0, zbar],
                  np.r_[1.0, 1.0, zbar]])
    est = L @ B  # (3, K)
    var_l = np.einsum("ij,jk,ik->i", L, inv, L)  # (3,)
    se = np.sqrt(np.outer(var_l, s2))
    out = np.empty((y.shape[1], 3, 3))
    out[:, :, 0] = est.T
    out[:, :, 1] = se.T
    out[:, :, 2] = dfr
    return out
