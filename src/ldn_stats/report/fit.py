"""Fit the model a spec asks for and return its results in one numeric shape.

Four kinds (``model.kind`` in the spec):

- ``ancova``: OLS of the outcome at one visit on the formula's terms; LS-means
  at the mean of numeric covariates, equal weights over other factors' levels.
- ``mmrm``: :func:`ldn_stats.models.mmrm.mmrm`; LS-means by arm and visit and
  the arm difference at each visit (``lsmeans``/``pairwise`` of the result).
- ``crossover``: :func:`ldn_stats.models.crossover.crossover`.
- ``crossover-ols``: OLS with fixed subject, period and treatment effects (the
  within-subject analysis; equal to the Hills-Armitage period-difference
  t-test, df n-2, for complete 2x2 data).

The common result, :class:`AnalysisResult`, holds numeric DataFrames with the
column vocabulary ``estimate, std_error, df, statistic, p_value, conf_low,
conf_high``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> d = pd.DataFrame({"TRT01P": ["A", "B"] * 20, "BASE": rng.normal(6, 1, 40)})
>>> d["CHG"] = -0.5 * (d["TRT01P"] == "B") + 0.1 * d["BASE"] + rng.normal(0, 1, 40)
>>> d["AVISIT"] = "Week 12"
>>> r = fit_ancova(d, "CHG ~ BASE + TRT01P", arm="TRT01P", reference="A")
>>> r.differences[["visit", "contrast"]].values.tolist()
[['Week 12', 'B - A']]
>>> int(r.differences["df"].iloc[0])
37
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ldn_stats.errors import FormulaError, ModelError, SingularDesignError

__all__ = [
    "AnalysisResult",
    "fit_ancova",
    "fit_crossover_ols",
    "from_crossover_result",
    "from_mmrm_result",
    "subgroup_effects",
]

INFERENCE = ["estimate", "std_error", "df", "statistic", "p_value", "conf_low", "conf_high"]


@dataclass(frozen=True)
class AnalysisResult:
    """Numeric results of one analysis, whatever the model kind.

    Parameters
    ----------
    kind : str
        The model kind of the spec.
    formula : str
        The model as fitted, in words or formula syntax.
    df_method : str
        Degrees-of-freedom method of the tests and intervals.
    lsmeans : pandas.DataFrame
        ``visit, group`` plus the inference columns.
    differences : pandas.DataFrame
        ``visit, contrast`` (``"b - a"``, treatment minus reference) plus the
        inference columns.
    details : tuple of (str, object)
        Model details in order (estimation, n, convergence, covariance parameters ...).
    covariance : pandas.DataFrame or None
        Estimated visit x visit covariance matrix (MMRM), else ``None``.
    fitted, residuals : numpy.ndarray or None
        For the diagnostic plots.
    extra : dict of str to pandas.DataFrame
        Crossover parts: ``period_effects``, ``variance_components``, ``carryover``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"TRT01P": ["A", "A", "B", "B"], "BASE": [6.0, 7.0, 6.0, 7.0],
    ...                   "CHG": [-1.0, -2.0, -2.0, -3.0]})
    >>> r = fit_ancova(d, "CHG ~ BASE + TRT01P", arm="TRT01P", reference="A")
    >>> r.kind, r.df_method, list(r.differences.columns)[:3]
    ('ancova', 'residual', ['visit', 'contrast', 'estimate'])
    """

    kind: str
    formula: str
    df_method: str
    lsmeans: pd.DataFrame
    differences: pd.DataFrame
    details: tuple[tuple[str, Any], ...]
    covariance: pd.DataFrame | None = None
    fitted: np.ndarray | None = None
    residuals: np.ndarray | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)


def _t_row(est: float, se: float, df: float, level: float = 0.95) -> dict[str, float]:
    t = est / se if se > 0 else math.nan
    q = float(stats.t.ppf(0.5 + level / 2, df))
    return {"estimate": est, "std_error": se, "df": df, "statistic": t,
            "p_value": float(2 * stats.t.sf(abs(t), df)),
            "conf_low": est - q * se, "conf_high": est + q * se}


@dataclass(frozen=True)
class _OLS:
    beta: np.ndarray
    vcov: np.ndarray
    df: float
    sigma2: float
    fitted: np.ndarray
    residuals: np.ndarray
    names: tuple[str, ...]

    def contrast(self, L: np.ndarray) -> dict[str, float]:
        est = float(L @ self.beta)
        se = float(np.sqrt(L @ self.vcov @ L))
        return _t_row(est, se, self.df)


def _ols(y: np.ndarray, X: np.ndarray, names: list[str]) -> _OLS:
    n, p = X.shape
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        raise SingularDesignError(
            f"design matrix has rank {rank} < {p} columns ({', '.join(names)}); "
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
    return _OLS(beta, vcov, df, sigma2, fitted, resid, tuple(names))


_TERM = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _parse_additive(formula: str) -> tuple[str, list[str]]:
    left, sep, right = formula.partition("~")
    outcome = left.strip()
    terms = [t.strip() for t in right.split("+")]
    if not sep or not _TERM.match(outcome) or not all(_TERM.match(t) for t in terms):
        raise FormulaError(
            f"ANCOVA formula must be 'outcome ~ a + b + ...' with column names only; "
            f"found {formula!r}")
    return outcome, terms


def _levels(values: pd.Series, reference: str | None = None) -> list[str]:
    levels = sorted(str(v) for v in pd.Series(values).dropna().unique())
    if reference is not None and reference in levels:
        levels.remove(reference)
        levels.insert(0, reference)
    return levels


def fit_ancova(data: pd.DataFrame, formula: str, *, arm: str, reference: str,
               visit_label: str | None = None) -> AnalysisResult:
    """ANCOVA by ordinary least squares with LS-means by arm.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject at the analysed visit; rows with a missing outcome
        or covariate are dropped.
    formula : str
        ``outcome ~ term + term ...``: column names only, no interactions.
        Numeric columns enter linearly; other columns as treatment-coded factors.
    arm : str
        The treatment column (must be a term).
    reference : str
        Reference level of ``arm``; contrasts are ``level - reference``.
    visit_label : str, optional
        Label put in the ``visit`` column (default: the single AVISIT value).

    Returns
    -------
    AnalysisResult

    Notes
    -----
    ``y = X b + e``, ``e ~ N(0, s^2 I)``; t tests and intervals on ``n - p`` df.
    LS-mean of arm a: ``L b`` with numeric covariates at their mean over the rows
    used and other factors weighted equally over their levels (SAS LSMEANS, R
    emmeans).  Witness for the OLS pieces: ``lm(CHG ~ BASE + TRT01P)`` in R;
    tested to 1e-10 against statsmodels OLS in ``tests/report/test_fit.py``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"TRT01P": ["A", "A", "B", "B"], "BASE": [6.0, 7.0, 6.0, 7.0],
    ...                   "CHG": [-1.0, -2.0, -2.0, -3.0]})
    >>> r = fit_ancova(d, "CHG ~ BASE + TRT01P", arm="TRT01P", reference="A", visit_label="W4")
    >>> float(r.differences["estimate"].iloc[0]), r.lsmeans["group"].tolist()
    (-1.0, ['A', 'B'])
    """
    outcome, terms = _parse_additive(formula)
    if arm not in terms:
        raise FormulaError(f"ANCOVA formula {formula!r} must contain the arm column {arm!r}")
    missing = [c for c in [outcome, *terms] if c not in data.columns]
    if missing:
        raise FormulaError(f"formula {formula!r} names columns not in the data: {missing}")
    d = data.dropna(subset=[outcome, *terms])
    if visit_label is None:
        visit_label = str(d["AVISIT"].iloc[0]) if "AVISIT" in d and len(d) else ""
    cols: list[np.ndarray] = [np.ones(len(d))]
    names = ["(Intercept)"]
    grid: dict[str, Any] = {}
    for term in terms:
        x = d[term]
        if pd.api.types.is_numeric_dtype(x) and not isinstance(x.dtype, pd.CategoricalDtype):
            cols.append(x.to_numpy(float))
            names.append(term)
            grid[term] = float(x.astype(float).mean())
        else:
            levels = _levels(x.astype(str), reference if term == arm else None)
            if term == arm and reference not in levels:
                raise ModelError(f"reference level {reference!r} not found in {arm}: {levels}")
            for lev in levels[1:]:
                cols.append((x.astype(str) == lev).to_numpy(float))
                names.append(f"{term}[{lev}]")
            grid[term] = levels
    X = np.column_stack(cols)
    fit = _ols(d[outcome].to_numpy(float), X, names)

    def L_for(level: str) -> np.ndarray:
        L = np.zeros(len(names))
        L[0] = 1.0
        for term in terms:
            g = grid[term]
            if isinstance(g, float):
                L[names.index(term)] = g
            else:
                for lev in g[1:]:
                    idx = names.index(f"{term}[{lev}]")
                    if term == arm:
                        L[idx] = 1.0 if lev == level else 0.0
                    else:
                        L[idx] = 1.0 / len(g)
        return L

    arms = grid[arm]
    ls = pd.DataFrame([{"visit": visit_label, "group": a, **fit.contrast(L_for(a))}
                       for a in arms])
    diffs = pd.DataFrame([
        {"visit": visit_label, "contrast": f"{a} - {reference}",
         **fit.contrast(L_for(a) - L_for(reference))}
        for a in arms[1:]
    ])
    details = (
        ("Model", f"ANCOVA: {formula} (ordinary least squares)"),
        ("Visit analysed", visit_label),
        ("Degrees of freedom", "residual (n - p)"),
        ("Observations used", len(d)),
        ("Observations dropped (missing outcome or covariate)", len(data) - len(d)),
        ("Residual variance", fit.sigma2),
        ("Residual df", fit.df),
        ("Converged", "yes (closed form)"),
    )
    return AnalysisResult("ancova", formula, "residual", ls, diffs, details,
                          fitted=fit.fitted, residuals=fit.residuals)


def fit_crossover_ols(data: pd.DataFrame, *, outcome: str, treatment: str = "TRTA",
                      period: str = "APERIOD", subject: str = "USUBJID",
                      sequence: str = "TRTSEQP", reference: str) -> AnalysisResult:
    """Crossover analysis with fixed subject, period and treatment effects (OLS).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject and period.
    outcome : str
        Outcome column.
    treatment, period, subject, sequence : str
        Column names.
    reference : str
        Reference treatment; contrasts are ``treatment - reference``.

    Returns
    -------
    AnalysisResult
        ``extra`` holds ``period_effects`` and, for two sequences, ``carryover``
        (two-sample t test of subject totals between sequences, complete subjects).

    Notes
    -----
    ``y_ij = s_i + pi_j + tau_d(i,j) + e_ij``; LS-means of treatments average the
    subject and period effects with equal weights.  With complete 2x2 data the
    treatment contrast equals the Hills-Armitage estimate (half the difference of
    the sequences' mean period differences) with ``n - 2`` df; tested to 1e-10.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": list("11223344"), "APERIOD": [1, 2] * 4,
    ...                   "TRTSEQP": ["A-B"] * 4 + ["B-A"] * 4,
    ...                   "TRTA": ["A", "B", "A", "B", "B", "A", "B", "A"],
    ...                   "Y": [5.0, 3.0, 6.0, 4.5, 2.0, 5.0, 3.5, 6.5]})
    >>> r = fit_crossover_ols(d, outcome="Y", reference="A")
    >>> r.differences["contrast"][0], round(float(r.differences["estimate"][0]), 3)
    ('B - A', -2.375)
    >>> float(r.differences["df"][0])
    2.0
    """
    d = data.dropna(subset=[outcome, treatment, period]).copy()
    subj = _levels(d[subject].astype(str))
    pers = _levels(d[period].astype(str))
    trts = _levels(d[treatment].astype(str), reference)
    if reference not in trts:
        raise ModelError(f"reference treatment {reference!r} not found in {treatment}: {trts}")
    cols = [(d[subject].astype(str) == s).to_numpy(float) for s in subj]
    names = [f"{subject}[{s}]" for s in subj]
    for p in pers[1:]:
        cols.append((d[period].astype(str) == p).to_numpy(float))
        names.append(f"{period}[{p}]")
    for t in trts[1:]:
        cols.append((d[treatment].astype(str) == t).to_numpy(float))
        names.append(f"{treatment}[{t}]")
    fit = _ols(d[outcome].to_numpy(float), np.column_stack(cols), names)
    ns, npr = len(subj), len(pers)

    def L_for(trt: str) -> np.ndarray:
        L = np.zeros(len(names))
        L[:ns] = 1.0 / ns
        L[ns:ns + npr - 1] = 1.0 / npr
        if trt != reference:
            L[names.index(f"{treatment}[{trt}]")] = 1.0
        return L

    ls = pd.DataFrame([{"visit": "", "group": t, **fit.contrast(L_for(t))} for t in trts])
    diffs = pd.DataFrame([{"visit": "", "contrast": f"{t} - {reference}",
                           **fit.contrast(L_for(t) - L_for(reference))} for t in trts[1:]])
    period_rows = []
    for p in pers[1:]:
        L = np.zeros(len(names))
        L[names.index(f"{period}[{p}]")] = 1.0
        period_rows.append({"contrast": f"{p} - {pers[0]}", **fit.contrast(L)})
    extra = {"period_effects": pd.DataFrame(period_rows)}
    seqs = _levels(d[sequence].astype(str)) if sequence in d else []
    if len(seqs) == 2 and npr == 2:
        counts = d.groupby(subject)[outcome].transform("size")
        totals = d[counts == 2].groupby(subject).agg(total=(outcome, "sum"),
                                                     seq=(sequence, "first"))
        a = totals.loc[totals["seq"] == seqs[0], "total"].to_numpy(float)
        b = totals.loc[totals["seq"] == seqs[1], "total"].to_numpy(float)
        if len(a) > 1 and len(b) > 1:
            res = stats.ttest_ind(b, a, equal_var=True)
            df = float(len(a) + len(b) - 2)
            sp = math.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / df)
            se = sp * math.sqrt(1 / len(a) + 1 / len(b))
            extra["carryover"] = pd.DataFrame([{
                "contrast": f"{seqs[1]} - {seqs[0]} (subject totals)",
                **_t_row(float(b.mean() - a.mean()), se, df),
                "statistic": float(res.statistic), "p_value": float(res.pvalue)}])
    details = (
        ("Model", f"{outcome} ~ {subject} + {period} + {treatment} (fixed effects, OLS)"),
        ("Degrees of freedom", "residual (n - p)"),
        ("Observations used", len(d)),
        ("Subjects", ns),
        ("Within-subject residual variance", fit.sigma2),
        ("Residual df", fit.df),
        ("Converged", "yes (closed form)"),
    )
    return AnalysisResult("crossover-ols", details[0][1], "residual", ls, diffs, details,
                          fitted=fit.fitted, residuals=fit.residuals, extra=extra)


def _orient(df: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Make every contrast ``x - reference`` (flip sign of ``reference - x``)."""
    out = df.copy()
    for i, label in enumerate(out["contrast"].astype(str)):
        a, _, b = label.partition(" - ")
        if a == reference and b:
            out.iloc[i, out.columns.get_loc("contrast")] = f"{b} - {a}"
            for col in ("estimate", "statistic"):
                if col in out:
                    out.iloc[i, out.columns.get_loc(col)] = -out[col].iloc[i]
            if "conf_low" in out and "conf_high" in out:
                lo, hi = out["conf_low"].iloc[i], out["conf_high"].iloc[i]
                out.iloc[i, out.columns.get_loc("conf_low")] = -hi
                out.iloc[i, out.columns.get_loc("conf_high")] = -lo
    return out


