"""Reference-based multiple imputation: :func:`draws` -> ``impute`` -> ``analyse`` -> ``pool``.

The three steps of rbmi (Gower-Page et al. 2022), with the package's MMRM as the
imputation model:

1. :func:`draws` fits the imputation model (an MMRM, any covariance structure,
   optionally one per arm) to the observed data that are compatible with it:
   observed values after an intercurrent event handled by a reference-based
   strategy are left out of the fit (and only of the fit). Which fits depends on
   the method: the full data and every leave-one-subject-out sample
   (``condmean`` + ``jackknife``), the full data and bootstrap samples
   (``condmean`` + ``bootstrap``), bootstrap samples (``approxbayes``), or
   bootstrap samples each imputed ``D`` times (``bmlmi``).
2. :meth:`Draws.impute` imputes the missing outcomes under the strategies
   (MAR, JR, CR, CIR, LMCF or a user function) and the reference arm of each arm.
3. :meth:`Imputations.analyse` analyses every completed data set (per-visit
   ANCOVA or the package's MMRM with Kenward-Roger), optionally after adding a
   delta to the imputed values, and :meth:`Analysis.pool` pools them (jackknife,
   bootstrap, Rubin's rules with Barnard-Rubin df, or von Hippel-Bartlett).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(4)
>>> n = 40
>>> d = pd.DataFrame({"ID": np.repeat([f"S{i:02d}" for i in range(n)], 3),
...                   "V": np.tile(["W1", "W2", "W3"], n),
...                   "ARM": np.repeat(np.where(np.arange(n) % 2, "TRT", "PBO"), 3)})
>>> d["Y"] = np.repeat(rng.normal(size=n), 3) + rng.normal(size=3 * n)
>>> d = d[~((d["ID"] < "S06") & (d["V"] == "W3"))]
>>> ice = pd.DataFrame({"ID": ["S01", "S03", "S05"], "V": ["W3"] * 3, "strategy": ["JR"] * 3})
>>> dr = draws(d, "Y ~ ARM * V + us(V | ID)", group="ARM", ice=ice, workers=0)
>>> pooled = dr.impute({"PBO": "PBO", "TRT": "PBO"}).analyse("ancova").pool()
>>> pooled.columns.tolist()
['parameter', 'V', 'estimate', 'std_error', 'df', 'conf_low', 'conf_high', 'p_value']
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ldn_stats.errors import ConvergenceError, DataError, LdnStatsError, ModelError
from ldn_stats.mi._analyse import ancova_estimates, encode_covariates
from ldn_stats.mi._data import FormulaNames, LongData, formula_names
from ldn_stats.mi._impute import ImputePlan, complete
from ldn_stats.mi.pool import bmlmi_pool, bootstrap_pool, jackknife_pool, rubin_rules
from ldn_stats.mi.strategies import BUILTIN

if TYPE_CHECKING:
    from ldn_stats.mi.tipping import TippingPoint

__all__ = ["Analysis", "Draws", "Imputations", "Sample", "draws"]

METHODS = ("condmean", "approxbayes", "bmlmi")
PARAMETERS = ("trt", "lsm_ref", "lsm_alt")
_CHUNK = 12  # fits per parallel task (fixed: results never depend on the worker count)
_AUTO_PARALLEL_S = 30.0  # "auto" starts a cluster when the rest would take longer serially


@dataclass(frozen=True)
class Sample:
    """One fit of the imputation model.

    ``ids``: subject indices of the data set it imputes (None: every subject);
    ``beta``: coefficients in the full-data fit's column order; ``sigma``: group
    code -> visit covariance; ``theta``: the optimizer's parameters.
    """

    ids: np.ndarray | None
    beta: np.ndarray
    sigma: dict
    theta: np.ndarray


def _mmrm():
    from ldn_stats import mmrm
    return mmrm


def _supports_start() -> bool:
    try:
        return "start" in inspect.signature(_mmrm()).parameters
    except (TypeError, ValueError):  # pragma: no cover
        return False


def _extract(fit, columns: tuple[str, ...], visits: list[str], groups: list[str],
             cov_grouped: bool) -> tuple[np.ndarray, dict, np.ndarray] | str:
    coef = fit.coef["estimate"]
    if tuple(coef.index) != columns:
        return (f"the fit has coefficients {', '.join(coef.index)}; the full-data fit "
                f"{', '.join(columns)}")
    cov = fit.covariance
    tables = cov if isinstance(cov, dict) else {None: cov}
    sig: dict[int, np.ndarray] = {}
    for label, tab in tables.items():
        names = [str(v) for v in tab.index]
        if names != visits:
            return f"the fit has visits {', '.join(names)}, the data {', '.join(visits)}"
        mat = tab.to_numpy(dtype=float)
        if label is None:
            for g in range(len(groups)):
                sig[g] = mat
        else:
            sig[groups.index(str(label))] = mat
    if len(sig) != len(groups):
        return "the fit has no covariance for some arm"
    return coef.to_numpy(dtype=float), sig, fit.theta["estimate"].to_numpy(dtype=float)


def _fit_chunk(job: dict) -> list:
    """Fit the imputation model to each sample of a chunk (a Dask task)."""
    mmrm = _mmrm()
    frame: pd.DataFrame = job["frame"]
    rows_of: list[np.ndarray] = job["rows_of"]
    subj = job["subject"]
    out = []
    for ids in job["samples"]:
        rows = np.concatenate([rows_of[i] for i in ids]) if len(ids) else np.zeros(0, int)
        d = frame.iloc[rows]
        if job["relabel"]:
            d = d.copy()
            lab = np.concatenate([np.full(rows_of[i].size, k) for k, i in enumerate(ids)])
            d[subj] = pd.Categorical.from_codes(lab, categories=[f"s{k}" for k in
                                                                 range(len(ids))])
        try:
            fit = mmrm(job["formula"], d, **job["options"])
            res = _extract(fit, job["columns"], job["visits"], job["groups"], job["grouped"])
        except LdnStatsError as exc:
            res = f"{type(exc).__name__}: {exc}"
        out.append(res)
    return out


def _known(strategies: Mapping[str, Callable] | None) -> dict[str, Callable]:
    user = dict(strategies or {})
    for k, fn in user.items():
        if not callable(fn):
            raise ModelError(f"strategy {k!r} must be a function (pars_group, pars_ref, "
                             f"index_mar) -> (mu, sigma), found {type(fn).__name__} {fn!r}")
        if k == "MAR":
            raise ModelError("the MAR strategy cannot be redefined")
    return user


def draws(
    data: pd.DataFrame,
    formula: str,
    group: str,
    ice: pd.DataFrame | None = None,
    method: str = "condmean",
    resampling: str = "jackknife",
    n_samples: int | None = None,
    seed: int | None = None,
    *,
    D: int = 2,
    reml: bool = True,
    strategies: Mapping[str, Callable] | None = None,
    threshold: float = 0.01,
    mmrm_options: Mapping[str, Any] | None = None,
    workers: int | str | None = "auto",
    scheduler: str | None = None,
    client: Any = None,
    progress: bool | None = None,
) -> Draws:
    """Fit the imputation model (the first step of reference-based MI, rbmi's ``draws``).

    Parameters
    ----------
    data : pandas.DataFrame
        Long data, one row per subject and visit; rows may be absent (they are
        added: every subject gets every visit) and outcomes missing.
    formula : str
        The imputation model, an MMRM formula of the package:
        ``"CHG ~ BASE * AVISIT + TRT01P * AVISIT + us(AVISIT | USUBJID)"``; the
        response, visit and subject columns are read from it. ``us(AVISIT | TRT01P /
        USUBJID)`` fits one covariance per arm. Any visit-indexed structure
        (``us, cs, csh, ar1, ar1h, ad, adh, toep, toeph``).
    group : str
        The arm column (constant within subject).
    ice : pandas.DataFrame, optional
        Intercurrent events: the subject and visit columns (the first visit
        affected) and ``strategy`` (``MAR``, ``JR``, ``CR``, ``CIR``, ``LMCF`` or a
        name in ``strategies``). Subjects not listed are MAR throughout.
    method : str
        ``"condmean"`` (conditional mean imputation, deterministic),
        ``"approxbayes"`` (one bootstrap MMRM per random imputation, Rubin's rules)
        or ``"bmlmi"`` (von Hippel-Bartlett: ``D`` random imputations of each
        bootstrap sample).
    resampling : str
        For ``condmean``: ``"jackknife"`` (every leave-one-subject-out refit) or
        ``"bootstrap"`` (``n_samples`` bootstrap samples, stratified by arm).
    n_samples : int, optional
        Bootstrap samples (``condmean`` + ``bootstrap``, ``approxbayes``, ``bmlmi``:
        default 100).
    seed : int, optional
        Seed of the bootstrap samples and random draws: the same seed, the same bytes.
    D : int
        Random imputations per bootstrap sample for ``bmlmi``.
    reml : bool
        REML (default, as rbmi) or ML fits.
    strategies : dict, optional
        User strategies by name, each ``f(pars_group, pars_ref, index_mar) -> (mu,
        sigma)`` (see :mod:`ldn_stats.mi.strategies`).
    threshold : float
        Fraction of bootstrap fits allowed to fail (replaced by further samples); a
        failed jackknife fit is an error naming the subject.
    mmrm_options : dict, optional
        Passed to :func:`ldn_stats.mmrm` (for example ``{"optimizer": "strict"}``).
    workers : int, "auto" or None
        ``0``: serial; ``n``: an embedded Dask ``LocalCluster`` of ``n`` workers;
        ``None``: one worker per core; ``"auto"`` (default): the first chunk of
        fits runs here and is timed; the rest runs serially unless it would take
        more than ~30 s, then on one worker per core. The results are
        identical whatever the choice.
    scheduler : str, optional
        Address of an existing Dask cluster to use instead.
    client : distributed.Client, optional
        An open client to use.
    progress : bool, optional
        Progress bar (default: on a terminal only).

    Returns
    -------
    Draws

    Raises
    ------
    DataError
        Bad data or ice table (naming table, column, row and value).
    ModelError, ConvergenceError
        Bad arguments; the full-data fit or a jackknife refit failed; too many
        bootstrap fits failed.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"ID": np.repeat(np.arange(30), 2), "V": np.tile(["a", "b"], 30),
    ...                   "ARM": np.repeat(["P", "T"], 30)})
    >>> d["Y"] = rng.normal(size=60)
    >>> dr = draws(d.iloc[:-1], "Y ~ ARM * V + us(V | ID)", "ARM", workers=0)
    >>> len(dr.samples)  # the full data and 30 leave-one-out fits
    31
    """
    from ldn_stats.parallel import pinned_blas

    with pinned_blas():  # small dense blocks: threaded BLAS only costs start-up
        return _draws(data, formula, group, ice, method, resampling, n_samples, seed, D, reml,
                      strategies, threshold, mmrm_options, workers, scheduler, client,
                      progress)


def _draws(data, formula, group, ice, method, resampling, n_samples, seed, D, reml,
           strategies, threshold, mmrm_options, workers, scheduler, client, progress):
    if method not in METHODS:
        raise ModelError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "condmean" and resampling not in ("jackknife", "bootstrap"):
        raise ModelError(f"resampling must be 'jackknife' or 'bootstrap', got {resampling!r}")
    names = formula_names(formula)
    if names.cov_group is not None and names.cov_group != group:
        raise ModelError(f"one covariance per group must be by the arm column {group!r}, the "
                         f"formula has {names.cov_group!r}")
    user = _known(strategies)
    ld = LongData(data, names, group)
    ld.set_ice(ice, set(BUILTIN) | set(user))
    n = len(ld.subjects)
    if len(ld.groups) < 1:
        raise DataError(f"data, column {group!r}: no arm (every value of the column is "
                        "missing, or the data have no rows)")
    stochastic = method != "condmean" or resampling == "bootstrap"
    if stochastic:
        n_samples = 100 if n_samples is None else int(n_samples)
        if n_samples < 2:
            raise ModelError(f"n_samples must be at least 2, got {n_samples}")
    if method == "bmlmi" and int(D) < 2:
        raise ModelError(f"bmlmi needs D >= 2, got {D}")
    fit_mask = ld.fit_mask()
    fit_rows = np.flatnonzero(fit_mask.ravel())
    frame = _categorical_keys(ld.frame.iloc[fit_rows].reset_index(drop=True), ld)
    row_subject = fit_rows // len(ld.visits)
    rows_of = [np.flatnonzero(row_subject == i) for i in range(n)]
    options = {"reml": bool(reml), **dict(mmrm_options or {})}
    try:
        fit0 = _mmrm()(formula, frame, **options)
    except ConvergenceError as exc:
        raise ConvergenceError(f"the imputation model did not converge on the full data: "
                               f"{exc}") from None
    columns = tuple(fit0.coef.index)
    visits = [str(v) for v in ld.visits]
    groups = [str(g) for g in ld.groups]
    base = _extract(fit0, columns, visits, groups, names.cov_group is not None)
    if isinstance(base, str):
        raise ModelError(f"the imputation model on the full data: {base}")
    beta0, sig0, theta0 = base
    jackknife = method == "condmean" and resampling == "jackknife"
    if "start" in options or not _supports_start() or not jackknife:
        # a leave-one-out fit is near the full-data optimum: Newton from there takes
        # 2-3 steps; a bootstrap fit is not, and R's own path from the standard
        # start is faster there (and is what rbmi runs)
        warm = options
    else:
        warm = {**options, "start": theta0}
    rng = np.random.default_rng(np.random.SeedSequence(seed if seed is not None else 0))
    # the samples to fit, fixed before any fitting
    if method == "condmean" and resampling == "jackknife":
        plan = [np.delete(np.arange(n), i) for i in range(n)]
        max_fail = 0
        relabel = False
    else:
        max_fail = math.ceil(threshold * n_samples)
        strata = [np.flatnonzero(ld.group_code == g) for g in range(len(ld.groups))]
        plan = []
        for _ in range(n_samples + max_fail):
            plan.append(np.sort(np.concatenate([rng.choice(s, size=s.size, replace=True)
                                                for s in strata if s.size])))
        relabel = True
    job_base = {"frame": frame, "rows_of": rows_of, "subject": names.subject,
                "formula": formula, "options": warm, "columns": columns, "visits": visits,
                "groups": groups, "grouped": names.cov_group is not None, "relabel": relabel}
    first = plan[: len(plan) - max_fail]
    fitted = _run_fits(first, job_base, workers, scheduler, client, progress, "mi draws")
    samples: list[Sample] = []
    failures: list[str] = []
    extra = iter(plan[len(first):])
    for ids, res in zip(first, fitted, strict=True):
        while isinstance(res, str):
            failures.append(res)
            if method == "condmean" and resampling == "jackknife":
                left = sorted(set(range(n)) - set(ids.tolist()))[0]
                raise ConvergenceError(f"the imputation model failed after removing subject "
                                       f"{ld.subjects[left]!r}: {res}")
            if len(failures) > max_fail:
                raise ConvergenceError(
                    f"more than {max_fail} of {n_samples} bootstrap fits of the imputation "
                    f"model failed (threshold {threshold}); the last: {res}. Try a simpler "
                    "covariance structure")
            ids = next(extra)
            res = _fit_chunk({**job_base, "samples": [ids]})[0]
        b, s, t = res
        samples.append(Sample(ids=ids, beta=b, sigma=s, theta=t))
    if method == "condmean":
        samples.insert(0, Sample(ids=None, beta=beta0, sigma=sig0, theta=theta0))
    seeds = np.random.SeedSequence(seed if seed is not None else 0).spawn(len(samples) + 1)[1:]
    return Draws(method=method, resampling=resampling if method == "condmean" else "bootstrap",
                 n_samples=n_samples, D=int(D) if method == "bmlmi" else None,
                 longdata=ld, names=names, formula=formula, fit=fit0, samples=tuple(samples),
                 n_failures=len(failures), strategies=user, _seeds=tuple(seeds),
                 _parallel={"workers": workers, "scheduler": scheduler, "client": client,
                            "progress": progress})


def _categorical_keys(frame: pd.DataFrame, ld: LongData) -> pd.DataFrame:
    """Subject, visit and arm as categoricals in the package's level order: the same
    design as the raw columns, and each refit factorizes them cheaply."""
    frame = frame.copy()
    for col, levels in ((ld.names.subject, ld.subjects), (ld.names.visit, ld.visits),
                        (ld.group, ld.groups)):
        if not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = pd.Categorical(frame[col], categories=levels)
    return frame


def _run_fits(plan, job_base, workers, scheduler, client, progress, desc):
    from ldn_stats.parallel import map_chunks

    chunks = [{**job_base, "samples": plan[i:i + _CHUNK]} for i in range(0, len(plan), _CHUNK)]
    head: list = []
    if workers == "auto":
        if client is None and scheduler is None:
            # time the first chunk here; a cluster only pays when the rest is long
            t0 = time.perf_counter()
            head = map_chunks(_fit_chunk, chunks[:1], workers=0, progress=False)
            rest = (time.perf_counter() - t0) * (len(chunks) - 1)
            chunks = chunks[1:]
            workers = 0 if rest < _AUTO_PARALLEL_S else None
        else:
            workers = None
    elif isinstance(workers, str):
        raise ModelError(f"workers must be an int, None or 'auto', got {workers!r}")
    parts = head + map_chunks(_fit_chunk, chunks, client=client, workers=workers,
                              scheduler=scheduler, progress=progress, desc=desc)
    return [r for part in parts for r in part]


@dataclass(frozen=True)
class Draws:
    """Fits of the imputation model (from :func:`draws`).

    Attributes
    ----------
    method, resampling : str
    samples : tuple of Sample
        For ``condmean`` the full-data fit comes first.
    fit : MMRMResult
        The imputation model fitted to the full data.
    n_failures : int
        Bootstrap fits that failed and were replaced.
    longdata : LongData
        The expanded data and intercurrent events.
    """

    method: str
    resampling: str
    n_samples: int | None
    D: int | None
    longdata: LongData
    names: FormulaNames
    formula: str
    fit: Any
    samples: tuple
    n_failures: int
    strategies: dict = field(repr=False)
    _seeds: tuple = field(repr=False)
    _parallel: dict = field(repr=False)

    def impute(self, references: Mapping[Any, Any], strategy: pd.DataFrame | None = None,
               strategies: Mapping[str, Callable] | None = None) -> Imputations:
        """Impute the missing outcomes under each subject's strategy.

        Parameters
        ----------
        references : dict
            Arm -> its reference arm, for every arm (``{"LDN": "PBO", "PBO": "PBO"}``).
        strategy : pandas.DataFrame, optional
            Subject and ``strategy`` columns: new strategies for subjects with an ICE
            (their ICE visits stay those of :func:`draws`). A change between MAR and a
            reference-based strategy is refused for a subject with observed data
            after its event (the imputation model would differ).
        strategies : dict, optional
            More user strategy functions by name.

        Returns
        -------
        Imputations
        """
        ld = self.longdata
        user = {**self.strategies, **_known(strategies)}
        known = set(BUILTIN) | set(user)
        ice_index, strat = ld.update_strategy(strategy, known)
        if not isinstance(references, Mapping):
            raise ModelError("references must be a dict arm -> reference arm")
        label = {str(g): i for i, g in enumerate(ld.groups)}
        ref_code = {}
        for k, v in references.items():
            if str(k) not in label:
                raise DataError(f"references: arm {k!r} is not in column {ld.group!r} "
                                f"(arms: {', '.join(map(str, ld.groups))})")
            if str(v) not in label:
                raise DataError(f"references: reference arm {v!r} of {k!r} is not in column "
                                f"{ld.group!r} (arms: {', '.join(map(str, ld.groups))})")
            ref_code[label[str(k)]] = label[str(v)]
        missing = [str(g) for i, g in enumerate(ld.groups) if i not in ref_code]
        if missing:
            raise DataError(f"references: no reference arm for {', '.join(missing)} "
                            "(give every arm, the reference arm mapping to itself)")
        own = ld.group_code
        ref = np.array([ref_code[g] for g in own])
        spec = self.fit.spec
        x_own = spec.matrix(ld.frame)
        fr = ld.frame.copy()
        gcol = ld.group
        ref_labels = np.asarray(ld.groups, dtype=object)[np.repeat(ref, len(ld.visits))]
        if isinstance(fr[gcol].dtype, pd.CategoricalDtype):
            fr[gcol] = pd.Categorical(ref_labels, categories=fr[gcol].cat.categories,
                                      ordered=fr[gcol].cat.ordered)
        else:
            fr[gcol] = pd.Series(ref_labels, index=fr.index).astype(ld.frame[gcol].dtype)
        x_ref = spec.matrix(fr)
        plan = ImputePlan.build(ld.y, x_own, x_ref, own, ref, ice_index, strat, user)
        random = self.method in ("approxbayes", "bmlmi")
        reps = self.D if self.method == "bmlmi" else 1
        datasets = []
        for k, s in enumerate(self.samples):
            if random:
                g = np.random.default_rng(self._seeds[k])
                for _ in range(reps):
                    datasets.append((s.ids if self.method == "bmlmi" else None,
                                     complete(plan, s.beta, s.sigma, g)))
            else:
                datasets.append((s.ids if self.resampling == "bootstrap" else None,
                                 complete(plan, s.beta, s.sigma)))
        if self.method == "condmean" and self.resampling == "jackknife":
            # leave-one-out sample k analyses every subject but k - 1
            datasets = [(None, datasets[0][1])] + [
                (s.ids, y) for s, (_, y) in zip(self.samples[1:], datasets[1:], strict=True)]
        return Imputations(draws=self, references=dict(references), ice_index=ice_index,
                           strategy=strat, datasets=tuple(datasets),
                           imputed=np.isnan(ld.y))


@dataclass(frozen=True)
class Imputations:
    """Completed data sets (from :meth:`Draws.impute`).

    Attributes
    ----------
    datasets : tuple of (subject indices or None, outcome matrix)
        Each completed data set: its subjects (None: all, in ``longdata.subjects``
        order) and their ``(n, n_visits)`` outcomes.
    imputed : numpy.ndarray
        ``(n_subjects, n_visits)``: True where the outcome was imputed.
    """

    draws: Draws
    references: dict
    ice_index: np.ndarray = field(repr=False)
    strategy: np.ndarray = field(repr=False)
    datasets: tuple = field(repr=False)
    imputed: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.datasets)

    def data(self, k: int = 0) -> pd.DataFrame:
        """The ``k``-th completed data set as long data (every subject, every visit).

        Subjects appearing more than once in a bootstrap sample appear once per copy.
        """
        ld = self.draws.longdata
        ids, y = self.datasets[k]
        m = len(ld.visits)
        sel = np.arange(len(ld.subjects)) if ids is None else np.asarray(ids)
        rows = (sel[:, None] * m + np.arange(m)[None, :]).ravel()
        out = ld.frame.iloc[rows].reset_index(drop=True)
        out[self.draws.names.response] = y[sel].ravel()
        out["imputed"] = self.imputed[sel].ravel()
        return out

    def delta_template(self, delta: Mapping[Any, Sequence[float]] | Sequence[float] | None = None,
                       dlag: Sequence[float] | None = None) -> pd.DataFrame:
        """A delta table (subject, visit, arm, is_mar, is_missing, is_post_ice, strategy, delta).

        Without ``delta`` the delta column is 0 (fill it by your own rule). With
        ``delta`` (one value per visit, or a dict arm -> one value per visit) and
        ``dlag`` (default ``[1, 0, 0, ...]``: the same delta at every visit after
        the event) each subject's delta at a post-event visit is the cumulative sum
        of ``delta * dlag`` from its event on (rbmi's ``delta_template``, the five
        macros' convention); visits before the event get 0. Deltas only ever
        apply to imputed values (:meth:`analyse`).

        Examples
        --------
        See :func:`ldn_stats.mi.draws`; ``imp.delta_template({"LDN": [0, 1, 2, 3]},
        dlag=[1, 1, 1, 1])`` accumulates.
        """
        ld = self.draws.longdata
        n, m = len(ld.subjects), len(ld.visits)
        post = ld.post_ice(self.ice_index)
        is_mar = ld.is_mar(self.ice_index, self.strategy)
        d = np.zeros((n, m))
        if delta is not None:
            per = _per_arm(delta, ld, m)
            lag = np.r_[1.0, np.zeros(m - 1)] if dlag is None else np.asarray(dlag, float)
            if lag.shape != (m,):
                raise ModelError(f"dlag must have one value per visit ({m}), got {lag.size}")
            for i in range(n):
                vec = per[ld.group_code[i]]
                p = post[i]
                if p.any():
                    k = int(p.sum())
                    d[i, p] = np.cumsum(vec[p] * lag[:k])
        d[~np.isnan(ld.y) & post] = 0.0
        strat = np.where(is_mar, "MAR", np.repeat(self.strategy[:, None], m, axis=1))
        strat = np.where(np.isnan(ld.y), strat, None)
        return pd.DataFrame({
            ld.names.subject: np.repeat(ld.frame[ld.names.subject].to_numpy()[::m], m),
            ld.names.visit: ld.frame[ld.names.visit].to_numpy(),
            ld.group: ld.frame[ld.group].to_numpy(),
            "is_mar": is_mar.ravel(), "is_missing": np.isnan(ld.y).ravel(),
            "is_post_ice": post.ravel(), "strategy": strat.ravel(), "delta": d.ravel()})

    def _delta_matrix(self, delta: pd.DataFrame | None) -> np.ndarray | None:
        if delta is None:
            return None
        ld = self.draws.longdata
        subj, visit = ld.names.subject, ld.names.visit
        if not isinstance(delta, pd.DataFrame):
            raise DataError("delta must be a DataFrame with subject, visit and delta columns")
        for c in (subj, visit, "delta"):
            if c not in delta.columns:
                raise DataError(f"delta table has no column {c!r}")
        from ldn_stats.mi._data import _lookup
        si = _lookup(ld.subjects, delta[subj], "delta", subj)
        vi = _lookup(ld.visits, delta[visit], "delta", visit)
        val = pd.to_numeric(delta["delta"], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(val))
        if bad.size:
            r = int(bad[0])
            raise DataError(f"delta table, column 'delta', row {r + 1}: value "
                            f"{delta['delta'].iloc[r]!r} is not a finite number")
        out = np.zeros((len(ld.subjects), len(ld.visits)))
        key = si * len(ld.visits) + vi
        if pd.Series(key).duplicated().any():
            r = int(np.flatnonzero(pd.Series(key).duplicated().to_numpy())[0])
            raise DataError(f"delta table, row {r + 1}: subject and visit appear twice")
        out[si, vi] = val
        return out * self.imputed

    def analyse(self, kind: str = "ancova", covariates: Sequence[str] | None = None,
                delta: pd.DataFrame | None = None, visits: Sequence[Any] | None = None,
                df_method: str = "kenward-roger", workers: int | None = 0,
                client: Any = None) -> Analysis:
        """Analyse every completed data set.

        Parameters
        ----------
        kind : str
            ``"ancova"`` (rbmi's per-visit ANCOVA of the outcome on the arm and the
            covariates) or ``"mmrm"`` (the package's MMRM of the completed data:
            ``outcome ~ arm * visit + covariate * visit + us(visit | subject)`` with
            ``df_method``, LS-means by arm within visit).
        covariates : sequence of str, optional
            Covariate columns (``a*b`` and ``a:b`` terms allowed for ANCOVA).
        delta : pandas.DataFrame, optional
            Subject, visit and ``delta`` columns (see :meth:`delta_template`): added
            to the imputed values only, before the analysis.
        visits : sequence, optional
            Visits to report (default all).
        df_method : str
            For ``kind="mmrm"``.
        workers : int or None
            For ``kind="mmrm"``: parallel fits as in :func:`draws` (default serial).
        client : distributed.Client, optional
            For ``kind="mmrm"``: run the fits on this cluster.

        Returns
        -------
        Analysis
        """
        prepared = self._prepare(kind, covariates, visits)
        return self._analyse(prepared, self._delta_matrix(delta), df_method, workers, client)

    def _prepare(self, kind: str, covariates, visits) -> dict:
        ld = self.draws.longdata
        names = ld.names
        m = len(ld.visits)
        if kind not in ("ancova", "mmrm"):
            raise ModelError(f"analysis kind must be 'ancova' or 'mmrm', got {kind!r}")
        if len(ld.groups) != 2:
            raise ModelError(f"the analysis compares two arms; column {ld.group!r} has "
                             f"{len(ld.groups)} ({', '.join(map(str, ld.groups))})")
        vis_idx = list(range(m))
        if visits is not None:
            from ldn_stats.mi._data import _lookup
            vis_idx = sorted(set(_lookup(ld.visits, pd.Series(list(visits)), "visits",
                                         names.visit).tolist()))
        forbidden = {ld.group: "the arm is in the model already",
                     names.visit: "the analysis is per visit",
                     names.response: "it is the outcome", names.subject: "it is the subject"}
        z = encode_covariates(ld.frame, covariates, forbidden)[0] if kind == "ancova" else None
        return {"kind": kind, "covariates": covariates, "vis_idx": vis_idx, "z": z}

    def _analyse(self, prepared: dict, dm, df_method="kenward-roger", workers=0,
                 client=None) -> Analysis:
        ld = self.draws.longdata
        vis_idx = prepared["vis_idx"]
        if prepared["kind"] == "ancova":
            est = _ancova_all(self, prepared["z"], dm, vis_idx)
        else:
            est = _mmrm_all(self, prepared["covariates"], dm, vis_idx, df_method, workers,
                            client)
        return Analysis(imputations=self, kind=prepared["kind"],
                        visits=[ld.visits[j] for j in vis_idx], estimates=est)

    def tipping_point(self, deltas: Mapping[Any, Sequence[float]], kind: str = "ancova",
                      covariates: Sequence[str] | None = None, visit: Any = None,
                      parameter: str = "trt", dlag: Sequence[float] | None = None,
                      alpha: float = 0.05, conf_level: float = 0.95,
                      workers: int | None = 0) -> TippingPoint:
        """Tipping-point analysis: a grid of deltas per arm on the same imputations.

        Parameters
        ----------
        deltas : dict
            Arm -> the deltas to try for its imputed values (one or two arms; two
            give a grid of every pair).
        kind, covariates : as :meth:`analyse`.
        visit : optional
            The visit analysed (default the last).
        parameter : str
            ``trt`` (default), ``lsm_ref`` or ``lsm_alt``.
        dlag : sequence, optional
            As :meth:`delta_template` (default: the same delta at every post-event visit).
        alpha : float
            The tipping point is the smallest delta (in absolute value, along the
            first arm's grid, for each value of the second arm's) with p >= alpha.

        Returns
        -------
        TippingPoint
        """
        from ldn_stats.mi.tipping import TippingPoint, run_grid
        return run_grid(self, deltas, kind=kind, covariates=covariates, visit=visit,
                        parameter=parameter, dlag=dlag, alpha=alpha, conf_level=conf_level,
                        workers=workers, cls=TippingPoint)


def _per_arm(delta, ld: LongData, m: int) -> dict[int, np.ndarray]:
    out = {g: np.zeros(m) for g in range(len(ld.groups))}
    if isinstance(delta, Mapping):
        label = {str(g): i for i, g in enumerate(ld.groups)}
        for k, v in delta.items():
            if str(k) not in label:
                raise DataError(f"delta: arm {k!r} is not in column {ld.group!r}")
            vec = np.broadcast_to(np.asarray(v, dtype=float), (m,)).copy() \
                if np.ndim(v) == 0 else np.asarray(v, dtype=float)
            if vec.shape != (m,):
                raise ModelError(f"delta for arm {k!r} must have one value per visit ({m})")
            out[label[str(k)]] = vec
        return out
    vec = np.broadcast_to(np.asarray(delta, dtype=float), (m,)).copy() \
        if np.ndim(delta) == 0 else np.asarray(delta, dtype=float)
    if vec.shape != (m,):
        raise ModelError(f"delta must have one value per visit ({m})")
    return {g: vec for g in out}


def _ancova_all(imp: Imputations, z: np.ndarray, dm: np.ndarray | None,
                vis_idx: list[int]) -> np.ndarray:
    """(K, n_visits, 3 parameters, 3 [est, se, df]) for every data set."""
    ld = imp.draws.longdata
    n, m = len(ld.subjects), len(ld.visits)
    alt = (ld.group_code == 1).astype(float)
    zq = z.reshape(n, m, -1)
    K = len(imp.datasets)
    out = np.empty((K, len(vis_idx), 3, 3))
    full = [k for k, (ids, _) in enumerate(imp.datasets) if ids is None]
    if full:
        Y = np.stack([imp.datasets[k][1] for k in full], axis=-1)  # (n, m, K')
        if dm is not None:
            Y = Y + dm[:, :, None]
        for jj, j in enumerate(vis_idx):
            out[full, jj] = ancova_estimates(Y[:, j, :], alt, zq[:, j, :])
    for k, (ids, y) in enumerate(imp.datasets):
        if ids is None:
            continue
        yk = y[ids] + (dm[ids] if dm is not None else 0.0)
        for jj, j in enumerate(vis_idx):
            out[k, jj] = ancova_estimates(yk[:, j:j + 1], alt[ids], zq[ids, j, :])[0]
    return out


def _mmrm_chunk(job: dict) -> list:
    from ldn_stats import mmrm

    out = []
    for d in job["frames"]:
        try:
            fit = mmrm(job["formula"], d, df_method=job["df_method"])
        except LdnStatsError as exc:
            raise ModelError(f"the analysis MMRM failed on a completed data set: {exc}") \
                from None
        lsm = fit.lsmeans(job["group"], by=job["visit"])
        pw = fit.pairwise(job["group"], by=job["visit"])
        res = np.empty((len(job["visits"]), 3, 3))
        for jj, v in enumerate(job["visits"]):
            p = pw[pw[job["visit"]].astype(str) == v].iloc[0]
            la = lsm[lsm[job["visit"]].astype(str) == v]
            r0 = la[la[job["group"]].astype(str) == job["groups"][0]].iloc[0]
            r1 = la[la[job["group"]].astype(str) == job["groups"][1]].iloc[0]
            for pi, row in enumerate((p, r0, r1)):
                res[jj, pi] = (row["estimate"], row["std_error"], row["df"])
        out.append(res)
    return out


def _mmrm_all(imp: Imputations, covariates, dm, vis_idx, df_method, workers,
              client=None) -> np.ndarray:
    from ldn_stats.parallel import map_chunks

    ld = imp.draws.longdata
    names = ld.names
    n, m = len(ld.subjects), len(ld.visits)
    covs = [] if covariates is None else ([covariates] if isinstance(covariates, str)
                                          else list(covariates))
    for c in covs:
        if c not in ld.frame.columns:
            raise DataError(f"data has no covariate column {c!r}")
    rhs = [f"{ld.group} * {names.visit}"] + [f"{c} * {names.visit}" for c in covs]
    formula = (f"{names.response} ~ {' + '.join(rhs)} + "
               f"us({names.visit} | {names.subject})")
    frames = []
    for ids, y in imp.datasets:
        sel = np.arange(n) if ids is None else np.asarray(ids)
        rows = (sel[:, None] * m + np.arange(m)[None, :]).ravel()
        d = ld.frame.iloc[rows].reset_index(drop=True)
        yk = y[sel] + (dm[sel] if dm is not None else 0.0)
        d[names.response] = yk.ravel()
        if ids is not None:
            d[names.subject] = np.repeat([f"s{k}" for k in range(sel.size)], m)
        frames.append(d)
    visits = [str(ld.visits[j]) for j in vis_idx]
    groups = [str(g) for g in ld.groups]
    chunks = [{"frames": frames[i:i + _CHUNK], "formula": formula, "df_method": df_method,
               "group": ld.group, "visit": names.visit, "visits": visits, "groups": groups}
              for i in range(0, len(frames), _CHUNK)]
    parts = map_chunks(_mmrm_chunk, chunks, workers=workers, client=client,
                       desc="mi analyse")
    return np.stack([r for p in parts for r in p])


@dataclass(frozen=True)
class Analysis:
    """Per-data-set estimates (from :meth:`Imputations.analyse`).

    Attributes
    ----------
    estimates : numpy.ndarray
        ``(n_datasets, n_visits, 3, 3)``: data set, visit, parameter (``trt``,
        ``lsm_ref``, ``lsm_alt``), then (estimate, std_error, df).
    visits : list
    """

    imputations: Imputations
    kind: str
    visits: list
    estimates: np.ndarray = field(repr=False)

    def pool(self, conf_level: float = 0.95, interval: str = "percentile",
             mc_error: bool = False) -> pd.DataFrame:
        """Pool the analyses: one row per parameter and visit.

        Parameters
        ----------
        conf_level : float
        interval : str
            ``condmean`` + ``bootstrap`` only: ``"percentile"`` (rbmi's default: no SE)
            or ``"normal"``.
        mc_error : bool
            Add Monte-Carlo standard errors ``mc_se_estimate`` (``sqrt(B/M)``),
            ``mc_se_std_error`` and ``mc_se_p_value`` (jackknife over imputations) for
            ``approxbayes`` (NaN for the other methods).

        Returns
        -------
        pandas.DataFrame
            ``parameter`` (``trt`` = alt - ref, ``lsm_ref``, ``lsm_alt``; ``ref`` is the
            first arm in the arm column's categorical, else sorted, order, as rbmi's
            factor levels), the visit column, ``estimate, std_error, df, conf_low,
            conf_high, p_value``. ``df`` is infinite for a normal reference.
        """
        if not 0 < conf_level < 1:
            raise ModelError(f"conf_level must be between 0 and 1, got {conf_level!r}")
        d = self.imputations.draws
        est = self.estimates
        rows = []
        for jj, v in enumerate(self.visits):
            for pi, pname in enumerate(PARAMETERS):
                e = est[:, jj, pi, 0]
                if d.method == "condmean" and d.resampling == "jackknife":
                    p = jackknife_pool(e, conf_level)
                elif d.method == "condmean":
                    p = bootstrap_pool(e, conf_level, interval)
                elif d.method == "bmlmi":
                    p = bmlmi_pool(e, d.D, conf_level)
                else:
                    p = rubin_rules(e, est[:, jj, pi, 1], _df_complete(est[:, jj, pi, 2]),
                                    conf_level)
                row = {"parameter": pname, "_visit": v, **p._asdict()}
                if mc_error:
                    row.update(_mc_error(d.method, est[:, jj, pi], conf_level))
                rows.append(row)
        out = pd.DataFrame(rows).rename(columns={"_visit": d.names.visit})
        return out

    def per_dataset(self) -> pd.DataFrame:
        """Every data set's estimates in long form (data set, parameter, visit, estimate,
        std_error, df)."""
        d = self.imputations.draws
        K, V, P, _ = self.estimates.shape
        k, j, p = np.meshgrid(np.arange(K), np.arange(V), np.arange(P), indexing="ij")
        return pd.DataFrame({"dataset": k.ravel(),
                             "parameter": np.asarray(PARAMETERS)[p.ravel()],
                             d.names.visit: np.asarray(self.visits, dtype=object)[j.ravel()],
                             "estimate": self.estimates[..., 0].ravel(),
                             "std_error": self.estimates[..., 1].ravel(),
                             "df": self.estimates[..., 2].ravel()})


def _df_complete(dfs: np.ndarray) -> float:
    """Complete-data df: the common df (ANCOVA), or their mean when they vary (KR)."""
    return float(np.mean(dfs))


def _mc_error(method: str, e: np.ndarray, conf_level: float) -> dict:
    """Monte-Carlo SEs of a Rubin-pooled parameter: ``sqrt(B/M)`` for the estimate, the
    jackknife over imputations (leave one imputation out) for the SE and p-value."""
    nan = float("nan")
    if method != "approxbayes":
        return {"mc_se_estimate": nan, "mc_se_std_error": nan, "mc_se_p_value": nan}
    est, se, dfs = e[:, 0], e[:, 1], e[:, 2]
    M = est.size
    b = float(np.var(est, ddof=1))
    loo = np.empty((M, 2))
    keep = np.ones(M, dtype=bool)
    dfc = _df_complete(dfs)
    for i in range(M):
        keep[i] = False
        r = rubin_rules(est[keep], se[keep], dfc, conf_level)
        loo[i] = r.std_error, r.p_value
        keep[i] = True
    jk = np.sqrt((M - 1) / M * np.sum((loo - loo.mean(axis=0)) ** 2, axis=0))
    return {"mc_se_estimate": float(np.sqrt(b / M)), "mc_se_std_error": float(jk[0]),
            "mc_se_p_value": float(jk[1])}


