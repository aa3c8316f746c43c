"""The committed demo trials are exactly what ``make demo`` regenerates, and the CLI works.

Witness: ``data/demo/final`` (``--seed 20240101``) and ``data/demo/younger2013``
(``--seed 20130601``), the seeds of the Makefile's ``demo`` target; bytes must
be identical, so a change to the simulator or to the CSV writer that would
change the demos fails here until ``make demo`` is rerun and committed.
"""

from __future__ import annotations

import pytest

from ldn_stats.cli import main
from ldn_stats.simulate import simulate_trial
from support import REPO

DEMO = REPO / "data" / "demo"
SEEDS = {"final": 20240101, "younger2013": 20130601}


@pytest.mark.parametrize("preset", sorted(SEEDS))
def test_committed_demo_is_regenerated_byte_for_byte(preset, tmp_path):
    from ldn_stats import io
    if not (DEMO / preset).is_dir():
        pytest.skip(f"no committed demo at {DEMO / preset}")
    io.write_tables(simulate_trial(preset, seed=SEEDS[preset]), tmp_path / preset)
    for name in ("adsl.csv", "adeff.csv", "adae.csv"):
        committed = (DEMO / preset / name).read_bytes()
        assert (tmp_path / preset / name).read_bytes() == committed, name
        assert len(committed) < 2_000_000


def test_cli_simulate_then_validate(tmp_path, capsys):
    import ldn_stats.io
    import ldn_stats.trial  # noqa: F401
    out = tmp_path / "trial"
    assert main(["simulate", "--preset", "younger2013", "--seed", "7", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["adae.csv", "adeff.csv", "adsl.csv"]
    assert main(["validate", str(out)]) == 0
    assert "crossover design, 31 subjects" in capsys.readouterr().out


def test_cli_unknown_preset_exits_one_without_traceback(tmp_path, capsys):
    import ldn_stats.io  # noqa: F401
    out = tmp_path / "trial"
    assert main(["simulate", "--preset", "finale", "--seed", "7", str(out)]) == 1
    err = capsys.readouterr().err
    assert "valid presets: final, younger2013" in err and "Traceback" not in err
    assert not out.exists()
