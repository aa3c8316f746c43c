"""The optional adverse-event table ``adae``: one row per adverse event.

Its :class:`AdaeModel` field descriptions are the data dictionary published
under ``data/schemas/adae.md``.

Examples
--------
>>> AdaeModel.to_schema().columns["AESEV"].checks[0].statistics
{'allowed_values': ['MILD', 'MODERATE', 'SEVERE']}
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = ["AdaeModel"]


class AdaeModel(pa.DataFrameModel):
    """Adverse events analysis dataset (ADAE): one row per reported adverse event.

    Optional in a trial folder. Other columns may be present and are kept as text.

    Examples
    --------
    >>> AdaeModel.to_schema().columns["ASTDY"].nullable
    True
    """

    USUBJID: Series[str] = pa.Field(
        description="Unique subject identifier, text; must appear in adsl."
    )
    AEDECOD: Series[str] = pa.Field(
        description="Dictionary-derived term of the event (MedDRA preferred term), "
        "e.g. Vivid dreams, Headache, Nausea."
    )
    ASTDY: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        ne=0,
        description="Analysis start day of the event, integer study day (day 1 = first "
        "dose, negative before, no day 0); empty when unknown.",
    )
    AESEV: Series[str] = pa.Field(
        isin=["MILD", "MODERATE", "SEVERE"],
        description="Severity: MILD, MODERATE or SEVERE.",
    )
    AESER: Series[str] = pa.Field(
        isin=["Y", "N"], description="Serious event: Y (serious) or N."
    )
    TRTA: Series[str] = pa.Field(
        nullable=True,
        description="Actual treatment at the start of the event, e.g. LDN or PBO; empty "
        "before the first dose. In parallel designs it equals the subject's TRT01P; in "
        "crossover designs it is one of the treatments of the subject's TRTSEQP.",
    )

    class Config:
        name = "adae"
        strict = False
