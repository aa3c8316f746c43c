"""Mixed model for repeated measures (MMRM): :func:`mmrm` and its frozen :class:`MMRMResult`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from ldn_stats import mmrm
>>> rng = np.random.default_rng(7)
>>> n = 40
>>> d = pd.DataFrame({"USUBJID": np.repeat([f"S{i:02d}" for i in range(n)], 3),
...                   "ARM": np.repeat(np.where(np.arange(n) % 2, "TRT", "PBO"), 3),
...                   "AVISIT": np.tile(["W1", "W2", "W3"], n)})
>>> d["CHG"] = (np.repeat(rng.normal(size=n), 3) + rng.normal(size=3 * n)
...             + (d["ARM"] == "TRT") * 0.8)
>>> fit = mmrm("CHG ~ ARM * AVISIT + us(AVISIT | USUBJID)", d)
>>> fit.converged, fit.n_subjects, fit.n_obs
(True, 40, 120)
>>> list(fit.pairwise("ARM", by="AVISIT")["contrast"].unique())
['TRT - PBO']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ldn_stats.errors import (
    ConvergenceError,
    DataError,
    FormulaError,
    ModelError,
    SingularDesignError,
)
from ldn_stats.models.mmrm.covariance import (
    MarginalCovariance,
    RandomBlock,
    get_structure,
    lower_pairs,
)
from ldn_stats.models.mmrm.design import (
    DesignSpec,
    _level_order,
    build_design,
    is_factor,
)
from ldn_stats.models.mmrm.df import DF_METHODS, Inference, t_tests
from ldn_stats.models.mmrm.formula import SPATIAL_STRUCTURES, Formula, parse_formula
from ldn_stats.models.mmrm.kenward_roger import inverse, kenward_roger
from ldn_stats.models.mmrm.likelihood import Likelihood
from ldn_stats.models.mmrm.optimize import (
    Attempt,
    failure_message,
    minimize_objective,
    newton_minimize,
)
from ldn_stats.models.mmrm.result import MMRMResult, OptimizerInfo
from ldn_stats.models.result import frozen_array as _frozen
from ldn_stats.models.result import t_table
from ldn_stats.parallel import pinned_blas

__all__ = ["mmrm"]

_VCOV = ("asymptotic", "empirical")


# ================================================================== fitting
def _subject_and_clusters(f: Formula, d: pd.DataFrame, spec: DesignSpec):
    """Subject column, per-row cluster labels, random blocks and ``Z`` values of ``f``."""
    cov = f.covariance
    if cov is None and not f.random:
        raise ModelError(
            f"formula {f.text!r} has neither a covariance term such as us(AVISIT | USUBJID) "
            "nor a random term such as (1 | USUBJID)"
        )
    if cov is not None:
        subject = cov.subject
    else:
        subject = min((t.grouping for t in f.random), key=len)[0]
    blocks, zcols = [], []
    for term in f.random:
        label = term.label()
        if term.grouping[0] != subject:
            raise ModelError(
                f"random term {label} must be nested in the subject {subject!r} (its "
                f"grouping must start with {subject!r})"
            )
        if not term.columns():
            raise ModelError(f"random term {label} has no columns: (0 | ...) removes the "
                             "intercept; name a column, e.g. (0 + ADY | USUBJID)")
        cols: list[str] = []
        intercept = "(Intercept)" in term.columns()
        for c in term.columns():
            if c == "(Intercept)":
                zcols.append(np.ones(len(d)))
                cols.append(c)
            elif is_factor(d[c]):
                _refuse_numbers_with_typos(d[c], c, label)
                # R's model.matrix: an indicator per level, the first dropped beside an
                # intercept (treatment contrasts), named column + level
                levels = (spec.factors[c] if c in spec.factors
                          else _level_order(d[c], np.ones(len(d), dtype=bool)))
                lab = d[c].astype(str).to_numpy() if not pd.api.types.is_bool_dtype(
                    d[c].dtype) else np.where(d[c].to_numpy(bool), "TRUE", "FALSE")
                for lev in levels[1:] if intercept else levels:
                    zcols.append((lab == lev).astype(float))
                    cols.append(f"{c}{lev}")
            else:
                zcols.append(_slope_values(d, c, label))
                cols.append(c)
        blocks.append(RandomBlock(label, ":".join(term.grouping), tuple(cols)))
    clusters = np.column_stack([_cluster_codes(d, t.grouping) for t in f.random]
                               ) if f.random else None
    slopes = any(not b.intercept_only for b in blocks)
    zvalues = np.column_stack(zcols) if slopes else None
    if slopes:
        _check_slopes_vary(blocks, clusters, zvalues)
    return subject, clusters, tuple(blocks), zvalues


def _cluster_codes(d: pd.DataFrame, grouping: tuple[str, ...]) -> np.ndarray:
    """One integer per combination of the grouping columns' values (vectorized)."""
    codes = np.zeros(len(d), dtype=np.int64)
    for col in grouping:
        c, uniq = pd.factorize(d[col].astype(str))
        codes = pd.factorize(codes * max(len(uniq), 1) + c)[0].astype(np.int64)
    return codes


def _cluster_labels(d: pd.DataFrame, grouping: tuple[str, ...], codes: np.ndarray,
                    ) -> tuple[str, ...]:
    """The label (grouping values joined by ':') of each cluster code, in code order."""
    _, first = np.unique(codes, return_index=True)
    rows = d.iloc[first][list(grouping)].astype(str)
    return tuple(":".join(v) for v in rows.itertuples(index=False, name=None))


def _refuse_numbers_with_typos(col: pd.Series, column: str, label: str) -> None:
    """A text column that is numbers but for a few entries is a typo, not a factor.

    In a random term a factor's levels become columns of ``Z`` (and of ``G``): a
    study-day column read as text because one row says ``"day 22"`` would silently
    give a G with one row per distinct day.
    """
    if pd.api.types.is_bool_dtype(col.dtype) or isinstance(col.dtype, pd.CategoricalDtype):
        return
    present = col.dropna()
    if len(present) == 0:
        return
    as_number = pd.to_numeric(present, errors="coerce")
    bad = as_number.isna().to_numpy()
    if bad.any() and bad.mean() <= 0.1:
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"random term {label}: column {column!r} holds numbers except at row "
            f"{present.index[i]!r} ({present.iloc[i]!r}, {int(bad.sum())} such rows); a "
            "random coefficient multiplies a numeric column: correct those values (a text "
            "column would be a factor, one G column per level)")


