"""Parity of ``ldn_stats.models.mmrm.mmrm`` with SAS PROC MIXED listings on ``fev_data``.

Witnesses: the listings in ``tests/reference/sas/`` (see ``tests/reference/README.md``),
read by ``_sas_listing.py``: Model Information, Covariance Parameter Estimates,
Fit Statistics, Solution for Fixed Effects, Type 3 Tests, Least Squares Means,
their Differences and the Tests of Effect Slices, wherever printed.

Tolerance rule (one for every number): SAS prints rounded values of estimates
that are themselves only converged to SAS's criterion, so
``|ours - printed| <= half a unit of the last printed digit + 1e-3 * |printed|``
(``3.7745`` -> 5e-5, a df printed ``146`` -> 0.5, ``123.87`` -> 0.005, plus
``SAS_REL`` = 1e-3 relative: see its comment); ``<.0001`` means ``ours < 1e-4``.
Covariance parameters are compared through the covariance matrix they imply
(SAS's and our parametrisations differ): the rounding bound of each element is
propagated from the printed parameters, and the relative slack is taken of the
matrix's largest element. The same fits agree with R mmrm to 1e-6 (test_parity_r).

Level mapping: SAS's GLM parametrisation takes the LAST level of each CLASS
variable as reference and prints zero rows for the aliased ones; we fit with
treatment contrasts and the SAS reference level FIRST (the level order of the
listing's Class Level Information, rotated), so every non-zero SAS row is one
of our coefficients: ``ARMCD TRT`` -> ``ARMCDTRT``, ``AVISIT*ARMCD VIS2 TRT`` ->
``ARMCDTRT:AVISITVIS2``. Each case states SAS's level order and the test checks
it against the listing.

AIC and BIC are not compared: SAS counts the fixed effects in the ML AIC and
all 200 subjects in BIC, R mmrm (whose convention the result follows, see
``test_parity_r.py``) neither; -2 log-likelihood is compared instead.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mmrm
from ldn_stats.errors import ConvergenceError
from ldn_stats.models.mmrm.formula import parse_formula
from support.reference_data import SAS_DIR, fev_data
from support.sas_listing import Listing, half_unit, rtf_rows, to_float

#: Relative slack on top of the printed rounding: SAS stops its Newton-Raphson when
#: the relative gradient criterion falls below 1e-8, which leaves its estimates about
#: 1e-5..1e-4 (covariance parameters up to ~1e-3 of the matrix scale) from the optimum
#: that R mmrm and ldn_stats both reach to 1e-10; R mmrm's own SAS comparisons use 1e-3.
SAS_REL = 1e-3

FULL = "FEV1 ~ ARMCD * AVISIT + RACE + SEX"
SAS_FULL_LEVELS = {  # Class Level Information of sas_log_reml.txt / sas_log.txt
    "RACE": ["Black or African American", "White", "Asian"],
    "AVISIT": ["VIS2", "VIS3", "VIS4", "VIS1"],
    "SEX": ["Female", "Male"],
    "ARMCD": ["TRT", "PBO"],
}
VISITS = ["VIS1", "VIS2", "VIS3", "VIS4"]
STRUCT = {"cs": "Compound Symmetry", "csh": "Heterogeneous Compound", "ar1": "Autoregressive",
          "ar1h": "Heterogeneous", "adh": "Ante-dependence", "toeph": "Heterogeneous Toeplitz",
          "us": "Unstructured", "sp_exp": "Spatial Exponential", "sp_gau": "Spatial Gaussian"}


def _case(file, formula, structure, levels, *, weights=None, df="satterthwaite", run=0,
          sas_df=None, extra=None):
    reml = "_ml" not in file and file != "sas_log.txt" and file != "sas_log_simple.txt"
    return pytest.param(
        {"file": file, "formula": formula, "structure": structure, "levels": levels,
         "weights": weights, "df": df, "run": run, "reml": reml, "sas_df": sas_df or df,
         # SAS's weighted Satterthwaite df are not reproducible (openpharma/mmrm#132:
         # R mmrm and nlme::gls agree with each other, not with SAS): df, and the p-values
         # and confidence limits that depend on them, are not compared for weighted fits
         "df_ok": weights is None, "extra": extra or {}},
        id=file.removesuffix(".txt") + (f"-run{run}" if run else ""),
    )


def _cases():
    out = []
    for method in ("reml", "ml"):
        for s in ("cs", "csh", "ar1", "ar1h", "adh", "toeph"):
            out.append(_case(f"sas_{s}_{method}.txt", f"FEV1 ~ 1 + {s}(AVISIT | USUBJID)", s,
                             {"AVISIT": VISITS}))
            out.append(_case(f"sas_group_{s}_{method}.txt",
                             f"FEV1 ~ 1 + {s}(AVISIT | ARMCD / USUBJID)", s,
                             {"AVISIT": VISITS, "ARMCD": ["PBO", "TRT"]}))
        for s, coords in (("sp_exp", "VISITN"), ("sp_exp2", "VISITN, VISITN2"),
                          ("sp_gau", "VISITN"), ("sp_gau2", "VISITN, VISITN2")):
            structure = s.removesuffix("2")
            out.append(_case(f"sas_{s}_{method}.txt",
                             f"FEV1 ~ 1 + {structure}({coords} | USUBJID)", structure, {}))
        for s in ("un", "ar1"):
            cov = "us" if s == "un" else "ar1"
            out.append(_case(f"sas_coef_ci_{method}_{s}.txt",
                             f"FEV1 ~ ARMCD + SEX + {cov}(AVISIT | USUBJID)", cov,
                             {"ARMCD": ["TRT", "PBO"], "AVISIT": VISITS,
                              "SEX": ["Female", "Male"]}))
    out += [
        _case("sas_log_reml.txt", f"{FULL} + us(AVISIT | USUBJID)", "us", SAS_FULL_LEVELS),
        _case("sas_log.txt", f"{FULL} + us(AVISIT | USUBJID)", "us", SAS_FULL_LEVELS),
        _case("sas_log_simple_reml.txt", "FEV1 ~ 1 + us(AVISIT | USUBJID)", "us",
              {"AVISIT": SAS_FULL_LEVELS["AVISIT"]}),
        _case("sas_log_simple.txt", "FEV1 ~ 1 + us(AVISIT | USUBJID)", "us",
              {"AVISIT": SAS_FULL_LEVELS["AVISIT"]}),
        _case("sas_weighted.txt", f"{FULL} + us(AVISIT | USUBJID)", "us",
              {**SAS_FULL_LEVELS, "AVISIT": VISITS}, weights="WEIGHT"),
        _case("sas_sp_gau_kr.txt", "FEV1 ~ ARMCD + sp_gau(VISITN, VISITN2 | USUBJID)", "sp_gau",
              {"ARMCD": ["PBO", "TRT"]}, df="kenward-roger",
              # DDFM=KR takes the second-order term in SAS's own parameters (variance, range)
              extra={"kr_parametrization": "sas"}),
        # the listing's second run: DDFM=KR with the first-order (Prasad-Rao-Jeske-
        # Kackar-Harville) covariance, i.e. without second derivatives of the covariance
        _case("sas_sp_gau_kr.txt", "FEV1 ~ ARMCD + sp_gau(VISITN, VISITN2 | USUBJID)", "sp_gau",
              {"ARMCD": ["PBO", "TRT"]}, df="kenward-roger-linear", run=1,
              sas_df="kenward-roger"),
    ]
    return out


CASES = _cases()


@cache
def _listing(file: str) -> Listing:
    return Listing(SAS_DIR / file)


def _data(levels: dict[str, list[str]], formula: str) -> pd.DataFrame:
    """fev_data with SAS's level orders, the reference (last) level of fixed effects first.

    A class variable used only by the covariance structure keeps SAS's order: it is
    the order of the visits in the REPEATED statement (adjacency for AR(1), ...).
    """
    fixed = {v for term in parse_formula(formula).terms for v in term}
    return fev_data(**{v: [lev[-1], *lev[:-1]] if v in fixed else list(lev)
                       for v, lev in levels.items()})


@cache
def _fit_cached(file: str, run: int = 0):
    case = next(c.values[0] for c in CASES
                if c.values[0]["file"] == file and c.values[0]["run"] == run)
    return mmrm(case["formula"], _data(case["levels"], case["formula"]), reml=case["reml"],
                df_method=case["df"], weights=case["weights"], **case["extra"])


def _near(ours: float, printed: str, what: str, scale: str | None = None) -> None:
    """Compare at printed precision; ``scale`` (an estimate's printed SE) sets the
    size the relative slack is taken of, so that small estimates are not held to
    a relative tolerance of their own near-zero size."""
    text = printed.strip()
    if text.startswith("<"):
        assert ours < float(text[1:]) + 1e-12, f"{what}: {ours} not {text}"
        return
    value = float(text)
    size = max(abs(value), abs(float(scale)) if scale not in (None, ".") else 0.0)
    tol = half_unit(text) + SAS_REL * size
    assert abs(ours - value) <= tol, (
        f"{what}: ours {ours!r}, SAS prints {text} (tolerance {tol:.3g}, "
        f"half a unit of the last printed digit + {SAS_REL:g} relative)"
    )


def _class_values(listing: Listing, var: str, run: int) -> str:
    lines = listing.text(run).splitlines()
    for i, line in enumerate(lines):
        m = re.match(rf"^\s+{re.escape(var)}\s+\d+\s+(\S.*)$", line)
        if m:
            values, col = [m.group(1).strip()], m.start(1)
            for nxt in lines[i + 1:]:
                if not nxt.strip() or nxt[:col].strip():
                    break
                values.append(nxt.strip())
            return " ".join(values)
    raise KeyError(var)


# ------------------------------------------------------------------ model information


@pytest.mark.parametrize("case", CASES)
def test_model_information_matches_case(case):
    """The listing's model is the one we fit (structure, method, df, levels, weights)."""
    listing = _listing(case["file"])
    info = listing.key_values("Model Information", case["run"])
    assert info["Dependent Variable"] == "FEV1"
    assert info["Covariance Structure"].startswith(STRUCT[case["structure"]])
    assert info["Estimation Method"] == ("REML" if case["reml"] else "ML")
    assert info["Degrees of Freedom Method"].lower() == case["sas_df"]
    assert info.get("Weight Variable") == case["weights"]
    assert ("Group Effect" in info) == ("/" in case["formula"])
    for var, levels in case["levels"].items():
        assert _class_values(listing, var, case["run"]) == " ".join(levels), var


# ------------------------------------------------------------------ covariance


def _sas_sigma(structure: str, p: dict[str, float], n: int) -> np.ndarray:
    """The covariance matrix implied by SAS's parameters (SAS level order)."""
    idx = np.arange(n)
    lag = np.abs(idx[:, None] - idx[None, :])
    if structure == "us":
        s = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1):
                s[i, j] = s[j, i] = p[f"UN({i + 1},{j + 1})"]
        return s
    if structure == "cs":
        resid = p["Residual"] if "Residual" in p else p["Variance"]
        return resid * np.eye(n) + p["CS"] * np.ones((n, n))
    if structure == "ar1":
        resid = p["Residual"] if "Residual" in p else p["Variance"]
        return resid * p["AR(1)"] ** lag
    sd = np.sqrt([p[f"Var({i + 1})"] for i in range(n)])
    if structure == "csh":
        corr = np.where(lag == 0, 1.0, p["CSH"])
    elif structure == "ar1h":
        corr = p["ARH(1)"] ** lag
    elif structure == "toeph":
        rho = [1.0] + [p[f"TOEPH({k})"] for k in range(1, n)]
        corr = np.array(rho)[lag]
    elif structure == "adh":
        rho = [p[f"Rho({k})"] for k in range(1, n)]
        corr = np.array([[np.prod(rho[min(i, j):max(i, j)]) for j in range(n)]
                         for i in range(n)])
    else:  # pragma: no cover - configuration error
        raise ValueError(structure)
    return corr * np.outer(sd, sd)


