"""A validated trial: the tables of one trial folder, checked against the data contract.

:func:`read_trial` finds ``adsl``, ``adeff`` and the optional ``adae`` in a
folder (any supported extension, see :mod:`ldn_stats.io`), and
:func:`validate_tables` checks tables already in memory. Both return a frozen
:class:`Trial` or raise one :class:`ldn_stats.errors.ValidationError` listing
every failure at once (its ``failures`` table has the columns ``table, column,
usubjid, row, value, rule``). Validation writes nothing.

Examples
--------
>>> import pandas as pd
>>> adsl = pd.DataFrame({"USUBJID": ["001", "002"], "SITEID": "01", "AGE": [41, 57],
...     "SEX": "F", "RANDFL": "Y", "ITTFL": "Y", "SAFFL": "Y", "TRT01P": ["LDN", "PBO"],
...     "DCSREAS": [None, None]})
>>> adeff = pd.DataFrame({"USUBJID": ["001", "002"], "PARAMCD": "PAINNRS", "ADY": [1, 1],
...     "AVAL": [6.0, 5.0], "TRTA": ["LDN", "PBO"]})
>>> validate_tables(adsl, adeff).summary()
'OK <memory>: parallel design, 2 subjects, 2 adeff records, no adae table'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ldn_stats.errors import DataError, ValidationError
from ldn_stats.io import SUPPORTED_EXTENSIONS, read_table
from ldn_stats.parameters import Catalogue, builtin_catalogue, load_catalogue
from ldn_stats.schemas import (
    AdaeModel,
    AdeffModel,
    AdslModel,
    check_table,
    collect,
    cross_table_failures,
    format_failures,
)
from ldn_stats.schemas.adsl import design_of

__all__ = ["TABLES", "Trial", "read_trial", "validate_tables"]

#: Table name -> required? (the tables :func:`read_trial` looks for).
TABLES: dict[str, bool] = {"adsl": True, "adeff": True, "adae": False}

_LISTING_CAP = 10


@dataclass(frozen=True, eq=False)
class Trial:
    """The validated tables of one trial.

    Build it with :func:`read_trial` or :func:`validate_tables`, which
    guarantee the data contract (``data/schemas/``); code downstream trusts it.

    Attributes
    ----------
    adsl : pandas.DataFrame
        Subjects, one row each; declared columns typed (text, ``int64``).
    adeff : pandas.DataFrame
        Efficacy records (``ADY`` ``int64``, ``AVAL`` ``float64``,
        ``APERIOD`` ``Int64``), in file order.
    adae : pandas.DataFrame or None
        Adverse events, or ``None`` when the trial has no ``adae`` table.
    design : {"parallel", "crossover"}
        ``"parallel"`` when ``adsl`` has ``TRT01P``, ``"crossover"`` when it
        has ``TRTSEQP``.
    source : str
        Where the tables came from (the folder as given, or ``"<memory>"``).
    notes : tuple of str
        What validation noticed without failing: PARAMCDs not in the parameter
        catalogue, crossover sequences read from the data.
    catalogue : Catalogue or None
        The parameter catalogue the tables were checked against (built in plus
        the folder's ``parameters.toml``); ``None`` means the built-in one.

    Examples
    --------
    >>> import pandas as pd
    >>> t = Trial(pd.DataFrame({"USUBJID": ["1"]}), pd.DataFrame({"ADY": [1, 2]}), None,
    ...           "parallel", "demo")
    >>> t.summary()
    'OK demo: parallel design, 1 subject, 2 adeff records, no adae table'
    """

    adsl: pd.DataFrame
    adeff: pd.DataFrame
    adae: pd.DataFrame | None
    design: Literal["parallel", "crossover"]
    source: str
    notes: tuple[str, ...] = ()
    catalogue: Catalogue | None = None

    def parameter(self, code: str):
        """The catalogue entry of a PARAMCD (an undeclared one when not declared).

        Examples
        --------
        >>> import pandas as pd
        >>> t = Trial(pd.DataFrame({"USUBJID": ["1"]}), pd.DataFrame(), None, "parallel", "x")
        >>> t.parameter("PAINNRS").label
        'Pain intensity (0-10 NRS)'
        """
        return (self.catalogue or builtin_catalogue()).get(code)

    def summary(self) -> str:
        """One line: source, design and record counts; then one ``note:`` line per note.

        Returns
        -------
        str
            E.g. ``OK data/demo/final: parallel design, 99 subjects, 12,345
            adeff records, 210 adae records``.

        Examples
        --------
        >>> import pandas as pd
        >>> Trial(pd.DataFrame({"USUBJID": ["1", "2"]}), pd.DataFrame({"ADY": [1] * 1234}),
        ...       pd.DataFrame({"ASTDY": [3]}), "crossover", "x").summary()
        'OK x: crossover design, 2 subjects, 1,234 adeff records, 1 adae record'
        """
        n = len(self.adsl)
        parts = [
            f"{self.design} design",
            f"{n:,} subject{'s' if n != 1 else ''}",
            _count(len(self.adeff), "adeff record"),
            "no adae table" if self.adae is None else _count(len(self.adae), "adae record"),
        ]
        line = f"OK {self.source}: " + ", ".join(parts)
        return "\n".join([line, *(f"note: {n}" for n in self.notes)])


def _period_columns(adeff: pd.DataFrame) -> list[str]:
    """adeff's columns, APERIOD only when it holds a period (an empty one decides nothing)."""
    return [c for c in adeff.columns if c != "APERIOD" or adeff["APERIOD"].notna().any()]


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' if n != 1 else ''}"


def read_trial(path: str | os.PathLike[str], *, strict: bool = False) -> Trial:
    """Read and validate the trial tables in a folder.

    The folder holds ``adsl`` and ``adeff`` and optionally ``adae``, each as
    exactly one of ``.csv``, ``.parquet``, ``.xpt`` or ``.sas7bdat`` (names
    are matched case-insensitively, so SAS-style ``ADSL.XPT`` works). Nothing
    is written.

    Parameters
    ----------
    path : str or path-like
        The trial folder.
    strict : bool, default False
        Refuse what is otherwise only noted (see :func:`validate_tables`).

    Returns
    -------
    Trial
        The validated tables; ``source`` is ``path`` as given.

    Raises
    ------
    DataError
        If the folder is missing, a required table is missing, a table is
        present in two formats, or a file cannot be read (every unreadable
        file is listed).
    ValidationError
        If the tables break the data contract; every failure is listed.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = Path(tmp, "adsl.csv").write_text(
    ...         "USUBJID,SITEID,AGE,SEX,RANDFL,ITTFL,SAFFL,TRTSEQP,DCSREAS\\n"
    ...         "001,01,45,F,Y,Y,Y,LDN-PBO,\\n")
    ...     _ = Path(tmp, "adeff.csv").write_text(
    ...         "USUBJID,PARAMCD,ADY,AVAL,APERIOD,TRTA\\n"
    ...         "001,PAINVAS,1,55,1,LDN\\n001,PAINVAS,30,35,2,LDN\\n")
    ...     read_trial(tmp)
    Traceback (most recent call last):
    ...
    ldn_stats.errors.ValidationError: ...: 1 failure of the data contract (...):
      adeff, TRTA, USUBJID 001, row 2, value 'LDN in period 2 (TRTSEQP LDN-PBO)': ...
    """
    folder = Path(path)
    if not folder.exists():
        what = "is a dangling symbolic link" if folder.is_symlink() else "not found"
        raise DataError(f"{folder}: trial folder {what}")
    if not folder.is_dir():
        raise DataError(f"{folder}: expected a trial folder holding adsl and adeff, found a file")
    try:
        # every entry, not only regular files: a folder or a dangling link named adsl.csv is
        # reported as what it is by read_table, not as "not found"
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise DataError(f"{folder}: cannot list the trial folder: {exc.strerror}") from None
    tabular = [p.name for p in entries if p.suffix.lower() in SUPPORTED_EXTENSIONS]
    found: dict[str, Path] = {}
    problems: list[str] = []
    for name, required in TABLES.items():
        matches = [
            p for p in entries
            if p.stem.lower() == name and p.suffix.lower() in SUPPORTED_EXTENSIONS
        ]
        if len(matches) > 1:
            problems.append(
                f"{folder}: table {name} is ambiguous, found {', '.join(p.name for p in matches)}; "
                "expected exactly one file"
            )
        elif matches:
            found[name] = matches[0]
        elif required:
            # name only table-like files, a few of them: never list an unrelated folder
            shown = ", ".join(tabular[:5]) + (f" and {len(tabular) - 5} more"
                                              if len(tabular) > 5 else "")
            listing = f"table files {shown}" if tabular else "no table files"
            problems.append(
                f"{folder}: table {name} not found; expected {name}"
                f"{{{','.join(SUPPORTED_EXTENSIONS)}}}, found {listing} "
                f"among {len(entries):,} {'entry' if len(entries) == 1 else 'entries'}"
            )
    catalogue = load_catalogue(folder)
    tables: dict[str, pd.DataFrame] = {}
    for name, file in found.items():
        try:
            tables[name] = read_table(file)
        except DataError as exc:
            problems.append(str(exc))
    if problems:
        raise DataError("\n".join(problems))
    return validate_tables(tables["adsl"], tables["adeff"], tables.get("adae"), str(path),
                           catalogue=catalogue, strict=strict)


def _case_variant_ids(adsl: pd.DataFrame, notes: list[str], strict: bool) -> list[pd.DataFrame]:
    """USUBJIDs equal but for case or spaces: a note, or failures when ``strict``."""
    if "USUBJID" not in adsl.columns:
        return []
    ids = adsl["USUBJID"]
    known = ids.notna().to_numpy()
    folded = ids[known].astype(str).str.strip().str.upper()
    dup = folded.duplicated(keep=False).to_numpy()
    if not dup.any():
        return []
    rows = np.flatnonzero(known)[dup]
    groups: dict[str, list[str]] = {}
    for r in rows:
        groups.setdefault(str(ids.iloc[r]).strip().upper(), []).append(str(ids.iloc[r]))
    said = "; ".join(", ".join(repr(v) for v in vs) for vs in list(groups.values())[:5])
    if not strict:
        notes.append(f"USUBJIDs that differ only in case or spaces are different subjects: "
                     f"{said} (ldn-stats validate --strict refuses them)")
        return []
    text = [str(ids.iloc[r]) for r in rows]
    return [pd.DataFrame({"table": "adsl", "column": "USUBJID", "usubjid": text,
                          "row": (rows + 1).astype(np.int64), "value": text,
                          "rule": "unique ignoring case and spaces (strict)"})]


def validate_tables(
    adsl: pd.DataFrame,
    adeff: pd.DataFrame,
    adae: pd.DataFrame | None = None,
    source: str = "<memory>",
    catalogue: Catalogue | None = None,
    sequence_separator: str = "-",
    strict: bool = False,
) -> Trial:
    """Validate trial tables held in memory against the data contract.

    Columns are converted to their declared types first (text to numbers,
    whole numbers to integers), so tables read as text are accepted; the
    caller's DataFrames are not modified.

    Parameters
    ----------
    adsl, adeff : pandas.DataFrame
        Subject and efficacy tables (see ``data/schemas/``).
    adae : pandas.DataFrame, optional
        Adverse events.
    source : str, default ``"<memory>"``
        Name used in the summary and in error messages.
    catalogue : Catalogue, optional
        The parameter catalogue (ranges of AVAL by PARAMCD); default the
        built-in one (:func:`ldn_stats.parameters.load_catalogue`).
    sequence_separator : str, default ``"-"``
        Separator of the treatments in crossover sequence labels (besides
        ``/``), as ``DeriveRules.sequence_separator``.
    strict : bool, default False
        Two USUBJIDs that differ only in case or surrounding spaces (``ab01``,
        ``AB01``) are two subjects; by default that is a note of the result
        (``Trial.notes``, printed by ``validate``), with ``strict`` a failure.

    Returns
    -------
    Trial
        The typed, validated tables.

    Raises
    ------
    ValidationError
        Listing every failure of every table at once. ``failures`` holds one
        row per failure with columns ``table, column, usubjid, row, value,
        rule``; ``row`` counts data records from 1 in table order.

    Notes
    -----
    Rules: each table's pandera model (types, allowed values, ranges, not
    empty, unique ``USUBJID`` in ``adsl``); exactly one of ``TRT01P`` and
    ``TRTSEQP`` in ``adsl``; every ``USUBJID`` of ``adeff`` and ``adae`` in
    ``adsl``; one ``adeff`` record per ``USUBJID x PARAMCD x ADY``; ``AVAL``
    within the range of its ``PARAMCD``; parallel designs: ``TRTA`` (when not
    empty) equals ``TRT01P``; crossover designs: ``APERIOD`` present,
    ``TRTA`` in period *k* is the *k*-th treatment of ``TRTSEQP``, ``TRTA``
    empty outside periods, one treatment per period, and period *k* ends
    before period *k+1* starts (in ``ADY``).

    Examples
    --------
    >>> import pandas as pd
    >>> adsl = pd.DataFrame({"USUBJID": ["001"], "SITEID": "01", "AGE": ["-3"], "SEX": "F",
    ...     "RANDFL": "Y", "ITTFL": "Y", "SAFFL": "Y", "TRT01P": "LDN", "DCSREAS": [None]})
    >>> adeff = pd.DataFrame({"USUBJID": ["001", "009"], "PARAMCD": "PAINNRS",
    ...     "ADY": [1, 2], "AVAL": [6.0, 11.0], "TRTA": "LDN"})
    >>> try:
    ...     validate_tables(adsl, adeff)
    ... except ValidationError as exc:
    ...     exc.failures[["table", "column", "usubjid", "row", "value"]]
        table   column usubjid  row value
    0    adsl      AGE     001    1    -3
    1   adeff  USUBJID     009    2   009
    2   adeff     AVAL     009    2    11
    """
    raw = {"adsl": adsl, "adeff": adeff, "adae": adae}
    models = {"adsl": AdslModel, "adeff": AdeffModel, "adae": AdaeModel}
    typed: dict[str, pd.DataFrame | None] = {}
    schema_failures: dict[str, pd.DataFrame] = {}
    for name, frame in raw.items():
        if frame is None:
            typed[name] = None
            continue
        if not isinstance(frame, pd.DataFrame):
            raise ValidationError(
                f"{source}: table {name}: expected a pandas DataFrame, found "
                f"{type(frame).__name__}"
            )
        typed[name], schema_failures[name] = check_table(
            frame.reset_index(drop=True), models[name]
        )
    notes: list[str] = []
    cross = cross_table_failures(typed["adsl"], typed["adeff"], typed["adae"], catalogue,
                                 notes, sequence_separator)
    cross = [*cross, *_case_variant_ids(typed["adsl"], notes, strict)]
    order = {name: i for i, name in enumerate(raw)}
    parts = [p for p in [*schema_failures.values(), *cross] if len(p)]
    parts.sort(key=lambda part: order[part["table"].iloc[0]])  # stable: table by table
    failures = collect(parts)
    if len(failures):
        raise ValidationError(format_failures(failures, source, _LISTING_CAP), failures)
    design = design_of(typed["adsl"].columns, _period_columns(typed["adeff"]))
    adeff_typed = typed["adeff"]
    if "ADY" in adeff_typed.columns and not adeff_typed["ADY"].isna().any():
        adeff_typed["ADY"] = adeff_typed["ADY"].astype("int64")  # complete study days
    return Trial(typed["adsl"], typed["adeff"], typed["adae"], design, source, tuple(notes),
                 catalogue)
