"""Simulate one trial from a design and a seed: ``adsl``, ``adeff``, ``adae``.

Examples
--------
>>> from ldn_stats.simulate import simulate_trial
>>> t = simulate_trial("final", seed=7)
>>> sorted(t), len(t["adsl"]), t["adsl"]["TRT01P"].value_counts().to_dict()
(['adae', 'adeff', 'adsl'], 99, {'PBO': 50, 'LDN': 49})
>>> t["adeff"].columns.tolist()
['USUBJID', 'PARAMCD', 'ADY', 'AVAL', 'APERIOD', 'TRTA']
>>> simulate_trial("final", seed=7)["adeff"].equals(t["adeff"])
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ldn_stats.errors import SpecError
from ldn_stats.simulate.adverse import draw_adverse_events
from ldn_stats.simulate.design import CrossoverDesign, ParallelDesign, TrialDesign
from ldn_stats.simulate.diary import ar1_noise, missed_days, record, subject_missed_rates
from ldn_stats.simulate.dropout import DROPOUT_REASON, draw_dropout
from ldn_stats.simulate.presets import PRESETS
from ldn_stats.simulate.schedule import effect_level, group_schedules, study_day

__all__ = ["entry_level_mean", "resolve_design", "simulate_trial"]

_MIN_RUN_IN_RATINGS = 4  # ratings needed to judge the entry criterion
# pandas >= 3 reads text as the "str" dtype (missing = NaN); match it so that
# simulated tables look like tables read back from CSV.  pandas 2 has "string".
_STR_DTYPE = "str" if int(pd.__version__.split(".")[0]) >= 3 else "string"


def resolve_design(preset: str | TrialDesign) -> ParallelDesign | CrossoverDesign:
    """Return the design named by ``preset`` (a key of ``PRESETS``) or ``preset`` itself.

    Raises
    ------
    SpecError
        For an unknown preset name (the message lists the valid names) or an
        object that is not a parallel or crossover design.

    Examples
    --------
    >>> resolve_design("younger2013").name
    'younger2013'
    >>> resolve_design("nope")
    Traceback (most recent call last):
    ...
    ldn_stats.errors.SpecError: unknown simulation preset 'nope'; valid presets: final, younger2013
    """
    if isinstance(preset, ParallelDesign | CrossoverDesign):
        return preset
    if isinstance(preset, str):
        if preset in PRESETS:
            return PRESETS[preset]
        raise SpecError(f"unknown simulation preset {preset!r}; "
                        f"valid presets: {', '.join(sorted(PRESETS))}")
    raise SpecError("expected a preset name or a ParallelDesign/CrossoverDesign, "
                    f"found {type(preset).__name__}")


def _screen(rng: np.random.Generator, design: TrialDesign, n: int):
    """Screen candidates on their run-in diary until ``n`` meet the entry criterion."""
    pop, scale, days = design.population, design.scale, design.run_in_days
    levels, noise, rates, missed = [], [], [], []
    need = n
    while need > 0:
        m = max(2 * need, 16)
        b = rng.normal(pop.baseline_mean, pop.baseline_sd, m)
        e = ar1_noise(rng, m, days, pop.within_sd, pop.ar1)
        q = subject_missed_rates(rng, m, pop)
        miss = missed_days(rng, q, days)
        ok = np.ones(m, dtype=bool)
        if pop.entry_min is not None:
            obs = np.where(miss, np.nan, record(b[:, None] + e, scale))
            count = (~miss).sum(axis=1)
            mean = np.nansum(obs, axis=1) / np.maximum(count, 1)
            ok = (count >= min(_MIN_RUN_IN_RATINGS, days)) & (mean >= pop.entry_min)
        take = np.flatnonzero(ok)[:need]
        levels.append(b[take])
        noise.append(e[take])
        rates.append(q[take])
        missed.append(miss[take])
        need -= take.size
    return (np.concatenate(levels), np.concatenate(noise), np.concatenate(rates),
            np.concatenate(missed))


def entry_level_mean(preset: str | TrialDesign, n: int = 100_000, seed: int = 0) -> float:
    """Mean pain level ``b`` of randomized subjects (after the entry criterion).

    A treatment's ``effect`` is a proportion of each subject's level, so the
    mean difference it makes in scale points is ``effect * entry_level_mean``;
    this is how a design spec given in points (``ldn_stats.power``) is turned
    into a design.  Estimated by screening ``n`` candidates as
    :func:`simulate_trial` does (same model, own seeded stream).

    Examples
    --------
    >>> round(entry_level_mean("final", n=20_000), 1)
    5.9
    """
    design = resolve_design(preset)
    level = _screen(np.random.default_rng(seed), design, n)[0]
    return float(level.mean())


def _str_column(values) -> pd.Series:
    """A pandas string column whose empty entries ("" or None) are missing."""
    s = pd.Series(values, dtype=object)
    return s.where(s.ne("") & s.notna(), None).astype(_STR_DTYPE)


def simulate_trial(preset: str | TrialDesign, seed: int) -> dict[str, pd.DataFrame]:
    """Simulate a trial's ``adsl``, ``adeff`` and ``adae`` tables.

    Parameters
    ----------
    preset : str or ParallelDesign or CrossoverDesign
        A key of :data:`~ldn_stats.simulate.PRESETS` (``"final"``,
        ``"younger2013"``) or a design.
    seed : int
        Non-negative seed of :func:`numpy.random.default_rng`; the same seed
        gives identical tables.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``adsl`` (USUBJID, SITEID, AGE, SEX, RANDFL, ITTFL, SAFFL, TRT01P or
        TRTSEQP, DCSREAS, TRTEDY: study day of the last dose, DCTREAS: why
        treatment ended before its planned end, empty when it did not),
        ``adeff`` (USUBJID, PARAMCD, ADY, AVAL, APERIOD, TRTA; one row per
        scheduled diary day while in the study, AVAL missing on missed days)
        and ``adae`` (USUBJID, AEDECOD, ASTDY, AESEV, AESER, TRTA), in the
        data contract of issue 2.  Empty strings are
        missing values (``DCSREAS`` of completers, ``TRTA`` off treatment,
        ``APERIOD`` outside crossover periods and in parallel designs).

    Raises
    ------
    SpecError
        Unknown preset, invalid design or invalid seed.

    Notes
    -----
    Steps, all drawn from one ``numpy.random.default_rng(seed)``:

    1. *Screening.*  Candidates draw a pain level ``b`` (normal), a run-in
       diary (AR(1) noise, recorded and with missed days) and are randomized
       only if the run-in mean meets ``Population.entry_min`` (at least 4
       ratings).  Selecting on a noisy mean builds in the regression to the
       mean real trials show.
    2. *Randomization* of exactly ``allocation`` subjects per arm or
       sequence, in random order; age, sex and site.
    3. *Responses* (see :mod:`ldn_stats.simulate.diary`): placebo response
       ``p ~ N(mean, sd)`` on a linear ramp from day 1; per treatment a
       specific response, zero for non-responders, on the titration ramp and
       wash-out decline of :func:`~ldn_stats.simulate.schedule.effect_level`.
    4. *Adverse events* per exposure (:mod:`ldn_stats.simulate.adverse`),
       with stops that end the treatment (diary continues, ``TRTA`` empty,
       the specific effect wears off) or participation (``DCSREAS``
       ``ADVERSE EVENT``).
    5. *Diary*: latent pain = ``b (1 + responses) + AR(1) noise``, clipped
       and rounded to the scale, missed days removed.
    6. *Dropout* (:mod:`ldn_stats.simulate.dropout`); records end on the
       day before leaving.

    Calibration to published trials is in :mod:`ldn_stats.simulate.presets`
    and checked by ``tests/simulate/test_simulate_calibration.py``.
    """
    design = resolve_design(preset)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError(f"seed: expected a non-negative integer, found {seed!r}")
    rng = np.random.default_rng(int(seed))
    pop, scale = design.population, design.scale
    schedules = group_schedules(design)
    groups = list(schedules)
    run_in = design.run_in_days
    n = design.n_subjects

    # 1-2. screening, randomization, demography
    level, e_run, miss_rate, miss_run = _screen(rng, design, n)
    group_of = rng.permutation(np.repeat(np.arange(len(groups)), design.allocation))
    age = np.clip(np.rint(rng.normal(pop.age_mean, pop.age_sd, n)), 18, 80).astype(np.int64)
    sex = np.where(rng.random(n) < pop.female_share, "F", "M")
    site = rng.integers(1, design.n_sites + 1, n)

    # 3. responses
    pr = design.placebo_response
    placebo = rng.normal(pr.mean, pr.sd, n)
    specific = {}
    for trt in design.treatments:
        responds = rng.random(n) < trt.responder_share
        size = rng.normal(trt.effect / trt.responder_share, trt.effect_sd, n)
        specific[trt.code] = np.where(responds, size, 0.0)

    # 4. adverse events
    ae = draw_adverse_events(rng, design, schedules, group_of)

    # 5. diary
    n_days = np.array([schedules[groups[g]].n_days for g in group_of], dtype=np.int64)
    width = int(n_days.max())
    e_post = ar1_noise(rng, n, width - run_in, pop.within_sd, pop.ar1, start=e_run[:, -1])
    noise = np.hstack([e_run, e_post])
    missed = np.hstack([miss_run, missed_days(rng, miss_rate, width - run_in)])
    stop = ae.stop_day if design.ae_withdrawal == "treatment" else np.full(n, -1)
    trta, aperiod = _treatment_days(schedules, group_of, width, stop)
    ramp = np.clip((np.arange(width) - run_in + 1) / pr.onset_days, 0.0, 1.0)
    multiplier = 1.0 + placebo[:, None] * ramp[None, :]
    multiplier += _specific_effects(design, schedules, group_of, trta, n_days, stop, specific)
    latent = level[:, None] * multiplier + noise
    observed = np.where(missed, np.nan, record(latent, scale))

    # 6. dropout, and leaving for adverse events
    left = draw_dropout(rng, design.dropout, latent, observed, run_in, n_days,
                        pop.baseline_mean, pop.within_sd)
    leave_ae = np.zeros(n, dtype=bool)
    if design.ae_withdrawal == "treatment" and design.ae_leave_share > 0:
        # its own stream: every other draw of this seed stays as it was
        own = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
        leave_ae = (ae.stop_day >= 0) & (own.random(n) < design.ae_leave_share)
    end, reason = _leaving(design, n_days, left, ae.stop_day, leave_ae)
    planned = np.array([_last_dose(schedules[groups[g]].trta) for g in group_of])
    return _tables(design, group_of, groups, age, sex, site, reason, end, observed, trta,
                   aperiod, ae, planned)


def _last_dose(trta_days: np.ndarray) -> int:
    """Day index of the last dose in a schedule (-1 if it has none)."""
    on = np.flatnonzero(np.asarray(trta_days) != "")
    return int(on[-1]) if on.size else -1


def _treatment_days(schedules, group_of, width, stop):
    """TRTA and APERIOD per subject and day; TRTA emptied after a treatment stop."""
    n = group_of.size
    trta = np.full((n, width), "", dtype=object)
    aperiod = np.zeros((n, width), dtype=np.int64)
    for g, sched in enumerate(schedules.values()):
        rows = np.flatnonzero(group_of == g)
        trta[rows, :sched.n_days] = sched.trta
        aperiod[rows, :sched.n_days] = sched.aperiod
    for i in np.flatnonzero(stop >= 0):  # last dose on the stop day; the diary goes on
        first_off = int(stop[i]) + 1
        code = trta[i, first_off - 1]
        end = first_off
        while end < width and trta[i, end] == code:
            end += 1
        trta[i, first_off:end] = ""
    return trta, aperiod


def _specific_effects(design, schedules, group_of, trta, n_days, stop, specific):
    """Sum over treatments of each subject's specific response times its effect level."""
    out = np.zeros(trta.shape)
    for trt in design.treatments:
        curves: dict[int, np.ndarray] = {}
        for g, sched in enumerate(schedules.values()):
            on = sched.trta == trt.code
            if on.any():
                curves[g] = effect_level(on, trt.onset_days, trt.offset_days)
        for i in range(group_of.size):
            g = int(group_of[i])
            if g not in curves:
                continue
            if stop[i] >= 0:  # this subject's own exposure, cut short
                curve = effect_level(trta[i, :n_days[i]] == trt.code, trt.onset_days,
                                     trt.offset_days)
            else:
                curve = curves[g]
            out[i, :curve.size] += specific[trt.code][i] * curve
    return out


