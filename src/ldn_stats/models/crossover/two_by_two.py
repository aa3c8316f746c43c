"""Parametric 2x2 crossover analyses that need no mixed model.

From one outcome per subject and period of a 2x2 crossover: the Hills-Armitage
period-difference t-test, the carryover (sequence) test on subject totals and
within-subject effect sizes.  The rank and responder companions are in
:mod:`ldn_stats.models.crossover.nonparametric`.

Treatments are ordered reference first (``"PBO"`` if present); every difference is
labelled ``"b - a"`` for treatments in order (a, b), e.g. ``"LDN - PBO"``.

Column names: ``columns`` (see :mod:`ldn_stats.models.crossover`).

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({
...     "USUBJID": [s for s in "123456" for _ in range(2)],
...     "TRTSEQP": ["A-B"] * 6 + ["B-A"] * 6,
...     "APERIOD": [1, 2] * 6,
...     "TRTA": ["A", "B"] * 3 + ["B", "A"] * 3,
...     "AVAL": [5, 3, 6, 3, 7, 5, 2, 6, 3, 5, 1, 4.0]})
>>> hills_armitage(d)[["contrast", "estimate", "df"]]
  contrast  estimate   df
0    B - A -2.666667  4.0
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin
from scipy import stats

from ldn_stats.models.crossover.prepare import check_columns, treatment_levels, two_by_two_wide
from ldn_stats.vocabulary import COLUMNS, INFERENCE, Columns

__all__ = ["carryover_totals", "hills_armitage", "within_subject_effect_sizes"]

_COLS = list(INFERENCE)


def _pooled_t(x: np.ndarray, y: np.ndarray, alpha: float) -> dict[str, float]:
    nx, ny = len(x), len(y)
    df = nx + ny - 2
    s2 = ((nx - 1) * x.var(ddof=1) + (ny - 1) * y.var(ddof=1)) / df
    est = float(x.mean() - y.mean())
    se = float(math.sqrt(s2 * (1 / nx + 1 / ny)))
    t = est / se
    q = stats.t.ppf(1 - alpha / 2, df)
    return {"estimate": est, "std_error": se, "df": float(df), "statistic": t,
            "p_value": float(2 * stats.t.sf(abs(t), df)),
            "conf_low": est - q * se, "conf_high": est + q * se}


def hills_armitage(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    reference: str | None = None,
    alpha: float = 0.05,
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Hills-Armitage test: two-sample t-test on half the period differences.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject x period of a 2x2 crossover.
    outcome : str
        Outcome column.
    columns : Columns, default COLUMNS
        Subject, period, treatment and sequence columns (see the module notes).
    reference : str, optional
        Reference treatment ``a``; default ``"PBO"`` if present, else the first sorted.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        One row: ``contrast`` (``"b - a"``), ``estimate, std_error, df, statistic,
        p_value, conf_low, conf_high``, ``n`` (complete subjects), ``n_dropped``.

    Notes
    -----
    With ``d_i = (y_i1 - y_i2) / 2``, ``E[d] = (tau_a - tau_b)/2 + (pi_1 - pi_2)/2`` in
    sequence a-b and ``(tau_b - tau_a)/2 + (pi_1 - pi_2)/2`` in sequence b-a, so
    ``tau_b - tau_a`` is estimated by ``mean(d | b-a) - mean(d | a-b)`` with the pooled
    two-sample t-test, ``n - 2`` df (Hills & Armitage 1979; Jones & Kenward 2014, 2.3).
    Subjects missing a period are left out. With complete data this equals the mixed
    model with a random subject effect (when its REML variance is positive).

    Validated against R ``t.test(x, y, var.equal = TRUE)`` on the period differences
    (``tests/reference/crossover``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": list("aabbccdd"), "TRTSEQP": ["A-B"] * 4 + ["B-A"] * 4,
    ...                   "APERIOD": [1, 2] * 4, "TRTA": list("ABAB") + list("BABA"),
    ...                   "AVAL": [5, 3, 6, 3, 2, 6, 3, 5.0]})
    >>> round(float(hills_armitage(d)["estimate"].iloc[0]), 3)
    -2.75
    """
    tb = two_by_two_wide(data, outcome, reference, columns=columns)
    d = (tb.wide["y1"] - tb.wide["y2"]) / 2
    x, y = tb.split(d)
    row = {"contrast": tb.contrast, **_pooled_t(x, y, alpha),
           "n": len(tb.wide), "n_dropped": tb.n_dropped}
    return pd.DataFrame([row])


