"""One replicate: simulate a trial, run the package's own analysis, keep the primary contrast.

:func:`analyse_trial` is the single place where a design spec's analysis is
turned into a call of the package: ``derive_parallel`` then
:func:`ldn_stats.mmrm` (or the report layer's ANCOVA) for parallel trials,
``derive_crossover`` then :func:`ldn_stats.crossover` for crossover trials.  The
primary contrast is ``active - control`` at the last visit (parallel) or over
the periods (crossover).  When the package's analysis-kind registry exists,
this function is where it is called instead.

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


def _parallel_table(tables: dict[str, pd.DataFrame], spec: DesignSpec) -> pd.DataFrame:
    from ldn_stats import derive_parallel

    anl = derive_parallel(_as_trial(tables, "parallel"), param=tables["adeff"]["PARAMCD"].iloc[0])
    anl = anl[anl["ANL01FL"] == "Y"].copy()
    anl["TRT01P"] = pd.Categorical(anl["TRT01P"].astype(str),
                                   categories=[spec.control, spec.active])
    return anl


def analyse_trial(tables: dict[str, pd.DataFrame], spec: DesignSpec) -> dict[str, float]:
    """Run the spec's analysis on one trial; return the primary contrast.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        ``adsl``, ``adeff``, ``adae`` as :func:`ldn_stats.simulate_trial` returns them.
    spec : DesignSpec

    Returns
    -------
    dict
        ``estimate, std_error, df, p_value, conf_low, conf_high`` of
        ``active - control`` and ``n_complete`` (subjects with the endpoint).

    Raises
    ------
    LdnStatsError
        Whatever the package's derivation or model raises (non-convergence included).
    """
    a = spec.analysis
    if a.kind == "crossover":
        from ldn_stats import crossover, derive_crossover

        x = derive_crossover(_as_trial(tables, "crossover"),
                             param=tables["adeff"]["PARAMCD"].iloc[0])
        x = x[x["ANL01FL"] == "Y"]
        res = crossover(x, outcome=a.outcome, df_method=a.df_method, reference=spec.control)
        eff = res.effects
        row = eff[eff["contrast"] == f"{spec.active} - {spec.control}"].iloc[0]
        ok = x[x[a.outcome].notna()].groupby("USUBJID").size()
        n_complete = int((ok >= 2).sum())
    else:
        anl = _parallel_table(tables, spec)
        last = anl["AVISIT"].cat.categories[-1] if hasattr(anl["AVISIT"], "cat") else \
            sorted(anl["AVISIT"].unique())[-1]
        n_complete = int(anl.loc[(anl["AVISIT"] == last) & anl[a.outcome].notna(),
                                 "USUBJID"].nunique())
        if a.kind == "mmrm":
            from ldn_stats import mmrm

            fit = mmrm(a.formula, anl, reml=a.reml, df_method=a.df_method)
            pw = fit.pairwise("TRT01P", by="AVISIT")
            row = pw[pw["AVISIT"].astype(str) == str(last)].iloc[0]
            if str(row["contrast"]) != f"{spec.active} - {spec.control}":
                raise LdnStatsError(f"unexpected contrast {row['contrast']!r}")  # pragma: no cover
        else:  # ancova: the report layer's OLS at the last visit
            from ldn_stats.report.fit import fit_ancova

            d = anl[anl["AVISIT"] == last].copy()
            d["TRT01P"] = d["TRT01P"].astype(str)
            r = fit_ancova(d, a.formula, arm="TRT01P", reference=spec.control,
                           visit_label=str(last))
            row = r.differences.iloc[0]
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
