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

__all__ = ["Output", "check_inputs", "figure", "get_output", "missing_input", "outputs",
           "table"]

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
    needs : str or None
        An input the output needs beyond the analysis records: ``"adae"``,
        ``"responders"`` (a responder definition), ``"disposition"`` (RANDFL,
        DCSREAS) or ``"baseline"`` (BASE, CHG, PCHG derived).
    """

    kind: str
    key: str
    designs: tuple[str, ...]
    build: Callable[..., Any]
    skip_reason: str = "no data"
    needs: str | None = None


def _register(kind: str, key: str, designs: tuple[str, ...], skip_reason: str = "no data",
              needs: str | None = None):
    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if key in _REGISTRY[kind]:
            raise SpecError(f"{kind} output {key!r} is registered twice")
        _REGISTRY[kind][key] = Output(kind, key, tuple(designs), fn, skip_reason, needs)
        return fn
    return deco


def table(key: str, designs: tuple[str, ...] = ("parallel", "crossover"),
          needs: str | None = None):
    """Register a table builder under ``key`` (a decorator)."""
    return _register("table", key, designs, needs=needs)


def figure(key: str, designs: tuple[str, ...] = ("parallel", "crossover"),
           skip_reason: str = "no data", needs: str | None = None):
    """Register a figure builder under ``key`` (a decorator)."""
    return _register("figure", key, designs, skip_reason, needs)


def missing_input(key: str, trial: Any, parameter: str) -> str | None:
    """Why table ``key`` cannot be built from this trial, or ``None`` when it can.

    Parameters
    ----------
    key : str
        The table's spec key.
    trial : Trial
        The validated trial (its ``adae`` and parameter catalogue).
    parameter : str
        The spec's PARAMCD.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> missing_input("adverse_events", SimpleNamespace(adae=None), "PAINNRS")
    'the trial has no adae table (adverse events not collected)'
    """
    _load()
    out = _REGISTRY["table"].get(key)
    need = out.needs if out is not None else None
    if need == "adae" and getattr(trial, "adae", None) is None:
        return "the trial has no adae table (adverse events not collected)"
    if need == "disposition":
        adsl = getattr(trial, "adsl", None)
        missing = [c for c in ("RANDFL", "DCSREAS") if adsl is not None and c not in adsl]
        if missing:
            return (f"adsl has no {' or '.join(missing)} (randomization and discontinuation "
                    "not collected)")
    if need == "responders":
        entry = trial.parameter(parameter) if hasattr(trial, "parameter") else None
        if entry is not None and not entry.responders:
            return (f"parameter {parameter} has no responder definition in the parameter "
                    "catalogue (declare responders in the trial's parameters.toml)")
    return None


def check_inputs(spec: Any, trial: Any) -> None:
    """Raise a SpecError for a requested table whose input the trial lacks (unless optional).

    Called before anything is derived or fitted.

    Raises
    ------
    SpecError
        Naming the spec, the table key, what is missing and what to do.
    """
    for key in spec.tables:
        reason = missing_input(key, trial, spec.parameter)
        if reason is not None and key not in getattr(spec, "optional", ()):
            raise SpecError(f"{spec.source}: outputs.tables {key!r}: {reason}; remove it, "
                            "or list it in [outputs] optional for a 'not collected' table")


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
