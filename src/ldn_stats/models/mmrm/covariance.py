"""Covariance structures of the MMRM and the marginal covariance of a subject.

Each structure is a small class that maps a parameter vector ``theta`` to a
covariance matrix ``Sigma(theta)`` and its first and second derivatives with
respect to ``theta``. The parametrizations are those of R mmrm (see its
``covariance`` and ``algorithm`` vignettes), because Kenward-Roger with
second-derivative terms depends on the parametrization:

========  ==========================================================  ============
name      theta                                                       k
========  ==========================================================  ============
us        log sd_1..m, then row-wise l_21, l_31, l_32, ... of L~      m(m+1)/2
cs        log sd, logit((rho + a)/(1 + a)) with a = 1/(m-1)            2
csh       log sd_1..m, as cs                                          m + 1
ar1       log sd, f(rho)                                              2
ar1h      log sd_1..m, f(rho)                                         m + 1
ad        log sd, f(rho_1)..f(rho_{m-1})                              m
adh       log sd_1..m, f(rho_1)..f(rho_{m-1})                         2m - 1
toep      log sd, f(rho_1)..f(rho_{m-1})                              m
toeph     log sd_1..m, f(rho_1)..f(rho_{m-1})                         2m - 1
sp_exp    log variance, logit(rho); Sigma_ij = v rho^d_ij              2
sp_gau    log variance, logit(rho); Sigma_ij = v rho^(d_ij^2)          2
========  ==========================================================  ============

with ``f(rho) = rho / sqrt(1 - rho^2)`` (inverse ``theta / sqrt(1 + theta^2)``)
and, for ``us``, ``Sigma = L L'`` with ``L = D L~``, ``D`` the diagonal of
``exp(theta[:m])`` and ``L~`` unit lower triangular.

:class:`MarginalCovariance` combines an R-side structure (optionally one per
group) with G-side random intercepts into the marginal covariance
``V_i = Z_i G Z_i' + R_i`` of a subject's observed rows; this is the protocol
the likelihood works with.

Examples
--------
>>> import numpy as np
>>> from ldn_stats.models.mmrm.covariance import get_structure
>>> ar1 = get_structure("ar1")
>>> sigma, d1, d2 = ar1.sigma(np.array([0.0, 1.0]), m=3, order=2)
>>> np.round(sigma, 3)
array([[1.   , 0.707, 0.5  ],
       [0.707, 1.   , 0.707],
       [0.5  , 0.707, 1.   ]])
>>> d1.shape, d2.shape
((2, 3, 3), (2, 2, 3, 3))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn_stats.errors import ModelError

__all__ = [
    "STRUCTURES",
    "CovarianceStructure",
    "MarginalCovariance",
    "PatternBatch",
    "RandomBlock",
    "get_structure",
    "lower_pairs",
]


# --------------------------------------------------------------------------- transforms
def _f_inv(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """rho = t / sqrt(1 + t^2) with first and second derivatives."""
    s = 1.0 + t * t
    return t / np.sqrt(s), s**-1.5, -3.0 * t * s**-2.5


def _logistic(t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = 1.0 / (1.0 + np.exp(-t))
    d = s * (1.0 - s)
    return s, d, d * (1.0 - 2.0 * s)


def _f_fwd(rho: np.ndarray) -> np.ndarray:
    rho = np.clip(rho, -0.95, 0.95)
    return rho / np.sqrt(1.0 - rho * rho)


# --------------------------------------------------------------------------- structures
class CovarianceStructure:
    """Base class: ``Sigma(theta)`` with derivatives for one group of subjects.

    Subclasses define :meth:`n_theta`, :meth:`sigma` and :meth:`start`.

    Examples
    --------
    >>> import numpy as np
    >>> from ldn_stats.models.mmrm.covariance import get_structure
    >>> us = get_structure("us")
    >>> us.n_theta(3)
    6
    >>> us.sigma(np.zeros(6), m=3)[0]
    array([[1., 0., 0.],
           [0., 1., 0.],
           [0., 0., 1.]])
    """

    name: str = ""
    spatial: bool = False

    def n_theta(self, m: int) -> int:
        """Number of parameters for ``m`` time points."""
        raise NotImplementedError

    def param_names(self, levels: tuple[str, ...]) -> tuple[str, ...]:
        """Readable names of the ``theta`` entries for time-point labels ``levels``."""
        return tuple(f"theta{i + 1}" for i in range(self.n_theta(len(levels))))

    def sigma(
        self,
        theta: np.ndarray,
        m: int | None = None,
        coords: np.ndarray | None = None,
        order: int = 0,
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Return ``Sigma``, ``dSigma/dtheta`` (k, m, m) and second derivatives (k, k, m, m).

        Derivatives are ``None`` when ``order`` is below 1 or 2.
        """
        raise NotImplementedError

    def start(self, sigma: np.ndarray) -> np.ndarray:
        """Starting ``theta`` approximating the covariance matrix ``sigma`` (m x m)."""
        raise NotImplementedError