def _spatial_sigma(structure: str, p: dict[str, float]) -> np.ndarray:
    """Covariance at distances 0 and 1 (R mmrm's VarCorr of a spatial fit)."""
    rng_ = p["SP(EXP)"] if structure == "sp_exp" else p["SP(GAU)"]
    corr = np.exp(-1.0 / rng_) if structure == "sp_exp" else np.exp(-1.0 / rng_**2)
    return p["Residual"] * np.array([[1.0, corr], [corr, 1.0]])


def _implied(structure, printed: dict[str, str], n):
    """Implied matrix and the propagated rounding bound of each element."""
    values = {k: float(v) for k, v in printed.items()}

    def sigma(p):
        return _spatial_sigma(structure, p) if structure.startswith("sp_") else _sas_sigma(
            structure, p, n)

    base = sigma(values)
    bound = np.zeros_like(base)
    for k, text in printed.items():
        h = half_unit(text)
        bumped = sigma({**values, k: values[k] + h})
        bound += np.abs(bumped - base)
    return base, bound + SAS_REL * np.abs(base).max()


@pytest.mark.parametrize("case", CASES)
def test_covariance_parameters(case):
    """Covariance Parameter Estimates, as the implied matrix (visit labels mapped)."""
    rows = _listing(case["file"]).table("Covariance Parameter Estimates", case["run"])
    fit = _fit_cached(case["file"], case["run"])
    sas_visits = case["levels"].get("AVISIT", VISITS)
    groups = sorted({r.get("Group", "") for r in rows})
    for group in groups:
        printed = {r["Cov Parm"]: r["Estimate"] for r in rows if r.get("Group", "") == group}
        expected, bound = _implied(case["structure"], printed, len(sas_visits))
        got = fit.covariance[group.split()[-1]] if group else fit.covariance
        got = pd.DataFrame(got)
        if case["structure"].startswith("sp_"):
            ours = got.to_numpy(dtype=float)
        else:
            ours = got.loc[sas_visits, sas_visits].to_numpy(dtype=float)
        excess = np.abs(ours - expected) - bound
        assert np.all(excess <= 0), (
            f"{group or 'covariance'}: ours\n{ours}\nSAS implied\n{expected}\nbound\n{bound}")


