"""Pooling rules: Rubin's rules with Barnard-Rubin df, jackknife, bootstrap, BMLMI.

Each function takes the per-sample estimates of one parameter (and, for
Rubin's rules, their standard errors and complete-data df) and returns a
:class:`Pooled` (estimate, standard error, df, confidence limits, p-value).

Examples
--------
>>> import numpy as np
>>> p = rubin_rules(np.array([1.0, 1.2, 0.8]), np.array([0.5, 0.5, 0.5]), df_complete=np.inf)
>>> round(p.estimate, 6), round(p.std_error ** 2, 6)
(1.0, 0.303333)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.stats

from ldn_stats.errors import ModelError

__all__ = ["Pooled", "barnard_rubin_df", "bmlmi_pool", "bootstrap_pool", "jackknife_pool",
           "rubin_rules"]


class Pooled(NamedTuple):
    """A pooled parameter: estimate, std_error, df (inf: normal), limits and p-value."""

    estimate: float
    std_error: float
    df: float
    conf_low: float
    conf_high: float
    p_value: float


def _parametric(est: float, se: float, df: float, conf_level: float) -> Pooled:
    if np.isinf(df):
        q = scipy.stats.norm.ppf(0.5 + conf_level / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * scipy.stats.norm.sf(abs(est / se))
    else:
        q = scipy.stats.t.ppf(0.5 + conf_level / 2, df)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * scipy.stats.t.sf(abs(est / se), df)
    return Pooled(float(est), float(se), float(df), float(est - q * se), float(est + q * se),
                  float(p))


def barnard_rubin_df(df_complete: float, var_between: float, var_total: float, m: int) -> float:
    """Barnard & Rubin (1999) small-sample degrees of freedom of a pooled estimate.

    ``lambda = (1 + 1/m) B / T``, ``nu_old = (m - 1) / lambda^2``,
    ``nu_obs = (nu_com + 1) / (nu_com + 3) nu_com (1 - lambda)``, and
    ``nu = nu_old nu_obs / (nu_old + nu_obs)``; ``nu_obs`` when ``B = 0``,
    ``nu_old`` when ``nu_com`` is infinite (infinite when both).

    Examples
    --------
    >>> barnard_rubin_df(np.inf, 0.0, 1.0, 5)
    inf
    >>> barnard_rubin_df(100.0, 0.0, 1.0, 5) == 100 * 101 / 103
    True
    """
    if np.isnan(df_complete) or (np.isinf(df_complete) and var_between == 0):
        return float("inf")
    lam = (1 + 1 / m) * var_between / var_total
    v_obs = None if np.isinf(df_complete) else (
        (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam))
    if lam == 0:
        return float(v_obs)
    v_old = (m - 1) / lam ** 2
    if v_obs is None:
        return float(v_old)
    return float(v_old * v_obs / (v_old + v_obs))


def rubin_rules(estimates: np.ndarray, std_errors: np.ndarray, df_complete: float,
                conf_level: float = 0.95) -> Pooled:
    """Rubin's rules: mean estimate, ``T = W + (1 + 1/m) B``, Barnard-Rubin df, t limits.

    Parameters
    ----------
    estimates, std_errors : array of shape (m,)
        Per-imputation estimates and standard errors.
    df_complete : float
        Complete-data degrees of freedom (``inf`` for a normal reference).
    conf_level : float

    Examples
    --------
    >>> p = rubin_rules(np.array([2.0, 2.0]), np.array([1.0, 1.0]), df_complete=50.0)
    >>> p.std_error, round(p.df, 4) == round(50 * 51 / 53, 4)
    (1.0, True)
    """
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(std_errors, dtype=float)
    m = est.size
    if m < 2:
        raise ModelError(f"Rubin's rules need at least 2 imputations, got {m}")
    if np.isnan(se).any():
        i = int(np.flatnonzero(np.isnan(se))[0])
        raise ModelError(f"Rubin's rules: the standard error of imputation {i + 1} of {m} is "
                         f"missing (NaN; its estimate is {est[i]!r}): the analysis of that "
                         "imputed data set gave no SE")
    w = float(np.mean(se ** 2))
    b = float(np.var(est, ddof=1))
    t = w + (1 + 1 / m) * b
    df = barnard_rubin_df(float(df_complete), b, t, m)
    return _parametric(float(np.mean(est)), float(np.sqrt(t)), df, conf_level)


def jackknife_pool(estimates: np.ndarray, conf_level: float = 0.95) -> Pooled:
    """Conditional-mean jackknife: the full-data estimate (first element), the jackknife SE
    ``sqrt((n - 1)/n sum (theta_i - mean)^2)`` over the leave-one-out estimates, normal limits.

    Examples
    --------
    >>> p = jackknife_pool(np.array([1.0, 0.9, 1.1]))
    >>> p.estimate, round(p.std_error, 6), p.df
    (1.0, 0.1, inf)
    """
    est = np.asarray(estimates, dtype=float)
    loo = est[1:]
    n = loo.size
    if n < 2:
        raise ModelError(f"the jackknife needs at least 2 leave-one-out estimates, got {n}")
    se = float(np.sqrt((n - 1) / n * np.sum((loo - loo.mean()) ** 2)))
    return _parametric(float(est[0]), se, float("inf"), conf_level)


def _quantile6(x: np.ndarray, probs) -> np.ndarray:
    """R's ``quantile(type = 6)``: ``p (n + 1)``-th order statistic, interpolated."""
    xs = np.sort(x)
    n = xs.size
    out = []
    for p in probs:
        h = p * (n + 1)
        lo = int(np.floor(h))
        if lo < 1:
            out.append(xs[0])
        elif lo >= n:
            out.append(xs[-1])
        else:
            out.append(xs[lo - 1] + (h - lo) * (xs[lo] - xs[lo - 1]))
    return np.array(out)


