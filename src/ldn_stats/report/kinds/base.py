"""The protocol every analysis kind implements, and the numeric fit it hands to the outputs.

An analysis kind is one module in :mod:`ldn_stats.report.kinds` that defines an
:class:`AnalysisKind` and registers it with :func:`ldn_stats.report.kinds.register`.
The kind says:

- ``name`` and ``design`` (``parallel`` or ``crossover``): what ``model.kind`` in a
  spec selects and which trials it applies to;
- :meth:`~AnalysisKind.check`: its own spec keys (required formula, allowed df
  methods), raising :class:`~ldn_stats.errors.SpecError` naming the key;
- :meth:`~AnalysisKind.derive`: its analysis table from a validated trial and the
  derivation rules;
- :meth:`~AnalysisKind.fit`: the model on the selected records
  (:class:`~ldn_stats.report.selection.Selection`), returning a :class:`KindFit`;
- ``outputs``: the table and figure keys it can feed (``None``: every output of its
  design);
- ``section`` and ``read_section``: an optional spec section of its own (``[mi]``),
  parsed and validated by the kind into a frozen options object that the fit reads
  as ``selection.spec.options``.

:class:`KindFit` carries the fitted model (the models layer's own frozen result)
and the few tables every output reads (LS-means and differences in the
:data:`~ldn_stats.vocabulary.INFERENCE` columns, the model details), so that the
output builders never probe a model for attributes.

Examples
--------
>>> from ldn_stats.report.kinds import get_kind
>>> k = get_kind("mmrm")
>>> k.name, k.design, k.default_df
('mmrm', 'parallel', 'kenward-roger')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ldn_stats.errors import SpecError
from ldn_stats.vocabulary import INFERENCE

if TYPE_CHECKING:
    from ldn_stats.derive import DeriveRules
    from ldn_stats.report.selection import Selection
    from ldn_stats.report.spec import ModelSpec

__all__ = ["AnalysisKind", "KindFit"]


@dataclass(frozen=True)
class KindFit:
    """What a kind's fit gives the outputs: numbers only.

    Parameters
    ----------
    kind : str
        The kind's name.
    model : object
        The fitted model: the models layer's frozen result
        (:class:`~ldn_stats.models.result.LinearModelResult`,
        :class:`~ldn_stats.CrossoverResult`, ...).
    formula : str
        The model as fitted, in formula syntax or words.
    df_method : str
        Degrees-of-freedom method of the tests and intervals, as printed in footnotes.
    lsmeans : pandas.DataFrame
        ``visit, group`` plus the inference columns.
    differences : pandas.DataFrame
        ``visit, contrast`` (``"b - ref"``) plus the inference columns.
    details : tuple of (str, object)
        Model details in order, for the model table.
    covariance : pandas.DataFrame or None
        Estimated visit x visit covariance (MMRM), else ``None``.
    fitted, residuals : numpy.ndarray or None
        For the diagnostic plot.
    extra : dict of str to pandas.DataFrame
        Kind-specific tables (crossover: ``period_effects``, ``carryover``,
        ``responders``).

    Examples
    --------
    >>> import pandas as pd
    >>> f = KindFit("x", None, "y ~ 1", "residual", pd.DataFrame(), pd.DataFrame(), ())
    >>> f.primary() is None
    True
    """

    kind: str
    model: Any
    formula: str
    df_method: str
    lsmeans: pd.DataFrame
    differences: pd.DataFrame
    details: tuple[tuple[str, Any], ...]
    covariance: pd.DataFrame | None = None
    fitted: np.ndarray | None = None
    residuals: np.ndarray | None = None
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    def primary(self) -> pd.Series | None:
        """The primary comparison: the first difference at the last visit (or ``None``).

        Returns
        -------
        pandas.Series or None
            ``visit, contrast`` and the inference columns.
        """
        d = self.differences
        if d is None or len(d) == 0:
            return None
        last = d[d["visit"] == d["visit"].iloc[-1]]
        return last.iloc[0]


def inference_frame(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``frame[keys + INFERENCE]`` with a fresh index (the columns that outputs read).

    Examples
    --------
    >>> import pandas as pd
    >>> inference_frame(pd.DataFrame({"visit": ["W1"], "estimate": [1.0], "x": [2]}),
    ...                 ["visit"]).columns.tolist()
    ['visit', 'estimate']
    """
    cols = keys + [c for c in INFERENCE if c in frame.columns]
    return frame[cols].reset_index(drop=True)


@dataclass(frozen=True)
class AnalysisKind:
    """One analysis kind: its name, design, spec checks, derivation and fit.

    Parameters
    ----------
    name : str
        ``model.kind`` in a spec.
    design : str
        ``parallel`` or ``crossover``.
    summary : str
        One line for the docs and errors.
    fit : callable
        ``fit(selection, model_spec) -> KindFit``.
    derive : callable
        ``derive(trial, rules, parameter) -> DataFrame``: the analysis table.
    needs_formula : bool
        The spec must give ``model.formula``.
    least_squares : bool
        Fitted by least squares: ``df_method`` must be ``residual``.
    outputs : frozenset of str or None
        The output keys this kind can feed; ``None``: every output of its design.
    section : str or None
        Name of the kind's own spec section (``"mi"`` for ``[mi]``), if any.
    read_section : callable or None
        ``read_section(table, source) -> options``: validate the section (an empty
        dict when the spec has none) and return the kind's frozen options; raise
        :class:`~ldn_stats.errors.SpecError` naming ``<section>.<key>``.
    """

    name: str
    design: str
    summary: str
    fit: Callable[[Selection, ModelSpec], KindFit]
    derive: Callable[[Any, DeriveRules, str], pd.DataFrame]
    needs_formula: bool = False
    least_squares: bool = False
    outputs: frozenset[str] | None = None
    section: str | None = None
    read_section: Callable[[dict, str], Any] | None = None

    @property
    def default_df(self) -> str:
        """``residual`` for least squares, else ``kenward-roger``."""
        return "residual" if self.least_squares else "kenward-roger"

    def check_formula(self, formula: str | None, source: str) -> None:
        """Refuse a missing ``model.formula`` for a kind that needs one.

        Raises
        ------
        SpecError
            Naming ``model.formula``.
        """
        if self.needs_formula and formula is None:
            raise SpecError(f"{source}: model.formula: missing required key for kind "
                            f"{self.name!r}")

    def check(self, model: ModelSpec, source: str) -> None:
        """Check the kind's own keys of a parsed ``[model]`` section.

        Raises
        ------
        SpecError
            Naming the key (``model.formula``, ``model.df_method``).
        """
        if self.least_squares and model.df_method != "residual":
            raise SpecError(f"{source}: model.df_method: kind {self.name!r} is fitted by least "
                            f"squares: expected 'residual', found {model.df_method!r}")

    def options(self, table: dict | None, source: str) -> Any:
        """The kind's options from its spec section (``None`` for a kind without one).

        Raises
        ------
        SpecError
            A section is given for a kind that has none, or the kind's reader refuses it.
        """
        if self.section is None or self.read_section is None:
            return None
        return self.read_section(dict(table or {}), source)

    def offers(self, key: str) -> bool:
        """Whether the kind can feed output ``key`` (its design permitting)."""
        return self.outputs is None or key in self.outputs
