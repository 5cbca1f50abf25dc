"""Recast scans over card parameters.

Axes that only rescale the rate (``Model.rate_scaling``, e.g. g_bs of the dark vector with g_bs from
the card, Lambda of the dipole operator) change r = BF_NP / B_ref but not the shape: per shape (the
other axes) one binned spectrum, one fit (best fit, intervals, CLs limit in BF_NP) and one profile
table of -2 Delta lnL in r give every point. Other axes (masses, mixing, alpha_X, ...) need a new
spectrum and fit. The compiled likelihood is built once and fits start from the previous solution.
"""

from __future__ import annotations

import copy
import itertools
import math
import re

import numpy as np

from ..config.card import CardError, apply_overrides, load_raw, parse_axis, resolve
from ..detector.escape import DEFAULT_BEYOND
from ..physics.models import get as get_model
from . import belle2
from . import spectrum as spec_mod
from .fit import LEVEL_68, LEVEL_95, Recast, reweight_factors

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


def rate_axes(model, card: dict, scans) -> dict:
    """Scan keys that only rescale the rate (``Model.rate_scaling`` holding at the card's parameters):
    key -> RateScaling."""
    out = {}
    decay = card["process"]["decay"]
    for k, _ in scans:
        sec, _, name = k.partition(".")
        if sec == "model" and name.isidentifier():
            r = model.scaling(name, card["model"], decay)
            if r is not None:
                out[k] = r
    return out


def _spectrum_at(base: dict, params: dict, beyond: str, ff: bool = False):
    """The K+ spectrum at ``params``; with ``ff`` also its form-factor nuisances (bkgen.recast.report.model_ff)."""
    raw = copy.deepcopy(base)
    for k, v in params.items():
        _set(raw, k, v)
    card = resolve(raw)
    sp = spec_mod.from_card(card, beyond=beyond)
    if not ff:
        return sp, None
    from .report import model_ff

    return sp, model_ff(sp, card, beyond)


def _public(res: dict) -> dict:
    return {k: v for k, v in res.items() if k != "profile"}


def run_scan(card_path: str, overrides: list[str], scans: list[tuple[str, np.ndarray]], *, intervals: bool = True,
             limit: bool = True, progress=None, shortcut: bool = True, analyses=("combined",),
             beyond: str = DEFAULT_BEYOND, ff: bool = True) -> dict:
    """Fit every grid point; returns {"keys", "rate_keys", "points": [{params, bf_model, <analysis>: result}]}.

    With ``shortcut`` the axes that only rescale the rate (``Model.rate_scaling``) need no new spectrum and
    no new fit: per shape (the other axes) one spectrum at a reference value of the rate axes, one fit with
    intervals and limit in BF_NP (which do not depend on the rate axes), and one profile table in r from
    which -2 Delta lnL of every rate point follows (:class:`bkgen.recast.fit.ProfileTable`). Without it,
    every point gets its own spectrum and fits (the reference). ``ff``: the new physics is a sample of its own with
    the model's form-factor nuisances at every shape (as ``bkgen recast``; False: it inherits Belle II's)."""
    base = apply_overrides(load_raw(card_path), overrides)
    card0 = resolve(copy.deepcopy(base))
    model = get_model(card0["process"]["model"])
    rate = rate_axes(model, card0, scans) if shortcut else {}
    rc = Recast(analyses=tuple(analyses))
    keys = [k for k, _ in scans]
    shape_scans = [(k, v) for k, v in scans if k not in rate]
    rate_scans = [(k, v) for k, v in scans if k in rate]
    ref = {}
    for k, v in rate_scans:
        current = card0["model"][k.split(".", 1)[1]]
        ref[k] = float(current) if current else float(next((x for x in v if x != 0), 1.0))
    points = []
    shapes = []
    for shape in grid(shape_scans):
        if not rate:
            sp, ffn = _spectrum_at(base, shape, beyond, ff)
            point = {"params": shape, "bf_model": sp.kplus_br, "br_total_kplus": sp.kplus_br_total}
            if sp.kplus_br > 0 and sp.kplus.sum() > 0:
                res = rc.run(reweight_factors(sp.kplus, sp.kplus_br), r_model=sp.kplus_br / rc.bf_ref, ff=ffn,
                             intervals=intervals, limit=limit, hesse=False)
                point.update(res)
            points.append(point)
            shapes.append({"params": shape, "points": [len(points) - 1]})
            if progress is not None:
                progress.update(1)
            continue
        sp, ffn = _spectrum_at(base, {**shape, **ref}, beyond, ff)
        r_ref = sp.kplus_br / rc.bf_ref
        combos = list(grid(rate_scans))
        scale = np.array([np.prod([(abs(c[k]) / abs(ref[k])) ** rate[k].power if c[k] != 0 else 0.0 for k in c])
                          for c in combos])
        r_pts = r_ref * scale
        entry = {"params": shape, "points": [], "r_ref": r_ref, "ref": dict(ref)}
        res = None
        if sp.kplus_br > 0 and sp.kplus.sum() > 0 and np.any(r_pts > 0):
            pos = r_pts[r_pts > 0]
            res = rc.run(reweight_factors(sp.kplus, sp.kplus_br), intervals=intervals, limit=limit, hesse=False, ff=ffn,
                         profile_range=(0.0, float(pos.max())))
            entry["fits"] = {a: _public(r) for a, r in res.items()}
            entry["r_range"] = (float(pos.min()), float(pos.max()))
            entry["profile_nodes"] = {a: len(r["profile"].r) for a, r in res.items()}
            entry["tables"] = {a: r["profile"] for a, r in res.items()}
        for c, r_m in zip(combos, r_pts):
            params = {k: (c[k] if k in c else shape[k]) for k in keys}
            point = {"params": params, "bf_model": r_m * rc.bf_ref, "br_total_kplus": sp.kplus_br_total * r_m / r_ref
                     if r_ref > 0 else 0.0}
            if res is not None and r_m > 0:
                for a, r in res.items():
                    q, accurate = r["profile"](r_m)
                    out = _public(r)
                    out["bf_np_model"] = r_m * rc.bf_ref
                    out["minus2_dlnl_model_vs_best"] = float(q)
                    out["minus2_dlnl_model_vs_sm"] = float(q) - r["minus2_dlnl_sm"]
                    out["minus2_dlnl_coarse"] = not bool(accurate)
                    point[a] = out
            points.append(point)
            entry["points"].append(len(points) - 1)
            if progress is not None:
                progress.update(1)
        shapes.append(entry)
    table = {"card": card_path, "overrides": list(overrides), "keys": keys, "rate_keys": {k: rate[k].power for k in rate},
             "analyses": list(analyses), "points": points}
    _delta_chi2(table, shapes)
    table["summary"] = summarize(table, shapes, model)
    table["labels"] = {k: axis_label(model, k) for k in keys}
    return table


