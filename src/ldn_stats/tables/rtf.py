r"""RTF (Rich Text Format 1.9) rendering of a report :class:`~ldn_stats.tables.table.Table`.

The layout follows the clinical study report TLF convention (SAS ODS RTF,
r2rtf): the caption as a title paragraph kept with the table, one header row
marked ``\trhdr`` so Word and LibreOffice repeat it at the top of every page,
a rule above and below the header and below the last row, footnotes in a
smaller size after the table. Text is Courier New (family ``\fmodern``, which
LibreOffice maps to the metric-compatible Liberation Mono), 9 pt in the table,
so column widths follow from character counts: a table whose natural width
does not fit a portrait A4 (or US Letter) page with 1-inch margins is set
landscape, and one that is still too wide has its columns scaled down
(long cells wrap).

The output is plain 7-bit ASCII: characters beyond it are written as ``\uN?``
escapes (UTF-16 code units), so the file opens identically whatever code page
the reader assumes. No timestamps are written: the same table gives the same
bytes.

Examples
--------
>>> import pandas as pd
>>> from ldn_stats.tables.table import Table
>>> t = Table("1.1", "demo", "Means", pd.DataFrame({"mean": [1.25]}),
...           pd.DataFrame({"Arm": ["LDN"], "Mean": ["1.2"]}), ("Population: ITT.",))
>>> text = to_rtf(t)
>>> text.startswith("{\\rtf1\\ansi")
True
>>> "\\trhdr" in text and "LDN\\cell" in text
True
"""

from __future__ import annotations

from dataclasses import dataclass

from ldn_stats.tables.table import Table

__all__ = ["PAPER_SIZES", "PageLayout", "column_widths", "page_layout", "rtf_escape", "to_rtf"]

TWIPS_PER_INCH = 1440
#: paper name -> (width, height) in twips, portrait
PAPER_SIZES = {"a4": (11906, 16838), "letter": (12240, 15840)}
MARGIN = TWIPS_PER_INCH  # 1 inch on every side

TABLE_FONT_HALF_POINTS = 18  # 9 pt
TITLE_FONT_HALF_POINTS = 20  # 10 pt
NOTE_FONT_HALF_POINTS = 16  # 8 pt
# Courier New advances every glyph by 0.6 em: 0.6 * 9 pt = 5.4 pt = 108 twips.
CHAR_TWIPS = 108
CELL_GAP = 72  # \trgaph: half the space between cells (0.05 inch)
MIN_CELL_CHARS = 4
MAX_CELL_CHARS = 48  # longer cells wrap instead of widening the column
SLACK_CHARS = 2  # room for font substitution and rounding (a word never breaks mid-word)


def rtf_escape(text: object) -> str:
    r"""Escape text for an RTF body: ``\``, ``{``, ``}``, line breaks and non-ASCII.

    Parameters
    ----------
    text : object
        Converted with ``str``.

    Returns
    -------
    str
        7-bit ASCII; each character outside it becomes ``\uN?`` with ``N`` the
        signed 16-bit UTF-16 code unit (surrogate pairs above U+FFFF).

    Examples
    --------
    >>> rtf_escape("a{b}\\c")
    'a\\{b\\}\\\\c'
    >>> rtf_escape("≥ 30%")
    '\\u8805? 30%'
    >>> rtf_escape("ø")
    '\\u248?'
    """
    out: list[str] = []
    for ch in str(text):
        code = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\line ")
        elif ch == "\t":
            out.append("\\tab ")
        elif 32 <= code < 127:
            out.append(ch)
        elif code < 32:
            out.append(" ")
        else:
            units = ch.encode("utf-16-be")
            for i in range(0, len(units), 2):
                unit = int.from_bytes(units[i:i + 2], "big")
                out.append(f"\\u{unit - 65536 if unit > 32767 else unit}?")
    return "".join(out)


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def column_widths(table: Table) -> list[int]:
    """Natural column widths in characters: the longest body cell, at least the header's
    longest word and :data:`MIN_CELL_CHARS`, at most :data:`MAX_CELL_CHARS`.

    Parameters
    ----------
    table : Table

    Returns
    -------
    list of int
        One width per display column; headers wrap at spaces, body cells do not
        unless longer than :data:`MAX_CELL_CHARS`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("1", "k", "T", pd.DataFrame(),
    ...           pd.DataFrame({"Treatment n (%)": ["19 (38.8%)"], "p": ["0.270"]}))
    >>> column_widths(t)
    [10, 5]
    """
    body = table.display
    widths = []
    for j, col in enumerate(body.columns):
        cells = [len(str(v)) for v in body.iloc[:, j]]
        natural = max([*cells, _longest_word(str(col)), MIN_CELL_CHARS])
        widths.append(min(natural, MAX_CELL_CHARS))
    return widths


@dataclass(frozen=True)
class PageLayout:
    """Page geometry of one RTF table, in twips.

    Attributes
    ----------
    landscape : bool
    paper_width, paper_height : int
        As laid out (swapped for landscape).
    cell_widths : tuple of int
        The width of each column, cell gaps included.
    """

    landscape: bool
    paper_width: int
    paper_height: int
    cell_widths: tuple[int, ...]

    @property
    def text_width(self) -> int:
        """Width between the margins."""
        return self.paper_width - 2 * MARGIN