# ------------------------------------------------------------------ fit statistics


@pytest.mark.parametrize("case", CASES)
def test_minus_two_log_likelihood(case):
    stats = _listing(case["file"]).key_values("Fit Statistics", case["run"])
    key = "-2 Res Log Likelihood" if case["reml"] else "-2 Log Likelihood"
    fit = _fit_cached(case["file"], case["run"])
    _near(-2.0 * fit.loglik, stats[key], key)
    dims = _listing(case["file"]).key_values("Number of Observations", case["run"])
    assert fit.n_obs == int(dims["Number of Observations Used"])


# ------------------------------------------------------------------ fixed effects


def _our_term(effect: str, row: dict[str, str], coef_index) -> str | None:
    """Our coefficient for a SAS row; None for SAS's aliased (reference) rows."""
    if effect == "Intercept":
        return "(Intercept)"
    pieces = {f"{var}{row[var]}" for var in effect.split("*")}
    for name in coef_index:
        if set(name.split(":")) == pieces:
            return name
    return None


@pytest.mark.parametrize("case", CASES)
def test_solution_for_fixed_effects(case):
    """Estimate, SE, DF, t, p (and CI where printed); aliased SAS rows are zeros."""
    rows = _listing(case["file"]).table("Solution for Fixed Effects", case["run"])
    coef = _fit_cached(case["file"], case["run"]).coef
    matched = []
    for row in rows:
        name = _our_term(row["Effect"], row, coef.index)
        if name is None:
            assert float(row["Estimate"]) == 0 and row["Standard Error"] == ".", row
            continue
        matched.append(name)
        ours = coef.loc[name]
        _near(ours["estimate"], row["Estimate"], f"{name} estimate", row["Standard Error"])
        _near(ours["std_error"], row["Standard Error"], f"{name} SE")
        _near(ours["statistic"], row["t Value"], f"{name} t", "1")
        if not case["df_ok"]:
            continue
        _near(ours["df"], row["DF"], f"{name} df")
        _near(ours["p_value"], row["Pr > |t|"], f"{name} p")
        if "Lower" in row:
            _near(ours["conf_low"], row["Lower"], f"{name} lower CL", row["Standard Error"])
            _near(ours["conf_high"], row["Upper"], f"{name} upper CL", row["Standard Error"])
    assert sorted(matched) == sorted(coef.index)


