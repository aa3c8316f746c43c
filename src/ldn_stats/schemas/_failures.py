"""The failure table every validation rule appends to, and its readable listing.

A failure is one broken rule at one place: ``table, column, usubjid, row,
value, rule``. ``row`` counts data records from 1 in file order (the header
is not counted), empty for a rule about a whole column or table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["FAILURE_COLUMNS", "collect", "failure_frame", "format_failures", "text_values"]

FAILURE_COLUMNS = ("table", "column", "usubjid", "row", "value", "rule")
_MISSING = "<empty>"


def text_values(values: object) -> pd.Series:
    """Values as text for the report: whole floats without ``.0``, missing as empty."""
    s = pd.Series(values).reset_index(drop=True).infer_objects()
    if pd.api.types.is_float_dtype(s.dtype):
        arr = s.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(arr) & (np.mod(arr, 1) == 0) & (np.abs(arr) < 2**53)
        out = s.astype("str")
        out[whole] = arr[whole].astype(np.int64).astype(str)
        return out.mask(np.isnan(arr))
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("str").mask(s.isna())
    return s.astype("str").mask(s.isna())


def failure_frame(
    table: str,
    column: str,
    rule: str,
    *,
    usubjid: object = None,
    row: object = None,
    value: object = None,
    n: int | None = None,
) -> pd.DataFrame:
    """One failure per element of the array arguments (scalars are broadcast)."""
    arrays = [a for a in (usubjid, row, value) if a is not None and not np.isscalar(a)]
    size = n if n is not None else (len(arrays[0]) if arrays else 1)

    def col(values: object, kind: str) -> pd.Series:
        if values is None:
            return pd.Series([pd.NA] * size, dtype=kind)
        if np.isscalar(values):
            return pd.Series([values] * size, dtype=kind)
        if kind == "Int64":
            return pd.Series(np.asarray(values), dtype="Int64")
        return text_values(values)

    return pd.DataFrame(
        {
            "table": pd.Series([table] * size, dtype="str"),
            "column": pd.Series([column] * size, dtype="str"),
            "usubjid": col(usubjid, "str"),
            "row": col(row, "Int64"),
            "value": col(value, "str"),
            "rule": pd.Series([rule] * size, dtype="str"),
        }
    )


def collect(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate failure frames (an empty frame with the failure columns if none)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return failure_frame("", "", "", n=0)
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"table": "str", "column": "str", "usubjid": "str", "row": "Int64",
                       "value": "str", "rule": "str"})


def format_failures(failures: pd.DataFrame, source: str, cap: int = 10) -> str:
    """List failures one per line, at most ``cap`` lines per table, column and rule."""
    total = len(failures)
    noun = "failure" if total == 1 else "failures"
    lines = [
        f"{source}: {total:,} {noun} of the data contract "
        "(table, column, USUBJID, row, value: rule; rows count data records from 1, "
        "header excluded):"
    ]
    keys = ["table", "column", "rule"]
    groups = failures.groupby(keys, sort=False, dropna=False)
    for (table, column, rule), group in groups:
        for rec in group.head(cap).itertuples(index=False):
            where = [f"{table}", f"{column}"]
            if not pd.isna(rec.usubjid):
                where.append(f"USUBJID {rec.usubjid}")
            if not pd.isna(rec.row):
                where.append(f"row {rec.row}")
            if not (pd.isna(rec.value) and pd.isna(rec.row)):
                shown = _MISSING if pd.isna(rec.value) else repr(rec.value)
                where.append(f"value {shown}")
            lines.append("  " + ", ".join(where) + f": {rule}")
        if len(group) > cap:
            lines.append(f"  ... and {len(group) - cap:,} more {table}.{column} failures: {rule}")
    return "\n".join(lines)
