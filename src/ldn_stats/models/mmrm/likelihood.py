"""REML and ML log-likelihood of the MMRM with analytic gradient and Hessian.

Subjects are grouped by their pattern of observed rows (covariance group,
time points or coordinates, random-effect clusters); every subject of a
pattern shares ``V_i``. How the data enter is chosen by the data, pattern by
pattern:

* a pattern shared by many subjects enters through its sufficient statistics
  ``T[u, v] = sum_i z_iu z_iv'`` of the weighted rows ``z = sqrt(w) * (x', y)'``
  (``n x n x q x q``, whatever the number of subjects);
* a pattern held by few subjects (where ``T`` costs more than the rows
  themselves: ``n_s (n + q) < n q``) enters subject by subject, the subjects'
  rows ``Z_i`` (``n x q``) batched by size.

Both give the same numbers (to rounding); high-missingness trials, where nearly
every subject has its own pattern, take the second route.

Notation (per pattern): ``V`` its covariance, ``V_h = dV/dtheta_h``,
``Phi = (X' V^-1 X)^-1``, ``r_i = y_i - X_i beta``, ``P = V^-1 - V^-1 X Phi X' V^-1``
(over all subjects). The negative log-likelihood (the objective) is

``f = 1/2 [N' log(2 pi) + sum_i log|V_i| (+ log|X'V^-1X| for REML) + y'Py]``

with ``N' = N - p`` under REML; its gradient is ``1/2 tr(A V_h) - 1/2 y'P V_h P y``
and its Hessian ``1/2 tr(A V_hj) - 1/2 tr(A V_h A V_j) + y'P V_h P V_j P y
- 1/2 y'P V_hj P y`` with ``A = P`` (REML) or ``V^-1`` (ML), profiled over beta
as R mmrm (TMB) does.

Examples
--------
>>> import numpy as np
>>> from ldn_stats.models.mmrm.covariance import MarginalCovariance, get_structure
>>> from ldn_stats.models.mmrm.likelihood import Likelihood
>>> rng = np.random.default_rng(1)
>>> n_sub, m = 30, 3
>>> subject = np.repeat(np.arange(n_sub), m)
>>> pos = np.tile(np.arange(m), n_sub)
>>> X = np.column_stack([np.ones(n_sub * m), pos == 1, pos == 2]).astype(float)
>>> y = X @ [1.0, 0.5, 1.0] + np.repeat(rng.normal(size=n_sub), m) + rng.normal(size=n_sub * m)
>>> model = MarginalCovariance(get_structure("cs"), times=("V1", "V2", "V3"))
>>> lik = Likelihood(X, y, subject, model, pos=pos, reml=True)
>>> f, g = lik.value_and_grad(np.array([0.3, 0.0]))
>>> bool(np.isfinite(f)), g.shape
(True, (2,))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_stats.errors import ModelError
from ldn_stats.models.mmrm.covariance import MarginalCovariance, PatternBatch

__all__ = ["Likelihood", "LikelihoodState"]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass
class _Batch:
    """Units evaluated together: covariance inputs plus the data, in one of two forms.

    Either ``T`` (pattern units: sufficient statistics) or ``F`` (subject units:
    the weighted rows of one subject each) is set.
    """

    pattern: PatternBatch
    T: np.ndarray | None  # (P, n, n, q, q) with q = p + 1, weighted [X, y]
    n_sub: np.ndarray  # (P,) subjects per unit
    logw: np.ndarray  # (P,) sum of log weights over the unit's rows and subjects
    rows: list[np.ndarray]  # per unit (n_s, n) row indices into the data
    groups_of_idx: list | None = None  # cache for _scatter: (index row, pattern mask)
    F: np.ndarray | None = None  # (P, n, q): one subject's weighted [X, y] per unit

    def xquad(self, A: np.ndarray, p: int) -> np.ndarray:
        """``sum_i X_i' A X_i`` per unit: A (P, ..., n, n) -> (P, ..., p, p)."""
        P_, n = A.shape[0], A.shape[-1]
        mid = A.shape[1:-2]
        if self.T is not None:
            q = self.T.shape[-1]
            out = A.reshape(P_, -1, n * n) @ self.T.reshape(P_, n * n, q * q)
            return out.reshape(P_, *mid, q, q)[..., :p, :p]
        X = self.F[:, :, :p]
        Xe = X.reshape(P_, *([1] * len(mid)), n, p)
        return np.swapaxes(Xe, -1, -2) @ (A @ Xe)


