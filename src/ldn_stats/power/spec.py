"""Design specs (TOML): which trials to simulate, how to analyse them, how often.

A design spec has three tables:

``[design]``
    ``name`` (the output folder, the file stem), ``number`` (its section in the
    appendix, default 99), ``title``, ``preset`` (a
    simulator preset, :data:`ldn_stats.simulate.PRESETS`), ``active`` and
    ``control`` (treatment codes; defaults ``LDN`` and ``PBO``), ``seed`` (the
    root seed), ``replicates`` (the full count), ``quick_replicates`` (the
    count of the quick build ``make report`` runs), ``alpha`` (two-sided level,
    default 0.05), ``chunk_size`` (replicates per task, default 10) and
    ``pilot_n_per_arm`` (size of the large pilot trial that gives the analytic
    comparisons their variances, default 300) and ``truth_n_per_arm`` (size of
    the twin trials that give the true effect, default 5000).
``[scenarios]``
    The simulator parameters; each is one value or a list of values, and the
    scenarios are every combination of the lists (in the order written).
    Keys: see :data:`SCENARIO_KEYS`.
``[analysis]``
    The analysis each replicate runs: any registered analysis kind
    (:mod:`ldn_stats.report.kinds`: ``mmrm``, ``ancova``, ``crossover``, ...) with
    the keys of a report spec's ``[model]`` table (``kind``, ``formula``,
    ``df_method``, ``reml``, ``visit``, ``outcome``, ``period_baseline``), checked
    by the report's own spec parser.  The primary contrast is the kind's primary
    comparison, ``active - control`` at the last visit (parallel) or over the
    periods (crossover).

Every problem raises :class:`~ldn_stats.errors.SpecError` naming the key.

Examples
--------
>>> s = parse_design_spec('''
... [design]
... name = "demo"
... preset = "final"
... seed = 1
... replicates = 20
... [scenarios]
... n_per_arm = [20, 40]
... effect = [0.0, -0.5]
... [analysis]
... kind = "ancova"
... formula = "CHG ~ BASE + TRT01P"
... ''', source="demo.toml")
>>> s.name, s.replicates, s.grid["n_per_arm"], s.analysis.kind
('demo', 20, (20, 40), 'ancova')
>>> parse_design_spec('[design]\\nname = "x"\\npreset = "final"\\nseed = 1\\nreplicates = 0',
...                   source="x.toml")
Traceback (most recent call last):
...
ldn_stats.errors.SpecError: x.toml: design.replicates: expected an integer >= 1, found 0
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ldn_stats.errors import SpecError

__all__ = [
    "ANALYSIS_KEYS",
    "SCENARIO_KEYS",
    "AnalysisSpec",
    "DesignSpec",
    "load_design_spec",
    "parse_design_spec",
]

#: keys of ``[analysis]``: the report spec's ``[model]`` keys (ldn_stats.report.spec)
ANALYSIS_KEYS = ("kind", "formula", "df_method", "reml", "visit", "outcome", "period_baseline")

_MECHANISMS = ("MCAR", "MAR", "MNAR")

#: scenario key -> (what it must be, checker) ; documented in the module docstring
SCENARIO_KEYS: dict[str, str] = {
    "n_per_arm": "subjects per arm (parallel) or per sequence (crossover), an integer >= 2",
    "effect": "mean difference active - control at the end, in scale points (0 = null)",
    "dropout_rate": "probability of leaving the study early, in [0, 1)",
    "dropout_mechanism": "one of 'MCAR', 'MAR', 'MNAR'",
    "dropout_strength": "log hazard ratio per within-subject SD of pain (MAR/MNAR)",
    "weeks": "treatment weeks of a parallel design (the diary length), an integer >= 1",
    "design": "'parallel' or 'crossover' (a 2x2 with the preset's population)",
    "period_days": "days of each crossover period, an integer >= 7",
    "washout_days": "days of washout between crossover periods, an integer >= 0",
    "responder_share": "share of subjects whose pain responds to the active drug, in (0, 1]",
}

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class AnalysisSpec:
    """The analysis each replicate runs (``[analysis]``)."""

    kind: str
    formula: str | None
    df_method: str
    reml: bool
    outcome: str
    visit: str = "last"
    period_baseline: str = "none"

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping (recorded with the results and hashed into the seeds' scope)."""
        return {"kind": self.kind, "formula": self.formula, "df_method": self.df_method,
                "reml": self.reml, "outcome": self.outcome, "visit": self.visit,
                "period_baseline": self.period_baseline}


