"""Run analysis specs to files and assemble the appendix.

``ldn-stats run SPEC --out DIR`` calls :func:`run_spec`; ``ldn-stats report
--analyses DIR --out DIR`` calls :func:`build_report`.  The layout under the
output root is :mod:`ldn_stats.report.contract`'s.

Each analysis folder, and the appendix folder, is written in a temporary folder
beside it and moved into place only when complete, so a failure leaves the
previous outputs (or none) and never a partial set.  ``outputs.json`` records a
fingerprint of everything the outputs depend on (spec bytes, every trial file,
the package source, the library versions); :func:`build_report` reruns an
analysis only when its fingerprint changed, which gives the same bytes as a
rerun without the work.
"""

from __future__ import annotations

import json
from pathlib import Path

from ldn_stats.errors import DataError, SpecError
from ldn_stats.report import contract
from ldn_stats.report.analyse import AnalysisOutputs, analyse
from ldn_stats.report.appendix import write_appendix
from ldn_stats.report.contract import FIGURE_FORMATS, OUTPUTS_FILE, TABLE_FORMATS, dumps
from ldn_stats.report.kinds import get_kind
from ldn_stats.report.outputs import get_output
from ldn_stats.report.spec import Spec, load_spec
from ldn_stats.tables.render import RENDERERS

__all__ = ["build_report", "run_spec"]


def _inputs(spec: Spec) -> dict[str, str]:
    """The trial's table files (by their path relative to the spec's folder) -> SHA-256."""
    out = {}
    for p in contract.input_files(spec.trial_path):
        try:
            out[Path(spec.trial, p.name).as_posix()] = contract.sha256_file(p)
        except OSError as exc:
            raise DataError(f"{p}: cannot read the file: {exc.strerror}") from None
    return out


def _fingerprint(spec: Spec, inputs: dict[str, str]) -> str:
    blob = dumps({"spec": spec.sha256, "inputs": inputs, "source": contract.package_source_hash(),
                  "versions": contract.versions()})
    return contract.sha256_bytes(blob.encode())


def _load_trial_and_derive(spec: Spec):
    from ldn_stats import derive
    from ldn_stats.trial import read_trial

    trial = read_trial(spec.trial_path)
    try:
        rules = derive.DeriveRules(**{k: tuple(v) if isinstance(v, list) else v
                                      for k, v in spec.derive.items()})
    except TypeError as exc:
        raise SpecError(f"{spec.source}: derive: {exc}") from None
    from ldn_stats.report.outputs import check_inputs

    check_inputs(spec, trial)  # a table whose input is absent: before anything runs
    kind = get_kind(spec.model.kind)
    if trial.design != kind.design:
        raise SpecError(f"{spec.source}: model.kind {spec.model.kind!r} needs a {kind.design} "
                        f"trial; {spec.trial} is a {trial.design} design")
    table = kind.derive(trial, rules, spec.parameter)
    _check_baseline_columns(spec, table)
    return trial, table


_BASELINE_COLUMNS = ("BASE", "CHG", "PCHG")


def _check_baseline_columns(spec: Spec, table) -> None:
    """A model that needs BASE, CHG or PCHG on a trial without baseline is a spec error."""
    import re

    if "BASE" in table.columns:
        return
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", spec.model.formula or ""))
    if spec.design == "crossover" and spec.model.formula is None:
        words.add(spec.model.outcome)
    needed = [c for c in _BASELINE_COLUMNS if c in words]
    for section, kind, keys in (("tables", "table", spec.tables),
                                ("figures", "figure", spec.figures)):
        for key in keys:
            if get_output(kind, key).needs == "baseline":
                raise SpecError(
                    f"{spec.source}: outputs.{section} {key!r} needs BASE, CHG and PCHG, but "
                    f"{spec.trial} has no baseline for {spec.parameter}, so there is no "
                    "change from baseline to show; remove it")
    if needed:
        raise SpecError(
            f"{spec.source}: model needs {', '.join(needed)}, but {spec.trial} has no baseline "
            f"for {spec.parameter} (no BASE, no baseline record ABLFL = Y, no rating in the "
            "baseline window), so BASE, CHG and PCHG are not derived; model AVAL instead "
            "(e.g. 'AVAL ~ TRT01P * AVISIT + us(AVISIT | USUBJID)' or outcome = \"AVAL\")")


def _catalogue(out: AnalysisOutputs, inputs: dict[str, str], fingerprint: str) -> dict:
    s = out.spec
    return {
        "analysis": s.name,
        "number": s.number,
        "title": s.title,
        "estimand": s.estimand,
        "spec": {"file": s.source, "sha256": s.sha256},
        "trial": s.trial,
        "inputs": inputs,
        "seed": s.seed,
        "population": s.population,
        "parameter": s.parameter,
        "model": {"kind": s.model.kind, "formula": out.result.formula,
                  "df_method": out.result.df_method},
        "tables": [{
            "number": t.number, "key": t.key, "title": t.title, "caption": t.caption,
            "footnotes": list(t.footnotes),
            "columns": [str(c) for c in t.display.columns],
            "rows": [[str(v) for v in row] for row in t.display.itertuples(index=False)],
            "files": [f"tables/{t.key}.{ext}" for ext in TABLE_FORMATS],
        } for t in out.tables],
        "figures": [{
            "number": f.number, "key": f.key, "title": f.title, "caption": f.caption,
            "files": [f"figures/{f.key}.{ext}" for ext in FIGURE_FORMATS],
        } for f in out.figures],
        "notes": list(out.notes),
        "fingerprint": fingerprint,
    }


