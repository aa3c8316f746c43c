"""Collecting MMRM and crossover results of the documented shape (fake result objects)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from ldn_stats.report.fit import from_crossover_result, from_mmrm_result, subgroup_effects

STATS = ["estimate", "std_error", "df", "statistic", "p_value", "conf_low", "conf_high"]


@dataclass(frozen=True)
class FakeMMRM:
    """Issue 3's MMRMResult shape: lsmeans/pairwise DataFrames, covariance, convergence."""

    covariance: pd.DataFrame
    converged: bool = True
    n_obs: int = 40
    n_subjects: int = 20
    loglik: float = -50.5
    aic: float = 111.0
    bic: float = 112.5
    reml: bool = True

    def lsmeans(self, specs, by=None):
        assert (specs, by) == ("TRT01P", "AVISIT")
        rows = [(v, a, e) for v, a, e in [("W1", "PBO", -0.5), ("W1", "LDN", -0.7),
                                          ("W2", "PBO", -0.9), ("W2", "LDN", -1.4)]]
        d = pd.DataFrame(rows, columns=["AVISIT", "TRT01P", "estimate"])
        for c in STATS[1:]:
            d[c] = 1.0
        return d

    def pairwise(self, specs, by=None):
        # levels in the order (LDN, PBO): the engine labels "PBO - LDN"
        d = pd.DataFrame({"contrast": ["PBO - LDN"] * 2,
                          "AVISIT": pd.Categorical(["W1", "W2"], ["W1", "W2"], ordered=True),
                          "estimate": [0.2, 0.5], "std_error": [0.3, 0.3], "df": [17.2, 17.9],
                          "statistic": [0.667, 1.667], "p_value": [0.51, 0.11],
                          "conf_low": [-0.43, -0.13], "conf_high": [0.83, 1.13]})
        return d

    def residuals(self):
        return pd.Series([0.1, -0.1])

    def predict(self):
        return pd.Series([1.0, 2.0])


def test_mmrm_result_differences_point_treatment_minus_reference():
    cov = pd.DataFrame([[1.0, 0.5], [0.5, 2.0]], index=["W1", "W2"], columns=["W1", "W2"])
    r = from_mmrm_result(FakeMMRM(cov), formula="CHG ~ ...", arm="TRT01P", visit="AVISIT",
                         reference="PBO", df_method="kenward-roger")
    assert r.differences["contrast"].tolist() == ["LDN - PBO"] * 2
    assert r.differences["estimate"].tolist() == [-0.2, -0.5]
    assert r.differences["statistic"].tolist() == [-0.667, -1.667]
    assert r.differences[["conf_low", "conf_high"]].to_numpy().tolist() == [[-0.83, 0.43],
                                                                           [-1.13, 0.13]]
    assert r.differences["visit"].tolist() == ["W1", "W2"]
    assert r.lsmeans.columns.tolist() == ["visit", "group", *STATS]
    details = dict(r.details)
    assert details["Converged"] == "yes" and details["Degrees of freedom"] == "kenward-roger"
    assert details["Covariance W2, W1"] == 0.5
    assert r.covariance is not None and r.residuals.tolist() == [0.1, -0.1]


@dataclass(frozen=True)
class FakeCrossover:
    """Issue 4's CrossoverResult shape."""

    effects: pd.DataFrame
    lsmeans: pd.DataFrame
    period_effects: pd.DataFrame
    variance_components: pd.DataFrame
    icc: float
    carryover: pd.DataFrame
    n_obs: int = 58
    n_subjects: int = 31


def test_crossover_result_collects_effects_variances_and_icc():
    row = dict(zip(STATS, [-13.5, 6.3, 27.6, -2.15, 0.04, -26.3, -0.7], strict=True))
    fake = FakeCrossover(
        effects=pd.DataFrame([{"contrast": "LDN - PBO", **row}]),
        lsmeans=pd.DataFrame({"TRTA": ["PBO", "LDN"], **{c: [1.0, 2.0] for c in STATS}}),
        period_effects=pd.DataFrame([{"contrast": "2 - 1", **row}]),
        variance_components=pd.DataFrame({"component": ["between-subject", "within-subject"],
                                          "estimate": [265.5, 565.2]}),
        icc=265.5 / (265.5 + 565.2),
        carryover=pd.DataFrame([{"contrast": "LDN-PBO - PBO-LDN", **row}]))
    r = from_crossover_result(fake, treatment="TRTA", reference="PBO",
                              df_method="kenward-roger", description="PCHG ~ ...")
    assert r.differences.iloc[0]["estimate"] == -13.5
    assert r.lsmeans["group"].tolist() == ["PBO", "LDN"]
    d = dict(r.details)
    assert d["Variance: between-subject"] == 265.5
    assert d["Intra-class correlation"] == pytest.approx(0.3196, abs=1e-4)
    assert d["Subjects"] == 31
    assert len(r.extra["carryover"]) == 1 and len(r.extra["period_effects"]) == 1


def test_subgroups_skip_small_groups_and_split_at_medians():
    rng = np.random.default_rng(2)
    n = 40
    d = pd.DataFrame({"TRT01P": ["LDN", "PBO"] * (n // 2), "AGE": np.arange(n) + 30,
                      "SITEID": ["01"] * 36 + ["02"] * 4, "BASE": rng.normal(6, 1, n)})
    d["CHG"] = rng.normal(-1, 1, n)
    s = subgroup_effects(d, arm="TRT01P", reference="PBO")
    labels = list(zip(s["subgroup"], s["level"], strict=True))
    assert labels[0] == ("All subjects", "")
    assert ("Site", "02") not in labels  # 2 subjects per arm < 3
    assert ("Age", "< 49.5") in labels and ("Age", ">= 49.5") in labels
    assert s["n"].iloc[0] == n
