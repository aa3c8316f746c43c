"""Scenarios of a design spec: the grid, the simulated design of each, and the seeds.

A scenario is one combination of the ``[scenarios]`` values.  Its *key* is a
hash of the spec's root seed, preset, analysis and the scenario's own
parameters, so adding a value to a list never changes the seeds (or results)
of the other scenarios.  Replicate ``r`` of a scenario simulates its trial
with the seed drawn from ``numpy.random.SeedSequence(root seed,
spawn_key=(scenario words..., r))``: the same numbers whatever the number of
workers, the chunking or the order in which chunks finish.

Examples
--------
>>> from ldn_stats.power.spec import parse_design_spec
>>> s = parse_design_spec('''
... [design]
... name = "d"
... preset = "final"
... seed = 7
... replicates = 4
... [scenarios]
... n_per_arm = [20, 30]
... effect = -0.5
... [analysis]
... kind = "ancova"
... formula = "CHG ~ BASE + TRT01P"
... ''')
>>> sc = scenarios(s)
>>> [x.params["n_per_arm"] for x in sc], sc[0].design(s).allocation
([20, 30], (20, 20))
>>> replicate_seed(s, sc[0], 3) == replicate_seed(s, sc[0], 3) != replicate_seed(s, sc[1], 3)
True
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ldn_stats.errors import SpecError
from ldn_stats.power.spec import DesignSpec
from ldn_stats.simulate import CrossoverDesign, Dropout, ParallelDesign, resolve_design

__all__ = ["Scenario", "build_design", "replicate_seed", "scenarios"]


@dataclass(frozen=True)
class Scenario:
    """One combination of the spec's scenario values.

    Attributes
    ----------
    index : int
        Position in the grid (row of ``results.csv``).
    params : dict
        The varied and fixed scenario keys with their values, in spec order.
    key : str
        Hex digest identifying the scenario (seeds, persisted chunks).
    """

    index: int
    params: dict[str, Any]
    key: str

    def design(self, spec: DesignSpec, n_per_arm: int | None = None,
               dropout: bool = True) -> ParallelDesign | CrossoverDesign:
        """The simulated design of this scenario (optionally another size, no dropout)."""
        p = dict(self.params)
        if n_per_arm is not None:
            p["n_per_arm"] = n_per_arm
        if not dropout:
            p["dropout_rate"] = 0.0
            p.pop("dropout_mechanism", None)
            p.pop("dropout_strength", None)
        return build_design(spec, p)


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def scenarios(spec: DesignSpec) -> list[Scenario]:
    """Every scenario of ``spec``: the product of the value lists, last key fastest."""
    keys = list(spec.grid)
    out = []
    scope = {"seed": spec.seed, "preset": spec.preset, "active": spec.active,
             "control": spec.control, "analysis": spec.analysis.as_dict()}
    for i, combo in enumerate(itertools.product(*(spec.grid[k] for k in keys))):
        params = dict(zip(keys, combo, strict=True))
        key = hashlib.sha256(_canonical({**scope, "params": params}).encode()).hexdigest()
        out.append(Scenario(i, params, key))
    return out


def replicate_seed(spec: DesignSpec, scenario: Scenario, replicate: int) -> int:
    """Simulator seed of one replicate: ``SeedSequence(root, spawn_key=(scenario, r))``."""
    words = tuple(int(scenario.key[i:i + 8], 16) for i in range(0, 32, 8))
    ss = np.random.SeedSequence(spec.seed, spawn_key=(*words, int(replicate)))
    return int(ss.generate_state(1, np.uint64)[0])


@functools.lru_cache(maxsize=32)
def _level_mean(preset: str) -> float:
    from ldn_stats.simulate.simulator import entry_level_mean

    return entry_level_mean(preset)


def build_design(spec: DesignSpec, params: dict[str, Any]) -> ParallelDesign | CrossoverDesign:
    """Apply scenario parameters to the spec's preset.

    ``effect`` (points) becomes the active treatment's proportional effect
    ``effect / E[level | entry]`` (see
    :func:`ldn_stats.simulate.simulator.entry_level_mean`).

    Raises
    ------
    SpecError
        The preset has no treatment ``active``/``control``, or the resulting
        design is invalid (the simulator's message names the field).
    """
    base = resolve_design(spec.preset)
    codes = [t.code for t in base.treatments]
    for role, code in (("active", spec.active), ("control", spec.control)):
        if code not in codes:
            raise SpecError(f"{spec.source}: design.{role}: preset {spec.preset!r} has no "
                            f"treatment {code!r}; it has {codes}")
    treatments = []
    for t in base.treatments:
        if t.code == spec.active:
            changes: dict[str, Any] = {}
            if "effect" in params:
                changes["effect"] = params["effect"] / _level_mean(spec.preset)
            if "responder_share" in params:
                changes["responder_share"] = params["responder_share"]
            t = dataclasses.replace(t, **changes)
        treatments.append(t)
    d = base.dropout
    dropout = Dropout(rate=params.get("dropout_rate", d.rate),
                      mechanism=params.get("dropout_mechanism", d.mechanism),
                      strength=params.get("dropout_strength",
                                          d.strength if "dropout_mechanism" not in params
                                          or params["dropout_mechanism"] != "MCAR" else 0.0))
    if dropout.mechanism == "MCAR":
        dropout = Dropout(rate=dropout.rate, mechanism="MCAR")
    kind = params.get("design", "parallel" if isinstance(base, ParallelDesign) else "crossover")
    common = {"name": f"{spec.name}", "study_id": base.study_id, "n_sites": base.n_sites,
              "run_in_days": base.run_in_days, "scale": base.scale,
              "population": base.population, "placebo_response": base.placebo_response,
              "treatments": tuple(treatments), "dropout": dropout}
    if kind == "parallel":
        n = params.get("n_per_arm")
        allocation = (n, n) if n is not None else (
            base.allocation if isinstance(base, ParallelDesign) else (20, 20))
        weeks = params.get("weeks", base.weeks if isinstance(base, ParallelDesign) else 12)
        extra = {"follow_up_days": base.follow_up_days} if isinstance(base, ParallelDesign) \
            else {}
        return ParallelDesign(arms=(spec.active, spec.control), allocation=allocation,
                              weeks=weeks, ae_withdrawal=base.ae_withdrawal
                              if isinstance(base, ParallelDesign) else "study",
                              **extra, **common)
    a, c = spec.active, spec.control
    n = params.get("n_per_arm")
    if isinstance(base, CrossoverDesign):
        allocation = (n, n) if n is not None else base.allocation
        period = base.period_days
        washout = base.washout_days
    else:
        allocation = (n, n) if n is not None else tuple(x // 2 for x in base.allocation)
        period = (28, 28)
        washout = (14,)
    if "period_days" in params:
        period = (params["period_days"],) * 2
    if "washout_days" in params:
        washout = (params["washout_days"], *tuple(washout)[1:])
    if isinstance(base, CrossoverDesign) and tuple(base.sequences) == (f"{a}-{c}", f"{c}-{a}"):
        sequences = tuple(base.sequences)
    else:
        sequences = (f"{a}-{c}", f"{c}-{a}")
    return CrossoverDesign(sequences=sequences, allocation=allocation, period_days=period,
                           washout_days=washout, ae_withdrawal="study", **common)
