"""The frozen result of an MMRM fit: the linear-model surface plus covariance and fit statistics.

:class:`MMRMResult` is built by :func:`ldn_stats.mmrm`; it holds numbers, never
strings. Contrasts, LS-means and type III tests come from
:class:`ldn_stats.models.result.LinearModelResult`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from ldn_stats import mmrm
>>> rng = np.random.default_rng(2)
>>> d = pd.DataFrame({"ID": np.repeat(np.arange(20), 2), "V": np.tile(["a", "b"], 20)})
>>> d["Y"] = rng.normal(size=40)
>>> isinstance(mmrm("Y ~ V + cs(V | ID)", d), MMRMResult)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ldn_stats.errors import ModelError
from ldn_stats.models.listing import Listing
from ldn_stats.models.mmrm.likelihood import Likelihood
from ldn_stats.models.mmrm.optimize import Attempt
from ldn_stats.models.result import LinearModelResult

__all__ = ["MMRMResult", "OptimizerInfo"]


@dataclass(frozen=True)
class OptimizerInfo:
    """What the optimizer did: the accepted method, its iterations and every attempt.

    Attributes
    ----------
    method : str
        The accepted method (``"trust-region Newton"`` by default).
    iterations : int
    gradient_norm : float
        Largest absolute element of the final gradient of the objective.
    attempts : tuple of Attempt
        Every run, in order, with how it ended.
    strategy : str
        ``"default"`` (the verified optimum), ``"strict"`` (the same, refined further) or
        ``"r-mmrm"`` (R mmrm's stopping point).
    criterion : str
        The convergence criterion met: ``"Newton decrement g' H^-1 g"`` (default) or
        SAS's relative Hessian criterion (``"r-mmrm"``).
    criterion_value, tolerance : float
        Its value at the returned point and the bound it had to meet.
    gradient : numpy.ndarray or None
        The final gradient of the objective (negative log-likelihood) in ``theta``.
    min_eigenvalue : float
        Smallest eigenvalue of the final Hessian (positive: a proper minimum).

    Examples
    --------
    >>> info = OptimizerInfo("L-BFGS-B", 14, 1e-6, ())
    >>> info.method, info.verified
    ('L-BFGS-B', False)
    """

    method: str
    iterations: int
    gradient_norm: float
    attempts: tuple[Attempt, ...]
    strategy: str = "default"
    criterion: str = ""
    criterion_value: float = float("nan")
    tolerance: float = float("nan")
    gradient: np.ndarray | None = field(default=None, repr=False)
    min_eigenvalue: float = float("nan")

    @property
    def verified(self) -> bool:
        """Whether the returned point is a verified optimum: criterion met, Hessian PD."""
        return bool(self.criterion_value <= self.tolerance and self.min_eigenvalue > 0)


@dataclass(frozen=True)
class MMRMResult(LinearModelResult):
    """A fitted MMRM (immutable). Built by :func:`mmrm`; see there for the model.

    Attributes
    ----------
    coef : pandas.DataFrame
        Indexed by term (R names, ``"ARMCDTRT:AVISITVIS2"``): ``estimate, std_error,
        df, statistic, p_value, conf_low, conf_high``.
    vcov : pandas.DataFrame
        Covariance of the fixed effects used for inference (Kenward-Roger adjusted
        or empirical when asked).
    covariance : pandas.DataFrame or dict of str to DataFrame
        Estimated visit x visit covariance (one per group when grouped); for
        spatial structures the 2 x 2 matrix at unit distance, as mmrm prints.
    theta : pandas.DataFrame
        Covariance parameters on the optimization scale (``estimate``), indexed by name.
    variance_components : pandas.DataFrame or None
        Random-effect variances and residual variance (``component, estimate``).
    loglik, aic, bic : float
        Log-likelihood (REML or ML) and ``-2 loglik + 2k`` / ``+ k log(n_subjects)``
        with ``k`` covariance parameters (R mmrm's definitions).
    n_obs, n_subjects, n_rows_dropped : int
        Rows and subjects used; rows dropped for a missing value.
    converged : bool
    optimizer : OptimizerInfo
        The optimizer, the criterion it met, the final gradient.
    df_method, vcov_method : str
    reml : bool
    conf_level : float
        Confidence level of every interval (``1 - alpha``).
    kr_parametrization : str or None
        Under Kenward-Roger: ``"sas"`` (SAS PROC MIXED ``DDFM=KR``, the default) or
        ``"mmrm"`` (R mmrm's variant); None for other df methods.
    df_method_label : str
        A readable name of the df method and variant, for footnotes
        (``"Kenward-Roger (SAS PROC MIXED DDFM=KR)"``).
    random_covariance : dict of str to DataFrame
        The estimated ``G`` of each random term, keyed by the term
        (``"(1 + ADY | USUBJID)"``), indexed by its columns (``"(Intercept)"``,
        ``"ADY"``); empty without random terms.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ldn_stats import mmrm
    >>> rng = np.random.default_rng(5)
    >>> d = pd.DataFrame({"ID": np.repeat(np.arange(25), 2), "V": np.tile(["a", "b"], 25)})
    >>> d["Y"] = np.repeat(rng.normal(size=25), 2) + rng.normal(size=50)
    >>> fit = mmrm("Y ~ V + us(V | ID)", d)
    >>> fit.coef.index.tolist(), fit.covariance.shape, fit.aic > -2 * fit.loglik
    (['(Intercept)', 'Vb'], (2, 2), True)
    >>> fit.loglik = 0.0
    Traceback (most recent call last):
    ...
    dataclasses.FrozenInstanceError: cannot assign to field 'loglik'
    """

    covariance: pd.DataFrame | dict[str, pd.DataFrame]
    theta: pd.DataFrame
    variance_components: pd.DataFrame | None
    loglik: float
    aic: float
    bic: float
    n_subjects: int
    n_rows_dropped: int
    converged: bool
    optimizer: OptimizerInfo
    vcov_method: str
    reml: bool
    _lik: Likelihood = field(repr=False)
    _theta: np.ndarray = field(repr=False)
    kr_parametrization: str | None = None
    df_method_label: str = ""
    random_covariance: dict[str, pd.DataFrame] = field(default_factory=dict)
    _re_codes: np.ndarray | None = field(default=None, repr=False)
    _re_labels: tuple[tuple[str, ...], ...] = field(default=(), repr=False)

    def random_effects(self) -> dict[str, pd.DataFrame]:
        """Predicted random effects (BLUPs; lme4's ``ranef``, SAS ``RANDOM / SOLUTION``).

        ``b_c = G Z_c' V_i^-1 (y_i - X_i beta)`` for each cluster ``c`` (a subject, or a
        subject-by-period, ...) at the estimated covariance parameters.

        Returns
        -------
        dict of str to pandas.DataFrame
            One frame per random term, keyed as :attr:`random_covariance`, indexed by
            the cluster (its grouping values joined by ``:``), one column per column
            of ``Z``; empty without random terms.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from ldn_stats import mmrm
        >>> rng = np.random.default_rng(3)
        >>> d = pd.DataFrame({"ID": np.repeat([f"S{i:02d}" for i in range(20)], 5),
        ...                   "DAY": np.tile([0.0, 7.0, 14.0, 21.0, 28.0], 20)})
        >>> d["Y"] = (np.repeat(rng.normal(0, 2, 20), 5)
        ...           + np.repeat(rng.normal(0, 0.2, 20), 5) * d["DAY"] + rng.normal(size=100))
        >>> b = mmrm("Y ~ DAY + (1 + DAY | ID)", d).random_effects()["(1 + DAY | ID)"]
        >>> b.shape, b.columns.tolist(), b.index[0]
        ((20, 2), ['(Intercept)', 'DAY'], 'S00')
        """
        model = self._lik.model
        if not model.blocks or self._re_codes is None:
            return {}
        st = self._lik.state(self._theta, order=0)
        r = self._response - self._fitted
        vr = np.empty_like(r)  # V_i^-1 r_i, row by row, from the state's inverses
        for part in st.parts:
            for j, rows in enumerate(part["batch"].rows):
                nv = rows.shape[1]
                vr[rows] = r[rows] @ part["Vinv"][j][:nv, :nv]
        z_all = self._lik.zvalues
        out = {}
        for b, (blk, G) in enumerate(zip(model.blocks, model.g_matrices(self._theta),
                                         strict=True)):
            z = np.ones((len(r), 1)) if z_all is None else z_all[:, model.z_slice(b)]
            codes = self._re_codes[:, b].astype(np.intp)
            n_c = int(codes.max()) + 1
            zr = np.zeros((n_c, blk.q))
            np.add.at(zr, codes, z * vr[:, None])
            out[blk.label] = pd.DataFrame(zr @ G, index=pd.Index(list(self._re_labels[b]),
                                                                 name=blk.grouping),
                                          columns=list(blk.columns))
        return out

    def glance(self) -> pd.DataFrame:
        """One row describing the fit: sizes, likelihood, df method and variant, optimizer.

        Returns
        -------
        pandas.DataFrame
            The linear-model columns (model, formula, n_obs, df_method, conf_level) and
            n_subjects, reml, loglik, aic, bic, kr_parametrization, df_method_label,
            vcov_method, converged, optimizer, method, criterion, criterion_value,
            gradient_norm, verified_optimum.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from ldn_stats.models.mmrm import mmrm
        >>> rng = np.random.default_rng(3)
        >>> d = pd.DataFrame({"ID": np.repeat(np.arange(20), 2), "V": np.tile(["a", "b"], 20)})
        >>> d["Y"] = rng.normal(size=40)
        >>> g = mmrm("Y ~ V + cs(V | ID)", d, df_method="kenward-roger").glance()
        >>> g.loc[0, "df_method_label"], bool(g.loc[0, "verified_optimum"])
        ('Kenward-Roger (SAS PROC MIXED DDFM=KR)', True)
        """
        return super().glance()

    def _glance(self) -> dict:
        o = self.optimizer
        return {**super()._glance(),
            "n_subjects": self.n_subjects, "reml": self.reml,
            "loglik": self.loglik, "aic": self.aic, "bic": self.bic,
            "df_method": self.df_method, "kr_parametrization": self.kr_parametrization,
            "df_method_label": self.df_method_label, "vcov_method": self.vcov_method,
            "converged": self.converged, "optimizer": o.strategy, "method": o.method,
            "criterion": o.criterion, "criterion_value": o.criterion_value,
            "gradient_norm": o.gradient_norm, "verified_optimum": o.verified}

    # -------------------------------------------------------------- listings
    def summary(self, lsmeans: str | Sequence[str | Sequence[str]] | None = None,
                diff: bool = True) -> Listing:
        """The PROC MIXED-like listing: see :func:`ldn_stats.models.mmrm.listing.mmrm_listing`.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from ldn_stats import mmrm
        >>> d = pd.DataFrame({"ID": np.repeat(np.arange(20), 2), "V": np.tile(["a", "b"], 20)})
        >>> d["Y"] = np.random.default_rng(3).normal(size=40)
        >>> mmrm("Y ~ V + cs(V | ID)", d).summary()["Fit Statistics"].shape
        (4, 2)
        """
        from ldn_stats.models.mmrm.listing import mmrm_listing

        return mmrm_listing(self, lsmeans=lsmeans, diff=diff)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def residuals(self, kind: str = "response") -> pd.Series:
        """Residuals of the used rows: ``response`` (y - X beta), ``pearson`` (scaled by
        the fitted standard deviation) or ``normalized`` (whitened by the Cholesky
        factor of ``V_i``), as R mmrm's ``residuals(type=)``.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from ldn_stats import mmrm
        >>> rng = np.random.default_rng(3)
        >>> d = pd.DataFrame({"ID": np.repeat(np.arange(20), 2), "V": np.tile(["a", "b"], 20)})
        >>> d["Y"] = rng.normal(size=40)
        >>> r = mmrm("Y ~ V + cs(V | ID)", d).residuals("pearson")
        >>> len(r)
        40
        """
        r = self._response - self._fitted
        if kind == "response":
            return pd.Series(r, index=self._index, name="residual")
        if kind not in ("pearson", "normalized"):
            raise ModelError(f"kind must be 'response', 'pearson' or 'normalized', got {kind!r}")
        st = self._lik.state(self._theta, order=0)
        out = np.empty_like(r)
        sw = np.sqrt(self._lik.weights)
        for part in st.parts:
            Vs = part["V"]  # the state keeps V beside its inverse
            for j, rows in enumerate(part["batch"].rows):
                nv = rows.shape[1]  # the pattern's rows lead its (padded) matrices
                rr = r[rows] * sw[rows]  # (n_s, nv) whitened by weights
                if kind == "pearson":
                    out[rows] = rr / np.sqrt(np.diag(Vs[j])[:nv])[None, :]
                else:
                    Lc = np.linalg.cholesky(Vs[j][:nv, :nv])
                    out[rows] = np.linalg.solve(Lc, rr.T).T
        return pd.Series(out, index=self._index, name="residual")

