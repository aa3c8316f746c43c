"""File helpers of the report layer: atomic writes, hashing, display paths (private).

Atomic writes use :mod:`ldn_stats.io` (``atomic_write_bytes``, ``atomic_output_dir``)
when that module provides them, else the equivalent local implementation below:
a temporary file or folder in the destination's folder, then :func:`os.replace`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__: list[str] = []


def _local_write_bytes(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _local_output_dir(path: str | Path) -> Iterator[Path]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        old = None
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


try:  # the shared implementation, once ldn_stats.io provides it
    from ldn_stats.io import atomic_output_dir as output_dir  # type: ignore[attr-defined]
    from ldn_stats.io import atomic_write_bytes as write_bytes  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the io module's progress
    output_dir = _local_output_dir
    write_bytes = _local_write_bytes


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
