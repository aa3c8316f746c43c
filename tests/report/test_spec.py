"""Spec validation: every error names the key, loading never executes anything."""

from __future__ import annotations

import pytest

from ldn_stats.errors import SpecError
from ldn_stats.report.spec import load_spec, parse_spec
from support.report_synth import CROSSOVER_SPEC, PARALLEL_SPEC


def test_valid_specs_parse():
    spec = parse_spec(PARALLEL_SPEC, source="par.toml")
    assert (spec.name, spec.number, spec.design, spec.model.df_method) == (
        "par", 1, "parallel", "residual")
    assert spec.tables[0] == "baseline" and spec.seed == 11
    xo = parse_spec(CROSSOVER_SPEC, source="xo.toml")
    assert (xo.design, xo.model.outcome) == ("crossover", "AVAL")


@pytest.mark.parametrize(("old", "new", "key"), [
    ('name = "par"', "name = 7", "analysis.name"),
    ('name = "par"', 'name = "../escape"', "analysis.name"),
    ("number = 1", "number = 0", "analysis.number"),
    ("number = 1", 'number = "1"', "analysis.number"),
    ('trial = "../data/par"', "", "data.trial"),
    ('parameter = "PAINNRS"', 'parameter = "PAIN NRS"', "data.parameter"),
    ('kind = "ancova"', 'kind = "anova"', "model.kind"),
    ('formula = "CHG ~ BASE + TRT01P"', "", "model.formula"),
    ('formula = "CHG ~ BASE + TRT01P"', 'formula = "CHG ~ __import__(\'os\')"', "model.formula"),
    ('formula = "CHG ~ BASE + TRT01P"',
     'formula = "CHG ~ BASE + TRT01P"\ndf_method = "kenward-roger"', "model.df_method"),
    ('formula = "CHG ~ BASE + TRT01P"', 'formula = "CHG ~ BASE"\nfomula = "x"', "model.fomula"),
    ('tables = ["baseline"', 'tables = ["baseline", "baseline"', "outputs.tables"),
    ('tables = ["baseline"', 'tables = ["crossover_effects"', "outputs.tables"),
    ('figures = ["mean_change"', 'figures = ["pie_chart"', "outputs.figures"),
    ("[outputs]", "[output]", "output"),
])
def test_errors_name_the_key(old, new, key):
    text = PARALLEL_SPEC.replace(old, new, 1)
    assert text != PARALLEL_SPEC
    with pytest.raises(SpecError) as err:
        parse_spec(text, source="par.toml")
    assert str(err.value).startswith(f"par.toml: {key}: ")


def test_missing_section_and_bad_toml():
    with pytest.raises(SpecError, match=r"x.toml: model: missing required section"):
        parse_spec(PARALLEL_SPEC.split("[model]")[0], source="x.toml")
    with pytest.raises(SpecError, match="not valid TOML"):
        parse_spec("[analysis\nname=", source="x.toml")


def test_crossover_outputs_rejected_for_parallel_kinds():
    text = CROSSOVER_SPEC.replace('figures = ["crossover_periods"', 'figures = ["waterfall"')
    with pytest.raises(SpecError, match=r"outputs\.figures: 'waterfall' applies to parallel"):
        parse_spec(text, source="xo.toml")


def test_load_spec_resolves_trial_against_spec_folder_and_hashes_bytes(tmp_path):
    import hashlib

    path = tmp_path / "specs" / "par.toml"
    path.parent.mkdir()
    path.write_text(PARALLEL_SPEC)
    spec = load_spec(path)
    assert spec.trial_path == path.parent / "../data/par"
    assert spec.trial == "../data/par"
    assert spec.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert spec.source == "par.toml"


def test_load_spec_rejects_non_utf8(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_bytes(b"\xff\xfe[analysis]")
    with pytest.raises(SpecError, match="not UTF-8"):
        load_spec(path)


def test_diary_kind_refuses_endpoint_outputs():
    text = CROSSOVER_SPEC.replace('kind = "crossover-ols"', 'kind = "crossover-diary"')
    with pytest.raises(SpecError, match=r"outputs\.tables: 'baseline' is not an output of "
                                        r"model.kind 'crossover-diary' \(daily-diary "
                                        r"crossover mixed model on every rated day\)"):
        parse_spec(text, source="d.toml")
    head = text.split("[outputs]")[0]
    ok = head + '[outputs]\ntables = ["lsmeans", "model"]\nfigures = ["residuals"]\n'

    assert parse_spec(ok, source="d.toml").model.kind == "crossover-diary"


def test_diary_section_turns_on_the_random_slope():
    text = CROSSOVER_SPEC.replace('kind = "crossover-ols"', 'kind = "crossover-diary"')
    head = text.split("[outputs]")[0]
    base = head + '[outputs]\ntables = ["lsmeans", "model"]\n'
    assert parse_spec(base, source="d.toml").options.random_slope is False
    spec = parse_spec(base + "\n[diary]\nrandom_slope = true\n", source="d.toml")
    assert spec.options.random_slope is True
    with pytest.raises(SpecError, match=r"d.toml: diary.random_slope: expected true or false, "
                                        r"found 1"):
        parse_spec(base + "\n[diary]\nrandom_slope = 1\n", source="d.toml")
    with pytest.raises(SpecError, match=r"diary.slope: unknown key"):
        parse_spec(base + "\n[diary]\nslope = true\n", source="d.toml")
    with pytest.raises(SpecError, match=r"section \[diary\] belongs to model.kind "
                                        r"'crossover-diary'"):
        parse_spec(CROSSOVER_SPEC + "\n[diary]\nrandom_slope = true\n", source="d.toml")


def test_each_responder_key_means_one_table():
    # 'responders' is the parallel table; a crossover asks for 'paired_responders'
    xo = CROSSOVER_SPEC.replace('tables = ["baseline"', 'tables = ["responders", "baseline"')
    with pytest.raises(SpecError, match="'responders' applies to parallel designs"):
        parse_spec(xo)
    par = PARALLEL_SPEC.replace('tables = ["baseline"', 'tables = ["paired_responders", "baseline"')
    with pytest.raises(SpecError, match="'paired_responders' applies to crossover designs"):
        parse_spec(par)
    ok = CROSSOVER_SPEC.replace('tables = ["baseline"', 'tables = ["paired_responders", "baseline"')
    assert parse_spec(ok).tables[0] == "paired_responders"
