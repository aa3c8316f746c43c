"""Issue 9: output honesty - labels from the catalogue, no responder output without a
responder definition, absent inputs are spec errors (or "not collected"), NNT when RD = 0,
and the real trials through ``ldn-stats run``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ldn_stats.errors import SpecError
from ldn_stats.report.runner import run_spec
from ldn_stats.tables import catalogue

REAL = Path(__file__).parents[1] / "fixtures" / "real_trials"


def _spec(tmp_path: Path, trial: str, parameter: str, tables: list[str], kind: str = "mmrm",
          formula: str | None = None, extra: str = "") -> Path:
    model = (f'kind = "mmrm"\nformula = "{formula}"\ndf_method = "kenward-roger"'
             if kind == "mmrm" else 'kind = "crossover"\noutcome = "AVAL"')
    text = f"""
[analysis]
name = "{trial}_check"
number = 3
title = "{trial}"
estimand = "test"
[data]
trial = "{REAL / trial}"
population = "ITTFL"
parameter = "{parameter}"
[model]
{model}
[outputs]
tables = {tables!r}
{extra}
""".replace("'", '"')
    path = tmp_path / f"{trial}_check.toml"
    path.write_text(text)
    return path


BDI = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"


def test_real_trials_run_through_ldn_stats_run(tmp_path):
    for trial, parameter, formula in (
            ("bthe_b", "BDI", BDI),
            ("epil", "SEIZ", "AVAL ~ TRT01P * AVISIT + us(AVISIT | USUBJID)"),
            ("calcium", "BMD", BDI)):
        run_spec(_spec(tmp_path, trial, parameter, ["baseline", "lsmeans", "model"],
                       formula=formula), tmp_path / "out")
    run_spec(_spec(tmp_path, "copd", "PEFR", ["baseline", "lsmeans", "crossover_effects"],
                   kind="crossover"), tmp_path / "out")
    baseline = (tmp_path / "out" / "bthe_b_check" / "tables" / "baseline.md").read_text()
    assert "Baseline Beck Depression Inventory (0-63)" in baseline
    assert "pain" not in baseline.lower()  # old main: "Baseline pain (BDI)"
    lsmeans = (tmp_path / "out" / "calcium_check" / "tables" / "lsmeans.md").read_text()
    assert "(0.00)" not in lsmeans and "0.000)" not in lsmeans  # BMD SEs are nonzero
    assert "0.027 (0.002)" in lsmeans  # the catalogue's 3 decimals for BMD
    # baseline BMD in the catalogue's 3 decimals too (before: one decimal, "0.9 (0.1)")
    base = (tmp_path / "out" / "calcium_check" / "tables" / "baseline.csv").read_text()
    shown = (tmp_path / "out" / "calcium_check" / "tables" / "baseline.md").read_text()
    assert "BASE" in base
    row = next(line for line in shown.splitlines() if "mean (SD)" in line and "Age" not in line)
    assert all(len(cell.split("(")[0].strip().split(".")[-1]) == 3
               for cell in row.split("|")[2:-1] if cell.strip())


def test_responders_without_a_definition_are_a_spec_error(tmp_path):
    spec = _spec(tmp_path, "bthe_b", "BDI", ["lsmeans", "responders"], formula=BDI)
    with pytest.raises(SpecError, match="BDI has no responder definition"):
        run_spec(spec, tmp_path / "out")  # old main: 0 responders, "NNT Inf"
    assert not (tmp_path / "out").exists()  # before anything runs


def test_adverse_events_without_adae(tmp_path):
    spec = _spec(tmp_path, "bthe_b", "BDI", ["adverse_events"], formula=BDI)
    with pytest.raises(SpecError, match="no adae table"):
        run_spec(spec, tmp_path / "out")  # old main: "Any adverse event 0 (0.0%)"
    spec = _spec(tmp_path, "bthe_b", "BDI", ["lsmeans", "adverse_events"], formula=BDI,
                 extra="optional = true")
    run_spec(spec, tmp_path / "out")
    text = (tmp_path / "out" / "bthe_b_check" / "tables" / "adverse_events.md").read_text()
    assert "Not collected" in text and "0 (0.0%)" not in text


def test_disposition_without_randfl_is_a_spec_error(tmp_path):
    spec = _spec(tmp_path, "epil", "SEIZ", ["disposition"],
                 formula="AVAL ~ TRT01P * AVISIT + us(AVISIT | USUBJID)")
    with pytest.raises(SpecError, match="RANDFL"):
        run_spec(spec, tmp_path / "out")


def test_nnt_not_estimable_when_the_risk_difference_is_zero():
    summary = pd.DataFrame([{"criterion": "CRIT1FL", "contrast": "LDN - PBO", "n_resp": 5,
                             "n": 20, "n_resp_ref": 5, "n_ref": 20, "estimate": 0.0,
                             "conf_low": -0.25, "conf_high": 0.25, "nnt": float("inf"),
                             "nnt_low": float("nan"), "nnt_high": float("nan")}])
    table = catalogue.responder_table(summary, number="1", reference="PBO")
    assert table.display["NNT (95% CI)"].tolist() == ["not estimable (risk difference 0)"]


def test_a_model_of_chg_on_a_trial_without_baseline_is_a_spec_error(tmp_path):
    # epil has no baseline records: BASE/CHG are never invented, and the spec is told so
    spec = _spec(tmp_path, "epil", "SEIZ", ["lsmeans"],
                 formula="CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)")
    with pytest.raises(SpecError, match=r"has no baseline for SEIZ.*model AVAL instead"):
        run_spec(spec, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_change_figure_on_a_trial_without_baseline_is_a_spec_error(tmp_path):
    # epil has no baseline records: the waterfall of PCHG used to crash with KeyError (exit 2)
    spec = _spec(tmp_path, "epil", "SEIZ", ["lsmeans"],
                 formula="AVAL ~ TRT01P * AVISIT + us(AVISIT | USUBJID)",
                 extra='figures = ["waterfall"]')
    with pytest.raises(SpecError, match=r"outputs\.figures 'waterfall' needs BASE, CHG and PCHG"):
        run_spec(spec, tmp_path / "out")
    assert not (tmp_path / "out" / "epil_check").exists()


def test_adverse_event_footnotes_say_what_the_data_hold(tmp_path):
    # a trial without SAFFL: every ADSL subject (before: "Population: safety (SAFFL =
    # 'Y')" regardless)
    demo = Path(__file__).parents[2] / "data" / "demo" / "final"
    trial = tmp_path / "trial"
    trial.mkdir()
    pd.read_csv(demo / "adsl.csv", dtype=str).drop(columns="SAFFL").to_csv(
        trial / "adsl.csv", index=False)
    (trial / "adae.csv").write_bytes((demo / "adae.csv").read_bytes())
    (trial / "adeff.csv").write_bytes((demo / "adeff.csv").read_bytes())
    spec = tmp_path / "ae.toml"
    spec.write_text(f"""
[analysis]
name = "ae_check"
number = 3
title = "ae"
estimand = "test"
[data]
trial = "{trial}"
population = "ITTFL"
parameter = "PAINNRS"
[model]
kind = "mmrm"
formula = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"
[outputs]
tables = ["adverse_events"]
""")
    run_spec(spec, tmp_path / "out")
    text = (tmp_path / "out" / "ae_check" / "tables" / "adverse_events.md").read_text()
    assert "every subject in ADSL (it has no SAFFL)" in text and "SAFFL = 'Y'" not in text
