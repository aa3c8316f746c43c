"""Analysis kind ``crossover-ols``: fixed subject, period and treatment effects by least squares.

The within-subject analysis ``y_ij = s_i + pi_j + tau_d(i,j) + e_ij`` fitted by
:func:`ldn_stats.models.ols.ols`; LS-means of treatments average the subject and
period effects with equal weights. With complete 2x2 data the treatment contrast
equals the Hills-Armitage estimate with ``n - 2`` df; the carryover test is the
subject-totals t-test of :func:`ldn_stats.models.crossover.two_by_two.carryover_totals`.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> get_kind("crossover-ols").default_df
'residual'
"""

from __future__ import annotations

import pandas as pd

from ldn_stats import derive
from ldn_stats.errors import DataError, ModelError
from ldn_stats.models.crossover.prepare import sort_periods
from ldn_stats.models.crossover.two_by_two import carryover_totals
from ldn_stats.models.ols import ols
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.ancova import arm_fit_tables
from ldn_stats.report.kinds.base import AnalysisKind, KindFit, inference_frame

__all__ = ["KIND"]


def _fit(sel, model) -> KindFit:
    outcome = model.outcome
    d = sel.ana.dropna(subset=[outcome, "TRTA", "APERIOD"]).copy()
    periods = [str(p) for p in sort_periods(d["APERIOD"].unique())]
    d["USUBJID"] = d["USUBJID"].astype(str)
    d["APERIOD"] = pd.Categorical(d["APERIOD"].astype(str), categories=periods)
    d["TRTA"] = pd.Categorical(d["TRTA"].astype(str), categories=sel.ordered_levels)
    res = ols(f"{outcome} ~ USUBJID + APERIOD + TRTA", d)
    ls, pw = arm_fit_tables(res, "TRTA", sel.reference, visit="")
    per = res.pairwise("APERIOD")
    per = per[per["contrast"].str.endswith(f" - {periods[0]}")]
    extra = {"period_effects": inference_frame(per, ["contrast"])}
    if d["TRTSEQP"].nunique() == 2 and len(periods) == 2:
        try:
            extra["carryover"] = carryover_totals(sel.ana, outcome=outcome,
                                                  reference=sel.reference)
        except (DataError, ModelError):
            pass
    desc = f"{outcome} ~ USUBJID + APERIOD + TRTA (fixed effects, OLS)"
    details = (
        ("Model", desc),
        ("Degrees of freedom", "residual (n - p)"),
        ("Observations used", res.n_obs),
        ("Subjects", int(d["USUBJID"].nunique())),
        ("Within-subject residual variance", res.sigma2),
        ("Residual df", res.residual_df),
        ("Converged", "yes (closed form)"),
    )
    return KindFit("crossover-ols", res, desc, "residual", ls, pw, details,
                   fitted=res.predict().to_numpy(), residuals=res.residuals().to_numpy(),
                   extra=extra)


def _derive(trial, rules, parameter):
    return derive.derive_crossover(trial, param=parameter, rules=rules)


KIND = register(AnalysisKind(
    name="crossover-ols", design="crossover",
    summary="within-subject least squares with fixed subject, period and treatment effects",
    fit=_fit, derive=_derive, least_squares=True))
