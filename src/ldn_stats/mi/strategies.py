"""Imputation strategies for data after an intercurrent event (Carpenter, Roger & Kenward 2013).

A strategy maps a subject's parameters under its own arm (``pars_group``) and
under its reference arm (``pars_ref``), each a :class:`Pars` ``(mu, sigma)`` over
all visits, and ``index_mar`` (True at the visits before the intercurrent event)
to the ``(mu, sigma)`` its missing values are drawn from:

- ``MAR``: its own arm's distribution;
- ``JR`` (jump to reference): reference means after the event;
- ``CR`` (copy reference): the reference distribution at every visit;
- ``CIR`` (copy increments in reference): the mean at the last visit before the
  event, plus the reference arm's increments from that visit;
- ``LMCF`` (last mean carried forward): the mean at the last visit before the event.

JR and CIR combine the two covariances so that the pre-event block is the
subject's own arm's and the post-event block given the pre-event one follows the
reference arm (:func:`compute_sigma`); with one covariance for all arms that is
that covariance.

Examples
--------
>>> import numpy as np
>>> own = Pars(np.array([0.0, -1.0, -2.0]), np.eye(3))
>>> ref = Pars(np.array([0.0, -0.5, -0.5]), np.eye(3))
>>> strategy_jr(own, ref, np.array([True, False, False])).mu.tolist()
[0.0, -0.5, -0.5]
>>> strategy_cir(own, ref, np.array([True, True, False])).mu.tolist()
[0.0, -1.0, -1.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ldn_stats.errors import ModelError

__all__ = ["BUILTIN", "Pars", "compute_sigma", "strategy_cir", "strategy_cr", "strategy_jr",
           "strategy_lmcf", "strategy_mar"]


class Pars(NamedTuple):
    """Mean vector and covariance matrix of a subject's outcomes at every visit."""

    mu: np.ndarray
    sigma: np.ndarray


def compute_sigma(sigma_group: np.ndarray, sigma_ref: np.ndarray,
                  index_mar: np.ndarray) -> np.ndarray:
    """Covariance under JR/CIR: own arm before the event, reference conditional after.

    With ``T`` the own arm's and ``R`` the reference covariance, ``1`` the pre-event
    and ``2`` the post-event visits: ``S11 = T11``, ``S21 = R21 R11^-1 T11``,
    ``S22 = R22 - R21 R11^-1 (R11 - T11) R11^-1 R12`` (Carpenter et al. 2013).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> bool(np.allclose(compute_sigma(s, s, np.array([True, False])), s))
    True
    """
    index_mar = np.asarray(index_mar, dtype=bool)
    if sigma_group is sigma_ref or np.array_equal(sigma_group, sigma_ref):
        return sigma_ref
    if index_mar.all():
        return sigma_group
    if not index_mar.any():
        return sigma_ref
    a, b = index_mar, ~index_mar
    T11 = sigma_group[np.ix_(a, a)]
    R11 = sigma_ref[np.ix_(a, a)]
    R21 = sigma_ref[np.ix_(b, a)]
    K = np.linalg.solve(R11, R21.T).T  # R21 R11^-1
    out = np.empty_like(sigma_ref)
    out[np.ix_(a, a)] = T11
    s21 = K @ T11
    out[np.ix_(b, a)] = s21
    out[np.ix_(a, b)] = s21.T
    out[np.ix_(b, b)] = sigma_ref[np.ix_(b, b)] - K @ (R11 - T11) @ K.T
    return out


def strategy_mar(pars_group: Pars, pars_ref: Pars, index_mar: np.ndarray) -> Pars:
    """Missing at random: the subject's own arm."""
    return pars_group


def strategy_jr(pars_group: Pars, pars_ref: Pars, index_mar: np.ndarray) -> Pars:
    """Jump to reference: reference means from the event on."""
    index_mar = np.asarray(index_mar, dtype=bool)
    if index_mar.all():
        return pars_group
    if not index_mar.any():
        return pars_ref
    mu = np.array(pars_group.mu, dtype=float)
    mu[~index_mar] = pars_ref.mu[~index_mar]
    return Pars(mu, compute_sigma(pars_group.sigma, pars_ref.sigma, index_mar))


