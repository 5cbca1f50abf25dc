"""Recast of a model against the published Belle II B+ -> K+ nu nubar likelihood.

Signal hypothesis in every reco bin i (method of arXiv:2402.08417, shared/belle2 README section 5):

    N_i = T_i (1 + r f_i),   f_i = sum_j M[i, j] w_j / sum_j M[i, j],   w_j = B_NP,j / B_SM,j

with T_i the published SM template (mu = 1, BF 4.97e-6) and all its uncertainties, M the joint
number density, B_SM,j the SM null per q2_gen bin (sum B_ref = 4.966e-6) and B_NP,j the model's
K+ spectrum normalised to a total BF of B_ref (w = 0 in the sentinel bin, where only the SM part
contributes). The parameter of interest r = BF_NP / B_ref scales the new-physics part only; the
published mu is removed. For a new-physics component with SM kinematics, 1 + r is the published
mu. The nuisance parameters are profiled.

Intervals: profile likelihood, -2 Delta lnL = 1 (68.27%) and 3.841 (95%) (Wilks; chi^2 with one
degree of freedom). Upper limit: CLs (Read, J. Phys. G 28 (2002) 2693) with the asymptotic
distributions of q~_mu and the Asimov data set of the SM-only hypothesis (Cowan, Cranmer, Gross,
Vitells, EPJC 71 (2011) 1554, eqs. 16, 65-66). Significance against SM only: sqrt(q0) with
q0 = -2 ln[L(r = 0) / L(r^)] (same reference, eq. 12).
"""

from __future__ import annotations

import functools
import math
import re
import time
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from ..errors import InputError
from . import belle2
from .likelihood import CompiledModel, np_spec, to_pyhf_spec

#: chi^2 (1 dof) quantiles for 68.27% and 95% CL
LEVEL_68 = 1.0
LEVEL_95 = 3.841458820694124
#: CLs level of the upper limit
CLS_ALPHA = 0.05
#: a profile table is dense up to sqrt(-2 Delta lnL) = PROFILE_Z_MAX (q = 25)
PROFILE_Z_MAX = 5.0


def reweight_factors(np_bins: np.ndarray, np_total: float) -> dict[str, np.ndarray]:
    """f_i per reco bin and channel for a new-physics K+ spectrum ``np_bins`` (BF per q2_gen bin, 100 bins)
    normalised to a total BF of B_ref (one unit of r)."""
    s = belle2.null_table().bf
    if not np_total > 0:
        raise InputError("the model has no B+ -> K+ rate in the Belle II q2 range")
    n_unit = np.asarray(np_bins, dtype=float) * belle2.bf_reference() / np_total
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(s > 0, n_unit / s, 0.0)
    w = np.concatenate(([0.0], w))
    out = {}
    for ch in belle2.SIGNAL_SAMPLES:
        m = belle2.number_density(ch)
        out[ch] = (m @ w) / m.sum(axis=1)
    return out


#: Belle II's signal form-factor nuisances (shape of the SM template under its form-factor uncertainty);
#: a new-physics sample with its own form-factor nuisances does not carry them (arXiv:2507.12393 prunes them)
BELLE2_FF_MODIFIERS = ("corr_ff_c1", "corr_ff_c2", "corr_ff_c3")


@dataclass
class FFNuisances:
    """Form-factor dependence of the new-physics sample: per eigen-variation k of the model's form-factor
    covariance, the reweighting factors of the +1 and -1 sigma spectra (``up[k]``, ``down[k]``: channel ->
    factors), normalised to one unit of r at the central form factors, so that a variation moves shape and
    rate (the POI is the rate scale at the central form factors). ``replaces``: modifiers of the template that
    the sample drops (Belle II's SM form-factor nuisances)."""

    names: list
    up: list
    down: list
    replaces: tuple = BELLE2_FF_MODIFIERS
    labels: list = None
    not_propagated: list = None

    def entries(self):
        return list(zip(self.names, self.up, self.down))


def _np_name(label: str) -> str:
    """pyhf parameter name of an eigen-variation label ('B->K GKvD2018 eig0' -> 'ff_BK_GKvD2018_eig0')."""
    return "ff_" + re.sub(r"[^A-Za-z0-9]+", "_", label.replace("->", "")).strip("_")


