"""The parameter catalogue: what each PARAMCD measures, its range, direction and responders.

One declarative entry per ``PARAMCD`` (TOML; the built-in entries are in
``ldn_stats/parameters.toml``): a label, a unit, an optional closed range of
``AVAL``, the direction of improvement, the decimals tables print, whether it
measures pain, and its responder definitions. A trial folder may add or replace
entries with its own ``parameters.toml`` beside the tables
(:func:`load_catalogue`). A ``PARAMCD`` that no entry declares is still a
parameter: numeric ``AVAL``, no range check, no responders, labelled by its code
(:meth:`Catalogue.get`); validation notes it, never fails on it.

Examples
--------
>>> cat = load_catalogue()
>>> p = cat.get("PAINNRS")
>>> p.label, p.low, p.high, p.direction, [r.flag for r in p.responders]
('Pain intensity (0-10 NRS)', 0.0, 10.0, 'decrease', ['CRIT1FL', 'CRIT2FL'])
>>> q = cat.get("BDI")
>>> q.declared, q.label, q.low, q.responders
(False, 'BDI', None, ())
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ldn_stats.errors import SpecError

__all__ = ["CATALOGUE_FILE", "Catalogue", "Parameter", "Responder", "load_catalogue"]

#: File name of a trial folder's own catalogue entries.
CATALOGUE_FILE = "parameters.toml"

_KINDS = ("relative", "absolute", "value")
_DIRECTIONS = ("decrease", "increase")
_KEYS = {"label", "unit", "low", "high", "direction", "decimals", "pain", "description",
         "responders"}


@dataclass(frozen=True)
class Responder:
    """One responder definition of a parameter, in its direction of improvement.

    Parameters
    ----------
    flag : str
        The ADaM criterion flag it fills, e.g. ``"CRIT1FL"``.
    kind : {"relative", "absolute", "value"}
        ``"relative"``: PCHG improves by at least ``threshold`` percent;
        ``"absolute"``: CHG improves by at least ``threshold`` units;
        ``"value"``: AVAL is at or beyond ``threshold`` in the direction of
        improvement (e.g. PGIC <= 2).
    threshold : float
        The amount (relative, absolute: a magnitude >= 0) or cut-off (value).
    label : str
        How tables name the responders, e.g. ``">= 30% reduction"``.

    Examples
    --------
    >>> Responder("CRIT1FL", "relative", 30.0, ">= 30% reduction").needs
    'PCHG'
    """

    flag: str
    kind: Literal["relative", "absolute", "value"]
    threshold: float
    label: str

    @property
    def needs(self) -> str:
        """The analysis column the definition is evaluated on (PCHG, CHG or AVAL)."""
        return {"relative": "PCHG", "absolute": "CHG", "value": "AVAL"}[self.kind]


@dataclass(frozen=True)
class Parameter:
    """One PARAMCD of the catalogue.

    Attributes
    ----------
    code : str
        The PARAMCD.
    label : str
        What AVAL measures (table titles, axis labels).
    unit : str
        Unit of AVAL; empty when unknown.
    low, high : float or None
        Closed range of valid AVAL; ``None`` for no bound.
    direction : {"decrease", "increase"} or None
        Direction of improvement; ``None`` when unknown (no responders then).
    decimals : int
        Decimals of estimates in tables.
    pain : bool
        Whether the parameter measures pain.
    description : str
        One sentence for the data dictionary.
    responders : tuple of Responder
        Responder definitions; empty when the parameter has none.
    declared : bool
        ``False`` for a PARAMCD no catalogue entry declares.

    Examples
    --------
    >>> Parameter("X", "X score").in_range(1e9)
    True
    """

    code: str
    label: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    direction: Literal["decrease", "increase"] | None = None
    decimals: int = 2
    pain: bool = False
    description: str = ""
    responders: tuple[Responder, ...] = field(default=())
    declared: bool = True

    def in_range(self, value: float) -> bool:
        """Whether ``value`` lies in the closed range (always true without bounds)."""
        return (self.low is None or value >= self.low) and (
            self.high is None or value <= self.high
        )

    def range_text(self) -> str:
        """The range in words, e.g. ``"0-10"``, ``">= 0"`` or ``"any number"``."""
        if self.low is not None and self.high is not None:
            return f"{self.low:g}-{self.high:g}"
        if self.low is not None:
            return f">= {self.low:g}"
        if self.high is not None:
            return f"<= {self.high:g}"
        return "any number"


class Catalogue(Mapping[str, Parameter]):
    """PARAMCD -> :class:`Parameter`, for the declared parameters (read-only mapping).

    Examples
    --------
    >>> cat = load_catalogue()
    >>> "FIQR" in cat, cat.get("FIQR").direction
    (True, 'decrease')
    """

    def __init__(self, entries: Mapping[str, Parameter], sources: tuple[str, ...] = ()) -> None:
        self._entries = dict(entries)
        self.sources = sources

    def __getitem__(self, code: str) -> Parameter:
        return self._entries[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, code: str, default: object = None) -> Parameter:  # type: ignore[override]
        """The entry of ``code``, or an undeclared parameter named by its code."""
        found = self._entries.get(code)
        if found is not None:
            return found
        return Parameter(code=str(code), label=str(code), declared=False,
                         description="not in the parameter catalogue: numeric AVAL, "
                         "no range check, no responder definition")

    def merged(self, entries: Mapping[str, Parameter], source: str) -> Catalogue:
        """A new catalogue with ``entries`` added or replacing entries of the same code."""
        return Catalogue({**self._entries, **entries}, (*self.sources, source))


def _number(where: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: {key}: expected a number, found {value!r}")
    return float(value)


def _responder(where: str, i: int, raw: object, direction: str | None) -> Responder:
    at = f"{where}: responders[{i}]"
    if not isinstance(raw, dict):
        raise SpecError(f"{at}: expected a table with flag, kind, threshold, label, "
                        f"found {raw!r}")
    unknown = sorted(set(raw) - {"flag", "kind", "threshold", "label"})
    if unknown:
        raise SpecError(f"{at}: unknown keys {unknown}; expected flag, kind, threshold, label")
    flag, kind = raw.get("flag"), raw.get("kind")
    if not isinstance(flag, str) or not flag:
        raise SpecError(f"{at}: flag: expected a column name such as CRIT1FL, found {flag!r}")
    if kind not in _KINDS:
        raise SpecError(f"{at}: kind: expected one of {', '.join(_KINDS)}, found {kind!r}")
    if direction is None:
        raise SpecError(f"{at}: a responder needs the parameter's direction "
                        "('decrease' or 'increase')")
    threshold = _number(at, "threshold", raw.get("threshold"))
    if kind != "value" and threshold < 0:
        raise SpecError(f"{at}: threshold: expected the size of the improvement (>= 0), "
                        f"found {threshold:g}")
    label = raw.get("label", f"{flag} responder")
    if not isinstance(label, str):
        raise SpecError(f"{at}: label: expected text, found {label!r}")
    return Responder(flag, kind, threshold, label)


def _entry(where: str, code: str, raw: object) -> Parameter:
    at = f"{where}: [{code}]"
    if not isinstance(raw, dict):
        raise SpecError(f"{at}: expected a table of parameter keys, found {raw!r}")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise SpecError(f"{at}: unknown keys {unknown}; expected some of {sorted(_KEYS)}")
    label = raw.get("label")
    if not isinstance(label, str) or not label:
        raise SpecError(f"{at}: label: expected text, found {label!r}")
    low = None if raw.get("low") is None else _number(at, "low", raw["low"])
    high = None if raw.get("high") is None else _number(at, "high", raw["high"])
    if low is not None and high is not None and low > high:
        raise SpecError(f"{at}: expected low <= high, found {low:g} > {high:g}")
    direction = raw.get("direction")
    if direction is not None and direction not in _DIRECTIONS:
        raise SpecError(f"{at}: direction: expected 'decrease' or 'increase', "
                        f"found {direction!r}")
    decimals = raw.get("decimals", 2)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 8:
        raise SpecError(f"{at}: decimals: expected an integer 0..8, found {decimals!r}")
    pain = raw.get("pain", False)
    if not isinstance(pain, bool):
        raise SpecError(f"{at}: pain: expected true or false, found {pain!r}")
    responders_raw = raw.get("responders", [])
    if not isinstance(responders_raw, list):
        raise SpecError(f"{at}: responders: expected an array of tables, "
                        f"found {responders_raw!r}")
    responders = tuple(_responder(at, i, r, direction) for i, r in enumerate(responders_raw))
    flags = [r.flag for r in responders]
    if len(set(flags)) != len(flags):
        raise SpecError(f"{at}: responders: expected one definition per flag, found {flags}")
    return Parameter(
        code=code, label=label, unit=str(raw.get("unit", "")), low=low, high=high,
        direction=direction, decimals=decimals, pain=pain,
        description=str(raw.get("description", label)), responders=responders,
    )


def parse_catalogue(data: Mapping[str, Any], where: str) -> dict[str, Parameter]:
    """Entries from a parsed TOML document (``{PARAMCD: {key: value}}``).

    Parameters
    ----------
    data : mapping
        The document.
    where : str
        Its name in error messages.

    Returns
    -------
    dict of str to Parameter

    Raises
    ------
    ldn_stats.errors.SpecError
        An entry breaks the format; the message names the file, PARAMCD and key.

    Examples
    --------
    >>> parse_catalogue({"BDI": {"label": "BDI-II", "low": 0, "high": 63,
    ...                          "direction": "decrease"}}, "x")["BDI"].range_text()
    '0-63'
    >>> parse_catalogue({"BDI": {"label": "BDI", "colour": "red"}}, "x")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: x: [BDI]: unknown keys ['colour']; ...
    """
    return {str(code): _entry(where, str(code), raw) for code, raw in data.items()}


def _read(path: Path) -> dict[str, Parameter]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: cannot read the parameter catalogue: {exc}") from None
    return parse_catalogue(data, str(path))


_BUILTIN: Catalogue | None = None


def builtin_catalogue() -> Catalogue:
    """The built-in entries (``ldn_stats/parameters.toml``), read once.

    Examples
    --------
    >>> sorted(builtin_catalogue())[:3]
    ['BPIINT', 'BPISEV', 'FIQR']
    """
    global _BUILTIN
    if _BUILTIN is None:
        text = resources.files("ldn_stats").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
        _BUILTIN = Catalogue(parse_catalogue(tomllib.loads(text), "ldn_stats/parameters.toml"),
                             ("built-in",))
    return _BUILTIN


def load_catalogue(
    folder: str | os.PathLike[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Catalogue:
    """The built-in catalogue plus a trial folder's ``parameters.toml`` and a spec's entries.

    Parameters
    ----------
    folder : str or path-like, optional
        A trial folder; its ``parameters.toml``, when present, adds or replaces
        entries.
    extra : mapping, optional
        Entries as a parsed TOML table (e.g. a report spec's ``[parameters]``),
        applied last.

    Returns
    -------
    Catalogue

    Raises
    ------
    ldn_stats.errors.SpecError
        A catalogue file or entry breaks the format.

    Examples
    --------
    >>> load_catalogue(extra={"BDI": {"label": "BDI-II (0-63)"}}).get("BDI").label
    'BDI-II (0-63)'
    """
    catalogue = builtin_catalogue()
    if folder is not None:
        path = Path(folder) / CATALOGUE_FILE
        if path.is_file():
            catalogue = catalogue.merged(_read(path), str(path))
    if extra:
        catalogue = catalogue.merged(parse_catalogue(extra, "spec [parameters]"), "spec")
    return catalogue
