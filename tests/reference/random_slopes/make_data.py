"""Seeded data for the random-coefficient references (random intercept and slope over ADY).

Run from the repository root: ``python tests/reference/random_slopes/make_data.py``.
Writes ``seeded.csv``: 80 subjects (arms PBO/TRT alternating), weekly visits W00..W08
(``VISITN`` 0..8), the actual study day ``ADY`` = 1 at W00 and 7 * week + an integer
jitter in -2..2 afterwards (so each subject has its own Z matrix), intermittent
missingness of about 15% after W00. The same random intercept and slope (intercept SD
3, slope SD 0.05 per day, correlation -0.3) enter two responses:

- ``Y``: plus independent errors, SD 1.5 (the model ``(1 + ADY | USUBJID)``);
- ``Y2``: plus AR(1) errors over the visit positions, SD 1.5, rho 0.5 (the model
  ``(1 + ADY | USUBJID) + ar1(AVISIT | USUBJID)``).

Responses are rounded to 6 decimals. ``sleepstudy.csv`` and ``orthodont_slopes.csv`` are
written by ``fit_reference.R`` from R's lme4 and nlme packages. Same seed, same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def seeded(seed: int = 20261210, n: int = 80, weeks: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    arm = np.where(np.arange(n) % 2 == 0, "PBO", "TRT")
    trt = (arm == "TRT").astype(float)
    week = np.arange(weeks)
    jitter = rng.integers(-2, 3, size=(n, weeks))
    ady = np.where(week == 0, 1, 7 * week + jitter)
    sd_int, sd_slope, corr = 3.0, 0.05, -0.3
    g = np.array([[sd_int**2, corr * sd_int * sd_slope], [corr * sd_int * sd_slope, sd_slope**2]])
    b = rng.multivariate_normal(np.zeros(2), g, size=n, method="cholesky")
    mean = (20.0 + 0.3 * trt[:, None] + (-0.08 - 0.06 * trt[:, None]) * ady
            + b[:, [0]] + b[:, [1]] * ady)
    lag = np.abs(np.subtract.outer(week, week))
    e_iid = rng.normal(0.0, 1.5, size=(n, weeks))
    e_ar1 = rng.multivariate_normal(np.zeros(weeks), 1.5**2 * 0.5**lag, size=n,
                                    method="cholesky")
    y, y2 = mean + e_iid, mean + e_ar1
    keep = rng.random((n, weeks)) >= 0.15
    keep[:, 0] = True
    rows = [(f"S{i + 1:03d}", arm[i], f"W{w:02d}", w, int(ady[i, w]),
             round(float(y[i, w]), 6), round(float(y2[i, w]), 6))
            for i in range(n) for w in range(weeks) if keep[i, w]]
    return pd.DataFrame(rows, columns=["USUBJID", "ARM", "AVISIT", "VISITN", "ADY", "Y", "Y2"])


if __name__ == "__main__":
    seeded().to_csv(HERE / "seeded.csv", index=False)
