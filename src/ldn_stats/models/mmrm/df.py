"""Degrees of freedom for tests of fixed effects: Satterthwaite, Kenward-Roger, and simpler rules.

All methods work from an :class:`Inference` bundle: the fixed-effect estimates,
``Phi = (X' V^-1 X)^-1``, the covariance used for standard errors (``Phi``,
Kenward-Roger's ``Phi_A`` or a sandwich), the derivative matrices
``Pk_h = X' V^-1 (dV/dtheta_h) V^-1 X`` (so ``dPhi/dtheta_h = Phi Pk_h Phi``)
and ``W``, the inverse of the Hessian of the objective (the observed
information of ``theta``), exactly as R mmrm computes them.

* ``satterthwaite``: ``df = 2 (l' Phi l)^2 / (g' W g)`` with ``g_h = l' Phi Pk_h Phi l``;
  for several rows, mmrm's eigen-decomposition of ``L Phi L'`` into independent
  one-dimensional tests combined as ``2E / (E - q)``, ``E = sum nu_i / (nu_i - 2)``.
* ``kenward-roger`` / ``kenward-roger-linear``: standard errors from ``Phi_A``;
  one-row df as Satterthwaite's on the unadjusted ``Phi``; several rows: the
  scaled F statistic ``lambda F`` on ``(q, m)`` df (Kenward & Roger 1997).
* ``between-within``: within-subject terms get ``N - n_subjects - p_within``,
  between-subject terms ``n_subjects - (1 + p_between)``, the intercept the
  within df; a contrast takes the smallest df of the coefficients it involves.
* ``residual``: ``N - p``.
* with the empirical (sandwich) covariance, ``satterthwaite`` uses Bell &
  McCaffrey's (2002) df ``tr(G)^2 / sum G_ij^2``, as R mmrm does.

Validated against R mmrm 0.3.18 (``mmrm_r_reference.json``).

Examples
--------
>>> import numpy as np
>>> from ldn_stats.models.mmrm.df import Inference, t_tests
>>> inf = Inference(beta=np.array([1.0, 2.0]), phi=np.eye(2) * 0.25, vcov=np.eye(2) * 0.25,
...                 method="residual", residual_df=10.0)
>>> est, se, df = t_tests(inf, np.array([[1.0, -1.0]]))
>>> est.tolist(), np.round(se, 4).tolist(), df.tolist()
([-1.0], [0.7071], [10.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn_stats.errors import ModelError
from ldn_stats.vocabulary import DF_METHODS

__all__ = ["DF_METHODS", "Inference", "f_test", "t_tests"]



@dataclass(frozen=True)
class Inference:
    """What the df rules need about a fitted model (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> Inference(np.zeros(1), np.eye(1), np.eye(1), "residual", 12.0).residual_df
    12.0
    """

    beta: np.ndarray
    phi: np.ndarray
    vcov: np.ndarray
    method: str
    residual_df: float
    Pk: np.ndarray | None = None
    W: np.ndarray | None = None
    column_df: np.ndarray | None = None  # between-within df per coefficient
    subject_info: np.ndarray | None = None  # X_i' V_i^-1 X_i per subject (empirical df)


def _sat_1d(inf: Inference, l: np.ndarray) -> float:
    v = float(l @ inf.phi @ l)
    a = inf.phi @ l
    g = np.einsum("a,hab,b->h", a, inf.Pk, a)
    denom = float(g @ inf.W @ g)
    if denom <= 0 or not np.isfinite(denom):
        return float("inf")
    return 2.0 * v * v / denom


def _empirical_1d(inf: Inference, l: np.ndarray) -> float:
    """Bell & McCaffrey (2002) df of the sandwich variance of ``l' beta`` (as R mmrm).

    With ``b = Phi l``, ``d_i = b' M_i b`` and ``a_i = M_i b``, the matrix
    ``G = diag(d) - A Phi A'`` (``G_ij = g_i' g_j`` in the whitened space) gives
    ``df = tr(G)^2 / sum_ij G_ij^2``.
    """
    b = inf.phi @ l
    A = inf.subject_info @ b  # (n, p)
    d = A @ b
    B = A @ inf.phi @ A.T
    G = np.diag(d) - B
    den = float(np.sum(G * G))
    return float(np.trace(G) ** 2 / den) if den > 0 else float("inf")


def _row_df(inf: Inference, l: np.ndarray) -> float:
    m = inf.method
    if m == "satterthwaite" and inf.subject_info is not None:
        return _empirical_1d(inf, l)
    if m in ("satterthwaite", "kenward-roger", "kenward-roger-linear"):
        return _sat_1d(inf, l)
    if m == "between-within":
        used = np.abs(l) > 0
        return float(np.min(inf.column_df[used])) if used.any() else inf.residual_df
    if m == "residual":
        return float(inf.residual_df)
    raise ModelError(f"unknown df method {m!r}; expected one of {', '.join(DF_METHODS)}")


def t_tests(inf: Inference, L: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate, standard error and df of each row ``l`` of ``L`` (``l' beta``).

    Examples
    --------
    >>> import numpy as np
    >>> inf = Inference(np.array([3.0]), np.eye(1), np.eye(1), "residual", 5.0)
    >>> t_tests(inf, np.eye(1))
    (array([3.]), array([1.]), array([5.]))
    """
    L = np.atleast_2d(np.asarray(L, dtype=float))
    est = L @ inf.beta
    se = np.sqrt(np.einsum("ia,ab,ib->i", L, inf.vcov, L))
    df = np.array([_row_df(inf, l) for l in L])
    return est, se, df


