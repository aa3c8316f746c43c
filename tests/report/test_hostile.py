"""Careless and hostile specs and trials for ``run`` (issue 11, items 1, 3, 4, 5, 6): exit 1
with a message naming the cause, never exit 2, and no wrong number in a listing."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ldn_stats import mmrm
from ldn_stats.cli import main
from ldn_stats.errors import SpecError
from ldn_stats.io import write_tables
from ldn_stats.report.spec import MAX_NAME_LENGTH, load_spec, parse_spec
from ldn_stats.simulate import simulate_trial
from ldn_stats.tables.catalogue import NOT_ESTIMABLE, lsmeans_table

SPEC = textwrap.dedent("""
    [analysis]
    name = "{name}"
    number = 1
    title = "T"
    estimand = "E"
    [data]
    trial = "{trial}"
    [model]
    kind = "ancova"
    formula = "CHG ~ BASE + TRT01P"
    [outputs]
    tables = ["lsmeans"]
""")


@pytest.fixture(scope="module")
def small_trial() -> dict[str, pd.DataFrame]:
    tables = simulate_trial("final", seed=5)
    keep = set(tables["adsl"]["USUBJID"].iloc[:16])
    return {name: frame[frame["USUBJID"].isin(keep)].reset_index(drop=True)
            for name, frame in tables.items()}


def _project(root: Path, tables, name="t", trial="trial") -> Path:
    write_tables(tables, root / trial)
    spec = root / f"{name}.toml"
    spec.write_text(SPEC.format(name=name, trial=trial), encoding="utf-8")
    return spec


def _run(spec: Path, out: Path, capsys) -> tuple[int, str]:
    code = main(["run", str(spec), "--out", str(out)])
    return code, capsys.readouterr().err


# ---- spec: names, nesting


@pytest.mark.parametrize("name", ["appendix", "validate", "Appendix"])
def test_reserved_analysis_names_are_refused(name):
    with pytest.raises(SpecError, match="report's own folders"):
        parse_spec(SPEC.format(name=name, trial="x"), source="s.toml")


def test_a_300_character_name_is_refused(tmp_path, capsys):
    with pytest.raises(SpecError, match=f"at most {MAX_NAME_LENGTH} characters, found 300"):
        parse_spec(SPEC.format(name="n" * 300, trial="x"), source="s.toml")


def test_toml_nested_50000_deep_is_a_spec_error(tmp_path, capsys):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    with pytest.raises(SpecError, match="nested too deeply"):
        load_spec(path)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "internal error" not in capsys.readouterr().err


def test_a_huge_spec_file_is_not_read(tmp_path):
    path = tmp_path / "big.toml"
    with open(path, "wb") as fh:
        fh.truncate(5 << 20)  # sparse: 5 MB of nothing
    with pytest.raises(SpecError, match="expected a spec of at most"):
        load_spec(path)


# ---- trial folders


@pytest.mark.parametrize("folder", ["/proc/self", "/etc"])
def test_system_folders_as_trial_are_a_clean_error(tmp_path, capsys, folder):
    if not Path(folder).is_dir():
        pytest.skip(f"{folder} not on this system")
    spec = tmp_path / "s.toml"
    spec.write_text(SPEC.format(name="s", trial=folder), encoding="utf-8")
    code, err = _run(spec, tmp_path / "out", capsys)
    assert code == 1 and "table adsl not found" in err
    assert "passwd" not in err and "environ" not in err
    assert not (tmp_path / "out").exists()


def test_run_records_only_the_trials_own_tables(tmp_path, small_trial, capsys):
    spec = _project(tmp_path, small_trial)
    (tmp_path / "trial" / "notes.txt").write_text("unrelated")
    (tmp_path / "trial" / "big.bin").write_bytes(b"\0" * 1000)
    code, err = _run(spec, tmp_path / "out", capsys)
    assert code == 0, err
    outputs = json.loads((tmp_path / "out" / "t" / "outputs.json").read_text())
    assert sorted(outputs["inputs"]) == ["trial/adae.csv", "trial/adeff.csv", "trial/adsl.csv"]


def test_one_arm_only_is_a_clean_error(tmp_path, small_trial, capsys):
    tables = {k: v.copy() for k, v in small_trial.items()}
    tables["adsl"]["TRT01P"] = "LDN"
    for name in ("adeff", "adae"):
        t = tables[name]
        t.loc[t["TRTA"].notna(), "TRTA"] = "LDN"
    spec = _project(tmp_path, tables)
    code, err = _run(spec, tmp_path / "out", capsys)
    assert code == 1, err
    assert "at least two treatment arms" in err and "found them only in LDN" in err
    assert not (tmp_path / "out").exists()


def test_one_arm_without_post_baseline_outcome_is_a_clean_error(tmp_path, small_trial,
                                                                 capsys):
    tables = {k: v.copy() for k, v in small_trial.items()}
    pbo = set(tables["adsl"].loc[tables["adsl"]["TRT01P"] == "PBO", "USUBJID"])
    adeff = tables["adeff"]
    tables["adeff"] = adeff[~(adeff["USUBJID"].isin(pbo) & (adeff["ADY"] > 0))]
    spec = _project(tmp_path, tables)
    code, err = _run(spec, tmp_path / "out", capsys)
    assert code == 1, err
    assert "found them only in LDN (none in PBO)" in err


def test_arm_labels_differing_in_case_are_refused(tmp_path, small_trial, capsys):
    tables = {k: v.copy() for k, v in small_trial.items()}
    first = tables["adsl"].loc[tables["adsl"]["TRT01P"] == "LDN", "USUBJID"].iloc[0]
    tables["adsl"].loc[tables["adsl"]["USUBJID"] == first, "TRT01P"] = "ldn"
    for name in ("adeff", "adae"):
        t = tables[name]
        t.loc[(t["USUBJID"] == first) & t["TRTA"].notna(), "TRTA"] = "ldn"
    spec = _project(tmp_path, tables)
    code, err = _run(spec, tmp_path / "out", capsys)
    assert code == 1, err
    assert "differ only in case or spaces: 'LDN', 'ldn'" in err


# ---- outputs


def test_out_root_that_is_a_file_or_a_symlinked_analysis_folder(tmp_path, small_trial,
                                                                  capsys):
    spec = _project(tmp_path, small_trial)
    (tmp_path / "file").write_text("x")
    code, err = _run(spec, tmp_path / "file", capsys)
    assert code == 1 and "internal error" not in err
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / "t").symlink_to(tmp_path / "elsewhere")
    code, err = _run(spec, tmp_path / "out", capsys)
    assert code == 1 and "symbolic link" in err
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_listing_prints_ne_for_non_estimable_and_names_the_alias():
    rng = np.random.default_rng(11)
    n = 30
    d = pd.DataFrame({"ID": np.repeat(np.arange(n), 2), "V": np.tile(["W1", "W2"], n),
                      "ARM": np.repeat(np.where(np.arange(n) % 2, "LDN", "PBO"), 2)})
    d["DOSE"] = np.where(d["ARM"] == "LDN", 4.5, 0.0)
    d["Y"] = rng.normal(size=len(d))
    d["ARM"] = pd.Categorical(d["ARM"], ["PBO", "LDN"])
    fit = mmrm("Y ~ DOSE + ARM * V + us(V | ID)", d)
    ls = fit.lsmeans("ARM", by="V").rename(columns={"ARM": "group", "V": "visit"})
    pw = fit.pairwise("ARM", by="V").rename(columns={"V": "visit"})
    for frame in (ls, pw):
        frame["visit"] = frame["visit"].astype(str)
    ls["group"] = ls["group"].astype(str)
    table = lsmeans_table(ls, pw, number="1.1")
    shown = table.display.to_numpy().ravel().tolist()
    assert NOT_ESTIMABLE in shown
    assert not any(c.replace(".", "").replace("-", "").isdigit() for c in
                   table.display["Difference"])  # no number for a non-estimable difference

    from types import SimpleNamespace

    from ldn_stats.report.outputs.tables import footnotes
    sel = SimpleNamespace(spec=SimpleNamespace(population="ITTFL", parameter="P",
                                               source="s.toml"), pop=d)
    notes = footnotes(sel, SimpleNamespace(formula=fit.formula, df_method="kr", model=fit))
    assert any("NE: not estimable" in n and "ARMLDN = 0.2222 DOSE" in n for n in notes)


def test_a_three_period_sequence_in_a_2x2_trial_is_refused(tmp_path, capsys):
    tables = simulate_trial("younger2013", seed=3)
    adsl = tables["adsl"].copy()
    first = adsl.index[adsl["TRTSEQP"] == "LDN-PBO"][0]
    adsl.loc[first, "TRTSEQP"] = "LDN-PBO-LDN"  # passes validation: its data have 2 periods
    write_tables({**tables, "adsl": adsl}, tmp_path / "xo")
    spec = tmp_path / "x.toml"
    spec.write_text(SPEC.format(name="x", trial="xo")
                    .replace('kind = "ancova"', 'kind = "crossover-ols"')
                    .replace('formula = "CHG ~ BASE + TRT01P"\n', "")
                    .replace('[data]\n', '[data]\nparameter = "PAINVAS"\n')
                    .replace('"lsmeans"', '"crossover_effects"'), encoding="utf-8")
    code, err = _run(spec, tmp_path / "out", capsys)
    assert code == 1, err
    assert "'LDN-PBO-LDN' has a different number of periods" in err