def _slope_values(d: pd.DataFrame, column: str, label: str) -> np.ndarray:
    """A numeric random coefficient's column as floats; a DataError names a non-finite row.

    Text, categorical and boolean columns are factors (see :func:`is_factor`) and do not
    come here.
    """
    col = d[column]
    z = col.to_numpy(dtype=float)
    if not np.isfinite(z).all():
        i = int(np.flatnonzero(~np.isfinite(z))[0])
        raise DataError(f"random term {label}: column {column!r}, row {col.index[i]!r}: "
                        f"expected a finite number, found {z[i]}")
    return z


def _check_slopes_vary(blocks, clusters, zvalues) -> None:
    """Refuse a random coefficient whose column is constant within every cluster.

    Such a column is a between-cluster covariate: its random coefficient is a second
    random intercept, confounded with the first, and ``G`` is not identifiable.
    """
    j = 0
    for r, blk in enumerate(blocks):
        for c in blk.columns:
            if c != "(Intercept)":
                z = pd.Series(zvalues[:, j])
                if (z.groupby(clusters[:, r]).nunique() <= 1).all():
                    raise ModelError(
                        f"random term {blk.label}: {c!r} is constant within every "
                        f"{blk.grouping} (a between-subject value), so its random "
                        "coefficient is confounded with the random intercept and G is not "
                        f"identifiable; use a column that changes within {blk.grouping}, "
                        "such as study day")
            j += 1


def _moment_sigmas(X, y, pos, group, n_groups, m, subject) -> list[np.ndarray]:
    """Moment estimate of each group's covariance from OLS residuals.

    Pairwise-complete products of residuals per pair of visits, eigenvalues
    floored so that the start is positive definite (diagonal for spatial models).
    """
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    codes = pd.factorize(pd.Series(subject).astype(str))[0]
    out = []
    for g in range(n_groups):
        sel = group == g
        s2 = max(float(np.mean(r[sel] ** 2)) if sel.any() else 1.0, 1e-8)
        if pos is None or m == 1 or not sel.any():
            out.append(np.eye(m) * s2)
            continue
        wide = np.full((codes.max() + 1, m), np.nan)
        wide[codes[sel], pos[sel]] = r[sel]
        present = ~np.isnan(wide)
        filled = np.where(present, wide, 0.0)
        counts = present.T.astype(float) @ present
        with np.errstate(invalid="ignore", divide="ignore"):
            sig = (filled.T @ filled) / counts
        sig = np.where(counts > 1, sig, 0.0)
        diag = np.where(np.diag(counts) > 1, np.diag(sig), s2)
        np.fill_diagonal(sig, diag)
        ev, vec = np.linalg.eigh(sig)
        sig = (vec * np.maximum(ev, 0.05 * ev.max())) @ vec.T
        out.append(sig)
    return out


def _std_start(structure: str, m: int) -> np.ndarray:
    """R mmrm's ``std_start``: zeros, except 0.5 for the (ar1, ar1h) correlation."""
    k = get_structure(structure).n_theta(m)
    th = np.zeros(k)
    if structure in ("ar1", "ar1h"):
        th[-1] = 0.5
    return th


def _log_cholesky(phi: np.ndarray, q: int):
    """``vech(L L')`` of a log-Cholesky vector, with first and second derivatives.

    ``phi`` holds the lower triangle of ``L`` row by row, the diagonal as logs
    (nlme's ``pdLogChol``): every ``phi`` gives a positive definite ``G``. Returns
    ``theta`` (k,), ``J = dtheta/dphi`` (k, k) and ``T = d2theta/dphi dphi`` (k, k, k).
    """
    pairs = lower_pairs(q)
    k = len(pairs)
    L = np.zeros((q, q))
    dL = np.zeros((k, q, q))
    d2L = np.zeros((k, q, q))
    for t, (a, b) in enumerate(pairs):
        if a == b:
            L[a, a] = dL[t, a, a] = d2L[t, a, a] = np.exp(phi[t])
        else:
            L[a, b] = phi[t]
            dL[t, a, b] = 1.0
    G = L @ L.T
    dG = dL @ L.T
    dG = dG + np.swapaxes(dG, 1, 2)
    cross = np.einsum("tac,sbc->tsab", dL, dL)
    d2G = cross + np.swapaxes(cross, 2, 3)
    own = d2L @ L.T
    own = own + np.swapaxes(own, 1, 2)
    d2G[np.arange(k), np.arange(k)] += own
    ia = np.array([a for a, _ in pairs])
    ib = np.array([b for _, b in pairs])
    return G[ia, ib], dG[:, ia, ib].T, np.moveaxis(d2G[:, :, ia, ib], 2, 0)


class _VarianceScale:
    """Optimize on a scale where every variance is positive and every ``G`` is PD.

    ``theta`` entries in ``mask`` (variances: of each one-column random term and the
    residual variance of a model without R-side structure) are ``exp(phi)``; each
    random term with ``q > 1`` columns (``chol``: its ``theta`` indices and block) is
    ``G = L L'`` on the log-Cholesky scale (:func:`_log_cholesky`). ``fixed`` marks
    variances held at zero (a variance component at its boundary); the optimizer then
    works on the remaining ones.
    """

    def __init__(self, lik: Likelihood, mask: np.ndarray, fixed: np.ndarray | None = None,
                 chol: Sequence[tuple[np.ndarray, RandomBlock]] = ()) -> None:
        self.lik, self.mask, self.chol = lik, mask, tuple(chol)
        self.fixed = np.zeros_like(mask) if fixed is None else fixed
        self.free = ~self.fixed

    def _map(self, phi, order: int = 0):
        th = np.zeros(len(self.mask))
        th[self.free] = phi
        logs = self.mask & self.free
        th[logs] = np.exp(th[logs])
        if order == 0:
            for idx, blk in self.chol:
                th[idx] = _log_cholesky(th[idx], blk.q)[0]
            return th, None, None
        K = len(th)
        J = np.diag(np.where(self.mask, th, 1.0))
        T = [(np.flatnonzero(self.mask), None)]
        for idx, blk in self.chol:
            th[idx], Jb, Tb = _log_cholesky(th[idx], blk.q)
            J[np.ix_(idx, idx)] = Jb
            T.append((idx, Tb))
        return th, J, (T, K)

    def to_theta(self, phi):
        return self._map(phi)[0]

    def to_phi(self, theta) -> np.ndarray:
        """The free ``phi`` of a ``theta`` (``G`` floored to positive definite)."""
        phi = np.array(theta, dtype=float)
        phi[self.mask] = np.log(np.maximum(phi[self.mask], 1e-300))
        for idx, blk in self.chol:
            ev, vec = np.linalg.eigh(blk.matrix(np.asarray(theta, dtype=float)[idx]))
            top = max(float(ev.max()), 1e-300)
            L = np.linalg.cholesky((vec * np.maximum(ev, 1e-10 * top)) @ vec.T)
            phi[idx] = [np.log(L[a, a]) if a == b else L[a, b] for a, b in blk.pairs]
        return phi[self.free]

    def value_and_grad(self, phi):
        th, J, _ = self._map(phi, order=1)
        f, g = self.lik.value_and_grad(th)
        return f, (J.T @ g)[self.free]

    def hessian(self, phi):
        th, J, (T, _) = self._map(phi, order=1)
        st = self.lik._cached(th) or self.lik.state(th, order=1)
        H = J.T @ self.lik.hessian(th, st) @ J
        g = st.grad
        idx0 = T[0][0]
        H[idx0, idx0] += g[idx0] * th[idx0]
        for idx, Tb in T[1:]:
            H[np.ix_(idx, idx)] += np.tensordot(g[idx], Tb, axes=1)
        return H[np.ix_(self.free, self.free)]


