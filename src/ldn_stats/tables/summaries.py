"""Descriptive summaries behind the report tables, as numeric DataFrames.

Baseline characteristics, disposition, responder rates with the risk
difference, and adverse-event incidence.  Every function returns numbers only;
:mod:`ldn_stats.tables.catalogue` formats them.

Examples
--------
>>> lo, hi = newcombe_interval(56, 70, 48, 80)
>>> round(lo, 4), round(hi, 4)
(0.0524, 0.3339)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "adverse_event_summary",
    "baseline_summary",
    "disposition_summary",
    "newcombe_interval",
    "responder_summary",
    "wilson_interval",
]


def wilson_interval(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``x / n``.

    Parameters
    ----------
    x, n : int
        Successes and trials (``n > 0``).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    (float, float)

    Notes
    -----
    ``(p + z^2/2n -+ z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n)``; Newcombe (1998),
    Statistics in Medicine 17:857, method 3.  Validated against
    Newcombe (1998) Table I, 81/263: (0.2553, 0.3662).

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    if n <= 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    p = x / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denom = 1 + z * z / n
    return ((centre - half) / denom, (centre + half) / denom)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int,
                      level: float = 0.95) -> tuple[float, float]:
    """Newcombe hybrid score interval for the difference ``x1/n1 - x2/n2``.

    Parameters
    ----------
    x1, n1 : int
        Responders and subjects in the first (treatment) group.
    x2, n2 : int
        Responders and subjects in the second (reference) group.
    level : float, default 0.95

    Returns
    -------
    (float, float)

    Notes
    -----
    With Wilson limits ``(l_i, u_i)`` and ``d = p1 - p2``:
    ``d - sqrt((p1 - l1)^2 + (u2 - p2)^2)`` to ``d + sqrt((u1 - p1)^2 + (p2 - l2)^2)``
    (Newcombe 1998, method 10).  Validated against the paper's worked example
    56/70 - 48/80: 0.0524 to 0.3339.

    Examples
    --------
    >>> [round(v, 4) for v in newcombe_interval(9, 10, 3, 10)]
    [0.1705, 0.8090]
    """
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    d = p1 - p2
    return (d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


def _levels(values: pd.Series) -> list[str]:
    return sorted(str(v) for v in values.dropna().unique())


def _describe(x: pd.Series) -> dict[str, float]:
    x = pd.to_numeric(x, errors="coerce").dropna().astype(float)
    n = len(x)
    return {
        "n": float(n),
        "mean": float(x.mean()) if n else math.nan,
        "sd": float(x.std(ddof=1)) if n > 1 else math.nan,
        "median": float(x.median()) if n else math.nan,
        "min": float(x.min()) if n else math.nan,
        "max": float(x.max()) if n else math.nan,
    }


def baseline_summary(subjects: pd.DataFrame, arm: str, *,
                     baseline: str | None = "BASE") -> pd.DataFrame:
    """Baseline characteristics by arm and in total, as a long numeric table.

    Parameters
    ----------
    subjects : pandas.DataFrame
        One row per subject in the analysis population with ``arm``, ``AGE``,
        ``SEX``, ``SITEID`` and, when given, the ``baseline`` pain column.
    arm : str
        The grouping column (``TRT01P`` or ``TRTSEQP``).
    baseline : str or None, default "BASE"
        Column of baseline pain; ``None`` leaves it out.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, level, statistic, group, value``; ``group`` is an arm
        or ``"Total"``; statistics are ``n, mean, sd, median, min, max`` for
        continuous variables and ``n, pct`` for categories.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"TRT01P": ["A", "B"], "AGE": [40, 50], "SEX": ["F", "F"],
    ...                   "SITEID": ["1", "1"]})
    >>> out = baseline_summary(s, "TRT01P", baseline=None)
    >>> out.query("variable == 'AGE' and statistic == 'mean'")["value"].tolist()
    [40.0, 50.0, 45.0]
    """
    groups = [(g, subjects[subjects[arm].astype(str) == g]) for g in _levels(subjects[arm])]
    groups.append(("Total", subjects))
    rows: list[dict[str, object]] = []
    # CDISC ADSL: AGE, SEX and SITEID are optional; a column not collected is left out
    continuous = [c for c in ["AGE"] + ([baseline] if baseline else []) if c in subjects]
    for group, df in groups:
        rows.append({"variable": "N", "level": "", "statistic": "n", "group": group,
                     "value": float(len(df))})
        for var in continuous:
            for stat, value in _describe(df[var]).items():
                rows.append({"variable": var, "level": "", "statistic": stat,
                             "group": group, "value": value})
        for var in [v for v in ("SEX", "SITEID") if v in subjects]:
            for level in _levels(subjects[var]):
                n = float((df[var].astype(str) == level).sum())
                pct = 100.0 * n / len(df) if len(df) else math.nan
                rows.append({"variable": var, "level": level, "statistic": "n",
                             "group": group, "value": n})
                rows.append({"variable": var, "level": level, "statistic": "pct",
                             "group": group, "value": pct})
    return pd.DataFrame(rows)


def disposition_summary(adsl: pd.DataFrame, arm: str) -> pd.DataFrame:
    """Randomized, completed and discontinued subjects (by reason) by arm.

    Parameters
    ----------
    adsl : pandas.DataFrame
        Subject-level table with ``RANDFL``, ``DCSREAS`` and ``arm``.
    arm : str
        The grouping column.

    Returns
    -------
    pandas.DataFrame
        Columns ``category, reason, group, n, pct`` (percent of randomized);
        categories ``Randomized``, ``Completed``, ``Discontinued``, and one
        ``Discontinued`` row per reason.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"TRT01P": ["A", "A", "B"], "RANDFL": ["Y", "Y", "Y"],
    ...                   "DCSREAS": ["", "ADVERSE EVENT", None]})
    >>> disposition_summary(a, "TRT01P").query("group == 'A'")["n"].tolist()
    [2.0, 1.0, 1.0, 1.0]
    """
    rand = adsl[adsl["RANDFL"].astype(str) == "Y"]
    reason = rand["DCSREAS"].astype("string").fillna("").str.strip()
    reasons = sorted(r for r in reason.unique() if r)
    rows: list[dict[str, object]] = []
    for group in [*_levels(rand[arm]), "Total"]:
        mask = (rand[arm].astype(str) == group) if group != "Total" else np.ones(len(rand), bool)
        n_rand = float(mask.sum())

        def add(category: str, why: str, n: float, n_rand: float = n_rand,
                group: str = group) -> None:
            rows.append({"category": category, "reason": why, "group": group, "n": n,
                         "pct": 100.0 * n / n_rand if n_rand else math.nan})

        add("Randomized", "", n_rand)
        add("Completed", "", float((mask & (reason == "")).sum()))
        add("Discontinued", "", float((mask & (reason != "")).sum()))
        for why in reasons:
            add("Discontinued", why, float((mask & (reason == why)).sum()))
    return pd.DataFrame(rows)


def responder_summary(final: pd.DataFrame, arm: str, reference: str, *,
                      flags: tuple[str, ...] = ("CRIT1FL", "CRIT2FL"),
                      level: float = 0.95) -> pd.DataFrame:
    """Responder rates by arm and the risk difference versus the reference arm.

    Parameters
    ----------
    final : pandas.DataFrame
        One row per subject of the analysis population (the responder visit),
        with ``arm`` and the flag columns (``"Y"`` = responder).  A subject whose
        flag is missing counts as a non-responder (composite estimand).
    arm : str
        The treatment column.
    reference : str
        The reference (placebo) level.
    flags : tuple of str
        Responder flag columns, default >= 30% (CRIT1FL) and >= 50% (CRIT2FL).
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per flag and non-reference arm: ``criterion, contrast, n_resp,
        n, n_resp_ref, n_ref, prop, prop_ref, estimate, conf_low, conf_high, nnt,
        nnt_low, nnt_high`` (``estimate`` = risk difference, Newcombe CI; NNT =
        1/RD with limits 1/CI only when the CI excludes 0, else NaN).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"TRT01P": ["L"] * 10 + ["P"] * 10,
    ...                   "CRIT1FL": ["Y"] * 9 + ["N"] + ["Y"] * 3 + ["N"] * 7})
    >>> r = responder_summary(d, "TRT01P", "P", flags=("CRIT1FL",))
    >>> round(float(r.loc[0, "estimate"]), 2), round(float(r.loc[0, "nnt"]), 2)
    (0.6, 1.67)
    """
    arms = _levels(final[arm])
    rows: list[dict[str, object]] = []
    ref = final[final[arm].astype(str) == reference]
    for flag in flags:
        x2 = int((ref[flag].astype("string") == "Y").sum())
        n2 = len(ref)
        for a in arms:
            if a == reference:
                continue
            grp = final[final[arm].astype(str) == a]
            x1, n1 = int((grp[flag].astype("string") == "Y").sum()), len(grp)
            p1 = x1 / n1 if n1 else math.nan
            p2 = x2 / n2 if n2 else math.nan
            lo, hi = newcombe_interval(x1, n1, x2, n2, level) if n1 and n2 else (math.nan,) * 2
            d = p1 - p2
            excl = lo > 0 or hi < 0
            rows.append({
                "criterion": flag, "contrast": f"{a} - {reference}",
                "n_resp": float(x1), "n": float(n1), "n_resp_ref": float(x2), "n_ref": float(n2),
                "prop": p1, "prop_ref": p2, "estimate": d, "conf_low": lo, "conf_high": hi,
                "nnt": 1.0 / abs(d) if d else math.inf,
                "nnt_low": 1.0 / max(abs(lo), abs(hi)) if excl else math.nan,
                "nnt_high": 1.0 / min(abs(lo), abs(hi)) if excl else math.nan,
            })
    return pd.DataFrame(rows)


def adverse_event_summary(adae: pd.DataFrame | None, denominators: dict[str, int], *,
                          arm: str = "TRTA") -> pd.DataFrame:
    """Subjects with adverse events by arm: any, any serious, and each preferred term.

    Parameters
    ----------
    adae : pandas.DataFrame or None
        Adverse events with ``USUBJID, AEDECOD, AESER`` and ``arm``; ``None`` or
        empty gives zero counts.
    denominators : dict of str to int
        Subjects at risk in each arm (the safety population).
    arm : str, default "TRTA"
        The column giving the arm an event counts under.

    Returns
    -------
    pandas.DataFrame
        Columns ``term, group, n, pct, N``; ``n`` counts subjects (not events);
        terms ordered: any event, any serious event, then by total subjects
        (descending) and name.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame({"USUBJID": ["1", "1", "2"], "AEDECOD": ["HEADACHE"] * 3,
    ...                    "AESER": ["N", "N", "Y"], "TRTA": ["L", "L", "P"]})
    >>> s = adverse_event_summary(ae, {"L": 2, "P": 4})
    >>> s.query("term == 'HEADACHE'")[["group", "n", "pct"]].values.tolist()
    [['L', 1.0, 50.0], ['P', 1.0, 25.0]]
    """
    groups = sorted(denominators)
    if adae is None or len(adae) == 0:
        adae = pd.DataFrame({"USUBJID": [], "AEDECOD": [], "AESER": [], arm: []})
    ae = adae.assign(_arm=adae[arm].astype("string"), _id=adae["USUBJID"].astype("string"))
    terms: list[tuple[str, pd.DataFrame]] = [
        ("Any adverse event", ae),
        ("Any serious adverse event", ae[ae["AESER"].astype("string") == "Y"]),
    ]
    per_term = ae.groupby("AEDECOD", sort=True)["_id"].nunique()
    order = sorted(per_term.index, key=lambda t: (-int(per_term[t]), str(t)))
    terms += [(str(t), ae[ae["AEDECOD"] == t]) for t in order]
    rows = []
    for term, df in terms:
        for g in groups:
            n = float(df.loc[df["_arm"] == g, "_id"].nunique())
            big_n = denominators[g]
            rows.append({"term": term, "group": g, "n": n,
                         "pct": 100.0 * n / big_n if big_n else math.nan, "N": float(big_n)})
    return pd.DataFrame(rows, columns=["term", "group", "n", "pct", "N"])
