"""Simple, documented trial summaries used by the calibration tests.

They mirror the published estimators as closely as the publications allow,
without depending on ``ldn_stats.derive``:

* parallel (FINAL): baseline = mean of the ratings on study days -7..-1 (at
  least 4); week 12 = mean of days 78..84 (at least 4 of 7); CHG = week 12 -
  baseline; PCHG = 100 * CHG / baseline; responder = PCHG <= -30 (subjects
  without a week-12 mean count as non-responders).  The treatment difference
  is the ANCOVA estimate of CHG ~ arm + baseline (the published -0.34 was
  model-adjusted); any adverse event and stopping for adverse events
  (treatment days with TRTA empty) are shares of randomized subjects.
* crossover (Younger 2013): baseline = mean of days -14..-1; the endpoint of
  each condition = mean of the ratings on the last 3 days of its period;
  PCHG = 100 * (endpoint - baseline) / baseline, averaged over the subjects
  with an endpoint; adverse-event rates are shares of subjects exposed to
  the condition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _window_mean(adeff: pd.DataFrame, lo: int, hi: int, min_days: int) -> pd.Series:
    w = adeff[(adeff["ADY"] >= lo) & (adeff["ADY"] <= hi)]
    g = w.groupby("USUBJID")["AVAL"]
    mean, count = g.mean(), g.count()
    return mean.where(count >= min_days)


def parallel_summary(t: dict[str, pd.DataFrame], weeks: int = 12) -> dict[str, float]:
    adsl, adeff, adae = t["adsl"], t["adeff"], t["adae"]
    arm = adsl.set_index("USUBJID")["TRT01P"]
    base = _window_mean(adeff, -7, -1, 4).reindex(arm.index)
    last = _window_mean(adeff, 7 * weeks - 6, 7 * weeks, 4).reindex(arm.index)
    chg = last - base
    pchg = 100 * chg / base
    out: dict[str, float] = {}
    for a in ("LDN", "PBO"):
        m = arm == a
        out[f"chg_{a}"] = float(chg[m].mean())
        out[f"sd_{a}"] = float(chg[m].std())
        out[f"resp30_{a}"] = float((pchg[m] <= -30).mean())
        out[f"ae_{a}"] = float(adae.loc[adae["TRTA"] == a, "USUBJID"].nunique() / m.sum())
        if "DCTREAS" in adsl:  # treatment ended early (some then left the study)
            stopped = adsl.loc[adsl["DCTREAS"].notna(), "USUBJID"].unique()
        else:
            on = adeff[(adeff["ADY"] >= 1) & (adeff["ADY"] <= 7 * weeks)]
            stopped = on.loc[on["TRTA"].isna(), "USUBJID"].unique()
        out[f"stop_{a}"] = float(arm.loc[list(stopped)].eq(a).sum() / m.sum())
        out[f"base_{a}"] = float(base[m].mean())
    ok = chg.notna() & base.notna()
    x = np.column_stack([np.ones(ok.sum()), (arm[ok] == "LDN").to_numpy(float),
                         base[ok].to_numpy(float)])
    beta = np.linalg.lstsq(x, chg[ok].to_numpy(float), rcond=None)[0]
    out["diff_ancova"] = float(beta[1])
    out["diff_raw"] = out["chg_LDN"] - out["chg_PBO"]
    return out


def crossover_summary(t: dict[str, pd.DataFrame], run_in: int = 14, k: int = 3) -> dict[str, float]:
    adsl, adeff, adae = t["adsl"], t["adeff"], t["adae"]
    base = _window_mean(adeff, -run_in, -1, 1)
    per = adeff.dropna(subset=["APERIOD"])
    last_day = per.groupby(["USUBJID", "APERIOD"])["ADY"].transform("max")
    seq = adsl.set_index("USUBJID")["TRTSEQP"]
    tail = per[per["ADY"] > last_day - k]
    ep = tail.groupby(["USUBJID", "APERIOD", "TRTA"])["AVAL"].mean().reset_index()
    done = adsl.set_index("USUBJID")["DCSREAS"].isna()
    # A dropout's interrupted (last reached) period is not a completed condition.
    reached = per.groupby("USUBJID")["APERIOD"].max()
    ep["complete"] = (ep["USUBJID"].map(done).to_numpy(bool)
                      | (ep["APERIOD"] < ep["USUBJID"].map(reached)).to_numpy(bool))
    ep = ep[ep["complete"]]
    ep["BASE"] = ep["USUBJID"].map(base)
    ep["PCHG"] = 100 * (ep["AVAL"] - ep["BASE"]) / ep["BASE"]
    out: dict[str, float] = {"completed": float(done.mean()), "n": float(len(seq))}
    for a in ("LDN", "PBO"):
        e = ep[ep["TRTA"] == a]
        out[f"pchg_{a}"] = float(e["PCHG"].mean())
        out[f"pchg_of_means_{a}"] = float(100 * (e["AVAL"].mean() / e["BASE"].mean() - 1))
        out[f"resp30_{a}"] = float((e["PCHG"] <= -30).mean())
        exposed = adeff.loc[adeff["TRTA"] == a, "USUBJID"].nunique()
        for term, key in (("ABNORMAL DREAMS", "dreams"), ("HEADACHE", "headache")):
            hit = adae[(adae["TRTA"] == a) & (adae["AEDECOD"] == term)]["USUBJID"].nunique()
            out[f"{key}_{a}"] = hit / exposed
    out["diff_pchg"] = out["pchg_LDN"] - out["pchg_PBO"]
    return out
