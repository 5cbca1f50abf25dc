"""bkgen's user cache directory: compiled kernels (:mod:`bkgen.kernels.jit`) and the PDG table
extract (:func:`bkgen.physics.inputs.particle`) live under it.

``$BKGEN_CACHE_DIR`` if set, else the platform's user cache directory: ``$XDG_CACHE_HOME/bkgen`` or
``~/.cache/bkgen`` on Linux, ``~/Library/Caches/bkgen`` on macOS, ``%LOCALAPPDATA%\\bkgen\\Cache`` on
Windows. Everything in it can be deleted at any time; it is rebuilt when needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from functools import lru_cache
from pathlib import Path


def user_cache_root() -> Path:
    """bkgen's cache root: ``$BKGEN_CACHE_DIR`` or the platform's user cache directory."""
    env = os.environ.get("BKGEN_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        return base / "bkgen" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "bkgen"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "bkgen"


@lru_cache(maxsize=1)
def kernel_sources_hash() -> str:
    """sha256 of the kernel sources bkgen/kernels/*.py (names and contents), 12 hex digits."""
    h = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parent / "kernels").glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def kernel_cache_dir(numba_version: str) -> Path:
    """The directory of bkgen's compiled kernels for this bkgen version, ``numba_version`` and kernel
    sources: ``numba-<bkgen version>-<numba version>-<kernel_sources_hash>``."""
    from . import __version__

    return user_cache_root() / f"numba-{__version__}-{numba_version}-{kernel_sources_hash()}"


def kernel_cache_warm() -> bool:
    """Whether a kernel cache of this bkgen version and these kernel sources holds a compiled record fill
    (the event loop's last kernel), for any numba version: found without importing numba."""
    return any(user_cache_root().glob(f"{kernel_cache_dir('*').name}/kernels/record.fill_record_tile-*.nbi"))


def read_json(name: str):
    """The JSON document cached as ``name``, or None if there is none or it cannot be read."""
    try:
        with open(user_cache_root() / name, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write_json(name: str, document) -> None:
    """Cache ``document`` as ``name`` through bkgen's atomic output path (a reader sees the old file or the
    whole new one); a cache directory that cannot be written is ignored."""
    from .io._atomic import OutputError, write_text

    root = user_cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        write_text(root / name, json.dumps(document, separators=(",", ":")), overwrite=True)
    except (OSError, OutputError):
        pass
