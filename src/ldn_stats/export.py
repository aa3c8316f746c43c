"""Analysis datasets out: the derived ADaM-style tables as SAS transport, Parquet or CSV.

``ldn-stats derive TRIAL --out DIR --format xpt`` calls :func:`analysis_datasets`
and :func:`write_datasets`. The datasets:

- ``ADEFFANL``: the analysis records of :func:`ldn_stats.derive.derive_parallel`
  (subject x week) or :func:`ldn_stats.derive.derive_crossover` (subject x
  period), one block per parameter: AVISIT, AVISITN, AVAL, BASE, CHG, PCHG,
  the responder criteria ``CRIT1``/``CRIT2`` (text) with their flags
  ``CRIT1FL``/``CRIT2FL``, and ``ANL01FL``;
- ``ADEFFDIA``: crossover trials only, the daily-diary records of
  :func:`ldn_stats.derive.crossover_diary`.

Every variable has a label of at most 40 characters (:data:`LABELS`, ADaM wording)
and the description of its pandera schema field
(:class:`~ldn_stats.schemas.analysis.AnalysisModel`,
:class:`~ldn_stats.schemas.analysis.DiaryModel`); both are published beside the
datasets as ``dictionary.md`` and ``dictionary.json``. SAS transport version 5
allows names of at most 8 characters (letters, digits, underscores, not
starting with a digit), labels of at most 40 and character values of at most
200 bytes of ASCII: :func:`check_xpt` enforces them with an error naming the
dataset, variable, row and value. The folder is written atomically, and the
same inputs give the same bytes (the transport headers' creation and
modification times are set to ``SOURCE_DATE_EPOCH``, else 2000-01-01).

Examples
--------
>>> import pandas as pd
>>> check_xpt("ADEFFANL", pd.DataFrame({"CHANGE_FROM_BASE": [1.0]}), {})
Traceback (most recent call last):
...
ldn_stats.errors.DataError: ADEFFANL.CHANGE_FROM_BASE: SAS transport v5 variable names ...
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from ldn_stats.errors import DataError

__all__ = [
    "FORMATS",
    "LABELS",
    "Dataset",
    "analysis_datasets",
    "check_xpt",
    "dictionary",
    "rules_provenance",
    "write_datasets",
]

FORMATS = ("xpt", "parquet", "csv")
XPT_NAME_MAX, XPT_LABEL_MAX, XPT_CHAR_MAX = 8, 40, 200

#: variable -> label (ADaM wording, at most 40 characters)
LABELS: dict[str, str] = {
    "USUBJID": "Unique Subject Identifier",
    "SITEID": "Study Site Identifier",
    "AGE": "Age (years)",
    "SEX": "Sex",
    "ITTFL": "Intent-To-Treat Population Flag",
    "TRT01P": "Planned Treatment for Period 01",
    "TRTSEQP": "Planned Sequence of Treatments",
    "APERIOD": "Period",
    "TRTA": "Treatment of the Period",
    "PARAMCD": "Parameter Code",
    "AVISIT": "Analysis Visit",
    "AVISITN": "Analysis Visit (N)",
    "NDAYS": "Number of Rated Days Used for AVAL",
    "APERDY": "Day within Period",
    "AVAL": "Analysis Value",
    "BASE": "Baseline Value",
    "CHG": "Change from Baseline",
    "PCHG": "Percent Change from Baseline",
    "CRIT1": "Analysis Criterion 1",
    "CRIT1FL": "Criterion 1 Evaluation Result Flag",
    "CRIT2": "Analysis Criterion 2",
    "CRIT2FL": "Criterion 2 Evaluation Result Flag",
    "ANL01FL": "Analysis Flag 01",
}

_CRIT_DESCRIPTION = ("Text of the responder criterion whose result CRIT{n}FL holds, "
                     "e.g. 'PCHG <= -30', from the parameter catalogue's responder "
                     "definition and the derivation rules.")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Dataset:
    """One analysis dataset: name, title, records and per-variable metadata.

    Attributes
    ----------
    name : str
        Dataset name (upper case, at most 8 characters), also the file stem in lower case.
    title : str
        Dataset label (at most 40 characters).
    frame : pandas.DataFrame
        The records; text columns are ``object`` with missing values as ``""``.
    labels : dict of str to str
    descriptions : dict of str to str
    """

    name: str
    title: str
    frame: pd.DataFrame
    labels: dict[str, str]
    descriptions: dict[str, str]


def _schema_descriptions(model: type) -> dict[str, str]:
    cols = model.to_schema().columns  # type: ignore[attr-defined]
    return {name: " ".join((col.description or "").split()) for name, col in cols.items()}


def _to_records(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals and text as plain strings ("" when missing); numbers as float64/int64."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s):
            out[col] = s.astype(object).where(s.notna(), "").map(str).astype(object)
        elif pd.api.types.is_bool_dtype(s):
            out[col] = s.astype("int64")
        else:
            out[col] = s
    return pd.DataFrame(out, index=range(len(frame)))


def _with_criteria(frame: pd.DataFrame, rules: object, parameter: object) -> pd.DataFrame:
    """Insert the ADaM criterion text CRITy before each flag CRITyFL of the parameter."""
    from ldn_stats.derive.responders import responder_threshold

    out = frame.copy()
    for responder in parameter.responders:  # type: ignore[attr-defined]
        flag = responder.flag
        if flag not in out.columns or not flag.endswith("FL"):
            continue
        threshold = responder_threshold(responder, parameter, rules)  # type: ignore[arg-type]
        decrease = parameter.direction == "decrease"  # type: ignore[attr-defined]
        text = f"{responder.needs} {'<=' if decrease else '>='} {threshold:g}"
        out.insert(out.columns.get_loc(flag), flag[:-2], text)
    return out


def analysis_datasets(trial: object, params: Sequence[str] | None = None,
                      rules: object | None = None) -> list[Dataset]:
    """Derive the analysis datasets of a validated trial.

    Parameters
    ----------
    trial : ldn_stats.trial.Trial
        From :func:`ldn_stats.read_trial`.
    params : sequence of str, optional
        PARAMCDs to derive; every PARAMCD of ``trial.adeff`` by default.
    rules : DeriveRules, optional
        The derivation rules (defaults of :class:`~ldn_stats.derive.DeriveRules`).

    Returns
    -------
    list of Dataset
        ``ADEFFANL`` (both designs) and ``ADEFFDIA`` (crossover); parameters
        stacked in the order given, each validated by its schema on the way.

    Raises
    ------
    DataError
        If a requested PARAMCD is not in the trial.

    Examples
    --------
    >>> import ldn_stats
    >>> trial = ldn_stats.read_trial("data/demo/final")
    >>> [d.name for d in analysis_datasets(trial)]
    ['ADEFFANL']
    >>> analysis_datasets(trial)[0].frame.loc[0, ["AVISIT", "CRIT1", "CRIT1FL"]].tolist()
    ['Week 1', 'PCHG <= -30', 'N']
    """
    from ldn_stats.derive import DeriveRules, crossover_diary, derive_crossover, derive_parallel
    from ldn_stats.derive.parallel import parameter_of
    from ldn_stats.schemas.analysis import AnalysisModel, DiaryModel

    rules = DeriveRules() if rules is None else rules
    adeff = trial.adeff  # type: ignore[attr-defined]
    present = list(dict.fromkeys(adeff["PARAMCD"].astype(str)))
    params = present if params is None else list(params)
    for p in params:
        if p not in present:
            raise DataError(f"adeff.PARAMCD: parameter {p!r} not in the trial "
                            f"(present: {', '.join(present)})")
    crossover = trial.design == "crossover"  # type: ignore[attr-defined]
    derive = derive_crossover if crossover else derive_parallel
    anl = pd.concat([_with_criteria(derive(trial, param=p, rules=rules), rules,
                                    parameter_of(trial, p, None))
                     for p in params], ignore_index=True)
    desc = _schema_descriptions(AnalysisModel)
    for col in anl.columns:
        if re.fullmatch(r"CRIT\d+", col):
            desc[col] = _CRIT_DESCRIPTION.format(n=col[4:])
    out = [Dataset("ADEFFANL", "Efficacy Analysis Records",
                   _to_records(anl), {c: LABELS.get(c, "") for c in anl.columns},
                   {c: desc.get(c, "") for c in anl.columns})]
    if crossover:
        dia = pd.concat([crossover_diary(trial, param=p, rules=rules).assign(PARAMCD=p)
                         for p in params], ignore_index=True)
        ddesc = _schema_descriptions(DiaryModel)
        ddesc["PARAMCD"] = desc["PARAMCD"]
        out.append(Dataset("ADEFFDIA", "Efficacy Daily Diary Records (Crossover)",
                           _to_records(dia), {c: LABELS.get(c, "") for c in dia.columns},
                           {c: ddesc.get(c, "") for c in dia.columns}))
    return out


def check_xpt(name: str, frame: pd.DataFrame, labels: Mapping[str, str],
              title: str = "") -> None:
    """Enforce the SAS transport v5 limits; raise naming dataset, variable, row and value.

    Parameters
    ----------
    name : str
        Dataset (member) name: at most 8 characters.
    frame : pandas.DataFrame
    labels : mapping of str to str
        Variable labels: at most 40 characters, ASCII.
    title : str, optional
        Dataset label: at most 40 characters.

    Raises
    ------
    DataError
        At the first breach: a name too long or not a SAS name, a label too long
        or not ASCII, a text value over 200 bytes or not ASCII, a column neither
        numeric nor text.

    Examples
    --------
    >>> import pandas as pd
    >>> check_xpt("ADEFFANL", pd.DataFrame({"AVAL": [1.0]}), {"AVAL": "x" * 41})
    Traceback (most recent call last):
    ...
    ldn_stats.errors.DataError: ADEFFANL.AVAL: SAS transport v5 labels ... has 41
    """
    def fail(where: str, what: str) -> None:
        raise DataError(f"{where}: SAS transport v5 {what}")

    if len(name) > XPT_NAME_MAX or not _NAME.match(name):
        fail(name, f"dataset names have at most {XPT_NAME_MAX} characters (letters, digits, "
             f"_; not starting with a digit); got {name!r} ({len(name)})")
    if len(title) > XPT_LABEL_MAX or not title.isascii():
        fail(name, f"dataset labels have at most {XPT_LABEL_MAX} ASCII characters; "
             f"got {title!r} ({len(title)})")
    for col in frame.columns:
        where = f"{name}.{col}"
        if len(str(col)) > XPT_NAME_MAX or not _NAME.match(str(col)):
            fail(where, f"variable names have at most {XPT_NAME_MAX} characters (letters, "
                 f"digits, _; not starting with a digit); got {col!r} ({len(str(col))})")
        label = labels.get(col, "")
        if len(label) > XPT_LABEL_MAX:
            fail(where, f"labels have at most {XPT_LABEL_MAX} characters; label "
                 f"{label[:4] + '...' if len(label) > 8 else label!r} has {len(label)}")
        if not label.isascii():
            fail(where, f"labels are ASCII; got {label!r}")
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            continue
        if s.dtype != object and not pd.api.types.is_string_dtype(s):
            fail(where, f"variables are numbers or text; got dtype {s.dtype}")
        for row, value in enumerate(s):
            if not isinstance(value, str):
                fail(f"{where}, row {row + 1}", f"text variables hold text; got {value!r}")
            if not value.isascii():
                fail(f"{where}, row {row + 1}", f"text values are ASCII; got {value!r}")
            if len(value) > XPT_CHAR_MAX:
                fail(f"{where}, row {row + 1}", f"text values have at most {XPT_CHAR_MAX} "
                     f"bytes; got {len(value)}: {value[:30]!r}...")


def _fixed_instant() -> _dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
    return _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)


_XPT_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
_XPT_OBS = b"HEADER RECORD*******OBS     HEADER RECORD"


def _xpt_bytes(ds: Dataset) -> bytes:
    import pyreadstat

    check_xpt(ds.name, ds.frame, ds.labels, ds.title)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.xpt"
        pyreadstat.write_xport(ds.frame, str(path), file_label=ds.title,
                               column_labels=[ds.labels.get(c, "") for c in ds.frame.columns],
                               table_name=ds.name, file_format_version=5)
        data = path.read_bytes()
    # the library and member headers carry the write time: fix it (same inputs, same bytes)
    head_end = data.index(_XPT_OBS)
    stamp = _fixed_instant().strftime("%d%b%y:%H:%M:%S").upper().encode("ascii")
    return _XPT_STAMP.sub(stamp, data[:head_end]) + data[head_end:]


def _parquet_bytes(ds: Dataset) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(ds.frame, preserve_index=False)
    fields = [f.with_metadata({"label": ds.labels.get(f.name, ""),
                               "description": ds.descriptions.get(f.name, "")})
              for f in table.schema]
    meta = {b"dataset": ds.name.encode(), b"title": ds.title.encode()}
    table = table.cast(pa.schema(fields, metadata=meta))
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="snappy")
    return buf.getvalue()


def _csv_bytes(ds: Dataset) -> bytes:
    from ldn_stats.io import CSV_FLOAT_FORMAT

    return ds.frame.to_csv(index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT,
                           na_rep="").encode("utf-8")


def _type_of(s: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(s):
        return "integer"
    if pd.api.types.is_numeric_dtype(s):
        return "number"
    return "text"


def dictionary(datasets: Sequence[Dataset], fmt: str,
               provenance: Mapping[str, object] | None = None) -> dict[str, object]:
    """The data dictionary of ``datasets`` as plain data (``dictionary.json``).

    Parameters
    ----------
    datasets : sequence of Dataset
    fmt : {"xpt", "parquet", "csv"}
    provenance : mapping, optional
        Recorded as is (trial, parameters, derivation rules).

    Returns
    -------
    dict
        ``format``, ``provenance`` and ``datasets`` (name, file, title, records,
        variables with name, label, type, length of text, description).

    Examples
    --------
    >>> import pandas as pd
    >>> ds = Dataset("X", "T", pd.DataFrame({"A": ["ab"]}), {"A": "Lab"}, {"A": "Desc."})
    >>> dictionary([ds], "csv")["datasets"][0]["variables"]
    [{'name': 'A', 'label': 'Lab', 'type': 'text', 'length': 2, 'description': 'Desc.'}]
    """
    out = []
    for ds in datasets:
        variables = []
        for col in ds.frame.columns:
            s = ds.frame[col]
            kind = _type_of(s)
            length = int(s.map(len).max()) if kind == "text" and len(s) else None
            variables.append({"name": col, "label": ds.labels.get(col, ""), "type": kind,
                              "length": length if kind == "text" else 8 if fmt == "xpt"
                              else None, "description": ds.descriptions.get(col, "")})
        out.append({"name": ds.name, "file": f"{ds.name.lower()}.{fmt}", "title": ds.title,
                    "records": len(ds.frame), "variables": variables})
    return {"format": fmt, "provenance": dict(provenance or {}), "datasets": out}


def _cell(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|")


def _dictionary_markdown(entry: Mapping[str, object]) -> str:
    lines = ["# Analysis datasets", "",
             "_Written by `ldn-stats derive`; labels are ADaM wording, descriptions come from "
             "the pandera schemas in `ldn_stats.schemas.analysis`._", ""]
    prov = entry["provenance"]
    if prov:
        lines += ["| Provenance | |", "|---|---|"]
        lines += [f"| {k} | {_cell(json.dumps(v) if not isinstance(v, str) else v)} |"
                  for k, v in prov.items()]  # type: ignore[union-attr]
        lines.append("")
    for ds in entry["datasets"]:  # type: ignore[union-attr]
        lines += [f"## {ds['name']}: {ds['title']}", "",
                  f"File `{ds['file']}`, {ds['records']} records.", "",
                  "| Variable | Label | Type | Length | Description |", "|---|---|---|---|---|"]
        lines += [f"| `{v['name']}` | {_cell(v['label'])} | {v['type']} | {_cell(v['length'])} "
                  f"| {_cell(v['description'])} |" for v in ds["variables"]]
        lines.append("")
    return "\n".join(lines)


def write_datasets(datasets: Sequence[Dataset], out_dir: str | os.PathLike[str],
                   fmt: Literal["xpt", "parquet", "csv"] = "xpt",
                   provenance: Mapping[str, object] | None = None) -> list[Path]:
    """Write each dataset as ``<name>.<fmt>`` plus ``dictionary.{md,json}``, atomically.

    Parameters
    ----------
    datasets : sequence of Dataset
    out_dir : str or path-like
        Created, or replaced as a whole when it is empty or holds only a previous
        output of this writer (:func:`ldn_stats.io.atomic_output_dir`); a folder
        holding anything else is refused, never emptied.
    fmt : {"xpt", "parquet", "csv"}, default "xpt"
    provenance : mapping, optional
        Written into the dictionary.

    Returns
    -------
    list of pathlib.Path
        The files written, in order.

    Raises
    ------
    DataError
        An unknown format, a folder holding other files, or (for ``xpt``) a breach
        of the transport limits; nothing is written then.

    Examples
    --------
    >>> import tempfile, pandas as pd, pyreadstat
    >>> ds = Dataset("X", "T", pd.DataFrame({"A": [1.5]}), {"A": "Label A"}, {"A": ""})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_datasets([ds], Path(tmp) / "out", "xpt")
    ...     df, meta = pyreadstat.read_xport(str(paths[0]))
    >>> [p.name for p in paths], meta.column_labels, df["A"].tolist()
    (['x.xpt', 'dictionary.json', 'dictionary.md'], ['Label A'], [1.5])
    """
    from ldn_stats.io import atomic_output_dir

    writers = {"xpt": _xpt_bytes, "parquet": _parquet_bytes, "csv": _csv_bytes}
    if fmt not in writers:
        raise DataError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    blobs = {f"{ds.name.lower()}.{fmt}": writers[fmt](ds) for ds in datasets}
    entry = dictionary(datasets, fmt, provenance)
    blobs["dictionary.json"] = (json.dumps(entry, indent=2, ensure_ascii=False) + "\n").encode()
    blobs["dictionary.md"] = _dictionary_markdown(entry).encode()
    out = Path(out_dir)
    _check_target(out)
    with atomic_output_dir(out) as work:
        for fname, data in blobs.items():
            (work / fname).write_bytes(data)
    return [out / fname for fname in blobs]


#: every file name write_datasets may have written (any format): a folder holding only
#: these is a previous output and may be replaced
_OURS = frozenset({f"{n}.{ext}" for n in ("adeffanl", "adeffdia") for ext in FORMATS}
                  | {"dictionary.json", "dictionary.md"})


def _check_target(out: Path) -> None:
    """Refuse a folder that holds anything this writer did not write (never delete it)."""
    target = Path(os.path.abspath(out))
    cwd = Path(os.path.abspath(os.getcwd()))
    if target == cwd or target in cwd.parents:
        raise DataError(f"{out}: would replace the current folder or one above it; "
                        "choose a new or empty folder")
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir()
                         if p.name not in _OURS or not p.is_file() or p.is_symlink())
        if foreign:
            more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
            raise DataError(f"{out}: folder is not empty and is not a previous output of "
                            f"ldn-stats derive: it holds {foreign[0]!r}{more}; refusing to "
                            "delete anything the package did not write. Choose a new or "
                            "empty folder")
    elif target.exists():
        raise DataError(f"{out}: expected a folder (or nothing) to write into, found a file")


def rules_provenance(rules: object) -> dict[str, object]:
    """The derivation rules as JSON-safe data (for the dictionary's provenance).

    Parameters
    ----------
    rules : DeriveRules

    Returns
    -------
    dict
        Every field; tuples become lists.

    Examples
    --------
    >>> from ldn_stats.derive import DeriveRules
    >>> rules_provenance(DeriveRules())["baseline_window"]
    [-7, -1]
    """
    def clean(v: object) -> object:
        if isinstance(v, tuple | list):
            return [clean(x) for x in v]
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in v.items()}
        return v

    return {k: clean(v) for k, v in asdict(rules).items()}  # type: ignore[call-overload]
