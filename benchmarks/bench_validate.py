"""Time ``ldn-stats validate`` on a 1,000,000-record daily diary, end to end.

Builds deterministic trials in a temporary folder (2,000 subjects x 500 diary
days of PAINNRS: days -10..-1 before the first dose, then 1..490), one
parallel (LDN vs PBO) and one 2x2 crossover (period 1 days 1-240, washout,
period 2 days 251-490), then runs ``python -m ldn_stats.cli validate FOLDER``
as a subprocess three times each, process start included, and prints the best
wall-clock time. The target (issue 2) is under 5 s on the project's 2-core
machine.

Run: ``python benchmarks/bench_validate.py`` (or ``make bench``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ldn_stats.io import write_tables

N_SUBJECTS = 2_000
DAYS = np.r_[np.arange(-10, 0), np.arange(1, 491)]  # 500 diary days, no day 0
REPEATS = 3


def build_trial(folder: Path, design: str = "parallel", seed: int = 20240101) -> int:
    """Write adsl.csv and adeff.csv of a 1M-record trial; return the adeff rows."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{i:05d}" for i in range(1, N_SUBJECTS + 1)])
    arm = np.where(np.arange(N_SUBJECTS) % 2 == 0, "LDN", "PBO")
    other = np.where(arm == "LDN", "PBO", "LDN")
    adsl = pd.DataFrame(
        {
            "USUBJID": ids,
            "SITEID": np.array([f"{i:02d}" for i in rng.integers(1, 9, N_SUBJECTS)]),
            "AGE": rng.integers(18, 80, N_SUBJECTS),
            "SEX": np.where(rng.random(N_SUBJECTS) < 0.8, "F", "M"),
            "RANDFL": "Y",
            "ITTFL": "Y",
            "SAFFL": "Y",
            "DCSREAS": "",
        }
    )
    n = N_SUBJECTS * len(DAYS)
    ady = np.tile(DAYS, N_SUBJECTS)
    aval = np.clip(np.round(rng.normal(6.0, 1.6, n)), 0, 10)
    aval[rng.random(n) < 0.1] = np.nan  # missed diary days
    if design == "parallel":
        adsl.insert(7, "TRT01P", arm)
        period = np.full(n, "", dtype=object)
        trta = np.where(ady > 0, np.repeat(arm, len(DAYS)), "")
    else:
        adsl.insert(7, "TRTSEQP", np.char.add(np.char.add(arm, "-"), other))
        period = np.where((ady >= 1) & (ady <= 240), "1", np.where(ady >= 251, "2", ""))
        trta = np.where(
            period == "1", np.repeat(arm, len(DAYS)),
            np.where(period == "2", np.repeat(other, len(DAYS)), ""),
        )
    adeff = pd.DataFrame(
        {
            "USUBJID": np.repeat(ids, len(DAYS)),
            "PARAMCD": "PAINNRS",
            "ADY": ady,
            "AVAL": aval,
            "APERIOD": period,
            "TRTA": trta,
        }
    )
    write_tables({"adsl": adsl, "adeff": adeff}, folder)
    return n


def main() -> int:
    for design in ("parallel", "crossover"):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "trial"
            n = build_trial(folder, design)
            cmd = [sys.executable, "-m", "ldn_stats.cli", "validate", str(folder)]
            times = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                out = subprocess.run(cmd, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                if out.returncode != 0:
                    print(out.stderr)
                    return 1
            print(out.stdout.strip().replace(str(folder), "<tmp>/trial"))
            print(
                f"ldn-stats validate, {design}, {n:,} adeff records: best of {REPEATS} "
                f"{min(times):.2f} s (all: {', '.join(f'{t:.2f}' for t in times)}; "
                "target < 5 s)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    if main() != 0:  # exit only on failure, so run_all.py goes on to the next benchmark
        sys.exit(1)
