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
import errno
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
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
        if path.is_symlink():
            raise DataError(f"{path}: is a dangling symbolic link (to {os.readlink(path)}); "
                            "expected a file")
        raise DataError(f"{path}: file not found")
    if path.is_dir():
        raise DataError(f"{path}: expected a file, found a folder")
    if not path.is_file():
        raise DataError(f"{path}: expected a file, found a special file (device, pipe or socket)")
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise DataError(f"{path}: cannot read the file: {exc.strerror}") from None
    if size == 0:
        raise DataError(f"{path}: file is empty (0 bytes); expected a header line and records")
    _check_head(path, ext, head)
    try:
        frame = _READERS[ext](path)
    except OSError as exc:  # e.g. a permission or I/O error half way through
        raise DataError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    if frame.shape[1] == 0:
        raise DataError(f"{path}: no columns found; expected a table with a header")
    if len(frame) == 0:
        raise DataError(
            f"{path}: header only ({frame.shape[1]} columns, 0 records); "
            "expected at least one data row"
        )
    return frame


def _check_head(path: Path, ext: str, head: bytes) -> None:
    """Refuse a file from its first bytes, before anything reads it whole."""
    if ext != ".csv":
        return
    for magic, what in _BINARY_MAGIC.items():
        if head.startswith(magic):
            raise DataError(f"{path}: expected UTF-8 comma-separated text, found {what}")
    if b"\x00" in head:
        raise DataError(
            f"{path}: expected UTF-8 comma-separated text, found binary data (NUL bytes)"
        )
    if b"\r" in head and b"\n" not in head:
        raise DataError(
            f"{path}: expected lines ending in LF or CRLF, found CR-only line ends (classic "
            "Mac OS); re-save the file with Unix or Windows line ends"
        )


