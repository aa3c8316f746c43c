"""From a spec, a validated trial and its analysis table to numbered tables and figures.

:func:`analyse` is pure (no files): it selects the population, parameter and
visits, fits the spec's model (:mod:`ldn_stats.report.fit`) and builds every
table and figure the spec lists.  :mod:`ldn_stats.report.runner` writes them.

Examples
--------
See ``tests/report/test_analyse.py``: a synthetic trial through every output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ldn_stats.errors import DataError, ModelError
from ldn_stats.figures import plots
from ldn_stats.figures.figure import ReportFigure
from ldn_stats.figures.style import arm_colours, save_figure
from ldn_stats.report import fit as fitting
from ldn_stats.report.spec import Spec
from ldn_stats.tables import catalogue, summaries
from ldn_stats.tables.table import Table

__all__ = ["AnalysisOutputs", "analyse", "choose_reference"]


@dataclass(frozen=True)
class AnalysisOutputs:
    """Everything one spec produces, in memory.

    Parameters
    ----------
    spec : Spec
    result : AnalysisResult
        The fitted model's numbers.
    tables : tuple of Table
    figures : tuple of ReportFigure
    notes : tuple of str
        Outputs asked for but not drawable (with the reason).

    Examples
    --------
    >>> list(AnalysisOutputs.__dataclass_fields__)
    ['spec', 'result', 'tables', 'figures', 'notes']
    """

    spec: Spec
    result: fitting.AnalysisResult
    tables: tuple[Table, ...]
    figures: tuple[ReportFigure, ...]
    notes: tuple[str, ...] = field(default=())


def choose_reference(levels: list[str], requested: str | None) -> str:
    """The reference (placebo) level: ``requested``, else ``PBO`` if present, else the first.

    Parameters
    ----------
    levels : list of str
        Treatment levels found in the data.
    requested : str or None
        ``data.reference`` from the spec.

    Returns
    -------
    str

    Raises
    ------
    ModelError
        ``requested`` is not among ``levels``.

    Examples
    --------
    >>> choose_reference(["LDN", "PBO"], None)
    'PBO'
    >>> choose_reference(["A", "B"], None)
    'A'
    """
    levels = sorted(levels)
    if requested is not None:
        if requested not in levels:
            raise ModelError(f"data.reference {requested!r} is not a treatment level; "
                             f"found {levels}")
        return requested
    if "PBO" in levels:
        return "PBO"
    if not levels:
        raise ModelError("no treatment levels found in the analysis data")
    return levels[0]


def _is_y(x: pd.Series) -> pd.Series:
    return x.astype("string").fillna("") == "Y"


def _visit_order(ana: pd.DataFrame) -> list[str]:
    v = ana["AVISIT"]
    if isinstance(v.dtype, pd.CategoricalDtype):
        present = set(v.dropna().astype(str))
        return [str(c) for c in v.cat.categories if str(c) in present]
    if "AVISITN" in ana:
        order = ana.dropna(subset=["AVISIT"]).groupby(ana["AVISIT"].astype(str))["AVISITN"].min()
        return [str(k) for k in order.sort_values(kind="mergesort").index]
    return sorted(str(x) for x in v.dropna().unique())


@dataclass(frozen=True)
class _Context:
    spec: Spec
    adsl: pd.DataFrame
    pop: pd.DataFrame
    ana: pd.DataFrame
    arm: str
    reference: str
    levels: list[str]
    visits: list[str]
    adae: pd.DataFrame | None
    adeff: pd.DataFrame | None = None


def _prepare(spec: Spec, trial: Any, analysis: pd.DataFrame) -> _Context:
    adsl = trial.adsl
    if spec.population not in adsl.columns:
        raise DataError(f"data.population: column {spec.population!r} not found in adsl; "
                        f"columns are {list(adsl.columns)}")
    pop = adsl[_is_y(adsl[spec.population])]
    ana = analysis
    if "PARAMCD" in ana:
        ana = ana[ana["PARAMCD"].astype(str) == spec.parameter]
    ana = ana[ana["USUBJID"].isin(pop["USUBJID"])]
    if "ANL01FL" in ana:
        ana = ana[_is_y(ana["ANL01FL"])]
    parallel = spec.design == "parallel"
    if parallel and "AVISITN" in ana:
        ana = ana[ana["AVISITN"] > 0]
    if len(ana) == 0:
        raise DataError(f"{spec.source}: no analysis records for parameter {spec.parameter!r} "
                        f"in population {spec.population} = 'Y'")
    visits: list[str] = []
    if parallel:
        visits = _visit_order(ana)
        if spec.visits:
            unknown = [v for v in spec.visits if v not in visits]
            if unknown:
                raise DataError(f"data.visits: {unknown} not among the analysis visits {visits}")
            visits = [v for v in visits if v in spec.visits]
            ana = ana[ana["AVISIT"].astype(str).isin(visits)]
    arm = "TRT01P" if parallel else "TRTA"
    levels = sorted(str(x) for x in ana[arm].dropna().unique())
    reference = choose_reference(levels, spec.reference)
    adae = getattr(trial, "adae", None)
    return _Context(spec, adsl, pop, ana.reset_index(drop=True), arm, reference, levels,
                    visits, adae, getattr(trial, "adeff", None))


def _fit(ctx: _Context) -> fitting.AnalysisResult:
    m = ctx.spec.model
    if m.kind == "ancova":
        visit = ctx.visits[-1] if m.visit == "last" else m.visit
        if visit not in ctx.visits:
            raise ModelError(f"model.visit {visit!r} is not an analysis visit; found {ctx.visits}")
        final = ctx.ana[ctx.ana["AVISIT"].astype(str) == visit]
        return fitting.fit_ancova(final, m.formula or "", arm=ctx.arm, reference=ctx.reference,
                                  visit_label=visit)
    if m.kind == "mmrm":
        from ldn_stats.models.mmrm import mmrm

        data = ctx.ana.copy()
        order = [ctx.reference] + [lv for lv in ctx.levels if lv != ctx.reference]
        data[ctx.arm] = pd.Categorical(data[ctx.arm].astype(str), categories=order)
        data["AVISIT"] = pd.Categorical(data["AVISIT"].astype(str), categories=ctx.visits,
                                        ordered=True)
        res = mmrm(m.formula or "", data, reml=m.reml, df_method=m.df_method)
        return fitting.from_mmrm_result(res, formula=m.formula or "", arm=ctx.arm,
                                        visit="AVISIT", reference=ctx.reference,
                                        df_method=m.df_method)
    outcome = m.outcome
    if m.kind == "crossover-ols":
        return fitting.fit_crossover_ols(ctx.ana, outcome=outcome, reference=ctx.reference)
    if m.kind == "crossover-diary":
        from ldn_stats.models.crossover.diary import diary_crossover

        res = diary_crossover(ctx.ana, outcome=outcome, day="APERDY", df_method=m.df_method,
                              reference=ctx.reference)
        return fitting.from_crossover_result(
            res, treatment="TRTA", reference=ctx.reference, df_method=m.df_method,
            description=f"{getattr(res, 'formula', outcome)} (daily diary, REML)")
    from ldn_stats.models.crossover import crossover

    adjust = m.period_baseline
    res = crossover(ctx.ana, outcome=outcome, subject="USUBJID", period="APERIOD",
                    treatment="TRTA", sequence="TRTSEQP",
                    period_baseline=None if adjust == "none" else "BASE",
                    baseline_adjustment="covariate" if adjust == "none" else adjust,
                    df_method=m.df_method, reference=ctx.reference)
    desc = str(getattr(res, "formula", "")) or (
        f"{outcome} ~ TRTSEQP + APERIOD + TRTA + (1 | USUBJID)")
    desc += " (REML" + ("" if adjust == "none" else f"; period baseline as {adjust}") + ")"
    return fitting.from_crossover_result(res, treatment="TRTA", reference=ctx.reference,
                                         df_method=m.df_method, description=desc)


def _footnotes(ctx: _Context, result: fitting.AnalysisResult, model: bool = True) -> tuple:
    s = ctx.spec
    notes = [f"Population: subjects with {s.population} = 'Y' (N = {len(ctx.pop)}); "
             f"parameter {s.parameter}."]
    if model:
        notes.append(f"Model: {result.formula}.")
        notes.append(f"Degrees of freedom: {result.df_method}.")
    notes.append(f"Source: spec {s.source}.")
    return tuple(notes)


def _subjects(ctx: _Context) -> pd.DataFrame:
    """One row per population subject with BASE (parallel: first visit; crossover: period 1)."""
    ana = ctx.ana
    if "APERIOD" in ana and ctx.spec.design == "crossover":
        ana = ana.sort_values(["USUBJID", "APERIOD"])
    base = ana.dropna(subset=["BASE"]).groupby("USUBJID", sort=True)["BASE"].first()
    return ctx.pop.merge(base.rename("BASE").reset_index(), on="USUBJID", how="left")


def _final(ctx: _Context) -> pd.DataFrame:
    """Population subjects with their last-visit record (missing when absent)."""
    last = ctx.ana[ctx.ana["AVISIT"].astype(str) == ctx.visits[-1]]
    cols = [c for c in ("USUBJID", "CHG", "PCHG", "BASE", "CRIT1FL", "CRIT2FL") if c in last]
    return ctx.pop[["USUBJID", "TRT01P", "AGE", "SITEID"]].merge(last[cols], on="USUBJID",
                                                                  how="left")


def _tables(ctx: _Context, result: fitting.AnalysisResult) -> list[Table]:
    s = ctx.spec
    out: list[Table] = []
    group = "TRT01P" if s.design == "parallel" else "TRTSEQP"
    for k, key in enumerate(s.tables, start=1):
        number = f"{s.number}.{k}"
        if key == "baseline":
            summ = summaries.baseline_summary(_subjects(ctx), group)
            out.append(catalogue.baseline_table(
                summ, number=number, baseline_label=f"Baseline pain ({s.parameter})",
                title="Baseline characteristics by " + ("arm" if s.design == "parallel"
                                                        else "sequence"),
                footnotes=_footnotes(ctx, result, model=False)))
        elif key == "disposition":
            out.append(catalogue.disposition_table(
                summaries.disposition_summary(ctx.adsl, group), number=number,
                footnotes=(f"Source: spec {s.source}.",)))
        elif key == "lsmeans":
            title = ("LS-means by treatment and treatment differences" if s.design == "crossover"
                     else "LS-means by arm and visit, and differences between arms")
            out.append(catalogue.lsmeans_table(result.lsmeans, result.differences,
                                               number=number, title=title,
                                               footnotes=_footnotes(ctx, result)))
        elif key == "crossover_effects":
            out.append(catalogue.crossover_effects_table(
                result.differences, result.extra, number=number,
                footnotes=_footnotes(ctx, result)))
        elif key == "responders" and s.design == "crossover":
            out.append(catalogue.paired_responder_table(
                result.extra.get("responders"), number=number,
                footnotes=(*_footnotes(ctx, result, model=False),
                           f"Responder: percent change (PCHG) in {s.parameter} from baseline to "
                           "the period end of at least the threshold's reduction.")))
        elif key == "responders":
            final = _final(ctx)
            summ = summaries.responder_summary(final, "TRT01P", ctx.reference)
            out.append(catalogue.responder_table(
                summ, number=number, reference=ctx.reference,
                footnotes=(*_footnotes(ctx, result, model=False),
                           f"Responder status at {ctx.visits[-1]}; subjects without a value "
                           "there count as non-responders.")))
        elif key == "adverse_events":
            out.append(_ae_table(ctx, number, result))
        elif key == "model":
            out.append(catalogue.model_table(result.details, number=number,
                                             footnotes=_footnotes(ctx, result)))
    return out


def _ae_table(ctx: _Context, number: str, result: fitting.AnalysisResult) -> Table:
    adsl = ctx.adsl
    saf = adsl[_is_y(adsl["SAFFL"])] if "SAFFL" in adsl else adsl
    adae = ctx.adae
    if adae is not None and len(adae) and "ASTDY" in adae:
        adae = adae[pd.to_numeric(adae["ASTDY"], errors="coerce") >= 1]
    if ctx.spec.design == "parallel":
        denominators = {str(k): int(v) for k, v in saf["TRT01P"].astype(str).value_counts().items()}
        if adae is not None:
            adae = adae.drop(columns=[c for c in ("TRT01P",) if c in adae]).merge(
                saf[["USUBJID", "TRT01P"]], on="USUBJID", how="inner")
        arm = "TRT01P"
    else:
        adeff = getattr(ctx, "adeff", None)
        if adeff is not None and "TRTA" in adeff:
            took = adeff[adeff["USUBJID"].isin(saf["USUBJID"])]
            took = took.assign(_t=took["TRTA"].astype("string"))
            denominators = {t: int(took.loc[took["_t"] == t, "USUBJID"].nunique())
                            for t in ctx.levels}
        else:  # planned exposure from the sequence
            seqs = saf["TRTSEQP"].astype(str)
            denominators = {t: int(seqs.str.split("-").apply(lambda x, t=t: t in x).sum())
                            for t in ctx.levels}
        if adae is not None:
            adae = adae[adae["USUBJID"].isin(saf["USUBJID"])]
        arm = "TRTA"
    summ = summaries.adverse_event_summary(adae, denominators, arm=arm)
    notes = ("Population: safety (SAFFL = 'Y')"
             + ("." if arm == "TRT01P" else "; N = subjects with any record on the treatment."),
             "Treatment-emergent events (onset on or after study day 1), counted under "
             + ("the randomized arm." if arm == "TRT01P" else "the treatment taken at onset."),
             f"Source: spec {ctx.spec.source}.")
    return catalogue.adverse_event_table(summ, number=number, footnotes=notes)


def _figures(ctx: _Context, result: fitting.AnalysisResult) -> tuple[list[ReportFigure],
                                                                      list[str]]:
    s = ctx.spec
    figs: list[ReportFigure] = []
    notes: list[str] = []
    colours = arm_colours(ctx.levels, ctx.reference)
    pop_txt = f"{s.population} = 'Y', N = {len(ctx.pop)}"
    for k, key in enumerate(s.figures, start=1):
        number = f"{s.number}.{k}"
        made = _one_figure(ctx, result, key, colours)
        if made is None:
            notes.append(f"figure {key!r}: not drawn ({_SKIP_REASON.get(key, 'no data')})")
            continue
        fig, title, note = made
        try:
            files = save_figure(fig)
        finally:
            plt.close(fig)
        figs.append(ReportFigure(number, key, title,
                                 f"{note} Population: {pop_txt}. Source: spec {s.source}.",
                                 files))
    return figs, notes


_SKIP_REASON = {"residuals": "the model result provides no residuals"}


def _one_figure(ctx: _Context, result: fitting.AnalysisResult, key: str,
                colours: dict[str, str]):
    ana, arm, param = ctx.ana, ctx.arm, ctx.spec.parameter
    if key == "mean_change":
        summ = plots.observed_means(ana, group=arm, visit="AVISIT", value="CHG")
        return (plots.mean_change_plot(summ, ctx.visits, colours,
                                       f"Change from baseline in {param}"),
                "Mean change from baseline by visit and arm",
                "Observed means with 95% t confidence intervals.")
    if key == "lsmean_change":
        ls = result.lsmeans.rename(columns={"estimate": "mean"})
        visits = [v for v in ctx.visits if v in set(ls["visit"])]
        if not visits:
            return None
        return (plots.mean_change_plot(ls, visits, colours,
                                       f"LS-mean change from baseline in {param}"),
                "LS-mean change from baseline by visit and arm",
                f"Model LS-means with 95% CI ({result.df_method} df); model: "
                f"{result.formula}.")
    if key == "trajectories":
        return (plots.trajectories_plot(ana, subject="USUBJID", group=arm, visit="AVISIT",
                                        value="CHG", visits=ctx.visits, colours=colours,
                                        ylabel=f"Change from baseline in {param}"),
                "Individual trajectories with arm means",
                "Thin lines are subjects, the thick line the observed mean.")
    if key == "responder_curve":
        return (plots.responder_curve_plot(_final(ctx), group="TRT01P", value="PCHG",
                                           colours=colours),
                f"Responder curve at {ctx.visits[-1]}",
                "Percent of subjects with at least each reduction from baseline; "
                "dashed lines at 30% and 50%.")
    if key == "waterfall":
        return (plots.waterfall_plot(_final(ctx), group="TRT01P", value="PCHG", colours=colours),
                f"Waterfall of percent change from baseline at {ctx.visits[-1]}",
                "One bar per subject with a value; dashed lines at -30% and -50%.")
    if key == "forest":
        eff = fitting.subgroup_effects(_final(ctx), arm="TRT01P", reference=ctx.reference)
        if len(eff) == 0:
            return None
        contrast = eff["contrast"].iloc[0]
        eff = eff[eff["contrast"] == contrast]
        return (plots.forest_plot(eff, f"Difference in change from baseline ({contrast})"),
                f"Treatment effect by subgroup at {ctx.visits[-1]}",
                "ANCOVA of change on baseline and arm within each subgroup, 95% CI; "
                "age and baseline pain split at their medians; subgroups with fewer than "
                "3 subjects in an arm are omitted.")
    if key == "crossover_periods":
        seq_levels = sorted(str(x) for x in ana["TRTSEQP"].dropna().unique())
        return (plots.crossover_period_plot(ana, subject="USUBJID", period="APERIOD",
                                            sequence="TRTSEQP", value=ctx.spec.model.outcome,
                                            colours=arm_colours(seq_levels),
                                            ylabel=f"{ctx.spec.model.outcome} ({param})"),
                "Outcome by period and sequence",
                f"Each line is a subject's period {ctx.spec.model.outcome}; black: mean.")
    if key == "within_subject":
        outcome = ctx.spec.model.outcome
        wide = ana.pivot_table(index="USUBJID", columns="TRTA", values=outcome, aggfunc="mean")
        seq = ana.groupby("USUBJID")["TRTSEQP"].first().astype(str)
        others = [lv for lv in ctx.levels if lv != ctx.reference]
        if not others:
            return None
        trt = others[0]
        diffs = pd.DataFrame({"diff": wide[trt] - wide[ctx.reference], "seq": seq}).dropna()
        seq_levels = sorted(diffs["seq"].unique())
        return (plots.within_subject_plot(diffs, value="diff", group="seq",
                                          colours=arm_colours(seq_levels),
                                          xlabel=f"{trt} - {ctx.reference} in {outcome}"),
                "Within-subject treatment differences",
                "One point per subject with both periods; band: mean with 95% t CI.")
    if key == "residuals":
        if result.residuals is None or result.fitted is None:
            return None
        return (plots.residual_plot(result.fitted, result.residuals),
                "Residual diagnostics", f"Model: {result.formula}.")
    if key == "covariance_heatmap":
        if result.covariance is not None:
            cov = result.covariance.to_numpy(float)
            sd = np.sqrt(np.diag(cov))
            corr = pd.DataFrame(cov / np.outer(sd, sd), index=result.covariance.index,
                                columns=result.covariance.columns)
            how = "Correlations implied by the estimated MMRM covariance matrix."
        else:
            wide = ana.pivot_table(index="USUBJID", columns="AVISIT", values="CHG",
                                   aggfunc="mean", observed=True)
            wide.columns = [str(c) for c in wide.columns]
            corr = wide[[v for v in ctx.visits if v in wide.columns]].corr(min_periods=3)
            how = ("Observed pairwise-complete Pearson correlations of change from baseline "
                   "(the fitted model has no visit covariance).")
        if corr.isna().all().all() or math.isnan(float(np.nanmax(corr.to_numpy(float)))):
            return None
        return (plots.heatmap_plot(corr, "Correlation between visits"),
                "Correlation of change from baseline between visits", how)
    return None


def analyse(spec: Spec, trial: Any, analysis: pd.DataFrame) -> AnalysisOutputs:
    """Fit the spec's model and build its tables and figures, in memory.

    Parameters
    ----------
    spec : Spec
    trial : ldn_stats.trial.Trial
        Anything with ``adsl`` and ``adae`` (DataFrame or None) attributes.
    analysis : pandas.DataFrame
        The derived analysis table (:func:`ldn_stats.derive.derive_parallel` or
        ``derive_crossover`` columns).

    Returns
    -------
    AnalysisOutputs

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> from ldn_stats.report.spec import parse_spec
    >>> rng = np.random.default_rng(0)
    >>> adsl = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(12)], "SITEID": "01",
    ...                      "AGE": 40 + np.arange(12), "SEX": "F", "RANDFL": "Y", "ITTFL": "Y",
    ...                      "SAFFL": "Y", "TRT01P": ["LDN", "PBO"] * 6, "DCSREAS": ""})
    >>> ana = adsl[["USUBJID", "SITEID", "AGE", "SEX", "ITTFL", "TRT01P"]].assign(
    ...     PARAMCD="PAINNRS", AVISIT="Week 1", AVISITN=1, BASE=rng.normal(6, 1, 12),
    ...     CHG=rng.normal(-1, 1, 12), ANL01FL="Y")
    >>> spec = parse_spec('''
    ... [analysis]
    ... name = "demo"
    ... number = 1
    ... title = "Demo"
    ... estimand = "LDN - PBO in change at week 1."
    ... [data]
    ... trial = "unused"
    ... [model]
    ... kind = "ancova"
    ... formula = "CHG ~ BASE + TRT01P"
    ... [outputs]
    ... tables = ["baseline", "lsmeans"]
    ... ''')
    >>> out = analyse(spec, SimpleNamespace(adsl=adsl, adae=None), ana)
    >>> for t in out.tables:
    ...     print(t.caption)
    Table 1.1. Baseline characteristics by arm
    Table 1.2. LS-means by arm and visit, and differences between arms
    >>> out.result.differences["contrast"].tolist()
    ['LDN - PBO']
    """
    ctx = _prepare(spec, trial, analysis)
    result = _fit(ctx)
    tables = _tables(ctx, result)
    figures, notes = _figures(ctx, result)
    return AnalysisOutputs(spec, result, tuple(tables), tuple(figures), tuple(notes))
