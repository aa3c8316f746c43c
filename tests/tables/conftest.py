"""Fixtures of the table tests: the demo report's tables, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_SPECS = ("final_primary", "younger2013_primary")  # between them every table kind


@pytest.fixture(scope="session")
def demo_tables() -> list:
    """Every Table of the two primary demo analyses (about 10 s)."""
    from ldn_stats import derive_crossover, derive_parallel, read_trial
    from ldn_stats.report.analyse import analyse
    from ldn_stats.report.spec import load_spec

    tables = []
    for name in DEMO_SPECS:
        spec = load_spec(ROOT / "analyses" / f"{name}.toml")
        trial = read_trial(spec.trial_path)
        derive = derive_parallel if trial.design == "parallel" else derive_crossover
        tables += analyse(spec, trial, derive(trial, param=spec.parameter)).tables
    return tables
