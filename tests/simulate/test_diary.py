"""Diary building blocks: AR(1) noise, recording on the scale, missed days."""

from __future__ import annotations

import numpy as np
import pytest

from ldn_stats.simulate import NRS, VAS, Population
from ldn_stats.simulate.diary import ar1_noise, missed_days, record, subject_missed_rates


def test_ar1_moments():
    # 20,000 series: SE of a correlation ~ 0.007, of the SD ~ 0.008; tolerance 0.03
    e = ar1_noise(np.random.default_rng(0), n=20_000, days=12, sd=1.6, phi=0.5)
    assert e.std(axis=0) == pytest.approx(np.full(12, 1.6), abs=0.03)
    for lag in (1, 2, 3):
        r = np.corrcoef(e[:, 5], e[:, 5 + lag])[0, 1]
        assert r == pytest.approx(0.5**lag, abs=0.03)


def test_ar1_continues_from_start():
    rng = np.random.default_rng(1)
    start = np.full(20_000, 3.0)
    e = ar1_noise(rng, n=20_000, days=1, sd=1.0, phi=0.6, start=start)
    # E[e | previous = 3] = 1.8, SD sqrt(1 - 0.36) = 0.8
    assert e.mean() == pytest.approx(1.8, abs=0.03)
    assert e.std() == pytest.approx(0.8, abs=0.03)


def test_record_clips_and_rounds_half_up():
    assert record(np.array([-3.0, 0.5, 9.5, 10.4, 11.0]), NRS).tolist() == [0, 1, 10, 10, 10]
    assert record(np.array([33.49, 33.5, 101.0]), VAS).tolist() == [33, 34, 100]


def test_missed_days_follow_subject_rates():
    rng = np.random.default_rng(2)
    pop = Population(baseline_mean=5, baseline_sd=1, within_sd=1.6, missed_day_rate=0.1)
    rates = subject_missed_rates(rng, 5000, pop)
    assert rates.mean() == pytest.approx(0.1, abs=0.005)  # Beta mean, SE ~ 0.001
    mask = missed_days(rng, rates, 200)
    assert mask.mean() == pytest.approx(rates.mean(), abs=0.005)
    none = Population(baseline_mean=5, baseline_sd=1, within_sd=1.6, missed_day_rate=0.0)
    assert not subject_missed_rates(rng, 10, none).any()
