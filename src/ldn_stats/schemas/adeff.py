"""The efficacy table ``adeff``: BDS records, one per subject x parameter x study day or visit.

Its :class:`AdeffModel` field descriptions are the data dictionary published
under ``data/schemas/adeff.md``. What each PARAMCD measures and its valid
``AVAL`` range come from the parameter catalogue (:mod:`ldn_stats.parameters`);
:data:`PARAMETERS` is its built-in part.

Examples
--------
>>> PARAMETERS["PAINNRS"].high
10.0
>>> AdeffModel.to_schema().columns["ADY"].checks[0].statistics
{'value': 0}
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from ldn_stats.parameters import Parameter, builtin_catalogue

__all__ = ["PARAMETERS", "AdeffModel", "Parameter"]

#: The built-in parameter catalogue (PARAMCD -> Parameter); a trial's own
#: ``parameters.toml`` adds to it (see :func:`ldn_stats.parameters.load_catalogue`).
PARAMETERS = builtin_catalogue()


def _parameter_text() -> str:
    return "; ".join(
        f"{code}: {p.label}, AVAL {p.range_text()}" for code, p in PARAMETERS.items()
    )


class AdeffModel(pa.DataFrameModel):
    """Efficacy analysis dataset (ADaM BDS): daily diary or visit-level records.

    One record per USUBJID x PARAMCD x ADY (daily diaries) or per USUBJID x
    PARAMCD x AVISITN (visit-level data). In crossover designs ``APERIOD`` is
    required and each record's ``TRTA`` must be the treatment its period has in
    the subject's sequence; in parallel designs ``TRTA`` (when not empty) equals
    the subject's ``TRT01P``. Other columns may be present and are kept as text.

    Examples
    --------
    >>> AdeffModel.to_schema().columns["AVAL"].nullable
    True
    """

    USUBJID: Series[str] = pa.Field(
        description="Unique subject identifier, text; must appear in adsl."
    )
    PARAMCD: Series[str] = pa.Field(
        description="Parameter code. Declared in the parameter catalogue (built in: "
        + _parameter_text() + "; a trial folder's parameters.toml adds its own). "
        "An undeclared PARAMCD is accepted with a note: numeric AVAL, no range check, "
        "no responder definition.",
    )
    ADY: Series[pd.Int64Dtype] | None = pa.Field(
        nullable=True,
        ne=0,
        description="Analysis study day, integer: day 1 is the day of the first dose, "
        "day -1 the day before it; there is no day 0. Required for daily diaries; optional "
        "when AVISITN is present (visit-level data).",
    )
    ADT: Series[str] | None = pa.Field(
        nullable=True,
        description="Optional. Analysis date (ISO 8601 text, e.g. 2024-03-01); kept, "
        "not used by the derivations.",
    )
    AVISIT: Series[str] | None = pa.Field(
        nullable=True,
        description="Optional. Analysis visit label, e.g. 'Month 2'. With AVISITN, the "
        "records are visit-level and these are the analysis visits.",
    )
    AVISITN: Series[float] | None = pa.Field(
        nullable=True,
        description="Optional. Analysis visit number: orders the analysis visits; one "
        "AVISIT label per AVISITN. When present the records are visit-level: one record "
        "per USUBJID x PARAMCD x AVISITN.",
    )
    ABLFL: Series[str] | None = pa.Field(
        nullable=True,
        isin=["Y", "N"],
        description="Optional. Baseline record flag: Y on the one baseline record of a "
        "USUBJID x PARAMCD (empty or N otherwise). Baseline records are not analysis "
        "visits; their AVAL is BASE where BASE is absent.",
    )
    AVAL: Series[float] = pa.Field(
        nullable=True,
        description="Analysis value in the units of PARAMCD (within its catalogue range, "
        "when it has one); empty when the rating is missing.",
    )
    BASE: Series[float] | None = pa.Field(
        nullable=True,
        description="Optional. Baseline value; used as given (and checked: one BASE per "
        "USUBJID x PARAMCD). Derived only when absent.",
    )
    CHG: Series[float] | None = pa.Field(
        nullable=True,
        description="Optional. Change from baseline; must equal AVAL - BASE within "
        "rounding (half a unit in the parameter's last decimal).",
    )
    PCHG: Series[float] | None = pa.Field(
        nullable=True,
        description="Optional. Percent change from baseline; must equal 100 * CHG / BASE "
        "within rounding.",
    )
    APERIOD: Series[pd.Int64Dtype] | None = pa.Field(
        nullable=True,
        ge=1,
        description="Crossover designs: period number (integer >= 1) of the record, empty "
        "outside periods (run-in, washout). Periods do not overlap: the last ADY of "
        "period k is before the first ADY of period k+1. Optional in parallel designs.",
    )
    TRTA: Series[str] | None = pa.Field(
        nullable=True,
        description="Actual treatment on that day, e.g. LDN or PBO; empty before the "
        "first dose and in washouts. Optional: without it the planned treatment is used.",
    )

    class Config:
        name = "adeff"
        strict = False
