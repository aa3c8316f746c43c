"""Nonparametric and responder companions of a 2x2 crossover.

The Wilcoxon-Mann-Whitney test on period differences with the Hodges-Lehmann
estimate (exact for small untied samples), the paired responder analysis
(McNemar with the conditional odds ratio) and the Mainland-Gart
period-adjusted responder test.  Treatments are ordered reference first;
differences are labelled ``"b - a"``.

The ``columns`` argument names the columns, as in :mod:`ldn_stats.models.crossover`.

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({
...     "USUBJID": [s for s in "123456" for _ in range(2)],
...     "TRTSEQP": ["A-B"] * 6 + ["B-A"] * 6,
...     "APERIOD": [1, 2] * 6,
...     "TRTA": ["A", "B"] * 3 + ["B", "A"] * 3,
...     "AVAL": [5, 3, 6, 3, 7, 5, 2, 6, 3, 5, 1, 4.0]})
>>> wilcoxon_period_differences(d)["contrast"].tolist()
['B - A']
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import odds_ratio

from ldn_stats.errors import DataError
from ldn_stats.models.crossover.prepare import check_columns, treatment_levels, two_by_two_wide
from ldn_stats.vocabulary import COLUMNS, Columns

__all__ = ["mainland_gart", "paired_responders", "wilcoxon_period_differences"]


def _odds(p: float) -> float:
    return float(p / (1 - p)) if p < 1 else math.inf


@lru_cache(maxsize=64)
def _mwu_counts(m: int, n: int) -> tuple[int, ...]:
    """Null frequencies of the Mann-Whitney U for sample sizes m, n (no ties), exactly.

    The generating function of U is the Gaussian binomial coefficient
    ``prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i)``.
    """
    size = m * n + 1
    c = [0] * size
    c[0] = 1
    for i in range(1, m + 1):
        k = n + i
        for u in range(size - 1, k - 1, -1):  # multiply by (1 - q^k)
            c[u] -= c[u - k]
        for u in range(i, size):  # divide by (1 - q^i)
            c[u] += c[u - i]
    return tuple(c)


def _pwilcox(q: int, m: int, n: int) -> float:
    """P(U <= q) under H0, as R ``pwilcox``."""
    c = _mwu_counts(m, n)
    if q < 0:
        return 0.0
    return sum(c[: q + 1]) / math.comb(m + n, m)


def _qwilcox(p: float, m: int, n: int) -> int:
    """Smallest q with P(U <= q) >= p, as R ``qwilcox``."""
    c = _mwu_counts(m, n)
    total = math.comb(m + n, m)
    acc = 0
    for q, f in enumerate(c):
        acc += f
        if acc / total >= p * (1 - 64 * np.finfo(float).eps):
            return q
    return len(c) - 1


def _w_stat(x: np.ndarray, y: np.ndarray) -> float:
    r = stats.rankdata(np.concatenate([x, y]))
    return float(r[: len(x)].sum() - len(x) * (len(x) + 1) / 2)


def _sigma(x: np.ndarray, y: np.ndarray) -> float:
    nx, ny = len(x), len(y)
    _, ties = np.unique(np.concatenate([x, y]), return_counts=True)
    tie = float(np.sum(ties**3 - ties))
    return math.sqrt(nx * ny / 12 * ((nx + ny + 1) - tie / ((nx + ny) * (nx + ny - 1))))


def _asymptotic_limit(x: np.ndarray, y: np.ndarray, diffs: np.ndarray, zq: float) -> float:
    """The shift where R's continuity-corrected normal score crosses ``zq``.

    R ``wilcox.test(exact = FALSE, conf.int = TRUE)`` finds this root with ``uniroot``
    (tolerance 1e-4); the score is a step function of the shift, so the exact root is the
    pairwise difference at which it jumps, found here by bisection over ``diffs``.
    """
    nx, ny = len(x), len(y)

    def f(shift: float) -> float:
        xs = x - shift
        dz = _w_stat(xs, y) - nx * ny / 2
        corr = math.copysign(0.5, dz) if dz != 0 else 0.0
        return (dz - corr) / _sigma(xs, y) - zq

    if f(diffs[0]) <= 0:
        return float(diffs[0])
    if f(diffs[-1]) >= 0:
        return float(diffs[-1])
    lo, hi = 0, len(diffs) - 1  # f(diffs[lo]) > 0 >= f(diffs[hi])
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if f(diffs[mid]) > 0:
            lo = mid
        else:
            hi = mid
    # f > 0 just right of diffs[lo] means the jump is at diffs[hi]; else at diffs[lo]
    between = (diffs[lo] + diffs[hi]) / 2
    return float(diffs[hi] if f(between) > 0 else diffs[lo])


def wilcoxon_period_differences(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    reference: str | None = None,
    exact: bool | None = None,
    alpha: float = 0.05,
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Wilcoxon-Mann-Whitney test on period differences, Hodges-Lehmann estimate and CI.

    Parameters
    ----------
    data, outcome, reference, alpha, columns
        As :func:`hills_armitage`.
    exact : bool, optional
        Exact null distribution (no ties) or the normal approximation with continuity
        and tie correction. Default as R: exact when both sequences have fewer than 50
        complete subjects and there are no ties.

    Returns
    -------
    pandas.DataFrame
        One row: ``contrast``, ``estimate`` (Hodges-Lehmann shift, on the scale of the
        treatment difference), ``conf_low, conf_high``, ``statistic`` (W, Mann-Whitney U
        of the sequence starting on b), ``p_value``, ``method`` (``"exact"`` or
        ``"asymptotic"``), ``n``.

    Notes
    -----
    Koch (1972): the half period differences ``d = (y1 - y2) / 2`` of the two sequences
    differ in location by ``tau_b - tau_a``. The estimate is the median of the
    ``n_ba * n_ab`` pairwise differences ``d_ba - d_ab``. Exact CI: order statistics
    ``D(q)`` and ``D(mn + 1 - q)`` with ``q = qwilcox(alpha/2, m, n)`` (at least 1), as R.
    Asymptotic CI: the shifts at which the continuity-corrected normal score crosses
    ``-/+ z_(1-alpha/2)``, which R approximates with ``uniroot(tol = 1e-4)``; the exact
    jump point is returned here. The achieved exact coverage is at least ``1 - alpha``.

    Validated against R ``wilcox.test(x, y, conf.int = TRUE, exact = TRUE)`` (estimate,
    CI, p-value to 1e-10) and ``exact = FALSE`` (p-value to 1e-10, CI within R's 1e-4).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": list("aabbccdd"), "TRTSEQP": ["A-B"] * 4 + ["B-A"] * 4,
    ...                   "APERIOD": [1, 2] * 4, "TRTA": list("ABAB") + list("BABA"),
    ...                   "AVAL": [5, 3, 6, 3, 2, 6, 3, 5.0]})
    >>> wilcoxon_period_differences(d)[["estimate", "p_value", "method"]]
       estimate   p_value method
    0     -2.75  0.333333  exact
    """
    tb = two_by_two_wide(data, outcome, reference, columns=columns)
    d = (tb.wide["y1"] - tb.wide["y2"]) / 2
    x, y = tb.split(d)
    nx, ny = len(x), len(y)
    has_ties = len(np.unique(np.concatenate([x, y]))) < nx + ny
    if exact is None:
        exact = nx < 50 and ny < 50 and not has_ties
    diffs = np.sort(np.subtract.outer(x, y).ravel())
    w = _w_stat(x, y)
    estimate = float(np.median(diffs))
    if exact:
        if has_ties:
            raise DataError("wilcoxon_period_differences: the exact test needs untied data")
        if w > nx * ny / 2:
            p = 1 - _pwilcox(int(w) - 1, nx, ny)
        else:
            p = _pwilcox(int(w), nx, ny)
        p_value = min(2 * p, 1.0)
        qu = max(_qwilcox(alpha / 2, nx, ny), 1)
        ql = nx * ny - qu
        low, high = float(diffs[qu - 1]), float(diffs[ql])
    else:
        z = w - nx * ny / 2
        corr = math.copysign(0.5, z) if z != 0 else 0.0
        zs = (z - corr) / _sigma(x, y)
        p_value = float(2 * min(stats.norm.cdf(zs), stats.norm.sf(zs)))
        zq = stats.norm.ppf(1 - alpha / 2)
        low = _asymptotic_limit(x, y, diffs, zq)
        high = _asymptotic_limit(x, y, diffs, -zq)
    row = {"contrast": tb.contrast, "estimate": estimate, "conf_low": low, "conf_high": high,
           "statistic": w, "p_value": float(p_value),
           "method": "exact" if exact else "asymptotic", "n": nx + ny}
    return pd.DataFrame([row])


