"""Crossover trials: mixed-model analysis of one outcome per subject and period.

:func:`crossover` fits the standard crossover model through the MMRM engine
(:func:`ldn_stats.models.mmrm.mmrm`): fixed sequence, period and treatment, a random
subject effect (or an unstructured covariance over periods), REML, Kenward-Roger or
Satterthwaite df, LS-means. For 2x2 designs it adds the subject-totals carryover test,
the Hills-Armitage test, the Wilcoxon-Mann-Whitney test with the Hodges-Lehmann
estimate, within-subject effect sizes and paired responders
(:mod:`ldn_stats.models.crossover.two_by_two`); for more periods, a first-order carryover term
in an extended model.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from ldn_stats import crossover
>>> rng = np.random.default_rng(1)
>>> rows = []
>>> for i in range(12):
...     seq = ("LDN", "PBO") if i % 2 else ("PBO", "LDN")
...     u = rng.normal(0, 10)
...     for p, trt in enumerate(seq, start=1):
...         y = 60 + u + 2 * p - 8 * (trt == "LDN") + rng.normal(0, 5)
...         rows.append((f"S{i:02d}", "-".join(seq), p, trt, y))
>>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "AVAL"])
>>> xo = crossover(d)
>>> xo.effects[["contrast", "df"]].round(6)
    contrast    df
0  LDN - PBO  10.0
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ldn_stats.errors import DataError, ModelError
from ldn_stats.models.crossover.nonparametric import (
    mainland_gart,
    paired_responders,
    wilcoxon_period_differences,
)
from ldn_stats.models.crossover.prepare import check_columns, sort_periods, treatment_levels
from ldn_stats.models.crossover.two_by_two import (
    carryover_totals,
    hills_armitage,
    within_subject_effect_sizes,
)
from ldn_stats.models.listing import Listing
from ldn_stats.models.mmrm.fit import mmrm
from ldn_stats.models.mmrm.result import MMRMResult
from ldn_stats.vocabulary import COLUMNS, INFERENCE
from ldn_stats.vocabulary import Sequence as SequenceLabel

__all__ = ["CARRYOVER", "CrossoverResult", "crossover", "prepare_crossover_data"]

#: name of the first-order carryover factor added for multi-period designs
CARRYOVER = "CARRYOVER"

_STATS = list(INFERENCE)


@dataclass(frozen=True)
class CrossoverResult:
    """A fitted crossover analysis (immutable). Built by :func:`crossover`.

    Attributes
    ----------
    effects : pandas.DataFrame
        Treatment differences: ``contrast`` (``"b - a"`` for levels in order (a, b),
        reference first) and ``estimate, std_error, df, statistic, p_value, conf_low,
        conf_high``, then ``estimable`` and ``aliased`` (see ``MMRMResult.pairwise``).
    lsmeans : pandas.DataFrame
        LS-means by treatment (the treatment column, then the statistics).
    period_effects : pandas.DataFrame
        Differences between periods (``contrast`` ``"2 - 1"``, ...).
    variance_components : pandas.DataFrame or None
        ``component`` (``between-subject``, ``subject-by-period`` (diary model),
        ``within-subject``) and ``estimate`` (variances); None for an R-side covariance.
    icc : float
        Between-subject share of the variance, ``s2_b / (s2_b + s2_w)`` (NaN without
        a random subject effect).
    carryover : pandas.DataFrame or None
        2x2: the subject-totals t-test (``contrast``, statistics, ``method``); more
        periods: the F test of the first-order carryover term of the extended model
        (``term, statistic, num_df, df, p_value, method``).
    hills_armitage, wilcoxon, effect_sizes, responders : pandas.DataFrame or None
        2x2 only (responders: when a percent-change column is given): see
        :mod:`ldn_stats.models.crossover.two_by_two`.
    model : MMRMResult
        The fitted mixed model (``coef``, ``anova()``, ``contrast()``, ...).
    formula : str
        The model formula passed to the engine.
    levels : tuple of str
        Treatment levels in analysis order.
    design : str
        ``"2x2"`` or ``"multi-period"``.
    n_subjects, n_obs : int
        Used by the mixed model.
    df_method : str
    responders_period_adjusted : pandas.DataFrame or None
        2x2 with a percent-change column: the Mainland-Gart test (period-adjusted
        responder odds ratio, Fisher's exact test), see
        :func:`~ldn_stats.models.crossover.two_by_two.mainland_gart`.

    Examples
    --------
    >>> import pandas as pd
    >>> from ldn_stats.models.crossover.designs import williams_design
    >>> rows = [(f"S{i}", "-".join(seq), p, t, 50 + i % 5 + 3 * p - 4 * (t == "B") + (i * p) % 3)
    ...         for i, seq in enumerate(williams_design(2) * 4)
    ...         for p, t in enumerate(seq, start=1)]
    >>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "AVAL"])
    >>> xo = crossover(d, df_method="satterthwaite")
    >>> type(xo).__name__, xo.design, xo.levels
    ('CrossoverResult', '2x2', ('A', 'B'))
    """

    effects: pd.DataFrame
    lsmeans: pd.DataFrame
    period_effects: pd.DataFrame
    variance_components: pd.DataFrame | None
    icc: float
    carryover: pd.DataFrame | None
    hills_armitage: pd.DataFrame | None
    wilcoxon: pd.DataFrame | None
    effect_sizes: pd.DataFrame | None
    responders: pd.DataFrame | None
    model: MMRMResult
    formula: str
    levels: tuple[str, ...]
    design: str
    n_subjects: int
    n_obs: int
    df_method: str
    responders_period_adjusted: pd.DataFrame | None = None

    # the linear-model surface, from the fitted mixed model
    @property
    def coef(self) -> pd.DataFrame:
        """Fixed-effect coefficients of the mixed model (the INFERENCE columns)."""
        return self.model.coef

    def contrast(self, L, joint: bool = False, conf_level: float | None = None):
        """t tests of ``L beta`` in the mixed model (see :meth:`MMRMResult.contrast`)."""
        return self.model.contrast(L, joint=joint, conf_level=conf_level)

    def pairwise(self, specs: str | None = None, by=None,
                 conf_level: float | None = None) -> pd.DataFrame:
        """Differences of LS-means between levels (default: between treatments)."""
        return self.model.pairwise(specs or self._treatment, by=by, conf_level=conf_level)

    def anova(self) -> pd.DataFrame:
        """Type III F tests of the mixed model's terms under its df method."""
        return self.model.anova()

    def glance(self) -> pd.DataFrame:
        """One row: the mixed model's summary plus the design, subjects and ICC.

        Examples
        --------
        >>> import pandas as pd
        >>> from ldn_stats.models.crossover.designs import williams_design
        >>> rows = [(f"S{i}", "-".join(seq), p, t, 50 + i % 5 + 3 * p - 4 * (t == "B")
        ...          + (i * p) % 3) for i, seq in enumerate(williams_design(2) * 4)
        ...         for p, t in enumerate(seq, start=1)]
        >>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "AVAL"])
        >>> xo = crossover(d, df_method="satterthwaite")
        >>> xo.glance().loc[0, "design"], xo.pairwise()["contrast"].tolist()
        ('2x2', ['B - A'])
        """
        out = self.model.glance()
        out.insert(0, "design", self.design)
        out["icc"] = float(self.icc)
        return out

    @property
    def _treatment(self) -> str:
        return str(self.lsmeans.columns[0])

    def summary(self) -> Listing:
        """The SAS-like listing (:func:`~ldn_stats.models.crossover.listing.crossover_listing`)."""
        from ldn_stats.models.crossover.listing import crossover_listing

        return crossover_listing(self)

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def _period_label(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def prepare_crossover_data(
    data: pd.DataFrame,
    subject: str = "USUBJID",
    period: str = "APERIOD",
    treatment: str = "TRTA",
    sequence: str = "TRTSEQP",
    reference: str | None = None,
    extra: Sequence[str] = (),
    one_row_per_period: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    """Type the crossover columns for the engine and add the carryover factor.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data (one row per subject x period, or per day for diaries).
    subject, period, treatment, sequence : str
        Column names.
    reference : str, optional
        Reference treatment (see :func:`~ldn_stats.models.crossover.prepare.treatment_levels`).
    extra : sequence of str
        Further columns to keep (outcome, covariates).
    one_row_per_period : bool
        Check that each subject has at most one row per period.

    Returns
    -------
    (pandas.DataFrame, list of str)
        The data with ``subject`` as str, ``period``, ``treatment`` and ``sequence`` as
        ordered-level Categoricals (periods in numeric order, treatments reference
        first, sequences sorted), a :data:`CARRYOVER` Categorical (treatment of the
        previous period by the subject's sequence; the reference level in period 1),
        and the treatment levels.

    Raises
    ------
    DataError
        Missing columns, several sequences for one subject, a treatment that is not the
        one its sequence gives for that period, duplicated subject x period rows.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"USUBJID": [1, 1, 1], "TRTSEQP": ["A-B-B"] * 3,
    ...                   "APERIOD": [1, 2, 3], "TRTA": ["A", "B", "B"]})
    >>> out, levels = prepare_crossover_data(d, reference="A")
    >>> out["CARRYOVER"].tolist(), levels
    (['A', 'A', 'B'], ['A', 'B'])
    """
    cols = list(dict.fromkeys([subject, period, treatment, sequence, *extra]))
    check_columns(data, cols, "crossover")
    d = data.loc[data[period].notna() & data[treatment].notna(), cols].copy()
    if d.empty:
        raise DataError(f"crossover: no rows with both {period!r} and {treatment!r} present")
    levels = treatment_levels(d[treatment], reference)
    d[subject] = d[subject].astype(str)
    d[treatment] = d[treatment].astype(str)
    d[sequence] = d[sequence].astype(str)
    per_values = sort_periods(d[period])  # "10" after "9", not after "1"
    per_labels = [_period_label(p) for p in per_values]
    position = dict(zip(per_labels, range(len(per_labels)), strict=True))
    d[period] = d[period].map(_period_label)
    nseq = d.groupby(subject)[sequence].nunique()
    if (nseq > 1).any():
        bad = nseq[nseq > 1].index[0]
        raise DataError(f"crossover: subject {bad!r} has more than one {sequence} value")
    if one_row_per_period:
        dup = d.duplicated([subject, period])
        if dup.any():
            row = d.loc[dup].iloc[0]
            raise DataError(
                f"crossover: expected one row per {subject} x {period}, found duplicates "
                f"({subject}={row[subject]!r}, {period}={row[period]!r})"
            )
    carry = []
    seqs = _sequence_orders(d, subject, sequence, treatment, period, position, levels)
    for usubjid, seq, per, trt in zip(d[subject], d[sequence], d[period], d[treatment],
                                      strict=True):
        k = position[per]
        parts = seqs[seq]
        if k >= len(parts) or parts[k] != trt:
            expected = parts[k] if k < len(parts) else "<no such period>"
            raise DataError(
                f"crossover: subject {usubjid!r} ({sequence}={seq!r}) took {trt!r} in "
                f"{period}={per!r}; the sequence says {expected!r}"
            )
        carry.append(levels[0] if k == 0 else parts[k - 1])
    d[period] = pd.Categorical(d[period], categories=per_labels)
    d[treatment] = pd.Categorical(d[treatment], categories=levels)
    d[sequence] = pd.Categorical(d[sequence], categories=sorted(seqs))
    d[CARRYOVER] = pd.Categorical(carry, categories=levels)
    return d, levels


def _sequence_orders(d: pd.DataFrame, subject: str, sequence: str, treatment: str,
                     period: str, position: dict, levels: list) -> dict[str, tuple[str, ...]]:
    """Per-period treatments of each sequence label (``LDN-PBO``, ``AB``, ``A/B``, ``ABB``).

    A label that names its treatments (by name or first letter, see
    :meth:`ldn_stats.vocabulary.Sequence.resolve`) gives them; any other
    label takes the order its subjects received (the most frequent treatment at
    each period), so every subject is still checked against its sequence.
    """
    out = {}
    for label in d[sequence].unique():
        resolved = SequenceLabel.resolve(label, [str(x) for x in levels])
        found = resolved.treatments if resolved is not None else None
        if found is None:
            rows = d[d[sequence] == label]
            k = rows[period].map(position)
            found = tuple(rows.groupby(k, sort=True)[treatment].agg(
                lambda t: t.value_counts().index[0]))
        out[label] = found
    return out


def _variance_components(fit: MMRMResult, subject: str) -> tuple[pd.DataFrame | None, float]:
    vc = fit.variance_components
    if vc is None:
        return None, float("nan")
    names = {f"(1 | {subject})": "between-subject", "residual": "within-subject"}
    out = vc.copy()
    out["component"] = [names.get(c, "subject-by-period" if c.startswith(f"(1 | {subject}:")
                                  else c) for c in out["component"]]
    est = dict(zip(out["component"], out["estimate"], strict=True))
    if "between-subject" in est and "within-subject" in est:
        within = est["within-subject"] + est.get("subject-by-period", 0.0)
        icc = est["between-subject"] / (est["between-subject"] + within)
    else:
        icc = float("nan")
    return out.reset_index(drop=True), float(icc)


def _extended_carryover(
    formula: str, d: pd.DataFrame, df_method: str, kr: str
) -> pd.DataFrame | None:
    lhs, rhs = formula.split("~", 1)
    fit = mmrm(f"{lhs.strip()} ~ {rhs.strip()} + {CARRYOVER}", d, reml=True, df_method=df_method,
               optimizer="strict", kr_parametrization=kr)
    tab = fit.anova()
    if CARRYOVER not in tab.index:
        return None
    row = tab.loc[CARRYOVER]
    return pd.DataFrame([{"term": CARRYOVER, "statistic": float(row["statistic"]),
                          "num_df": float(row["num_df"]), "df": float(row["den_df"]),
                          "p_value": float(row["p_value"]),
                          "method": "first-order carryover F test (extended model)"}])


def crossover(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    subject: str = "USUBJID",
    period: str = "APERIOD",
    treatment: str = "TRTA",
    sequence: str = "TRTSEQP",
    covariates: Sequence[str] = (),
    period_baseline: str | None = None,
    df_method: str = "kenward-roger",
    reference: str | None = None,
    *,
    baseline_adjustment: str = "covariate",
    covariance: str = "random-subject",
    pchg: str | None = "PCHG",
    conf_level: float = 0.95,
) -> CrossoverResult:
    """Analyse a crossover trial with a linear mixed model (and 2x2 companions).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per subject x period (as ``ldn_stats.derive.derive_crossover`` writes):
        subject, sequence (treatments joined by ``-``), period, treatment, outcome.
    outcome : str, default ``"AVAL"``
        Outcome column, e.g. ``AVAL`` (period endpoint), ``CHG`` or ``PCHG`` (percent
        change, as Younger 2013 reported).
    subject, period, treatment, sequence : str
        Column names.
    covariates : sequence of str
        Further fixed effects (column names; numeric or categorical).
    period_baseline : str, optional
        Column with each period's own baseline. Used as a covariate
        (``baseline_adjustment="covariate"``) or subtracted from the outcome
        (``"change"``).
    df_method : str, default ``"kenward-roger"``
        ``kenward-roger`` or ``satterthwaite`` (any df method of the engine).
    reference : str, optional
        Reference treatment; default ``"PBO"`` if present, else the first sorted level.
    baseline_adjustment : {"covariate", "change"}
        How ``period_baseline`` enters.
    covariance : str, default ``"random-subject"``
        ``random-subject`` (random subject intercept), or an engine R-side structure over
        periods, e.g. ``us`` (unstructured), ``cs``, ``csh``.
    pchg : str or None, default ``"PCHG"``
        Percent-change column for the paired responder analysis (2x2, when present).
    conf_level : float, default 0.95

    Returns
    -------
    CrossoverResult

    Raises
    ------
    DataError
        Missing columns or inconsistent sequences (see :func:`prepare_crossover_data`).
    ModelError, ConvergenceError, SingularDesignError
        From the engine.

    Notes
    -----
    Model: ``y_ijk = mu + sequence_i + period_j + tau_d(i,j) + [beta' x] + s_ik + e_ijk``,
    ``s_ik ~ N(0, s2_b)``, ``e_ijk ~ N(0, s2_w)``, fitted by REML through
    :func:`ldn_stats.models.mmrm.mmrm` with formula
    ``outcome ~ sequence + period + treatment [+ covariates] + (1 | subject)``;
    with ``covariance="us"`` the random effect is replaced by ``us(period | subject)``,
    and Kenward-Roger takes its second-derivative terms in SAS's natural parameters
    (``kr_parametrization="sas"``, as ``DDFM=KR`` with ``TYPE=UN``): then complete 2x2
    data give the Hills-Armitage test exactly, which R mmrm's parametrization does not
    (its KR standard error is smaller than the exact one there).
    Treatment differences are LS-mean differences (equal weights over sequences and
    periods). Subjects with a missing period still contribute (within-subject and
    between-subject information are combined).

    Unequal period lengths (Younger 2013: 12 weeks LDN, 4 weeks placebo) enter through
    the period endpoints (e.g. the mean of the last 3 diary days of each condition, made
    by ``ldn_stats.derive.derive_crossover``); the model itself needs one value per
    subject and period, and ``outcome="PCHG"`` analyses the percent change from the
    baseline as that trial reported. For every diary day use
    :func:`ldn_stats.models.crossover.diary.diary_crossover`. Pass only the analysis
    rows (e.g. ``ANL01FL == "Y"``).

    With complete 2x2 data and ``s2_b > 0`` the treatment difference, its standard error
    and its ``n - 2`` df equal the Hills-Armitage period-difference t-test (tested).
    The 2x2 companions (Hills-Armitage, Wilcoxon, effect sizes, responders) use the
    outcome without covariate adjustment and only subjects with both periods.
    2x2 carryover is tested from subject totals and reported, never used to choose the
    analysis (Freeman 1989). With more periods the carryover test is the F test of a
    first-order carryover factor (treatment of the previous period, reference in
    period 1) added to the model (Jones & Kenward 2014, ch. 5).

    Validated against R 4.2.2 ``lmerTest::lmer`` + ``pbkrtest`` (Kenward-Roger) and
    ``emmeans`` on the seeded designs in ``tests/reference/crossover`` (2x2 with and
    without missing periods, Williams 3x3 (6 sequences) and 4x4, ABB/BAA).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> rows = []
    >>> for i in range(18):
    ...     seq = [("A", "B", "C"), ("B", "C", "A"), ("C", "A", "B"),
    ...            ("C", "B", "A"), ("A", "C", "B"), ("B", "A", "C")][i % 6]
    ...     u = rng.normal(0, 3)
    ...     for p, trt in enumerate(seq, start=1):
    ...         rows.append((str(i), "-".join(seq), p, trt, 10 + u + p + rng.normal()))
    >>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "AVAL"])
    >>> xo = crossover(d, df_method="satterthwaite")
    >>> xo.design, xo.effects["contrast"].tolist(), xo.carryover["num_df"].item()
    ('multi-period', ['B - A', 'C - A', 'C - B'], 2.0)
    """
    covariates = list(covariates)
    if baseline_adjustment not in ("covariate", "change"):
        raise ModelError(
            f"baseline_adjustment must be 'covariate' or 'change', found {baseline_adjustment!r}"
        )
    extra = [outcome, *covariates]
    if period_baseline is not None:
        extra.append(period_baseline)
    # the responder side analyses need percent changes; without them they are skipped
    has_pchg = pchg is not None and pchg in data.columns and bool(data[pchg].notna().any())
    if has_pchg:
        extra.append(pchg)
    d, levels = prepare_crossover_data(data, subject, period, treatment, sequence, reference,
                                       extra=extra)
    y = outcome
    if period_baseline is not None:
        if baseline_adjustment == "covariate":
            covariates.append(period_baseline)
        else:
            y = f"{outcome}_CFB"
            d[y] = d[outcome].astype(float) - d[period_baseline].astype(float)
    fixed = " + ".join([sequence, period, treatment, *covariates])
    if covariance == "random-subject":
        cov_term = f"(1 | {subject})"
    else:
        cov_term = f"{covariance}({period} | {subject})"
    formula = f"{y} ~ {fixed} + {cov_term}"
    # KR in SAS's parameters (DDFM=KR); with a random subject effect V is linear in the
    # variances, where SAS's, R mmrm's and pbkrtest's Kenward-Roger coincide
    kr = "sas"
    fit = mmrm(formula, d, reml=True, df_method=df_method, conf_level=conf_level,
               optimizer="strict", kr_parametrization=kr)

    effects = fit.pairwise(treatment)
    lsmeans = fit.lsmeans(treatment)
    period_effects = fit.pairwise(period)
    vc, icc = _variance_components(fit, subject)

    n_periods = len(d[period].cat.categories)
    two_by_two = n_periods == 2 and len(levels) == 2
    ha = wmw = es = resp = mg = None
    if two_by_two:
        cols = dataclasses.replace(COLUMNS, subject=subject, period=period,
                                   treatment=treatment, sequence=sequence)
        args = dict(outcome=y, columns=cols, reference=levels[0])
        # period as its position (0, 1) so the order is the model's, whatever the labels
        raw = d.assign(**{period: d[period].cat.codes.astype(int),
                          treatment: d[treatment].astype(str), sequence: d[sequence].astype(str)})
        carry = carryover_totals(raw, **args, alpha=1 - conf_level)
        carry["method"] = "subject totals t-test"
        ha = hills_armitage(raw, **args, alpha=1 - conf_level)
        wmw = wilcoxon_period_differences(raw, **args, alpha=1 - conf_level)
        es = within_subject_effect_sizes(raw, outcome=y, columns=cols, reference=levels[0])
        if has_pchg:
            resp = paired_responders(raw, pchg=pchg, columns=cols, reference=levels[0],
                                     alpha=1 - conf_level)
            mg = mainland_gart(raw, pchg=pchg, columns=cols, reference=levels[0],
                               alpha=1 - conf_level)
    else:
        carry = _extended_carryover(formula, d, df_method, kr)
    return CrossoverResult(
        effects=effects, lsmeans=lsmeans, period_effects=period_effects,
        variance_components=vc, icc=icc, carryover=carry, hills_armitage=ha, wilcoxon=wmw,
        effect_sizes=es, responders=resp, model=fit, formula=formula, levels=tuple(levels),
        design="2x2" if two_by_two else "multi-period", n_subjects=fit.n_subjects,
        n_obs=fit.n_obs, df_method=df_method, responders_period_adjusted=mg,
    )
