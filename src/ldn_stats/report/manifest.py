"""The appendix manifest: inputs, specs, seeds, versions, commit, command, outputs.

Everything is content (hashes, relative paths, versions); there is no clock
time unless ``SOURCE_DATE_EPOCH`` is set, and then only that date.

Examples
--------
>>> m = build_manifest([], command="ldn-stats report", outputs={}, git_commit=None)
>>> sorted(m)
['analyses', 'command', 'git_commit', 'inputs', 'outputs', 'packages', 'source_date']
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["build_manifest", "git_commit"]


def git_commit(folder: str | Path) -> str | None:
    """The commit checked out in the git work tree holding ``folder``, or None.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    str or None
        40 hex digits, or None outside a repository or without git.

    Examples
    --------
    >>> sha = git_commit(".")
    >>> sha is None or len(sha) == 40
    True
    """
    try:
        out = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and len(sha) == 40 else None


def build_manifest(sections: Sequence[Mapping[str, Any]], *, command: str,
                   outputs: Mapping[str, str], git_commit: str | None,
                   packages: Mapping[str, str] | None = None,
                   source_date: str | None = None) -> dict[str, Any]:
    """The manifest as a dict (serialize with sorted keys).

    Parameters
    ----------
    sections : sequence of mapping
        Each analysis's ``outputs.json`` content plus ``spec_path``.
    command : str
        The command that built the appendix.
    outputs : mapping of str to str
        Output file (relative to the report root) -> SHA-256.
    git_commit : str or None
    packages : mapping of str to str, optional
        Distribution -> version.
    source_date : str, optional
        ISO date from SOURCE_DATE_EPOCH.

    Returns
    -------
    dict
        ``analyses`` (name, number, spec path and SHA-256, seed, model, inputs),
        ``inputs`` (every input file -> SHA-256: specs and trial files),
        ``packages``, ``git_commit``, ``command``, ``outputs``, ``source_date``.

    Examples
    --------
    >>> build_manifest([], command="ldn-stats report", outputs={"a.csv": "00"},
    ...                git_commit=None)["outputs"]
    {'a.csv': '00'}
    """
    inputs: dict[str, str] = {}
    analyses = []
    for sec in sections:
        spec_dir = Path(sec["spec_path"]).parent
        files = {Path(spec_dir, k).as_posix() if not Path(k).is_absolute() else k: v
                 for k, v in sec["inputs"].items()}
        files = {_norm(k): v for k, v in files.items()}
        inputs.update(files)
        inputs[sec["spec_path"]] = sec["spec"]["sha256"]
        analyses.append({
            "name": sec["analysis"], "number": sec["number"], "spec": sec["spec_path"],
            "spec_sha256": sec["spec"]["sha256"], "seed": sec.get("seed"),
            "model": sec["model"], "inputs": files,
            "tables": [t["number"] for t in sec["tables"]],
            "figures": [f["number"] for f in sec["figures"]],
        })
    return {
        "analyses": analyses,
        "command": command,
        "git_commit": git_commit,
        "inputs": inputs,
        "outputs": dict(outputs),
        "packages": dict(packages or {}),
        "source_date": source_date,
    }


def _norm(path: str) -> str:
    import posixpath

    return posixpath.normpath(path)