def mmrm(
    formula: str | Formula,
    data: pd.DataFrame,
    reml: bool = True,
    df_method: str = "satterthwaite",
    weights: str | Sequence[float] | None = None,
    vcov: str | None = None,
    conf_level: float = 0.95,
    accept_nonconvergence: bool = False,
    optimizer: str = "default",
    kr_parametrization: str = "sas",
    start: str | Sequence[float] = "standard",
) -> MMRMResult:
    """Fit a mixed model for repeated measures (R mmrm / SAS PROC MIXED REPEATED).

    Parameters
    ----------
    formula : str
        ``response ~ fixed effects + cov(TIME | [GROUP /] SUBJECT)`` with ``cov`` one
        of ``us, cs, csh, ar1, ar1h, ad, adh, toep, toeph, sp_exp, sp_gau`` (spatial:
        numeric coordinates before ``|``), and/or random terms in lme4's syntax:
        intercepts ``(1 | SUBJECT)``, ``(1 | SUBJECT:PERIOD)``, random coefficients
        ``(1 + ADY | SUBJECT)`` (an unstructured ``G``, SAS ``RANDOM INT ADY /
        TYPE=UN``), uncorrelated ``(1 | S) + (0 + ADY | S)``; a factor gives one column
        per level (``(0 + TRTA | S)``: a variance per treatment, SAS ``RANDOM TRTA /
        TYPE=UN``; beside an intercept the first level is dropped); random terms and a
        covariance term together are SAS's RANDOM + REPEATED. Parsed, never
        evaluated.
    data : pandas.DataFrame
        Long data, one row per subject and visit. Visit order is the categorical
        order of the visit column, else its sorted values.
    reml : bool
        REML (default) or maximum likelihood.
    df_method : str
        ``satterthwaite`` (default), ``kenward-roger``, ``kenward-roger-linear``,
        ``between-within`` or ``residual``.
    weights : str or sequence of float, optional
        Column name or values: ``V_i = W_i^-1/2 Sigma_i W_i^-1/2`` (SAS WEIGHT).
    vcov : str, optional
        ``asymptotic`` (model-based; Kenward-Roger adjusted under those df methods)
        or ``empirical`` (sandwich, SAS EMPIRICAL / mmrm "Empirical" CR0). The
        default is R mmrm's: ``empirical`` with ``df_method="residual"``, else
        ``asymptotic``. With ``empirical``, ``satterthwaite`` df are Bell & McCaffrey's
        (as R mmrm); ``between-within`` and ``residual`` are unchanged; Kenward-Roger
        cannot be combined with it.
    conf_level : float
        Confidence level of the intervals (``1 - alpha``), default 0.95.
    accept_nonconvergence : bool
        If no optimizer converges, return the best attempt with ``converged=False``
        instead of raising :class:`~ldn_stats.errors.ConvergenceError`.
    optimizer : str
        ``"default"``: the REML/ML optimum, verified: L-BFGS-B to get close, then a
        trust-region Newton method with the analytic Hessian until the Newton
        decrement ``g' H^-1 g`` is at most 1e-12 (log-likelihood units: independent
        of the scale of the data) at a positive definite Hessian. If that fails
        from the standard start it tries the moment start, then a start from the
        fit of a simpler structure (``us`` from ``toeph``, ...), and otherwise raises
        :class:`~ldn_stats.errors.ConvergenceError` saying what was tried.
        ``result.optimizer`` states the criterion met and the final gradient.
        ``"r-mmrm"``: R mmrm's default path (L-BFGS-B, memory 5, ``factr`` 1e7, from
        mmrm's standard start; fallbacks BFGS and Newton), accepted under SAS's
        relative Hessian criterion 1e-8: it reproduces R mmrm's default numbers,
        including where R stops short of the optimum (log-likelihood up to ~1e-5
        lower, standard errors up to ~3e-4 relative apart on real trials).
        ``"strict"``: the default plus up to three further Newton steps (decrement
        toward 1e-20), for invariance checks to many digits. ``"mmrm"`` is an alias
        of ``"r-mmrm"``.
    kr_parametrization : str
        Parametrization of the covariance in which ``kenward-roger`` takes its
        second-derivative terms: ``"sas"`` (default: SAS PROC MIXED's natural
        parameters: variances, correlations, spatial range; linear for UN, CS and
        TOEP), which reproduces ``DDFM=KR``; or ``"mmrm"`` (R mmrm's ``theta``), which
        reproduces R mmrm's ``method = "Kenward-Roger"``. The variant is
        ``result.kr_parametrization`` and named in ``result.df_method_label``.
    start : str or sequence of float
        First starting point of the default optimizer: ``"standard"`` (R mmrm's
        ``std_start``; default) or ``"moment"`` (a moment estimate of the covariance
        from OLS residuals). Both lead to the same optimum when it is unique. Or
        covariance parameters (``fit.theta["estimate"]`` of a fit of the same model):
        tried first, then the standard starts; a warm start for refits on subsets
        of the data (jackknife), where the default optimizer's Newton steps finish
        in a few iterations.

    Returns
    -------
    MMRMResult

    Raises
    ------
    FormulaError, DataError
        Bad formula or data (from the parser and design).
    SingularDesignError
        If ``X' V^-1 X`` is singular after dropping aliased columns.
    ConvergenceError
        If no optimizer converged (the message lists each attempt).

    Notes
    -----
    Model: ``y_i = X_i beta + e_i``, ``e_i ~ N(0, V_i)``, subjects independent,
    ``V_i = Z_i G Z_i' + W_i^-1/2 S_i' Sigma_g(i) S_i W_i^-1/2`` where ``S_i`` selects
    the subject's observed visits. Rows with a missing outcome or covariate are
    dropped one by one. Aliased design columns are dropped (``spec.dropped``), as
    mmrm does with ``accept_singular = TRUE``. The covariance parametrizations are
    R mmrm's (:mod:`ldn_stats.models.mmrm.covariance`); random-effect variances and
    covariances (each ``G``) are parametrized linearly, as lme4/pbkrtest and SAS do,
    and optimized on the log-Cholesky scale, so every step has a positive definite
    ``G``. A ``G`` that converges to singular (a random slope without variance, or a
    correlation of +-1) is a :class:`~ldn_stats.errors.ConvergenceError` naming the
    uncorrelated model to fit instead; a one-column term whose variance goes to zero
    is held at that boundary, as SAS and lme4 do. Covariance parameters the data
    cannot tell apart (a ridge of the likelihood: a random intercept beside ``us``,
    treatment variances in a two-period crossover) are a :class:`ModelError`, found
    from the expected information, never an arbitrary point of the ridge. The Hessian
    is analytic; ``W`` for Satterthwaite and Kenward-Roger is its inverse (mmrm's ``theta_vcov``),
    except for Kenward-Roger in models with random effects, where ``W`` is the
    inverse expected information, as pbkrtest (lmerTest, emmeans) computes it.
    AIC and BIC count the covariance parameters only (R mmrm), not the fixed
    effects (lme4 counts both).

    BLAS is limited to one thread around the fit (threadpoolctl): the engine works
    on many small blocks, where threaded BLAS only costs time; no environment
    variable is needed.

    Validated against R mmrm 0.3.18 (``mmrm_r_reference.json``: the best optimum of
    any of R mmrm's optimizers, for every structure, REML and ML, grouped, every df
    method; ``mmrm_r_default_reference.json``: R mmrm's default stopping point, met
    with ``optimizer="r-mmrm"``), SAS PROC MIXED listings (including ``DDFM=KR``
    for a spatial Gaussian structure and for UN on the antidepressant trial) and,
    for random intercepts and random coefficients, lme4 + lmerTest + pbkrtest
    (``tests/reference/crossover``, ``random_slopes``, ``diary_slope``) and nlme
    with an R-side correlation (``g_plus_r``, ``random_slopes``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(11)
    >>> d = pd.DataFrame({"ID": np.repeat(np.arange(30), 3), "V": np.tile(["1", "2", "3"], 30)})
    >>> d["Y"] = np.repeat(rng.normal(size=30), 3) + rng.normal(size=90)
    >>> fit = mmrm("Y ~ V + ar1(V | ID)", d, df_method="kenward-roger")
    >>> fit.coef.columns.tolist()
    ['estimate', 'std_error', 'df', 'statistic', 'p_value', 'conf_low', 'conf_high']
    >>> fit.covariance.shape
    (3, 3)
    """
    if not isinstance(formula, str | Formula):
        raise FormulaError(f"formula: expected a string such as 'Y ~ ARM * VISIT + "
                           f"us(VISIT | ID)', found {type(formula).__name__} {formula!r}")
    with pinned_blas():
        return _mmrm(formula, data, reml, df_method, weights, vcov, conf_level,
                     accept_nonconvergence, optimizer, kr_parametrization, start)


