"""The subject-level table ``adsl``: one row per subject.

Its :class:`AdslModel` field descriptions are the data dictionary published
under ``data/schemas/adsl.md``. The planned-treatment column decides the design:
``TRT01P`` (planned arm) makes a parallel-group trial, ``TRTSEQP`` (planned
sequence such as ``LDN-PBO``) a crossover; :func:`design_of` applies that rule.

Examples
--------
>>> AdslModel.to_schema().columns["SEX"].checks[0].statistics
{'allowed_values': ['F', 'M']}
>>> design_of(["USUBJID", "TRTSEQP"])
'crossover'
"""

from __future__ import annotations

from collections.abc import Iterable

import pandera.pandas as pa
from pandera.typing import Series

__all__ = ["DESIGN_COLUMNS", "SEQUENCE_PATTERN", "SEQUENCE_SEPARATOR", "AdslModel", "design_of"]

#: Planned-treatment column -> design it implies.
DESIGN_COLUMNS: dict[str, str] = {"TRT01P": "parallel", "TRTSEQP": "crossover"}

#: Separator of the per-period treatments in ``TRTSEQP`` (``LDN-PBO``).
SEQUENCE_SEPARATOR = "-"

#: A valid ``TRTSEQP``: two or more non-empty treatments joined by the separator.
SEQUENCE_PATTERN = r"^[^-]+(-[^-]+)+$"

_YN = ["Y", "N"]


class AdslModel(pa.DataFrameModel):
    """Subject-level analysis dataset (ADSL): one row per screened or randomized subject.

    Exactly one of ``TRT01P`` (parallel designs) and ``TRTSEQP`` (crossover
    designs) is present. Other columns may be present and are kept as text.

    Examples
    --------
    >>> sorted(AdslModel.to_schema().columns)[:3]
    ['AGE', 'DCSREAS', 'ITTFL']
    """

    USUBJID: Series[str] = pa.Field(
        unique=True,
        description="Unique subject identifier, text (leading zeros kept: '001' is not '1'). "
        "Unique within the table; every USUBJID of adeff and adae must appear here.",
    )
    SITEID: Series[str] = pa.Field(description="Study site identifier, text.")
    AGE: Series[int] = pa.Field(
        ge=18, le=100, description="Age at informed consent in whole years, integer 18-100."
    )
    SEX: Series[str] = pa.Field(isin=["F", "M"], description="Sex: F (female) or M (male).")
    RANDFL: Series[str] = pa.Field(
        isin=_YN, description="Randomized population flag: Y (randomized) or N."
    )
    ITTFL: Series[str] = pa.Field(
        isin=_YN,
        description="Intention-to-treat population flag: Y (analysed as randomized) or N.",
    )
    SAFFL: Series[str] = pa.Field(
        isin=_YN, description="Safety population flag: Y (received at least one dose) or N."
    )
    TRT01P: Series[str] | None = pa.Field(
        nullable=True,
        description="Parallel designs only: planned treatment arm, e.g. LDN or PBO (placebo). "
        "Levels are taken from the data. Required when RANDFL is Y; "
        "present if and only if TRTSEQP is absent.",
    )
    TRTSEQP: Series[str] | None = pa.Field(
        nullable=True,
        str_matches=SEQUENCE_PATTERN,
        description="Crossover designs only: planned treatment sequence, the treatment of "
        "each period in order separated by '-', e.g. LDN-PBO (period 1 LDN, period 2 "
        "placebo). Required when RANDFL is Y; present if and only if TRT01P is absent.",
    )
    DCSREAS: Series[str] = pa.Field(
        nullable=True,
        description="Reason for discontinuation from the study, text; empty when the "
        "subject completed.",
    )

    class Config:
        name = "adsl"
        strict = False


def design_of(columns: Iterable[str]) -> str | None:
    """Return the design implied by the planned-treatment column, or ``None`` if ambiguous.

    Parameters
    ----------
    columns : iterable of str
        Column names of an ``adsl`` table.

    Returns
    -------
    str or None
        ``"parallel"`` when only ``TRT01P`` is present, ``"crossover"`` when
        only ``TRTSEQP`` is, ``None`` when both or neither are (an error the
        validator reports).

    Examples
    --------
    >>> design_of(["USUBJID", "TRT01P"]), design_of(["TRT01P", "TRTSEQP"]), design_of([])
    ('parallel', None, None)
    """
    found = [DESIGN_COLUMNS[c] for c in columns if c in DESIGN_COLUMNS]
    return found[0] if len(found) == 1 else None
