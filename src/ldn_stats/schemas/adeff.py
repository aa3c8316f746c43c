"""The efficacy table ``adeff``: BDS records, one per subject x parameter x study day.

Its :class:`AdeffModel` field descriptions are the data dictionary published
under ``data/schemas/adeff.md``. :data:`PARAMETERS` lists the known parameter
codes with their valid ``AVAL`` range; adding a parameter is one entry there.

Examples
--------
>>> PARAMETERS["PAINNRS"].high
10.0
>>> AdeffModel.to_schema().columns["ADY"].checks[0].statistics
{'value': 0}
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = ["PARAMETERS", "AdeffModel", "Parameter"]


class Parameter(NamedTuple):
    """A known efficacy parameter: the closed range of its ``AVAL`` and what it measures.

    Examples
    --------
    >>> Parameter(0.0, 10.0, "pain").low
    0.0
    """

    low: float
    high: float
    label: str


#: Known PARAMCD values -> valid AVAL range and meaning.
PARAMETERS: dict[str, Parameter] = {
    "PAINNRS": Parameter(
        0.0, 10.0, "Pain intensity on a 0-10 numeric rating scale (0 = no pain, "
        "10 = worst pain imaginable), usually a daily diary rating"
    ),
    "PAINVAS": Parameter(
        0.0, 100.0, "Pain intensity on a 0-100 mm visual analogue scale "
        "(0 = no pain, 100 = worst pain imaginable)"
    ),
}


def _parameter_text() -> str:
    return "; ".join(
        f"{code}: {p.label}, AVAL {p.low:g}-{p.high:g}" for code, p in PARAMETERS.items()
    )


class AdeffModel(pa.DataFrameModel):
    """Efficacy analysis dataset (ADaM BDS): daily diary or visit-level records.

    One record per USUBJID x PARAMCD x ADY. In crossover designs ``APERIOD``
    is required and each record's ``TRTA`` must be the treatment its period
    has in the subject's ``TRTSEQP``; in parallel designs ``TRTA`` (when not
    empty) equals the subject's ``TRT01P``. Other columns may be present and
    are kept as text.

    Examples
    --------
    >>> AdeffModel.to_schema().columns["AVAL"].nullable
    True
    """

    USUBJID: Series[str] = pa.Field(
        description="Unique subject identifier, text; must appear in adsl."
    )
    PARAMCD: Series[str] = pa.Field(
        isin=list(PARAMETERS),
        description="Parameter code. " + _parameter_text() + ".",
    )
    ADY: Series[int] = pa.Field(
        ne=0,
        description="Analysis study day, integer: day 1 is the day of the first dose, "
        "day -1 the day before it; there is no day 0.",
    )
    AVAL: Series[float] = pa.Field(
        nullable=True,
        description="Analysis value in the units of PARAMCD (see its range); empty when "
        "the rating is missing.",
    )
    APERIOD: Series[pd.Int64Dtype] | None = pa.Field(
        nullable=True,
        ge=1,
        description="Crossover designs: period number (integer >= 1) of the record, empty "
        "outside periods (run-in, washout). Periods do not overlap: the last ADY of "
        "period k is before the first ADY of period k+1. Optional in parallel designs.",
    )
    TRTA: Series[str] = pa.Field(
        nullable=True,
        description="Actual treatment on that day, e.g. LDN or PBO; empty before the "
        "first dose and in washouts.",
    )

    class Config:
        name = "adeff"
        strict = False
