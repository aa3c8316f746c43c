"""Calibration: over seeded replicates each preset reproduces its published summary.

Witness: the published figures in ``/work/shared/LITERATURE.md`` (Bruun 2024
FINAL; Younger 2013), restated below.  Summaries use the simple estimators of
``sim_summaries.py`` (baseline mean, last-week or last-3-day mean, change,
percent change, ANCOVA difference).

Tolerances.  ``mcse = sd / sqrt(R)`` is the Monte Carlo standard error of a
replicate mean.  A simulated mean that should *equal* a published figure must
lie within ``3 * mcse`` plus half the figure's last published digit (the
rounding).  For responder rates, which in the simulator cannot have both the
published mean difference and the published rates (see
``ldn_stats.simulate.presets``), the published rate is treated as one
realization: the simulated mean must lie within 2 binomial standard errors of
the trial (``sqrt(p (1 - p) / n_arm)``), widened by the Monte Carlo error.
The fast versions (few replicates, tolerances wide by the same formulas) run
in ``make test``; the ``slow`` ones use hundreds of replicates.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ldn_stats.simulate import simulate_trial
from support.sim_summaries import crossover_summary, parallel_summary

# Bruun et al. 2024 (FINAL): change at week 12 with 95% CI, difference,
# >= 30 % responders, any AE, stopped for AEs; arms of 49 (LDN) and 50 (PBO).
FINAL_CI = {"LDN": (-1.7, -0.8), "PBO": (-1.4, -0.5)}
FINAL_CHG = {"LDN": -1.3, "PBO": -0.9}
FINAL_DIFF = -0.34
FINAL_SD = 1.55  # derived: CI width of the difference / (2 * 1.96 * sqrt(1/49 + 1/50))
FINAL_RESP = {"LDN": 0.45, "PBO": 0.28}
FINAL_AE = {"LDN": 0.84, "PBO": 0.86}
FINAL_STOP = {"LDN": 0.08, "PBO": 0.06}
FINAL_N = {"LDN": 49, "PBO": 50}
# Younger et al. 2013: % change from baseline at the end of each condition,
# vivid dreams and headache by condition, 29 of 31 completed; composite
# responders (pain plus fatigue or sleep) 32 % vs 11 %.
YNG_PCHG = {"LDN": -28.8, "PBO": -18.0}
YNG_DREAMS = {"LDN": 0.37, "PBO": 0.13}
YNG_HEADACHE = {"LDN": 0.16, "PBO": 0.03}
YNG_COMPLETED = 29 / 31
YNG_COMPOSITE_RESP = {"LDN": 0.32, "PBO": 0.11}


def _replicates(preset: str, n: int) -> pd.DataFrame:
    summary = parallel_summary if preset == "final" else crossover_summary
    return pd.DataFrame([summary(simulate_trial(preset, seed=1000 + k)) for k in range(n)])


def _mean_mcse(df: pd.DataFrame, col: str) -> tuple[float, float]:
    return float(df[col].mean()), float(df[col].std() / np.sqrt(len(df)))


def _check_final(df: pd.DataFrame) -> None:
    for arm in ("LDN", "PBO"):
        m, se = _mean_mcse(df, f"chg_{arm}")
        lo, hi = FINAL_CI[arm]
        assert lo < m < hi, (arm, m)  # inside the published 95% CI
        assert abs(m - FINAL_CHG[arm]) < 3 * se + 0.05, (arm, m, se)  # equals the rounded mean
        m, se = _mean_mcse(df, f"resp30_{arm}")
        p = FINAL_RESP[arm]
        tol = 2 * math.sqrt(p * (1 - p) / FINAL_N[arm] + se**2)
        assert abs(m - p) < tol, (arm, m, tol)
        for col, target in ((f"ae_{arm}", FINAL_AE[arm]), (f"stop_{arm}", FINAL_STOP[arm])):
            m, se = _mean_mcse(df, col)
            assert abs(m - target) < 3 * se + 0.005, (col, m, se)
    m, se = _mean_mcse(df, "diff_ancova")
    assert abs(m - FINAL_DIFF) < 3 * se + 0.005, (m, se)
    sd = float(np.sqrt((df["sd_LDN"] ** 2 + df["sd_PBO"] ** 2).mean() / 2))
    assert abs(sd - FINAL_SD) < 0.1, sd  # derived figure: +-0.1 (CI bounds rounded to 0.01)
    assert (df["resp30_LDN"] > df["resp30_PBO"]).mean() > 0.5


def _check_younger(df: pd.DataFrame) -> None:
    for arm in ("LDN", "PBO"):
        m, se = _mean_mcse(df, f"pchg_{arm}")
        assert abs(m - YNG_PCHG[arm]) < 3 * se + 0.05, (arm, m, se)
        for col, target in ((f"dreams_{arm}", YNG_DREAMS[arm]),
                            (f"headache_{arm}", YNG_HEADACHE[arm])):
            m, se = _mean_mcse(df, col)
            assert abs(m - target) < 3 * se + 0.005, (col, m, se)
        # pain-only >= 30 % responders bound the stricter published composite from above
        m, _ = _mean_mcse(df, f"resp30_{arm}")
        assert m >= YNG_COMPOSITE_RESP[arm], (arm, m)
    m, se = _mean_mcse(df, "completed")
    assert abs(m - YNG_COMPLETED) < 3 * se + 0.005, (m, se)
    assert df["resp30_LDN"].mean() > df["resp30_PBO"].mean()


def test_final_calibration_fast():
    _check_final(_replicates("final", 12))


def test_younger2013_calibration_fast():
    _check_younger(_replicates("younger2013", 10))


@pytest.mark.slow
def test_final_calibration_many_replicates():
    _check_final(_replicates("final", 400))


@pytest.mark.slow
def test_younger2013_calibration_many_replicates():
    _check_younger(_replicates("younger2013", 300))


def test_summaries_agree_with_derive():
    # Witness for the test estimators: ldn_stats.derive applied to the same
    # replicate gives the same per-arm means to 1e-9 (default parallel rules;
    # crossover endpoint = mean of the ratings on the last 3 days of the period).
    from ldn_stats import derive, trial
    t = simulate_trial("final", seed=21)
    d = derive.derive_parallel(trial.validate_tables(t["adsl"], t["adeff"], t["adae"]))
    wk12 = d[d["AVISITN"] == 12]
    ours = parallel_summary(t)
    for arm in ("LDN", "PBO"):
        assert abs(wk12.loc[wk12["TRT01P"] == arm, "CHG"].mean() - ours[f"chg_{arm}"]) < 1e-9
        resp = (wk12.loc[wk12["TRT01P"] == arm, "CRIT1FL"] == "Y").sum()
        assert resp / FINAL_N[arm] == pytest.approx(ours[f"resp30_{arm}"], abs=1e-12)
    t = simulate_trial("younger2013", seed=21)
    done = t["adsl"].loc[t["adsl"]["DCSREAS"].isna(), "USUBJID"]
    # our endpoint: the ratings among the last 3 scheduled days of the period
    rules = derive.DeriveRules(period_min_ratings=1, period_endpoint_days=3)
    d = derive.derive_crossover(trial.validate_tables(t["adsl"], t["adeff"], t["adae"]),
                                param="PAINVAS", rules=rules)
    d = d[d["USUBJID"].isin(done)]
    ours = crossover_summary(t)
    for arm in ("LDN", "PBO"):
        theirs = d.loc[d["TRTA"] == arm, "PCHG"].mean()
        # ours also counts dropouts' completed periods; restrict to completers
        assert theirs == pytest.approx(_completer_pchg(t, arm), abs=1e-9)
    assert np.isfinite(ours["pchg_LDN"])


def _completer_pchg(t: dict[str, pd.DataFrame], arm: str) -> float:
    done = t["adsl"].loc[t["adsl"]["DCSREAS"].isna(), "USUBJID"]
    sub = {k: v[v["USUBJID"].isin(done)] if "USUBJID" in v else v for k, v in t.items()}
    sub["adsl"] = sub["adsl"].reset_index(drop=True)
    return crossover_summary(sub)[f"pchg_{arm}"]
