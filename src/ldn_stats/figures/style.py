"""One figure style for every report figure, and byte-reproducible saving.

The palette is Okabe and Ito's colour-blind-safe set (reference arm in grey).
:func:`save_figure` renders PNG, SVG and PDF with fixed metadata (no dates),
a fixed SVG hash salt, a bundled font (DejaVu Sans) and fixed DPI, so the same
figure gives the same bytes on every run and machine with the same library
versions.

Examples
--------
>>> colours = arm_colours(["LDN", "PBO"], reference="PBO")
>>> colours["PBO"], colours["LDN"]
('#7F7F7F', '#0072B2')
>>> with figure_style():
...     import matplotlib.pyplot as plt
...     fig, ax = plt.subplots()
...     _ = ax.plot([0, 1], [0, 1])
...     files = save_figure(fig)
>>> sorted(files), files["svg"] == save_figure(fig)["svg"]
(['pdf', 'png', 'svg'], True)
>>> plt.close(fig)
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

__all__ = ["OKABE_ITO", "REFERENCE_GREY", "arm_colours", "figure_style", "save_figure"]

#: Okabe & Ito (2008) colour-blind-safe palette, black and yellow left out
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
REFERENCE_GREY = "#7F7F7F"
DPI = 150
CREATOR = "ldn_stats"

_RC = {
    "svg.hashsalt": "ldn_stats",
    "svg.fonttype": "path",
    "pdf.fonttype": 3,
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "lines.linewidth": 1.5,
    "path.simplify": False,
}


def arm_colours(levels: Sequence[str], reference: str | None = None) -> dict[str, str]:
    """Colour for each arm: grey for the reference, Okabe-Ito colours for the others.

    Parameters
    ----------
    levels : sequence of str
        Arm (or sequence) labels.
    reference : str, optional
        The reference level, drawn in grey.

    Returns
    -------
    dict of str to str
        Hex colours; levels other than the reference take the palette in sorted order.

    Examples
    --------
    >>> arm_colours(["B", "A"])
    {'A': '#0072B2', 'B': '#D55E00'}
    """
    out: dict[str, str] = {}
    others = sorted(v for v in levels if v != reference)
    for i, lev in enumerate(others):
        out[lev] = OKABE_ITO[i % len(OKABE_ITO)]
    if reference is not None and reference in levels:
        out[reference] = REFERENCE_GREY
    return out


@contextmanager
def figure_style() -> Iterator[None]:
    """Context in which figures are drawn with the report style.

    Yields
    ------
    None

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with figure_style():
    ...     mpl.rcParams["svg.hashsalt"]
    'ldn_stats'
    """
    with plt.rc_context(_RC):
        yield


_METADATA = {
    "png": {"Software": CREATOR},
    "svg": {"Date": None, "Creator": CREATOR},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": CREATOR, "Producer": CREATOR},
}


def save_figure(fig: matplotlib.figure.Figure,
                formats: Sequence[str] = ("png", "svg", "pdf")) -> dict[str, bytes]:
    """Render a figure to bytes in each format with fixed metadata.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    formats : sequence of str, default ("png", "svg", "pdf")

    Returns
    -------
    dict of str to bytes
        Format -> file content.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> save_figure(Figure(), ("svg",))["svg"][:5]
    b'<?xml'
    """
    out: dict[str, bytes] = {}
    with plt.rc_context(_RC):
        # lay out once, then freeze positions: the same layout in every format
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
        for fmt in formats:
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
            out[fmt] = buf.getvalue()
    return out
