"""Sphinx configuration of the ldn_stats documentation site (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import ldn_stats  # noqa: E402 - after the path set-up

project = "ldn_stats"
author = "ldn_stats maintainers"
copyright = "ldn_stats maintainers"  # noqa: A001 - Sphinx's name
release = version = ldn_stats.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "ldn_run",
]
exclude_patterns = ["_build", "_generated/*.rst"]
templates_path: list[str] = []
root_doc = "index"
nitpicky = False

# numpydoc: the docstrings are numpydoc; members are listed by autodoc, not by numpydoc
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autosummary_generate = False

html_theme = "alabaster"
html_title = f"ldn_stats {release}"
html_static_path: list[str] = []
html_theme_options = {"description": "Statistics for low-dose naltrexone pain trials",
                      "fixed_sidebar": True, "page_width": "1100px", "body_max_width": "none"}
html_last_updated_fmt = None  # no build dates: the same sources give the same pages
html_show_sourcelink = False
html_math_renderer = "tex-source"  # no CDN: the site works offline (formulas as TeX)
