"""The registry of report outputs: table and figure builders by key.

Each builder is a function registered with :func:`table` or :func:`figure`
under its spec key (``outputs.tables = ["lsmeans"]``), with the designs it
applies to and the inputs it needs.  Spec validation reads :func:`outputs`
to check keys and designs; :func:`ldn_stats.report.analyse.analyse` calls the
builders in the spec's order.  Adding an output is one registered function in
:mod:`.tables` or :mod:`.figures` (or in an analysis kind's own module).

Examples
--------
>>> sorted(o.key for o in outputs("table"))[:3]
['adverse_events', 'baseline', 'crossover_effects']
>>> get_output("figure", "forest").designs
('parallel',)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ldn_stats.errors import SpecError

__all__ = ["Output", "figure", "get_output", "outputs", "table"]

_REGISTRY: dict[str, dict[str, Output]] = {"table": {}, "figure": {}}
_BUILTIN = ("ldn_stats.report.outputs.tables", "ldn_stats.report.outputs.figures")


@dataclass(frozen=True)
class Output:
    """One table or figure the report can build.

    Parameters
    ----------
    kind : {"table", "figure"}
    key : str
        The spec key and file stem.
    designs : tuple of str
        ``parallel`` and/or ``crossover``.
    build : callable
        Tables: ``build(selection, fit, number) -> Table``; figures:
        ``build(selection, fit) -> (matplotlib Figure, title, note) or None``
        (``None``: not drawable from these data; the reason is ``skip_reason``).
    skip_reason : str
        What a note says when a figure is not drawn.
    """

    kind: str
    key: str
    designs: tuple[str, ...]
    build: Callable[..., Any]
    skip_reason: str = "no data"


def _register(kind: str, key: str, designs: tuple[str, ...], skip_reason: str = "no data"):
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if key in _REGISTRY[kind]:
            raise SpecError(f"{kind} output {key!r} is registered twice")
        _REGISTRY[kind][key] = Output(kind, key, tuple(designs), fn, skip_reason)
        return fn
    return deco


def table(key: str, designs: tuple[str, ...] = ("parallel", "crossover")):
    """Register a table builder under ``key`` (a decorator)."""
    return _register("table", key, designs)


def figure(key: str, designs: tuple[str, ...] = ("parallel", "crossover"),
           skip_reason: str = "no data"):
    """Register a figure builder under ``key`` (a decorator)."""
    return _register("figure", key, designs, skip_reason)


def _load() -> None:
    for module in _BUILTIN:
        importlib.import_module(module)


def outputs(kind: str) -> tuple[Output, ...]:
    """Every registered output of ``kind`` (``table`` or ``figure``), in key order."""
    _load()
    reg = _REGISTRY[kind]
    return tuple(reg[k] for k in sorted(reg))


def get_output(kind: str, key: str) -> Output:
    """The output ``key`` of ``kind``.

    Raises
    ------
    SpecError
        No such output (the message lists the known keys).
    """
    _load()
    try:
        return _REGISTRY[kind][key]
    except KeyError:
        raise SpecError(f"unknown {kind} {key!r}; expected one of "
                        f"{sorted(_REGISTRY[kind])}") from None
