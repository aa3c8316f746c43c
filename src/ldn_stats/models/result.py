"""The one numeric result surface of every fitted linear model in the package.

:class:`LinearModelResult` holds a fit's fixed effects and the inference on
them: ``coef``, ``vcov``, :meth:`~LinearModelResult.contrast`,
:meth:`~LinearModelResult.lsmeans`, :meth:`~LinearModelResult.pairwise`,
:meth:`~LinearModelResult.anova`, :meth:`~LinearModelResult.predict`,
:meth:`~LinearModelResult.residuals` and :meth:`~LinearModelResult.glance`.
The MMRM (:class:`ldn_stats.MMRMResult`) and the least-squares fits
(:class:`ldn_stats.models.ols.OLSResult`) extend it; every table uses the
columns of :data:`ldn_stats.vocabulary.INFERENCE`.

Examples
--------
>>> from ldn_stats.vocabulary import INFERENCE
>>> t_table([1.0], [0.5], [10.0], 0.95).columns.tolist() == list(INFERENCE)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.stats

from ldn_stats.errors import ModelError
from ldn_stats.models.mmrm.design import DesignSpec
from ldn_stats.models.mmrm.df import Inference, f_test, t_tests

__all__ = ["LinearModelResult", "frozen_array", "t_table"]


def t_table(est, se, df, conf_level: float, index=None) -> pd.DataFrame:
    """t statistics, two-sided p-values and confidence limits in the INFERENCE columns.

    Examples
    --------
    >>> t_table([2.0], [1.0], [20.0], 0.95)[["statistic", "df"]].iloc[0].tolist()
    [2.0, 20.0]
    """
    est, se, df = (np.asarray(a, dtype=float) for a in (est, se, df))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    p = 2.0 * scipy.stats.t.sf(np.abs(stat), df)
    q = scipy.stats.t.ppf(0.5 + conf_level / 2.0, df)
    out = pd.DataFrame({"estimate": est, "std_error": se, "df": df, "statistic": stat,
                        "p_value": p, "conf_low": est - q * se, "conf_high": est + q * se},
                       index=index)
    return out


def frozen_array(a) -> np.ndarray:
    """A read-only float copy of ``a`` (results never change after the fit)."""
    a = np.array(a, dtype=float)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class LinearModelResult:
    """Fixed effects of a fitted linear model and the inference on them (immutable).

    Attributes
    ----------
    formula : str
        The model as fitted.
    spec : DesignSpec
        The design: columns, factor levels, LS-mean grids, term contrasts.
    coef : pandas.DataFrame
        Indexed by term: ``estimate, std_error, df, statistic, p_value, conf_low,
        conf_high``.
    vcov : pandas.DataFrame
        Covariance of the fixed effects used for inference.
    n_obs : int
        Rows used.
    df_method : str
        Degrees-of-freedom method of every test and interval.
    conf_level : float
        Confidence level of every interval.
    """

    formula: str
    spec: DesignSpec
    coef: pd.DataFrame
    vcov: pd.DataFrame
    n_obs: int
    df_method: str
    conf_level: float
    _inference: Inference = field(repr=False)
    _fitted: np.ndarray = field(repr=False)
    _response: np.ndarray = field(repr=False)
    _index: pd.Index = field(repr=False)

    # -------------------------------------------------------------- contrasts
    def _rows(self, L: np.ndarray, conf_level: float | None, index=None,
              L_full: np.ndarray | None = None) -> pd.DataFrame:
        """t-tests of the rows of ``L``; non-estimable rows get no number (see ``estimable``)."""
        ok, aliased = self.spec.estimability(self.spec.full(L) if L_full is None else L_full)
        if L.shape[0]:
            est, se, df = t_tests(self._inference, L)
        else:
            est = se = df = np.zeros(0)
        tab = t_table(est, se, df, self.conf_level if conf_level is None else conf_level,
                      index=index)
        tab.loc[~ok, tab.columns] = np.nan  # never a number for a non-estimable function
        tab["estimable"] = ok
        tab["aliased"] = aliased
        return tab

    def contrast(
        self, L, joint: bool = False, conf_level: float | None = None
    ) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
        """t-tests of each row of ``L`` (``l' beta``), optionally with the joint F test.

        Parameters
        ----------
        L : array-like, (q, p) or (p,), or DataFrame with the coefficient names as columns
        joint : bool
            Also return the F test of all rows (``statistic, num_df, den_df, p_value``).
        conf_level : float, optional
            Defaults to the fit's ``conf_level``.

        Returns
        -------
        pandas.DataFrame (and a one-row DataFrame when ``joint``)
            The inference columns, then ``estimable`` (bool) and ``aliased``
            (the dropped, aliased columns a non-estimable row depends on; ``""``
            when estimable). A non-estimable row has no number (NaN), as SAS
            prints "Non-est"; the joint test is NaN if any row is non-estimable.

        Examples
        --------
        >>> import pandas as pd
        >>> from ldn_stats.models.ols import ols
        >>> fit = ols("Y ~ G", pd.DataFrame({"G": list("aabb"), "Y": [1.0, 2.0, 3.0, 5.0]}))
        >>> fit.contrast([[0.0, 1.0]]).columns.tolist()[-4:]
        ['conf_low', 'conf_high', 'estimable', 'aliased']
        """
        L = self._as_matrix(L)
        rows = self._rows(L, conf_level)
        if not joint:
            return rows
        if rows["estimable"].all():
            stat, ndf, ddf = f_test(self._inference, L)
            p = float(scipy.stats.f.sf(stat, ndf, ddf))
        else:
            stat, ndf, ddf, p = np.nan, float(np.linalg.matrix_rank(L)), np.nan, np.nan
        ftab = pd.DataFrame({"statistic": [stat], "num_df": [ndf], "den_df": [ddf],
                             "p_value": [p]})
        return rows, ftab

    def _as_matrix(self, L) -> np.ndarray:
        if isinstance(L, pd.DataFrame):
            missing = [c for c in L.columns if c not in self.spec.columns]
            if missing:
                raise ModelError(f"contrast columns {missing} are not coefficients; "
                                 f"coefficients: {', '.join(self.spec.columns)}")
            L = L.reindex(columns=list(self.spec.columns), fill_value=0.0).to_numpy(float)
        L = np.atleast_2d(np.asarray(L, dtype=float))
        if L.shape[1] != len(self.spec.columns):
            raise ModelError(f"contrast has {L.shape[1]} columns, the model "
                             f"{len(self.spec.columns)} coefficients")
        if not np.isfinite(L).all():
            i, j = np.argwhere(~np.isfinite(L))[0]
            raise ModelError(f"contrast row {i}, column {self.spec.columns[j]!r}: expected a "
                             f"finite number, found {L[i, j]}")
        return L

    def lsmeans(self, specs: str | Sequence[str], by: str | Sequence[str] | None = None,
                conf_level: float | None = None) -> pd.DataFrame:
        """Least-squares means (SAS LSMEANS, emmeans) of ``specs`` within ``by``.

        Equal weights over the levels of the other factors, numeric covariates
        at their mean. Returns the factor columns then ``estimate, std_error, df,
        statistic, p_value, conf_low, conf_high, estimable, aliased``; an LS-mean
        that is not estimable (it depends on an aliased column, e.g. a
        covariate collinear with the arm) has no number and names the
        aliased columns (SAS "Non-est", emmeans NA).

        Examples
        --------
        >>> import pandas as pd
        >>> from ldn_stats.models.ols import ols
        >>> d = pd.DataFrame({"V": list("abab"), "X": [1.0, 2.0, 3.0, 4.0], "Y": [1.0, 3, 2, 5]})
        >>> ols("Y ~ V + X", d).lsmeans("V")["V"].tolist()
        ['a', 'b']
        """
        grid, L_full = self.spec.reference_grid(specs, by, full=True)
        tab = self.estimate_full(L_full, conf_level)
        return pd.concat([grid.reset_index(drop=True), tab.reset_index(drop=True)], axis=1)

    def estimate_full(self, L_full: np.ndarray, conf_level: float | None = None) -> pd.DataFrame:
        """t tests of rows over every design column, aliased (dropped) ones included.

        The rows of LS-mean grids and their differences
        (``spec.reference_grid(..., full=True)``) load on the dropped columns
        too; a row that does is checked for estimability there, so it gets no
        number when the design cannot estimate it.

        Parameters
        ----------
        L_full : numpy.ndarray, (q, n_full)
            Rows over the full parameterisation (kept and dropped columns).
        conf_level : float, optional
            Defaults to the fit's ``conf_level``.

        Returns
        -------
        pandas.DataFrame
            The INFERENCE columns plus ``estimable`` and ``aliased``.
        """
        L_full = np.atleast_2d(np.asarray(L_full, dtype=float))
        return self._rows(L_full[:, list(self.spec._keep)], conf_level, L_full=L_full)

    def pairwise(self, specs: str, by: str | Sequence[str] | None = None,
                 conf_level: float | None = None) -> pd.DataFrame:
        """Differences of LS-means between the levels of ``specs`` within each ``by`` level.

        For levels in order ``(a, b)`` the difference is labelled ``"b - a"``
        (``"TRT - PBO"``): one row per pair and ``by`` level, with a
        ``contrast`` column, the ``by`` columns and the usual statistics. Pairs come
        in emmeans ``revpairwise`` order (by ``b``, then ``a``).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from ldn_stats import mmrm
        >>> rng = np.random.default_rng(3)
        >>> d = pd.DataFrame({"ID": np.repeat(np.arange(30), 2), "V": np.tile(["a", "b"], 30),
        ...                   "G": np.repeat(["x", "y", "z"], 20)})
        >>> d["Y"] = rng.normal(size=60)
        >>> mmrm("Y ~ G + V + cs(V | ID)", d).pairwise("G")["contrast"].tolist()
        ['y - x', 'z - x', 'z - y']
        """
        if not isinstance(specs, str):
            if len(specs) != 1:
                raise ModelError(f"pairwise() compares the levels of one factor; "
                                 f"got {list(specs)}")
            specs = specs[0]
        grid, L = self.spec.reference_grid(specs, by, full=True)
        by_t = () if by is None else ((by,) if isinstance(by, str) else tuple(by))
        levels = list(self.spec.factors[specs])
        spec_codes = grid[specs].cat.codes.to_numpy()
        by_codes = (np.column_stack([grid[b].cat.codes.to_numpy() for b in by_t]) if by_t
                    else np.zeros((len(grid), 0), dtype=int))
        keys = [tuple(r) for r in by_codes.tolist()]
        rows, labels, key_rows = [], [], []
        for key in dict.fromkeys(keys):
            where = {int(spec_codes[i]): i for i, k in enumerate(keys) if k == key}
            # emmeans revpairwise order: b - a for each b, a before b
            for jb in range(len(levels)):
                for ia in range(jb):
                    rows.append(L[where[jb]] - L[where[ia]])
                    labels.append(f"{levels[jb]} - {levels[ia]}")
                    key_rows.append(key)
        tab = self.estimate_full(np.array(rows).reshape(len(rows), L.shape[1]),
                                 conf_level).reset_index(drop=True)
        out = pd.DataFrame({"contrast": labels})
        for j, b in enumerate(by_t):
            out[b] = pd.Categorical.from_codes([k[j] for k in key_rows],
                                               categories=list(self.spec.factors[b]),
                                               ordered=True)
        return pd.concat([out, tab], axis=1)

    def anova(self) -> pd.DataFrame:
        """Type III F tests of every fixed-effect term under the fit's df method.

        Returns a DataFrame indexed by term with ``num_df, den_df, statistic,
        p_value, estimable, aliased``. A term whose hypothesis is not estimable
        (a row of its type III L loads on the design's null space: the term is
        aliased with another, e.g. an arm with a covariate collinear to it)
        has no statistic and names the aliased columns.

        Examples
        --------
        >>> import pandas as pd
        >>> from ldn_stats.models.ols import ols
        >>> d = pd.DataFrame({"V": list("aabbcc"), "Y": [1.0, 2.0, 3.0, 5.0, 4.0, 4.5]})
        >>> ols("Y ~ V", d).anova().index.tolist()
        ['V']
        """
        out = []
        keep = list(self.spec._keep)
        for term, L_full in self.spec.term_contrasts(full=True).items():
            ok, aliased = self.spec.estimability(L_full)
            if L_full.shape[0] and ok.all():
                stat, ndf, ddf = f_test(self._inference, L_full[:, keep])
                out.append((term, ndf, ddf, stat, float(scipy.stats.f.sf(stat, ndf, ddf)),
                            True, ""))
            else:
                names = ", ".join(dict.fromkeys(a for a in aliased if a)) or ", ".join(
                    self.spec.dropped)
                out.append((term, float(L_full.shape[0]), np.nan, np.nan, np.nan, False,
                            names))
        return pd.DataFrame(out, columns=["term", "num_df", "den_df", "statistic",
                                          "p_value", "estimable", "aliased"]).set_index("term")

    # -------------------------------------------------------------- predictions
    def predict(self, newdata: pd.DataFrame | None = None) -> pd.Series:
        """Population-level predictions ``X beta`` (of the used rows when ``newdata`` is None).

        Examples
        --------
        >>> import pandas as pd
        >>> from ldn_stats.models.ols import ols
        >>> d = pd.DataFrame({"X": [0.0, 1.0, 2.0, 3.0], "Y": [1.0, 2.9, 5.1, 7.0]})
        >>> fit = ols("Y ~ X", d)
        >>> len(fit.predict()), len(fit.predict(d.head(3)))
        (4, 3)
        """
        if newdata is None:
            return pd.Series(self._fitted, index=self._index, name="predicted")
        X = self.spec.matrix(newdata)
        return pd.Series(X @ self._inference.beta, index=newdata.index, name="predicted")

    def residuals(self, kind: str = "response") -> pd.Series:
        """Residuals ``y - X beta`` of the used rows (``kind="response"``)."""
        if kind != "response":
            raise ModelError(f"kind must be 'response' for {type(self).__name__}, got {kind!r}")
        return pd.Series(self._response - self._fitted, index=self._index, name="residual")

    def glance(self) -> pd.DataFrame:
        """A one-row summary of the fit: model, rows used, df method, fit statistics.

        Returns
        -------
        pandas.DataFrame
            ``model, n_obs, df_method, conf_level`` and the subclass's own
            statistics (log-likelihood, AIC, BIC, convergence ...).
        """
        return pd.DataFrame([self._glance()])

    def _glance(self) -> dict:
        return {"model": type(self).__name__.removesuffix("Result").upper(),
                "formula": self.formula, "n_obs": int(self.n_obs),
                "df_method": self.df_method, "conf_level": float(self.conf_level)}