@dataclass(frozen=True)
class DesignSpec:
    """A parsed, checked design spec; see the module docstring for the keys."""

    name: str
    number: int
    title: str
    preset: str
    active: str
    control: str
    seed: int
    replicates: int
    quick_replicates: int
    alpha: float
    chunk_size: int
    pilot_n_per_arm: int
    truth_n_per_arm: int
    grid: dict[str, tuple[Any, ...]]
    analysis: AnalysisSpec
    source: str
    sha256: str
    kind_spec: Any = None

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios (the product of the list lengths)."""
        n = 1
        for v in self.grid.values():
            n *= len(v)
        return n


def _fail(source: str, key: str, expected: str, found: Any) -> SpecError:
    shown = f"{type(found).__name__} {found!r}" if not isinstance(found, str) else repr(found)
    return SpecError(f"{source}: {key}: expected {expected}, found {shown}")


def _int(source: str, key: str, v: Any, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise SpecError(f"{source}: {key}: expected an integer >= {low}, found {v!r}")
    return v


def _num(source: str, key: str, v: Any, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or v != v:
        raise _fail(source, key, "a number", v)
    v = float(v)
    if low is not None and (v < low or (low_open and v == low)):
        raise _fail(source, key, f"a number {'>' if low_open else '>='} {low}", v)
    if high is not None and (v > high or (high_open and v == high)):
        raise _fail(source, key, f"a number {'<' if high_open else '<='} {high}", v)
    return v


def _str(source: str, key: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(source, key, "a non-empty string", v)
    return v


def _check_value(source: str, bare: str, v: Any) -> Any:
    key = f"scenarios.{bare}"
    if bare == "n_per_arm":
        return _int(source, key, v, 2)
    if bare == "effect":
        return _num(source, key, v)
    if bare == "dropout_rate":
        return _num(source, key, v, 0.0, 1.0, high_open=True)
    if bare == "dropout_mechanism":
        if v not in _MECHANISMS:
            raise _fail(source, key, "one of 'MCAR', 'MAR', 'MNAR'", v)
        return v
    if bare == "dropout_strength":
        return _num(source, key, v)
    if bare == "weeks":
        return _int(source, key, v, 1)
    if bare == "design":
        if v not in ("parallel", "crossover"):
            raise _fail(source, key, "'parallel' or 'crossover'", v)
        return v
    if bare == "period_days":
        return _int(source, key, v, 7)
    if bare == "washout_days":
        return _int(source, key, v, 0)
    if bare == "responder_share":
        return _num(source, key, v, 0.0, 1.0, low_open=True)
    raise SpecError(f"{source}: scenarios.{key}: unknown key; valid keys: "
                    f"{', '.join(SCENARIO_KEYS)}")  # pragma: no cover - checked before


def _table(doc: dict, name: str, source: str, required: bool = True) -> dict:
    t = doc.get(name)
    if t is None:
        if required:
            raise SpecError(f"{source}: [{name}]: missing table")
        return {}
    if not isinstance(t, dict):
        raise _fail(source, name, "a table", t)
    return t


def _unknown(source: str, table: str, t: dict, known: set[str]) -> None:
    extra = sorted(set(t) - known)
    if extra:
        raise SpecError(f"{source}: {table}.{extra[0]}: unknown key; valid keys: "
                        f"{', '.join(sorted(known))}")


def parse_design_spec(text: str, source: str = "<string>") -> DesignSpec:
    """Parse and check a design spec given as TOML text.

    Parameters
    ----------
    text : str
        The TOML document.
    source : str
        Name used in messages (the file name).

    Returns
    -------
    DesignSpec

    Raises
    ------
    SpecError
        Invalid TOML, a missing or unknown key, or a value of the wrong kind;
        the message names the key.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {exc}") from None
    _unknown(source, "(top level)", doc, {"design", "scenarios", "analysis"})
    d = _table(doc, "design", source)
    _unknown(source, "design", d, {"name", "number", "title", "preset", "active", "control",
                                   "seed",
                                   "replicates", "quick_replicates", "alpha", "chunk_size",
                                   "pilot_n_per_arm", "truth_n_per_arm"})
    for key in ("name", "preset", "seed", "replicates"):
        if key not in d:
            raise SpecError(f"{source}: design.{key}: missing (required)")
    name = _str(source, "design.name", d["name"])
    if not _NAME.match(name):
        raise _fail(source, "design.name", "a file-name-safe identifier", name)
    from ldn_stats.simulate import PRESETS

    preset = _str(source, "design.preset", d["preset"])
    if preset not in PRESETS:
        raise _fail(source, "design.preset", f"one of {', '.join(sorted(PRESETS))}", preset)
    seed = _int(source, "design.seed", d["seed"], 0)
    replicates = _int(source, "design.replicates", d["replicates"], 1)
    quick = _int(source, "design.quick_replicates", d.get("quick_replicates", 2), 1)
    if quick > replicates:
        raise _fail(source, "design.quick_replicates", f"at most design.replicates "
                    f"({replicates})", quick)
    alpha = _num(source, "design.alpha", d.get("alpha", 0.05), 0.0, 1.0, True, True)
    chunk = _int(source, "design.chunk_size", d.get("chunk_size", 10), 1)
    pilot = _int(source, "design.pilot_n_per_arm", d.get("pilot_n_per_arm", 300), 10)
    truth = _int(source, "design.truth_n_per_arm", d.get("truth_n_per_arm", 5000), 10)
    active = _str(source, "design.active", d.get("active", "LDN"))
    control = _str(source, "design.control", d.get("control", "PBO"))
    title = _str(source, "design.title", d.get("title", name))
    number = _int(source, "design.number", d.get("number", 99), 1)

    sc = _table(doc, "scenarios", source, required=False)
    grid: dict[str, tuple[Any, ...]] = {}
    for key, value in sc.items():
        if key not in SCENARIO_KEYS:
            raise SpecError(f"{source}: scenarios.{key}: unknown key; valid keys: "
                            f"{', '.join(SCENARIO_KEYS)}")
        values = value if isinstance(value, list) else [value]
        if not values:
            raise _fail(source, f"scenarios.{key}", "a value or a non-empty list", value)
        checked = tuple(_check_value(source, key, v) for v in values)
        if len(set(checked)) != len(checked):
            raise _fail(source, f"scenarios.{key}", "distinct values", value)
        grid[key] = checked

    a = _table(doc, "analysis", source)
    _unknown(source, "analysis", a, set(ANALYSIS_KEYS))
    if "kind" not in a:
        raise SpecError(f"{source}: analysis.kind: missing (required)")
    kind_spec = _kind_spec(a, name, control, source)
    from ldn_stats.report.kinds import get_kind

    kind_design = get_kind(kind_spec.model.kind).design
    designs = grid.get("design", (PRESETS[preset].__class__.__name__.replace("Design", "")
                                  .lower(),))
    for dz in designs:
        if dz != kind_design:
            raise SpecError(f"{source}: analysis.kind: {kind_spec.model.kind!r} analyses "
                            f"{kind_design} trials, but the scenarios simulate {dz} trials "
                            "(scenarios.design or the preset)")
    m = kind_spec.model
    analysis = AnalysisSpec(m.kind, m.formula, m.df_method, m.reml, m.outcome, m.visit,
                            m.period_baseline)
    return DesignSpec(name=name, number=number, title=title, preset=preset, active=active,
                      control=control,
                      seed=seed, replicates=replicates, quick_replicates=quick, alpha=alpha,
                      chunk_size=chunk, pilot_n_per_arm=pilot,
                      truth_n_per_arm=truth, grid=grid, analysis=analysis,
                      source=source, sha256=hashlib.sha256(text.encode()).hexdigest(),
                      kind_spec=kind_spec)


