"""Combined fit of B -> K X and B -> K* X: the Belle II B+ -> K+ nu nubar likelihood plus the BaBar and Belle
B -> K(*) nu nubar searches (bkgen.recast.counting), as in seed 002's Fig. 2 (the Belle II + BaBar + Belle
combination compared with B -> K Z' vs B -> K* Z' per operator).

For a card, the invisible BR of its final state in each mode (B+ -> K+, B0 -> K0, B+ -> K*+, B0 -> K*0; same
model parameters, the modes the model has) scales with one factor s (a coupling squared). The combined
chi^2(s) is the Belle II profile -2 Delta lnL of the K+ spectrum (bkgen.recast.fit with the model's
form-factor nuisances) plus, per search and mode, the counting -2 Delta lnL of BR_SM(mode) + s BR_X(mode)
(the searches measure the total, SM nu nubar included; BR_SM from bkgen's ``eft`` model at its SM point).
In the (BR(B+ -> K+ X), BR(B0 -> K*0 X)) plane of a two-body X of one mass the same terms give the allowed
regions; the neutral K and charged K* modes follow by the isospin ratios of the model's own rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..config.card import load
from ..errors import InputError
from . import counting, report
from . import spectrum as spec_mod
from .fit import LEVEL_68, LEVEL_95, Recast, reweight_factors

#: mode -> decay prefix of the models
PREFIX = {"B+->K+": "B+ -> K+", "B0->K0": "B0 -> K0", "B+->K*+": "B+ -> K*+", "B0->K*0": "B0 -> K*0"}
K_MODES, KSTAR_MODES = ("B+->K+", "B0->K0"), ("B+->K*+", "B0->K*0")


def _final_state(decay: str) -> tuple[str, str]:
    for mode, pre in PREFIX.items():
        if decay.startswith(pre + " "):
            return mode, decay[len(pre) + 1:]
    raise InputError(f"process.decay = {decay!r}; allowed for the combined K/K* fit: a decay of B+ -> K+, "
                     "B0 -> K0, B+ -> K*+ or B0 -> K*0")


def mode_brs(card_path: str, overrides=()) -> dict:
    """mode -> (invisible BR, K+ spectrum or None) of the card's final state in every mode its model has."""
    base = load(card_path, list(overrides))
    _, final = _final_state(base["process"]["decay"])
    out = {}
    for mode, pre in PREFIX.items():
        try:
            card = load(card_path, [*overrides, f'process.decay="{pre} {final}"'])
        except InputError:
            continue
        sp = spec_mod.from_card(card)
        out[mode] = (sp.br_invisible, (sp, card) if mode == "B+->K+" else None)
    return out


@lru_cache(maxsize=1)
def sm_brs() -> dict:
    """SM BR(B -> K(*) nu nubar) per mode from bkgen's ``eft`` model at its SM point (default coefficients)."""
    out = {}
    for mode, pre in PREFIX.items():
        card = load("sm_Knunu", ['process.model="eft"', f'process.decay="{pre} nu nubar"'])
        out[mode] = spec_mod.from_card(card).br_total
    return out


@dataclass
class BelleIIProfile:
    """-2 Delta lnL of Belle II in BF_NP(B+ -> K+ X) for one K+ spectrum (profile table of bkgen.recast.fit)."""

    table: object
    bf_ref: float

    def __call__(self, bf) -> np.ndarray:
        q, _ = self.table(np.asarray(bf, dtype=float) / self.bf_ref)
        return q


def belle2_profile(sp, card, bf_max: float, rc: Recast | None = None) -> BelleIIProfile:
    rc = Recast(analyses=("combined",)) if rc is None else rc
    ff = report.model_ff(sp, card)
    res = rc.run(reweight_factors(sp.kplus, sp.kplus_br), intervals=False, limit=False, hesse=False, ff=ff,
                 profile_range=(0.0, bf_max / rc.bf_ref))["combined"]
    return BelleIIProfile(res["profile"], rc.bf_ref)


def chi2(brs: dict, b2: BelleIIProfile | None, modes=counting.MODES) -> float:
    """Combined -2 Delta lnL (up to a constant) at new-physics BRs ``brs`` (mode -> BR)."""
    sm = sm_brs()
    tot = {m: sm[m] + brs[m] for m in brs if m in modes}
    q = counting.minus2_dlnl(tot, modes)
    if b2 is not None and "B+->K+" in brs:
        q += float(np.ravel(b2(brs["B+->K+"]))[0])
    return q