def _leaving(design, n_days, left, ae_stop, leave_ae):
    """End (exclusive day index) of each subject's diary and DCSREAS."""
    n = n_days.size
    leaves = (ae_stop >= 0) & (leave_ae | (design.ae_withdrawal == "study"))
    ae_leave = np.where(leaves, ae_stop + 1, -1)
    end = n_days.copy()
    reason = np.full(n, "", dtype=object)
    for i in range(n):
        if left[i] >= 0 and (ae_leave[i] < 0 or left[i] < ae_leave[i]):
            end[i], reason[i] = left[i], DROPOUT_REASON[design.dropout.mechanism]
        elif ae_leave[i] >= 0:
            end[i], reason[i] = ae_leave[i], "ADVERSE EVENT"
    return end, reason


def _tables(design, group_of, groups, age, sex, site, reason, end, observed, trta, aperiod, ae,
            planned):
    n, width = observed.shape
    run_in = design.run_in_days
    # last dose (in the study) and why treatment ended early, if it did
    on = (trta != "") & (np.arange(width)[None, :] < end[:, None])
    last = np.where(on.any(axis=1), width - 1 - np.argmax(on[:, ::-1], axis=1), -1)
    early = last < planned
    ae_stopped = (ae.stop_day >= 0) & (ae.stop_day < end)
    dctreas = np.where(early, np.where(ae_stopped, "ADVERSE EVENT", reason), "").astype(object)
    trtedy = pd.array([int(study_day(np.array([d]), run_in)[0]) if d >= 0 else None
                       for d in last], dtype="Int64")
    usubjid = np.array([f"{design.study_id}-{site[i]:02d}-{i + 1:04d}" for i in range(n)],
                       dtype=object)
    arm_col = "TRT01P" if isinstance(design, ParallelDesign) else "TRTSEQP"
    adsl = pd.DataFrame({
        "USUBJID": _str_column(usubjid),
        "SITEID": _str_column([f"{s:02d}" for s in site]),
        "AGE": age,
        "SEX": _str_column(sex),
        "RANDFL": _str_column(["Y"] * n),
        "ITTFL": _str_column(["Y"] * n),
        "SAFFL": _str_column(["Y"] * n),
        arm_col: _str_column([groups[g] for g in group_of]),
        "DCSREAS": _str_column(reason),
        "TRTEDY": trtedy,
        "DCTREAS": _str_column(dctreas),
    })
    keep = np.arange(width)[None, :] < end[:, None]
    subj, day = np.nonzero(keep)
    period = aperiod[subj, day]
    adeff = pd.DataFrame({
        "USUBJID": _str_column(usubjid[subj]),
        "PARAMCD": _str_column([design.scale.paramcd] * subj.size),
        "ADY": study_day(day, run_in).astype(np.int64),
        "AVAL": observed[subj, day].astype(float),
        "APERIOD": pd.array(np.where(period > 0, period, 0), dtype="Int64"),
        "TRTA": _str_column(trta[subj, day]),
    })
    adeff.loc[period == 0, "APERIOD"] = pd.NA
    in_study = ae.day < end[ae.subject] if ae.subject.size else np.zeros(0, dtype=bool)
    order = np.lexsort((ae.decod[in_study].astype(str), ae.day[in_study], ae.subject[in_study]))
    s_ae = ae.subject[in_study][order]
    d_ae = ae.day[in_study][order]
    adae = pd.DataFrame({
        "USUBJID": _str_column(usubjid[s_ae]),
        "AEDECOD": _str_column(ae.decod[in_study][order]),
        "ASTDY": study_day(d_ae, run_in).astype(np.int64) if d_ae.size else
        np.zeros(0, dtype=np.int64),
        "AESEV": _str_column(ae.severity[in_study][order]),
        "AESER": _str_column(ae.serious[in_study][order]),
        "TRTA": _str_column(ae.code[in_study][order]),
    })
    return {"adsl": adsl, "adeff": adeff, "adae": adae}
