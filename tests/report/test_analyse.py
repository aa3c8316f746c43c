"""analyse(): a synthetic parallel and crossover trial through every output they allow."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from ldn_stats.errors import DataError, ModelError
from ldn_stats.report.analyse import analyse
from ldn_stats.report.spec import parse_spec
from support.report_synth import CROSSOVER_SPEC, PARALLEL_SPEC, crossover_trial, parallel_trial


@pytest.fixture(scope="module")
def parallel_outputs():
    trial, ana = parallel_trial()
    return analyse(parse_spec(PARALLEL_SPEC, source="par.toml"), trial, ana), trial, ana


def test_parallel_builds_every_table_and_figure_numbered_in_order(parallel_outputs):
    out, _, _ = parallel_outputs
    assert [t.number for t in out.tables] == [f"1.{k}" for k in range(1, 7)]
    assert [t.key for t in out.tables] == ["baseline", "disposition", "lsmeans", "responders",
                                           "adverse_events", "model"]
    assert [f.key for f in out.figures] == ["mean_change", "lsmean_change", "trajectories",
                                            "responder_curve", "waterfall", "forest",
                                            "residuals", "covariance_heatmap"]
    assert out.notes == ()
    for f in out.figures:
        assert f.files["png"][:8] == b"\x89PNG\r\n\x1a\n"
        assert f.files["pdf"][:5] == b"%PDF-"


def test_ancova_difference_matches_statsmodels_ols(parallel_outputs):
    # witness: statsmodels OLS of CHG ~ BASE + I(LDN) at the last week; tolerance 1e-10
    out, _, ana = parallel_outputs
    last = ana[(ana["AVISIT"] == "Week 4")].dropna(subset=["CHG"])
    X = sm.add_constant(np.column_stack([last["BASE"], (last["TRT01P"] == "LDN").astype(float)]))
    ols = sm.OLS(last["CHG"].to_numpy(), X).fit()
    d = out.result.differences.iloc[0]
    assert d["contrast"] == "LDN - PBO"
    assert d["estimate"] == pytest.approx(ols.params[2], abs=1e-10)
    assert d["std_error"] == pytest.approx(ols.bse[2], abs=1e-10)
    assert d["p_value"] == pytest.approx(ols.pvalues[2], abs=1e-10)
    assert d["df"] == ols.df_resid
    lo, hi = ols.conf_int()[2]
    assert (d["conf_low"], d["conf_high"]) == pytest.approx((lo, hi), abs=1e-10)
    # LS-mean of PBO: prediction at mean BASE
    ls = out.result.lsmeans.set_index("group")
    assert ls.loc["PBO", "estimate"] == pytest.approx(
        ols.params[0] + ols.params[1] * last["BASE"].mean(), abs=1e-10)


def test_footnotes_name_population_model_and_df(parallel_outputs):
    out, _, _ = parallel_outputs
    lsm = next(t for t in out.tables if t.key == "lsmeans")
    text = " ".join(lsm.footnotes)
    assert "ITTFL = 'Y' (N = 24)" in text
    assert "CHG ~ BASE + TRT01P" in text
    assert "Degrees of freedom: residual" in text


def test_disposition_and_ae_counts(parallel_outputs):
    out, _, _ = parallel_outputs
    disp = next(t for t in out.tables if t.key == "disposition").numeric
    total = disp[(disp["group"] == "Total")].set_index(["category", "reason"])["n"]
    assert total[("Randomized", "")] == 24
    assert total[("Completed", "")] == 22
    assert total[("Discontinued", "ADVERSE EVENT")] == 1
    ae = next(t for t in out.tables if t.key == "adverse_events").numeric
    # the day -2 NAUSEA event is not treatment-emergent and is left out
    assert "NAUSEA" not in set(ae["term"])
    ldn = ae[(ae["term"] == "VIVID DREAMS") & (ae["group"] == "LDN")].iloc[0]
    assert (ldn["n"], ldn["N"]) == (2, 12)


def test_crossover_ols_equals_hills_armitage():
    # witness: Hills-Armitage period-difference t test (two-sample t on half period
    # differences between sequences, df n-2) on complete subjects; tolerance 1e-10
    trial, ana = crossover_trial()
    out = analyse(parse_spec(CROSSOVER_SPEC, source="xo.toml"), trial, ana)
    complete = ana.groupby("USUBJID").filter(lambda g: g["AVAL"].notna().all())
    wide = complete.pivot(index="USUBJID", columns="APERIOD", values="AVAL")
    seq = complete.groupby("USUBJID")["TRTSEQP"].first()
    half = (wide[1] - wide[2]) / 2
    a, b = half[seq == "LDN-PBO"], half[seq == "PBO-LDN"]
    est = a.mean() - b.mean()  # LDN - PBO
    n1, n2 = len(a), len(b)
    sp2 = ((n1 - 1) * a.var() + (n2 - 1) * b.var()) / (n1 + n2 - 2)
    se = np.sqrt(sp2 * (1 / n1 + 1 / n2))
    d = out.result.differences.iloc[0]
    assert d["contrast"] == "LDN - PBO"
    assert d["estimate"] == pytest.approx(est, abs=1e-10)
    assert d["std_error"] == pytest.approx(se, abs=1e-10)
    assert d["df"] == n1 + n2 - 2
    assert [t.key for t in out.tables][3] == "crossover_effects"
    assert "carryover" in out.result.extra
    assert [f.key for f in out.figures] == ["crossover_periods", "within_subject", "residuals"]


def test_unknown_population_flag_names_the_column():
    trial, ana = parallel_trial()
    spec = parse_spec(PARALLEL_SPEC.replace('parameter = "PAINNRS"',
                                            'parameter = "PAINNRS"\npopulation = "PPROTFL"'))
    with pytest.raises(DataError, match="PPROTFL"):
        analyse(spec, trial, ana)


def test_unknown_reference_level_is_a_model_error():
    trial, ana = parallel_trial()
    spec = parse_spec(PARALLEL_SPEC.replace('parameter = "PAINNRS"',
                                            'parameter = "PAINNRS"\nreference = "SHAM"'))
    with pytest.raises(ModelError, match="SHAM"):
        analyse(spec, trial, ana)


def _tables_only(extra_data: str = "", extra_model: str = "") -> str:
    head = PARALLEL_SPEC.split("[outputs]")[0]
    head = head.replace('parameter = "PAINNRS"', 'parameter = "PAINNRS"\n' + extra_data)
    head = head.replace('formula = "CHG ~ BASE + TRT01P"',
                        'formula = "CHG ~ BASE + TRT01P"\n' + extra_model)
    return head + '[outputs]\ntables = ["lsmeans"]\n'


def test_visits_subset_sets_the_last_visit():
    trial, ana = parallel_trial()
    spec = parse_spec(_tables_only('visits = ["Week 1", "Week 2"]'))
    out = analyse(spec, trial, ana)
    assert out.result.differences["visit"].tolist() == ["Week 2"]
    spec = parse_spec(_tables_only(extra_model='visit = "Week 3"'))
    assert analyse(spec, trial, ana).result.differences["visit"].tolist() == ["Week 3"]


def test_unknown_visits_are_named():
    trial, ana = parallel_trial()
    with pytest.raises(DataError, match=r"data\.visits: \['Week 9'\]"):
        analyse(parse_spec(_tables_only('visits = ["Week 9"]')), trial, ana)
    with pytest.raises(ModelError, match=r"model\.visit 'Week 9'"):
        analyse(parse_spec(_tables_only(extra_model='visit = "Week 9"')), trial, ana)
