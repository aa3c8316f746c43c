"""Shape crossover data for analysis: treatment order, one row per subject for 2x2 designs.

The input is long, one row per subject x period (as ``ldn_stats.derive.derive_crossover``
writes it): a subject column, a period column, the treatment taken in the period and the
sequence label (treatments joined by ``-``). These helpers check that shape and pivot it.

A :class:`~ldn_stats.vocabulary.Columns` names the columns (package notes).

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"USUBJID": list("11223344"), "TRTSEQP": ["A-B"] * 4 + ["B-A"] * 4,
...                   "APERIOD": [1, 2] * 4, "TRTA": list("ABABBABA"),
...                   "AVAL": [5.0, 3.0, 4.0, 4.0, 2.0, 6.0, 1.0, 3.0]})
>>> treatment_levels(d["TRTA"])
['A', 'B']
>>> two_by_two_wide(d, "AVAL").wide[["y1", "y2", "first"]]
         y1   y2 first
USUBJID
1       5.0  3.0     A
2       4.0  4.0     A
3       2.0  6.0     B
4       1.0  3.0     B
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_stats.errors import DataError, ModelError
from ldn_stats.vocabulary import COLUMNS, Columns

__all__ = ["TwoByTwo", "check_columns", "sort_periods", "treatment_levels", "two_by_two_wide"]


def check_columns(data: pd.DataFrame, columns: Iterable[str], what: str = "crossover") -> None:
    """Raise :class:`~ldn_stats.errors.DataError` naming every missing column.

    Parameters
    ----------
    data : pandas.DataFrame
    columns : iterable of str
    what : str
        Name of the analysis, for the message.

    Examples
    --------
    >>> check_columns(pd.DataFrame({"A": [1]}), ["A"])
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(
            f"{what}: expected columns {missing} in the data, found {list(data.columns)}"
        )


def sort_periods(values: Iterable[object]) -> list[object]:
    """Distinct period values in order: numerically when all are numbers, else as text.

    Parameters
    ----------
    values : iterable
        Period values (missing values are ignored).

    Returns
    -------
    list

    Examples
    --------
    >>> sort_periods(["10", "9", "9"])
    ['9', '10']
    >>> sort_periods(["B", "A"])
    ['A', 'B']
    """
    uniq = list(pd.unique(pd.Series(list(values), dtype=object).dropna()))
    numeric = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce")
    if numeric.notna().all():
        return [uniq[i] for i in np.argsort(numeric.to_numpy(float), kind="stable")]
    return sorted(uniq, key=str)


def treatment_levels(
    values: pd.Series | Iterable[object], reference: str | None = None
) -> list[str]:
    """Treatment levels with the reference first, the others sorted.

    Parameters
    ----------
    values : Series or iterable
        Treatment codes; missing values are ignored.
    reference : str, optional
        Reference (placebo) level. Default ``"PBO"`` if present, else the first sorted level.

    Returns
    -------
    list of str
        Levels in analysis order; differences are labelled ``"b - a"`` for levels in this
        order, so the default gives ``"LDN - PBO"``.

    Examples
    --------
    >>> treatment_levels(["LDN", "PBO", "LDN"])
    ['PBO', 'LDN']
    >>> treatment_levels(["LDN", "PBO"], reference="LDN")
    ['LDN', 'PBO']
    """
    levels = sorted({str(v) for v in pd.Series(list(values)).dropna()})
    if len(levels) < 2:
        raise DataError(f"expected at least two treatments, found {levels}")
    if reference is None:
        reference = "PBO" if "PBO" in levels else levels[0]
    if reference not in levels:
        raise DataError(f"reference treatment {reference!r} not among the treatments {levels}")
    return [reference, *[lv for lv in levels if lv != reference]]


