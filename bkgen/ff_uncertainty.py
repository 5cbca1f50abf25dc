"""Correlated form-factor uncertainties of a card's widths, BRs and q^2 spectra.

Every form-factor set a decay uses that has a published covariance (see
``bkgen.physics.form_factors``) contributes its eigen-variations: with
covariance C = sum_k sigma_k^2 d_k d_k^T, variation k shifts the set's free
parameters by +-sigma_k d_k (``varied_eigen(k, +-1)``). Sets are independent
fits (one paper, one transition), so the variations of different sets are
uncorrelated; a set requested by several channels (e.g. B+ -> K+ and B0 -> K0)
is shifted coherently. Linear propagation of an observable O:

    sigma_O^2 = sum_k [(O(+k) - O(-k)) / 2]^2,

which equals the Monte Carlo spread over the multivariate normal when O is
linear in the parameters over +-1 sigma (tests/test_ff_uncertainty.py).
Sets without a covariance (BHvDW2012: ranges only) are listed in
``FormFactorUncertainty.not_propagated`` and not varied.

Units: widths in GeV, q^2 in GeV^2, dGamma/dq^2 in GeV^-1.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from .generate.widths import ChannelGrid, decay_widths
from .physics import form_factors
from .physics.models import get as get_model
from .physics.models.base import parent_width


@contextlib.contextmanager
def form_factor_override(transform=None, used: list | None = None):
    """Within the block, ``form_factors.get(...)`` returns ``transform(ff)`` (``ff`` if None);
    ``used`` collects the unvaried objects the models requested."""
    original = form_factors.get

    def get(*args, **kwargs):
        ff = original(*args, **kwargs)
        if used is not None:
            used.append(ff)
        return ff if transform is None else transform(ff)

    form_factors.get = get
    try:
        yield
    finally:
        form_factors.get = original


@dataclass(frozen=True)
class EigenVariation:
    """Eigen-variation ``k`` of the form-factor set ``name`` of ``transition``; ``index`` counts over the decay."""

    index: int
    transition: str
    name: str
    k: int
    sigma: float  # sqrt of the eigenvalue (length of the +1 sigma shift in parameter space)

    @property
    def label(self) -> str:
        return f"{self.transition} {self.name} eig{self.k}"

    def transform(self, sign: float):
        """Function ff -> ff shifted by ``sign`` along this direction (other sets unchanged)."""

        def apply(ff):
            if ff.transition == self.transition and ff.name == self.name:
                return ff.varied_eigen(self.k, sign)
            return ff

        return apply


def _build(card: dict):
    """Channels of the card's decay (one place that reads the card)."""
    decay = get_model(card["process"]["model"]).decay(card["process"]["decay"])
    return decay.channels(card["model"])


def form_factor_sets(card: dict) -> list:
    """The distinct form-factor objects (one per transition and set) that the card's decay uses."""
    used: list = []
    with form_factor_override(used=used):
        _build(card)
    seen, out = set(), []
    for ff in used:
        if (ff.transition, ff.name) not in seen:
            seen.add((ff.transition, ff.name))
            out.append(ff)
    return out


def eigen_variations(card: dict) -> tuple[list[EigenVariation], list[str]]:
    """(eigen-variations of the sets with a covariance, 'transition name' of the sets without)."""
    out, missing = [], []
    for ff in form_factor_sets(card):
        if not getattr(ff, "has_covariance", False):
            missing.append(f"{ff.transition} {ff.name}")
            continue
        sigma, _ = ff.eigen
        for k in range(ff.n_eigen):
            out.append(EigenVariation(len(out), ff.transition, ff.name, k, float(sigma[k])))
    return out, missing


def channels_varied(card: dict, variation: EigenVariation | None = None, sign: float = 1.0):
    """The card's channels with the form factors shifted by ``sign`` along ``variation`` (central if None)."""
    if variation is None:
        return _build(card)
    with form_factor_override(variation.transform(sign)):
        return _build(card)


def dgamma_dq2(ch, q2, n_mass: int = 64) -> np.ndarray:
    """dGamma/dq^2 [GeV^-1] of one channel at ``q2`` [GeV^2] (line shape of M integrated, normalised
    over its window); zero outside the phase space. Channels with a fixed q^2 have no density (NaN)."""
    q2 = np.atleast_1d(np.asarray(q2, dtype=np.float64))
    if ch.q2_fixed is not None:
        return np.full(q2.shape, np.nan)
    grid = ChannelGrid(ch)
    if grid.has_line_shape:
        z, w = np.polynomial.legendre.leggauss(n_mass)
        lo, hi = grid.x_range()
        x = 0.5 * (hi - lo) * z + 0.5 * (hi + lo)
        w = 0.5 * (hi - lo) * w * grid.line_shape_x(x)
        m = grid.meson_mass(x)
        norm = w.sum()
    else:
        m, w, norm = np.array([ch.m_meson]), np.ones(1), 1.0
    qq, mm = np.meshgrid(q2, m, indexing="ij")
    inside = (qq >= ch.q2_lo) & (qq <= (ch.m_parent - mm) ** 2)
    with np.errstate(all="ignore"):
        r = np.broadcast_to(np.asarray(ch.rate(np.where(inside, qq, ch.q2_lo), mm), dtype=float), qq.shape)
    r = np.where(inside & np.isfinite(r), r, 0.0)
    return r @ w / norm


