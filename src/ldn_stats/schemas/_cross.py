"""Rules across rows and tables: subjects, keys, parameter ranges, treatments and periods.

Every rule is vectorized over integer codes (subjects, parameters and
treatments are factorized once), so a million diary records are checked in a
fraction of a second. A rule whose columns are missing or unreadable is
skipped: the missing column is already a failure of its table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.parameters import Catalogue, builtin_catalogue
from ldn_stats.schemas._failures import failure_frame
from ldn_stats.schemas.adsl import DESIGN_COLUMNS, SEQUENCE_SEPARATOR, design_of
from ldn_stats.vocabulary import Sequence

__all__ = ["RULES", "cross_table_failures"]

_RULE_SUBJECT = "USUBJID present in adsl"
_RULE_KEY = "one record per USUBJID x PARAMCD x ADY"
_RULE_VISIT_KEY = "one record per USUBJID x PARAMCD x AVISITN"
_RULE_WHEN = "ADY or AVISITN not empty (each record has a study day or an analysis visit)"
_RULE_WHEN_COLUMN = "required column present: ADY (daily records) or AVISITN (visit-level)"
_RULE_VISIT_LABEL = "one AVISIT label per AVISITN"
_RULE_ABLFL = "at most one baseline record (ABLFL = Y) per USUBJID x PARAMCD"
_RULE_BASE = "one BASE per USUBJID x PARAMCD"
_RULE_BASE_ABL = "BASE equals AVAL of the baseline record (ABLFL = Y)"
_RULE_CHG = "CHG equals AVAL - BASE within rounding"
_RULE_PCHG = "PCHG equals 100 * CHG / BASE within rounding"
_RULE_PARALLEL = "TRTA (when not empty) equals the subject's TRT01P"
_RULE_PERIOD_TRT = "TRTA (when not empty) is the period's treatment in the subject's TRTSEQP"
_RULE_PERIOD_MAX = "APERIOD within the number of periods of the subject's TRTSEQP"
_RULE_OUTSIDE = "TRTA empty outside periods (APERIOD empty) in a crossover"
_RULE_ONE_TRT = "one treatment per subject and period"
_RULE_OVERLAP = "periods do not overlap: period k ends (last ADY) before period k+1 starts"
_RULE_AE_SEQ = "TRTA (when not empty) is one of the treatments of the subject's TRTSEQP"
_RULE_DESIGN = ("exactly one of TRT01P (parallel design) or TRTSEQP (crossover design) present, "
                "or neither with APERIOD and TRTA in adeff (a crossover read from the data)")
_RULE_APERIOD = "required column present in a crossover (TRTSEQP in adsl)"

#: Rules across rows and tables, as (tables, rule) in the words failures use.
RULES: tuple[tuple[str, str], ...] = (
    ("adsl", _RULE_DESIGN),
    ("adsl", "TRT01P / TRTSEQP not empty when RANDFL is Y"),
    ("adsl (crossover)", "TRTSEQP names the treatments of the periods (LDN-PBO, A/B, or the "
     "first letters AB); otherwise the order is read from TRTA by APERIOD and noted"),
    ("adeff, adae", _RULE_SUBJECT),
    ("adeff", _RULE_KEY + " (daily records; without AVISITN)"),
    ("adeff", _RULE_VISIT_KEY + " (visit-level records)"),
    ("adeff", _RULE_WHEN_COLUMN),
    ("adeff", _RULE_WHEN),
    ("adeff", _RULE_VISIT_LABEL),
    ("adeff", "AVAL of PARAMCD within its catalogue range: "
     + "; ".join(f"{c} {p.range_text()}" for c, p in builtin_catalogue().items())
     + "; an undeclared PARAMCD has no range (noted, never a failure)"),
    ("adeff", _RULE_ABLFL),
    ("adeff", _RULE_BASE),
    ("adeff", _RULE_BASE_ABL),
    ("adeff", _RULE_CHG + " (half a unit in the parameter's last decimal)"),
    ("adeff", _RULE_PCHG),
    ("adeff, adae (parallel)", _RULE_PARALLEL),
    ("adeff (crossover)", "APERIOD " + _RULE_APERIOD),
    ("adeff (crossover)", _RULE_PERIOD_MAX),
    ("adeff (crossover)", _RULE_PERIOD_TRT + " (when TRTSEQP names them)"),
    ("adeff (crossover)", _RULE_OUTSIDE),
    ("adeff (crossover)", _RULE_ONE_TRT),
    ("adeff (crossover)", _RULE_OVERLAP),
    ("adae (crossover)", _RULE_AE_SEQ),
)


class _Subjects:
    """Subject-level lookups from adsl: position of each USUBJID and its planned treatments.

    In a crossover, each subject's per-period treatments come from its TRTSEQP
    label when the label names them (:meth:`ldn_stats.vocabulary.Sequence.resolve`), otherwise from
    the data (TRTA by APERIOD); ``notes`` says where the order was read.
    """

    def __init__(
        self,
        adsl: pd.DataFrame,
        design: str | None,
        adeff: pd.DataFrame | None = None,
        adae: pd.DataFrame | None = None,
        separator: str = SEQUENCE_SEPARATOR,
    ) -> None:
        first = adsl.drop_duplicates("USUBJID").dropna(subset=["USUBJID"])
        self.index = pd.Index(first["USUBJID"].astype("str"))
        self.design = design
        self.notes: list[str] = []
        plan_column = None if design is None else _plan_column(design)
        self.has_plan = plan_column is not None and plan_column in first.columns
        self.plan = (
            first[plan_column].to_numpy(object) if self.has_plan
            else np.full(len(first), None, dtype=object)
        )
        self.levels: list[str] = []
        if design == "crossover":
            seqs = self._crossover_sequences(adeff, adae, separator)
            self.levels = sorted({t for s in seqs for t in s} | set(self._treatments))
            width = max([len(s) for s in seqs] + [1])
            self.n_periods = np.array([len(s) for s in seqs], dtype=np.int64)
            self.seq_codes = np.full((len(seqs), width), -2, dtype=np.int64)
            code = {level: i for i, level in enumerate(self.levels)}
            for i, s in enumerate(seqs):
                self.seq_codes[i, : len(s)] = [code[t] for t in s]
            self.shown = np.array(
                [p if isinstance(p, str) else _label(s) for p, s in
                 zip(self.plan, seqs, strict=True)], dtype=object)
        elif design == "parallel":
            self.levels = sorted({p for p in self.plan if isinstance(p, str)})
            self.plan_codes = pd.Index(self.levels).get_indexer(self.plan)

    def _crossover_sequences(
        self, adeff: pd.DataFrame | None, adae: pd.DataFrame | None, separator: str
    ) -> list[tuple[str, ...]]:
        names: set[str] = set()
        for table in (adeff, adae):
            if table is not None and "TRTA" in table.columns:
                names |= {t for t in table["TRTA"].dropna().astype("str").unique()}
        self._treatments = sorted(names)
        cache: list[list[tuple[str, ...]]] = []

        def observed() -> list[tuple[str, ...]]:
            # read from adeff only when a label does not resolve (a groupby over every
            # diary row: 0.7 s on a million rows)
            if not cache:
                cache.append(_observed_sequences(adeff, self.index))
            return cache[0]

        seqs: list[tuple[str, ...]] = []
        unresolved: dict[str, list[str]] = {}
        for i, label in enumerate(self.plan):
            if isinstance(label, str):
                found = Sequence.resolve(label, self._treatments, separator)
                if found is not None:
                    seqs.append(found.treatments)
                    continue
                unresolved.setdefault(label, []).append(_label(observed()[i]))
            seqs.append(observed()[i])
        for label, orders in unresolved.items():
            counts = pd.Series(orders).value_counts().sort_index()
            shown = ", ".join(f"{o or '(no treated period)'} ({n})" for o, n in counts.items())
            self.notes.append(
                f"adsl.TRTSEQP {label!r}: not the treatments' names or first letters, so "
                f"each subject's order was read from adeff TRTA by APERIOD: {shown}"
            )
        if not self.has_plan:
            counts = pd.Series([_label(s) for s in seqs]).value_counts().sort_index()
            shown = ", ".join(f"{o or '(no treated period)'} ({n})" for o, n in counts.items())
            self.notes.append(
                "adsl has no TRTSEQP: each subject's sequence was read from adeff TRTA by "
                f"APERIOD: {shown}"
            )
        return seqs

    def positions(self, ids: pd.Series) -> np.ndarray:
        """Position in adsl of each USUBJID, -1 when unknown or empty."""
        return _index_in(ids, list(self.index))

    def treatment_codes(self, trta: pd.Series) -> np.ndarray:
        """Code of each TRTA among the planned levels: -1 unknown level, -3 empty."""
        codes = _index_in(trta, self.levels)
        return np.where(trta.isna().to_numpy(), -3, codes)


def _label(treatments: tuple[str, ...]) -> str:
    return Sequence(tuple(treatments)).label if treatments else ""


def _observed_sequences(adeff: pd.DataFrame | None, subjects: pd.Index) -> list[tuple[str, ...]]:
    """Each subject's treatments by period as the data have them (first TRTA of each APERIOD)."""
    empty: list[tuple[str, ...]] = [() for _ in range(len(subjects))]
    if adeff is None or not {"USUBJID", "APERIOD", "TRTA"} <= set(adeff.columns):
        return empty
    period = pd.to_numeric(adeff["APERIOD"], errors="coerce")
    use = period.notna() & adeff["TRTA"].notna() & adeff["USUBJID"].notna()
    if not use.any():
        return empty
    frame = pd.DataFrame({"s": adeff["USUBJID"][use].astype("str").to_numpy(),
                          "k": period[use].to_numpy(), "t": adeff["TRTA"][use].astype("str")
                          .to_numpy()})
    first = frame.groupby(["s", "k"], sort=True)["t"].first()
    by_subject = first.groupby(level=0, sort=False).agg(tuple)
    found = by_subject.reindex(subjects)
    return [tuple(v) if isinstance(v, tuple) else () for v in found.to_numpy(object)]


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
    adsl: pd.DataFrame,
    adeff: pd.DataFrame,
    adae: pd.DataFrame | None,
    catalogue: Catalogue | None = None,
    notes: list[str] | None = None,
    separator: str = SEQUENCE_SEPARATOR,
) -> list[pd.DataFrame]:
    """Failures of the rules that span rows or tables (typed tables, 0..n-1 index).

    ``catalogue`` gives each PARAMCD's range (default: the built-in one);
    ``notes``, when given, receives what validation noticed without failing
    (undeclared parameters, sequences read from the data).

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
    design = design_of(adsl.columns, [c for c in adeff.columns if c != "APERIOD"
                                      or adeff["APERIOD"].notna().any()])
    catalogue = builtin_catalogue() if catalogue is None else catalogue
    notes = [] if notes is None else notes
    if design is None:
        parts.append(
            failure_frame(
                "adsl", ", ".join(DESIGN_COLUMNS), _RULE_DESIGN,
                value=("both present" if present else "neither present"),
            )
        )
    if "USUBJID" not in adsl.columns:
        return parts
    if design is not None and "RANDFL" in adsl.columns and _plan_column(design) in adsl.columns:
        plan = _plan_column(design)
        bad = (adsl["RANDFL"] == "Y").to_numpy(dtype=bool, na_value=False) & adsl[
            plan
        ].isna().to_numpy()
        parts.append(_rows("adsl", plan, f"{plan} not empty when RANDFL is Y", adsl, bad))
    subjects = _Subjects(adsl, design, adeff, adae, separator)
    notes.extend(subjects.notes)
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
            parts.extend(_adeff_rules(table, catalogue, notes))
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


def _key_failures(
    adeff: pd.DataFrame, column: str, use: np.ndarray, rule: str, what: str
) -> pd.DataFrame | None:
    """Records sharing USUBJID x PARAMCD x ``column`` among the rows ``use``."""
    if not use.any():
        return None
    values = adeff[column].to_numpy(dtype="float64", na_value=np.nan)
    subj, _ = _factorize(adeff["USUBJID"])
    param, _ = _factorize(adeff["PARAMCD"])
    codes = pd.DataFrame({"s": subj, "p": param, "d": values})[use]
    dup = np.zeros(len(adeff), dtype=bool)
    dup[use] = codes.duplicated(keep=False).to_numpy()
    if not dup.any():
        return None
    where = np.flatnonzero(dup)
    value = np.empty(len(adeff), dtype=object)
    value[where] = [
        f"{p} {what} {_number_text(d)}"
        for p, d in zip(adeff["PARAMCD"].iloc[where], values[where], strict=True)
    ]
    return _rows("adeff", column, rule, adeff, dup, value)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _adeff_rules(
    adeff: pd.DataFrame, catalogue: Catalogue | None = None, notes: list[str] | None = None
) -> list[pd.DataFrame]:
    catalogue = builtin_catalogue() if catalogue is None else catalogue
    parts: list[pd.DataFrame] = []
    columns = set(adeff.columns)
    visit_level = "AVISITN" in columns
    if "ADY" not in columns and not visit_level:
        parts.append(failure_frame("adeff", "ADY", _RULE_WHEN_COLUMN))
    if {"USUBJID", "PARAMCD"} <= columns:
        ok = adeff["USUBJID"].notna().to_numpy() & adeff["PARAMCD"].notna().to_numpy()
        visit = (
            adeff["AVISITN"].notna().to_numpy() if visit_level else np.zeros(len(adeff), bool)
        )
        if "ADY" in columns:
            day = adeff["ADY"].notna().to_numpy()
            if visit_level:
                parts.append(_rows("adeff", "ADY", _RULE_WHEN, adeff, ok & ~day & ~visit))
            found = _key_failures(adeff, "ADY", ok & day & ~visit, _RULE_KEY, "day")
            if found is not None:
                parts.append(found)
        elif visit_level:
            parts.append(_rows("adeff", "AVISITN", _RULE_WHEN, adeff, ok & ~visit))
        if visit_level:
            found = _key_failures(adeff, "AVISITN", ok & visit, _RULE_VISIT_KEY, "visit")
            if found is not None:
                parts.append(found)
    if visit_level and "AVISIT" in columns:
        pairs = adeff.loc[adeff["AVISITN"].notna() & adeff["AVISIT"].notna(),
                          ["AVISITN", "AVISIT"]]
        labels = pairs.groupby("AVISITN")["AVISIT"].nunique()
        for number in labels.index[labels > 1]:
            bad = (adeff["AVISITN"] == number).to_numpy(dtype=bool, na_value=False)
            shown = ", ".join(sorted(pairs.loc[pairs["AVISITN"] == number, "AVISIT"].unique()))
            value = np.full(len(adeff), f"AVISITN {_number_text(number)}: {shown}", dtype=object)
            parts.append(_rows("adeff", "AVISIT", _RULE_VISIT_LABEL, adeff, bad, value))
    if {"PARAMCD", "AVAL"} <= columns:
        aval = adeff["AVAL"].to_numpy(dtype="float64", na_value=np.nan)
        present = sorted(adeff["PARAMCD"].dropna().astype("str").unique())
        param = _index_in(adeff["PARAMCD"], present)
        undeclared = [code for code in present if code not in catalogue]
        if undeclared and notes is not None:
            notes.append(
                "adeff.PARAMCD " + ", ".join(undeclared) + ": not in the parameter catalogue, "
                "so AVAL is checked as a number only (no range, no responder definition); "
                "declare it in parameters.toml beside the tables to give it a label, range "
                "and direction"
            )
        for code_index, code in enumerate(present):
            spec = catalogue.get(code)
            if spec.low is None and spec.high is None:
                continue
            rows = param == code_index
            with np.errstate(invalid="ignore"):
                inside = np.ones(len(aval), dtype=bool)
                if spec.low is not None:
                    inside &= aval >= spec.low
                if spec.high is not None:
                    inside &= aval <= spec.high
            bad = rows & ~np.isnan(aval) & ~inside
            if bad.any():
                rule = f"AVAL of {code} within {spec.range_text()}"
                if spec.low is not None and spec.high is not None:
                    rule = f"AVAL of {code} between {spec.low:g} and {spec.high:g}"
                parts.append(_rows("adeff", "AVAL", rule, adeff, bad))
    parts.extend(_baseline_rules(adeff, catalogue))
    return parts


def _baseline_rules(adeff: pd.DataFrame, catalogue: Catalogue) -> list[pd.DataFrame]:
    """ABLFL, BASE, CHG and PCHG as given: one baseline, one BASE, consistent changes."""
    parts: list[pd.DataFrame] = []
    columns = set(adeff.columns)
    if not {"USUBJID", "PARAMCD"} <= columns or not columns & {"ABLFL", "BASE"}:
        return parts
    subj, _ = _factorize(adeff["USUBJID"])
    param, _ = _factorize(adeff["PARAMCD"])
    group = pd.Series(subj * 100_003 + param)
    tol = _tolerance(adeff, catalogue)
    if "ABLFL" in columns:
        flagged = (adeff["ABLFL"] == "Y").to_numpy(dtype=bool, na_value=False)
        many = flagged & group.where(flagged).duplicated(keep=False).to_numpy()
        parts.append(_rows("adeff", "ABLFL", _RULE_ABLFL, adeff, many))
        if {"BASE", "AVAL"} <= columns and flagged.any():
            base = adeff["BASE"].to_numpy(dtype="float64", na_value=np.nan)
            aval = adeff["AVAL"].to_numpy(dtype="float64", na_value=np.nan)
            bad = flagged & ~np.isnan(base) & ~np.isnan(aval) & ~_close(aval, base, tol)
            value = _failing_text(bad, lambda i: f"BASE {base[i]:g}, AVAL {aval[i]:g}")
            parts.append(_rows("adeff", "BASE", _RULE_BASE_ABL, adeff, bad, value))
    if "BASE" in columns:
        base = adeff["BASE"].to_numpy(dtype="float64", na_value=np.nan)
        known = ~np.isnan(base)
        distinct = pd.DataFrame({"g": group, "b": base})[known].groupby("g")["b"].nunique()
        several = distinct.index[distinct > 1]
        bad = known & group.isin(several).to_numpy()
        parts.append(_rows("adeff", "BASE", _RULE_BASE, adeff, bad))
    if {"AVAL", "BASE", "CHG"} <= columns:
        aval = adeff["AVAL"].to_numpy(dtype="float64", na_value=np.nan)
        base = adeff["BASE"].to_numpy(dtype="float64", na_value=np.nan)
        chg = adeff["CHG"].to_numpy(dtype="float64", na_value=np.nan)
        known = ~np.isnan(aval) & ~np.isnan(base) & ~np.isnan(chg)
        bad = known & ~_close(chg, aval - base, tol)
        value = _failing_text(bad, lambda i: f"CHG {chg[i]:g}, AVAL - BASE {aval[i] - base[i]:g}")
        parts.append(_rows("adeff", "CHG", _RULE_CHG, adeff, bad, value))
    if {"BASE", "CHG", "PCHG"} <= columns:
        base = adeff["BASE"].to_numpy(dtype="float64", na_value=np.nan)
        chg = adeff["CHG"].to_numpy(dtype="float64", na_value=np.nan)
        pchg = adeff["PCHG"].to_numpy(dtype="float64", na_value=np.nan)
        known = ~np.isnan(base) & ~np.isnan(chg) & ~np.isnan(pchg) & (base != 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = 100.0 * chg / np.where(base != 0, base, 1.0)
            slack = 100.0 * tol / np.abs(np.where(base != 0, base, 1))
        bad = known & ~(np.abs(pchg - expected) <= slack + tol)
        value = _failing_text(bad, lambda i: f"PCHG {pchg[i]:g}, 100 * CHG / BASE "
                                             f"{expected[i]:g}")
        parts.append(_rows("adeff", "PCHG", _RULE_PCHG, adeff, bad, value))
    return parts


def _tolerance(adeff: pd.DataFrame, catalogue: Catalogue) -> np.ndarray:
    """Per record: half a unit in the last decimal of its parameter (rounding slack)."""
    codes, present = pd.factorize(adeff["PARAMCD"].astype("str"))
    half = np.array([0.5 * 10.0 ** -catalogue.get(c).decimals for c in present] + [0.005])
    return half[codes] + 1e-9


def _close(a: np.ndarray, b: np.ndarray, tol: np.ndarray) -> np.ndarray:
    scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= tol + 1e-9 * scale


def _failing_text(bad: np.ndarray, text) -> np.ndarray | None:
    """The failure value of the failing rows only (``None`` when none fails)."""
    where = np.flatnonzero(bad)
    if where.size == 0:
        return None
    value = np.empty(bad.size, dtype=object)
    value[where] = [text(i) for i in where]
    return value


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
                f"{t} in period {kk} (TRTSEQP {subjects.shown[p]})"
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
