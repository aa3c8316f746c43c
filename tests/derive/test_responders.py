"""CHG, PCHG (BASE 0), responder flags at exactly -30% and -50%, ANL01FL.

Witness: hand arithmetic in the comments; exact comparisons unless stated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ldn_stats.derive import DeriveRules, derive_change, derive_parallel, responder_flag
from ldn_stats.errors import SpecError, ValidationError
from support.derive_helpers import diary, make_trial, subject


def _frame(aval, base, ittfl=None):
    n = len(aval)
    return pd.DataFrame({"ITTFL": ittfl or ["Y"] * n, "AVAL": aval, "BASE": base})


def test_exactly_30_and_50_percent_reductions_are_responders():
    # BASE 6, AVAL 4.2 = (4+4+5+4+4)/5: CHG = -1.8 (float -1.7999999999999998),
    # PCHG = 100 * -1.8 / 6 = -30 exactly in real numbers (float -29.999999999999996)
    # BASE 10, AVAL 5: PCHG = -50 exactly; BASE 10, AVAL 7: -30 exactly
    out = derive_change(_frame([21 / 5, 5.0, 7.0], [6.0, 10.0, 10.0]))
    assert out["PCHG"].tolist() == pytest.approx([-30.0, -50.0, -30.0], rel=1e-12)
    assert out["CRIT1FL"].tolist() == ["Y", "Y", "Y"]
    assert out["CRIT2FL"].tolist() == ["N", "Y", "N"]


def test_just_short_of_the_thresholds_is_not_a_response():
    # BASE 10: AVAL 7.01 -> PCHG -29.9; AVAL 5.01 -> -49.9
    out = derive_change(_frame([7.01, 5.01], [10.0, 10.0]))
    assert out["CRIT1FL"].tolist() == ["N", "Y"]
    assert out["CRIT2FL"].tolist() == ["N", "N"]


def test_zero_or_missing_baseline_gives_missing_pchg_and_flags():
    # BASE 0: CHG = 2 - 0 = 2 but PCHG undefined; BASE missing: CHG missing too
    out = derive_change(_frame([2.0, 3.0, np.nan], [0.0, np.nan, 5.0]))
    assert out["CHG"].tolist()[0] == 2.0
    assert out["CHG"].isna().tolist() == [False, True, True]
    assert out["PCHG"].isna().all()
    assert out["CRIT1FL"].isna().all() and out["CRIT2FL"].isna().all()
    # ANL01FL: BASE 0 is a present baseline, so row 0 is analysed (CHG defined)
    assert out["ANL01FL"].tolist() == ["Y", "N", "N"]


def test_anl01fl_needs_population_flag():
    out = derive_change(_frame([3.0, 3.0], [6.0, 6.0], ittfl=["Y", "N"]))
    assert out["ANL01FL"].tolist() == ["Y", "N"]
    # the population flag is configurable
    frame = _frame([3.0, 3.0], [6.0, 6.0]).assign(SAFFL=["N", "Y"])
    out = derive_change(frame, DeriveRules(population_flag="SAFFL"))
    assert out["ANL01FL"].tolist() == ["N", "Y"]


def test_thresholds_are_configurable():
    # PCHG -20: a responder at a 20% threshold only
    out = derive_change(_frame([8.0], [10.0]), DeriveRules(crit1_pchg=-20.0, crit2_pchg=-40.0))
    assert out["CRIT1FL"].tolist() == ["Y"] and out["CRIT2FL"].tolist() == ["N"]
    with pytest.raises(SpecError, match="crit1_pchg"):
        DeriveRules(crit1_pchg="30")


def test_responder_flag_without_tolerance_shows_why_it_exists():
    pchg = np.array([100 * (21 / 5 - 6) / 6])  # -29.999999999999996
    assert responder_flag(pchg, -30.0, tolerance=0.0).tolist() == ["N"]
    assert responder_flag(pchg, -30.0).tolist() == ["Y"]


def test_missing_columns_are_named():
    with pytest.raises(ValidationError, match="BASE"):
        derive_change(pd.DataFrame({"ITTFL": ["Y"], "AVAL": [1.0]}))


def test_exact_30_percent_through_derive_parallel():
    # baseline days -7..-1 all 6 -> BASE 6; week 1 days 1..5 = 4, 4, 5, 4, 4 -> 21/5 = 4.2
    # PCHG = 100 * (4.2 - 6) / 6 = -30 -> CRIT1FL Y, CRIT2FL N
    days = {d: 6 for d in range(-7, 0)} | {1: 4, 2: 4, 3: 5, 4: 4, 5: 4}
    table = derive_parallel(make_trial([subject("01")], [diary("01", days)]))
    row = table.iloc[0]
    assert row["PCHG"] == pytest.approx(-30.0, rel=1e-12)
    assert (row["CRIT1FL"], row["CRIT2FL"], row["ANL01FL"]) == ("Y", "N", "Y")
