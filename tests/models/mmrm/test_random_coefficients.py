"""Random coefficients (``(1 + ADY | USUBJID)``): derivatives, invariances, refusals.

The parity with lme4 + lmerTest + pbkrtest and nlme is in ``test_random_slopes.py``;
this module checks the engine against itself and against mathematics:

* the log-Cholesky map's Jacobian and second derivatives against central
  differences (step 1e-5: agreement to 1e-7 absolute on entries of order 1);
* the likelihood's analytic gradient and Hessian in ``theta`` against central
  differences of the objective and of the analytic gradient (relative 1e-6);
* pattern-wise and subject-wise evaluation give the same objective (1e-10 relative);
* the model does not depend on the origin or unit of the slope's column: shifting
  study day by 28 and dividing it by 7 leaves the treatment effect at a fixed day
  and every df (Satterthwaite and Kenward-Roger, 1e-6 relative) unchanged, multiplies
  the slope difference and its SE by 7, and
  moves the REML log-likelihood by exactly 2 log 7 (its ``log|X'V^-1 X|`` term);
* ``(1 | S) + (0 + ADY | S)`` is ``(1 + ADY | S)`` with the covariance held at 0:
  the uncorrelated fit's log-likelihood is never above the correlated one's.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from ldn_stats.errors import ConvergenceError, DataError, ModelError
from ldn_stats.models.mmrm import mmrm
from ldn_stats.models.mmrm.covariance import MarginalCovariance, RandomBlock
from ldn_stats.models.mmrm.fit import _log_cholesky
from ldn_stats.models.mmrm.likelihood import Likelihood

FORMULA = "Y ~ ARM * ADY + (1 + ADY | USUBJID)"


@cache
def _trial(seed: int = 3, n: int = 60, jitter: bool = True, slope_sd: float = 0.05,
           ) -> pd.DataFrame:
    """Weekly visits; study day jittered by subject (so each has its own Z) or not."""
    rng = np.random.default_rng(seed)
    cov = [[4.0, -0.3 * 2 * slope_sd], [-0.3 * 2 * slope_sd, slope_sd**2]]
    rows = []
    for i in range(n):
        arm = "TRT" if i % 2 else "PBO"
        b0, b1 = rng.multivariate_normal([0.0, 0.0], cov)
        for w in range(9):
            if w and rng.random() < 0.15:
                continue
            ady = 1 + 7 * w + (int(rng.integers(-2, 3)) if jitter and w else 0)
            y = 6 + b0 + (-0.02 - 0.01 * (arm == "TRT") + b1) * ady + rng.normal()
            rows.append((f"S{i:02d}", arm, f"W{w}", ady, y))
    return pd.DataFrame(rows, columns=["USUBJID", "ARM", "AVISIT", "ADY", "Y"])


@cache
def _fit(formula: str = FORMULA, df_method: str = "satterthwaite", jitter: bool = True):
    return mmrm(formula, _trial(jitter=jitter), df_method=df_method)


@pytest.mark.parametrize("q", [1, 2, 3])
def test_log_cholesky_derivatives(q):
    rng = np.random.default_rng(q)
    k = q * (q + 1) // 2
    phi = rng.normal(scale=0.5, size=k)
    _, J, T = _log_cholesky(phi, q)
    h = 1e-5
    for t in range(k):
        e = np.zeros(k)
        e[t] = h
        th_p, J_p, _ = _log_cholesky(phi + e, q)
        th_m, J_m, _ = _log_cholesky(phi - e, q)
        np.testing.assert_allclose(J[:, t], (th_p - th_m) / (2 * h), atol=1e-7)
        np.testing.assert_allclose(T[:, :, t], (J_p - J_m) / (2 * h), atol=1e-7)
    G = RandomBlock("t", "S", tuple(f"c{a}" for a in range(q))).matrix(_log_cholesky(phi, q)[0])
    assert np.linalg.eigvalsh(G).min() > 0


def test_gradient_and_hessian_match_finite_differences():
    fit = _fit()
    lik = fit._lik
    theta = fit.theta["estimate"].to_numpy() * np.array([1.1, 0.9, 0.7, 1.2])
    _, g = lik.value_and_grad(theta)
    H = lik.hessian(theta)
    k = len(theta)
    fd_g, fd_h = np.zeros(k), np.zeros((k, k))
    for t in range(k):
        h = 1e-6 * max(abs(theta[t]), 1e-3)
        e = np.zeros(k)
        e[t] = h
        fd_g[t] = (lik.objective(theta + e) - lik.objective(theta - e)) / (2 * h)
        fd_h[:, t] = (lik.value_and_grad(theta + e)[1] - lik.value_and_grad(theta - e)[1]) / (
            2 * h)
    np.testing.assert_allclose(g, fd_g, rtol=1e-6, atol=1e-6 * np.abs(g).max())
    np.testing.assert_allclose(H, fd_h, rtol=1e-6, atol=1e-6 * np.abs(H).max())


@pytest.mark.parametrize("jitter", [True, False])
def test_pattern_and_subject_evaluation_agree(jitter):
    fit = _fit(jitter=jitter)
    lik = fit._lik
    theta = fit.theta["estimate"].to_numpy()
    blocks = (RandomBlock("(1 + ADY | USUBJID)", "USUBJID", ("(Intercept)", "ADY")),)
    model = MarginalCovariance(None, blocks=blocks)
    d = _trial(jitter=jitter)
    z = np.column_stack([np.ones(len(d)), d["ADY"].to_numpy(float)])
    values = []
    for evaluation in ("pattern", "subject", "auto"):
        other = Likelihood(lik.X, lik.y, d["USUBJID"].to_numpy(), model,
                           clusters=np.zeros(len(d), dtype=int), zvalues=z,
                           evaluation=evaluation)
        values.append(other.objective(theta))
    np.testing.assert_allclose(values, lik.objective(theta), rtol=1e-10)
    if not jitter:  # scheduled days: subjects with the same visits share a pattern
        assert lik.n_patterns < lik.n_subjects


@pytest.mark.parametrize("df_method", ["satterthwaite", "kenward-roger"])
def test_origin_and_unit_of_the_slope_column_do_not_matter(df_method):
    base = _fit(df_method=df_method)
    d = _trial().copy()
    d["ADY"] = (d["ADY"] - 28) / 7
    fit = mmrm(FORMULA, d, df_method=df_method)
    assert fit.optimizer.verified and base.optimizer.verified
    # REML's 1/2 log|X'V^-1 X| moves by the log-determinant of the fixed-effects
    # reparametrization: ADY and ARMTRT:ADY divided by 7 give 2 log 7
    assert fit.loglik - base.loglik == pytest.approx(2 * np.log(7), rel=1e-9)
    a, b = base.coef, fit.coef
    assert b.loc["ARMTRT:ADY", "estimate"] == pytest.approx(
        7 * a.loc["ARMTRT:ADY", "estimate"], rel=1e-6)
    assert b.loc["ARMTRT:ADY", "std_error"] == pytest.approx(
        7 * a.loc["ARMTRT:ADY", "std_error"], rel=1e-6)
    np.testing.assert_allclose(b.loc["ARMTRT:ADY", "df"], a.loc["ARMTRT:ADY", "df"], rtol=1e-6)
    # the treatment effect on day 28 is ARMTRT in the shifted model
    at28 = base.contrast(pd.DataFrame([{"ARMTRT": 1.0, "ARMTRT:ADY": 28.0}]))
    for col in ("estimate", "std_error", "df"):
        assert b.loc["ARMTRT", col] == pytest.approx(float(at28[col].iloc[0]), rel=1e-6)
    # [1, ADY] = [1, ADY'] A with A = [[1, 28], [0, 7]]: b' = A b, G' = A G A'
    A = np.array([[1.0, 28.0], [0.0, 7.0]])
    g_base = base.random_covariance["(1 + ADY | USUBJID)"].to_numpy()
    g_new = fit.random_covariance["(1 + ADY | USUBJID)"].to_numpy()
    np.testing.assert_allclose(g_new, A @ g_base @ A.T, rtol=1e-5)


def test_uncorrelated_terms_are_the_correlated_model_restricted():
    full = _fit()
    diag = _fit("Y ~ ARM * ADY + (1 | USUBJID) + (0 + ADY | USUBJID)")
    assert diag.optimizer.verified
    assert diag.loglik <= full.loglik + 1e-9 * abs(full.loglik)
    assert list(diag.theta.index) == ["residual_variance", "var[USUBJID]", "var[USUBJID:ADY]"]
    assert list(full.theta.index) == ["residual_variance", "var[USUBJID:(Intercept)]",
                                      "cov[USUBJID:(Intercept),ADY]", "var[USUBJID:ADY]"]
    vc = full.variance_components
    assert vc["component"].tolist() == [
        "(1 + ADY | USUBJID) var (Intercept)", "(1 + ADY | USUBJID) cov (Intercept), ADY",
        "(1 + ADY | USUBJID) var ADY", "residual"]
    g = full.random_covariance["(1 + ADY | USUBJID)"]
    assert g.index.tolist() == ["(Intercept)", "ADY"]
    np.testing.assert_allclose(vc["estimate"].iloc[:3], [g.iloc[0, 0], g.iloc[1, 0],
                                                        g.iloc[1, 1]])


def test_implicit_intercept_as_lme4():
    a = _fit()
    b = _fit("Y ~ ARM * ADY + (ADY | USUBJID)")
    assert b.loglik == pytest.approx(a.loglik, rel=1e-12)
    assert list(b.random_covariance) == ["(1 + ADY | USUBJID)"]


def test_random_slope_with_an_r_side_structure():
    fit = _fit("Y ~ ARM * ADY + (1 + ADY | USUBJID) + ar1(AVISIT | USUBJID)")
    assert fit.optimizer.verified
    assert list(fit.theta.index)[:2] == ["log_sd", "rho_par1"]
    # the AR(1) model nests the independent-errors one (rho = 0)
    assert fit.loglik >= _fit().loglik - 1e-9 * abs(fit.loglik)


def test_missing_slope_value_drops_the_row():
    d = _trial().copy()
    d.loc[d.index[5], "ADY"] = np.nan
    fit = mmrm(FORMULA, d)
    assert fit.n_rows_dropped == 1 and fit.n_obs == len(d) - 1


def test_text_slope_column_is_refused_naming_row_and_value():
    d = _trial().copy()
    d["ADY"] = d["ADY"].astype(object)
    d.loc[d.index[3], "ADY"] = "day 22"
    with pytest.raises(DataError, match=r"\(1 \+ ADY \| USUBJID\): column 'ADY' holds "
                                        r"numbers except at row 3 \('day 22', 1 such rows\)"):
        mmrm(FORMULA, d)


def test_between_subject_slope_column_is_refused():
    d = _trial().copy()
    d["ARMN"] = (d["ARM"] == "TRT").astype(float)
    with pytest.raises(ModelError, match="'ARMN' is constant within every USUBJID"):
        mmrm("Y ~ ARM * ADY + (1 + ARMN | USUBJID)", d)


def test_term_without_columns_is_refused():
    with pytest.raises(ModelError, match=r"\(0 \| USUBJID\) has no columns"):
        mmrm("Y ~ ARM + (0 | USUBJID)", _trial())


def test_singular_g_is_a_convergence_error_naming_the_simpler_model():
    # no slope variance in the data: the correlated G converges to singular
    d = _trial(seed=5, slope_sd=0.0)
    with pytest.raises(ConvergenceError, match=r"G matrix of \(1 \+ ADY \| USUBJID\) is "
                                               r"singular.*\(1 \| USUBJID\) \+ \(0 \+ ADY"):
        mmrm(FORMULA, d)
    best = mmrm(FORMULA, d, accept_nonconvergence=True)
    assert not best.converged
    # the uncorrelated model holds the slope variance at its boundary and is verified
    fit = mmrm("Y ~ ARM * ADY + (1 | USUBJID) + (0 + ADY | USUBJID)", d)
    assert fit.optimizer.verified and fit.theta.loc["var[USUBJID:ADY]", "estimate"] == 0.0


@pytest.mark.parametrize("formula", [
    "Y ~ ARM * AVISIT + (1 | USUBJID) + us(AVISIT | USUBJID)",
    "Y ~ ARM * AVISIT + (1 | USUBJID) + cs(AVISIT | USUBJID)",
    "Y ~ ARM * AVISIT + (1 + ADY | USUBJID) + toep(AVISIT | USUBJID)",
    "Y ~ ARM * AVISIT + (0 + WEEK | USUBJID) + us(AVISIT | USUBJID)",
])
def test_g_confounded_with_r_is_refused_before_fitting(formula):
    # V = tau J + Sigma has a ridge of equal likelihood: without this check the optimizer
    # returns one arbitrary point of it (for us: min Hessian eigenvalue 3e-7 of 297). nlme
    # shows the ridge: lme(Y ~ ARM * AVISIT, random = ~ 1 | USUBJID, correlation =
    # corSymm(form = ~ VISITN | USUBJID)) on g_plus_r/seeded.csv ends at logLik -638.05756
    # from starting correlations 0.1 and 0.5, with tau 5.34 and 4.47 (R 4.2.2, nlme 3.1-162)
    d = _trial(jitter=False).copy()
    d["WEEK"] = d["AVISIT"].str[1:].astype(float)
    with pytest.raises(ModelError, match=r"is not identifiable: .* so the split between G "
                                         r"and R is arbitrary"):
        mmrm(formula, d)


def test_random_intercept_with_ar1_is_identifiable():
    fit = _fit("Y ~ ARM * ADY + (1 | USUBJID) + ar1(AVISIT | USUBJID)")
    assert fit.optimizer.verified


def _replicate_crossover(seed: int = 11, n: int = 40) -> pd.DataFrame:
    """ABAB/BABA replicate crossover with subject-by-treatment variances 1.0 and 0.5."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        seq = ("A", "B", "A", "B") if i % 2 else ("B", "A", "B", "A")
        b = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.4], [0.4, 0.5]])
        for p, t in enumerate(seq, start=1):
            y = 10 + 0.3 * (t == "B") + 0.1 * p + b[int(t == "B")] + rng.normal(0, 0.5)
            rows.append((f"S{i:02d}", "".join(seq), str(p), t, y))
    return pd.DataFrame(rows, columns=["USUBJID", "SEQ", "PER", "TRT", "Y"])


