"""Fixtures shared across the test suite.

The reference data sets (committed under ``tests/reference/``) and the small
synthetic trials of ``tests/support/report_synth.py``, loaded once per session.
Every fixture returns a fresh copy where a test might modify it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from support import reference_data, report_synth


@pytest.fixture(scope="session")
def fev() -> pd.DataFrame:
    """R mmrm's ``fev_data`` with R's level orders (AVISIT VIS1..VIS4, ARMCD PBO, TRT)."""
    return reference_data.fev_data()


@pytest.fixture(scope="session")
def bcva() -> pd.DataFrame:
    """R mmrm's ``bcva_data`` with R's level orders."""
    return reference_data.bcva_data()


@pytest.fixture(scope="session")
def r_reference() -> dict:
    """The R mmrm / emmeans reference results (``tests/reference/mmrm_r_reference.json``)."""
    return reference_data.r_reference()


@pytest.fixture
def parallel_synth():
    """A 24-subject, 4-week synthetic parallel trial: (trial namespace, derived table)."""
    return report_synth.parallel_trial()


@pytest.fixture
def crossover_synth():
    """A 16-subject synthetic 2x2 crossover: (trial namespace, derived table)."""
    return report_synth.crossover_trial()
