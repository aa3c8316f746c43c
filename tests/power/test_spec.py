"""Design specs: every bad key is a SpecError naming it; the CLI prints it and writes nothing."""

from __future__ import annotations

import pytest

from ldn_stats.cli import main
from ldn_stats.errors import SpecError
from ldn_stats.power import parse_design_spec
from ldn_stats.power.scenarios import replicate_seed, scenarios

GOOD = """
[design]
name = "d"
preset = "final"
seed = 3
replicates = 5
[scenarios]
n_per_arm = [20, 30]
effect = [0.0, -0.5]
dropout_rate = 0.1
[analysis]
kind = "mmrm"
formula = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"
"""


def _bad(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


@pytest.mark.parametrize(("text", "key"), [
    (_bad('preset = "final"', 'preset = "nope"'), "design.preset"),
    (_bad("replicates = 5", "replicates = -1"), "design.replicates"),
    (_bad("seed = 3", 'seed = "x"'), "design.seed"),
    (_bad("n_per_arm = [20, 30]", "n_per_arm = [20, 1]"), "scenarios.n_per_arm"),
    (_bad("dropout_rate = 0.1", "dropout_rate = 1.5"), "scenarios.dropout_rate"),
    (_bad("dropout_rate = 0.1", "dropout_rates = 0.1"), "scenarios.dropout_rates"),
    (_bad("dropout_rate = 0.1", 'dropout_mechanism = "LOCF"'), "scenarios.dropout_mechanism"),
    (_bad('kind = "mmrm"', 'kind = "anova"'), "analysis.kind"),
    (_bad('kind = "mmrm"', 'kind = "crossover"'), "analysis.kind"),
    (_bad("[design]", "[design]\nalpha = 2"), "design.alpha"),
    (_bad("[design]", "[design]\nchunksize = 2"), "design.chunksize"),
    (_bad("[design]", "[design]\nquick_replicates = 9"), "design.quick_replicates"),
    (_bad("effect = [0.0, -0.5]", "effect = [-0.5, -0.5]"), "scenarios.effect"),
    (GOOD.replace('name = "d"\n', ""), "design.name"),
    ("[design\n", "not valid TOML"),
])
def test_bad_spec_names_the_key(text, key):
    with pytest.raises(SpecError, match=key.replace(".", r"\.")):
        parse_design_spec(text, source="bad.toml")


def test_grid_is_the_product_and_seeds_do_not_depend_on_the_grid():
    s = parse_design_spec(GOOD)
    sc = scenarios(s)
    assert [(x.params["n_per_arm"], x.params["effect"]) for x in sc] == [
        (20, 0.0), (20, -0.5), (30, 0.0), (30, -0.5)]
    # adding a value elsewhere in a list keeps the other scenarios' seeds
    s2 = parse_design_spec(GOOD.replace("n_per_arm = [20, 30]", "n_per_arm = [10, 20, 30]"))
    sc2 = {tuple(x.params.values()): x for x in scenarios(s2)}
    for x in sc:
        y = sc2[tuple(x.params.values())]
        assert replicate_seed(s, x, 4) == replicate_seed(s2, y, 4)
    seeds = {replicate_seed(s, x, r) for x in sc for r in range(50)}
    assert len(seeds) == 200


def test_unknown_treatment_code_is_named(tmp_path):
    from ldn_stats.power import run_power

    s = parse_design_spec(_bad("[design]", '[design]\nactive = "NTX"'), source="d.toml")
    with pytest.raises(SpecError, match=r"design\.active.*'NTX'"):
        run_power(s, tmp_path, workers=0)
    assert list(tmp_path.iterdir()) == []


def test_cli_bad_spec_exit_1_no_output(tmp_path, capsys):
    spec = tmp_path / "d.toml"
    spec.write_text(_bad("replicates = 5", "replicates = 0"))
    out = tmp_path / "out"
    assert main(["power", str(spec), "--out", str(out), "--workers", "0"]) == 1
    err = capsys.readouterr().err
    assert "design.replicates" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_name_must_match_file(tmp_path, capsys):
    spec = tmp_path / "other.toml"
    spec.write_text(GOOD)
    assert main(["power", str(spec), "--out", str(tmp_path / "o"), "--workers", "0"]) == 1
    assert "design.name" in capsys.readouterr().err
