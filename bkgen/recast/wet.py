"""The Belle II WET reinterpretation of B+ -> K+ nu nubar (arXiv:2507.12393) through bkgen's operator basis.

Signal model as in arXiv:2507.12393: the whole B+ -> K+ nu nubar signal is the weak effective theory
prediction, dBR/dq2 = |C_VL + C_VR|^2 V(q2) + |C_SL + C_SR|^2 S(q2) + |C_TL|^2 T(q2) (flavour-universal
coefficients in EOS's ``sbnunu`` normalisation, Majorana neutrinos for the scalar and tensor operators;
left- and right-handed quark currents are degenerate in B -> K, and V, S, T do not interfere in the q2
spectrum), with the B -> K form factors of that paper (``BelleII2025``: EOS's BSZ2015 form fitted to FLAG 2021
and HPQCD 2022 lattice results, bkgen/data/form_factors/arXiv-2507.12393.json). V, S, T are bkgen's ``eft``
model rates at unit coefficient (bkgen.physics.models.eft.to_eos_sbnunu converts; equal to EOS's to 2e-3,
tests/test_eft.py). Each term is a sample of its own, t_k f_k T with normfactor t_k = |C_k|^2 (kinematic
reweighting of the joint number densities, arXiv:2402.08417: the yield in reco bin i is
sum_j M_ij U_k,j / B_SM,j), Belle II's corr_ff_c1..3 are pruned and the eight form-factor eigen-variations
of the covariance are histosys nuisances shared by the three samples (bkgen.recast.likelihood.np_spec).

Results: the global maximum of the profile likelihood in (|C_V|, |C_S|, |C_T|) (arXiv:2507.12393 reports the
posterior mode for uniform priors |C| in [0, 20], which coincides with it when the nuisance parameters are
profiled instead of marginalised), the profile-likelihood 68.3 % and 95 % intervals of each coefficient
(others and nuisances profiled; chi^2 with one degree of freedom), and optionally marginal posteriors of
each coefficient for those uniform priors, with the likelihood profiled over the nuisance parameters on a grid
(a Laplace-type approximation of the paper's marginalisation), and their 95 % highest-density intervals.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..config.card import resolve
from ..physics.inputs import EOS_SBNUNU
from ..physics.models import eft
from . import belle2
from . import spectrum as spec_mod
from .fit import BELLE2_FF_MODIFIERS, LEVEL_68, LEVEL_95, _np_name, reweight_factors, single_threaded
from .likelihood import CompiledModel, np_spec

#: the three magnitudes fitted by arXiv:2507.12393 and the eft coefficients that carry them
COEFFICIENTS = (("V", "|C_VL+C_VR|", "VL"), ("S", "|C_SL+C_SR|", "SL"), ("T", "|C_TL|", "TL"))
#: uniform prior range of every |C| in arXiv:2507.12393 (the released fit's parameter bounds [0, 20])
PRIOR_RANGE = (0.0, 20.0)
#: the form-factor set of arXiv:2507.12393
FORM_FACTORS = "BelleII2025"
#: arXiv:2507.12393 abstract (and HEPData 10.17182/hepdata.166082 record text): posterior mode of
#: (|C_VL+C_VR|, |C_SL+C_SR|, |C_TL|) and the 95 % credible intervals
PUBLISHED_MODE = (11.3, 0.00, 8.21)
PUBLISHED_CI95 = ((1.86, 16.2), (0.00, 15.4), (0.00, 11.2))


def card_coefficient(op: str) -> float:
    """The eft card value of C_op (every flavour) that is 1 in EOS's sbnunu normalisation."""
    p = eft.MODEL.defaults()
    p["neutrino_ST"] = "majorana"
    for o in eft.NU_OPS:
        for f, _ in eft.FLAVOURS:
            p[f"C_{o}_{f}"] = 1.0 if o == op else 0.0
    e = EOS_SBNUNU
    c = eft.to_eos_sbnunu(p, "e", e["G_F"], e["alpha_e"], e["abs_lambda_t"], e["m_b_msbar_mu"], e["m_s_msbar_mu"])
    return 1.0 / c[f"c{op}"]


