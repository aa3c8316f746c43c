"""Deterministic DOCX bytes from a python-docx document (used by tables.render and report.docx).

python-docx stamps the save time into the core properties and into every zip
entry; both are replaced here by a fixed instant (1980-01-01, or the date of
``SOURCE_DATE_EPOCH`` when set), so the same document gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import zipfile

__all__: list[str] = []

_FIXED = _dt.datetime(2000, 1, 1, tzinfo=_dt.UTC)


def fixed_instant() -> _dt.datetime:
    """The instant stamped into documents: SOURCE_DATE_EPOCH if set, else 2000-01-01 UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
    return _FIXED


def new_document(title: str):
    """A python-docx Document with fixed core properties."""
    import docx

    doc = docx.Document()
    when = fixed_instant().replace(tzinfo=None)
    cp = doc.core_properties
    cp.author = "ldn_stats"
    cp.last_modified_by = "ldn_stats"
    cp.title = title
    cp.revision = 1
    cp.created = when
    cp.modified = when
    cp.last_printed = when
    return doc


def document_bytes(doc) -> bytes:
    """Serialize ``doc`` and rewrite its zip with fixed entry timestamps and order."""
    raw = io.BytesIO()
    doc.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    stamp = fixed_instant()
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute,
                 stamp.second - stamp.second % 2)
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            zout.writestr(info, zin.read(name), compresslevel=6)
    return out.getvalue()


def add_table(doc, table) -> None:
    """Append a :class:`~ldn_stats.tables.table.Table` (caption, grid, footnotes)."""
    from docx.shared import Pt

    doc.add_paragraph(table.caption, style="Caption")
    body = table.display
    grid = doc.add_table(rows=len(body) + 1, cols=len(body.columns))
    grid.style = "Table Grid"
    rows = grid.rows  # one cell lookup per row: grid.cell(i, j) rescans the table
    for cell, col in zip(rows[0].cells, body.columns, strict=True):
        cell.text = str(col)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for grid_row, values in zip(rows[1:], body.itertuples(index=False), strict=True):
        for cell, value in zip(grid_row.cells, values, strict=True):
            cell.text = str(value)
    for note in table.footnotes:
        p = doc.add_paragraph(note)
        for run in p.runs:
            run.font.size = Pt(8)
