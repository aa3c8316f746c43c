"""Reproducible reporting: analysis specs in, tables, figures and appendices out.

``run_spec(spec_path, out_root)`` runs one TOML analysis spec;
``build_report(analyses_dir, out_root)`` runs every spec and assembles the
appendix (HTML, DOCX, manifest).  See :mod:`ldn_stats.report.runner`.

Examples
--------
>>> from ldn_stats.report import parse_spec
>>> parse_spec("[analysis]").name
Traceback (most recent call last):
...
ldn_stats.errors.SpecError: <spec>: analysis.name: missing required key
"""

from __future__ import annotations

from ldn_stats.report.runner import build_report, run_spec
from ldn_stats.report.spec import Spec, load_spec, parse_spec

__all__ = ["Spec", "build_report", "load_spec", "parse_spec", "run_spec"]
