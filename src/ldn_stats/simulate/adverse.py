"""Adverse events by treatment exposure, and stops for adverse events.

For every exposure (a parallel arm's treatment phase, or one crossover
period) and every event term of the treatment, a subject reports the event
with probability ``risk``; onset is uniform over the exposure or exponential
with mean ``onset_mean_days`` truncated to it; severity and seriousness are
drawn independently.  With probability ``ae_stop_risk`` the subject stops the
treatment because of one of that exposure's events (one is added if there
was none), 0-3 days after its onset; the stopping event is at least MODERATE.

Examples
--------
>>> import numpy as np
>>> from ldn_stats.simulate import AdverseEvent, ParallelDesign, Treatment
>>> from ldn_stats.simulate.schedule import group_schedules
>>> d = ParallelDesign(arms=("LDN",), allocation=(400,), weeks=4, treatments=(
...     Treatment(code="LDN", adverse_events=(AdverseEvent(decod="HEADACHE", risk=0.25),)),))
>>> groups = np.zeros(400, dtype=np.int64)
>>> ae = draw_adverse_events(np.random.default_rng(3), d, group_schedules(d), groups)
>>> round(len(ae.subject) / 400, 1), sorted(set(ae.severity))
(0.2, ['MILD', 'MODERATE', 'SEVERE'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldn_stats.simulate.components import SEVERITIES, AdverseEvent
from ldn_stats.simulate.design import TrialDesign
from ldn_stats.simulate.schedule import Schedule

__all__ = ["AdverseEventDraw", "draw_adverse_events"]


@dataclass(frozen=True)
class AdverseEventDraw:
    """Drawn events (parallel arrays, one entry per event) and stops per subject.

    ``day`` holds day indices into the subject's schedule; ``stop_day[i]`` is
    the day index on which subject ``i`` stopped treatment for an adverse
    event, or -1.
    """

    subject: np.ndarray
    decod: np.ndarray
    day: np.ndarray
    severity: np.ndarray
    serious: np.ndarray
    code: np.ndarray
    stop_day: np.ndarray


def _onsets(rng: np.random.Generator, ae: AdverseEvent, n: int, length: int) -> np.ndarray:
    u = rng.random(n)
    if ae.onset_mean_days is None:
        return np.floor(u * length).astype(np.int64)
    m = ae.onset_mean_days
    t = -m * np.log1p(-u * (1.0 - np.exp(-length / m)))
    return np.minimum(np.floor(t), length - 1).astype(np.int64)


def draw_adverse_events(
    rng: np.random.Generator,
    design: TrialDesign,
    schedules: dict[str, Schedule],
    group_of: np.ndarray,
) -> AdverseEventDraw:
    """Draw every subject's adverse events and stops for adverse events.

    Parameters
    ----------
    rng : numpy.random.Generator
    design : TrialDesign
    schedules : dict of str to Schedule
        The groups' schedules in design order (see
        :func:`~ldn_stats.simulate.schedule.group_schedules`).
    group_of : ndarray of int
        Index into ``schedules`` of each subject's arm or sequence.

    Returns
    -------
    AdverseEventDraw
        Events after the day a subject stopped (for ``ae_withdrawal="study"``,
        any later day; for ``"treatment"``, later days of that exposure) are
        removed: the subject was no longer exposed.
    """
    n = group_of.size
    rows: list[tuple[int, str, int, int, bool, str]] = []
    stop_day = np.full(n, -1, dtype=np.int64)
    stop_end = np.full(n, -1, dtype=np.int64)  # end (exclusive) of the stopped exposure
    for g, sched in enumerate(schedules.values()):
        members = np.flatnonzero(group_of == g)
        if members.size == 0:
            continue
        for exp in sched.exposures:
            trt = design.treatment(exp.code)
            length = exp.stop - exp.start
            first = len(rows)
            for ae in trt.adverse_events:
                has = rng.random(members.size) < ae.risk
                onset = _onsets(rng, ae, members.size, length)
                sev = rng.choice(3, size=members.size, p=ae.severity)
                ser = rng.random(members.size) < ae.serious
                for k in np.flatnonzero(has):
                    rows.append((int(members[k]), ae.decod, exp.start + int(onset[k]),
                                 int(sev[k]), bool(ser[k]), exp.code))
            if trt.ae_stop_risk == 0 or not trt.adverse_events:
                continue
            stops = rng.random(members.size) < trt.ae_stop_risk
            risks = np.array([ae.risk for ae in trt.adverse_events], dtype=float)
            weights = risks / risks.sum() if risks.sum() > 0 else None
            for k in np.flatnonzero(stops):
                i = int(members[k])
                if stop_day[i] >= 0:  # already stopped in an earlier exposure
                    continue
                own = [r for r in range(first, len(rows)) if rows[r][0] == i]
                if own:
                    r = own[int(rng.integers(len(own)))]
                else:
                    ae = trt.adverse_events[int(rng.choice(len(trt.adverse_events), p=weights))]
                    day = exp.start + int(_onsets(rng, ae, 1, length)[0])
                    rows.append((i, ae.decod, day, 1, False, exp.code))
                    r = len(rows) - 1
                subj, decod, day, sev, ser, code = rows[r]
                rows[r] = (subj, decod, day, max(sev, 1), ser, code)
                # the last dose falls before the planned end: stopping on it is no stop
                stop_day[i] = min(day + int(rng.integers(0, 4)), max(exp.stop - 2, exp.start))
                stop_end[i] = exp.stop
    keep = []
    for row in rows:
        i, day = row[0], row[2]
        if stop_day[i] >= 0 and day > stop_day[i]:
            if design.ae_withdrawal == "study" or day < stop_end[i]:
                continue
        keep.append(row)
    return AdverseEventDraw(
        subject=np.array([r[0] for r in keep], dtype=np.int64),
        decod=np.array([r[1] for r in keep], dtype=object),
        day=np.array([r[2] for r in keep], dtype=np.int64),
        severity=np.array([SEVERITIES[r[3]] for r in keep], dtype=object),
        serious=np.array(["Y" if r[4] else "N" for r in keep], dtype=object),
        code=np.array([r[5] for r in keep], dtype=object),
        stop_day=stop_day,
    )
