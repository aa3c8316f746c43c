"""Daily-diary crossover model: every rated day, subject and subject-by-period effects.

A period endpoint (the mean of a period's last days) throws most diary days away. The
diary model keeps them: daily ratings with a random subject effect, a random
subject-by-period effect (days of one period share it) and a trend over the days of a
period, fitted through the MMRM engine. :func:`compare_with_period_means` puts its
treatment effect next to the analysis of the period means.

``columns`` of the helpers: as everywhere in :mod:`ldn_stats.models.crossover`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from ldn_stats.models.crossover.diary import diary_crossover
>>> rng = np.random.default_rng(4)
>>> rows = []
>>> for i in range(10):
...     seq = ("LDN", "PBO") if i % 2 else ("PBO", "LDN")
...     u = rng.normal()
...     for p, trt in enumerate(seq, start=1):
...         v = rng.normal(0, 0.5)
...         for day in range(1, 8):
...             y = 6 + u + v - 0.8 * (trt == "LDN") + rng.normal()
...             rows.append((f"S{i}", "-".join(seq), p, trt, day, y))
>>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "APERDY",
...                                 "AVAL"])
>>> xo = diary_crossover(d, df_method="satterthwaite")
>>> xo.variance_components["component"].tolist()
['between-subject', 'subject-by-period', 'within-subject']
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ldn_stats.errors import ModelError
from ldn_stats.models.crossover.fit import (
    CrossoverResult,
    _variance_components,
    crossover,
    prepare_crossover_data,
)
from ldn_stats.models.mmrm.fit import mmrm
from ldn_stats.vocabulary import COLUMNS, Columns

__all__ = ["compare_with_period_means", "diary_crossover", "period_means"]


def diary_crossover(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    day: str | None = "APERDY",
    subject: str = "USUBJID",
    period: str = "APERIOD",
    treatment: str = "TRTA",
    sequence: str = "TRTSEQP",
    covariates: Sequence[str] = (),
    df_method: str = "kenward-roger",
    reference: str | None = None,
    conf_level: float = 0.95,
    random_slope: bool = False,
) -> CrossoverResult:
    """Mixed model of daily crossover ratings.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per rated day (as ``ldn_stats.derive.crossover_diary`` writes): subject,
        sequence, period, treatment, day within period, rating.
    outcome : str, default ``"AVAL"``
        Daily rating.
    day : str or None, default ``"APERDY"``
        Day within the period (1 = first day), entered as a linear trend; None for no trend.
    subject, period, treatment, sequence : str
        Column names.
    covariates : sequence of str
        Further fixed effects, e.g. ``BASE``.
    df_method : str, default ``"kenward-roger"``
    reference : str, optional
        Reference treatment (default ``"PBO"`` if present).
    conf_level : float, default 0.95
    random_slope : bool, default False
        Give each subject-by-period its own trend over the days: the
        subject-by-period effect becomes ``(1 + day | subject:period)``, an intercept
        and a slope with an unstructured 2 x 2 covariance (SAS ``RANDOM INT DAY /
        SUBJECT=SUBJECT*PERIOD TYPE=UN``). Needs ``day``.

    Returns
    -------
    CrossoverResult
        With ``design="diary"``; ``variance_components`` has ``between-subject``,
        ``subject-by-period`` and ``within-subject`` (day-to-day), and with
        ``random_slope`` also ``subject-by-period slope`` (variance of the daily
        trend) and ``subject-by-period intercept-slope covariance``; ``icc`` is the
        between-subject share of the total variance (with ``random_slope``: at the mean
        day); ``carryover`` and the 2x2 companions are None.

    Notes
    -----
    ``y_ijkt = mu + sequence_i + period_j + tau_d(i,j) + gamma t + s_ik + (sp)_ijk + e_ijkt``
    with ``s ~ N(0, s2_b)``, ``sp ~ N(0, s2_p)``, ``e ~ N(0, s2_w)``: formula
    ``outcome ~ sequence + period + treatment + day + (1 | subject) + (1 | subject:period)``,
    REML. Periods of unequal length (Younger 2013: 12 weeks LDN, 4 weeks placebo) need no
    special handling: every rated day counts and the trend absorbs drift within a period.
    The treatment difference is an LS-mean difference at the mean day. With
    ``random_slope`` the trend ``gamma`` varies by subject and period,
    ``(sp)_ijk + b_ijk t`` with ``(sp, b)`` bivariate normal, so days far from a
    period's middle spread more and the treatment effect's SE allows for it.

    Validated against R 4.2.2 ``lmer(AVAL ~ TRTSEQP + APERIOD + TRTA + APERDY +
    (1 | USUBJID) + (1 | USUBJID:APERIOD))`` with ``emmeans`` (``tests/reference/crossover``);
    with ``random_slope``, ``(1 + APERDY | USUBJID:APERIOD)`` against lmerTest, pbkrtest and
    emmeans at lme4's polished optimum (``tests/reference/diary_slope``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(6)
    >>> rows = [(f"S{i}", s, p, t, day, 5 + 0.1 * i + 0.2 * p + rng.normal() - (t == "LDN"))
    ...         for i, s in enumerate(["LDN-PBO", "PBO-LDN"] * 4)
    ...         for p, t in enumerate(s.split("-"), start=1) for day in range(1, 6)]
    >>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "APERDY",
    ...                                 "AVAL"])
    >>> xo = diary_crossover(d, df_method="satterthwaite")
    >>> xo.design, xo.n_obs, xo.effects["contrast"].item()
    ('diary', 80, 'LDN - PBO')
    """
    if random_slope and day is None:
        raise ModelError("random_slope=True needs the day column (day=None gives no trend "
                         "to vary)")
    extra = [outcome, *covariates] + ([day] if day is not None else [])
    d, levels = prepare_crossover_data(data, subject, period, treatment, sequence, reference,
                                       extra=extra, one_row_per_period=False)
    fixed = " + ".join([sequence, period, treatment, *covariates]
                       + ([day] if day is not None else []))
    sp = f"1 + {day}" if random_slope else "1"
    formula = f"{outcome} ~ {fixed} + (1 | {subject}) + ({sp} | {subject}:{period})"
    fit = mmrm(formula, d, reml=True, df_method=df_method, conf_level=conf_level,
               optimizer="strict")
    vc, _ = _variance_components(fit, subject)
    order = ["between-subject", "subject-by-period", "within-subject"]
    if random_slope:
        label = f"(1 + {day} | {subject}:{period})"
        vc["component"] = vc["component"].replace({
            f"{label} var (Intercept)": "subject-by-period",
            f"{label} cov (Intercept), {day}": "subject-by-period intercept-slope covariance",
            f"{label} var {day}": "subject-by-period slope"})
        order = [*order[:2], "subject-by-period slope",
                 "subject-by-period intercept-slope covariance", order[2]]
    est = dict(zip(vc["component"], vc["estimate"], strict=True))
    vc = vc.set_index("component").loc[order].reset_index()
    sp_var = est["subject-by-period"]
    if random_slope:  # at the mean day: g11 + 2 t g12 + t^2 g22
        t = float(d[day].mean())
        sp_var += (2 * t * est["subject-by-period intercept-slope covariance"]
                   + t * t * est["subject-by-period slope"])
    icc = est["between-subject"] / (est["between-subject"] + sp_var + est["within-subject"])
    return CrossoverResult(
        effects=fit.pairwise(treatment), lsmeans=fit.lsmeans(treatment),
        period_effects=fit.pairwise(period), variance_components=vc, icc=float(icc),
        carryover=None, hills_armitage=None, wilcoxon=None, effect_sizes=None,
        responders=None, model=fit, formula=formula, levels=tuple(levels), design="diary",
        n_subjects=fit.n_subjects, n_obs=fit.n_obs, df_method=df_method,
    )


def period_means(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Mean daily rating per subject and period (with the number of rated days).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per rated day.
    outcome : str
        Outcome column.
    columns : Columns, default COLUMNS
        Subject, period, treatment and sequence columns (see the module notes).

    Returns
    -------
    pandas.DataFrame
        Columns subject, sequence, period, treatment, outcome (the mean) and ``NDAYS``.

    Examples
    --------
    >>> d = pd.DataFrame({"USUBJID": ["1"] * 3, "TRTSEQP": ["A-B"] * 3, "APERIOD": [1, 1, 2],
    ...                   "TRTA": ["A", "A", "B"], "AVAL": [4.0, 6.0, 3.0]})
    >>> period_means(d)
      USUBJID TRTSEQP  APERIOD TRTA  AVAL  NDAYS
    0       1     A-B        1    A   5.0      2
    1       1     A-B        2    B   3.0      1
    """
    subject, period = columns.subject, columns.period
    treatment, sequence = columns.treatment, columns.sequence
    keys = [subject, sequence, period, treatment]
    d = data.loc[data[outcome].notna()]
    g = d.groupby(keys, sort=True, observed=True)[outcome]
    out = g.mean().to_frame(outcome)
    out["NDAYS"] = g.size()
    return out.reset_index()