def carryover_totals(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    reference: str | None = None,
    alpha: float = 0.05,
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Carryover (sequence) test of a 2x2 crossover from subject totals.

    Reported, never used as a gate for the treatment analysis: the two-stage
    procedure that tests carryover first inflates the type I error (Freeman 1989).

    Parameters
    ----------
    data, outcome, reference, alpha, columns
        As :func:`hills_armitage`.

    Returns
    -------
    pandas.DataFrame
        One row: ``contrast`` (``"<sequence starting on b> - <sequence starting on a>"``),
        ``estimate`` (difference of mean totals ``y1 + y2``) ``, std_error, df, statistic,
        p_value, conf_low, conf_high``, ``n``.

    Notes
    -----
    ``E[y1 + y2]`` differs between the sequences by ``lambda_b - lambda_a`` (carryover
    difference) only; pooled two-sample t-test with ``n - 2`` df (Grizzle 1965; Jones &
    Kenward 2014, 2.5). Between-subject, so its power is low.
    Validated against R ``t.test(total_ba, total_ab, var.equal = TRUE)``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": list("aabbccdd"), "TRTSEQP": ["A-B"] * 4 + ["B-A"] * 4,
    ...                   "APERIOD": [1, 2] * 4, "TRTA": list("ABAB") + list("BABA"),
    ...                   "AVAL": [5, 3, 6, 3, 2, 6, 3, 5.0]})
    >>> carryover_totals(d)[["contrast", "estimate", "df"]]
      contrast  estimate   df
    0  B-A - A-B      -0.5  2.0
    """
    tb = two_by_two_wide(data, outcome, reference, columns=columns)
    total = tb.wide["y1"] + tb.wide["y2"]
    x, y = tb.split(total)
    first = tb.wide["first"]
    seq_b = tb.wide.loc[first == tb.levels[1], "sequence"].iloc[0]
    seq_a = tb.wide.loc[first == tb.levels[0], "sequence"].iloc[0]
    row = {"contrast": f"{seq_b} - {seq_a}", **_pooled_t(x, y, alpha), "n": len(tb.wide)}
    return pd.DataFrame([row])

def within_subject_effect_sizes(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    reference: str | None = None,
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Standardized within-subject treatment differences (pingouin).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject x period; subjects need both treatments (others are left out).
    outcome : str
        Outcome column.
    columns : Columns, default COLUMNS
        Subject, period, treatment and sequence columns (see the module notes).
    reference : str, optional
        Reference treatment ``a``.

    Returns
    -------
    pandas.DataFrame
        One row per measure: ``contrast``, ``measure`` (``cohen_dz``: mean difference / SD
        of differences; ``cohen_dav``: mean difference / root mean of the two variances;
        ``hedges_gav``: ``cohen_dav`` with the small-sample correction), ``estimate``, ``n``.

    Notes
    -----
    Computed with ``pingouin.compute_effsize(b, a, paired=True)`` (Cumming 2012; Lakens
    2013). They ignore period effects: descriptive companions to the model-based
    difference, not tests. With several periods per treatment, a subject's values are
    averaged per treatment first.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": list("aabbcc"), "TRTA": list("ABABAB"),
    ...                   "AVAL": [5, 3, 6, 3, 7, 6.0]})
    >>> within_subject_effect_sizes(d)[["measure", "estimate"]].round(3)
          measure  estimate
    0    cohen_dz    -2.000
    1   cohen_dav    -1.414
    2  hedges_gav    -1.131
    """
    subject, treatment = columns.subject, columns.treatment
    check_columns(data, [outcome, subject, treatment], "within_subject_effect_sizes")
    d = data.loc[data[outcome].notna() & data[treatment].notna()]
    levels = treatment_levels(d[treatment], reference)
    wide = d.pivot_table(index=subject, columns=treatment, values=outcome, aggfunc="mean")
    rows = []
    for b in levels[1:]:
        pair = wide[[levels[0], b]].dropna()
        xb, xa = pair[b].to_numpy(float), pair[levels[0]].to_numpy(float)
        for measure, eftype in (("cohen_dz", "cohen_dz"), ("cohen_dav", "cohen"),
                                ("hedges_gav", "hedges")):
            est = float(pingouin.compute_effsize(xb, xa, paired=True, eftype=eftype))
            rows.append({"contrast": f"{b} - {levels[0]}", "measure": measure,
                         "estimate": est, "n": len(pair)})
    return pd.DataFrame(rows)
