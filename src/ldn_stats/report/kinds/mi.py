"""Analysis kind ``mi``: estimand-driven sensitivity by reference-based multiple imputation.

The intercurrent event is the end of treatment read from the data: a subject with
``DCTREAS`` (why treatment ended early) is affected from the first analysis visit
after its last dose ``TRTEDY`` (week ``k`` covers study days ``7k-6..7k``; a
``DCSREAS`` without ``DCTREAS`` and without ``TRTEDY`` is taken as the event at the
first visit without data). ``model.formula`` is the imputation model (an MMRM
formula such as ``CHG ~ BASE * AVISIT + TRT01P * AVISIT + us(AVISIT | USUBJID)``).
Every arm's reference is the spec's reference arm; the analysis is a per-visit
ANCOVA on ``BASE``. The spec's ``[mi]`` section declares the rest (defaults shown)::

    [mi]
    strategies = ["MAR", "JR", "CIR"]   # reported at the last visit in the model table
    report = "JR"                       # the strategy of the LS-means and differences
    method = "condmean"                 # condmean, approxbayes or bmlmi
    resampling = "jackknife"            # condmean: jackknife or bootstrap
    n_samples = 0                       # bootstrap/approxbayes/bmlmi samples (0: none)
    seed = 1                            # for the stochastic methods
    tipping_strategy = "JR"             # the imputations the tipping grid shifts
    tipping_grid = [0.0, 0.25, ..., 3.0]  # deltas added to the active arm's imputed values

- the LS-means and differences reported are under ``report`` (JR: after stopping,
  subjects on the active arm are assumed to do as well as, and no better than,
  the reference arm);
- the model table adds every strategy of ``strategies`` at the last visit;
- the ``tipping_point`` figure shifts the active arm's imputed values over the
  grid and marks the smallest shift at which p >= 0.05.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> get_kind("mi").design, get_kind("mi").needs_formula
('parallel', True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ldn_stats import derive, mi
from ldn_stats.errors import SpecError
from ldn_stats.report.kinds import register
from ldn_stats.report.kinds.base import AnalysisKind, KindFit
from ldn_stats.report.outputs import figure
from ldn_stats.vocabulary import INFERENCE

__all__ = ["KIND", "MIOptions", "intercurrent_events", "read_mi_section"]

STRATEGIES = ("MAR", "JR", "CIR")
GRID = tuple(np.round(np.arange(0.0, 3.01, 0.25), 2).tolist())
_KNOWN = ("MAR", "JR", "CR", "CIR", "LMCF")


@dataclass(frozen=True)
class MIOptions:
    """The ``[mi]`` section of a spec, validated (see the module notes for the keys).

    Examples
    --------
    >>> MIOptions().report, MIOptions().strategies
    ('JR', ('MAR', 'JR', 'CIR'))
    """

    strategies: tuple[str, ...] = STRATEGIES
    report: str = "JR"
    method: str = "condmean"
    resampling: str = "jackknife"
    n_samples: int = 0
    seed: int = 1
    tipping_strategy: str = "JR"
    tipping_grid: tuple[float, ...] = GRID


def read_mi_section(table: dict, source: str) -> MIOptions:
    """Validate a spec's ``[mi]`` table into :class:`MIOptions`.

    Raises
    ------
    SpecError
        An unknown key, a wrong type, an unknown strategy or method, a reported
        strategy not among ``strategies``, a stochastic method without ``n_samples``,
        or a non-finite or unsorted grid; the message names ``mi.<key>``.

    Examples
    --------
    >>> read_mi_section({"report": "CIR"}, "x.toml").report
    'CIR'
    >>> read_mi_section({"tipping_grid": [0.0, float("nan")]}, "x.toml")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: x.toml: mi.tipping_grid: expected finite numbers in ...
    """
    def fail(key: str, msg: str) -> SpecError:
        return SpecError(f"{source}: mi.{key}: {msg}")

    fields = MIOptions.__dataclass_fields__
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise fail(unknown[0], f"unknown key; expected one of {sorted(fields)}")
    out = MIOptions()
    values: dict[str, Any] = {}
    for key in ("report", "method", "resampling", "tipping_strategy"):
        if key in table:
            if not isinstance(table[key], str):
                raise fail(key, f"expected a string, found {table[key]!r}")
            values[key] = table[key]
    for key in ("n_samples", "seed"):
        if key in table:
            v = table[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise fail(key, f"expected a non-negative integer, found {v!r}")
            values[key] = v
    if "strategies" in table:
        v = table["strategies"]
        if not isinstance(v, list) or not v or not all(isinstance(x, str) for x in v):
            raise fail("strategies", f"expected a non-empty list of strategies, found {v!r}")
        values["strategies"] = tuple(v)
    if "tipping_grid" in table:
        v = table["tipping_grid"]
        ok = (isinstance(v, list) and v and all(isinstance(x, int | float)
                                                and not isinstance(x, bool) for x in v))
        if not ok or not all(math.isfinite(float(x)) for x in v):
            raise fail("tipping_grid", f"expected finite numbers in a non-empty list, found {v!r}")
        grid = tuple(float(x) for x in v)
        if list(grid) != sorted(set(grid)):
            raise fail("tipping_grid", f"expected increasing distinct deltas, found {v!r}")
        values["tipping_grid"] = grid
    import dataclasses

    out = dataclasses.replace(out, **values)
    for key in ("report", "tipping_strategy"):
        if getattr(out, key) not in _KNOWN:
            raise fail(key, f"expected one of {list(_KNOWN)}, found {getattr(out, key)!r}")
    bad = [x for x in out.strategies if x not in _KNOWN]
    if bad:
        raise fail("strategies", f"{bad[0]!r} is not one of {list(_KNOWN)}")
    if out.report not in out.strategies:
        raise fail("report", f"{out.report!r} is not among mi.strategies {list(out.strategies)}")
    if out.method not in ("condmean", "approxbayes", "bmlmi"):
        raise fail("method", f"expected condmean, approxbayes or bmlmi, found {out.method!r}")
    if out.resampling not in ("jackknife", "bootstrap"):
        raise fail("resampling", f"expected jackknife or bootstrap, found {out.resampling!r}")
    stochastic = out.method != "condmean" or out.resampling == "bootstrap"
    if stochastic and out.n_samples < 2:
        raise fail("n_samples", f"method {out.method!r} with resampling {out.resampling!r} "
                                f"needs at least 2 samples, found {out.n_samples}")
    return out


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
    opt = sel.spec.options if isinstance(sel.spec.options, MIOptions) else MIOptions()
    wanted = tuple(dict.fromkeys((*opt.strategies, opt.report, opt.tipping_strategy)))
    # MAR keeps the observed data after the event in the imputation model, the
    # reference-based strategies leave them out: at most two sets of fits
    sampling = {"method": opt.method, "resampling": opt.resampling,
                "n_samples": opt.n_samples or None, "seed": opt.seed}
    fits = {}
    for s in wanted:
        key = "MAR" if s == "MAR" else "reference-based"
        if key not in fits:
            fits[key] = mi.draws(data, formula, group="TRT01P", ice=ice.assign(strategy=s),
                                 reml=model.reml, **sampling)
    pooled = {}
    imps = {}
    for s in wanted:
        dr = fits["MAR" if s == "MAR" else "reference-based"]
        imps[s] = dr.impute(refs, strategy=ice[["USUBJID"]].assign(strategy=s))
        pooled[s] = imps[s].analyse("ancova", covariates=["BASE"]).pool()
    dr = fits["MAR" if opt.report == "MAR" else "reference-based"]
    jr = pooled[opt.report].rename(columns={"AVISIT": "visit"})
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
        ("Method", _method_words(opt)),
        ("Strategy of the LS-means and differences", opt.report),
        ("Intercurrent event", "end of treatment (DCTREAS; first visit after TRTEDY)"),
        ("Subjects with the event", len(ice)),
        ("Reference arm", ref),
    ]
    for s in opt.strategies:
        r = pooled[s]
        r = r[(r["parameter"] == "trt") & (r["AVISIT"].astype(str) == last)].iloc[0]
        details.append((f"{s}: {active[0]} - {ref} at {last}",
                        f"{r['estimate']:.3f} (SE {r['std_error']:.3f}, p {r['p_value']:.4f})"))
    grid = list(opt.tipping_grid)
    tp = imps[opt.tipping_strategy].tipping_point({active[0]: grid}, covariates=["BASE"],
                                                  visit=last)
    details.append((f"Tipping point ({opt.tipping_strategy}, delta on {active[0]}'s imputed "
                    "values)", f"not reached on {grid[0]:g} to {grid[-1]:g}"
                    if np.isnan(tp.tipping_point) else f"{tp.tipping_point:g}"))
    extra = {"tipping_point": tp.table, "strategies": pd.concat(
        [p.assign(strategy=s) for s, p in pooled.items()], ignore_index=True)}
    inference = ("jackknife (normal)" if opt.method == "condmean" and opt.resampling == "jackknife"
                 else "bootstrap" if opt.method == "condmean" else "Rubin's rules, Barnard-Rubin"
                 if opt.method == "approxbayes" else "von Hippel-Bartlett")
    return KindFit("mi", (dr, tp), formula, inference, lsm, dif, tuple(details), extra=extra)


def _method_words(opt: MIOptions) -> str:
    if opt.method == "condmean":
        how = ("jackknife SE (normal)" if opt.resampling == "jackknife"
               else f"bootstrap SE ({opt.n_samples} samples)")
        return f"conditional mean imputation, {how}, per-visit ANCOVA on BASE"
    return (f"{opt.method} with {opt.n_samples} samples (seed {opt.seed}), per-visit ANCOVA "
            "on BASE")


def _derive(trial, rules, parameter):
    return derive.derive_parallel(trial, param=parameter, rules=rules)


@figure("tipping_point", ("parallel",), skip_reason="not an MI analysis")
def tipping_point(sel, fit: KindFit):
    """Tipping-point heatmap of an ``mi`` analysis."""
    if fit.kind != "mi":
        return None
    _, tp = fit.model
    opt = sel.spec.options if isinstance(sel.spec.options, MIOptions) else MIOptions()
    return (mi.tipping_point_figure(tp),
            f"Tipping point at {sel.visits[-1]} ({opt.tipping_strategy})",
            "Delta added to every imputed value of the active arm; cells coloured by p "
            "(bins 0.001, 0.01, 0.05, 0.2), the tipping point outlined.")


KIND = register(AnalysisKind(
    name="mi", design="parallel",
    summary="reference-based multiple imputation (MAR, JR, CIR) with a tipping point",
    fit=_fit, derive=_derive, needs_formula=True, section="mi", read_section=read_mi_section,
    outputs=frozenset({"baseline", "disposition", "lsmeans", "adverse_events", "model",
                       "tipping_point"})))
