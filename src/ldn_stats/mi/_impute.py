"""Conditional-mean and random imputation of the missing outcomes, vectorized by pattern.

For every subject with a missing value the strategy gives ``(mu, sigma)`` over
all visits; the missing values are imputed from the conditional normal given
the subject's observed values (all of them, including observed values after
the intercurrent event, as rbmi does):
``mu_m + S_mo S_oo^-1 (y_o - mu_o)`` (conditional mean) or that plus a draw with
covariance ``S_mm - S_mo S_oo^-1 S_om`` (random imputation). Subjects sharing a
covariance (strategy, arms, event visit) and a missingness pattern are imputed
together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn_stats.errors import ModelError
from ldn_stats.mi.strategies import BUILTIN, Pars, builtin_means, builtin_sigma

__all__ = ["ImputePlan", "complete"]


@dataclass(frozen=True)
class ImputePlan:
    """What is fixed across samples: designs, strategies, patterns.

    ``x_own``/``x_ref``: ``(n * m, p)`` designs under the subject's own arm and its
    reference arm; ``own``/``ref``: group codes; ``ice``: first post-event visit
    (``m`` if none); ``strategy``: names; ``user``: user strategy functions.
    """

    y: np.ndarray
    x_own: np.ndarray
    x_ref: np.ndarray
    own: np.ndarray
    ref: np.ndarray
    ice: np.ndarray
    strategy: np.ndarray
    user: dict
    blocks: tuple  # (key, pattern (m,) bool missing, subject indices)

    @staticmethod
    def build(y, x_own, x_ref, own, ref, ice, strategy, user) -> ImputePlan:
        _n, m = y.shape
        miss = np.isnan(y)
        need = np.flatnonzero(miss.any(axis=1))
        groups: dict[tuple, list[int]] = {}
        for i in need:
            name = strategy[i]
            if name in BUILTIN and name not in user:
                key = (name, int(own[i]), int(ref[i]), int(min(ice[i], m)))
            else:
                key = ("user", int(i))
            groups.setdefault((*key, miss[i].tobytes()), []).append(int(i))
        blocks = []
        for k in sorted(groups, key=lambda t: tuple(str(v) for v in t)):
            idx = np.array(groups[k])
            blocks.append((k[:-1], miss[idx[0]].copy(), idx))
        return ImputePlan(y=y, x_own=x_own, x_ref=x_ref, own=own, ref=ref, ice=ice,
                          strategy=strategy, user=user, blocks=tuple(blocks))


def _means(plan: ImputePlan, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, m = plan.y.shape
    return (plan.x_own @ beta).reshape(n, m), (plan.x_ref @ beta).reshape(n, m)


def _user_pars(fn, own: Pars, ref: Pars, index_mar: np.ndarray, who: str) -> Pars:
    out = fn(own, ref, index_mar.copy())
    if isinstance(out, dict):
        out = (out.get("mu"), out.get("sigma"))
    try:
        mu, sigma = out
    except (TypeError, ValueError):
        raise ModelError(f"strategy {who!r} must return (mu, sigma), got {type(out).__name__}") \
            from None
    mu = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    m = own.mu.size
    if mu.shape != (m,) or sigma.shape != (m, m):
        raise ModelError(f"strategy {who!r} returned mu of shape {mu.shape} and sigma of shape "
                         f"{sigma.shape}; expected ({m},) and ({m}, {m})")
    return Pars(mu, sigma)


def complete(plan: ImputePlan, beta: np.ndarray, sigmas: dict[int, np.ndarray],
             rng: np.random.Generator | None = None) -> np.ndarray:
    """The outcome matrix with every missing value imputed under one parameter sample.

    Parameters
    ----------
    plan : ImputePlan
    beta : array (p,)
    sigmas : dict group code -> (m, m) covariance
    rng : numpy Generator, optional
        None: conditional mean; else a random draw from the conditional normal.
    """
    y = plan.y
    _n, m = y.shape
    out = y.copy()
    if not plan.blocks:
        return out
    mu_own, mu_ref = _means(plan, beta)
    # means of the built-in strategies, all subjects at once, one strategy at a time
    mu = mu_own.copy()
    for name in dict.fromkeys(plan.strategy.tolist()):
        if name in BUILTIN and name not in plan.user and name != "MAR":
            sel = plan.strategy == name
            mu[sel] = builtin_means(name, mu_own[sel], mu_ref[sel], plan.ice[sel])
    cache: dict[tuple, np.ndarray] = {}
    for key, miss, idx in plan.blocks:
        obs = ~miss
        if key[0] == "user":
            i = int(key[1])
            name = plan.strategy[i]
            fn = plan.user.get(name) or BUILTIN[name]
            index_mar = np.arange(m) < plan.ice[i]
            p = _user_pars(fn, Pars(mu_own[i], sigmas[int(plan.own[i])]),
                           Pars(mu_ref[i], sigmas[int(plan.ref[i])]), index_mar, name)
            mus, sig = p.mu[None, :], p.sigma
        else:
            name, g, r, k = key
            sig = cache.get(key)
            if sig is None:
                sig = builtin_sigma(name, sigmas[g], sigmas[r], k)
                cache[key] = sig
            mus = mu[idx]
        if obs.any():
            s_oo = sig[np.ix_(obs, obs)]
            s_mo = sig[np.ix_(miss, obs)]
            a = np.linalg.solve(s_oo, s_mo.T).T  # S_mo S_oo^-1
            resid = y[np.ix_(idx, obs)] - mus[:, obs]
            cond = mus[:, miss] + resid @ a.T
            cov = sig[np.ix_(miss, miss)] - a @ s_mo.T
        else:
            cond = np.broadcast_to(mus[:, miss], (idx.size, int(miss.sum()))).copy()
            cov = sig[np.ix_(miss, miss)]
        if rng is not None:
            cov = 0.5 * (cov + cov.T)
            try:
                chol = np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                ev, vec = np.linalg.eigh(cov)
                chol = vec * np.sqrt(np.maximum(ev, 0.0))
            cond = cond + rng.standard_normal(cond.shape) @ chol.T
        rows = np.repeat(idx, int(miss.sum()))
        cols = np.tile(np.flatnonzero(miss), idx.size)
        out[rows, cols] = cond.ravel()
    return out
