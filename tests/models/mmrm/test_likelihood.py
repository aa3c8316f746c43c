"""REML/ML objective: analytic gradient and Hessian against finite differences.

Witness: central finite differences (step 1e-5) of ``Likelihood.objective`` and
of the analytic gradient. Tolerance: 1e-4 relative to the largest entry (the
finite-difference error is O(h^2) times third derivatives). Data: a small
synthetic unbalanced data set (seeded rng) with missing visits and weights.
The value of the objective itself is checked against R mmrm's log-likelihood
by tests/models/test_parity_r.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from ldn_stats.errors import ModelError
from ldn_stats.models.mmrm.covariance import STRUCTURES, MarginalCovariance, get_structure
from ldn_stats.models.mmrm.likelihood import Likelihood

N_SUB, M = 24, 3


def _data(seed=5):
    rng = np.random.default_rng(seed)
    subject = np.repeat(np.arange(N_SUB), M)
    pos = np.tile(np.arange(M), N_SUB)
    keep = rng.random(N_SUB * M) > 0.2  # missing visits -> several patterns
    arm = np.repeat(np.arange(N_SUB) % 2, M)
    X = np.column_stack([np.ones(N_SUB * M), arm, pos == 1, pos == 2]).astype(float)
    y = X @ [1.0, 0.5, 0.3, 0.6] + np.repeat(rng.normal(size=N_SUB), M) + rng.normal(
        size=N_SUB * M)
    w = rng.uniform(0.5, 2.0, size=N_SUB * M)
    return X[keep], y[keep], subject[keep], pos[keep], arm[keep], w[keep]


def _lik(name, reml=True, grouped=False, weighted=False):
    X, y, subject, pos, arm, w = _data()
    groups = ("a", "b") if grouped else ("",)
    model = MarginalCovariance(get_structure(name), times=("V1", "V2", "V3"), groups=groups)
    coords = pos.astype(float) * 1.3 if get_structure(name).spatial else None
    return Likelihood(X, y, subject, model, pos=None if coords is not None else pos,
                      coords=coords, group=arm if grouped else None,
                      weights=w if weighted else None, reml=reml)


def _theta(lik, seed=2):
    th = np.random.default_rng(seed).normal(size=lik.model.n_theta) * 0.3
    return th


def _check(lik, th):
    _f, g = lik.value_and_grad(th)
    h = 1e-5
    eye = np.eye(len(th))
    fd = np.array([(lik.objective(th + h * e) - lik.objective(th - h * e)) / (2 * h)
                   for e in eye])
    np.testing.assert_allclose(g, fd, atol=1e-4 * max(1.0, np.abs(fd).max()))
    H = lik.hessian(th)
    fdh = np.array([(lik.value_and_grad(th + h * e)[1] - lik.value_and_grad(th - h * e)[1])
                    / (2 * h) for e in eye])
    np.testing.assert_allclose(H, fdh, atol=1e-4 * max(1.0, np.abs(fdh).max()))


@pytest.mark.parametrize("name", sorted(STRUCTURES))
@pytest.mark.parametrize("reml", [True, False])
def test_gradient_and_hessian_match_finite_differences(name, reml):
    lik = _lik(name, reml=reml)
    _check(lik, _theta(lik))


def test_grouped_and_weighted_derivatives():
    lik = _lik("us", grouped=True, weighted=True)
    _check(lik, _theta(lik))


def test_random_intercept_derivatives():
    X, y, subject, _pos, _arm, _w = _data()
    model = MarginalCovariance(None, n_re=1, re_names=("ID",))
    lik = Likelihood(X, y, subject, model, clusters=subject)
    _check(lik, np.array([1.2, 0.7]))


def test_unit_weights_change_nothing_and_weights_matter():
    X, y, subject, pos, _arm, w = _data()
    model = MarginalCovariance(get_structure("cs"), times=("V1", "V2", "V3"))
    th = np.array([0.2, 0.1])
    plain = Likelihood(X, y, subject, model, pos=pos).objective(th)
    ones = Likelihood(X, y, subject, model, pos=pos, weights=np.ones(len(y))).objective(th)
    weighted = Likelihood(X, y, subject, model, pos=pos, weights=w).objective(th)
    assert ones == pytest.approx(plain, rel=1e-12)
    assert abs(weighted - plain) > 1e-3


def test_not_positive_definite_gives_inf():
    X, y, subject, pos, _arm, _w = _data()
    lik = Likelihood(X, y, subject, MarginalCovariance(None), pos=pos)
    assert lik.objective(np.array([-1.0])) == np.inf


def test_duplicate_visit_is_an_error():
    X = np.ones((2, 1))
    with pytest.raises(ModelError, match="more than one row at the same time point"):
        Likelihood(X, np.array([1.0, 2.0]), np.array([1, 1]),
                   MarginalCovariance(get_structure("us"), times=("a", "b")),
                   pos=np.array([0, 0]))


def test_bad_weights_are_an_error():
    X, y, subject, pos, _arm, w = _data()
    with pytest.raises(ModelError, match="strictly positive"):
        Likelihood(X, y, subject, MarginalCovariance(None), pos=pos, weights=-w)


@pytest.mark.parametrize("name", ["ar1", "us"])
def test_random_intercept_plus_r_side_derivatives(name):
    # SAS RANDOM + REPEATED: V_i = tau J + Sigma (derivatives mix both parts)
    X, y, subject, pos, _arm, _w = _data()
    model = MarginalCovariance(get_structure(name), times=("V1", "V2", "V3"), n_re=1,
                               re_names=("ID",))
    lik = Likelihood(X, y, subject, model, pos=pos, clusters=subject)
    th = np.concatenate([_theta(lik)[:-1], [0.8]])
    _check(lik, th)
