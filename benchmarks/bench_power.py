"""Design by simulation: throughput of FINAL-size trials and 1 -> 2 worker scaling (printed only).

Run: ``python benchmarks/bench_power.py [--trials N]`` (default 100; the issue's
figure is 1,000).  A FINAL-size trial is the ``final`` preset (99 subjects, 49
LDN / 50 placebo, 12 weekly visits); each is analysed as ``ldn-stats power``
does (the registered ``mmrm`` kind: UN covariance, REML, Kenward-Roger, the
LDN - PBO LS-mean difference at week 12), in one process with BLAS pinned to
one thread as every power task is.

Printed:

- seconds per trial: simulate, derive (+ select), fit (optimizer + KR + LS-means);
- the per-fit floor: one REML objective+gradient evaluation at the solution times
  the optimizer's iterations, plus the Kenward-Roger step (``df_method`` KR minus
  ``residual``), against the measured fit;
- ``run_power`` on 1 and 2 LocalCluster workers (cluster start excluded) and the
  scaling efficiency ``T1 / (2 T2)``;
- R mmrm in a loop over the same simulated data sets (written to a CSV for
  ``benchmarks/bench_power_mmrm.R``), when ``Rscript`` with the mmrm package is
  available (R is never needed by the package or its tests); otherwise a line
  saying it was not measured.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

SPEC = """
[design]
name = "bench"
preset = "final"
seed = 20261201
replicates = {reps}
chunk_size = 5
pilot_n_per_arm = 100
truth_n_per_arm = 500
[scenarios]
effect = -0.34
[analysis]
kind = "mmrm"
formula = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"
df_method = "kenward-roger"
"""


def _throughput(n_trials: int) -> None:
    from ldn_stats import simulate_trial
    from ldn_stats.derive import DeriveRules
    from ldn_stats.models.mmrm import mmrm
    from ldn_stats.parallel import pinned_blas
    from ldn_stats.power import parse_design_spec
    from ldn_stats.power.scenarios import replicate_seed, scenarios
    from ldn_stats.report.kinds import get_kind
    from ldn_stats.report.selection import select

    spec = parse_design_spec(SPEC.format(reps=n_trials), source="bench.toml")
    sc = scenarios(spec)[0]
    design = sc.design(spec)
    kind = get_kind("mmrm")
    rspec = spec.kind_spec
    t_sim = t_der = t_fit = 0.0
    floor = []
    est = []
    frames = []
    with pinned_blas():
        for r in range(n_trials):
            t0 = time.perf_counter()
            tables = simulate_trial(design, seed=replicate_seed(spec, sc, r))
            t1 = time.perf_counter()
            trial = SimpleNamespace(adsl=tables["adsl"], adeff=tables["adeff"], design="parallel")
            sel = select(rspec, trial, kind.derive(trial, DeriveRules(), "PAINNRS"))
            t2 = time.perf_counter()
            fit = kind.fit(sel, rspec.model)
            t3 = time.perf_counter()
            t_sim, t_der, t_fit = t_sim + t1 - t0, t_der + t2 - t1, t_fit + t3 - t2
            est.append(float(fit.primary()["estimate"]))
            frames.append(sel.ana[["USUBJID", "TRT01P", "AVISIT", "AVISITN", "BASE", "CHG"]]
                          .assign(trial=r))
            if r < 5:  # the floor, on the first trials
                res = fit.model
                theta = res._theta
                k = 20
                s = time.perf_counter()
                for _ in range(k):
                    res._lik.value_and_grad(theta)
                per_eval = (time.perf_counter() - s) / k
                data = sel.ana.copy()
                import pandas as pd
                data["TRT01P"] = pd.Categorical(data["TRT01P"].astype(str),
                                                categories=sel.ordered_levels)
                data["AVISIT"] = pd.Categorical(data["AVISIT"].astype(str),
                                                categories=sel.visits, ordered=True)
                s = time.perf_counter()
                mmrm(rspec.model.formula, data, df_method="residual")
                t_res = time.perf_counter() - s
                s = time.perf_counter()
                mmrm(rspec.model.formula, data, df_method="kenward-roger")
                t_kr = time.perf_counter() - s
                floor.append((per_eval, res.optimizer.iterations, t_kr - t_res, t_kr))
    n = n_trials
    print(f"FINAL-size trials analysed: {n} (99 subjects, 12 visits, UN, REML, KR, week 12)")
    print(f"  simulate        {t_sim / n:7.3f} s/trial")
    print(f"  derive+select   {t_der / n:7.3f} s/trial")
    print(f"  fit (mmrm kind) {t_fit / n:7.3f} s/trial   -> {1000 * t_fit / n / 60:5.1f} min "
          "per 1,000 fits, one process")
    print(f"  mean LDN - PBO estimate {np.mean(est):+.3f} (SD {np.std(est, ddof=1):.3f})")
    pe, it, kr, tot = (float(np.median([f[i] for f in floor])) for i in range(4))
    fl = pe * it + kr
    print(f"  floor: {pe * 1000:.1f} ms per objective+gradient x {it:.0f} iterations "
          f"+ KR {kr:.3f} s = {fl:.3f} s; a KR fit takes {tot:.3f} s ({tot / fl:.1f}x floor)")
    print(f"  ours, first estimates {' '.join(f'{e:.6f}' for e in est[:3])}")
    _r_mmrm(frames, t_fit / n)


def _r_mmrm(frames, ours: float) -> None:
    import pandas as pd

    rscript = shutil.which("Rscript")
    ok = rscript is not None and subprocess.run(
        [rscript, "-e", "library(mmrm)"], capture_output=True).returncode == 0
    if not ok:
        print("  R mmrm per fit: not measured (Rscript with the mmrm package not found); "
              "the <= 0.3x R goal is unchecked")
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trials.csv"
        pd.concat(frames).to_csv(path, index=False)
        script = Path(__file__).with_name("bench_power_mmrm.R")
        res = subprocess.run([rscript, str(script), str(path)], capture_output=True, text=True)
    if res.returncode != 0:
        print(f"  R mmrm failed: {res.stderr.strip().splitlines()[-1:]}")
        return
    line = res.stdout.strip().splitlines()[-1]
    print(f"  {line}")
    r_per_fit = float(line.split(" s per fit")[0].rsplit("= ", 1)[1])
    print(f"  ours / R per fit: {ours / r_per_fit:.2f} (goal <= 0.3)")


def _scaling(reps: int) -> None:
    from ldn_stats.parallel import cluster
    from ldn_stats.power import parse_design_spec, run_power

    spec = parse_design_spec(SPEC.format(reps=reps), source="bench.toml")
    times = {}
    for workers in (1, 2):
        with cluster(workers=workers) as client, tempfile.TemporaryDirectory() as tmp:
            run_power(spec, tmp + "/warm", client=client, replicates=workers)  # imports
            s = time.perf_counter()
            run_power(spec, tmp + "/run", client=client)
            times[workers] = time.perf_counter() - s
    eff = times[1] / (2 * times[2])
    print(f"run_power, {reps} FINAL-size replicates in chunks of 5: 1 worker "
          f"{times[1]:.1f} s, 2 workers {times[2]:.1f} s; scaling efficiency {eff:.2f}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--trials", type=int, default=100)
    p.add_argument("--scaling-replicates", type=int, default=40)
    args, _ = p.parse_known_args()
    _throughput(args.trials)
    _scaling(args.scaling_replicates)
    print("(timings on a shared 2-core machine: pessimistic under load)")


if __name__ == "__main__":
    main()
