"""Analytic power formulas against independent witnesses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.power import TTestIndPower

from ldn_stats.power.analytic import analytic_power, llc_phi, t_power


@pytest.mark.parametrize(("d", "n", "ratio"), [(0.5, 50, 1.0), (0.3, 120, 1.0), (0.8, 20, 1.5)])
def test_t_power_equals_statsmodels(d, n, ratio):
    # witness: statsmodels TTestIndPower().power (noncentral t, two-sided); tolerance 1e-10
    se = math.sqrt(1 / n + 1 / (n * ratio))
    ours = t_power(d, se, n + n * ratio - 2, 0.05)
    assert ours == pytest.approx(TTestIndPower().power(d, nobs1=n, alpha=0.05, ratio=ratio),
                                 abs=1e-10)


def test_null_power_is_alpha():
    assert t_power(0.0, 0.3, 40, 0.05) == pytest.approx(0.05, abs=1e-12)


@pytest.mark.parametrize(("rho", "r2"), [(0.5, 0.5), (0.8, 0.7), (0.2, 0.9), (0.0, 0.6)])
def test_llc_two_visits_equals_anderson(rho, r2):
    # witness: Anderson (1957), ML of the second mean of a bivariate normal with monotone
    # missingness: var = sigma2^2 [(1 - rho^2) / r2 + rho^2 / r1], r1 = 1; tolerance 1e-12
    R = [[1.0, rho], [rho, 1.0]]
    assert llc_phi(R, [1.0, r2]) == pytest.approx((1 - rho ** 2) / r2 + rho ** 2, abs=1e-12)


def test_llc_limits():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(6, 6))
    S = A @ A.T + 6 * np.eye(6)
    R = S / np.sqrt(np.outer(np.diag(S), np.diag(S)))
    assert llc_phi(R, [1.0] * 6) == pytest.approx(1.0, abs=1e-12)  # no dropout: no inflation
    r = [1.0, 0.95, 0.9, 0.9, 0.85, 0.8]
    assert llc_phi(np.eye(6), r) == pytest.approx(1 / 0.8, abs=1e-12)  # independent visits
    assert 1.0 < llc_phi(R, r) < 1 / 0.8  # earlier visits recover information


def test_crossover_power_equals_t_on_period_differences():
    # witness: the 2x2 treatment test is a two-sample t test of the half period differences,
    # SD sigma_w / sqrt(2) (Jones & Kenward); statsmodels TTestIndPower, tolerance 1e-10
    pilot = {"sd_within": 12.0, "retention_seq": [1.0, 1.0]}
    ours = analytic_power(pilot, "crossover", 15, -10.0, 0.05)["power_crossover"]
    es = 10.0 / (12.0 / math.sqrt(2))
    assert ours == pytest.approx(TTestIndPower().power(es, nobs1=15, alpha=0.05), abs=1e-10)
