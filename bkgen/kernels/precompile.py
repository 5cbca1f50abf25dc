"""A cold compile on two cores: a helper process compiles part of a run's kernels into the cache.

numba compiles a function and its callees one after the other, in one thread. On a cold cache the
event kernel (record.generate_blocks_with_record) is compiled as one chain; parts of it do not depend
on each other: the beam frame and the boost of an event to the lab (cascade._beam_frame and _to_lab,
the largest callees of the event loop) and the record fill (record.fill_record_tile) need nothing of
the decay part of cascade.generate_one_block or of the kernel tables. A helper process
(``python -m bkgen.kernels.precompile``) compiles those into the same on-disk cache (jit.cache_dir)
while this process builds the tables and compiles the rest; a call to one of them from code being
compiled here waits until the helper has cached it (jit.wait_for) and loads it from the cache instead
of compiling it a second time. If the helper fails, this process compiles what is missing itself. The
compiled code is the same either way.

``bkgen generate`` calls :func:`start_early` first thing (before its card is read): on a cold cache
the helper starts at once and compiles the kernels whose argument types no run changes (the beam
frame and the boost to the lab, :func:`static_work`) while this process reads the card; :func:`start`
then hands it the rest (the record fill, whose types follow the output precision). This module
imports numba only once a helper runs.
``BKGEN_COMPILE_HELPER=0`` turns the helper off.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path

#: seconds a compile waits for the helper before compiling a function itself
WAIT_SECONDS = 600.0
#: the helper's command-line flag: compile static_work() before reading its work from stdin
STATIC_FLAG = "--static"


def _kernel(module: str, name: str):
    from importlib import import_module

    return getattr(import_module(f"{__package__}.{module}"), name)


def static_work() -> list[tuple[str, str, tuple]]:
    """(kernel module, function, argument types) of the helper's kernels whose argument types are the
    same in every run (the beam frame and the boost to the lab, as cascade._production calls them: the
    RNG state, the lab vector, the beam frame and the kernel output are float64 / uint64 C arrays)."""
    from numba import types

    f64, i64 = types.float64, types.int64
    st = types.Array(types.uint64, 1, "C")
    lab = frame = types.Array(f64, 1, "C")
    p4 = vtx = types.Array(f64, 3, "C")
    obs = types.Array(f64, 2, "C")
    return [("cascade", "_beam_frame", (st, f64, lab, frame)),
            ("cascade", "_to_lab", (st, f64, lab, frame, p4, vtx, obs, i64))]


def helper_work(lab, p4, vtx, obs, record_args) -> list[tuple[str, str, tuple]]:
    """(kernel module, function, argument types) of the functions the helper compiles, in order, for a
    run with these arguments of record.generate_blocks_with_record: its lab vector, kernel output
    p4, vtx, obs and the arguments of fill_record_tile after obs (Generator._record_args)."""
    import numpy as np
    from numba import typeof, types

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
    from . import jit as J

    return isinstance(getattr(dispatcher._cache, "_impl", None) and dispatcher._cache._impl.locator,
                      J._BkgenCacheLocator)


class Helper:
    """A helper process and the waits for what it compiles: ``static`` (its work when started with
    STATIC_FLAG), then what :meth:`give` sends; :meth:`close` ends the waits and the process."""

    def __init__(self, proc: subprocess.Popen, static: list[tuple[str, str, tuple]] = ()):
        self.proc = proc
        self.work: list[tuple[str, str, tuple]] = []
        self._events: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()
        self._ended = False  # the helper's output has ended: nothing more will be cached by it
        self._expect(static)
        self._reader = threading.Thread(target=self._read, name="bkgen-precompile", daemon=True)
        self._reader.start()

    def _expect(self, work) -> None:
        from . import jit as J

        with self._lock:
            for m, f, sig in work:
                ev = threading.Event()
                if self._ended:
                    ev.set()
                self._events[(m, f)] = ev
                self.work.append((m, f, sig))
                J.wait_for(_kernel(m, f), ev, WAIT_SECONDS)

    def give(self, work: list[tuple[str, str, tuple]]) -> None:
        """Hand the helper its remaining work (possibly none) and close its input."""
        self._expect(work)
        try:
            self.proc.stdin.write(pickle.dumps(work))
            self.proc.stdin.close()
        except OSError:  # the helper has ended already: the reader finds its output ended
            pass

    def _read(self) -> None:
        try:
            for line in self.proc.stdout:
                parts = line.decode().split()
                ev = self._events.get((parts[1], parts[2])) if len(parts) == 3 and parts[0] == "cached" else None
                if ev is not None:
                    ev.set()
        finally:  # the helper has ended (or failed): nothing more to wait for
            with self._lock:
                self._ended = True
                for ev in self._events.values():
                    ev.set()

    def close(self) -> None:
        """Stop waiting for the helper; end it if it still runs (an interrupted compile)."""
        from . import jit as J

        for m, f, _ in self.work:
            J.wait_for(_kernel(m, f), None)
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()
        self._reader.join()
        self.proc.stdout.close()
        if not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except OSError:
                pass


def _spawn(static: bool = False) -> subprocess.Popen:
    """A helper process, waiting for its work on stdin (it imports numba and the kernels meanwhile, and
    with ``static`` compiles static_work() first)."""
    env = dict(os.environ)
    # the helper imports this bkgen (a checkout run without installing it, too)
    root = str(Path(__file__).resolve().parent.parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    argv = [sys.executable, "-m", f"{__package__}.precompile", *([STATIC_FLAG] if static else [])]
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


#: a helper started ahead of its work by :func:`start_early`, taken by :func:`start`
_early: Helper | None = None


def _enabled() -> bool:
    return os.environ.get("BKGEN_COMPILE_HELPER", "1") != "0" and bool(sys.executable)


def start_early() -> None:
    """Start the helper process now if the kernel cache looks cold (it holds no compiled record fill):
    it compiles static_work() at once, while this process reads its card and integrates the widths,
    and :func:`start` gives it the rest. A warm cache starts nothing."""
    global _early
    if _early is not None or not _enabled():
        return
    from .. import cache

    try:
        if cache.kernel_cache_warm():
            return
        proc = _spawn(static=True)
    except Exception:  # noqa: BLE001 (no process can start here): the helper only saves time
        return
    try:
        _early = Helper(proc, static_work())
    except BaseException as exc:  # e.g. numba cannot be imported (the run reports that itself), Ctrl-C
        proc.terminate()
        proc.wait()
        if not isinstance(exc, Exception):
            raise


def _take_early() -> Helper | None:
    global _early
    helper, _early = _early, None
    return helper


def discard_early() -> None:
    """End a helper started by :func:`start_early` that :func:`start` did not take (a run that ended
    before its compile); the cache files it wrote are complete (numba replaces them atomically)."""
    helper = _take_early()
    if helper is not None:
        helper.close()


def _release(helper: Helper | None) -> None:
    """End an early helper that gets no more work (it finishes its static work and exits)."""
    if helper is None:
        return
    helper.give([])
    helper.proc.wait()
    helper.close()


def start(work: list[tuple[str, str, tuple]]) -> Helper | None:
    """Start a helper on the entries of ``work`` (:func:`helper_work`) that are not cached yet (or give
    them to the one :func:`start_early` started); None when there is nothing to wait for, when the
    helper is turned off (``BKGEN_COMPILE_HELPER=0``) or cannot run here."""
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
        if early is not None:
            early.give([w for w in todo if (w[0], w[1]) not in early._events])  # not its static work again
            return early
        if todo:
            helper = Helper(_spawn())
            helper.give(todo)
            return helper
    except Exception:  # noqa: BLE001 (numba's cache internals changed, no process can start, ...): the
        pass  # helper only saves time, and this process compiles everything without it
    _release(early)
    return None


def main() -> int:
    """The helper: with STATIC_FLAG compile static_work() first; then compile the pickled (module,
    function, argument types) read from stdin in order, printing ``cached MODULE FUNCTION`` after each.
    Without garbage collection: this short-lived process would spend some 15 % of its time in it."""
    import gc

    gc.disable()
    from . import cascade, record  # noqa: F401 (imported while the work is not known yet)

    if STATIC_FLAG in sys.argv[1:]:
        for m, f, sig in static_work():
            _kernel(m, f).compile(sig)
            print("cached", m, f, flush=True)
    data = sys.stdin.buffer.read()
    if not data:  # started early, and the run needed nothing more of it
        return 0
    work = pickle.loads(data)
    for m, f, sig in work:
        _kernel(m, f).compile(sig)
        print("cached", m, f, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