def compare_with_period_means(
    data: pd.DataFrame,
    outcome: str = "AVAL",
    day: str | None = "APERDY",
    df_method: str = "kenward-roger",
    reference: str | None = None,
    *,
    columns: Columns = COLUMNS,
) -> pd.DataFrame:
    """Treatment effects of the daily-diary model next to the period-mean analysis.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per rated day.
    outcome, day, df_method, reference
        As :func:`diary_crossover`.
    columns : Columns, default COLUMNS
        Subject, period, treatment and sequence columns (see the module notes).

    Returns
    -------
    pandas.DataFrame
        ``analysis`` (``daily ratings`` / ``period means``), ``contrast`` and
        ``estimate, std_error, df, statistic, p_value, conf_low, conf_high``.

    Notes
    -----
    The period-mean analysis is :func:`ldn_stats.models.crossover.crossover` on
    :func:`period_means` (each period weighted equally whatever its number of rated
    days); the diary model weights days, so the two differ when periods have different
    numbers of rated days or when there is a within-period trend.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> rows = [(f"S{i}", s, p, t, day, 5 + rng.normal() - (t == "LDN"))
    ...         for i, s in enumerate(["LDN-PBO", "PBO-LDN"] * 5)
    ...         for p, t in enumerate(s.split("-"), start=1) for day in range(1, 6)]
    >>> d = pd.DataFrame(rows, columns=["USUBJID", "TRTSEQP", "APERIOD", "TRTA", "APERDY",
    ...                                 "AVAL"])
    >>> compare_with_period_means(d, df_method="satterthwaite")["analysis"].tolist()
    ['daily ratings', 'period means']
    """
    subject, period = columns.subject, columns.period
    treatment, sequence = columns.treatment, columns.sequence
    daily = diary_crossover(data, outcome, day, subject, period, treatment, sequence,
                            df_method=df_method, reference=reference)
    means = period_means(data, outcome, columns=columns)
    pm = crossover(means, outcome=outcome, subject=subject, period=period,
                   treatment=treatment, sequence=sequence, df_method=df_method,
                   reference=reference, pchg=None)
    out = pd.concat([daily.effects.assign(analysis="daily ratings"),
                     pm.effects.assign(analysis="period means")], ignore_index=True)
    return out[["analysis", *[c for c in out.columns if c != "analysis"]]]