class _Unstructured(CovarianceStructure):
    name = "us"

    def n_theta(self, m: int) -> int:
        return m * (m + 1) // 2

    def param_names(self, levels: tuple[str, ...]) -> tuple[str, ...]:
        m = len(levels)
        names = [f"log_sd[{lv}]" for lv in levels]
        names += [f"l[{levels[i]},{levels[j]}]" for i in range(m) for j in range(i)]
        return tuple(names)

    def sigma(self, theta, m=None, coords=None, order=0):
        k = self.n_theta(m)
        sd = np.exp(theta[:m])
        lt = np.eye(m)
        rows, cols = _lower_rowwise(m)
        lt[rows, cols] = theta[m:]
        lmat = sd[:, None] * lt
        sig = lmat @ lmat.T
        if order < 1:
            return sig, None, None
        dl = np.zeros((k, m, m))
        for i in range(m):
            dl[i, i, :] = lmat[i, :]
        dl[m + np.arange(len(rows)), rows, cols] = sd[rows]
        half = dl @ lmat.T
        d1 = half + np.swapaxes(half, 1, 2)
        if order < 2:
            return sig, d1, None
        d2l = np.zeros((k, k, m, m))
        for i in range(m):
            d2l[i, i, i, :] = lmat[i, :]
        for q, (r, c) in enumerate(zip(rows, cols, strict=True)):
            d2l[r, m + q, r, c] = sd[r]
            d2l[m + q, r, r, c] = sd[r]
        half2 = np.einsum("hjab,cb->hjac", d2l, lmat)
        cross = np.einsum("hab,jcb->hjac", dl, dl)
        d2 = half2 + np.swapaxes(half2, 2, 3) + cross + np.swapaxes(cross, 0, 1)
        return sig, d1, d2

    def start(self, sigma):
        m = sigma.shape[0]
        lmat = np.linalg.cholesky(sigma)
        sd = np.diag(lmat).copy()
        lt = lmat / sd[:, None]
        rows, cols = _lower_rowwise(m)
        return np.concatenate([np.log(sd), lt[rows, cols]])


def _lower_rowwise(m: int) -> tuple[np.ndarray, np.ndarray]:
    rows = [i for i in range(m) for j in range(i)]
    cols = [j for i in range(m) for j in range(i)]
    return np.array(rows, dtype=int), np.array(cols, dtype=int)


class _CorrelationStructure(CovarianceStructure):
    """``Sigma = D C(rho) D``; subclasses give the correlation family ``C``."""

    heterogeneous: bool = False

    def n_rho(self, m: int) -> int:
        raise NotImplementedError

    def n_theta(self, m: int) -> int:
        return (m if self.heterogeneous else 1) + self.n_rho(m)

    def param_names(self, levels):
        sds = [f"log_sd[{lv}]" for lv in levels] if self.heterogeneous else ["log_sd"]
        return tuple(sds + [f"rho_par{k + 1}" for k in range(self.n_rho(len(levels)))])

    def transform(self, t, m):
        return _f_inv(t)

    def corr(self, rho, m, order):
        """Correlation matrix and its derivatives with respect to ``rho``."""
        raise NotImplementedError

    def sigma(self, theta, m=None, coords=None, order=0):
        n_sd = m if self.heterogeneous else 1
        sd = np.exp(theta[:n_sd]) * np.ones(m)
        rho, r1, r2 = self.transform(theta[n_sd:], m)
        c, dc, d2c = self.corr(rho, m, order)
        outer = sd[:, None] * sd[None, :]
        sig = outer * c
        if order < 1:
            return sig, None, None
        if self.heterogeneous:
            eye = np.eye(m)
            ind = eye[:, :, None] + eye[:, None, :]  # (m, m, m): d log(sd_a sd_b)/d log sd_i
        else:
            ind = np.full((1, m, m), 2.0)
        d_sd = ind * sig
        d_rho = outer * dc * r1[:, None, None]
        d1 = np.concatenate([d_sd, d_rho])
        if order < 2:
            return sig, d1, None
        k = d1.shape[0]
        d2 = np.zeros((k, k, m, m))
        d2[:n_sd, :n_sd] = ind[:, None] * ind[None, :] * sig
        cross = ind[:, None] * d_rho[None, :]
        d2[:n_sd, n_sd:] = cross
        d2[n_sd:, :n_sd] = np.swapaxes(cross, 0, 1)
        rr = outer * d2c * (r1[:, None] * r1[None, :])[:, :, None, None]
        diag = np.arange(len(r1))
        rr[diag, diag] += outer * dc * r2[:, None, None]
        d2[n_sd:, n_sd:] = rr
        return sig, d1, d2

    def start(self, sigma):
        m = sigma.shape[0]
        sd = np.sqrt(np.diag(sigma))
        corr = sigma / np.outer(sd, sd)
        log_sd = np.log(sd) if self.heterogeneous else np.array([np.log(np.mean(sd))])
        return np.concatenate([log_sd, self.start_rho(corr, m)])

    def start_rho(self, corr, m):
        return np.zeros(self.n_rho(m))


