"""Simulated trials with high, mostly intermittent missingness: nearly one pattern per subject.

The benchmark case of issue 10: 200 subjects, 10 visits, two arms, a baseline
covariate, an unstructured-looking covariance (heterogeneous variances, a
subject effect plus AR(1) serial correlation), and two kinds of missingness:

* intermittent: each post-baseline visit is missed with probability ``p_skip``;
* monotone: from each visit on, a subject drops out with hazard ``hazard``.

With the defaults nearly every subject has a pattern of its own (154 to
175 distinct patterns among 200 subjects over the 12 seeds), which is where
per-pattern sufficient statistics stop paying off. (With ``p_skip=0.45`` one of
the 12 trials, seed 1005, has its REML optimum on the boundary, a singular
covariance matrix, which the engine reports as a ConvergenceError.)

Run ``python benchmarks/high_missingness.py OUTDIR`` to write the 12 benchmark
trials as CSV (``trial01.csv`` ...), e.g. to time R mmrm on them.

Examples
--------
>>> d = high_missingness_trial(seed=1)
>>> sorted(d.columns)
['ARM', 'AVISIT', 'BASE', 'CHG', 'USUBJID']
>>> d["USUBJID"].nunique(), int(d.groupby("USUBJID")["AVISIT"].apply(tuple).nunique()) > 150
(200, True)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: Formula fitted by the benchmark (unstructured covariance over the 10 visits).
FORMULA = "CHG ~ BASE + ARM * AVISIT + us(AVISIT | USUBJID)"
#: Seeds of the 12 benchmark trials.
SEEDS = tuple(range(1001, 1013))


def high_missingness_trial(
    seed: int,
    n_subjects: int = 200,
    n_visits: int = 10,
    p_skip: float = 0.4,
    hazard: float = 0.02,
) -> pd.DataFrame:
    """One simulated trial in long format (observed rows only).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same table.
    n_subjects, n_visits : int
        Subjects (alternately PBO and TRT) and scheduled visits ``V01``...
    p_skip : float
        Probability of missing a visit (intermittent), independently per visit.
    hazard : float
        Probability of dropping out before each visit after the first (monotone).

    Returns
    -------
    pandas.DataFrame
        Columns ``USUBJID, ARM, AVISIT`` (ordered categoricals where it matters),
        ``BASE`` and the change from baseline ``CHG``; every subject keeps at least
        one visit.

    Examples
    --------
    >>> d = high_missingness_trial(seed=3, n_subjects=20)
    >>> list(d["AVISIT"].cat.categories[:2]), len(d) < 20 * 10
    (['V01', 'V02'], True)
    """
    rng = np.random.default_rng(seed)
    m = n_visits
    sd = np.linspace(1.0, 2.0, m)
    lag = np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
    corr = 0.3 + 0.7 * 0.6**lag
    np.fill_diagonal(corr, 1.0)
    sigma = corr * np.outer(sd, sd)
    arm = np.where(np.arange(n_subjects) % 2 == 0, "PBO", "TRT")
    base = rng.normal(50.0, 8.0, n_subjects)
    trend = -0.3 * np.arange(1, m + 1)
    effect = np.where(arm == "TRT", -0.15, 0.0)[:, None] * np.arange(1, m + 1)[None, :]
    resid = rng.multivariate_normal(np.zeros(m), sigma, size=n_subjects, method="cholesky")
    y = 2.0 + 0.05 * (base[:, None] - 50.0) + trend + effect + resid
    observed = rng.random((n_subjects, m)) >= p_skip
    stay = np.cumprod(np.column_stack([np.ones(n_subjects, dtype=bool),
                                       rng.random((n_subjects, m - 1)) >= hazard]), axis=1)
    observed &= stay.astype(bool)
    none = ~observed.any(axis=1)
    observed[none, 0] = True
    subj, vis = np.nonzero(observed)
    visits = [f"V{k:02d}" for k in range(1, m + 1)]
    return pd.DataFrame({
        "USUBJID": [f"S{i:03d}" for i in subj],
        "ARM": pd.Categorical(arm[subj], categories=["PBO", "TRT"]),
        "AVISIT": pd.Categorical(np.array(visits)[vis], categories=visits, ordered=True),
        "BASE": base[subj],
        "CHG": y[subj, vis],
    })


def benchmark_trials() -> list[pd.DataFrame]:
    """The 12 benchmark trials (seeds :data:`SEEDS`).

    Examples
    --------
    >>> len(SEEDS)
    12
    """
    return [high_missingness_trial(s) for s in SEEDS]


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("high_missingness")
    out.mkdir(parents=True, exist_ok=True)
    for k, d in enumerate(benchmark_trials(), start=1):
        d.to_csv(out / f"trial{k:02d}.csv", index=False)
    print(f"wrote {len(SEEDS)} trials to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