_OPTIMIZERS = {"default": "default", "strict": "strict", "r-mmrm": "r-mmrm", "mmrm": "r-mmrm"}
_KR_LABELS = {"sas": "Kenward-Roger (SAS PROC MIXED DDFM=KR)",
              "mmrm": "Kenward-Roger (R mmrm parametrization)"}
_DF_LABELS = {"satterthwaite": "Satterthwaite",
              "kenward-roger-linear": "Kenward-Roger, first order (SAS DDFM=KR(FIRSTORDER))",
              "between-within": "between-within", "residual": "residual"}


def _mmrm(formula, data, reml, df_method, weights, vcov, conf_level, accept_nonconvergence,
          optimizer, kr_parametrization, start) -> MMRMResult:
    f = parse_formula(formula) if isinstance(formula, str) else formula
    df_method = str(df_method).lower().replace("_", "-")
    if df_method not in DF_METHODS:
        raise ModelError(f"df_method must be one of {', '.join(DF_METHODS)}, got {df_method!r}")
    if vcov is None:
        vcov = "empirical" if df_method == "residual" else "asymptotic"
    if vcov not in _VCOV:
        raise ModelError(f"vcov must be one of {', '.join(_VCOV)}, got {vcov!r}")
    if vcov == "empirical" and df_method.startswith("kenward-roger"):
        raise ModelError("Kenward-Roger has its own adjusted covariance; it cannot be "
                         "combined with vcov='empirical'")
    if kr_parametrization not in ("mmrm", "sas"):
        raise ModelError(
            f"kr_parametrization must be 'mmrm' or 'sas', got {kr_parametrization!r}")
    if optimizer not in _OPTIMIZERS:
        raise ModelError(f"optimizer must be 'default' or 'r-mmrm' (aliases 'strict', "
                         f"'mmrm'), got {optimizer!r}")
    strategy = _OPTIMIZERS[optimizer]
    if isinstance(start, str):
        if start not in ("standard", "moment"):
            raise ModelError(f"start must be 'standard', 'moment' or covariance parameters, "
                             f"got {start!r}")
    else:
        start = np.asarray(start, dtype=float)
    if not 0.0 < conf_level < 1.0:
        raise ModelError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    spec, X, mask = build_design(f, data, weights=weights)
    d = data.loc[mask]
    y = d[f.response].to_numpy(dtype=float)
    w = None
    if weights is not None:
        w = (d[weights] if isinstance(weights, str)
             else pd.Series(np.asarray(weights, dtype=float)[mask])).to_numpy(dtype=float)
        if w is not None and f.random:
            raise ModelError("weights together with random effects are not supported")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise SingularDesignError(
            f"the fixed-effects design of {f.text!r} is rank deficient after dropping "
            f"aliased columns ({', '.join(spec.dropped) or 'none'})"
        )
    subject, clusters, blocks, zvalues = _subject_and_clusters(f, d, spec)
    re_labels = tuple(_cluster_labels(d, t.grouping, clusters[:, r])
                      for r, t in enumerate(f.random))
    _check_subject_ids(d[subject], subject)
    _check_scale(y, f.response)
    cov = f.covariance
    structure = None
    pos = coords = group = None
    times: tuple[str, ...] = ()
    groups: tuple[str, ...] = ("",)
    if cov is not None:
        structure = get_structure(cov.structure)
        if cov.structure in SPATIAL_STRUCTURES:
            coords = d[list(cov.time)].to_numpy(dtype=float)
        else:
            times = tuple(spec.factors[cov.time[0]])
            pos = spec.codes(d, cov.time[0])
        if cov.group is not None:
            groups = tuple(spec.factors[cov.group])
            group = spec.codes(d, cov.group)
    model = MarginalCovariance(structure, times=times, groups=groups, blocks=blocks)
    _check_identifiable(f, model, X.shape[1], d[subject].to_numpy(), pos, group)
    _check_g_and_r_separable(f, model, pos, zvalues)
    lik = Likelihood(X, y, d[subject].to_numpy(), model, pos=pos, coords=coords, group=group,
                     clusters=clusters, weights=w, reml=reml, zvalues=zvalues)
    if not isinstance(start, str) and (start.shape != (model.n_theta,)
                                       or not np.all(np.isfinite(start))):
        raise ModelError(f"start must be {model.n_theta} finite covariance parameters, "
                         f"got shape {start.shape}")
    def simpler_fit(name: str):
        """The covariance of each group fitted under the simpler structure ``name``."""
        m2 = MarginalCovariance(get_structure(name), times=times, groups=groups,
                                blocks=blocks)
        lik2 = Likelihood(X, y, d[subject].to_numpy(), m2, pos=pos, coords=coords,
                          group=group, clusters=clusters, weights=w, reml=reml,
                          zvalues=zvalues)
        th2, _ = _optimize(lik2, m2, cov, X, y, pos, group, False, strategy="default",
                           start="standard", structure_name=name, simpler=None)
        return [m2.group_sigma(th2, g)[0] for g in range(len(groups))]

    theta, opt = _optimize(lik, model, cov, X, y, pos, group,
                           accept_nonconvergence or bool(model.n_re),
                           strategy=strategy, start=start,
                           structure_name=cov.structure if cov is not None else None,
                           simpler=simpler_fit)
    st = lik._cached(theta) or lik.state(theta, order=1)
    expected = None
    if model.n_re and st is not None:
        # checked before the convergence verdict: a ridge defeats every optimizer, and
        # saying so is more use than saying that none converged
        expected = lik.hessian(theta, st, kind="expected")
        _check_identified(model, theta, expected)
    if model.n_re and not opt.converged and not accept_nonconvergence:
        raise ConvergenceError(failure_message(opt.attempts))
    H = opt.hessian if model.n_re == 0 and opt.hessian is not None else lik.hessian(theta, st)
    W = inverse(H)
    W_kr = W
    if model.n_re and df_method in ("kenward-roger", "kenward-roger-linear"):
        # pbkrtest (lmerTest's Kenward-Roger) uses the expected information
        W_kr = inverse(expected)
    phi = st.phi
    Pk = lik.p_matrices(st)
    vc = phi
    kr = df_method == "kenward-roger"
    if df_method in ("kenward-roger", "kenward-roger-linear"):
        vc, Pk, W = kenward_roger(lik, model, st, H, W_kr, linear=df_method.endswith("linear"),
                                  parametrization=kr_parametrization)
    subject_info = None
    if vcov == "empirical":
        vc = phi @ lik.empirical_meat(st) @ phi
        if df_method == "satterthwaite":
            subject_info = _frozen(lik.subject_information(st))
    n_sub = lik.n_subjects
    inf = Inference(beta=_frozen(st.beta), phi=_frozen(phi), vcov=_frozen(vc),
                    method=df_method, residual_df=float(lik.n_obs - lik.p), Pk=_frozen(Pk),
                    W=_frozen(W),
                    column_df=_frozen(_between_within(spec, X, lik, d[subject].to_numpy()))
                    if df_method == "between-within" else None,
                    subject_info=subject_info)
    names = list(spec.columns)
    est, se, dfs = t_tests(inf, np.eye(len(names)))
    coef = t_table(est, se, dfs, conf_level, index=pd.Index(names, name="term"))
    k = model.n_theta
    loglik = -st.f
    return MMRMResult(
        formula=f.text, spec=spec, coef=coef,
        vcov=pd.DataFrame(vc, index=names, columns=names),
        covariance=_covariance_tables(model, theta),
        theta=pd.DataFrame({"estimate": theta}, index=pd.Index(model.param_names(),
                                                                name="parameter")),
        variance_components=_variance_components(model, theta),
        loglik=float(loglik), aic=float(-2 * loglik + 2 * k),
        bic=float(-2 * loglik + k * np.log(n_sub)),
        n_obs=int(lik.n_obs), n_subjects=int(n_sub), n_rows_dropped=int((~mask).sum()),
        converged=opt.converged,
        optimizer=OptimizerInfo(
            opt.method, opt.iterations, opt.grad_norm, opt.attempts, strategy=strategy,
            criterion=opt.criterion, criterion_value=float(opt.criterion_value),
            tolerance=float(opt.tolerance),
            gradient=None if opt.gradient is None else _frozen(opt.gradient),
            min_eigenvalue=float(opt.min_eigenvalue)),
        df_method=df_method, vcov_method=vcov, reml=bool(reml), conf_level=float(conf_level),
        _inference=inf, _fitted=_frozen(X @ st.beta), _response=_frozen(y), _index=d.index,
        _lik=lik, _theta=_frozen(theta),
        kr_parametrization=kr_parametrization if kr else None,
        df_method_label=_KR_LABELS[kr_parametrization] if kr else _DF_LABELS[df_method],
        _re_codes=None if clusters is None else _frozen(clusters), _re_labels=re_labels,
        random_covariance={
            blk.label: pd.DataFrame(g, index=list(blk.columns), columns=list(blk.columns))
            for blk, g in zip(model.blocks, model.g_matrices(theta), strict=True)},
    )


