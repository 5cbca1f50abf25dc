"""Signal-efficiency maps in the true q2 (q2_gen) of B+ -> K+ + invisible.

Built-in maps ``ITA`` (inclusive tag, likelihood regions A + B) and ``HTA`` (hadronic tag) are
derived from the published joint number densities of Belle II (arXiv:2311.14647,
arXiv:2507.12393, HEPData 10.17182/hepdata.166082): eff_j = sum_i M[i, j] / (2 N_BB f+- B_SM,j)
per q2_gen bin j (bkgen/data/belle2/README.md). They assume, as the reweighting method of
arXiv:2402.08417 does, that the efficiency depends on the event only through q2_gen.

User maps of the same kind (piecewise constant in q2 [GeV^2], values in [0, 1], zero outside)
are read from
* CSV: three numeric columns q2_lo, q2_hi, efficiency (one optional header line, '#' comments);
* JSON: {"edges": [n + 1 numbers], "efficiency": [n numbers]};
* ROOT: a TH1 histogram, ``file.root:name`` or a file holding exactly one histogram.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

BUILTIN = ("ITA", "HTA")


@dataclass(frozen=True)
class EfficiencyMap:
    """Efficiency as a step function of q2: ``values[k]`` on [edges[k], edges[k+1])."""

    edges: np.ndarray
    values: np.ndarray
    name: str

    def __call__(self, q2) -> np.ndarray:
        q2 = np.asarray(q2, dtype=float)
        k = np.searchsorted(self.edges, q2, side="right") - 1
        inside = (k >= 0) & (k < self.values.size)
        return np.where(inside, self.values[np.clip(k, 0, self.values.size - 1)], 0.0)

    @property
    def max(self) -> float:
        return float(np.max(self.values)) if self.values.size else 0.0

    def fold(self, edges: np.ndarray, bf: np.ndarray) -> float:
        """sum_j eff(q2_j) BF_j for a spectrum binned on ``edges`` (bin centres evaluated)."""
        centres = 0.5 * (edges[1:] + edges[:-1])
        return float(np.sum(self(centres) * bf))


def _validated(edges, values, name: str, key: str) -> EfficiencyMap:
    edges = np.asarray(edges, dtype=float)
    values = np.asarray(values, dtype=float)
    if edges.ndim != 1 or values.ndim != 1 or edges.size != values.size + 1 or values.size == 0:
        raise InputError(f"{key} = {name!r}: allowed: n + 1 bin edges and n efficiencies (got {edges.size} and {values.size})")
    if not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise InputError(f"{key} = {name!r}: allowed: finite, strictly increasing q2 edges [GeV^2]")
    if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values > 1):
        raise InputError(f"{key} = {name!r}: allowed: efficiencies in [0, 1]")
    edges.setflags(write=False)
    values.setflags(write=False)
    return EfficiencyMap(edges, values, name)


def builtin(name: str) -> EfficiencyMap:
    """The Belle II-derived ITA or HTA map on the 100 q2_gen bins of [0, 22.885] GeV^2."""
    from ..recast import belle2

    tab = belle2.null_table()
    if name == "ITA":
        eff = tab.eff_ita
    elif name == "HTA":
        eff = tab.eff_hta
    else:
        raise InputError(f"efficiency map {name!r}: allowed: {', '.join(BUILTIN)} or a file")
    return _validated(np.append(tab.lo, tab.hi[-1]), eff, name, "detector.efficiency")


def _read_csv(path: Path, key: str) -> EfficiencyMap:
    rows = []
    for i, line in enumerate(_text(path, key).splitlines()):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [p.strip() for p in line.split(",")]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            if not rows and i == 0:
                continue
            raise InputError(f"{key} = {str(path)!r}: line {i + 1} is not numeric; allowed: q2_lo, q2_hi, efficiency") from None
        if len(vals) != 3:
            raise InputError(f"{key} = {str(path)!r}: line {i + 1} has {len(vals)} columns; allowed: q2_lo, q2_hi, efficiency")
        rows.append(vals)
    if not rows:
        raise InputError(f"{key} = {str(path)!r}: no data rows; allowed: q2_lo, q2_hi, efficiency")
    a = np.asarray(rows)
    if np.any(np.abs(a[1:, 0] - a[:-1, 1]) > 1e-9):
        raise InputError(f"{key} = {str(path)!r}: allowed: contiguous bins (q2_lo of each row = q2_hi of the previous)")
    return _validated(np.append(a[:, 0], a[-1, 1]), a[:, 2], str(path), key)


def _read_json(path: Path, key: str) -> EfficiencyMap:
    try:
        d = json.loads(_text(path, key))
        return _validated(d["edges"], d["efficiency"], str(path), key)
    except InputError:
        raise
    except (ValueError, RecursionError, KeyError, TypeError):  # malformed JSON, nesting, keys, non-numbers
        raise InputError(f"{key} = {str(path)!r}: allowed: JSON {{\"edges\": [...], \"efficiency\": [...]}}") from None


def _read_root(spec: str, key: str) -> EfficiencyMap:
    import uproot

    path, name = _split_root(spec)
    try:
        with uproot.open(path) as f:
            if not name:
                hists = [k for k, c in f.classnames().items() if c.startswith("TH1")]
                if len(hists) != 1:
                    raise InputError(f"{key} = {spec!r}: {len(hists)} TH1 histograms in the file; allowed: file.root:name")
                name = hists[0]
            if not f.classname_of(name).startswith("TH1"):
                raise InputError(f"{key} = {spec!r}: {name!r} is a {f.classname_of(name)}; allowed: a TH1")
            values, edges = f[name].to_numpy()
    except InputError:
        raise
    except Exception:  # not ROOT, damaged, no such key: uproot's messages span lines
        raise InputError(f"{key} = {spec!r}: allowed: a ROOT file with a TH1, as file.root or file.root:name") from None
    return _validated(edges, values, spec, key)


def _text(path: Path, key: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{key} = {str(path)!r}: not UTF-8 text; allowed: a .csv or .json map") from None


def _split_root(spec: str) -> tuple[str, str]:
    i = spec.lower().find(".root:")
    return (spec[:i + 5], spec[i + 6:]) if i >= 0 else (spec, "")


def load(spec: str, key: str = "detector.efficiency_map") -> EfficiencyMap:
    """A built-in map (``ITA``, ``HTA``) or a user file (.csv, .json, .root[:name])."""
    if spec in BUILTIN:
        return builtin(spec)
    p = Path(_split_root(spec)[0])
    if not p.is_file():
        raise InputError(f"{key} = {spec!r}: no such file; allowed: {', '.join(BUILTIN)} or a .csv, .json or .root map")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return _read_csv(p, key)
    if suffix == ".json":
        return _read_json(p, key)
    if suffix == ".root":
        return _read_root(spec, key)
    raise InputError(f"{key} = {spec!r}: allowed: a .csv, .json or .root map")
