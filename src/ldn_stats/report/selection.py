"""Selecting the analysis records of a spec: population, parameter, visits, arms, reference.

The one place where the report works out who and what is analysed.
:func:`select` filters the derived analysis table once (population flag,
``PARAMCD``, ``ANL01FL``, post-baseline visits, the spec's visits), orders the
visits once (``AVISITN``) and chooses the reference treatment once; every kind
and output reads the resulting :class:`Selection`.

Examples
--------
>>> choose_reference(["LDN", "PBO"], None)
'PBO'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ldn_stats.errors import DataError, ModelError
from ldn_stats.report.spec import Spec
from ldn_stats.vocabulary import SEQUENCE_SEPARATOR

__all__ = ["Selection", "choose_reference", "is_yes", "select", "visit_order"]


def is_yes(x: pd.Series) -> pd.Series:
    """``x == "Y"`` with missing values as not ``Y``."""
    return x.astype("string").fillna("") == "Y"


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


def visit_order(ana: pd.DataFrame) -> list[str]:
    """Analysis visits in order: categorical order, else by ``AVISITN``, else sorted.

    Examples
    --------
    >>> visit_order(pd.DataFrame({"AVISIT": ["W2", "W10"], "AVISITN": [2, 10]}))
    ['W2', 'W10']
    """
    v = ana["AVISIT"]
    if isinstance(v.dtype, pd.CategoricalDtype):
        present = set(v.dropna().astype(str))
        return [str(c) for c in v.cat.categories if str(c) in present]
    if "AVISITN" in ana:
        order = ana.dropna(subset=["AVISIT"]).groupby(ana["AVISIT"].astype(str))["AVISITN"].min()
        return [str(k) for k in order.sort_values(kind="mergesort").index]
    return sorted(str(x) for x in v.dropna().unique())


@dataclass(frozen=True)
class Selection:
    """The records and labels one analysis works on.

    Parameters
    ----------
    spec : Spec
    adsl : pandas.DataFrame
        Every subject.
    pop : pandas.DataFrame
        ADSL rows of the analysis population.
    ana : pandas.DataFrame
        The analysis records (population, parameter, ANL01FL, visits).
    arm : str
        ``TRT01P`` (parallel) or ``TRTA`` (crossover).
    reference : str
        Reference treatment.
    levels : list of str
        Treatment levels, sorted.
    visits : list of str
        Analysis visits in order (parallel; empty for crossover).
    adae, adeff : pandas.DataFrame or None
        The trial's adverse events and efficacy records.
    parameter_entry : Parameter or None
        The parameter's catalogue entry (label, decimals, responders); ``None``
        means the built-in catalogue's.
    """

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
    parameter_entry: Any = None

    @property
    def parameter(self) -> Any:
        """The catalogue entry of the spec's parameter (an undeclared one if unknown)."""
        if self.parameter_entry is not None:
            return self.parameter_entry
        from ldn_stats.parameters import builtin_catalogue

        return builtin_catalogue().get(self.spec.parameter)

    @property
    def ordered_levels(self) -> list[str]:
        """Treatment levels with the reference first (the contrasts' order)."""
        return [self.reference] + [lv for lv in self.levels if lv != self.reference]

    def subjects(self) -> pd.DataFrame:
        """One row per population subject with BASE (parallel: first visit; crossover: period 1)."""
        ana = self.ana
        if "APERIOD" in ana and self.spec.design == "crossover":
            ana = ana.sort_values(["USUBJID", "APERIOD"])
        if "BASE" not in ana:  # a trial without baseline
            return self.pop
        base = ana.dropna(subset=["BASE"]).groupby("USUBJID", sort=True)["BASE"].first()
        return self.pop.merge(base.rename("BASE").reset_index(), on="USUBJID", how="left")

    def final(self) -> pd.DataFrame:
        """Population subjects with their last-visit record (missing when absent)."""
        last = self.ana[self.ana["AVISIT"].astype(str) == self.visits[-1]]
        cols = [c for c in ("USUBJID", "CHG", "PCHG", "BASE", "CRIT1FL", "CRIT2FL") if c in last]
        keep = [c for c in ("USUBJID", "TRT01P", "AGE", "SITEID") if c in self.pop]
        return self.pop[keep].merge(last[cols], on="USUBJID", how="left")