def _kind_spec(a: dict[str, Any], name: str, control: str, source: str) -> Any:
    """The report layer's spec of the analysis kind (its own checks name the key).

    The ``[analysis]`` table holds exactly the report spec's ``[model]`` keys; it
    is checked by :func:`ldn_stats.report.spec.parse_spec`, so a design spec can
    run every registered analysis kind with the same rules as a report spec.
    """
    import json

    from ldn_stats.report.spec import parse_spec

    lines = ["[analysis]", f"name = {json.dumps(name)}", "number = 1",
             'title = "design"', 'estimand = "design"',
             "[data]", 'trial = "<simulated>"', f"reference = {json.dumps(control)}",
             "[model]"]
    for k, v in a.items():
        if isinstance(v, bool):
            lines.append(f"{k} = {'true' if v else 'false'}")
        elif isinstance(v, str | int | float):
            lines.append(f"{k} = {json.dumps(v)}")
        else:
            raise _fail(source, f"analysis.{k}", "a string, number or boolean", v)
    lines.append("[outputs]")
    try:
        return parse_spec("\n".join(lines) + "\n", source=source)
    except SpecError as exc:
        raise SpecError(str(exc).replace(": model.", ": analysis.")) from None


def load_design_spec(path: str | Path) -> DesignSpec:
    """Read and check a design spec file; ``design.name`` must equal the file stem.

    Raises
    ------
    SpecError
        The file cannot be read or the spec is invalid.

    Examples
    --------
    >>> load_design_spec("no/such.toml")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: such.toml: cannot read design spec no/such.toml: ...
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{p.name}: cannot read design spec {p}: {exc}") from None
    spec = parse_design_spec(text, source=p.name)
    if spec.name != p.stem:
        raise SpecError(f"{p.name}: design.name: expected the file stem {p.stem!r}, "
                        f"found {spec.name!r}")
    return spec
