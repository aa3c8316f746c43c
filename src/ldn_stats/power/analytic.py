"""Analytic power beside the simulation: t test, ANCOVA, 2x2 crossover, Lu, Luo and Chen (2008).

The formulas need variances the design spec does not state (they follow from
the simulator's model: levels, placebo response, AR(1) diary noise, weekly
means, rounding).  They are measured on a large *pilot* trial of each
scenario (``design.pilot_n_per_arm`` subjects per arm, simulated once with its
own seed): once without dropout for the variances, once with the scenario's
dropout for the retention.  This is how PROC POWER or longpower are used in
practice, with the SD from a previous trial.

Power of a two-sided level-``alpha`` test of an effect ``delta`` with standard
error ``se`` on ``df`` degrees of freedom is

.. math::

    1 - F_{t(df, \\lambda)}(t_{1-\\alpha/2, df}) + F_{t(df, \\lambda)}(-t_{1-\\alpha/2, df}),
    \\qquad \\lambda = \\delta / se,

with :math:`F_{t(df,\\lambda)}` the noncentral t distribution function.

- *Two-sample t*: ``se = sqrt(s_a^2/m_a + s_c^2/m_c)``, ``df = m_a + m_c - 2``, with
  ``s`` the SD of the change at the last visit per arm and ``m = n r_J`` the
  expected completers.
- *ANCOVA*: the same with the residual SD of the change given baseline, ``df - 1``.
- *2x2 crossover*: ``se = sqrt(s_w^2 / 2 (1/m_1 + 1/m_2))``, ``df = m_1 + m_2 - 2``,
  with ``s_w`` the within-subject SD and ``m`` the subjects with both periods.
- *MMRM with dropout* (Lu, Luo and Chen 2008, Int J Biostat 4(1):7, formula 3;
  longpower ``power.mmrm``): ``var = s_J^2 (phi_a / n_a + phi_c / n_c)`` with

  .. math::

      \\phi = \\Bigl[\\Bigl(\\sum_{j=1}^{J} (r_j - r_{j+1})\\,
      \\begin{pmatrix} R_j^{-1} & 0 \\\\ 0 & 0 \\end{pmatrix}\\Bigr)^{-1}\\Bigr]_{JJ},

  ``R_j`` the leading ``j x j`` block of the visits' correlation matrix (given
  baseline), ``r_j`` the share still observed at visit ``j`` (``r_{J+1} = 0``),
  and ``df = m_a + m_c - 2`` (the paper uses the normal limit).

Examples
--------
>>> round(t_power(delta=0.5, se=0.2, df=98, alpha=0.05), 4)
0.6968
>>> R = [[1.0, 0.5], [0.5, 1.0]]
>>> llc_phi(R, [1.0, 1.0]), round(llc_phi(R, [1.0, 0.5]), 4)
(1.0, 1.75)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ANALYTIC_COLUMNS", "analytic_power", "llc_phi", "pilot_statistics", "t_power",
           "twin_effect"]

#: analytic columns of ``results.csv``
ANALYTIC_COLUMNS = ("power_t", "power_ancova", "power_llc", "power_crossover")


def t_power(delta: float, se: float, df: float, alpha: float) -> float:
    """Power of the two-sided t test of ``delta`` with standard error ``se`` (noncentral t)."""
    if not (se > 0 and df > 0):
        return math.nan
    crit = stats.t.ppf(1 - alpha / 2, df)
    lam = delta / se
    return float(stats.nct.sf(crit, df, lam) + stats.nct.cdf(-crit, df, lam))


def llc_phi(R: Sequence[Sequence[float]], retention: Sequence[float]) -> float:
    """Variance inflation of the last visit's mean under monotone dropout (Lu, Luo, Chen 2008).

    Parameters
    ----------
    R : (J, J) array
        Correlation matrix of the visits.
    retention : sequence of float
        ``r_1 >= ... >= r_J``: share of subjects observed at each visit.

    Returns
    -------
    float
        ``phi``; 1 when nobody drops out, ``1 / r_J`` when the visits are uncorrelated.
    """
    R = np.asarray(R, dtype=float)
    r = np.minimum.accumulate(np.asarray(retention, dtype=float))  # monotone
    J = R.shape[0]
    info = np.zeros((J, J))
    nxt = np.append(r[1:], 0.0)
    for j in range(1, J + 1):
        w = r[j - 1] - nxt[j - 1]
        if w > 0:
            info[:j, :j] += w * np.linalg.inv(R[:j, :j])
    return float(np.linalg.inv(info)[J - 1, J - 1])


def pilot_statistics(complete: pd.DataFrame, with_dropout: pd.DataFrame, kind: str,
                     active: str, control: str, outcome: str) -> dict[str, float | list]:
    """Variances and retention measured on the pilot trials' analysis tables.

    ``complete`` and ``with_dropout`` are the derived analysis tables
    (``derive_parallel``/``derive_crossover``) of the pilot without and with dropout.
    """
    if kind == "crossover":
        out: dict[str, float | list] = {}
        d = complete[complete[outcome].notna()]
        wide = d.pivot_table(index=["USUBJID", "TRTSEQP"], columns="APERIOD", values=outcome)
        wide = wide.dropna()
        diff = (wide.iloc[:, 0] - wide.iloc[:, 1]).rename("d").reset_index()
        resid = diff["d"] - diff.groupby("TRTSEQP")["d"].transform("mean")
        out["sd_within"] = float(math.sqrt((resid ** 2).sum() / (len(resid) - 2) / 2))
        w = with_dropout[with_dropout[outcome].notna()].groupby(["TRTSEQP", "USUBJID"]).size()
        n_seq = with_dropout.groupby("TRTSEQP")["USUBJID"].nunique()
        both = (w >= 2).groupby(level=0).sum()
        out["retention_seq"] = [float(both.get(s, 0) / n_seq[s]) for s in sorted(n_seq.index)]
        return out
    visits = list(complete["AVISIT"].cat.categories) if hasattr(complete["AVISIT"], "cat") \
        else sorted(complete["AVISIT"].unique())
    last = visits[-1]
    out = {}
    wide = complete.pivot_table(index=["USUBJID", "TRT01P", "BASE"], columns="AVISIT",
                                values=outcome, observed=True)[visits].dropna().reset_index()
    for arm, label in ((active, "a"), (control, "c")):
        g = wide[wide["TRT01P"].astype(str) == arm]
        y = g[last].to_numpy(float)
        out[f"sd_{label}"] = float(np.std(y, ddof=1))
        X = np.column_stack([np.ones(len(g)), g["BASE"].to_numpy(float)])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        out[f"sd_resid_{label}"] = float(math.sqrt(((y - X @ beta) ** 2).sum() / (len(y) - 2)))
    # covariance of the visits given baseline, pooled within arm
    resid = []
    for _, g in wide.groupby("TRT01P", observed=True):
        X = np.column_stack([np.ones(len(g)), g["BASE"].to_numpy(float)])
        Y = g[visits].to_numpy(float)
        beta, *_ = np.linalg.lstsq(X, Y, rcond=None)
        resid.append(Y - X @ beta)
    E = np.vstack(resid)
    S = E.T @ E / (E.shape[0] - 2 * 2)
    sd = np.sqrt(np.diag(S))
    out["R"] = (S / np.outer(sd, sd)).tolist()
    out["sd_last_given_base"] = float(sd[-1])
    for arm, label in ((active, "a"), (control, "c")):
        g = with_dropout[with_dropout["TRT01P"].astype(str) == arm]
        n = g["USUBJID"].nunique()
        obs = g[g[outcome].notna()].groupby("AVISIT", observed=True)["USUBJID"].nunique()
        out[f"retention_{label}"] = [float(obs.get(v, 0) / n) for v in visits]
    return out


def twin_effect(complete: pd.DataFrame, twin: pd.DataFrame, kind: str, active: str,
                outcome: str) -> tuple[float, float]:
    """True effect at the primary time point from twin pilot trials, and its MC SE.

    ``complete`` and ``twin`` are the analysis tables of the same simulated
    trial (same seed) with the scenario's effect and with effect 0.  Every
    random number is shared, so the subject-wise difference of the outcome
    (last visit, or the active period of a crossover) is the drug's effect on
    that subject as the diary records it; its mean over the active arm is the
    true value of the contrast and its SD / sqrt(n) the Monte-Carlo error.
    """
    if kind == "crossover":
        key = ["USUBJID", "APERIOD"]
        a = complete[complete["TRTA"].astype(str) == active].set_index(key)[outcome]
        b = twin[twin["TRTA"].astype(str) == active].set_index(key)[outcome]
    else:
        visits = list(complete["AVISIT"].cat.categories) if hasattr(complete["AVISIT"], "cat") \
            else sorted(complete["AVISIT"].unique())
        last = visits[-1]

        def pick(d: pd.DataFrame) -> pd.Series:
            d = d[(d["AVISIT"] == last) & (d["TRT01P"].astype(str) == active)]
            return d.set_index("USUBJID")[outcome]
        a, b = pick(complete), pick(twin)
    diff = (a - b).dropna()
    if len(diff) < 2:
        return math.nan, math.nan
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))


def analytic_power(pilot: dict, kind: str, n_per_arm: int, delta: float,
                   alpha: float) -> dict[str, float]:
    """Analytic power of each formula that applies (NaN for the others)."""
    out = dict.fromkeys(ANALYTIC_COLUMNS, math.nan)
    if kind == "crossover":
        r1, r2 = pilot["retention_seq"]
        m1, m2 = n_per_arm * r1, n_per_arm * r2
        se = math.sqrt(pilot["sd_within"] ** 2 / 2 * (1 / m1 + 1 / m2))
        out["power_crossover"] = t_power(delta, se, m1 + m2 - 2, alpha)
        return out
    ra, rc = pilot["retention_a"], pilot["retention_c"]
    ma, mc = n_per_arm * ra[-1], n_per_arm * rc[-1]
    se_t = math.sqrt(pilot["sd_a"] ** 2 / ma + pilot["sd_c"] ** 2 / mc)
    out["power_t"] = t_power(delta, se_t, ma + mc - 2, alpha)
    se_an = math.sqrt(pilot["sd_resid_a"] ** 2 / ma + pilot["sd_resid_c"] ** 2 / mc)
    out["power_ancova"] = t_power(delta, se_an, ma + mc - 3, alpha)
    phi_a, phi_c = llc_phi(pilot["R"], ra), llc_phi(pilot["R"], rc)
    se_llc = pilot["sd_last_given_base"] * math.sqrt(phi_a / n_per_arm + phi_c / n_per_arm)
    out["power_llc"] = t_power(delta, se_llc, ma + mc - 2, alpha)
    return out
