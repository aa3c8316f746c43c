"""Timings of the MMRM engine (figures printed; timings are never asserted in tests).

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mmrm.py``. Prints the
best of ``REPEATS`` wall-clock times per case, with R mmrm 0.3.18's own fit time
on the same data (``seconds`` in tests/reference/mmrm_r_reference.json) for scale.
Targets (issue 3): bcva UN + Satterthwaite + LS-means < 1.5 s, with Kenward-Roger
< 6 s; fev_data UN < 50 ms.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from ldn_stats.models.mmrm import mmrm

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
REPEATS = 5


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, dtype={"USUBJID": str, "AVISIT": str})


def _best(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ref = json.loads((REF / "mmrm_r_reference.json").read_text())
    fev, bcva = _read("fev_data.csv"), _read("bcva_data.csv")
    fev_f = ref["fev"]["us_reml_Satterthwaite_"]["formula"]
    bcva_f = ref["bcva"]["us_reml_Satterthwaite_"]["formula"]

    def fit_and_lsmeans(formula, data, df_method):
        fit = mmrm(formula, data, df_method=df_method)
        fit.lsmeans("ARMCD", by="AVISIT")
        fit.pairwise("ARMCD", by="AVISIT")

    cases = [
        ("fev UN REML Satterthwaite + LS-means", fev_f, fev, "satterthwaite",
         ref["fev"]["us_reml_Satterthwaite_"]["seconds"], 0.05),
        ("bcva UN REML Satterthwaite + LS-means", bcva_f, bcva, "satterthwaite",
         ref["bcva"]["us_reml_Satterthwaite_"]["seconds"], 1.5),
        ("bcva UN REML Kenward-Roger + LS-means", bcva_f, bcva, "kenward-roger",
         ref["bcva"]["us_reml_Kenward-Roger_"]["seconds"], 6.0),
    ]
    print(f"{'case':45s} {'seconds':>9s} {'target':>8s} {'R mmrm':>8s}")
    for label, formula, data, method, r_seconds, target in cases:
        sec = _best(lambda f=formula, d=data, m=method: fit_and_lsmeans(f, d, m))
        print(f"{label:45s} {sec:9.3f} {target:8.2f} {r_seconds:8.2f}")
    for n_copies in (1, 2, 4):
        big = pd.concat(
            [bcva.assign(USUBJID=bcva["USUBJID"] + f"_{i}") for i in range(n_copies)],
            ignore_index=True,
        )
        tracemalloc.start()
        sec = _best(lambda b=big: mmrm(bcva_f, b), repeats=1)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(f"bcva x{n_copies} ({big['USUBJID'].nunique()} subjects): {sec:.3f} s, "
              f"peak traced memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
