"""The other methods and the MMRM analysis.

- condmean + bootstrap: the point estimate is the jackknife's (the same full-data
  conditional mean imputation; witness rbmi_reference.json, 1e-4), normal-interval SE
  from the bootstrap SD within 25% of the jackknife SE at 60 samples (a loose sanity
  band: 60 bootstrap samples give the SD to about 10%).
- bmlmi: von Hippel-Bartlett pooling runs on B x D data sets and lands within 3 of its
  own SEs of the conditional-mean estimate.
- MMRM analysis: on complete data every method reproduces the package's own MMRM fit
  (estimates and KR SE to 1e-10; df the Barnard-Rubin limit (v+1)/(v+3) v).
"""

from __future__ import annotations

import numpy as np
import pytest

from ldn_stats import mi, mmrm
from support.mi_data import FORMULA, REFERENCES, antidepressant, ice, joined, reference


def test_condmean_bootstrap():
    dr = mi.draws(antidepressant(), FORMULA, group="THERAPY", ice=ice("JR"),
                  method="condmean", resampling="bootstrap", n_samples=60, seed=9, workers=0)
    imp = dr.impute(REFERENCES)
    res = imp.analyse("ancova", covariates=["BASVAL"])
    pct = res.pool()
    nor = res.pool(interval="normal")
    j = joined(nor, reference()["condmean_jackknife"]["JR"])
    # the full-data fit is the jackknife's: rbmi's estimate to its 1e-4 (R's stopping point)
    np.testing.assert_allclose(j["estimate"], j["est"], rtol=1e-4)
    assert ((j["std_error"] / j["se"] - 1).abs() < 0.25).all()
    assert pct["std_error"].isna().all()
    assert (pct["conf_low"] < pct["estimate"]).all() and (pct["estimate"] < pct["conf_high"]).all()
    assert len(imp) == 61 and dr.n_failures == 0


def test_bmlmi():
    dr = mi.draws(antidepressant(), FORMULA, group="THERAPY", ice=ice("JR"), method="bmlmi",
                  n_samples=20, D=3, seed=4, workers=0)
    imp = dr.impute(REFERENCES)
    assert len(imp) == 60
    p = imp.analyse("ancova", covariates=["BASVAL"]).pool()
    j = joined(p, reference()["condmean_jackknife"]["JR"])
    assert ((j["estimate"] - j["est"]).abs() <= 3 * j["std_error"]).all()
    assert (p["df"] >= 3).all()


def test_complete_data_mmrm_analysis_is_the_mmrm():
    d = antidepressant()
    full = d.groupby("PATIENT").filter(lambda g: len(g) == 4).iloc[:240]
    dr = mi.draws(full, FORMULA, group="THERAPY", method="approxbayes", n_samples=3, seed=1,
                  workers=0)
    p = dr.impute(REFERENCES).analyse("mmrm", covariates=["BASVAL"]).pool()
    fit = mmrm("CHANGE ~ THERAPY * VISIT + BASVAL * VISIT + us(VISIT | PATIENT)", full,
               df_method="kenward-roger")
    pw = fit.pairwise("THERAPY", by="VISIT")
    trt = p[p.parameter == "trt"].reset_index(drop=True)
    np.testing.assert_allclose(trt["estimate"], pw["estimate"], rtol=1e-10)
    lsm = fit.lsmeans("THERAPY", by="VISIT")
    ref_arm = p[p.parameter == "lsm_ref"].reset_index(drop=True)
    np.testing.assert_allclose(ref_arm["estimate"],
                               lsm[lsm.THERAPY == "DRUG"]["estimate"], rtol=1e-10)
    # Rubin with B = 0: the KR SE, df (v+1)/(v+3) v
    np.testing.assert_allclose(trt["std_error"], pw["std_error"], rtol=1e-10)
    v = pw["df"].to_numpy()
    np.testing.assert_allclose(trt["df"], (v + 1) / (v + 3) * v, rtol=1e-10)


def test_bad_arguments_are_model_errors():
    d = antidepressant().iloc[:120]
    with pytest.raises(mi.core.ModelError, match="method must be one of"):
        mi.draws(d, FORMULA, group="THERAPY", method="bayes", workers=0)
    with pytest.raises(mi.core.ModelError, match="resampling"):
        mi.draws(d, FORMULA, group="THERAPY", resampling="both", workers=0)
    with pytest.raises(Exception, match="covariance term"):
        mi.draws(d, "CHANGE ~ THERAPY", group="THERAPY", workers=0)
    three = d.assign(THERAPY=np.where(d.index % 3 == 0, "X", d.THERAPY))
    three = three.groupby("PATIENT").apply(
        lambda g: g.assign(THERAPY=g.THERAPY.iloc[0]), include_groups=False).reset_index(
            level=0).reset_index(drop=True)
    dr = mi.draws(three, FORMULA, group="THERAPY", workers=0)
    with pytest.raises(mi.core.ModelError, match="two arms"):
        dr.impute({"DRUG": "PLACEBO", "PLACEBO": "PLACEBO", "X": "PLACEBO"}).analyse("ancova")
