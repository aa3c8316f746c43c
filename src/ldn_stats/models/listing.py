"""SAS-like listings of fitted models: numeric sections, printed as text or HTML.

A :class:`Listing` is a titled sequence of :class:`Section` objects. Each
section holds a numeric :class:`pandas.DataFrame` (numbers stay numbers) and
the print format of each column; only ``str(listing)``, :meth:`Listing.to_text`
and :meth:`Listing._repr_html_` turn numbers into strings, with SAS's
conventions: fixed decimals per column, ``<.0001`` for tiny p-values, ``.``
for a missing value, centred section titles, two spaces between columns.

The model-specific builders are :func:`ldn_stats.models.mmrm.listing.mmrm_listing`
(``fit.summary()``) and :func:`ldn_stats.models.crossover.listing.crossover_listing`.

Examples
--------
>>> import pandas as pd
>>> s = Section("Fit Statistics", pd.DataFrame({"Statistic": ["AIC"], "Value": [3406.4321]}),
...             formats={"Value": 1}, header=False)
>>> lst = Listing("Demo", (s,))
>>> lst["Fit Statistics"].loc[0, "Value"]
np.float64(3406.4321)
>>> print(lst)  # doctest: +NORMALIZE_WHITESPACE
Demo
<BLANKLINE>
Fit Statistics
<BLANKLINE>
AIC    3406.4
<BLANKLINE>
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["P_VALUE", "Listing", "Section", "format_cell"]

#: format code of a p-value column: 4 decimals, ``<.0001`` below
P_VALUE = "p"


def format_cell(value: object, fmt: int | str | None) -> str:
    """One printed cell: ``fmt`` decimals, the p-value rule, or text as is.

    Parameters
    ----------
    value : object
    fmt : int, "p" or None
        Decimals for a number, :data:`P_VALUE` for SAS's p-value style, None for text
        (numbers then print as integers when whole, else in ``g`` format).

    Returns
    -------
    str
        ``.`` for a missing number, as SAS prints it.

    Examples
    --------
    >>> format_cell(0.00001, "p"), format_cell(0.0153, "p"), format_cell(float("nan"), 2)
    ('<.0001', '0.0153', '.')
    >>> format_cell(-0.04231, 4), format_cell(200, None), format_cell(True, None)
    ('-0.0423', '200', 'Yes')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "." if fmt is not None else ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(v):
            return "."
        if math.isinf(v):
            return "Infty" if v > 0 else "-Infty"
        if fmt == P_VALUE:
            return "<.0001" if v < 1e-4 else f"{v:.4f}"
        if fmt is None:
            return str(int(v)) if v.is_integer() else f"{v:g}"
        s = f"{v:.{int(fmt)}f}"
        return s[1:] if s.startswith("-") and float(s) == 0.0 else s
    return str(value)


@dataclass(frozen=True)
class Section:
    """One titled table of a listing.

    Parameters
    ----------
    title : str
        As PROC MIXED titles it: ``"Solution for Fixed Effects"``.
    table : pandas.DataFrame
        The numbers (and labels); column names are the printed headers.
    formats : mapping of str to int or "p", optional
        Decimals (or :data:`P_VALUE`) of numeric columns; other columns print as text.
    header : bool, default True
        Print the column headers (False for two-column item/value sections).
    notes : tuple of str
        Lines printed under the table.
    """

    title: str
    table: pd.DataFrame
    formats: Mapping[str, int | str] = field(default_factory=dict)
    header: bool = True
    notes: tuple[str, ...] = ()

    def cells(self) -> list[list[str]]:
        """The printed body, row by row."""
        cols = list(self.table.columns)
        return [[format_cell(v, self.formats.get(c)) for c, v in zip(cols, row, strict=True)]
                for row in self.table.itertuples(index=False)]

    def _numeric(self, col: str) -> bool:
        return col in self.formats or pd.api.types.is_numeric_dtype(self.table[col])

    def to_text(self) -> list[str]:
        """The section as lines (title, blank, header, blank, rows, notes)."""
        cols = [str(c) for c in self.table.columns]
        body = self.cells()
        widths = [max([len(c) if self.header else 0, *(len(r[j]) for r in body)])
                  for j, c in enumerate(cols)]
        right = [self._numeric(c) for c in self.table.columns]

        def line(cells: list[str]) -> str:
            parts = [c.rjust(w) if r else c.ljust(w)
                     for c, w, r in zip(cells, widths, right, strict=True)]
            return "    ".join(parts).rstrip()

        width = max([len(self.title), len(line(cols)) if self.header else 0,
                     *(len(line(r)) for r in body)])
        out = [self.title.center(width).rstrip(), ""]
        if self.header:
            out += [line(cols), ""]
        out += [line(r) for r in body]
        if self.notes:
            out += ["", *self.notes]
        return out

    def to_html(self) -> str:
        """The section as an HTML ``<table>`` with a caption."""
        esc = html.escape
        out = [f'<table class="ldn-listing"><caption>{esc(self.title)}</caption>']
        cols = list(self.table.columns)
        if self.header:
            out.append("<thead><tr>" + "".join(f"<th>{esc(str(c))}</th>" for c in cols)
                       + "</tr></thead>")
        out.append("<tbody>")
        for row in self.cells():
            out.append("<tr>" + "".join(
                f'<td style="text-align:{"right" if self._numeric(c) else "left"}">'
                f"{esc(v)}</td>" for c, v in zip(cols, row, strict=True)) + "</tr>")
        out.append("</tbody>")
        if self.notes:
            notes = "<br>".join(esc(n) for n in self.notes)
            out.append(f'<tfoot><tr><td colspan="{max(len(cols), 1)}">{notes}</td></tr></tfoot>')
        out.append("</table>")
        return "".join(out)


_CSS = ("<style>table.ldn-listing{border-collapse:collapse;margin:0 0 1em 0;font-size:90%}"
        "table.ldn-listing caption{text-align:left;font-weight:bold;padding:2px 0}"
        "table.ldn-listing th,table.ldn-listing td{padding:1px 8px;"
        "border-bottom:1px solid #ddd}</style>")


@dataclass(frozen=True)
class Listing:
    """A SAS-like listing: a title and numeric sections, printed on demand.

    Index by section title to get its numbers: ``summary["Fit Statistics"]``.

    Parameters
    ----------
    title : str
    sections : tuple of Section
    """

    title: str
    sections: tuple[Section, ...]

    def __getitem__(self, title: str) -> pd.DataFrame:
        for s in self.sections:
            if s.title == title:
                return s.table
        raise KeyError(f"no section {title!r}; sections: "
                       + ", ".join(s.title for s in self.sections))

    @property
    def titles(self) -> list[str]:
        """Section titles in print order."""
        return [s.title for s in self.sections]

    def to_text(self) -> str:
        """The whole listing as text, sections separated by blank lines."""
        lines = [self.title, ""]
        for s in self.sections:
            lines += [*s.to_text(), "", ""]
        return "\n".join(lines).rstrip("\n") + "\n"

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        body = "".join(s.to_html() for s in self.sections)
        return f'{_CSS}<div class="ldn-listing"><h4>{html.escape(self.title)}</h4>{body}</div>'
