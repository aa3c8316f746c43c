"""The mmrm() API: errors, result immutability, invariances, non-convergence.

Witnesses: ``tests/reference/fev_data.csv`` (R mmrm's fev_data) and the SAS
listing ``tests/reference/sas/sas_log_nonconvergence_reml.txt`` (the UN model on
the first 50 rows, which SAS reports as not converging). Invariance tests
compare two fits of the same model: estimates and SEs to a relative 1e-6,
df to 1e-4 absolute (the parity tolerances of the issue).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ldn_stats.errors import ConvergenceError, FormulaError, ModelError
from ldn_stats.models.mmrm import MMRMResult, mmrm

FORMULA = "FEV1 ~ RACE + SEX + ARMCD * AVISIT + us(AVISIT | USUBJID)"


@pytest.fixture(scope="module")
def fit(fev) -> MMRMResult:
    return mmrm(FORMULA, fev)


def _same_inference(a: MMRMResult, b: MMRMResult, scale: float = 1.0):
    np.testing.assert_allclose(b.coef["std_error"], a.coef["std_error"] * scale, rtol=1e-6)
    np.testing.assert_allclose(b.coef["df"], a.coef["df"], atol=1e-4)
    np.testing.assert_allclose(b.coef["statistic"].iloc[1:], a.coef["statistic"].iloc[1:],
                               rtol=1e-5)


def test_counts_and_dropped_rows(fit, fev):
    # fev_data: 800 rows, 537 with FEV1 present, 197 subjects (R mmrm: n_obs 537)
    assert (fit.n_obs, fit.n_subjects, fit.n_rows_dropped) == (537, 197, 800 - 537)
    assert fit.converged
    # the default optimizer: a verified optimum, and it says which criterion it met
    info = fit.optimizer
    assert (info.strategy, info.method) == ("default", "trust-region Newton")
    assert info.criterion == "Newton decrement g' H^-1 g"
    assert info.verified and info.criterion_value <= info.tolerance == 1e-12
    assert info.min_eigenvalue > 0
    assert np.abs(info.gradient).max() == pytest.approx(info.gradient_norm)
    g = fit.glance()
    assert g.loc[0, "optimizer"] == "default" and bool(g.loc[0, "verified_optimum"])


def test_r_mmrm_optimizer_stops_where_r_does(fev):
    # witness: mmrm_r_default_reference.json (R mmrm's default stopping point); the
    # "r-mmrm" path meets SAS's relative criterion only, so its Newton decrement is
    # far above the default's 1e-12
    fit = mmrm(FORMULA, fev, optimizer="r-mmrm")
    info = fit.optimizer
    assert (info.strategy, info.method) == ("r-mmrm", "L-BFGS-B")
    assert info.criterion.startswith("relative Hessian")
    assert info.verified and info.criterion_value <= info.tolerance == 1e-8
    # its Newton decrement (relative criterion x |f|) is far above the default's 1e-12
    assert info.criterion_value * abs(fit.loglik) > 1e-7


def test_result_is_immutable(fit):
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.loglik = 0.0
    with pytest.raises(ValueError):
        fit._inference.beta[0] = 0.0


def test_result_tables(fit):
    cols = ["estimate", "std_error", "df", "statistic", "p_value", "conf_low", "conf_high"]
    assert fit.coef.columns.tolist() == cols
    ls = fit.lsmeans("ARMCD", by="AVISIT")
    assert ls.columns.tolist() == ["ARMCD", "AVISIT", *cols, "estimable", "aliased"]
    assert ls["estimable"].all() and (ls["aliased"] == "").all()
    pw = fit.pairwise("ARMCD", by="AVISIT")
    assert pw["contrast"].unique().tolist() == ["TRT - PBO"]
    assert pw["AVISIT"].astype(str).tolist() == ["VIS1", "VIS2", "VIS3", "VIS4"]
    # the pairwise difference equals the difference of the LS-means
    diff = ls["estimate"].to_numpy().reshape(4, 2) @ [-1.0, 1.0]
    np.testing.assert_allclose(pw["estimate"], diff, rtol=1e-12)
    an = fit.anova()
    assert an.loc["ARMCD:AVISIT", "num_df"] == 3
    assert fit.covariance.shape == (4, 4)
    assert len(fit.predict()) == len(fit.residuals()) == 537


def test_contrast_joint_f_equals_anova(fit):
    L = fit.spec.term_contrasts()["ARMCD:AVISIT"]
    rows, ftab = fit.contrast(L, joint=True)
    assert len(rows) == 3
    assert ftab["statistic"].iloc[0] == pytest.approx(
        fit.anova().loc["ARMCD:AVISIT", "statistic"], rel=1e-12)


def test_conf_level(fit):
    wide = fit.contrast(np.eye(len(fit.coef))[4], conf_level=0.99)
    assert wide["conf_high"].iloc[0] > fit.coef["conf_high"].iloc[4]


def test_shuffled_rows_and_relabelled_subjects(fit, fev):
    rng = np.random.default_rng(2024)
    shuffled = fev.iloc[rng.permutation(len(fev))].copy()
    shuffled["USUBJID"] = shuffled["USUBJID"].map(lambda s: f"X{s[::-1]}")
    other = mmrm(FORMULA, shuffled)
    np.testing.assert_allclose(other.coef["estimate"], fit.coef["estimate"], rtol=1e-6)
    _same_inference(fit, other)
    assert other.loglik == pytest.approx(fit.loglik, rel=1e-9)


def test_affine_change_of_outcome(fev):
    # the default optimizer's criterion is scale free: 3 y + 7 gives 3 x the estimates
    base = mmrm(FORMULA, fev)
    other = mmrm(FORMULA, fev.assign(FEV1=3.0 * fev["FEV1"] + 7.0))
    np.testing.assert_allclose(other.coef["estimate"].iloc[1:],
                               3.0 * base.coef["estimate"].iloc[1:], rtol=1e-6)
    _same_inference(base, other, scale=3.0)


def test_r_mmrm_path_invariance_within_optimizer_tolerance(fev):
    # R's stopping point is not scale invariant beyond ~1e-4
    base = mmrm(FORMULA, fev, optimizer="r-mmrm")
    other = mmrm(FORMULA, fev.assign(FEV1=3.0 * fev["FEV1"] + 7.0), optimizer="r-mmrm")
    np.testing.assert_allclose(other.coef["std_error"], 3.0 * base.coef["std_error"],
                               rtol=1e-3)


@pytest.mark.parametrize("reml", [True, False])
def test_nonconvergence_raises_like_sas(fev, reml):
    # witnesses: sas_log_nonconvergence_reml.txt ("WARNING: Did not converge.") and
    # sas_log_nonconvergence.txt (ML: "Stopped because of too many likelihood evaluations")
    # the message says what was tried: Newton from both starts, then a simpler fit
    with pytest.raises(ConvergenceError, match="no optimizer converged; tried: trust-region "
                       "Newton from mmrm standard") as err:
        mmrm(FORMULA, fev.head(50), reml=reml)
    assert "from moment" in str(err.value) and "toeph fit" in str(err.value)
    with pytest.raises(ConvergenceError, match="no optimizer converged; tried: L-BFGS-B"):
        mmrm(FORMULA, fev.head(50), reml=reml, optimizer="r-mmrm")


def test_nonconvergence_can_be_accepted(fev):
    res = mmrm(FORMULA, fev.head(50), accept_nonconvergence=True)
    assert res.converged is False and not res.optimizer.verified
    starts = [a.start for a in res.optimizer.attempts]
    assert any(s.startswith("mmrm standard") for s in starts)
    assert any(s.startswith("moment") for s in starts)
    assert any(s.startswith("toeph fit") for s in starts)
    assert len(mmrm(FORMULA, fev.head(50), accept_nonconvergence=True,
                    optimizer="r-mmrm").optimizer.attempts) == 6


def test_error_messages(fev):
    with pytest.raises(ModelError, match="df_method must be one of"):
        mmrm(FORMULA, fev, df_method="containment")
    with pytest.raises(ModelError, match="optimizer must be"):
        mmrm(FORMULA, fev, optimizer="fast")
    with pytest.raises(ModelError, match="vcov must be one of"):
        mmrm(FORMULA, fev, vcov="robust")
    with pytest.raises(ModelError, match="neither a covariance term"):
        mmrm("FEV1 ~ ARMCD", fev)
    with pytest.raises(FormulaError):
        mmrm("FEV1 ~ NOPE + us(AVISIT | USUBJID)", fev)
    with pytest.raises(ModelError, match="more than one row at the same time point"):
        mmrm("FEV1 ~ ARMCD + us(AVISIT | ARMCD)", fev)


def test_random_intercept_equals_compound_symmetry(fev):
    # (1 | USUBJID) with iid residuals is the cs model: same likelihood and estimates
    # (witness: R mmrm cs fit in mmrm_r_reference.json, loglik -1761.02147445945)
    re = mmrm("FEV1 ~ RACE + SEX + ARMCD * AVISIT + (1 | USUBJID)", fev)
    cs = mmrm("FEV1 ~ RACE + SEX + ARMCD * AVISIT + cs(AVISIT | USUBJID)", fev)
    assert re.loglik == pytest.approx(-1761.02147445945, rel=1e-8)
    np.testing.assert_allclose(re.coef["estimate"], cs.coef["estimate"], rtol=1e-5)
    vc = re.variance_components.set_index("component")["estimate"]
    assert vc.sum() == pytest.approx(cs.covariance.iloc[0, 0], rel=1e-5)
    assert vc["(1 | USUBJID)"] == pytest.approx(cs.covariance.iloc[0, 1], rel=1e-5)


def test_empirical_vcov_differs_from_model_based(fit, fev):
    emp = mmrm(FORMULA, fev, vcov="empirical")
    assert emp.vcov_method == "empirical"
    np.testing.assert_allclose(emp.coef["estimate"], fit.coef["estimate"], rtol=1e-12)
    assert not np.allclose(emp.coef["std_error"], fit.coef["std_error"], rtol=1e-3)


@pytest.mark.parametrize(
    ("df_method", "kr_par", "se", "df", "f_value"),
    [
        # listing 1: DDFM=KR (second-derivative terms in SAS's range/variance parameters)
        ("kenward-roger", "sas", [0.6503, 0.9016], [244, 250], 22.02),
        # listing 2: DDFM=KR(FIRSTORDER), "Prasad-Rao-Jeske-Kackar-Harville" SEs
        ("kenward-roger-linear", "mmrm", [0.6512, 0.9028], [244, 250], 21.96),
    ],
)
def test_sas_spatial_gaussian_kenward_roger(fev, df_method, kr_par, se, df, f_value):
    # witness: sas_sp_gau_kr.txt (REPEATED / TYPE=SP(GAU)(VISITN VISITN2), ARMCD ref TRT);
    # tolerance: SAS's printed precision (4 decimals; df to the integer); F within 0.01
    # (SAS prints 2 decimals; its own stopping point moves the third)
    data = fev.assign(ARMCD=pd.Categorical(fev["ARMCD"].astype(str), ["TRT", "PBO"]))
    fit = mmrm("FEV1 ~ ARMCD + sp_gau(VISITN, VISITN2 | USUBJID)", data,
               df_method=df_method, kr_parametrization=kr_par)
    assert fit.coef["estimate"].round(4).tolist() == [44.4161, -4.2312]
    assert fit.coef["std_error"].round(4).tolist() == se
    assert fit.coef["df"].round(0).tolist() == df
    assert fit.anova().loc["ARMCD", "statistic"] == pytest.approx(f_value, abs=0.01)
    assert round(-2 * fit.loglik, 1) == 3868.2


def test_empirical_satterthwaite_df_is_bell_mccaffrey(fev):
    # witness: the Bell & McCaffrey (2002) formula as R mmrm's satterthwaite vignette
    # states it (g_i = (I - H)_i' x~_i Phi c in the whitened space, V = I,
    # df = tr(G)^2 / sum G_ij^2), computed here by brute force; tolerance 1e-8 relative
    data = fev.iloc[:240]
    fit = mmrm("FEV1 ~ ARMCD * AVISIT + us(AVISIT | USUBJID)", data, vcov="empirical")
    used = data.loc[data["FEV1"].notna()]
    X = fit.spec.matrix(used)
    sigma = fit.covariance.to_numpy()
    levels = list(fit.covariance.index)
    blocks = []
    for _, rows in used.groupby("USUBJID", sort=False).indices.items():
        pos = [levels.index(v) for v in used["AVISIT"].iloc[rows]]
        L = np.linalg.cholesky(sigma[np.ix_(pos, pos)])
        blocks.append(np.linalg.solve(L, X[rows]))
    Xt = np.vstack(blocks)
    phi = np.linalg.inv(Xt.T @ Xt)
    H = Xt @ phi @ Xt.T
    starts = np.cumsum([0] + [len(b) for b in blocks])
    c = np.zeros(X.shape[1])
    c[1] = 1.0  # ARMCDTRT
    g = []
    for i, xb in enumerate(blocks):
        rows = slice(starts[i], starts[i + 1])
        g.append((np.eye(len(Xt)) - H)[rows].T @ (xb @ phi @ c))
    G = np.array(g) @ np.array(g).T
    expected = np.trace(G) ** 2 / np.sum(G * G)
    assert fit.coef["df"].iloc[1] == pytest.approx(expected, rel=1e-8)
    with pytest.raises(ModelError, match="cannot be combined"):
        mmrm(FORMULA, fev, vcov="empirical", df_method="kenward-roger")


@pytest.mark.parametrize("structure", ["us", "ar1h", "toeph"])
def test_moment_start_reaches_the_same_optimum(fev, structure):
    # the fallback start (moment estimate) must find the optimum the R-path start finds
    # (witness: the default fit; tolerance 1e-8 relative on the objective)
    from ldn_stats.models.mmrm.fit import _moment_sigmas
    from ldn_stats.models.mmrm.optimize import minimize_objective

    fit = mmrm(f"FEV1 ~ RACE + SEX + ARMCD * AVISIT + {structure}(AVISIT | USUBJID)", fev)
    lik = fit._lik
    used = fev.loc[fev["FEV1"].notna()]
    pos = fit.spec.codes(used, "AVISIT")
    sigmas = _moment_sigmas(lik.X, lik.y, pos, np.zeros(len(pos), dtype=int), 1, 4,
                            lik.subject_codes)
    res = minimize_objective(lik, [("moment", lik.model.start(sigmas))])
    assert res.converged
    assert res.f == pytest.approx(-fit.loglik, rel=1e-8)


def test_blas_is_single_threaded_inside_the_fit(fev, monkeypatch):
    # witness: threadpoolctl's own report of the loaded BLAS libraries, read from inside
    # the likelihood while mmrm() runs; no environment variable is involved
    from threadpoolctl import threadpool_info, threadpool_limits

    from ldn_stats.models.mmrm import likelihood

    seen = []
    original = likelihood.Likelihood.value_and_grad

    def spy(self, theta):
        seen.append(max(i["num_threads"] for i in threadpool_info()))
        return original(self, theta)

    monkeypatch.setattr(likelihood.Likelihood, "value_and_grad", spy)
    # a caller whose BLAS runs two threads (the Makefile's OPENBLAS_NUM_THREADS=1 is
    # lifted here, so that the test can fail)
    with threadpool_limits(limits=2):
        outside = max(i["num_threads"] for i in threadpool_info())
        mmrm(FORMULA, fev)
    assert outside == 2
    assert seen and set(seen) == {1}
