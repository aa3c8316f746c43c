"""Williams designs and first-order carryover balance (Williams 1949; Jones & Kenward 2014, 4.2)."""

from __future__ import annotations

import pytest

from ldn_stats.errors import SpecError
from ldn_stats.models.crossover.designs import (
    carryover_counts,
    is_carryover_balanced,
    is_uniform,
    parse_sequence,
    sequence_labels,
    williams_design,
)


@pytest.mark.parametrize("t", range(2, 11))
def test_williams_design_is_uniform_and_carryover_balanced(t):
    design = williams_design(t)
    assert len(design) == (t if t % 2 == 0 else 2 * t)
    assert all(sorted(s) == sorted(design[0]) for s in design)  # each treatment once per subject
    assert is_uniform(design)
    assert is_carryover_balanced(design)
    counts = carryover_counts(design).to_numpy()
    expected = 1 if t % 2 == 0 else 2  # each ordered pair once (even t) or twice (odd t)
    assert (counts.sum(axis=0) == expected * (t - 1)).all()


def test_williams_design_labels_round_trip():
    design = williams_design(["PBO", "LDN3", "LDN45"])
    labels = sequence_labels(design)
    assert labels[0] == "PBO-LDN3-LDN45"
    assert [parse_sequence(x) for x in labels] == design


def test_latin_square_without_mirror_is_not_balanced_for_odd_t():
    cyclic = ["A-B-C", "B-C-A", "C-A-B"]
    assert is_uniform(cyclic)
    assert not is_carryover_balanced(cyclic)


def test_abb_baa_is_uniform_but_not_williams_balanced():
    counts = carryover_counts(["A-B-B", "B-A-A"])
    assert counts.loc["B", "B"] == 1 and counts.loc["A", "B"] == 1
    assert not is_carryover_balanced(["A-B-B", "B-A-A"])


@pytest.mark.parametrize("bad", [1, ["A"], ["A", "A"], ["A-1", "B"]])
def test_bad_treatments_raise_spec_error(bad):
    with pytest.raises(SpecError):
        williams_design(bad)


def test_unequal_sequence_lengths_raise_spec_error():
    with pytest.raises(SpecError, match="same number of periods"):
        carryover_counts(["A-B", "B-A-A"])
