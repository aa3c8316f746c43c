"""Tests of the design-matrix encoder (``ldn_stats.models.mmrm.design``).

Witnesses: R ``colnames(model.matrix(f, data))`` (the coefficient names of the
R mmrm fits in ``tests/reference/mmrm_r_reference.json``, and R's documented
coding rules for interactions without their margins); emmeans reference grids
(the JSON's ``lsmeans``, reproduced from R's coefficients to 1e-12 relative);
hand-computed cell means for balanced designs (exact up to 1e-12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats.errors import FormulaError
from ldn_stats.models.mmrm.design import build_design, is_factor
from ldn_stats.models.mmrm.formula import parse_formula
from support.reference_data import bcva_data, fev_data, r_reference


def _design(text, data, **kw):
    return build_design(parse_formula(text), data, **kw)


def _small():
    return pd.DataFrame({
        "y": [1.0, 2.0, 3.0, 5.0, 4.0, 7.0, 2.5, 6.5],
        "a": ["p", "t"] * 4,
        "v": ["1", "1", "2", "2", "3", "3", "1", "2"],
        "x": [0.5, 1.0, 2.0, 1.5, 3.0, 2.5, 0.0, 1.0],
    })


# ---------------------------------------------------------------- R column names


@pytest.mark.parametrize("dataset", ["fev", "fev_grouped", "fev_us_other_df", "bcva"])
def test_columns_match_r_coefficient_names(dataset):
    """colnames(model.matrix(...)) of every R fit, in order; n_obs as R counts."""
    data = bcva_data() if dataset == "bcva" else fev_data()
    for entry in r_reference()[dataset].values():
        spec, X, mask = _design(entry["formula"], data)
        assert spec.columns == tuple(entry["coef"]["term"])
        assert int(mask.sum()) == entry["n_obs"] == X.shape[0]
        assert spec.dropped == ()


def test_column_terms_index_formula_terms():
    spec, _, _ = _design("FEV1 ~ RACE + SEX + ARMCD * AVISIT", fev_data())
    labels = spec.formula.term_labels()
    got = [labels[t] if t >= 0 else "(Intercept)" for t in spec.column_terms]
    assert got == ["(Intercept)", "RACE", "RACE", "SEX", "ARMCD", "AVISIT", "AVISIT", "AVISIT",
                   "ARMCD:AVISIT", "ARMCD:AVISIT", "ARMCD:AVISIT"]


@pytest.mark.parametrize(
    ("text", "columns"),
    [
        # R: model.matrix(y ~ a:v) -- no margins: full indicators for both (aliased one dropped)
        # R: model.matrix(y ~ v + a:v): the term is v:a (v appears first), v by full
        # indicators (its margin a is absent), a by contrasts (its margin v is present)
        ("y ~ v + a:v", ("(Intercept)", "v2", "v3", "v1:at", "v2:at", "v3:at")),
        # R: model.matrix(y ~ a + a:v): v coded by full indicators inside a:v
        ("y ~ a + a:v", ("(Intercept)", "at", "ap:v2", "at:v2", "ap:v3", "at:v3")),
        # R: model.matrix(y ~ a:v): both by full indicators, aliased ones dropped
        ("y ~ a:v", ("(Intercept)", "ap:v1", "at:v1", "ap:v2", "at:v2", "ap:v3", "at:v3")),
        # R: model.matrix(y ~ x:a) and (y ~ x + x:a)
        ("y ~ x:a", ("(Intercept)", "x:ap", "x:at")),
        ("y ~ x + x:a", ("(Intercept)", "x", "x:at")),
        # R: model.matrix(y ~ a - 1) and (y ~ 0 + a + v)
        ("y ~ a - 1", ("ap", "at")),
        ("y ~ 0 + a + v", ("ap", "at", "v2", "v3")),
        # first variable varies fastest in an interaction
        ("y ~ v * a", ("(Intercept)", "v2", "v3", "at", "v2:at", "v3:at")),
    ],
)
def test_r_coding_rules(text, columns):
    spec, X, _ = _design(text, _small())
    all_columns = tuple(c for c in columns)
    kept = tuple(c for c in all_columns if c not in spec.dropped)
    assert spec.columns == kept
    assert X.shape == (8, len(kept))


def test_levels_from_categorical_order_and_sorted_strings():
    data = _small()
    data["v"] = pd.Categorical(data["v"], categories=["3", "1", "2"])
    spec, _, _ = _design("y ~ a + v", data)
    assert spec.factors["v"] == ("3", "1", "2")
    assert spec.factors["a"] == ("p", "t")
    assert spec.columns == ("(Intercept)", "at", "v1", "v2")


def test_boolean_factor_named_like_r():
    data = _small().assign(flag=[True, False] * 4)
    spec, _, _ = _design("y ~ flag", data)
    assert is_factor(data["flag"]) and spec.columns == ("(Intercept)", "flagTRUE")


def test_unused_levels_are_dropped():
    """Levels present only in rows with a missing response do not make columns (droplevels)."""
    data = _small()
    data.loc[8] = [np.nan, "p", "9", 1.0]
    data["v"] = pd.Categorical(data["v"], categories=["1", "2", "3", "9", "0"])
    spec, _X, mask = _design("y ~ v", data)
    assert spec.factors["v"] == ("1", "2", "3")
    assert mask.tolist() == [True] * 8 + [False]


# ---------------------------------------------------------------- missing values


def test_mask_requires_response_covariates_cov_terms_and_weights():
    data = fev_data()
    data.loc[0, "FEV1"] = 40.0
    data.loc[1, "RACE"] = None
    data.loc[2, "AVISIT"] = None
    data.loc[3, "USUBJID"] = None
    data.loc[5, "WEIGHT"] = np.nan
    _spec, X, mask = _design("FEV1 ~ RACE + ARMCD + us(AVISIT | USUBJID)", data,
                            weights="WEIGHT")
    expected = data["FEV1"].notna().to_numpy().copy()
    expected[[1, 2, 3, 5]] = False
    assert mask.tolist() == expected.tolist()
    assert X.shape[0] == expected.sum()
    # the intercept-only fit keeps every row with FEV1
    _, _, mask2 = _design("FEV1 ~ 1", data)
    assert mask2.tolist() == data["FEV1"].notna().tolist()


def test_weights_as_array():
    data = _small()
    w = np.ones(8)
    w[2] = np.nan
    _, X, mask = _design("y ~ a", data, weights=w)
    assert mask.sum() == 7 and X.shape == (7, 2)


def test_numeric_means_over_used_rows():
    data = _small()
    data.loc[0, "y"] = np.nan
    spec, _, _ = _design("y ~ x + a", data)
    assert spec.numerics["x"] == pytest.approx(data["x"].iloc[1:].mean(), rel=1e-15)


def test_unknown_column_and_nonnumeric_response():
    with pytest.raises(FormulaError, match="ZZZ"):
        _design("y ~ a + ZZZ", _small())
    with pytest.raises(FormulaError, match="numeric"):
        _design("a ~ v", _small())


# ---------------------------------------------------------------- rank deficiency


def test_aliased_columns_dropped_and_recorded():
    data = _small().assign(a2=lambda d: d["a"], x2=lambda d: 2.0 * d["x"] + 1.0)
    spec, X, _ = _design("y ~ a + a2 + x + x2", data)
    assert spec.columns == ("(Intercept)", "at", "x")
    assert spec.dropped == ("a2t", "x2")
    assert np.linalg.matrix_rank(X) == X.shape[1]


def test_empty_cell_interaction_dropped():
    """No 't' at visit 3: the a:v column for that cell is all zero and dropped (R: NA coef)."""
    data = _small()
    data = data[~((data["a"] == "t") & (data["v"] == "3"))]
    spec, X, _ = _design("y ~ a * v", data)
    assert spec.dropped == ("at:v3",)
    assert np.linalg.matrix_rank(X) == X.shape[1] == 5


# ---------------------------------------------------------------- matrix(new data)


def test_matrix_reencodes_new_data_exactly():
    data = fev_data()
    spec, X, mask = _design("FEV1 ~ RACE + SEX + ARMCD * AVISIT + FEV1_BL", data)
    np.testing.assert_array_equal(spec.matrix(data[mask]), X)
    shuffled = data[mask].sample(frac=1.0, random_state=1)
    np.testing.assert_array_equal(spec.matrix(shuffled),
                                  X[np.argsort(np.argsort(shuffled.index.to_numpy()))])


def test_matrix_unknown_level_names_column_and_value():
    spec, _, _ = _design("y ~ a + v", _small())
    with pytest.raises(FormulaError, match=r"'v'.*'7'"):
        spec.matrix(pd.DataFrame({"a": ["p"], "v": ["7"]}))
    with pytest.raises(FormulaError, match="'v'"):
        spec.matrix(pd.DataFrame({"a": ["p"]}))


# ---------------------------------------------------------------- reference grids


def test_lsmeans_of_balanced_cell_means_model_are_cell_means():
    """Full factorial a*v, balanced: the LS-mean of a cell is its cell mean (OLS)."""
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"a": np.repeat(["p", "t"], 6), "v": np.tile(["1", "2", "3"], 4),
                         "y": rng.normal(size=12)})
    spec, X, _ = _design("y ~ a * v", data)
    beta = np.linalg.lstsq(X, data["y"].to_numpy(), rcond=None)[0]
    grid, L = spec.reference_grid("a", by="v")
    cell = data.groupby(["a", "v"])["y"].mean()
    expected = [cell[(a, v)] for a, v in zip(grid["a"], grid["v"], strict=True)]
    np.testing.assert_allclose(L @ beta, expected, rtol=1e-12)
    # marginal LS-means weight the levels of v equally
    grid_a, L_a = spec.reference_grid("a")
    np.testing.assert_allclose(L_a @ beta, data.groupby("a")["y"].mean(), rtol=1e-12)
    assert grid_a["a"].tolist() == ["p", "t"]


def test_reference_grid_order_and_weights():
    spec, _, _ = _design("y ~ x + a * v", _small())
    grid, L = spec.reference_grid(["a"], by=["v"])
    assert list(zip(grid["a"], grid["v"], strict=True)) == [
        ("p", "1"), ("t", "1"), ("p", "2"), ("t", "2"), ("p", "3"), ("t", "3")]
    assert isinstance(grid["v"].dtype, pd.CategoricalDtype)
    xbar = _small()["x"].mean()
    # columns: (Intercept) x at v2 v3 at:v2 at:v3 ; row ('t', '2')
    np.testing.assert_allclose(L[3], [1, xbar, 1, 1, 0, 1, 0])
    _grid2, L2 = spec.reference_grid("v")
    np.testing.assert_allclose(L2[2], [1, xbar, 0.5, 0, 1, 0, 0.5])


@pytest.mark.parametrize("dataset", ["fev", "bcva"])
def test_reference_grid_reproduces_emmeans(dataset):
    """L @ beta_R equals emmeans(fit, ~ ARMCD | AVISIT) to relative 1e-12 for every fit."""
    data = bcva_data() if dataset == "bcva" else fev_data()
    for entry in r_reference()[dataset].values():
        spec, _, _ = _design(entry["formula"], data)
        grid, L = spec.reference_grid("ARMCD", by="AVISIT")
        expected = pd.DataFrame(entry["lsmeans"])
        assert grid["ARMCD"].astype(str).tolist() == expected["ARMCD"].tolist()
        assert grid["AVISIT"].astype(str).tolist() == expected["AVISIT"].tolist()
        np.testing.assert_allclose(L @ np.array(entry["coef"]["estimate"]),
                                   expected["emmean"], rtol=1e-12)


def test_reference_grid_rejects_non_factors():
    spec, _, _ = _design("y ~ x + a", _small())
    with pytest.raises(FormulaError, match="'x'"):
        spec.reference_grid("x")
    with pytest.raises(FormulaError, match="'v'"):
        spec.reference_grid("v")


# ---------------------------------------------------------------- type III


def test_type3_ranks_and_keys():
    spec, _, _ = _design("BCVA_CHG ~ BCVA_BL + ARMCD * AVISIT + RACE", bcva_data())
    L = spec.term_contrasts()
    assert list(L) == ["BCVA_BL", "ARMCD", "AVISIT", "RACE", "ARMCD:AVISIT"]
    ranks = {k: (v.shape[0], np.linalg.matrix_rank(v)) for k, v in L.items()}
    assert ranks == {"BCVA_BL": (1, 1), "ARMCD": (1, 1), "AVISIT": (9, 9), "RACE": (2, 2),
                     "ARMCD:AVISIT": (9, 9)}
    assert all(v.shape[1] == len(spec.columns) for v in L.values())


def test_type3_main_effect_is_equality_of_lsmeans():
    """SAS type III for ARMCD = LS-mean(TRT) - LS-mean(PBO) averaged over visits."""
    spec, _, _ = _design("FEV1 ~ RACE + SEX + ARMCD * AVISIT", fev_data())
    _, L_ls = spec.reference_grid("ARMCD")
    np.testing.assert_allclose(spec.term_contrasts()["ARMCD"], (L_ls[1] - L_ls[0])[None, :],
                               atol=1e-15)
    L_int = spec.term_contrasts()["ARMCD:AVISIT"]
    # interaction contrasts only load on the interaction columns
    inter = [j for j, c in enumerate(spec.columns) if ":" in c]
    assert np.all(L_int[:, [j for j in range(len(spec.columns)) if j not in inter]] == 0)
    assert np.linalg.matrix_rank(L_int[:, inter]) == 3


def test_type3_covariate_slope_and_rank_deficient_design():
    data = _small().assign(a2=lambda d: d["a"])
    spec, _, _ = _design("y ~ x + a + a2", data)
    L = spec.term_contrasts()
    np.testing.assert_array_equal(L["x"], [[0, 1, 0]])
    assert L["a2"].shape[0] == 0  # fully aliased term: nothing left to test
    assert L["a"].shape == (1, 3)


def test_spec_is_frozen():
    spec, _, _ = _design("y ~ a", _small())
    with pytest.raises(AttributeError):
        spec.columns = ()
    with pytest.raises(TypeError):
        spec.factors["a"] = ("z",)


# ---------------------------------------------------------------- codes, covariance factors


def test_codes_and_covariance_factors():
    data = _small().assign(
        visitn=[1, 1, 2, 2, 3, 3, 1, 2], subj=list("ABCDABCD"), grp=["g2", "g1"] * 4)
    data.loc[3, "subj"] = None
    spec, _, mask = _design("y ~ a + us(visitn | grp / subj) + (1 | subj)", data)
    assert mask.tolist() == [True, True, True, False, True, True, True, True]
    # the visit factor of the covariance term and its group are factors of the design,
    # the subject is not; a numeric visit column gets its sorted values as levels
    assert spec.factors["visitn"] == ("1", "2", "3")
    assert spec.factors["grp"] == ("g1", "g2")
    assert "subj" not in spec.factors
    assert spec.codes(data, "visitn").tolist() == [0, 0, 1, 1, 2, 2, 0, 1]
    assert spec.codes(data.assign(grp=[None] + ["g2"] * 7), "grp").tolist() == [-1] + [1] * 7
    with pytest.raises(FormulaError, match="'grp', row 0: level 'g3'"):
        spec.codes(data.assign(grp="g3"), "grp")
    with pytest.raises(FormulaError, match="not a factor"):
        spec.codes(data, "subj")


def test_spatial_coordinates_are_not_factors():
    data = _small().assign(subj=list("ABCDABCD"))
    spec, _, _ = _design("y ~ a + sp_exp(x | subj)", data)
    assert "x" not in spec.factors and spec.columns == ("(Intercept)", "at")


def test_is_factor_by_dtype():
    assert is_factor(pd.Series(pd.Categorical([1, 2])))
    assert is_factor(pd.Series([True, False]))
    assert is_factor(pd.Series(["a", None], dtype=object))
    assert not is_factor(pd.Series([1, 2]))
