"""Bounded time and memory in the MMRM engine (issue 11, item 4): a formula or covariance
that would blow up is refused up front, naming the cause, before any work."""

from __future__ import annotations

import string

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mmrm
from ldn_stats.errors import FormulaError, ModelError
from ldn_stats.models.mmrm.formula import MAX_TERMS, parse_formula


def test_26_crossed_factors_are_refused_without_expanding():
    text = "y ~ " + "*".join(string.ascii_lowercase)
    # refused while expanding (it used to build 2^26 terms first and exhaust 6 GB)
    with pytest.raises(FormulaError, match=rf"more than {MAX_TERMS} terms .*67,108,863"):
        parse_formula(text)


def test_repeated_factors_expand_without_duplicates():
    f = parse_formula("y ~ " + "*".join(["a", "b"] * 40))  # 80 factors, 3 distinct terms
    assert f.term_labels() == ("a", "b", "a:b")
    assert parse_formula("y ~ a:b*c*a").term_labels() == ("c", "a", "a:b", "a:c", "a:b:c")
    assert len(parse_formula("y ~ " + "*".join("abcdefgh")).terms) == 255  # within the cap


def _wide(n_subjects: int, n_visits: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"ID": np.repeat(np.arange(n_subjects), n_visits),
                      "V": np.tile([f"V{i:02d}" for i in range(n_visits)], n_subjects)})
    d["Y"] = rng.normal(size=len(d))
    return d


def test_us_over_50_visits_with_20_subjects_is_refused_up_front():
    # refused before the likelihood is built (it used to hang for 8 minutes)
    with pytest.raises(ModelError, match=r"1,275 covariance parameters.*not identifiable: "
                       r"choose a structure with fewer parameters: toeph\(\)"):
        mmrm("Y ~ V + us(V | ID)", _wide(20, 50))


def test_us_needs_as_many_subjects_as_visits():
    with pytest.raises(ModelError, match=r"only 5 subjects.*toep\(\) \(8 per group\)"):
        mmrm("Y ~ 1 + us(V | ID)", _wide(5, 8))


def test_us_needs_every_pair_of_visits_seen_together():
    d = _wide(30, 3)
    # visits V00 and V02 never observed on one subject
    d = d[~((d["ID"] < 15) & (d["V"] == "V02")) & ~((d["ID"] >= 15) & (d["V"] == "V00"))]
    with pytest.raises(ModelError, match="no subject has both visit 'V00' and visit 'V02'"):
        mmrm("Y ~ V + us(V | ID)", d)
    assert mmrm("Y ~ V + ar1(V | ID)", d).converged  # the advice works
