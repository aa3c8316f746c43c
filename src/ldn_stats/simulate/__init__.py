"""Simulated LDN pain trials: seeded, deterministic, calibrated to published trials.

:func:`simulate_trial` turns a design (:class:`ParallelDesign`,
:class:`CrossoverDesign`) or a preset name from :data:`PRESETS` and a seed
into the ``adsl``, ``adeff`` and ``adae`` tables of the data contract.  The
model is described in :mod:`ldn_stats.simulate.simulator` and
:mod:`ldn_stats.simulate.diary`; the calibration in
:mod:`ldn_stats.simulate.presets`.

Examples
--------
>>> from ldn_stats.simulate import PRESETS, simulate_trial
>>> t = simulate_trial("younger2013", seed=1)
>>> t["adsl"]["TRTSEQP"].value_counts().sort_index().to_dict()
{'LDN-PBO': 16, 'PBO-LDN': 15}
>>> t["adeff"]["PARAMCD"].unique().tolist()
['PAINVAS']
"""

from __future__ import annotations

from ldn_stats.simulate.components import (
    NRS,
    VAS,
    AdverseEvent,
    Dropout,
    PlaceboResponse,
    Population,
    Scale,
    Treatment,
)
from ldn_stats.simulate.design import CrossoverDesign, ParallelDesign, TrialDesign
from ldn_stats.simulate.presets import PRESETS
from ldn_stats.simulate.simulator import resolve_design, simulate_trial

__all__ = [
    "NRS",
    "PRESETS",
    "VAS",
    "AdverseEvent",
    "CrossoverDesign",
    "Dropout",
    "ParallelDesign",
    "PlaceboResponse",
    "Population",
    "Scale",
    "Treatment",
    "TrialDesign",
    "resolve_design",
    "simulate_trial",
]