#: the simpler structure whose fit gives the default optimizer a last starting point
_SIMPLER = {"us": "toeph", "toeph": "ar1h", "adh": "ar1h", "ad": "ar1", "ar1h": "ar1",
            "csh": "cs", "toep": "ar1"}


def _optimize(lik, model, cov, X, y, pos, group, accept, strategy="default", start="standard",
              structure_name=None, simpler=None):
    m = len(model.times) or 1
    n_groups = len(model.groups)
    grp = np.zeros(len(y), dtype=int) if group is None else group
    sigmas = _moment_sigmas(X, y, pos, grp, n_groups, m, lik.subject_codes)
    zscale = _z_scales(model, lik)
    starts = []
    if cov is not None and model.n_re == 0:
        std = np.tile(_std_start(structure_name or cov.structure, m), n_groups)
        starts = [("mmrm standard", std), ("moment", model.start(sigmas))]
        if isinstance(start, str) and start == "moment":
            starts.reverse()
        if not isinstance(start, str):
            starts.insert(0, ("given", start))
        problem, back = lik, (lambda t: t)
        methods = ("L-BFGS-B", "BFGS", "trust-exact")
    else:
        s2 = float(np.mean(np.diag(sigmas[0])))
        vmask = model.variance_params()
        if cov is None:
            vmask[0] = True
        chol = [(np.arange(sl.start, sl.stop), blk)
                for blk, sl in zip(model.blocks, model.re_slices(), strict=True) if blk.q > 1]
        # each random coefficient starts with half the residual variance on the scale of
        # its column (an intercept: half the variance), uncorrelated
        re0 = np.concatenate([
            [0.5 * s2 / (zs[a] * zs[b]) if a == b else 0.0 for a, b in blk.pairs]
            for blk, zs in zip(model.blocks, zscale, strict=True)]) if model.n_re else (
            np.zeros(0))
        th0 = model.start(sigmas, re_var=re0)
        if cov is None:
            th0[0] = 0.5 * s2
        problem = _VarianceScale(lik, vmask, chol=chol)
        methods = ("trust-exact", "L-BFGS-B", "BFGS")  # no R path to follow: Newton first
        th10 = th0.copy()
        th10[model.n_r:] /= 10.0
        if cov is None:
            th10[0] /= 10.0
        starts = [("moment", problem.to_phi(th0)), ("moment/10", problem.to_phi(th10))]
        if not isinstance(start, str):
            starts.insert(0, ("given", problem.to_phi(start)))
        back = problem.to_theta

    def run(prob, st, chk, acc):
        if strategy == "r-mmrm":
            return minimize_objective(prob, st, methods=methods, check=chk,
                                      accept_nonconvergence=acc)
        return newton_minimize(prob, st, check=chk, accept_nonconvergence=acc,
                               warm=model.n_re == 0, polish=strategy == "strict")

    def check(t):
        return _degenerate(model, back(t), zscale=zscale)

    if model.n_re == 0:
        restart = (strategy != "r-mmrm" and simpler is not None and not model.spatial
                   and structure_name in _SIMPLER)
        opt = run(problem, starts, check, accept or restart)
        if not opt.converged and restart:
            # a last start: the fit of a simpler structure (us from toeph, ...)
            name = _SIMPLER[structure_name]
            try:
                th_s = model.start(simpler(name))
                opt2 = run(problem, [(f"{name} fit", th_s)], check, True)
            except (ConvergenceError, np.linalg.LinAlgError) as exc:
                opt2 = dataclasses.replace(opt, attempts=(
                    *opt.attempts, Attempt("restart", f"{name} fit", np.nan, np.nan, 0,
                                           False, f"the {name} fit failed: {exc}")))
            attempts = opt.attempts + tuple(a for a in opt2.attempts if a not in opt.attempts)
            opt = dataclasses.replace(opt2 if opt2.converged else opt, attempts=attempts)
            if not opt.converged and not accept:
                raise ConvergenceError(failure_message(opt.attempts))
        return back(opt.theta), opt
    opt = run(problem, starts, check, True)
    theta = back(opt.theta)
    if not opt.converged:
        # a variance component shrinking to zero: hold it at its boundary (SAS, lme4)
        at_zero = _boundary_components(model, theta)
        if at_zero.any():
            fixed = np.zeros(model.n_theta, dtype=bool)
            fixed[model.n_r:] = at_zero
            reduced = _VarianceScale(lik, problem.mask, fixed, chol=problem.chol)
            phi = reduced.to_phi(theta)
            names = ", ".join(n for n, z in zip(model.re_names, at_zero, strict=True) if z)

            def check_reduced(t):
                return _degenerate(model, reduced.to_theta(t), skip=at_zero, zscale=zscale)

            opt2 = run(reduced, [(f"boundary ({names} = 0)", phi)], check_reduced, True)
            attempts = opt.attempts + opt2.attempts
            opt = dataclasses.replace(opt2, attempts=attempts) if opt2.converged else (
                dataclasses.replace(opt, attempts=attempts))
            if opt2.converged:
                theta = reduced.to_theta(opt2.theta)
    if not opt.converged and not accept:
        raise ConvergenceError(failure_message(opt.attempts))
    return theta, opt