@pytest.mark.parametrize(
    "case", [c for c in CASES if _listing(c.values[0]["file"]).has(
        "Type 3 Tests of Fixed Effects", c.values[0]["run"])])
def test_type3_tests(case):
    rows = _listing(case["file"]).table("Type 3 Tests of Fixed Effects", case["run"])
    anova = _fit_cached(case["file"], case["run"]).anova()
    for row in rows:
        ours = anova.loc[row["Effect"].replace("*", ":")] if row["Effect"].replace(
            "*", ":") in anova.index else anova.loc[":".join(reversed(row["Effect"].split("*")))]
        assert ours["num_df"] == int(row["Num DF"])
        _near(ours["statistic"], row["F Value"], f"{row['Effect']} F")
        _near(ours["statistic"] * ours["num_df"], row["Chi-Square"], f"{row['Effect']} chi2")
        if case["df_ok"]:
            _near(ours["den_df"], row["Den DF"], f"{row['Effect']} den df")
            _near(ours["p_value"], row["Pr > F"], f"{row['Effect']} p")


# ------------------------------------------------------------------ LS-means


LSMEANS_CASES = [c for c in CASES if _listing(c.values[0]["file"]).has("Least Squares Means")]


def _cells(fit):
    grid, L = fit.spec.reference_grid("ARMCD", by="AVISIT")
    keys = list(zip(grid["AVISIT"].astype(str), grid["ARMCD"].astype(str), strict=True))
    return {k: L[i] for i, k in enumerate(keys)}


