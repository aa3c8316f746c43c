"""Least squares on the package's design (ldn_stats.models.ols).

Witness: statsmodels OLS (``smf.ols``) on the same data, whose numbers equal R's
``lm`` (and emmeans for the LS-means: equal weights over factor levels, numeric
covariates at their mean); tolerance 1e-10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from ldn_stats.errors import FormulaError, ModelError, SingularDesignError
from ldn_stats.models.ols import ols
from ldn_stats.vocabulary import INFERENCE


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 60
    d = pd.DataFrame({"ARM": rng.choice(["PBO", "LDN", "HI"], n), "SITE": rng.choice(["a", "b"], n),
                      "BASE": rng.normal(6, 1, n)})
    d["Y"] = (0.4 * d["BASE"] - 0.7 * (d["ARM"] == "LDN") - 0.2 * (d["SITE"] == "b")
              + rng.normal(0, 1, n))
    d.loc[3, "Y"] = np.nan
    d["ARM"] = pd.Categorical(d["ARM"], ["PBO", "LDN", "HI"])
    return d


def test_coefficients_equal_statsmodels(data):
    fit = ols("Y ~ BASE + SITE + ARM", data)
    ref = smf.ols("Y ~ BASE + SITE + ARM", data).fit()
    assert fit.coef.columns.tolist() == list(INFERENCE)
    names = {"(Intercept)": "Intercept", "BASE": "BASE", "SITEb": "SITE[T.b]",
             "ARMLDN": "ARM[T.LDN]", "ARMHI": "ARM[T.HI]"}
    assert sorted(fit.coef.index) == sorted(names)
    ours = fit.coef.loc[list(names)]
    theirs = list(names.values())
    np.testing.assert_allclose(ours["estimate"], ref.params[theirs], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours["std_error"], ref.bse[theirs], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours["p_value"], ref.pvalues[theirs], rtol=1e-8)
    assert fit.residual_df == ref.df_resid and fit.n_rows_dropped == 1
    assert fit.sigma2 == pytest.approx(ref.scale, rel=1e-12)


def test_lsmeans_and_pairwise_are_emmeans_ls_means(data):
    fit = ols("Y ~ BASE + SITE + ARM", data)
    ref = smf.ols("Y ~ BASE + SITE + ARM", data).fit()
    used = data.dropna(subset=["Y"])
    # LS-mean of an arm: intercept + arm effect + mean(BASE) * slope + half the SITE effect
    grid = pd.DataFrame({"ARM": pd.Categorical(["PBO", "LDN", "HI"], ["PBO", "LDN", "HI"]),
                         "BASE": used["BASE"].mean()})
    pa = ref.predict(grid.assign(SITE="a")).to_numpy()
    pb = ref.predict(grid.assign(SITE="b")).to_numpy()
    ls = fit.lsmeans("ARM")
    np.testing.assert_allclose(ls["estimate"].to_numpy(), (pa + pb) / 2, atol=1e-10)
    pw = fit.pairwise("ARM")
    assert pw["contrast"].tolist() == ["LDN - PBO", "HI - PBO", "HI - LDN"]
    assert pw["estimate"].iloc[0] == pytest.approx(ref.params["ARM[T.LDN]"], abs=1e-10)
    assert pw["std_error"].iloc[0] == pytest.approx(ref.bse["ARM[T.LDN]"], abs=1e-10)
    assert set(pw["df"]) == {ref.df_resid}


def test_type_iii_f_equals_statsmodels_anova(data):
    fit = ols("Y ~ BASE + SITE + ARM", data)
    import statsmodels.api as sm

    ref = sm.stats.anova_lm(smf.ols("Y ~ BASE + SITE + C(ARM, Sum)", data).fit(), typ=3)
    assert fit.anova().loc["ARM", "statistic"] == pytest.approx(ref.loc["C(ARM, Sum)", "F"],
                                                                rel=1e-9)


def test_glance_is_one_row():
    d = pd.DataFrame({"G": ["a", "a", "b", "b"], "Y": [1.0, 2.0, 3.0, 5.0]})
    g = ols("Y ~ G", d).glance()
    assert len(g) == 1 and g.loc[0, "df_method"] == "residual" and g.loc[0, "n_obs"] == 4


def test_errors_are_typed():
    d = pd.DataFrame({"G": ["a", "a", "b", "b"], "X": [1.0] * 4, "Y": [1.0, 2.0, 3.0, 5.0],
                      "ID": list("1234"), "V": list("1111")})
    with pytest.raises(FormulaError, match="fixed effects only"):
        ols("Y ~ G + us(V | ID)", d)
    with pytest.raises(ModelError, match="no residual degrees of freedom"):
        ols("Y ~ G", d.iloc[1:3])
    with pytest.raises(FormulaError):
        ols("Y ~ NOPE", d)
    assert issubclass(SingularDesignError, ModelError)
