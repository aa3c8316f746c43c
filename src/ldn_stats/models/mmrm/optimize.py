"""Minimize the MMRM objective: several optimizers and starting points, strict convergence.

The first attempt reproduces R mmrm's default (``optim`` L-BFGS-B with memory 5
and ``factr = 1e7`` from mmrm's standard start), so that estimates agree with
R to the digits R reports. Further attempts (BFGS, then a trust-region Newton
method with the analytic Hessian) start from the same point and from a moment
estimate of the covariance. An attempt counts as converged only if

* the objective and gradient are finite and the relative Hessian criterion
  ``g' H^-1 g / max(|f|, 1)`` is below ``1e-8`` (SAS PROC MIXED's default), and
* the Hessian is positive definite (a proper minimum), and
* the fitted covariance matrices are non-degenerate (checked by the caller).

If none converges, :class:`~ldn_stats.errors.ConvergenceError` lists every
attempt and how it ended.

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

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.optimize

from ldn_stats.errors import ConvergenceError

__all__ = [
    "RELATIVE_HESSIAN_TOL",
    "Attempt",
    "OptimizerResult",
    "failure_message",
    "minimize_objective",
]

#: SAS PROC MIXED's default convergence criterion (relative Hessian, CONVH).
RELATIVE_HESSIAN_TOL = 1e-8


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


def _run(method: str, problem, x0: np.ndarray):
    fun = problem.value_and_grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "L-BFGS-B":
            # R optim() defaults: lmm = 5, factr = 1e7, pgtol = 0
            opts = {"maxcor": 5, "ftol": 1e7 * np.finfo(float).eps, "gtol": 0.0,
                    "maxiter": 1000}
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
                return OptimizerResult(x, float(f), True, method, nit, gnorm, H,
                                       tuple(attempts))
            if np.isfinite(f) and (best is None or f < best[0]):
                best = (float(f), np.asarray(res.x, dtype=float), H, att)
    if accept_nonconvergence and best is not None:
        f, x, H, att = best
        return OptimizerResult(x, f, False, att.method, att.iterations, att.grad_norm, H,
                               tuple(attempts))
    raise ConvergenceError(failure_message(attempts))


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