@pytest.mark.parametrize("case", LSMEANS_CASES)
def test_lsmeans(case):
    """LSMEANS AVISIT*ARMCD: estimate, SE, t (and DF, p, CI unless weighted) per cell."""
    rows = _listing(case["file"]).table("Least Squares Means")
    ls = _fit_cached(case["file"], case["run"]).lsmeans("ARMCD", by="AVISIT")
    ls = ls.assign(AVISIT=ls["AVISIT"].astype(str), ARMCD=ls["ARMCD"].astype(str))
    ls = ls.set_index(["AVISIT", "ARMCD"])
    assert len(rows) == len(ls) == 8
    for row in rows:
        ours = ls.loc[(row["AVISIT"], row["ARMCD"])]
        what = f"LS-mean {row['AVISIT']} {row['ARMCD']}"
        _near(ours["estimate"], row["Estimate"], what)
        _near(ours["std_error"], row["Standard Error"], f"{what} SE")
        _near(ours["statistic"], row["t Value"], f"{what} t", "1")
        if case["df_ok"]:
            _near(ours["df"], row["DF"], f"{what} df")
            _near(ours["p_value"], row["Pr > |t|"], f"{what} p")
            _near(ours["conf_low"], row["Lower"], f"{what} lower")
            _near(ours["conf_high"], row["Upper"], f"{what} upper")


@pytest.mark.parametrize("case", LSMEANS_CASES)
def test_lsmean_differences(case):
    """All 28 pairwise differences (via contrast()); the within-visit ones via pairwise()."""
    rows = _listing(case["file"]).table("Differences of Least Squares Means")
    fit = _fit_cached(case["file"], case["run"])
    cells = _cells(fit)
    pairwise = fit.pairwise("ARMCD", by="AVISIT")
    pairwise = pairwise.assign(AVISIT=pairwise["AVISIT"].astype(str)).set_index("AVISIT")
    assert len(rows) == 28
    for row in rows:
        a, b = (row["AVISIT"], row["ARMCD"]), (row["_AVISIT"], row["_ARMCD"])
        ours = fit.contrast((cells[a] - cells[b])[None, :]).iloc[0]
        what = f"{a} - {b}"
        _near(ours["estimate"], row["Estimate"], what, row["Standard Error"])
        _near(ours["std_error"], row["Standard Error"], f"{what} SE")
        _near(ours["statistic"], row["t Value"], f"{what} t", "1")
        if case["df_ok"]:
            _near(ours["df"], row["DF"], f"{what} df")
            _near(ours["p_value"], row["Pr > |t|"], f"{what} p")
            _near(ours["conf_low"], row["Lower"], f"{what} lower", row["Standard Error"])
            _near(ours["conf_high"], row["Upper"], f"{what} upper", row["Standard Error"])
        if a[0] == b[0] and (a[1], b[1]) == ("TRT", "PBO"):
            p = pairwise.loc[a[0]]
            assert p["contrast"] == "TRT - PBO"
            _near(p["estimate"], row["Estimate"], f"pairwise {a[0]}")
            _near(p["std_error"], row["Standard Error"], f"pairwise {a[0]} SE")
            if case["df_ok"]:
                _near(p["df"], row["DF"], f"pairwise {a[0]} df")


@pytest.mark.parametrize(
    "case", [c for c in LSMEANS_CASES if _listing(c.values[0]["file"]).has(
        "Tests of Effect Slices")])