class _CS(_CorrelationStructure):
    name = "cs"

    def n_rho(self, m):
        return 1

    def transform(self, t, m):
        a = 1.0 / (m - 1) if m > 1 else 1.0
        s, d, dd = _logistic(t)
        return s * (1 + a) - a, d * (1 + a), dd * (1 + a)

    def corr(self, rho, m, order):
        eye = np.eye(m)
        c = eye + rho[0] * (1 - eye)
        return c, (1 - eye)[None], np.zeros((1, 1, m, m))

    def start_rho(self, corr, m):
        a = 1.0 / (m - 1) if m > 1 else 1.0
        off = corr[~np.eye(m, dtype=bool)]
        rho = float(np.clip(off.mean(), -a + 1e-3, 0.95)) if off.size else 0.0
        x = (rho + a) / (1 + a)
        return np.array([np.log(x / (1 - x))])


class _CSH(_CS):
    name = "csh"
    heterogeneous = True


class _AR1(_CorrelationStructure):
    name = "ar1"

    def n_rho(self, m):
        return 1

    def corr(self, rho, m, order):
        lag = np.abs(np.subtract.outer(np.arange(m), np.arange(m))).astype(float)
        r = rho[0]
        c = r**lag
        dc = (lag * r ** np.maximum(lag - 1, 0))[None]
        d2c = (lag * (lag - 1) * r ** np.maximum(lag - 2, 0))[None, None]
        return c, dc, d2c

    def start_rho(self, corr, m):
        lag1 = np.diag(corr, 1)
        return _f_fwd(np.array([lag1.mean() if lag1.size else 0.0]))


class _AR1H(_AR1):
    name = "ar1h"
    heterogeneous = True


class _Toeplitz(_CorrelationStructure):
    name = "toep"

    def n_rho(self, m):
        return m - 1

    def corr(self, rho, m, order):
        lag = np.abs(np.subtract.outer(np.arange(m), np.arange(m)))
        full = np.concatenate([[1.0], rho])
        c = full[lag]
        dc = np.stack([(lag == k + 1).astype(float) for k in range(m - 1)]) if m > 1 else None
        if dc is None:
            dc = np.zeros((0, m, m))
        return c, dc, np.zeros((m - 1, m - 1, m, m))

    def start_rho(self, corr, m):
        return _f_fwd(np.array([np.diag(corr, k).mean() for k in range(1, m)]))


class _ToeplitzH(_Toeplitz):
    name = "toeph"
    heterogeneous = True


class _AnteDependence(_CorrelationStructure):
    name = "ad"

    def n_rho(self, m):
        return m - 1

    def corr(self, rho, m, order):
        nr = m - 1
        c = np.eye(m)
        dc = np.zeros((nr, m, m))
        d2c = np.zeros((nr, nr, m, m))
        for i in range(m):
            for j in range(i + 1, m):
                span = list(range(i, j))
                c[i, j] = c[j, i] = np.prod(rho[span])
                for k in span:
                    rest = [q for q in span if q != k]
                    dc[k, i, j] = dc[k, j, i] = np.prod(rho[rest])
                    if order >= 2:
                        for q2 in rest:
                            rest2 = [q for q in rest if q != q2]
                            d2c[k, q2, i, j] = d2c[k, q2, j, i] = np.prod(rho[rest2])
        return c, dc, d2c

    def start_rho(self, corr, m):
        return _f_fwd(np.diag(corr, 1).copy())


class _AnteDependenceH(_AnteDependence):
    name = "adh"
    heterogeneous = True


class _Spatial(CovarianceStructure):
    """``Sigma_ij = v * rho^(d_ij^power)`` with ``theta = (log v, logit rho)``."""

    spatial = True
    power = 1

    def n_theta(self, m):
        return 2

    def param_names(self, levels):
        return ("log_variance", "logit_rho")

    def sigma(self, theta, m=None, coords=None, order=0):
        coords = np.asarray(coords, dtype=float)
        if coords.ndim == 1:
            coords = coords[:, None]
        diff = coords[:, None, :] - coords[None, :, :]
        dist = np.sqrt((diff * diff).sum(-1)) ** self.power
        v = np.exp(theta[0])
        rho, r1, r2 = _logistic(np.atleast_1d(theta[1]))
        rho, r1, r2 = rho[0], r1[0], r2[0]
        c = rho**dist
        sig = v * c
        if order < 1:
            return sig, None, None
        dc = dist * rho ** (dist - 1)  # rho > 0 (logistic), so any real power is fine
        d1 = np.stack([sig, v * dc * r1])
        if order < 2:
            return sig, d1, None
        d2cc = dist * (dist - 1) * rho ** (dist - 2)
        d2 = np.empty((2, 2, *sig.shape))
        d2[0, 0] = sig
        d2[0, 1] = d2[1, 0] = v * dc * r1
        d2[1, 1] = v * (d2cc * r1 * r1 + dc * r2)
        return sig, d1, d2

    def start(self, sigma):
        v = float(np.mean(np.diag(sigma)))
        return np.array([np.log(v), 0.0])


