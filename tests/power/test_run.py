"""Power runs on real Dask clusters: statistics, determinism, resuming, an external scheduler.

A LocalCluster of 2 workers is started and stopped by this module; the
``--scheduler`` test starts ``dask scheduler`` and ``dask worker`` processes on
127.0.0.1 and kills them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ldn_stats.cli import main
from ldn_stats.parallel import cluster
from ldn_stats.power import parse_design_spec, run_power

# a two-sample t test of the change at the last week (ANCOVA kind with the arm only)
T_SPEC = """
[design]
name = "ttest"
preset = "final"
seed = 20261201
replicates = 30
chunk_size = 15
pilot_n_per_arm = 200
truth_n_per_arm = 500
[scenarios]
n_per_arm = 30
effect = [0.0, -1.0]
responder_share = 1.0
weeks = 5
[analysis]
kind = "ancova"
formula = "CHG ~ TRT01P"
"""

# the real MMRM path (UN, Kenward-Roger), small: for determinism and resuming
M_SPEC = """
[design]
name = "small"
preset = "final"
seed = 99
replicates = 4
chunk_size = 2
pilot_n_per_arm = 40
truth_n_per_arm = 200
[scenarios]
n_per_arm = 12
effect = [0.0, -1.5]
dropout_rate = 0.15
dropout_mechanism = "MAR"
dropout_strength = 0.5
weeks = 3
[analysis]
kind = "mmrm"
formula = "CHG ~ BASE + TRT01P * AVISIT + us(AVISIT | USUBJID)"
df_method = "kenward-roger"
"""


@pytest.fixture(scope="module")
def client2():
    with cluster(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        yield client


@pytest.fixture(scope="module")
def reference(client2, tmp_path_factory):
    """The small MMRM spec on 2 workers, chunks of 2: the bytes every other run must give."""
    out = tmp_path_factory.mktemp("ref")
    run = run_power(parse_design_spec(M_SPEC, source="small.toml"), out, client=client2)
    return run, _files(out / "small")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def ttest(client2, tmp_path_factory):
    return run_power(parse_design_spec(T_SPEC), tmp_path_factory.mktemp("t"), client=client2)


def test_type1_error_within_its_mc_interval(ttest):
    null = ttest.results.iloc[0]
    assert null["effect"] == 0.0 and null["n_ok"] == 30
    # Clopper-Pearson 95% interval of the observed rejection rate must contain alpha = 0.05
    assert null["type1_ci_low"] <= 0.05 <= null["type1_ci_high"]


def test_power_matches_analytic_t_power(ttest):
    alt = ttest.results.iloc[1]
    # witness: noncentral-t power of the two-sample t test (t_power, checked against
    # statsmodels in test_power_analytic) with the pilot trial's per-arm SDs and the twin
    # trials' true effect; tolerance 2.58 Monte-Carlo SEs of 30 replicates
    p = alt["power_t"]
    assert 0.2 < p < 0.9
    assert abs(alt["power"] - p) <= 2.58 * (p * (1 - p) / alt["n_ok"]) ** 0.5
    # the model SE of the t test agrees with the spread of the estimates (within 25%)
    assert alt["se_ratio"] == pytest.approx(1.0, abs=0.25)
    assert abs(alt["bias"]) <= 2.58 * alt["bias_mcse"] + 2.58 * alt["true_effect_mcse"]


def test_results_report_every_statistic(reference):
    run, files = reference
    r = run.results
    for col in ("power", "power_mcse", "power_ci_low", "power_ci_high", "type1", "type1_mcse",
                "mean_estimate", "bias", "emp_se", "mean_model_se", "coverage", "fail_share",
                "failures", "power_t", "power_ancova", "power_llc"):
        assert col in r.columns
    assert r["replicates"].tolist() == [4, 4]
    header = files["results.csv"].decode().splitlines()[0]
    assert header.startswith("scenario,n_per_arm,effect,dropout_rate")
    assert b"Replicates per scenario: 4" in files["index.html"]
    assert b"QUICK BUILD" not in files["index.html"]


def test_one_worker_and_two_workers_give_the_same_bytes(reference, tmp_path):
    _, ref = reference
    with cluster(workers=1) as client:
        run_power(parse_design_spec(M_SPEC, source="small.toml"), tmp_path, client=client,
                  chunk_size=3)
    assert _files(tmp_path / "small") == ref


def test_killed_run_resumes_to_the_same_bytes(reference, tmp_path):
    _, ref = reference
    spec = tmp_path / "small.toml"
    spec.write_text(M_SPEC)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "ldn_stats.cli", "power", str(spec), "--out", str(out),
           "--workers", "0"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chunks = out / "small.chunks"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = list(chunks.glob("*/*-0000*.csv")) if chunks.exists() else []
            if len(done) >= 1 or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not (out / "small").exists()  # no partial results
    kept = len(list(chunks.glob("*/*-0000*.csv")))
    assert 1 <= kept < 4  # 2 scenarios x 2 chunks of 2 replicates
    run = run_power(spec, out, workers=0)
    assert run.chunks_reused == 2 * kept
    assert _files(out / "small") == ref


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_scheduler_option_uses_a_separately_started_cluster(reference, tmp_path, capsys):
    _, ref = reference
    dask = Path(sys.executable).with_name("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        procs.append(subprocess.Popen([str(dask), "worker", address, "--nworkers", "2",
                                       "--nthreads", "1", "--no-dashboard"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as c:
                    c.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        spec = tmp_path / "small.toml"
        spec.write_text(M_SPEC)
        assert main(["power", str(spec), "--out", str(tmp_path), "--scheduler", address]) == 0
        assert "small/results.csv" in capsys.readouterr().out
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
    assert _files(tmp_path / "small") == ref


X_SPEC = """
[design]
name = "xo"
preset = "final"
seed = 4
replicates = 8
pilot_n_per_arm = 60
truth_n_per_arm = 300
[scenarios]
design = "crossover"
n_per_arm = 12
effect = -1.5
period_days = 28
washout_days = 14
[analysis]
kind = "crossover"
outcome = "AVAL"
df_method = "kenward-roger"
"""


def test_crossover_scenarios_from_a_parallel_preset(tmp_path):
    from ldn_stats.power.scenarios import scenarios

    spec = parse_design_spec(X_SPEC, source="xo.toml")
    design = scenarios(spec)[0].design(spec)
    assert design.sequences == ("LDN-PBO", "PBO-LDN") and design.allocation == (12, 12)
    assert design.period_days == (28, 28) and design.washout_days == (14,)
    r = run_power(spec, tmp_path, workers=0).results.iloc[0]
    assert r["n_ok"] == 8 and 0 < r["power_crossover"] < 1
    # the crossover model's estimate is unbiased for the twin trials' true effect:
    # tolerance 3 Monte-Carlo SEs of the mean of 8 estimates
    assert abs(r["bias"]) <= 3 * r["bias_mcse"]
