"""The one place where numba options live, including where compiled kernels are cached.

Compiled kernels are cached on disk in one directory per (bkgen version, numba version, hash of
the kernel sources ``bkgen/kernels/*.py``): ``$BKGEN_CACHE_DIR/numba-<key>`` if ``BKGEN_CACHE_DIR``
is set, else the user cache directory (``$XDG_CACHE_HOME/bkgen`` or ``~/.cache/bkgen`` on Linux,
``~/Library/Caches/bkgen`` on macOS, ``%LOCALAPPDATA%\\bkgen\\Cache`` on Windows). The entries are
named by the module's path inside the package, so a source checkout and an installed copy of the
same version share them; a changed kernel file gives a new key, so an edit of a callee in another
file is never served a stale compiled caller. An unwritable cache directory falls back to numba's
own cache locations. A process stamps its directory as used; directories of other keys unused for
30 days are removed.

No kernel uses numba extensions of other packages (awkward's and vector's register themselves through
numba's ``numba_extensions`` entry points and cost about 1 s of start-up and 0.6 s at exit). With
``BKGEN_NUMBA_EXTENSIONS=0`` in the environment (the ``bkgen`` command sets it for itself and its
worker processes) they are not loaded; a Python session that imports bkgen keeps numba's default.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numba
from numba.core import caching as _caching
from numba.core import types

from ..cache import kernel_cache_dir, user_cache_root

#: options shared by every kernel: on-disk cache, no GIL, numpy error semantics; no C-callable wrapper
#: (numba builds one per function for first-class function values, which no kernel uses)
JIT_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False, no_cfunc_wrapper=True)

_PACKAGE = Path(__file__).resolve().parent.parent  # the bkgen package directory


def cache_dir() -> Path:
    """The directory of bkgen's compiled kernels for this version, numba and kernel sources
    (bkgen.cache.kernel_cache_dir)."""
    return kernel_cache_dir(numba.__version__)


#: compiled-kernel directories of other keys (older sources, versions) unused this long are removed [days]
STALE_CACHE_DAYS = 30


@lru_cache(maxsize=1)
def _mark_in_use_and_prune() -> None:
    """Once per process: stamp this key's directory as used now, and remove the ``numba-*`` directories
    of other keys that no process has used for :data:`STALE_CACHE_DAYS` (each change of the kernel
    sources leaves one of some 5 MB behind). Errors are ignored: the cache only saves time."""
    import shutil
    import time

    root, current = user_cache_root(), cache_dir()
    try:
        os.utime(current)
        cutoff = time.time() - STALE_CACHE_DAYS * 86400.0
        for d in root.glob("numba-*"):
            if d != current and d.is_dir() and d.stat().st_mtime < cutoff:
                shutil.rmtree(d, ignore_errors=True)
    except OSError:
        pass


@lru_cache(maxsize=None)
def _file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class _BkgenCacheLocator(_caching._CacheLocator):
    """Caches the kernels of files inside the bkgen package under :func:`cache_dir`, by their path
    inside the package (the same for a checkout and an install), stamped with the file's content hash."""

    def __init__(self, py_func, py_file, relative: Path):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(cache_dir() / relative.parent)

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        return _file_hash(self._py_file)

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        try:
            relative = Path(py_file).resolve().relative_to(_PACKAGE)
        except (ValueError, OSError):
            return None  # not a bkgen source file: numba's own locators
        self = cls(py_func, py_file, relative)
        try:
            self.ensure_cache_path()
        except OSError:
            return None  # unwritable: numba's own locators
        _mark_in_use_and_prune()
        return self


class _KernelCache(_caching.FunctionCache):
    """numba's on-disk cache of one kernel, loading a cached kernel without numba's compiler registries.

    numba's ``load_overload`` first refreshes the target context: it imports every lowering module of
    numba (some 250, and scipy.linalg for numba's BLAS check), about 0.5 s of a warm run's start-up. Code
    loaded from the cache needs none of them, only numba's runtime (NRT) symbols for its allocations;
    a compilation refreshes the context itself (numba.core.compiler.compile_extra)."""

    def load_overload(self, sig, target_context):
        from numba.core.runtime import rtsys

        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


#: numba's cache internals the light load relies on (numba >= 0.59); without them numba's own load
_LIGHT_LOAD = all(hasattr(_caching.Cache, a) for a in ("_load_overload", "_guard_against_spurious_io_errors"))


def _light_cache_load(dispatcher):
    """Give ``dispatcher`` (built with ``cache=True``) a :class:`_KernelCache` for numba's cache."""
    if _LIGHT_LOAD and type(getattr(dispatcher, "_cache", None)) is _caching.FunctionCache:
        dispatcher._cache = _KernelCache(dispatcher.py_func)
    return dispatcher


def _skip_numba_extensions() -> None:
    """Mark numba's extension entry points as loaded (numba >= 0.53 keeps the flag in
    ``numba.core.entrypoints``; without it nothing changes)."""
    from numba.core import entrypoints

    if hasattr(entrypoints, "_already_initialized"):
        entrypoints._already_initialized = True


def _install_locator() -> None:
    impl = getattr(_caching, "CacheImpl", None) or getattr(_caching, "_CacheImpl")
    if _BkgenCacheLocator not in impl._locator_classes:
        impl._locator_classes.insert(0, _BkgenCacheLocator)


_install_locator()
if os.environ.get("BKGEN_NUMBA_EXTENSIONS", "1") == "0":
    _skip_numba_extensions()


#: id(dispatcher) -> (threading.Event, timeout [s]): being compiled into the cache by a helper process
#: (kernels.precompile); a call from code being compiled waits for it, then loads it from the cache
_awaited: dict = {}


def wait_for(dispatcher, event, timeout: float | None = None) -> None:
    """Calls of ``dispatcher`` from code being compiled wait until ``event`` is set (at most ``timeout``
    seconds) before they compile or load it; ``event=None`` ends that."""
    if event is None:
        _awaited.pop(id(dispatcher), None)
    else:
        _awaited[id(dispatcher)] = (event, timeout)


def _one_specialisation_per_type(dispatcher):
    """Calls from jitted code type constant arguments as literals (``wigner_d1(1, -1, c, s)`` has
    Literal[int](1), Literal[int](-1)), and numba compiles one specialisation per literal value: nine
    copies of wigner_d1, three of _bilinear, ... in the cold compile. Here the dispatcher is asked
    for the non-literal types instead, so each helper compiles once per type signature; LLVM still
    folds the constants after inlining it into its caller."""
    get_call_template = dispatcher.get_call_template

    def non_literal_call_template(args, kws):
        pending = _awaited.get(id(dispatcher))
        if pending is not None:
            pending[0].wait(pending[1])
        return get_call_template(tuple(types.unliteral(a) for a in args),
                                 {k: types.unliteral(v) for k, v in kws.items()})

    dispatcher.get_call_template = non_literal_call_template
    return dispatcher


def jit(fn=None, **overrides):
    """``numba.njit`` with bkgen's options (``cache=True`` etc.), one specialisation per type
    signature (no literal-value specialisations)."""
    opts = {**JIT_OPTIONS, **overrides}
    if fn is None:
        return lambda f: _one_specialisation_per_type(_light_cache_load(numba.njit(**opts)(f)))
    return _one_specialisation_per_type(_light_cache_load(numba.njit(**opts)(fn)))

