"""Crossover sequence labels as trials write them: ``LDN-PBO``, ``AB``, ``A/B``, ``ABB``.

A sequence label names the treatment of each period. :func:`resolve_sequence`
turns a label into its per-period treatments when the label says them:

1. split at the separator (``-`` by default) and at ``/``, ``,``, ``;`` or
   spaces: when some part is a treatment name (or no names are known), the
   parts are the treatments (``LDN-PBO``, ``A/B``), and a part that is not
   one is for the per-period check to report;
2. otherwise, when every character of the label is the first letter of exactly
   one known treatment, the label spells them (``AB`` with treatments ``Active``
   and ``Blank``; ``PD`` with ``Placebo`` and ``Drug``); with no known names, each
   character is a treatment (``AB`` -> ``A``, ``B``);
3. otherwise the label is only a label: ``None``, and callers take the order
   from the data (TRTA by APERIOD) and say so.

Examples
--------
>>> resolve_sequence("LDN-PBO", ["LDN", "PBO"])
('LDN', 'PBO')
>>> resolve_sequence("PL", ["LDN", "PBO"])
('PBO', 'LDN')
>>> resolve_sequence("ABB")
('A', 'B', 'B')
>>> resolve_sequence("Group 1", ["LDN", "PBO"]) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["resolve_sequence", "sequence_label"]

_SPLIT = r"[/,;\s]+"


def resolve_sequence(
    label: object, treatments: Iterable[str] | None = None, separator: str = "-"
) -> tuple[str, ...] | None:
    """The per-period treatments a sequence label names, or ``None`` when it names none.

    Parameters
    ----------
    label : str
        The sequence label (``TRTSEQP``).
    treatments : iterable of str, optional
        The treatment names of the trial (e.g. the TRTA values). ``None`` or
        empty: unknown, so the label alone decides.
    separator : str
        The declared separator (``DeriveRules.sequence_separator``), besides
        ``/ , ;`` and white space.

    Returns
    -------
    tuple of str or None
        One treatment per period (at least one), or ``None``.

    Examples
    --------
    >>> resolve_sequence("A/B", ["A", "B"]), resolve_sequence("BA", ["Active", "Blank"])
    (('A', 'B'), ('Blank', 'Active'))
    >>> resolve_sequence("LDN+PBO", ["LDN", "PBO"], separator="+")
    ('LDN', 'PBO')
    """
    if not isinstance(label, str) or not label.strip():
        return None
    names = sorted({str(t) for t in treatments or () if isinstance(t, str) and t})
    pattern = re.escape(separator) + "|" + _SPLIT if separator else _SPLIT
    parts = [p for p in (s.strip() for s in re.split(pattern, label.strip())) if p]
    if len(parts) > 1 or (parts and parts[0] in names):
        if not names or any(p in names for p in parts):
            return tuple(parts)  # the treatments by name (a wrong one is the check's to find)
    letters = "".join(parts)
    if not names:
        return tuple(letters) if len(parts) == 1 and len(letters) > 1 else (
            tuple(parts) if len(parts) > 1 else None)
    by_letter: dict[str, list[str]] = {}
    for name in names:
        by_letter.setdefault(name[0].upper(), []).append(name)
    chosen = []
    for char in letters:
        match = by_letter.get(char.upper(), [])
        if len(match) != 1:
            return None
        chosen.append(match[0])
    return tuple(chosen) if chosen else None


def sequence_label(treatments: Iterable[str], separator: str = "-") -> str:
    """A label for per-period treatments: the names joined by the separator.

    Examples
    --------
    >>> sequence_label(["LDN", "PBO"])
    'LDN-PBO'
    """
    return separator.join(str(t) for t in treatments)
