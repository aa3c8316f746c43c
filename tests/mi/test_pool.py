"""Pooling rules against closed forms (Rubin 1987; Barnard & Rubin 1999; Efron &
Tibshirani 1994; von Hippel & Bartlett 2021) and R's quantile type 6.

Witnesses are hand computations written out in each test; tolerance 1e-12 unless said.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats

from ldn_stats.errors import ModelError
from ldn_stats.mi.pool import (
    barnard_rubin_df,
    bmlmi_pool,
    bootstrap_pool,
    jackknife_pool,
    rubin_rules,
)


def test_rubin_rules_closed_form():
    # est 1, 2, 3; se 1 each: W = 1, B = 1, T = 1 + (1 + 1/3) = 7/3
    # lambda = (4/3)/(7/3) = 4/7; nu_old = 2 / (16/49) = 6.125;
    # nu_com = 20: nu_obs = 21/23 * 20 * 3/7; nu = nu_old nu_obs / (nu_old + nu_obs)
    p = rubin_rules(np.array([1.0, 2.0, 3.0]), np.ones(3), df_complete=20.0)
    nu_obs = 21 / 23 * 20 * (3 / 7)
    nu = 6.125 * nu_obs / (6.125 + nu_obs)
    assert p.estimate == pytest.approx(2.0, abs=1e-12)
    assert p.std_error == pytest.approx(np.sqrt(7 / 3), abs=1e-12)
    assert p.df == pytest.approx(nu, abs=1e-12)
    q = scipy.stats.t.ppf(0.975, nu)
    assert p.conf_low == pytest.approx(2 - q * np.sqrt(7 / 3), abs=1e-12)
    assert p.p_value == pytest.approx(2 * scipy.stats.t.sf(2 / np.sqrt(7 / 3), nu), abs=1e-12)


def test_barnard_rubin_limits():
    # infinite complete-data df: the old Rubin df (m - 1)/lambda^2
    lam = (1 + 1 / 4) * 0.5 / 2.0
    assert barnard_rubin_df(np.inf, 0.5, 2.0, 4) == pytest.approx(3 / lam ** 2, abs=1e-12)
    # no between-imputation variance: nu_obs = (nu+1)/(nu+3) nu
    assert barnard_rubin_df(30.0, 0.0, 1.0, 10) == pytest.approx(31 / 33 * 30, abs=1e-12)
    assert np.isinf(barnard_rubin_df(np.inf, 0.0, 1.0, 10))
    assert np.isinf(barnard_rubin_df(np.nan, 0.3, 1.0, 10))
    # never above the complete-data df, and it grows with m
    assert barnard_rubin_df(50.0, 0.2, 1.0, 5) < barnard_rubin_df(50.0, 0.2, 1.0, 50) < 50


def test_rubin_needs_two_imputations_and_ses():
    with pytest.raises(ModelError, match="at least 2"):
        rubin_rules(np.array([1.0]), np.array([1.0]), 10.0)
    with pytest.raises(ModelError, match="missing"):
        rubin_rules(np.array([1.0, 2.0]), np.array([1.0, np.nan]), 10.0)


def test_jackknife_closed_form():
    # full 5; leave-one-out 4, 5, 6: mean 5, SS 2, SE = sqrt(2/3 * 2)
    p = jackknife_pool(np.array([5.0, 4.0, 5.0, 6.0]))
    se = np.sqrt(2 / 3 * 2)
    assert (p.estimate, p.std_error) == (5.0, pytest.approx(se, abs=1e-12))
    assert p.conf_high == pytest.approx(5 + scipy.stats.norm.ppf(0.975) * se, abs=1e-12)
    assert p.p_value == pytest.approx(2 * scipy.stats.norm.sf(5 / se), abs=1e-15)


def test_bootstrap_percentile_is_r_type6():
    # R: quantile(1:10, c(0.25, 0.75), type = 6) = 2.75, 8.25
    est = np.r_[0.5, np.arange(1.0, 11.0)]
    p = bootstrap_pool(est, conf_level=0.5)
    assert (p.conf_low, p.conf_high) == (pytest.approx(2.75), pytest.approx(8.25))
    assert np.isnan(p.std_error) and p.estimate == 0.5
    # p: 2 * min(#<0 + 1, #>0 + 1) / (B + 1) = 2 * 1/11
    assert p.p_value == pytest.approx(2 / 11)
    n = bootstrap_pool(est, kind="normal")
    assert n.std_error == pytest.approx(np.std(np.arange(1.0, 11.0), ddof=1))


def test_bmlmi_closed_form():
    # B = 2 samples x D = 2: rows (1, 3), (5, 7): mean 4; SSW = 4, SSB = 2 * 8 = 16
    # MSW = 4/2 = 2, MSB = 16; var = 1.5 * (16 - 2)/2 + 2/4 = 11
    p = bmlmi_pool(np.array([1.0, 3.0, 5.0, 7.0]), d=2)
    df = 11 ** 2 / ((3 / 4) ** 2 * 16 ** 2 / 1 + 2 ** 2 / (2 * 4 * 1))
    assert p.estimate == 4.0 and p.std_error == pytest.approx(np.sqrt(11), abs=1e-12)
    assert p.df == pytest.approx(max(3.0, df), abs=1e-12)
