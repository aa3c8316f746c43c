"""Seeded data for the G + R references (random intercept plus an AR(1)-type R side).

Run from the repository root: ``python tests/reference/g_plus_r/make_data.py``.
Writes ``seeded.csv`` (80 subjects, 5 visits, intermittent missingness, a random
intercept plus heteroscedastic AR(1) errors) and ``orthodont.csv`` is written by
``fit_reference.R`` from R's nlme package. Same seed, same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def seeded(seed: int = 20261201, n: int = 80, m: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sd = 1.2 + 0.2 * np.arange(m)
    lag = np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
    sigma = 0.6**lag * np.outer(sd, sd)
    arm = np.where(np.arange(n) % 2 == 0, "PBO", "TRT")
    y = (10.0 + 0.5 * np.arange(m)[None, :] - 0.8 * (arm == "TRT")[:, None] * np.arange(m)
         + rng.normal(0, 2.0, n)[:, None]
         + rng.multivariate_normal(np.zeros(m), sigma, size=n, method="cholesky"))
    keep = rng.random((n, m)) >= 0.2
    keep[:, 0] = True
    rows = [(f"S{i + 1:03d}", arm[i], f"V{j + 1}", j + 1, round(float(y[i, j]), 6))
            for i in range(n) for j in range(m) if keep[i, j]]
    return pd.DataFrame(rows, columns=["USUBJID", "ARM", "AVISIT", "VISITN", "Y"])


if __name__ == "__main__":
    seeded().to_csv(HERE / "seeded.csv", index=False)
