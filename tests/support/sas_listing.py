"""A small reader of SAS PROC MIXED text listings, for the parity tests only.

A listing is a sequence of titled tables. Titles are centred lines such as
``Solution for Fixed Effects``; a table may restart after a page header
(``The SAS System ...``) with its title and header repeated, so every
occurrence of a title is read and the rows concatenated.

Cells are found from the header: SAS left-aligns class values under the left
edge of their header and right-aligns numbers under its right edge, and
separates cells by at least two spaces (a class value like ``Black or African
American`` has single spaces only).

Printed precision: :func:`half_unit` gives half a unit of the last printed
decimal of a number as printed (``"3.7745"`` -> 5e-5, ``"146"`` -> 0.5,
``"123.87"`` -> 0.005), which is how far the unrounded value can be from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_PAGE = "The SAS System"
_CELL = re.compile(r"\S+(?: \S+)*")


@dataclass(frozen=True)
class _Col:
    name: str
    start: int
    end: int


def half_unit(printed: str) -> float:
    """Half a unit of the last printed decimal (relative rounding bound of a SAS number)."""
    text = printed.strip().lstrip("<>-")
    if "E" in text.upper():
        mant, exp = re.split("[eE]", text)
        decimals = len(mant.split(".")[1]) if "." in mant else 0
        return 0.5 * 10.0 ** (int(exp) - decimals)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-decimals


def to_float(printed: str) -> float | None:
    """A printed SAS number as float; None for SAS's missing ``.``."""
    text = printed.strip()
    if text in (".", ""):
        return None
    return float(text.lstrip("<>"))


class Listing:
    """The text of one listing, split into PROC MIXED runs (one per Model Information)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        text = self.path.read_text(encoding="utf-8", errors="replace")
        self.lines = [line.rstrip("\n").rstrip() for line in text.splitlines()]
        starts = [i for i, line in enumerate(self.lines) if line.strip() == "Model Information"]
        self._runs = [
            (s, starts[k + 1] if k + 1 < len(starts) else len(self.lines))
            for k, s in enumerate(starts)
        ]

    @property
    def n_runs(self) -> int:
        return len(self._runs)

    def _run_lines(self, run: int) -> list[str]:
        start, end = self._runs[run]
        return self.lines[start:end]

    def text(self, run: int = 0) -> str:
        return "\n".join(self._run_lines(run))

    def _blocks(self, title: str, run: int) -> list[list[list[str]]]:
        """For each occurrence of ``title``: its paragraphs (runs of non-blank lines)."""
        lines = self._run_lines(run)
        out = []
        for i, line in enumerate(lines):
            if line.strip() != title:
                continue
            paragraphs: list[list[str]] = []
            current: list[str] = []
            blanks = 0
            for following in lines[i + 1 :]:
                if _PAGE in following:
                    break
                if not following.strip():
                    blanks += 1
                    if current:
                        paragraphs.append(current)
                        current = []
                    if blanks >= 2 and paragraphs:
                        break
                    continue
                blanks = 0
                current.append(following)
            if current:
                paragraphs.append(current)
            out.append(paragraphs)
        return out

    def key_values(self, title: str, run: int = 0) -> dict[str, str]:
        """A two-column table without header (Model Information, Fit Statistics, Dimensions)."""
        out: dict[str, str] = {}
        for paragraphs in self._blocks(title, run):
            for line in paragraphs[0] if paragraphs else []:
                cells = [m.group() for m in _CELL.finditer(line)]
                cells = [c for part in cells for c in re.split(r"\s{2,}", part)]
                if len(cells) >= 2:
                    out[cells[0]] = cells[-1]
        if not out:
            raise KeyError(f"{self.path.name}: no table {title!r} in run {run}")
        return out

    def table(self, title: str, run: int = 0) -> list[dict[str, str]]:
        """A table with a header: one dict per row, header name -> printed cell ('' if blank)."""
        rows: list[dict[str, str]] = []
        for paragraphs in self._blocks(title, run):
            if len(paragraphs) < 2:
                continue
            header, body = paragraphs[0], paragraphs[1]
            cols = []
            for m in re.finditer(r"\S+(?: \S+)*", header[-1]):
                # multi-line headers: "Standard"/"Error" -> "Standard Error", "Num"/"DF"
                above = [
                    a.group()
                    for line in header[:-1]
                    for a in re.finditer(r"\S+(?: \S+)*", line)
                    if min(a.end(), m.end()) - max(a.start(), m.start()) > 0
                ]
                cols.append(_Col(" ".join([*above, m.group()]), m.start(), m.end()))
            for line in body:
                row = {c.name: "" for c in cols}
                for m in re.finditer(r"\S+(?: \S+)*", line):
                    col = _assign(cols, m.start(), m.end())
                    row[col.name] = (row[col.name] + " " + m.group()).strip()
                rows.append(row)
        if not rows:
            raise KeyError(f"{self.path.name}: no table {title!r} in run {run}")
        return rows

    def has(self, title: str, run: int = 0) -> bool:
        return any(line.strip() == title for line in self._run_lines(run))


def _assign(cols: list[_Col], start: int, end: int) -> _Col:
    for c in cols:
        if c.start == start or c.end == end:
            return c
    best = max(cols, key=lambda c: min(end, c.end) - max(start, c.start))
    if min(end, best.end) - max(start, best.start) > 0:
        return best
    centre = (start + end) / 2
    return min(cols, key=lambda c: abs((c.start + c.end) / 2 - centre))


def rtf_rows(path: str | Path) -> list[list[str]]:
    """Table rows of a SAS ODS RTF listing: each ``{text\\cell}`` of a row, in order."""
    text = Path(path).read_text(encoding="latin-1")
    rows = []
    for chunk in text.split("{\\row}"):
        cells = [c.strip() for c in re.findall(r"\{([^{}]*?)\\cell\}", chunk)]
        if cells:
            rows.append(cells)
    return rows
