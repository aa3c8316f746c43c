"""The parameter catalogue (issue 9): built-in entries, a trial's parameters.toml, bad entries."""

from __future__ import annotations

import pytest

from ldn_stats.errors import SpecError
from ldn_stats.parameters import CATALOGUE_FILE, load_catalogue, parse_catalogue
from ldn_stats.trial import read_trial
from support.trial_tables import parallel_tables, write_trial


def test_builtin_entries_cover_the_ldn_endpoints():
    cat = load_catalogue()
    assert {"PAINNRS", "PAINVAS", "BPISEV", "BPIINT", "FIQR", "SF36PCS", "SF36MCS",
            "PGIC"} <= set(cat)
    assert (cat["BPIINT"].low, cat["BPIINT"].high) == (0.0, 70.0)
    assert cat["SF36PCS"].direction == "increase" and not cat["SF36PCS"].responders
    assert [r.kind for r in cat["PGIC"].responders] == ["value"]
    # only the pain scales say "pain"
    assert {c for c, p in cat.items() if p.pain} == {"PAINNRS", "PAINVAS", "BPISEV", "BPIINT"}
    assert all("pain" not in p.label.lower() for p in cat.values() if not p.pain)


def test_undeclared_code_is_a_plain_number():
    p = load_catalogue().get("BDI")
    assert not p.declared and p.label == "BDI" and p.low is None and p.high is None
    assert p.responders == () and p.in_range(102.0)


def test_trial_folder_adds_its_own(tmp_path):
    folder = write_trial(parallel_tables(), tmp_path / "t")
    (folder / CATALOGUE_FILE).write_text(
        '[PAINVAS]\nlabel = "VAS (0-50 mm)"\nlow = 0\nhigh = 50\ndirection = "decrease"\n'
    )
    with pytest.raises(Exception, match="AVAL of PAINVAS between 0 and 50"):
        read_trial(folder)  # 001..004 have PAINVAS 40..55: 55 is outside the trial's range
    assert load_catalogue(folder)["PAINVAS"].label == "VAS (0-50 mm)"


@pytest.mark.parametrize(
    ("entry", "message"),
    [({"label": "x", "direction": "up"}, "direction"),
     ({"label": "x", "low": 5, "high": 1}, "low <= high"),
     ({"label": "x", "decimals": -1}, "decimals"),
     ({"label": "x", "responders": [{"flag": "CRIT1FL", "kind": "relative",
                                     "threshold": 30}]}, "direction"),
     ({"label": "x", "direction": "decrease",
       "responders": [{"flag": "CRIT1FL", "kind": "ratio", "threshold": 30}]}, "kind"),
     ({"unit": "mm"}, "label")],
)
def test_bad_entries_are_spec_errors(entry, message):
    with pytest.raises(SpecError, match=message):
        parse_catalogue({"X": entry}, "test.toml")
