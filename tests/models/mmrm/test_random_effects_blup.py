"""Predicted random effects (BLUPs): ``MMRMResult.random_effects()``.

Witness: ``tests/reference/ranef/fit_reference.R`` (R 4.2.2, lme4 1.1-31): ``ranef()`` of
``lmer(REACTION ~ DAYS + (1 + DAYS | USUBJID))`` on lme4's sleepstudy and of the diary
crossover with random trends (``tests/reference/diary_slope``), both polished to the
REML optimum. Tolerance: 1e-5 of the largest absolute random effect of the term's
column (the BLUPs move with the covariance parameters, which the R-side references
hold to 1e-5).

Also a closed form: with a random intercept only and ``R = sigma^2 I``, the BLUP of
subject ``i`` is ``tau / (tau + sigma^2 / n_i)`` times its mean residual (1e-10).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ldn_stats.models.crossover import diary_crossover
from ldn_stats.models.mmrm import mmrm
from support import REFERENCE

REF = json.loads((REFERENCE / "ranef" / "ranef_reference.json").read_text())


def _close(got: pd.DataFrame, ref: dict):
    exp = pd.DataFrame({k: v for k, v in ref.items() if k != "level"},
                       index=[str(x) for x in ref["level"]])
    assert sorted(got.index) == sorted(exp.index)
    got = got.loc[exp.index, exp.columns]
    for col in exp.columns:
        scale = float(np.abs(exp[col]).max())
        np.testing.assert_allclose(got[col], exp[col], rtol=0, atol=1e-5 * scale)


def test_sleepstudy_matches_lme4_ranef():
    d = pd.read_csv(REFERENCE / "random_slopes" / "sleepstudy.csv", dtype={"USUBJID": str})
    fit = mmrm(REF["sleepstudy"]["formula"], d)
    assert fit.loglik == pytest.approx(REF["sleepstudy"]["loglik"], rel=1e-9)
    _close(fit.random_effects()["(1 + DAYS | USUBJID)"], REF["sleepstudy"]["(1 + DAYS | USUBJID)"])


def test_diary_random_trends_match_lme4_ranef():
    d = pd.read_csv(REFERENCE / "diary_slope" / "diary_slope.csv", dtype={"USUBJID": str})
    xo = diary_crossover(d, random_slope=True, df_method="satterthwaite", reference="PBO")
    re = xo.model.random_effects()
    for term in ("(1 | USUBJID)", "(1 + APERDY | USUBJID:APERIOD)"):
        _close(re[term], REF["diary"][term])


def test_random_intercept_blup_is_the_shrunken_mean_residual():
    rng = np.random.default_rng(8)
    n = rng.integers(2, 7, size=25)
    d = pd.DataFrame({"ID": np.repeat([f"S{i:02d}" for i in range(25)], n)})
    d["X"] = rng.normal(size=len(d))
    d["Y"] = 1.0 + 0.5 * d["X"] + np.repeat(rng.normal(size=25), n) + rng.normal(size=len(d))
    fit = mmrm("Y ~ X + (1 | ID)", d)
    tau = fit.theta.loc["var[ID]", "estimate"]
    s2 = fit.theta.loc["residual_variance", "estimate"]
    r = fit.residuals().groupby(d["ID"])
    expected = tau / (tau + s2 / r.size()) * r.mean()
    got = fit.random_effects()["(1 | ID)"]["(Intercept)"]
    np.testing.assert_allclose(got.loc[expected.index], expected, rtol=1e-10)


def test_no_random_terms_no_random_effects():
    d = pd.DataFrame({"ID": np.repeat(np.arange(20), 2), "V": np.tile(["a", "b"], 20),
                      "Y": np.random.default_rng(1).normal(size=40)})
    assert mmrm("Y ~ V + us(V | ID)", d).random_effects() == {}
