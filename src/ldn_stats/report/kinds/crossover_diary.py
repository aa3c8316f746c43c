"""Analysis kind ``crossover-diary``: the daily-diary crossover mixed model.

:func:`ldn_stats.diary_crossover` on every rated day of every period (subject
and subject-by-period random effects, a linear trend within periods); its data
are diary days, not period endpoints, so it feeds only the LS-means, effects,
model and residual outputs.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> sorted(get_kind("crossover-diary").outputs)
['crossover_effects', 'lsmeans', 'model', 'residuals']
"""

from __future__ import annotations

from ldn_stats import derive
from ldn_stats.models.crossover import diary_crossover
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.base import AnalysisKind, KindFit
from ldn_stats.report.kinds.crossover import crossover_fit

__all__ = ["KIND"]


def _fit(sel, model) -> KindFit:
    res = diary_crossover(sel.ana, outcome=model.outcome, day="APERDY",
                          df_method=model.df_method, reference=sel.reference)
    return crossover_fit("crossover-diary", res, f"{res.formula} (daily diary, REML)",
                         model.df_method)


def _derive(trial, rules, parameter):
    return derive.crossover_diary(trial, param=parameter, rules=rules)


KIND = register(AnalysisKind(
    name="crossover-diary", design="crossover",
    summary="daily-diary crossover mixed model on every rated day",
    fit=_fit, derive=_derive,
    outputs=frozenset({"lsmeans", "crossover_effects", "model", "residuals"})))