def _write_outputs(out: AnalysisOutputs, out_root: str | Path, inputs: dict[str, str],
                  fingerprint: str) -> list[Path]:
    """Write one analysis's files into ``out_root/<name>/`` atomically (whole folder).

    Called by :func:`run_spec`.

    Parameters
    ----------
    out : AnalysisOutputs
    out_root : str or pathlib.Path
    inputs : dict of str to str
        Input file -> SHA-256, recorded in ``outputs.json``.
    fingerprint : str
        Recorded in ``outputs.json``.

    Returns
    -------
    list of pathlib.Path
        Files written, sorted.

    Examples
    --------
    >>> _write_outputs.__name__
    '_write_outputs'
    """
    target = Path(out_root) / out.spec.name
    rel: list[str] = []
    with contract.output_dir(target) as tmp:
        tmp = Path(tmp)
        (tmp / "tables").mkdir()
        (tmp / "figures").mkdir()
        for t in out.tables:
            for ext in TABLE_FORMATS:
                data = RENDERERS[ext](t)
                path = tmp / "tables" / f"{t.key}.{ext}"
                path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
                rel.append(f"tables/{t.key}.{ext}")
        for f in out.figures:
            for ext in FIGURE_FORMATS:
                (tmp / "figures" / f"{f.key}.{ext}").write_bytes(f.files[ext])
                rel.append(f"figures/{f.key}.{ext}")
        cat = _catalogue(out, inputs, fingerprint)
        (tmp / OUTPUTS_FILE).write_text(dumps(cat), encoding="utf-8")
        rel.append(OUTPUTS_FILE)
    return sorted(target / r for r in rel)


def run_spec(spec_path: str | Path, out_root: str | Path = "reports") -> list[Path]:
    """Run one analysis spec and write its tables, figures and ``outputs.json``.

    Parameters
    ----------
    spec_path : str or pathlib.Path
        The spec (TOML).
    out_root : str or pathlib.Path, default "reports"
        Outputs go to ``out_root/<analysis.name>/``, replacing it as a whole.

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.

    Raises
    ------
    SpecError, DataError, ValidationError, ModelError
        From the spec, the trial folder or the model; nothing is written then.

    Examples
    --------
    >>> run_spec("no/such.toml", "reports")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: such.toml: cannot read spec file no/such.toml: ...
    """
    spec = load_spec(spec_path)
    trial, table = _load_trial_and_derive(spec)  # reports an unreadable trial by name
    inputs = _inputs(spec)
    out = analyse(spec, trial, table)
    return _write_outputs(out, out_root, inputs, _fingerprint(spec, inputs))


def _up_to_date(spec: Spec, out_root: Path) -> bool:
    path = out_root / spec.name / OUTPUTS_FILE
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError):
        return False
    return recorded == _fingerprint(spec, _inputs(spec))


def build_report(analyses_dir: str | Path = "analyses",
                 out_root: str | Path = "reports") -> list[Path]:
    """Run every spec in ``analyses_dir`` (when stale) and assemble the appendix.

    Parameters
    ----------
    analyses_dir : str or pathlib.Path, default "analyses"
        Folder of ``*.toml`` specs; each spec's ``analysis.name`` must equal its
        file stem and numbers must be unique.  Design specs (a ``[design]`` table,
        :mod:`ldn_stats.power`) get their design page built at their quick
        replicate count unless a current one exists, and a section of their own.
    out_root : str or pathlib.Path, default "reports"

    Returns
    -------
    list of pathlib.Path
        The appendix files (``index.html``, ``appendix.docx``, ``manifest.json``).

    Raises
    ------
    SpecError
        No specs, a name not matching its file, or a duplicated number.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     build_report(tmp, tmp)
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: no analysis specs (*.toml) found in ...
    """
    from ldn_stats.power.run import ensure_design_page, is_design_spec

    analyses_dir, out_root = Path(analyses_dir), Path(out_root)
    paths = sorted(analyses_dir.glob("*.toml"))
    designs = [p for p in paths if is_design_spec(p)]  # ldn_stats.power design specs
    paths = [p for p in paths if p not in designs]
    if not paths and not designs:
        raise SpecError(f"no analysis specs (*.toml) found in {analyses_dir}")
    specs = [load_spec(p) for p in paths]
    design_specs = [ensure_design_page(p, out_root, workers=0) for p in designs]  # quick: serial
    seen: dict[int, str] = {d.number: d.source for d in design_specs}
    for p, s in zip(paths, specs, strict=True):
        if s.name != p.stem:
            raise SpecError(f"{s.source}: analysis.name: expected the file stem {p.stem!r}, "
                            f"found {s.name!r}")
        if s.number in seen:
            raise SpecError(f"{s.source}: analysis.number: {s.number} is also used by "
                            f"{seen[s.number]}")
        seen[s.number] = s.source
    for p, s in zip(paths, specs, strict=True):
        if not _up_to_date(s, out_root):
            run_spec(p, out_root)
    specs = sorted([*specs, *design_specs], key=lambda s: s.number)
    return write_appendix(specs, analyses_dir, out_root)
