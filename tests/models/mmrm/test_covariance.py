"""Covariance structures: Sigma(theta) properties and analytic derivatives.

Witness for the derivatives: central finite differences (step 1e-6) of the
structure's own Sigma(theta) and dSigma(theta); tolerance 1e-6 absolute on
matrices with entries of order 1. Parametrizations follow R mmrm's
covariance vignette (checked end-to-end by tests/models/test_parity_r.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from ldn_stats.errors import ModelError
from ldn_stats.models.mmrm.covariance import (
    STRUCTURES,
    MarginalCovariance,
    PatternBatch,
    get_structure,
)

M = 4
COORDS = np.array([0.0, 1.0, 2.5, 4.0])


def _theta(name: str, seed: int = 1) -> np.ndarray:
    k = get_structure(name).n_theta(M)
    return np.random.default_rng(seed).normal(size=k) * 0.5


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_sigma_symmetric_positive_definite(name):
    sig = get_structure(name).sigma(_theta(name), m=M, coords=COORDS)[0]
    assert np.allclose(sig, sig.T)
    assert np.linalg.eigvalsh(sig).min() > 0


@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_derivatives_match_finite_differences(name):
    s = get_structure(name)
    th = _theta(name)
    _, d1, d2 = s.sigma(th, m=M, coords=COORDS, order=2)
    h = 1e-6
    for i in range(len(th)):
        e = np.zeros_like(th)
        e[i] = h
        sp, dp, _ = s.sigma(th + e, m=M, coords=COORDS, order=1)
        sm, dm, _ = s.sigma(th - e, m=M, coords=COORDS, order=1)
        np.testing.assert_allclose((sp - sm) / (2 * h), d1[i], atol=1e-6)
        np.testing.assert_allclose((dp - dm) / (2 * h), d2[i], atol=1e-6)


def test_parameter_counts_as_in_mmrm():
    counts = {name: get_structure(name).n_theta(M) for name in STRUCTURES}
    assert counts == {"us": 10, "cs": 2, "csh": 5, "ar1": 2, "ar1h": 5, "ad": 4, "adh": 7,
                      "toep": 4, "toeph": 7, "sp_exp": 2, "sp_gau": 2}


def test_unstructured_start_roundtrip():
    us = get_structure("us")
    sig = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])
    np.testing.assert_allclose(us.sigma(us.start(sig), m=3)[0], sig, rtol=1e-12)


def test_known_values():
    # ar1 with log sd 0 and f(rho) = 1 -> rho = 1/sqrt(2)
    sig = get_structure("ar1").sigma(np.array([0.0, 1.0]), m=3)[0]
    assert sig[0, 2] == pytest.approx(0.5)
    # cs: logit transform on (-1/(m-1), 1); theta 0 -> rho = (1 - a) / 2 with a = 1/3
    sig = get_structure("cs").sigma(np.array([0.0, 0.0]), m=4)[0]
    assert sig[0, 1] == pytest.approx(1.0 / 3.0)


def test_unknown_structure_message():
    with pytest.raises(ModelError, match=r"unknown covariance structure 'un'.*us"):
        get_structure("un")


def test_marginal_random_intercepts_add_block_constant():
    model = MarginalCovariance(None, n_re=1, re_names=("ID",))
    batch = PatternBatch(group=np.array([0]), pos=np.array([[0, 1, 2]]), coords=None,
                         clusters=np.array([[[0], [0], [1]]]))
    v, dv, d2v, idx = model.evaluate(np.array([2.0, 0.5]), batch, order=2)
    np.testing.assert_allclose(v[0], [[2.5, 0.5, 0.0], [0.5, 2.5, 0.0], [0.0, 0.0, 2.5]])
    assert idx.tolist() == [[0, 1]]
    assert dv.shape == (1, 2, 3, 3)
    assert not d2v.any()  # linear in the variance components (as pbkrtest assumes)