def ff_nuisances(varied, np_total: float) -> FFNuisances:
    """:class:`FFNuisances` from :class:`bkgen.recast.spectrum.FFVariedSpectra` of a model whose central
    fitted K+ BF is ``np_total``."""
    return FFNuisances(names=[_np_name(lab) for lab in varied.labels],
                       up=[reweight_factors(b, np_total) for b in varied.up],
                       down=[reweight_factors(b, np_total) for b in varied.down],
                       labels=list(varied.labels), not_propagated=list(varied.not_propagated))


def sm_shape_factors() -> dict[str, np.ndarray]:
    """f_i for a new-physics component with exactly the SM null's kinematics (f_i = 1 minus the sentinel)."""
    tab = belle2.null_table()
    return reweight_factors(tab.bf, float(tab.bf.sum()))


def single_threaded(fn):
    """Run with one BLAS thread: the fits are many small problems, for which BLAS threads only contend
    (an order of magnitude slower on a loaded machine)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


@dataclass
class Fit:
    r_hat: float
    nll_hat: float
    x_hat: np.ndarray


@dataclass
class ProfileTable:
    """-2 Delta lnL(r) of one shape on nodes ``r`` (with r_hat among them), interpolated by PCHIP in the
    signed root z = sign(r - r_hat) sqrt(q), which is close to linear in r. Between the dense nodes
    (``dense`` = their range, q up to ~25) the interpolation is accurate to a few 10^-3 in q (tested
    against conditional fits); beyond them up to the end nodes it is monotone and coarse (q > ~25
    there). Outside all nodes the nearest end node's q is returned (a lower bound)."""

    r_hat: float
    r: np.ndarray
    q: np.ndarray
    dense: tuple = (0.0, 0.0)

    def __call__(self, r) -> tuple[np.ndarray, np.ndarray]:
        """(q, accurate): q at ``r`` and whether r lies within the dense nodes."""
        from scipy.interpolate import PchipInterpolator

        r = np.asarray(r, dtype=float)
        z = np.sign(self.r - self.r_hat) * np.sqrt(self.q)
        if self.r.size >= 2:
            zi = PchipInterpolator(self.r, z, extrapolate=False)(np.clip(r, self.r[0], self.r[-1]))
        else:
            zi = np.zeros_like(r)
        q = np.where(r > self.r[-1], self.q[-1], np.where(r < self.r[0], self.q[0], zi * zi))
        return q, (r >= self.dense[0]) & (r <= self.dense[1])

    def crossing(self, level: float, direction: int) -> tuple[float, bool]:
        """r where q = level on one side of the best fit (root of the interpolant), and whether it is
        closed (inside the nodes); else the end node."""
        from scipy.interpolate import PchipInterpolator
        from scipy.optimize import brentq

        side = self.r > self.r_hat if direction > 0 else self.r < self.r_hat
        if not np.any(side) or np.max(self.q[side]) < level:
            return (float(self.r[-1]) if direction > 0 else float(self.r[0])), False
        z = np.sign(self.r - self.r_hat) * np.sqrt(self.q)
        f = PchipInterpolator(self.r, z - direction * math.sqrt(level))
        rs, qs = (self.r[side], self.q[side]) if direction > 0 else (self.r[side][::-1], self.q[side][::-1])
        far = rs[int(np.argmax(qs >= level))]
        return float(brentq(f, min(self.r_hat, far), max(self.r_hat, far))), True


