"""Loaders of the committed reference data sets (``tests/reference/``), for parity tests.

Factor level orders follow ``tests/reference/README.md``: AVISIT VIS1..VIS4
(fev) / VIS01..VIS10 (bcva) and ARMCD PBO, TRT (fev) / CTL, TRT (bcva) as
ordered pandas Categoricals; every other factor is a string column, whose
levels are its sorted values (R's default for these data).
"""

from __future__ import annotations

import json
from functools import cache

import pandas as pd

from support import REFERENCE

SAS_DIR = REFERENCE / "sas"


def _with_levels(data: pd.DataFrame, levels: dict[str, list[str]]) -> pd.DataFrame:
    data = data.copy()
    for column, order in levels.items():
        data[column] = pd.Categorical(data[column], categories=order)
    return data


@cache
def _fev_raw() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "fev_data.csv", dtype={"USUBJID": str})


@cache
def _bcva_raw() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "bcva_data.csv", dtype={"USUBJID": str})


def fev_data(**levels: list[str]) -> pd.DataFrame:
    """``fev_data`` with R's level orders, or others given as ``COLUMN=[levels]``."""
    order = {"AVISIT": ["VIS1", "VIS2", "VIS3", "VIS4"], "ARMCD": ["PBO", "TRT"], **levels}
    return _with_levels(_fev_raw(), order)


def bcva_data() -> pd.DataFrame:
    """``bcva_data`` with R's level orders."""
    visits = [f"VIS{k:02d}" for k in range(1, 11)]
    return _with_levels(_bcva_raw(), {"AVISIT": visits, "ARMCD": ["CTL", "TRT"]})


@cache
def r_reference(name: str = "mmrm_r_reference.json") -> dict:
    """R mmrm / emmeans results: the best optimum of any R optimizer (default file) or
    R mmrm's default stopping point (``mmrm_r_default_reference.json``)."""
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))
