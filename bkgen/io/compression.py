"""ROOT basket compression settings as written in a card (``output.compression``), checked without
importing uproot (``bkgen validate`` stays light); :func:`bkgen.io.root.parse_compression` maps them
to uproot's classes."""

from __future__ import annotations

import re

from ..errors import InputError

#: algorithm -> allowed levels (lo, hi)
LEVELS = {"zstd": (1, 22), "lz4": (1, 12), "zlib": (1, 9), "lzma": (1, 9)}
FORMS = "'none', 'zstd:N' (N=1..22), 'lz4:N' (N=1..12), 'zlib:N' (N=1..9), 'lzma:N' (N=1..9)"
_RE = re.compile(r"^\s*([a-z0-9]+)\s*:\s*([0-9]+)\s*$")


def parse(spec: str) -> tuple[str, int] | None:
    """``"none"`` -> None, ``"<algorithm>:<level>"`` -> (algorithm, level); InputError otherwise."""
    if not isinstance(spec, str):
        raise InputError(f"invalid compression {spec!r}: expected a string, one of {FORMS}")
    text = spec.strip().lower()
    if text == "none":
        return None
    match = _RE.match(text)
    if match is None or match.group(1) not in LEVELS:
        raise InputError(f"invalid compression {spec!r}: allowed forms are {FORMS}")
    algorithm, level = match.group(1), int(match.group(2))
    lo, hi = LEVELS[algorithm]
    if not lo <= level <= hi:
        raise InputError(
            f"invalid compression {spec!r}: level {level} out of range {lo}..{hi} "
            f"for {algorithm}; allowed forms are {FORMS}"
        )
    return algorithm, level
