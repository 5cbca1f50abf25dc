"""Threads of a run: the kernels are serial and release the GIL (``nogil``), and a pool of Python
threads runs disjoint ranges of RNG blocks at once. Every block has its own RNG state, so the events
do not depend on the number of threads.

The thread count is per calling thread (like ``numba.set_num_threads``), so tasks of a threaded
dask worker can each use their own; the default is ``NUMBA_NUM_THREADS`` (all cores unless set).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numba

#: tasks per thread when a block range is split (load balance against per-task overhead)
TASKS_PER_THREAD = 4

_local = threading.local()
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


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


def _pool(n: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(n)
        if pool is None:
            pool = _pools[n] = ThreadPoolExecutor(n, thread_name_prefix="bkgen-kernel")
        return pool


def run_blocks(kernel, n_blocks: int, *args) -> None:
    """``kernel(b_lo, b_hi, *args)`` over blocks 0 .. n_blocks-1, split into contiguous ranges that
    run in parallel on :func:`get_threads` threads (inline for one thread or one block)."""
    threads = min(get_threads(), n_blocks)
    if threads <= 1:
        kernel(0, n_blocks, *args)
        return
    n_tasks = min(n_blocks, threads * TASKS_PER_THREAD)
    bounds = [n_blocks * i // n_tasks for i in range(n_tasks + 1)]
    futures = [_pool(threads).submit(kernel, lo, hi, *args) for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]
    for f in futures:
        f.result()  # re-raises a kernel's exception here
