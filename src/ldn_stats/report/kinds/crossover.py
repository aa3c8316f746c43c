"""Analysis kind ``crossover``: the crossover mixed model on period endpoints.

:func:`ldn_stats.crossover` with sequence, period and treatment as fixed
effects and the subject as random (or an unstructured covariance over periods),
the spec's df method, and the period baseline as a covariate or change
(``model.period_baseline``); the 2x2 companions (carryover, Hills-Armitage,
responders) come with the result.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> get_kind("crossover").design
'crossover'
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ldn_stats import derive
from ldn_stats.models.crossover import CrossoverResult, crossover
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.base import AnalysisKind, KindFit, inference_frame

__all__ = ["KIND", "crossover_fit"]


def _table(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame()
    return frame.reset_index() if frame.index.name else frame.reset_index(drop=True)


def crossover_fit(kind: str, res: CrossoverResult, description: str,
                  df_method: str) -> KindFit:
    """The report's view of a crossover result: effects, LS-means, details, extras.

    Parameters
    ----------
    kind : str
        The analysis kind's name.
    res : CrossoverResult
        From :func:`ldn_stats.crossover` or :func:`ldn_stats.diary_crossover`
        (treatments ordered reference first, so effects read ``b - reference``).
    description : str
        The model in words, for footnotes and the model table.
    df_method : str

    Returns
    -------
    KindFit
    """
    # the df method as the engine names it (the Kenward-Roger variant included)
    df_method = getattr(res.model, "df_method_label", "") or df_method
    eff = _table(res.effects).assign(visit="")
    ls = _table(res.lsmeans).rename(columns={"TRTA": "group"}).assign(visit="")
    ls["group"] = ls["group"].astype(str)
    details: list[tuple[str, Any]] = [("Model", description), ("Degrees of freedom", df_method),
                                      ("Design", res.design), ("Observations used", res.n_obs),
                                      ("Subjects", res.n_subjects)]
    engine = res.model
    details.append(("Estimation", "REML" if engine.reml else "ML"))
    details.append(("Converged", "yes" if engine.converged else "no"))
    details.append(("Optimizer", f"{engine.optimizer.method}, {engine.optimizer.iterations} "
                                 "iterations"))
    details.append(("Log-likelihood", float(engine.loglik)))
    vc = _table(res.variance_components)
    for name, value in zip(vc.get("component", ()), vc.get("estimate", ()), strict=True):
        label = (f"Covariance: {name.removesuffix(' covariance')}"
                 if name.endswith(" covariance") else f"Variance: {name}")
        details.append((label, float(value)))
    trend = "subject-by-period slope" in set(vc.get("component", ()))
    details.append(("Intra-class correlation (at the mean day)" if trend else
                    "Intra-class correlation", float(res.icc)))
    extra = {"period_effects": _table(res.period_effects), "carryover": _table(res.carryover),
             "responders": _table(res.responders)}
    return KindFit(kind, res, description, df_method, inference_frame(ls, ["visit", "group"]),
                   inference_frame(eff, ["visit", "contrast"]), tuple(details),
                   fitted=engine.predict().to_numpy(), residuals=engine.residuals().to_numpy(),
                   extra=extra)


def _fit(sel, model) -> KindFit:
    adjust = model.period_baseline
    res = crossover(sel.ana, outcome=model.outcome, subject="USUBJID", period="APERIOD",
                    treatment="TRTA", sequence="TRTSEQP",
                    period_baseline=None if adjust == "none" else "BASE",
                    baseline_adjustment="covariate" if adjust == "none" else adjust,
                    df_method=model.df_method, reference=sel.reference)
    desc = str(res.formula) + " (REML" + ("" if adjust == "none"
                                         else f"; period baseline as {adjust}") + ")"
    return crossover_fit("crossover", res, desc, model.df_method)


def _derive(trial, rules, parameter):
    return derive.derive_crossover(trial, param=parameter, rules=rules)


KIND = register(AnalysisKind(
    name="crossover", design="crossover",
    summary="crossover mixed model on period endpoints (sequence, period, treatment)",
    fit=_fit, derive=_derive))