def bootstrap_pool(estimates: np.ndarray, conf_level: float = 0.95,
                   kind: str = "percentile") -> Pooled:
    """Conditional-mean bootstrap: the full-data estimate (first element) with percentile
    limits (R ``quantile`` type 6; p from the proportion of signs; no SE) or normal
    limits from the bootstrap SD (rbmi's ``pool(type=...)``).

    Examples
    --------
    >>> p = bootstrap_pool(np.array([1.0, 0.5, 1.5, 1.0]), kind="normal")
    >>> p.estimate, p.std_error
    (1.0, 0.5)
    """
    est = np.asarray(estimates, dtype=float)
    e0, boot = float(est[0]), est[1:]
    if boot.size < 2:
        raise ModelError(f"the bootstrap needs at least 2 samples, got {boot.size}")
    if kind == "normal":
        return _parametric(e0, float(np.std(boot, ddof=1)), float("inf"), conf_level)
    if kind != "percentile":
        raise ModelError(f"bootstrap interval kind must be 'percentile' or 'normal', got {kind!r}")
    alpha = 1 - conf_level
    lo, hi = _quantile6(boot, [alpha / 2, 1 - alpha / 2])
    pv = (np.array([np.sum(boot < 0), np.sum(boot > 0)]) + 1) / (boot.size + 1)
    return Pooled(e0, float("nan"), float("inf"), float(lo), float(hi),
                  float(min(2 * pv.min(), 1.0)))


def bmlmi_pool(estimates: np.ndarray, d: int, conf_level: float = 0.95) -> Pooled:
    """Von Hippel & Bartlett (2021) pooling of B bootstrap samples x D imputations.

    ``estimates`` in sample-major order (the D imputations of sample 1 first).
    Variance ``(1 + 1/B) (MSB - MSW)/D + MSW/(B D)``, their df (at least 3).

    Examples
    --------
    >>> p = bmlmi_pool(np.array([1.0, 1.2, 0.9, 1.1, 1.3, 1.5]), d=2)
    >>> round(p.estimate, 6)
    1.166667
    """
    est = np.asarray(estimates, dtype=float)
    if d < 2 or est.size % d:
        raise ModelError(f"BMLMI needs D >= 2 imputations per sample and a multiple of D "
                         f"estimates, got D={d} and {est.size}")
    b = est.size // d
    if b < 2:
        raise ModelError(f"BMLMI needs at least 2 bootstrap samples, got {b} ({est.size} "
                         f"estimates, D={d})")
    x = est.reshape(b, d)
    point = float(x.mean())
    rows = x.mean(axis=1)
    ssw = float(np.sum((x - rows[:, None]) ** 2))
    ssb = d * float(np.sum((rows - point) ** 2))
    msw = ssw / (b * (d - 1))
    msb = ssb / (b - 1)
    var = (1 + 1 / b) * (msb - msw) / d + msw / (b * d)
    df = var ** 2 / (((b + 1) / (b * d)) ** 2 * msb ** 2 / (b - 1)
                     + msw ** 2 / (b * d ** 2 * (d - 1)))
    df = max(3.0, df)
    if var <= 0:
        raise ModelError("BMLMI variance estimate is not positive (too few samples: "
                         "increase B or D)")
    return _parametric(point, float(np.sqrt(var)), float(df), conf_level)
