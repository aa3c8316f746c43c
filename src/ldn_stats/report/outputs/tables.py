"""The report's tables, registered by spec key (numbers in, :class:`~ldn_stats.tables.Table` out).

Each builder reads the :class:`~ldn_stats.report.selection.Selection` and the
kind's :class:`~ldn_stats.report.kinds.KindFit`, summarises with
:mod:`ldn_stats.tables.summaries` and lays out with
:mod:`ldn_stats.tables.catalogue`.  Each key means one table: ``responders``
is the parallel responder table (arms at the last visit), ``paired_responders``
the within-subject responder table of a 2x2 crossover.

Examples
--------
>>> from ldn_stats.report.outputs import outputs
>>> [o.key for o in outputs("table")]  # doctest: +NORMALIZE_WHITESPACE
['adverse_events', 'baseline', 'crossover_effects', 'disposition', 'lsmeans', 'model',
 'paired_responders', 'responders']
"""

from __future__ import annotations

import pandas as pd

from ldn_stats.report.kinds.base import KindFit
from ldn_stats.report.outputs import table
from ldn_stats.report.selection import Selection, is_yes
from ldn_stats.tables import catalogue, summaries
from ldn_stats.tables.table import Table
from ldn_stats.vocabulary import Sequence

__all__ = ["footnotes"]


def footnotes(sel: Selection, fit: KindFit, model: bool = True) -> tuple[str, ...]:
    """Population, parameter, model and df-method footnotes, and the spec as source."""
    s = sel.spec
    notes = [f"Population: subjects with {s.population} = 'Y' (N = {len(sel.pop)}); "
             f"parameter {s.parameter}."]
    if model:
        notes.append(f"Model: {fit.formula}.")
        notes.append(f"Degrees of freedom: {fit.df_method}.")
        aliases = getattr(getattr(getattr(fit, "model", None), "spec", None), "aliases", None)
        if aliases:
            said = "; ".join(f"{col} = {combo}" for col, combo in aliases.items())
            notes.append(f"NE: not estimable. Aliased (dropped) design columns: {said}; an "
                         "LS-mean, difference or test that depends on them has no value.")
    notes.append(f"Source: spec {s.source}.")
    return tuple(notes)


def _group(sel: Selection) -> str:
    return "TRT01P" if sel.spec.design == "parallel" else "TRTSEQP"


@table("baseline")
def baseline(sel: Selection, fit: KindFit, number: str) -> Table:
    """Baseline characteristics by arm (parallel) or sequence (crossover)."""
    s = sel.spec
    subjects = sel.subjects()
    summ = summaries.baseline_summary(subjects, _group(sel),
                                      baseline="BASE" if "BASE" in subjects else None)
    p = sel.parameter  # "pain" only when the parameter measures pain
    label = f"Baseline pain ({s.parameter})" if p.pain else f"Baseline {p.label}"
    return catalogue.baseline_table(
        summ, number=number, baseline_label=label, baseline_decimals=p.decimals,
        title="Baseline characteristics by " + ("arm" if s.design == "parallel"
                                                else "sequence"),
        footnotes=footnotes(sel, fit, model=False))


@table("disposition", needs="disposition")
def disposition(sel: Selection, fit: KindFit, number: str) -> Table:
    """Subject disposition by arm or sequence."""
    return catalogue.disposition_table(
        summaries.disposition_summary(sel.adsl, _group(sel)), number=number,
        footnotes=(f"Source: spec {sel.spec.source}.",))


@table("lsmeans")
def lsmeans(sel: Selection, fit: KindFit, number: str) -> Table:
    """LS-means by treatment (and visit) and the differences from the reference."""
    title = ("LS-means by treatment and treatment differences" if sel.spec.design == "crossover"
             else "LS-means by arm and visit, and differences between arms")
    return catalogue.lsmeans_table(fit.lsmeans, fit.differences, number=number, title=title,
                                   footnotes=footnotes(sel, fit),
                                   decimals=sel.parameter.decimals)


@table("crossover_effects", designs=("crossover",))
def crossover_effects(sel: Selection, fit: KindFit, number: str) -> Table:
    """Treatment, period and carryover effects of a crossover."""
    return catalogue.crossover_effects_table(fit.differences, fit.extra, number=number,
                                             footnotes=footnotes(sel, fit))


