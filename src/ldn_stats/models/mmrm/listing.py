"""``fit.summary()``: the PROC MIXED-like listing of an :class:`MMRMResult`.

Sections, in PROC MIXED's order and with its titles: Model Information, Class
Level Information, Dimensions, Number of Observations, Iteration History (the
optimizer's attempts and the convergence status), Covariance Parameter
Estimates, Estimated R Matrix, Fit Statistics, Solution for Fixed Effects,
Type 3 Tests of Fixed Effects, Least Squares Means and Differences of Least
Squares Means. Every section is a numeric DataFrame (``summary["Fit
Statistics"]``); only printing formats them.

Differences from a SAS listing, by design: fixed effects are named and coded
as R does (treatment contrasts, first level the reference; aliased columns are
left out rather than printed as zero rows), so order a factor as a Categorical
with SAS's reference level first to get SAS's estimates; covariance parameters
of an unstructured matrix are its elements ``UN(i,j)`` as SAS prints them, of
other structures the engine's parameters (with the implied R matrix beside);
AIC, AICC and BIC count the covariance parameters only, which is SAS's rule for
REML (for ML SAS adds the fixed effects).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from ldn_stats import mmrm
>>> rng = np.random.default_rng(5)
>>> d = pd.DataFrame({"ID": np.repeat(np.arange(25), 2), "V": np.tile(["a", "b"], 25),
...                   "T": np.repeat(["P", "L"] * 12 + ["P"], 2)})
>>> d["Y"] = np.repeat(rng.normal(size=25), 2) + rng.normal(size=50)
>>> s = mmrm_listing(mmrm("Y ~ T * V + us(V | ID)", d))
>>> s["Fit Statistics"]["Statistic"].tolist()[:2]
['-2 Res Log Likelihood', 'AIC (Smaller is Better)']
>>> print(s.to_text().splitlines()[0])
The MMRM Procedure (ldn_stats)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ldn_stats.errors import ModelError
from ldn_stats.models.listing import P_VALUE, Listing, Section

if TYPE_CHECKING:
    from ldn_stats.models.mmrm.result import MMRMResult

__all__ = ["mmrm_listing"]

#: structure code -> PROC MIXED's Model Information wording
STRUCTURE_NAMES = {
    "us": "Unstructured", "cs": "Compound Symmetry", "csh": "Heterogeneous Compound Symmetry",
    "ar1": "Autoregressive", "ar1h": "Heterogeneous Autoregressive", "ad": "Ante-dependence",
    "adh": "Heterogeneous Ante-dependence", "toep": "Toeplitz",
    "toeph": "Heterogeneous Toeplitz", "sp_exp": "Spatial Exponential",
    "sp_gau": "Spatial Gaussian",
}
_DF_NAMES = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger",
             "kenward-roger-linear": "Kenward-Roger (linear)",
             "between-within": "Between-Within", "residual": "Residual"}
_SE_NAMES = {"asymptotic": "Model-Based", "empirical": "Empirical (sandwich)",
             "kenward-roger": "Prasad-Rao-Jeske-Kackar-Harville (Kenward-Roger)"}
_STATS = ["Estimate", "Standard Error", "DF", "t Value", "Pr > |t|", "Alpha", "Lower", "Upper"]
_STAT_FORMATS: dict[str, int | str] = {"Estimate": 4, "Standard Error": 4, "DF": 1,
                                       "t Value": 2, "Pr > |t|": P_VALUE, "Alpha": 2,
                                       "Lower": 4, "Upper": 4}


def _stats(tab: pd.DataFrame, alpha: float) -> pd.DataFrame:
    return pd.DataFrame({
        "Estimate": tab["estimate"].to_numpy(float),
        "Standard Error": tab["std_error"].to_numpy(float),
        "DF": tab["df"].to_numpy(float), "t Value": tab["statistic"].to_numpy(float),
        "Pr > |t|": tab["p_value"].to_numpy(float), "Alpha": alpha,
        "Lower": tab["conf_low"].to_numpy(float), "Upper": tab["conf_high"].to_numpy(float)})


def _kv(title: str, items: Sequence[tuple[str, object]], formats: int | str | None = None,
        notes: tuple[str, ...] = ()) -> Section:
    table = pd.DataFrame({"Item": [k for k, _ in items], "Value": [v for _, v in items]})
    fmts = {"Value": formats} if formats is not None else {}
    return Section(title, table, fmts, header=False, notes=notes)  # type: ignore[arg-type]


def _factor_terms(fit: MMRMResult) -> list[tuple[str, ...]]:
    """Model terms made of factors only, in formula order."""
    return [t for t in fit.spec.formula.terms if t and all(v in fit.spec.factors for v in t)]


def _default_lsmeans(fit: MMRMResult) -> list[tuple[str, ...]]:
    terms = _factor_terms(fit)
    if not terms:
        return []
    top = max(len(t) for t in terms)
    return [next(t for t in terms if len(t) == top)]


def _parse_effect(effect: str | Sequence[str], fit: MMRMResult) -> tuple[str, ...]:
    names = (tuple(effect.replace("*", ":").split(":")) if isinstance(effect, str)
             else tuple(effect))
    names = tuple(n.strip() for n in names)
    bad = [n for n in names if n not in fit.spec.factors]
    if bad:
        raise ModelError(f"summary(lsmeans=...): {', '.join(bad)} not a factor of the fixed "
                         f"effects; factors: {', '.join(fit.spec.factors)}")
    return names


def _blank_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty factor labels where an effect lacks a factor; numbers stay numbers (NaN)."""
    text = [c for c in frame.columns if frame[c].dtype == object]
    return frame.fillna({c: "" for c in text})


