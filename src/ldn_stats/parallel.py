"""Parallel execution on Dask ``distributed``: one cluster helper, one chunked map.

Long analyses (simulation studies, multiple imputation, jackknife refits,
tipping-point grids) are many independent pieces of work.  They are batched
into *chunks* of a few seconds each and run as one task per chunk, never one
task per replicate, so scheduling overhead stays negligible.

- :func:`cluster` opens a client: an embedded :class:`distributed.LocalCluster`
  (worker processes, one thread each, BLAS pinned to one thread) by default, or an
  existing cluster given its scheduler address.  It closes what it started.
- :func:`map_chunks` runs a function over chunks and returns the results in
  chunk order, whatever order they complete in, so the output is identical to a
  serial run and does not depend on the number of workers.  With ``workers=0``
  it runs in this process (no Dask at all), which is also what the tests compare
  the parallel run against.  A progress bar is shown on a terminal (tqdm), never
  when standard error is not a TTY.

Randomness never depends on the worker: a chunk's function receives the chunk,
and the chunk carries its own seeds (for example from
:class:`numpy.random.SeedSequence` keyed by replicate).

Examples
--------
>>> def square_all(xs):
...     return [x * x for x in xs]
>>> map_chunks(square_all, [[1, 2], [3]], workers=0)
[[1, 4], [9]]
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from ldn_stats.errors import LdnStatsError

__all__ = ["ParallelError", "cluster", "map_chunks", "pinned_blas"]

T = TypeVar("T")
R = TypeVar("R")


class ParallelError(LdnStatsError):
    """A cluster could not be started or reached, or a worker was lost."""


@contextlib.contextmanager
def pinned_blas() -> Iterator[None]:
    """Limit BLAS/OpenMP to one thread inside the block (threadpoolctl).

    Small dense blocks (the visit-by-visit matrices of a mixed model) gain
    nothing from threaded BLAS and lose much to its start-up; on a worker of a
    process cluster, threads would also oversubscribe the cores.

    Examples
    --------
    >>> with pinned_blas():
    ...     pass
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _run_pinned(fn: Callable[[T], R], chunk: T) -> R:
    with pinned_blas():
        return fn(chunk)


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask ``distributed`` client: an embedded ``LocalCluster`` or an existing cluster.

    Parameters
    ----------
    workers : int, optional
        Worker processes of the embedded cluster (one thread each); default: the
        number of cores available to this process.  Ignored with ``scheduler``.
    scheduler : str, optional
        Address of a running scheduler (``tcp://127.0.0.1:8786``): use that cluster
        and leave it running afterwards.

    Yields
    ------
    distributed.Client

    Raises
    ------
    ParallelError
        The cluster cannot be started or the scheduler cannot be reached.

    Examples
    --------
    >>> with cluster(workers=1) as client:  # doctest: +SKIP
    ...     client.submit(sum, [1, 2]).result()
    3
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ParallelError(f"Dask distributed is not installed: {exc}") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ParallelError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") \
                from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers if workers is not None else max(1, len(os.sched_getaffinity(0)))
    if n < 1:
        raise ParallelError(f"workers: expected at least 1 for a cluster, found {n}")
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                             dashboard_address=":0", env=env, silence_logs=40)
    except (OSError, RuntimeError) as exc:
        raise ParallelError(f"cannot start a LocalCluster of {n} workers: {exc}") from None
    try:
        with Client(local) as client:
            yield client
    finally:
        local.close()


def _progress(total: int, desc: str, show: bool | None):
    if show is None:
        show = sys.stderr.isatty()
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc or None, unit="chunk", file=sys.stderr, leave=False)


def map_chunks(fn: Callable[[T], R], chunks: Sequence[T], *, client: Any = None,
               workers: int | None = None, scheduler: str | None = None,
               progress: bool | None = None, desc: str = "",
               on_result: Callable[[int, R], None] | None = None) -> list[R]:
    """Apply ``fn`` to every chunk, in parallel, and return the results in chunk order.

    Parameters
    ----------
    fn : callable
        A picklable top-level function of one chunk.  It should do a few seconds
        of work: batch replicates into chunks, do not send one task each.
    chunks : sequence
        The chunks; each carries what ``fn`` needs, seeds included.
    client : distributed.Client, optional
        Use this client.  Otherwise ``workers``/``scheduler`` choose (see :func:`cluster`).
    workers : int, optional
        ``0``: run serially in this process (no Dask); ``None``: an embedded
        cluster with one worker per core; ``n``: an embedded cluster of ``n``.
    scheduler : str, optional
        Address of an existing cluster.
    progress : bool, optional
        Show a progress bar; default: only when standard error is a terminal.
    desc : str
        Label of the progress bar.
    on_result : callable, optional
        Called as ``on_result(index, result)`` in this process as each chunk
        finishes (in completion order), for example to persist it.

    Returns
    -------
    list
        ``[fn(c) for c in chunks]``, in the order of ``chunks``.

    Raises
    ------
    ParallelError
        The cluster cannot be used, or a task was lost with its worker.
    LdnStatsError
        Whatever ``fn`` raised on purpose, re-raised as is.

    Examples
    --------
    >>> map_chunks(len, ["ab", "c", ""], workers=0)
    [2, 1, 0]
    """
    chunks = list(chunks)
    bar = _progress(len(chunks), desc, progress)
    try:
        if client is None and workers == 0 and scheduler is None:
            out: list[R] = []
            for i, chunk in enumerate(chunks):
                r = _run_pinned(fn, chunk)
                out.append(r)
                if on_result is not None:
                    on_result(i, r)
                if bar is not None:
                    bar.update(1)
            return out
        if client is None:
            with cluster(workers=workers, scheduler=scheduler) as c:
                return _map_on(c, fn, chunks, bar, on_result)
        return _map_on(client, fn, chunks, bar, on_result)
    finally:
        if bar is not None:
            bar.close()


_LOST = ("KilledWorker", "CancelledError", "CommClosedError", "FutureCancelledError")


def _map_on(client: Any, fn: Callable[[T], R], chunks: list[T], bar: Any,
            on_result: Callable[[int, R], None] | None) -> list[R]:
    from distributed import as_completed

    if not chunks:
        return []
    futures = [client.submit(_run_pinned, fn, chunk, pure=False) for chunk in chunks]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(chunks)
    try:
        for fut in as_completed(futures):
            i = index[fut.key]
            try:
                results[i] = fut.result()
            except LdnStatsError:
                raise
            except Exception as exc:  # a lost worker, a killed task
                name = type(exc).__name__
                if name in _LOST:
                    raise ParallelError(f"chunk {i} was lost ({name}: {exc})") from None
                raise
            if on_result is not None:
                on_result(i, results[i])
            if bar is not None:
                bar.update(1)
    finally:
        for f in futures:
            f.release()
    return results