def axis_label(model, key: str) -> str:
    """Physics label of a scan key: the model's symbol and unit for model parameters, else the key."""
    sec, _, name = key.partition(".")
    return model.label(name) if sec == "model" and name.isidentifier() else key


def _delta_chi2(table: dict, shapes: list, analysis: str = "combined") -> None:
    """Delta chi^2 of every point against the best point of the scanned region (profile likelihood), for
    ``analysis``: 2 (nll_hat(shape) - nll_min) + q_shape(r). The minimum uses each shape's continuous
    minimum over the scanned range of the rate axes where a profile table exists, else the grid points."""
    pts = table["points"]
    best = math.inf
    for sh in shapes:
        fits = sh.get("fits", {}).get(analysis)
        if fits is not None:
            lo, hi = sh["r_range"]
            r_min = min(max(fits["r_hat"], lo), hi)
            q, _ = sh["tables"][analysis](r_min)
            best = min(best, fits["nll_hat"] + 0.5 * float(q))
        else:
            for i in sh["points"]:
                r = pts[i].get(analysis)
                if r:
                    best = min(best, r["nll_hat"] + 0.5 * r["minus2_dlnl_model_vs_best"])
    for p in pts:
        r = p.get(analysis)
        if r:
            r["delta_chi2"] = 2.0 * (r["nll_hat"] - best) + r["minus2_dlnl_model_vs_best"]
    table["nll_min"] = best if math.isfinite(best) else None


def _crossings(x: np.ndarray, d: np.ndarray, level: float, log: bool):
    """Interval {x: d(x) <= level} of a sampled curve (linear interpolation, in log x on a log axis), with
    flags whether each end is closed inside the scanned range."""
    ok = np.isfinite(d)
    x, d = x[ok], d[ok]
    if x.size == 0 or not np.any(d <= level):
        return None
    t = np.log(x) if log else x
    idx = np.nonzero(d <= level)[0]
    i0, i1 = idx[0], idx[-1]
    lo_closed, hi_closed = i0 > 0, i1 < x.size - 1

    def cross(a, b):
        f = (level - d[a]) / (d[b] - d[a]) if d[b] != d[a] else 0.0
        v = t[a] + f * (t[b] - t[a])
        return float(np.exp(v) if log else v)

    lo = cross(i0 - 1, i0) if lo_closed else float(x[i0])
    hi = cross(i1, i1 + 1) if hi_closed else float(x[i1])
    return [lo, hi], [bool(lo_closed), bool(hi_closed)]


