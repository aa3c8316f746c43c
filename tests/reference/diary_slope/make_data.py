"""Seeded daily-diary crossover with a random trend per subject and period.

Run from the repository root: ``python tests/reference/diary_slope/make_data.py``.
Writes ``diary_slope.csv``: 24 subjects in sequences LDN-PBO / PBO-LDN, two periods
of 14 rated days, a random subject effect, a random intercept and slope over the days
of each subject-by-period (SD 0.6 and 0.08 per day, correlation -0.4), day-to-day
error SD 1, about 10 % of days unrated. Same seed, same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def diary(seed: int = 20261202, n: int = 24, days: int = 14) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sd = np.array([0.6, 0.08])
    g = np.outer(sd, sd) * np.array([[1.0, -0.4], [-0.4, 1.0]])
    rows = []
    for i in range(n):
        seq = ("LDN", "PBO") if i % 2 == 0 else ("PBO", "LDN")
        u = rng.normal(0.0, 1.5)
        for p, trt in enumerate(seq, start=1):
            b0, b1 = rng.multivariate_normal(np.zeros(2), g)
            for day in range(1, days + 1):
                if rng.random() < 0.1:
                    continue
                y = (6.0 + u + 0.3 * (p == 2) - 0.9 * (trt == "LDN") - 0.02 * day
                     + b0 + b1 * day + rng.normal())
                rows.append((f"D{i + 1:03d}", "-".join(seq), p, trt, day, round(y, 6)))
    return pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "APERDY",
                                       "AVAL"])


if __name__ == "__main__":
    diary().to_csv(HERE / "diary_slope.csv", index=False)
