"""The registry of analysis kinds: one module per kind, found by name.

Every public module of this package (a name not starting with ``_``, other than
``base``) is a kind: it builds an :class:`~ldn_stats.report.kinds.base.AnalysisKind`
and calls :func:`register` at import.  The registry imports them all, in name
order, the first time it is read, so adding a kind means adding one module here
and touching nothing else: the spec validator, the runner and the outputs read
:data:`KINDS` through :func:`get_kind` and :func:`kinds`.

Examples
--------
>>> sorted(k.name for k in kinds())
['ancova', 'crossover', 'crossover-diary', 'crossover-ols', 'mi', 'mmrm']
>>> get_kind("nope")
Traceback (most recent call last):
...
ldn_stats.errors.SpecError: unknown analysis kind 'nope'; expected one of ['ancova', ...]
"""

from __future__ import annotations

import importlib
import pkgutil

from ldn_stats.errors import SpecError
from ldn_stats.report.kinds.base import AnalysisKind, KindFit

__all__ = ["AnalysisKind", "KindFit", "get_kind", "kinds", "register"]

_KINDS: dict[str, AnalysisKind] = {}
_LOADED = False


def register(kind: AnalysisKind) -> AnalysisKind:
    """Add ``kind`` to the registry (called by each kind module at import).

    Raises
    ------
    SpecError
        Another kind has the same name.
    """
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise SpecError(f"analysis kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_") and info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")


def kinds() -> tuple[AnalysisKind, ...]:
    """Every registered kind, in name order."""
    _load()
    return tuple(_KINDS[n] for n in sorted(_KINDS))


def get_kind(name: str) -> AnalysisKind:
    """The kind called ``name``.

    Raises
    ------
    SpecError
        No such kind (the message lists the known ones).
    """
    _load()
    try:
        return _KINDS[name]
    except KeyError:
        raise SpecError(f"unknown analysis kind {name!r}; expected one of "
                        f"{sorted(_KINDS)}") from None
