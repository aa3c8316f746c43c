"""Change from baseline, percent change, responder flags and the analysis flag.

Examples
--------
>>> import pandas as pd
>>> from ldn_stats.derive.responders import derive_change
>>> frame = pd.DataFrame({"ITTFL": ["Y", "Y", "Y"], "AVAL": [3.0, 4.0, 2.0],
...                       "BASE": [6.0, 5.0, 0.0]})
>>> derive_change(frame)
  ITTFL  AVAL  BASE  CHG  PCHG CRIT1FL CRIT2FL ANL01FL
0     Y   3.0   6.0 -3.0 -50.0       Y       Y       Y
1     Y   4.0   5.0 -1.0 -20.0       N       N       Y
2     Y   2.0   0.0  2.0   NaN     NaN     NaN       Y
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.derive.rules import DeriveRules
from ldn_stats.errors import DataError, ValidationError
from ldn_stats.parameters import Parameter, Responder

__all__ = ["derive_change", "no_analysis_record", "responder_flag", "responder_threshold"]

_DEFAULT_RULES = DeriveRules()


def responder_flag(pchg: np.ndarray, threshold: float, tolerance: float = 1e-9) -> pd.Series:
    """``"Y"`` where ``PCHG <= threshold``, ``"N"`` where above, missing where PCHG is.

    Parameters
    ----------
    pchg : array-like of float
        Percent change from baseline.
    threshold : float
        Responder threshold in percent, e.g. -30 for a reduction of at least 30%.
    tolerance : float
        Percentage points of slack for binary floating point:
        ``PCHG <= threshold + tolerance`` counts as a response.

    Returns
    -------
    pandas.Series of str
        ``"Y"``, ``"N"`` or missing.

    Notes
    -----
    ADaM criterion flags (CRITyFL) take ``"Y"``/``"N"`` where the criterion can
    be evaluated and are left missing where it cannot (here: PCHG missing), so
    a missing outcome is never counted as a non-responder by accident; an
    analysis that imputes non-response must do so explicitly.

    Examples
    --------
    >>> responder_flag(np.array([-29.999999999999996, -29.9, np.nan]), -30).tolist()
    ['Y', 'N', nan]
    """
    pchg = np.asarray(pchg, dtype="float64")
    flag = np.where(pchg <= threshold + tolerance, "Y", "N").astype(object)
    flag[np.isnan(pchg)] = np.nan
    return pd.Series(flag, dtype="str")


def responder_threshold(responder: Responder, parameter: Parameter, rules: DeriveRules) -> float:
    """The signed threshold a responder definition compares with (PCHG, CHG or AVAL).

    Relative and absolute definitions improve in the parameter's direction:
    ``-threshold`` for a decrease, ``+threshold`` for an increase. A
    ``DeriveRules.crit1_pchg`` / ``crit2_pchg`` set away from its default
    replaces the threshold of a relative CRIT1FL / CRIT2FL definition.

    Examples
    --------
    >>> from ldn_stats.parameters import load_catalogue
    >>> p = load_catalogue().get("PAINNRS")
    >>> responder_threshold(p.responders[0], p, DeriveRules())
    -30.0
    >>> responder_threshold(p.responders[0], p, DeriveRules(crit1_pchg=-20))
    -20.0
    """
    if responder.kind == "value":
        return responder.threshold
    sign = -1.0 if parameter.direction == "decrease" else 1.0
    if responder.kind == "relative":
        for flag, name in (("CRIT1FL", "crit1_pchg"), ("CRIT2FL", "crit2_pchg")):
            if responder.flag == flag and getattr(rules, name) != getattr(_DEFAULT_RULES, name):
                return float(getattr(rules, name))
    return sign * responder.threshold


def _flag(values: np.ndarray, threshold: float, decrease: bool, tolerance: float) -> pd.Series:
    if decrease:
        return responder_flag(values, threshold, tolerance)
    return responder_flag(-values, -threshold, tolerance)


def derive_change(
    frame: pd.DataFrame,
    rules: DeriveRules = DeriveRules(),  # noqa: B008 - frozen, immutable default
    parameter: Parameter | None = None,
    given: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Add CHG, PCHG, CRIT1FL, CRIT2FL and ANL01FL to a table with AVAL and BASE.

    Parameters
    ----------
    frame : pandas.DataFrame
        Needs ``AVAL``, ``BASE`` and the population flag column
        (``rules.population_flag``, default ``ITTFL``).
    rules : DeriveRules
        Supplies the responder thresholds ``crit1_pchg`` (-30), ``crit2_pchg``
        (-50), ``responder_tolerance`` and ``population_flag``.
    parameter : Parameter, optional
        The catalogue entry of the parameter: its responder definitions (and
        direction) decide which flags exist and how they are evaluated. Without
        it, CRIT1FL and CRIT2FL are the PCHG reductions of ``rules``.
    given : dict, optional
        ``CHG`` / ``PCHG`` values as the data give them, one per row; used where
        not missing, derived elsewhere.

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the five columns appended (replaced if present).

    Raises
    ------
    ldn_stats.errors.ValidationError
        A required column is missing.

    Notes
    -----
    - ``CHG = AVAL - BASE``, missing when either is.
    - ``PCHG = 100 * CHG / BASE``, missing when CHG is missing or BASE is 0 (a
      percent change from zero pain is undefined).
    - ``CRIT1FL = "Y"`` when ``PCHG <= crit1_pchg`` (at least a 30% reduction),
      ``"N"`` otherwise; ``CRIT2FL`` likewise with ``crit2_pchg`` (50%). Both are
      missing when PCHG is missing (see :func:`responder_flag`).
    - ``ANL01FL = "Y"`` when the subject is in the population
      (``population_flag == "Y"``), BASE is present and AVAL is present; ``"N"``
      otherwise. It is never missing.

    Validated against hand computation (``tests/derive/test_derive_responders.py``).

    Examples
    --------
    >>> frame = pd.DataFrame({"ITTFL": ["Y", "N"], "AVAL": [4.2, 1.0], "BASE": [6.0, 4.0]})
    >>> derive_change(frame)[["PCHG", "CRIT1FL", "ANL01FL"]].round(6)
       PCHG CRIT1FL ANL01FL
    0 -30.0       Y       Y
    1 -75.0       Y       N
    """
    has_base = "BASE" in frame.columns
    needed = ("AVAL", "BASE", rules.population_flag) if parameter is None else (
        "AVAL", rules.population_flag)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValidationError(
            f"derive_change: missing column(s) {', '.join(missing)} "
            f"(found: {', '.join(map(str, frame.columns))})"
        )
    given = given or {}
    aval = frame["AVAL"].to_numpy(dtype="float64", na_value=np.nan)
    in_population = (frame[rules.population_flag] == "Y").fillna(False).to_numpy(dtype=bool)
    index = frame.index
    out: dict[str, object] = {}
    values = {"AVAL": aval}
    ok = in_population & ~np.isnan(aval)
    if has_base:
        base = frame["BASE"].to_numpy(dtype="float64", na_value=np.nan)
        chg = aval - base
        if "CHG" in given:
            chg = np.where(np.isnan(given["CHG"]), chg, given["CHG"])
        with np.errstate(invalid="ignore", divide="ignore"):
            pchg = np.where(base != 0, 100.0 * chg / base, np.nan)
        if "PCHG" in given:
            pchg = np.where(np.isnan(given["PCHG"]), pchg, given["PCHG"])
        out.update(CHG=chg, PCHG=pchg)
        values.update(CHG=chg, PCHG=pchg)
        ok &= ~np.isnan(base)
    if parameter is None:  # BASE is among the required columns then
        out["CRIT1FL"] = responder_flag(pchg, rules.crit1_pchg,
                                        rules.responder_tolerance).set_axis(index)
        out["CRIT2FL"] = responder_flag(pchg, rules.crit2_pchg,
                                        rules.responder_tolerance).set_axis(index)
    else:
        for responder in parameter.responders:
            if responder.needs not in values:
                continue  # e.g. a relative definition in a trial without baseline
            threshold = responder_threshold(responder, parameter, rules)
            decrease = parameter.direction == "decrease"
            tolerance = 0.0 if responder.kind == "value" else rules.responder_tolerance
            out[responder.flag] = _flag(values[responder.needs], threshold, decrease,
                                        tolerance).set_axis(index)
    out["ANL01FL"] = pd.Series(np.where(ok, "Y", "N"), index=index, dtype="str")
    frame = frame.drop(columns=[c for c in ("CHG", "PCHG", "CRIT1FL", "CRIT2FL", "ANL01FL")
                                if c in frame.columns])
    return frame.assign(**out)