#: smallest eigenvalue of the correlation-scaled expected information of an identified model
IDENTIFIED_TOL = 1e-10


def _check_identified(model: MarginalCovariance, theta: np.ndarray,
                      expected: np.ndarray) -> None:
    """Refuse covariance parameters that the data cannot tell apart (a likelihood ridge).

    With random effects, G and R can be confounded in ways no rule lists in advance
    (``(0 + TRT | S)`` plus a residual in a two-period crossover, say): the likelihood
    is then flat along a direction and any optimum returned is one arbitrary point.
    The expected information is singular exactly there; it is scaled to a correlation
    matrix (so units do not matter) and its smallest eigenvalue compared with
    :data:`IDENTIFIED_TOL`. Variances held at their zero boundary are left out.
    """
    keep = np.ones(model.n_theta, dtype=bool)
    keep[model.n_r:] = ~_boundary_components(model, theta)
    E = expected[np.ix_(keep, keep)]
    d = np.sqrt(np.clip(np.diag(E), 0.0, None))
    names = np.array(model.param_names())[keep]
    if np.any(d <= 0) or not np.all(np.isfinite(E)):
        bad = ", ".join(names[~(d > 0)]) or "?"
        raise ModelError(f"the covariance parameters are not identifiable: the data carry no "
                         f"information on {bad}; drop that term or choose a simpler structure")
    ev, vec = np.linalg.eigh(E / np.outer(d, d))
    if ev[0] > IDENTIFIED_TOL:
        return
    size = np.abs(vec[:, 0])
    top = [i for i in np.argsort(-size, kind="stable") if size[i] >= 0.2 * size.max()]
    involved = ", ".join(names[top[:6]]) + (", ..." if len(top) > 6 else "")
    raise ModelError(
        f"the covariance parameters are not identifiable: the likelihood is flat along a "
        f"combination of {involved} (scaled expected information has eigenvalue "
        f"{ev[0]:.2g}), so the G and R parts cannot be told apart and any estimate would be "
        "arbitrary; drop a random term or use an R-side structure that does not contain it")


