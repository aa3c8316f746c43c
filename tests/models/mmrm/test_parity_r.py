"""Parity of ``ldn_stats.models.mmrm.mmrm`` with R mmrm 0.3.18 and emmeans 1.8.

Witness: ``tests/reference/mmrm_r_reference.json`` (see ``tests/reference/README.md``),
each entry computed in R as::

    fit <- mmrm(<formula>, data = <fev_data|bcva_data>, reml = <reml>, method = <method>)
    component(fit, "logLik"); AIC(fit); BIC(fit); VarCorr(fit); coef(summary(fit))
    emmeans(fit, ~ ARMCD | AVISIT); pairs(emmeans(fit, ~ ARMCD | AVISIT), reverse = TRUE)

Tolerances (the issue's acceptance rule): estimates, standard errors, t
statistics, confidence limits, log-likelihood, AIC and BIC to a RELATIVE 1e-6;
degrees of freedom to an ABSOLUTE 1e-4; the covariance matrix to a relative
1e-6 of its largest element; p-values (a steep function of t and df, so
their error is amplified) to a relative 1e-4.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mmrm
from support.reference_data import bcva_data, fev_data, r_reference

REL = 1e-6  # relative: estimates, SEs, statistics, CIs, loglik, AIC, BIC
DF_ABS = 1e-4  # absolute: degrees of freedom
P_REL = 1e-4  # relative: p-values

DF_METHODS = {
    "Satterthwaite": "satterthwaite",
    "Kenward-Roger": "kenward-roger",
    "Residual": "residual",
    "Between-Within": "between-within",
}

# Fits too slow for the default suite (R itself takes ~3 s per bcva fit, 30 s with KR).
SLOW = {
    ("bcva", "us_reml_Kenward-Roger_"),
    ("bcva", "us_ml_Satterthwaite_"),
    ("bcva", "ar1h_reml_Satterthwaite_"),
    ("bcva", "ar1h_reml_Kenward-Roger_"),
    ("bcva", "ar1h_ml_Satterthwaite_"),
    ("bcva", "toeph_reml_Satterthwaite_"),
    ("bcva", "toeph_reml_Kenward-Roger_"),
    ("bcva", "toeph_ml_Satterthwaite_"),
}


def _cases():
    for dataset, fits in r_reference().items():
        for name in fits:
            marks = [pytest.mark.slow] if (dataset, name) in SLOW else []
            yield pytest.param(dataset, name, id=f"{dataset}-{name}", marks=marks)


CASES = list(_cases())


@cache
def _fit(dataset: str, name: str):
    entry = r_reference()[dataset][name]
    data = bcva_data() if dataset == "bcva" else fev_data()
    return mmrm(
        entry["formula"], data, reml=entry["reml"], df_method=DF_METHODS[entry["method"]]
    )


def _close(got, expected, rel: float, what: str) -> None:
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    np.testing.assert_allclose(got, expected, rtol=rel, atol=0, err_msg=what)


def _df_close(got, expected, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(got, dtype=float), np.asarray(expected, dtype=float),
        rtol=0, atol=DF_ABS, err_msg=f"{what}: df to absolute 1e-4",
    )


def test_all_fits_enumerated():
    """Every fit of the JSON has a test id (46 fits; names end in '_' or '_grouped')."""
    assert len(CASES) == sum(len(v) for v in r_reference().values()) == 46


@pytest.mark.parametrize(("dataset", "name"), CASES)
def test_coefficients(dataset, name):
    """coef(summary(fit)): estimate, SE, t (relative 1e-6), df (absolute 1e-4), p (rel 1e-4)."""
    expected = pd.DataFrame(r_reference()[dataset][name]["coef"]).set_index("term")
    coef = _fit(dataset, name).coef
    assert list(coef.index) == list(expected.index)
    _close(coef["estimate"], expected["estimate"], REL, "estimate, relative 1e-6")
    _close(coef["std_error"], expected["std_error"], REL, "std_error, relative 1e-6")
    _close(coef["statistic"], expected["statistic"], REL, "t statistic, relative 1e-6")
    _df_close(coef["df"], expected["df"], "coef df")
    _close(coef["p_value"], expected["p_value"], P_REL, "p_value, relative 1e-4")


@pytest.mark.parametrize(("dataset", "name"), CASES)
def test_fit_statistics(dataset, name):
    """logLik(fit), AIC(fit), BIC(fit) to relative 1e-6; n_obs exactly."""
    entry = r_reference()[dataset][name]
    fit = _fit(dataset, name)
    assert fit.n_obs == entry["n_obs"]
    _close(fit.loglik, entry["loglik"], REL, "loglik, relative 1e-6")
    _close(fit.aic, entry["aic"], REL, "AIC, relative 1e-6")
    _close(fit.bic, entry["bic"], REL, "BIC, relative 1e-6")


@pytest.mark.parametrize(("dataset", "name"), CASES)
def test_covariance(dataset, name):
    """VarCorr(fit): every element to 1e-6 of the matrix's largest element."""
    expected = r_reference()[dataset][name]["covariance"]
    got = _fit(dataset, name).covariance
    if isinstance(expected, dict):
        assert isinstance(got, Mapping) and sorted(got) == sorted(expected)
        pairs = [(np.asarray(got[g], dtype=float), np.asarray(expected[g])) for g in expected]
    else:
        pairs = [(np.asarray(got, dtype=float), np.asarray(expected))]
    for g, e in pairs:
        assert g.shape == e.shape
        np.testing.assert_allclose(
            g, e, rtol=0, atol=REL * np.abs(e).max(), err_msg="covariance, 1e-6 of max element"
        )