class AnalysisFit:
    """One analysis (ITA, HTA or combined): a compiled model and the fits on it."""

    def __init__(self, name: str, spec: dict | None = None):
        self.name = name
        spec = belle2.workspace() if spec is None else spec
        chans = belle2.ANALYSES[name]
        self.signal = {c: s for c, s in belle2.SIGNAL_SAMPLES.items() if c in chans}
        self.spec = spec
        self.base_model = CompiledModel(spec, list(chans), self.signal)
        self.model = self.base_model
        self._x_best = None
        self.published = False
        self._poi_lo = None  # POI lower bound of a model with a new-physics sample of its own

    # -- hypotheses ---------------------------------------------------------------------------
    def set_factors(self, factors: dict[str, np.ndarray], ff: FFNuisances | None = None):
        """New physics of per-bin factors f on top of the SM signal. Without ``ff``: (1 + r f) T with all the
        template's uncertainties. With ``ff``: the new physics is a sample of its own, r f T with normfactor r,
        the template's uncertainties except ``ff.replaces`` and a histosys per form-factor eigen-variation
        (:func:`bkgen.recast.likelihood.np_spec`); the SM signal keeps Belle II's."""
        if ff is None:
            self.model = self.base_model
            self._poi_lo = None
            self.model.set_signal_scale({c: factors[c] for c in self.signal})
        else:
            old = self.model
            chans = list(belle2.ANALYSES[self.name])
            spec = np_spec(self.spec, chans, self.signal, [("np", "mu_np", factors, ff.entries())],
                           keep_sm=True, drop=tuple(ff.replaces))
            self.model = CompiledModel(spec, chans, {c: f"{s}_np" for c, s in self.signal.items()}, pois=["mu_np"])
            gmax = max(float(np.max(factors[c])) for c in self.signal)
            self._poi_lo = -0.999 / gmax if gmax > 0 else -1e3
            if self._x_best is not None and old.par_names != self.model.par_names:
                self._x_best = None
        self.published = False

    def set_published(self):
        self.model = self.base_model
        self._poi_lo = None
        self.model.set_signal_scale(published=True)
        self.published = True

    def poi_bounds(self):
        if self._poi_lo is not None:
            return (self._poi_lo, 1e3)
        return (0.0, 1e3) if self.published else self.model.poi_bounds(upper=1e3)

    # -- fits ---------------------------------------------------------------------------------
    def best(self, x0=None, data=None, aux=None) -> Fit:
        """Free fit, from ``x0``, else from the last best fit on the data, else from the nominal point."""
        if x0 is None:
            x0 = self._x_best if self._x_best is not None and data is None else self.model.init(1.0)
        res = self.model.fit(x0, data=data, aux=aux, poi_bounds=self.poi_bounds())
        if data is None:
            self._x_best = res.x
        return Fit(float(res.x[0]), res.nll, res.x)

    def profile(self, r: float, x0, data=None, aux=None):
        res = self.model.fit(x0, fixed_poi=r, data=data, aux=aux, poi_bounds=self.poi_bounds())
        return res.nll, res.x

    def hesse_sigma(self, fit: Fit) -> float:
        h = self.model.hessian(fit.x_hat)
        try:
            cov = np.linalg.inv(h)
        except np.linalg.LinAlgError:
            return float("nan")
        return float(math.sqrt(cov[0, 0])) if cov[0, 0] > 0 else float("nan")

    def crossing(self, fit: Fit, level: float, direction: int, sigma0: float, tol: float = 1e-3):
        """POI where -2 Delta lnL = level on one side of the minimum: sqrt(-2 Delta lnL) is close to linear
        in the POI, so an extrapolating secant followed by Illinois regula falsi converges in a few
        conditional fits. Returns (value, closed); closed is False if the POI bound comes first."""
        lo_b, hi_b = self.poi_bounds()
        bound = lo_b if direction < 0 else hi_b
        target = math.sqrt(level)
        step = max(sigma0, 1e-6) * target

        def clip(r):
            return min(r, bound) if direction > 0 else max(r, bound)

        def g(r, x0):
            nll, x = self.profile(r, x0)
            return math.sqrt(max(2.0 * (nll - fit.nll_hat), 0.0)) - target, x

        a_r, a_g, x_a = fit.r_hat, -target, fit.x_hat
        b_r = clip(fit.r_hat + direction * step)
        b_g, x_b = g(b_r, x_a)
        while b_g < 0:
            if b_r == bound:
                return bound, False
            slope = (b_g - a_g) / (b_r - a_r)
            jump = -b_g / slope if slope * direction > 0 else 4.0 * step * direction
            jump = direction * min(max(abs(jump) * 1.05, 0.1 * step), 4.0 * step)
            a_r, a_g, x_a = b_r, b_g, x_b
            b_r = clip(b_r + jump)
            b_g, x_b = g(b_r, x_b)
        if abs(b_g) < tol:
            return b_r, True
        side = 0
        r = b_r
        for _ in range(60):
            r = b_r - b_g * (b_r - a_r) / (b_g - a_g)
            g_r, x_r = g(r, x_a if abs(r - a_r) < abs(r - b_r) else x_b)
            if abs(g_r) < tol:
                return r, True
            if g_r < 0:
                a_r, a_g, x_a = r, g_r, x_r
                if side == -1:
                    b_g *= 0.5
                side = -1
            else:
                b_r, b_g, x_b = r, g_r, x_r
                if side == 1:
                    a_g *= 0.5
                side = 1
        return r, True

    def profile_table(self, fit: Fit, sigma0: float, r_lo: float, r_hi: float) -> "ProfileTable":
        """-2 Delta lnL = q of the profile in r on dense nodes from the best fit outwards, spaced by
        Delta sqrt(q) ~ 0.5 up to sqrt(q) = 2 and ~ 1 up to sqrt(q) = PROFILE_Z_MAX (the local slope of
        sqrt(q) sets the next step; ``sigma0`` the first), clipped to [r_lo, r_hi], plus r_lo and r_hi
        themselves. Each conditional fit starts from its inner neighbour."""
        lo_b, hi_b = self.poi_bounds()
        r_lo, r_hi = max(r_lo, lo_b), min(r_hi, hi_b)
        nodes = {fit.r_hat: 0.0}
        dense = [fit.r_hat, fit.r_hat]
        # the dense nodes run to sqrt(q) = PROFILE_Z_MAX or the POI bound (so that the 68 % and 95 %
        # intervals are always inside); r_lo and r_hi are added when they lie beyond
        for side, (direction, end) in enumerate(((-1, lo_b), (1, hi_b))):
            x, r_prev, z_prev = fit.x_hat, fit.r_hat, 0.0
            slope = 1.0 / max(sigma0, 1e-9)
            while direction * (end - r_prev) > 0:
                r = r_prev + direction * (0.5 if z_prev < 2.0 else 1.0) / slope
                if direction * (r - end) >= 0:
                    r = end
                nll, x = self.profile(r, x)
                q = max(2.0 * (nll - fit.nll_hat), 0.0)
                nodes[r] = q
                z = math.sqrt(q)
                if z > z_prev:
                    slope = (z - z_prev) / abs(r - r_prev)
                r_prev, z_prev = r, z
                dense[side] = r
                if z >= PROFILE_Z_MAX:
                    break
            far = r_lo if direction < 0 else r_hi
            if direction * (far - r_prev) > 0:
                nodes[far] = max(2.0 * (self.profile(far, x)[0] - fit.nll_hat), 0.0)
        if r_lo > fit.r_hat:  # the best fit lies below the range: the dense region starts at r_lo
            nodes[r_lo] = max(2.0 * (self.profile(r_lo, fit.x_hat)[0] - fit.nll_hat), 0.0)
            dense[0] = r_lo
        r = np.array(sorted(nodes))
        return ProfileTable(fit.r_hat, r, np.array([nodes[v] for v in r]), tuple(dense))

    def cls(self, r: float, fit: Fit, asimov, x_obs, x_asi):
        """Asymptotic CLs of q~_mu at POI r; returns (CLs, x_obs, x_asi) with the conditional fits."""
        data_a, aux_a, nll_a0 = asimov
        nll_obs, x_obs = self.profile(r, x_obs)
        if fit.r_hat < 0:
            ref = self.profile(0.0, fit.x_hat)[0]
        else:
            ref = fit.nll_hat
        q_obs = 2.0 * (nll_obs - ref) if fit.r_hat <= r else 0.0
        q_obs = max(q_obs, 0.0)
        nll_ar, x_asi = self.profile(r, x_asi, data=data_a, aux=aux_a)
        q_a = max(2.0 * (nll_ar - nll_a0), 1e-12)
        sq, sqa = math.sqrt(q_obs), math.sqrt(q_a)
        if sq <= sqa:
            clsb = norm.sf(sq)
            clb = norm.cdf(sqa - sq)
        else:
            clsb = norm.sf((q_obs + q_a) / (2.0 * sqa))
            clb = norm.sf((q_obs - q_a) / (2.0 * sqa))
        return (clsb / clb if clb > 0 else 1.0), x_obs, x_asi

    def asimov_sm(self, fit: Fit):
        """Asimov data of the SM-only hypothesis (r = 0, nuisances fitted to the data at r = 0)."""
        _, x0 = self.profile(0.0, fit.x_hat)
        data_a, aux_a = self.model.asimov(x0)
        nll_a0 = self.model.nll(x0, data_a, aux_a)
        return data_a, aux_a, nll_a0, x0

    def upper_limit(self, fit: Fit, sigma0: float):
        data_a, aux_a, nll_a0, x_a0 = self.asimov_sm(fit)
        asimov = (data_a, aux_a, nll_a0)
        r0 = max(fit.r_hat, 0.0)
        x_obs, x_asi = fit.x_hat, x_a0
        cache = {}

        def g(r):
            nonlocal x_obs, x_asi
            c, x_obs, x_asi = self.cls(r, fit, asimov, x_obs, x_asi)
            cache[r] = c
            return math.log(max(c, 1e-300)) - math.log(CLS_ALPHA)

        lo = r0 + 1e-3 * max(sigma0, 1e-3)
        hi = r0 + 2.0 * max(sigma0, 1e-3)
        g_lo = g(lo)
        g_hi = g(hi)
        _, hi_b = self.poi_bounds()
        while g_hi > 0 and hi < hi_b:
            lo, g_lo = hi, g_hi
            hi = min(2.0 * hi, hi_b)
            g_hi = g(hi)
        if g_lo < 0:
            return lo
        for _ in range(50):
            r_new = hi - g_hi * (hi - lo) / (g_hi - g_lo)
            r_new = min(max(r_new, lo + 0.02 * (hi - lo)), hi - 0.02 * (hi - lo))
            g_new = g(r_new)
            if abs(g_new) < 1e-3 or (hi - lo) < 1e-4 * max(1.0, abs(hi)):
                return r_new
            if g_new > 0:
                lo, g_lo = r_new, g_new
            else:
                hi, g_hi = r_new, g_new
        return r_new


