"""Stand-in for basf2's pdg module: ``add_particle`` with the tabled signature, checked types and
no PDG code added twice."""

from __future__ import annotations

import re

from _table import StubError, call, check_type

_added: dict[int, str] = {}


def add_particle(*args, **kwargs):
    a = call("pdg.add_particle", args, kwargs)
    if not isinstance(a["name"], str) or re.search(r"\s", a["name"]) or not a["name"]:
        raise StubError(f"pdg.add_particle name = {a['name']!r}: a name without whitespace")
    check_type("pdg.add_particle pdgCode", "int", a["pdgCode"])
    for k in ("mass", "width", "charge", "spin", "lifetime"):
        check_type(f"pdg.add_particle {k}", "float", a[k])
    if a["pdgCode"] in _added or a["name"] in _added.values():
        raise StubError(f"pdg.add_particle: {a['name']} ({a['pdgCode']}) added twice")
    _added[a["pdgCode"]] = a["name"]
    return True
