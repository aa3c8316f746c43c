"""A numbered report figure: caption plus its rendered files.

Examples
--------
>>> f = ReportFigure("1.2", "waterfall", "Waterfall", "Bars are subjects.", {"png": b""})
>>> f.label, f.caption
('Figure 1.2', 'Figure 1.2. Waterfall. Bars are subjects.')
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReportFigure"]


@dataclass(frozen=True)
class ReportFigure:
    """One numbered figure.

    Parameters
    ----------
    number : str
        ``"<section>.<k>"``.
    key : str
        File stem.
    title : str
    note : str
        What is shown: population, statistic, model.
    files : dict of str to bytes
        Format (``png``, ``svg``, ``pdf``) -> content.

    Examples
    --------
    >>> ReportFigure("2.1", "k", "Title", "", {}).label
    'Figure 2.1'
    """

    number: str
    key: str
    title: str
    note: str
    files: dict[str, bytes]

    @property
    def label(self) -> str:
        """``'Figure <number>'``."""
        return f"Figure {self.number}"

    @property
    def caption(self) -> str:
        """``'Figure <number>. <title>. <note>'``."""
        return f"{self.label}. {self.title}. {self.note}".rstrip()
