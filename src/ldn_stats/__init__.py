"""ldn_stats: analysis of low-dose naltrexone (LDN) chronic-pain trials.

Validated ADaM-style trial tables go in (:func:`read_trial`); mixed models of
pain-score change (:func:`mmrm`, :func:`crossover`) and reproducible tables,
figures and appendices come out.

The public names are imported lazily, so ``import ldn_stats`` stays fast and a
command such as ``ldn-stats validate`` does not load the modelling stack.

Examples
--------
>>> import ldn_stats
>>> ldn_stats.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "read_trial": "ldn_stats.trial",
    "Trial": "ldn_stats.trial",
    "simulate_trial": "ldn_stats.simulate",
    "DeriveRules": "ldn_stats.derive",
    "derive_parallel": "ldn_stats.derive",
    "derive_crossover": "ldn_stats.derive",
    "validate_tables": "ldn_stats.trial",
    "mmrm": "ldn_stats.models.mmrm",
    "MMRMResult": "ldn_stats.models.mmrm",
    "crossover": "ldn_stats.models.crossover",
    "diary_crossover": "ldn_stats.models.crossover",
    "CrossoverResult": "ldn_stats.models.crossover",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ldn_stats' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
