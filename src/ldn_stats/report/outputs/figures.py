"""The report's figures, registered by spec key (data in, a matplotlib figure out).

Each builder returns ``(figure, title, note)`` or ``None`` when the figure cannot
be drawn from the data at hand (the runner then records a note instead).  The
plot functions themselves are in :mod:`ldn_stats.figures.plots`; the subgroup
fits of the forest plot in :mod:`ldn_stats.models.subgroups`.

Examples
--------
>>> from ldn_stats.report.outputs import outputs
>>> [o.key for o in outputs("figure")][:3]
['covariance_heatmap', 'crossover_periods', 'forest']
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ldn_stats.figures import plots
from ldn_stats.figures.style import arm_colours
from ldn_stats.models.subgroups import subgroup_effects
from ldn_stats.report.kinds.base import KindFit
from ldn_stats.report.outputs import figure
from ldn_stats.report.selection import Selection

__all__: list[str] = []

PAR = ("parallel",)
XO = ("crossover",)


def _colours(sel: Selection) -> dict[str, str]:
    return arm_colours(sel.levels, sel.reference)


@figure("mean_change", PAR, needs="baseline")
def mean_change(sel: Selection, fit: KindFit):
    summ = plots.observed_means(sel.ana, group=sel.arm, visit="AVISIT", value="CHG")
    return (plots.mean_change_plot(summ, sel.visits, _colours(sel),
                                   f"Change from baseline in {sel.spec.parameter}"),
            "Mean change from baseline by visit and arm",
            "Observed means with 95% t confidence intervals.")


@figure("lsmean_change", PAR)
def lsmean_change(sel: Selection, fit: KindFit):
    ls = fit.lsmeans.rename(columns={"estimate": "mean"})
    visits = [v for v in sel.visits if v in set(ls["visit"])]
    if not visits:
        return None
    return (plots.mean_change_plot(ls, visits, _colours(sel),
                                   f"LS-mean change from baseline in {sel.spec.parameter}"),
            "LS-mean change from baseline by visit and arm",
            f"Model LS-means with 95% CI ({fit.df_method} df); model: {fit.formula}.")


@figure("trajectories", PAR, needs="baseline")
def trajectories(sel: Selection, fit: KindFit):
    return (plots.trajectories_plot(sel.ana, subject="USUBJID", group=sel.arm, visit="AVISIT",
                                    value="CHG", visits=sel.visits, colours=_colours(sel),
                                    ylabel=f"Change from baseline in {sel.spec.parameter}"),
            "Individual trajectories with arm means",
            "Thin lines are subjects, the thick line the observed mean.")


@figure("responder_curve", PAR, needs="baseline")
def responder_curve(sel: Selection, fit: KindFit):
    return (plots.responder_curve_plot(sel.final(), group="TRT01P", value="PCHG",
                                       colours=_colours(sel)),
            f"Responder curve at {sel.visits[-1]}",
            "Percent of subjects with at least each reduction from baseline; "
            "dashed lines at 30% and 50%.")


@figure("waterfall", PAR, needs="baseline")
def waterfall(sel: Selection, fit: KindFit):
    return (plots.waterfall_plot(sel.final(), group="TRT01P", value="PCHG",
                                 colours=_colours(sel)),
            f"Waterfall of percent change from baseline at {sel.visits[-1]}",
            "One bar per subject with a value; dashed lines at -30% and -50%.")


@figure("forest", PAR, needs="baseline")
def forest(sel: Selection, fit: KindFit):
    eff = subgroup_effects(sel.final(), arm="TRT01P", reference=sel.reference)
    if len(eff) == 0:
        return None
    contrast = eff["contrast"].iloc[0]
    eff = eff[eff["contrast"] == contrast]
    return (plots.forest_plot(eff, f"Difference in change from baseline ({contrast})"),
            f"Treatment effect by subgroup at {sel.visits[-1]}",
            "ANCOVA of change on baseline and arm within each subgroup, 95% CI; "
            "age and baseline pain split at their medians; subgroups with fewer than "
            "3 subjects in an arm are omitted.")


@figure("crossover_periods", XO)
def crossover_periods(sel: Selection, fit: KindFit):
    outcome = sel.spec.model.outcome
    seq_levels = sorted(str(x) for x in sel.ana["TRTSEQP"].dropna().unique())
    return (plots.crossover_period_plot(sel.ana, subject="USUBJID", period="APERIOD",
                                        sequence="TRTSEQP", value=outcome,
                                        colours=arm_colours(seq_levels),
                                        ylabel=f"{outcome} ({sel.spec.parameter})"),
            "Outcome by period and sequence",
            f"Each line is a subject's period {outcome}; black: mean.")


@figure("within_subject", XO)
def within_subject(sel: Selection, fit: KindFit):
    outcome = sel.spec.model.outcome
    ana = sel.ana
    wide = ana.pivot_table(index="USUBJID", columns="TRTA", values=outcome, aggfunc="mean")
    seq = ana.groupby("USUBJID")["TRTSEQP"].first().astype(str)
    others = [lv for lv in sel.levels if lv != sel.reference]
    if not others:
        return None
    trt = others[0]
    diffs = pd.DataFrame({"diff": wide[trt] - wide[sel.reference], "seq": seq}).dropna()
    seq_levels = sorted(diffs["seq"].unique())
    return (plots.within_subject_plot(diffs, value="diff", group="seq",
                                      colours=arm_colours(seq_levels),
                                      xlabel=f"{trt} - {sel.reference} in {outcome}"),
            "Within-subject treatment differences",
            "One point per subject with both periods; band: mean with 95% t CI.")


@figure("residuals", ("parallel", "crossover"),
        skip_reason="the model result provides no residuals")
def residuals(sel: Selection, fit: KindFit):
    if fit.residuals is None or fit.fitted is None:
        return None
    return (plots.residual_plot(fit.fitted, fit.residuals),
            "Residual diagnostics", f"Model: {fit.formula}.")


@figure("covariance_heatmap", PAR)
def covariance_heatmap(sel: Selection, fit: KindFit):
    if fit.covariance is not None:
        cov = fit.covariance.to_numpy(float)
        sd = np.sqrt(np.diag(cov))
        corr = pd.DataFrame(cov / np.outer(sd, sd), index=fit.covariance.index,
                            columns=fit.covariance.columns)
        how = "Correlations implied by the estimated MMRM covariance matrix."
    else:
        wide = sel.ana.pivot_table(index="USUBJID", columns="AVISIT", values="CHG",
                                   aggfunc="mean", observed=True)
        wide.columns = [str(c) for c in wide.columns]
        corr = wide[[v for v in sel.visits if v in wide.columns]].corr(min_periods=3)
        how = ("Observed pairwise-complete Pearson correlations of change from baseline "
               "(the fitted model has no visit covariance).")
    if corr.isna().all().all() or math.isnan(float(np.nanmax(corr.to_numpy(float)))):
        return None
    return (plots.heatmap_plot(corr, "Correlation between visits"),
            "Correlation of change from baseline between visits", how)
