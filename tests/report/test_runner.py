"""run_spec / build_report: byte-identical reruns in two folders, manifest, atomicity, caching.

The trial loading step (ldn_stats.trial + ldn_stats.derive) is replaced by the
synthetic tables of ``_report_synth`` so these tests exercise only the report layer;
the trial folders still hold CSV files, whose hashes the manifest records.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from ldn_stats.errors import SpecError
from ldn_stats.report import analyse as analyse_mod
from ldn_stats.report import build_report, contract, run_spec, runner
from support.report_synth import CROSSOVER_SPEC, PARALLEL_SPEC, crossover_trial, parallel_trial

SMALL_PAR = PARALLEL_SPEC.replace(
    '''figures = ["mean_change", "lsmean_change", "trajectories", "responder_curve", "waterfall",
           "forest", "residuals", "covariance_heatmap"]''', 'figures = ["mean_change"]')
TABLES_ONLY = SMALL_PAR.replace('figures = ["mean_change"]', "figures = []")
SMALL_XO = CROSSOVER_SPEC.replace(
    'figures = ["crossover_periods", "within_subject", "residuals"]',
    'figures = ["within_subject"]')


def _fake_loader(spec):
    trial, table = parallel_trial() if spec.design == "parallel" else crossover_trial()
    return trial, table


def _project(root: Path, par: str = SMALL_PAR) -> Path:
    (root / "analyses").mkdir(parents=True)
    (root / "analyses" / "par.toml").write_text(par)
    (root / "analyses" / "xo.toml").write_text(SMALL_XO)
    for name, make in (("par", parallel_trial), ("xo", crossover_trial)):
        trial, _ = make()
        folder = root / "data" / name
        folder.mkdir(parents=True)
        trial.adsl.to_csv(folder / "adsl.csv", index=False, lineterminator="\n")
        trial.adae.to_csv(folder / "adae.csv", index=False, lineterminator="\n")
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setattr(runner, "_load_trial_and_derive", _fake_loader)
    # the fingerprint hashes the package source; pin it so that edits to the source
    # made while the test runs (a shared work tree) cannot make the two builds differ
    source = contract.package_source_hash()
    mp.setattr(contract, "package_source_hash", lambda: source)
    mp.delenv("SOURCE_DATE_EPOCH", raising=False)
    trees = []
    try:
        for name in ("first-clone", "second/clone"):
            root = _project(tmp_path_factory.mktemp("b") / name)
            mp.chdir(root)
            written = build_report("analyses", "reports")
            assert [p.name for p in written] == ["index.html", "appendix.docx", "manifest.json"]
            trees.append((root, _tree(root / "reports")))
    finally:
        mp.undo()
    return trees


def test_two_builds_in_two_folders_are_byte_identical(two_builds):
    (_, a), (_, b) = two_builds
    assert sorted(a) == sorted(b)
    different = [k for k in a if a[k] != b[k]]
    assert different == []
    assert "par/tables/lsmeans.docx" in a and "xo/figures/within_subject.svg" in a


def test_every_table_format_and_figure_format_is_written(two_builds):
    (_, tree), _ = two_builds
    for key in ("baseline", "disposition", "lsmeans", "responders", "adverse_events", "model"):
        for ext in ("csv", "md", "html", "tex", "docx", "rtf"):
            assert f"par/tables/{key}.{ext}" in tree
    for ext in ("png", "svg", "pdf"):
        assert f"par/figures/mean_change.{ext}" in tree
    assert "xo/tables/crossover_effects.csv" in tree


def test_appendix_links_every_table_file_rtf_included(two_builds):
    import re

    (_, tree), _ = two_builds
    page = tree["appendix/index.html"].decode("utf-8")
    links = re.findall(r'href="\.\./([^"#]+)"', page)
    assert "par/tables/lsmeans.rtf" in links and "xo/tables/crossover_effects.rtf" in links
    assert [link for link in links if link not in tree] == []
    assert tree["par/tables/lsmeans.rtf"].startswith(b"{\\rtf1")


def test_no_absolute_path_or_temp_name_in_any_output(two_builds):
    (root, tree), _ = two_builds
    for name, data in tree.items():
        if name.endswith((".png", ".pdf", ".docx")):
            continue
        text = data.decode("utf-8")
        assert str(root) not in text, name
        assert "/tmp" not in text, name
    assert not [n for n in tree if "/." in n or n.startswith(".")]


def test_html_is_self_contained(two_builds):
    (_, tree), _ = two_builds
    page = tree["appendix/index.html"].decode("utf-8")
    assert "http" not in page.lower()
    assert "<link" not in page and "<script" not in page
    assert page.count('src="data:image/png;base64,') == 2
    assert "Table 1.3. LS-means by arm and visit" in page
    assert "analyses/par.toml" in page and "Figure 2.1" in page


def test_manifest_records_inputs_specs_versions_and_command(two_builds):
    (root, tree), _ = two_builds
    m = json.loads(tree["appendix/manifest.json"])
    assert m["command"] == "ldn-stats report --analyses analyses --out reports"
    assert m["source_date"] is None
    import hashlib

    spec_sha = hashlib.sha256((root / "analyses" / "par.toml").read_bytes()).hexdigest()
    assert m["inputs"]["analyses/par.toml"] == spec_sha
    adsl_sha = hashlib.sha256((root / "data" / "par" / "adsl.csv").read_bytes()).hexdigest()
    assert m["inputs"]["data/par/adsl.csv"] == adsl_sha
    assert m["analyses"][0]["seed"] == 11
    assert m["analyses"][0]["model"]["df_method"] == "residual"
    assert {"numpy", "pandas", "matplotlib", "python-docx", "python"} <= set(m["packages"])
    out_sha = hashlib.sha256(tree["par/tables/lsmeans.csv"]).hexdigest()
    assert m["outputs"]["par/tables/lsmeans.csv"] == out_sha
    assert m["outputs"]["appendix/index.html"] == hashlib.sha256(
        tree["appendix/index.html"]).hexdigest()
    text = tree["appendix/manifest.json"].decode()
    assert text == json.dumps(m, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_docx_has_fixed_dates_and_zip_times(two_builds):
    (root, _), _ = two_builds
    with zipfile.ZipFile(root / "reports" / "appendix" / "appendix.docx") as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00" in core


def test_source_date_epoch_sets_the_only_date(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_load_trial_and_derive", _fake_loader)
    root = _project(tmp_path / "p", TABLES_ONLY)
    (root / "analyses" / "xo.toml").unlink()
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build_report("analyses", "reports")
    m = json.loads((root / "reports/appendix/manifest.json").read_text())
    assert m["source_date"] == "2023-11-14"
    assert "on 2023-11-14" in (root / "reports/appendix/index.html").read_text()


def test_rerun_skips_up_to_date_analyses_and_reruns_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_load_trial_and_derive", _fake_loader)
    root = _project(tmp_path / "p", TABLES_ONLY)
    (root / "analyses" / "xo.toml").unlink()
    monkeypatch.chdir(root)
    build_report("analyses", "reports")
    calls = []
    real = runner.analyse
    monkeypatch.setattr(runner, "analyse", lambda *a: calls.append(1) or real(*a))
    build_report("analyses", "reports")
    assert calls == []
    spec = root / "analyses" / "par.toml"
    spec.write_text(spec.read_text().replace("Synthetic parallel", "Synthetic parallel (v2)"))
    build_report("analyses", "reports")
    assert calls == [1]
    assert "(v2)" in (root / "reports/appendix/index.html").read_text()


def test_failure_leaves_previous_outputs_and_no_partial_files(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_load_trial_and_derive", _fake_loader)
    root = _project(tmp_path / "p", TABLES_ONLY)
    monkeypatch.chdir(root)
    xo = root / "analyses" / "xo.toml"
    xo.write_text(xo.read_text().replace('figures = ["within_subject"]', "figures = []"))
    run_spec("analyses/xo.toml", "reports")
    before = _tree(root / "reports")

    def boom(table):
        raise RuntimeError("disk full")

    monkeypatch.setitem(runner.RENDERERS, "tex", boom)
    with pytest.raises(RuntimeError):
        run_spec("analyses/xo.toml", "reports")
    assert _tree(root / "reports") == before
    assert sorted(p.name for p in (root / "reports").iterdir()) == ["xo"]
    with pytest.raises(RuntimeError):
        run_spec("analyses/par.toml", "reports")
    assert not (root / "reports" / "par").exists()


def test_build_report_checks_names_and_numbers(tmp_path, monkeypatch):
    root = _project(tmp_path / "p")
    monkeypatch.chdir(root)
    (root / "analyses" / "other.toml").write_text(SMALL_PAR)
    with pytest.raises(SpecError, match=r"other.toml: analysis.name: expected the file stem"):
        build_report("analyses", "reports")
    (root / "analyses" / "other.toml").write_text(
        SMALL_PAR.replace('name = "par"', 'name = "other"'))
    with pytest.raises(SpecError, match=r"analysis.number: 1 is also used by"):
        build_report("analyses", "reports")
    with pytest.raises(SpecError, match="no analysis specs"):
        build_report("data", "reports")


def test_analyse_module_is_what_runner_uses():
    assert runner.analyse is analyse_mod.analyse
