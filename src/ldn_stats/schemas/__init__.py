"""Pandera models of the trial tables; their field descriptions are the data dictionary.

:data:`MODELS` maps each table name to its model, in the order the published
dictionary (``data/schemas/``, written by :mod:`ldn_stats.schemas.dictionary`)
lists them. It holds every model imported in this module: to publish a new
table, import its model below (one line, ``import X as X`` style) and run
``make schemas``.

Examples
--------
>>> from ldn_stats.schemas import MODELS
>>> list(MODELS)[:3]
['adsl', 'adeff', 'adae']
"""

from __future__ import annotations

from pandera.pandas import DataFrameModel

from ldn_stats.schemas._cross import cross_table_failures as cross_table_failures
from ldn_stats.schemas._failures import collect as collect
from ldn_stats.schemas._failures import format_failures as format_failures
from ldn_stats.schemas._table import check_table as check_table
from ldn_stats.schemas.adae import AdaeModel as AdaeModel
from ldn_stats.schemas.adeff import AdeffModel as AdeffModel
from ldn_stats.schemas.adsl import AdslModel as AdslModel
from ldn_stats.schemas.analysis import AnalysisModel as AnalysisModel
from ldn_stats.schemas.analysis import DiaryModel as DiaryModel

__all__ = ["MODELS", "AdaeModel", "AdeffModel", "AdslModel", "AnalysisModel", "DiaryModel",
           "check_table", "collect", "cross_table_failures", "format_failures"]


# The trial tables come first in the dictionary, then any other model by name.
_FIRST = ("adsl", "adeff", "adae")


def _registry(namespace: dict[str, object]) -> dict[str, type[DataFrameModel]]:
    found = {
        value.to_schema().name: value
        for value in list(namespace.values())
        if isinstance(value, type)
        and issubclass(value, DataFrameModel)
        and value is not DataFrameModel
    }
    order = [n for n in _FIRST if n in found] + sorted(n for n in found if n not in _FIRST)
    return {name: found[name] for name in order}


#: Table name -> pandera model, for every model imported above.
MODELS: dict[str, type[DataFrameModel]] = _registry(globals())
