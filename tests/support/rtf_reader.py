"""A small, independent RTF reader for the tests: paragraphs, table rows and row flags.

Written from the RTF 1.9.1 specification, not from the writer: it tokenizes
control words, control symbols, ``\\uN`` escapes (skipping ``\\ucN`` fallback
characters), ``\\'hh`` bytes and groups; skips the destinations that carry no body
text (font and colour tables, info, headers, footers, ``\\*`` groups); and
collects the text of each ``\\cell`` into rows ended by ``\\row``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"\\([a-z]{1,32})(-?\d{1,10})? ?"  # control word, optional parameter, one delimiter space
    r"|\\'([0-9a-fA-F]{2})"  # hex byte
    r"|\\(.)"  # control symbol
    r"|([{}])"  # group
    r"|([\r\n]+)"  # line ends carry no meaning
    r"|([^\\{}\r\n]+)",  # text
    re.S,
)
_SKIP = {"fonttbl", "colortbl", "stylesheet", "info", "header", "footer", "headerl", "headerr",
         "footerl", "footerr", "pict", "listtable", "listoverridetable"}


@dataclass
class Row:
    cells: list[str]
    words: set[str]  # row-definition control words seen (trhdr, trkeep ...)


@dataclass
class Document:
    words: set[str] = field(default_factory=set)  # every control word in the document
    paragraphs: list[str] = field(default_factory=list)  # paragraphs outside tables
    rows: list[Row] = field(default_factory=list)
    params: dict[str, list[int]] = field(default_factory=dict)


def read_rtf(text: str) -> Document:
    if not text.startswith("{\\rtf1"):
        raise ValueError("not an RTF document")
    doc = Document()
    stack: list[tuple[bool, int]] = []
    skip, uc, pending_skip = False, 1, 0
    para: list[str] = []
    cells: list[str] = []
    row_words: set[str] = set()
    in_table = False

    def emit(s: str) -> None:
        nonlocal pending_skip
        for ch in s:
            if pending_skip:
                pending_skip -= 1
                continue
            if not skip:
                para.append(ch)

    for m in _TOKEN.finditer(text):
        word, param, hexbyte, symbol, brace, _eol, chars = m.groups()
        if brace == "{":
            stack.append((skip, uc))
            continue
        if brace == "}":
            skip, uc = stack.pop()
            continue
        if symbol is not None:
            if symbol == "*":
                skip = True
            elif symbol in "\\{}":
                emit(symbol)
            elif symbol == "~":
                emit("\u00a0")
            continue
        if hexbyte is not None:
            emit(bytes([int(hexbyte, 16)]).decode("cp1252"))
            continue
        if word is not None:
            doc.words.add(word)
            if param is not None:
                doc.params.setdefault(word, []).append(int(param))
            if word in _SKIP:
                skip = True
            elif word == "uc":
                uc = int(param)
            elif word == "u":
                if not skip:
                    unit = int(param) % 65536
                    para.append(chr(unit))
                pending_skip = uc
            elif word == "trowd":
                row_words = {"trowd"}
            elif word.startswith("tr") or word.startswith("cl") or word == "cellx":
                row_words.add(word)
            elif word == "intbl":
                in_table = True
            elif word == "pard":
                in_table = False
            elif word == "cell" and not skip:
                cells.append("".join(para))
                para.clear()
            elif word == "row" and not skip:
                doc.rows.append(Row(cells, row_words))
                cells, row_words = [], set()
                para.clear()
            elif word == "par" and not skip:
                if not in_table:
                    doc.paragraphs.append("".join(para))
                para.clear()
            elif word == "line":
                emit("\n")
            elif word == "tab":
                emit("\t")
            continue
        if chars is not None:
            emit(chars)
    # surrogate pairs written as two \u escapes
    for r in doc.rows:
        r.cells = [c.encode("utf-16", "surrogatepass").decode("utf-16") for c in r.cells]
    return doc
