"""Threads of a run: the kernels are serial and release the GIL (``nogil``), and a pool of Python
threads runs disjoint ranges of RNG blocks at once. Every block has its own RNG state, so the events
do not depend on the number of threads.

The thread count is per calling thread (like ``numba.set_num_threads``), so tasks of a threaded
dask worker can each use their own; the default is ``NUMBA_NUM_THREADS`` (all cores unless set).
"""

from __future__ import annotations

import itertools
import threading

import numba

#: tasks per thread when a block range is split (load balance against per-task overhead)
TASKS_PER_THREAD = 4

_local = threading.local()


def max_threads() -> int:
    """The largest allowed thread count (``NUMBA_NUM_THREADS``, all cores unless set)."""
    return numba.config.NUMBA_NUM_THREADS


def get_threads() -> int:
    """Threads used by kernels launched from the calling thread."""
    return getattr(_local, "n", None) or max_threads()


def set_threads(n: int) -> None:
    """Use ``n`` threads (1 .. max_threads()) for kernels launched from the calling thread."""
    if not 1 <= int(n) <= max_threads():
        raise ValueError(f"threads = {n}; allowed: 1..{max_threads()}")
    _local.n = int(n)


def run_blocks(kernel, n_blocks: int, *args) -> None:
    """``kernel(b_lo, b_hi, *args)`` over blocks 0 .. n_blocks-1, split into contiguous ranges that
    :func:`get_threads` threads (the calling one and daemon helpers) take in turn.

    The helpers are daemon threads started per call (tens of microseconds against a chunk's
    milliseconds): an interrupted run (Ctrl-C, SIGTERM) exits without waiting for them, and no lock
    of a thread pool can be left held by the interrupted calling thread."""
    threads = min(get_threads(), n_blocks)
    if threads <= 1:
        kernel(0, n_blocks, *args)
        return
    n_tasks = min(n_blocks, threads * TASKS_PER_THREAD)
    bounds = [n_blocks * i // n_tasks for i in range(n_tasks + 1)]
    tasks = itertools.count()  # next() is atomic: each task index goes to one thread
    errors: list[BaseException] = []

    def work():
        try:
            for i in tasks:
                if i >= n_tasks or errors:
                    return
                kernel(bounds[i], bounds[i + 1], *args)
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    helpers = [threading.Thread(target=work, name="bkgen-kernel", daemon=True) for _ in range(threads - 1)]
    for t in helpers:
        t.start()
    work()
    for t in helpers:
        t.join()
    if errors:
        raise errors[0]
