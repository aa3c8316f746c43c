"""Checked, array-shaped inputs shared by the derivations (private).

The derivations accept any object with ``.adsl``, ``.adeff`` and ``.design``
(a validated :class:`ldn_stats.trial.Trial` or a stand-in). The checks here are
the few the derivations rely on; they name the table, column, subject and value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_stats.derive.rules import study_day_index
from ldn_stats.errors import DataError, SpecError, ValidationError

_FAILURE_COLUMNS = ["table", "column", "usubjid", "row", "value", "rule"]
#: ADSL columns carried into the analysis tables when present (CDISC: all optional).
ADSL_CARRIED = ["USUBJID", "SITEID", "AGE", "SEX", "ITTFL"]


@dataclass(frozen=True)
class _Inputs:
    """Subjects (ADSL rows sorted by USUBJID) and one parameter's records as arrays.

    Records are sorted by subject then study day, so every sum runs in the same
    order whatever the row order of the input table.
    """

    adsl: pd.DataFrame
    code: np.ndarray  # subject position in ``adsl`` per record
    ady: np.ndarray  # int64 study day
    day: np.ndarray  # int64 gap-free day index (see study_day_index)
    aval: np.ndarray  # float64, NaN when missing
    aperiod: np.ndarray | None  # float64 period number, NaN outside periods
    row: np.ndarray  # record number in adeff, from 1, for failure reports
    paramcd: str
    visit: np.ndarray | None = None  # float64 AVISITN per record (visit-level), else None
    visit_labels: dict[float, str] | None = None  # AVISITN -> AVISIT label
    ablfl: np.ndarray | None = None  # bool per record: ABLFL == "Y"
    given: dict[str, np.ndarray] | None = None  # BASE / CHG / PCHG as given (float64)
    trta: np.ndarray | None = None  # TRTA per record (object), when the column exists

    @property
    def n_subjects(self) -> int:
        return len(self.adsl)

    @property
    def rated(self) -> np.ndarray:
        return ~np.isnan(self.aval)


def _fail(message: str, rows: list[dict]) -> ValidationError:
    failures = pd.DataFrame(rows, columns=_FAILURE_COLUMNS)
    shown = "\n".join(
        f"  {r['table']}.{r['column']} (USUBJID={r['usubjid']}, row {r['row']}): "
        f"{r['value']!r} - {r['rule']}"
        for r in rows[:10]
    )
    more = f"\n  ... and {len(rows) - 10} more" if len(rows) > 10 else ""
    return ValidationError(f"{message}\n{shown}{more}", failures=failures)


def _require_columns(table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        rows = [
            {"table": table, "column": c, "usubjid": None, "row": None, "value": None,
             "rule": "required column is missing"}
            for c in missing
        ]
        found = ", ".join(map(str, frame.columns))
        raise _fail(f"{table}: missing column(s) {', '.join(missing)} (found: {found})", rows)


def _check_design(trial: object, expected: str, func: str, other: str) -> None:
    design = getattr(trial, "design", None)
    if design != expected:
        source = getattr(trial, "source", "<memory>")
        raise SpecError(
            f"{func} needs a {expected} trial; {source} has design {design!r}"
            + (f" (use {other})" if design in ("parallel", "crossover") else "")
        )


def _tables(trial: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    adsl = getattr(trial, "adsl", None)
    adeff = getattr(trial, "adeff", None)
    if not isinstance(adsl, pd.DataFrame) or not isinstance(adeff, pd.DataFrame):
        raise DataError(
            "expected a Trial with DataFrames .adsl and .adeff, found "
            f"{type(adsl).__name__} and {type(adeff).__name__}"
        )
    return adsl, adeff


def is_visit_level(trial: object, param: str) -> bool:
    """Whether ``param``'s records carry analysis visits (AVISITN present and filled).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace
    >>> t = SimpleNamespace(adeff=pd.DataFrame({"PARAMCD": ["X"], "AVISITN": [1.0]}))
    >>> is_visit_level(t, "X"), is_visit_level(t, "Y")
    (True, False)
    """
    adeff = getattr(trial, "adeff", None)
    if not isinstance(adeff, pd.DataFrame) or not {"AVISITN", "PARAMCD"} <= set(adeff.columns):
        return False
    rows = (adeff["PARAMCD"].astype("str") == param).to_numpy(dtype=bool, na_value=False)
    return bool(adeff["AVISITN"][rows].notna().any())


def _load(
    trial: object,
    param: str,
    design_column: str | None,
    population_flag: str,
    periods: bool,
    visit_level: bool = False,
) -> _Inputs:
    """Check the tables and return ``param``'s records as sorted arrays.

    ``design_column`` (TRT01P, TRTSEQP) is required when given; ``visit_level``
    keys the records by AVISITN instead of ADY (which may then be absent).
    """
    adsl, adeff = _tables(trial)
    adsl_columns = ["USUBJID"] + ([design_column] if design_column else [])
    if population_flag not in adsl_columns:
        adsl_columns.append(population_flag)
    _require_columns("adsl", adsl, adsl_columns)
    adeff_columns = ["USUBJID", "PARAMCD", "AVAL"] + (["AVISITN"] if visit_level else ["ADY"])
    adeff_columns += ["APERIOD"] if periods else []
    _require_columns("adeff", adeff, adeff_columns)

    adsl = adsl.assign(USUBJID=adsl["USUBJID"].astype("str"))
    duplicated = adsl["USUBJID"].duplicated(keep="first").to_numpy()
    if duplicated.any():
        rows = [
            {"table": "adsl", "column": "USUBJID", "usubjid": u, "row": int(r), "value": u,
             "rule": "USUBJID must be unique"}
            for r, u in zip(np.flatnonzero(duplicated) + 1,
                            adsl["USUBJID"].to_numpy()[duplicated], strict=True)
        ]
        raise _fail("adsl: duplicate USUBJID", rows)
    adsl = adsl.sort_values("USUBJID", kind="stable").reset_index(drop=True)

    paramcd = adeff["PARAMCD"].astype("str")
    keep = (paramcd == param).to_numpy()
    if not keep.any():
        found = sorted(paramcd.dropna().unique().tolist())
        raise SpecError(
            f"adeff has no records of PARAMCD {param!r}; found: {', '.join(found) or 'none'}"
        )
    records = adeff.loc[keep]
    row = np.flatnonzero(keep) + 1  # record number in the table, from 1 (header not counted)

    # factorize first: a million-row diary holds only a few thousand distinct subjects
    first_seen, distinct = pd.factorize(records["USUBJID"].astype("str"))
    position = pd.Index(adsl["USUBJID"]).get_indexer(pd.Index(distinct).astype("str"))
    code = position[first_seen].astype(np.int64)
    usubjid = _Lazy(records["USUBJID"])
    if (code < 0).any():
        rows = [
            {"table": "adeff", "column": "USUBJID", "usubjid": u, "row": int(r), "value": u,
             "rule": "USUBJID must be in adsl"}
            for r, u in zip(row[code < 0], usubjid[code < 0], strict=True)
        ]
        raise _fail("adeff: USUBJID not in adsl", rows)

    visit = visit_labels = None
    if visit_level:
        visit = pd.to_numeric(records["AVISITN"], errors="coerce").to_numpy(dtype="float64")
        baseline = ((records["ABLFL"] == "Y").to_numpy(dtype=bool, na_value=False)
                    if "ABLFL" in records.columns else np.zeros(len(records), dtype=bool))
        use = ~np.isnan(visit) | baseline  # other records without a visit are not used
        records, row, code, visit = records.loc[use], row[use], code[use], visit[use]
        usubjid = _Lazy(records["USUBJID"])
        labels = (records["AVISIT"].astype("str") if "AVISIT" in records.columns
                  else pd.Series([None] * len(records), index=records.index))
        visit_labels = {}
        for number, label in zip(visit, labels.to_numpy(object), strict=True):
            if np.isnan(number):
                continue
            if number not in visit_labels or visit_labels[number] is None:
                visit_labels[number] = label if isinstance(label, str) else None
        visit_labels = {n: (lab if lab is not None else f"Visit {_number(n)}")
                        for n, lab in visit_labels.items()}
    if visit_level and "ADY" not in records.columns:
        ady_raw = np.ones(len(records))  # visit-level records without study days
    else:
        ady_raw = pd.to_numeric(records["ADY"], errors="coerce").to_numpy(dtype="float64")
    bad_day = ~np.isfinite(ady_raw) | (ady_raw != np.round(ady_raw)) | (ady_raw == 0)
    if visit_level:
        bad_day &= ~np.isnan(ady_raw)  # a visit may have no study day
        ady_raw = np.where(np.isnan(ady_raw), 1.0, ady_raw)
    if bad_day.any():
        rows = [
            {"table": "adeff", "column": "ADY", "usubjid": u, "row": int(r), "value": v,
             "rule": "ADY must be a non-zero integer study day"}
            for r, u, v in zip(
                row[bad_day], usubjid[bad_day], records["ADY"].to_numpy()[bad_day], strict=True
            )
        ]
        raise _fail("adeff: invalid ADY", rows)
    ady = ady_raw.astype(np.int64)

    aval = _numeric(records, "AVAL", row, usubjid)
    aperiod = _numeric(records, "APERIOD", row, usubjid) if periods else None
    given = {c: _numeric(records, c, row, usubjid) for c in ("BASE", "CHG", "PCHG")
             if c in records.columns}
    ablfl = ((records["ABLFL"] == "Y").to_numpy(dtype=bool, na_value=False)
             if "ABLFL" in records.columns else None)
    trta = (records["TRTA"].to_numpy(dtype=object, na_value=None)
            if "TRTA" in records.columns else None)

    key = visit if visit is not None else ady
    order = np.lexsort((ady, key, code)) if visit is not None else np.lexsort((ady, code))
    code, ady, aval, row, key = code[order], ady[order], aval[order], row[order], key[order]
    aperiod = aperiod[order] if aperiod is not None else None
    visit = visit[order] if visit is not None else None
    given = {c: v[order] for c, v in given.items()}
    ablfl = ablfl[order] if ablfl is not None else None
    trta = trta[order] if trta is not None else None
    same = (code[1:] == code[:-1]) & (key[1:] == key[:-1])
    if same.any():
        what = "AVISITN" if visit is not None else "ADY"
        rows = [
            {"table": "adeff", "column": what, "usubjid": adsl["USUBJID"].iat[c], "row": int(r),
             "value": _number(d), "rule": f"one record per USUBJID x PARAMCD x {what} ({param})"}
            for c, d, r in zip(code[1:][same], key[1:][same], row[1:][same], strict=True)
        ]
        raise _fail(f"adeff: duplicate USUBJID x PARAMCD x {what}", rows)

    return _Inputs(
        adsl=adsl,
        code=code,
        ady=ady,
        day=study_day_index(ady),
        aval=aval,
        aperiod=aperiod,
        row=row,
        paramcd=param,
        visit=visit,
        visit_labels=visit_labels,
        ablfl=ablfl,
        given=given,
        trta=trta,
    )


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


class _Lazy:
    """A column turned into text only where a failure needs it (``lazy[mask]``)."""

    def __init__(self, column: pd.Series) -> None:
        self._column = column

    def __getitem__(self, mask: np.ndarray) -> np.ndarray:
        return self._column.iloc[np.flatnonzero(mask)].astype("str").to_numpy()


def _numeric(records: pd.DataFrame, column: str, row: np.ndarray, usubjid: _Lazy):
    """``column`` as float64 (NaN when empty); text that is not a number is a failure."""
    values = pd.to_numeric(records[column], errors="coerce").to_numpy(dtype="float64")
    bad = np.isnan(values) & records[column].notna().to_numpy()
    if bad.any():
        rows = [
            {"table": "adeff", "column": column, "usubjid": u, "row": int(r), "value": v,
             "rule": f"{column} must be numeric or empty"}
            for r, u, v in zip(row[bad], usubjid[bad], records[column].to_numpy()[bad],
                               strict=True)
        ]
        raise _fail(f"adeff: non-numeric {column}", rows)
    return values


def _window_mean(
    code: np.ndarray,
    value: np.ndarray,
    include: np.ndarray,
    n_groups: int,
    min_count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-group mean and count of the non-missing ``value`` where ``include`` holds.

    Returns ``(mean, count)``; the mean is NaN where ``count < min_count``.
    """
    use = include & ~np.isnan(value)
    count = np.bincount(code[use], minlength=n_groups)
    total = np.bincount(code[use], weights=value[use], minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count >= min_count, total / np.maximum(count, 1), np.nan)
    return mean, count.astype(np.int64)