def summarize(table: dict, shapes: list, model, analysis: str = "combined") -> dict:
    """Per scanned parameter: best fit, 68.27 % and 95 % intervals of the profile Delta chi^2 (1 dof:
    levels 1 and 3.84, the other parameters profiled), and for a rate axis the 95 % CL CLs limit at
    every shape point (the BF_NP limit mapped through the declared power). With profile tables a single
    rate axis is profiled continuously (2000 values) and a shape axis takes every shape at its best rate
    within the scanned range; otherwise the grid points are used."""
    pts = [p for p in table["points"] if p.get(analysis)]
    out = {}
    if not pts:
        return out
    G = table.get("nll_min")
    tabled = [sh for sh in shapes if sh.get("fits", {}).get(analysis) is not None]
    single_rate = len(table["rate_keys"]) == 1
    for k in table["keys"]:
        xs = np.array(sorted({p["params"][k] for p in table["points"]}))
        log = xs.size > 2 and np.all(xs > 0) and np.allclose(np.diff(np.log(xs)), np.log(xs[1] / xs[0]))
        if tabled and k in table["rate_keys"] and single_rate:
            # continuous in the rate axis: every shape's profile table at 2000 values of the axis
            xs = np.geomspace(xs[0], xs[-1], 2000) if log else np.linspace(xs[0], xs[-1], 2000)
            power = table["rate_keys"][k]
            prof = np.full(xs.size, np.inf)
            for sh in tabled:
                f = sh["fits"][analysis]
                with np.errstate(divide="ignore"):
                    r = sh["r_ref"] * (np.abs(xs) / abs(sh["ref"][k])) ** power
                prof = np.minimum(prof, 2.0 * (f["nll_hat"] - G) + sh["tables"][analysis](r)[0])
        elif tabled and k not in table["rate_keys"]:
            # a shape axis: each shape at its best value of the rate axes (continuous within their range)
            prof = np.full(xs.size, np.inf)
            for sh in tabled:
                f = sh["fits"][analysis]
                lo, hi = sh["r_range"]
                q_min = float(sh["tables"][analysis](min(max(f["r_hat"], lo), hi))[0])
                i = int(np.searchsorted(xs, sh["params"][k]))
                prof[i] = min(prof[i], 2.0 * (f["nll_hat"] - G) + q_min)
            prof[~np.isfinite(prof)] = np.nan
        else:
            prof = np.array([min((p[analysis]["delta_chi2"] for p in pts if p["params"][k] == x), default=np.nan)
                             for x in xs])
        entry = {"label": axis_label(model, k), "best_fit": float(xs[int(np.nanargmin(prof))]),
                 "grid_points": int(len({p["params"][k] for p in table["points"]}))}
        for lvl, name in ((LEVEL_68, "interval68"), (LEVEL_95, "interval95")):
            c = _crossings(xs, prof, lvl, bool(log))
            entry[name] = c[0] if c else None
            entry[name + "_closed"] = c[1] if c else None
        power = table["rate_keys"].get(k)
        if power is not None:
            lims = []
            for sh in shapes:
                f = sh.get("fits", {}).get(analysis)
                if f is None or "bf_np_ul95_cls" not in f or not sh["r_ref"] > 0:
                    continue
                r_ul = f["bf_np_ul95_cls"] / belle2.bf_reference()
                lims.append({"at": sh["params"], "limit": sh["ref"][k] * (r_ul / sh["r_ref"]) ** (1.0 / power)})
            entry["limit95_cls"] = lims
            entry["limit_kind"] = "upper" if power > 0 else "lower"
        out[k] = entry
    return out


def summary_text(table: dict) -> str:
    """The per-parameter summary as printed by ``bkgen recast --scan``."""
    lines = []
    an = "combined" if "combined" in table.get("analyses", ["combined"]) else table["analyses"][0]
    for k, e in table.get("summary", {}).items():
        def iv(name):
            v, c = e.get(name), e.get(name + "_closed")
            if v is None:
                return "-"
            lo = f"{v[0]:.4g}" if c[0] else f"<={v[0]:.4g} (edge)"
            hi = f"{v[1]:.4g}" if c[1] else f">={v[1]:.4g} (edge)"
            return f"[{lo}, {hi}]"

        lines.append(f"{k} ({e['label']}): best fit {e['best_fit']:.4g}; 68.3% CL {iv('interval68')}; "
                     f"95% CL {iv('interval95')}  (profile over the grid, {an}, Delta chi^2 = 1, 3.84)")
        for lim in e.get("limit95_cls", []):
            at = ", ".join(f"{kk} = {vv:.4g}" for kk, vv in lim["at"].items())
            lines.append(f"    95% CL {e['limit_kind']} limit (CLs): {lim['limit']:.4g}" + (f" at {at}" if at else ""))
    return "\n".join(lines)


COLUMNS = (
    "bf_np_hat", "bf_np_interval68", "bf_np_interval95", "bf_np_ul95_cls", "minus2_dlnl_sm", "significance_vs_sm",
    "minus2_dlnl_model_vs_best", "minus2_dlnl_model_vs_sm", "delta_chi2",
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
