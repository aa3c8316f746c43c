"""The daily-diary crossover model with a random trend per subject and period.

Witness: ``tests/reference/diary_slope/fit_reference.R`` (R 4.2.2, lme4 1.1-31,
lmerTest 3.1-3, pbkrtest 0.5.2, emmeans 1.8.4-1) on ``diary_slope.csv``
(``make_data.py``: 24 subjects, AB/BA, two periods of 14 days, a random intercept and
slope per subject-period): ``lmer(AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY + (1 | USUBJID)
+ (1 + APERDY | USUBJID:APERIOD), REML = TRUE)`` polished to the optimum (nlminb on
lme4's deviance function, rel.tol 1e-15; lme4's default stops 2.9e-8 lower in
log-likelihood), then ``emmeans(fit, ~ TRTA, lmer.df = <mode>)`` and
``summary(fit, ddf = <mode>)``; LS-means from the same ``emmeans`` call. Tolerances as
for the R-side models: log-likelihood, estimates, SEs relative 1e-6 (estimates: of
max(|estimate|, SE)); df 1e-4 absolute; variance components relative 1e-5.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest

from ldn_stats.errors import ModelError
from ldn_stats.models.crossover import diary_crossover
from support import REFERENCE

HERE = REFERENCE / "diary_slope"
REF = json.loads((HERE / "diary_slope_reference.json").read_text())
MODES = ("satterthwaite", "kenward-roger")


@cache
def _data() -> pd.DataFrame:
    return pd.read_csv(HERE / "diary_slope.csv", dtype={"USUBJID": str})


@cache
def _fit(df_method: str):
    return diary_crossover(_data(), random_slope=True, df_method=df_method, reference="PBO")


def test_model_and_log_likelihood_match_lmer():
    xo = _fit("satterthwaite")
    assert xo.formula.endswith("(1 | USUBJID) + (1 + APERDY | USUBJID:APERIOD)")
    assert xo.n_obs == REF["n_obs"] and xo.model.optimizer.verified
    assert xo.model.loglik == pytest.approx(REF["loglik"], rel=1e-6)
    assert xo.model.loglik >= REF["loglik"] - 1e-9 * abs(REF["loglik"])


def test_variance_components_match_lmer():
    vc = _fit("satterthwaite").variance_components.set_index("component")["estimate"]
    ref = REF["variance_components"]
    assert list(vc.index) == ["between-subject", "subject-by-period",
                              "subject-by-period slope",
                              "subject-by-period intercept-slope covariance", "within-subject"]
    for name, value in ref.items():
        assert vc[name] == pytest.approx(value, rel=1e-5), name


@pytest.mark.parametrize("df_method", MODES)
def test_treatment_difference_matches_emmeans(df_method):
    row = _fit(df_method).effects.iloc[0]
    ref = REF[df_method]["contrast"]
    assert row["contrast"] == ref["contrast"]
    assert abs(row["estimate"] - ref["estimate"]) <= 1e-6 * max(abs(ref["estimate"]),
                                                                 ref["std_error"])
    assert row["std_error"] == pytest.approx(ref["std_error"], rel=1e-6)
    assert row["df"] == pytest.approx(ref["df"], abs=1e-4)
    assert row["p_value"] == pytest.approx(ref["p_value"], rel=1e-5)


@pytest.mark.parametrize("df_method", MODES)
def test_coefficients_match_lmertest(df_method):
    coef = _fit(df_method).model.coef
    ref = pd.DataFrame(REF[df_method]["coef"]).set_index("term")
    assert coef.index.tolist() == ref.index.tolist()
    err = np.abs(coef["estimate"] - ref["estimate"])
    assert np.all(err <= 1e-6 * np.maximum(np.abs(ref["estimate"]), ref["std_error"]))
    np.testing.assert_allclose(coef["std_error"], ref["std_error"], rtol=1e-6)
    np.testing.assert_allclose(coef["df"], ref["df"], atol=1e-4)


def test_icc_is_taken_at_the_mean_day():
    xo = _fit("satterthwaite")
    v = xo.variance_components.set_index("component")["estimate"]
    t = _data()["APERDY"].mean()
    sp = (v["subject-by-period"] + 2 * t * v["subject-by-period intercept-slope covariance"]
          + t * t * v["subject-by-period slope"])
    assert xo.icc == pytest.approx(v["between-subject"] / (v["between-subject"] + sp
                                                           + v["within-subject"]), rel=1e-12)


def test_random_slope_needs_a_day_column():
    with pytest.raises(ModelError, match="random_slope=True needs the day column"):
        diary_crossover(_data(), day=None, random_slope=True)


@pytest.mark.parametrize("df_method", MODES)
def test_lsmeans_match_emmeans(df_method):
    # emmeans(fit, ~ TRTA, lmer.df = <mode>): averaged over sequence and period, at the
    # mean day
    ls = _fit(df_method).lsmeans.set_index("TRTA")
    ref = pd.DataFrame(REF[df_method]["lsmeans"]).set_index("level")
    got = ls.loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-6)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-6)
    np.testing.assert_allclose(got["df"], ref["df"], atol=1e-4)
