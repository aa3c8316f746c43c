"""Crossover designs: Williams squares and their balance for first-order carryover.

A crossover *sequence* is the ordered tuple of treatments one subject receives,
one per period. A design is a list of sequences. The functions here build
Williams designs, check them, and turn them into the ``TRTSEQP`` labels of the
data contract (treatments joined by ``-``), so the simulator and the analyses
speak about the same designs.

Examples
--------
>>> from ldn_stats.models.crossover.designs import williams_design, sequence_labels
>>> sequence_labels(williams_design(["LDN", "PBO"]))
['LDN-PBO', 'PBO-LDN']
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from ldn_stats.errors import SpecError
from ldn_stats.vocabulary import Sequence as SequenceLabel

__all__ = [
    "carryover_counts",
    "is_carryover_balanced",
    "is_uniform",
    "parse_sequence",
    "sequence_labels",
    "williams_design",
]

Design = list[tuple[str, ...]]


def _levels(treatments: int | Sequence[str]) -> list[str]:
    if isinstance(treatments, int | np.integer):
        t = int(treatments)
        if not 2 <= t <= 26:
            raise SpecError(f"williams_design: expected 2 to 26 treatments, found {t}")
        return [chr(ord("A") + i) for i in range(t)]
    levels = [str(x) for x in treatments]
    if len(levels) < 2:
        raise SpecError(f"williams_design: expected at least 2 treatments, found {levels!r}")
    if len(set(levels)) != len(levels):
        raise SpecError(f"williams_design: treatment labels must be distinct, found {levels!r}")
    if any("-" in x for x in levels):
        raise SpecError(
            f"williams_design: treatment labels may not contain '-' (the TRTSEQP separator), "
            f"found {levels!r}"
        )
    return levels


def williams_design(treatments: int | Sequence[str]) -> Design:
    """Build a Williams design: a crossover balanced for first-order carryover.

    Parameters
    ----------
    treatments : int or sequence of str
        Either the number of treatments (labelled ``A``, ``B``, ...) or the
        treatment labels in order.

    Returns
    -------
    list of tuple of str
        The sequences, one tuple of ``t`` treatments per sequence: ``t``
        sequences when ``t`` is even (one Latin square), ``2t`` when ``t`` is
        odd (a Latin square and its mirror image).

    Notes
    -----
    Williams (1949). With treatments numbered ``0 .. t-1`` the first sequence
    is ``0, 1, t-1, 2, t-2, 3, ...`` and sequence ``i`` adds ``i`` modulo
    ``t``. Every treatment then appears once in every period and, for even
    ``t``, every treatment is immediately preceded by every other treatment
    exactly once. For odd ``t`` no single square has that property; adding the
    reversed sequences makes every ordered pair occur exactly twice.
    See Jones & Kenward (2014), *Design and Analysis of Cross-Over Trials*,
    3rd ed., section 4.2. Checked by :func:`is_carryover_balanced` and
    :func:`is_uniform` for ``t = 2 .. 10`` in the tests.

    Examples
    --------
    >>> sequence_labels(williams_design(3))
    ['A-B-C', 'B-C-A', 'C-A-B', 'C-B-A', 'A-C-B', 'B-A-C']
    >>> williams_design(4)[:2]
    [('A', 'B', 'D', 'C'), ('B', 'C', 'A', 'D')]
    """
    levels = _levels(treatments)
    t = len(levels)
    first = [0]
    for j in range(1, t):
        first.append((j + 1) // 2 if j % 2 == 1 else t - j // 2)
    rows = [[(x + i) % t for x in first] for i in range(t)]
    if t % 2 == 1:
        rows += [row[::-1] for row in rows]
    return [tuple(levels[x] for x in row) for row in rows]


def parse_sequence(label: str, sep: str = "-") -> tuple[str, ...]:
    """Split a ``TRTSEQP`` label into its treatments.

    Parameters
    ----------
    label : str
        Sequence label such as ``"LDN-PBO"``.
    sep : str, default ``"-"``
        Separator between treatments.

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> parse_sequence("LDN-PBO-PBO")
    ('LDN', 'PBO', 'PBO')
    """
    return SequenceLabel.parse(label, sep).treatments


def sequence_labels(design: Sequence[Sequence[str]], sep: str = "-") -> list[str]:
    """Join each sequence into a ``TRTSEQP`` label.

    Parameters
    ----------
    design : sequence of sequences of str
        The sequences.
    sep : str, default ``"-"``
        Separator between treatments.

    Returns
    -------
    list of str

    Examples
    --------
    >>> sequence_labels([("A", "B", "B"), ("B", "A", "A")])
    ['A-B-B', 'B-A-A']
    """
    return [sep.join(str(x) for x in seq) for seq in design]


def _as_design(design: Sequence[Sequence[str]] | Sequence[str]) -> Design:
    out = [parse_sequence(s) if isinstance(s, str) else tuple(str(x) for x in s) for s in design]
    if not out:
        raise SpecError("expected at least one sequence, found none")
    lengths = {len(s) for s in out}
    if len(lengths) != 1:
        raise SpecError(f"all sequences must have the same number of periods, found {lengths}")
    return out


def carryover_counts(design: Sequence[Sequence[str]] | Sequence[str]) -> pd.DataFrame:
    """Count how often each treatment immediately follows each treatment.

    Parameters
    ----------
    design : sequence of sequences of str, or of ``TRTSEQP`` labels
        The sequences (each sequence weighted once; weight by repeating it).

    Returns
    -------
    pandas.DataFrame
        Square integer table: row = treatment in the preceding period, column
        = treatment in the following period; levels sorted.

    Examples
    --------
    >>> carryover_counts(["A-B", "B-A"])
           A  B
    before
    A      0  1
    B      1  0
    """
    seqs = _as_design(design)
    levels = sorted({x for s in seqs for x in s})
    counts = pd.DataFrame(0, index=pd.Index(levels, name="before"), columns=levels)
    for s in seqs:
        for a, b in pairwise(s):
            counts.loc[a, b] += 1
    return counts


def is_carryover_balanced(design: Sequence[Sequence[str]] | Sequence[str]) -> bool:
    """Whether each treatment is preceded by each *other* treatment equally often.

    Parameters
    ----------
    design : sequence of sequences of str, or of ``TRTSEQP`` labels

    Returns
    -------
    bool

    Notes
    -----
    Balance for first-order carryover in the sense of Williams (1949): the
    off-diagonal counts of :func:`carryover_counts` are all equal and no
    treatment follows itself. Designs with repeated treatments (ABB/BAA) are
    not balanced in this sense, though they are efficient for carryover
    (Jones & Kenward 2014, ch. 3).

    Examples
    --------
    >>> is_carryover_balanced(williams_design(4))
    True
    >>> is_carryover_balanced(["A-B-C", "B-C-A", "C-A-B"])
    False
    """
    counts = carryover_counts(design).to_numpy()
    off = counts[~np.eye(len(counts), dtype=bool)]
    return bool(np.all(np.diag(counts) == 0) and off.size > 0 and np.all(off == off[0]))


def is_uniform(design: Sequence[Sequence[str]] | Sequence[str]) -> bool:
    """Whether every treatment appears equally often in every period.

    Parameters
    ----------
    design : sequence of sequences of str, or of ``TRTSEQP`` labels

    Returns
    -------
    bool

    Examples
    --------
    >>> is_uniform(williams_design(3))
    True
    >>> is_uniform(["A-B-B", "B-A-A"])
    True
    >>> is_uniform(["A-B", "A-B", "B-A"])
    False
    """
    seqs = _as_design(design)
    levels = sorted({x for s in seqs for x in s})
    for p in range(len(seqs[0])):
        column = [s[p] for s in seqs]
        counts = {lv: column.count(lv) for lv in levels}
        if len(set(counts.values())) != 1:
            return False
    return True
