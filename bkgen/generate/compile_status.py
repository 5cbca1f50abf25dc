"""Visible numba compilation: a status line while kernels compile (first run only), and the time it took.

numba reports a compilation (not a load from the on-disk cache) as a ``numba:compile`` event;
:func:`compile_status` listens for them while a block of code runs.
"""

from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

from numba.core import event


class CompileTimer(event.Listener):
    """Seconds spent in numba compilations (outermost ones) while active; ``count`` of them."""

    def __init__(self, stream=None):
        self.seconds = 0.0
        self.count = 0
        self._depth = 0
        self._t0 = 0.0
        self._stream = stream
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._first = None

    def on_start(self, ev):
        if self._depth == 0:
            self._t0 = time.perf_counter()
            if self._first is None:
                self._first = self._t0
                self._start_ticker()
        self._depth += 1

    def on_end(self, ev):
        self._depth -= 1
        if self._depth == 0:
            self.seconds += time.perf_counter() - self._t0
            self.count += 1

    def _start_ticker(self):
        if self._stream is None:
            return

        def tick():
            while True:
                elapsed = time.perf_counter() - self._first
                self._stream.write(f"\rbkgen: compiling kernels (first run only) ... {elapsed:.0f} s")
                self._stream.flush()
                if self._stop.wait(1.0):
                    return

        self._ticker = threading.Thread(target=tick, name="bkgen-compile-status", daemon=True)
        self._ticker.start()

    def close(self, cache_dir=None):
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            where = f"; cached in {cache_dir}" if cache_dir else ""
            self._stream.write(f"\rbkgen: compiled kernels in {self.seconds:.1f} s (first run only{where})\n")
            self._stream.flush()


@contextmanager
def compile_status(show: bool | None = None):
    """Times the numba compilations of the enclosed block (a :class:`CompileTimer`). With ``show``
    (default: stderr is a terminal) a status line with the elapsed time is shown on stderr while
    they run, and replaced by their total when the block ends."""
    from ..kernels.jit import cache_dir

    if show is None:
        show = sys.stderr.isatty()
    timer = CompileTimer(sys.stderr if show else None)
    event.register("numba:compile", timer)
    try:
        yield timer
    finally:
        event.unregister("numba:compile", timer)
        timer.close(cache_dir())