def test_slices(case):
    """SLICE=AVISIT: the 1-df F test of ARMCD within each visit (F = t^2 of TRT - PBO)."""
    rows = _listing(case["file"]).table("Tests of Effect Slices")
    pairwise = _fit_cached(case["file"], case["run"]).pairwise("ARMCD", by="AVISIT")
    pairwise = pairwise.assign(AVISIT=pairwise["AVISIT"].astype(str)).set_index("AVISIT")
    for row in rows:
        ours = pairwise.loc[row["AVISIT"]]
        assert int(row["Num DF"]) == 1
        _near(ours["statistic"] ** 2, row["F Value"], f"slice {row['AVISIT']} F")
        if case["df_ok"]:
            _near(ours["df"], row["Den DF"], f"slice {row['AVISIT']} df")
            _near(ours["p_value"], row["Pr > F"], f"slice {row['AVISIT']} p")


# ------------------------------------------------------------------ non-convergence


@pytest.mark.parametrize(("file", "reml"), [("sas_log_nonconvergence_reml.txt", True),
                                            ("sas_log_nonconvergence.txt", False)])
def test_nonconvergence_raises(file, reml):
    """SAS warns (REML: 'Did not converge.', ML: 'Stopped because of too many likelihood
    evaluations.') on the first 50 rows (13 subjects, 32 used rows): we must raise."""
    listing = Listing(SAS_DIR / file)
    assert any("Did not converge" in line  # REML
               or "Stopped because of too many likelihood evaluations" in line  # ML
               for line in listing.lines)
    assert listing.key_values("Number of Observations")["Number of Observations Used"] == "32"
    data = _data(SAS_FULL_LEVELS, FULL).iloc[:50]
    with pytest.raises(ConvergenceError):
        mmrm(f"{FULL} + us(AVISIT | USUBJID)", data, reml=reml)


@pytest.mark.parametrize("method", ["reml", "ml"])
def test_toeplitz_rtf_listing(method):
    """sas_toep_{reml,ml}.rtf (ODS RTF): TYPE=TOEP, intercept only, AVISIT VIS1..VIS4."""
    rows = rtf_rows(SAS_DIR / f"sas_toep_{method}.rtf")
    first = {r[0]: r[1:] for r in reversed(rows)}  # first occurrence of each row label
    assert first["Covariance Structure"] == ["Toeplitz"]
    assert first["Estimation Method"] == [method.upper()]
    assert first["Degrees of Freedom Method"] == ["Satterthwaite"]
    assert first["AVISIT"] == ["4", "VIS1 VIS2 VIS3 VIS4"]
    fit = mmrm("FEV1 ~ 1 + toep(AVISIT | USUBJID)", fev_data(), reml=method == "reml")
    # SAS TOEP: Residual = lag-0 variance, TOEP(k) = covariance at lag k - 1
    printed = {"Residual": first["Residual"][1], **{f"TOEP({k})": first[f"TOEP({k})"][1]
                                                     for k in (2, 3, 4)}}

    def sigma(p):
        band = [p["Residual"], p["TOEP(2)"], p["TOEP(3)"], p["TOEP(4)"]]
        lag = np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
        return np.array(band)[lag]

    values = {k: float(v) for k, v in printed.items()}
    expected = sigma(values)
    bound = sum(np.abs(sigma({**values, k: values[k] + half_unit(v)}) - expected)
                for k, v in printed.items()) + SAS_REL * np.abs(expected).max()
    ours = pd.DataFrame(fit.covariance).loc[VISITS, VISITS].to_numpy(dtype=float)
    assert np.all(np.abs(ours - expected) <= bound), (ours, expected)
    key = "-2 Res Log Likelihood" if method == "reml" else "-2 Log Likelihood"
    _near(-2.0 * fit.loglik, first[key][0], key)
    est, se, df, t, p = first["Intercept"]
    ours = fit.coef.loc["(Intercept)"]
    _near(ours["estimate"], est, "intercept", se)
    _near(ours["std_error"], se, "intercept SE")
    _near(ours["df"], df, "intercept df")
    _near(ours["statistic"], t, "intercept t", "1")
    _near(ours["p_value"], p, "intercept p")


def test_half_unit_rule():
    assert half_unit("3.7745") == pytest.approx(5e-5)
    assert half_unit("146") == 0.5
    assert half_unit("123.87") == pytest.approx(0.005)
    assert half_unit("<.0001") == pytest.approx(5e-5)
    assert to_float(".") is None and to_float("-0.04231") == -0.04231
