"""Run a design spec: pilots and replicate chunks on Dask, persisted as they finish.

Layout under the output directory ``DIR``::

    DIR/<name>/results.{csv,md,html}   one row per scenario (see ldn_stats.power.summary)
    DIR/<name>/replicates.csv          one row per scenario x replicate
    DIR/<name>/figures/power_curves.{png,svg}  power against n per effect, MC-error bands
    DIR/<name>/index.html              the design page (replicate count and MC error stated)
    DIR/<name>/run.json                what was run: spec hash, replicates, pilot statistics
    DIR/<name>/outputs.json            catalogue for the appendix (as an analysis's)
    DIR/<name>.chunks/<code>/          finished chunks and pilots, kept for resuming

``DIR/<name>/`` is written in a temporary folder and moved into place only when
complete.  Each finished chunk is written (atomically) to ``DIR/<name>.chunks/``
as soon as it arrives, so a killed run restarted with the same spec continues
with the missing replicates only, and gives the same bytes as an uninterrupted
run: replicate ``r`` of a scenario always has the same seed.  ``<code>`` is a
hash of the package source and library versions; chunks of another version are
not reused.  A larger ``--replicates`` reuses the smaller run's replicates.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ldn_stats.errors import SpecError
from ldn_stats.io import atomic_write_text
from ldn_stats.power.replicate import RECORD_FIELDS, ChunkTask, Record, run_chunk
from ldn_stats.power.scenarios import Scenario, scenarios
from ldn_stats.power.spec import DesignSpec, load_design_spec

__all__ = ["PowerRun", "ensure_design_page", "fingerprint", "is_design_spec", "run_power"]


@dataclass(frozen=True)
class PilotTask:
    """The pilot trials (without and with dropout) of a group of scenarios differing in n."""

    spec: DesignSpec
    scenario: Scenario
    key: str


@dataclass(frozen=True)
class PowerRun:
    """What :func:`run_power` computed and wrote."""

    spec: DesignSpec
    replicates: int
    results: Any  # pandas.DataFrame, one row per scenario
    files: list[Path]
    chunks_run: int
    chunks_reused: int


def _pilot_key(spec: DesignSpec, sc: Scenario, truth: bool = False) -> str:
    drop = {"n_per_arm"} | ({"dropout_rate", "dropout_mechanism", "dropout_strength"}
                            if truth else set())
    p = {k: v for k, v in sc.params.items() if k not in drop}
    blob = json.dumps({"seed": spec.seed, "preset": spec.preset, "params": p,
                       "n": spec.truth_n_per_arm if truth else spec.pilot_n_per_arm,
                       "what": "truth" if truth else "pilot", "kind": spec.analysis.kind,
                       "active": spec.active, "control": spec.control,
                       "outcome": spec.analysis.outcome}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def run_pilot(task: PilotTask) -> dict:
    """Simulate and derive the pilot trials of ``task``; return their statistics.

    Two trials of ``design.pilot_n_per_arm`` per arm: the scenario without
    dropout (variances) and with its dropout (retention).
    """

    from ldn_stats.power.analytic import pilot_statistics

    spec, sc = task.spec, task.scenario
    words = tuple(int(task.key[i:i + 8], 16) for i in range(0, 32, 8))

    complete = _derived(spec, sc, words, dropout=False, null=False, k=0,
                        allocation=spec.pilot_n_per_arm)
    dropped = _derived(spec, sc, words, dropout=True, null=False, k=1,
                       allocation=spec.pilot_n_per_arm)
    return pilot_statistics(complete, dropped, spec.analysis.kind, spec.active,
                            spec.control, spec.analysis.outcome)


def _derived(spec: DesignSpec, sc: Scenario, words: tuple[int, ...], *, dropout: bool,
             null: bool, k: int, allocation: int | tuple[int, int]):
    """The analysis table of one seeded auxiliary trial of scenario ``sc``."""
    import numpy as np

    from ldn_stats import derive_crossover, derive_parallel, simulate_trial
    from ldn_stats.power.replicate import _as_trial

    params = dict(sc.params)
    if null:
        params["effect"] = 0.0
    n = allocation if isinstance(allocation, tuple) else (allocation, allocation)
    params["n_per_arm"] = n[0]
    design = Scenario(sc.index, params, sc.key).design(spec, dropout=dropout)
    design = dataclasses.replace(design, allocation=n)
    seed = int(np.random.SeedSequence(spec.seed, spawn_key=(*words, 0xFFFFFFFF, k))
               .generate_state(1, np.uint64)[0])
    t = simulate_trial(design, seed=seed)
    param = t["adeff"]["PARAMCD"].iloc[0]
    if spec.analysis.kind == "crossover":
        d = derive_crossover(_as_trial(t, "crossover"), param=param)
    else:
        d = derive_parallel(_as_trial(t, "parallel"), param=param)
    return d[d["ANL01FL"] == "Y"]


@dataclass(frozen=True)
class TruthTask:
    """Twin trials giving a scenario's true effect (shared by scenarios differing in n, dropout)."""

    spec: DesignSpec
    scenario: Scenario
    key: str