def paired_responders(
    data: pd.DataFrame,
    pchg: str = "PCHG",
    thresholds: tuple[float, ...] = (30.0, 50.0),
    reference: str | None = None,
    alpha: float = 0.05,
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Responders on each treatment of a crossover: McNemar test and conditional odds ratio.

    A subject responds on a treatment when the percent change in that period is a
    reduction of at least the threshold (``pchg <= -threshold``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject x period with the percent change from the period's baseline.
    pchg : str
        Percent-change column.
    columns : Columns, default COLUMNS
        Subject, period, treatment and sequence columns (see the module notes).
    thresholds : tuple of float, default (30, 50)
        Percent reductions defining a responder (IMMPACT: 30% moderate, 50% substantial).
    reference : str, optional
        Reference treatment ``a`` (two treatments only).
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``contrast`` (``"b / a"``), ``threshold``, ``n`` (subjects with
        both treatments), ``responders_a``, ``responders_b``, ``n_b_only``, ``n_a_only``,
        ``estimate`` (conditional odds ratio ``n_b_only / n_a_only``), ``conf_low,
        conf_high``, ``statistic`` (McNemar chi-square with continuity correction),
        ``p_value`` (exact: binomial test of ``n_b_only`` out of the discordant pairs),
        ``p_value_chisq`` (the chi-square test's).

    Notes
    -----
    Only discordant pairs carry information. The conditional (within-subject) odds ratio
    is ``psi = p / (1 - p)`` with ``p`` the probability that a discordant subject responded
    on b; its CI transforms the Clopper-Pearson interval of ``p`` (exact conditional CI;
    infinite upper limit when ``n_a_only = 0``). Period effects are ignored (for them use
    the Mainland-Gart test). Validated against R ``mcnemar.test(table, correct = TRUE)``
    and ``binom.test(n_b_only, n_b_only + n_a_only)``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": [s for s in "abcdef" for _ in range(2)],
    ...                   "TRTA": ["A", "B"] * 6,
    ...                   "PCHG": [-10, -40, -5, -60, 0, -35, -45, -10, -50, -55, 5, 0.0]})
    >>> r = paired_responders(d, thresholds=(30.0,))
    >>> r[["n_b_only", "n_a_only", "estimate"]]
       n_b_only  n_a_only  estimate
    0         3         1       3.0
    """
    subject, treatment = columns.subject, columns.treatment
    check_columns(data, [pchg, subject, treatment], "paired_responders")
    d = data.loc[data[pchg].notna() & data[treatment].notna()]
    levels = treatment_levels(d[treatment], reference)
    if len(levels) != 2:
        raise DataError(f"paired_responders: expected 2 treatments, found {levels}")
    wide = d.pivot_table(index=subject, columns=treatment, values=pchg, aggfunc="mean").dropna()
    a, b = levels
    rows = []
    for cut in thresholds:
        ra = wide[a].to_numpy(float) <= -cut
        rb = wide[b].to_numpy(float) <= -cut
        nb = int(np.sum(rb & ~ra))
        na = int(np.sum(ra & ~rb))
        disc = nb + na
        row = {"contrast": f"{b} / {a}", "threshold": float(cut), "n": len(wide),
               "responders_a": int(ra.sum()), "responders_b": int(rb.sum()),
               "n_b_only": nb, "n_a_only": na}
        if disc == 0:
            row.update(estimate=np.nan, conf_low=np.nan, conf_high=np.nan, statistic=np.nan,
                       p_value=1.0, p_value_chisq=np.nan)
        else:
            test = stats.binomtest(nb, disc, 0.5)
            ci = test.proportion_ci(confidence_level=1 - alpha, method="exact")
            chi2 = (abs(nb - na) - 1) ** 2 / disc
            row.update(estimate=nb / na if na else np.inf, conf_low=_odds(ci.low),
                       conf_high=_odds(ci.high), statistic=float(chi2),
                       p_value=float(test.pvalue), p_value_chisq=float(stats.chi2.sf(chi2, 1)))
        rows.append(row)
    return pd.DataFrame(rows)


def mainland_gart(
    data: pd.DataFrame,
    pchg: str = "PCHG",
    thresholds: tuple[float, ...] = (30.0, 50.0),
    reference: str | None = None,
    alpha: float = 0.05,
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Mainland-Gart test: responders in a 2x2 crossover, adjusted for period.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject x period with the percent change from baseline.
    pchg : str
        Percent-change column.
    columns : Columns, default COLUMNS
        Subject, period, treatment and sequence columns (see the module notes).
    thresholds : tuple of float, default (30, 50)
        Percent reductions defining a responder (``pchg <= -threshold``).
    reference : str, optional
        Reference treatment ``a``.
    alpha : float, default 0.05
        1 - confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per threshold: ``contrast`` (``"b / a"``), ``threshold``, the discordant
        counts ``a_first_period1, a_first_period2, b_first_period1, b_first_period2``
        (responded in that period only, by sequence), ``estimate`` (period-adjusted
        odds ratio of response on b versus a), ``conf_low, conf_high``, ``p_value``.

    Notes
    -----
    With a subject-specific logistic model, a discordant subject responded in period 1
    only with log odds ``(pi_1 - pi_2) + (tau_a - tau_b)`` in sequence a-b and
    ``(pi_1 - pi_2) + (tau_b - tau_a)`` in sequence b-a, so the odds ratio of the 2x2
    table (sequence x period responded in) is ``psi^2`` with ``psi`` the treatment odds
    ratio (Mainland 1963; Gart 1969; Jones & Kenward 2014, 6.2). The test is Fisher's
    exact test of that table; ``estimate`` and its CI are the square roots of the
    conditional maximum likelihood odds ratio and its exact conditional CI
    (``scipy.stats.contingency.odds_ratio(kind="conditional")``). Only subjects with both
    periods count.

    Validated against R ``fisher.test(table)`` (p-value to 1e-10; R finds the estimate and
    CI with ``uniroot``, so they agree to about 1e-3).

    Examples
    --------
    >>> import pandas as pd
    >>> seqs = ["A-B"] * 6 + ["B-A"] * 6
    >>> rows = [(i, s, p, t, v) for i, (s, pair) in enumerate(zip(seqs, [
    ...     (-40, 0), (0, -40), (0, -40), (0, -40), (-40, -40), (0, 0),
    ...     (-40, 0), (-40, 0), (-40, 0), (0, -40), (0, 0), (-40, -40)]))
    ...     for p, (t, v) in enumerate(zip(s.split("-"), pair), start=1)]
    >>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "PCHG"])
    >>> mainland_gart(d, thresholds=(30.0,))[["a_first_period1", "b_first_period1"]]
       a_first_period1  b_first_period1
    0                1                3
    """
    tb = two_by_two_wide(data, pchg, reference, columns=columns)
    a, b = tb.levels
    first = tb.wide["first"].to_numpy()
    rows = []
    for cut in thresholds:
        r1 = tb.wide["y1"].to_numpy(float) <= -cut
        r2 = tb.wide["y2"].to_numpy(float) <= -cut
        only1, only2 = r1 & ~r2, r2 & ~r1
        u, v = int(np.sum(only1 & (first == a))), int(np.sum(only2 & (first == a)))
        w, x = int(np.sum(only1 & (first == b))), int(np.sum(only2 & (first == b)))
        table = np.array([[w, x], [u, v]])  # rows: b first, a first; columns: period 1, 2
        row = {"contrast": f"{b} / {a}", "threshold": float(cut), "a_first_period1": u,
               "a_first_period2": v, "b_first_period1": w, "b_first_period2": x}
        if table.sum(axis=1).min() == 0 or table.sum(axis=0).min() == 0:
            row.update(estimate=np.nan, conf_low=np.nan, conf_high=np.nan, p_value=1.0)
        else:
            res = odds_ratio(table, kind="conditional")
            ci = res.confidence_interval(confidence_level=1 - alpha)
            row.update(estimate=float(np.sqrt(res.statistic)), conf_low=float(np.sqrt(ci.low)),
                       conf_high=float(np.sqrt(ci.high)),
                       p_value=float(stats.fisher_exact(table).pvalue))
        rows.append(row)
    return pd.DataFrame(rows)
