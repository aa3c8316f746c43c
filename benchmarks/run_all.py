"""Run every benchmark script in this folder and print its figures.

Benchmarks print timings; they never assert them (tests assert correctness).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    for script in scripts:
        print(f"== {script.name}", flush=True)
        runpy.run_path(str(script), run_name="__main__")
    if not scripts:
        print("no benchmarks yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
