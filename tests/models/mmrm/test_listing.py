"""``fit.summary()`` beside a real PROC MIXED listing: the same numbers at printed precision.

Witness: ``tests/reference/sas/sas_log_reml.txt`` (PROC MIXED, fev_data, MODEL
FEV1 = RACE SEX ARMCD AVISIT ARMCD*AVISIT / DDFM=SATTERTHWAITE, REPEATED AVISIT /
TYPE=UN SUBJECT=USUBJID, REML, LSMEANS ARMCD*AVISIT / DIFF CL), read with
``support.sas_listing``. Tolerance (the rule of test_parity_sas.py): each number
as our listing prints it is within half a unit of its last printed digit plus half
a unit of SAS's, plus 1e-3 relative to SAS's value (SAS's Newton-Raphson stops at
a relative criterion of 1e-8; estimates and limits: 1e-3 of the larger of the value
and its standard error, so near-zero estimates are not held to their own size;
covariance elements: 1e-3 of the largest element);
``<.0001`` on both sides compare equal. -2 REML log-likelihood: SAS's iteration
history prints 8 decimals; tolerance 1e-5.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mmrm
from ldn_stats.models.listing import Listing, Section, format_cell
from support.reference_data import SAS_DIR, fev_data
from support.sas_listing import Listing as SasListing
from support.sas_listing import half_unit, to_float

SAS_REL = 1e-3
SAS_LEVELS = {  # Class Level Information of the listing; GLM takes the last as reference
    "RACE": ["Black or African American", "White", "Asian"],
    "AVISIT": ["VIS2", "VIS3", "VIS4", "VIS1"],
    "SEX": ["Female", "Male"],
    "ARMCD": ["TRT", "PBO"],
}


@pytest.fixture(scope="module")
def pair():
    levels = {k: [v[-1], *v[:-1]] for k, v in SAS_LEVELS.items()}  # SAS reference first
    fit = mmrm("FEV1 ~ ARMCD * AVISIT + RACE + SEX + us(AVISIT | USUBJID)",
               fev_data(**levels), reml=True, df_method="satterthwaite")
    return fit.summary(lsmeans="AVISIT*ARMCD"), SasListing(SAS_DIR / "sas_log_reml.txt")


def _printed(section: Section, row: int, col: str) -> str:
    j = list(section.table.columns).index(col)
    return section.cells()[row][j]


def _section(listing: Listing, title: str) -> Section:
    return next(s for s in listing.sections if s.title == title)


def _agree(ours: str, sas: str, scale: float | str | None = None) -> bool:
    if sas.startswith("<") or ours.startswith("<"):
        return ours == sas
    o, s = float(ours), to_float(sas)
    slack = SAS_REL * max(abs(s), 0.0 if scale is None else abs(float(scale)))
    return abs(o - s) <= half_unit(ours) + half_unit(sas) + slack


def test_summary_is_numeric_and_prints_every_proc_mixed_section(pair):
    ours, _ = pair
    assert ours.titles == [
        "Model Information", "Class Level Information", "Dimensions", "Number of Observations",
        "Iteration History", "Covariance Parameter Estimates", "Estimated R Matrix",
        "Fit Statistics", "Solution for Fixed Effects", "Type 3 Tests of Fixed Effects",
        "Least Squares Means", "Differences of Least Squares Means"]
    sol = ours["Solution for Fixed Effects"]
    assert sol["Estimate"].dtype == float and sol["Pr > |t|"].dtype == float
    text = str(ours)
    assert "Convergence criteria met." in text and "Unstructured" in text
    html = ours._repr_html_()
    assert html.count("<table") == len(ours.titles) and "<caption>Fit Statistics" in html


def test_model_information_and_observations_match(pair):
    ours, sas = pair
    info = dict(ours["Model Information"].itertuples(index=False))
    want = sas.key_values("Model Information")
    for key in ("Dependent Variable", "Covariance Structure", "Subject Effect",
                "Estimation Method", "Fixed Effects SE Method", "Degrees of Freedom Method"):
        assert info[key] == want[key], key
    n_ours = dict(ours["Number of Observations"].itertuples(index=False))
    n_sas = sas.key_values("Number of Observations")
    for key, value in n_sas.items():
        assert n_ours[key] == int(value), key
    dims = dict(ours["Dimensions"].itertuples(index=False))
    assert dims["Covariance Parameters"] == int(sas.key_values("Dimensions")[
        "Covariance Parameters"])


def test_fit_statistics_agree(pair):
    ours, sas = pair
    hist = sas.table("Iteration History")
    it = ours["Iteration History"]
    accepted = it[it["Converged"]].iloc[-1]
    assert accepted["-2 Res Log Like"] == pytest.approx(
        float(hist[-1]["-2 Res Log Like"]), abs=1e-5)
    sec = _section(ours, "Fit Statistics")
    printed = {r[0]: r[1] for r in sec.cells()}
    want = sas.key_values("Fit Statistics")
    for key in ("-2 Res Log Likelihood", "AIC (Smaller is Better)", "AICC (Smaller is Better)"):
        assert printed[key] == want[key], key
    # BIC: SAS counts every subject read (200), R mmrm and we the 197 with data
    m2ll = float(hist[-1]["-2 Res Log Like"])
    assert format_cell(m2ll + 10 * math.log(200), 1) == want["BIC (Smaller is Better)"]
    assert printed["BIC (Smaller is Better)"] == format_cell(m2ll + 10 * math.log(197), 1)


def test_covariance_parameters_agree(pair):
    ours, sas = pair
    r = ours["Estimated R Matrix"].set_index("Row")
    sas_rows = sas.table("Covariance Parameter Estimates")
    scale = max(abs(to_float(x["Estimate"])) for x in sas_rows)
    visits = SAS_LEVELS["AVISIT"]  # SAS's UN(i,j) index the levels in its class order
    sec = _section(ours, "Estimated R Matrix")
    for x in sas_rows:
        i, j = (int(k) - 1 for k in x["Cov Parm"][3:-1].split(","))
        row = list(r.index).index(visits[i])
        assert _agree(_printed(sec, row, visits[j]), x["Estimate"], scale), x["Cov Parm"]


def _our_term(row: dict[str, str]) -> str | None:
    effect = row["Effect"]
    if effect == "Intercept":
        return "(Intercept)"
    names = effect.split("*")
    if set(names) == {"AVISIT", "ARMCD"}:
        return f"ARMCD{row['ARMCD']}:AVISIT{row['AVISIT']}"
    return f"{effect}{row[effect]}"


def test_solution_for_fixed_effects_agrees(pair):
    ours, sas = pair
    sec = _section(ours, "Solution for Fixed Effects")
    index = {e: i for i, e in enumerate(sec.table["Effect"])}
    checked = 0
    for row in sas.table("Solution for Fixed Effects"):
        if row["Standard Error"] == ".":  # SAS's zero row of an aliased reference level
            continue
        i = index[_our_term(row)]
        for col in ("Estimate", "Standard Error", "DF", "t Value", "Pr > |t|"):
            se = row["Standard Error"] if col == "Estimate" else None
            assert _agree(_printed(sec, i, col), row[col], se), (row["Effect"], col)
            checked += 1
    assert checked == 5 * len(sec.table)


def test_type3_tests_agree(pair):
    ours, sas = pair
    sec = _section(ours, "Type 3 Tests of Fixed Effects")
    index = {frozenset(e.split("*")): i for i, e in enumerate(sec.table["Effect"])}
    for row in sas.table("Type 3 Tests of Fixed Effects"):
        i = index[frozenset(row["Effect"].split("*"))]
        for col in ("Num DF", "Den DF", "F Value", "Pr > F"):
            assert _agree(_printed(sec, i, col), row[col]), (row["Effect"], col)


def test_lsmeans_and_differences_agree(pair):
    ours, sas = pair
    sec = _section(ours, "Least Squares Means")
    keys = list(zip(sec.table["AVISIT"], sec.table["ARMCD"], strict=True))
    # printed in SAS's order (first factor of the effect slowest) once levels are ordered alike
    assert [k[0] for k in keys] == [v for v in ["VIS1", "VIS2", "VIS3", "VIS4"]
                                    for _ in range(2)]
    cols = ("Estimate", "Standard Error", "DF", "t Value", "Pr > |t|", "Lower", "Upper")
    for row in sas.table("Least Squares Means"):
        i = keys.index((row["AVISIT"], row["ARMCD"]))
        for col in cols:
            se = row["Standard Error"] if col in ("Estimate", "Lower", "Upper") else None
            assert _agree(_printed(sec, i, col), row[col], se), (row["AVISIT"], row["ARMCD"],
                                                                col)
    dsec = _section(ours, "Differences of Least Squares Means")
    t = dsec.table
    pairs = list(zip(zip(t["AVISIT"], t["ARMCD"], strict=True),
                     zip(t["_AVISIT"], t["_ARMCD"], strict=True), strict=True))
    sas_diffs = sas.table("Differences of Least Squares Means")
    assert len(sas_diffs) == len(t) == 28
    for row in sas_diffs:
        a, b = (row["AVISIT"], row["ARMCD"]), (row["_AVISIT"], row["_ARMCD"])
        if (a, b) in pairs:
            i, sign = pairs.index((a, b)), 1.0
        else:
            i, sign = pairs.index((b, a)), -1.0
        for col in ("Estimate", "Standard Error", "DF", "t Value", "Pr > |t|"):
            mine = _printed(dsec, i, col)
            if sign < 0 and col in ("Estimate", "t Value") and mine != "0.0000":
                mine = mine[1:] if mine.startswith("-") else "-" + mine
            se = row["Standard Error"] if col == "Estimate" else None
            assert _agree(mine, row[col], se), (a, b, col)
        lo, hi = ("Lower", "Upper") if sign > 0 else ("Upper", "Lower")
        for ours_col, sas_col in ((lo, "Lower"), (hi, "Upper")):
            mine = _printed(dsec, i, ours_col)
            mine = mine if sign > 0 else (mine[1:] if mine.startswith("-") else "-" + mine)
            assert _agree(mine, row[sas_col], row["Standard Error"]), (a, b, sas_col)


def test_summary_options_and_errors():
    from ldn_stats.errors import ModelError

    rng = np.random.default_rng(4)
    d = pd.DataFrame({"ID": np.repeat(np.arange(30), 2), "V": np.tile(["a", "b"], 30),
                      "X": rng.normal(size=60)})
    d["Y"] = rng.normal(size=60)
    fit = mmrm("Y ~ X + V + ar1(V | ID)", d)
    s = fit.summary()
    assert s["Least Squares Means"]["V"].tolist() == ["a", "b"]
    assert len(s["Differences of Least Squares Means"]) == 1
    assert s["Covariance Parameter Estimates"]["Cov Parm"].tolist() == list(
        map(str, fit.theta.index))
    assert "Least Squares Means" not in fit.summary(lsmeans=()).titles
    assert "Differences of Least Squares Means" not in fit.summary(diff=False).titles
    with pytest.raises(ModelError, match="X not a factor"):
        fit.summary(lsmeans="X")
    with pytest.raises(KeyError, match="no section 'Nope'"):
        s["Nope"]
    assert fit._repr_html_() == s._repr_html_()


def test_random_coefficients_print_their_g_matrix():
    # SAS RANDOM ... / G prints "Estimated G Matrix"; the numbers are fit.random_covariance
    from support import REFERENCE

    d = pd.read_csv(REFERENCE / "random_slopes" / "seeded.csv", dtype={"USUBJID": str})
    fit = mmrm("Y ~ ARM * ADY + (1 + ADY | USUBJID)", d)
    s = fit.summary()
    g = s["Estimated G Matrix (1 + ADY | USUBJID)"]
    assert g["Row"].tolist() == ["(Intercept)", "ADY"]
    np.testing.assert_array_equal(
        g[["(Intercept)", "ADY"]].to_numpy(float),
        fit.random_covariance["(1 + ADY | USUBJID)"].to_numpy())
    assert "Variances and covariances" in s.to_text()
    # a random intercept alone has no G matrix section (its variance is listed already)
    fit1 = mmrm("Y ~ ARM * ADY + (1 | USUBJID)", d)
    assert not [t for t in fit1.summary().titles if t.startswith("Estimated G Matrix")]