def _lsmeans_sections(fit: MMRMResult, effects: list[tuple[str, ...]],
                      diff: bool) -> list[Section]:
    alpha = 1.0 - fit.conf_level
    ls_rows, diff_rows = [], []
    for eff in effects:
        grid, L = fit.spec.reference_grid(list(eff), full=True)
        # SAS order: the first factor of the effect varies slowest
        order = np.lexsort([grid[f].cat.codes.to_numpy() for f in reversed(eff)])
        grid, L = grid.iloc[order].reset_index(drop=True), L[order]
        name = "*".join(eff)
        tab = fit.estimate_full(L)
        labels = pd.DataFrame({"Effect": name, **{f: grid[f].astype(str).to_numpy()
                                                 for f in eff}})
        ls_rows.append(pd.concat([labels, _stats(tab, alpha)], axis=1))
        if diff and len(grid) > 1:
            pairs = [(i, j) for i in range(len(grid)) for j in range(i + 1, len(grid))]
            D = np.array([L[i] - L[j] for i, j in pairs])
            dtab = fit.estimate_full(D)
            cols: dict[str, object] = {"Effect": name}
            for f in eff:
                levels = grid[f].astype(str).to_numpy()
                cols[f] = [levels[i] for i, _ in pairs]
            for f in eff:
                levels = grid[f].astype(str).to_numpy()
                cols[f"_{f}"] = [levels[j] for _, j in pairs]
            diff_rows.append(pd.concat([pd.DataFrame(cols), _stats(dtab, alpha)], axis=1))
    out = []
    if ls_rows:
        ls = _blank_labels(pd.concat(ls_rows, ignore_index=True))
        out.append(Section("Least Squares Means", ls, _STAT_FORMATS))
    if diff_rows:
        dd = _blank_labels(pd.concat(diff_rows, ignore_index=True))
        out.append(Section("Differences of Least Squares Means", dd, _STAT_FORMATS,
                           notes=("Estimate = LS-mean of the row's levels minus LS-mean of "
                                  "the _ levels, as SAS DIFF prints it.",)))
    return out


