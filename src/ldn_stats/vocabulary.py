"""The package's shared vocabulary: result columns, df methods, default column names, sequences.

One home for names that several layers use, so that a model, a table and a
spec validator cannot disagree about them.

- :data:`INFERENCE`: the columns of every inference table (coefficients,
  LS-means, contrasts), in order.
- :data:`DF_METHODS`: the degrees-of-freedom methods the models accept.
- :class:`Columns` / :data:`COLUMNS`: the default ADaM column names, as one
  frozen object; a caller with other names passes a modified copy
  (``dataclasses.replace(COLUMNS, subject="PATIENT")``).
- :class:`Sequence`: a crossover sequence (treatment per period), parsed from
  and printed to a label one way.

Examples
--------
>>> INFERENCE[:3]
('estimate', 'std_error', 'df')
>>> COLUMNS.subject, COLUMNS.arm
('USUBJID', 'TRT01P')
>>> s = Sequence.parse("LDN-PBO")
>>> s.treatments, s.n_periods, str(s)
(('LDN', 'PBO'), 2, 'LDN-PBO')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ldn_stats.errors import SpecError

__all__ = ["COLUMNS", "DF_METHODS", "INFERENCE", "SEQUENCE_SEPARATOR", "Columns", "Sequence"]

#: columns of every inference table, in order
INFERENCE: tuple[str, ...] = ("estimate", "std_error", "df", "statistic", "p_value",
                              "conf_low", "conf_high")

#: degrees-of-freedom methods of the mixed models
DF_METHODS: tuple[str, ...] = ("satterthwaite", "kenward-roger", "kenward-roger-linear",
                               "between-within", "residual")

#: default separator between the treatments of a sequence label (``LDN-PBO``)
SEQUENCE_SEPARATOR = "-"


@dataclass(frozen=True)
class Columns:
    """Default ADaM column names used across derive, models, tables and figures.

    Parameters
    ----------
    subject, arm, treatment, period, sequence : str
        ``USUBJID``, planned arm ``TRT01P``, actual treatment ``TRTA``, ``APERIOD``
        and planned sequence ``TRTSEQP``.
    visit, visit_number : str
        ``AVISIT`` and its order ``AVISITN``.
    value, baseline, change, percent_change : str
        ``AVAL``, ``BASE``, ``CHG``, ``PCHG``.
    parameter : str
        ``PARAMCD``.
    day, period_day : str
        Study day ``ADY`` and day within period ``APERDY``.

    Examples
    --------
    >>> import dataclasses
    >>> dataclasses.replace(COLUMNS, subject="PATIENT").subject
    'PATIENT'
    """

    subject: str = "USUBJID"
    arm: str = "TRT01P"
    treatment: str = "TRTA"
    period: str = "APERIOD"
    sequence: str = "TRTSEQP"
    visit: str = "AVISIT"
    visit_number: str = "AVISITN"
    value: str = "AVAL"
    baseline: str = "BASE"
    change: str = "CHG"
    percent_change: str = "PCHG"
    parameter: str = "PARAMCD"
    day: str = "ADY"
    period_day: str = "APERDY"


#: the default column names
COLUMNS = Columns()


@dataclass(frozen=True)
class Sequence:
    """A crossover sequence: the treatment of each period, in period order.

    Parameters
    ----------
    treatments : tuple of str
        One treatment per period.
    separator : str, default "-"
        How the label joins them.

    Examples
    --------
    >>> Sequence(("A", "B", "B")).label
    'A-B-B'
    >>> Sequence.parse("PBO/LDN", separator="/").treatment_in(2)
    'LDN'
    >>> "LDN" in Sequence.parse("LDN-PBO")
    True
    """

    treatments: tuple[str, ...]
    separator: str = SEQUENCE_SEPARATOR

    @classmethod
    def parse(cls, label: object, separator: str = SEQUENCE_SEPARATOR) -> Sequence:
        """Parse a label such as ``"LDN-PBO"`` into its treatments.

        Parameters
        ----------
        label : str
            The sequence label.
        separator : str, default "-"
            Separator between treatments.

        Returns
        -------
        Sequence

        Raises
        ------
        SpecError
            Fewer than two treatments, or an empty one.

        Examples
        --------
        >>> Sequence.parse("LDN-PBO-PBO").treatments
        ('LDN', 'PBO', 'PBO')
        >>> Sequence.parse("LDN")
        Traceback (most recent call last):
        ...
        ldn_stats.errors.SpecError: expected a sequence of at least two treatments ... 'LDN'
        """
        parts = tuple(str(label).split(separator))
        if len(parts) < 2 or any(p == "" for p in parts):
            raise SpecError(
                f"expected a sequence of at least two treatments separated by {separator!r}, "
                f"found {label!r}")
        return cls(parts, separator)

    @classmethod
    def resolve(
        cls, label: object, treatments: Iterable[str] | None = None,
        separator: str = SEQUENCE_SEPARATOR,
    ) -> Sequence | None:
        """The sequence a label names as trials write it, or ``None`` when it names none.

        Labels as they come: ``LDN-PBO``, ``A/B``, ``AB``, ``ABB``, ``PD``.

        1. Split at ``separator`` and at ``/ , ;`` or white space: when some part
           is a known treatment (or none are known), the parts are the
           treatments (a wrong one is left for the per-period check to find).
        2. Otherwise, when each character is the first letter of exactly one
           known treatment, the label spells them (``PL`` with ``LDN``,
           ``PBO``); with no known treatments each character is one (``AB``).
        3. Otherwise ``None``: the label is only a name, and the caller reads
           the order from the data (treatment by period) and says so.

        Parameters
        ----------
        label : str
            The sequence label (TRTSEQP).
        treatments : iterable of str, optional
            The trial's treatment names (e.g. the TRTA values); unknown if empty.
        separator : str, default "-"
            The declared separator (``DeriveRules.sequence_separator``).

        Returns
        -------
        Sequence or None
            With ``separator`` as its separator.

        Examples
        --------
        >>> Sequence.resolve("PL", ["LDN", "PBO"]).treatments
        ('PBO', 'LDN')
        >>> Sequence.resolve("ABB").label
        'A-B-B'
        >>> Sequence.resolve("A/B", ["A", "B"]).treatments
        ('A', 'B')
        >>> Sequence.resolve("Group 1", ["LDN", "PBO"]) is None
        True
        """
        if not isinstance(label, str) or not label.strip():
            return None
        names = sorted({t for t in treatments or () if isinstance(t, str) and t})
        pattern = (re.escape(separator) + "|" if separator else "") + r"[/,;\s]+"
        parts = [p for p in (x.strip() for x in re.split(pattern, label.strip())) if p]
        if (len(parts) > 1 or (parts and parts[0] in names)) and (
                not names or any(p in names for p in parts)):
            return cls(tuple(parts), separator)
        if not names:
            if len(parts) == 1 and len(parts[0]) > 1:
                return cls(tuple(parts[0]), separator)
            return None
        by_letter: dict[str, list[str]] = {}
        for name in names:
            by_letter.setdefault(name[0].upper(), []).append(name)
        chosen = []
        for char in "".join(parts):
            match = by_letter.get(char.upper(), [])
            if len(match) != 1:
                return None
            chosen.append(match[0])
        return cls(tuple(chosen), separator) if chosen else None

    @property
    def label(self) -> str:
        """The printed label (treatments joined by the separator)."""
        return self.separator.join(self.treatments)

    @property
    def n_periods(self) -> int:
        """The number of periods."""
        return len(self.treatments)

    def treatment_in(self, period: int) -> str:
        """The treatment of period ``period`` (1-based)."""
        return self.treatments[period - 1]

    def __contains__(self, treatment: object) -> bool:
        return treatment in self.treatments

    def __str__(self) -> str:
        return self.label
