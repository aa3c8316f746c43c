"""Hand-built trials for the derivation tests: tiny adsl/adeff tables, values chosen by hand.

Imported as ``from support.derive_helpers import ...`` (``tests/`` is on the path).
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd


def make_trial(adsl: list[dict], adeff: list[pd.DataFrame], design: str = "parallel"):
    """A Trial stand-in (any object with .adsl, .adeff, .adae, .design)."""
    return SimpleNamespace(
        adsl=pd.DataFrame(adsl), adeff=pd.concat(adeff, ignore_index=True), adae=None,
        design=design, source="<test>",
    )


def subject(usubjid: str, arm: str = "A", ittfl: str = "Y", column: str = "TRT01P") -> dict:
    """One ADSL row."""
    return {"USUBJID": usubjid, "SITEID": "S01", "AGE": 45, "SEX": "F", "ITTFL": ittfl,
            column: arm}


def diary(usubjid: str, days: dict[int, float | None], param: str = "PAINNRS",
          periods: dict[int, int] | None = None) -> pd.DataFrame:
    """Daily records of one subject: ``days`` maps ADY -> AVAL (None: missing rating)."""
    frame = pd.DataFrame({
        "USUBJID": usubjid,
        "PARAMCD": param,
        "ADY": list(days),
        "AVAL": pd.array(list(days.values()), dtype="Float64").astype("float64"),
    })
    if periods is not None:
        frame["APERIOD"] = [periods.get(d) for d in days]
        frame["APERIOD"] = frame["APERIOD"].astype("Float64").astype("float64")
    return frame
