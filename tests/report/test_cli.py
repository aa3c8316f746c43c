"""The CLI's run/report commands on bad specs: exit 1, a message naming the key, no traceback."""

from __future__ import annotations

from ldn_stats.cli import main
from support.report_synth import PARALLEL_SPEC


def test_run_with_a_bad_key_exits_1_naming_it(tmp_path, capsys):
    spec = tmp_path / "par.toml"
    spec.write_text(PARALLEL_SPEC.replace('kind = "ancova"', 'kind = "glm"'))
    assert main(["run", str(spec), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "par.toml: model.kind: expected one of" in err and "'glm'" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_report_without_specs_exits_1(tmp_path, capsys):
    assert main(["report", "--analyses", str(tmp_path), "--out", str(tmp_path / "o")]) == 1
    assert "no analysis specs" in capsys.readouterr().err
