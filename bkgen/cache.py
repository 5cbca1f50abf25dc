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
def kernel_cache_key() -> str:
    """``<bkgen version>-<numba version>-<sha256 of the kernel sources bkgen/kernels/*.py, 12 hex digits>``
    (found without importing numba, so that ``bkgen generate`` can tell a cold cache at once)."""
    from importlib import metadata

    from . import __version__

    try:
        numba_version = metadata.version("numba")
    except metadata.PackageNotFoundError:  # numba without package metadata
        import numba

        numba_version = numba.__version__
    h = hashlib.sha256()
    for path in sorted((Path(__file__).resolve().parent / "kernels").glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{__version__}-{numba_version}-{h.hexdigest()[:12]}"


def kernel_cache_dir() -> Path:
    """The directory of bkgen's compiled kernels for this version, numba and kernel sources."""
    return user_cache_root() / f"numba-{kernel_cache_key()}"


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
