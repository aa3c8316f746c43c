"""Crossover mixed models against R 4.2.2 lme4 1.1-31 / lmerTest 3.1-3 / pbkrtest 0.5.2 /
emmeans 1.8.4-1.

Witness: ``tests/reference/crossover/fit_reference.R`` on the seeded CSVs beside it
(``make_data.py``); output ``crossover_reference.json``. Every fit there is
``lmer(<formula>, REML = TRUE)``; LS-means are ``emmeans(m, "TRTA", lmer.df = <mode>)``,
differences ``contrast(emmeans(...), "revpairwise")`` (labelled "b - a" for levels (a, b)),
F tests ``anova(m, ddf = <mode>)``. Tolerances (issue 4): estimates and SEs relative 1e-6,
df absolute 1e-4.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ldn_stats.models.crossover import crossover
from support import REFERENCE

REF_DIR = REFERENCE / "crossover"
REF = json.loads((REF_DIR / "crossover_reference.json").read_text())
REL, DF_ABS = 1e-6, 1e-4

# reference key -> (csv, reference treatment (R's first level), crossover() keyword arguments)
CASES = {
    "xo2x2": ("xo2x2.csv", "LDN", {}),
    "xo2x2_missing": ("xo2x2_missing.csv", "LDN", {}),
    "xo2x2_base_cov": ("xo2x2.csv", "LDN", {"period_baseline": "BASE"}),
    "xo2x2_pchg": ("xo2x2.csv", "LDN", {"outcome": "PCHG"}),
    "williams3": ("williams3.csv", "PBO", {}),
    "williams4": ("williams4.csv", "PBO", {}),
    "abb_baa": ("abb_baa.csv", "LDN", {}),
}
MODES = {"kenward-roger": "kenward_roger", "satterthwaite": "satterthwaite"}

def _params(keys, methods=tuple(MODES)):
    """(key, df_method) pairs."""
    return [(k, m) for k in keys for m in methods]


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / name, dtype={"USUBJID": str})


def _vec(x) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=float))


_FITS: dict[tuple[str, str], object] = {}


def _fit(key: str, df_method: str):
    if (key, df_method) not in _FITS:
        csv, ref, kw = CASES[key]
        _FITS[key, df_method] = crossover(_load(csv), reference=ref, df_method=df_method, **kw)
    return _FITS[key, df_method]


@pytest.mark.parametrize("key", list(CASES))
def test_variance_components_and_reml_loglik(key):
    xo = _fit(key, "satterthwaite")
    ref = REF[key]
    # R: as.data.frame(VarCorr(m))$vcov (subject, residual); rel 1e-6
    got = xo.variance_components.set_index("component")["estimate"]
    vc = dict(zip(ref["variance_components"]["grp"], ref["variance_components"]["vcov"],
                  strict=True))
    assert got["between-subject"] == pytest.approx(vc["USUBJID"], rel=REL)
    assert got["within-subject"] == pytest.approx(vc["Residual"], rel=REL)
    assert xo.icc == pytest.approx(vc["USUBJID"] / (vc["USUBJID"] + vc["Residual"]), rel=REL)
    # R: logLik(m) (REML); abs 1e-6
    assert xo.model.loglik == pytest.approx(ref["reml_loglik"], abs=1e-6)
    assert xo.n_obs == ref["n_obs"] and xo.n_subjects == ref["n_subjects"]


@pytest.mark.parametrize("key", list(CASES))
def test_fixed_effects_match_lmer(key):
    xo = _fit(key, "satterthwaite")
    ref = REF[key]["coef"]
    # R: summary(m, ddf = "Satterthwaite")$coefficients; estimates and SEs rel 1e-6,
    # df abs 1e-4. Terms are named as R names them (TRTSEQPPBO-LDN, APERIOD2, TRTAPBO).
    coef = xo.model.coef
    for term, est, se, df in zip(ref["term"], ref["estimate"], ref["std_error"],
                                 ref["df_satterthwaite"], strict=True):
        assert coef.loc[term, "estimate"] == pytest.approx(est, rel=REL, abs=1e-9), term
        assert coef.loc[term, "std_error"] == pytest.approx(se, rel=REL), term
        assert coef.loc[term, "df"] == pytest.approx(df, abs=DF_ABS), term


@pytest.mark.parametrize(("key", "df_method"), _params(CASES))
def test_lsmeans_and_differences_match_emmeans(key, df_method):
    xo = _fit(key, df_method)
    ref = REF[key][MODES[df_method]]
    # R: summary(emmeans(m, "TRTA", lmer.df = mode), infer = TRUE)
    ls, rls = xo.lsmeans, ref["lsmeans"]
    assert ls["TRTA"].astype(str).tolist() == list(np.atleast_1d(rls["TRTA"]))
    np.testing.assert_allclose(ls["estimate"], _vec(rls["emmean"]), rtol=REL)
    np.testing.assert_allclose(ls["std_error"], _vec(rls["SE"]), rtol=REL)
    np.testing.assert_allclose(ls["df"], _vec(rls["df"]), atol=DF_ABS)
    np.testing.assert_allclose(ls["conf_low"], _vec(rls["lower.CL"]), rtol=REL)
    # R: summary(contrast(emmeans(m, "TRTA", lmer.df = mode), "revpairwise", adjust = "none"),
    #            infer = TRUE)   (emmeans lists the pairs in another order: match by label)
    rc = ref["contrasts"]
    labels = [str(x) for x in np.atleast_1d(rc["contrast"])]
    ef = xo.effects.set_index("contrast").loc[labels]
    np.testing.assert_allclose(ef["estimate"], _vec(rc["estimate"]), rtol=REL)
    np.testing.assert_allclose(ef["std_error"], _vec(rc["SE"]), rtol=REL)
    np.testing.assert_allclose(ef["df"], _vec(rc["df"]), atol=DF_ABS)
    np.testing.assert_allclose(ef["statistic"], _vec(rc["t.ratio"]), rtol=REL)
    np.testing.assert_allclose(ef["p_value"], _vec(rc["p.value"]), rtol=1e-5)
    np.testing.assert_allclose(ef["conf_low"], _vec(rc["lower.CL"]), rtol=REL)
    np.testing.assert_allclose(ef["conf_high"], _vec(rc["upper.CL"]), rtol=REL)


@pytest.mark.parametrize(("key", "df_method"), _params(["williams3", "williams4", "abb_baa"]))
def test_first_order_carryover_f_test_matches_lmertest(key, df_method):
    xo = _fit(key, df_method)
    ref = REF[f"{key}_carry"][f"anova_{MODES[df_method]}"]
    i = ref["term"].index("CARRY")
    row = xo.carryover.iloc[0]
    # R: anova(lmer(AVAL ~ TRTSEQP + APERIOD + TRTA + CARRY + (1 | USUBJID)), ddf = mode)
    # F rel 1e-6, denominator df abs 1e-4
    assert row["num_df"] == _vec(ref["NumDF"])[i]
    assert row["statistic"] == pytest.approx(_vec(ref["F value"])[i], rel=REL)
    assert row["df"] == pytest.approx(_vec(ref["DenDF"])[i], abs=DF_ABS)
    assert row["p_value"] == pytest.approx(_vec(ref["Pr(>F)"])[i], rel=1e-5)


_DIARY: dict[str, object] = {}


def _diary(df_method: str):
    from ldn_stats.models.crossover.diary import diary_crossover

    if df_method not in _DIARY:
        _DIARY[df_method] = diary_crossover(_load("diary.csv"), reference="LDN",
                                            df_method=df_method)
    return _DIARY[df_method]


def test_diary_variance_components_match_lmer():
    xo = _diary("satterthwaite")
    ref = REF["diary"]
    # R: as.data.frame(VarCorr(lmer(AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID)
    #    + (1 | USUBJID:APERIOD), REML = TRUE)))$vcov; rel 1e-6
    vc = dict(zip(ref["variance_components"]["grp"], ref["variance_components"]["vcov"],
                  strict=True))
    got = xo.variance_components.set_index("component")["estimate"]
    assert got["between-subject"] == pytest.approx(vc["USUBJID"], rel=REL)
    assert got["subject-by-period"] == pytest.approx(vc["USUBJID:APERIOD"], rel=REL)
    assert got["within-subject"] == pytest.approx(vc["Residual"], rel=REL)
    # R: logLik(m); abs 1e-6
    assert xo.model.loglik == pytest.approx(ref["reml_loglik"], abs=1e-6)
    assert xo.n_obs == ref["n_obs"]


@pytest.mark.parametrize("df_method", list(MODES))
def test_diary_treatment_difference_matches_emmeans(df_method):
    xo = _diary(df_method)
    rc = REF["diary"][MODES[df_method]]["contrasts"]
    # R: summary(contrast(emmeans(m, "TRTA", lmer.df = mode), "revpairwise"), infer = TRUE)
    # for the diary lmer above; estimate/SE rel 1e-6, df abs 1e-4
    row = xo.effects.iloc[0]
    assert row["contrast"] == rc["contrast"]
    assert row["estimate"] == pytest.approx(rc["estimate"], rel=REL)
    assert row["std_error"] == pytest.approx(rc["SE"], rel=REL)
    assert row["df"] == pytest.approx(rc["df"], abs=DF_ABS)
    rls = REF["diary"][MODES[df_method]]["lsmeans"]
    np.testing.assert_allclose(xo.lsmeans["estimate"], _vec(rls["emmean"]), rtol=REL)
    np.testing.assert_allclose(xo.lsmeans["std_error"], _vec(rls["SE"]), rtol=REL)
    np.testing.assert_allclose(xo.lsmeans["df"], _vec(rls["df"]), atol=DF_ABS)


@pytest.mark.parametrize("df_method", list(MODES))
def test_period_mean_analysis_of_the_diary_matches_emmeans(df_method):
    from ldn_stats.models.crossover.diary import compare_with_period_means

    got = compare_with_period_means(_load("diary.csv"), reference="LDN", df_method=df_method)
    pm = got.set_index("analysis").loc["period means"]
    rc = REF["diary_period_means"][MODES[df_method]]["contrasts"]
    # R: aggregate(AVAL ~ USUBJID + TRTSEQP + APERIOD + TRTA, dd, mean), then the
    # lmer(AVAL ~ TRTSEQP + APERIOD + TRTA + (1 | USUBJID)) + emmeans contrast above
    assert pm["estimate"] == pytest.approx(rc["estimate"], rel=REL)
    assert pm["std_error"] == pytest.approx(rc["SE"], rel=REL)
    assert pm["df"] == pytest.approx(rc["df"], abs=DF_ABS)
    daily = got.set_index("analysis").loc["daily ratings"]
    assert daily["estimate"] == pytest.approx(REF["diary"][MODES[df_method]]["contrasts"]
                                              ["estimate"], rel=REL)


@pytest.mark.parametrize(("key", "csv", "ref_trt"), [
    ("xo2x2_missing_us", "xo2x2_missing.csv", "LDN"),
    ("williams3_us", "williams3.csv", "PBO"),
])
def test_unstructured_covariance_over_periods_matches_nlme_gls(key, csv, ref_trt):
    xo = crossover(_load(csv), covariance="us", df_method="satterthwaite", reference=ref_trt)
    ref = REF[key]
    # R: nlme::gls(AVAL ~ TRTSEQP + APERIOD + TRTA, correlation = corSymm(~ PNUM | USUBJID),
    #    weights = varIdent(~ 1 | APERIOD), method = "REML"); logLik abs 1e-6
    assert xo.model.loglik == pytest.approx(ref["reml_loglik"], abs=1e-6)
    # R: summary(contrast(emmeans(m, "TRTA"), "revpairwise", adjust = "none")): estimate and
    # SE rel 1e-6 (nlme gives no KR/Satterthwaite df)
    rc = ref["contrasts"]
    labels = [str(x) for x in np.atleast_1d(rc["contrast"])]
    ef = xo.effects.set_index("contrast").loc[labels]
    np.testing.assert_allclose(ef["estimate"], _vec(rc["estimate"]), rtol=REL)
    np.testing.assert_allclose(ef["std_error"], _vec(rc["SE"]), rtol=REL)
    # R: coef(m), sqrt(diag(vcov(m))): gls stops earlier on the flat REML surface (its
    # logLik is ~6e-11 below ours for williams3), so coefficients agree to 1e-5 of their SE
    coef = xo.model.coef.loc[ref["coef"]["term"]]
    se = _vec(ref["coef"]["std_error"])
    diff = np.abs(coef["estimate"].to_numpy() - _vec(ref["coef"]["estimate"]))
    assert np.all(diff <= 1e-5 * se), diff / se
    np.testing.assert_allclose(coef["std_error"], se, rtol=1e-5)
