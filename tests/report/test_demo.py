"""run_spec on the committed FINAL demo trial through the real read_trial and derive_parallel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ldn_stats.errors import SpecError
from ldn_stats.report import run_spec
from support import REPO

ROOT = REPO
DEMO = ROOT / "data" / "demo" / "final"
SPEC = (ROOT / "analyses" / "final_ancova.toml").read_text()

pytestmark = pytest.mark.skipif(not (DEMO / "adsl.csv").exists(),
                                reason="demo data not generated (make demo)")


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "final_ancova.toml"
    path.write_text(text.replace('trial = "../data/demo/final"', f'trial = "{DEMO.as_posix()}"'))
    return path


def test_final_ancova_matches_ols_on_the_derived_table(tmp_path):
    # witness: statsmodels OLS of CHG ~ BASE + I(TRT01P == LDN) at Week 12 on
    # derive_parallel(read_trial(data/demo/final)); tolerance 1e-9 (CSV keeps 10 digits)
    from ldn_stats.derive import derive_parallel
    from ldn_stats.trial import read_trial

    written = run_spec(_spec(tmp_path, SPEC), tmp_path / "out")
    assert tmp_path / "out" / "final_ancova" / "tables" / "lsmeans.csv" in written
    res = pd.read_csv(tmp_path / "out" / "final_ancova" / "tables" / "lsmeans.csv")
    diff = res[res["term"] == "difference"].iloc[0]

    ana = derive_parallel(read_trial(DEMO))
    last = ana[(ana["AVISIT"].astype(str) == "Week 12") & (ana["ANL01FL"] == "Y")
               & (ana["ITTFL"] == "Y")].dropna(subset=["CHG", "BASE"])
    X = sm.add_constant(np.column_stack([last["BASE"].astype(float),
                                         (last["TRT01P"] == "LDN").astype(float)]))
    ols = sm.OLS(last["CHG"].astype(float).to_numpy(), X).fit()
    assert diff["label"] == "LDN - PBO"
    assert diff["estimate"] == pytest.approx(ols.params[2], abs=1e-9)
    assert diff["std_error"] == pytest.approx(ols.bse[2], abs=1e-9)
    assert diff["df"] == ols.df_resid
    cat = json.loads((tmp_path / "out" / "final_ancova" / "outputs.json").read_text())
    assert set(cat["inputs"]) == {f"{DEMO.as_posix()}/{n}" for n in
                                  ("adae.csv", "adeff.csv", "adsl.csv")}


def test_unknown_derive_rule_is_a_spec_error(tmp_path):
    text = SPEC.replace("[model]", "[derive]\nno_such_rule = 3\n\n[model]")
    with pytest.raises(SpecError, match="derive"):
        run_spec(_spec(tmp_path, text), tmp_path / "out")
    assert not (tmp_path / "out").exists()
