"""The published data dictionary (data/schemas/) equals a fresh regeneration, byte for byte."""

from __future__ import annotations

import json

from ldn_stats.schemas import MODELS
from ldn_stats.schemas.dictionary import main, render
from support import REPO

PUBLISHED = REPO / "data" / "schemas"


def test_published_dictionary_is_in_sync():
    fresh = render()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in sorted(PUBLISHED.iterdir())}
    assert sorted(on_disk) == sorted(fresh), "run `make schemas` and commit data/schemas/"
    for name, text in fresh.items():
        assert on_disk[name] == text, f"data/schemas/{name} is stale: run `make schemas`"


def test_one_markdown_and_json_per_table_plus_index():
    files = render()
    expected = {f"{t}.{ext}" for t in MODELS for ext in ("md", "json")}
    assert set(files) == expected | {"index.md", "index.json"}
    index = json.loads(files["index.json"])
    assert [t["table"] for t in index["tables"]] == list(MODELS)


def test_dictionary_carries_the_rules():
    adsl = json.loads(render()["adsl.json"])
    age = next(c for c in adsl["columns"] if c["name"] == "AGE")
    assert {k: age[k] for k in ("name", "type", "required", "nullable", "rules")} == {
        "name": "AGE", "type": "number", "required": False, "nullable": True,
        "rules": [">= 0"],
    }
    index = render()["index.md"]
    assert "`NA` (R's `write.csv`), `.` (SAS exports)" in index  # one missing-value rule
    assert "| `FIQR` |" in index and "| `PGIC` |" in index
    assert "periods do not overlap" in render()["index.md"]


def test_rendering_is_deterministic():
    assert render() == render()


def test_command_writes_the_files(tmp_path, capsys):
    assert main([str(tmp_path / "out")]) == 0
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(render())
    assert capsys.readouterr().out.count("\n") == len(written)
    assert main([]) == 2
