"""Suite-wide checks: the tests run against the installed bkgen, never a source tree shadowing it."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest


def pytest_configure(config):
    import bkgen

    try:
        dist = metadata.distribution("bkgen")
    except metadata.PackageNotFoundError:
        raise pytest.UsageError("bkgen is not installed; allowed: pip install '.[test]' first") from None
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    if direct.get("dir_info", {}).get("editable"):
        return  # pip install -e: the source tree is the installed package
    installed = Path(dist.locate_file("bkgen")).resolve()
    imported = Path(bkgen.__file__).resolve().parent
    if imported != installed:
        raise pytest.UsageError(f"bkgen is imported from {imported}, not from the installed {installed}; "
                                "allowed: run pytest (not python -m pytest) or from another directory")
