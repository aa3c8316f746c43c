"""The vectorized derivations against a plain per-subject loop on random diaries.

Witness: the loop implementations below (written from the rules' text, one subject at a time,
Python lists and statistics.fmean); tolerance 1e-12 absolute. Seeded, so deterministic.
"""

from __future__ import annotations

import statistics
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ldn_stats.derive import DeriveRules, derive_crossover, derive_parallel

RULE_SETS = [
    DeriveRules(),
    DeriveRules(baseline_window=(-10, -2), baseline_min_ratings=2, week_min_days=3),
    DeriveRules(week_length=5, week_min_days=5, n_weeks=5),
    DeriveRules(baseline_method="last", baseline_min_ratings=2),
]


def _random_parallel(seed: int):
    rng = np.random.default_rng(seed)
    ids = [f"P{i:02d}" for i in range(30)]
    adsl = pd.DataFrame({"USUBJID": ids, "SITEID": "1", "AGE": 40, "SEX": "F",
                         "ITTFL": rng.choice(["Y", "N"], 30, p=[0.9, 0.1]),
                         "TRT01P": rng.choice(["X", "Y"], 30)})
    rows = []
    for usubjid in ids:
        last = int(rng.integers(5, 29))  # dropout day
        for day in [*range(-12, 0), *range(1, last + 1)]:
            value = float(rng.integers(0, 11)) if rng.random() > 0.3 else np.nan
            rows.append((usubjid, "PAINNRS", day, value))
    adeff = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "ADY", "AVAL"])
    return SimpleNamespace(adsl=adsl, adeff=adeff, design="parallel")


