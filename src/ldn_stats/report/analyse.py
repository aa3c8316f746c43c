"""From a spec, a validated trial and its analysis table to numbered tables and figures.

:func:`analyse` is pure (no files): :func:`~ldn_stats.report.selection.select`
picks the records, the spec's analysis kind (:mod:`ldn_stats.report.kinds`)
fits its model, and the registered outputs (:mod:`ldn_stats.report.outputs`)
build every table and figure the spec lists, in its order.
:mod:`ldn_stats.report.runner` writes them.

Examples
--------
See :func:`analyse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd

from ldn_stats.figures.figure import ReportFigure
from ldn_stats.figures.style import save_figure
from ldn_stats.report.kinds import KindFit, get_kind
from ldn_stats.report.outputs import check_inputs, get_output, missing_input
from ldn_stats.report.selection import Selection, select
from ldn_stats.report.spec import Spec
from ldn_stats.tables.catalogue import not_collected_table
from ldn_stats.tables.table import Table

__all__ = ["AnalysisOutputs", "analyse"]


@dataclass(frozen=True)
class AnalysisOutputs:
    """Everything one spec produces, in memory.

    Parameters
    ----------
    spec : Spec
    result : KindFit
        The fitted model's numbers (``result.model`` is the model's own result).
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
    result: KindFit
    tables: tuple[Table, ...]
    figures: tuple[ReportFigure, ...]
    notes: tuple[str, ...] = field(default=())


def _tables(sel: Selection, fit: KindFit, trial: Any = None) -> list[Table]:
    s = sel.spec
    out = []
    for k, key in enumerate(s.tables, start=1):
        reason = None if trial is None else missing_input(key, trial, s.parameter)
        if reason is not None:  # only optional tables get here (the runner checked)
            out.append(not_collected_table(key, f"{s.number}.{k}", reason, s.source))
        else:
            out.append(get_output("table", key).build(sel, fit, f"{s.number}.{k}"))
    return out


def _figures(sel: Selection, fit: KindFit) -> tuple[list[ReportFigure], list[str]]:
    s = sel.spec
    figs: list[ReportFigure] = []
    notes: list[str] = []
    pop_txt = f"{s.population} = 'Y', N = {len(sel.pop)}"
    for k, key in enumerate(s.figures, start=1):
        out = get_output("figure", key)
        made = out.build(sel, fit)
        if made is None:
            notes.append(f"figure {key!r}: not drawn ({out.skip_reason})")
            continue
        fig, title, note = made
        try:
            files = save_figure(fig)
        finally:
            plt.close(fig)
        figs.append(ReportFigure(f"{s.number}.{k}", key, title,
                                 f"{note} Population: {pop_txt}. Source: spec {s.source}.",
                                 files))
    return figs, notes


def analyse(spec: Spec, trial: Any, analysis: pd.DataFrame) -> AnalysisOutputs:
    """Fit the spec's model and build its tables and figures, in memory.

    Parameters
    ----------
    spec : Spec
    trial : ldn_stats.trial.Trial
        Anything with ``adsl`` and ``adae`` (DataFrame or None) attributes.
    analysis : pandas.DataFrame
        The kind's derived analysis table (``kind.derive(trial, rules, parameter)``).

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
    check_inputs(spec, trial)  # a requested table without its input: before the fit
    sel = select(spec, trial, analysis)
    fit = get_kind(spec.model.kind).fit(sel, spec.model)
    tables = _tables(sel, fit, trial)
    figures, notes = _figures(sel, fit)
    return AnalysisOutputs(spec, fit, tuple(tables), tuple(figures), tuple(notes))
