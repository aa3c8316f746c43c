"""ldn_stats.parallel on a real LocalCluster, started and stopped by the test."""

from __future__ import annotations

import numpy as np
import pytest

from ldn_stats.errors import ModelError
from ldn_stats.parallel import ParallelError, cluster, map_chunks


def _draw(chunk):
    """A seeded chunk: one normal draw per replicate key (root, replicate)."""
    root, reps = chunk
    return [float(np.random.default_rng(np.random.SeedSequence([root, r])).normal())
            for r in reps]


def _fail(chunk):
    raise ModelError(f"chunk {chunk} fails on purpose")


CHUNKS = [(7, range(i, i + 3)) for i in range(0, 12, 3)]


def test_two_workers_equal_serial_in_chunk_order():
    serial = map_chunks(_draw, CHUNKS, workers=0)
    with cluster(workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        parallel = map_chunks(_draw, CHUNKS, client=client)
    assert parallel == serial
    assert len(serial) == 4 and all(len(c) == 3 for c in serial)


def test_on_result_sees_every_chunk_once():
    seen: dict[int, list[float]] = {}
    with cluster(workers=2) as client:
        out = map_chunks(_draw, CHUNKS, client=client, on_result=seen.__setitem__)
    assert sorted(seen) == [0, 1, 2, 3]
    assert [seen[i] for i in range(4)] == out


def test_package_error_from_a_worker_is_reraised_as_is():
    with cluster(workers=1) as client, pytest.raises(ModelError, match="on purpose"):
        map_chunks(_fail, [1], client=client)


def test_unreachable_scheduler_is_a_parallel_error():
    with pytest.raises(ParallelError, match="cannot reach"), \
            cluster(scheduler="tcp://127.0.0.1:9"):
        pass
