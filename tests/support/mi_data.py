"""Shared data for the MI tests: rbmi's antidepressant trial and rbmi 1.5.2's results on it.

Witness: ``tests/reference/mi/rbmi_reference.json`` (rbmi 1.5.2 with mmrm 0.3.18; see
``tests/reference/mi/README.md``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent.parent / "reference" / "mi"
FORMULA = "CHANGE ~ BASVAL * VISIT + THERAPY * VISIT + us(VISIT | PATIENT)"
REFERENCES = {"DRUG": "PLACEBO", "PLACEBO": "PLACEBO"}


def antidepressant() -> pd.DataFrame:
    return pd.read_csv(HERE / "antidepressant.csv", dtype={"PATIENT": str, "VISIT": str})


def reference() -> dict:
    return json.loads((HERE / "rbmi_reference.json").read_text())


def ice(strategy: str) -> pd.DataFrame:
    out = pd.DataFrame(reference()["ice"])
    out["strategy"] = strategy
    return out


def rbmi_table(rows: list[dict]) -> pd.DataFrame:
    """rbmi's pooled rows keyed like ours: parameter and visit."""
    t = pd.DataFrame(rows)
    t["visit"] = t["parameter"].str.rsplit("_", n=1).str[1]
    t["parameter"] = t["parameter"].str.rsplit("_", n=1).str[0]
    return t


def joined(pooled: pd.DataFrame, rows: list[dict], visit: str = "VISIT") -> pd.DataFrame:
    ref = rbmi_table(rows)
    ours = pooled.assign(visit=pooled[visit].astype(str))
    out = ours.merge(ref, on=["parameter", "visit"], validate="one_to_one")
    assert len(out) == len(ref) == len(pooled)
    return out
