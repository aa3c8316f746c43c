"""simulate_trial: determinism, the data contract, schedules, dropout and stops."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ldn_stats.simulate import (
    PRESETS,
    AdverseEvent,
    CrossoverDesign,
    Dropout,
    ParallelDesign,
    Population,
    Treatment,
    simulate_trial,
)

ADSL_COMMON = ["USUBJID", "SITEID", "AGE", "SEX", "RANDFL", "ITTFL", "SAFFL"]
ADEFF = ["USUBJID", "PARAMCD", "ADY", "AVAL", "APERIOD", "TRTA"]
ADAE = ["USUBJID", "AEDECOD", "ASTDY", "AESEV", "AESER", "TRTA"]


@pytest.fixture(scope="module", params=sorted(PRESETS))
def tables(request):
    return request.param, simulate_trial(request.param, seed=11)


def test_same_seed_identical_tables():
    for name in PRESETS:
        a, b = simulate_trial(name, seed=5), simulate_trial(name, seed=5)
        for key in ("adsl", "adeff", "adae"):
            assert a[key].equals(b[key]), (name, key)


def test_different_seeds_differ():
    a, b = simulate_trial("final", seed=1), simulate_trial("final", seed=2)
    assert not a["adeff"]["AVAL"].equals(b["adeff"]["AVAL"])
    assert not a["adsl"]["TRT01P"].equals(b["adsl"]["TRT01P"])


def test_same_seed_identical_bytes(tmp_path):
    from ldn_stats import io
    for k in (1, 2):
        io.write_tables(simulate_trial("younger2013", seed=3), tmp_path / f"run{k}")
    for name in ("adsl.csv", "adeff.csv", "adae.csv"):
        assert (tmp_path / "run1" / name).read_bytes() == (tmp_path / "run2" / name).read_bytes()


def test_contract_columns_and_values(tables):
    name, t = tables
    design = PRESETS[name]
    adsl, adeff, adae = t["adsl"], t["adeff"], t["adae"]
    arm = "TRT01P" if isinstance(design, ParallelDesign) else "TRTSEQP"
    assert adsl.columns.tolist() == [*ADSL_COMMON, arm, "DCSREAS", "TRTEDY", "DCTREAS"]
    assert adeff.columns.tolist() == ADEFF
    assert adae.columns.tolist() == ADAE
    assert adsl["USUBJID"].is_unique and len(adsl) == design.n_subjects
    assert adsl["AGE"].between(18, 100).all() and adsl["AGE"].dtype == np.int64
    assert set(adsl["SEX"]) <= {"F", "M"}
    for flag in ("RANDFL", "ITTFL", "SAFFL"):
        assert set(adsl[flag]) <= {"Y", "N"}
    # DCSREAS empty (missing) exactly for subjects whose diary runs to the planned end
    last = adeff.groupby("USUBJID")["ADY"].max()
    planned = last.max()
    completed = adsl.set_index("USUBJID")["DCSREAS"].isna()
    assert (last[completed.index[completed]] == planned).all()
    assert (last[completed.index[~completed]] < planned).all()
    # adeff keys, study days, ranges
    assert not adeff.duplicated(["USUBJID", "PARAMCD", "ADY"]).any()
    assert adeff["ADY"].dtype == np.int64 and not (adeff["ADY"] == 0).any()
    assert set(adeff["USUBJID"]) <= set(adsl["USUBJID"])
    assert set(adae["USUBJID"]) <= set(adsl["USUBJID"])
    aval = adeff["AVAL"].dropna()
    assert aval.between(design.scale.low, design.scale.high).all()
    assert (aval == np.round(aval)).all()  # integer ratings (NRS points, VAS mm)
    assert 0 < adeff["AVAL"].isna().mean() < 0.15  # missed diary days, not many
    assert adeff.loc[adeff["ADY"] < 0, "TRTA"].isna().all()  # nothing before the first dose
    assert adeff.loc[adeff["ADY"] < 0, "APERIOD"].isna().all()
    assert set(adeff["PARAMCD"]) == {design.scale.paramcd}
    assert set(adae["AESEV"]) <= {"MILD", "MODERATE", "SEVERE"}
    assert set(adae["AESER"]) <= {"Y", "N"}
    assert (adae["ASTDY"] >= 1).all() and adae["TRTA"].notna().all()
    # every adverse event falls on a day the subject was in the study
    span = adeff.groupby("USUBJID")["ADY"].max()
    assert (adae["ASTDY"].to_numpy() <= span[adae["USUBJID"]].to_numpy()).all()


def test_parallel_trta_follows_arm():
    t = simulate_trial("final", seed=4)
    arm = t["adsl"].set_index("USUBJID")["TRT01P"]
    eff = t["adeff"]
    on = eff["TRTA"].notna()
    assert (eff.loc[on, "TRTA"].to_numpy() == arm[eff.loc[on, "USUBJID"]].to_numpy()).all()
    assert eff["APERIOD"].isna().all()
    assert eff["ADY"].min() == -7 and eff["ADY"].max() == 84


def test_final_stops_end_treatment_and_some_leave():
    # FINAL: stopping for an adverse event empties TRTA for the rest of the
    # treatment phase (TRTEDY = the last dose day, DCTREAS = ADVERSE EVENT); half
    # of the stoppers keep their diary to day 84, the others leave the study that
    # day (DCSREAS = ADVERSE EVENT, no diary afterwards).
    found = {"stay": 0, "leave": 0}
    for seed in (4, 5, 6):
        t = simulate_trial("final", seed=seed)
        eff, adsl = t["adeff"], t["adsl"].set_index("USUBJID")
        last_day = eff.groupby("USUBJID")["ADY"].max()
        last_dose = eff[eff["TRTA"].notna()].groupby("USUBJID")["ADY"].max()
        assert (adsl["TRTEDY"] == last_dose[adsl.index]).all()
        stopped = adsl.index[adsl["DCTREAS"].notna()]
        assert set(adsl.loc[stopped, "DCTREAS"]) <= {"ADVERSE EVENT"}
        assert (adsl.loc[stopped, "TRTEDY"] < 84).all()
        assert (adsl.loc[adsl["DCTREAS"].isna(), "TRTEDY"] == 84).all()
        left = adsl["DCSREAS"].notna()
        assert set(adsl.loc[left, "DCSREAS"]) <= {"ADVERSE EVENT"}
        assert set(adsl.index[left]) <= set(stopped)  # FINAL has no other dropout
        for s in stopped:
            if left[s]:  # the diary ends on the last dose day
                assert last_day[s] == adsl.loc[s, "TRTEDY"]
                found["leave"] += 1
            else:
                assert last_day[s] == 84
                found["stay"] += 1
    assert found["stay"] >= 1 and found["leave"] >= 1


def test_ae_leave_share_keeps_the_other_draws():
    # the leave decision has its own stream: with the share at 0 the subjects who do not
    # leave have the same diary as with the share at 0.5
    import dataclasses
    base = dataclasses.replace(PRESETS["final"], ae_leave_share=0.0)
    a, b = simulate_trial(base, seed=4), simulate_trial("final", seed=4)
    stay = b["adsl"].loc[b["adsl"]["DCSREAS"].isna(), "USUBJID"]
    ea = a["adeff"][a["adeff"]["USUBJID"].isin(stay)].reset_index(drop=True)
    eb = b["adeff"][b["adeff"]["USUBJID"].isin(stay)].reset_index(drop=True)
    pd.testing.assert_frame_equal(ea, eb)
    assert a["adsl"]["DCSREAS"].isna().all()


def test_younger2013_schedule():
    # 2 wk baseline, 12 wk LDN / 4 wk placebo, 2 wk washout between, 2 wk follow-up = 22 wk
    t = simulate_trial("younger2013", seed=2)
    eff = t["adeff"].merge(t["adsl"][["USUBJID", "TRTSEQP", "DCSREAS"]], on="USUBJID")
    done = eff[eff["DCSREAS"].isna()]
    for seq, first, second in (("LDN-PBO", 84, 28), ("PBO-LDN", 28, 84)):
        one = done[done["TRTSEQP"] == seq]
        one = one[one["USUBJID"] == one["USUBJID"].iloc[0]]
        assert one["ADY"].tolist() == [*range(-14, 0), *range(1, 141)]
        p = one["APERIOD"].to_numpy(dtype=float, na_value=np.nan)
        trta = one["TRTA"].fillna("").to_numpy()
        assert (p == 1).sum() == first and (p == 2).sum() == second
        assert set(trta[p == 1]) == {seq.split("-")[0]}
        assert set(trta[p == 2]) == {seq.split("-")[1]}
        assert (trta[np.isnan(p)] == "").all()
        assert np.isnan(p[14 + first:14 + first + 14]).all()  # washout
        assert np.isnan(p[-14:]).all()  # follow-up
        assert len(one) == 22 * 7


def test_three_period_williams_design():
    d = CrossoverDesign(
        sequences=("A-B-C", "B-C-A", "C-A-B", "A-C-B", "B-A-C", "C-B-A"),
        allocation=(2,) * 6, period_days=(7, 7, 7), washout_days=(3, 3), run_in_days=7,
        treatments=(Treatment(code="A"), Treatment(code="B", effect=-0.2),
                    Treatment(code="C", effect=-0.1)),
    )
    t = simulate_trial(d, seed=9)
    eff = t["adeff"].merge(t["adsl"][["USUBJID", "TRTSEQP"]], on="USUBJID")
    per = eff.dropna(subset=["APERIOD"])
    got = per.groupby(["USUBJID", "APERIOD"])["TRTA"].agg(lambda s: "|".join(sorted(set(s))))
    seq = per.groupby(["USUBJID", "APERIOD"])["TRTSEQP"].first()
    expected = [s.split("-")[int(p) - 1] for (_, p), s in seq.items()]
    assert got.tolist() == expected
    assert per.groupby("USUBJID")["APERIOD"].nunique().eq(3).all()


def _dropout_design(mechanism: str, strength: float) -> ParallelDesign:
    return ParallelDesign(
        arms=("LDN", "PBO"), allocation=(300, 300), weeks=8,
        population=Population(baseline_mean=6.0, baseline_sd=1.5, within_sd=1.6),
        dropout=Dropout(rate=0.3, mechanism=mechanism, strength=strength),
    )


@pytest.mark.parametrize("mechanism", ["MAR", "MNAR"])
def test_informative_dropout_removes_high_pain_subjects(mechanism):
    # With a strong pain-dependent hazard, those who leave had higher baseline
    # pain than completers; under MCAR the two groups are alike (seeded check).
    t = simulate_trial(_dropout_design(mechanism, 1.0), seed=1)
    adsl, eff = t["adsl"], t["adeff"]
    base = eff[eff["ADY"] < 0].groupby("USUBJID")["AVAL"].mean()
    gone = adsl.set_index("USUBJID")["DCSREAS"].notna()
    assert set(adsl["DCSREAS"].dropna()) == {"LACK OF EFFICACY"}
    assert base[gone].mean() - base[~gone].mean() > 0.5
    mcar = simulate_trial(_dropout_design("MCAR", 0.0), seed=1)
    gone = mcar["adsl"].set_index("USUBJID")["DCSREAS"].notna()
    base = mcar["adeff"][mcar["adeff"]["ADY"] < 0].groupby("USUBJID")["AVAL"].mean()
    assert abs(base[gone].mean() - base[~gone].mean()) < 0.3
    # MCAR rate 0.3 over 600 subjects: binomial SD 0.019, tolerance 3 SD
    assert abs(gone.mean() - 0.3) < 0.06
    assert set(mcar["adsl"]["DCSREAS"].dropna()) == {"WITHDRAWAL BY SUBJECT"}


def test_crossover_ae_stop_ends_participation():
    d = CrossoverDesign(
        sequences=("LDN-PBO", "PBO-LDN"), allocation=(40, 40), period_days=(28, 28),
        washout_days=(7,),
        treatments=(Treatment(code="LDN", ae_stop_risk=0.5,
                              adverse_events=(AdverseEvent(decod="NAUSEA", risk=0.3),)),
                    Treatment(code="PBO")),
    )
    t = simulate_trial(d, seed=3)
    adsl, eff, ae = t["adsl"], t["adeff"], t["adae"]
    stopped = adsl.loc[adsl["DCSREAS"] == "ADVERSE EVENT", "USUBJID"]
    assert 20 <= len(stopped) <= 60
    last = eff.groupby("USUBJID")["ADY"].max()
    for u in stopped:
        ev = ae[ae["USUBJID"] == u]
        assert len(ev) >= 1 and ev["ASTDY"].max() <= last[u]
        assert ev["AESEV"].isin(["MODERATE", "SEVERE"]).any()


def test_final_any_ae_risk_matches_publication():
    # P(any event) = 1 - (1 - stop risk) * prod(1 - risk_i) for independent terms
    # (a stop for an adverse event adds one when there was none); published 84 % vs 86 %.
    d = PRESETS["final"]
    for code, target in (("LDN", 0.84), ("PBO", 0.86)):
        trt = d.treatment(code)
        none = (1 - trt.ae_stop_risk) * math.prod(1 - ae.risk for ae in trt.adverse_events)
        assert abs(1 - none - target) < 0.002


def test_validates_against_the_trial_contract(tables):
    from ldn_stats import trial
    name, t = tables
    result = trial.validate_tables(t["adsl"], t["adeff"], t["adae"], source=name)
    expected = "parallel" if isinstance(PRESETS[name], ParallelDesign) else "crossover"
    assert result.design == expected


def test_tables_are_string_typed_with_missing_for_empty(tables):
    _, t = tables
    assert pd.api.types.is_string_dtype(t["adeff"]["TRTA"])
    assert not (t["adeff"]["TRTA"] == "").any()
    assert not (t["adsl"]["DCSREAS"] == "").any()


def test_titration_and_washout_curves_exact():
    # No noise, no between-subject variation, 3-decimal recording: each day's
    # rating is the model value b * (1 + p * P_j + d * L_j) worked by hand:
    # b = 5, placebo p = -0.1 over a 10-day ramp, LDN d = -0.2 over a 28-day
    # titration, wearing off over 7 days after the last dose on day 42.
    from ldn_stats.simulate import NRS, PlaceboResponse, Scale

    scale = Scale(paramcd=NRS.paramcd, low=0, high=10, decimals=3)
    d = ParallelDesign(
        arms=("LDN", "PBO"), allocation=(1, 1), weeks=6, follow_up_days=14, run_in_days=3,
        scale=scale,
        population=Population(baseline_mean=5.0, baseline_sd=0.0, within_sd=0.0,
                              missed_day_rate=0.0),
        placebo_response=PlaceboResponse(mean=-0.1, sd=0.0, onset_days=10),
        treatments=(Treatment(code="LDN", effect=-0.2, onset_days=28, offset_days=7),
                    Treatment(code="PBO")),
    )
    t = simulate_trial(d, seed=0)
    eff = t["adeff"].merge(t["adsl"][["USUBJID", "TRT01P"]], on="USUBJID")
    for arm in ("LDN", "PBO"):
        one = eff[eff["TRT01P"] == arm].set_index("ADY")
        for day in (-3, -1, 1, 5, 10, 14, 28, 42, 43, 46, 49, 56):
            placebo = min(max(day, 0) / 10, 1.0)
            if arm == "LDN":
                ldn = min(day / 28, 1.0) if day <= 42 else max(1 - (day - 42) / 7, 0.0)
                ldn = max(ldn, 0.0)
            else:
                ldn = 0.0
            expected = 5.0 * (1 - 0.1 * placebo - 0.2 * ldn)
            assert one.loc[day, "AVAL"] == pytest.approx(expected, abs=5e-4), (arm, day)
        assert one.loc[42, "TRTA"] == arm and pd.isna(one.loc[43, "TRTA"])