class _SpatialExp(_Spatial):
    name = "sp_exp"


class _SpatialGau(_Spatial):
    name = "sp_gau"
    power = 2


STRUCTURES: dict[str, type[CovarianceStructure]] = {
    cls.name: cls
    for cls in (
        _Unstructured, _CS, _CSH, _AR1, _AR1H, _AnteDependence, _AnteDependenceH,
        _Toeplitz, _ToeplitzH, _SpatialExp, _SpatialGau,
    )
}


def get_structure(name: str) -> CovarianceStructure:
    """Return the covariance structure called ``name`` (``us``, ``cs``, ..., ``sp_gau``).

    Examples
    --------
    >>> get_structure("toeph").n_theta(4)
    7
    """
    try:
        return STRUCTURES[name]()
    except KeyError:
        known = ", ".join(sorted(STRUCTURES))
        raise ModelError(
            f"unknown covariance structure {name!r}; expected one of {known}"
        ) from None


# --------------------------------------------------------------------------- marginal model
@dataclass
class PatternBatch:
    """Subjects' row patterns of one size ``n`` for which ``V`` is evaluated together.

    Attributes
    ----------
    group : (P,) int
        Covariance group of each pattern.
    pos : (P, n) int
        Time-point index of each row (non-spatial structures).
    coords : (P, n, d) float or None
        Coordinates of each row (spatial structures).
    clusters : (P, n, n_re) int
        Within-subject cluster label of each row for each random-effect term.
    valid : (P, n) bool, optional
        Which rows are real; padded rows get ``V = 1`` on the diagonal, no
        covariance with other rows and zero derivatives.
    zvals : (P, n, n_z) float, optional
        Values of the random-effect columns of ``Z`` of each row, the blocks'
        columns side by side (``None``: every term is a random intercept).

    Examples
    --------
    >>> import numpy as np
    >>> b = PatternBatch(group=np.array([0]), pos=np.array([[0, 2]]), coords=None,
    ...                  clusters=np.zeros((1, 2, 0), dtype=int))
    >>> b.pos.shape
    (1, 2)
    """

    group: np.ndarray
    pos: np.ndarray
    coords: np.ndarray | None
    clusters: np.ndarray
    valid: np.ndarray | None = None
    zvals: np.ndarray | None = None


def lower_pairs(q: int) -> tuple[tuple[int, int], ...]:
    """``(a, b)``, ``a >= b``: the lower triangle of a q x q matrix, row by row.

    Examples
    --------
    >>> lower_pairs(2)
    ((0, 0), (1, 0), (1, 1))
    """
    return tuple((a, b) for a in range(q) for b in range(a + 1))


@dataclass(frozen=True)
class RandomBlock:
    """One G-side term: its grouping, the columns of ``Z`` and an unstructured ``G``.

    ``G`` enters ``theta`` on the variance scale (linear, as lme4/pbkrtest and SAS
    parametrize it): its lower triangle row by row, ``G_11, G_21, G_22, ...``.

    Examples
    --------
    >>> b = RandomBlock("(1 + ADY | ID)", "ID", ("(Intercept)", "ADY"))
    >>> b.n_theta, b.param_names()
    (3, ('var[ID:(Intercept)]', 'cov[ID:(Intercept),ADY]', 'var[ID:ADY]'))
    >>> RandomBlock("(1 | ID)", "ID", ("(Intercept)",)).param_names()
    ('var[ID]',)
    """

    label: str
    grouping: str
    columns: tuple[str, ...] = ("(Intercept)",)

    @property
    def q(self) -> int:
        """Number of columns of ``Z``."""
        return len(self.columns)

    @property
    def n_theta(self) -> int:
        """Number of parameters of ``G``: ``q (q + 1) / 2``."""
        return self.q * (self.q + 1) // 2

    @property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """``(a, b)``, ``a >= b``, of each parameter: the lower triangle row by row."""
        return lower_pairs(self.q)

    @property
    def intercept_only(self) -> bool:
        """Whether the term is a random intercept ``(1 | grouping)``."""
        return self.columns == ("(Intercept)",)

    def param_names(self) -> tuple[str, ...]:
        """Names of the block's ``theta`` entries."""
        if self.intercept_only:
            return (f"var[{self.grouping}]",)
        c = self.columns
        return tuple(f"var[{self.grouping}:{c[a]}]" if a == b else
                     f"cov[{self.grouping}:{c[b]},{c[a]}]" for a, b in self.pairs)

    def matrix(self, theta: np.ndarray) -> np.ndarray:
        """``G`` (q x q) from the block's ``theta`` entries."""
        g = np.zeros((self.q, self.q))
        for t, (a, b) in zip(theta, self.pairs, strict=True):
            g[a, b] = g[b, a] = t
        return g


