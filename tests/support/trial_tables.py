"""Small valid trial tables (parallel and crossover) for the data-contract tests.

Built by hand, not by the simulator, so these tests stand alone. Every column
is text, as a CSV reader returns it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ldn_stats.io import write_tables

SUBJECTS = ["001", "002", "003", "004"]


def _adsl(design_column: str, plans: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": SUBJECTS,
            "SITEID": ["01", "01", "02", "02"],
            "AGE": ["34", "51", "47", "62"],
            "SEX": ["F", "F", "M", "F"],
            "RANDFL": "Y",
            "ITTFL": "Y",
            "SAFFL": "Y",
            design_column: plans,
            "DCSREAS": ["", "", "Lost to follow-up", ""],
        }
    )


def parallel_tables() -> dict[str, pd.DataFrame]:
    """4 subjects (LDN, PBO, LDN, PBO): PAINNRS days -3..-1 and 1..5, one PAINVAS on day 5."""
    arms = ["LDN", "PBO", "LDN", "PBO"]
    rows = []
    for s, (subject, arm) in enumerate(zip(SUBJECTS, arms, strict=True)):
        for day in (-3, -2, -1, 1, 2, 3, 4, 5):
            aval = "" if (s == 1 and day == 2) else str(5 + (day + s) % 4)
            rows.append([subject, "PAINNRS", str(day), aval, "", arm if day > 0 else ""])
        rows.append([subject, "PAINVAS", "5", str(40 + 5 * s), "", arm])
    adeff = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "ADY", "AVAL", "APERIOD", "TRTA"])
    adae = pd.DataFrame(
        {
            "USUBJID": ["001", "003", "004"],
            "AEDECOD": ["Vivid dreams", "Headache", "Nausea"],
            "ASTDY": ["2", "4", ""],
            "AESEV": ["MILD", "MODERATE", "MILD"],
            "AESER": ["N", "N", "N"],
            "TRTA": ["LDN", "LDN", "PBO"],
        }
    )
    return {"adsl": _adsl("TRT01P", arms), "adeff": adeff, "adae": adae}


def crossover_tables() -> dict[str, pd.DataFrame]:
    """4 subjects, LDN-PBO / PBO-LDN: run-in days -2..-1, period 1 days 1-4,
    washout days 5-6, period 2 days 7-10; PAINVAS daily."""
    seqs = ["LDN-PBO", "PBO-LDN", "LDN-PBO", "PBO-LDN"]
    rows = []
    for s, (subject, seq) in enumerate(zip(SUBJECTS, seqs, strict=True)):
        first, second = seq.split("-")
        for day in (-2, -1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10):
            period, trt = ("", "")
            if 1 <= day <= 4:
                period, trt = "1", first
            elif day >= 7:
                period, trt = "2", second
            rows.append([subject, "PAINVAS", str(day), str(30 + 3 * s + day), period, trt])
    adeff = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "ADY", "AVAL", "APERIOD", "TRTA"])
    adae = pd.DataFrame(
        {
            "USUBJID": ["002"],
            "AEDECOD": ["Vivid dreams"],
            "ASTDY": ["8"],
            "AESEV": ["MILD"],
            "AESER": ["N"],
            "TRTA": ["LDN"],
        }
    )
    return {"adsl": _adsl("TRTSEQP", seqs), "adeff": adeff, "adae": adae}


def write_trial(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Write the tables as CSV into ``folder`` and return it."""
    write_tables(tables, folder)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative name -> bytes), to prove nothing was written."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ---- corruptions of issue 2's "Done when": name -> (design, edit, (table, column, usubjid))


def _set(tables, table, column, row, value):
    frame = tables[table].copy()
    frame.loc[row, column] = value
    return {**tables, table: frame}


def _aval_out_of_range(t):
    return _set(t, "adeff", "AVAL", 12, "11")  # 002, PAINNRS day 1


def _unknown_usubjid(t):
    return _set(t, "adeff", "USUBJID", 5, "999")


def _duplicate_key(t):
    adeff = t["adeff"]
    return {**t, "adeff": pd.concat([adeff, adeff.iloc[[20]]], ignore_index=True)}  # 003


def _nonnumeric_age(t):
    return _set(t, "adsl", "AGE", 3, "sixty")  # 004


def _missing_trt01p(t):
    return {**t, "adsl": t["adsl"].drop(columns="TRT01P")}


def _duplicate_subject(t):
    adsl = t["adsl"]
    return {**t, "adsl": pd.concat([adsl, adsl.iloc[[0]]], ignore_index=True)}  # 001 twice


def _noninteger_ady(t):
    return _set(t, "adeff", "ADY", 4, "2.5")  # 001


def _same_treatment_both_periods(t):
    adeff = t["adeff"].copy()
    rows = (adeff["USUBJID"] == "002") & (adeff["APERIOD"] == "2")
    adeff.loc[rows, "TRTA"] = "PBO"  # PBO-LDN given PBO in period 2 too
    return {**t, "adeff": adeff}


CORRUPTIONS = {
    "aval_out_of_range": ("parallel", _aval_out_of_range, ("adeff", "AVAL", "002")),
    "unknown_usubjid": ("parallel", _unknown_usubjid, ("adeff", "USUBJID", "999")),
    "duplicate_key": ("parallel", _duplicate_key, ("adeff", "ADY", "003")),
    "nonnumeric_age": ("parallel", _nonnumeric_age, ("adsl", "AGE", "004")),
    "missing_trt01p": ("parallel", _missing_trt01p, ("adsl", "TRT01P, TRTSEQP", None)),
    "duplicate_subject": ("parallel", _duplicate_subject, ("adsl", "USUBJID", "001")),
    "noninteger_ady": ("parallel", _noninteger_ady, ("adeff", "ADY", "001")),
    "same_treatment_both_periods": (
        "crossover", _same_treatment_both_periods, ("adeff", "TRTA", "002")
    ),
}


def tables_for(design: str) -> dict[str, pd.DataFrame]:
    return parallel_tables() if design == "parallel" else crossover_tables()