def _frame(obj: Any, name: str) -> pd.DataFrame:
    if obj is None:
        return pd.DataFrame()
    if isinstance(obj, pd.DataFrame):
        return obj.reset_index() if obj.index.name else obj.reset_index(drop=True)
    if isinstance(obj, pd.Series):
        return obj.to_frame(name).reset_index()
    if isinstance(obj, dict):
        return pd.DataFrame([obj])
    return pd.DataFrame({name: [obj]})


def _method_call(obj: Any, name: str) -> np.ndarray | None:
    fn = getattr(obj, name, None)
    if not callable(fn):
        return None
    try:
        return np.asarray(fn(), dtype=float)
    except (TypeError, ValueError):
        return None


def from_mmrm_result(res: Any, *, formula: str, arm: str, visit: str, reference: str,
                     df_method: str) -> AnalysisResult:
    """Collect LS-means and per-visit differences from an MMRM result.

    Parameters
    ----------
    res : ldn_stats.models.mmrm.MMRMResult
        Anything with ``lsmeans(specs, by)``, ``pairwise(specs, by)``,
        ``covariance``, ``converged``, ``n_obs``, ``n_subjects``, ``loglik``,
        ``aic`` (issue 3's documented shape).
    formula, df_method : str
        As fitted.
    arm, visit : str
        Treatment and visit columns.
    reference : str
        Reference arm; contrasts are turned to ``arm - reference``.

    Returns
    -------
    AnalysisResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from ldn_stats import mmrm
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"USUBJID": np.repeat(np.arange(20), 2),
    ...                   "AVISIT": np.tile(["W1", "W2"], 20),
    ...                   "TRT01P": np.repeat(["PBO", "LDN"] * 10, 2)})
    >>> d["TRT01P"] = pd.Categorical(d["TRT01P"], ["PBO", "LDN"])
    >>> d["CHG"] = rng.normal(size=40)
    >>> formula = "CHG ~ TRT01P * AVISIT + us(AVISIT | USUBJID)"
    >>> r = from_mmrm_result(mmrm(formula, d), formula=formula, arm="TRT01P", visit="AVISIT",
    ...                      reference="PBO", df_method="satterthwaite")
    >>> r.differences[["visit", "contrast"]].values.tolist()
    [['W1', 'LDN - PBO'], ['W2', 'LDN - PBO']]
    """
    ls = _frame(res.lsmeans(arm, by=visit), "estimate")
    pw = _orient(_frame(res.pairwise(arm, by=visit), "estimate"), reference)
    ls = ls.rename(columns={arm: "group", visit: "visit"})
    pw = pw.rename(columns={visit: "visit"})
    for df_ in (ls, pw):
        df_["visit"] = df_["visit"].astype(str)
    ls["group"] = ls["group"].astype(str)
    ls = ls[["visit", "group", *[c for c in INFERENCE if c in ls]]]
    pw = pw[["visit", "contrast", *[c for c in INFERENCE if c in pw]]]
    cov = res.covariance
    details: list[tuple[str, Any]] = [
        ("Model", f"MMRM: {formula}"),
        ("Estimation", "REML" if getattr(res, "reml", True) else "ML"),
        ("Degrees of freedom", df_method),
        ("Observations used", getattr(res, "n_obs", math.nan)),
        ("Subjects", getattr(res, "n_subjects", math.nan)),
    ]
    dropped = getattr(res, "n_rows_dropped", None)
    if isinstance(dropped, int | float):
        details.append(("Rows dropped (missing outcome or covariate)", dropped))
    details.append(("Converged", "yes" if bool(getattr(res, "converged", False)) else "no"))
    opt = getattr(res, "optimizer", None)
    if opt is not None:
        method = getattr(opt, "method", None)
        details.append(("Optimizer", str(opt) if method is None else
                        f"{method}, {getattr(opt, 'iterations', '?')} iterations"))
        grad = getattr(opt, "gradient_norm", None)
        if isinstance(grad, int | float):
            details.append(("Gradient norm at solution", float(grad)))
    for attr, label in (("loglik", "Log-likelihood"), ("aic", "AIC"), ("bic", "BIC")):
        value = getattr(res, attr, None)
        if isinstance(value, int | float):
            details.append((label, float(value)))
    if isinstance(cov, pd.DataFrame):
        labels = [str(c) for c in cov.columns]
        for i, a in enumerate(labels):
            for j in range(i + 1):
                details.append((f"Covariance {a}, {labels[j]}", float(cov.iloc[i, j])))
        cov = cov.copy()
        cov.index = labels
        cov.columns = labels
    else:
        cov = None
    return AnalysisResult("mmrm", formula, df_method, ls.reset_index(drop=True),
                          pw.reset_index(drop=True), tuple(details), covariance=cov,
                          fitted=_method_call(res, "predict"),
                          residuals=_method_call(res, "residuals"))