def page_layout(table: Table, paper: str = "a4") -> PageLayout:
    """Choose orientation and column widths for ``table`` on ``paper``.

    Parameters
    ----------
    table : Table
    paper : {"a4", "letter"}, default "a4"

    Returns
    -------
    PageLayout
        Portrait when the natural width fits between the margins, else landscape;
        columns get :data:`SLACK_CHARS` spare characters each where there is room
        and are scaled down proportionally to the text width where there is not.

    Examples
    --------
    >>> import pandas as pd
    >>> narrow = Table("1", "k", "T", pd.DataFrame(), pd.DataFrame({"a": ["1"]}))
    >>> page_layout(narrow).landscape
    False
    >>> wide = Table("2", "k", "T", pd.DataFrame(),
    ...              pd.DataFrame({f"c{i}": ["x" * 20] for i in range(5)}))
    >>> page_layout(wide).landscape
    True
    """
    try:
        short, long = PAPER_SIZES[paper]
    except KeyError:
        raise ValueError(f"paper must be one of {sorted(PAPER_SIZES)}, got {paper!r}") from None
    chars = column_widths(table)
    tight = sum(w * CHAR_TWIPS + 2 * CELL_GAP for w in chars)
    natural = [(w + SLACK_CHARS) * CHAR_TWIPS + 2 * CELL_GAP for w in chars]
    natural = natural or [short - 2 * MARGIN]
    landscape = tight > short - 2 * MARGIN
    width, height = (long, short) if landscape else (short, long)
    room = width - 2 * MARGIN
    if sum(natural) > room:
        scale = room / sum(natural)
        natural = [int(w * scale) for w in natural]
    return PageLayout(landscape, width, height, tuple(natural))


_RULE = "\\brdrs\\brdrw10"


def _row(cells: list[str], layout: PageLayout, *, header: bool, top: bool, bottom: bool,
         bold: bool = False) -> str:
    parts = [f"\\trowd\\trgaph{CELL_GAP}\\trleft0\\trkeep"]
    if header:
        parts.append("\\trhdr")
    edge = 0
    for width in layout.cell_widths:
        edge += width
        borders = ("\\clbrdrt" + _RULE if top else "") + ("\\clbrdrb" + _RULE if bottom else "")
        valign = "\\clvertalb" if header else "\\clvertalt"
        parts.append(f"{borders}{valign}\\cellx{edge}")
    head = "".join(parts) + "\n"
    body = []
    for j, text in enumerate(cells):
        align = "\\ql" if j == 0 else "\\qc"
        run = f"{{\\b {rtf_escape(text)}}}" if bold else rtf_escape(text)
        body.append(f"\\pard\\plain\\intbl{align}\\f0\\fs{TABLE_FONT_HALF_POINTS} {run}\\cell")
    return head + "\n".join(body) + "\n\\row\n"


def to_rtf(table: Table, paper: str = "a4") -> str:
    r"""A one-table RTF document: title, repeated header row, body, footnotes.

    Parameters
    ----------
    table : Table
    paper : {"a4", "letter"}, default "a4"
        Landscape is chosen automatically when the table is too wide for portrait.

    Returns
    -------
    str
        7-bit ASCII RTF text (write it as bytes with any ASCII-compatible codec).

    Notes
    -----
    Control words used: ``\paperw \paperh \marg* \landscape \lndscpsxn`` for the
    page, ``\trowd \trgaph \trkeep \trhdr \cellx \clbrdrt \clbrdrb`` for rows,
    ``\keepn`` to keep the title with the table. Both Word and LibreOffice Writer
    honour every one of them.

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("1", "k", "T", pd.DataFrame(), pd.DataFrame({"x": ["1"], "y": ["2"]}))
    >>> to_rtf(t) == to_rtf(t)
    True
    >>> to_rtf(t).count("\\row")
    2
    """
    layout = page_layout(table, paper)
    body = table.display
    orient = "\\landscape" if layout.landscape else ""
    sect = "\\lndscpsxn" if layout.landscape else ""
    out = [
        "{\\rtf1\\ansi\\ansicpg1252\\deff0\\uc1\n",
        "{\\fonttbl{\\f0\\fmodern\\fprq1\\fcharset0 Courier New;}}\n",
        "{\\colortbl;\\red0\\green0\\blue0;}\n",
        f"{{\\info{{\\title {rtf_escape(table.caption)}}}{{\\author ldn_stats}}}}\n",
        f"\\paperw{layout.paper_width}\\paperh{layout.paper_height}"
        f"\\margl{MARGIN}\\margr{MARGIN}\\margt{MARGIN}\\margb{MARGIN}{orient}\n",
        f"\\widowctrl\\viewkind1\\sectd{sect}\\pgwsxn{layout.paper_width}"
        f"\\pghsxn{layout.paper_height}\n",
        f"\\pard\\plain\\keepn\\sa120\\f0\\fs{TITLE_FONT_HALF_POINTS}"
        f"{{\\b {rtf_escape(table.caption)}}}\\par\n",
    ]
    if len(body.columns):
        n = len(body)
        out.append(_row([str(c) for c in body.columns], layout, header=True, top=True,
                        bottom=True))
        for i, values in enumerate(body.itertuples(index=False)):
            out.append(_row([str(v) for v in values], layout, header=False, top=False,
                            bottom=i == n - 1))
    for k, note in enumerate(table.footnotes):
        space = "\\sb120" if k == 0 else ""
        out.append(f"\\pard\\plain{space}\\f0\\fs{NOTE_FONT_HALF_POINTS} "
                   f"{rtf_escape(note)}\\par\n")
    out.append("}\n")
    return "".join(out)
