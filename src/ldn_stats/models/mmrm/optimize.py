"""Minimize the MMRM objective: a verified optimum by default, R mmrm's stopping point on request.

Two strategies, chosen by ``mmrm(optimizer=...)``:

``"default"`` (:func:`newton_minimize`)
    The REML/ML optimum itself. From each start, a cheap quasi-Newton phase
    (L-BFGS-B) is followed by a trust-region Newton method with the analytic
    Hessian (:func:`trust_newton`). An attempt is accepted only at a verified
    optimum: the Hessian is positive definite and the Newton decrement
    ``g' H^-1 g`` is at most :data:`NEWTON_DECREMENT_TOL` (1e-12). The decrement is
    in log-likelihood units (twice the predicted distance to the optimum), so the
    criterion does not depend on the scale of the data or on the number of
    subjects: the parameters are within 1e-6 of their standard errors of the
    optimum. The result reports the criterion, its value and the final gradient.

``"r-mmrm"`` (:func:`minimize_objective`)
    R mmrm's default path: ``optim`` L-BFGS-B with memory 5 and ``factr = 1e7`` from
    mmrm's standard start, falling back to BFGS and a trust-region Newton method,
    from the same point and from a moment estimate of the covariance. An
    attempt counts as converged if the relative Hessian criterion
    ``g' H^-1 g / max(|f|, 1)`` is below ``1e-8`` (SAS PROC MIXED's default): this
    reproduces R mmrm's default numbers, including where R stops short of the
    optimum (log-likelihood up to ~1e-5 lower, standard errors ~1e-4 apart).

Under both, an attempt also needs finite values, a positive definite Hessian
and non-degenerate fitted covariance matrices (checked by the caller). If none
converges, :class:`~ldn_stats.errors.ConvergenceError` lists every attempt and
how it ended.

Examples
--------
>>> import numpy as np
>>> from ldn_stats.models.mmrm.optimize import minimize_objective
>>> class Quad:
...     def value_and_grad(self, t):
...         return float((t - 1) @ (t - 1)), 2 * (t - 1)
...     def hessian(self, t):
...         return 2 * np.eye(len(t))
>>> res = minimize_objective(Quad(), [("zero", np.zeros(2))])
>>> res.converged, np.round(res.theta, 6).tolist()
(True, [1.0, 1.0])
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.optimize

from ldn_stats.errors import ConvergenceError

__all__ = [
    "NEWTON_DECREMENT_TOL",
    "RELATIVE_HESSIAN_TOL",
    "Attempt",
    "OptimizerResult",
    "failure_message",
    "minimize_objective",
    "newton_minimize",
    "trust_newton",
]

#: SAS PROC MIXED's default convergence criterion (relative Hessian, CONVH).
RELATIVE_HESSIAN_TOL = 1e-8
#: The default optimizer's criterion: Newton decrement ``g' H^-1 g`` (log-likelihood units).
NEWTON_DECREMENT_TOL = 1e-12


@dataclass(frozen=True)
class Attempt:
    """One optimizer run: what was tried and how it ended.

    Examples
    --------
    >>> Attempt("BFGS", "moment", 10.0, 1e-7, 12, True, "converged").converged
    True
    """

    method: str
    start: str
    f: float
    grad_norm: float
    iterations: int
    converged: bool
    message: str


@dataclass(frozen=True)
class OptimizerResult:
    """The accepted (or, when non-convergence is accepted, the best) attempt.

    Examples
    --------
    >>> import numpy as np
    >>> r = OptimizerResult(np.zeros(1), 0.0, True, "BFGS", 3, 0.0, None, ())
    >>> r.method, r.converged
    ('BFGS', True)
    """

    theta: np.ndarray
    f: float
    converged: bool
    method: str
    iterations: int
    grad_norm: float
    hessian: np.ndarray | None
    attempts: tuple[Attempt, ...]
    criterion: str = "relative Hessian g' H^-1 g / max(|f|, 1)"
    criterion_value: float = float("nan")
    tolerance: float = RELATIVE_HESSIAN_TOL
    gradient: np.ndarray | None = None
    min_eigenvalue: float = float("nan")


def _run(method: str, problem, x0: np.ndarray):
    fun = problem.value_and_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "L-BFGS-B":
            # R optim() defaults: lmm = 5, factr = 1e7, pgtol = 0
            opts = {"maxcor": 5, "ftol": 1e7 * np.finfo(float).eps, "gtol": 0.0,
                    "maxiter": 1000}
            return scipy.optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", options=opts)
        if method == "L-BFGS-B-warm":
            # only to get close before Newton: a looser tolerance than R's, memory 10
            opts = {"maxcor": 10, "ftol": 1e-6, "gtol": 0.0, "maxiter": 1000}
            return scipy.optimize.minimize(fun, x0, jac=True, method="L-BFGS-B", options=opts)
        if method == "BFGS":
            return scipy.optimize.minimize(fun, x0, jac=True, method="BFGS",
                                           options={"gtol": 1e-6, "maxiter": 1000})
        if method == "trust-exact":
            return scipy.optimize.minimize(fun, x0, jac=True, hess=problem.hessian,
                                           method="trust-exact",
                                           options={"gtol": 1e-8, "maxiter": 200})
    raise ValueError(method)


def _assess(problem, theta, check) -> tuple[bool, str, float, float, np.ndarray | None]:
    f, g = problem.value_and_grad(theta)
    if not np.isfinite(f) or not np.all(np.isfinite(g)):
        return False, "objective not finite (covariance not positive definite)", f, np.inf, None
    gnorm = float(np.max(np.abs(g))) if g.size else 0.0
    try:
        H = problem.hessian(theta)
    except MemoryError:
        raise  # not a convergence failure: the caller must see it as what it is
    except Exception as exc:
        return False, f"Hessian failed: {exc}", f, gnorm, None
    if not np.all(np.isfinite(H)):
        return False, "Hessian not finite", f, gnorm, None
    eig = np.linalg.eigvalsh(H) if H.size else np.ones(1)
    if eig.min() <= 1e-10 * max(1.0, abs(eig).max()):
        return False, (f"Hessian not positive definite (smallest eigenvalue {eig.min():.3g}): "
                       "not a proper minimum"), f, gnorm, H
    crit = float(g @ np.linalg.solve(H, g)) / max(abs(f), 1.0)
    if crit > RELATIVE_HESSIAN_TOL:
        return False, (f"relative Hessian criterion {crit:.3g} above "
                       f"{RELATIVE_HESSIAN_TOL:g}"), f, gnorm, H
    if check is not None:
        problem_msg = check(theta)
        if problem_msg:
            return False, problem_msg, f, gnorm, H
    return True, "converged", f, gnorm, H


def minimize_objective(
    problem,
    starts: Sequence[tuple[str, np.ndarray]],
    methods: Sequence[str] = ("L-BFGS-B", "BFGS", "trust-exact"),
    check: Callable[[np.ndarray], str | None] | None = None,
    accept_nonconvergence: bool = False,
    polish: bool = False,
) -> OptimizerResult:
    """Minimize ``problem.value_and_grad`` trying each method from each start.

    Parameters
    ----------
    problem : object
        With ``value_and_grad(theta) -> (f, g)`` and ``hessian(theta) -> H``.
    starts : sequence of (name, theta)
        Starting points, tried in order.
    methods : sequence of str
        ``"L-BFGS-B"`` (R optim defaults), ``"BFGS"``, ``"trust-exact"`` (Newton).
    check : callable, optional
        ``check(theta)`` returns a message when the fitted covariance is degenerate.
    accept_nonconvergence : bool
        Return the best attempt flagged ``converged=False`` instead of raising.
    polish : bool
        After the first converged attempt, refine it with Newton steps
        (``trust-exact``, gradient tolerance 1e-10) and keep the refinement if it
        also converges: the exact optimum rather than R's stopping point.

    Returns
    -------
    OptimizerResult

    Raises
    ------
    ConvergenceError
        If no attempt converged (and ``accept_nonconvergence`` is false); the
        message lists every attempt.

    Examples
    --------
    >>> import numpy as np
    >>> class Flat:
    ...     def value_and_grad(self, t):
    ...         return 0.0, np.zeros_like(t)
    ...     def hessian(self, t):
    ...         return np.zeros((len(t), len(t)))
    >>> minimize_objective(Flat(), [("zero", np.zeros(1))], methods=("BFGS",))
    Traceback (most recent call last):
    ...
    ldn_stats.errors.ConvergenceError: no optimizer converged; tried: ...
    """
    attempts: list[Attempt] = []
    best: tuple[float, np.ndarray, np.ndarray | None, Attempt] | None = None
    for start_name, x0 in starts:
        for method in methods:
            try:
                res = _run(method, problem, np.asarray(x0, dtype=float))
            except MemoryError:
                raise  # not a convergence failure: the caller must see it as what it is
            except Exception as exc:
                attempts.append(Attempt(method, start_name, np.nan, np.nan, 0, False,
                                        f"failed: {exc}"))
                continue
            ok, msg, f, gnorm, H = _assess(problem, res.x, check)
            if ok and not res.success and method != "L-BFGS-B":
                msg = f"{msg} (optimizer: {res.message})"
            nit = int(getattr(res, "nit", 0) or 0)
            att = Attempt(method, start_name, float(f), gnorm, nit, ok, msg)
            attempts.append(att)
            if ok:
                x = np.asarray(res.x, dtype=float)
                if polish:
                    x, f, gnorm, H, attempts = _polish(problem, x, f, gnorm, H, check, attempts,
                                                       start_name)
                return _with_summary(problem, OptimizerResult(
                    x, float(f), True, method, nit, gnorm, H, tuple(attempts)))
            if np.isfinite(f) and (best is None or f < best[0]):
                best = (float(f), np.asarray(res.x, dtype=float), H, att)
    if accept_nonconvergence and best is not None:
        f, x, H, att = best
        return _with_summary(problem, OptimizerResult(
            x, f, False, att.method, att.iterations, att.grad_norm, H, tuple(attempts)))
    raise ConvergenceError(failure_message(attempts))


def _with_summary(problem, res: OptimizerResult) -> OptimizerResult:
    """Fill in the relative Hessian criterion, the final gradient and the smallest eigenvalue."""
    f, g = problem.value_and_grad(res.theta)
    H = res.hessian
    if H is None or not np.all(np.isfinite(g)):
        return dataclasses.replace(res, gradient=np.asarray(g, dtype=float))
    eig = np.linalg.eigvalsh(H) if H.size else np.ones(1)
    try:
        crit = float(g @ np.linalg.solve(H, g)) / max(abs(f), 1.0) if g.size else 0.0
    except np.linalg.LinAlgError:
        crit = float("inf")
    return dataclasses.replace(res, criterion_value=crit, gradient=np.asarray(g, dtype=float),
                               min_eigenvalue=float(eig.min()))


def failure_message(attempts: Sequence[Attempt]) -> str:
    """The ConvergenceError text: every attempt and how it ended.

    Examples
    --------
    >>> failure_message([Attempt("BFGS", "moment", 5.0, 0.1, 7, False, "Hessian not finite")])
    'no optimizer converged; tried: BFGS from moment start: Hessian not finite (...)'
    """
    lines = "; ".join(
        f"{a.method} from {a.start} start: {a.message} (-2 log-likelihood {2 * a.f:.6g}, "
        f"max |gradient| {a.grad_norm:.3g}, {a.iterations} iterations)"
        for a in attempts
    )
    return f"no optimizer converged; tried: {lines}"


def _polish(problem, x, f, gnorm, H, check, attempts, start_name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = scipy.optimize.minimize(problem.value_and_grad, x, jac=True, hess=problem.hessian,
                                      method="trust-exact",
                                      options={"gtol": 1e-10, "maxiter": 50})
    ok, msg, f2, g2, H2 = _assess(problem, res.x, check)
    attempts = [*attempts, Attempt("trust-exact (polish)", start_name, float(f2), g2,
                                   int(res.nit), ok, msg)]
    if ok and f2 <= f:
        return np.asarray(res.x, dtype=float), f2, g2, H2, attempts
    return x, f, gnorm, H, attempts


# ====================================================================== default optimizer
def _tr_step(g: np.ndarray, w: np.ndarray, V: np.ndarray, radius: float):
    """Minimize ``g's + s'Hs/2`` over ``|s| <= radius`` (``H = V diag(w) V'``).

    Returns the step and whether it is the full Newton step. Solves the secular
    equation ``|s(mu)| = radius`` with ``s(mu) = -(H + mu I)^-1 g`` by bisection
    (the Hessians here have at most a few hundred rows); in the "hard case" the
    step is completed along the eigenvector of the smallest eigenvalue.
    """
    gt = V.T @ g
    if w.min() > 0:
        s = -(V @ (gt / w))
        if np.linalg.norm(s) <= radius:
            return s, True
    lo = max(0.0, -float(w.min()))
    gn = float(np.linalg.norm(g))

    def norm_at(mu):
        with np.errstate(divide="ignore", invalid="ignore"):
            return float(np.linalg.norm(gt / (w + mu)))

    hi = lo + gn / radius + 1e-12
    tiny = 1e-12 * max(1.0, abs(lo))
    if norm_at(lo + tiny) < radius:  # hard case
        mu = lo + tiny
        s = -(V @ (gt / (w + mu)))
        rest = radius**2 - float(s @ s)
        return s + np.sqrt(max(rest, 0.0)) * V[:, int(np.argmin(w))], False
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if norm_at(mid) > radius:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-14 * max(1.0, hi):
            break
    return -(V @ (gt / (w + hi))), False


def trust_newton(problem, x0: np.ndarray, check: Callable[[np.ndarray], str | None] | None = None,
                 tol: float = NEWTON_DECREMENT_TOL, max_iter: int = 100):
    """Trust-region Newton with the analytic Hessian, to a verified optimum.

    Stops when the Hessian is positive definite and the Newton decrement
    ``g' H^-1 g`` is at most ``tol``. Near the optimum the objective's changes
    fall below its rounding error, so a full Newton step is then judged by the
    decrement it leaves, not by the change of the objective.

    Returns
    -------
    tuple
        ``(x, f, g, H, iterations, converged, message, decrement)``.

    Examples
    --------
    >>> import numpy as np
    >>> class Rosen:
    ...     def value_and_grad(self, t):
    ...         x, y = t
    ...         return (1 - x) ** 2 + 100 * (y - x * x) ** 2, np.array(
    ...             [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    ...     def hessian(self, t):
    ...         x, y = t
    ...         return np.array([[2 - 400 * (y - 3 * x * x), -400 * x], [-400 * x, 200.0]])
    >>> x, f, g, H, it, ok, msg, dec = trust_newton(Rosen(), np.array([-1.2, 1.0]))
    >>> ok, np.round(x, 8).tolist(), dec <= 1e-12
    (True, [1.0, 1.0], True)
    """
    x = np.asarray(x0, dtype=float).copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        f, g = problem.value_and_grad(x)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return x, f, g, None, 0, False, "objective not finite at the start", np.inf
        H = problem.hessian(x)
        radius = 1.0
        dec = np.inf
        history = [f]
        for it in range(max_iter + 1):
            if not np.all(np.isfinite(H)):
                return x, f, g, H, it, False, "Hessian not finite", dec
            w, V = np.linalg.eigh(H) if H.size else (np.ones(1), np.eye(1)[:, :0])
            pd = bool(w.min() > 1e-10 * max(1.0, float(np.abs(w).max()))) if H.size else True
            gt = V.T @ g
            dec = float(gt @ (gt / w)) if pd and g.size else (0.0 if not g.size else np.inf)
            if pd and dec <= tol:
                msg = check(x) if check is not None else None
                if msg:
                    return x, f, g, H, it, False, msg, dec
                return x, f, g, H, it, True, "converged", dec
            if it == max_iter:
                break
            if not pd and check is not None and it % 10 == 9:
                msg = check(x)
                if msg:  # drifting to a boundary (a singular covariance): stop here
                    return x, f, g, H, it, False, f"{msg} while the Hessian is not PD", dec
            if len(history) > 30 and history[-31] - f <= 1e-10 * max(1.0, abs(f)):
                return x, f, g, H, it, False, (
                    f"stalled: 30 Newton iterations gained less than 1e-10 relative "
                    f"(Newton decrement {dec:.3g}, smallest Hessian eigenvalue "
                    f"{float(w.min()):.3g})"), dec
            for _ in range(60):  # shrink until a step is accepted
                s, full = _tr_step(g, w, V, radius)
                pred = -float(g @ s + 0.5 * s @ H @ s)
                f1, g1 = problem.value_and_grad(x + s)
                ok = np.isfinite(f1) and np.all(np.isfinite(g1))
                small = pred <= 1e-10 * max(1.0, abs(f))
                if ok and full and pd and small:
                    # rounding regime: accept a Newton step that does not worsen f beyond noise
                    accept = f1 <= f + 1e-11 * max(1.0, abs(f))
                    rho = 1.0
                elif ok:
                    rho = (f - f1) / pred if pred > 0 else -1.0
                    accept = rho > 1e-4
                else:
                    rho, accept = -1.0, False
                snorm = float(np.linalg.norm(s))
                if rho < 0.25:
                    radius = 0.25 * snorm
                elif rho > 0.75 and snorm >= 0.99 * radius:
                    radius = min(2.0 * radius, 1e3)
                if accept:
                    break
                if radius < 1e-14:
                    return x, f, g, H, it, False, (
                        f"trust region collapsed (Newton decrement {dec:.3g})"), dec
            else:
                return x, f, g, H, it, False, "no acceptable step", dec
            x, f, g = x + s, float(f1), g1
            history.append(f)
            H = problem.hessian(x)
    return x, f, g, H, max_iter, False, (
        f"{max_iter} Newton iterations without meeting the criterion (decrement {dec:.3g})"), dec


def newton_minimize(
    problem,
    starts: Sequence[tuple[str, np.ndarray]],
    check: Callable[[np.ndarray], str | None] | None = None,
    accept_nonconvergence: bool = False,
    warm: bool = True,
    tol: float = NEWTON_DECREMENT_TOL,
    polish: bool = False,
) -> OptimizerResult:
    """The default strategy: a verified optimum from the first start that reaches one.

    For each start: L-BFGS-B (R's settings) to get close cheaply when ``warm``,
    then :func:`trust_newton` to the criterion; if that fails, trust-region Newton
    from the start itself. The accepted result's ``criterion_value`` is its
    Newton decrement. ``polish`` adds up to three Newton steps after convergence,
    kept while they lower the decrement (toward 1e-20): invariance checks to many
    digits (``optimizer="strict"``).

    Examples
    --------
    >>> import numpy as np
    >>> class Quad:
    ...     def value_and_grad(self, t):
    ...         return float((t - 1) @ (t - 1)), 2 * (t - 1)
    ...     def hessian(self, t):
    ...         return 2 * np.eye(len(t))
    >>> res = newton_minimize(Quad(), [("zero", np.zeros(2))])
    >>> res.converged, res.method, res.criterion_value <= 1e-12
    (True, 'trust-region Newton', True)
    """
    attempts: list[Attempt] = []
    best = None
    label = "trust-region Newton"
    for start_name, x0 in starts:
        x0 = np.asarray(x0, dtype=float)
        tries = []
        if warm:
            try:
                res = _run("L-BFGS-B-warm", problem, x0)
                xw, nw = np.asarray(res.x, dtype=float), int(getattr(res, "nit", 0) or 0)
                fw, _ = problem.value_and_grad(xw)
                if np.isfinite(fw):
                    tries.append((f"{start_name} (after {nw} L-BFGS-B iterations)", xw, nw))
            except MemoryError:  # out of memory is not a failed attempt: say so
                raise
            except Exception as exc:  # recorded as a failed attempt
                attempts.append(Attempt("L-BFGS-B", start_name, np.nan, np.nan, 0, False,
                                        f"failed: {exc}"))
        tries.append((f"{start_name}", x0, 0))
        for where, xs, n0 in tries:
            try:
                x, f, g, H, it, ok, msg, dec = trust_newton(problem, xs, check=check, tol=tol)
            except MemoryError:
                raise
            except Exception as exc:  # recorded as a failed attempt
                attempts.append(Attempt(label, where, np.nan, np.nan, 0, False, f"failed: {exc}"))
                continue
            gnorm = float(np.max(np.abs(g))) if np.size(g) else 0.0
            if ok and polish and dec > 1e-20:
                x2, f2, g2, H2, it2, _, _, dec2 = trust_newton(problem, x, check=check,
                                                               tol=1e-20, max_iter=3)
                if np.isfinite(dec2) and dec2 < dec and not (check and check(x2)):
                    x, f, g, H, dec, it = x2, f2, g2, H2, dec2, it + it2
                    gnorm = float(np.max(np.abs(g))) if np.size(g) else 0.0
            if ok:
                msg = f"converged (Newton decrement {dec:.2g} <= {tol:g})"
            att = Attempt(label, where, float(f), gnorm, n0 + it, ok, msg)
            attempts.append(att)
            eig = float(np.linalg.eigvalsh(H).min()) if H is not None and H.size and np.all(
                np.isfinite(H)) else float("nan")
            out = OptimizerResult(np.asarray(x, dtype=float), float(f), ok, label, n0 + it,
                                  gnorm, H, (), criterion="Newton decrement g' H^-1 g",
                                  criterion_value=float(dec), tolerance=tol,
                                  gradient=np.asarray(g, dtype=float), min_eigenvalue=eig)
            if ok:
                return dataclasses.replace(out, attempts=tuple(attempts))
            if np.isfinite(f) and (best is None or f < best.f):
                best = out
    if accept_nonconvergence and best is not None:
        return dataclasses.replace(best, attempts=tuple(attempts))
    raise ConvergenceError(failure_message(attempts))
