"""Crossover analyses: the mixed model on period endpoints, 2x2 companions, daily diaries.

- :mod:`~ldn_stats.models.crossover.prepare`: column checks, period order, the 2x2 wide form;
- :mod:`~ldn_stats.models.crossover.fit`: :func:`crossover` through the MMRM engine;
- :mod:`~ldn_stats.models.crossover.two_by_two`: Hills-Armitage, carryover on totals,
  within-subject effect sizes (parametric);
- :mod:`~ldn_stats.models.crossover.nonparametric`: Wilcoxon-Mann-Whitney with
  Hodges-Lehmann, McNemar, Mainland-Gart;
- :mod:`~ldn_stats.models.crossover.diary`: the daily-diary mixed model;
- :mod:`~ldn_stats.models.crossover.designs`: sequences, Williams designs, balance checks.

The public names are :func:`ldn_stats.crossover` and :class:`ldn_stats.CrossoverResult`.

Examples
--------
>>> from ldn_stats.models.crossover import crossover
>>> import ldn_stats
>>> ldn_stats.crossover is crossover
True
"""

from __future__ import annotations

from ldn_stats.models.crossover.diary import diary_crossover
from ldn_stats.models.crossover.fit import CrossoverResult, crossover

__all__ = ["CrossoverResult", "crossover", "diary_crossover"]
