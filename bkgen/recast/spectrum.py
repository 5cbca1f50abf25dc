"""Binned true-q2 spectra of a model, absolute branching fractions per q2_gen bin.

From a card: each channel's dGamma/dq2 (``Channel.rate``) integrated over every q2_gen bin with
Gauss-Legendre rules in the generator's own smoothing maps (sin^2 map of the q2 range, arctan map
of a Breit-Wigner mediator, arctan map of the meson line shape), divided by the parent width.
From a ROOT sample: a histogram of the ``q2`` branch normalised to the sample's BR (run_info).

The spectra that are fitted are the invisible ones (bkgen.recast.invisible): each channel weighted
by the probability that everything but the meson escapes detection, per q2 node for a card, per
event for a sample. Totals (visible and invisible) are kept beside them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..generate.decay import DecayPhysics
from ..generate.widths import ChannelGrid, _gauss_legendre, adaptive_width
from ..physics.models.base import parent_width
from ..detector.escape import DEFAULT_BEYOND
from ..detector.escape import from_card as escape_from_card
from . import belle2, invisible

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
    kplus_br_total: float = 0.0  # total BF of the K+ channels, visible final states included
    channels: list = field(default_factory=list)  # per channel: label, br, br_invisible, how
    escape: dict = field(default_factory=dict)  # the escape model (geometry, frame, regions)
    kplus_weight_mean: np.ndarray | None = None  # sample: mean invisibility weight of the K+ events per bin

    @property
    def br_invisible(self) -> float:
        """BR(B -> meson + invisible) summed over all channels."""
        return float(sum(c["br_invisible"] for c in self.channels))

    @property
    def br_total(self) -> float:
        return float(sum(c["br"] for c in self.channels))


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


def channel_bins(ch, edges: np.ndarray, n_gl: int = 12, n_x: int = 48, weight=None) -> np.ndarray:
    """Partial width [GeV] of ``ch`` in each q2 bin of ``edges`` (line shape normalised to 1), with the
    rate multiplied by ``weight(q2, m_meson)`` if given (e.g. the probability to look invisible)."""
    grid = ChannelGrid(ch)
    if weight is not None:
        ch = dataclasses.replace(ch, rate=lambda q2, m, r=ch.rate: r(q2, m) * weight(q2, m))
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


def from_channels(channels, edges: np.ndarray, source: str = "", escape=None, widths=None) -> Spectrum:
    """Binned spectra of ``channels``: the invisible part (``escape``: a bkgen.detector.escape.Escape
    for long-lived Y with visible decays; None counts those as never escaping) and the totals.
    ``widths`` [GeV] are the channels' partial widths (default: integrated here, as
    :class:`bkgen.generate.decay.DecayPhysics` does)."""
    gamma_b = parent_width(channels[0].parent)
    kplus = np.zeros(edges.size - 1)
    kplus_br = kplus_tot = 0.0
    others = {}
    rows = []
    if widths is None:
        widths = [adaptive_width(ch).value for ch in channels]

    tables = invisible.EscapeTables(escape) if escape is not None else None
    for ch, width in zip(channels, widths):
        bins_all = channel_bins(ch, edges) / gamma_b
        br = width / gamma_b
        how = _how(ch)
        weight = 0.0 if tables is None else tables.probability(ch)
        if weight is None:
            bins, br_inv = bins_all, br
        elif isinstance(weight, float):
            bins, br_inv = np.zeros_like(bins_all), 0.0
        else:
            bins = channel_bins(ch, edges, weight=weight) / gamma_b
            tot = bins_all.sum()
            br_inv = float(br * bins.sum() / tot) if tot > 0 else 0.0
        rows.append({"label": ch.label, "br": br, "br_invisible": br_inv, "how": how})
        if is_kplus(ch):
            kplus += bins
            kplus_br += br_inv
            kplus_tot += br
        else:
            others[ch.label] = {"br": br, "br_visible": br * ch.visible_br, "br_invisible": br_inv, "bins": bins}
    return Spectrum(edges=edges, kplus=kplus, kplus_br=kplus_br, others=others, source=source,
                    kplus_br_total=kplus_tot, channels=rows, escape=_escape_info(escape))


def _how(ch) -> str:
    if invisible.final_state_invisible(ch):
        return "invisible final state"
    return "long-lived Y" if invisible.long_lived(ch) else "visible"


def _escape_info(escape) -> dict:
    if escape is None:
        return {}
    g = escape.geometry
    return {"frame": escape.frame, "shape": g.shape, "escaped_regions": list(escape.region_names),
            "beyond_boundary_mm": {b.name: [b.radius, b.z_min, b.z_max] for b in g.boundaries if b.name == escape.beyond},
            "directions": escape.n}


def from_card(card: dict, edges: np.ndarray | None = None, beyond: str = DEFAULT_BEYOND) -> Spectrum:
    """The card's model integrated over the q2_gen bins (no events needed); long-lived Y escape the
    card's [displacement] geometry beyond boundary ``beyond`` in its [beam] frame."""
    edges = belle2.Q2_GEN_EDGES[1:] if edges is None else edges
    phys = DecayPhysics.from_card(card)
    esc = escape_from_card(card, abs(phys.decay.parent), beyond)
    return from_channels(phys.channels, edges, source=f"{phys.model.name}: {phys.decay.name}", escape=esc,
                         widths=phys.widths)


