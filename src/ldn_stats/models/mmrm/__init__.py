"""The MMRM engine: mixed models for repeated measures with R-side and random effects.

One concept per module:

- :mod:`~ldn_stats.models.mmrm.formula`: the safe formula parser (never evaluated);
- :mod:`~ldn_stats.models.mmrm.design`: fixed-effect design matrices and LS-mean grids;
- :mod:`~ldn_stats.models.mmrm.covariance`: one small class per covariance structure;
- :mod:`~ldn_stats.models.mmrm.likelihood`: REML/ML with analytic derivatives;
- :mod:`~ldn_stats.models.mmrm.optimize`: the optimizers and their stopping rules;
- :mod:`~ldn_stats.models.mmrm.df`: Satterthwaite, between-within and residual df;
- :mod:`~ldn_stats.models.mmrm.kenward_roger`: Kenward-Roger (SAS's and R mmrm's);
- :mod:`~ldn_stats.models.mmrm.result`: the frozen result and its inference methods;
- :mod:`~ldn_stats.models.mmrm.fit`: :func:`mmrm`, which ties them together.

The public names are :func:`ldn_stats.mmrm` and :class:`ldn_stats.MMRMResult`.

Examples
--------
>>> from ldn_stats.models.mmrm import mmrm, MMRMResult
>>> import ldn_stats
>>> ldn_stats.mmrm is mmrm
True
"""

from __future__ import annotations

import importlib
from typing import Any

# imported on first use, so that the submodules (formula, design, ...) can be used by
# the other model layers without loading the whole fit machinery
_EXPORTS = {
    "mmrm": "ldn_stats.models.mmrm.fit",
    "MMRMResult": "ldn_stats.models.mmrm.result",
    "OptimizerInfo": "ldn_stats.models.mmrm.result",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
