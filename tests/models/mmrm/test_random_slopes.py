"""Random coefficients (random intercept and slope, unstructured G): parity with R.

Witness: ``tests/reference/random_slopes/random_slopes_reference.json``, produced by
``tests/reference/random_slopes/fit_reference.R`` (R 4.2.2, lme4 1.1-31, lmerTest 3.1-3,
pbkrtest 0.5-2, nlme 3.1-162) on seeded data (``make_data.py``: 80 subjects, weekly
visits with a jittered study day ``ADY``, 15% intermittent missingness), lme4's
``sleepstudy`` and nlme's ``Orthodont``; REML and ML:

- ``lmerTest::lmer(Y ~ ARM * ADY + (1 + ADY | USUBJID))``, ``REACTION ~ DAYS + (1 + DAYS |
  USUBJID)``, the uncorrelated ``REACTION ~ DAYS + (1 | USUBJID) + (0 + DAYS | USUBJID)``,
  ``DISTANCE ~ SEX * AGE + (1 + AGE | USUBJID)``: the same formulas in ldn_stats. Tight
  nloptwrap and bobyqa (their log-likelihoods agree within 3e-12); Satterthwaite df from
  ``summary(fit)``, Kenward-Roger SEs and df from ``summary(fit, ddf = "Kenward-Roger")``
  (pbkrtest, REML only), contrasts from ``contest(fit, L, joint = FALSE, ddf = ...)``.
- ``nlme::lme(Y2 ~ ARM * ADY, random = ~ 1 + ADY | USUBJID, correlation = corAR1(form = ~
  VISITN | USUBJID))``: ldn_stats's ``Y2 ~ ARM * ADY + (1 + ADY | USUBJID) + ar1(AVISIT |
  USUBJID)``.
- ``nlme::lme(Y2 ~ ARM * ADY, random = ~ 1 | USUBJID, correlation = corExp(form = ~ ADY |
  USUBJID))``: ldn_stats's ``Y2 ~ ARM * ADY + (1 | USUBJID) + sp_exp(ADY | USUBJID)``;
  nlme's correlation ``exp(-d / range)`` is sp_exp's ``rho^d`` with ``rho = exp(-1 / range)``,
  ``theta = (log sigma^2, logit rho)``.

The JSON's ``theta`` is R's estimates in the package's parametrization (R side first:
``residual_variance`` with no R-side structure, ``log_sd, rho_par1`` for ar1,
``log_variance, logit_rho`` for sp_exp; then G on the variance scale,
``var[USUBJID:(Intercept)], cov[USUBJID:(Intercept),ADY], var[USUBJID:ADY]`` for
``(1 + ADY | USUBJID)``, ``var[USUBJID]`` for ``(1 | USUBJID)``, ``var[USUBJID:DAYS]``
for ``(0 + DAYS | USUBJID)``).

Tolerances:

- at R's estimates: the package's objective is R's log-likelihood to a relative 1e-9, its
  GLS fixed effects and model-based SEs R's to 1e-6 (below): the same model;
- at the package's optimum: log-likelihood to a relative 1e-6 and never below R's minus
  1e-9 relative; estimates within ``1e-6 * max(|estimate|, SE)``; SEs (model-based and
  Kenward-Roger) to a relative 1e-6; t statistics within ``1e-6 * max(|t|, 1)``;
  Satterthwaite and Kenward-Roger df within ``max(1e-4, 1e-6 * df)`` (lmerTest's df are
  numerical derivatives: between its two optimizers' fits they move by up to 4e-5 on
  the seeded data, ``check.df_satterthwaite_spread``); p-values to a relative 1e-3 (they
  inherit the df tolerance through ``d log p / d df ~ -log(1 + t^2 / df) / 2``, 1.5 for the
  seeded intercept's t = 38); confidence limits within ``1e-5 * max(|estimate|, SE)``;
  variances to a relative 1e-5, covariances within 1e-5 on the correlation scale
  (``1e-5 * sqrt(var_a var_b)``: sleepstudy's intercept-slope correlation is 0.07), the
  AR(1) rho to a relative 1e-5 and the corExp range to a relative 1e-5.

No case is loosened: R's optimum is checked in ``fit_reference.R`` with an independent
log-likelihood (``check`` in the JSON, asserted in ``test_reference_is_an_optimum``):
Newton decrement below 2e-12 everywhere except nlme's ``seeded_ar1_reml`` (5.6e-11) and
``seeded_ar1_ml`` (1.1e-11), where Newton steps change the SEs by at most 5e-7 and G by
1.7e-6, relative: inside the tolerances above.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache

import numpy as np
import pandas as pd
import pytest

from ldn_stats.models.mmrm import mmrm
from support import REFERENCE

HERE = REFERENCE / "random_slopes"
REF = json.loads((HERE / "random_slopes_reference.json").read_text())
CASES = sorted(k for k in REF if k != "versions")
LMER = [k for k in CASES if REF[k]["engine"].startswith("lme4")]
LMER_REML = [k for k in LMER if REF[k]["reml"]]
DATASETS = {"seeded": "seeded.csv", "sleepstudy": "sleepstudy.csv",
            "orthodont": "orthodont_slopes.csv"}
METHODS = {"satterthwaite": "satterthwaite", "kenward-roger": "kenward_roger"}


def _dataset(name: str) -> str:
    return name.split("_")[0]


@cache
def _read(dataset: str) -> pd.DataFrame:
    d = pd.read_csv(HERE / DATASETS[dataset], dtype={"USUBJID": str})
    if "AVISIT" in d:
        d["AVISIT"] = pd.Categorical(d["AVISIT"], categories=[f"W{k:02d}" for k in range(9)])
    return d


def _data(name: str) -> pd.DataFrame:
    return _read(_dataset(name)).copy()


@cache
def _fit(name: str, df_method: str = "satterthwaite"):
    ref = REF[name]
    return mmrm(ref["formula"], _data(name), reml=ref["reml"], df_method=df_method)


def _coef(name: str) -> pd.DataFrame:
    return pd.DataFrame(REF[name]["coef"]).set_index("term")


def _df_close(got, expected):
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    assert np.all(np.abs(got - expected) <= np.maximum(1e-4, 1e-6 * expected)), (got, expected)


def _estimate_close(got, expected, se, rtol=1e-6):
    got, expected, se = (np.asarray(x, float) for x in (got, expected, se))
    assert np.all(np.abs(got - expected) <= rtol * np.maximum(np.abs(expected), se)), (
        got, expected)


def _t_tests_close(got: pd.DataFrame, exp: pd.DataFrame):
    """Columns estimate, std_error, df, statistic, p_value (and conf limits if given)."""
    _estimate_close(got["estimate"], exp["estimate"], exp["std_error"])
    np.testing.assert_allclose(got["std_error"], exp["std_error"], rtol=1e-6)
    _df_close(got["df"], exp["df"])
    t = exp["statistic"].to_numpy()
    assert np.all(np.abs(got["statistic"].to_numpy() - t) <= 1e-6 * np.maximum(np.abs(t), 1))
    np.testing.assert_allclose(got["p_value"], exp["p_value"], rtol=1e-3)
    scale = np.maximum(np.abs(exp["estimate"].to_numpy()), exp["std_error"].to_numpy())
    for col in ("conf_low", "conf_high"):
        if col in exp:
            assert np.all(np.abs(got[col].to_numpy() - exp[col].to_numpy()) <= 1e-5 * scale)


def test_every_fit_enumerated():
    # witness: fit_reference.R, 4 lmer models + 2 lme models, each REML and ML
    assert len(CASES) == 12 and len(LMER_REML) == 4
    v = REF["versions"]
    assert (v["lme4"], v["lmerTest"], v["pbkrtest"], v["nlme"]) == (
        "1.1.31", "3.1.3", "0.5.2", "3.1.162")


def test_seeded_data_are_reproduced():
    # witness: make_data.py (numpy default_rng(20261210)): same seed, same bytes
    spec = importlib.util.spec_from_file_location("random_slopes_data", HERE / "make_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.seeded().to_csv(index=False) == (HERE / "seeded.csv").read_text()


@pytest.mark.parametrize("name", CASES)
def test_reference_is_an_optimum(name):
    # witness: fit_reference.R's check_optimum (independent dense log-likelihood at R's
    # estimates, numDeriv gradient and Hessian) and its second optimizer / start
    ref = REF[name]
    check, ll = ref["check"], ref["loglik"]
    assert abs(check["loglik_own_minus_r"]) <= 1e-12 * abs(ll)
    assert check["newton_decrement"] < 1e-10
    assert max(ref["loglik_by_optimizer"].values()) == ll
    assert min(ref["loglik_by_optimizer"].values()) >= ll - 1e-12 * abs(ll)
    if "loglik_nlme" in check:  # the same model in nlme::lme
        assert check["loglik_nlme"] == pytest.approx(ll, rel=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_same_model_as_r_at_its_estimates(name):
    # witness: R's logLik(fit), fixef(fit) and sqrt(diag(vcov(fit))) at R's estimates
    # (lmerTest::lmer / nlme::lme as in the module docstring), R's theta in the JSON
    ref, fit = REF[name], _fit(name)
    theta = np.array([ref["theta"][p] for p in fit.theta.index])
    st = fit._lik.state(theta, order=0)
    assert -st.f == pytest.approx(ref["loglik"], rel=1e-9)
    exp = _coef(name).loc[fit.coef.index]
    _estimate_close(st.beta, exp["estimate"], exp["std_error"])
    np.testing.assert_allclose(np.sqrt(np.diag(st.phi)), exp["std_error"], rtol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_loglik_and_fixed_effects_match_r(name):
    # witness: logLik(fit), fixef(fit), sqrt(diag(vcov(fit))) of lmerTest::lmer /
    # nlme::lme (module docstring), REML or ML
    ref, fit = REF[name], _fit(name)
    assert fit.n_obs == ref["n_obs"] and fit.optimizer.verified
    assert fit.coef.index.tolist() == ref["coef"]["term"]
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-6)
    assert fit.loglik >= ref["loglik"] - 1e-9 * abs(ref["loglik"])
    exp = _coef(name)
    _estimate_close(fit.coef["estimate"], exp["estimate"], exp["std_error"])
    np.testing.assert_allclose(fit.coef["std_error"], exp["std_error"], rtol=1e-6)


@pytest.mark.parametrize("name", LMER)
def test_satterthwaite_coefficients_match_lmertest(name):
    # witness: summary(lmerTest::lmer(...))$coefficients (Satterthwaite df, t, p)
    got = _fit(name, "satterthwaite").coef
    exp = _coef(name)
    exp = pd.DataFrame({"estimate": exp["estimate"], "std_error": exp["std_error"],
                        "df": exp["df_satterthwaite"],
                        "statistic": exp["statistic_satterthwaite"],
                        "p_value": exp["p_value_satterthwaite"]})
    _t_tests_close(got.loc[exp.index], exp)


@pytest.mark.parametrize("name", LMER_REML)
def test_kenward_roger_coefficients_match_pbkrtest(name):
    # witness: summary(lmerTest::lmer(..., REML = TRUE), ddf = "Kenward-Roger")$coefficients
    # (pbkrtest's vcovAdj: adjusted SEs, KR df)
    got = _fit(name, "kenward-roger").coef
    exp = _coef(name)
    exp = pd.DataFrame({"estimate": exp["estimate"], "std_error": exp["std_error_kenward_roger"],
                        "df": exp["df_kenward_roger"],
                        "statistic": exp["statistic_kenward_roger"],
                        "p_value": exp["p_value_kenward_roger"]})
    _t_tests_close(got.loc[exp.index], exp)


@pytest.mark.parametrize(("name", "method"),
                         [(n, m) for n in LMER for m in METHODS
                          if m == "satterthwaite" or REF[n]["reml"]])
def test_contrasts_match_lmertest_contest(name, method):
    # witness: lmerTest::contest(fit, L, joint = FALSE, ddf = "Satterthwaite" |
    # "Kenward-Roger"): the slope difference and the difference late (sleepstudy: the
    # slope and the mean at day 9)
    con = REF[name]["contrasts"]
    L = pd.DataFrame(con["L"], columns=con["terms"], index=con["label"])
    got = _fit(name, method).contrast(L)
    exp = pd.DataFrame(con[METHODS[method]])
    _t_tests_close(got.reset_index(drop=True), exp)


def _close_covariance(got: np.ndarray, exp: np.ndarray):
    """Variances to a relative 1e-5, covariances within 1e-5 on the correlation scale."""
    got, exp = np.asarray(got, float), np.asarray(exp, float)
    scale = np.sqrt(np.outer(np.diag(exp), np.diag(exp)))
    assert np.all(np.abs(got - exp) <= 1e-5 * scale), (got, exp)


@pytest.mark.parametrize("name", CASES)
def test_variance_components_match_r(name):
    # witness: VarCorr(fit) and sigma(fit)^2 (lmer); getVarCov(fit), fit$sigma^2 and
    # coef(fit$modelStruct$corStruct, unconstrained = FALSE) (lme)
    ref, fit = REF[name], _fit(name)
    theta = fit.theta["estimate"]
    assert theta.index.tolist() == list(ref["theta"])
    if "residual_variance" in theta:
        assert theta["residual_variance"] == pytest.approx(ref["residual_variance"], rel=1e-5)
    if "rho_par1" in theta:  # ar1: log sd, then f(rho) = rho / sqrt(1 - rho^2)
        assert np.exp(2 * theta["log_sd"]) == pytest.approx(ref["residual_variance"], rel=1e-5)
        assert theta["rho_par1"] / np.sqrt(1 + theta["rho_par1"] ** 2) == pytest.approx(
            ref["rho"], rel=1e-5, abs=1e-6)
    if "logit_rho" in theta:  # sp_exp: log v, logit rho; nlme's range = -1 / log(rho)
        assert np.exp(theta["log_variance"]) == pytest.approx(ref["residual_variance"],
                                                              rel=1e-5)
        rho = 1 / (1 + np.exp(-theta["logit_rho"]))
        assert -1 / np.log(rho) == pytest.approx(ref["range"], rel=1e-5)
    assert sorted(fit.random_covariance) == sorted(ref["random_covariance"])
    for term, exp in ref["random_covariance"].items():
        got = fit.random_covariance[term]
        assert got.index.tolist() == got.columns.tolist() == exp["terms"]
        _close_covariance(got.to_numpy(), exp["matrix"])
        if len(exp["terms"]) == 2:  # the same numbers in theta, on the variance scale
            (a, b), m = exp["terms"], np.asarray(exp["matrix"])
            subject = term.rsplit("|", 1)[1].strip(" )")
            _close_covariance(
                [[theta[f"var[{subject}:{a}]"], theta[f"cov[{subject}:{a},{b}]"]],
                 [theta[f"cov[{subject}:{a},{b}]"], theta[f"var[{subject}:{b}]"]]], m)


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_engine_refuses_nothing(dataset):
    # witness: every R fit of this data set in fit_reference.R converged (lmer, lme);
    # the package fits each, with each df method R reported, and verifies its optimum
    names = [n for n in CASES if _dataset(n) == dataset]
    assert names
    for name in names:
        methods = ["satterthwaite"] + (["kenward-roger"] if name in LMER_REML else [])
        for method in methods:
            fit = _fit(name, method)
            assert fit.converged and fit.optimizer.verified, (name, method)
