"""The one place where numba options live."""

from __future__ import annotations

import numba

#: options shared by every kernel: on-disk cache, no GIL, numpy error semantics
JIT_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)


def jit(fn=None, **overrides):
    """``numba.njit`` with bkgen's options (``cache=True`` etc.)."""
    opts = {**JIT_OPTIONS, **overrides}
    if fn is None:
        return lambda f: numba.njit(**opts)(f)
    return numba.njit(**opts)(fn)


def pjit(fn):
    """Parallel variant of :func:`jit` (``prange`` over independent RNG blocks)."""
    return numba.njit(parallel=True, **JIT_OPTIONS)(fn)
