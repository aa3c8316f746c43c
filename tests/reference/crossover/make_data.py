"""Generate the seeded crossover data sets that ``fit_reference.R`` fits.

Run from the repository root: ``.venv/bin/python tests/reference/crossover/make_data.py``.
Writes one CSV per design next to this file. The output is deterministic
(``numpy.random.default_rng`` with fixed seeds, fixed float format), so a rerun
gives the same bytes; the CSVs are committed and the tests read them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def _write(df: pd.DataFrame, name: str) -> None:
    path = HERE / name
    tmp = path.with_suffix(".csv.tmp")
    df.to_csv(tmp, index=False, float_format="%.6f", lineterminator="\n")
    os.replace(tmp, path)


def _period_data(sequences, n_per_seq, effects, seed, sd_subject=12.0, sd_within=8.0):
    """One row per subject x period: AVAL = 60 + subject + period + treatment + carry + error."""
    rng = np.random.default_rng(seed)
    rows = []
    k = 0
    for seq, n in zip(sequences, n_per_seq, strict=True):
        for _ in range(n):
            k += 1
            usubjid = f"S{k:03d}"
            u = rng.normal(0.0, sd_subject)
            base0 = 65.0 + u + rng.normal(0.0, 4.0)
            for p, trt in enumerate(seq, start=1):
                carry = 1.5 if p > 1 and seq[p - 2] != "PBO" else 0.0
                base = base0 + rng.normal(0.0, 5.0)  # the period's own baseline
                aval = (
                    60.0 + u + 2.0 * (p - 1) + effects[trt] + carry
                    + 0.3 * (base - base0) + rng.normal(0.0, sd_within)
                )
                rows.append(
                    {
                        "USUBJID": usubjid,
                        "TRTSEQP": "-".join(seq),
                        "APERIOD": p,
                        "TRTA": trt,
                        "BASE": base,
                        "AVAL": aval,
                    }
                )
    df = pd.DataFrame(rows)
    df["CHG"] = df["AVAL"] - df["BASE"]
    df["PCHG"] = 100.0 * df["CHG"] / df["BASE"]
    return df


def main() -> None:
    eff2 = {"LDN": -14.0, "PBO": 0.0}
    two = _period_data([("LDN", "PBO"), ("PBO", "LDN")], [13, 11], eff2, seed=20240401)
    _write(two, "xo2x2.csv")
    # the same trial with periods lost: 3 subjects miss period 2, 1 misses period 1
    drop = two["USUBJID"].isin(["S002", "S007", "S016"]) & (two["APERIOD"] == 2)
    drop |= (two["USUBJID"] == "S020") & (two["APERIOD"] == 1)
    _write(two.loc[~drop], "xo2x2_missing.csv")

    eff3 = {"PBO": 0.0, "LDN3": -4.0, "LDN45": -7.0}
    seq3 = [("PBO", "LDN3", "LDN45"), ("LDN3", "LDN45", "PBO"), ("LDN45", "PBO", "LDN3"),
            ("LDN45", "LDN3", "PBO"), ("PBO", "LDN45", "LDN3"), ("LDN3", "PBO", "LDN45")]
    w3 = _period_data(seq3, [3] * 6, eff3, seed=20240402)
    w3 = w3.loc[~((w3["USUBJID"] == "S005") & (w3["APERIOD"] == 3))]
    _write(w3, "williams3.csv")

    eff4 = {"PBO": 0.0, "LDN2": -2.0, "LDN3": -5.0, "LDN45": -6.0}
    # williams_design(["PBO", "LDN2", "LDN3", "LDN45"])
    seq4 = [("PBO", "LDN2", "LDN45", "LDN3"), ("LDN2", "LDN3", "PBO", "LDN45"),
            ("LDN3", "LDN45", "LDN2", "PBO"), ("LDN45", "PBO", "LDN3", "LDN2")]
    w4 = _period_data(seq4, [4] * 4, eff4, seed=20240403)
    _write(w4, "williams4.csv")

    abb = _period_data([("LDN", "PBO", "PBO"), ("PBO", "LDN", "LDN")], [10, 10], eff2,
                       seed=20240404)
    _write(abb, "abb_baa.csv")

    # daily diary: 2x2, 14 rated days per period, subject and subject-by-period effects,
    # a linear trend over the days of a period, some days missing
    rng = np.random.default_rng(20240405)
    rows = []
    k = 0
    for seq, n in (((("LDN", "PBO")), 8), ((("PBO", "LDN")), 8)):
        for _ in range(n):
            k += 1
            u = rng.normal(0.0, 1.2)
            for p, trt in enumerate(seq, start=1):
                v = rng.normal(0.0, 0.6)
                for day in range(1, 15):
                    if rng.uniform() < 0.08:
                        continue
                    y = (6.0 + u + v + 0.3 * (p - 1) + (-0.9 if trt == "LDN" else 0.0)
                         - 0.03 * day + rng.normal(0.0, 1.0))
                    rows.append({"USUBJID": f"D{k:03d}", "TRTSEQP": "-".join(seq),
                                 "APERIOD": p, "TRTA": trt, "APERDY": day, "AVAL": y})
    _write(pd.DataFrame(rows), "diary.csv")


if __name__ == "__main__":
    main()