def unit_card(op: str) -> dict:
    """An eft card of B+ -> K+ nu nubar with |C_op| = 1 (EOS normalisation) in every flavour, nothing else."""
    model = {"neutrino_ST": "majorana", "form_factors_BK": FORM_FACTORS}
    for o in eft.NU_OPS:
        for f, _ in eft.FLAVOURS:
            model[f"C_{o}_{f}"] = card_coefficient(op) if o == op else 0.0
    return resolve({"process": {"model": "eft", "decay": "B+ -> K+ nu nubar"}, "model": model,
                    "beam": {"frame": "B_rest"}})


@dataclass
class UnitSpectra:
    """BF per q2_gen bin at unit |C| of each term (``central``: (3, 100)) and at +-1 sigma of every
    form-factor eigen-variation (``up``, ``down``: (3, n_var, 100))."""

    central: np.ndarray
    up: np.ndarray
    down: np.ndarray
    labels: list


@lru_cache(maxsize=1)
def unit_spectra() -> UnitSpectra:
    cen, ups, dns, labels = [], [], [], None
    for _, _, op in COEFFICIENTS:
        card = unit_card(op)
        cen.append(spec_mod.from_card(card).kplus)
        v = spec_mod.ff_variations(card)
        ups.append(v.up)
        dns.append(v.down)
        labels = v.labels
    return UnitSpectra(np.array(cen), np.array(ups), np.array(dns), labels)


class WETLikelihood:
    """The combined Belle II likelihood with the signal t_V V + t_S S + t_T T (t = |C|^2) and the form-factor
    nuisances; parameters: the three t (POIs 0..2), then the nuisance parameters."""

    def __init__(self, analysis: str = "combined", ff: bool = True):
        u = unit_spectra()
        ref = belle2.bf_reference()
        chans = list(belle2.ANALYSES[analysis])
        signal = {c: s for c, s in belle2.SIGNAL_SAMPLES.items() if c in chans}
        comps = []
        for i, (key, _, _) in enumerate(COEFFICIENTS):
            fac = reweight_factors(u.central[i], ref)
            ffs = [(_np_name(lab), reweight_factors(u.up[i, k], ref), reweight_factors(u.down[i, k], ref))
                   for k, lab in enumerate(u.labels)] if ff else []
            comps.append((key, f"t_{key}", fac, ffs))
        spec = np_spec(belle2.workspace(), chans, signal, comps, keep_sm=False, drop=BELLE2_FF_MODIFIERS)
        self.model = CompiledModel(spec, chans, {}, pois=[f"t_{k}" for k, _, _ in COEFFICIENTS])
        self.t_max = PRIOR_RANGE[1] ** 2
        self._bounds = [(0.0, self.t_max)] * 3
        self.best = None

    def fit(self, x0=None, fixed: dict | None = None):
        """(nll, x): fit with POIs ``fixed`` {index: t}; from ``x0`` or the best fit."""
        if x0 is None:
            x0 = self.best[1] if self.best is not None else self._start()
        res = self.model.fit(x0, poi_bounds=self._bounds, fixed=fixed, poi_scale=10.0)
        return res.nll, res.x

    def _start(self):
        x = self.model.init(0.0)
        x[0] = EOS_SBNUNU["cVL_SM"] ** 2 * 4.0
        return x

    def global_best(self):
        """The global minimum of -log L over t in [0, 400]^3, from several starting points (the likelihood is
        not convex in t where two terms trade off)."""
        best = None
        for start in ((4.0, 0.0, 0.0), (2.0, 0.0, 60.0), (2.0, 60.0, 0.0), (1.0, 40.0, 40.0)):
            x0 = self.model.init(0.0)
            x0[:3] = np.array(start) * EOS_SBNUNU["cVL_SM"] ** 2 / np.array([1.0, 43.7, 43.7])
            res = self.model.fit(x0, poi_bounds=self._bounds, poi_scale=10.0)
            nll, x = res.nll, res.x
            if best is None or nll < best[0]:
                best = (nll, x)
        self.best = best
        return best


@single_threaded
def profile_scan(lik: WETLikelihood, index: int, c_grid: np.ndarray) -> np.ndarray:
    """-2 Delta lnL of |C_index| on ``c_grid`` (the other two t and the nuisances profiled), against the global
    best fit; conditional fits start from their neighbour."""
    nll0, x0 = lik.best if lik.best is not None else lik.global_best()
    q = np.empty(c_grid.size)
    c_hat = math.sqrt(max(x0[index], 0.0))
    order = np.argsort(np.abs(c_grid - c_hat))
    x_prev = {}
    for j in order:
        c = c_grid[j]
        near = min(x_prev, key=lambda k: abs(k - c)) if x_prev else None
        start = x_prev[near] if near is not None else x0
        nll, x = lik.fit(start, fixed={index: c * c})
        q[j] = max(2.0 * (nll - nll0), 0.0)
        x_prev[c] = x
    return q


