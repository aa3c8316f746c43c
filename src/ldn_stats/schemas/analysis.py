"""Pandera models of the derived analysis tables (their field descriptions are the data dictionary).

- :class:`AnalysisModel`: the analysis table of :func:`ldn_stats.derive.derive_parallel`
  (one row per subject x analysis week) and :func:`ldn_stats.derive.derive_crossover`
  (one row per subject x period).
- :class:`DiaryModel`: the daily-diary table of crossovers,
  :func:`ldn_stats.derive.crossover_diary` (one row per rated day within a period).

:func:`validate_analysis` and :func:`validate_diary` validate with every failure
collected at once and raise :class:`ldn_stats.errors.ValidationError` with a
``failures`` table (table, column, usubjid, row, value, rule).

Examples
--------
>>> from ldn_stats.schemas.analysis import AnalysisModel
>>> AnalysisModel.to_schema().columns["CRIT1FL"].description
'Responder flag: "Y" when PCHG <= -30 (a reduction of at least 30%), ...'
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from ldn_stats.errors import ValidationError

__all__ = ["AnalysisModel", "DiaryModel", "validate_analysis", "validate_diary"]

_YN = ["Y", "N"]
_FAILURE_COLUMNS = ["table", "column", "usubjid", "row", "value", "rule"]


class AnalysisModel(pa.DataFrameModel):
    """The derived analysis table (ADaM BDS style), parallel or crossover.

    Parallel tables carry TRT01P; crossover tables carry TRTSEQP, APERIOD
    and TRTA instead. One row per USUBJID x AVISITN. Each row is one subject at one analysis
    visit (a week or a period), every planned visit present, so a model sees a
    complete grid with missing outcomes.

    Examples
    --------
    >>> sorted(AnalysisModel.to_schema().columns)[:4]
    ['AGE', 'ANL01FL', 'APERIOD', 'AVAL']
    """

    USUBJID: Series[str] = pa.Field(coerce=True, description="Unique subject identifier (ADSL).")
    SITEID: Series[str] | None = pa.Field(
        coerce=True, nullable=True, description="Study site identifier (ADSL), when present."
    )
    AGE: Series[float] | None = pa.Field(
        coerce=True, nullable=True, ge=0, description="Age (ADSL, unit AGEU), when present."
    )
    SEX: Series[str] | None = pa.Field(
        coerce=True, nullable=True, description="Sex, CDISC terms (ADSL), when present."
    )
    ITTFL: Series[str] | None = pa.Field(
        coerce=True, nullable=True, isin=_YN,
        description="Intent-to-treat population flag, Y/N/empty (ADSL), when present."
    )
    TRT01P: Series[str] | None = pa.Field(
        coerce=True, description="Planned treatment arm (parallel designs; ADSL), from the data."
    )
    TRTSEQP: Series[str] | None = pa.Field(
        coerce=True,
        description="Planned treatment sequence (crossover designs; ADSL), e.g. LDN-PBO.",
    )
    APERIOD: Series[int] | None = pa.Field(
        coerce=True, ge=1, description="Crossover period number, 1-based."
    )
    TRTA: Series[str] | None = pa.Field(
        coerce=True,
        description="Treatment of the period: the APERIOD-th element of TRTSEQP (crossover).",
    )
    PARAMCD: Series[str] = pa.Field(
        coerce=True, description="Parameter code of the ratings, e.g. PAINNRS (0-10 NRS)."
    )
    AVISIT: Series[pd.CategoricalDtype] = pa.Field(
        description='Analysis visit, an ordered categorical: "Week 1".."Week N" (weekly means), '
        'the visit-window labels (visit-level records) or "Period 1".. (crossover).'
    )
    AVISITN: Series[int] = pa.Field(
        coerce=True, description="Analysis visit number: the week, window or period number."
    )
    NDAYS: Series[int] = pa.Field(
        coerce=True,
        ge=0,
        description="Ratings the AVAL rule looked at: rated days of the week (parallel), "
        "1 or 0 (visit windows), rated days among the last k of the period (crossover).",
    )
    AVAL: Series[float] = pa.Field(
        coerce=True,
        nullable=True,
        description="Analysis value: weekly mean of daily ratings (missing with fewer than "
        "DeriveRules.week_min_days rated days), the visit's rating, or the period endpoint "
        "(mean of the last k rated days of the period).",
    )
    BASE: Series[float] | None = pa.Field(
        coerce=True,
        nullable=True,
        description="Absent when the trial has no baseline (analysed on AVAL). "
        "Baseline: as given in adeff (BASE, or the AVAL of the ABLFL = Y record), else "
        "the mean (or, with DeriveRules.baseline_method 'last', the latest) "
        "of the ratings in the pre-dose window, missing with fewer than "
        "DeriveRules.baseline_min_ratings; for crossovers optionally the period baseline "
        "(mean of the ratings in the days before the period, washout included).",
    )
    CHG: Series[float] | None = pa.Field(
        coerce=True, nullable=True,
        description="Change from baseline, AVAL - BASE (as given in adeff where it is); "
        "absent without BASE."
    )
    PCHG: Series[float] | None = pa.Field(
        coerce=True,
        nullable=True,
        description="Percent change from baseline, 100 * CHG / BASE; missing when BASE is 0 "
        "or missing; absent without BASE.",
    )
    CRIT1FL: Series[str] | None = pa.Field(
        coerce=True,
        nullable=True,
        isin=_YN,
        description='Responder flag: "Y" when PCHG <= -30 (a reduction of at least 30%), '
        '"N" otherwise, missing when PCHG is missing. Threshold: DeriveRules.crit1_pchg. '
        "Present only when the parameter's catalogue entry defines CRIT1FL (the pain "
        "scales: >= 30% reduction; others as their definition says).",
    )
    CRIT2FL: Series[str] | None = pa.Field(
        coerce=True,
        nullable=True,
        isin=_YN,
        description='Responder flag: "Y" when PCHG <= -50 (a reduction of at least 50%), '
        '"N" otherwise, missing when PCHG is missing. Threshold: DeriveRules.crit2_pchg. '
        "Present only when the parameter's catalogue entry defines CRIT2FL.",
    )
    ANL01FL: Series[str] = pa.Field(
        coerce=True,
        isin=_YN,
        description='Analysis flag: "Y" when the subject is in the population (ITTFL = "Y" by '
        'default), BASE is present (when the trial has a baseline) and AVAL is present; '
        '"N" otherwise.',
    )

    @pa.check("AVISIT", name="ordered_categorical")
    @classmethod
    def _avisit_ordered(cls, avisit: pd.Series) -> bool:
        return bool(avisit.cat.ordered)

    @pa.dataframe_check(name="design_columns")
    @classmethod
    def _design_columns(cls, frame: pd.DataFrame) -> bool:
        parallel = "TRT01P" in frame.columns
        crossover = {"TRTSEQP", "APERIOD", "TRTA"} <= set(frame.columns)
        return parallel != crossover

    class Config:
        name = "adeff_anl"
        strict = True
        unique = ["USUBJID", "AVISITN"]  # noqa: RUF012 - pandera config


class DiaryModel(pa.DataFrameModel):
    """The daily-diary analysis table of a crossover trial.

    One row per rated day inside a treatment period, for mixed models of the
    daily ratings (subject random effect, period and treatment fixed effects).

    Examples
    --------
    >>> list(DiaryModel.to_schema().columns)[:4]
    ['USUBJID', 'TRTSEQP', 'APERIOD', 'TRTA']
    """

    USUBJID: Series[str] = pa.Field(coerce=True, description="Unique subject identifier (ADSL).")
    TRTSEQP: Series[str] = pa.Field(coerce=True, description="Planned treatment sequence (ADSL).")
    APERIOD: Series[int] = pa.Field(coerce=True, ge=1, description="Crossover period number.")
    TRTA: Series[str] = pa.Field(
        coerce=True, description="Treatment of the period (APERIOD-th element of TRTSEQP)."
    )
    APERDY: Series[int] = pa.Field(
        coerce=True,
        ge=1,
        description="Day within the period: 1 on the subject's first day of the period.",
    )
    AVAL: Series[float] = pa.Field(coerce=True, description="The day's rating (never missing).")
    BASE: Series[float] = pa.Field(
        coerce=True,
        nullable=True,
        description="Baseline of the period, by the same rule as derive_crossover.",
    )
    ANL01FL: Series[str] = pa.Field(
        coerce=True,
        isin=_YN,
        description='"Y" when the subject is in the population and BASE is present.',
    )

    class Config:
        name = "adeff_diary"
        strict = True
        unique = ["USUBJID", "APERIOD", "APERDY"]  # noqa: RUF012 - pandera config


def validate_analysis(frame: pd.DataFrame, table: str = "adeff_anl") -> pd.DataFrame:
    """Validate (and coerce) an analysis table with :class:`AnalysisModel`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    table : str
        Its name in failure reports.

    Returns
    -------
    pandas.DataFrame
        The validated table, columns coerced to the model's dtypes.

    Raises
    ------
    ldn_stats.errors.ValidationError
        Listing every failure at once (``.failures``: table, column, usubjid,
        row, value, rule).

    Examples
    --------
    >>> validate_analysis(pd.DataFrame({"USUBJID": ["01"]}))
    Traceback (most recent call last):
    ...
    ldn_stats.errors.ValidationError: adeff_anl: ... failure(s) ...
    """
    return _validate(AnalysisModel, frame, table)


def validate_diary(frame: pd.DataFrame, table: str = "adeff_diary") -> pd.DataFrame:
    """Validate (and coerce) a crossover diary table with :class:`DiaryModel`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    table : str
        Its name in failure reports.

    Returns
    -------
    pandas.DataFrame
        The validated table.

    Raises
    ------
    ldn_stats.errors.ValidationError
        Listing every failure at once.

    Examples
    --------
    >>> validate_diary(pd.DataFrame({"USUBJID": ["01"]}))
    Traceback (most recent call last):
    ...
    ldn_stats.errors.ValidationError: adeff_diary: ... failure(s) ...
    """
    return _validate(DiaryModel, frame, table)


def _validate(model: type[pa.DataFrameModel], frame: pd.DataFrame, table: str) -> pd.DataFrame:
    try:
        return model.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        usubjid = frame["USUBJID"] if "USUBJID" in frame.columns else None
        rows = []
        for case in cases.itertuples(index=False):
            index = case.index
            has_row = index is not None and not pd.isna(index) and usubjid is not None
            rows.append(
                {
                    "table": table,
                    "column": case.column,
                    "usubjid": usubjid.loc[index] if has_row and index in usubjid.index else None,
                    "row": int(index) + 1 if has_row else None,  # from 1, as in reports
                    "value": case.failure_case,
                    "rule": case.check,
                }
            )
        failures = pd.DataFrame(rows, columns=_FAILURE_COLUMNS)
        shown = "\n".join(
            f"  {r['column']} (USUBJID={r['usubjid']}, row {r['row']}): "
            f"{r['value']!r} - {r['rule']}"
            for r in rows[:10]
        )
        more = f"\n  ... and {len(rows) - 10} more" if len(rows) > 10 else ""
        raise ValidationError(
            f"{table}: {len(rows)} failure(s) against {model.__name__}\n{shown}{more}",
            failures=failures,
        ) from None