def fit_card(card_path: str, overrides=(), rc: Recast | None = None, n: int = 400) -> dict:
    """Best-fit scale of the card's rates and the implied BRs with 68 % / 95 % intervals (one parameter,
    Delta chi^2 = 1, 3.84), per data set: Belle II alone, BaBar + Belle alone, and combined."""
    mb = mode_brs(card_path, overrides)
    if not mb or all(v[0] <= 0 for v in mb.values()):
        raise InputError(f"{card_path!r}: no invisible rate in B -> K(*) modes; allowed: a model with an invisible state")
    br = {m: v[0] for m, v in mb.items()}
    unit = np.concatenate(([0.0], np.geomspace(1e-4, 1.0, n)))
    b2 = None
    if "B+->K+" in mb and br["B+->K+"] > 0:
        sp, card = mb["B+->K+"][1]
        b2 = belle2_profile(sp, card, 2.5e-4, rc)
    out = {"card": str(card_path), "br_card": br, "sm": sm_brs()}
    for name, use_b2, modes in (("combined", True, counting.MODES), ("belle2", True, ()),
                                ("babar_belle", False, counting.MODES)):
        if name == "belle2" and b2 is None:
            continue
        # the scale runs up to where the largest BR this data set sees is 2.5e-4 (far beyond every limit)
        seen = [v for m, v in br.items() if m in modes or (use_b2 and b2 is not None and m == "B+->K+")]
        top = max([v for v in seen if v > 0] or [max(br.values())])
        s_grid = unit * (2.5e-4 / top)
        q = np.array([chi2({m: s * v for m, v in br.items()}, b2 if use_b2 else None, modes) for s in s_grid])
        q = q - q.min()
        i = int(np.argmin(q))
        res = {"scale_hat": float(s_grid[i]), "min_chi2": 0.0}
        for lvl, key in ((LEVEL_68, "68"), (LEVEL_95, "95")):
            inside = s_grid[q <= lvl]
            res[f"scale{key}"] = [float(inside.min()), float(inside.max())]
        res["br_hat"] = {m: s_grid[i] * v for m, v in br.items()}
        res["br68"] = {m: [res["scale68"][0] * v, res["scale68"][1] * v] for m, v in br.items()}
        res["br95"] = {m: [res["scale95"][0] * v, res["scale95"][1] * v] for m, v in br.items()}
        out[name] = res
    return out


def plane(ref_card: str, x_max: float = 2.5e-5, y_max: float = 4e-5, n: int = 121, rc: Recast | None = None) -> dict:
    """chi^2 on a grid of (BR(B+ -> K+ X), BR(B0 -> K*0 X)) for the two-body X of ``ref_card`` (its K+ spectrum
    for Belle II, its isospin ratios for B0 -> K0 and B+ -> K*+): combined (Delta chi^2 against the grid's
    minimum), and Belle II alone in x."""
    mb = mode_brs(ref_card)
    br = {m: v[0] for m, v in mb.items()}
    if not (br.get("B+->K+", 0) > 0 and br.get("B0->K*0", 0) > 0):
        raise InputError(f"{ref_card!r}: the reference needs B+ -> K+ and B0 -> K*0 rates")
    sp, card = mb["B+->K+"][1]
    b2 = belle2_profile(sp, card, x_max * 1.2, rc)
    r_k0 = br.get("B0->K0", 0.0) / br["B+->K+"]
    r_ks = br.get("B+->K*+", 0.0) / br["B0->K*0"]
    x = np.linspace(0.0, x_max, n)
    y = np.linspace(0.0, y_max, n)
    sm = sm_brs()
    qx = np.array([counting.minus2_dlnl({"B+->K+": sm["B+->K+"] + v, "B0->K0": sm["B0->K0"] + r_k0 * v},
                                        K_MODES) for v in x]) + b2(x)
    qy = np.array([counting.minus2_dlnl({"B0->K*0": sm["B0->K*0"] + v, "B+->K*+": sm["B+->K*+"] + r_ks * v},
                                        KSTAR_MODES) for v in y])
    q = qx[:, None] + qy[None, :]
    qb2 = b2(x)
    return {"x": x, "y": y, "chi2": q - q.min(), "belle2_x": qb2 - qb2.min(), "k_only": qx - qx.min(),
            "kstar_only": qy - qy.min(), "ratios": {"K0/K+": r_k0, "K*+/K*0": r_ks}}


def interval(x: np.ndarray, q: np.ndarray, level: float) -> tuple[float, float, float]:
    """(best, lo, hi) of a 1-D chi^2 on a grid."""
    inside = x[q <= level]
    return float(x[int(np.argmin(q))]), float(inside.min()), float(inside.max())


__all__ = ["belle2_profile", "chi2", "fit_card", "interval", "mode_brs", "plane", "sm_brs"]
