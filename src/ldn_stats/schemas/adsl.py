"""The subject-level table ``adsl``: one row per subject.

Its :class:`AdslModel` field descriptions are the data dictionary published
under ``data/schemas/adsl.md``. The planned-treatment column decides the design:
``TRT01P`` (planned arm) makes a parallel-group trial, ``TRTSEQP`` (planned
sequence such as ``LDN-PBO``) a crossover; :func:`design_of` applies that rule.

Examples
--------
>>> AdslModel.to_schema().columns["SEX"].checks[0].statistics
{'allowed_values': ['M', 'F', 'U', 'UNDIFFERENTIATED']}
>>> design_of(["USUBJID", "TRTSEQP"])
'crossover'
"""

from __future__ import annotations

from collections.abc import Iterable

import pandera.pandas as pa
from pandera.typing import Series

from ldn_stats.vocabulary import SEQUENCE_SEPARATOR

__all__ = [
    "AGEU_TERMS",
    "DESIGN_COLUMNS",
    "SEQUENCE_SEPARATOR",
    "SEX_TERMS",
    "AdslModel",
    "design_of",
]

#: Planned-treatment column -> design it implies.
DESIGN_COLUMNS: dict[str, str] = {"TRT01P": "parallel", "TRTSEQP": "crossover"}


_YN = ["Y", "N"]

#: CDISC controlled terminology of SEX (codelist C66731).
SEX_TERMS = ["M", "F", "U", "UNDIFFERENTIATED"]

#: CDISC controlled terminology of AGEU (codelist C66781).
AGEU_TERMS = ["YEARS", "MONTHS", "WEEKS", "DAYS", "HOURS"]


class AdslModel(pa.DataFrameModel):
    """Subject-level analysis dataset (ADSL): one row per screened or randomized subject.

    At most one of ``TRT01P`` (parallel designs) and ``TRTSEQP`` (crossover
    designs) is present; with neither, a crossover is recognised by ``APERIOD``
    and ``TRTA`` in adeff and its sequences are read from the data. Only
    ``USUBJID`` is required: every other column is optional, as in CDISC ADSL,
    and an empty cell is a missing value. Other columns may be present and are
    kept as text.

    Examples
    --------
    >>> sorted(AdslModel.to_schema().columns)[:3]
    ['AGE', 'AGEU', 'ARM']
    """

    USUBJID: Series[str] = pa.Field(
        unique=True,
        description="Unique subject identifier, text (leading zeros kept: '001' is not '1'). "
        "Unique within the table; every USUBJID of adeff and adae must appear here.",
    )
    SITEID: Series[str] | None = pa.Field(
        nullable=True, description="Optional. Study site identifier, text."
    )
    AGE: Series[float] | None = pa.Field(
        nullable=True,
        ge=0,
        description="Optional. Age at informed consent, a number >= 0 in the unit AGEU "
        "(years when AGEU is absent); fractional ages and children are accepted; empty "
        "when unknown.",
    )
    AGEU: Series[str] | None = pa.Field(
        nullable=True,
        isin=AGEU_TERMS,
        description="Optional. Age unit, CDISC controlled terminology: "
        + ", ".join(AGEU_TERMS) + ".",
    )
    SEX: Series[str] | None = pa.Field(
        nullable=True,
        isin=SEX_TERMS,
        description="Optional. Sex, CDISC controlled terminology: M (male), F (female), "
        "U (unknown) or UNDIFFERENTIATED; empty when not collected.",
    )
    RACE: Series[str] | None = pa.Field(
        nullable=True, description="Optional. Race, text (CDISC terminology recommended)."
    )
    ARM: Series[str] | None = pa.Field(
        nullable=True, description="Optional. Description of the planned arm, text."
    )
    TRT01A: Series[str] | None = pa.Field(
        nullable=True, description="Optional. Actual treatment of period 01, text."
    )
    RANDFL: Series[str] | None = pa.Field(
        nullable=True,
        isin=_YN,
        description="Optional. Randomized population flag: Y (randomized), N or empty.",
    )
    ITTFL: Series[str] | None = pa.Field(
        nullable=True,
        isin=_YN,
        description="Optional. Intention-to-treat population flag: Y (analysed as "
        "randomized), N or empty (not in the population). The derivations need the "
        "population flag they are told to use (ITTFL by default).",
    )
    SAFFL: Series[str] | None = pa.Field(
        nullable=True,
        isin=_YN,
        description="Optional. Safety population flag: Y (received at least one dose), N "
        "or empty.",
    )
    TRT01P: Series[str] | None = pa.Field(
        nullable=True,
        description="Parallel designs only: planned treatment arm, e.g. LDN or PBO (placebo). "
        "Levels are taken from the data. Required when RANDFL is Y; "
        "present if and only if TRTSEQP is absent.",
    )
    TRTSEQP: Series[str] | None = pa.Field(
        nullable=True,
        description="Crossover designs only: planned treatment sequence, a label as the "
        "trial writes it: the treatment of each period in order separated by '-' or '/' "
        "(LDN-PBO, A/B), or one letter per period (AB, BA, ABB). When the parts are "
        "treatment names (TRTA) or each letter is the first letter of one treatment, "
        "the sequence is checked against the treatments by APERIOD; otherwise the order "
        "is read from the data and reported. Optional: without it the sequences are "
        "read from TRTA by APERIOD. Never present together with TRT01P.",
    )
    DCSREAS: Series[str] | None = pa.Field(
        nullable=True,
        description="Optional. Reason for discontinuation from the study, text; empty when "
        "the subject completed.",
    )

    class Config:
        name = "adsl"
        strict = False


def design_of(columns: Iterable[str], adeff_columns: Iterable[str] = ()) -> str | None:
    """Return the design implied by the planned-treatment column, or ``None`` if ambiguous.

    Parameters
    ----------
    columns : iterable of str
        Column names of an ``adsl`` table.
    adeff_columns : iterable of str, optional
        Column names of the ``adeff`` table: with neither planned column in
        adsl, ``APERIOD`` and ``TRTA`` there make a crossover whose sequences
        are read from the data.

    Returns
    -------
    str or None
        ``"parallel"`` when only ``TRT01P`` is present, ``"crossover"`` when
        only ``TRTSEQP`` is (or neither is and adeff has APERIOD and TRTA),
        ``None`` otherwise (an error the validator reports).

    Examples
    --------
    >>> design_of(["USUBJID", "TRT01P"]), design_of(["TRT01P", "TRTSEQP"]), design_of([])
    ('parallel', None, None)
    >>> design_of(["USUBJID"], ["USUBJID", "APERIOD", "TRTA"])
    'crossover'
    """
    columns = list(columns)
    found = [DESIGN_COLUMNS[c] for c in columns if c in DESIGN_COLUMNS]
    if not found and {"APERIOD", "TRTA"} <= set(adeff_columns):
        return "crossover"
    return found[0] if len(found) == 1 else None