class Recast:
    """Fits of the three analyses; ``run`` gives the full result for one new-physics spectrum."""

    def __init__(self, analyses=("ITA", "HTA", "combined")):
        spec = belle2.workspace()
        self.fits = {a: AnalysisFit(a, spec) for a in analyses}
        self.bf_ref = belle2.bf_reference()

    def templates(self, analysis: str) -> dict[str, np.ndarray]:
        spec_chans = {c["name"]: c for c in belle2.workspace()["channels"]}
        return {c: np.asarray(next(s for s in spec_chans[c]["samples"] if s["name"] == n)["data"])
                for c, n in self.fits[analysis].signal.items()}

    @single_threaded
    def run_published(self, intervals: bool = True) -> dict:
        """The published fit: mu scaling the SM template (validation of the likelihood)."""
        out = {}
        for a, af in self.fits.items():
            af.set_published()
            af._x_best = None
            f = af.best(af.model.init(1.0))
            sig = af.hesse_sigma(f)
            res = {"mu_hat": f.r_hat, "mu_sigma_hesse": sig, "nll_hat": f.nll_hat}
            if intervals:
                res["mu_interval68"] = [af.crossing(f, LEVEL_68, d, sig)[0] for d in (-1, 1)]
            out[a] = res
        return out

    @single_threaded
    def run(self, factors: dict[str, np.ndarray], r_model: float | None = None, *, intervals: bool = True,
            limit: bool = True, hesse: bool = True, profile_range: tuple[float, float] | None = None,
            ff: FFNuisances | None = None) -> dict:
        """Best fit, intervals, CLs upper limit and significances of r for every analysis, in BF units.
        ``profile_range`` (r_lo, r_hi): also a :class:`ProfileTable` of the profile in r (key "profile",
        not JSON) from which the -2 Delta lnL of any r in that range follows without a fit. ``ff``: the
        new physics as a sample of its own with these form-factor nuisances (:meth:`AnalysisFit.set_factors`)."""
        out = {}
        for a, af in self.fits.items():
            t0 = time.perf_counter()
            af.set_factors(factors, ff)
            f = af.best(af._x_best)
            nll0, _ = af.profile(0.0, f.x_hat)
            q0 = 2.0 * (nll0 - f.nll_hat)
            sig = af.hesse_sigma(f) if hesse else float("nan")
            sigma0 = sig if np.isfinite(sig) else self._sigma_from_q0(f, q0, af)
            ref = self.bf_ref
            res = {
                "bf_np_hat": f.r_hat * ref,
                "bf_np_sigma_hesse": sig * ref if hesse else None,
                "mu_equivalent": 1.0 + f.r_hat,
                "minus2_dlnl_sm": q0,
                "significance_vs_sm": math.copysign(math.sqrt(max(q0, 0.0)), f.r_hat),
            }
            table = None
            if profile_range is not None:
                table = af.profile_table(f, sigma0, min(profile_range[0], af.poi_bounds()[0]), profile_range[1])
                res["profile"] = table
            if intervals:
                for lvl, key in ((LEVEL_68, "bf_np_interval68"), (LEVEL_95, "bf_np_interval95")):
                    if table is not None:  # from the table's dense nodes (no further fits)
                        (lo, lo_closed), (hi, hi_closed) = (table.crossing(lvl, d) for d in (-1, 1))
                    else:
                        lo, lo_closed = af.crossing(f, lvl, -1, sigma0)
                        hi, hi_closed = af.crossing(f, lvl, +1, sigma0)
                    res[key] = [lo * ref, hi * ref]
                    res[key + "_closed"] = [lo_closed, hi_closed]
            if limit:
                res["bf_np_ul95_cls"] = af.upper_limit(f, sigma0) * ref
            res["nll_hat"] = f.nll_hat
            res["r_hat"] = f.r_hat
            if r_model is not None:
                nll_m, _ = af.profile(r_model, f.x_hat)
                res["bf_np_model"] = r_model * ref
                res["minus2_dlnl_model_vs_best"] = 2.0 * (nll_m - f.nll_hat)
                res["minus2_dlnl_model_vs_sm"] = 2.0 * (nll_m - nll0)
            tmpl = self.templates(a)
            res["np_yield_per_unit_bf"] = float(sum(np.sum(factors[c] * tmpl[c]) for c in tmpl)) / ref
            res["sm_yield"] = float(sum(np.sum(t) for t in tmpl.values()))
            res["seconds"] = time.perf_counter() - t0
            out[a] = res
        return out

    @staticmethod
    def _sigma_from_q0(f: Fit, q0: float, af: AnalysisFit) -> float:
        if q0 > 1e-6 and f.r_hat != 0:
            return abs(f.r_hat) / math.sqrt(q0)
        nll1, _ = af.profile(f.r_hat + 1.0, f.x_hat)
        t = 2.0 * (nll1 - f.nll_hat)
        return 1.0 / math.sqrt(t) if t > 0 else 1.0

    @single_threaded
    def best_only(self, factors: dict[str, np.ndarray], ff: FFNuisances | None = None) -> dict:
        out = {}
        for a, af in self.fits.items():
            af.set_factors(factors, ff)
            out[a] = af.best(af._x_best).r_hat * self.bf_ref
        return out

    def pyhf_workspace(self, factors: dict[str, np.ndarray], analysis: str = "combined",
                       ff: FFNuisances | None = None) -> dict:
        """The hypothesis as a pyhf workspace (POI ``mu_np`` = r), for use with pyhf directly; with ``ff`` the
        new-physics sample carries its form-factor nuisances instead of Belle II's."""
        af = self.fits[analysis]
        if ff is None:
            return to_pyhf_spec(belle2.workspace(), list(belle2.ANALYSES[analysis]), af.signal, factors)
        return to_pyhf_spec(belle2.workspace(), list(belle2.ANALYSES[analysis]), af.signal, factors,
                            ff=ff.entries(), drop=tuple(ff.replaces))
