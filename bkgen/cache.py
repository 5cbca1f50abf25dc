"""bkgen's user cache directory: compiled kernels (:mod:`bkgen.kernels.jit`) and the PDG table
extract (:func:`bkgen.physics.inputs.particle`) live under it.

``$BKGEN_CACHE_DIR`` if set, else the platform's user cache directory: ``$XDG_CACHE_HOME/bkgen`` or
``~/.cache/bkgen`` on Linux, ``~/Library/Caches/bkgen`` on macOS, ``%LOCALAPPDATA%\\bkgen\\Cache`` on
Windows. Everything in it can be deleted at any time; it is rebuilt when needed.
"""

from __future__ import annotations

import json
import os
import sys
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