@dataclass(frozen=True)
class TwoByTwo:
    """A complete-case 2x2 crossover, one row per subject.

    Attributes
    ----------
    wide : pandas.DataFrame
        Indexed by subject; columns ``y1``, ``y2`` (outcome in periods 1 and 2),
        ``first`` (treatment of period 1), ``sequence``.
    levels : tuple of str
        Treatments ``(a, b)`` in analysis order (reference first).
    periods : tuple
        The two period values in order.
    n_dropped : int
        Subjects left out because a period's outcome was missing.

    Examples
    --------
    >>> tb = TwoByTwo(wide=pd.DataFrame(), levels=("PBO", "LDN"), periods=(1, 2), n_dropped=0)
    >>> tb.contrast
    'LDN - PBO'
    """

    wide: pd.DataFrame
    levels: tuple[str, str]
    periods: tuple[object, object]
    n_dropped: int

    @property
    def contrast(self) -> str:
        """The label ``"b - a"`` of the treatment difference."""
        return f"{self.levels[1]} - {self.levels[0]}"

    def split(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Values of the subjects starting on treatment b (x) and on treatment a (y)."""
        first = self.wide["first"]
        x = values[first == self.levels[1]].to_numpy(float)
        y = values[first == self.levels[0]].to_numpy(float)
        return x, y


def two_by_two_wide(
    data: pd.DataFrame,
    outcome: str,
    reference: str | None = None,
    *,
    columns: Columns = COLUMNS,
) -> TwoByTwo:
    """Pivot a 2x2 crossover to one row per subject with both periods observed.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject x period.
    outcome : str
        Outcome column.
    columns : Columns, default COLUMNS
        Subject, period, treatment and sequence columns (see the module notes).
    reference : str, optional
        Reference treatment (see :func:`treatment_levels`).

    Returns
    -------
    TwoByTwo

    Raises
    ------
    DataError
        Missing columns, duplicated subject x period rows, a subject whose treatments do
        not follow its sequence.
    ModelError
        Not two periods and two treatments, or fewer than two complete subjects per sequence.

    Examples
    --------
    >>> d = pd.DataFrame({"USUBJID": list("aabbccddee"),
    ...                   "TRTSEQP": ["A-B"] * 4 + ["B-A"] * 4 + ["A-B"] * 2,
    ...                   "APERIOD": [1, 2] * 5, "TRTA": list("ABABBABAAB"),
    ...                   "AVAL": [5.0, 3.0, 4.0, None, 2.0, 6.0, 1.0, 3.0, 4.0, 4.0]})
    >>> tb = two_by_two_wide(d, "AVAL")
    >>> len(tb.wide), tb.n_dropped, tb.contrast
    (4, 1, 'B - A')
    """
    subject, period = columns.subject, columns.period
    treatment, sequence = columns.treatment, columns.sequence
    check_columns(data, [outcome, subject, period, treatment, sequence], "2x2 crossover")
    d = data[[subject, period, treatment, sequence, outcome]].copy()
    d = d.loc[d[period].notna() & d[treatment].notna()]
    periods = sort_periods(d[period])
    if len(periods) != 2:
        raise ModelError(f"2x2 crossover: expected 2 periods in {period!r}, found {periods}")
    levels = treatment_levels(d[treatment], reference)
    if len(levels) != 2:
        raise ModelError(f"2x2 crossover: expected 2 treatments in {treatment!r}, found {levels}")
    dup = d.duplicated([subject, period])
    if dup.any():
        first = d.loc[dup].iloc[0]
        raise DataError(
            f"2x2 crossover: expected one row per {subject} x {period}, found duplicates "
            f"(first: {subject}={first[subject]!r}, {period}={first[period]!r})"
        )
    y = d.pivot(index=subject, columns=period, values=outcome)
    t = d.pivot(index=subject, columns=period, values=treatment)
    s = d.groupby(subject, sort=True)[sequence].first()
    wide = pd.DataFrame(
        {
            "y1": pd.to_numeric(y[periods[0]], errors="coerce").astype(float),
            "y2": pd.to_numeric(y[periods[1]], errors="coerce").astype(float),
            "first": t[periods[0]].astype(object),
            "second": t[periods[1]].astype(object),
            "sequence": s.astype(str),
        }
    )
    wide.index.name = subject
    complete = wide["y1"].notna() & wide["y2"].notna()
    n_dropped = int((~complete).sum())
    wide = wide.loc[complete].copy()
    bad = wide["first"] == wide["second"]
    if bad.any():
        raise DataError(
            f"2x2 crossover: subject {bad[bad].index[0]!r} took {wide.loc[bad, 'first'].iloc[0]!r} "
            "in both periods; expected each treatment once"
        )
    wide["first"] = wide["first"].astype(str)
    counts = wide["first"].value_counts()
    for lv in levels:
        if counts.get(lv, 0) < 2:
            raise ModelError(
                f"2x2 crossover: expected at least 2 complete subjects starting on {lv!r}, "
                f"found {int(counts.get(lv, 0))}"
            )
    return TwoByTwo(wide=wide.drop(columns="second"), levels=(levels[0], levels[1]),
                    periods=(periods[0], periods[1]), n_dropped=n_dropped)