class MarginalCovariance:
    """Marginal covariance ``V_i = sum_r Z_ri G_r Z_ri' + R_i(theta)`` of a subject.

    ``theta`` holds first the R-side parameters (the structure's, one block per
    group in the order of ``groups``; or a single residual variance when there is
    no structure), then the entries of each random term's ``G_r``
    (:class:`RandomBlock`), on the variance scale (a linear parametrization, as
    lme4/pbkrtest use): ``V`` is linear in them, ``dV/dG_ab`` is the same-cluster
    mask times ``z_a z_b' + z_b z_a'`` (``z_a z_a'`` on the diagonal) and their
    second derivatives vanish.

    Parameters
    ----------
    structure : CovarianceStructure or None
        R-side structure; ``None`` means ``R_i = sigma^2 I`` with ``theta_0 = sigma^2``.
    times : tuple of str
        Time-point labels (levels of the visit factor), for non-spatial structures.
    groups : tuple of str
        Covariance group labels (``("",)`` when ungrouped).
    n_re : int
        Number of random-intercept terms (when ``blocks`` is not given).
    re_names : tuple of str
        Their grouping labels.
    blocks : tuple of RandomBlock, optional
        The random terms (random intercepts and random coefficients); their
        columns' values come with each :class:`PatternBatch` (``zvals``).

    Examples
    --------
    >>> import numpy as np
    >>> from ldn_stats.models.mmrm.covariance import MarginalCovariance, PatternBatch, get_structure
    >>> model = MarginalCovariance(get_structure("cs"), times=("V1", "V2"), groups=("",))
    >>> batch = PatternBatch(group=np.array([0]), pos=np.array([[0, 1]]), coords=None,
    ...                      clusters=np.zeros((1, 2, 0), dtype=int))
    >>> v, dv, d2v, idx = model.evaluate(np.array([0.0, 0.0]), batch, order=1)
    >>> v[0]
    array([[1., 0.],
           [0., 1.]])
    >>> dv.shape, idx.tolist()
    ((1, 2, 2, 2), [[0, 1]])
    """

    def __init__(
        self,
        structure: CovarianceStructure | None,
        times: tuple[str, ...] = (),
        groups: tuple[str, ...] = ("",),
        n_re: int = 0,
        re_names: tuple[str, ...] = (),
        blocks: tuple[RandomBlock, ...] | None = None,
    ) -> None:
        self.structure = structure
        self.times = tuple(times)
        self.groups = tuple(groups)
        if blocks is None:
            names = tuple(re_names) if re_names else tuple(f"re{r + 1}" for r in range(n_re))
            blocks = tuple(RandomBlock(f"(1 | {nm})", nm) for nm in names)
        self.blocks = tuple(blocks)
        self.n_re = sum(blk.n_theta for blk in self.blocks)
        #: per G parameter: its name in ``theta``
        self.re_names = tuple(n for blk in self.blocks for n in blk.param_names())
        offsets = np.cumsum([0] + [blk.q for blk in self.blocks])
        self._z_offset = tuple(int(o) for o in offsets[:-1])
        m = len(self.times)
        self.k_group = structure.n_theta(m) if structure is not None else 1
        self.n_r = self.k_group * (len(self.groups) if structure is not None else 1)
        self.n_theta = self.n_r + self.n_re

    def re_slices(self) -> list[slice]:
        """Slice of ``theta`` holding each random term's ``G`` entries."""
        out, start = [], self.n_r
        for blk in self.blocks:
            out.append(slice(start, start + blk.n_theta))
            start += blk.n_theta
        return out

    def z_slice(self, r: int) -> slice:
        """Columns of the side-by-side ``Z`` values (``zvalues``, ``zvals``) of term ``r``."""
        o = self._z_offset[r]
        return slice(o, o + self.blocks[r].q)

    def g_matrices(self, theta: np.ndarray) -> list[np.ndarray]:
        """Each random term's ``G`` at ``theta``."""
        return [blk.matrix(theta[sl]) for blk, sl in zip(self.blocks, self.re_slices(),
                                                          strict=True)]

    def variance_params(self) -> np.ndarray:
        """Which ``theta`` entries are variances of random intercept-like terms (q = 1)."""
        mask = np.zeros(self.n_theta, dtype=bool)
        for blk, sl in zip(self.blocks, self.re_slices(), strict=True):
            if blk.q == 1:
                mask[sl] = True
        return mask

    def re_design(self, batch: PatternBatch) -> np.ndarray:
        """``dV/dG`` of every G parameter (P, n_re, n, n), cached on the batch.

        Padded rows and columns are zero.
        """
        cache = batch.__dict__.setdefault("_cache", {})
        key = ("zz", self.blocks)
        if key in cache:
            return cache[key]
        n_pat, n = batch.pos.shape
        out = np.empty((n_pat, self.n_re, n, n))
        j = 0
        for r, blk in enumerate(self.blocks):
            same = (batch.clusters[:, :, None, r] == batch.clusters[:, None, :, r]).astype(float)
            if batch.zvals is None:
                if not blk.intercept_only:
                    raise ModelError(f"random term {blk.label}: the batch has no Z values")
                z = np.ones((n_pat, n, 1))
            else:
                z = batch.zvals[:, :, self.z_slice(r)]
            for a, b in blk.pairs:
                zz = z[:, :, a, None] * z[:, None, :, b]
                if a != b:
                    zz = zz + np.swapaxes(zz, 1, 2)
                out[:, j] = same * zz
                j += 1
        if batch.valid is not None:
            out *= (batch.valid[:, :, None] & batch.valid[:, None, :])[:, None]
        cache[key] = out
        return out

    @property
    def spatial(self) -> bool:
        """Whether the R-side structure works on coordinates rather than time points."""
        return self.structure is not None and self.structure.spatial

    def param_names(self) -> tuple[str, ...]:
        """Names of the ``theta`` entries."""
        if self.structure is None:
            names = ["residual_variance"]
        else:
            base = self.structure.param_names(self.times) if not self.spatial else (
                self.structure.param_names(()))
            if len(self.groups) > 1:
                names = [f"{g}:{b}" for g in self.groups for b in base]
            else:
                names = list(base)
        return tuple(names + list(self.re_names))

    def r_slice(self, g: int) -> slice:
        """Slice of ``theta`` holding the R-side parameters of group ``g``."""
        if self.structure is None:
            return slice(0, 1)
        return slice(g * self.k_group, (g + 1) * self.k_group)

    def group_sigma(self, theta: np.ndarray, g: int, order: int = 0):
        """``Sigma`` of group ``g`` over all time points (non-spatial), with derivatives."""
        th = theta[self.r_slice(g)]
        if self.structure is None:
            m = len(self.times) or 1
            eye = np.eye(m)
            return th[0] * eye, eye[None], np.zeros((1, 1, m, m))
        key = (th.tobytes(), order)
        cache = self.__dict__.setdefault("_sigma_cache", {})
        if key not in cache:
            if len(cache) > 4 * len(self.groups):
                cache.clear()
            cache[key] = self.structure.sigma(th, m=len(self.times), order=order)
        return cache[key]

    def _grouped_d2(self) -> bool:
        return self.structure is not None and not self.spatial

    @property
    def visit_gradient(self) -> bool:
        """Whether :meth:`d1_inner` works on each group's Sigma (visit-indexed, no G-side)."""
        return self._grouped_d2() and self.n_re == 0

    def _group_total(self, batch: PatternBatch, G: np.ndarray, sel: np.ndarray) -> np.ndarray:
        """``sum_p S_p' G_p S_p`` over the patterns ``sel`` (m x m; padded rows dropped)."""
        m = len(self.times)
        pos = batch.pos[sel] if batch.valid is None else np.where(
            batch.valid[sel], batch.pos[sel], m)
        flat = pos[:, :, None] * (m + 1) + pos[:, None, :]
        return np.bincount(flat.ravel(), weights=G[sel].ravel(),
                           minlength=(m + 1) ** 2).reshape(m + 1, m + 1)[:m, :m]

    def d1_inner(self, theta: np.ndarray, batch: PatternBatch, G: np.ndarray) -> np.ndarray:
        """``<G_p, dV_p/dtheta_h>`` for each pattern: (P, k) in local indices.

        For visit-indexed structures only the sum over each group's patterns is
        meaningful (held by the group's first pattern), which is all the gradient
        needs; it costs one m x m contraction per group.
        """
        n_pat = G.shape[0]
        if not self.visit_gradient:
            d1 = self.evaluate(theta, batch, order=1)[1]
            return np.einsum("puv,pkuv->pk", G, d1)
        kr = self.k_group
        out = np.zeros((n_pat, kr))
        for g in np.unique(batch.group):
            sel = np.flatnonzero(batch.group == g)
            d1 = self.group_sigma(theta, int(g), order=1)[1]
            out[sel[0]] = d1.reshape(kr, -1) @ self._group_total(batch, G, sel).ravel()
        return out

    def d2_inner(self, theta: np.ndarray, batch: PatternBatch, G: np.ndarray) -> np.ndarray:
        """``<G_p, d2V_p/dtheta_h dtheta_j>`` for each pattern: (P, k, k) in local indices.

        Works at the level of each group's full ``Sigma`` so the (P, k, k, n, n)
        array of second derivatives is never formed for visit-indexed structures;
        there only the sum over each group's patterns is meaningful (it is held by
        the group's first pattern), which is all the Hessian needs.
        """
        G = self._mask(batch, G)
        if self.structure is None:  # V is linear in theta: no second derivatives
            return np.zeros((G.shape[0], self.n_theta, self.n_theta))
        if not self._grouped_d2():
            d2 = self.evaluate(theta, batch, order=2)[2]
            return np.einsum("puv,pkluv->pkl", G, d2)
        n_pat = G.shape[0]
        kr, m = self.k_group, len(self.times)
        k = kr + self.n_re
        out = np.zeros((n_pat, k, k))
        for g in np.unique(batch.group):
            sel = np.flatnonzero(batch.group == g)
            d2 = self.group_sigma(theta, int(g), order=2)[2].reshape(kr * kr, m * m)
            # the units of a group share their theta indices, and only the sum over
            # units is used: add every unit's G into one m x m matrix (padded rows
            # go to a dummy index m) and put the group's total on its first unit
            full = self._group_total(batch, G, sel)
            out[sel[0], :kr, :kr] = (d2 @ full.ravel()).reshape(kr, kr)
        return out

    def d2_contract(self, theta: np.ndarray, batch: PatternBatch, C: np.ndarray) -> np.ndarray:
        """``sum_hj C_p[h, j] d2V_p/dtheta_h dtheta_j`` for each pattern: (P, n, n)."""
        if self.structure is None:  # V is linear in theta
            return np.zeros((C.shape[0], *batch.pos.shape[1:], batch.pos.shape[1]))
        if not self._grouped_d2():
            d2 = self.evaluate(theta, batch, order=2)[2]
            return np.einsum("pkl,pkluv->puv", C, d2)
        n_pat, n = batch.pos.shape
        kr, m = self.k_group, len(self.times)
        out = np.zeros((n_pat, n, n))
        for g in np.unique(batch.group):
            sel = np.flatnonzero(batch.group == g)
            d2 = self.group_sigma(theta, int(g), order=2)[2].reshape(kr * kr, m * m)
            full = (C[sel, :kr, :kr].reshape(len(sel), kr * kr) @ d2).reshape(-1, m, m)
            pr = batch.pos[sel][:, :, None]
            pc = batch.pos[sel][:, None, :]
            out[sel] = full[np.arange(len(sel))[:, None, None], pr, pc]
        return self._mask(batch, out)

    def evaluate(self, theta: np.ndarray, batch: PatternBatch, order: int = 0):
        """Return ``V`` (P, n, n), ``dV`` (P, k, n, n), ``d2V`` (P, k, k, n, n) and ``idx``.

        ``idx`` (P, k) maps each local derivative to its position in ``theta``;
        derivatives are ``None`` when not requested by ``order``. Padded rows
        (``batch.valid``) are made inert.
        """
        if self.structure is not None and not self.spatial:
            return self._evaluate_visits(theta, batch, order)
        v, d1, d2, idx = self._evaluate_raw(theta, batch, order)
        if batch.valid is None or batch.valid.all():
            return v, d1, d2, idx
        mm = batch.valid[:, :, None] & batch.valid[:, None, :]
        v = np.where(mm, v, 0.0)
        pad = ~batch.valid
        v[:, np.arange(v.shape[1]), np.arange(v.shape[1])] += pad
        if d1 is not None:
            d1 = d1 * mm[:, None]
        if d2 is not None:
            d2 = d2 * mm[:, None, None]
        return v, d1, d2, idx

    def _gather_index(self, batch: PatternBatch, k: int):
        """Flat indices into the stacked, extended group matrices (cached on the batch).

        Each group's ``Sigma`` (and derivatives) is extended by ``n`` dummy time points
        (identity in ``Sigma``, zero in the derivatives) to which padded rows point, so
        one ``take`` gives ``V``, ``dV`` and ``d2V`` with inert padded rows.
        """
        key = ("_gather", k)
        cache = batch.__dict__.setdefault("_cache", {})
        if key not in cache:
            n = batch.pos.shape[1]
            m = len(self.times)
            me = m + n
            pos = batch.pos if batch.valid is None else np.where(
                batch.valid, batch.pos, m + np.arange(n)[None, :])
            cell = pos[:, :, None] * me + pos[:, None, :]  # (P, n, n)
            g = batch.group[:, None, None]
            cache[key] = (me, g * me * me + cell, (g * k)[:, None] * me * me + cell[:, None])
        return cache[key]

    def _evaluate_visits(self, theta: np.ndarray, batch: PatternBatch, order: int = 0):
        """``evaluate`` for visit-indexed structures: gathers from each group's ``Sigma``."""
        n_pat, n = batch.pos.shape
        kr, m = self.k_group, len(self.times)
        n_groups = len(self.groups)
        me, flat0, flat1 = self._gather_index(batch, kr)
        sig = [self.group_sigma(theta, g, order) for g in range(n_groups)]
        ext = np.zeros((n_groups, me, me))
        ext[:, np.arange(m, me), np.arange(m, me)] = 1.0
        for g in range(n_groups):
            ext[g, :m, :m] = sig[g][0]
        v = ext.ravel().take(flat0)
        d1r = d2r = None
        if order >= 1:
            e1 = np.zeros((n_groups, kr, me, me))
            for g in range(n_groups):
                e1[g, :, :m, :m] = sig[g][1]
            k_off = (np.arange(kr) * me * me)[None, :, None, None]
            d1r = e1.ravel().take(flat1 + k_off)
        if order >= 2:
            e2 = np.zeros((n_groups, kr, kr, me, me))
            for g in range(n_groups):
                e2[g, :, :, :m, :m] = sig[g][2]
            kk = (np.arange(kr * kr) * me * me).reshape(1, kr, kr, 1, 1)
            flat2 = (batch.group * kr * kr)[:, None, None, None, None] * me * me + \
                (flat0 - (batch.group * me * me)[:, None, None])[:, None, None]
            d2r = e2.ravel().take(flat2 + kk)
        base = batch.group * kr
        idx = base[:, None] + np.arange(kr)[None, :]
        if self.n_re == 0:
            return v, d1r, d2r, idx
        zz = self.re_design(batch)  # (P, n_re, n, n)
        tau = theta[self.n_r:]
        v = v + np.einsum("r,pruv->puv", tau, zz)
        idx = np.concatenate([idx, np.broadcast_to(self.n_r + np.arange(self.n_re),
                                                   (n_pat, self.n_re))], axis=1)
        d1 = np.concatenate([d1r, zz], axis=1) if order >= 1 else None
        d2 = None
        if order >= 2:
            k = kr + self.n_re
            d2 = np.zeros((n_pat, k, k, n, n))
            d2[:, :kr, :kr] = d2r
        return v, d1, d2, idx

    def _mask(self, batch: PatternBatch, a: np.ndarray) -> np.ndarray:
        """Zero the padded rows and columns of (P, n, n) matrices."""
        if batch.valid is None:
            return a
        return a * (batch.valid[:, :, None] & batch.valid[:, None, :])

    def _evaluate_raw(self, theta: np.ndarray, batch: PatternBatch, order: int = 0):
        n_pat, n = batch.pos.shape
        kr = self.k_group
        if self.structure is None:
            eye = np.eye(n)
            v = np.broadcast_to(theta[0] * eye, (n_pat, n, n)).copy()
            d1r = np.broadcast_to(eye, (n_pat, 1, n, n)) if order >= 1 else None
            d2r = np.zeros((n_pat, 1, 1, n, n)) if order >= 2 else None
        elif self.spatial:
            outs = [self.structure.sigma(theta[self.r_slice(g)], coords=c, order=order)
                    for g, c in zip(batch.group, batch.coords, strict=True)]
            v = np.stack([o[0] for o in outs])
            d1r = np.stack([o[1] for o in outs]) if order >= 1 else None
            d2r = np.stack([o[2] for o in outs]) if order >= 2 else None
        else:
            sig_g = [self.group_sigma(theta, g, order) for g in range(len(self.groups))]
            gi = batch.group[:, None, None]
            pr, pc = batch.pos[:, :, None], batch.pos[:, None, :]
            v = np.stack([s[0] for s in sig_g])[gi, pr, pc]
            d1r = d2r = None
            if order >= 1:
                d1r = np.moveaxis(np.stack([s[1] for s in sig_g])[gi, :, pr, pc], 3, 1)
            if order >= 2:
                d2r = np.moveaxis(np.stack([s[2] for s in sig_g])[gi, :, :, pr, pc], (3, 4), (1, 2))
        base = (batch.group * kr) if self.structure is not None else np.zeros(n_pat, dtype=int)
        idx = base[:, None] + np.arange(kr)[None, :]
        if self.n_re == 0:
            return v, d1r, d2r, idx
        zz = self.re_design(batch)  # (P, n_re, n, n)
        tau = theta[self.n_r:]
        v = v + np.einsum("r,pruv->puv", tau, zz)
        idx = np.concatenate([idx, np.broadcast_to(self.n_r + np.arange(self.n_re),
                                                   (n_pat, self.n_re))], axis=1)
        d1 = np.concatenate([d1r, zz], axis=1) if order >= 1 else None
        d2 = None
        if order >= 2:
            k = kr + self.n_re
            d2 = np.zeros((n_pat, k, k, n, n))
            d2[:, :kr, :kr] = d2r
        return v, d1, d2, idx

    def start(self, sigmas: list[np.ndarray], re_var: np.ndarray | None = None) -> np.ndarray:
        """Starting ``theta`` from moment estimates of each group's covariance."""
        if self.structure is None:
            r = [np.array([float(np.mean(np.diag(sigmas[0])))])]
        else:
            r = [self.structure.start(s) for s in sigmas]
        tail = re_var if re_var is not None else np.zeros(self.n_re)
        return np.concatenate([*r, tail])
