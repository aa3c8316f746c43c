"""Ordinary least squares on the package's design: ANCOVA and fixed-effect crossover fits.

:func:`ols` parses the formula with the safe parser
(:func:`ldn_stats.models.mmrm.formula.parse_formula`), builds the design with
:func:`ldn_stats.models.mmrm.design.build_design` (the same factor coding,
aliasing rules and LS-mean grids as the MMRM) and returns an
:class:`OLSResult`, which has the same surface as every other fit:
``coef``, ``lsmeans()``, ``pairwise()``, ``contrast()``, ``anova()``, ``glance()``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> d = pd.DataFrame({"TRT01P": ["A", "B"] * 20, "BASE": rng.normal(6, 1, 40)})
>>> d["CHG"] = -0.5 * (d["TRT01P"] == "B") + 0.1 * d["BASE"] + rng.normal(0, 1, 40)
>>> fit = ols("CHG ~ BASE + TRT01P", d)
>>> fit.pairwise("TRT01P")[["contrast", "df"]].values.tolist()
[['B - A', 37.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_stats.errors import FormulaError, ModelError, SingularDesignError
from ldn_stats.models.mmrm.design import build_design
from ldn_stats.models.mmrm.df import Inference, t_tests
from ldn_stats.models.mmrm.formula import Formula, parse_formula
from ldn_stats.models.result import LinearModelResult, frozen_array, t_table

__all__ = ["OLSResult", "ols"]


@dataclass(frozen=True)
class OLSResult(LinearModelResult):
    """A least-squares fit (immutable): the linear-model surface plus the residual variance.

    Attributes
    ----------
    sigma2 : float
        Residual variance ``RSS / (n - p)``.
    residual_df : float
        ``n - p``, the df of every test and interval.
    n_rows_dropped : int
        Rows dropped for a missing outcome or covariate.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"G": ["a", "a", "b", "b"], "Y": [1.0, 2.0, 3.0, 5.0]})
    >>> fit = ols("Y ~ G", d)
    >>> float(fit.sigma2), float(fit.residual_df)
    (1.25, 2.0)
    """

    sigma2: float
    residual_df: float
    n_rows_dropped: int

    def _glance(self) -> dict:
        out = super()._glance()
        out.update(estimation="OLS", sigma2=float(self.sigma2),
                   residual_df=float(self.residual_df), converged=True)
        return out


def ols(formula: str | Formula, data: pd.DataFrame, conf_level: float = 0.95) -> OLSResult:
    """Fit ``y = X beta + e``, ``e ~ N(0, sigma^2 I)`` by least squares.

    Parameters
    ----------
    formula : str or Formula
        ``response ~ terms`` (factors, covariates, ``a*b``, ``a:b``); no covariance
        or random-effect terms. Parsed, never evaluated.
    data : pandas.DataFrame
        One row per observation; rows with a missing outcome or covariate are dropped.
    conf_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    OLSResult

    Raises
    ------
    FormulaError
        Unknown columns, or a covariance/random term in the formula.
    SingularDesignError
        The design is rank deficient after dropping aliased columns.
    ModelError
        No residual degrees of freedom, or a bad ``conf_level``.

    Notes
    -----
    ``beta = R^-1 Q' y`` from the QR decomposition of ``X``; ``Var(beta) = s^2
    (X'X)^-1`` with ``s^2 = RSS / (n - p)``; t tests and intervals on ``n - p``
    df (``df_method="residual"``). LS-means use the design's reference grid:
    numeric covariates at their mean over the used rows, equal weights over the
    levels of other factors (SAS LSMEANS, R emmeans). Factor levels are in
    categorical order (make the reference level first for ``"b - ref"``
    contrasts), else sorted. Validated against statsmodels OLS and R
    ``lm``/``emmeans`` in ``tests/models/test_ols.py``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"TRT01P": ["A", "A", "B", "B"], "BASE": [6.0, 7.0, 6.0, 7.0],
    ...                   "CHG": [-1.0, -2.0, -2.0, -3.0]})
    >>> fit = ols("CHG ~ BASE + TRT01P", d)
    >>> fit.lsmeans("TRT01P")[["TRT01P", "estimate"]].values.tolist()
    [['A', -1.5], ['B', -2.5]]
    """
    f = parse_formula(formula) if isinstance(formula, str) else formula
    if f.covariance is not None or f.random:
        raise FormulaError(f"least squares takes fixed effects only; {f.text!r} has a "
                           "covariance or random-effect term (use ldn_stats.mmrm)")
    if not 0.0 < conf_level < 1.0:
        raise ModelError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    spec, X, mask = build_design(f, data)
    d = data.loc[mask]
    y = d[f.response].to_numpy(dtype=float)
    n, p = X.shape
    if np.linalg.matrix_rank(X) < p:
        raise SingularDesignError(
            f"the design of {f.text!r} has rank < {p} columns ({', '.join(spec.columns)}); "
            "a factor level may be empty or a covariate constant")
    if n <= p:
        raise ModelError(f"{n} observations for {p} parameters: no residual degrees of freedom")
    q, r = np.linalg.qr(X)
    beta = np.linalg.solve(r, q.T @ y)
    fitted = X @ beta
    resid = y - fitted
    df = float(n - p)
    sigma2 = float(resid @ resid / df)
    rinv = np.linalg.inv(r)
    vcov = sigma2 * (rinv @ rinv.T)
    inf = Inference(beta=frozen_array(beta), phi=frozen_array(vcov), vcov=frozen_array(vcov),
                    method="residual", residual_df=df)
    names = list(spec.columns)
    est, se, dfs = t_tests(inf, np.eye(p))
    return OLSResult(
        formula=f.text, spec=spec,
        coef=t_table(est, se, dfs, conf_level, index=pd.Index(names, name="term")),
        vcov=pd.DataFrame(vcov, index=names, columns=names), n_obs=int(n),
        df_method="residual", conf_level=float(conf_level), _inference=inf,
        _fitted=frozen_array(fitted), _response=frozen_array(y), _index=d.index,
        sigma2=sigma2, residual_df=df, n_rows_dropped=int((~mask).sum()),
    )
