"""Assemble ``<out_root>/appendix/`` from the analyses' ``outputs.json`` files.

Writes ``index.html``, ``appendix.docx`` and ``manifest.json`` together,
atomically (a temporary folder replaces ``appendix/``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Sequence
from pathlib import Path

from ldn_stats import __version__
from ldn_stats.errors import DataError
from ldn_stats.report import contract
from ldn_stats.report.contract import OUTPUTS_FILE, dumps, versions
from ldn_stats.report.docx import render_docx
from ldn_stats.report.html import render_html
from ldn_stats.report.manifest import build_manifest, git_commit
from ldn_stats.report.spec import Spec

__all__ = ["APPENDIX_TITLE", "write_appendix"]

APPENDIX_TITLE = "Statistical appendix: tables and figures"


def _source_date() -> str | None:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        return None
    return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()


def write_appendix(specs: Sequence[Spec], analyses_dir: Path, out_root: Path) -> list[Path]:
    """Write the HTML and DOCX appendices and the manifest for ``specs`` (in order).

    Parameters
    ----------
    specs : sequence of Spec
        Analyses whose outputs exist under ``out_root/<name>/``.
    analyses_dir : pathlib.Path
        Where the specs live (recorded relative, as given).
    out_root : pathlib.Path

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     [p.name for p in write_appendix([], Path("analyses"), Path(tmp))]
    ['index.html', 'appendix.docx', 'manifest.json']
    """
    sections = []
    outputs: dict[str, str] = {}
    for spec in specs:
        folder = out_root / spec.name
        try:
            cat = json.loads((folder / OUTPUTS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read {folder / OUTPUTS_FILE}: {exc}") from None
        cat["spec_path"] = Path(contract.display_path(analyses_dir), spec.source).as_posix()
        cat["png"] = {f["key"]: (folder / "figures" / f"{f['key']}.png").read_bytes()
                      for f in cat["figures"]}
        sections.append(cat)
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                outputs[p.relative_to(out_root).as_posix()] = contract.sha256_file(p)
    date = _source_date()
    generator = f"ldn_stats {__version__}"
    page = render_html(sections, title=APPENDIX_TITLE, generator=generator, date=date)
    docx_bytes = render_docx(sections, title=APPENDIX_TITLE, generator=generator, date=date)
    outputs["appendix/index.html"] = contract.sha256_bytes(page.encode("utf-8"))
    outputs["appendix/appendix.docx"] = contract.sha256_bytes(docx_bytes)
    command = (f"ldn-stats report --analyses {contract.display_path(analyses_dir)} "
               f"--out {contract.display_path(out_root)}")
    manifest = build_manifest(sections, command=command, outputs=outputs,
                              git_commit=git_commit(analyses_dir), packages=versions(),
                              source_date=date)
    target = out_root / "appendix"
    with contract.output_dir(target) as tmp:
        tmp = Path(tmp)
        (tmp / "index.html").write_text(page, encoding="utf-8")
        (tmp / "appendix.docx").write_bytes(docx_bytes)
        (tmp / "manifest.json").write_text(dumps(manifest), encoding="utf-8")
    return [target / "index.html", target / "appendix.docx", target / "manifest.json"]
