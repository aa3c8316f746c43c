"""Analysis kind ``ancova``: ANCOVA of the outcome at one visit by least squares.

``model.formula`` (``CHG ~ BASE + TRT01P``) is fitted with
:func:`ldn_stats.models.ols.ols` on the records of one visit (``model.visit``:
``"last"`` or an AVISIT label); LS-means by arm at the mean of numeric
covariates, differences ``arm - reference``, t tests on ``n - p`` df.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> get_kind("ancova").least_squares
True
"""

from __future__ import annotations

import pandas as pd

from ldn_stats import derive
from ldn_stats.errors import FormulaError, ModelError
from ldn_stats.models.mmrm.formula import parse_formula
from ldn_stats.models.ols import OLSResult, ols
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.base import AnalysisKind, KindFit, inference_frame

__all__ = ["KIND", "arm_fit_tables"]


def arm_fit_tables(fit: OLSResult, arm: str, reference: str,
                   visit: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LS-means by arm and differences ``arm - reference`` of a one-visit fit.

    Parameters
    ----------
    fit : OLSResult
        Fitted with ``arm`` a Categorical whose first level is ``reference``.
    arm, reference : str
        Treatment column and reference level.
    visit : str
        Label put in the ``visit`` column.

    Returns
    -------
    lsmeans, differences : pandas.DataFrame
        ``visit, group`` / ``visit, contrast`` plus the inference columns.
    """
    ls = fit.lsmeans(arm).rename(columns={arm: "group"})
    ls["group"] = ls["group"].astype(str)
    ls.insert(0, "visit", visit)
    pw = fit.pairwise(arm)
    pw = pw[pw["contrast"].str.endswith(f" - {reference}")]
    pw.insert(0, "visit", visit)
    return inference_frame(ls, ["visit", "group"]), inference_frame(pw, ["visit", "contrast"])


def _fit(sel, model) -> KindFit:
    visit = sel.visits[-1] if model.visit == "last" else model.visit
    if visit not in sel.visits:
        raise ModelError(f"model.visit {visit!r} is not an analysis visit; found {sel.visits}")
    formula = model.formula or ""
    f = parse_formula(formula)
    if (sel.arm,) not in f.terms:
        raise FormulaError(f"ANCOVA formula {formula!r} must contain the arm column {sel.arm!r}")
    final = sel.ana[sel.ana["AVISIT"].astype(str) == visit].copy()
    final[sel.arm] = pd.Categorical(final[sel.arm].astype(str), categories=sel.ordered_levels)
    res = ols(f, final)
    ls, diffs = arm_fit_tables(res, sel.arm, sel.reference, visit)
    details = (
        ("Model", f"ANCOVA: {formula} (ordinary least squares)"),
        ("Visit analysed", visit),
        ("Degrees of freedom", "residual (n - p)"),
        ("Observations used", res.n_obs),
        ("Observations dropped (missing outcome or covariate)", res.n_rows_dropped),
        ("Residual variance", res.sigma2),
        ("Residual df", res.residual_df),
        ("Converged", "yes (closed form)"),
    )
    return KindFit("ancova", res, formula, "residual", ls, diffs, details,
                   fitted=res.predict().to_numpy(), residuals=res.residuals().to_numpy())


def _derive(trial, rules, parameter):
    return derive.derive_parallel(trial, param=parameter, rules=rules)


KIND = register(AnalysisKind(
    name="ancova", design="parallel",
    summary="ANCOVA at one visit by ordinary least squares (LS-means, residual df)",
    fit=_fit, derive=_derive, needs_formula=True, least_squares=True))
