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
    """Values as text for the report: whole floats without ``.0``, missing as missing.

    Examples
    --------
    >>> text_values([11.0, 2.5, None]).tolist()
    ['11', '2.5', nan]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    s = pd.Series(values).reset_index(drop=True)
    if isinstance(s.dtype, pd.StringDtype):
        return s.astype("str")
    s = s.infer_objects()
    if pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        arr = pa.array(s, from_pandas=True)
        return pd.Series(pd.array(pc.cast(arr, pa.large_string()), dtype="str"))
    return s.astype("str").mask(s.isna())


def _constant(value: str, size: int) -> pd.Series:
    import pyarrow as pa

    return pd.Series(pd.array(pa.repeat(pa.scalar(value, pa.large_string()), size), dtype="str"))


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
    """One failure per element of the array arguments (``None`` leaves the field empty).

    Examples
    --------
    >>> f = failure_frame("adsl", "AGE", ">= 18", usubjid=["001"], row=[4], value=[17.0])
    >>> f.to_dict("records")
    [{'table': 'adsl', 'column': 'AGE', 'usubjid': '001', 'row': 4, 'value': '17', 'rule': '>= 18'}]
    >>> failure_frame("adsl", "TRT01P", "column present", value="missing")["value"].tolist()
    ['missing']
    """
    arrays = [a for a in (usubjid, row, value) if a is not None and not np.isscalar(a)]
    size = n if n is not None else (len(arrays[0]) if arrays else 1)

    def text(values: object) -> pd.Series:
        if values is None:
            return pd.Series([pd.NA] * size, dtype="str")
        if np.isscalar(values):
            return _constant(str(values), size)
        return text_values(values)

    rows = (
        pd.Series([pd.NA] * size, dtype="Int64")
        if row is None
        else pd.Series(np.asarray(row), dtype="Int64")
    )
    return pd.DataFrame(
        {
            "table": _constant(table, size),
            "column": _constant(column, size),
            "usubjid": text(usubjid),
            "row": rows,
            "value": text(value),
            "rule": _constant(rule, size),
        }
    )


def collect(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate failure frames (an empty frame with the failure columns if none).

    Examples
    --------
    >>> list(collect([]).columns)
    ['table', 'column', 'usubjid', 'row', 'value', 'rule']
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return failure_frame("", "", "", n=0)
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"table": "str", "column": "str", "usubjid": "str", "row": "Int64",
                       "value": "str", "rule": "str"})


def format_failures(failures: pd.DataFrame, source: str, cap: int = 10) -> str:
    """List failures one per line, at most ``cap`` lines per table, column and rule.

    Examples
    --------
    >>> f = failure_frame("adsl", "SEX", "one of F, M", usubjid=["1"] * 3, row=[1, 2, 3],
    ...                   value=["x"] * 3)
    >>> print(format_failures(f, "t", cap=2))
    t: 3 failures of the data contract (...):
      adsl, SEX, USUBJID 1, row 1, value 'x': one of F, M
      adsl, SEX, USUBJID 1, row 2, value 'x': one of F, M
      ... and 1 more adsl.SEX failures: one of F, M
    """
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
