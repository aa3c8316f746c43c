"""2x2 crossover analyses without a mixed model, against R 4.2.2.

Witness: ``tests/reference/crossover/fit_reference.R`` run on the seeded
``xo2x2.csv`` (written by ``make_data.py``); its output is
``crossover_reference.json``. The R call is named above each assertion.
R's treatment levels there are (LDN, PBO), so these tests pass ``reference="LDN"``
to get R's ``"PBO - LDN"`` direction.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ldn_stats.errors import DataError, ModelError
from ldn_stats.models.crossover.nonparametric import (
    _mwu_counts,
    _pwilcox,
    mainland_gart,
    paired_responders,
    wilcoxon_period_differences,
)
from ldn_stats.models.crossover.two_by_two import (
    carryover_totals,
    hills_armitage,
    within_subject_effect_sizes,
)
from support import REFERENCE

REF_DIR = REFERENCE / "crossover"
REF = json.loads((REF_DIR / "crossover_reference.json").read_text())["xo2x2"]
COLS = ["estimate", "std_error", "df", "statistic", "p_value", "conf_low", "conf_high"]


@pytest.fixture(scope="module")
def xo2x2() -> pd.DataFrame:
    return pd.read_csv(REF_DIR / "xo2x2.csv", dtype={"USUBJID": str})


def test_hills_armitage_matches_r_t_test(xo2x2):
    got = hills_armitage(xo2x2, reference="LDN").iloc[0]
    # R: t.test(x, y, var.equal = TRUE) on (y1 - y2) / 2 by sequence; rel 1e-10
    ref = REF["hills_armitage"]
    assert got["contrast"] == "PBO - LDN"
    for col in COLS:
        assert got[col] == pytest.approx(ref[col], rel=1e-10), col
    assert got["n"] == 24 and got["n_dropped"] == 0


def test_default_reference_is_pbo_and_flips_the_sign(xo2x2):
    a = hills_armitage(xo2x2).iloc[0]
    b = hills_armitage(xo2x2, reference="LDN").iloc[0]
    assert a["contrast"] == "LDN - PBO"
    assert a["estimate"] == pytest.approx(-b["estimate"], rel=1e-12)
    assert a["conf_low"] == pytest.approx(-b["conf_high"], rel=1e-12)
    assert a["p_value"] == pytest.approx(b["p_value"], rel=1e-12)


def test_carryover_totals_matches_r_t_test(xo2x2):
    got = carryover_totals(xo2x2, reference="LDN").iloc[0]
    # R: t.test(total_PBO-LDN, total_LDN-PBO, var.equal = TRUE); rel 1e-10
    ref = REF["carryover_totals"]
    assert got["contrast"] == "PBO-LDN - LDN-PBO"
    for col in ["estimate", "std_error", "df", "statistic", "p_value"]:
        assert got[col] == pytest.approx(ref[col], rel=1e-10), col


def test_wilcoxon_exact_matches_r(xo2x2):
    got = wilcoxon_period_differences(xo2x2, reference="LDN").iloc[0]
    # R: wilcox.test(x, y, conf.int = TRUE, exact = TRUE); rel 1e-10 (CSV has 6 decimals,
    # R read the same rounded values)
    ref = REF["wilcoxon_exact"]
    assert got["method"] == "exact"
    for col in ["statistic", "p_value", "estimate", "conf_low", "conf_high"]:
        assert got[col] == pytest.approx(ref[col], rel=1e-10), col


def test_wilcoxon_asymptotic_matches_r(xo2x2):
    got = wilcoxon_period_differences(xo2x2, reference="LDN", exact=False).iloc[0]
    # R: wilcox.test(x, y, conf.int = TRUE, exact = FALSE) (continuity correction);
    # p-value rel 1e-10; CI limits abs 2e-4 because R finds them with uniroot(tol = 1e-4)
    ref = REF["wilcoxon_asymptotic"]
    assert got["method"] == "asymptotic"
    assert got["p_value"] == pytest.approx(ref["p_value"], rel=1e-10)
    assert got["conf_low"] == pytest.approx(ref["conf_low"], abs=2e-4)
    assert got["conf_high"] == pytest.approx(ref["conf_high"], abs=2e-4)
    assert got["estimate"] == pytest.approx(ref["estimate"], abs=2e-4)


@pytest.mark.parametrize(("m", "n"), [(1, 1), (3, 4), (7, 5), (12, 11)])
def test_exact_mann_whitney_distribution_matches_scipy(m, n):
    # witness: scipy.stats.mannwhitneyu(method="exact") p-values; rel 1e-12
    counts = _mwu_counts(m, n)
    assert sum(counts) == pytest.approx(float(np.prod(range(m + 1, m + n + 1)))
                                        / float(np.prod(range(1, n + 1))), rel=1e-12)
    rng = np.random.default_rng(m * 100 + n)
    x, y = rng.normal(size=m), rng.normal(size=n)
    res = stats.mannwhitneyu(x, y, method="exact", alternative="less")
    assert _pwilcox(int(res.statistic), m, n) == pytest.approx(res.pvalue, rel=1e-12)


def test_paired_responders_matches_r_mcnemar(xo2x2):
    got = paired_responders(xo2x2, thresholds=(30.0, 15.0), reference="LDN")
    for row, ref in zip(got.itertuples(), REF["responders"], strict=True):
        assert row.threshold == ref["cut"] and row.n == ref["n"]
        assert row.n_b_only == ref["n_b_only"] and row.n_a_only == ref["n_a_only"]
        # R: mcnemar.test(table, correct = TRUE); rel 1e-12
        assert row.statistic == pytest.approx(ref["mcnemar_chisq"], rel=1e-12)
        assert row.p_value_chisq == pytest.approx(ref["mcnemar_p"], rel=1e-12)
        # R: binom.test(n_b_only, n_b_only + n_a_only): p-value and Clopper-Pearson CI of p,
        # transformed to the odds ratio p / (1 - p); rel 1e-9
        assert row.p_value == pytest.approx(ref["exact_p"], rel=1e-12)
        lo, hi = ref["p_conf_low"], ref["p_conf_high"]
        assert row.conf_low == pytest.approx(lo / (1 - lo), rel=1e-9, abs=1e-300)
        assert row.conf_high == pytest.approx(hi / (1 - hi), rel=1e-9)


def test_paired_responders_odds_ratio_by_hand():
    # 3 subjects respond on B only, 1 on A only, 1 on both, 1 on neither: psi = 3 / 1
    d = pd.DataFrame({"USUBJID": [s for s in "abcdef" for _ in range(2)],
                      "TRTA": ["A", "B"] * 6,
                      "PCHG": [-10, -40, -5, -60, 0, -35, -45, -10, -50, -55, 5, 0.0]})
    r = paired_responders(d, thresholds=(30.0, 50.0)).set_index("threshold")
    assert r.loc[30.0, "estimate"] == 3.0
    assert r.loc[30.0, "responders_b"] == 4 and r.loc[30.0, "responders_a"] == 2
    # binomial(3 of 4, 1/2), two-sided: P = 2 * (4 + 1) / 16
    assert r.loc[30.0, "p_value"] == pytest.approx(0.625, rel=1e-12)
    assert r.loc[50.0, "n_b_only"] == 1 and r.loc[50.0, "n_a_only"] == 0
    assert np.isinf(r.loc[50.0, "estimate"]) and np.isinf(r.loc[50.0, "conf_high"])


def test_within_subject_effect_sizes_by_formula(xo2x2):
    got = within_subject_effect_sizes(xo2x2).set_index("measure")["estimate"]
    w = xo2x2.pivot(index="USUBJID", columns="TRTA", values="AVAL")
    diff = w["LDN"] - w["PBO"]
    # formulas of Cumming (2012): d_z = mean(diff) / sd(diff); d_av = mean(diff) /
    # sqrt((var_a + var_b) / 2); rel 1e-12
    assert got["cohen_dz"] == pytest.approx(diff.mean() / diff.std(ddof=1), rel=1e-12)
    dav = diff.mean() / np.sqrt((w["LDN"].var() + w["PBO"].var()) / 2)
    assert got["cohen_dav"] == pytest.approx(dav, rel=1e-12)
    assert abs(got["hedges_gav"]) < abs(dav)


def test_missing_period_subjects_are_left_out():
    d = pd.read_csv(REF_DIR / "xo2x2_missing.csv", dtype={"USUBJID": str})
    got = hills_armitage(d).iloc[0]
    assert got["n"] == 20 and got["n_dropped"] == 4
    assert got["df"] == got["n"] - 2


def test_three_periods_raise_model_error():
    d = pd.read_csv(REF_DIR / "abb_baa.csv", dtype={"USUBJID": str})
    with pytest.raises(ModelError, match="expected 2 periods"):
        hills_armitage(d)


def test_missing_column_raises_data_error(xo2x2):
    with pytest.raises(DataError, match="NOPE"):
        hills_armitage(xo2x2, outcome="NOPE")


def test_mainland_gart_matches_r_fisher_test(xo2x2):
    got = mainland_gart(xo2x2, thresholds=(30.0, 15.0), reference="LDN")
    for row, ref in zip(got.itertuples(), REF["mainland_gart"], strict=True):
        assert row.threshold == ref["cut"]
        for col in ["a_first_period1", "a_first_period2", "b_first_period1", "b_first_period2"]:
            assert getattr(row, col) == ref[col], col
        # R: fisher.test(matrix(c(b1, a1, b2, a2), 2)): p-value rel 1e-10; the table odds
        # ratio psi^2 and its CI, which R finds with uniroot: rel 1e-3 (abs 1e-9 at 0)
        assert row.p_value == pytest.approx(ref["p_value"], rel=1e-10)
        assert row.estimate**2 == pytest.approx(ref["table_or"], rel=1e-3, abs=1e-9)
        assert row.conf_low**2 == pytest.approx(ref["table_or_low"], rel=1e-3, abs=1e-9)
        assert row.conf_high**2 == pytest.approx(ref["table_or_high"], rel=1e-3)


def test_mainland_gart_odds_ratio_is_square_root_of_table_odds_ratio():
    # 2 x 2 table [[3, 1], [1, 3]] (b first / a first x period 1 / period 2); witness:
    # R fisher.test(matrix(c(3, 1, 1, 3), 2)) p = 0.4857142857; conditional MLE of the
    # table OR is 6.408309 (R estimate), so psi = sqrt of it; rel 1e-3
    seqs = ["A-B"] * 6 + ["B-A"] * 6
    pairs = [(-40, 0), (0, -40), (0, -40), (0, -40), (-40, -40), (0, 0),
             (-40, 0), (-40, 0), (-40, 0), (0, -40), (0, 0), (-40, -40)]
    rows = [(i, s, p, t, v) for i, (s, pair) in enumerate(zip(seqs, pairs, strict=True))
            for p, (t, v) in enumerate(zip(s.split("-"), pair, strict=True), start=1)]
    d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "PCHG"])
    r = mainland_gart(d, thresholds=(30.0,)).iloc[0]
    assert r["contrast"] == "B / A"
    assert r["p_value"] == pytest.approx(0.4857142857, rel=1e-8)
    assert r["estimate"] ** 2 == pytest.approx(6.408309, rel=1e-3)


def test_period_labels_9_and_10_keep_their_order(xo2x2):
    relabelled = xo2x2.assign(APERIOD=xo2x2["APERIOD"].map({1: "9", 2: "10"}))
    a = hills_armitage(xo2x2, reference="LDN").iloc[0]
    b = hills_armitage(relabelled, reference="LDN").iloc[0]
    # same R witness as test_hills_armitage_matches_r_t_test; rel 1e-12
    assert b["estimate"] == pytest.approx(a["estimate"], rel=1e-12)
    assert b["estimate"] == pytest.approx(REF["hills_armitage"]["estimate"], rel=1e-10)
