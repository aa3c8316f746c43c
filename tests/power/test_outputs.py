"""A design spec in the analyses folder becomes a section of the appendix (quick page)."""

from __future__ import annotations

import json

from ldn_stats.report.runner import build_report

DESIGN = """
[design]
name = "design_tiny"
number = 7
title = "Tiny design"
preset = "final"
seed = 5
replicates = 4
quick_replicates = 2
pilot_n_per_arm = 30
truth_n_per_arm = 60
[scenarios]
n_per_arm = 12
effect = [0.0, -1.0]
weeks = 3
[analysis]
kind = "ancova"
formula = "CHG ~ BASE + TRT01P"
"""


def test_design_page_is_an_appendix_section(tmp_path):
    import ldn_stats.power.run as power_run
    analyses = tmp_path / "analyses"
    analyses.mkdir()
    (analyses / "design_tiny.toml").write_text(DESIGN)
    out = tmp_path / "reports"
    build_report(analyses, out)
    cat = json.loads((out / "design_tiny" / "outputs.json").read_text())
    assert cat["replicates"] == 2 and cat["full_replicates"] == 4  # the quick build
    page = (out / "appendix" / "index.html").read_text()
    assert "7. Tiny design" in page and "Table 7.1" in page and "Figure 7.1" in page
    assert "QUICK BUILD" in page
    manifest = json.loads((out / "appendix" / "manifest.json").read_text())
    assert [a["name"] for a in manifest["analyses"]] == ["design_tiny"]
    # a current page (here: a full run) is kept by the next report, not rebuilt quick
    power_run.run_power(analyses / "design_tiny.toml", out, workers=0)
    build_report(analyses, out)
    assert json.loads((out / "design_tiny" / "outputs.json").read_text())["replicates"] == 4
    assert "QUICK BUILD" not in (out / "appendix" / "index.html").read_text()
