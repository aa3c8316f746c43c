"""Per-scenario operating characteristics from the replicate records.

For a scenario with ``R`` replicates of which ``K`` fitted (status ``ok``):

- ``power``: share of the ``K`` fits rejecting ``H0: effect = 0`` at level
  ``alpha`` (two-sided, the analysis's own p-value); only for scenarios whose
  true effect is not 0.  ``power_mcse = sqrt(p (1 - p) / K)``; the 95 % CI is
  Clopper-Pearson's exact interval.
- ``type1``: the same for the scenario's *null companion* (the same
  parameters with ``effect = 0``, when the grid has one).
- ``mean_estimate``, ``bias = mean_estimate - true effect`` (``bias_mcse =
  emp_se / sqrt(K)``), ``emp_se`` (SD of the estimates), ``mean_model_se`` (mean
  of the analysis's standard errors), ``se_ratio = mean_model_se / emp_se``,
  ``coverage`` of the analysis's 95 % CI (with ``coverage_mcse``).
- ``fail_share`` = ``(R - K) / R`` and ``failures``: the count of each error
  type (``ConvergenceError=2; SingularDesignError=1``), never hidden.

Examples
--------
>>> [round(v, 7) for v in binomial_summary(8, 10)]  # R: binom.test(8, 10)$conf.int
[0.8, 0.1264911, 0.4439045, 0.9747893]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import stats

from ldn_stats.power.replicate import Record

__all__ = ["binomial_summary", "summarise"]


def binomial_summary(x: int, n: int) -> tuple[float, float, float, float]:
    """Share ``x / n``, its Monte-Carlo SE and the Clopper-Pearson 95 % interval."""
    if n == 0:
        return (math.nan,) * 4
    p = x / n
    lo = 0.0 if x == 0 else float(stats.beta.ppf(0.025, x, n - x + 1))
    hi = 1.0 if x == n else float(stats.beta.ppf(0.975, x + 1, n - x))
    return p, math.sqrt(p * (1 - p) / n), lo, hi


def _rejections(records: Sequence[Record], alpha: float) -> tuple[int, int]:
    ok = [r for r in records if r.status == "ok"]
    return sum(r.p_value < alpha for r in ok), len(ok)


def summarise(records: Sequence[Record], truth: float, alpha: float,
              null_records: Sequence[Record] | None) -> dict[str, float | int | str]:
    """Operating characteristics of one scenario (see the module docstring)."""
    R = len(records)
    ok = [r for r in records if r.status == "ok"]
    K = len(ok)
    fails = Counter(r.status for r in records if r.status != "ok")
    out: dict[str, float | int | str] = {"replicates": R, "n_ok": K,
                                         "fail_share": (R - K) / R if R else math.nan,
                                         "failures": "; ".join(f"{k}={v}" for k, v in
                                                               sorted(fails.items()))}
    x, n = _rejections(records, alpha)
    p = binomial_summary(x, n) if truth != 0 else (math.nan,) * 4
    out.update(zip(("power", "power_mcse", "power_ci_low", "power_ci_high"), p, strict=True))
    if null_records is not None:
        t = binomial_summary(*_rejections(null_records, alpha))
    else:
        t = (math.nan,) * 4
    out.update(zip(("type1", "type1_mcse", "type1_ci_low", "type1_ci_high"), t, strict=True))
    est = np.array([r.estimate for r in ok])
    se = np.array([r.std_error for r in ok])
    mean = float(est.mean()) if K else math.nan
    emp = float(est.std(ddof=1)) if K > 1 else math.nan
    out["mean_estimate"] = mean
    out["bias"] = mean - truth
    out["bias_mcse"] = emp / math.sqrt(K) if K > 1 else math.nan
    out["emp_se"] = emp
    out["mean_model_se"] = float(se.mean()) if K else math.nan
    out["se_ratio"] = out["mean_model_se"] / emp if K > 1 and emp > 0 else math.nan
    cover = sum(r.conf_low <= truth <= r.conf_high for r in ok)
    c = binomial_summary(cover, K)
    out["coverage"], out["coverage_mcse"] = c[0], c[1]
    out["mean_n_complete"] = float(np.mean([r.n_complete for r in ok])) if K else math.nan
    return out
