"""Replace one marked section of benchmarks/RESULTS.md (or append it), written atomically."""

from __future__ import annotations

import os
import re
from pathlib import Path


def replace_section(path, begin: str, end: str, text: str, heading: str = "") -> None:
    """Put ``text`` (which starts with ``begin`` and ends with ``end``) in place of the text between the
    markers in ``path``, or append it (after ``heading``, if given) where the markers are absent."""
    path = Path(path)
    old = path.read_text() if path.exists() else ""
    text = text if text.endswith("\n") else text + "\n"
    if begin in old and end in old:
        new = re.sub(re.escape(begin) + ".*?" + re.escape(end) + "\n?", lambda _: text, old, flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n" + (heading + "\n\n" if heading else "") + text
    tmp = path.with_name(path.name + f".partial-{os.getpid()}")
    tmp.write_text(new)
    os.replace(tmp, path)
