"""One table against its pandera model: convert columns to their declared types, then validate.

Columns of a CSV arrive as text. Each column the model declares numeric is
converted here (a cell that is not a number, or not a whole number for an
integer column, is a failure of that cell); text columns stay text, numbers
stored in a text column of a SAS or Parquet file are written without ``.0``.
Then the model validates lazily, so every failure is collected, and pandera's
failure cases are translated into the failure table of :mod:`._failures`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ldn_stats.io import MISSING_TEXT
from ldn_stats.schemas._failures import collect, failure_frame

__all__ = ["check_table"]

_NUMERIC_KINDS = {"int64": True, "Int64": True, "float64": False}  # kind -> integer?


def check_table(
    frame: pd.DataFrame, model: type[pa.DataFrameModel]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the typed table and its failures (empty when it meets its model).

    ``frame`` must have a 0..n-1 index (row ``i`` is data row ``i + 1``).

    Examples
    --------
    >>> import pandas as pd
    >>> from ldn_stats.schemas import AdaeModel
    >>> raw = pd.DataFrame({"USUBJID": ["001", "002"], "AEDECOD": ["Nausea", "Headache"],
    ...     "ASTDY": ["3", "x"], "AESEV": ["MILD", "MILD"], "AESER": ["N", "N"],
    ...     "TRTA": ["LDN", ""]})
    >>> typed, failures = check_table(raw, AdaeModel)
    >>> typed["ASTDY"].tolist()
    [3, <NA>]
    >>> failures[["column", "usubjid", "row", "value", "rule"]].to_dict("records")
    [{'column': 'ASTDY', 'usubjid': '002', 'row': 2, 'value': 'x', 'rule': 'a number'}]
    """
    schema = model.to_schema()
    table = schema.name
    ids = _blank_to_missing(frame["USUBJID"]) if "USUBJID" in frame.columns else None
    typed: dict[str, pd.Series] = {}
    parts: list[pd.DataFrame] = []
    bad_cells: dict[str, np.ndarray] = {}
    for name in frame.columns:
        raw = _blank_to_missing(frame[name])
        spec = schema.columns.get(name)
        kind = str(spec.dtype) if spec is not None else None
        if kind in _NUMERIC_KINDS:
            values, bad, rule = _to_number(raw, integer=_NUMERIC_KINDS[kind])
            if bad.any():
                bad_cells[name] = bad
                parts.append(
                    failure_frame(
                        table, name, rule,
                        usubjid=None if ids is None else _text(ids[bad]).to_numpy(object),
                        row=np.flatnonzero(bad) + 1,
                        value=_text(raw[bad]).to_numpy(object),
                    )
                )
            if kind == "float64":
                typed[name] = pd.Series(values, name=name)
            elif kind == "int64" and not np.isnan(values).any():
                typed[name] = pd.Series(values.astype(np.int64), name=name)
            else:
                typed[name] = pd.Series(values, name=name).astype("Int64")
        elif spec is not None:
            typed[name] = _text(raw)
        else:
            typed[name] = raw
    out = pd.DataFrame(typed, index=frame.index)
    if ids is not None:
        ids = out["USUBJID"]
    try:
        model.validate(out, lazy=True)
    except SchemaErrors as exc:
        parts.append(_translate(exc.failure_cases, schema, ids, bad_cells, table,
                                list(frame.columns)))
    return out, collect(parts)


def _blank_to_missing(values: pd.Series) -> pd.Series:
    """Missing text (:data:`ldn_stats.io.MISSING_TEXT`: empty, NA, ., NaN) is a missing value.

    The same rule as the CSV reader, so a table given in memory with R's ``NA``
    or SAS's ``.`` validates as its CSV would.
    """
    if pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_object_dtype(values.dtype):
        text = values.astype("str") if pd.api.types.is_object_dtype(values.dtype) else values
        blank = text.str.strip().isin(MISSING_TEXT).to_numpy(dtype=bool, na_value=False)
        if blank.any():
            return values.mask(blank)
    return values


