"""Derivations: from validated trial tables to analysis tables.

- :class:`DeriveRules`: every rule (baseline window, weekly minimum-days rule,
  responder thresholds, crossover period endpoints and baselines), frozen.
- :func:`derive_parallel`: one row per subject x analysis week (parallel trials).
- :func:`derive_crossover`: one row per subject x period (crossover trials).
- :func:`crossover_diary`: one row per rated day within a crossover period.
- :func:`derive_baseline`, :func:`derive_change`: the building blocks.
- :func:`week_visit_windows`: analysis windows for visit-level records.
- :func:`describe_rules`: the rules in plain words, for a methods section.

Examples
--------
>>> from ldn_stats.derive import DeriveRules
>>> DeriveRules().period_last_k
3
"""

from __future__ import annotations

from ldn_stats.derive.baseline import derive_baseline
from ldn_stats.derive.crossover import crossover_diary, derive_crossover
from ldn_stats.derive.describe import describe_rules
from ldn_stats.derive.parallel import derive_parallel
from ldn_stats.derive.responders import derive_change, responder_flag
from ldn_stats.derive.rules import DeriveRules, VisitWindow, week_visit_windows

__all__ = [
    "DeriveRules",
    "VisitWindow",
    "crossover_diary",
    "derive_baseline",
    "derive_change",
    "derive_crossover",
    "derive_parallel",
    "describe_rules",
    "responder_flag",
    "week_visit_windows",
]
