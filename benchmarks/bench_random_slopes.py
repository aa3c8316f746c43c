"""Timings of random-coefficient fits as users call them, against lme4 + lmerTest (printed).

Run: ``python benchmarks/bench_random_slopes.py`` (or ``make bench``). Models:
``Y ~ ARM * ADY + (1 + ADY | USUBJID)`` on the seeded reference data
(``tests/reference/random_slopes/seeded.csv``, 80 subjects, own study days) and on
that trial copied 5 times (400 subjects), REML, with Satterthwaite and with
Kenward-Roger df, coefficients and the slope contrast included. R's figures are
measured here when ``Rscript`` with lmerTest is on the PATH (``lmerTest::lmer`` then
``summary(fit)`` / ``summary(fit, ddf = "Kenward-Roger")``, best of 3, after a warm-up,
R start-up excluded), else marked as not measured. No BLAS thread variables are set
(as ``bench_mmrm.py``). Figures are printed, never asserted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "reference" / "random_slopes" / "seeded.csv"
FORMULA = "Y ~ ARM * ADY + (1 + ADY | USUBJID)"
REPEATS = 3
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

R_SCRIPT = r"""
suppressPackageStartupMessages(library(lmerTest))
d <- read.csv(commandArgs(TRUE)[1]); d$ARM <- factor(d$ARM)
ddf <- commandArgs(TRUE)[2]
one <- function() { f <- lmer(Y ~ ARM * ADY + (1 + ADY | USUBJID), d)
  invisible(summary(f, ddf = ddf)); invisible(contest(f, c(0, 0, 0, 1), ddf = ddf)) }
one()
cat(min(replicate(3, system.time(one())[["elapsed"]])), "\n")
"""


def _copies(d: pd.DataFrame, k: int) -> pd.DataFrame:
    return pd.concat([d.assign(USUBJID=d["USUBJID"] + f"_{i}") for i in range(k)],
                     ignore_index=True)


def _best(fn) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _r_seconds(d: pd.DataFrame, ddf: str) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        csv, script = Path(tmp) / "d.csv", Path(tmp) / "b.R"
        d.to_csv(csv, index=False)
        script.write_text(R_SCRIPT)
        run = subprocess.run(["Rscript", str(script), str(csv), ddf], capture_output=True,
                             text=True)
    if run.returncode != 0:
        return None
    return float(run.stdout.split()[-1])


def main() -> None:
    from ldn_stats import mmrm

    base = pd.read_csv(DATA, dtype={"USUBJID": str})
    mmrm(FORMULA, base)  # warm-up
    print(f"BLAS thread variables set: "
          f"{', '.join(v for v in THREAD_VARS if v in os.environ) or 'none'}; best of "
          f"{REPEATS}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    L = pd.DataFrame([{"ARMTRT:ADY": 1.0}])
    for label, d in (("80 subjects", base), ("400 subjects", _copies(base, 5))):
        for df_method, ddf in (("satterthwaite", "Satterthwaite"),
                               ("kenward-roger", "Kenward-Roger")):
            def run(d=d, df_method=df_method):
                fit = mmrm(FORMULA, d, df_method=df_method)
                fit.contrast(L)

            ours = _best(run)
            r = _r_seconds(d, ddf)
            r_text = (f"lme4+lmerTest {r:7.3f} s  ratio {ours / r:6.3f}" if r else
                      "lme4+lmerTest not measured (no Rscript with lmerTest)")
            print(f"(1 + ADY | USUBJID), {label:12s} {df_method:14s} {ours:7.3f} s  {r_text}")


if __name__ == "__main__":
    if any(v in os.environ for v in THREAD_VARS):
        env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
        sys.exit(subprocess.call([sys.executable, str(Path(__file__).resolve())], env=env))
    main()