def _text(values: pd.Series) -> pd.Series:
    """A column as pandas text (``str`` dtype), whole numbers written without ``.0``."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
        values.dtype
    ):
        return values.astype("str")
    if pd.api.types.is_float_dtype(values.dtype):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(arr) & (np.mod(arr, 1) == 0)
        text = values.astype("str")
        text[whole] = arr[whole].astype(np.int64).astype(str)
        return text.mask(np.isnan(arr))
    return values.astype("str").mask(values.isna())


def _to_number(raw: pd.Series, integer: bool) -> tuple[np.ndarray, np.ndarray, str]:
    """float64 values, mask of cells that break the type, and the rule they break."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = np.full(len(raw), np.nan)
        bad = raw.notna().to_numpy()
    elif pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.to_numpy(dtype="float64", na_value=np.nan)
        bad = np.zeros(len(raw), dtype=bool)
    else:
        values = _parse_numbers(raw)
        bad = np.isnan(values) & raw.notna().to_numpy()
        if bad.any():  # the text "nan" is a missing value, not a failure
            where = np.flatnonzero(bad)
            nan_text = raw.iloc[where].astype("str").str.strip().str.lower() == "nan"
            bad[where[nan_text.to_numpy(dtype=bool)]] = False
    if bad.any():
        return np.where(bad, np.nan, values), bad, "a number"
    if integer:  # whole and exactly representable (|x| <= 2**53), so int64 holds it
        with np.errstate(invalid="ignore"):
            bad = ~np.isnan(values) & (
                ~np.isfinite(values) | (np.abs(values) > 2.0**53) | (np.mod(values, 1) != 0)
            )
        if bad.any():
            return np.where(bad, np.nan, values), bad, "a whole number (integer)"
    return values, bad, ""


_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(?i:nan|inf|infinity)$"


def _parse_numbers(raw: pd.Series) -> np.ndarray:
    """Parse text to float64, NaN where not a number; vectorized in Arrow throughout."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(raw.astype("str"), from_pandas=True, type=pa.large_string())
    try:
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        trimmed = pc.utf8_trim_whitespace(arr)
        number = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER), False)
        kept = pc.if_else(number, trimmed, pa.scalar(None, pa.large_string()))
        return pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False)


def _rule_text(check: object) -> str:
    name = getattr(check, "name", str(check))
    stats = getattr(check, "statistics", {}) or {}
    if name == "isin":
        return "one of " + ", ".join(str(v) for v in stats["allowed_values"])
    if name == "greater_than_or_equal_to":
        return f">= {stats['min_value']}"
    if name == "less_than_or_equal_to":
        return f"<= {stats['max_value']}"
    if name == "in_range":
        return f"between {stats['min_value']} and {stats['max_value']}"
    if name == "not_equal_to":
        return f"not {stats['value']}"
    if name == "str_matches":
        return f"matches {stats['pattern']}"
    return name


_PLAIN_RULES = {
    "not_nullable": "not empty",
    "field_uniqueness": "unique (one row per value)",
    "column_in_dataframe": "column present",
}


def _translate(
    cases: pd.DataFrame,
    schema: pa.DataFrameSchema,
    ids: pd.Series | None,
    bad_cells: dict[str, np.ndarray],
    table: str,
    present: list[object] = (),  # type: ignore[assignment]
) -> pd.DataFrame:
    parts: list[pd.DataFrame] = []
    missing = cases[cases["check"] == "column_in_dataframe"]
    for column in missing["failure_case"]:
        rule = "required column present (not found)"
        near = [c for c in present if str(c).strip().upper() == str(column) and c != column]
        if near:
            rule = (f"required column present (not found; found {str(near[0])!r}: column "
                    "names are upper case without surrounding spaces)")
        parts.append(failure_frame(table, str(column), rule))
    cell = cases[cases["index"].notna() & cases["column"].isin(list(schema.columns))]
    for (column, check, number), group in cell.groupby(
        ["column", "check", "check_number"], sort=False, dropna=False
    ):
        index = group["index"].to_numpy(dtype=np.int64)
        if column in bad_cells:  # already reported as not a number
            index = index[~bad_cells[column][index]]
            group = group[~bad_cells[column][group["index"].to_numpy(dtype=np.int64)]]
        if not len(index):
            continue
        if check in _PLAIN_RULES:
            rule = _PLAIN_RULES[check]
        else:
            rule = _rule_text(schema.columns[column].checks[int(number)])
        parts.append(
            failure_frame(
                table, str(column), rule,
                usubjid=None if ids is None else ids.to_numpy(object)[index],
                row=index + 1,
                value=group["failure_case"].to_numpy(object),
            )
        )
    return collect(parts)
