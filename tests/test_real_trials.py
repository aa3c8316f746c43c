"""Issue 9: four real public trials, as a new user would bring them (tests/fixtures/real_trials).

BtheB (HSAUR3; depression, BDI at months 2-8, adults without age), epil (MASS;
seizure counts above 100, no baseline records), calcium (lava; bone density in
girls aged 11, fractional ages) and the COPD AB/BA crossover (Jones & Kenward
2014 via xover; PEFR, no baseline). Each validates with nothing invented, and
its MMRM (or crossover) fit through read_trial -> derive equals the fit on a
long table built here directly from the CSV files with pandas.

Witness: the direct ``ldn_stats.mmrm`` / ``ldn_stats.crossover`` fit on the
pandas-built table; tolerance 1e-8 relative (same engine, same numbers: only
row order may differ).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ldn_stats
from ldn_stats.models.mmrm import mmrm

ROOT = Path(__file__).parent / "fixtures" / "real_trials"
TOL = 1e-8


def _csv(trial: str, table: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / trial / f"{table}.csv", dtype={"USUBJID": str})


def _same_fit(a, b) -> None:
    for column in ("estimate", "std_error", "df"):
        np.testing.assert_allclose(a.coef[column].to_numpy(), b.coef[column].to_numpy(),
                                   rtol=TOL, err_msg=column)
    assert list(a.coef.index) == list(b.coef.index)


@pytest.mark.parametrize(
    ("trial", "design", "n_subjects", "note"),
    [("bthe_b", "parallel", 100, None), ("epil", "parallel", 59, "SEIZ"),
     ("calcium", "parallel", 112, None), ("copd", "crossover", 58, None)],
)
def test_real_trials_validate(trial, design, n_subjects, note):
    t = ldn_stats.read_trial(ROOT / trial)
    assert t.design == design and len(t.adsl) == n_subjects
    if note is None:
        assert t.notes == ()
    else:  # an undeclared parameter is a note, never an error
        assert any(note in n for n in t.notes)


def test_inputs_are_what_the_issue_says():
    assert _csv("epil", "adeff")["AVAL"].max() > 100  # one count of 102
    ages = _csv("calcium", "adsl")["AGE"]
    assert ages.between(10, 12).all() and (ages % 1 != 0).any()  # children, fractional
    assert "AGE" not in _csv("bthe_b", "adsl").columns  # adults without age
    raw = (ROOT / "bthe_b" / "adeff.csv").read_text()
    assert ",NA," in raw or raw.rstrip().endswith(",NA")  # R's missing values
    assert set(_csv("copd", "adsl")["TRTSEQP"]) == {"AB", "BA"}


def _visits(frame: pd.DataFrame) -> pd.Categorical:
    order = frame.drop_duplicates("AVISITN").sort_values("AVISITN")["AVISIT"].tolist()
    return pd.Categorical(frame["AVISIT"], categories=order, ordered=True)


def test_bthe_b_mmrm_through_derive_equals_direct_fit():
    formula = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"
    anl = ldn_stats.derive_parallel(ldn_stats.read_trial(ROOT / "bthe_b"), param="BDI")
    assert not {"CRIT1FL", "CRIT2FL"} & set(anl.columns)  # BDI has no responder definition
    via = mmrm(formula, anl[anl["ANL01FL"] == "Y"], reml=True, df_method="kenward-roger")
    eff, adsl = _csv("bthe_b", "adeff"), _csv("bthe_b", "adsl")
    base = eff[eff["ABLFL"] == "Y"][["USUBJID", "AVAL"]].rename(columns={"AVAL": "BASE"})
    post = eff[eff["ABLFL"] != "Y"].merge(base, on="USUBJID").merge(adsl, on="USUBJID")
    post = post.dropna(subset=["AVAL", "BASE"]).assign(CHG=lambda d: d["AVAL"] - d["BASE"])
    post["AVISIT"] = _visits(post)
    direct = mmrm(formula, post, reml=True, df_method="kenward-roger")
    _same_fit(via, direct)
    assert via.n_obs == len(post) == 280


def test_epil_mmrm_on_aval_without_baseline_equals_direct_fit():
    formula = "AVAL ~ TRT01P * AVISIT + us(AVISIT | USUBJID)"
    anl = ldn_stats.derive_parallel(ldn_stats.read_trial(ROOT / "epil"), param="SEIZ")
    assert "BASE" not in anl.columns and "CHG" not in anl.columns  # never invented
    via = mmrm(formula, anl[anl["ANL01FL"] == "Y"], reml=True, df_method="kenward-roger")
    raw = _csv("epil", "adeff").merge(_csv("epil", "adsl"), on="USUBJID")
    raw["AVISIT"] = _visits(raw)
    _same_fit(via, mmrm(formula, raw, reml=True, df_method="kenward-roger"))


def test_calcium_mmrm_through_derive_equals_direct_fit():
    formula = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"
    anl = ldn_stats.derive_parallel(ldn_stats.read_trial(ROOT / "calcium"), param="BMD")
    via = mmrm(formula, anl[anl["ANL01FL"] == "Y"], reml=True, df_method="kenward-roger")
    eff, adsl = _csv("calcium", "adeff"), _csv("calcium", "adsl")
    base = eff[eff["ABLFL"] == "Y"][["USUBJID", "AVAL"]].rename(columns={"AVAL": "BASE"})
    post = eff[eff["ABLFL"] != "Y"].merge(base, on="USUBJID").merge(adsl, on="USUBJID")
    post = post.dropna(subset=["AVAL"]).assign(CHG=lambda d: d["AVAL"] - d["BASE"])
    post["AVISIT"] = _visits(post)
    _same_fit(via, mmrm(formula, post, reml=True, df_method="kenward-roger"))
    # bone density changes are small: the SEs are nonzero at 3 decimals and above
    assert (via.coef["std_error"] > 1e-4).all()


def test_copd_crossover_through_derive_equals_plain_long_table():
    trial = ldn_stats.read_trial(ROOT / "copd")
    anl = ldn_stats.derive_crossover(trial, param="PEFR")
    assert "BASE" not in anl.columns  # no baseline PEFR: analysed on AVAL
    via = ldn_stats.crossover(anl[anl["ANL01FL"] == "Y"], outcome="AVAL")
    raw = pd.read_csv(ROOT / "source" / "copd.csv").dropna(subset=["pefr"])
    plain = ldn_stats.crossover(raw.assign(subject=raw["subject"].astype(str)),
                                outcome="pefr", subject="subject", period="period",
                                treatment="treatment", sequence="sequence")
    for column in ("estimate", "std_error", "df", "p_value"):
        np.testing.assert_allclose(via.effects[column].to_numpy(),
                                   plain.effects[column].to_numpy(), rtol=TOL, err_msg=column)
    assert via.effects["contrast"].tolist() == ["B - A"]
    assert via.responders is None  # no PCHG: the responder side analysis is skipped


def test_bthe_b_against_r_nlme_gls():
    """Witness: R 4.2 nlme::gls(CHG ~ BASE + TRT01P * AVISIT, corSymm(~ VIS | USUBJID),
    varIdent(~ 1 | AVISIT), method = "REML") on the fixture's CSV
    (tests/fixtures/real_trials/reference/fit_gls.R -> bthe_b_gls.csv; logLik
    -926.1272375796). Tolerance: 1e-4 relative on estimates and SEs (gls stops at its
    own convergence criterion), 1e-8 relative on the REML log-likelihood."""
    anl = ldn_stats.derive_parallel(ldn_stats.read_trial(ROOT / "bthe_b"), param="BDI")
    fit = mmrm("CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)",
               anl[anl["ANL01FL"] == "Y"], reml=True)
    ref = pd.read_csv(ROOT / "reference" / "bthe_b_gls.csv").set_index("term")
    assert list(fit.coef.index) == list(ref.index)
    np.testing.assert_allclose(fit.coef["estimate"], ref["estimate"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fit.coef["std_error"], ref["std_error"], rtol=1e-4)
    np.testing.assert_allclose(fit.loglik, -926.1272375796, rtol=1e-8)
