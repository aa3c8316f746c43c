"""Kenward-Roger: the adjusted covariance of beta, its df and F tests, in one place.

The adjustment (Kenward & Roger 1997) is
``Phi_A = Phi + 2 Phi [sum_hj W_hj (Q_hj - P_h Phi P_j - R_hj / 4)] Phi`` with
``W`` the inverse information of the covariance parameters;
:func:`adjusted_vcov` computes it, :func:`kenward_roger` chooses the variant
(linear, R mmrm's parametrization, SAS's), :func:`kr_f_test` gives the scaled F
and its denominator df.  The per-contrast df come from
:mod:`ldn_stats.models.mmrm.df` (Satterthwaite on ``Phi_A``).

SAS PROC MIXED's natural covariance parametrization
---------------------------------------------------

Kenward-Roger with second-derivative terms depends on how the covariance is
parametrized. R mmrm uses its own unconstrained ``theta``
(:mod:`ldn_stats.models.mmrm.covariance`); SAS PROC MIXED (``DDFM=KR``) uses natural
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
>>> from ldn_stats.models.mmrm.covariance import MarginalCovariance, get_structure
>>> model = MarginalCovariance(get_structure("ar1"), times=("a", "b", "c"))
>>> J, S = sas_jacobian(model, np.array([0.5, 0.3]))
>>> J.shape, S.shape
((2, 2), (2, 2, 2))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ldn_stats.models.mmrm.covariance import MarginalCovariance
from ldn_stats.models.mmrm.likelihood import Likelihood, LikelihoodState

if TYPE_CHECKING:
    from ldn_stats.models.mmrm.df import Inference

__all__ = ["adjusted_vcov", "inverse", "kenward_roger", "kr_f_test", "sas_jacobian",
           "sas_kenward_roger"]

#: the ``kr_parametrization`` values: SAS PROC MIXED's or R mmrm's covariance parameters
KR_PARAMETRIZATIONS = ("sas", "mmrm")

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


def inverse(H: np.ndarray) -> np.ndarray:
    """``H^-1``, or the pseudo-inverse when ``H`` is singular (a parameter at a boundary)."""
    try:
        return np.linalg.inv(H)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(H)


def adjusted_vcov(lik: Likelihood, st: LikelihoodState, W: np.ndarray, linear: bool = False):
    """Kenward-Roger adjusted covariance ``Phi_A`` of beta and the ``Pk`` matrices.

    ``Phi_A = Phi + 2 Phi [sum_hj W_hj (Q_hj - P_h Phi P_j - R_hj / 4)] Phi``
    (Kenward & Roger 1997); ``linear=True`` omits ``R`` (second derivatives of V).
    """
    p = lik.p
    if st.grad is None:
        st = lik.state(st.theta, order=1)
    Pk = lik.p_matrices(st)
    acc = np.zeros((p, p))
    for part in st.parts:
        Vinv, dV, idx = part["Vinv"], lik.dv(st, part), part["idx"]
        Wl = W[idx[:, :, None], idx[:, None, :]]  # (P, k, k)
        B = Vinv[:, None] @ dV
        BW = np.einsum("pkl,plab->pkab", Wl, B)
        Mq = np.einsum("pkab,pkbc->pac", B, BW) @ Vinv  # sum W_hj V^-1 V_h V^-1 V_j V^-1
        if not linear:
            Mr = Vinv @ lik.model.d2_contract(st.theta, part["batch"].pattern, Wl) @ Vinv
            Mq = Mq - 0.25 * Mr
        acc += part["batch"].xquad(Mq, p).sum(axis=0)
    PW = np.einsum("hl,lab->hab", W, Pk)
    acc -= np.einsum("hab,bc,hcd->ad", Pk, st.phi, PW)
    phi = st.phi
    phi_a = phi + 2.0 * phi @ acc @ phi
    return 0.5 * (phi_a + phi_a.T), Pk


def sas_kenward_roger(lik: Likelihood, model: MarginalCovariance, st, H: np.ndarray,
                      W: np.ndarray | None = None):
    """Kenward-Roger with second derivatives in SAS's parametrization (see the module notes).

    ``W`` (optional) is an inverse information already chosen in ``theta`` (the
    expected one, for models with random effects, as pbkrtest); otherwise the
    inverse observed information ``H^-1`` is used, transformed to SAS's parameters.
    """
    name = model.structure.name if model.structure is not None else None
    if name in (None, "us", "cs", "toep"):  # linear in SAS: no second-derivative term
        W0 = inverse(H) if W is None else W
        vc, Pk = adjusted_vcov(lik, st, W0, linear=True)
        return vc, Pk, W0
    J, S = sas_jacobian(model, st.theta)
    if W is None:
        H_eta = J.T @ H @ J + np.einsum("h,hab->ab", st.grad, S)
        W_eta = inverse(H_eta)
    else:
        Jinv = inverse(J)
        W_eta = Jinv @ W @ Jinv.T
    W_tilde = J @ W_eta @ J.T
    vc, Pk = adjusted_vcov(lik, st, W_tilde, linear=False)
    c = np.einsum("ab,hab->h", W_eta, S)
    vc = vc - 0.5 * st.phi @ np.einsum("h,hab->ab", c, Pk) @ st.phi
    return 0.5 * (vc + vc.T), Pk, W_tilde


def kenward_roger(lik: Likelihood, model: MarginalCovariance, st: LikelihoodState,
                  H: np.ndarray, W: np.ndarray, *, linear: bool, parametrization: str):
    """The Kenward-Roger adjusted covariance of beta, the ``P_h`` and the ``W`` used.

    Parameters
    ----------
    lik, model, st
        The likelihood, its covariance model and the state at the optimum.
    H : numpy.ndarray
        Observed information of the covariance parameters (for SAS's variant).
    W : numpy.ndarray
        The inverse information used by the linear and R mmrm variants.
    linear : bool
        Omit the second-derivative term (``kenward-roger-linear``).
    parametrization : {"sas", "mmrm"}
        Whose covariance parameters the second-derivative term is taken in.

    Returns
    -------
    tuple
        ``(Phi_A, Pk, W)``.
    """
    if parametrization == "sas" and not linear:
        return sas_kenward_roger(lik, model, st, H, W if model.n_re else None)
    vc, Pk = adjusted_vcov(lik, st, W, linear=linear)
    return vc, Pk, W


def kr_f_test(inf: Inference, L: np.ndarray) -> tuple[float, float, float]:
    """Kenward-Roger scaled F for a multi-row hypothesis ``L beta = 0`` (Kenward & Roger 1997).

    Returns ``(F, numerator df, denominator df)`` from the adjusted covariance
    (``inf.vcov``), the unadjusted ``Phi`` (``inf.phi``), the ``P_h`` matrices
    and ``W`` held by the inference object.
    """
    q = L.shape[0]
    phi, W, Pk = inf.phi, inf.W, inf.Pk
    M = L.T @ np.linalg.solve(L @ phi @ L.T, L)
    MP = np.einsum("ab,bc,hcd,de->hae", M, phi, Pk, phi)  # M Phi P_h Phi
    tr = np.einsum("haa->h", MP)
    a1 = float(tr @ W @ tr)
    a2 = float(np.einsum("hj,hab,jba->", W, MP, MP))
    b = (a1 + 6.0 * a2) / (2.0 * q)
    g = ((q + 1.0) * a1 - (q + 4.0) * a2) / ((q + 2.0) * a2)
    den = 3.0 * q + 2.0 * (1.0 - g)
    c1, c2, c3 = g / den, (q - g) / den, (q + 2.0 - g) / den
    e_star = 1.0 / (1.0 - a2 / q)
    v_star = (2.0 / q) * (1.0 + c1 * b) / ((1.0 - c2 * b) ** 2 * (1.0 - c3 * b))
    rho = v_star / (2.0 * e_star**2)
    m = 4.0 + (q + 2.0) / (q * rho - 1.0)
    lam = m / (e_star * (m - 2.0))
    est = L @ inf.beta
    stat = float(est @ np.linalg.solve(L @ inf.vcov @ L.T, est)) / q
    return lam * stat, float(q), float(m)
