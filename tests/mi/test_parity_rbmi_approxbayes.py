"""Approximate Bayesian MI (bootstrap MMRM per imputation, Rubin's rules with Barnard-Rubin
df) against rbmi 1.5.2's 1,000-sample runs on the antidepressant trial.

Witness: ``rbmi_reference.json`` ``approxbayes_1000`` (MAR, JR). Tolerance: 3 Monte-Carlo
SEs of the difference, ``sqrt(mc_ours^2 + mc_rbmi^2)`` with ``mc_rbmi = mc_ours *
sqrt(M / 1000)`` (the same between-imputation variance at 1,000 imputations). At visit 4
nothing is missing, so the pooled estimate, SE and df are exact there (1e-10).
"""

from __future__ import annotations

import numpy as np
import pytest

from ldn_stats import mi
from support.mi_data import FORMULA, REFERENCES, antidepressant, ice, joined, reference

M = 100


@pytest.fixture(scope="module")
def ab_jr():
    dr = mi.draws(antidepressant(), FORMULA, group="THERAPY", ice=ice("JR"),
                  method="approxbayes", n_samples=M, seed=2024, workers=0)
    return dr


@pytest.mark.parametrize("strategy", ["JR", "MAR"])
def test_approxbayes_within_mc_error_of_rbmi(ab_jr, strategy):
    imp = ab_jr.impute(REFERENCES, strategy=ice(strategy)[["PATIENT", "strategy"]])
    pooled = imp.analyse("ancova", covariates=["BASVAL"]).pool(mc_error=True)
    j = joined(pooled, reference()["approxbayes_1000"][strategy])
    scale = np.sqrt(1 + M / 1000)
    exact = j["visit"] == "4"
    np.testing.assert_allclose(j.loc[exact, "estimate"], j.loc[exact, "est"], rtol=1e-10)
    np.testing.assert_allclose(j.loc[exact, "std_error"], j.loc[exact, "se"], rtol=1e-10)
    np.testing.assert_allclose(j.loc[exact, "p_value"], j.loc[exact, "pval"], rtol=1e-8)
    other = ~exact
    lim_e = 3 * j.loc[other, "mc_se_estimate"] * scale
    assert (np.abs(j.loc[other, "estimate"] - j.loc[other, "est"]) <= lim_e).all(), \
        j.loc[other, ["parameter", "visit", "estimate", "est", "mc_se_estimate"]]
    lim_s = 3 * j.loc[other, "mc_se_std_error"] * scale
    assert (np.abs(j.loc[other, "std_error"] - j.loc[other, "se"]) <= lim_s).all(), \
        j.loc[other, ["parameter", "visit", "std_error", "se", "mc_se_std_error"]]
    assert (j["mc_se_estimate"][other] > 0).all() and (j["df"] < 170).all()


def test_approxbayes_is_deterministic_given_seed(ab_jr):
    small = antidepressant().iloc[:200]
    keep = ice("JR")[ice("JR").PATIENT.isin(set(small.PATIENT))]
    runs = [mi.draws(small, FORMULA, group="THERAPY", ice=keep, method="approxbayes",
                     n_samples=8, seed=s, workers=0).impute(REFERENCES).analyse(
                         "ancova", covariates=["BASVAL"]).pool() for s in (7, 7, 8)]
    assert runs[0].to_csv() == runs[1].to_csv()  # the same bytes
    assert runs[0].to_csv() != runs[2].to_csv()


def test_rubin_df_when_nothing_is_missing(ab_jr):
    """Visit 4 is complete: B = 0, so the Barnard-Rubin df is (v+1)/(v+3) v with v = 172 - 3."""
    pooled = ab_jr.impute(REFERENCES).analyse("ancova", covariates=["BASVAL"]).pool()
    v = 172 - 3
    assert np.allclose(pooled.loc[pooled.VISIT == "4", "df"], (v + 1) / (v + 3) * v)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["MAR", "JR"])
def test_approxbayes_over_many_seeds_centres_on_the_deterministic_answer(strategy):
    # witness: conditional mean imputation (deterministic) of the same imputation model;
    # over 16 seeds of 25 samples each, the mean pooled estimate lies within 3 Monte-Carlo
    # SEs (the seeds' SD / sqrt(16)) of it at visits 5-7, and equals it at visit 4, where
    # nothing is missing (1e-10)
    data, events = antidepressant(), ice(strategy)
    keep = events[["PATIENT", "strategy"]]

    def trt(method, **kw):
        p = (mi.draws(data, FORMULA, group="THERAPY", ice=events, method=method,
                      workers=0, **kw)
             .impute(REFERENCES, strategy=keep).analyse("ancova", covariates=["BASVAL"])
             .pool())
        return p[p["parameter"] == "trt"].set_index("VISIT")["estimate"]

    cm = trt("condmean", resampling="jackknife")
    runs = np.array([trt("approxbayes", n_samples=25, seed=s).to_numpy()
                     for s in range(1, 17)])
    mean, mc = runs.mean(axis=0), runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    assert abs(mean[0] - cm.iloc[0]) < 1e-10
    assert (np.abs(mean[1:] - cm.to_numpy()[1:]) <= 3 * mc[1:]).all(), (mean, cm.to_numpy(), mc)
    assert (mc[1:] > 0).all()
