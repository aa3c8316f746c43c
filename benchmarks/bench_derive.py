"""Timing of the derivations on a 1,000,000-row daily diary (figures printed, nothing asserted).

Run: ``python benchmarks/bench_derive.py``. A parallel trial of 10,000 subjects x 100 days
(7 baseline days, 13 weeks + 2 days on treatment, 10% of ratings missing) and a 2x2
crossover of the same size (14 baseline days, 40-day periods, 6-day washout).
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pandas as pd

from ldn_stats.derive import crossover_diary, derive_crossover, derive_parallel

N_SUBJECTS = 10_000


def _adsl(design_column: str, values: list[str]) -> pd.DataFrame:
    ids = [f"S{i:05d}" for i in range(N_SUBJECTS)]
    return pd.DataFrame({
        "USUBJID": ids, "SITEID": "01", "AGE": 50, "SEX": "F", "ITTFL": "Y",
        design_column: [values[i % len(values)] for i in range(N_SUBJECTS)],
    })


def _adeff(days: np.ndarray, aperiod: np.ndarray | None, rng: np.random.Generator):
    n_days = days.size
    aval = rng.integers(0, 11, size=N_SUBJECTS * n_days).astype(float)
    aval[rng.random(aval.size) < 0.1] = np.nan
    frame = pd.DataFrame({
        "USUBJID": np.repeat([f"S{i:05d}" for i in range(N_SUBJECTS)], n_days),
        "PARAMCD": "PAINNRS",
        "ADY": np.tile(days, N_SUBJECTS),
        "AVAL": aval,
    })
    if aperiod is not None:
        frame["APERIOD"] = np.tile(aperiod, N_SUBJECTS)
    return frame


def _time(label: str, func, *args) -> None:
    start = time.perf_counter()
    out = func(*args)
    print(f"{label:<44} {time.perf_counter() - start:6.2f} s   {len(out):>9,} rows out")


def main() -> None:
    rng = np.random.default_rng(20261124)
    days = np.r_[np.arange(-7, 0), np.arange(1, 94)]
    parallel = SimpleNamespace(adsl=_adsl("TRT01P", ["A", "B"]),
                               adeff=_adeff(days, None, rng), design="parallel")
    days = np.r_[np.arange(-14, 0), np.arange(1, 87)]
    period = np.where(days < 1, np.nan, np.where(days <= 40, 1, np.where(days <= 46, np.nan, 2)))
    crossover = SimpleNamespace(adsl=_adsl("TRTSEQP", ["A-B", "B-A"]),
                                adeff=_adeff(days, period, rng), design="crossover")
    print(f"diary rows: parallel {len(parallel.adeff):,}, crossover {len(crossover.adeff):,}")
    _time("derive_parallel (1,000,000 records)", derive_parallel, parallel)
    _time("derive_crossover (1,000,000 records)", derive_crossover, crossover)
    _time("crossover_diary (1,000,000 records)", crossover_diary, crossover)


if __name__ == "__main__":
    main()
