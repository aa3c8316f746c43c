"""Analysis kind ``mi``: estimand-driven sensitivity by reference-based multiple imputation.

The intercurrent event is the end of treatment read from the data: a subject with
``DCTREAS`` (why treatment ended early) is affected from the first analysis visit
after its last dose ``TRTEDY`` (week ``k`` covers study days ``7k-6..7k``; a
``DCSREAS`` without ``DCTREAS`` and without ``TRTEDY`` is taken as the event at the
first visit without data). ``model.formula`` is the imputation model (an MMRM
formula such as ``CHG ~ BASE * AVISIT + TRT01P * AVISIT + us(AVISIT | USUBJID)``).
Conditional mean imputation with jackknife SEs (:func:`ldn_stats.mi.draws`), every
arm's reference the spec's reference arm, per-visit ANCOVA on ``BASE``:

- the LS-means and differences reported are under jump to reference (JR: after
  stopping, subjects on the active arm are assumed to do as well as, and no
  better than, the reference arm);
- the model table adds MAR (the hypothetical strategy of the primary MMRM), JR
  and CIR at the last visit;
- the ``tipping_point`` figure shifts the active arm's imputed values by 0 to 3
  points (JR) and marks the smallest shift at which p >= 0.05.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> get_kind("mi").design, get_kind("mi").needs_formula
('parallel', True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ldn_stats import derive, mi
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.base import AnalysisKind, KindFit
from ldn_stats.report.outputs import figure
from ldn_stats.vocabulary import INFERENCE

__all__ = ["KIND", "intercurrent_events"]

STRATEGIES = ("MAR", "JR", "CIR")
GRID = tuple(np.round(np.arange(0.0, 3.01, 0.25), 2).tolist())


def intercurrent_events(adsl: pd.DataFrame, ana: pd.DataFrame, visits: list[str]
                        ) -> pd.DataFrame:
    """``USUBJID, AVISIT``: each subject's first visit after the end of treatment.

    Examples
    --------
    >>> adsl = pd.DataFrame({"USUBJID": ["a", "b"], "DCTREAS": ["ADVERSE EVENT", None],
    ...                      "TRTEDY": [10, 84]})
    >>> ana = pd.DataFrame({"USUBJID": ["a", "a", "b"], "AVISIT": ["Week 1", "Week 2", "Week 1"],
    ...                     "AVISITN": [1, 2, 1], "CHG": [1.0, 2.0, 0.5]})
    >>> intercurrent_events(adsl, ana, ["Week 1", "Week 2"]).to_dict("records")
    [{'USUBJID': 'a', 'AVISIT': 'Week 2'}]
    """
    rows = []
    number = (ana.drop_duplicates("AVISIT").set_index(ana.drop_duplicates("AVISIT")["AVISIT"]
                                                      .astype(str))["AVISITN"]
              if "AVISITN" in ana else None)
    stopped = adsl["DCTREAS"].notna() if "DCTREAS" in adsl else pd.Series(False, adsl.index)
    left = adsl["DCSREAS"].notna() if "DCSREAS" in adsl else pd.Series(False, adsl.index)
    for _, r in adsl[stopped | left].iterrows():
        first = None
        if "TRTEDY" in adsl and pd.notna(r.get("TRTEDY")) and number is not None:
            later = [v for v in visits if 7 * float(number[v]) > float(r["TRTEDY"])]
            first = later[0] if later else None
        else:  # no last dose day: the first visit from which every later one is missing
            own = ana[ana["USUBJID"] == r["USUBJID"]].set_index(ana["AVISIT"].astype(str))
            seen = [v for v in visits if v in own.index and pd.notna(own.loc[v, "CHG"])]
            after = visits[visits.index(seen[-1]) + 1:] if seen else visits
            first = after[0] if after else None
        if first is not None:
            rows.append({"USUBJID": r["USUBJID"], "AVISIT": first})
    return pd.DataFrame(rows, columns=["USUBJID", "AVISIT"])


def _inference(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["statistic"] = out["estimate"] / out["std_error"]
    return out


def _fit(sel, model) -> KindFit:
    formula = model.formula or ""
    data = sel.ana.copy()
    ref = sel.reference
    active = [lv for lv in sel.ordered_levels if lv != ref]
    # reference first: rbmi's lsm_ref is then the reference arm and trt = active - reference
    data["TRT01P"] = pd.Categorical(data["TRT01P"].astype(str), categories=sel.ordered_levels)
    data["AVISIT"] = pd.Categorical(data["AVISIT"].astype(str), categories=sel.visits,
                                    ordered=True)
    ice = intercurrent_events(sel.adsl[sel.adsl["USUBJID"].isin(data["USUBJID"])], data,
                              sel.visits)
    refs = {lv: ref for lv in sel.ordered_levels}
    # MAR keeps the observed data after the event in the imputation model, the
    # reference-based strategies leave them out: two sets of fits
    fits = {s: mi.draws(data, formula, group="TRT01P", ice=ice.assign(strategy=s),
                        method="condmean", resampling="jackknife", reml=model.reml)
            for s in ("MAR", "JR")}
    pooled = {}
    imps = {}
    for s in STRATEGIES:
        dr = fits["MAR" if s == "MAR" else "JR"]
        imps[s] = dr.impute(refs, strategy=ice[["USUBJID"]].assign(strategy=s))
        pooled[s] = imps[s].analyse("ancova", covariates=["BASE"]).pool()
    dr = fits["JR"]
    jr = pooled["JR"].rename(columns={"AVISIT": "visit"})
    jr["visit"] = jr["visit"].astype(str)
    ls = jr[jr["parameter"] != "trt"].copy()
    ls["group"] = np.where(ls["parameter"] == "lsm_ref", ref, active[0])
    diff = jr[jr["parameter"] == "trt"].copy()
    diff["contrast"] = f"{active[0]} - {ref}"
    cols = [c for c in INFERENCE]
    lsm = _inference(ls)[["visit", "group", *cols]].reset_index(drop=True)
    dif = _inference(diff)[["visit", "contrast", *cols]].reset_index(drop=True)
    last = sel.visits[-1]
    details: list[tuple[str, Any]] = [
        ("Model", f"reference-based MI: imputation MMRM {formula}"),
        ("Method", "conditional mean imputation, jackknife SE (normal), per-visit ANCOVA "
                   "on BASE"),
        ("Intercurrent event", "end of treatment (DCTREAS; first visit after TRTEDY)"),
        ("Subjects with the event", len(ice)),
        ("Reference arm", ref),
    ]
    for s in STRATEGIES:
        r = pooled[s]
        r = r[(r["parameter"] == "trt") & (r["AVISIT"].astype(str) == last)].iloc[0]
        details.append((f"{s}: {active[0]} - {ref} at {last}",
                        f"{r['estimate']:.3f} (SE {r['std_error']:.3f}, p {r['p_value']:.4f})"))
    tp = imps["JR"].tipping_point({active[0]: list(GRID)}, covariates=["BASE"], visit=last)
    details.append((f"Tipping point (JR, delta on {active[0]}'s imputed values)",
                    "not reached on 0-3" if np.isnan(tp.tipping_point)
                    else f"{tp.tipping_point:g}"))
    extra = {"tipping_point": tp.table, "strategies": pd.concat(
        [p.assign(strategy=s) for s, p in pooled.items()], ignore_index=True)}
    return KindFit("mi", (dr, tp), formula, "jackknife (normal)", lsm, dif, tuple(details),
                   extra=extra)


def _derive(trial, rules, parameter):
    return derive.derive_parallel(trial, param=parameter, rules=rules)


@figure("tipping_point", ("parallel",), skip_reason="not an MI analysis")
def tipping_point(sel, fit: KindFit):
    """Tipping-point heatmap of an ``mi`` analysis."""
    if fit.kind != "mi":
        return None
    _, tp = fit.model
    return (mi.tipping_point_figure(tp), f"Tipping point at {sel.visits[-1]} (JR)",
            "Delta added to every imputed value of the active arm; cells coloured by p "
            "(bins 0.001, 0.01, 0.05, 0.2), the tipping point outlined.")


KIND = register(AnalysisKind(
    name="mi", design="parallel",
    summary="reference-based multiple imputation (MAR, JR, CIR) with a tipping point",
    fit=_fit, derive=_derive, needs_formula=True,
    outputs=frozenset({"baseline", "disposition", "lsmeans", "adverse_events", "model",
                       "tipping_point"})))