def no_analysis_record(frame, data, rules: DeriveRules, param: str, base_rule: str,
                       aval_rule: str, func: str, visit_level: bool = False) -> DataError:
    """The error of a derivation that leaves no analysis record: which rule removed how many.

    Each rule (population, BASE, AVAL) is counted on the subject x visit grid
    on its own (a record may fail several), followed by what to change.
    """
    total = len(frame)
    flag = rules.population_flag
    out_pop = ~(frame[flag] == "Y").fillna(False).to_numpy(dtype=bool)
    no_base = (frame["BASE"].isna().to_numpy() if "BASE" in frame.columns
               else np.zeros(total, dtype=bool))
    no_aval = frame["AVAL"].isna().to_numpy()
    n_pop, n_base, n_aval = int(out_pop.sum()), int(no_base.sum()), int(no_aval.sum())
    lines = [f"{func}: no analysis record (ANL01FL = Y) for {param}: of {total:,} "
             "subject x visit records (a record may fail several rules),"]
    lines.append(f"  population ({flag} = Y): removed {n_pop:,} "
                 f"({int((frame.groupby('USUBJID')[flag].first() != 'Y').sum()):,} subjects "
                 f"not in the population)")
    if "BASE" in frame.columns:
        lines.append(f"  baseline ({base_rule}): removed {n_base:,}")
    lines.append(f"  AVAL ({aval_rule}): removed {n_aval:,}")
    hints = []
    if n_pop == total:
        hints.append(f"check adsl.{flag} or set DeriveRules.population_flag")
    if n_base and not visit_level:
        hints.append("check DeriveRules.baseline_window / baseline_min_ratings (visit-level "
                     "data: baseline_min_ratings = 1, baseline_method = 'last', or flag the "
                     "baseline record with ABLFL = Y)")
    if n_aval and not visit_level and rules.visit_windows is None:
        per_week = _ratings_per_week(data, rules.week_length)
        if per_week < rules.week_min_days:
            hints.append(f"the {param} records look visit-level (at most {per_week} rating(s) "
                         f"per week, week_min_days is {rules.week_min_days}): give adeff "
                         "AVISIT/AVISITN, or set DeriveRules.visit_windows, or lower "
                         "week_min_days")
    if hints:
        lines.append("What to do: " + "; ".join(hints) + ".")
    return DataError("\n".join(lines))


def _ratings_per_week(data, week_length: int) -> int:
    rated = data.rated & (data.ady >= 1)
    if not rated.any():
        return 0
    week = (data.ady[rated] - 1) // week_length
    keys = pd.DataFrame({"c": data.code[rated], "w": week})
    return int(keys.value_counts().max())
