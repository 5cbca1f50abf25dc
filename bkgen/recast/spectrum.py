"""Binned true-q2 spectra of a model, absolute branching fractions per q2_gen bin.

From a card: each channel's dGamma/dq2 (``Channel.rate``) integrated over every q2_gen bin with
Gauss-Legendre rules in the generator's own smoothing maps (sin^2 map of the q2 range, arctan map
of a Breit-Wigner mediator, arctan map of the meson line shape), divided by the parent width.
From a ROOT sample: a histogram of the ``q2`` branch normalised to the sample's BR (run_info).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..generate.decay import DecayPhysics
from ..generate.widths import ChannelGrid, _gauss_legendre, adaptive_width
from ..physics.models.base import parent_width
from . import belle2

#: B+ -> K+ final states covered by the published Belle II likelihood
KPLUS = (521, 321)


def is_kplus(ch) -> bool:
    return (abs(ch.parent), abs(ch.meson)) == KPLUS and ch.meson_daughters is None


@dataclass
class Spectrum:
    """BF per q2_gen bin (``edges`` [GeV^2]) of the K+ channels, and of every other channel."""

    edges: np.ndarray
    kplus: np.ndarray  # BF per bin, B+ -> K+ X channels summed
    kplus_br: float  # total BF of the K+ channels (inside and outside the bins)
    others: dict = field(default_factory=dict)  # label -> {"br", "br_visible", "bins"}
    source: str = ""
    n_events: int = 0  # sample size (0 for a card)
    kplus_counts: np.ndarray | None = None  # sample counts per bin (K+ channels)
    n_total: int = 0


def _bins_fixed_q2(edges, q2, value):
    out = np.zeros(edges.size - 1)
    k = np.searchsorted(edges, q2, side="right") - 1
    if 0 <= k < out.size:
        out[k] = value
    elif q2 == edges[-1]:
        out[-1] = value
    return out


def _t_of_q2(grid: ChannelGrid, q2, m, iters: int = 60):
    """Inverse of the channel's q2(t) map (monotonic) by bisection, vectorised over q2."""
    lo = np.zeros_like(q2)
    hi = np.ones_like(q2)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        val, _ = grid.q2(mid, m)
        below = val < q2
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def channel_bins(ch, edges: np.ndarray, n_gl: int = 12, n_x: int = 48) -> np.ndarray:
    """Partial width [GeV] of ``ch`` in each q2 bin of ``edges`` (line shape normalised to 1)."""
    grid = ChannelGrid(ch)
    if not grid.has_q2:
        if grid.has_line_shape:
            xs, wx = _gauss_legendre(n_x, *grid.x_range())
            norm = np.dot(wx, grid.line_shape_x(xs))
            width = np.dot(wx, grid.line_shape_x(xs) * ch.rate(np.full(xs.size, ch.q2_fixed), grid.meson_mass(xs))) / norm
        else:
            width = float(ch.rate(np.array([ch.q2_fixed]), np.array([ch.m_meson]))[0])
        return _bins_fixed_q2(edges, ch.q2_fixed, width)
    if grid.has_line_shape:
        xs, wx = _gauss_legendre(n_x, *grid.x_range())
        lsx = grid.line_shape_x(xs)
        norm = np.dot(wx, lsx)
        ms = grid.meson_mass(xs)
    else:
        xs, wx, lsx, norm, ms = np.zeros(1), np.ones(1), np.ones(1), 1.0, np.array([ch.m_meson])
    z, wz = np.polynomial.legendre.leggauss(n_gl)
    out = np.zeros(edges.size - 1)
    for m, w_m, l_m in zip(ms, wx, lsx):
        t_edges = _t_of_q2(grid, np.clip(edges, *_q2_range(grid, m)), np.full(edges.size, m))
        a, b = t_edges[:-1], t_edges[1:]
        tt = 0.5 * (b - a)[:, None] * z[None, :] + 0.5 * (b + a)[:, None]
        q2, jac = grid.q2(tt, np.full(tt.shape, m))
        f = ch.rate(q2, np.full(tt.shape, m)) * jac
        out += w_m * l_m * np.sum(f * wz[None, :], axis=1) * 0.5 * (b - a)
    return out / norm


