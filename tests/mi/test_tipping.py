"""Tipping-point grid, delta templates and the heatmap.

Witnesses: rbmi 1.5.2's JR + delta references (``condmean_jackknife_delta``: +1, +3, +5
on the drug arm's imputed values; 1e-4 relative, as the parity tests) and the worked
examples of rbmi's ``delta_template`` documentation (exact).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mi
from ldn_stats.figures import save_figure
from ldn_stats.mi.tipping import P_BINS
from support.mi_data import FORMULA, REFERENCES, antidepressant, ice, joined, reference


@pytest.fixture(scope="module")
def jr_imputations():
    return mi.draws(antidepressant(), FORMULA, group="THERAPY", ice=ice("JR"),
                    workers=0).impute(REFERENCES)


def test_grid_reproduces_rbmi_delta_runs_and_finds_the_tipping_point(jr_imputations):
    tp = jr_imputations.tipping_point({"DRUG": [5.0, 0.0, 1.0, 3.0]}, covariates=["BASVAL"])
    for k in (1, 3, 5):
        rows = [r for r in reference()["condmean_jackknife_delta"][f"JR_drug_plus_{k}"]
                if r["parameter"] == "trt_7"]
        cell = tp.table[tp.table["delta_DRUG"] == k].drop(columns="delta_DRUG")
        j = joined(cell, rows)
        np.testing.assert_allclose(j[["estimate", "std_error"]].to_numpy(),
                                   j[["est", "se"]].to_numpy(), rtol=1e-4)
    # rbmi: p 0.0303 at +1, 0.1197 at +3: the smallest delta with p >= 0.05 is 3
    assert tp.tipping_point == 3.0
    assert tp.table["delta_DRUG"].tolist() == [5.0, 0.0, 1.0, 3.0]


def test_two_arm_grid_and_no_tipping_point(jr_imputations):
    tp = jr_imputations.tipping_point({"DRUG": [0.0, 0.5], "PLACEBO": [0.0, -1.0, 2.0]},
                                      covariates=["BASVAL"])
    assert len(tp.table) == 6 and tp.tipping_points.shape == (3, 2)
    assert tp.tipping_points["tipping_delta"].isna().sum() >= 1
    # a placebo delta moves trt = PLACEBO - DRUG in its own direction
    t = tp.table.set_index(["delta_DRUG", "delta_PLACEBO"])["estimate"]
    assert t[(0.0, 2.0)] > t[(0.0, 0.0)] > t[(0.0, -1.0)]


def test_heatmap_bins_and_reproducible_bytes(jr_imputations):
    tp = jr_imputations.tipping_point({"DRUG": [0.0, 1.0, 3.0, 5.0]}, covariates=["BASVAL"])
    fig = mi.tipping_point_figure(tp)
    im = fig.axes[0].images[0]
    p = tp.table["p_value"].to_numpy()
    expected_bin = np.digitize(p, P_BINS[1:-1])
    got_bin = np.digitize(im.get_array().ravel(), P_BINS[1:-1])
    assert got_bin.tolist() == expected_bin.tolist() == [2, 2, 3, 4]  # p .013 .030 .12 .33
    a = save_figure(fig, ("svg",))["svg"]
    b = save_figure(mi.tipping_point_figure(tp), ("svg",))["svg"]
    assert a == b


def _tiny():
    # 2 arms x 3 subjects, 4 visits; subject s1 has its ICE at visit 2 and no data after
    rng = np.random.default_rng(0)
    d = pd.DataFrame({"S": np.repeat([f"s{i}" for i in range(8)], 4),
                      "V": np.tile([1, 2, 3, 4], 8),
                      "A": np.repeat(["a", "b"] * 4, 4)})
    d["Y"] = rng.normal(size=32) + np.repeat(rng.normal(size=8), 4)
    d = d[~((d.S == "s1") & (d.V >= 2)) & ~((d.S == "s2") & (d.V == 4))]
    ice_t = pd.DataFrame({"S": ["s1", "s2"], "V": [2, 4], "strategy": ["JR", "CR"]})
    return mi.draws(d, "Y ~ A + V + cs(V | S)", "A", ice=ice_t, workers=0).impute(
        {"a": "a", "b": "a"})


def test_delta_template_dlag_as_rbmi_documents():
    imp = _tiny()
    t = imp.delta_template(delta=[5, 6, 7, 8], dlag=[1, 2, 3, 4])
    # rbmi docs: ICE at visit 2 -> 0, 6, 20, 44
    assert t[t.S == "s1"]["delta"].tolist() == [0, 6, 20, 44]
    # ICE at visit 4 -> 0, 0, 0, 8 (its only post-ICE visit, first lag)
    assert t[t.S == "s2"]["delta"].tolist() == [0, 0, 0, 8]
    assert (t[~t.S.isin(["s1", "s2"])]["delta"] == 0).all()
    # delta 5 at every post-ICE visit: dlag 1, 0, 0, 0
    t2 = imp.delta_template(delta=[5, 5, 5, 5], dlag=[1, 0, 0, 0])
    assert t2[t2.S == "s1"]["delta"].tolist() == [0, 5, 5, 5]
    assert t2.columns.tolist() == ["S", "V", "A", "is_mar", "is_missing", "is_post_ice",
                                   "strategy", "delta"]
    per_arm = imp.delta_template(delta={"b": [1, 1, 1, 1]})  # s1 is in arm b, s2 in arm a
    assert per_arm[per_arm.S == "s1"]["delta"].tolist() == [0, 1, 1, 1]
    assert (per_arm[per_arm.S == "s2"]["delta"] == 0).all()


def test_delta_is_applied_to_imputed_values_only():
    imp = _tiny()
    base = imp.analyse("ancova").per_dataset()
    every = imp.delta_template().assign(delta=10.0)
    shifted = imp.analyse("ancova", delta=every).per_dataset()
    moved = (shifted["estimate"] - base["estimate"]).abs() > 1e-9
    visits = set(shifted.loc[moved, "V"])
    assert visits <= {2, 3, 4} and 1 not in visits  # visit 1 has nothing imputed
    with pytest.raises(mi.core.DataError, match="delta table, column 'S', row 1"):
        imp.analyse("ancova", delta=pd.DataFrame({"S": ["zz"], "V": [1], "delta": [1.0]}))