def _z_scales(model: MarginalCovariance, lik: Likelihood) -> list[np.ndarray]:
    """Root mean square of each random term's ``Z`` columns over the rows (1 for an intercept)."""
    out = []
    for r, blk in enumerate(model.blocks):
        if lik.zvalues is None:
            out.append(np.ones(blk.q))
        else:
            z = lik.zvalues[:, model.z_slice(r)]
            out.append(np.maximum(np.sqrt(np.mean(z * z, axis=0)), 1e-300))
    return out


def _residual_scale(model: MarginalCovariance, theta: np.ndarray) -> float:
    """Average R-side variance at ``theta``."""
    if model.structure is None:
        return float(theta[0])
    if model.spatial:
        return float(np.exp(theta[0]))
    return float(np.mean([np.trace(model.group_sigma(theta, g)[0]) / len(model.times)
                          for g in range(len(model.groups))]))


def _boundary_components(model: MarginalCovariance, theta: np.ndarray) -> np.ndarray:
    """Variances of one-column random terms below 1e-6 of the total variance (per G entry).

    Entries of terms with several columns are never flagged here: such a ``G`` at
    its boundary is reported by :func:`_degenerate`.
    """
    tau = theta[model.n_r:]
    single = model.variance_params()[model.n_r:]
    total = _residual_scale(model, theta) + float(np.sum(np.abs(tau[single])))
    return single & (tau <= 1e-6 * total)


def _degenerate(model: MarginalCovariance, theta: np.ndarray,
                skip: np.ndarray | None = None, zscale: list | None = None) -> str | None:
    if model.structure is not None and not model.spatial:
        for g, label in enumerate(model.groups):
            sig = model.group_sigma(theta, g)[0]
            ev = np.linalg.eigvalsh(sig)
            if ev.min() <= 1e-8 * ev.max():
                where = f" of group {label}" if label else ""
                return (f"fitted covariance matrix{where} is degenerate (eigenvalues "
                        f"{ev.min():.3g} to {ev.max():.3g})")
    if model.spatial:
        for g in range(len(model.groups)):
            rho = 1.0 / (1.0 + np.exp(-theta[model.r_slice(g)][1]))
            if rho < 1e-8 or rho > 1 - 1e-8:
                return f"spatial correlation at its boundary (rho = {rho:.3g})"
    at_zero = _boundary_components(model, theta)
    for r, name in enumerate(model.re_names):
        if at_zero[r] and (skip is None or not skip[r]):
            return f"variance of random effect {name} is at zero (boundary)"
    resid = _residual_scale(model, theta)
    for r, (blk, G) in enumerate(zip(model.blocks, model.g_matrices(theta), strict=True)):
        if blk.q == 1:
            continue
        zs = np.ones(blk.q) if zscale is None else zscale[r]
        ev = np.linalg.eigvalsh(G * np.outer(zs, zs))  # on the scale of the outcome
        if ev.min() <= 1e-6 * (resid + ev.max()):
            apart = " + ".join(
                f"({'1' if c == '(Intercept)' else '0 + ' + c} | {blk.grouping})"
                for c in blk.columns)
            return (f"the G matrix of {blk.label} is singular (eigenvalues on the outcome's "
                    f"scale {ev.min():.3g} to {ev.max():.3g}): a random coefficient's "
                    f"variance or a correlation is at its boundary; fit uncorrelated terms, "
                    f"{apart}, or fewer random coefficients")
    return None


def _check_subject_ids(ids: pd.Series, name: str) -> None:
    """Refuse a subject column that mixes numbers and text (``3`` beside ``"3x"``)."""
    if not pd.api.types.is_object_dtype(ids.dtype):
        return
    text = ids.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    if text.any() and not text.all():
        i, j = int(np.flatnonzero(text)[0]), int(np.flatnonzero(~text)[0])
        raise DataError(f"subject column {name!r} mixes text and numbers (row {i}: "
                        f"{ids.iloc[i]!r}, row {j}: {ids.iloc[j]!r}); expected one type, "
                        "e.g. convert it with .astype(str)")


#: Outcome standard deviations outside this range under/overflow the covariance derivatives.
SCALE_RANGE = (1e-50, 1e50)


def _check_scale(y: np.ndarray, name: str) -> None:
    """Refuse an outcome whose scale would silently make the df infinite."""
    sd = float(np.std(y)) if y.size > 1 else 0.0
    lo, hi = SCALE_RANGE
    if not np.isfinite(y).all():
        i = int(np.flatnonzero(~np.isfinite(y))[0])
        raise DataError(f"outcome {name!r}, row {i}: expected a finite number, found {y[i]}")
    if sd and not lo <= sd <= hi:
        raise ModelError(f"outcome {name!r} has standard deviation {sd:.3g}, outside "
                         f"{lo:g}..{hi:g} where the covariance derivatives under- or overflow; "
                         "rescale it (change its units) and fit again")


#: Structures to suggest instead, fewest parameters last: name -> parameters for m visits.
_SMALLER = (("toeph", lambda m: 2 * m - 1), ("ar1h", lambda m: m + 1), ("toep", lambda m: m),
            ("cs", lambda m: 2), ("ar1", lambda m: 2))