@dataclass
class LikelihoodState:
    """Quantities at one ``theta``: objective, beta, its covariance and per-batch pieces.

    Examples
    --------
    >>> import numpy as np
    >>> from ldn_stats.models.mmrm.covariance import MarginalCovariance
    >>> lik = Likelihood(np.ones((4, 1)), np.array([1.0, 2.0, 3.0, 5.0]),
    ...                  np.array([1, 1, 2, 2]), MarginalCovariance(None))
    >>> st = lik.state(np.array([1.0]))
    >>> st.beta.round(6).tolist()
    [2.75]
    """

    theta: np.ndarray
    f: float
    beta: np.ndarray
    phi: np.ndarray  # (X' V^-1 X)^-1
    xtvx: np.ndarray
    parts: list[dict]
    grad: np.ndarray | None = None
    Pk: np.ndarray | None = None


class Likelihood:
    """The MMRM objective (negative REML or ML log-likelihood) as a function of ``theta``.

    Parameters
    ----------
    X : (N, p) array
        Fixed-effects design of the used rows (full column rank).
    y : (N,) array
        Response.
    subject : (N,) array
        Subject label of each row.
    model : MarginalCovariance
        Covariance model giving ``V_i`` and its derivatives.
    pos : (N,) int array, optional
        Time-point index of each row (non-spatial structures).
    coords : (N, d) array, optional
        Coordinates of each row (spatial structures).
    group : (N,) int array, optional
        Covariance group index of each row (constant within subject).
    clusters : (N, n_re) array, optional
        Random-effect grouping labels of each row (one column per term).
    zvalues : (N, n_z) array, optional
        Values of the random terms' ``Z`` columns of each row, side by side in the
        order of ``model.blocks`` (an intercept column is ones); ``None`` when every
        term is a random intercept. Subjects share a pattern only if their ``Z``
        rows are equal too.
    weights : (N,) array, optional
        Positive weights: ``V_i = W_i^-1/2 Sigma_i W_i^-1/2``.
    reml : bool
        Restricted (default) or full maximum likelihood.
    evaluation : {"auto", "pattern", "subject"}
        How the data enter: chosen per pattern by cost (``"auto"``), or every
        pattern through sufficient statistics, or every subject on its own.

    Examples
    --------
    >>> import numpy as np
    >>> from ldn_stats.models.mmrm.covariance import MarginalCovariance, get_structure
    >>> X = np.ones((4, 1)); y = np.array([1.0, 2.0, 2.0, 4.0])
    >>> model = MarginalCovariance(get_structure("us"), times=("a", "b"))
    >>> lik = Likelihood(X, y, np.array([1, 1, 2, 2]), model, pos=np.array([0, 1, 0, 1]))
    >>> lik.n_subjects, lik.n_obs
    (2, 4)
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        subject: np.ndarray,
        model: MarginalCovariance,
        pos: np.ndarray | None = None,
        coords: np.ndarray | None = None,
        group: np.ndarray | None = None,
        clusters: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        reml: bool = True,
        evaluation: str = "auto",
        zvalues: np.ndarray | None = None,
    ) -> None:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n_obs, p = X.shape
        self.X, self.y, self.model, self.reml = X, y, model, bool(reml)
        self.n_obs, self.p = n_obs, p
        labels, subj_codes = np.unique(np.asarray(subject), return_inverse=True)
        self.subject_labels = labels
        self.subject_codes = subj_codes
        self.n_subjects = int(subj_codes.max()) + 1 if n_obs else 0
        if pos is None:  # no time structure: rows are exchangeable, number them in order
            pos = pd.Series(subj_codes).groupby(subj_codes).cumcount().to_numpy()
        pos = np.asarray(pos, dtype=int)
        group = np.zeros(n_obs, dtype=int) if group is None else np.asarray(group, dtype=int)
        if clusters is None:
            clusters = np.zeros((n_obs, 0), dtype=int)
        clusters = np.asarray(clusters)
        if clusters.ndim == 1:
            clusters = clusters[:, None]
        w = np.ones(n_obs) if weights is None else np.asarray(weights, dtype=float)
        if np.any(~np.isfinite(w)) or np.any(w <= 0):
            raise ModelError("weights must be finite and strictly positive")
        self.weights = w
        if coords is not None:
            coords = np.asarray(coords, dtype=float)
            if coords.ndim == 1:
                coords = coords[:, None]
        if evaluation not in ("auto", "pattern", "subject"):
            raise ModelError(f"evaluation must be 'auto', 'pattern' or 'subject', "
                             f"got {evaluation!r}")
        self.evaluation = evaluation
        if zvalues is not None:
            zvalues = np.asarray(zvalues, dtype=float)
            if zvalues.ndim == 1:
                zvalues = zvalues[:, None]
            if len(zvalues) != n_obs or not np.isfinite(zvalues).all():
                raise ModelError("zvalues must be finite, one row per observation")
        self.zvalues = zvalues
        self.batches = self._build(pos, coords, group, clusters, w)
        self._last: tuple[bytes, LikelihoodState] | None = None

    # ------------------------------------------------------------------ patterns
    def _build(self, pos, coords, group, clusters, w) -> list[_Batch]:
        spatial = coords is not None
        sort_key = (np.arange(self.n_obs), self.subject_codes) if spatial else (
            pos, self.subject_codes)
        order = np.lexsort(sort_key)
        bounds = np.flatnonzero(np.diff(self.subject_codes[order])) + 1
        patterns: dict[tuple, list[np.ndarray]] = {}
        info: dict[tuple, tuple] = {}
        subj_sorted = self.subject_codes[order]
        same = subj_sorted[1:] == subj_sorted[:-1]
        bad = np.flatnonzero(same & (group[order][1:] != group[order][:-1]))
        if bad.size:
            raise ModelError(
                f"subject {self.subject_labels[subj_sorted[bad[0]]]!r}: the covariance group "
                "changes within the subject; a subject must belong to one group"
            )
        if not spatial:
            bad = np.flatnonzero(same & (pos[order][1:] == pos[order][:-1]))
            if bad.size:
                raise ModelError(
                    f"subject {self.subject_labels[subj_sorted[bad[0]]]!r} has more than one "
                    "row at the same time point; each subject may have at most one row per visit"
                )
        n_re = clusters.shape[1]
        for rows in np.split(order, bounds):
            cl = np.zeros((len(rows), n_re), dtype=int)
            for r in range(n_re):
                _, first, inv = np.unique(clusters[rows, r], return_index=True,
                                          return_inverse=True)
                cl[:, r] = np.argsort(np.argsort(first))[inv]
            g0 = int(group[rows[0]])
            zv = None if self.zvalues is None else self.zvalues[rows]
            key = (g0, tuple(pos[rows].tolist()) if not spatial else
                   tuple(map(tuple, coords[rows])), tuple(map(tuple, cl)) if n_re else (),
                   () if zv is None else tuple(map(tuple, zv)))
            found = patterns.get(key)
            if found is None:
                patterns[key] = [rows]
                info[key] = (g0, pos[rows], coords[rows] if spatial else None, cl, zv)
            else:
                found.append(rows)
        Z = np.column_stack([self.X, self.y]) * np.sqrt(w)[:, None]
        q = Z.shape[1]
        self.n_patterns = len(patterns)
        # shared patterns: sufficient statistics; rare ones (T larger than the rows it
        # sums): subject by subject
        shared = {k: v for k, v in patterns.items()
                  if self.evaluation == "pattern" or (
                      self.evaluation == "auto" and len(v) * (len(k[1]) + q) >= len(k[1]) * q)}
        batches = []
        if shared:
            batches.append(self._pattern_batch(shared, info, Z, w, spatial, coords, n_re))
        by_size: dict[int, list] = {}
        for k, v in patterns.items():
            if k not in shared:
                by_size.setdefault(len(k[1]), []).extend((k, r) for r in v)
        # sizes in a few classes (each padded to its largest size, at most ~1.7x the
        # smallest): few batched operations per evaluation, little padding
        sizes = sorted(by_size, reverse=True)
        while sizes:
            top = sizes[0]
            cls = [nv for nv in sizes if nv >= 0.6 * top]
            sizes = [nv for nv in sizes if nv < 0.6 * top]
            units = [u for nv in cls for u in by_size[nv]]
            batches.append(self._subject_batch(units, info, Z, w, spatial, coords, n_re, top))
        return batches

    def _subject_batch(self, units, info, Z, w, spatial, coords, n_re, n) -> _Batch:
        """Subjects with rare patterns, padded to ``n`` rows: one unit per subject."""
        units = sorted(units, key=lambda kr: (-len(kr[1]), kr[0], int(kr[1][0])))
        S, q = len(units), Z.shape[1]
        F = np.zeros((S, n, q))
        valid = np.zeros((S, n), dtype=bool)
        pos = np.zeros((S, n), dtype=int)
        crd = np.zeros((S, n, coords.shape[1])) if spatial else None
        cl = -1 - np.broadcast_to(np.arange(n)[None, :, None], (S, n, n_re)).copy()
        zv = None if self.zvalues is None else np.zeros((S, n, self.zvalues.shape[1]))
        logw = np.zeros(S)
        for j, (k, r) in enumerate(units):
            nv = len(r)
            F[j, :nv] = Z[r]
            valid[j, :nv] = True
            pos[j, :nv] = info[k][1]
            if spatial:
                crd[j, :nv] = info[k][2]
            cl[j, :nv] = info[k][3]
            if zv is not None:
                zv[j, :nv] = info[k][4]
            logw[j] = float(np.log(w[r]).sum())
        pb = PatternBatch(group=np.array([info[k][0] for k, _ in units], dtype=int),
                          pos=pos, coords=crd, clusters=cl, valid=valid, zvals=zv)
        return _Batch(pb, None, np.ones(S), logw, [r[None, :] for _, r in units], F=F)

    def _pattern_batch(self, patterns, info, Z, w, spatial, coords, n_re) -> _Batch:
        # one batch: every pattern padded to the largest size with inert rows (V = 1 on
        # the diagonal, no correlation, zero data), so each evaluation is a few batched
        # operations whatever the number of distinct patterns
        keys = sorted(patterns, key=lambda k: (len(k[1]), k))
        n = max(len(k[1]) for k in keys)
        q = Z.shape[1]
        n_pat = len(keys)
        T = np.zeros((n_pat, n, n, q, q))
        valid = np.zeros((n_pat, n), dtype=bool)
        pos_b = np.zeros((n_pat, n), dtype=int)
        coords_b = np.zeros((n_pat, n, coords.shape[1])) if spatial else None
        cl_b = -1 - np.broadcast_to(np.arange(n)[None, :, None], (n_pat, n, n_re)).copy()
        zv_b = None if self.zvalues is None else np.zeros((n_pat, n, self.zvalues.shape[1]))
        ns, lw, rows_list = [], [], []
        for j, key in enumerate(keys):
            rows = np.stack(patterns[key])  # (n_s, nv)
            nv = rows.shape[1]
            zs = Z[rows].reshape(len(rows), -1)  # (n_s, nv * q)
            T[j, :nv, :nv] = (zs.T @ zs).reshape(nv, q, nv, q).transpose(0, 2, 1, 3)
            valid[j, :nv] = True
            _, pos_j, coords_j, cl_j, zv_j = info[key]
            pos_b[j, :nv] = pos_j
            if spatial:
                coords_b[j, :nv] = coords_j
            cl_b[j, :nv] = cl_j
            if zv_b is not None:
                zv_b[j, :nv] = zv_j
            ns.append(len(rows))
            lw.append(float(np.log(w[rows]).sum()))
            rows_list.append(rows)
        pb = PatternBatch(
            group=np.array([info[k][0] for k in keys], dtype=int),
            pos=pos_b, coords=coords_b, clusters=cl_b, valid=valid, zvals=zv_b,
        )
        return _Batch(pb, T, np.array(ns, dtype=float), np.array(lw), rows_list)

    # ------------------------------------------------------------------ core
    def state(self, theta: np.ndarray, order: int = 0) -> LikelihoodState | None:
        """Evaluate at ``theta``; ``None`` if some ``V_i`` is not positive definite.

        ``order`` 1 adds the gradient and keeps first derivatives of ``V`` (second
        derivatives are contracted on demand by the covariance model).
        """
        theta = np.asarray(theta, dtype=float)
        p = self.p
        parts = []
        M = np.zeros((p + 1, p + 1))
        logdet = 0.0
        # visit-indexed structures: the gradient is taken on each group's Sigma, and
        # dV (units x parameters x n x n) is gathered only when a Hessian needs it
        lazy = self.model.visit_gradient
        for b in self.batches:
            V, dV, _, idx = self.model.evaluate(theta, b.pattern,
                                                order=0 if lazy else min(order, 1))
            try:
                Lc = np.linalg.cholesky(V)
            except np.linalg.LinAlgError:
                return None
            diag = np.diagonal(Lc, axis1=1, axis2=2)
            if not np.all(np.isfinite(diag)) or np.any(diag <= 0):
                return None
            Vinv = np.linalg.inv(V)
            Vinv = 0.5 * (Vinv + np.swapaxes(Vinv, 1, 2))
            logdet += float(b.n_sub @ (2.0 * np.log(diag).sum(axis=1)) - b.logw.sum())
            if b.T is not None:
                M += np.tensordot(Vinv, b.T, axes=([0, 1, 2], [0, 1, 2]))
            else:
                q = b.F.shape[-1]
                M += b.F.reshape(-1, q).T @ (Vinv @ b.F).reshape(-1, q)
            parts.append({"batch": b, "V": V, "Vinv": Vinv, "dV": dV, "idx": idx})
        xtvx = M[:p, :p]
        try:
            Lx = np.linalg.cholesky(xtvx)
        except np.linalg.LinAlgError:
            return None
        phi = np.linalg.inv(xtvx)
        phi = 0.5 * (phi + phi.T)
        beta = phi @ M[:p, p]
        quad = M[p, p] - beta @ M[:p, p]
        n_eff = self.n_obs - p if self.reml else self.n_obs
        f = 0.5 * (n_eff * _LOG_2PI + logdet + quad)
        if self.reml:
            f += float(np.log(np.diag(Lx)).sum())
        st = LikelihoodState(theta, float(f), beta, phi, xtvx, parts)
        if order >= 1:
            st.grad = self._gradient(st)
            self._last = (theta.tobytes(), st)
        return st

    def _cached(self, theta: np.ndarray) -> LikelihoodState | None:
        """The state of the last order-1 evaluation if it was at ``theta``."""
        theta = np.asarray(theta, dtype=float)
        if self._last is not None and self._last[0] == theta.tobytes():
            return self._last[1]
        return None

    def _residual_stats(self, st: LikelihoodState, part: dict) -> None:
        """Per-pattern C = sum X_i Phi X_i', S = sum r_i r_i', E = V^-1 S V^-1."""
        if "E" in part:
            return
        p = self.p
        T = part["batch"].T
        c = np.concatenate([-st.beta, [1.0]])
        Vinv = part["Vinv"]
        if T is None:
            F = part["batch"].F
            X = F[:, :, :p]
            part["C"] = (X @ st.phi) @ np.swapaxes(X, 1, 2)
            r = F @ c  # (S, n)
            part["r"] = r
            vr = (Vinv @ r[:, :, None])[:, :, 0]
            part["E"] = vr[:, :, None] * vr[:, None, :]
            return
        phi_pad = np.zeros((p + 1, p + 1))
        phi_pad[:p, :p] = st.phi
        part["C"] = T.reshape(-1, (p + 1) ** 2) @ phi_pad.ravel()
        part["C"] = part["C"].reshape(T.shape[:3])
        Tr = np.tensordot(T, c, axes=([4], [0]))  # (P, n, n, q): sum_i z_iu r_iv
        part["Txr"] = Tr[..., :p]
        S = Tr @ c
        part["E"] = Vinv @ S @ Vinv

    def _gradient(self, st: LikelihoodState) -> np.ndarray:
        g = np.zeros(self.model.n_theta)
        for part in st.parts:
            self._residual_stats(st, part)
            G = self._gmat(part)
            if part["dV"] is None:
                local = self.model.d1_inner(st.theta, part["batch"].pattern, G)
            else:
                n_pat, k, n = part["dV"].shape[:3]
                local = (part["dV"].reshape(n_pat, k, n * n)
                         @ G.reshape(n_pat, n * n, 1))[..., 0]
            _scatter(g, part, local)
        return g

    def dv(self, st: LikelihoodState, part: dict) -> np.ndarray:
        """``dV/dtheta`` of a part's units (P, k, n, n), gathered on first use."""
        if part["dV"] is None:
            part["dV"] = self.model.evaluate(st.theta, part["batch"].pattern, order=1)[1]
        return part["dV"]

    def _gmat(self, part: dict) -> np.ndarray:
        """Matrix G with d f / d theta_h = <G, V_h> for each pattern."""
        if "G" not in part:
            Vinv = part["Vinv"]
            G = part["batch"].n_sub[:, None, None] * Vinv - part["E"]
            if self.reml:
                G = G - Vinv @ part["C"] @ Vinv
            part["G"] = 0.5 * G
        return part["G"]

    # ------------------------------------------------------------------ public API
    def objective(self, theta: np.ndarray) -> float:
        """Negative log-likelihood at ``theta`` (``inf`` where ``V`` is not positive definite)."""
        st = self.state(theta, order=0)
        return np.inf if st is None else st.f

    def value_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Objective and its analytic gradient at ``theta``."""
        st = self.state(theta, order=1)
        if st is None:
            self._last = None
            return np.inf, np.full(self.model.n_theta, np.nan)
        return st.f, st.grad

    def p_matrices(self, st: LikelihoodState) -> np.ndarray:
        """``Pk_h = X' V^-1 V_h V^-1 X`` (K, p, p); ``dPhi/dtheta_h = Phi Pk_h Phi``."""
        if st.Pk is not None:
            return st.Pk
        p, K = self.p, self.model.n_theta
        out = np.zeros((K, p, p))
        for part in st.parts:
            if "A" not in part:
                part["A"] = part["Vinv"][:, None] @ self.dv(st, part) @ part["Vinv"][:, None]
            _scatter(out, part, part["batch"].xquad(part["A"], p))
        st.Pk = out
        return out

    def hessian(self, theta: np.ndarray, st: LikelihoodState | None = None,
                kind: str = "observed") -> np.ndarray:
        """Analytic Hessian of the objective with respect to ``theta`` (beta profiled out).

        ``kind="expected"`` gives the expected information ``1/2 tr(A V_h A V_j)``
        instead (``A = P`` under REML, ``V^-1`` under ML), as pbkrtest uses.
        """
        if st is None or st.grad is None:
            st = self._cached(theta) or self.state(theta, order=1)
        if st is None:
            raise ModelError("the covariance matrix is not positive definite at theta")
        observed = kind == "observed"
        K, p = self.model.n_theta, self.p
        H = np.zeros((K, K))
        Pk = self.p_matrices(st)
        u = np.zeros((K, p))
        for part in st.parts:
            self._residual_stats(st, part)
            G = self._gmat(part)
            Vinv, dV = part["Vinv"], self.dv(st, part)
            n_pat, k, n = dV.shape[:3]
            n_sub = part["batch"].n_sub
            B = Vinv[:, None] @ dV  # V^-1 V_h
            Bt = np.swapaxes(B, 2, 3).reshape(n_pat, k, n * n)

            def _tr(left, Bt=Bt, n_pat=n_pat, k=k, n=n):
                # tr(left_h B_j) for all h, j: (P, k, k)
                return left.reshape(n_pat, k, n * n) @ np.swapaxes(Bt, 1, 2)

            # the pattern-local terms, all of the form tr(L B_h B_j): -1/2 tr(A V_h A V_j)
            # gives L = -n/2 I (+ V^-1 C under REML); the observed information adds
            # tr(E V_h B_j) = tr(E V B_h B_j), so L += E V
            L = np.broadcast_to(-0.5 * n_sub[:, None, None] * np.eye(n), (n_pat, n, n))
            if self.reml:
                L = L + Vinv @ part["C"]
            if observed:
                L = L + part["E"] @ part["V"]
            local = _tr(L[:, None] @ B)
            if observed:
                local += self.model.d2_inner(st.theta, part["batch"].pattern, G)
                A = part["A"]
                if "Txr" in part:
                    loc_u = A.reshape(n_pat, k, n * n) @ part["Txr"].reshape(n_pat, n * n, p)
                else:  # subject units: X_i' A_h r_i
                    Ar = (A @ part["r"][:, None, :, None])[..., 0]  # (S, k, n)
                    loc_u = Ar @ part["batch"].F[:, :, :p]
                _scatter(u, part, loc_u)
            _scatter(H, part, local, square=True)
        phi = st.phi
        if observed:
            H -= u @ phi @ u.T
        if self.reml:
            PP = np.einsum("hab,bc->hac", Pk, phi)
            H -= 0.5 * np.einsum("hab,jba->hj", PP, PP)
        if not observed:
            H = -H
        return 0.5 * (H + H.T)

    def empirical_meat(self, st: LikelihoodState) -> np.ndarray:
        """``sum_i X_i' V_i^-1 r_i r_i' V_i^-1 X_i`` (weighted rows), for the sandwich."""
        p = self.p
        Z = np.column_stack([self.X, self.y]) * np.sqrt(self.weights)[:, None]
        c = np.concatenate([-st.beta, [1.0]])
        meat = np.zeros((p, p))
        for part in st.parts:
            for j, rows in enumerate(part["batch"].rows):
                nv = rows.shape[1]
                zs = Z[rows]  # (n_s, nv, q)
                r = zs @ c
                xs = zs[:, :, :p]
                s = np.einsum("sna,nm,sm->sa", xs, part["Vinv"][j][:nv, :nv], r)
                meat += s.T @ s
        return meat

    def subject_information(self, st: LikelihoodState) -> np.ndarray:
        """Per-subject ``M_i = X_i' V_i^-1 X_i`` (n_subjects, p, p), in pattern order."""
        p = self.p
        Xw = self.X * np.sqrt(self.weights)[:, None]
        out = []
        for part in st.parts:
            for j, rows in enumerate(part["batch"].rows):
                nv = rows.shape[1]
                xs = Xw[rows]  # (n_s, nv, p)
                out.append(np.einsum("sua,uv,svb->sab", xs, part["Vinv"][j][:nv, :nv], xs))
        return np.concatenate(out) if out else np.zeros((0, p, p))


def _scatter(out: np.ndarray, part: dict, local: np.ndarray, square: bool = False) -> None:
    """``out[idx[p]] += local[p]`` (or ``out[ix_(idx[p], idx[p])]`` when ``square``).

    Patterns sharing the same index row (same group) are summed first; the
    grouping of index rows is cached on the batch (it does not depend on theta).
    """
    batch = part["batch"]
    if batch.groups_of_idx is None:
        uniq, inv = np.unique(part["idx"], axis=0, return_inverse=True)
        inv = np.asarray(inv).ravel()
        batch.groups_of_idx = [(row, inv == r) for r, row in enumerate(uniq)]
    if len(batch.groups_of_idx) == 1:  # one covariance group: no selection needed
        row = batch.groups_of_idx[0][0]
        tot = local.sum(axis=0)
        if square:
            out[np.ix_(row, row)] += tot
        else:
            out[row] += tot
        return
    for row, sel in batch.groups_of_idx:
        tot = local[sel].sum(axis=0)
        if square:
            out[np.ix_(row, row)] += tot
        else:
            out[row] += tot