def from_crossover_result(res: Any, *, treatment: str, reference: str, df_method: str,
                          description: str) -> AnalysisResult:
    """Collect a crossover engine result (issue 4's ``CrossoverResult``).

    Parameters
    ----------
    res : ldn_stats.models.crossover.CrossoverResult
        With ``effects``, ``lsmeans``, ``period_effects``, ``variance_components``,
        ``icc`` and ``carryover``.
    treatment : str
        Treatment column of ``res.lsmeans``.
    reference : str
        Reference treatment.
    df_method, description : str
        As fitted.

    Returns
    -------
    AnalysisResult

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> row = {"estimate": -13.5, "std_error": 6.3, "df": 27.6, "statistic": -2.1,
    ...        "p_value": 0.04, "conf_low": -26.3, "conf_high": -0.7}
    >>> res = SimpleNamespace(effects=pd.DataFrame([{"contrast": "LDN - PBO", **row}]),
    ...                       lsmeans=pd.DataFrame([{"TRTA": "LDN", **row}]),
    ...                       period_effects=None, variance_components=None, icc=0.3,
    ...                       carryover=None)
    >>> r = from_crossover_result(res, treatment="TRTA", reference="PBO",
    ...                           df_method="kenward-roger", description="PCHG ~ ...")
    >>> dict(r.details)["Intra-class correlation"]
    0.3
    """
    eff = _orient(_frame(res.effects, "estimate"), reference).assign(visit="")
    ls = _frame(res.lsmeans, "estimate").rename(columns={treatment: "group"}).assign(visit="")
    ls["group"] = ls["group"].astype(str)
    ls = ls[["visit", "group", *[c for c in INFERENCE if c in ls]]]
    eff = eff[["visit", "contrast", *[c for c in INFERENCE if c in eff]]]
    details: list[tuple[str, Any]] = [("Model", description), ("Degrees of freedom", df_method)]
    for attr, label in (("design", "Design"), ("n_obs", "Observations used"),
                        ("n_subjects", "Subjects")):
        value = getattr(res, attr, None)
        if isinstance(value, str | int | float):
            details.append((label, value))
    engine = getattr(res, "model", None)
    if engine is not None and hasattr(engine, "converged"):
        details.append(("Estimation", "REML" if getattr(engine, "reml", True) else "ML"))
        details.append(("Converged", "yes" if bool(engine.converged) else "no"))
        opt = getattr(engine, "optimizer", None)
        if opt is not None and hasattr(opt, "method"):
            details.append(("Optimizer", f"{opt.method}, {getattr(opt, 'iterations', '?')} "
                                         "iterations"))
        if isinstance(getattr(engine, "loglik", None), int | float):
            details.append(("Log-likelihood", float(engine.loglik)))
    vc = _frame(res.variance_components, "estimate")
    if len(vc):
        label_col = next((c for c in vc.columns if c not in INFERENCE), None)
        for _, row in vc.iterrows():
            label = str(row[label_col]) if label_col else "component"
            details.append((f"Variance: {label}", float(row.get("estimate", math.nan))))
    icc = getattr(res, "icc", None)
    if isinstance(icc, int | float):
        details.append(("Intra-class correlation", float(icc)))
    elif icc is not None:
        icc_df = _frame(icc, "estimate")
        if "estimate" in icc_df and len(icc_df):
            details.append(("Intra-class correlation", float(icc_df["estimate"].iloc[0])))
    extra = {"period_effects": _frame(getattr(res, "period_effects", None), "estimate"),
             "carryover": _frame(getattr(res, "carryover", None), "estimate"),
             "responders": _frame(getattr(res, "responders", None), "estimate")}
    fitted_by = getattr(res, "model", res)  # the engine's MMRMResult when present
    return AnalysisResult("crossover", description, df_method, ls.reset_index(drop=True),
                          eff.reset_index(drop=True), tuple(details),
                          fitted=_method_call(fitted_by, "predict"),
                          residuals=_method_call(fitted_by, "residuals"), extra=extra)