def _check_identifiable(f: Formula, model: MarginalCovariance, p: int, subjects: np.ndarray,
                        pos: np.ndarray | None, group: np.ndarray | None) -> None:
    """Refuse, before any fitting, a covariance model the data cannot identify.

    The covariance parameters must be fewer than the observations left after
    the fixed effects (REML's ``n - p``); an unstructured covariance of ``m``
    visits needs at least ``m`` subjects in each group and, for each pair of
    visits, a subject seen at both (else that covariance is not estimable).
    The message names the structures with fewer parameters.
    """
    n = len(subjects)
    k = model.n_theta
    cov = f.covariance
    m = len(model.times)
    name = cov.structure if cov is not None else "residual"

    def advice() -> str:
        if not m:
            return "choose a model with fewer parameters"
        options = [f"{s}() ({count(m)} per group)" for s, count in _SMALLER
                   if count(m) < model.k_group]
        return "choose a structure with fewer parameters: " + ", ".join(options)

    if k > n - p:
        raise ModelError(
            f"{name}() over {m} visits has {k:,} covariance parameters, but the data have "
            f"{n:,} observations and {p} fixed effects ({n - p:,} left for the covariance); "
            f"the model is not identifiable: {advice()}"
        )
    if cov is None or cov.structure != "us" or pos is None:
        return
    codes = pd.factorize(subjects)[0]
    if len(np.unique(codes.astype(np.int64) * m + pos)) < n:
        return  # two rows of a subject at one visit: the likelihood says so, more precisely
    gcodes = np.zeros(n, dtype=np.intp) if group is None else group
    for g, label in enumerate(model.groups):
        rows = gcodes == g
        seen = np.zeros((codes.max() + 1, m), dtype=bool)
        seen[codes[rows], pos[rows]] = True
        seen = seen[seen.any(axis=1)]
        where = f" in group {label!r}" if label else ""
        if len(seen) < m:
            raise ModelError(
                f"us() over {m} visits{where} has {m * (m + 1) // 2:,} covariance parameters "
                f"but only {len(seen)} subjects; an unstructured covariance needs at least "
                f"as many subjects as visits: {advice()}"
            )
        both = seen.T.astype(np.int64) @ seen.astype(np.int64)
        never = np.argwhere(both == 0)
        if len(never):
            a, b = never[0]
            raise ModelError(
                f"us() over {m} visits{where}: no subject has both visit "
                f"{model.times[a]!r} and visit {model.times[b]!r}, so their covariance is "
                f"not estimable: {advice()}"
            )


#: R-side structures that contain a constant covariance between all visits
_ABSORB_INTERCEPT = ("us", "cs", "toep")


def _check_g_and_r_separable(f: Formula, model: MarginalCovariance, pos: np.ndarray | None,
                             zvalues: np.ndarray | None) -> None:
    """Refuse a subject-level random term that the R-side structure already contains.

    ``us``, ``cs`` and ``toep`` each contain a covariance common to all pairs of
    visits, so a random intercept on the subject is confounded with them (``V`` is
    the same along a ridge of variance splits); ``us`` contains any covariance over
    the visits, so every subject-level random term whose columns are functions of
    the visit is confounded with it. The likelihood is then flat in one direction
    and any reported variance component is arbitrary.
    """
    cov = f.covariance
    if cov is None or not model.blocks or cov.structure not in _ABSORB_INTERCEPT:
        return
    time = cov.time[0]
    for r, blk in enumerate(model.blocks):
        if blk.grouping != cov.subject:
            continue
        why = None
        if "(Intercept)" in blk.columns:
            why = (f"{cov.structure}() already has a covariance common to every pair of "
                   "visits, which is what a random intercept adds")
        elif cov.structure == "us" and pos is not None and zvalues is not None:
            z = pd.DataFrame(zvalues[:, model.z_slice(r)])
            if (z.groupby(pos).nunique() <= 1).all().all():
                why = ("us() already has any covariance over the visits, and the columns "
                       f"of {blk.label} are functions of the visit")
        if why is not None:
            raise ModelError(
                f"random term {blk.label} together with {cov.structure}({time} | "
                f"{cov.subject}) is not identifiable: {why}, so the split between G and R "
                "is arbitrary; drop the random term, or pair it with an R-side structure "
                f"without a common covariance, such as ar1({time} | {cov.subject})")


def _between_within(spec: DesignSpec, X, lik: Likelihood, subject) -> np.ndarray:
    codes = pd.factorize(pd.Series(subject).astype(str))[0]
    p = X.shape[1]
    within_col = np.zeros(p, dtype=bool)
    order = np.argsort(codes, kind="stable")
    cs, xs = codes[order], X[order]
    same = cs[1:] == cs[:-1]
    within_col = np.any(np.abs(xs[1:][same] - xs[:-1][same]) > 0, axis=0)
    terms = np.array(spec.column_terms)
    within_term = {t for t, wv in zip(terms, within_col, strict=True) if wv and t >= 0}
    is_within = np.array([t in within_term for t in terms])
    intercept = terms == -1
    p_within = int(np.sum(is_within))
    p_between = int(np.sum(~is_within & ~intercept))
    n_sub = lik.n_subjects
    df_between = n_sub - (int(intercept.any()) + p_between)
    df_within = lik.n_obs - (n_sub + p_within)
    return np.where(is_within | intercept, df_within, df_between).astype(float)


def _covariance_tables(model: MarginalCovariance, theta: np.ndarray):
    if model.structure is None:
        return pd.DataFrame([[theta[0]]], index=["residual"], columns=["residual"])
    tabs = {}
    for g, label in enumerate(model.groups):
        if model.spatial:
            sig = model.structure.sigma(theta[model.r_slice(g)], coords=np.array([0.0, 1.0]))[0]
            lab = ["0", "1"]
        else:
            sig = model.group_sigma(theta, g)[0]
            lab = list(model.times)
        tabs[label] = pd.DataFrame(sig, index=lab, columns=lab)
    if len(model.groups) == 1:
        return tabs[model.groups[0]]
    return tabs


def _variance_components(model: MarginalCovariance, theta) -> pd.DataFrame | None:
    if model.n_re == 0:
        return None
    comp: list[str] = []
    for blk in model.blocks:
        if blk.intercept_only:
            comp.append(blk.label)
            continue
        c = blk.columns
        comp.extend(f"{blk.label} var {c[a]}" if a == b else f"{blk.label} cov {c[b]}, {c[a]}"
                    for a, b in blk.pairs)
    vals = list(theta[model.n_r:])
    if model.structure is None:
        comp.append("residual")
        vals.append(theta[0])
    return pd.DataFrame({"component": comp, "estimate": vals})
