"""Reading trial tables by file extension, and writing outputs atomically.

Readers (:func:`read_table`) turn every way a file can fail to be a table
(missing, empty, header only, binary, wrongly delimited, not UTF-8, truncated)
into a :class:`ldn_stats.errors.DataError` that names the file and says what was
expected and what was found. A CSV is read with every column as text, so an
identifier such as ``USUBJID = "001"`` keeps its leading zeros; the schemas
(:mod:`ldn_stats.schemas`) convert columns to their declared types afterwards.

Writers never leave partial output: a file is written to a temporary file in
the same folder and moved into place with :func:`os.replace`
(:func:`atomic_write_bytes`, :func:`atomic_write_text`); a folder of outputs is
built in a temporary sibling folder that replaces the target only when every
file is written (:func:`atomic_output_dir`, :func:`write_tables`).

Examples
--------
>>> import tempfile, pandas as pd
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     write_tables({"adsl": pd.DataFrame({"USUBJID": ["001"], "AGE": [41]})}, Path(tmp) / "t")
...     read_table(Path(tmp) / "t" / "adsl.csv")["USUBJID"].tolist()
['001']
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

from ldn_stats.errors import DataError

__all__ = [
    "CSV_FLOAT_FORMAT",
    "MISSING_TEXT",
    "SUPPORTED_EXTENSIONS",
    "atomic_output_dir",
    "atomic_write_bytes",
    "atomic_write_text",
    "read_table",
    "write_tables",
]

#: File extensions :func:`read_table` understands, in order of preference.
SUPPORTED_EXTENSIONS: tuple[str, ...] = (".csv", ".parquet", ".xpt", ".sas7bdat")

#: Cell texts that mean "missing" in every column of every table: the empty cell
#: (pandas, Excel), ``NA`` (R's ``write.csv``), ``.`` (SAS exports) and ``NaN`` /
#: ``nan`` (Python's text of a missing float). One rule, applied by the CSV reader
#: and again by validation to text columns of tables given in memory; the data
#: dictionary (``data/schemas/index.md``) says so. A quoted ``"NA"`` is missing too.
MISSING_TEXT: tuple[str, ...] = ("", "NA", ".", "NaN", "nan")

#: Float format of written CSVs: ``None`` means Python's shortest repr, which
#: round-trips every float64 exactly and is the same on every platform.
CSV_FLOAT_FORMAT: str | None = None

_SNIFF_BYTES = 8192
_BINARY_MAGIC = {
    b"PAR1": "a Parquet file",
    b"PK\x03\x04": "a ZIP/XLSX file",
    b"\x1f\x8b": "a gzip-compressed file",
    b"\xd0\xcf\x11\xe0": "an Excel 97-2003 (.xls) file",
    b"HEADER RECORD*******": "a SAS transport (.xpt) file",
}


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read one trial table; the extension picks the reader.

    Parameters
    ----------
    path : str or path-like
        A ``.csv`` (UTF-8, comma-separated, header line first), ``.parquet``,
        ``.xpt`` (SAS transport) or ``.sas7bdat`` file.

    Returns
    -------
    pandas.DataFrame
        One row per record, index ``0..n-1`` in file order (so row ``i`` is
        data row ``i + 1`` of the file). CSV columns are all text (pandas
        ``str`` dtype); an empty cell, ``NA``, ``.`` and ``NaN`` are missing
        (:data:`MISSING_TEXT`); Parquet and SAS columns keep
        their stored types, with empty SAS character values made missing.

    Raises
    ------
    DataError
        If the file is missing, has an unsupported extension, is empty, has a
        header but no data rows, is binary, is not comma-delimited, is not
        UTF-8, or cannot be parsed (e.g. a truncated Parquet file).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp) / "adsl.csv"
    ...     _ = p.write_text("USUBJID,AGE\\n001,41\\n002,\\n003,NA\\n004,.\\n",
    ...                      encoding="utf-8")
    ...     df = read_table(p)
    >>> df["USUBJID"].tolist(), df["AGE"].isna().tolist()
    (['001', '002', '003', '004'], [False, True, True, True])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = Path(tmp) / "adeff.csv"
    ...     _ = p.write_text("USUBJID;ADY\\n001;1\\n", encoding="utf-8")
    ...     read_table(p)
    Traceback (most recent call last):
    ...
    ldn_stats.errors.DataError: .../adeff.csv: expected comma-separated columns, found ';' ...
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in _READERS:
        raise DataError(
            f"{path}: unsupported file type {ext or '(no extension)'!r}; "
            f"expected one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: expected a file, found a folder or special file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty (0 bytes); expected a header line and records")
    frame = _READERS[ext](path)
    if frame.shape[1] == 0:
        raise DataError(f"{path}: no columns found; expected a table with a header")
    if len(frame) == 0:
        raise DataError(
            f"{path}: header only ({frame.shape[1]} columns, 0 records); "
            "expected at least one data row"
        )
    return frame


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    data = path.read_bytes()
    head = data[:_SNIFF_BYTES]
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise DataError(f"{path}: expected UTF-8 comma-separated text, found {what}")
    if b"\x00" in head:
        raise DataError(
            f"{path}: expected UTF-8 comma-separated text, found binary data (NUL bytes)"
        )
    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as Excel writes
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1]
        raise DataError(
            f"{path}: expected UTF-8 text, found byte 0x{bad.hex()} on line {line} that is "
            "not UTF-8 (e.g. Latin-1 or Windows-1252); re-save the file as UTF-8"
        ) from None
    header = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    if not header.strip():
        raise DataError(f"{path}: first line is blank; expected a header line of column names")
    names = header.split(",")
    if len(names) == 1:
        for sep, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
            if sep in header:
                raise DataError(
                    f"{path}: expected comma-separated columns, found {label} as the "
                    f"delimiter in the header {header[:80]!r}; re-save with ',' delimiters"
                )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DataError(f"{path}: expected unique column names, found repeated {dupes}")
    try:
        table = pcsv.read_csv(
            pa.py_buffer(data),
            parse_options=pcsv.ParseOptions(delimiter=","),
            convert_options=pcsv.ConvertOptions(
                column_types={name.strip('"'): pa.string() for name in names},
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                null_values=list(MISSING_TEXT),
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise DataError(
            f"{path}: expected a comma-separated table, cannot parse it: {exc}"
        ) from None
    return table.to_pandas()


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(
            f"{path}: expected a Parquet file, cannot read it (truncated or not Parquet): {exc}"
        ) from None
    return table.to_pandas().reset_index(drop=True)


def _read_sas(path: Path, kind: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_xport if kind == "xpt" else pyreadstat.read_sas7bdat
    try:
        frame, _meta = reader(str(path))
    except Exception as exc:  # pyreadstat raises its own and plain exceptions
        label = "SAS transport (.xpt)" if kind == "xpt" else "SAS (.sas7bdat)"
        raise DataError(f"{path}: expected a {label} file, cannot read it: {exc}") from None
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(
            column.dtype
        ):
            text = column.astype("str")
            frame[name] = text.mask(text.str.strip().isin(MISSING_TEXT))
    return frame.reset_index(drop=True)


_READERS = {
    ".csv": _read_csv,
    ".parquet": _read_parquet,
    ".xpt": lambda path: _read_sas(path, "xpt"),
    ".sas7bdat": lambda path: _read_sas(path, "sas7bdat"),
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    and the temporary file is moved onto ``path`` with :func:`os.replace`. On
    any failure the temporary file is removed and ``path`` is untouched.
    Missing parent folders are created.

    Parameters
    ----------
    path : str or path-like
        Destination file.
    data : bytes
        The complete content.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     atomic_write_bytes(Path(tmp) / "sub" / "x.bin", b"\\x00\\x01")
    ...     (Path(tmp) / "sub" / "x.bin").read_bytes(), len(list(Path(tmp, "sub").iterdir()))
    (b'\\x00\\x01', 1)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 with ``\\n`` line ends, atomically (see :func:`atomic_write_bytes`).

    Parameters
    ----------
    path : str or path-like
        Destination file.
    text : str
        The complete content; written as given (no newline translation).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     atomic_write_text(Path(tmp) / "a.md", "# Title\\n")
    ...     (Path(tmp) / "a.md").read_bytes()
    b'# Title\\n'
    """
    atomic_write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it onto ``path`` only on success.

    Yields an empty temporary folder next to ``path`` (same parent, so the
    final move is a rename on one file system). When the ``with`` block ends
    normally, an existing ``path`` folder is set aside, the new folder is
    renamed onto ``path`` and the old one is deleted; if the block raises, the
    temporary folder is deleted and ``path`` is left exactly as it was.

    Parameters
    ----------
    path : str or path-like
        The folder to create or replace. Must not be an existing file.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.

    Raises
    ------
    DataError
        If ``path`` exists and is not a folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "out"
    ...     with atomic_output_dir(target) as work:
    ...         _ = (work / "a.txt").write_text("new")
    ...     try:
    ...         with atomic_output_dir(target) as work:
    ...             _ = (work / "a.txt").write_text("half")
    ...             raise RuntimeError("failed half way")
    ...     except RuntimeError:
    ...         pass
    ...     (target / "a.txt").read_text(), sorted(p.name for p in Path(tmp).iterdir())
    ('new', ['out'])
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise DataError(f"{path}: expected a folder (or nothing) to write into, found a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield work
        os.chmod(work, 0o777 & ~_umask())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old)  # rename onto the empty placeholder folder
            try:
                os.replace(work, path)
            except BaseException:
                os.replace(old, path)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(work, path)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | os.PathLike[str]) -> None:
    """Write each table as ``out_dir/<name>.csv``; the whole folder appears or nothing does.

    CSV bytes are deterministic: rows in the order given, no index, ``,``
    delimiter, ``\\n`` line ends, UTF-8, missing values as empty cells and
    floats in Python's shortest round-trip repr (:data:`CSV_FLOAT_FORMAT`), so
    reading a file back gives the same float64 values bit for bit.
    ``out_dir`` is replaced as a whole (see :func:`atomic_output_dir`).

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Table name (file stem, e.g. ``"adsl"``) to table.
    out_dir : str or path-like
        The folder to create or replace.

    Raises
    ------
    DataError
        If a table name is not a plain file stem.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_tables({"adeff": pd.DataFrame({"ADY": [1, 2], "AVAL": [0.1, None]})}, tmp)
    ...     (Path(tmp) / "adeff.csv").read_bytes()
    b'ADY,AVAL\\n1,0.1\\n2,\\n'
    """
    for name in tables:
        if not name or Path(name).name != name or name.startswith("."):
            raise DataError(f"table name {name!r}: expected a plain file stem such as 'adsl'")
    with atomic_output_dir(out_dir) as work:
        for name, frame in tables.items():
            text = frame.to_csv(
                index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT, na_rep=""
            )
            (work / f"{name}.csv").write_bytes(text.encode("utf-8"))
