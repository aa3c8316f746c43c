"""Analysis kind ``mi`` on the committed FINAL demo (weeks 1-6 to keep it quick).

Witness: the same calls of :mod:`ldn_stats.mi` made directly on the derived table (the
kind must only wire them: identical numbers, 1e-9 through the CSV); the intercurrent
events against ADSL's DCTREAS/TRTEDY by hand (exact).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mi
from ldn_stats.report import run_spec
from ldn_stats.report.kinds.mi import intercurrent_events
from support import REPO

DEMO = REPO / "data" / "demo" / "final"
SPEC = (REPO / "analyses" / "final_sensitivity.toml").read_text()
WEEKS = [f"Week {k}" for k in range(1, 7)]

pytestmark = pytest.mark.skipif(not (DEMO / "adsl.csv").exists(),
                                reason="demo data not generated (make demo)")


def test_mi_kind_wires_the_mi_package(tmp_path):
    from ldn_stats.derive import derive_parallel
    from ldn_stats.trial import read_trial

    text = SPEC.replace('trial = "../data/demo/final"', f'trial = "{DEMO.as_posix()}"')
    text = text.replace('parameter = "PAINNRS"',
                        'parameter = "PAINNRS"\nvisits = [' +
                        ", ".join(f'"{w}"' for w in WEEKS) + "]")
    spec = tmp_path / "final_sensitivity.toml"
    spec.write_text(text)
    written = run_spec(spec, tmp_path / "out")
    out = tmp_path / "out" / "final_sensitivity"
    assert out / "figures" / "tipping_point.png" in written
    model = pd.read_csv(out / "tables" / "model.csv")
    assert model.iloc[:, 0].str.startswith(("MAR:", "JR:", "CIR:")).sum() == 3

    trial = read_trial(DEMO)
    ana = derive_parallel(trial)
    ana = ana[(ana["ITTFL"] == "Y") & (ana["ANL01FL"] == "Y")
              & ana["AVISIT"].astype(str).isin(WEEKS)].copy()
    ana["TRT01P"] = pd.Categorical(ana["TRT01P"].astype(str), categories=["PBO", "LDN"])
    ana["AVISIT"] = pd.Categorical(ana["AVISIT"].astype(str), categories=WEEKS, ordered=True)
    ice = intercurrent_events(trial.adsl, ana, WEEKS)
    # by hand: DCTREAS given and the first week after the last dose within weeks 1-6
    adsl = trial.adsl[trial.adsl["DCTREAS"].notna()]
    expect = {r.USUBJID: f"Week {int(float(r.TRTEDY)) // 7 + 1}" for r in adsl.itertuples()
              if int(float(r.TRTEDY)) // 7 + 1 <= 6}
    assert dict(zip(ice["USUBJID"], ice["AVISIT"], strict=True)) == expect
    dr = mi.draws(ana, "CHG ~ BASE * AVISIT + TRT01P * AVISIT + us(AVISIT | USUBJID)",
                  group="TRT01P", ice=ice.assign(strategy="JR"), workers=0)
    p = dr.impute({"LDN": "PBO", "PBO": "PBO"}).analyse("ancova", covariates=["BASE"]).pool()
    trt = p[p["parameter"] == "trt"]
    ls = pd.read_csv(out / "tables" / "lsmeans.csv")
    diff = ls[ls["term"] == "difference"]
    np.testing.assert_allclose(diff["estimate"].to_numpy(), trt["estimate"].to_numpy(),
                               atol=1e-9)
    np.testing.assert_allclose(diff["std_error"].to_numpy(), trt["std_error"].to_numpy(),
                               atol=1e-9)


def test_mi_section_is_read_and_checked_by_the_kind():
    from ldn_stats.errors import SpecError
    from ldn_stats.report.kinds.mi import MIOptions
    from ldn_stats.report.spec import parse_spec

    spec = parse_spec(SPEC, source="final_sensitivity.toml")
    assert isinstance(spec.options, MIOptions)
    assert spec.options.report == "JR" and spec.options.tipping_grid[-1] == 3.0
    for bad, key in ((SPEC.replace('report = "JR"', 'report = "CR"'), "mi.report"),
                     (SPEC.replace('method = "condmean"', 'method = "bayes"'), "mi.method"),
                     (SPEC.replace('resampling = "jackknife"', 'resampling = "bootstrap"'),
                      "mi.n_samples"),
                     (SPEC.replace("[mi]", "[mi]\nnope = 1"), "mi.nope"),
                     (SPEC.replace("tipping_grid = [0.0,", "tipping_grid = [nan,"),
                      "mi.tipping_grid")):
        with pytest.raises(SpecError, match=key.replace(".", r"\.")):
            parse_spec(bad, source="x.toml")
    # a kind's section in another kind's spec is named as such
    other = SPEC.replace('kind = "mi"', 'kind = "mmrm"').replace(
        'tables = ["disposition", "lsmeans", "model"]', 'tables = ["lsmeans"]').replace(
        'figures = ["tipping_point"]', "figures = []")
    with pytest.raises(SpecError, match=r"section \[mi\] belongs to model.kind 'mi'"):
        parse_spec(other, source="x.toml")