def _covariance_sections(fit: MMRMResult) -> list[Section]:
    cov = fit.spec.formula.covariance
    mats = fit.covariance if isinstance(fit.covariance, dict) else {None: fit.covariance}
    subject = cov.subject if cov is not None else ""
    rows = []
    if cov is not None and cov.structure == "us":
        for group, m in mats.items():
            a = m.to_numpy(float)
            for i in range(a.shape[0]):
                for j in range(i + 1):
                    rows.append({"Cov Parm": f"UN({i + 1},{j + 1})", "Subject": subject,
                                 **({"Group": f"{cov.group} {group}"} if group is not None
                                    else {}), "Estimate": a[i, j]})
        cp = pd.DataFrame(rows)
        notes: tuple[str, ...] = ()
    else:
        cp = pd.DataFrame({"Cov Parm": [str(i) for i in fit.theta.index],
                           "Estimate": fit.theta["estimate"].to_numpy(float)})
        if cov is None:
            notes = ("Variances and covariances (the residual variance, then each random "
                     "term's G, lower triangle by row).",)
        else:
            notes = ("R-side parameters on the engine's optimization scale (log standard "
                     "deviations, transformed correlations), random-effect variances and "
                     "covariances as they are; the implied R matrix follows."
                     if fit.random_covariance else
                     "Parameters on the engine's optimization scale (log standard "
                     "deviations, transformed correlations); the implied R matrix follows.",)
    out = [Section("Covariance Parameter Estimates", cp, {"Estimate": 4}, notes=notes)]
    if fit.variance_components is not None and len(fit.variance_components):
        vc = fit.variance_components.rename(columns={"component": "Component",
                                                     "estimate": "Estimate"})
        out.append(Section("Variance Components", vc, {"Estimate": 4}))
    for term, g in fit.random_covariance.items():
        if g.shape[0] < 2:
            continue
        gm = g.copy()
        gm.insert(0, "Row", [str(i) for i in g.index])
        gm.columns = ["Row", *[str(c) for c in g.columns]]
        out.append(Section(f"Estimated G Matrix {term}", gm.reset_index(drop=True),
                           {str(c): 4 for c in g.columns}))
    for group, m in mats.items():
        r = m.copy()
        r.insert(0, "Row", [str(i) for i in r.index])
        r.columns = ["Row", *[str(c) for c in m.columns]]
        title = "Estimated R Matrix" + (f" ({cov.group} {group})"
                                        if cov is not None and group is not None else "")
        out.append(Section(title, r.reset_index(drop=True),
                           {str(c): 4 for c in m.columns}))
    return out


