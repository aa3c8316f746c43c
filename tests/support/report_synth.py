"""Tiny synthetic trials in the derived-table shape, for the report tests.

Deterministic (seeded); small enough that a whole report runs in seconds.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd


def parallel_trial(n: int = 24, weeks: int = 4, seed: int = 11):
    """A parallel trial: (trial namespace with adsl/adae/design, derived analysis table)."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:03d}" for i in range(n)]
    arm = np.where(np.arange(n) % 2 == 0, "LDN", "PBO")
    adsl = pd.DataFrame({
        "USUBJID": ids, "SITEID": np.where(np.arange(n) < n // 2, "01", "02"),
        "AGE": rng.integers(25, 70, n), "SEX": np.where(np.arange(n) % 5 == 0, "M", "F"),
        "RANDFL": "Y", "ITTFL": "Y", "SAFFL": "Y", "TRT01P": arm,
        "DCSREAS": ["ADVERSE EVENT" if i == 3 else ("WITHDRAWAL" if i == 8 else "")
                    for i in range(n)],
    })
    base = rng.normal(6.5, 1.0, n)
    rows = []
    subj = rng.normal(0, 0.6, n)
    for i in range(n):
        for w in range(1, weeks + 1):
            effect = -0.25 * w - (0.15 * w if arm[i] == "LDN" else 0.0)
            aval = base[i] + effect + subj[i] + rng.normal(0, 0.5)
            if i in (3, 8) and w > 2:
                aval = np.nan
            rows.append({"USUBJID": ids[i], "SITEID": adsl.SITEID[i], "AGE": adsl.AGE[i],
                         "SEX": adsl.SEX[i], "ITTFL": "Y", "TRT01P": arm[i],
                         "PARAMCD": "PAINNRS", "AVISIT": f"Week {w}", "AVISITN": w,
                         "NDAYS": 7, "AVAL": aval, "BASE": base[i]})
    ana = pd.DataFrame(rows)
    ana["CHG"] = ana["AVAL"] - ana["BASE"]
    ana["PCHG"] = 100 * ana["CHG"] / ana["BASE"]
    ana["CRIT1FL"] = np.where(ana["PCHG"].isna(), None, np.where(ana["PCHG"] <= -30, "Y", "N"))
    ana["CRIT2FL"] = np.where(ana["PCHG"].isna(), None, np.where(ana["PCHG"] <= -50, "Y", "N"))
    ana["ANL01FL"] = "Y"
    ana["AVISIT"] = pd.Categorical(ana["AVISIT"], [f"Week {w}" for w in range(1, weeks + 1)],
                                   ordered=True)
    adae = pd.DataFrame({
        "USUBJID": [ids[0], ids[0], ids[1], ids[2], ids[5]],
        "AEDECOD": ["VIVID DREAMS", "HEADACHE", "HEADACHE", "VIVID DREAMS", "NAUSEA"],
        "ASTDY": [3, 10, 5, 7, -2], "AESEV": "MILD", "AESER": ["N", "N", "N", "Y", "N"],
        "TRTA": [arm[0], arm[0], arm[1], arm[2], None],
    })
    return SimpleNamespace(adsl=adsl, adeff=None, adae=adae, design="parallel"), ana


def crossover_trial(n: int = 16, seed: int = 5):
    """A 2x2 crossover: (trial namespace, derived table with one row per subject x period)."""
    rng = np.random.default_rng(seed)
    ids = [f"X{i:03d}" for i in range(n)]
    seq = np.where(np.arange(n) % 2 == 0, "LDN-PBO", "PBO-LDN")
    adsl = pd.DataFrame({"USUBJID": ids, "SITEID": "01", "AGE": rng.integers(30, 60, n),
                         "SEX": "F", "RANDFL": "Y", "ITTFL": "Y", "SAFFL": "Y", "TRTSEQP": seq,
                         "DCSREAS": ["WITHDRAWAL" if i == 2 else "" for i in range(n)]})
    rows = []
    subj = rng.normal(0, 8, n)
    for i in range(n):
        for p in (1, 2):
            trt = seq[i].split("-")[p - 1]
            base = 62 + rng.normal(0, 5)
            aval = base - (12 if trt == "LDN" else 6) - 2 * (p - 1) + subj[i] + rng.normal(0, 5)
            if i == 2 and p == 2:
                aval = np.nan
            rows.append({"USUBJID": ids[i], "SITEID": "01", "AGE": adsl.AGE[i], "SEX": "F",
                         "ITTFL": "Y", "TRTSEQP": seq[i], "APERIOD": p, "TRTA": trt,
                         "PARAMCD": "PAINVAS", "AVISIT": f"Period {p}", "AVISITN": p,
                         "AVAL": aval, "BASE": base})
    ana = pd.DataFrame(rows)
    ana["CHG"] = ana["AVAL"] - ana["BASE"]
    ana["PCHG"] = 100 * ana["CHG"] / ana["BASE"]
    ana["ANL01FL"] = "Y"
    adae = pd.DataFrame({"USUBJID": [ids[0], ids[1]], "AEDECOD": ["VIVID DREAMS", "HEADACHE"],
                         "ASTDY": [4, 40], "AESEV": "MILD", "AESER": "N",
                         "TRTA": ["LDN", "LDN"]})
    return SimpleNamespace(adsl=adsl, adeff=None, adae=adae, design="crossover"), ana


PARALLEL_SPEC = """
[analysis]
name = "par"
number = 1
title = "Synthetic parallel trial"
estimand = "Difference LDN - PBO in mean change from baseline at week 4, ITT."
seed = 11

[data]
trial = "../data/par"
parameter = "PAINNRS"

[model]
kind = "ancova"
formula = "CHG ~ BASE + TRT01P"

[outputs]
tables = ["baseline", "disposition", "lsmeans", "responders", "adverse_events", "model"]
figures = ["mean_change", "lsmean_change", "trajectories", "responder_curve", "waterfall",
           "forest", "residuals", "covariance_heatmap"]
"""

CROSSOVER_SPEC = """
[analysis]
name = "xo"
number = 2
title = "Synthetic crossover trial"
estimand = "Within-subject difference LDN - PBO in period-end VAS."

[data]
trial = "../data/xo"
parameter = "PAINVAS"

[model]
kind = "crossover-ols"
outcome = "AVAL"

[outputs]
tables = ["baseline", "disposition", "lsmeans", "crossover_effects", "adverse_events",
          "model"]
figures = ["crossover_periods", "within_subject", "residuals"]
"""
