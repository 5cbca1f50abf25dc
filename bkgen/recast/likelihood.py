"""A HistFactory likelihood of the published Belle II workspace, compiled to numpy arrays.

The pyhf specification (schema 1.0.0) of the Belle II B+ -> K+ nu nubar workspace uses four
modifier types: ``normfactor`` (the signal strength ``mu``), ``normsys`` and ``histosys`` with
pyhf 0.7's default interpolations (code 4: polynomial for |alpha| < 1, exponential beyond;
code 4p: polynomial for |alpha| < 1, linear beyond; Cranmer et al., CERN-OPEN-2012-016, and the
pyhf documentation of ``pyhf.interpolators``), and ``staterror`` (one per sample, Gaussian
constraint with relative width sigma/nominal). The expected yield of sample s in bin b is

    nu_sb = scale_sb(poi) * (nominal_sb + sum_k Delta_sbk(alpha_k)) * prod_n I_sbn(alpha_n) * gamma_sb

and the likelihood is prod_b Pois(n_b | sum_s nu_sb) times unit-Gaussian constraints on the
alphas and Gaussian constraints N(1 | gamma, sigma_rel) on the gammas (pyhf documentation,
"HistFactory" likelihood specification; Cranmer et al., CERN-OPEN-2012-016). Here the signal
samples carry a per-bin scale a_b + poi * g_b instead of the normfactor: a = 0, g = 1 is the
published model; a = 1, g = f_b is the standard-model signal at its expectation plus a
new-physics component of per-bin factor f_b (kinematic reweighting, arXiv:2402.08417, with the
factor applied to nominal, histosys and staterror alike, so the relative uncertainties of the
template are kept). :func:`to_pyhf_spec` writes the same model as a pyhf workspace; the test
suite checks that both give the same log-likelihood.

The negative log-likelihood comes with its exact gradient, so fits use L-BFGS-B with analytic
derivatives and start from the previous solution.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

#: bounds of pyhf's default parameter configuration (pyhf 0.7 modifiers: histosys/normsys
#: alpha in [-5, 5], staterror gamma in [1e-10, 10])
ALPHA_BOUNDS = (-5.0, 5.0)
GAMMA_BOUNDS = (1e-10, 10.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
#: expected counts below which log(nu) is continued quadratically (see CompiledModel.nll_grad)
EPS_NU = 1e-6


@dataclass
class FitResult:
    x: np.ndarray
    nll: float
    success: bool
    n_eval: int


class CompiledModel:
    """The workspace restricted to ``channels`` with the signal samples ``signal`` made scalable."""

    def __init__(self, spec: dict, channels: list[str], signal: dict[str, str], pois: list[str] | None = None):
        """``signal``: channel -> the sample that the (first) POI scales. ``pois``: names of ``normfactor``
        modifiers that become POIs 0, 1, ... (every sample carrying normfactor ``pois[k]`` is scaled by POI k;
        the other samples are fixed); None: one POI on the ``signal`` samples (see :meth:`set_signal_scale`)."""
        chans = {c["name"]: c for c in spec["channels"]}
        self.poi_names = list(pois) if pois else ["poi"]
        poi_of_row = []
        obs = {o["name"]: o["data"] for o in spec["observations"]}
        for c in channels:
            if c not in chans:
                raise ValueError(f"channel {c!r} is not in the workspace; allowed: {', '.join(chans)}")
        self.channels = list(channels)
        self.signal = dict(signal)
        rows_nom, rows_bin, rows_sig = [], [], []
        hist, norm, stat = {}, {}, {}
        self.channel_slices = {}
        b0 = 0
        data = []
        r = 0
        row_meta = []
        for c in self.channels:
            ch = chans[c]
            nb = len(obs[c])
            self.channel_slices[c] = slice(b0, b0 + nb)
            data.extend(obs[c])
            for s in ch["samples"]:
                nom = np.asarray(s["data"], dtype=float)
                is_sig = self.signal.get(c) == s["name"]
                poi_k = -1
                for m in s["modifiers"]:
                    t = m["type"]
                    if t == "normfactor":
                        if pois:
                            if m["name"] not in self.poi_names:
                                raise ValueError(f"normfactor {m['name']!r} is not a POI; allowed: {self.poi_names}")
                            poi_k = self.poi_names.index(m["name"])
                        elif not is_sig:
                            raise ValueError(f"normfactor {m['name']!r} on a non-signal sample is not supported")
                        continue
                    if t == "histosys":
                        hi = np.asarray(m["data"]["hi_data"], dtype=float)
                        lo = np.asarray(m["data"]["lo_data"], dtype=float)
                        hist.setdefault(m["name"], []).append((r, hi - nom, nom - lo))
                    elif t == "normsys":
                        if not (m["data"]["hi"] > 0 and m["data"]["lo"] > 0):
                            raise ValueError(f"normsys {m['name']!r} with non-positive factors")
                        norm.setdefault(m["name"], []).append(
                            (r, nom.size, math.log(m["data"]["hi"]), -math.log(m["data"]["lo"]))
                        )
                    elif t == "staterror":
                        stat.setdefault(m["name"], []).append((r, nom, np.asarray(m["data"], dtype=float)))
                    else:
                        raise ValueError(f"modifier type {t!r} ({m['name']!r}) is not supported")
                rows_nom.append(nom)
                rows_bin.append(np.arange(b0, b0 + nb))
                rows_sig.append(np.full(nb, is_sig if not pois else poi_k >= 0))
                poi_of_row.append(np.full(nb, poi_k))
                row_meta.append((c, s["name"], nb))
                r += nb
            b0 += nb
        self.row_meta = row_meta
        self.nominal = np.concatenate(rows_nom)
        self.row_bin = np.concatenate(rows_bin)
        self.is_signal = np.concatenate(rows_sig)
        n_rows = self.nominal.size
        self.n_bins = b0
        self.data = np.asarray(data, dtype=float)
        # nuisance parameters: alphas (histosys and normsys share a parameter by name)
        alpha_names = sorted(set(hist) | set(norm))
        self.alpha_names = alpha_names
        k_index = {n: i for i, n in enumerate(alpha_names)}
        n_a = len(alpha_names)
        self.h_plus = np.zeros((n_rows, n_a))
        self.h_minus = np.zeros((n_rows, n_a))
        self.l_plus = np.zeros((n_rows, n_a))
        self.l_minus = np.zeros((n_rows, n_a))
        for name, entries in hist.items():
            k = k_index[name]
            for r0, up, dn in entries:
                self.h_plus[r0:r0 + up.size, k] = up
                self.h_minus[r0:r0 + dn.size, k] = dn
        for name, entries in norm.items():
            k = k_index[name]
            for r0, nb, lp, lm in entries:
                self.l_plus[r0:r0 + nb, k] = lp
                self.l_minus[r0:r0 + nb, k] = lm
        # sparse (row, alpha) pairs of the interpolations
        hr, hk = np.nonzero((self.h_plus != 0) | (self.h_minus != 0))
        self._h_row, self._h_k = hr, hk
        self._h_up, self._h_dn = self.h_plus[hr, hk], self.h_minus[hr, hk]
        self._hs = 0.5 * (self._h_up + self._h_dn)
        self._ha = 0.0625 * (self._h_up - self._h_dn)
        nr, nk = np.nonzero((self.l_plus != 0) | (self.l_minus != 0))
        self._n_row, self._n_k = nr, nk
        self._n_lp, self._n_lm = self.l_plus[nr, nk], self.l_minus[nr, nk]
        self._c4, self._dc4 = _code4_coefficients(self._n_lp, self._n_lm)
        # staterror gammas: one per (modifier, bin); relative width sqrt(sum sigma^2) / sum nominal
        gamma_row = np.full(n_rows, -1)
        sigmas, gnames = [], []
        for name, entries in sorted(stat.items()):
            nb = entries[0][1].size
            tot = np.zeros(nb)
            var = np.zeros(nb)
            for _, nom, sig in entries:
                tot += nom
                var += sig**2
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.where(tot > 0, np.sqrt(var) / tot, 0.0)
            for i in range(nb):
                if rel[i] > 0:
                    g = len(sigmas)
                    sigmas.append(rel[i])
                    gnames.append(f"{name}[{i}]")
                    for r0, _, _ in entries:
                        gamma_row[r0 + i] = g
        self.gamma_names = gnames
        self.gamma_sigma = np.asarray(sigmas)
        self.gamma_row = gamma_row
        self._gmask = gamma_row >= 0
        self.n_alpha = n_a
        self.n_gamma = len(sigmas)
        self.n_poi = len(self.poi_names)
        self.n_par = self.n_poi + n_a + self.n_gamma
        self.par_names = [*self.poi_names, *alpha_names, *gnames]
        self._poi_of_row = np.concatenate(poi_of_row)
        # bin-summing matrix
        self.sum_matrix = np.zeros((self.n_bins, n_rows))
        self.sum_matrix[self.row_bin, np.arange(n_rows)] = 1.0
        self._log_sigma_sum = float(np.sum(np.log(self.gamma_sigma)))
        self.sig_a = np.zeros(n_rows)
        #: per POI k and row: the yield scales as sig_a + sum_k poi_k sig_G[k] (sig_g = sig_G[0])
        self.sig_G = np.zeros((self.n_poi, n_rows))
        self.sig_g = self.sig_G[0]
        if pois:
            rows = np.arange(n_rows)
            has = self._poi_of_row >= 0
            self.sig_G[self._poi_of_row[has], rows[has]] = 1.0
            self.sig_a[~has] = 1.0
        else:
            self.set_signal_scale(published=True)
        self.aux_alpha = np.zeros(n_a)
        self.aux_gamma = np.ones(self.n_gamma)
        self._lgam_data = float(np.sum(gammaln(self.data + 1.0)))

    # -- signal hypothesis ----------------------------------------------------------------------
    def set_signal_scale(self, factors: dict[str, np.ndarray] | None = None, published: bool = False):
        """published=True: signal = poi x template. Otherwise signal = (1 + poi f_b) x template with
        ``factors[channel]`` = f_b per bin of that channel (channels without signal are ignored)."""
        self.sig_a[:] = 0.0
        self.sig_g[:] = 0.0
        r = 0
        for c, s, nb in self.row_meta:
            if self.signal.get(c) == s:
                if published:
                    self.sig_g[r:r + nb] = 1.0
                else:
                    self.sig_a[r:r + nb] = 1.0
                    self.sig_g[r:r + nb] = np.asarray(factors[c], dtype=float)
            else:
                self.sig_a[r:r + nb] = 1.0
            r += nb

    def poi_bounds(self, upper: float = 1e4) -> tuple[float, float]:
        """Range of POI 0 in which every signal yield stays positive (other POIs at zero)."""
        g = self.sig_g[self.is_signal]
        a = self.sig_a[self.is_signal]
        if np.all(a == 0):
            return (0.0, upper)
        gmax = float(np.max(g)) if g.size else 0.0
        lo = -0.999 / gmax if gmax > 0 else -1e4
        return (lo, upper)

    # -- likelihood -----------------------------------------------------------------------------
    def init(self, poi: float = 1.0) -> np.ndarray:
        x = np.zeros(self.n_par)
        x[:self.n_poi] = poi
        x[self.n_poi + self.n_alpha:] = 1.0
        return x

    def split(self, x):
        """(POI 0, alphas, gammas)."""
        return x[0], x[self.n_poi:self.n_poi + self.n_alpha], x[self.n_poi + self.n_alpha:]

    def _parts(self, x):
        _, al, ga = self.split(x)
        mu = x[:self.n_poi]
        n_rows = self.nominal.size
        # histosys, code 4p: polynomial inside |alpha| < 1, linear outside
        a = al[self._h_k]
        a2 = a * a
        poly = a * self._hs + self._ha * a2 * (15.0 + a2 * (3.0 * a2 - 10.0))
        dpoly = self._hs + self._ha * a * (30.0 + a2 * (18.0 * a2 - 40.0))
        delta = np.where(a > 1.0, a * self._h_up, np.where(a < -1.0, a * self._h_dn, poly))
        ddelta = np.where(a > 1.0, self._h_up, np.where(a < -1.0, self._h_dn, dpoly))
        base = self.nominal + np.bincount(self._h_row, delta, minlength=n_rows)
        # normsys, code 4: polynomial inside |alpha| < 1, exponential outside
        b = al[self._n_k]
        pw = b[:, None] ** np.arange(7)
        ipoly = 1.0 + np.einsum("pi,pi->p", self._c4, pw[:, 1:])
        dipoly = np.einsum("pi,pi->p", self._dc4, pw[:, :-1])
        ehi = np.exp(b * self._n_lp)
        elo = np.exp(b * self._n_lm)
        interp = np.where(b >= 1.0, ehi, np.where(b <= -1.0, elo, ipoly))
        dinterp = np.where(b >= 1.0, self._n_lp * ehi, np.where(b <= -1.0, self._n_lm * elo, dipoly))
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.exp(np.bincount(self._n_row, np.log(interp), minlength=n_rows))
        gam = np.ones_like(base)
        gam[self._gmask] = ga[self.gamma_row[self._gmask]]
        scale = self.sig_a + mu @ self.sig_G
        return mu, al, ga, base, ddelta, fac, interp, dinterp, gam, scale

    def expected_rows(self, x) -> np.ndarray:
        p = self._parts(x)
        return p[-1] * p[3] * p[5] * p[8]

    def expected(self, x) -> np.ndarray:
        return np.bincount(self.row_bin, self.expected_rows(x), minlength=self.n_bins)

    def nll(self, x, data=None, aux=None) -> float:
        return self.nll_grad(x, data, aux)[0]

    def nll_grad(self, x, data=None, aux=None):
        """-log L (with all constants, equal to -pyhf logpdf) and its gradient. Where a bin's expectation
        is not positive (reachable only far out in the nuisance parameters), log(nu) is continued by its
        second-order Taylor expansion about nu = EPS_NU so that fits are pushed back smoothly."""
        n = self.data if data is None else data
        aux_a, aux_g = (self.aux_alpha, self.aux_gamma) if aux is None else aux
        mu, al, ga, base, ddelta, fac, interp, dinterp, gam, scale = self._parts(x)
        if np.any(interp <= 0):
            return 1e300, np.zeros_like(x)
        rows = scale * base * fac * gam
        nu = np.bincount(self.row_bin, rows, minlength=self.n_bins)
        lg = self._lgam_data if data is None else float(np.sum(gammaln(n + 1.0)))
        low = nu < EPS_NU
        if np.any(low):
            d = np.where(low, nu - EPS_NU, 0.0)
            log_nu = np.where(low, math.log(EPS_NU) + d / EPS_NU - 0.5 * (d / EPS_NU) ** 2, np.log(np.where(low, 1.0, nu)))
            dlog = np.where(low, (1.0 - d / EPS_NU) / EPS_NU, 1.0 / np.where(low, 1.0, nu))
        else:
            log_nu = np.log(nu)
            dlog = 1.0 / nu
        val = float(np.sum(nu - n * log_nu)) + lg
        da = al - aux_a
        val += 0.5 * float(da @ da) + self.n_alpha * _LOG_SQRT_2PI
        dg = (ga - aux_g) / self.gamma_sigma
        val += 0.5 * float(dg @ dg) + self._log_sigma_sum + self.n_gamma * _LOG_SQRT_2PI
        u = (1.0 - n * dlog)[self.row_bin]
        grad = np.empty_like(x)
        npo = self.n_poi
        grad[:npo] = self.sig_G @ (u * base * fac * gam)
        ur = u * rows
        w = u * scale * fac * gam
        ga_grad = np.bincount(self._h_k, w[self._h_row] * ddelta, minlength=self.n_alpha)
        ga_grad += np.bincount(self._n_k, ur[self._n_row] * dinterp / interp, minlength=self.n_alpha)
        grad[npo:npo + self.n_alpha] = ga_grad + da
        m = self._gmask
        grad[npo + self.n_alpha:] = np.bincount(self.gamma_row[m], (ur / gam)[m], minlength=self.n_gamma) + dg / self.gamma_sigma
        return val, grad

    def bounds(self, poi_bounds=None):
        """Parameter bounds; ``poi_bounds``: one (lo, hi) for POI 0, or a list of one per POI."""
        pb = poi_bounds or self.poi_bounds()
        pbs = list(pb) if isinstance(pb[0], (tuple, list)) else [pb] + [(0.0, 1e4)] * (self.n_poi - 1)
        return pbs + [ALPHA_BOUNDS] * self.n_alpha + [GAMMA_BOUNDS] * self.n_gamma

    def scales(self) -> np.ndarray:
        """Typical parameter widths (POIs 1, alphas 1, gammas sigma_rel): the optimizer works in x / scale."""
        return np.concatenate((np.ones(self.n_poi), np.ones(self.n_alpha), self.gamma_sigma))

    def fit(self, x0=None, fixed_poi=None, data=None, aux=None, poi_bounds=None, poi_scale=1.0,
            fixed: dict | None = None) -> FitResult:
        """Minimise -log L from ``x0`` (L-BFGS-B, analytic gradient, parameters scaled to unit
        constraint width); POI 0 is fixed if ``fixed_poi`` is given, and parameter i at v for every
        i: v of ``fixed``."""
        x0 = self.init() if x0 is None else np.array(x0, dtype=float)
        bnds = np.array(self.bounds(poi_bounds), dtype=float)
        sc = self.scales()
        sc[:self.n_poi] = poi_scale
        free = np.ones(self.n_par, dtype=bool)
        if fixed_poi is not None:
            x0[0] = float(fixed_poi)
            free[0] = False
        for i, v in (fixed or {}).items():
            x0[i] = float(v)
            free[i] = False
        x0 = np.clip(x0, bnds[:, 0], bnds[:, 1])
        s_f = sc[free]

        def f(y):
            x = x0.copy()
            x[free] = y * s_f
            v, g = self.nll_grad(x, data, aux)
            return v, g[free] * s_f

        res = _minimize(f, x0[free] / s_f, [tuple(b) for b in bnds[free] / s_f[:, None]])
        x = x0.copy()
        x[free] = res.x * s_f
        return FitResult(x=x, nll=float(res.fun), success=bool(res.success), n_eval=int(res.nfev))

    def hessian(self, x, data=None, aux=None, eps=1e-5) -> np.ndarray:
        """Symmetrised central finite differences of the analytic gradient."""
        n = x.size
        h = np.empty((n, n))
        for i in range(n):
            step = eps * max(1.0, abs(x[i]))
            xp, xm = x.copy(), x.copy()
            xp[i] += step
            xm[i] -= step
            h[i] = (self.nll_grad(xp, data, aux)[1] - self.nll_grad(xm, data, aux)[1]) / (2 * step)
        return 0.5 * (h + h.T)

    def asimov(self, x) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """Asimov data and auxiliary data at parameters ``x`` (expected counts, aux = fitted nuisances)."""
        _, al, ga = self.split(x)
        return self.expected(x), (al.copy(), ga.copy())


def _code4_coefficients(log_hi, neg_log_lo):
    """Coefficients a_1..a_6 of pyhf's code-4 polynomial 1 + sum_i a_i alpha^i for |alpha| < 1, fixed by
    matching value, first and second derivative of hi^alpha at alpha = 1 and lo^-alpha at alpha = -1
    (CERN-OPEN-2012-016, interpolation code 4). Returns a and i a_i, arrays of shape (..., 6)."""
    hi = np.exp(log_hi)
    lo = np.exp(-neg_log_lo)
    lh, ll = log_hi, -neg_log_lo
    i = np.arange(1, 7, dtype=float)
    m = np.array([
        np.ones(6), i, i * (i - 1.0),
        (-1.0) ** i, i * (-1.0) ** (i - 1.0), i * (i - 1.0) * (-1.0) ** (i - 2.0),
    ])
    rhs = np.stack([hi - 1.0, hi * lh, hi * lh * lh, lo - 1.0, -lo * ll, lo * ll * ll], axis=-1)
    coef = np.einsum("ij,...j->...i", np.linalg.inv(m), rhs)
    return coef, coef * i


def _minimize(fun, x0, bounds):
    f0 = fun(x0)[0]
    if not np.isfinite(f0):
        f0 = 0.0

    def shifted(y):
        v, g = fun(y)
        return v - f0, g

    res = minimize(
        shifted, x0, jac=True, method="L-BFGS-B", bounds=bounds,
        options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-11, "gtol": 1e-5, "maxcor": 30},
    )
    res.fun = float(res.fun + f0)
    return res


def np_spec(spec: dict, channels: list[str], signal: dict[str, str], components: list, keep_sm: bool = True,
            drop: tuple[str, ...] = ()) -> dict:
    """A pyhf workspace in which the signal of each channel is split into samples of their own.

    ``components``: list of (suffix, poi, factors, ff); each becomes, in every channel of ``signal``, a copy
    ``<signal>_<suffix>`` of the signal template T with nominal f T (``factors[channel]`` = f per bin), the
    template's modifiers except the normfactor and those named in ``drop`` (histosys scaled by f), a
    ``normfactor`` named ``poi``, and one histosys per entry (name, up, down) of ``ff`` with hi = f_up T,
    lo = f_down T (the component's form-factor eigen-variations, arXiv:2507.12393 replaces Belle II's
    ``corr_ff_c*`` by the signal model's form-factor parameters in the same way). ``keep_sm``: the SM signal T
    stays, at its expectation (normfactor removed) with all its modifiers. Staterror data of a copy are
    sigma sqrt(f (2a + F)) (a = 1 if the SM sample is kept, F = sum of the components' f), so that the
    shared staterror keeps the template's relative width in pyhf's quadrature sum."""
    out = {"version": spec.get("version", "1.0.0"), "channels": [], "observations": [], "measurements": []}
    keep = set(channels)
    a = 1.0 if keep_sm else 0.0
    for ch in spec["channels"]:
        if ch["name"] not in keep:
            continue
        samples = []
        for s in ch["samples"]:
            s = copy.deepcopy(s)
            if signal.get(ch["name"]) != s["name"]:
                samples.append(s)
                continue
            s["modifiers"] = [m for m in s["modifiers"] if m["type"] != "normfactor"]
            if keep_sm:
                samples.append(s)
            nom = np.asarray(s["data"], dtype=float)
            f_sum = sum(np.asarray(c[2][ch["name"]], dtype=float) for c in components)
            for suffix, poi, factors, ff in components:
                f = np.asarray(factors[ch["name"]], dtype=float)
                np_s = copy.deepcopy(s)
                np_s["name"] = f"{s['name']}_{suffix}"
                np_s["data"] = (f * nom).tolist()
                mods = []
                for m in np_s["modifiers"]:
                    if m["name"] in drop:
                        continue
                    if m["type"] == "histosys":
                        m["data"] = {k: (f * np.asarray(v)).tolist() for k, v in m["data"].items()}
                    elif m["type"] == "staterror":
                        m["data"] = (np.sqrt(np.clip(f * (2.0 * a + f_sum), 0.0, None)) * np.asarray(m["data"])).tolist()
                    mods.append(m)
                for name, up, down in ff or ():
                    mods.append({"name": name, "type": "histosys",
                                 "data": {"hi_data": (np.asarray(up[ch["name"]]) * nom).tolist(),
                                          "lo_data": (np.asarray(down[ch["name"]]) * nom).tolist()}})
                mods.append({"name": poi, "type": "normfactor", "data": None})
                np_s["modifiers"] = mods
                samples.append(np_s)
        out["channels"].append({"name": ch["name"], "samples": samples})
    out["observations"] = [o for o in spec["observations"] if o["name"] in keep]
    pois = list(dict.fromkeys(c[1] for c in components))
    out["measurements"] = [{"name": "Measurement", "config": {"poi": pois[0], "parameters": []}}]
    return out


def to_pyhf_spec(spec: dict, channels: list[str], signal: dict[str, str], factors: dict[str, np.ndarray],
                 poi: str = "mu_np", ff=None, drop: tuple[str, ...] = ()) -> dict:
    """The same model as a pyhf workspace: the SM signal (mu removed) plus a new-physics copy scaled by
    f_b with normfactor ``poi`` (:func:`np_spec`; ``ff``/``drop``: its form-factor nuisances)."""
    return np_spec(spec, channels, signal, [("np", poi, factors, ff)], keep_sm=True, drop=drop)
