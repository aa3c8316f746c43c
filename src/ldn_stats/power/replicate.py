"""One replicate: simulate a trial, run the package's own analysis, keep the primary contrast.

:func:`analyse_trial` is the single place where a design spec's analysis is
turned into a call of the package: the registered analysis kind
(:mod:`ldn_stats.report.kinds`) derives, selects and fits exactly as
``ldn-stats run`` does for a real trial, and its primary comparison
(``active - control`` at the last visit, or over the periods of a crossover)
is kept.

:func:`run_chunk` runs a batch of replicates of one scenario (one Dask task)
and returns one record per replicate; a fit that fails with a package error
(:class:`~ldn_stats.errors.LdnStatsError`, e.g. ``ConvergenceError``) or a
linear-algebra error is recorded with the error's type, never dropped.

Examples
--------
>>> from ldn_stats.power.spec import parse_design_spec
>>> from ldn_stats.power.scenarios import scenarios
>>> s = parse_design_spec('''
... [design]
... name = "d"
... preset = "final"
... seed = 7
... replicates = 2
... [scenarios]
... n_per_arm = 15
... effect = -1.0
... weeks = 4
... [analysis]
... kind = "ancova"
... formula = "CHG ~ BASE + TRT01P"
... ''')
>>> rows = run_chunk(ChunkTask(s, scenarios(s)[0], (0, 1)))
>>> [r.replicate for r in rows], rows[0].status
([0, 1], 'ok')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ldn_stats.errors import LdnStatsError
from ldn_stats.power.scenarios import Scenario, replicate_seed
from ldn_stats.power.spec import DesignSpec

__all__ = ["RECORD_FIELDS", "ChunkTask", "Record", "analyse_trial", "run_chunk"]

#: fields of a replicate record, in ``replicates.csv`` column order
RECORD_FIELDS = ("scenario", "replicate", "status", "estimate", "std_error", "df", "p_value",
                 "conf_low", "conf_high", "n_complete")


@dataclass(frozen=True)
class Record:
    """The primary contrast of one replicate (NaN with the error type when it failed)."""

    scenario: int
    replicate: int
    status: str
    estimate: float
    std_error: float
    df: float
    p_value: float
    conf_low: float
    conf_high: float
    n_complete: int


@dataclass(frozen=True)
class ChunkTask:
    """Replicates ``replicates`` of one scenario: the unit of work of one task."""

    spec: DesignSpec
    scenario: Scenario
    replicates: tuple[int, ...]


def _as_trial(tables: dict[str, pd.DataFrame], design: str) -> SimpleNamespace:
    # simulated tables meet the data contract by construction (tested in tests/simulate)
    return SimpleNamespace(adsl=tables["adsl"], adeff=tables["adeff"], adae=tables["adae"],
                           design=design)


def analyse_trial(tables: dict[str, pd.DataFrame], spec: DesignSpec) -> dict[str, float]:
    """Run the spec's registered analysis kind on one trial; return the primary contrast.

    The one place where a replicate meets the package's analyses: the kind
    (:func:`ldn_stats.report.kinds.get_kind`) derives its analysis table, the
    report's :func:`~ldn_stats.report.selection.select` picks the records
    (population, visits, reference = ``design.control``) and the kind's fit gives
    :meth:`~ldn_stats.report.kinds.KindFit.primary`, exactly as ``ldn-stats run``
    does for a real trial.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        ``adsl``, ``adeff``, ``adae`` as :func:`ldn_stats.simulate_trial` returns them.
    spec : DesignSpec

    Returns
    -------
    dict
        ``estimate, std_error, df, p_value, conf_low, conf_high`` of
        ``active - control`` and ``n_complete`` (subjects with the outcome at the
        primary time point).

    Raises
    ------
    LdnStatsError
        Whatever the derivation, the selection or the model raises (non-convergence
        included).
    """
    import dataclasses

    from ldn_stats.derive import DeriveRules
    from ldn_stats.report.kinds import get_kind
    from ldn_stats.report.selection import select

    kind = get_kind(spec.analysis.kind)
    param = str(tables["adeff"]["PARAMCD"].iloc[0])
    rspec = spec.kind_spec
    if rspec.parameter != param:
        rspec = dataclasses.replace(rspec, parameter=param)
    trial = _as_trial(tables, kind.design)
    table = kind.derive(trial, DeriveRules(), param)
    sel = select(rspec, trial, table)
    fit = kind.fit(sel, rspec.model)
    row = fit.primary()
    expected = f"{spec.active} - {spec.control}"
    if row is None or str(row["contrast"]) != expected:
        found = "no primary contrast" if row is None else f"{str(row['contrast'])!r}"
        raise LdnStatsError(f"analysis kind {kind.name!r} gave no {expected!r} contrast "
                            f"(found {found}); check the design's active and control arm "
                            "labels against the simulated trial's")
    ana = sel.ana
    outcome = spec.analysis.outcome if kind.design == "crossover" else "CHG"
    if kind.design == "crossover" and outcome in ana:
        ok = ana[ana[outcome].notna()].groupby("USUBJID").size()
        n_complete = int((ok >= 2).sum())
    elif sel.visits and "CHG" in ana:
        last = ana[(ana["AVISIT"].astype(str) == sel.visits[-1]) & ana["CHG"].notna()]
        n_complete = int(last["USUBJID"].nunique())
    else:
        n_complete = int(ana["USUBJID"].nunique())
    return {k: float(row[k]) for k in ("estimate", "std_error", "df", "p_value", "conf_low",
                                       "conf_high")} | {"n_complete": n_complete}


_NAN = {k: math.nan for k in ("estimate", "std_error", "df", "p_value", "conf_low", "conf_high")}


def run_chunk(task: ChunkTask) -> list[Record]:
    """Simulate and analyse the task's replicates (one Dask task); records in replicate order."""
    from ldn_stats import simulate_trial

    spec, sc = task.spec, task.scenario
    design = sc.design(spec)
    out = []
    for r in task.replicates:
        tables = simulate_trial(design, seed=replicate_seed(spec, sc, r))
        try:
            res: dict[str, Any] = analyse_trial(tables, spec)
            status = "ok"
        except (LdnStatsError, np.linalg.LinAlgError) as exc:
            res, status = {**_NAN, "n_complete": -1}, type(exc).__name__
        out.append(Record(sc.index, int(r), status, res["estimate"], res["std_error"], res["df"],
                          res["p_value"], res["conf_low"], res["conf_high"],
                          int(res["n_complete"])))
    return out
