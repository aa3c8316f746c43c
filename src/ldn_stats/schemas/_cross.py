"""Rules across rows and tables: subjects, keys, parameter ranges, treatments and periods.

Every rule is vectorized over integer codes (subjects, parameters and
treatments are factorized once), so a million diary records are checked in a
fraction of a second. A rule whose columns are missing or unreadable is
skipped: the missing column is already a failure of its table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.schemas._failures import failure_frame
from ldn_stats.schemas.adeff import PARAMETERS
from ldn_stats.schemas.adsl import DESIGN_COLUMNS, SEQUENCE_SEPARATOR, design_of

__all__ = ["RULES", "cross_table_failures"]

_RULE_SUBJECT = "USUBJID present in adsl"
_RULE_KEY = "one record per USUBJID x PARAMCD x ADY"
_RULE_PARALLEL = "TRTA (when not empty) equals the subject's TRT01P"
_RULE_PERIOD_TRT = "TRTA (when not empty) is the period's treatment in the subject's TRTSEQP"
_RULE_PERIOD_MAX = "APERIOD within the number of periods of the subject's TRTSEQP"
_RULE_OUTSIDE = "TRTA empty outside periods (APERIOD empty) in a crossover"
_RULE_ONE_TRT = "one treatment per subject and period"
_RULE_OVERLAP = "periods do not overlap: period k ends (last ADY) before period k+1 starts"
_RULE_AE_SEQ = "TRTA (when not empty) is one of the treatments of the subject's TRTSEQP"
_RULE_DESIGN = "exactly one of TRT01P (parallel design) or TRTSEQP (crossover design) present"
_RULE_APERIOD = "required column present in a crossover (TRTSEQP in adsl)"

#: Rules across rows and tables, as (tables, rule) in the words failures use.
RULES: tuple[tuple[str, str], ...] = (
    ("adsl", _RULE_DESIGN),
    ("adsl", "TRT01P / TRTSEQP not empty when RANDFL is Y"),
    ("adeff, adae", _RULE_SUBJECT),
    ("adeff", _RULE_KEY),
    ("adeff", "AVAL of PARAMCD within its range: "
     + "; ".join(f"{c} {p.low:g}-{p.high:g}" for c, p in PARAMETERS.items())),
    ("adeff, adae (parallel)", _RULE_PARALLEL),
    ("adeff (crossover)", "APERIOD " + _RULE_APERIOD),
    ("adeff (crossover)", _RULE_PERIOD_MAX),
    ("adeff (crossover)", _RULE_PERIOD_TRT),
    ("adeff (crossover)", _RULE_OUTSIDE),
    ("adeff (crossover)", _RULE_ONE_TRT),
    ("adeff (crossover)", _RULE_OVERLAP),
    ("adae (crossover)", _RULE_AE_SEQ),
)


class _Subjects:
    """Subject-level lookups from adsl: position of each USUBJID and its planned treatments."""

    def __init__(self, adsl: pd.DataFrame, design: str | None) -> None:
        first = adsl.drop_duplicates("USUBJID").dropna(subset=["USUBJID"])
        self.index = pd.Index(first["USUBJID"].astype("str"))
        self.design = design
        self.plan = None if design is None else first[_plan_column(design)].to_numpy(object)
        self.levels: list[str] = []
        if design == "crossover":
            seqs = [
                s.split(SEQUENCE_SEPARATOR) if isinstance(s, str) else [] for s in self.plan
            ]
            self.levels = sorted({t for s in seqs for t in s})
            width = max([len(s) for s in seqs] + [1])
            self.n_periods = np.array([len(s) for s in seqs], dtype=np.int64)
            self.seq_codes = np.full((len(seqs), width), -2, dtype=np.int64)
            code = {level: i for i, level in enumerate(self.levels)}
            for i, s in enumerate(seqs):
                self.seq_codes[i, : len(s)] = [code[t] for t in s]
        elif design == "parallel":
            self.levels = sorted({p for p in self.plan if isinstance(p, str)})
            self.plan_codes = pd.Index(self.levels).get_indexer(self.plan)

    def positions(self, ids: pd.Series) -> np.ndarray:
        """Position in adsl of each USUBJID, -1 when unknown or empty."""
        return _index_in(ids, list(self.index))

    def treatment_codes(self, trta: pd.Series) -> np.ndarray:
        """Code of each TRTA among the planned levels: -1 unknown level, -3 empty."""
        codes = _index_in(trta, self.levels)
        return np.where(trta.isna().to_numpy(), -3, codes)


def _index_in(values: pd.Series, levels: list[str]) -> np.ndarray:
    """Position of each text value in ``levels`` (-1 when absent or empty), computed by Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values.astype("str"), from_pandas=True, type=pa.large_string())
    found = pc.index_in(arr, value_set=pa.array(levels, type=pa.large_string()))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _factorize(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of text values (-1 for empty) and the number of distinct values."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values.astype("str"), from_pandas=True, type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    encoded = pc.dictionary_encode(arr)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, len(encoded.dictionary)


def _plan_column(design: str) -> str:
    return next(c for c, d in DESIGN_COLUMNS.items() if d == design)


def cross_table_failures(
    adsl: pd.DataFrame, adeff: pd.DataFrame, adae: pd.DataFrame | None
) -> list[pd.DataFrame]:
    """Failures of the rules that span rows or tables (typed tables, 0..n-1 index).

    Examples
    --------
    >>> import pandas as pd
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "TRT01P": ["LDN", "PBO"],
    ...                      "RANDFL": ["Y", "Y"]})
    >>> adeff = pd.DataFrame({"USUBJID": ["1", "3"], "PARAMCD": ["PAINNRS"] * 2,
    ...                       "ADY": [1, 1], "AVAL": [4.0, 5.0], "TRTA": ["PBO", None]})
    >>> parts = cross_table_failures(adsl, adeff, None)
    >>> pd.concat(parts)[["column", "usubjid", "row", "value"]].to_dict("records")
    [{'column': 'USUBJID', 'usubjid': '3', 'row': 2, 'value': '3'}, \
{'column': 'TRTA', 'usubjid': '1', 'row': 1, 'value': 'PBO (TRT01P LDN)'}]
    """
    parts: list[pd.DataFrame] = []
    present = [c for c in DESIGN_COLUMNS if c in adsl.columns]
    design = design_of(adsl.columns)
    if design is None:
        parts.append(
            failure_frame(
                "adsl", ", ".join(DESIGN_COLUMNS), _RULE_DESIGN,
                value=("both present" if present else "neither present"),
            )
        )
    if "USUBJID" not in adsl.columns:
        return parts
    if design is not None and "RANDFL" in adsl.columns:
        plan = _plan_column(design)
        bad = (adsl["RANDFL"] == "Y").to_numpy(dtype=bool, na_value=False) & adsl[
            plan
        ].isna().to_numpy()
        parts.append(_rows("adsl", plan, f"{plan} not empty when RANDFL is Y", adsl, bad))
    subjects = _Subjects(adsl, design)
    for name, table in (("adeff", adeff), ("adae", adae)):
        if table is None or "USUBJID" not in table.columns:
            continue
        pos = subjects.positions(table["USUBJID"])
        unknown = (pos < 0) & table["USUBJID"].notna().to_numpy()
        parts.append(_rows(name, "USUBJID", _RULE_SUBJECT, table, unknown, table["USUBJID"]))
        if "TRTA" in table.columns and design == "parallel":
            parts.append(_parallel_treatment(name, table, pos, subjects))
        if "TRTA" in table.columns and design == "crossover" and name == "adae":
            parts.append(_ae_in_sequence(table, pos, subjects))
        if name == "adeff":
            parts.extend(_adeff_rules(table))
            if design == "crossover":
                parts.extend(_periods(table, pos, subjects))
    return parts


def _rows(
    table: str,
    column: str,
    rule: str,
    frame: pd.DataFrame,
    bad: np.ndarray,
    value: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """Failures at the rows where ``bad`` is true."""
    idx = np.flatnonzero(bad)
    if not len(idx):
        return failure_frame(table, column, rule, n=0)
    if value is None:
        value = frame[column] if column in frame.columns else None
    if isinstance(value, pd.Series):
        values = value.iloc[idx]
    else:
        values = None if value is None else np.asarray(value, dtype=object)[idx]
    ids = frame["USUBJID"].iloc[idx] if "USUBJID" in frame.columns else None
    return failure_frame(table, column, rule, usubjid=ids, row=idx + 1, value=values, n=len(idx))


def _adeff_rules(adeff: pd.DataFrame) -> list[pd.DataFrame]:
    parts: list[pd.DataFrame] = []
    cols = {"USUBJID", "PARAMCD", "ADY"}
    if cols <= set(adeff.columns):
        ady = adeff["ADY"].to_numpy(dtype="float64", na_value=np.nan)
        ok = adeff["USUBJID"].notna().to_numpy() & adeff["PARAMCD"].notna().to_numpy()
        ok &= ~np.isnan(ady)
        subj, _ = _factorize(adeff["USUBJID"])
        param, n_params = _factorize(adeff["PARAMCD"])
        day = np.where(ok, ady, 0).astype(np.int64)
        span = int(day.max() - day.min() + 1) if len(day) else 1
        dup = np.zeros(len(adeff), dtype=bool)
        if float(subj.max(initial=0) + 1) * max(n_params, 1) * span < 2.0**62:
            key = (subj * max(n_params, 1) + param) * span + (day - day.min())
            dup[ok] = pd.Series(key[ok]).duplicated(keep=False).to_numpy()
        else:  # study days too far apart for one int64 key
            codes = pd.DataFrame({"s": subj, "p": param, "d": day})[ok]
            dup[ok] = codes.duplicated(keep=False).to_numpy()
        if dup.any():
            where = np.flatnonzero(dup)
            value = np.empty(len(adeff), dtype=object)
            value[where] = [
                f"{p} day {d}"
                for p, d in zip(adeff["PARAMCD"].iloc[where], adeff["ADY"].iloc[where], strict=True)
            ]
            parts.append(_rows("adeff", "ADY", _RULE_KEY, adeff, dup, value))
    if {"PARAMCD", "AVAL"} <= set(adeff.columns):
        aval = adeff["AVAL"].to_numpy(dtype="float64", na_value=np.nan)
        param = _index_in(adeff["PARAMCD"], list(PARAMETERS))
        for code_index, (code, spec) in enumerate(PARAMETERS.items()):
            rows = param == code_index
            bad = rows & ~np.isnan(aval) & ~((aval >= spec.low) & (aval <= spec.high))
            if bad.any():
                rule = f"AVAL of {code} between {spec.low:g} and {spec.high:g}"
                parts.append(_rows("adeff", "AVAL", rule, adeff, bad))
    return parts


def _parallel_treatment(
    name: str, table: pd.DataFrame, pos: np.ndarray, subjects: _Subjects
) -> pd.DataFrame:
    trt = subjects.treatment_codes(table["TRTA"])
    known = pos >= 0
    expected = np.full(len(table), -3, dtype=np.int64)
    expected[known] = subjects.plan_codes[pos[known]]
    bad = known & (trt != -3) & (expected >= 0) & (trt != expected)
    if not bad.any():
        return failure_frame(name, "TRTA", _RULE_PARALLEL, n=0)
    where = np.flatnonzero(bad)
    value = np.empty(len(table), dtype=object)
    value[where] = [
        f"{t} (TRT01P {subjects.plan[p]})"
        for t, p in zip(table["TRTA"].iloc[where], pos[where], strict=True)
    ]
    return _rows(name, "TRTA", _RULE_PARALLEL, table, bad, value)


def _ae_in_sequence(table: pd.DataFrame, pos: np.ndarray, subjects: _Subjects) -> pd.DataFrame:
    trt = subjects.treatment_codes(table["TRTA"])
    known = (pos >= 0) & (trt != -3)
    member = np.zeros(len(table), dtype=bool)
    member[known] = (subjects.seq_codes[pos[known]] == trt[known, None]).any(axis=1)
    bad = known & ~member
    return _rows("adae", "TRTA", _RULE_AE_SEQ, table, bad)


def _periods(adeff: pd.DataFrame, pos: np.ndarray, subjects: _Subjects) -> list[pd.DataFrame]:
    if "APERIOD" not in adeff.columns:
        return [
            failure_frame("adeff", "APERIOD", _RULE_APERIOD)
        ]
    parts: list[pd.DataFrame] = []
    period = adeff["APERIOD"].to_numpy(dtype="float64", na_value=np.nan)
    has_trt = "TRTA" in adeff.columns
    trt = subjects.treatment_codes(adeff["TRTA"]) if has_trt else np.full(len(adeff), -3)
    in_period = ~np.isnan(period) & (pos >= 0) & (period >= 1)
    k = np.where(in_period, period, 1).astype(np.int64)
    n_periods = np.where(pos >= 0, subjects.n_periods[np.where(pos >= 0, pos, 0)], 0)
    beyond = in_period & (k > n_periods) & (n_periods > 0)
    parts.append(_rows("adeff", "APERIOD", _RULE_PERIOD_MAX, adeff, beyond))
    valid = in_period & (k <= n_periods)
    if has_trt:
        expected = np.full(len(adeff), -3, dtype=np.int64)
        expected[valid] = subjects.seq_codes[pos[valid], k[valid] - 1]
        bad = valid & (trt != -3) & (trt != expected)
        if bad.any():
            where = np.flatnonzero(bad)
            value = np.empty(len(adeff), dtype=object)
            value[where] = [
                f"{t} in period {kk} (TRTSEQP {subjects.plan[p]})"
                for t, kk, p in zip(adeff["TRTA"].iloc[where], k[where], pos[where], strict=True)
            ]
            parts.append(_rows("adeff", "TRTA", _RULE_PERIOD_TRT, adeff, bad, value))
        outside = np.isnan(period) & adeff["TRTA"].notna().to_numpy()
        parts.append(_rows("adeff", "TRTA", _RULE_OUTSIDE, adeff, outside))
        parts.append(_one_treatment(adeff, pos, k, trt, valid & (trt != -3)))
    if "ADY" in adeff.columns:
        ady = adeff["ADY"].to_numpy(dtype="float64", na_value=np.nan)
        parts.append(_overlaps(adeff, pos, k, ady, in_period & ~np.isnan(ady)))
    return parts


def _one_treatment(
    adeff: pd.DataFrame, pos: np.ndarray, k: np.ndarray, trt: np.ndarray, use: np.ndarray
) -> pd.DataFrame:
    rows = np.flatnonzero(use)
    frame = pd.DataFrame({"g": pos[rows] * 1000 + k[rows], "t": trt[rows], "row": rows})
    first = frame.groupby("g", sort=False)["t"].transform("first").to_numpy()
    differ = frame["t"].to_numpy() != first
    if not differ.any():
        return failure_frame("adeff", "TRTA", _RULE_ONE_TRT, n=0)
    hits = frame[differ].drop_duplicates("g")["row"].to_numpy()
    bad = np.zeros(len(adeff), dtype=bool)
    bad[hits] = True
    return _rows("adeff", "TRTA", _RULE_ONE_TRT, adeff, bad)


def _overlaps(
    adeff: pd.DataFrame, pos: np.ndarray, k: np.ndarray, ady: np.ndarray, use: np.ndarray
) -> pd.DataFrame:
    rows = np.flatnonzero(use)
    frame = pd.DataFrame({"s": pos[rows], "k": k[rows], "ady": ady[rows]}, index=rows)
    days = frame.groupby(["s", "k"], sort=True)["ady"]
    spans = pd.DataFrame(
        {"start": days.min(), "end": days.max(), "row": days.idxmin()}
    ).reset_index()
    same = spans["s"].to_numpy()[1:] == spans["s"].to_numpy()[:-1]
    clash = same & (spans["start"].to_numpy()[1:] <= spans["end"].to_numpy()[:-1])
    if not clash.any():
        return failure_frame("adeff", "ADY", _RULE_OVERLAP, n=0)
    later = spans.iloc[1:][clash]
    earlier = spans.iloc[:-1][clash]
    bad = np.zeros(len(adeff), dtype=bool)
    bad[later["row"].to_numpy()] = True
    value = np.empty(len(adeff), dtype=object)
    value[later["row"].to_numpy()] = [
        f"period {int(k2)} starts day {int(s2)}, period {int(k1)} ends day {int(e1)}"
        for k2, s2, k1, e1 in zip(
            later["k"], later["start"], earlier["k"], earlier["end"], strict=True
        )
    ]
    return _rows("adeff", "ADY", _RULE_OVERLAP, adeff, bad, value)