def mmrm_listing(fit: MMRMResult, lsmeans: str | Sequence[str | Sequence[str]] | None = None,
                 diff: bool = True) -> Listing:
    """The PROC MIXED-like listing of ``fit`` (what ``fit.summary()`` returns).

    Parameters
    ----------
    fit : MMRMResult
    lsmeans : str or sequence, optional
        Effects whose LS-means to list, SAS style (``"AVISIT*ARMCD"``) or as
        tuples of factor names; default: the first factor-only term of the
        highest order (``TRT01P:AVISIT`` in a treatment-by-visit MMRM); ``()`` for none.
    diff : bool, default True
        Also list every pairwise difference of the LS-means of each effect (SAS DIFF).

    Returns
    -------
    Listing
        Sections indexable by title; ``print`` shows the listing, notebooks its HTML.

    Raises
    ------
    ModelError
        If an LS-means effect names something that is not a factor.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ldn_stats import mmrm
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"ID": np.repeat(np.arange(30), 3), "V": np.tile(["1", "2", "3"], 30)})
    >>> d["Y"] = np.repeat(rng.normal(size=30), 3) + rng.normal(size=90)
    >>> s = mmrm_listing(mmrm("Y ~ V + us(V | ID)", d))
    >>> s["Covariance Parameter Estimates"]["Cov Parm"].tolist()[:3]
    ['UN(1,1)', 'UN(2,1)', 'UN(2,2)']
    >>> len(s["Differences of Least Squares Means"])
    3
    """
    f = fit.spec.formula
    cov = f.covariance
    reml = fit.reml
    info: list[tuple[str, object]] = [
        ("Dependent Variable", f.response),
        ("Model", fit.formula),
        ("Covariance Structure", STRUCTURE_NAMES.get(cov.structure, cov.structure)
         if cov is not None else "None (random effects only)"),
    ]
    if cov is not None:
        info += [("Subject Effect", cov.subject)]
        if cov.group:
            info += [("Group Effect", cov.group)]
    for re_term in f.random:
        info += [("Random Effect", f"({' + '.join(re_term.expr)} | "
                                   f"{':'.join(re_term.grouping)})")]
    info += [("Estimation Method", "REML" if reml else "ML"),
             ("Fixed Effects SE Method", _SE_NAMES.get(fit.vcov_method, fit.vcov_method)),
             ("Degrees of Freedom Method", _DF_NAMES.get(fit.df_method, fit.df_method))]
    sections = [_kv("Model Information", info)]

    classes = pd.DataFrame({"Class": list(fit.spec.factors),
                            "Levels": [len(v) for v in fit.spec.factors.values()],
                            "Values": [" ".join(v) for v in fit.spec.factors.values()]})
    sections.append(Section("Class Level Information", classes, {"Levels": 0}))

    n_theta = len(fit.theta)
    p = len(fit.spec.columns)
    sections.append(_kv("Dimensions", [("Covariance Parameters", n_theta),
                                       ("Columns in X", p),
                                       ("Aliased Columns Dropped", len(fit.spec.dropped)),
                                       ("Subjects", fit.n_subjects)], 0))
    sections.append(_kv("Number of Observations", [
        ("Number of Observations Read", fit.n_obs + fit.n_rows_dropped),
        ("Number of Observations Used", fit.n_obs),
        ("Number of Observations Not Used", fit.n_rows_dropped)], 0))

    obj = "-2 Res Log Like" if reml else "-2 Log Like"
    att = pd.DataFrame([{"Attempt": k + 1, "Method": a.method, "Start": a.start,
                         obj: 2.0 * a.f, "Gradient Norm": a.grad_norm,
                         "Iterations": a.iterations, "Converged": a.converged,
                         "Message": a.message} for k, a in enumerate(fit.optimizer.attempts)])
    status = ("Convergence criteria met." if fit.converged else
              "WARNING: did not converge (accepted because the caller opted out of the error).")
    status_notes = (f"Accepted: {fit.optimizer.method}, {fit.optimizer.iterations} iterations, "
                    f"gradient norm {fit.optimizer.gradient_norm:.3g}.", status)
    if len(att):
        sections.append(Section("Iteration History", att,
                                {obj: 8, "Gradient Norm": 8, "Attempt": 0, "Iterations": 0},
                                notes=status_notes))
    else:
        sections.append(_kv("Iteration History", [("Optimizer", fit.optimizer.method),
                                                  ("Iterations", fit.optimizer.iterations)],
                            notes=status_notes))

    sections += _covariance_sections(fit)

    m2ll = -2.0 * fit.loglik
    k = (fit.aic - m2ll) / 2.0
    n_star = fit.n_obs - p if reml else fit.n_obs
    aicc = m2ll + 2.0 * k * n_star / (n_star - k - 1.0) if n_star - k - 1.0 > 0 else np.nan
    fit_stats = pd.DataFrame({"Statistic": [
        "-2 Res Log Likelihood" if reml else "-2 Log Likelihood", "AIC (Smaller is Better)",
        "AICC (Smaller is Better)", "BIC (Smaller is Better)"],
        "Value": [m2ll, fit.aic, aicc, fit.bic]})
    sections.append(Section("Fit Statistics", fit_stats, {"Value": 1}, header=False))

    coef = fit.coef
    sol = pd.concat([pd.DataFrame({"Effect": [str(i) for i in coef.index]}),
                     _stats(coef, 1.0 - fit.conf_level).drop(columns="Alpha")], axis=1)
    fmt = {k: v for k, v in _STAT_FORMATS.items() if k != "Alpha"}
    sections.append(Section("Solution for Fixed Effects", sol, fmt))

    an = fit.anova()
    t3 = pd.DataFrame({"Effect": [str(i).replace(":", "*") for i in an.index],
                       "Num DF": an["num_df"].to_numpy(float),
                       "Den DF": an["den_df"].to_numpy(float),
                       "F Value": an["statistic"].to_numpy(float),
                       "Pr > F": an["p_value"].to_numpy(float)})
    sections.append(Section("Type 3 Tests of Fixed Effects", t3,
                            {"Num DF": 0, "Den DF": 1, "F Value": 2, "Pr > F": P_VALUE}))

    if lsmeans is None:
        effects = _default_lsmeans(fit)
    elif isinstance(lsmeans, str):
        effects = [_parse_effect(lsmeans, fit)]
    else:
        effects = [_parse_effect(e, fit) for e in lsmeans]
    sections += _lsmeans_sections(fit, effects, diff)
    return Listing("The MMRM Procedure (ldn_stats)", tuple(sections))
