"""The report table: numbers plus their formatted display, number, title, footnotes.

A :class:`Table` keeps both faces of one table: ``numeric`` (what the CSV holds,
numbers as numbers) and ``display`` (strings formatted by
:mod:`ldn_stats.tables.format`), with the number, title and footnotes that
name the population, the model and the degrees-of-freedom method.

Examples
--------
>>> import pandas as pd
>>> t = Table(number="1.1", key="demo", title="A table",
...           numeric=pd.DataFrame({"x": [1.5]}), display=pd.DataFrame({"x": ["1.5"]}),
...           footnotes=("Population: ITT.",))
>>> t.label
'Table 1.1'
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["Table"]


@dataclass(frozen=True)
class Table:
    """One numbered report table.

    Parameters
    ----------
    number : str
        The table number without the word, e.g. ``"1.3"``.
    key : str
        File stem of the outputs (``"lsmeans"`` -> ``lsmeans.csv`` ...).
    title : str
        The title shown after the number.
    numeric : pandas.DataFrame
        The numbers (written to CSV); column names are the result vocabulary.
    display : pandas.DataFrame
        The same rows formatted for reading; every cell a string.
    footnotes : tuple of str
        Population, model, df method and any conventions used.

    Examples
    --------
    >>> import pandas as pd
    >>> Table("2.1", "k", "T", pd.DataFrame(), pd.DataFrame()).caption
    'Table 2.1. T'
    """

    number: str
    key: str
    title: str
    numeric: pd.DataFrame
    display: pd.DataFrame
    footnotes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``'Table <number>'``."""
        return f"Table {self.number}"

    @property
    def caption(self) -> str:
        """``'Table <number>. <title>'``."""
        return f"{self.label}. {self.title}"
