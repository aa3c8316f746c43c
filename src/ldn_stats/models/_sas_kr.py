"""Kenward-Roger in SAS PROC MIXED's natural covariance parametrization.

Kenward-Roger with second-derivative terms depends on how the covariance is
parametrized. R mmrm uses its own unconstrained ``theta``
(:mod:`ldn_stats.models.covariance`); SAS PROC MIXED (``DDFM=KR``) uses natural
parameters ``eta``: variances and correlations (``AR(1)``, ``ARH(1)``, ``CSH``,
``ANTE(1)``, ``TOEPH``), range and variance (``SP(EXP)``, ``SP(GAU)``), or the
covariance elements themselves (``UN``, ``CS``, ``TOEP``: linear, so SAS's KR
equals the linear KR here).

With ``theta = t(eta)``, Jacobian ``J = dtheta/deta`` and second derivatives
``S_h = d2 theta_h / deta deta'``, the SAS adjustment is the one computed in
``theta`` with ``W~ = J W_eta J'`` plus ``-1/2 Phi (sum_h c_h Pk_h) Phi`` where
``c_h = tr(W_eta S_h)`` (from ``d2V/deta_a deta_b = sum J J V_hj + sum_h S_h V_h``).
``J`` and ``S`` come from central differences of the closed-form ``t``.

Validated against ``sas_sp_gau_kr.txt`` (DDFM=KR, spatial Gaussian): standard
errors reproduced at SAS's printed precision.

Examples
--------
>>> import numpy as np
>>> from ldn_stats.models.covariance import MarginalCovariance, get_structure
>>> model = MarginalCovariance(get_structure("ar1"), times=("a", "b", "c"))
>>> J, S = sas_jacobian(model, np.array([0.5, 0.3]))
>>> J.shape, S.shape
((2, 2), (2, 2, 2))
"""

from __future__ import annotations

import numpy as np

from ldn_stats.models.covariance import MarginalCovariance

__all__ = ["sas_jacobian"]

_LINEAR = ("us", "cs", "toep")


def _f(rho):
    return rho / np.sqrt(1.0 - rho * rho)


def _logit(x):
    return np.log(x / (1.0 - x))


def _theta_from_eta(name: str, eta: np.ndarray, n_sd: int, m: int) -> np.ndarray:
    if name in ("sp_exp", "sp_gau"):
        rng, var = eta
        r = np.exp(-1.0 / rng) if name == "sp_exp" else np.exp(-1.0 / rng**2)
        return np.array([np.log(var), _logit(r)])
    var, rho = eta[:n_sd], eta[n_sd:]
    if name == "csh":
        a = 1.0 / (m - 1) if m > 1 else 1.0
        rho_t = _logit((rho + a) / (1.0 + a))
    else:
        rho_t = _f(rho)
    return np.concatenate([0.5 * np.log(var), rho_t])


def _eta(name: str, th: np.ndarray, m: int) -> tuple[np.ndarray, int]:
    """SAS's natural parameters (variances first, then correlations / range) and n_sd."""
    if name in ("sp_exp", "sp_gau"):
        r = 1.0 / (1.0 + np.exp(-th[1]))
        rng = -1.0 / np.log(r) if name == "sp_exp" else np.sqrt(-1.0 / np.log(r))
        return np.array([rng, np.exp(th[0])]), 0
    n_sd = m if name in ("ar1h", "csh", "adh", "toeph") else 1
    sd, rho_t = th[:n_sd], th[n_sd:]
    if name == "csh":
        a = 1.0 / (m - 1) if m > 1 else 1.0
        s = 1.0 / (1.0 + np.exp(-rho_t))
        rho = s * (1 + a) - a
    else:
        rho = rho_t / np.sqrt(1.0 + rho_t**2)
    return np.concatenate([np.exp(2 * sd), rho]), n_sd


def sas_jacobian(model: MarginalCovariance, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``J = dtheta/deta`` (K, K) and ``S`` (K, K, K) of SAS's natural parametrization.

    Parameters with no non-linear SAS counterpart (``us``, ``cs``, ``toep``,
    random-effect variances) keep ``J = I`` and ``S = 0`` for non-linear parts;
    for ``us``/``cs``/``toep`` SAS's parametrization is linear, which the caller
    handles by using the linear Kenward-Roger.
    """
    K = model.n_theta
    J = np.eye(K)
    S = np.zeros((K, K, K))
    name = model.structure.name if model.structure is not None else None
    if name is None or name in _LINEAR:
        return J, S
    m = len(model.times)
    for g in range(len(model.groups)):
        sl = model.r_slice(g)
        th = theta[sl]
        eta, n_sd = _eta(name, th, m)
        k = len(th)

        def t(e, n_sd=n_sd):
            return _theta_from_eta(name, e, n_sd, m)

        h = 1e-5 * np.maximum(np.abs(eta), 1e-3)
        jac = np.column_stack([(t(eta + h[a] * e) - t(eta - h[a] * e)) / (2 * h[a])
                               for a, e in enumerate(np.eye(k))])
        sec = np.zeros((k, k, k))
        hh = 1e-4 * np.maximum(np.abs(eta), 1e-3)
        for a in range(k):
            for b in range(k):
                ea, eb = np.eye(k)[a] * hh[a], np.eye(k)[b] * hh[b]
                sec[:, a, b] = (t(eta + ea + eb) - t(eta + ea - eb) - t(eta - ea + eb)
                                + t(eta - ea - eb)) / (4 * hh[a] * hh[b])
        idx = np.arange(sl.start, sl.stop)
        J[np.ix_(idx, idx)] = jac
        S[np.ix_(idx, idx, idx)] = sec
    return J, S