def from_sample(path: str, edges: np.ndarray | None = None, beyond: str = DEFAULT_BEYOND, sample=None) -> Spectrum:
    """Histogram of the true q2 of a generated ROOT sample, normalised to its BR (run_info), each event
    weighted by the probability that everything but the meson escapes (:func:`_event_invisibility`). The
    sample is opened and checked against its card by :func:`bkgen.io.sample.open_sample` (or passed opened)."""
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
    esc = escape_from_card(card, abs(channels[0].parent), beyond)
    w_inv = _event_invisibility(smp, channels, chan, esc)
    br = float(info["br"])
    kmask = np.array([is_kplus(c) for c in channels])[chan]
    counts = np.histogram(q2[kmask], bins=edges)[0].astype(float)
    wsum = np.histogram(q2[kmask], bins=edges, weights=w_inv[kmask])[0]
    kplus = br * wsum / n_total
    with np.errstate(invalid="ignore", divide="ignore"):
        wmean = np.where(counts > 0, wsum / counts, 0.0)
    ch_br = [c["br"] for c in info["channels"]]
    others = {}
    rows = []
    kplus_br = kplus_tot = 0.0
    for i, ch in enumerate(channels):
        sel = chan == i
        n_i = int(sel.sum())
        frac = float(w_inv[sel].sum() / n_i) if n_i else (1.0 if invisible.final_state_invisible(ch) else 0.0)
        br_inv = ch_br[i] * frac
        rows.append({"label": ch.label, "br": ch_br[i], "br_invisible": br_inv, "how": _how(ch), "events": n_i})
        if is_kplus(ch):
            kplus_br += br_inv
            kplus_tot += ch_br[i]
            continue
        bins = br * np.histogram(q2[sel], bins=edges, weights=w_inv[sel])[0] / n_total
        others[ch.label] = {"br": ch_br[i], "br_visible": ch_br[i] * ch.visible_br, "br_invisible": br_inv, "bins": bins}
    return Spectrum(edges=edges, kplus=kplus, kplus_br=kplus_br, others=others, source=f"{path}",
                    n_events=int(kmask.sum()), kplus_counts=counts, n_total=n_total, kplus_br_total=kplus_tot,
                    channels=rows, escape=_escape_info(esc), kplus_weight_mean=wmean)