def strategy_cr(pars_group: Pars, pars_ref: Pars, index_mar: np.ndarray) -> Pars:
    """Copy reference: the reference arm's distribution at every visit."""
    return pars_ref


def strategy_cir(pars_group: Pars, pars_ref: Pars, index_mar: np.ndarray) -> Pars:
    """Copy increments in reference from the last visit before the event."""
    index_mar = np.asarray(index_mar, dtype=bool)
    if index_mar.all():
        return pars_group
    if not index_mar.any():
        return pars_ref
    last = int(np.flatnonzero(~index_mar)[0]) - 1
    mu = np.array(pars_group.mu, dtype=float)
    mu[~index_mar] = mu[last] + pars_ref.mu[~index_mar] - pars_ref.mu[last]
    return Pars(mu, compute_sigma(pars_group.sigma, pars_ref.sigma, index_mar))


def strategy_lmcf(pars_group: Pars, pars_ref: Pars, index_mar: np.ndarray) -> Pars:
    """Last mean carried forward from the last visit before the event."""
    index_mar = np.asarray(index_mar, dtype=bool)
    if index_mar.all():
        return pars_group
    if not index_mar.any():
        raise ModelError("LMCF needs at least one visit before the intercurrent event "
                         "(the event is at the first visit)")
    last = int(np.flatnonzero(~index_mar)[0]) - 1
    mu = np.array(pars_group.mu, dtype=float)
    mu[~index_mar] = mu[last]
    return Pars(mu, pars_group.sigma)


StrategyFn = Callable[[Pars, Pars, np.ndarray], "Pars | tuple[np.ndarray, np.ndarray]"]

BUILTIN: dict[str, StrategyFn] = {
    "MAR": strategy_mar, "JR": strategy_jr, "CR": strategy_cr, "CIR": strategy_cir,
    "LMCF": strategy_lmcf,
}


# ----------------------------------------------------------- vectorized forms
def builtin_means(name: str, mu_own: np.ndarray, mu_ref: np.ndarray,
                  ice: np.ndarray) -> np.ndarray:
    """Means of the built-in strategies for many subjects at once.

    ``mu_own``, ``mu_ref``: ``(n, m)``; ``ice``: first post-event visit index per subject
    (``m`` when none). Same results as the per-subject functions above.
    """
    n, m = mu_own.shape
    post = np.arange(m)[None, :] >= ice[:, None]
    if name == "MAR":
        return mu_own
    if name == "CR":
        return mu_ref
    if name == "JR":
        return np.where(post, mu_ref, mu_own)
    last = np.clip(ice - 1, 0, m - 1)
    rows = np.arange(n)
    if name == "CIR":
        base = mu_own[rows, last] - mu_ref[rows, last]
        out = np.where(post, mu_ref + base[:, None], mu_own)
        at0 = ice == 0
        out[at0] = mu_ref[at0]
        return out
    if name == "LMCF":
        if np.any(ice == 0):
            raise ModelError("LMCF needs at least one visit before the intercurrent event "
                             "(the event is at the first visit)")
        return np.where(post, mu_own[rows, last][:, None], mu_own)
    raise ModelError(f"unknown built-in strategy {name!r}")


def builtin_sigma(name: str, sigma_own: np.ndarray, sigma_ref: np.ndarray,
                  ice: int) -> np.ndarray:
    """Covariance of a built-in strategy for an event at visit index ``ice``."""
    m = sigma_own.shape[0]
    index_mar = np.arange(m) < ice
    if name in ("MAR", "LMCF"):
        return sigma_own
    if name == "CR":
        return sigma_ref
    return compute_sigma(sigma_own, sigma_ref, index_mar)
