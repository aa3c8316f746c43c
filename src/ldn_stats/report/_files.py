"""File helpers of the report layer: atomic writes, hashing, display paths (private).

Atomic writes are :mod:`ldn_stats.io`'s ``atomic_output_dir``: every output folder appears whole.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ldn_stats.io import atomic_output_dir

__all__: list[str] = []


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
    """Regular, non-hidden files directly in ``folder``, sorted by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


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
