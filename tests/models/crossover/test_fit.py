"""crossover(): identities, options and errors (the R comparisons are in
test_crossover_reference.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from ldn_stats.errors import DataError, ModelError
from ldn_stats.models.crossover.diary import compare_with_period_means, diary_crossover
from ldn_stats.models.crossover.fit import crossover, prepare_crossover_data
from ldn_stats.models.crossover.two_by_two import hills_armitage
from support import REFERENCE

REF_DIR = REFERENCE / "crossover"
COLS = ["estimate", "std_error", "df", "statistic", "p_value", "conf_low", "conf_high"]


def _load(name: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / name, dtype={"USUBJID": str})


@pytest.fixture(scope="module")
def xo2x2() -> pd.DataFrame:
    return _load("xo2x2.csv")


@pytest.mark.parametrize("df_method", ["kenward-roger", "satterthwaite"])
def test_complete_2x2_mixed_model_equals_hills_armitage(xo2x2, df_method):
    # witness: the Hills-Armitage t-test (itself checked against R t.test); identity of the
    # random-subject REML model with complete 2x2 data, relative 1e-8, df n - 2 to 1e-8
    xo = crossover(xo2x2, df_method=df_method)
    ha = hills_armitage(xo2x2).iloc[0]
    eff = xo.effects.iloc[0]
    assert eff["contrast"] == ha["contrast"] == "LDN - PBO"
    for col in ["estimate", "std_error", "statistic", "conf_low", "conf_high"]:
        assert eff[col] == pytest.approx(ha[col], rel=1e-8), col
    assert eff["df"] == pytest.approx(len(xo2x2) / 2 - 2, abs=1e-8)
    assert xo.design == "2x2" and xo.n_subjects == 24
    assert xo.hills_armitage is not None and xo.wilcoxon is not None


def test_2x2_companions_and_carryover_totals(xo2x2):
    xo = crossover(xo2x2, df_method="satterthwaite")
    assert xo.carryover["method"].item() == "subject totals t-test"
    assert xo.carryover["df"].item() == 22.0
    assert set(xo.responders["threshold"]) == {30.0, 50.0}
    assert xo.responders_period_adjusted["threshold"].tolist() == [30.0, 50.0]
    assert xo.effect_sizes["measure"].tolist() == ["cohen_dz", "cohen_dav", "hedges_gav"]
    assert list(xo.effects.columns) == ["contrast", *COLS, "estimable", "aliased"]
    assert xo.period_effects["contrast"].tolist() == ["2 - 1"]


def test_change_from_period_baseline_equals_chg_outcome(xo2x2):
    # both routes fit the same model to AVAL - BASE (relative 1e-10)
    a = crossover(xo2x2, period_baseline="BASE", baseline_adjustment="change",
                  df_method="satterthwaite")
    b = crossover(xo2x2.assign(CHG=xo2x2["AVAL"] - xo2x2["BASE"]), outcome="CHG",
                  df_method="satterthwaite")
    np.testing.assert_allclose(a.effects[COLS].to_numpy(float), b.effects[COLS].to_numpy(float),
                               rtol=1e-10)
    assert a.formula.startswith("AVAL_CFB ~")


def test_period_baseline_as_covariate_enters_the_model(xo2x2):
    xo = crossover(xo2x2, period_baseline="BASE", df_method="satterthwaite")
    assert "BASE" in xo.model.coef.index
    assert xo.formula == "AVAL ~ TRTSEQP + APERIOD + TRTA + BASE + (1 | USUBJID)"


@pytest.mark.parametrize("df_method", ["satterthwaite", "kenward-roger"])
def test_unstructured_covariance_over_periods_on_complete_2x2(xo2x2, df_method):
    # with complete 2x2 data the unstructured model's treatment difference is the
    # Hills-Armitage one (saturated means): relative 1e-8, df n - 2 to 1e-6; under KR
    # only with SAS's UN parametrization (R mmrm's gives a smaller, inexact SE)
    xo = crossover(xo2x2, covariance="us", df_method=df_method)
    ha = hills_armitage(xo2x2).iloc[0]
    assert xo.effects["estimate"].item() == pytest.approx(ha["estimate"], rel=1e-10)
    assert xo.effects["std_error"].item() == pytest.approx(ha["std_error"], rel=1e-8)
    assert xo.effects["df"].item() == pytest.approx(22.0, abs=1e-6)
    assert xo.variance_components is None and np.isnan(xo.icc)
    assert "us(APERIOD | USUBJID)" in xo.formula


def test_williams_and_abb_designs_report_carryover_f_test():
    w = crossover(_load("williams4.csv"), df_method="satterthwaite")
    assert w.design == "multi-period" and w.levels == ("PBO", "LDN2", "LDN3", "LDN45")
    assert w.carryover["num_df"].item() == 3.0
    assert len(w.effects) == 6 and w.hills_armitage is None
    abb = crossover(_load("abb_baa.csv"), df_method="satterthwaite")
    assert abb.carryover["num_df"].item() == 1.0
    assert abb.effects["contrast"].tolist() == ["LDN - PBO"]


def test_percent_change_outcome_like_younger_2013(xo2x2):
    xo = crossover(xo2x2, outcome="PCHG", df_method="satterthwaite")
    assert xo.effects["estimate"].item() < 0  # LDN lowers pain in the seeded data


def test_result_is_frozen(xo2x2):
    xo = crossover(xo2x2, df_method="satterthwaite")
    with pytest.raises(dataclasses.FrozenInstanceError):
        xo.icc = 0.0  # type: ignore[misc]


def test_treatment_not_matching_sequence_raises_data_error(xo2x2):
    bad = xo2x2.copy()
    bad.loc[0, "TRTA"] = "PBO"  # S001 is LDN-PBO: period 1 must be LDN
    with pytest.raises(DataError, match=r"S001.*the sequence says 'LDN'"):
        crossover(bad)


def test_duplicate_period_rows_raise_data_error(xo2x2):
    with pytest.raises(DataError, match="one row per USUBJID x APERIOD"):
        crossover(pd.concat([xo2x2, xo2x2.head(1)]))


def test_missing_column_and_bad_option_raise(xo2x2):
    with pytest.raises(DataError, match="NOPE"):
        crossover(xo2x2, outcome="NOPE")
    with pytest.raises(ModelError, match="baseline_adjustment"):
        crossover(xo2x2, period_baseline="BASE", baseline_adjustment="ratio")


def test_carryover_factor_is_previous_treatment_reference_in_period_one():
    d = _load("abb_baa.csv")
    out, levels = prepare_crossover_data(d)
    assert levels == ["PBO", "LDN"]
    s1 = out.loc[out["USUBJID"] == "S001"]  # LDN-PBO-PBO
    assert s1["CARRYOVER"].astype(str).tolist() == ["PBO", "LDN", "PBO"]


def test_diary_model_with_unequal_period_lengths():
    # Younger 2013 style: a long LDN period and a short placebo period; every day counts
    d = _load("diary.csv")
    short = d.loc[(d["TRTA"] == "LDN") | (d["APERDY"] <= 5)]
    xo = diary_crossover(short, df_method="satterthwaite", reference="PBO")
    assert xo.n_obs == len(short) and xo.design == "diary"
    assert 0 < xo.icc < 1
    cmp = compare_with_period_means(short, df_method="satterthwaite")
    assert cmp["analysis"].tolist() == ["daily ratings", "period means"]
    assert (cmp["estimate"] < 0).all()


def test_younger2013_pipeline_simulate_derive_crossover():
    # the demo path: simulator preset -> derive_crossover -> crossover on percent change
    from types import SimpleNamespace

    from ldn_stats.derive import derive_crossover
    from ldn_stats.simulate import simulate_trial

    tabs = simulate_trial("younger2013", seed=20130601)
    trial = SimpleNamespace(adsl=tabs["adsl"], adeff=tabs["adeff"], adae=None,
                            design="crossover")
    periods = derive_crossover(trial, param="PAINVAS")
    ana = periods.loc[periods["ANL01FL"] == "Y"]
    xo = crossover(ana, outcome="PCHG", df_method="kenward-roger")
    used = ana.loc[ana["PCHG"].notna(), "USUBJID"].nunique()
    assert xo.design == "2x2" and xo.n_subjects == used
    assert xo.effects["contrast"].tolist() == ["LDN - PBO"]
    assert xo.responders["threshold"].tolist() == [30.0, 50.0]
    # complete subjects only for the period-difference methods
    assert xo.hills_armitage["n"].item() <= used


def test_simulated_williams_and_abb_designs_run_through_the_pipeline():
    # design tools -> simulator CrossoverDesign.sequences -> derive -> crossover
    import dataclasses
    from types import SimpleNamespace

    from ldn_stats.derive import derive_crossover
    from ldn_stats.models.crossover.designs import sequence_labels, williams_design
    from ldn_stats.simulate import simulate_trial
    from ldn_stats.simulate.presets import PRESETS

    for sequences, n_periods in ((tuple(sequence_labels(williams_design(["LDN", "PBO"]))), 2),
                                 (("LDN-PBO-PBO", "PBO-LDN-LDN"), 3)):
        design = dataclasses.replace(
            PRESETS["younger2013"], name="design-tools", sequences=sequences, allocation=(8, 8),
            period_days=(28,) * n_periods, washout_days=(7,) * (n_periods - 1))
        tabs = simulate_trial(design, seed=7)
        trial = SimpleNamespace(adsl=tabs["adsl"], adeff=tabs["adeff"], adae=None,
                                design="crossover")
        periods = derive_crossover(trial, param="PAINVAS")
        xo = crossover(periods.loc[periods["ANL01FL"] == "Y"], outcome="PCHG",
                       df_method="satterthwaite")
        assert xo.design == ("2x2" if n_periods == 2 else "multi-period")
        assert xo.carryover is not None and np.isfinite(xo.carryover["p_value"].item())
        assert sorted(periods["TRTSEQP"].unique()) == sorted(sequences)


def test_negative_within_subject_correlation_puts_subject_variance_at_zero():
    # lme4 reports such a fit as singular with the subject variance at 0; the treatment
    # estimate of complete 2x2 data stays the Hills-Armitage one (relative 1e-10)
    rng = np.random.default_rng(3)
    rows = []
    for i in range(12):
        seq = ("LDN", "PBO") if i % 2 else ("PBO", "LDN")
        e = rng.normal(size=2)
        e = e - 1.8 * e.mean()  # period values pulled apart: negative correlation
        for p, t in enumerate(seq, start=1):
            rows.append((f"S{i}", "-".join(seq), p, t, 50 - 3 * (t == "LDN") + 5 * e[p - 1]))
    d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "AVAL"])
    xo = crossover(d)
    vc = xo.variance_components.set_index("component")["estimate"]
    assert vc["between-subject"] == pytest.approx(0.0, abs=1e-8)
    assert xo.icc == pytest.approx(0.0, abs=1e-8)
    assert xo.effects["estimate"].item() == pytest.approx(
        hills_armitage(d)["estimate"].item(), rel=1e-10)


def test_period_labels_are_ordered_numerically(xo2x2):
    # periods 9 and 10: "10" sorts before "9" as text; results must not change (rel 1e-10)
    relabelled = xo2x2.assign(APERIOD=xo2x2["APERIOD"].map({1: 9, 2: 10}).astype(str))
    a = crossover(xo2x2, df_method="satterthwaite")
    b = crossover(relabelled, df_method="satterthwaite")
    np.testing.assert_allclose(b.effects[COLS].to_numpy(float), a.effects[COLS].to_numpy(float),
                               rtol=1e-10)
    np.testing.assert_allclose(b.hills_armitage[COLS].to_numpy(float),
                               a.hills_armitage[COLS].to_numpy(float), rtol=1e-10)
    assert b.period_effects["contrast"].tolist() == ["10 - 9"]


def test_result_surface_delegates_to_the_mixed_model(xo2x2):
    # the crossover result has the linear-model surface: coef, pairwise(), anova(), glance()
    xo = crossover(xo2x2, df_method="kenward-roger")
    pw = xo.pairwise().iloc[0]
    eff = xo.effects.iloc[0]
    assert pw["contrast"] == eff["contrast"] == "LDN - PBO"
    for col in ["estimate", "std_error", "df", "p_value"]:
        assert pw[col] == pytest.approx(eff[col], rel=1e-12), col
    assert xo.coef.equals(xo.model.coef)
    assert "TRTA" in xo.anova().index
    g = xo.glance()
    assert len(g) == 1 and g.loc[0, "design"] == "2x2" and g.loc[0, "icc"] == xo.icc
