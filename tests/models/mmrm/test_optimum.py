"""The default optimizer returns the optimum, whatever the start and however the data enter.

Witnesses: ``bcva_data`` (R mmrm's, 1,000 subjects, 10 visits, UN) and a simulated
high-missingness trial (``benchmarks/high_missingness.py``, seed 1001: 200 subjects,
10 visits, nearly one missingness pattern per subject). Two fits of the same model
from different starts must reach the same optimum: log-likelihood to a relative
1e-12, estimates and standard errors to a relative 1e-8, df to a relative 1e-8
(what a Newton decrement below 1e-12 at both ends allows).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from ldn_stats.models.mmrm import mmrm
from ldn_stats.models.mmrm.likelihood import Likelihood
from support import REPO
from support.reference_data import bcva_data

BCVA = "BCVA_CHG ~ BCVA_BL + RACE + ARMCD * AVISIT + us(AVISIT | USUBJID)"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "high_missingness", REPO / "benchmarks" / "high_missingness.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def high_missingness():
    gen = _generator()
    return gen.FORMULA, gen.high_missingness_trial(1001)


def _same_optimum(a, b):
    assert a.optimizer.verified and b.optimizer.verified
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    np.testing.assert_allclose(a.coef["estimate"], b.coef["estimate"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(a.coef["std_error"], b.coef["std_error"], rtol=1e-8)
    np.testing.assert_allclose(a.coef["df"], b.coef["df"], rtol=1e-8)


def test_bcva_same_optimum_from_standard_and_moment_start():
    d = bcva_data()
    std = mmrm(BCVA, d)
    mom = mmrm(BCVA, d, start="moment")
    assert std.optimizer.attempts[0].start.startswith("mmrm standard")
    assert mom.optimizer.attempts[0].start.startswith("moment")
    _same_optimum(std, mom)


def test_high_missingness_same_optimum_from_standard_and_moment_start(high_missingness):
    formula, d = high_missingness
    patterns = d.groupby("USUBJID", observed=True)["AVISIT"].apply(tuple).nunique()
    assert patterns >= 150  # nearly one pattern per subject (200 subjects)
    _same_optimum(mmrm(formula, d), mmrm(formula, d, start="moment"))


def test_evaluation_by_pattern_equals_evaluation_by_subject(high_missingness):
    """Sufficient statistics per pattern and rows per subject give the same f, g, H."""
    formula, d = high_missingness
    fit = mmrm(formula, d, df_method="kenward-roger")
    lik, theta = fit._lik, np.asarray(fit._theta)
    assert any(b.F is not None for b in lik.batches)  # "auto" chose subjects here
    subject = lik.subject_labels[lik.subject_codes]
    pos = fit.spec.codes(d.loc[fit._index], "AVISIT")
    out = {}
    for mode in ("pattern", "subject", "auto"):
        other = Likelihood(lik.X, lik.y, subject, lik.model, pos=pos, evaluation=mode)
        f, g = other.value_and_grad(theta)
        st = other.state(theta, order=1)
        out[mode] = (f, g, other.hessian(theta), other.p_matrices(st))
    ref = out["pattern"]
    for mode in ("subject", "auto"):
        f, g, H, Pk = out[mode]
        assert f == pytest.approx(ref[0], rel=1e-13)
        np.testing.assert_allclose(g, ref[1], rtol=0, atol=1e-9 * np.abs(ref[1]).max() + 1e-9)
        np.testing.assert_allclose(H, ref[2], rtol=0, atol=1e-12 * np.abs(ref[2]).max())
        np.testing.assert_allclose(Pk, ref[3], rtol=0, atol=1e-12 * np.abs(ref[3]).max())


def test_unknown_start_and_evaluation_are_errors(high_missingness):
    from ldn_stats.errors import ModelError

    formula, d = high_missingness
    with pytest.raises(ModelError, match="start must be"):
        mmrm(formula, d, start="zero")
    with pytest.raises(ModelError, match="evaluation must be"):
        Likelihood(np.ones((2, 1)), np.ones(2), np.array([1, 2]), None, evaluation="fast")
