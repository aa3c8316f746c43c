"""Study discontinuation: MCAR, MAR or MNAR daily hazards.

Each day after the first dose a subject still in the study leaves with
probability

.. math::

    h_{ij} = 1 - (1 - h_{0})^{\\exp(\\beta z_{ij})},\\qquad
    h_0 = 1 - (1 - \\text{rate})^{1 / D},

where ``D`` is the number of days on which one can leave, so that without
covariate (``MCAR``, ``beta = 0``) the probability of leaving before the end
is exactly ``rate``.  ``z`` is pain above the population baseline mean, in
units of ``within_sd``: for ``MAR`` the mean of the ratings recorded over the
7 previous days (0 when none was recorded), for ``MNAR`` the latent pain of
the day of leaving, which the diary never records.  A subject who leaves on
day ``j`` has diary records up to day ``j - 1``.

Examples
--------
>>> import numpy as np
>>> from ldn_stats.simulate.components import Dropout
>>> latent = np.full((4000, 30), 6.0)
>>> left = draw_dropout(np.random.default_rng(0), Dropout(rate=0.2), latent, latent,
...                     first=2, n_days=np.full(4000, 30), centre=6.0, unit=1.6)
>>> round(float((left >= 0).mean()), 2)
0.2
>>> DROPOUT_REASON["MCAR"], DROPOUT_REASON["MNAR"]
('WITHDRAWAL BY SUBJECT', 'LACK OF EFFICACY')
"""

from __future__ import annotations

import warnings

import numpy as np

from ldn_stats.simulate.components import Dropout

__all__ = ["DROPOUT_REASON", "draw_dropout"]

#: DCSREAS written for a subject who leaves under each mechanism.
DROPOUT_REASON: dict[str, str] = {
    "MCAR": "WITHDRAWAL BY SUBJECT",
    "MAR": "LACK OF EFFICACY",
    "MNAR": "LACK OF EFFICACY",
}


def _recent_mean(observed: np.ndarray, j: int, window: int = 7) -> np.ndarray:
    block = observed[:, max(0, j - window):j]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing rows -> NaN
        return np.nanmean(block, axis=1)


def draw_dropout(
    rng: np.random.Generator,
    dropout: Dropout,
    latent: np.ndarray,
    observed: np.ndarray,
    first: int,
    n_days: np.ndarray,
    centre: float,
    unit: float,
) -> np.ndarray:
    """Return each subject's day index of leaving the study, or -1.

    Parameters
    ----------
    rng : numpy.random.Generator
    dropout : Dropout
    latent, observed : ndarray of shape (n, days)
        Latent pain and recorded ratings (NaN when missed).
    first : int
        Day index of the first dose; leaving is possible from ``first + 1``.
    n_days : ndarray of int
        Number of scheduled days of each subject (rows are padded beyond).
    centre, unit : float
        Population baseline mean and within-subject SD standardizing ``z``.

    Returns
    -------
    ndarray of int
    """
    n = latent.shape[0]
    left = np.full(n, -1, dtype=np.int64)
    if dropout.rate == 0:
        return left
    span = np.maximum(n_days - first - 1, 1)  # days on which one can leave
    h0 = 1.0 - (1.0 - dropout.rate) ** (1.0 / span)
    for j in range(first + 1, int(n_days.max())):
        if dropout.mechanism == "MCAR":
            h = h0
        else:
            if dropout.mechanism == "MAR":
                z = (_recent_mean(observed, j) - centre) / unit
                z = np.where(np.isnan(z), 0.0, z)
            else:
                z = (latent[:, j] - centre) / unit
            h = 1.0 - (1.0 - h0) ** np.exp(dropout.strength * z)
        u = rng.random(n)
        leaving = (left < 0) & (j < n_days) & (u < h)
        left[leaving] = j
    return left
