"""Counting likelihoods of the BaBar and Belle B -> K(*) nu nubar searches (bkgen/data/measurements/).

Each search publishes, per mode, a 90 % CL upper limit on the branching fraction and the counting information
behind it (observed events n, fitted signal s_hat or expected background b, background uncertainty sigma_b;
the tables are cited per measurement in the data file). The likelihood of a signal of s events is a Poisson
count with a Gaussian-smeared background,

    L(s) = integral db' N(b' | b, sigma_b) (s + b')^n exp(-(s + b')) / Gamma(n + 1),     b = n - s_hat,

(n need not be an integer: some searches publish effective counts). The branching fraction per signal event,
kappa = BR / s, is not published as such; it is fixed so that the published limit is the 90 % quantile of
L(s) with a uniform prior on s >= 0 (the convention of the limits' construction, also used by flavio's
``GeneralGammaUpperLimit``). This carries each analysis' efficiency for SM-like kinematics: a new state whose
q2 lies where the analysis selects B -> K(*) nu nubar (e.g. a two-body X of a few GeV) is assumed to have
the same efficiency; the searches' q2-dependent efficiencies are not public in this form.

-2 Delta lnL of a branching fraction is -2 ln[L(BR / kappa) / max_{s >= 0} L(s)].
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy.optimize import brentq
from scipy.special import gammaln

#: Gauss-Hermite nodes for the background smearing
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(48)
_GH_W = _GH_W / _GH_W.sum()
MODES = ("B+->K+", "B0->K0", "B+->K*+", "B0->K*0")


@dataclass(frozen=True)
class CountingTerm:
    """One mode of one search."""

    measurement: str
    mode: str
    paper: str
    tables: str
    limit90: float
    n: float
    b: float
    sigma_b: float

    def log_l(self, s) -> np.ndarray:
        """ln L(s) for signal counts s (array)."""
        s = np.atleast_1d(np.asarray(s, dtype=float))
        bb = self.b + self.sigma_b * _GH_X
        mu = s[:, None] + bb[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = np.where(mu > 0, self.n * np.log(np.where(mu > 0, mu, 1.0)) - mu - gammaln(self.n + 1.0), -np.inf)
        m = np.max(lp, axis=1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        return (m[:, 0] + np.log(np.exp(lp - m) @ _GH_W))

    @property
    def _s_grid(self) -> np.ndarray:
        top = max(self.n - self.b, 0.0) + 12.0 * math.sqrt(self.n + self.sigma_b**2 + 1.0) + 10.0
        return np.linspace(0.0, top, 4001)

    @property
    def kappa(self) -> float:
        """BR per signal event: the published limit is the 90 % quantile of L(s), s >= 0."""
        return _kappa(self)

    def minus2_dlnl(self, br) -> np.ndarray:
        """-2 Delta lnL of a branching fraction (array), against the best s >= 0."""
        s = np.asarray(br, dtype=float) / self.kappa
        return -2.0 * (self.log_l(s) - _max_log_l(self))


@lru_cache(maxsize=None)
def _max_log_l(term: CountingTerm) -> float:
    return float(np.max(term.log_l(term._s_grid)))


@lru_cache(maxsize=None)
def _kappa(term: CountingTerm) -> float:
    g = term._s_grid
    p = np.exp(term.log_l(g) - np.max(term.log_l(g)))
    cdf = np.concatenate(([0.0], np.cumsum(0.5 * (p[1:] + p[:-1]) * np.diff(g))))
    cdf /= cdf[-1]
    s90 = float(brentq(lambda s: np.interp(s, g, cdf) - 0.9, g[0], g[-1]))
    return term.limit90 / s90


@lru_cache(maxsize=1)
def _data() -> dict:
    path = resources.files("bkgen").joinpath("data", "measurements", "b_to_kstar_nunu_limits.json")
    return json.loads(path.read_text())


def terms(modes=MODES) -> list[CountingTerm]:
    """Every published mode in ``modes`` of every search."""
    return [t for t in _all_terms() if t.mode in modes]


@lru_cache(maxsize=1)
def _all_terms() -> tuple:
    modes = MODES
    out = []
    for m in _data()["measurements"]:
        for mode, d in m["modes"].items():
            if mode not in modes:
                continue
            n = float(d["counts_total"])
            b = float(d["counts_background"]) if "counts_background" in d else n - float(d["counts_signal"])
            out.append(CountingTerm(m["name"], mode, m["paper"], m["tables"], float(d["limit90"]), n, b,
                                    float(d.get("background_std", 0.0))))
    return tuple(out)


def minus2_dlnl(br_by_mode: dict, modes=MODES) -> float:
    """Sum of -2 Delta lnL of every search at the branching fractions ``br_by_mode`` (mode -> BR)."""
    return float(sum(t.minus2_dlnl(br_by_mode[t.mode])[0] for t in terms(modes) if t.mode in br_by_mode))
