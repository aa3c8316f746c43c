"""Timings of reference-based multiple imputation (figures printed, never asserted).

Antidepressant trial (tests/reference/mi), as the issue times rbmi on this machine kind:
the condmean + jackknife draws (173 MMRM fits; rbmi ~15 s, goal <= 3 s), approxbayes
with 100 samples for draws, imputation and analysis (rbmi ~13 s, goal <= 2.6 s) and one
tipping-point cell at 100 imputations (rbmi ~2.75 s, goal <= 0.55 s). Serial, as a user
calls it (``workers=0``; the default "auto" is serial for these sizes). The load average
is printed: on the shared 2-core machine the timings are pessimistic.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ldn_stats import mi

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference" / "mi"
FORMULA = "CHANGE ~ BASVAL * VISIT + THERAPY * VISIT + us(VISIT | PATIENT)"
REFERENCES = {"DRUG": "PLACEBO", "PLACEBO": "PLACEBO"}


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    data = pd.read_csv(REF / "antidepressant.csv", dtype={"PATIENT": str, "VISIT": str})
    ice = pd.DataFrame(json.loads((REF / "rbmi_reference.json").read_text())["ice"])
    ice["strategy"] = "JR"
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    t_jk, dr = _best(lambda: mi.draws(data, FORMULA, group="THERAPY", ice=ice,
                                      method="condmean", resampling="jackknife", workers=0), 3)
    print(f"condmean jackknife draws (173 fits): {t_jk:.2f} s (rbmi ~15 s, goal <= 3 s)")

    def approx():
        d = mi.draws(data, FORMULA, group="THERAPY", ice=ice, method="approxbayes",
                     n_samples=100, seed=1, workers=0)
        return d.impute(REFERENCES).analyse("ancova", covariates=["BASVAL"]).pool()

    t_ab, _ = _best(approx, 2)
    print(f"approxbayes 100 samples, draws + impute + analyse + pool: {t_ab:.2f} s "
          "(rbmi ~13 s, goal <= 2.6 s)")
    imp = mi.draws(data, FORMULA, group="THERAPY", ice=ice, method="approxbayes",
                   n_samples=100, seed=1, workers=0).impute(REFERENCES)
    grid = {"DRUG": np.arange(0.0, 10.0, 0.5)}
    t_tp, tp = _best(lambda: imp.tipping_point(grid, covariates=["BASVAL"]), 3)
    cell = t_tp / len(grid["DRUG"])
    print(f"tipping-point cell at 100 imputations: {cell * 1000:.1f} ms "
          f"(rbmi ~2.75 s, goal <= 0.55 s); tipping point {tp.tipping_point:g}")
    jk_imp = dr.impute(REFERENCES)
    t_jc, _ = _best(lambda: jk_imp.tipping_point({"DRUG": [0.0, 1.0, 2.0, 3.0]},
                                                 covariates=["BASVAL"]), 3)
    print(f"tipping-point cell, jackknife (173 data sets): {t_jc / 4 * 1000:.1f} ms")


if __name__ == "__main__":
    main()