def _event_invisibility(smp, channels, chan: np.ndarray, esc) -> np.ndarray:
    """Per event: 1 for invisible final states, P(Y decays beyond the escape boundary) for a long-lived Y
    with visible decays (from the event's Y momentum, mass and production vertex in the record), else 0."""
    w = np.zeros(chan.size)
    kinds = [_how(c) for c in channels]
    for i, k in enumerate(kinds):
        if k == "invisible final state":
            w[chan == i] = 1.0
    ll = np.array([k == "long-lived Y" for k in kinds])[chan]
    if not np.any(ll):
        return w
    record = ["pdg", "status", "px", "py", "pz", "m", "vx", "vy", "vz"]
    missing = [b for b in record if b not in smp.branches]
    if missing:
        raise smp.error(f"the events tree lacks the record branches {', '.join(missing)}; allowed: a ROOT file "
                        "written by bkgen generate (a long-lived Y needs its record)")
    rec = smp.arrays(record)  # read through the sample's checks (one-line errors)
    ys = np.array([abs(c.y) for c in channels])[chan[ll]]
    pdg, status = np.abs(rec["pdg"][ll]), rec["status"][ll]
    is_y = (pdg == ys[:, None]) & (status == 2)
    has = is_y.any(axis=1)
    j = np.argmax(is_y, axis=1)
    rows = np.arange(j.size)
    p = np.stack([rec[k][ll][rows, j] for k in ("px", "py", "pz")], axis=1).astype(float)
    origin = np.stack([rec[k][ll][rows, j] for k in ("vx", "vy", "vz")], axis=1).astype(float)
    m = rec["m"][ll][rows, j].astype(float)
    pm = np.sqrt(np.einsum("ij,ij->i", p, p))
    ok = has & (pm > 0) & (m > 0)
    ctau = np.array([c.y_ctau for c in channels])[chan[ll]]
    d = esc.geometry.exit_distances(origin[ok], p[ok] / pm[ok, None])[:, [b.name for b in esc.geometry.boundaries].index(esc.beyond)]
    p_ll = np.where(has & (pm > 0), 1.0, 0.0)  # a massless Y never decays
    p_ll[ok] = np.exp(-d * m[ok] / (pm[ok] * ctau[ok]))
    w[ll] = p_ll
    return w


@dataclass
class FFVariedSpectra:
    """The fitted (invisible) B+ -> K+ spectrum of a card at every form-factor eigen-variation: BF per
    q2_gen bin at +1 and -1 sigma (``up``, ``down``: shape (n_variations, n_bins)), with the variation labels
    (bkgen.ff_uncertainty.EigenVariation.label) and the sets that have no covariance."""

    labels: list
    up: np.ndarray
    down: np.ndarray
    not_propagated: list


_FF_CACHE: dict = {}


def ff_variations(card: dict, edges: np.ndarray | None = None, beyond: str = DEFAULT_BEYOND) -> FFVariedSpectra:
    """K+ spectra of ``card`` with the form factors shifted along each eigen-variation of their published
    covariance (bkgen.ff_uncertainty; linear-propagation convention +-1 sigma), with the same invisibility
    weights as :func:`from_card`. Cached per (card, edges, boundary): a scan along an axis that only rescales
    the rate, or a repeated recast, does not recompute them."""
    from ..config.card import dumps
    from ..ff_uncertainty import channels_varied, eigen_variations

    edges = belle2.Q2_GEN_EDGES[1:] if edges is None else edges
    key = (dumps(card), tuple(np.asarray(edges).tolist()), beyond)
    if key in _FF_CACHE:
        return _FF_CACHE[key]
    variations, missing = eigen_variations(card)
    base = channels_varied(card)
    esc = escape_from_card(card, abs(base[0].parent), beyond)
    up = np.zeros((len(variations), edges.size - 1))
    down = np.zeros_like(up)
    for v in variations:
        for sign, out in ((1.0, up), (-1.0, down)):
            chans = channels_varied(card, v, sign)
            out[v.index] = from_channels(chans, edges, escape=esc, widths=[0.0] * len(chans)).kplus
    res = FFVariedSpectra(labels=[v.label for v in variations], up=up, down=down, not_propagated=list(missing))
    if len(_FF_CACHE) > 64:
        _FF_CACHE.clear()
    _FF_CACHE[key] = res
    return res
