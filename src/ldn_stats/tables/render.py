"""Render a :class:`~ldn_stats.tables.table.Table` as CSV, Markdown, HTML, LaTeX, DOCX or RTF.

CSV carries the numbers (``numeric``, fixed float format, ``\\n`` line ends);
the other formats carry the formatted display with number, title and footnotes.
Every function returns the text or bytes; writing files is the caller's job
(atomically).

Examples
--------
>>> import pandas as pd
>>> from ldn_stats.tables.table import Table
>>> t = Table("1.1", "demo", "Means", pd.DataFrame({"arm": ["LDN"], "mean": [1.25]}),
...           pd.DataFrame({"Arm": ["LDN"], "Mean": ["1.2"]}), ("Population: ITT.",))
>>> print(to_markdown(t))
**Table 1.1. Means**
<BLANKLINE>
| Arm | Mean |
| --- | --- |
| LDN | 1.2 |
<BLANKLINE>
Population: ITT.
<BLANKLINE>
>>> to_csv(t)
'arm,mean\\nLDN,1.25\\n'
"""

from __future__ import annotations

import html

from ldn_stats.tables.rtf import to_rtf
from ldn_stats.tables.table import Table

__all__ = ["RENDERERS", "to_csv", "to_docx", "to_html", "to_latex", "to_markdown", "to_rtf"]

#: float format of the CSVs: None = Python's shortest repr, which round-trips every float64
#: exactly (full precision for downstream tools; column meanings in ``tables.columns``)
CSV_FLOAT_FORMAT: str | None = None


def to_csv(table: Table) -> str:
    """The numeric table as CSV text (full-precision floats, no index, ``\\n`` line ends).

    Parameters
    ----------
    table : Table

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("1", "k", "T", pd.DataFrame({"p": [1 / 3]}), pd.DataFrame())
    >>> to_csv(t)
    'p\\n0.3333333333333333\\n'
    """
    return table.numeric.to_csv(index=False, lineterminator="\n", float_format=CSV_FLOAT_FORMAT)


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_markdown(table: Table) -> str:
    """A GitHub-flavoured Markdown pipe table with a bold caption and footnotes.

    Parameters
    ----------
    table : Table

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("1", "k", "T", pd.DataFrame(), pd.DataFrame({"a|b": ["x"]}))
    >>> print(to_markdown(t).splitlines()[2])
    | a\\|b |
    """
    body = table.display
    lines = [f"**{table.caption}**", ""]
    lines.append("| " + " | ".join(_md_cell(c) for c in body.columns) + " |")
    lines.append("| " + " | ".join("---" for _ in body.columns) + " |")
    for row in body.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    if table.footnotes:
        lines.append("")
        lines.extend(table.footnotes)
    return "\n".join(lines) + "\n"


def to_html(table: Table, standalone: bool = True) -> str:
    """An HTML table with caption and footnotes; a whole page when ``standalone``.

    Parameters
    ----------
    table : Table
    standalone : bool, default True
        Wrap in a minimal, self-contained HTML document (inline CSS, no links).

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("1", "k", "A<B", pd.DataFrame(), pd.DataFrame({"x": ["1"]}))
    >>> "<caption>Table 1. A&lt;B</caption>" in to_html(t, standalone=False)
    True
    """
    esc = html.escape
    body = table.display
    out = [f'<table class="ldn" id="table-{esc(table.number)}">',
           f"<caption>{esc(table.caption)}</caption>", "<thead><tr>"]
    out.extend(f"<th>{esc(str(c))}</th>" for c in body.columns)
    out.append("</tr></thead><tbody>")
    for row in body.itertuples(index=False):
        out.append("<tr>" + "".join(f"<td>{esc(str(v))}</td>" for v in row) + "</tr>")
    out.append("</tbody>")
    if table.footnotes:
        span = max(len(body.columns), 1)
        notes = "<br>".join(esc(n) for n in table.footnotes)
        out.append(f'<tfoot><tr><td colspan="{span}">{notes}</td></tr></tfoot>')
    out.append("</table>")
    fragment = "\n".join(out) + "\n"
    if not standalone:
        return fragment
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{esc(table.caption)}</title>\n<style>{TABLE_CSS}</style>\n</head>\n<body>\n"
        f"{fragment}</body>\n</html>\n"
    )


TABLE_CSS = (
    "table.ldn{border-collapse:collapse;margin:1em 0;font-family:sans-serif;font-size:10pt}"
    "table.ldn caption{caption-side:top;text-align:left;font-weight:bold;padding:4px 0}"
    "table.ldn th,table.ldn td{border-top:1px solid #444;border-bottom:1px solid #444;"
    "padding:3px 8px;text-align:left}"
    "table.ldn tfoot td{border:none;font-size:8pt;color:#333}"
)

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "≥": r"$\geq$", "≤": r"$\leq$",
}


def _tex(value: object) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(value))


def to_latex(table: Table) -> str:
    r"""A LaTeX ``table`` float using booktabs rules, with caption, label and footnotes.

    Parameters
    ----------
    table : Table

    Returns
    -------
    str
        Needs ``\usepackage{booktabs}`` in the preamble.

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("1", "k", "T", pd.DataFrame(), pd.DataFrame({"p": ["<0.001"]}))
    >>> r"\textless{}0.001 \\" in to_latex(t)
    True
    """
    body = table.display
    lines = [
        r"\begin{table}[htbp]",
        r"\centering",
        rf"\caption{{{_tex(table.title)}}}",
        rf"\label{{tab:{_tex(table.number)}}}",
        r"\begin{tabular}{" + "l" * max(len(body.columns), 1) + "}",
        r"\toprule",
        " & ".join(_tex(c) for c in body.columns) + r" \\",
        r"\midrule",
    ]
    lines.extend(" & ".join(_tex(v) for v in row) + r" \\" for row in body.itertuples(index=False))
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.footnotes:
        lines.append(r"\par\footnotesize")
        lines.extend(_tex(n) + r"\par" for n in table.footnotes)
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def to_docx(table: Table) -> bytes:
    """A one-table Word document; the same table always gives the same bytes.

    Parameters
    ----------
    table : Table

    Returns
    -------
    bytes

    Examples
    --------
    >>> import pandas as pd
    >>> t = Table("1", "k", "T", pd.DataFrame(), pd.DataFrame({"x": ["1"]}))
    >>> to_docx(t) == to_docx(t)
    True
    """
    from ldn_stats.tables.docx import add_table, document_bytes, new_document

    doc = new_document(table.caption)
    add_table(doc, table)
    return document_bytes(doc)


#: extension -> renderer returning str or bytes
RENDERERS = {
    "csv": to_csv,
    "md": to_markdown,
    "html": to_html,
    "tex": to_latex,
    "docx": to_docx,
    "rtf": to_rtf,
}
