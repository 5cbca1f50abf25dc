"""Recast scans over card parameters: one binned spectrum and one set of fits per grid point.

The compiled likelihood is built once; between points only the per-bin new-physics factors change
and every fit starts from the previous point's solution.
"""

from __future__ import annotations

import copy
import itertools
import re

import numpy as np

from ..config.card import CardError, apply_overrides, load_raw, parse_axis, resolve
from . import spectrum as spec_mod
from .fit import Recast, reweight_factors

_INDEX = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[(\*|\d+)\]$")


def parse_scan(text: str) -> tuple[str, np.ndarray]:
    """A --scan axis (see :func:`bkgen.config.card.parse_axis`). An array of tables is addressed as
    model.dark_fermions[0].mass or [*] for all entries."""
    return parse_axis(text, "--scan")


def _set(raw: dict, key: str, value) -> None:
    node = raw
    parts = key.split(".")
    if len(parts) < 2:
        raise CardError(f"--scan key {key!r}: allowed: section.key")
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        m = _INDEX.match(p)
        if m:
            name, idx = m.groups()
            lst = node.get(name)
            if not isinstance(lst, list):
                raise CardError(f"--scan key {key!r}: {name} is not an array of tables in the card")
            targets = lst if idx == "*" else [lst[int(idx)]] if int(idx) < len(lst) else None
            if targets is None:
                raise CardError(f"--scan key {key!r}: index {idx} out of range (the card has {len(lst)} entries)")
            rest = ".".join(parts[i + 1:])
            for t in targets:
                _set({"_": t}, "_." + rest, value)
            return
        if last:
            node[p] = value
        else:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise CardError(f"--scan key {key!r}: {p} is not a table")


def grid(scans: list[tuple[str, np.ndarray]]):
    keys = [k for k, _ in scans]
    for values in itertools.product(*[v for _, v in scans]):
        yield dict(zip(keys, (float(v) for v in values)))


def run_scan(card_path: str, overrides: list[str], scans: list[tuple[str, np.ndarray]], *, intervals: bool = True,
             limit: bool = True, progress=None) -> dict:
    """Fit every grid point; returns {"keys", "points": [{params, bf_model, <analysis>: result}]}."""
    base = apply_overrides(load_raw(card_path), overrides)
    rc = Recast()
    points = []
    for params in grid(scans):
        raw = copy.deepcopy(base)
        for k, v in params.items():
            _set(raw, k, v)
        card = resolve(raw)
        sp = spec_mod.from_card(card)
        point = {"params": params, "bf_model": sp.kplus_br}
        if sp.kplus_br > 0 and sp.kplus.sum() > 0:
            factors = reweight_factors(sp.kplus, sp.kplus_br)
            res = rc.run(factors, r_model=sp.kplus_br / rc.bf_ref, intervals=intervals, limit=limit, hesse=False)
            point.update(res)
        points.append(point)
        if progress is not None:
            progress.update(1)
    return {"card": card_path, "overrides": list(overrides), "keys": [k for k, _ in scans], "points": points}


COLUMNS = (
    "bf_np_hat", "bf_np_interval68", "bf_np_interval95", "bf_np_ul95_cls", "minus2_dlnl_sm", "significance_vs_sm",
    "minus2_dlnl_model_vs_best", "minus2_dlnl_model_vs_sm",
)


def to_csv(table: dict) -> str:
    keys = table["keys"]
    analyses = [a for a in ("ITA", "HTA", "combined") if any(a in p for p in table["points"])]
    head = list(keys) + ["bf_model"]
    for a in analyses:
        for c in COLUMNS:
            if c.endswith(("interval68", "interval95")):
                head += [f"{a}_{c}_lo", f"{a}_{c}_hi"]
            else:
                head.append(f"{a}_{c}")
    lines = [",".join(head)]
    for p in table["points"]:
        row = [repr(p["params"][k]) for k in keys] + [repr(p["bf_model"])]
        for a in analyses:
            r = p.get(a, {})
            for c in COLUMNS:
                v = r.get(c)
                if c.endswith(("interval68", "interval95")):
                    row += [repr(v[0]), repr(v[1])] if v else ["", ""]
                else:
                    row.append("" if v is None else repr(v))
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"