def _read_csv(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    data = path.read_bytes()
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


#: Seconds a writer waits for another writer of the same folder before giving up.
LOCK_TIMEOUT: float = 120.0

_RENAME_EXCHANGE = 2  # renameat2 flag (Linux >= 3.15)
_AT_FDCWD = -100
_held: dict[str, list] = {}  # parent folder -> [fd, depth, thread lock] held by this process
_held_guard = threading.Lock()


def _renameat2():
    """libc's ``renameat2`` when the platform has it, else ``None``."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                     ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_EXCHANGE = _renameat2() if sys.platform.startswith("linux") else None


def _exchange(a: Path, b: Path) -> bool:
    """Swap two existing folders in one atomic step; ``False`` when unsupported here."""
    if _EXCHANGE is None:
        return False
    import ctypes

    if _EXCHANGE(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # this file system cannot exchange: fall back to rename aside
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def _parent_lock(parent: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``parent`` (re-entrant within this process).

    Every writer of :func:`atomic_output_dir` locks the folder that holds its
    target, so two processes writing outputs beside each other take turns
    (waiting up to :data:`LOCK_TIMEOUT` seconds) instead of colliding.
    """
    key = os.path.realpath(parent)
    with _held_guard:
        entry = _held.get(key)
        if entry is None:
            entry = _held[key] = [None, 0, threading.RLock()]
    with entry[2]:
        if entry[1] == 0:
            try:
                import fcntl
            except ImportError:  # pragma: no cover - not POSIX: no inter-process lock
                fcntl = None
            fd = None
            if fcntl is not None:
                try:
                    fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
                except OSError as exc:
                    raise DataError(f"{parent}: cannot open the output folder's parent: "
                                    f"{exc.strerror}") from None
                deadline = time.monotonic() + LOCK_TIMEOUT
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            os.close(fd)
                            raise DataError(
                                f"{parent}: another ldn-stats process is writing here and "
                                f"did not finish within {LOCK_TIMEOUT:g} s; try again later"
                            ) from None
                        time.sleep(0.05)
            entry[0] = fd
        entry[1] += 1
        try:
            yield
        finally:
            entry[1] -= 1
            if entry[1] == 0 and entry[0] is not None:
                os.close(entry[0])  # closing the descriptor releases the flock
                entry[0] = None


def _stale_pattern(name: str) -> re.Pattern[str]:
    # the names tempfile.mkdtemp gives our own work folders: .<name>.<8 random>.tmp/.old
    return re.compile(rf"^\.{re.escape(name)}\.[a-z0-9_]{{8}}\.(tmp|old)$")


def _remove_stale(path: Path) -> None:
    """Delete work folders a killed writer of ``path`` left beside it (caller holds the lock)."""
    pattern = _stale_pattern(path.name)
    with contextlib.suppress(OSError):
        for entry in path.parent.iterdir():
            if pattern.match(entry.name) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def _output_target(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute and normalised (``.`` and ``..`` resolved), checked as a target."""
    target = Path(os.path.abspath(path))
    if not target.name or target == target.parent:
        raise DataError(f"{path}: expected a folder to write into, found the file-system root")
    if target.is_symlink():
        raise DataError(
            f"{path}: is a symbolic link (to {os.readlink(target)}); refusing to replace it. "
            "Remove the link or choose another output folder"
        )
    if target.exists() and not target.is_dir():
        raise DataError(f"{path}: expected a folder (or nothing) to write into, found a file")
    cwd = Path(os.path.abspath(os.getcwd()))
    if target == cwd or target in cwd.parents:
        raise DataError(
            f"{path}: is the current folder (or holds it); a folder of outputs replaces its "
            "target as a whole, so choose a folder below the current one"
        )
    return target


def _os_error(path: Path, exc: OSError) -> DataError:
    where = exc.filename or path
    return DataError(f"{path}: cannot write the output folder: {exc.strerror or exc} ({where})")


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it onto ``path`` only on success.

    Yields an empty temporary folder next to ``path`` (same parent, so the
    final move is a rename on one file system). When the ``with`` block ends
    normally, the new folder takes the place of ``path``: on Linux the two are
    exchanged in one atomic step (``renameat2(RENAME_EXCHANGE)``), so readers
    see the old folder or the new one and ``path`` is never absent; elsewhere
    the old folder is renamed aside first. The old folder is then deleted. If
    the block raises, the temporary folder is deleted and ``path`` is left
    exactly as it was.

    Writers take turns: the folder holding ``path`` is locked (``flock``) for
    the whole build, so a second process writing there waits (up to
    :data:`LOCK_TIMEOUT` seconds). Work folders a killed writer left behind
    (``.<name>.*.tmp``) are removed when the next writer of ``path`` starts.

    Parameters
    ----------
    path : str or path-like
        The folder to create or replace. Must not be an existing file, a
        symbolic link, the current folder or one of its ancestors.

    Yields
    ------
    pathlib.Path
        The temporary folder to write into.

    Raises
    ------
    DataError
        If ``path`` exists and is not a folder, is a symbolic link or the
        current folder, or the folder cannot be written (read-only, a parent
        that is a file, a name too long); the message names the path.

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
    given = Path(path)
    target = _output_target(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(given, exc) from None
    with _parent_lock(target.parent):
        target = _output_target(path)  # re-check: another writer may have changed it
        _remove_stale(target)
        try:
            work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                         dir=target.parent))
        except OSError as exc:
            raise _os_error(given, exc) from None
        try:
            yield work
            os.chmod(work, 0o777 & ~_umask())
            try:
                if target.exists():
                    if not _exchange(work, target):
                        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old",
                                                    dir=target.parent))
                        os.replace(target, old)  # rename onto the empty placeholder folder
                        try:
                            os.replace(work, target)
                        except BaseException:
                            os.replace(old, target)
                            raise
                        shutil.rmtree(old, ignore_errors=True)
                    # after an exchange, ``work`` holds the old folder: deleted below
                else:
                    os.replace(work, target)
            except OSError as exc:
                raise _os_error(given, exc) from None
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)


def _staged_pattern(names: set[str]) -> re.Pattern[str]:
    # the names tempfile.mkstemp gives a staged file: .<name>.<8 random>.tmp
    alts = "|".join(re.escape(n) for n in sorted(names))
    return re.compile(rf"^\.({alts})\.[a-z0-9_]{{8}}\.tmp$")


def _write_in_place(target: Path, files: Mapping[str, bytes], staged: re.Pattern[str]) -> None:
    """Write ``files`` into the existing folder ``target`` one by one, touching nothing else.

    Every file is staged as a hidden temporary file first; only when all are
    written are they moved onto their names, so a failure leaves the folder
    as it was. Staged files a killed writer left are removed first.
    """
    with _parent_lock(target.parent):
        for entry in target.iterdir():
            if staged.match(entry.name) and entry.is_file() and not entry.is_symlink():
                with contextlib.suppress(OSError):
                    entry.unlink()
        done: dict[str, str] = {}
        try:
            for name, data in files.items():
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target)
                done[name] = tmp
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(tmp, 0o666 & ~_umask())
            for name in done:
                if (target / name).is_symlink() or (target / name).is_dir():
                    raise DataError(f"{target / name}: expected a file to replace, found a "
                                    "folder or symbolic link; refusing to replace it")
            for name, tmp in done.items():
                os.replace(tmp, target / name)
        except OSError as exc:
            raise _os_error(target, exc) from None
        finally:
            for tmp in done.values():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    replaceable: Iterable[str] = (),
) -> None:
    """Write each table as ``out_dir/<name>.csv``; the whole folder appears or nothing does.

    CSV bytes are deterministic: rows in the order given, no index, ``,``
    delimiter, ``\\n`` line ends, UTF-8, missing values as empty cells and
    floats in Python's shortest round-trip repr (:data:`CSV_FLOAT_FORMAT`), so
    reading a file back gives the same float64 values bit for bit.

    Nothing the package did not write is ever deleted. A new or empty
    ``out_dir``, or one that holds only files this call may replace (the
    tables' own ``<name>.csv`` and the names in ``replaceable``: a previous
    output of the same writer), is replaced as a whole (see
    :func:`atomic_output_dir`). A folder holding anything else is refused
    unless ``force`` is true; then only the tables' files are written into it,
    beside what is there. The current folder (``.``) is always written into
    that way, never replaced.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Table name (file stem, e.g. ``"adsl"``) to table.
    out_dir : str or path-like
        The folder to create or replace.
    force : bool, default False
        Write into a folder that holds other files, leaving them alone.
    replaceable : iterable of str, optional
        Further file names a previous output of the same writer may hold
        (e.g. all three trial tables when this call writes two).

    Raises
    ------
    DataError
        If a table name is not a plain file stem, ``out_dir`` holds other
        files and ``force`` is false, or the folder cannot be written.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_tables({"adeff": pd.DataFrame({"ADY": [1, 2], "AVAL": [0.1, None]})}, tmp)
    ...     _ = (Path(tmp) / "notes.txt").write_text("mine")
    ...     try:
    ...         write_tables({"adeff": pd.DataFrame({"ADY": [3]})}, tmp)
    ...     except DataError as exc:
    ...         print("refused:", "not a previous output" in str(exc))
    ...     (Path(tmp) / "adeff.csv").read_bytes()
    refused: True
    b'ADY,AVAL\\n1,0.1\\n2,\\n'
    """
    for name in tables:
        if not name or Path(name).name != name or name.startswith("."):
            raise DataError(f"table name {name!r}: expected a plain file stem such as 'adsl'")
    files = {
        f"{name}.csv": frame.to_csv(
            index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT, na_rep=""
        ).encode("utf-8")
        for name, frame in tables.items()
    }
    ours = set(files) | set(replaceable)
    staged = _staged_pattern(ours)
    target = Path(os.path.abspath(out_dir))
    cwd = Path(os.path.abspath(os.getcwd()))
    in_place = target == cwd or target in cwd.parents
    if target.is_dir() and not target.is_symlink():
        try:
            entries = sorted(target.iterdir())
        except OSError as exc:
            raise DataError(f"{out_dir}: cannot list the output folder: {exc.strerror}") from None
        foreign = [e.name for e in entries
                   if not ((e.name in ours or staged.match(e.name))
                           and e.is_file() and not e.is_symlink())]
        if foreign and not force:
            more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
            raise DataError(
                f"{out_dir}: folder is not empty and is not a previous output of this command: "
                f"it holds {foreign[0]!r}{more}, which it does not write (it writes "
                f"{', '.join(sorted(ours))}); refusing to "
                "delete anything the package did not write. Choose a new or empty folder, or "
                "pass --force to write the tables beside what is there"
            )
        in_place = in_place or bool(foreign)
    if in_place:
        _write_in_place(target, files, staged)
        return
    with atomic_output_dir(target) as work:
        for name, data in files.items():
            (work / name).write_bytes(data)
