"""Kenward-Roger by default is SAS PROC MIXED's DDFM=KR; R mmrm's variant on request.

Witness: SAS PROC MIXED on the antidepressant trial (``tests/reference/mi/
antidepressant.csv``, copied from the shared reference bundle: the public data set
of the R package rbmi, Apache-2.0), ``CLASS PATIENT THERAPY VISIT; MODEL CHANGE =
BASVAL VISIT BASVAL*VISIT THERAPY THERAPY*VISIT / DDFM=KR; REPEATED VISIT /
SUBJECT=PATIENT TYPE=UN; LSMEANS THERAPY*VISIT / DIFF``: at visit 7, DRUG - PLACEBO
-2.8018, SE 1.1163, df 150, p 0.0131 (the figures of the bundle's README). Tolerance:
SAS's printed precision (4 decimals; df to the integer; p to 4 decimals).

R mmrm 0.3.18's own Kenward-Roger (``method = "Kenward-Roger"``, its parametrization)
gives SE 1.107984 at R's stopping point: ``kr_parametrization="mmrm"`` matches it to
the 4 decimals R's stopping error leaves (1.1080).
"""

from __future__ import annotations

import pandas as pd
import pytest

from ldn_stats.models.mmrm import mmrm
from support import REFERENCE

FORMULA = "CHANGE ~ BASVAL * VISIT + THERAPY * VISIT + us(VISIT | PATIENT)"


@pytest.fixture(scope="module")
def trial() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "mi" / "antidepressant.csv",
                       dtype={"PATIENT": str, "VISIT": str, "THERAPY": str})


def _visit7(fit) -> pd.Series:
    pw = fit.pairwise("THERAPY", by="VISIT")  # levels DRUG, PLACEBO: "PLACEBO - DRUG"
    row = pw.loc[pw["VISIT"].astype(str) == "7"].iloc[0]
    assert row["contrast"] == "PLACEBO - DRUG"
    return row


def test_default_kenward_roger_is_sas(trial):
    fit = mmrm(FORMULA, trial, df_method="kenward-roger")
    row = _visit7(fit)
    assert round(-row["estimate"], 4) == -2.8018
    assert round(row["std_error"], 4) == 1.1163
    assert round(row["df"]) == 150
    assert round(row["p_value"], 4) == 0.0131
    assert fit.kr_parametrization == "sas"
    assert fit.df_method_label == "Kenward-Roger (SAS PROC MIXED DDFM=KR)"
    assert fit.glance().loc[0, "kr_parametrization"] == "sas"


def test_r_mmrm_variant_on_request(trial):
    fit = mmrm(FORMULA, trial, df_method="kenward-roger", kr_parametrization="mmrm")
    row = _visit7(fit)
    assert round(row["std_error"], 4) == 1.1080
    assert round(row["df"]) == 150
    assert fit.kr_parametrization == "mmrm"
    assert fit.df_method_label == "Kenward-Roger (R mmrm parametrization)"


def test_other_df_methods_carry_no_kr_variant(trial):
    fit = mmrm(FORMULA, trial)
    assert fit.kr_parametrization is None and fit.df_method_label == "Satterthwaite"
