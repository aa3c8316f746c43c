"""``xo.summary()``: the crossover listing holds the result's numbers and prints them.

Witness: R lme4/lmerTest (``tests/reference/crossover/crossover_reference.json``,
case ``xo2x2``, ``lmer(AVAL ~ TRTSEQP + APERIOD + TRTA + (1 | USUBJID))``, KR df):
the listing's fixed-effect solution, variance components and type 3 tests equal
R's to relative 1e-6 (df absolute 1e-4), the tolerance of test_reference.py; every
other section equals the result table it shows, exactly (numbers stay numbers).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ldn_stats.models.crossover import crossover
from support import REFERENCE

REF = json.loads((REFERENCE / "crossover" / "crossover_reference.json").read_text())["xo2x2"]


@pytest.fixture(scope="module")
def xo():
    data = pd.read_csv(REFERENCE / "crossover" / "xo2x2.csv", dtype={"USUBJID": str})
    return crossover(data, reference="LDN", df_method="kenward-roger")


def test_listing_sections_hold_the_result_numbers(xo):
    s = xo.summary()
    assert s.titles[:6] == ["Crossover Design", "Variance Components", "Least Squares Means",
                            "Treatment Differences", "Period Effects", "Carryover"]
    assert {"Hills-Armitage (Period-Adjusted t-Test)", "Fit Statistics",
            "Solution for Fixed Effects", "Type 3 Tests of Fixed Effects"} <= set(s.titles)
    diff = s["Treatment Differences"]
    np.testing.assert_array_equal(diff["Estimate"], xo.effects["estimate"])
    np.testing.assert_array_equal(diff["Pr > |t|"], xo.effects["p_value"])
    assert diff["Estimate"].dtype == float
    np.testing.assert_array_equal(s["Least Squares Means"]["Lower"], xo.lsmeans["conf_low"])
    vc = s["Variance Components"].set_index("Component")["Estimate"]
    assert vc["intra-class correlation"] == xo.icc
    text = str(s)
    assert f"{xo.effects['estimate'].iloc[0]:.4f}" in text
    assert xo._repr_html_().count("<table") == len(s.titles)


def test_listing_mixed_model_sections_match_r(xo):
    s = xo.summary()
    sol = s["Solution for Fixed Effects"].set_index("Effect")
    coef = REF["coef"]
    np.testing.assert_allclose(sol.loc[coef["term"], "Estimate"], coef["estimate"], rtol=1e-6)
    np.testing.assert_allclose(sol.loc[coef["term"], "Standard Error"], coef["std_error_kr"],
                               rtol=1e-6)
    np.testing.assert_allclose(sol.loc[coef["term"], "DF"], coef["df_kenward_roger"],
                               atol=1e-4)
    vc = s["Variance Components"].set_index("Component")["Estimate"]
    np.testing.assert_allclose([vc["between-subject"], vc["within-subject"]],
                               REF["variance_components"]["vcov"], rtol=1e-6)
    t3 = s["Type 3 Tests of Fixed Effects"].set_index("Effect")
    an = REF["anova_kenward_roger"]
    np.testing.assert_allclose(t3.loc[an["term"], "F Value"], an["F value"], rtol=1e-6)
    np.testing.assert_allclose(t3.loc[an["term"], "Den DF"], an["DenDF"], atol=1e-4)
    fit_stats = s["Fit Statistics"].set_index("Statistic")["Value"]
    assert fit_stats["-2 Res Log Likelihood"] == pytest.approx(-2 * REF["reml_loglik"],
                                                               rel=1e-6)
