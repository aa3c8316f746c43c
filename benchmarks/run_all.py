"""Run every benchmark script in this folder and print its figures.

Benchmarks print timings; they never assert them (tests assert correctness).
Each script runs in its own process with the BLAS/OpenMP thread variables that
the Makefile exports for the tests removed, so timings are those of a user
calling the package from a plain shell, script or notebook.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main() -> int:
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    failed = []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        if subprocess.call([sys.executable, str(script)], env=env) != 0:
            failed.append(script.name)
    if not scripts:
        print("no benchmarks yet")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
