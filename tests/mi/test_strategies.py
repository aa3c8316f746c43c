"""Strategies: Carpenter, Roger & Kenward (2013) definitions checked by their defining
properties (hand-derivable), the vectorized forms against the per-subject functions, and a
user strategy against the built-in it re-implements. Tolerance 1e-12."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mi
from ldn_stats.errors import DataError, ModelError
from ldn_stats.mi.strategies import BUILTIN, Pars, builtin_means, builtin_sigma, compute_sigma


def _spd(rng, m):
    a = rng.normal(size=(m, m))
    return a @ a.T + m * np.eye(m)


def test_compute_sigma_properties():
    rng = np.random.default_rng(3)
    T, R = _spd(rng, 4), _spd(rng, 4)
    mar = np.array([True, True, False, False])
    S = compute_sigma(T, R, mar)
    a, b = mar, ~mar
    # pre-event block is the own arm's; post given pre follows the reference's conditional
    np.testing.assert_allclose(S[np.ix_(a, a)], T[np.ix_(a, a)], atol=1e-12)
    reg_s = S[np.ix_(b, a)] @ np.linalg.inv(S[np.ix_(a, a)])
    reg_r = R[np.ix_(b, a)] @ np.linalg.inv(R[np.ix_(a, a)])
    np.testing.assert_allclose(reg_s, reg_r, atol=1e-12)
    cond_s = S[np.ix_(b, b)] - reg_s @ S[np.ix_(a, b)]
    cond_r = R[np.ix_(b, b)] - reg_r @ R[np.ix_(a, b)]
    np.testing.assert_allclose(cond_s, cond_r, atol=1e-10)
    np.testing.assert_allclose(S, S.T, atol=1e-12)


def test_vectorized_means_equal_the_functions():
    rng = np.random.default_rng(5)
    n, m = 7, 4
    own, ref = rng.normal(size=(n, m)), rng.normal(size=(n, m))
    ice = np.array([1, 2, 3, 4, 1, 2, 3])
    S = _spd(rng, m)
    for name, fn in BUILTIN.items():
        vec = builtin_means(name, own, ref, ice)
        for i in range(n):
            p = fn(Pars(own[i], S), Pars(ref[i], S), np.arange(m) < ice[i])
            np.testing.assert_allclose(vec[i], p.mu, atol=1e-12)
            np.testing.assert_allclose(builtin_sigma(name, S, S, int(ice[i])), p.sigma,
                                       atol=1e-12)


def test_strategy_means_by_hand():
    own = Pars(np.array([0.0, -2.0, -4.0, -6.0]), np.eye(4))
    ref = Pars(np.array([0.0, -1.0, -1.5, -2.0]), np.eye(4))
    mar = np.array([True, True, False, False])
    assert BUILTIN["JR"](own, ref, mar).mu.tolist() == [0.0, -2.0, -1.5, -2.0]
    assert BUILTIN["CIR"](own, ref, mar).mu.tolist() == [0.0, -2.0, -2.5, -3.0]
    assert BUILTIN["LMCF"](own, ref, mar).mu.tolist() == [0.0, -2.0, -2.0, -2.0]
    assert BUILTIN["CR"](own, ref, mar).mu.tolist() == ref.mu.tolist()
    with pytest.raises(ModelError, match="LMCF"):
        BUILTIN["LMCF"](own, ref, np.zeros(4, dtype=bool))


def _small():
    rng = np.random.default_rng(11)
    n = 40
    d = pd.DataFrame({"PID": np.repeat([f"P{i:02d}" for i in range(n)], 3),
                      "WEEK": np.tile([2, 4, 8], n),
                      "ARM": np.repeat(np.where(np.arange(n) % 2, "ACT", "CTL"), 3),
                      "B0": np.repeat(rng.normal(size=n), 3)})
    d["Y"] = d["B0"] + np.repeat(rng.normal(size=n), 3) + rng.normal(size=3 * n) \
        - 0.5 * (d["ARM"] == "ACT") * d["WEEK"] / 4
    drop = d["PID"].isin(["P01", "P02", "P03", "P04"]) & (d["WEEK"] == 8)
    ice = pd.DataFrame({"PID": ["P01", "P02", "P03", "P04"], "WEEK": [8, 8, 8, 8],
                        "strategy": ["JR"] * 4})
    return d[~drop], ice


def test_user_strategy_equals_builtin():
    d, ice = _small()
    f = "Y ~ B0 + ARM * WEEK + us(WEEK | PID)"
    mine = {"MYJR": lambda g, r, mar: tuple(BUILTIN["JR"](g, r, mar))}
    dr = mi.draws(d, f, group="ARM", ice=ice.assign(strategy="MYJR"), strategies=mine,
                  workers=0)
    a = dr.impute({"ACT": "CTL", "CTL": "CTL"}).analyse("ancova", covariates=["B0"]).pool()
    dr2 = mi.draws(d, f, group="ARM", ice=ice, workers=0)
    b = dr2.impute({"ACT": "CTL", "CTL": "CTL"}).analyse("ancova", covariates=["B0"]).pool()
    pd.testing.assert_frame_equal(a, b, atol=1e-12, rtol=0)
    # numeric visits are kept as numbers in the result
    assert a["WEEK"].tolist()[:3] == [2, 2, 2]


def test_user_strategy_bad_return():
    d, ice = _small()
    dr = mi.draws(d, "Y ~ ARM * WEEK + us(WEEK | PID)", group="ARM",
                  ice=ice.assign(strategy="BAD"), strategies={"BAD": lambda g, r, m: 1.0},
                  workers=0)
    with pytest.raises(ModelError, match="BAD"):
        dr.impute({"ACT": "CTL", "CTL": "CTL"})


def test_errors_name_table_column_row_value():
    d, ice = _small()
    f = "Y ~ ARM * WEEK + us(WEEK | PID)"
    with pytest.raises(DataError, match=r"ice table, column 'strategy', row 2: unknown "
                                        r"strategy 'J2R'"):
        mi.draws(d, f, group="ARM", ice=ice.assign(strategy=["JR", "J2R", "JR", "JR"]),
                 workers=0)
    with pytest.raises(DataError, match=r"ice table, column 'PID', row 1: value 'X9'"):
        mi.draws(d, f, group="ARM", ice=ice.assign(PID=["X9", "P02", "P03", "P04"]),
                 workers=0)
    with pytest.raises(DataError, match=r"ice table, column 'WEEK', row 1: value 9"):
        mi.draws(d, f, group="ARM", ice=ice.assign(WEEK=[9, 8, 8, 8]), workers=0)
    with pytest.raises(DataError, match="appears twice"):
        mi.draws(d, f, group="ARM", ice=ice.assign(PID=["P01", "P01", "P03", "P04"]),
                 workers=0)
    with pytest.raises(DataError, match="no column 'TRT'"):
        mi.draws(d, f, group="TRT", workers=0)
    with pytest.raises(DataError, match="twice"):
        mi.draws(pd.concat([d, d.iloc[:1]]), f, group="ARM", workers=0)
    dr = mi.draws(d, f, group="ARM", ice=ice, workers=0)
    with pytest.raises(DataError, match="no reference arm for CTL"):
        dr.impute({"ACT": "CTL"})
    with pytest.raises(DataError, match="reference arm 'PBO'"):
        dr.impute({"ACT": "PBO", "CTL": "CTL"})


def test_missing_rows_are_expanded():
    d, ice = _small()
    dr = mi.draws(d, "Y ~ B0 + ARM * WEEK + us(WEEK | PID)", group="ARM", ice=ice, workers=0)
    ld = dr.longdata
    assert ld.y.shape == (40, 3) and int(np.isnan(ld.y).sum()) == 4
    full = dr.impute({"ACT": "CTL", "CTL": "CTL"}).data(0)
    assert len(full) == 120 and not full["Y"].isna().any() and int(full["imputed"].sum()) == 4
    # the added rows carry the subject's arm and baseline
    row = full[(full.PID == "P01") & (full.WEEK == 8)].iloc[0]
    assert row.ARM == "ACT" and row.B0 == d[d.PID == "P01"].B0.iloc[0]