def intervals_from_profile(c: np.ndarray, q: np.ndarray, level: float) -> tuple[float, float]:
    """[lo, hi] of {c: q(c) <= level} (linear interpolation of the signed root of q between grid points,
    which is close to linear in c; the grid's ends if open)."""
    inside = q <= level
    if not np.any(inside):
        return (float("nan"), float("nan"))
    i0, i1 = int(np.argmax(inside)), int(len(q) - 1 - np.argmax(inside[::-1]))

    z, zl = np.sqrt(q), math.sqrt(level)

    def cross(a, b):
        if z[b] == z[a]:
            return float(c[a])
        return float(c[a] + (zl - z[a]) * (c[b] - c[a]) / (z[b] - z[a]))

    lo = float(c[0]) if i0 == 0 else cross(i0 - 1, i0)
    hi = float(c[-1]) if i1 == len(q) - 1 else cross(i1, i1 + 1)
    return lo, hi


@single_threaded
def posterior_grid(lik: WETLikelihood, n_coarse: int = 7, n_fine: int = 41) -> tuple[np.ndarray, np.ndarray]:
    """-2 Delta lnL with the nuisance parameters profiled on an n_fine^3 grid of |C| over the prior range:
    conditional fits on a coarse n_coarse^3 grid (each from its neighbour), and at every fine point -log L at
    the nuisance parameters interpolated (trilinearly) from the coarse fits. -log L is stationary in the
    nuisances at the profile, so an interpolation error delta of the nuisances changes q only at O(delta^2),
    and always upwards (q is never underestimated). Returns (fine nodes, q[i, j, k])."""
    from scipy.interpolate import RegularGridInterpolator

    nll0, x0 = lik.best if lik.best is not None else lik.global_best()
    cc = np.linspace(*PRIOR_RANGE, n_coarse)
    xs = np.empty((n_coarse, n_coarse, n_coarse, x0.size))
    x_i = x0
    for i in range(n_coarse):
        x_j = x_i
        for j in range(n_coarse):
            x = x_j
            for k in range(n_coarse):
                _, x = lik.fit(x, fixed={0: cc[i] ** 2, 1: cc[j] ** 2, 2: cc[k] ** 2})
                xs[i, j, k] = x
            x_j = xs[i, j, 0]
        x_i = xs[i, 0, 0]
    interp = RegularGridInterpolator((cc, cc, cc), xs, method="linear")
    cf = np.linspace(*PRIOR_RANGE, n_fine)
    q = np.empty((n_fine, n_fine, n_fine))
    for i in range(n_fine):
        g = np.stack(np.meshgrid([cf[i]], cf, cf, indexing="ij"), axis=-1).reshape(-1, 3)
        pars = interp(g)
        pars[:, :3] = g**2
        q[i] = np.array([2.0 * (lik.model.nll(p) - nll0) for p in pars]).reshape(n_fine, n_fine)
    return cf, q


def marginals(c: np.ndarray, q: np.ndarray) -> dict:
    """Marginal posteriors of each |C| for uniform priors over the grid ``c`` (exp(-q/2) integrated over the
    other two by the trapezoidal rule), their modes and 68.3 % / 95 % highest-density intervals, and the 3-D mode."""
    from scipy.integrate import trapezoid

    post = np.exp(-0.5 * (q - q.min()))
    out = {}
    for idx, (key, label, _) in enumerate(COEFFICIENTS):
        axes = tuple(a for a in range(3) if a != idx)
        m = trapezoid(trapezoid(post, c, axis=axes[1]), c, axis=axes[0])
        m = m / trapezoid(m, c)
        out[key] = {"label": label, "mode": float(c[np.argmax(m)]), "hdi95": _hdi(c, m, 0.95),
                    "hdi68": _hdi(c, m, 0.6827), "density": m.tolist()}
    flat = np.unravel_index(np.argmin(q), q.shape)
    out["mode_3d"] = [float(c[i]) for i in flat]
    out["grid"] = c.tolist()
    return out