def subgroup_effects(final: pd.DataFrame, *, arm: str, reference: str, outcome: str = "CHG",
                     covariate: str = "BASE", min_per_arm: int = 3) -> pd.DataFrame:
    """Treatment effect (ANCOVA) overall and within subgroups, for a forest plot.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per subject at the analysed visit with ``SITEID``, ``AGE``,
        ``covariate``, ``outcome`` and ``arm``.
    arm, reference : str
        Treatment column and reference level.
    outcome, covariate : str
        ANCOVA outcome and baseline covariate.
    min_per_arm : int, default 3
        Subgroups with fewer subjects in any arm are left out.

    Returns
    -------
    pandas.DataFrame
        ``subgroup, level, n, contrast`` plus the inference columns.  Age and
        baseline are split at their medians (labels show the cut).

    Notes
    -----
    Each subgroup is a separate ANCOVA ``outcome ~ covariate + arm`` (no
    interaction model): descriptive, as forest plots are.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"TRT01P": ["LDN", "PBO"] * 20, "AGE": np.arange(40) + 30,
    ...                   "SITEID": "01", "BASE": rng.normal(6, 1, 40),
    ...                   "CHG": rng.normal(-1, 1, 40)})
    >>> subgroup_effects(d, arm="TRT01P", reference="PBO")["subgroup"].tolist()
    ['All subjects', 'Site', 'Age', 'Age', 'Baseline pain', 'Baseline pain']
    """
    d = final.dropna(subset=[outcome, covariate, arm])
    age_cut = float(d["AGE"].median())
    base_cut = float(d[covariate].median())
    groups: list[tuple[str, str, pd.DataFrame]] = [("All subjects", "", d)]
    for site in _levels(d["SITEID"].astype(str)):
        groups.append(("Site", site, d[d["SITEID"].astype(str) == site]))
    groups.append(("Age", f"< {age_cut:g}", d[d["AGE"] < age_cut]))
    groups.append(("Age", f">= {age_cut:g}", d[d["AGE"] >= age_cut]))
    groups.append(("Baseline pain", f"< {base_cut:.2f}", d[d[covariate] < base_cut]))
    groups.append(("Baseline pain", f">= {base_cut:.2f}", d[d[covariate] >= base_cut]))
    rows = []
    formula = f"{outcome} ~ {covariate} + {arm}"
    for name, level, g in groups:
        counts = g[arm].astype(str).value_counts()
        if len(counts) < 2 or counts.min() < min_per_arm or reference not in counts:
            continue
        try:
            res = fit_ancova(g, formula, arm=arm, reference=reference, visit_label="")
        except ModelError:
            continue
        for _, row in res.differences.iterrows():
            rows.append({"subgroup": name, "level": level, "n": float(len(g)),
                         "contrast": row["contrast"], **{c: row[c] for c in INFERENCE}})
    return pd.DataFrame(rows, columns=["subgroup", "level", "n", "contrast", *INFERENCE])