def _md_denominator(nu: np.ndarray) -> float:
    """mmrm's combination of one-dimensional df into the F denominator df."""
    if np.all(np.abs(np.diff(nu)) < np.sqrt(np.finfo(float).eps)):
        return float(nu[0])
    if np.any(nu <= 2):
        return 2.0
    e = float(np.sum(nu / (nu - 2.0)))
    return 2.0 * e / (e - len(nu))


def f_test(inf: Inference, L: np.ndarray) -> tuple[float, float, float]:
    """Joint F test of ``L beta = 0``: statistic, numerator df, denominator df.

    Examples
    --------
    >>> import numpy as np
    >>> inf = Inference(np.array([1.0, 1.0]), np.eye(2), np.eye(2), "residual", 8.0)
    >>> f_test(inf, np.eye(2))
    (1.0, 2.0, 8.0)
    """
    L = np.atleast_2d(np.asarray(L, dtype=float))
    q = L.shape[0]
    est = L @ inf.beta
    if q == 1:
        e, se, df = t_tests(inf, L)
        return float((e[0] / se[0]) ** 2), 1.0, float(df[0])
    m = inf.method
    if m in ("kenward-roger", "kenward-roger-linear"):
        from ldn_stats.models.mmrm.kenward_roger import kr_f_test

        return kr_f_test(inf, L)
    cov = L @ inf.vcov @ L.T
    try:
        stat = float(est @ np.linalg.solve(cov, est)) / q
    except np.linalg.LinAlgError:
        raise ModelError("the contrast matrix does not have full row rank") from None
    if m == "satterthwaite":
        empirical = inf.subject_info is not None
        _vals, vecs = np.linalg.eigh(L @ (inf.vcov if empirical else inf.phi) @ L.T)
        Q = vecs.T @ L
        nu = np.array([_empirical_1d(inf, row) if empirical else _sat_1d(inf, row)
                       for row in Q])
        return stat, float(q), _md_denominator(nu)
    if m == "between-within":
        used = np.any(np.abs(L) > 0, axis=0)
        return stat, float(q), float(np.min(inf.column_df[used]))
    return stat, float(q), float(inf.residual_df)
