"""A cold compile on two cores: a helper process compiles part of a run's kernels into the cache.

numba compiles a function and its callees one after the other, in one thread. On a cold cache the
event kernel (record.generate_blocks_with_record) is compiled as one chain; parts of it do not depend
on each other: the beam frame and the boost of an event to the lab (cascade._beam_frame and _to_lab,
the largest callees of the event loop) and the record fill (record.fill_record_tile) need nothing of
the decay part of cascade.generate_one_block or of the kernel tables. :func:`start` runs
``python -m bkgen.kernels.precompile`` on those, which compiles them into the same on-disk cache
(jit.cache_dir) while this process builds the tables and compiles the rest; a call to one of them
from code being compiled here waits until the helper has cached it (jit.wait_for) and loads it from
the cache instead of compiling it a second time. If the helper fails, this process compiles what is
missing itself. The compiled code is the same either way.

``bkgen generate`` calls :func:`start_early` as soon as its card is read: on a cold cache the helper
process then starts up (Python, numba, the kernel modules) while this process imports the rest and
integrates the widths, and :func:`start` hands it its work. ``BKGEN_COMPILE_HELPER=0`` turns the
helper off.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from numba import typeof, types

from . import jit as J

#: seconds a compile waits for the helper before compiling a function itself
WAIT_SECONDS = 600.0


def _kernel(module: str, name: str):
    from importlib import import_module

    return getattr(import_module(f"{__package__}.{module}"), name)


def helper_work(lab, p4, vtx, obs, record_args) -> list[tuple[str, str, tuple]]:
    """(kernel module, function, argument types) of the functions the helper compiles, in order, for a
    run with these arguments of record.generate_blocks_with_record: its lab vector, kernel output
    p4, vtx, obs and the arguments of fill_record_tile after obs (Generator._record_args)."""
    from . import cascade as K

    st = types.Array(types.uint64, 1, "C")  # one block's RNG state (generate_blocks_with_record)
    frame = typeof(np.empty(K.N_FRAME))
    f64, i64 = types.float64, types.int64
    tlab, tp4, tvtx, tobs = (typeof(a) for a in (lab, p4, vtx, obs))
    return [
        ("cascade", "_beam_frame", (st, f64, tlab, frame)),
        ("cascade", "_to_lab", (st, f64, tlab, frame, tp4, tvtx, tobs, i64)),
        ("record", "fill_record_tile", (i64, i64, tp4, tvtx, tobs, *(typeof(a) for a in record_args))),
    ]


def is_cached(dispatcher, sig: tuple) -> bool:
    """Whether bkgen's cache holds ``dispatcher`` compiled for the argument types ``sig``."""
    cache = dispatcher._cache
    key = cache._index_key(sig, dispatcher.targetctx.codegen())
    return key in cache._cache_file._load_index()


def _uses_bkgen_cache(dispatcher) -> bool:
    return isinstance(getattr(dispatcher._cache, "_impl", None) and dispatcher._cache._impl.locator,
                      J._BkgenCacheLocator)


class Helper:
    """The helper process; :meth:`close` ends the waits and the process."""

    def __init__(self, work: list[tuple[str, str, tuple]], proc: subprocess.Popen | None = None):
        self.work = work
        self._events = {(m, f): threading.Event() for m, f, _ in work}
        self.proc = proc if proc is not None else _spawn()
        try:
            self.proc.stdin.write(pickle.dumps(work))
            self.proc.stdin.close()
        except BrokenPipeError:  # the helper has ended already: the reader finds its output empty
            pass
        for m, f, _ in work:
            J.wait_for(_kernel(m, f), self._events[(m, f)], WAIT_SECONDS)
        self._reader = threading.Thread(target=self._read, name="bkgen-precompile", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            for line in self.proc.stdout:
                parts = line.decode().split()
                if len(parts) == 3 and parts[0] == "cached" and (parts[1], parts[2]) in self._events:
                    self._events[(parts[1], parts[2])].set()
        finally:  # the helper has ended (or failed): nothing more to wait for
            for ev in self._events.values():
                ev.set()

    def close(self) -> None:
        """Stop waiting for the helper; end it if it still runs (an interrupted compile)."""
        for m, f, _ in self.work:
            J.wait_for(_kernel(m, f), None)
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()
        self._reader.join()
        self.proc.stdout.close()


def _spawn() -> subprocess.Popen:
    """A helper process, waiting for its work on stdin (it imports numba and the kernels meanwhile)."""
    env = dict(os.environ)
    # the helper imports this bkgen (a checkout run without installing it, too)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.Popen([sys.executable, "-m", f"{__package__}.precompile"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


#: a helper started ahead of its work by :func:`start_early`, taken by :func:`start`
_early: subprocess.Popen | None = None


def _enabled() -> bool:
    return os.environ.get("BKGEN_COMPILE_HELPER", "1") != "0" and bool(sys.executable)


def start_early() -> None:
    """Start the helper process now if the kernel cache looks cold (it holds no compiled record fill),
    so that its start-up (Python, numba, the kernel modules: about 2 s) overlaps this process's
    imports and width integrals; :func:`start` gives it its work. A warm cache starts nothing."""
    global _early
    if _early is not None or not _enabled():
        return
    try:
        if any((J.cache_dir() / "kernels").glob("record.fill_record_tile-*.nbi")):
            return
        _early = _spawn()
    except Exception:  # noqa: BLE001 (no process can start here): the helper only saves time
        _early = None


def _take_early() -> subprocess.Popen | None:
    global _early
    proc, _early = _early, None
    return proc


def _release(proc: subprocess.Popen | None) -> None:
    """End an early helper that got no work (it reads an empty stdin and exits)."""
    if proc is None:
        return
    try:
        proc.stdin.close()
    except OSError:
        pass
    proc.wait()
    proc.stdout.close()


def start(work: list[tuple[str, str, tuple]]) -> Helper | None:
    """Start a helper on the entries of ``work`` (:func:`helper_work`) that are not cached yet; None
    when all are, when the helper is turned off (``BKGEN_COMPILE_HELPER=0``) or cannot run here."""
    early = _take_early()
    if not _enabled():
        _release(early)
        return None
    try:
        todo = []
        for m, f, sig in work:
            disp = _kernel(m, f)
            if not _uses_bkgen_cache(disp):
                todo = []  # numba's own cache locations (bkgen's is unwritable): keep it simple, no helper
                break
            if not is_cached(disp, sig):
                todo.append((m, f, sig))
        if todo:
            return Helper(todo, early)
    except Exception:  # noqa: BLE001 (numba's cache internals changed, no process can start, ...): the
        pass  # helper only saves time, and this process compiles everything without it
    _release(early)
    return None


def main() -> int:
    """The helper: compile the pickled (module, function, argument types) read from stdin in order,
    printing ``cached MODULE FUNCTION`` after each."""
    from . import cascade, record  # noqa: F401 (imported while the work is not known yet)

    data = sys.stdin.buffer.read()
    if not data:  # started early, and the run needed nothing of it
        return 0
    work = pickle.loads(data)
    for m, f, sig in work:
        _kernel(m, f).compile(sig)
        print("cached", m, f, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