def _q2_range(grid: ChannelGrid, m):
    lo, _ = grid.q2(0.0, m)
    hi, _ = grid.q2(1.0, m)
    return float(lo), float(hi)


def from_channels(channels, edges: np.ndarray, source: str = "", widths=None) -> Spectrum:
    """Binned spectrum of ``channels``; ``widths`` [GeV] are their partial widths (default: integrated
    here, as :class:`bkgen.generate.decay.DecayPhysics` does)."""
    gamma_b = parent_width(channels[0].parent)
    kplus = np.zeros(edges.size - 1)
    kplus_br = 0.0
    others = {}
    if widths is None:
        widths = [adaptive_width(ch).value for ch in channels]

    for ch, width in zip(channels, widths):
        bins = channel_bins(ch, edges) / gamma_b
        br = width / gamma_b
        if is_kplus(ch):
            kplus += bins
            kplus_br += br
        else:
            others[ch.label] = {"br": br, "br_visible": br * ch.visible_br, "bins": bins}
    return Spectrum(edges=edges, kplus=kplus, kplus_br=kplus_br, others=others, source=source)


def from_card(card: dict, edges: np.ndarray | None = None) -> Spectrum:
    """The card's model integrated over the q2_gen bins (no events needed)."""
    edges = belle2.Q2_GEN_EDGES[1:] if edges is None else edges
    phys = DecayPhysics.from_card(card)
    return from_channels(phys.channels, edges, source=f"{phys.model.name}: {phys.decay.name}", widths=phys.widths)


def from_sample(path: str, edges: np.ndarray | None = None, sample=None) -> Spectrum:
    """Histogram of the true q2 of a generated ROOT sample, normalised to its BR (run_info). The sample
    is opened and checked against its card by :func:`bkgen.io.sample.open_sample` (or passed opened)."""
    from ..io.sample import open_sample

    edges = belle2.Q2_GEN_EDGES[1:] if edges is None else edges
    smp = open_sample(path) if sample is None else sample
    info, card = smp.info, smp.source_card
    if "reweighting" in info:
        raise smp.error("run_info.reweighting is present (a reweighted file); allowed: a sample written by bkgen generate "
                        "(a recast counts events, it does not apply weights)")
    if card.get("detector", {}).get("efficiency", "none") != "none" and card["detector"]["efficiency_mode"] == "accept_reject":
        raise smp.error("detector.efficiency_mode = 'accept_reject' was applied; allowed: a generator-level "
                        "sample (detector.efficiency = 'none' or efficiency_mode = 'weight')")
    channels = smp.channels
    arr = smp.arrays(["q2", "channel"])
    q2, chan = arr["q2"], arr["channel"].astype(int)
    n_total = q2.size
    br = float(info["br"])
    kmask = np.array([is_kplus(c) for c in channels])[chan]
    counts = np.histogram(q2[kmask], bins=edges)[0].astype(float)
    kplus = br * counts / n_total
    ch_br = [c["br"] for c in info["channels"]]
    others = {}
    for i, ch in enumerate(channels):
        if is_kplus(ch):
            continue
        sel = chan == i
        bins = br * np.histogram(q2[sel], bins=edges)[0] / n_total
        others[ch.label] = {"br": ch_br[i], "br_visible": ch_br[i] * ch.visible_br, "bins": bins}
    kplus_br = float(sum(b for b, c in zip(ch_br, channels) if is_kplus(c)))
    return Spectrum(edges=edges, kplus=kplus, kplus_br=kplus_br, others=others, source=f"{path}",
                    n_events=int(kmask.sum()), kplus_counts=counts, n_total=n_total)