def _check_arms(spec: Spec, pop: pd.DataFrame, ana: pd.DataFrame, arm: str,
                levels: list[str], parallel: bool) -> None:
    """Refuse what would make a comparison silently wrong or impossible.

    Two labels of one arm that differ only in case or surrounding spaces
    (``ldn`` beside ``LDN``) would become a third arm; an analysis with fewer
    than two arms holding an outcome has nothing to compare.
    """
    folded: dict[str, list[str]] = {}
    for lv in levels:
        folded.setdefault(lv.strip().upper(), []).append(lv)
    for variants in folded.values():
        if len(variants) > 1:
            raise DataError(
                f"{spec.source}: {arm} has labels that differ only in case or spaces: "
                f"{', '.join(repr(v) for v in variants)}; expected one label per arm "
                "(they would be analysed as different arms)"
            )
    if not parallel and "TRTSEQP" in pop.columns:
        sequences = sorted({str(x) for x in pop["TRTSEQP"].dropna()})
        lengths = {seq: len(seq.split(SEQUENCE_SEPARATOR)) for seq in sequences}
        if len(set(lengths.values())) > 1:
            common = max(set(lengths.values()), key=list(lengths.values()).count)
            odd = [seq for seq, n in lengths.items() if n != common]
            raise DataError(
                f"{spec.source}: TRTSEQP {', '.join(repr(q) for q in odd)} has a different "
                f"number of periods from the trial's other sequences ({common} periods: "
                f"{', '.join(q for q, n in lengths.items() if n == common)}); expected one "
                "crossover design"
            )
    outcome = next((c for c in ("CHG", "AVAL") if c in ana.columns), None)
    with_outcome = ana if outcome is None else ana[ana[outcome].notna()]
    have = sorted(str(x) for x in with_outcome[arm].dropna().unique())
    if len(have) < 2:
        planned = (sorted(str(x) for x in pop[arm].dropna().unique())
                   if parallel and arm in pop.columns else levels)
        missing = [lv for lv in planned if lv not in have]
        where = "post-baseline " if parallel else ""
        raise DataError(
            f"{spec.source}: expected {where}{spec.parameter} outcomes in at least two "
            f"treatment arms to compare, found them only in {', '.join(have) or 'none'}"
            + (f" (none in {', '.join(missing)})" if missing else "")
        )


def select(spec: Spec, trial: Any, analysis: pd.DataFrame) -> Selection:
    """The analysis records of ``spec`` in the derived ``analysis`` table of ``trial``.

    Parameters
    ----------
    spec : Spec
    trial : ldn_stats.trial.Trial
        Anything with ``adsl`` (and optionally ``adae``, ``adeff``) attributes.
    analysis : pandas.DataFrame
        The kind's derived analysis table.

    Returns
    -------
    Selection

    Raises
    ------
    DataError
        The population flag is not in ADSL, no record is left, a spec visit is
        unknown, fewer than two arms have an outcome, or two arm labels differ
        only in case or spaces.
    ModelError
        ``data.reference`` is not a treatment level.
    """
    adsl = trial.adsl
    if spec.population not in adsl.columns:
        raise DataError(f"data.population: column {spec.population!r} not found in adsl; "
                        f"columns are {list(adsl.columns)}")
    pop = adsl[is_yes(adsl[spec.population])]
    ana = analysis
    if "PARAMCD" in ana:
        ana = ana[ana["PARAMCD"].astype(str) == spec.parameter]
    ana = ana[ana["USUBJID"].isin(pop["USUBJID"])]
    if "ANL01FL" in ana:
        ana = ana[is_yes(ana["ANL01FL"])]
    parallel = spec.design == "parallel"
    if parallel and "AVISITN" in ana:
        ana = ana[ana["AVISITN"] > 0]
    if len(ana) == 0:
        raise DataError(f"{spec.source}: no analysis records for parameter {spec.parameter!r} "
                        f"in population {spec.population} = 'Y'")
    visits: list[str] = []
    if parallel:
        visits = visit_order(ana)
        if spec.visits:
            unknown = [v for v in spec.visits if v not in visits]
            if unknown:
                raise DataError(f"data.visits: {unknown} not among the analysis visits {visits}")
            visits = [v for v in visits if v in spec.visits]
            ana = ana[ana["AVISIT"].astype(str).isin(visits)]
    arm = "TRT01P" if parallel else "TRTA"
    levels = sorted(str(x) for x in ana[arm].dropna().unique())
    _check_arms(spec, pop, ana, arm, levels, parallel)
    reference = choose_reference(levels, spec.reference)
    return Selection(spec, adsl, pop, ana.reset_index(drop=True), arm, reference, levels,
                     visits, getattr(trial, "adae", None), getattr(trial, "adeff", None),
                     trial.parameter(spec.parameter) if hasattr(trial, "parameter") else None)
