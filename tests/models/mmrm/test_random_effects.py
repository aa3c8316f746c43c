"""Random intercepts in mmrm(): parity with lme4 + lmerTest + pbkrtest.

Witness: ``tests/reference/crossover/crossover_reference.json``, produced by
``tests/reference/crossover/fit_reference.R`` (lme4::lmer REML with bobyqa
rhoend 1e-12; lmerTest Satterthwaite; Kenward-Roger via pbkrtest through
lmerTest and emmeans, whose W is the inverse EXPECTED information).
Tolerances: REML log-likelihood, estimates and SEs to a relative 1e-6; df to
an absolute 1e-4; variance components to a relative 1e-5 (lmer's optimizer
stops at bobyqa's tolerance on the relative-scale parametrization).
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest

from ldn_stats.models.mmrm import mmrm
from support import REFERENCE

HERE = REFERENCE / "crossover"

# reference entry -> (data file, treatment levels in R's factor order)
CASES = {
    "xo2x2": ("xo2x2.csv", ["LDN", "PBO"]),
    "xo2x2_missing": ("xo2x2_missing.csv", ["LDN", "PBO"]),
    "xo2x2_base_cov": ("xo2x2.csv", ["LDN", "PBO"]),
    "williams3": ("williams3.csv", ["PBO", "LDN3", "LDN45"]),
    "diary": ("diary.csv", ["LDN", "PBO"]),
}
METHODS = {"satterthwaite": ("std_error", "df_satterthwaite"),
           "kenward-roger": ("std_error_kr", "df_kenward_roger")}


@cache
def _reference() -> dict:
    return json.loads((HERE / "crossover_reference.json").read_text())


def _data(name: str) -> pd.DataFrame:
    file, treatments = CASES[name]
    d = pd.read_csv(HERE / file, dtype={"USUBJID": str, "TRTSEQP": str})
    periods = sorted(d["APERIOD"].astype(str).unique())
    d["APERIOD"] = pd.Categorical(d["APERIOD"].astype(str), categories=periods)
    d["TRTA"] = pd.Categorical(d["TRTA"], categories=treatments)
    return d


@cache
def _fit(name: str, method: str):
    return mmrm(_reference()[name]["formula"], _data(name), df_method=method)


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_coefficients_match_lmertest(name, method):
    ref = _reference()[name]
    expected = pd.DataFrame(ref["coef"]).set_index("term")
    se_col, df_col = METHODS[method]
    fit = _fit(name, method)
    got = fit.coef.loc[expected.index]
    assert fit.loglik == pytest.approx(ref["reml_loglik"], rel=1e-6)
    np.testing.assert_allclose(got["estimate"], expected["estimate"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got["std_error"], expected[se_col], rtol=1e-6)
    np.testing.assert_allclose(got["df"], expected[df_col], atol=1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_variance_components_match_lmer(name):
    ref = _reference()[name]["variance_components"]
    expected = dict(zip(ref["grp"], ref["vcov"], strict=True))
    vc = _fit(name, "satterthwaite").variance_components.set_index("component")["estimate"]
    got = {c.removeprefix("(1 | ").removesuffix(")"): v for c, v in vc.items()}
    got["Residual"] = got.pop("residual")
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-5)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_multi_df_anova_matches_lmertest(method):
    # williams3: TRTA has 2 numerator df, so Kenward-Roger's scaled F and df are exercised
    key = "anova_" + method.replace("-", "_")
    expected = pd.DataFrame(_reference()["williams3"][key]).set_index("term")
    got = _fit("williams3", method).anova().loc[expected.index]
    np.testing.assert_allclose(got["statistic"], expected["F value"], rtol=1e-6)
    np.testing.assert_allclose(got["den_df"], expected["DenDF"], atol=1e-4)
    np.testing.assert_allclose(got["num_df"], expected["NumDF"], atol=0)


def test_pairwise_labels_and_order_follow_emmeans_revpairwise():
    expected = pd.DataFrame(_reference()["williams3"]["kenward_roger"]["contrasts"])
    got = _fit("williams3", "kenward-roger").pairwise("TRTA")
    assert got["contrast"].tolist() == expected["contrast"].tolist()
    np.testing.assert_allclose(got["estimate"], expected["estimate"], rtol=1e-6)
    np.testing.assert_allclose(got["std_error"], expected["SE"], rtol=1e-6)
    np.testing.assert_allclose(got["df"], expected["df"], atol=1e-4)


def test_variance_component_at_zero_is_held_at_the_boundary():
    # iid data: the between-subject variance estimate is 0 (lme4 "singular fit", SAS
    # "estimated G matrix is not positive definite"); the fit reports 0 and the
    # remaining model is the ordinary least-squares one. Witness: OLS with iid errors
    # (REML residual variance = RSS / (n - p)); tolerance 1e-6 relative.
    rng = np.random.default_rng(7)
    d = pd.DataFrame({"ID": np.repeat(np.arange(30), 2), "T": np.tile(["A", "B"], 30)})
    d["Y"] = rng.normal(size=60) + (d["T"] == "B")
    # remove any between-subject signal: subject means all equal
    d["Y"] = d["Y"] - d.groupby("ID")["Y"].transform("mean") + 0.5
    fit = mmrm("Y ~ T + (1 | ID)", d)
    assert fit.converged
    vc = fit.variance_components.set_index("component")["estimate"]
    assert vc["(1 | ID)"] == 0.0
    X = np.column_stack([np.ones(60), (d["T"] == "B").to_numpy(float)])
    beta, rss, *_ = np.linalg.lstsq(X, d["Y"].to_numpy(), rcond=None)
    np.testing.assert_allclose(fit.coef["estimate"], beta, rtol=1e-6)
    assert vc["residual"] == pytest.approx(rss[0] / 58, rel=1e-6)
    assert any("boundary" in a.start for a in fit.optimizer.attempts)
