"""Declarative analysis specs (TOML): load, validate, never execute.

A spec names the trial folder, the population flag, the parameter and visits,
the model (kind, formula, df method), the estimand in words and the outputs
wanted.  It is parsed with :mod:`tomllib` and checked key by key; every problem
raises :class:`~ldn_stats.errors.SpecError` naming the key (``model.kind``) and
what was expected and found.  Nothing in a spec is evaluated as code: model
formulas are checked against a small character set here and parsed by the
model layer.

Examples
--------
>>> spec = parse_spec('''
... [analysis]
... name = "demo"
... number = 1
... title = "Demo"
... estimand = "Difference in mean change at week 12."
... [data]
... trial = "trial"
... [model]
... kind = "ancova"
... formula = "CHG ~ BASE + TRT01P"
... [outputs]
... tables = ["lsmeans"]
... ''', source="demo.toml")
>>> spec.model.kind, spec.population, spec.tables
('ancova', 'ITTFL', ('lsmeans',))
>>> parse_spec('[analysis]\\nname = 3', source="x.toml")
Traceback (most recent call last):
...
ldn_stats.errors.SpecError: x.toml: analysis.name: expected a string, found int 3
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ldn_stats.errors import SpecError
from ldn_stats.vocabulary import DF_METHODS

__all__ = ["MAX_NAME_LENGTH", "RESERVED_NAMES", "ModelSpec", "Spec", "load_spec", "parse_spec"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: longest analysis name (it names a folder and files inside it)
MAX_NAME_LENGTH = 64
#: names of the report's own folders under the output root (compared case-insensitively)
RESERVED_NAMES = frozenset({"appendix", "validate"})
#: largest spec file read (a spec is a page of text)
MAX_SPEC_BYTES = 1 << 20
_FORMULA = re.compile(r"^[A-Za-z0-9_ +*:|()~/.,\-]+$")
_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_ALLOWED: dict[str, set[str]] = {
    "": {"analysis", "data", "derive", "model", "outputs"},
    "analysis": {"name", "number", "title", "estimand", "seed"},
    "data": {"trial", "population", "parameter", "visits", "reference", "seed"},
    "model": {"kind", "formula", "df_method", "reml", "visit", "outcome", "period_baseline"},
    "outputs": {"tables", "figures", "optional"},
}


@dataclass(frozen=True)
class ModelSpec:
    """The model part of a spec.

    Parameters
    ----------
    kind : str
        A registered analysis kind (:mod:`ldn_stats.report.kinds`): ``ancova``
        (final-visit ANCOVA by OLS), ``mmrm`` (the MMRM engine), ``crossover`` (the
        crossover engine on period endpoints), ``crossover-ols`` (fixed subject,
        period and treatment effects by OLS), ``crossover-diary`` (the daily-diary
        mixed model on every rated day), and any kind added there.
    formula : str or None
        ``CHG ~ BASE + TRT01P`` (ancova), an MMRM formula with its covariance
        term (mmrm); unused by the crossover kinds.
    df_method : str
        Degrees-of-freedom method: one of ``satterthwaite, kenward-roger,
        kenward-roger-linear, between-within, residual``.
    reml : bool
        REML (True) or ML; the OLS kinds ignore it.
    visit : str
        ANCOVA visit: ``"last"`` (the last analysis visit) or an AVISIT label.
    outcome : str
        Crossover outcome column (``AVAL``, ``CHG`` or ``PCHG``).
    period_baseline : str
        Crossover period baseline: ``none``, ``covariate`` or ``change``.

    Examples
    --------
    >>> ModelSpec("ancova", "CHG ~ BASE + TRT01P").df_method
    'residual'
    """

    kind: str
    formula: str | None = None
    df_method: str = "residual"
    reml: bool = True
    visit: str = "last"
    outcome: str = "AVAL"
    period_baseline: str = "none"

    @property
    def design(self) -> str:
        """The design this model kind applies to: ``parallel`` or ``crossover``."""
        from ldn_stats.report.kinds import get_kind

        return get_kind(self.kind).design


@dataclass(frozen=True)
class Spec:
    """A validated analysis spec.

    Parameters
    ----------
    name : str
        Output folder name under the report root.
    number : int
        Section number: tables and figures are numbered ``<number>.<k>``.
    title, estimand : str
        Title of the analysis and its estimand in words.
    trial : str
        Trial folder as written in the spec (relative to the spec's folder).
    trial_path : pathlib.Path
        The trial folder resolved against the spec's folder.
    population : str
        ADSL flag column selecting the analysis population (``ITTFL``).
    parameter : str
        PARAMCD analysed.
    visits : tuple of str
        AVISIT labels kept (empty: all).
    reference : str or None
        Reference (placebo) treatment level; ``None``: ``PBO`` if present, else
        the first sorted level.
    seed : int or None
        Seed used to make the data (provenance only; the analyses are not random).
    derive : dict
        Overrides of :class:`ldn_stats.derive.DeriveRules` fields.
    model : ModelSpec
    tables, figures : tuple of str
        Output keys, in order of numbering.
    optional : tuple of str
        Tables whose input may be absent (``[outputs] optional = true`` for all,
        or a list of keys): such a table says "not collected" instead of the
        spec failing before anything runs.
    source : str
        The spec file name (as recorded in outputs).
    sha256 : str
        SHA-256 of the spec file's bytes.
    options : object or None
        The analysis kind's own options, from its spec section (``[mi]`` for the
        ``mi`` kind), as the kind's reader returns them.

    Examples
    --------
    >>> s = parse_spec('''
    ... [analysis]
    ... name = "x"
    ... number = 2
    ... title = "X"
    ... estimand = "E"
    ... [data]
    ... trial = "../data/demo/final"
    ... [model]
    ... kind = "crossover-ols"
    ... [outputs]
    ... tables = ["crossover_effects"]
    ... ''')
    >>> s.design, s.model.df_method, s.population
    ('crossover', 'residual', 'ITTFL')
    """

    name: str
    number: int
    title: str
    estimand: str
    trial: str
    trial_path: Path
    population: str
    parameter: str
    visits: tuple[str, ...]
    reference: str | None
    seed: int | None
    derive: dict[str, Any]
    model: ModelSpec
    tables: tuple[str, ...]
    figures: tuple[str, ...]
    source: str
    sha256: str
    optional: tuple[str, ...] = ()
    options: Any = None

    @property
    def design(self) -> str:
        """``parallel`` or ``crossover`` (from the model kind)."""
        return self.model.design


def _type_name(value: object) -> str:
    return type(value).__name__


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> SpecError:
        return SpecError(f"{self.source}: {key}: {message}")

    def table(self, doc: dict[str, Any], section: str, required: bool) -> dict[str, Any]:
        value = doc.get(section)
        if value is None:
            if required:
                raise self.fail(section, "missing required section")
            return {}
        if not isinstance(value, dict):
            raise self.fail(section, f"expected a table [{section}], found {_type_name(value)}")
        allowed = _ALLOWED.get(section)
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise self.fail(f"{section}.{unknown[0]}",
                                f"unknown key; expected one of {sorted(allowed)}")
        return value

    def get(self, sec: dict[str, Any], section: str, key: str, kind: type | tuple[type, ...],
            default: Any = ..., choices: tuple[str, ...] | None = None) -> Any:
        full = f"{section}.{key}"
        if key not in sec:
            if default is ...:
                raise self.fail(full, "missing required key")
            return default
        value = sec[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            expected = " or ".join(_EXPECT.get(k, k.__name__) for k in kinds)
            raise self.fail(full, f"expected {expected}, found {_type_name(value)} {value!r}")
        if choices is not None and value not in choices:
            raise self.fail(full, f"expected one of {list(choices)}, found {value!r}")
        return value

    def strings(self, sec: dict[str, Any], section: str, key: str,
                choices: Any = None) -> tuple[str, ...]:
        full = f"{section}.{key}"
        values = sec.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.fail(full, f"expected a list of strings, found {values!r}")
        if len(set(values)) != len(values):
            raise self.fail(full, f"duplicate entries in {values!r}")
        for v in values:
            if choices is not None and v not in choices:
                raise self.fail(full, f"unknown output {v!r}; expected one of {sorted(choices)}")
        return tuple(values)


_EXPECT = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
           dict: "a table"}


def parse_spec(text: str, source: str = "<spec>", base_dir: Path | None = None) -> Spec:
    """Parse and validate a spec from TOML text.

    Parameters
    ----------
    text : str
        The TOML document.
    source : str, default "<spec>"
        Name used in error messages and recorded in outputs.
    base_dir : pathlib.Path, optional
        Folder that ``data.trial`` is relative to (the spec's folder); the
        current directory when omitted.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        Malformed TOML, a missing or unknown key, a wrong type or value; the
        message names the key.

    Examples
    --------
    >>> parse_spec('[analysis]\\nname = "x"\\nnumber = -1', source="x.toml")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: x.toml: analysis.number: expected a positive integer, found -1
    """
    chk = _Checker(source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise SpecError(f"{source}: not valid as a spec: arrays or tables nested too deeply "
                        "(a spec needs at most two levels)") from None
    from ldn_stats.report.kinds import get_kind, kinds

    kind_sections = {k.section: k.name for k in kinds() if k.section}
    allowed = set(_ALLOWED[""]) | set(kind_sections)
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise chk.fail(unknown[0], f"unknown section; expected one of {sorted(allowed)}")

    an = chk.table(doc, "analysis", True)
    name = chk.get(an, "analysis", "name", str)
    if len(name) > MAX_NAME_LENGTH:
        raise chk.fail("analysis.name", f"expected at most {MAX_NAME_LENGTH} characters, found "
                       f"{len(name)} ({name[:20]!r}...)")
    if not _NAME.match(name):
        raise chk.fail("analysis.name", f"expected letters, digits, '_', '-', '.'; found {name!r}")
    if name.lower() in RESERVED_NAMES:
        raise chk.fail("analysis.name", f"{name!r} is the name of one of the report's own "
                       f"folders ({', '.join(sorted(RESERVED_NAMES))}); choose another name")
    number = chk.get(an, "analysis", "number", int)
    if number < 1:
        raise chk.fail("analysis.number", f"expected a positive integer, found {number}")
    title = chk.get(an, "analysis", "title", str)
    estimand = chk.get(an, "analysis", "estimand", str)
    seed_a = chk.get(an, "analysis", "seed", int, None)

    da = chk.table(doc, "data", True)
    trial = chk.get(da, "data", "trial", str)
    population = chk.get(da, "data", "population", str, "ITTFL")
    parameter = chk.get(da, "data", "parameter", str, "PAINNRS")
    for key, value in (("population", population), ("parameter", parameter)):
        if not _COLUMN.match(value):
            raise chk.fail(f"data.{key}", f"expected a column-like name, found {value!r}")
    visits = chk.strings(da, "data", "visits")
    reference = chk.get(da, "data", "reference", str, None)
    seed = chk.get(da, "data", "seed", int, seed_a)

    derive = dict(chk.table(doc, "derive", False))

    mo = chk.table(doc, "model", True)
    from ldn_stats.report.outputs import get_output, outputs

    kind_name = chk.get(mo, "model", "kind", str, choices=tuple(k.name for k in kinds()))
    kind = get_kind(kind_name)
    formula = chk.get(mo, "model", "formula", str, None)
    if formula is not None and ("~" not in formula or not _FORMULA.match(formula)):
        raise chk.fail("model.formula",
                       f"expected 'outcome ~ terms' using names, + * : | ( ) /; found {formula!r}")
    kind.check_formula(formula, source)  # before the other [model] keys, as it always was
    df_method = chk.get(mo, "model", "df_method", str, kind.default_df, choices=DF_METHODS)
    model = ModelSpec(
        kind=kind_name, formula=formula, df_method=df_method,
        reml=chk.get(mo, "model", "reml", bool, True),
        visit=chk.get(mo, "model", "visit", str, "last"),
        outcome=chk.get(mo, "model", "outcome", str, "AVAL", choices=("AVAL", "CHG", "PCHG")),
        period_baseline=chk.get(mo, "model", "period_baseline", str, "none",
                                choices=("none", "covariate", "change")),
    )
    kind.check(model, source)
    for section, owner in kind_sections.items():
        if section in doc and owner != kind_name:
            raise chk.fail(section, f"section [{section}] belongs to model.kind {owner!r}, "
                                    f"but the spec's kind is {kind_name!r}")
    options = kind.options(chk.table(doc, kind.section, False) if kind.section else None,
                           source)

    ou = chk.table(doc, "outputs", True)
    tables = chk.strings(ou, "outputs", "tables", {o.key for o in outputs("table")})
    figures = chk.strings(ou, "outputs", "figures", {o.key for o in outputs("figure")})
    # tables whose input may be absent: a "not collected" table instead of a spec error
    raw_optional = ou.get("optional", [])
    optional = (tables if raw_optional is True else () if raw_optional is False
                else chk.strings(ou, "outputs", "optional", set(tables)))
    for key, names, what in (("tables", tables, "table"), ("figures", figures, "figure")):
        for n in names:
            out = get_output(what, n)
            if not kind.offers(n):
                raise chk.fail(f"outputs.{key}",
                               f"{n!r} is not an output of model.kind {kind_name!r} "
                               f"({kind.summary}), which gives only "
                               f"{sorted(kind.outputs or ())}")
            if kind.design not in out.designs:
                raise chk.fail(f"outputs.{key}",
                               f"{n!r} applies to {' or '.join(out.designs)} designs, but "
                               f"model.kind {kind_name!r} is a {kind.design} analysis")
    base = Path.cwd() if base_dir is None else base_dir
    return Spec(
        name=name, number=number, title=title, estimand=estimand.strip(), trial=trial,
        trial_path=(base / trial), population=population, parameter=parameter, visits=visits,
        reference=reference, seed=seed, derive=derive, model=model, tables=tables,
        figures=figures, source=source,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), optional=optional,
        options=options,
    )


def load_spec(path: str | Path) -> Spec:
    """Read and validate the spec file at ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` file; ``data.trial`` is resolved against its folder.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        The file cannot be read or is not a valid spec (the message names the key).

    Examples
    --------
    >>> load_spec("no/such/spec.toml")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: spec.toml: cannot read spec file no/such/spec.toml: ...
    """
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size > MAX_SPEC_BYTES:
            raise SpecError(f"{path.name}: spec file {path} is {path.stat().st_size:,} bytes; "
                            f"expected a spec of at most {MAX_SPEC_BYTES:,} bytes")
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise SpecError(f"{path.name}: cannot read spec file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path.name}: spec file {path} is not UTF-8 text") from None
    spec = parse_spec(text, source=path.name, base_dir=path.parent)
    # hash the bytes exactly as on disk
    return _replace_hash(spec, hashlib.sha256(raw).hexdigest())


def _replace_hash(spec: Spec, digest: str) -> Spec:
    from dataclasses import replace

    return replace(spec, sha256=digest)