def test_factor_in_a_random_term_gives_one_column_per_level():
    # lme4's (0 + TRT | USUBJID): a variance per treatment and their covariance (SAS
    # RANDOM TRT / SUBJECT=USUBJID TYPE=UN), identified in a replicate design
    d = _replicate_crossover()
    fit = mmrm("Y ~ SEQ + PER + TRT + (0 + TRT | USUBJID)", d)
    g = fit.random_covariance["(0 + TRT | USUBJID)"]
    assert g.index.tolist() == ["TRTA", "TRTB"] and fit.optimizer.verified
    # with an intercept the first level is dropped (treatment contrasts), as model.matrix
    fit1 = mmrm("Y ~ SEQ + PER + TRT + (1 + TRT | USUBJID)", d)
    assert fit1.random_covariance["(1 + TRT | USUBJID)"].index.tolist() == [
        "(Intercept)", "TRTB"]
    # the same model in two parametrizations: equal log-likelihoods, and
    # Var(b_B) = g11 + 2 g12 + g22 of the intercept form
    assert fit1.loglik == pytest.approx(fit.loglik, rel=1e-9)
    g1 = fit1.random_covariance["(1 + TRT | USUBJID)"].to_numpy()
    assert g.iloc[1, 1] == pytest.approx(g1[0, 0] + 2 * g1[1, 0] + g1[1, 1], rel=1e-5)


def test_treatment_variances_in_a_two_period_crossover_are_not_identifiable():
    # one observation per subject and treatment: V = G + sigma^2 I has a ridge in sigma^2
    d = _replicate_crossover()
    two = d[d["PER"].isin(["1", "2"])]
    with pytest.raises(ModelError, match="not identifiable: the likelihood is flat"):
        mmrm("Y ~ SEQ + PER + TRT + (0 + TRT | USUBJID)", two)
