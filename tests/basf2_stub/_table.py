"""The parameter table behind the stub modules (bkgen/data/basf2/release-*.json, or the file named
by BKGEN_BASF2_TABLE) and the stub's call log (written as JSON to BKGEN_BASF2_LOG by basf2.process)."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

TABLE_PATH = Path(os.environ.get("BKGEN_BASF2_TABLE") or
                  Path(__file__).resolve().parents[2] / "bkgen" / "data" / "basf2" / "release-11-00-00.json")
TABLE = json.loads(TABLE_PATH.read_text())
LOG: dict = {"modules": [], "calls": []}


class StubError(Exception):
    """A call basf2 itself would reject (unknown module or parameter, wrong type, missing argument)."""


def check_type(where: str, kind: str, value) -> None:
    ok = {
        "bool": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "list[str]": lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
    }[kind](value)
    if not ok:
        raise StubError(f"{where} = {value!r}: expected {kind}")


def signature(name: str) -> inspect.Signature:
    """The Python signature of a tabled function (defaults as tabled)."""
    params = []
    for a in TABLE["functions"][name]["args"]:
        default = inspect.Parameter.empty if a.get("required") else a.get("default")
        params.append(inspect.Parameter(a["name"], inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default))
    return inspect.Signature(params)


def call(name: str, args, kwargs) -> dict:
    """Bind a call of a tabled function (TypeError -> StubError) and log it."""
    try:
        bound = signature(name).bind(*args, **kwargs)
    except TypeError as exc:
        raise StubError(f"{name}: {exc}") from None
    bound.apply_defaults()
    LOG["calls"].append({"function": name, "args": {k: v for k, v in bound.arguments.items() if k != "path"}})
    return bound.arguments


def dump() -> None:
    path = os.environ.get("BKGEN_BASF2_LOG")
    if path:
        Path(path).write_text(json.dumps(LOG, indent=1, default=str))