def _loop_parallel(trial, rules: DeriveRules) -> dict:
    """(USUBJID, week) -> (NDAYS, AVAL, BASE) by looping over each subject's records."""
    adeff = trial.adeff
    n_weeks = rules.n_weeks or -(-int(adeff["ADY"].max()) // rules.week_length)
    out = {}
    for usubjid in trial.adsl["USUBJID"]:
        mine = adeff[adeff["USUBJID"] == usubjid]
        ratings = {int(d): v for d, v in zip(mine["ADY"], mine["AVAL"], strict=True)
                   if not np.isnan(v)}
        lo, hi = rules.baseline_window
        pre = [v for d, v in sorted(ratings.items()) if lo <= d <= hi]
        summary = statistics.fmean if rules.baseline_method == "mean" else (lambda x: x[-1])
        base = summary(pre) if len(pre) >= rules.baseline_min_ratings else np.nan
        for week in range(1, n_weeks + 1):
            first = rules.week_length * (week - 1) + 1
            days = range(first, first + rules.week_length)
            values = [ratings[d] for d in days if d in ratings]
            aval = statistics.fmean(values) if len(values) >= rules.week_min_days else np.nan
            out[(usubjid, week)] = (len(values), aval, base)
    return out


@pytest.mark.parametrize("rules", RULE_SETS)
@pytest.mark.parametrize("seed", [1, 2])
def test_parallel_matches_the_loop(seed, rules):
    trial = _random_parallel(seed)
    table = derive_parallel(trial, rules=rules)
    expected = _loop_parallel(trial, rules)
    assert len(table) == len(expected)
    got = {(u, w): (n, a, b) for u, w, n, a, b in zip(
        table["USUBJID"], table["AVISITN"], table["NDAYS"], table["AVAL"], table["BASE"],
        strict=True)}
    for key, (n, aval, base) in expected.items():
        assert got[key][0] == n, key
        np.testing.assert_allclose(got[key][1:], (aval, base), rtol=0, atol=1e-12)
    # the derived columns follow from AVAL and BASE row by row
    ok = table["ANL01FL"] == "Y"
    assert (ok == (table["ITTFL"].eq("Y") & table["AVAL"].notna() & table["BASE"].notna())).all()
    assert ok.any() and (~ok).any()


def _random_crossover(seed: int):
    rng = np.random.default_rng(seed)
    ids = [f"C{i:02d}" for i in range(24)]
    sequences = rng.choice(["A-B", "B-A"], 24)
    adsl = pd.DataFrame({"USUBJID": ids, "SITEID": "1", "AGE": 40, "SEX": "F", "ITTFL": "Y",
                         "TRTSEQP": sequences})
    rows = []
    for usubjid in ids:
        length1, washout, length2 = (int(x) for x in rng.integers([3, 0, 2], [15, 5, 12]))
        for day in range(-16, 0):
            rows.append((usubjid, day, np.nan))
        for day in range(1, length1 + washout + length2 + 1):
            period = 1 if day <= length1 else (np.nan if day <= length1 + washout else 2)
            rows.append((usubjid, day, period))
    adeff = pd.DataFrame(rows, columns=["USUBJID", "ADY", "APERIOD"])
    adeff["PARAMCD"] = "PAINVAS"
    adeff["AVAL"] = np.where(rng.random(len(adeff)) < 0.25, np.nan,
                             rng.integers(0, 101, len(adeff)).astype(float))
    return SimpleNamespace(adsl=adsl, adeff=adeff, design="crossover")


def _index(ady: int) -> int:
    return ady if ady < 0 else ady - 1


def _loop_crossover(trial, rules: DeriveRules) -> dict:
    """(USUBJID, period) -> (NDAYS, AVAL, BASE), one subject and period at a time."""
    out = {}
    for usubjid in trial.adsl["USUBJID"]:
        mine = trial.adeff[trial.adeff["USUBJID"] == usubjid].sort_values("ADY")
        ratings = {int(d): v for d, v in zip(mine["ADY"], mine["AVAL"], strict=True)
                   if not np.isnan(v)}
        lo, hi = rules.crossover_baseline_window
        pre = [v for d, v in ratings.items() if lo <= d <= hi]
        study = statistics.fmean(pre) if len(pre) >= rules.baseline_min_ratings else np.nan
        for period in (1, 2):
            days = [int(d) for d in mine.loc[mine["APERIOD"] == period, "ADY"]]
            rated = [d for d in days if d in ratings]
            if rules.period_endpoint_days is not None:
                rated = [d for d in rated
                         if _index(d) >= _index(days[-1]) - rules.period_endpoint_days + 1]
            used = [ratings[d] for d in rated[-rules.period_last_k:]]
            aval = statistics.fmean(used) if len(used) >= rules.period_min_ratings else np.nan
            if rules.crossover_baseline == "study":
                base = study
            else:
                start = _index(days[0])
                before = [v for d, v in ratings.items()
                          if start - rules.period_baseline_days <= _index(d) <= start - 1]
                enough = len(before) >= rules.period_baseline_min_ratings
                base = statistics.fmean(before) if enough else np.nan
            out[(usubjid, period)] = (len(used), aval, base)
    return out


@pytest.mark.parametrize(
    "rules",
    [
        DeriveRules(),
        DeriveRules(period_last_k=5, period_min_ratings=2, period_endpoint_days=6),
        DeriveRules(crossover_baseline="period", period_baseline_days=4,
                    period_baseline_min_ratings=2),
    ],
)
@pytest.mark.parametrize("seed", [3, 4])
def test_crossover_matches_the_loop(seed, rules):
    trial = _random_crossover(seed)
    table = derive_crossover(trial, param="PAINVAS", rules=rules)
    expected = _loop_crossover(trial, rules)
    assert len(table) == len(expected)
    for u, p, n, aval, base in zip(table["USUBJID"], table["APERIOD"], table["NDAYS"],
                                   table["AVAL"], table["BASE"], strict=True):
        assert n == expected[(u, p)][0], (u, p)
        np.testing.assert_allclose((aval, base), expected[(u, p)][1:], rtol=0, atol=1e-12)
    assert table["AVAL"].notna().any() and table["AVAL"].isna().any()
