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
:func:`~ldn_stats.crossover` and :func:`~ldn_stats.diary_crossover` take the column
names as keywords (``subject=``, ``period=``, ``treatment=``, ``sequence=``); the
2x2 companions and helpers take them as one ``columns``, a
:class:`~ldn_stats.vocabulary.Columns` (default :data:`~ldn_stats.vocabulary.COLUMNS`:
``USUBJID``, ``APERIOD``, ``TRTA``, ``TRTSEQP``), e.g.
``hills_armitage(d, columns=dataclasses.replace(COLUMNS, subject="ID"))``.

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