def _hdi(x, p, mass):
    """Highest-density interval of a 1-D density p on the grid x holding ``mass``: the level h with
    integral of p over {p >= h} = mass, found on a fine linear interpolation of p (a single interval: the
    marginals here are unimodal or peaked at the boundary)."""
    xf = np.linspace(x[0], x[-1], 20 * (x.size - 1) + 1)
    pf = np.interp(xf, x, p)
    order = np.argsort(pf)[::-1]
    w = pf * (xf[1] - xf[0])
    cum = np.cumsum(w[order]) / w.sum()
    keep = order[:int(np.searchsorted(cum, mass)) + 1]
    return [float(xf[keep].min()), float(xf[keep].max())]


def run(posterior: bool = False, n_profile: int = 41) -> dict:
    """The WET reinterpretation: global best fit, profile intervals of each |C|, optionally marginal
    posteriors (:func:`posterior_grid`); with the published numbers beside them."""
    t0 = time.perf_counter()
    lik = WETLikelihood()
    nll0, x0 = lik.global_best()
    c_hat = [math.sqrt(max(x0[i], 0.0)) for i in range(3)]
    grid = np.linspace(*PRIOR_RANGE, n_profile)
    out = {"form_factors": FORM_FACTORS, "prior_range": list(PRIOR_RANGE),
           "normalisation": "EOS sbnunu (C_VL^SM = %.4f), Majorana nu for S and T, flavour-universal" %
                            EOS_SBNUNU["cVL_SM"],
           "best_fit": {k: c for (k, _, _), c in zip(COEFFICIENTS, c_hat)},
           "published": {"mode": list(PUBLISHED_MODE), "ci95": [list(v) for v in PUBLISHED_CI95],
                         "source": "arXiv:2507.12393 abstract; HEPData 10.17182/hepdata.166082"},
           "coefficients": {}}
    sm = lik.fit(x0, fixed={0: EOS_SBNUNU["cVL_SM"] ** 2, 1: 0.0, 2: 0.0})[0]
    out["minus2_dlnl_sm"] = 2.0 * (sm - nll0)
    for i, (key, label, _) in enumerate(COEFFICIENTS):
        q = profile_scan(lik, i, grid)
        out["coefficients"][key] = {
            "label": label, "best_fit": c_hat[i],
            "profile68": list(intervals_from_profile(grid, q, LEVEL_68)),
            "profile95": list(intervals_from_profile(grid, q, LEVEL_95)),
            "profile_grid": grid.tolist(), "profile_q": q.tolist()}
    if posterior:
        c, q = posterior_grid(lik)
        out["posterior"] = marginals(c, q)
    out["seconds"] = time.perf_counter() - t0
    return out


def text(res: dict) -> str:
    lines = [f"Belle II WET reinterpretation (arXiv:2507.12393) with bkgen's operator basis: form factors "
             f"{res['form_factors']}, {res['normalisation']}; combined ITA + HTA likelihood, corr_ff_c* replaced by "
             f"8 form-factor eigen-variations; uniform priors |C| in {res['prior_range']}",
             f"SM point (C_VL = C_VL^SM): -2 Delta lnL = {res['minus2_dlnl_sm']:.2f} against the best fit",
             f"{'coefficient':<13s} {'best fit':>8s} {'profile 68%':>16s} {'profile 95%':>16s} "
             f"{'marg. mode':>10s} {'HDI 95%':>16s} {'published mode':>14s} {'published 95%':>16s}"]
    post = res.get("posterior", {})
    for i, (key, _, _) in enumerate(COEFFICIENTS):
        r = res["coefficients"][key]
        p = post.get(key)
        iv = lambda v: f"[{v[0]:.2f}, {v[1]:.2f}]"  # noqa: E731
        mode = f"{p['mode']:.2f}" if p else "-"
        hdi = iv(p["hdi95"]) if p else "-"
        lines.append(f"{r['label']:<13s} {r['best_fit']:8.2f} {iv(r['profile68']):>16s} {iv(r['profile95']):>16s} "
                     f"{mode:>10s} {hdi:>16s} "
                     f"{res['published']['mode'][i]:14.2f} {iv(res['published']['ci95'][i]):>16s}")
    return "\n".join(lines)
