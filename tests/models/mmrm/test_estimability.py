"""Estimability of LS-means, contrasts and type III tests (issue 11, item 1).

Witnesses: SAS PROC MIXED prints "Non-est" and emmeans gives NA for an LS-mean
or difference that loads on the design's null space; estimable functions are
invariant to the parameterisation, so they must equal (to 1e-8, optimizer
tolerance) the same quantity from a full-rank model spanning the same column
space.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mmrm
from ldn_stats.errors import ModelError
from ldn_stats.models.mmrm.design import build_design
from ldn_stats.models.mmrm.formula import parse_formula

VISITS = ["V0", "V1", "V2"]


def _trial(seed: int = 11, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"ID": np.repeat(np.arange(n), 3), "V": np.tile(VISITS, n),
                      "ARM": np.repeat(np.where(np.arange(n) % 2, "TRT", "PBO"), 3)})
    d["DOSE"] = np.where(d["ARM"] == "TRT", 4.5, 0.0)  # collinear with the arm
    d["Y"] = (rng.normal(size=len(d)) + 0.7 * (d["ARM"] == "TRT")
              + np.repeat(rng.normal(size=n), 3))
    return d


@pytest.fixture(scope="module")
def collinear():
    d = _trial()
    return mmrm("Y ~ DOSE + ARM * V + us(V | ID)", d), mmrm("Y ~ ARM * V + us(V | ID)", d)


def test_collinear_covariate_makes_arm_effects_non_estimable(collinear):
    fit, _ = collinear
    assert fit.spec.dropped == ("ARMTRT",)
    assert fit.spec.aliases == {"ARMTRT": "0.2222 DOSE"}
    pw = fit.pairwise("ARM", by="V")
    assert not pw["estimable"].any()
    assert pw[["estimate", "std_error", "df", "p_value", "conf_low"]].isna().all().all()
    assert set(pw["aliased"]) == {"ARMTRT"}  # named in the result
    ls = fit.lsmeans("ARM", by="V")
    assert not ls["estimable"].any() and ls["estimate"].isna().all()
    tab = fit.anova()
    assert not tab.loc["ARM", "estimable"] and np.isnan(tab.loc["ARM", "statistic"])
    assert tab.loc["ARM", "aliased"] == "ARMTRT"
    assert not tab.loc["DOSE", "estimable"]


def test_estimable_parts_equal_the_full_rank_model(collinear):
    fit, ref = collinear
    tab, want = fit.anova(), ref.anova()
    for term in ("V", "ARM:V"):  # same column space: identical tests
        assert tab.loc[term, "estimable"]
        np.testing.assert_allclose(tab.loc[term, ["num_df", "den_df", "statistic"]].to_numpy(
            float), want.loc[term, ["num_df", "den_df", "statistic"]].to_numpy(float),
            rtol=1e-6)
    # the interaction contrast (change of the arm difference from V0 to V1) is estimable
    L = pd.DataFrame([{"ARMTRT:VV1": 1.0}])
    got = fit.contrast(L)
    assert got["estimable"].all()
    np.testing.assert_allclose(got["estimate"], ref.contrast(L)["estimate"], rtol=1e-6)
    assert ref.pairwise("ARM", by="V")["estimable"].all()


def test_joint_test_of_a_non_estimable_contrast_has_no_number(collinear):
    fit, _ = collinear
    L = pd.DataFrame([{"DOSE": 1.0}, {"ARMTRT:VV1": 1.0}])
    with pytest.raises(ModelError, match="expected a finite number, found nan"):
        fit.contrast(L)
    rows, joint = fit.contrast(L.fillna(0.0), joint=True)
    assert rows["estimable"].tolist() == [False, True]
    assert np.isnan(rows["estimate"].iloc[0]) and np.isfinite(rows["estimate"].iloc[1])
    assert np.isnan(joint["statistic"].iloc[0]) and np.isnan(joint["p_value"].iloc[0])


def test_empty_cell_only_its_own_lsmeans_are_non_estimable():
    d = _trial(seed=5)
    d = d[~((d["ARM"] == "TRT") & (d["V"] == "V2"))].reset_index(drop=True)
    fit = mmrm("Y ~ ARM * V + us(V | ID)", d)
    assert fit.spec.dropped == ("ARMTRT:VV2",)
    ls = fit.lsmeans("ARM", by="V").set_index(["ARM", "V"])
    assert not ls.loc[("TRT", "V2"), "estimable"]
    assert ls.drop(("TRT", "V2"))["estimable"].all()
    pw = fit.pairwise("ARM", by="V").set_index("V")
    assert pw["estimable"].tolist() == [True, True, False]
    assert np.isnan(pw.loc["V2", "estimate"]) and pw.loc["V2", "aliased"] == "ARMTRT:VV2"
    # witness: the same cells from a one-way cell-means model (full rank, same column space)
    d["CELL"] = d["ARM"] + "_" + d["V"]
    ref = mmrm("Y ~ CELL + us(V | ID)", d).lsmeans("CELL").set_index("CELL")
    for (arm, visit), row in ls.drop(("TRT", "V2")).iterrows():
        np.testing.assert_allclose(row["estimate"], ref.loc[f"{arm}_{visit}", "estimate"],
                                   rtol=1e-6)
    # a marginal LS-mean over visits needs the empty cell: non-estimable
    marginal = fit.lsmeans("ARM").set_index("ARM")
    assert marginal["estimable"].tolist() == [True, False]


def test_full_rank_design_is_all_estimable():
    d = pd.DataFrame({"y": [1.0, 2, 3, 5, 4, 4], "a": ["p", "t"] * 3,
                      "v": ["1", "1", "2", "2", "3", "3"]})
    spec = build_design(parse_formula("y ~ a * v"), d)[0]
    _, L = spec.reference_grid("a", by="v", full=True)
    ok, aliased = spec.estimability(L)
    assert ok.all() and aliased == [""] * len(L)


def test_listing_prints_no_number_for_a_non_estimable_difference():
    # witness: SAS prints "Non-est" / "." for such a difference (emmeans NA); the listing
    # must agree with pairwise(), which finds it non-estimable (DOSE is collinear with G)
    import numpy as np
    import pandas as pd

    from ldn_stats import mmrm

    rng = np.random.default_rng(1)
    n = 30
    d = pd.DataFrame({"ID": np.repeat(np.arange(n), 2), "V": np.tile(["a", "b"], n),
                      "G": np.repeat(["p", "t"] * (n // 2), 2)})
    d["DOSE"] = np.where(d["G"] == "t", 4.5, 0.0)
    d["Y"] = rng.normal(size=2 * n) + (d["G"] == "t")
    fit = mmrm("Y ~ DOSE + G + V + cs(V | ID)", d)
    assert not fit.pairwise("G")["estimable"].any()
    diff = fit.summary()["Differences of Least Squares Means"]
    table = diff.table if hasattr(diff, "table") else diff
    g = table[table["Effect"] == "G"]
    assert len(g) == 1 and g[["Estimate", "Standard Error", "Lower", "Upper"]].isna().all().all()
