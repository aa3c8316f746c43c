"""Daily pain diaries: subject levels, AR(1) day-to-day noise, recording and missed days.

The latent pain of subject ``i`` on day ``j`` is

.. math::

    y_{ij} = b_i \\,\\bigl(1 + p_i\\,P_j + \\textstyle\\sum_T d_{iT}\\,L_{iTj}\\bigr) + e_{ij},

with ``b_i`` the subject's pain level, ``p_i`` its proportional placebo
response reached along the ramp ``P_j``, ``d_{iT}`` its specific response to
treatment ``T`` reached along the titration/wash-out curve ``L_{iTj}``, and
``e_{ij}`` a stationary AR(1) process with marginal SD ``within_sd`` and lag-1
correlation ``ar1``.  The diary records ``y`` clipped to the scale and
rounded to its precision; a day is missed with the subject's own probability.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> e = ar1_noise(rng, n=2000, days=50, sd=1.6, phi=0.4)
>>> round(float(e.std()), 1), round(float(np.corrcoef(e[:, 10], e[:, 11])[0, 1]), 1)
(1.6, 0.4)
>>> from ldn_stats.simulate.components import NRS
>>> record(np.array([-0.7, 3.49, 3.5, 12.0]), NRS).tolist()
[0.0, 3.0, 4.0, 10.0]
"""

from __future__ import annotations

import numpy as np

from ldn_stats.simulate.components import Population, Scale

__all__ = ["ar1_noise", "missed_days", "record", "subject_missed_rates"]


def ar1_noise(
    rng: np.random.Generator,
    n: int,
    days: int,
    sd: float,
    phi: float,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Draw ``n`` stationary AR(1) series of ``days`` values.

    Parameters
    ----------
    rng : numpy.random.Generator
    n, days : int
        Number of series and their length.
    sd : float
        Marginal standard deviation.
    phi : float
        Lag-1 autocorrelation, ``-1 < phi < 1``.
    start : ndarray, optional
        The value on the day before the first one, to continue a series;
        without it the first day is drawn from the stationary distribution.

    Returns
    -------
    ndarray of shape (n, days)

    Notes
    -----
    ``e_j = phi * e_{j-1} + sd * sqrt(1 - phi**2) * z_j`` with standard
    normal ``z_j``, so ``var(e_j) = sd**2`` and ``corr(e_j, e_{j+k}) = phi**k``.
    """
    z = rng.standard_normal((n, days))
    out = np.empty((n, days))
    innov = sd * np.sqrt(1.0 - phi * phi)
    prev = sd * z[:, 0] if start is None else phi * start + innov * z[:, 0]
    out[:, 0] = prev
    for j in range(1, days):
        prev = phi * prev + innov * z[:, j]
        out[:, j] = prev
    return out


def record(latent: np.ndarray, scale: Scale) -> np.ndarray:
    """Return the ratings a diary records: clipped to the scale, rounded half up.

    Parameters
    ----------
    latent : ndarray
        Latent pain values on the scale's units.
    scale : Scale
        Its ``low``, ``high`` and ``decimals`` apply.

    Returns
    -------
    ndarray of float
    """
    factor = 10.0 ** scale.decimals
    clipped = np.clip(latent, scale.low, scale.high)
    return np.floor(clipped * factor + 0.5) / factor


def subject_missed_rates(rng: np.random.Generator, n: int, population: Population) -> np.ndarray:
    """Draw each subject's probability of missing a diary day.

    Beta distributed with mean ``missed_day_rate`` and concentration
    ``missed_day_concentration``; all zero when the rate is zero.
    """
    m = population.missed_day_rate
    if m == 0:
        return np.zeros(n)
    c = population.missed_day_concentration
    return rng.beta(m * c, (1.0 - m) * c, size=n)


def missed_days(rng: np.random.Generator, rates: np.ndarray, days: int) -> np.ndarray:
    """Return a boolean (n, days) mask of missed diary days, row ``i`` at ``rates[i]``."""
    return rng.random((rates.size, days)) < rates[:, None]
