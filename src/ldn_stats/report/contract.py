"""The report's file contract: the output layout, canonical JSON, versions and fingerprints.

Both the runner (which writes ``<name>/``) and the appendix (which reads it)
import this module, so the layout is defined once::

    <name>/outputs.json                 catalogue and provenance of the analysis
    <name>/tables/<key>.{csv,md,html,tex,docx}
    <name>/figures/<key>.{png,svg,pdf}
    appendix/index.html, appendix/appendix.docx, appendix/manifest.json

Every output folder is written through :mod:`ldn_stats.io`'s
``atomic_output_dir``: it appears whole or not at all.

Examples
--------
>>> print(dumps({"b": 1, "a": [1.5]}), end="")
{
  "a": [
    1.5
  ],
  "b": 1
}
>>> TABLE_FORMATS
('csv', 'md', 'html', 'tex', 'docx', 'rtf')
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ldn_stats.io import atomic_output_dir

__all__ = [
    "FIGURE_FORMATS",
    "OUTPUTS_FILE",
    "TABLE_FORMATS",
    "display_path",
    "dumps",
    "input_files",
    "output_dir",
    "package_source_hash",
    "sha256_bytes",
    "sha256_file",
    "versions",
]

#: table file formats, in the order they are written and listed
TABLE_FORMATS = ("csv", "md", "html", "tex", "docx", "rtf")
#: figure file formats
FIGURE_FORMATS = ("png", "svg", "pdf")
#: a trial folder's own parameter catalogue, read with its tables (an input like them)
PARAMETERS_FILE = "parameters.toml"
#: the catalogue and provenance file of an analysis folder
OUTPUTS_FILE = "outputs.json"
#: distributions whose versions are recorded with every output
_DISTRIBUTIONS = ("ldn_stats", "numpy", "pandas", "scipy", "statsmodels", "matplotlib",
                  "pandera", "python-docx", "pyarrow", "pyreadstat", "pingouin", "seaborn")


def dumps(obj: Any) -> str:
    """Canonical JSON: sorted keys, 2-space indent, ASCII-safe UTF-8, final newline."""
    return json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def versions() -> dict[str, str]:
    """Python's and the recorded distributions' versions (``not installed`` when absent)."""
    import importlib.metadata as md
    import platform

    out = {"python": platform.python_version()}
    for dist in _DISTRIBUTIONS:
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "not installed"
    return out


# the shared atomic folder writer (a temporary folder beside the target, then os.replace)
output_dir = atomic_output_dir


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """SHA-256 hex digest of bytes."""
    return hashlib.sha256(data).hexdigest()


def input_files(folder: Path) -> list[Path]:
    """The trial's own files in ``folder``, sorted by name: its tables (``adsl``, ``adeff``,
    ``adae`` in a supported format, as :func:`ldn_stats.trial.read_trial` finds them)
    and its ``parameters.toml`` when present.

    Nothing else in the folder is opened: an unrelated file, a device or a
    folder such as ``/proc/self`` beside the tables is neither read nor hashed.
    """
    from ldn_stats.io import SUPPORTED_EXTENSIONS
    from ldn_stats.trial import TABLES

    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []  # read_trial reports why the folder cannot be read
    return [p for p in entries
            if ((p.stem.lower() in TABLES and p.suffix.lower() in SUPPORTED_EXTENSIONS)
                or p.name == PARAMETERS_FILE)
            and not p.name.startswith(".") and p.is_file()]


def display_path(path: str | Path) -> str:
    """``path`` as a POSIX string relative to the current folder when it lies inside it.

    Relative paths are normalized and kept; absolute paths outside the current
    folder are reduced to their last component, so no output records where a
    checkout lives.
    """
    p = Path(path)
    if not p.is_absolute():
        return Path(os.path.normpath(p)).as_posix()
    try:
        return p.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return p.name


def package_source_hash() -> str:
    """SHA-256 over the package's source files (``*.py``, ``*.toml``, ``*.json``), sorted."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".toml", ".json") and p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()