def _by_labels(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for k in keys:
        frame[k] = frame[k].astype(str)
    return frame.set_index(keys)


@pytest.mark.parametrize(("dataset", "name"), CASES)
def test_lsmeans(dataset, name):
    """emmeans(fit, ~ ARMCD | AVISIT): estimate, SE, CI relative 1e-6; df absolute 1e-4."""
    expected = _by_labels(pd.DataFrame(r_reference()[dataset][name]["lsmeans"]),
                          ["ARMCD", "AVISIT"])
    got = _by_labels(_fit(dataset, name).lsmeans("ARMCD", by="AVISIT"), ["ARMCD", "AVISIT"])
    assert list(got.index) == list(expected.index)
    _close(got["estimate"], expected["emmean"], REL, "LS-mean, relative 1e-6")
    _close(got["std_error"], expected["SE"], REL, "LS-mean SE, relative 1e-6")
    _df_close(got["df"], expected["df"], "LS-mean")
    _close(got["conf_low"], expected["lower.CL"], REL, "lower CL, relative 1e-6")
    _close(got["conf_high"], expected["upper.CL"], REL, "upper CL, relative 1e-6")
    _close(got["statistic"], expected["t.ratio"], REL, "t ratio, relative 1e-6")


@pytest.mark.parametrize(("dataset", "name"), CASES)
def test_pairwise(dataset, name):
    """pairs(emmeans(fit, ~ ARMCD | AVISIT), reverse=TRUE): 'TRT - PBO' per visit."""
    expected = _by_labels(pd.DataFrame(r_reference()[dataset][name]["contrasts"]),
                          ["contrast", "AVISIT"])
    got = _by_labels(_fit(dataset, name).pairwise("ARMCD", by="AVISIT"), ["contrast", "AVISIT"])
    assert list(got.index) == list(expected.index)
    _close(got["estimate"], expected["estimate"], REL, "difference, relative 1e-6")
    _close(got["std_error"], expected["SE"], REL, "difference SE, relative 1e-6")
    _df_close(got["df"], expected["df"], "difference")
    _close(got["statistic"], expected["t.ratio"], REL, "t ratio, relative 1e-6")
    _close(got["p_value"], expected["p.value"], P_REL, "p value, relative 1e-4")
    _close(got["conf_low"], expected["lower.CL"], REL, "lower CL, relative 1e-6")
    _close(got["conf_high"], expected["upper.CL"], REL, "upper CL, relative 1e-6")