@table("paired_responders", designs=("crossover",), needs="responders")
def paired_responders(sel: Selection, fit: KindFit, number: str) -> Table:
    """Within-subject responder table of a 2x2 crossover (McNemar)."""
    s = sel.spec
    return catalogue.paired_responder_table(
        fit.extra.get("responders"), number=number,
        footnotes=(*footnotes(sel, fit, model=False),
                   f"Responder: percent change (PCHG) in {s.parameter} from baseline to "
                   "the period end of at least the threshold's "
                   + ("increase." if sel.parameter.direction == "increase" else "reduction.")))


@table("responders", designs=("parallel",), needs="responders")
def responders(sel: Selection, fit: KindFit, number: str) -> Table:
    """Responders at the last visit by arm, with risk differences and NNT."""
    p = sel.parameter
    flags = tuple(r.flag for r in p.responders)
    summ = summaries.responder_summary(sel.final(), "TRT01P", sel.reference, flags=flags)
    labels = {r.flag: r.label for r in p.responders}
    title = ("Responders at >= 30% and >= 50% pain reduction"
             if p.pain and list(labels.values()) == [">= 30% reduction", ">= 50% reduction"]
             else f"Responders ({'; '.join(labels.values())}) in {p.label}")
    return catalogue.responder_table(
        summ, number=number, reference=sel.reference, labels=labels, title=title,
        footnotes=(*footnotes(sel, fit, model=False),
                   f"Responder status at {sel.visits[-1]}; subjects without a value "
                   "there count as non-responders."))


@table("adverse_events", needs="adae")
def adverse_events(sel: Selection, fit: KindFit, number: str) -> Table:
    """Treatment-emergent adverse events by arm (parallel) or treatment taken (crossover)."""
    adsl = sel.adsl
    has_saffl = "SAFFL" in adsl
    saf = adsl[is_yes(adsl["SAFFL"])] if has_saffl else adsl
    adae = sel.adae
    if adae is not None and len(adae) and "ASTDY" in adae:  # ASTDY: required by the contract
        adae = adae[pd.to_numeric(adae["ASTDY"], errors="coerce") >= 1]
    exposure = "record"
    if sel.spec.design == "parallel":
        denominators = {str(k): int(v)
                        for k, v in saf["TRT01P"].astype(str).value_counts().items()}
        if adae is not None:
            adae = adae.drop(columns=[c for c in ("TRT01P",) if c in adae]).merge(
                saf[["USUBJID", "TRT01P"]], on="USUBJID", how="inner")
        arm = "TRT01P"
    else:
        adeff = sel.adeff
        if adeff is not None and "TRTA" in adeff:
            took = adeff[adeff["USUBJID"].isin(saf["USUBJID"])]
            took = took.assign(_t=took["TRTA"].astype("string"))
            denominators = {t: int(took.loc[took["_t"] == t, "USUBJID"].nunique())
                            for t in sel.levels}
        else:  # planned exposure from the sequence
            exposure = "sequence"
            seqs = saf["TRTSEQP"].astype(str)
            planned = [Sequence.resolve(x, sel.levels) for x in seqs]  # AB, LDN-PBO, ...
            denominators = {t: sum(p is not None and t in p for p in planned)
                            for t in sel.levels}
        if adae is not None:
            adae = adae[adae["USUBJID"].isin(saf["USUBJID"])]
        arm = "TRTA"
    summ = summaries.adverse_event_summary(adae, denominators, arm=arm)
    population = ("Population: safety (SAFFL = 'Y')" if has_saffl else
                  "Population: every subject in ADSL (it has no SAFFL)")
    if arm != "TRT01P":
        population += ("; N = subjects with any record on the treatment" if exposure == "record"
                       else "; N = subjects whose sequence includes the treatment")
    notes = (population + ".",
             "Treatment-emergent events (onset on or after study day 1), counted under "
             + ("the randomized arm." if arm == "TRT01P" else "the treatment taken at onset."),
             f"Source: spec {sel.spec.source}.")
    return catalogue.adverse_event_table(summ, number=number, footnotes=notes)


@table("model")
def model(sel: Selection, fit: KindFit, number: str) -> Table:
    """The model's details: estimation, counts, convergence, covariance parameters."""
    return catalogue.model_table(fit.details, number=number, footnotes=footnotes(sel, fit))
