"""Subgroup ANCOVAs for the forest plot (moved from tests/report/test_fit.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf

from ldn_stats.models.subgroups import subgroup_effects


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
    # witness: statsmodels OLS CHG ~ BASE + C(TRT01P, Treatment("PBO")) on all subjects;
    # tolerance 1e-10
    ref = smf.ols('CHG ~ BASE + C(TRT01P, Treatment("PBO"))', d).fit()
    term = 'C(TRT01P, Treatment("PBO"))[T.LDN]'
    row = s.iloc[0]
    assert row["contrast"] == "LDN - PBO"
    assert abs(row["estimate"] - ref.params[term]) < 1e-10
    assert abs(row["std_error"] - ref.bse[term]) < 1e-10