def run_truth(task: TruthTask) -> dict:
    """The true effect at the primary time point and its Monte-Carlo SE.

    Twin trials of ``design.truth_n_per_arm`` subjects on the active drug (and
    one on control), without dropout: the scenario and the same trial (same
    seed, so the same random numbers) with effect 0.  See
    :func:`ldn_stats.power.analytic.twin_effect`; AE stops and clipping at the
    scale's ends are included.
    """
    from ldn_stats.power.analytic import twin_effect

    spec, sc = task.spec, task.scenario
    words = tuple(int(task.key[i:i + 8], 16) for i in range(0, 32, 8))
    alloc = (spec.truth_n_per_arm, 1)
    a = _derived(spec, sc, words, dropout=False, null=False, k=2, allocation=alloc)
    b = _derived(spec, sc, words, dropout=False, null=True, k=2, allocation=alloc)
    est, se = twin_effect(a, b, spec.analysis.kind, spec.active, spec.analysis.outcome)
    return {"true_effect": est, "true_effect_mcse": se}


def _run_task(task: ChunkTask | PilotTask | TruthTask) -> Any:
    if isinstance(task, PilotTask):
        return run_pilot(task)
    if isinstance(task, TruthTask):
        return run_truth(task)
    return run_chunk(task)


def _code_hash() -> str:
    from ldn_stats.report.contract import package_source_hash, versions

    blob = package_source_hash() + json.dumps(versions(), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _records_csv(records: Iterable[Record]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(RECORD_FIELDS)
    for r in records:
        w.writerow([_fmt(getattr(r, f)) for f in RECORD_FIELDS])
    return buf.getvalue()


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    return str(v)


def _parse_records(text: str) -> list[Record]:
    out = []
    for row in csv.DictReader(io.StringIO(text)):
        def f(k: str, row: dict = row) -> float:
            return float(row[k]) if row[k] != "" else math.nan
        out.append(Record(int(row["scenario"]), int(row["replicate"]), row["status"],
                          f("estimate"), f("std_error"), f("df"), f("p_value"), f("conf_low"),
                          f("conf_high"), int(row["n_complete"])))
    return out


class _Store:
    """Finished chunks and pilots of one spec under ``DIR/<name>.chunks/<code>/``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def chunk_path(self, sc: Scenario, reps: tuple[int, ...]) -> Path:
        return self.root / f"{sc.key[:20]}-{reps[0]:06d}-{reps[-1]:06d}.csv"

    def load_chunks(self, sc: Scenario) -> dict[int, Record]:
        have: dict[int, Record] = {}
        for p in sorted(self.root.glob(f"{sc.key[:20]}-*.csv")):
            for r in _parse_records(p.read_text(encoding="utf-8")):
                have[r.replicate] = dataclasses.replace(r, scenario=sc.index)
        return have

    def save_chunk(self, task: ChunkTask, records: list[Record]) -> None:
        atomic_write_text(self.chunk_path(task.scenario, task.replicates),
                          _records_csv(records))

    def pilot_path(self, key: str) -> Path:
        return self.root / f"pilot-{key[:20]}.json"

    def load_pilot(self, key: str) -> dict | None:
        p = self.pilot_path(key)
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None

    def save_pilot(self, key: str, stats: dict) -> None:
        atomic_write_text(self.pilot_path(key), json.dumps(stats, sort_keys=True) + "\n")


def fingerprint(spec: DesignSpec) -> str:
    """What a design page depends on: the spec's bytes and the package and library versions.

    The replicate count is not part of it: a full run stays current for a quick build.
    """
    return hashlib.sha256(f"{spec.sha256}:{_code_hash()}".encode()).hexdigest()


def is_design_spec(path: str | Path) -> bool:
    """Whether the TOML file at ``path`` is a design spec (a top-level ``[design]`` table).

    An unreadable or invalid file is not (its own loader reports the problem).
    """
    import tomllib

    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(doc.get("design"), dict)


def ensure_design_page(path: str | Path, out: str | Path, **kwargs: Any) -> DesignSpec:
    """Build the quick design page of the spec at ``path`` unless a current one exists.

    Current means ``out/<name>/outputs.json`` records this spec's and package's
    :func:`fingerprint`, whatever its replicate count (so a full ``make power`` run
    is kept).  Used by ``ldn-stats report`` to put design pages in the appendix.
    """
    spec = load_design_spec(path)
    try:
        cat = json.loads((Path(out) / spec.name / "outputs.json").read_text(encoding="utf-8"))
        current = cat.get("fingerprint") == fingerprint(spec)
    except (OSError, ValueError):
        current = False
    if not current:
        run_power(spec, out, replicates=spec.quick_replicates, **kwargs)
    return spec


def plan_chunks(missing: list[int], size: int) -> list[tuple[int, ...]]:
    """Cut the sorted replicate numbers into runs of at most ``size`` consecutive ones.

    Examples
    --------
    >>> plan_chunks([0, 1, 2, 5, 6, 9], 2)
    [(0, 1), (2,), (5, 6), (9,)]
    """
    out: list[tuple[int, ...]] = []
    cur: list[int] = []
    for r in missing:
        if cur and (r != cur[-1] + 1 or len(cur) == size):
            out.append(tuple(cur))
            cur = []
        cur.append(r)
    if cur:
        out.append(tuple(cur))
    return out


def run_power(spec: DesignSpec | str | Path, out: str | Path, *, replicates: int | None = None,
              workers: int | None = None, scheduler: str | None = None,
              client: Any = None, chunk_size: int | None = None,
              progress: bool | None = None, max_chunks: int | None = None) -> PowerRun:
    """Run a design spec and write its results under ``out/<name>/``.

    Parameters
    ----------
    spec : DesignSpec or path
        The design spec (a path is read with :func:`load_design_spec`).
    out : str or path
        Output directory ``DIR``.
    replicates : int, optional
        Overrides ``design.replicates``.
    workers : int, optional
        Embedded ``LocalCluster`` size (default: one per core); ``0`` runs serially
        in this process.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://127.0.0.1:8786``).
    client : distributed.Client, optional
        Use this client (``workers`` and ``scheduler`` are then ignored).
    chunk_size : int, optional
        Replicates per task (default ``design.chunk_size``); does not change results.
    progress : bool, optional
        Progress bar; default only on a terminal.
    max_chunks : int, optional
        Stop after running this many new chunks, without writing results
        (simulates an interrupted run; for tests).

    Returns
    -------
    PowerRun

    Raises
    ------
    SpecError
        Invalid spec or arguments.
    ParallelError
        The cluster cannot be used or lost a task.

    Examples
    --------
    >>> run_power("no/such.toml", "out")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: such.toml: cannot read design spec no/such.toml: ...
    """
    import pandas as pd

    from ldn_stats.parallel import map_chunks, pinned_blas
    from ldn_stats.power.analytic import analytic_power
    from ldn_stats.power.outputs import write_outputs
    from ldn_stats.power.summary import summarise

    if not isinstance(spec, DesignSpec):
        spec = load_design_spec(spec)
    R = spec.replicates if replicates is None else replicates
    if isinstance(R, bool) or not isinstance(R, int) or R < 1:
        raise SpecError(f"replicates: expected an integer >= 1, found {R!r}")
    size = spec.chunk_size if chunk_size is None else chunk_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SpecError(f"chunk_size: expected an integer >= 1, found {size!r}")
    out = Path(out)
    scs = scenarios(spec)
    for sc in scs:  # every design is checked here, before anything is written
        sc.design(spec)
    store = _Store(out / f"{spec.name}.chunks" / _code_hash())

    records: dict[int, dict[int, Record]] = {}
    tasks: list[ChunkTask | PilotTask] = []
    pilots: dict[str, dict] = {}
    pilot_of: dict[int, str] = {}
    for sc in scs:
        pk = _pilot_key(spec, sc)
        pilot_of[sc.index] = pk
        if pk not in pilots:
            got = store.load_pilot(pk)
            if got is None:
                pilots[pk] = {}
                tasks.append(PilotTask(spec, sc, pk))
            else:
                pilots[pk] = got
    truth_of: dict[int, str | None] = {}
    for sc in scs:
        if sc.params.get("effect", 0.0) == 0:
            truth_of[sc.index] = None
            continue
        tk = _pilot_key(spec, sc, truth=True)
        truth_of[sc.index] = tk
        if tk not in pilots:
            got = store.load_pilot(tk)
            if got is None:
                pilots[tk] = {}
                tasks.append(TruthTask(spec, sc, tk))
            else:
                pilots[tk] = got
    n_pilot_tasks = len(tasks)
    reused = 0
    for sc in scs:
        have = store.load_chunks(sc)
        records[sc.index] = {r: rec for r, rec in have.items() if r < R}
        reused += len(records[sc.index])
        missing = [r for r in range(R) if r not in records[sc.index]]
        tasks.extend(ChunkTask(spec, sc, reps) for reps in plan_chunks(missing, size))
    if max_chunks is not None:
        tasks = tasks[:n_pilot_tasks + max_chunks]

    def on_result(i: int, result: Any) -> None:
        task = tasks[i]
        if isinstance(task, PilotTask | TruthTask):
            store.save_pilot(task.key, result)
            pilots[task.key] = json.loads(json.dumps(result, sort_keys=True))
        else:
            store.save_chunk(task, result)
            for rec in result:
                records[task.scenario.index][rec.replicate] = rec

    if tasks:
        map_chunks(_run_task, tasks, client=client, workers=workers, scheduler=scheduler,
                   progress=progress,
                   desc=f"power {spec.name}", on_result=on_result)
    n_run = len(tasks) - n_pilot_tasks
    if max_chunks is not None:
        return PowerRun(spec, R, None, [], n_run, reused)

    null_of: dict[int, Scenario | None] = {}
    by_params = {json.dumps({k: v for k, v in sc.params.items() if k != "effect"},
                            sort_keys=True): [] for sc in scs}
    for sc in scs:
        by_params[json.dumps({k: v for k, v in sc.params.items() if k != "effect"},
                             sort_keys=True)].append(sc)
    for sc in scs:
        group = by_params[json.dumps({k: v for k, v in sc.params.items() if k != "effect"},
                                     sort_keys=True)]
        nulls = [g for g in group if g.params.get("effect", 0.0) == 0]
        null_of[sc.index] = nulls[0] if nulls else None

    rows = []
    with pinned_blas():
        for sc in scs:
            recs = [records[sc.index][r] for r in range(R)]
            null = null_of[sc.index]
            null_recs = [records[null.index][r] for r in range(R)] if null is not None else None
            pilot = pilots[pilot_of[sc.index]]
            tk = truth_of[sc.index]
            truth = pilots[tk]["true_effect"] if tk is not None else 0.0
            row: dict[str, Any] = {"scenario": sc.index, **sc.params, "true_effect": truth,
                                   "true_effect_mcse": pilots[tk]["true_effect_mcse"]
                                   if tk is not None else 0.0}
            row.update(summarise(recs, truth, spec.alpha, null_recs))
            n = sc.params.get("n_per_arm")
            if n is None:
                n = sc.design(spec).allocation[0]
            a = analytic_power(pilot, spec.analysis.kind, int(n), truth,
                               spec.alpha)
            if truth == 0:
                a = {k: math.nan for k in a}
            row.update(a)
            rows.append(row)
    results = pd.DataFrame(rows)
    all_records = [records[sc.index][r] for sc in scs for r in range(R)]
    files = write_outputs(spec, out, R, results, _records_csv(all_records), pilots, pilot_of,
                          fingerprint=fingerprint(spec))
    return PowerRun(spec, R, results, files, n_run, reused)