class FormFactorUncertainty:
    """Widths and BRs of a card's channels at the central form factors and at every eigen-variation.

    ``widths_up[k, c]`` / ``widths_down[k, c]``: width [GeV] of channel c with variation k at +1 / -1 sigma.
    Built once; :meth:`spectra` evaluates dGamma/dq^2 of the same variations on a q^2 grid.
    """

    def __init__(self, card: dict):
        self.card = card
        self.variations, self.not_propagated = eigen_variations(card)
        self._channels = {None: channels_varied(card)}
        for v in self.variations:
            for sign in (1.0, -1.0):
                self._channels[(v.index, sign)] = channels_varied(card, v, sign)
        central = self._channels[None]
        self.labels = [ch.label for ch in central]
        self.gamma_parent = parent_width(abs(central[0].parent))
        self.visible_br = np.array([ch.visible_br for ch in central])

        def widths(chans):  # the same adaptive widths as DecayPhysics
            return np.array([w.value for w in decay_widths(chans)])

        self.widths = widths(central)
        nv = len(self.variations)
        self.widths_up = np.empty((nv, len(central)))
        self.widths_down = np.empty((nv, len(central)))
        for v in self.variations:
            self.widths_up[v.index] = widths(self._channels[(v.index, 1.0)])
            self.widths_down[v.index] = widths(self._channels[(v.index, -1.0)])

    # --- BRs ---------------------------------------------------------------------
    @property
    def br(self) -> np.ndarray:
        """Central BR per channel."""
        return self.widths / self.gamma_parent

    @property
    def br_shifts(self) -> tuple[np.ndarray, np.ndarray]:
        """(BR(+k) - BR, BR(-k) - BR) per variation and channel, shape (n_variations, n_channels)."""
        return ((self.widths_up - self.widths) / self.gamma_parent,
                (self.widths_down - self.widths) / self.gamma_parent)

    @staticmethod
    def _sigma(up, down) -> np.ndarray:
        return np.sqrt(np.sum((0.5 * (up - down)) ** 2, axis=0))

    @property
    def br_sigma(self) -> np.ndarray:
        """Linearly propagated 1 sigma form-factor uncertainty of each channel's BR."""
        return self._sigma(self.widths_up, self.widths_down) / self.gamma_parent

    @property
    def br_total(self) -> float:
        return float(self.widths.sum() / self.gamma_parent)

    @property
    def br_total_sigma(self) -> float:
        """1 sigma of the summed BR (channels sharing a form-factor set are fully correlated)."""
        return float(self._sigma(self.widths_up.sum(axis=1), self.widths_down.sum(axis=1)) / self.gamma_parent)

    # --- spectra -------------------------------------------------------------------
    def spectra(self, q2) -> dict:
        """dGamma/dq^2 [GeV^-1] on ``q2`` [GeV^2]: 'central' (n_channels, n_q2), 'up'/'down'
        (n_variations, n_channels, n_q2)."""
        q2 = np.atleast_1d(np.asarray(q2, dtype=np.float64))

        def curves(chans):
            return np.array([dgamma_dq2(ch, q2) for ch in chans])

        nv = len(self.variations)
        out = {"q2": q2, "central": curves(self._channels[None]),
               "up": np.empty((nv, len(self.labels), q2.size)), "down": np.empty((nv, len(self.labels), q2.size))}
        for v in self.variations:
            out["up"][v.index] = curves(self._channels[(v.index, 1.0)])
            out["down"][v.index] = curves(self._channels[(v.index, -1.0)])
        return out

    def summary(self) -> dict:
        """Plain-data summary (for ``bkgen info --ff-uncertainty``)."""
        return {
            "method": "linear propagation over the eigen-variations of the published covariances",
            "sets": sorted({f"{v.transition} {v.name}" for v in self.variations}),
            "n_variations": len(self.variations),
            "not_propagated": list(self.not_propagated),
            "br": self.br_total,
            "br_sigma": self.br_total_sigma,
            "channels": [{"label": lab, "br": float(b), "br_sigma": float(s)}
                         for lab, b, s in zip(self.labels, self.br, self.br_sigma)],
        }


__all__ = ["EigenVariation", "FormFactorUncertainty", "channels_varied", "dgamma_dq2", "eigen_variations",
           "form_factor_override", "form_factor_sets"]


def model_summary_uncertainty(card: dict, fn) -> dict:
    """1 sigma form-factor uncertainty of every float in the nested dict ``fn()`` (e.g. a model's binned
    observables, ``Decay.summary``), by the same linear propagation over the eigen-variations:
    sigma^2 = sum_k [(O(+k) - O(-k))/2]^2. Entries that are not floats are left out."""
    variations, _ = eigen_variations(card)
    central = fn()
    up, down = [], []
    for v in variations:
        for sign, acc in ((1.0, up), (-1.0, down)):
            with form_factor_override(v.transform(sign)):
                acc.append(fn())

    def walk(c, ups, downs):
        if isinstance(c, dict):
            out = {k: walk(c[k], [u[k] for u in ups], [d[k] for d in downs]) for k in c}
            return {k: v for k, v in out.items() if v is not None and v != {}}
        if isinstance(c, float):
            return float(np.sqrt(sum((0.5 * (u - d)) ** 2 for u, d in zip(ups, downs))))
        return None

    return walk(central, up, down)
