"""Regenerate the basf2 parameter table (``release-*.json`` beside this script) from basf2 sources.

    python bkgen/data/basf2/make_table.py BASF2_SOURCE --release release-11-00-00 \
        --source-of PATH=TEXT ... -o bkgen/data/basf2/release-11-00-00.json

BASF2_SOURCE is a checkout of github.com/belle2/basf2 at the release tag (or any directory holding
the files below at their repository paths). For every module the steering of ``bkgen basf2`` uses,
the constructor's ``addParam("name", member, "doc"[, default])`` calls are read from its source
file: a parameter with a default is optional and its type is that of the default literal (bool,
int, float, str); one without a default is required and its type is the member's C++ type in the
module header (``std::vector<std::string>`` -> list[str]). Python functions (``pdg.add_particle``,
``mdst.add_mdst_output``) are read with ``ast``: argument names in order and their defaults.
Nothing here runs basf2; the table is data for bkgen's steering writer and the test stub.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from pathlib import Path

#: module name -> (source file, header file or None), repository paths
MODULES = {
    "HepMCInput": ("generators/modules/hepmcreader/src/HepmcInputModule.cc",
                   "generators/modules/hepmcreader/include/HepmcInputModule.h"),
    "LHEInput": ("generators/modules/src/LHEInputModule.cc", "generators/modules/include/LHEInputModule.h"),
    "BoostMCParticles": ("generators/modules/src/BoostMCParticlesModule.cc", None),
    "SmearPrimaryVertex": ("generators/modules/src/SmearPrimaryVertexModule.cc", None),
    "EvtGenDecay": ("generators/modules/evtgendecay/EvtGenDecayModule.cc", None),
}
#: python function -> (source file, function name)
FUNCTIONS = {
    "pdg.add_particle": ("framework/scripts/pdg.py", "add_particle"),
    "mdst.add_mdst_output": ("mdst/scripts/mdst.py", "add_mdst_output"),
}
#: functions the steering calls with ``path=`` only, as basf2's own example steering files do
#: (analysis/examples/tutorials B2A104-SimulateAndReconstruct-withoutBeamBkg.py); their sources
#: are not parsed, so the table admits only the ``path`` argument for them
PATH_ONLY_FUNCTIONS = ("simulation.add_simulation", "reconstruction.add_reconstruction")
_CPP_TYPES = {"std::vector<std::string>": "list[str]", "std::string": "str", "bool": "bool", "int": "int",
              "double": "float", "unsigned int": "int"}


def _split_args(text: str) -> list[str]:
    """Top-level comma-separated arguments of a C++ call (strings and nested brackets kept whole)."""
    out, depth, cur, quote = [], 0, [], False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            cur.append(ch)
            if ch == "\\":
                cur.append(text[i + 1])
                i += 1
            elif ch == '"':
                quote = False
        elif ch == '"':
            quote = True
            cur.append(ch)
        elif ch in "([{":
            depth += 1
            cur.append(ch)
        elif ch in ")]}":
            depth -= 1
            cur.append(ch)
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if cur:
        out.append("".join(cur).strip())
    return out


def _calls(source: str, name: str) -> list[list[str]]:
    """Argument lists of every ``name(...)`` call in C++ ``source``."""
    calls = []
    for m in re.finditer(rf"\b{name}\s*\(", source):
        depth, j, quote = 1, m.end(), False
        while depth:
            ch = source[j]
            if quote:
                if ch == "\\":
                    j += 1
                elif ch == '"':
                    quote = False
            elif ch == '"':
                quote = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            j += 1
        calls.append(_split_args(source[m.end():j - 1]))
    return calls


def _literal(text: str):
    """(type, value) of a C++ default literal."""
    t = re.sub(r"\s+", " ", text.strip())
    if t in ("true", "false"):
        return "bool", t == "true"
    if t == "INT_MAX":
        return "int", 2**31 - 1
    if re.fullmatch(r"-?\d+", t):
        return "int", int(t)
    if re.fullmatch(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?", t):
        return "float", float(t)
    m = re.fullmatch(r'(?:std::)?string\("(.*)"\)', t)
    if m:
        return "str", m.group(1)
    m = re.fullmatch(r'FileSystem::findFile\(\s*"([^"]*)".*\)', t)
    if m:
        return "str", f"<basf2 data file {m.group(1)}>"
    raise ValueError(f"default literal {text!r}: no rule for its type")


def _member_type(header: str, member: str) -> str:
    m = re.search(rf"^\s*([\w:<>\s]+?)\s+{re.escape(member)}\s*;", header, re.M)
    if m is None:
        raise ValueError(f"member {member} not declared in the header")
    cpp = re.sub(r"\s*([<>])\s*", r"\1", m.group(1).strip())
    if cpp not in _CPP_TYPES:
        raise ValueError(f"member {member}: C++ type {cpp!r} has no Python type here")
    return _CPP_TYPES[cpp]


def module_params(root: Path, source: str, header: str | None) -> dict:
    text = (root / source).read_text()
    params = {}
    for args in _calls(text, "addParam"):
        name = ast.literal_eval(args[0])
        if len(args) >= 4:
            kind, default = _literal(args[3])
            params[name] = {"type": kind, "default": default, "required": False}
        else:
            if header is None:
                raise ValueError(f"{source}: parameter {name!r} without default needs the module header")
            params[name] = {"type": _member_type((root / header).read_text(), args[1]), "required": True}
    return params


def function_signature(root: Path, source: str, func: str) -> dict:
    tree = ast.parse((root / source).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == func:
            a = node.args
            names = [x.arg for x in a.args]
            defaults = [ast.literal_eval(d) for d in a.defaults]
            first_default = len(names) - len(defaults)
            return {"args": [{"name": n, **({"default": defaults[i - first_default]} if i >= first_default else
                                            {"required": True})} for i, n in enumerate(names)]}
    raise ValueError(f"{source}: no function {func}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path, help="basf2 checkout at the release tag")
    ap.add_argument("--release", required=True)
    ap.add_argument("--source-of", action="append", default=[], metavar="PATH=TEXT",
                    help="where each file was read (git commit, release page; repeatable)")
    ap.add_argument("--tag-commit", default=None, help="commit of the release tag, if known")
    ap.add_argument("--note", default="")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    commits = dict(x.split("=", 1) for x in args.source_of)
    table = {"release": args.release, "tag_commit": args.tag_commit, "repository": "https://github.com/belle2/basf2",
             "note": args.note,
             "modules": {}, "functions": {}, "files": {}}
    for name, (source, header) in MODULES.items():
        table["modules"][name] = module_params(args.source, source, header)
        for path in filter(None, (source, header)):
            table["files"][path] = commits.get(path, "")
    for name, (source, func) in FUNCTIONS.items():
        table["functions"][name] = function_signature(args.source, source, func)
        table["files"][source] = commits.get(source, "")
    for name in PATH_ONLY_FUNCTIONS:
        table["functions"][name] = {"args": [{"name": "path", "required": True}],
                                    "source": "calls in basf2's example steering files (path= only)"}
    args.output.write_text(json.dumps(table, indent=1, sort_keys=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
