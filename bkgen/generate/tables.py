"""From a model's channels to the kernel's tables.

Each channel's density is tabulated on the (x, t) grid of :class:`bkgen.generate.widths.ChannelGrid`
(the maps that flatten the Breit-Wigner peaks, thresholds and endpoints); widths and their errors
are in :mod:`bkgen.generate.widths`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels import cascade as K
from ..kernels.tables import alias_table, integral
from ..physics.models.base import Channel
from .widths import ChannelGrid, _gauss_legendre, channel_width  # noqa: F401 (re-exported)

#: grid sizes (nodes) of the sampling tables
N_X_NODES = 257
N_T_NODES = 1025
#: t nodes when a line shape is tabulated too (2-D tables)
N_T_NODES_2D = 257
#: smallest t at which densities are evaluated (avoids 0 * inf at thresholds)
T_MIN = 1e-6


@dataclass
class KernelTables:
    """Stacked tables of all channels of a decay, ready for the kernel."""

    ch_cum: np.ndarray
    cpar: np.ndarray  # per channel
    table_of: np.ndarray  # per channel: its row in the density, amplitude and alias tables below
    mx_pdf: np.ndarray
    ft_pdf: np.ndarray
    hel: np.ndarray
    pw: np.ndarray
    max_interp_error: float  # fraction of probability displaced by the interpolant (L1, cell centres)
    # alias tables of the cells (kernels.tables.alias_table), derived from the densities
    mx_prob: np.ndarray = field(init=False, repr=False)
    mx_alias: np.ndarray = field(init=False, repr=False)
    ft_prob: np.ndarray = field(init=False, repr=False)
    ft_alias: np.ndarray = field(init=False, repr=False)
    t_nodes: np.ndarray = field(init=False, repr=False)  # sin, cos of (pi/2) t at the t nodes (q^2 map 1)

    def __post_init__(self):
        self.mx_prob, self.mx_alias = alias_table(self.mx_pdf)
        self.ft_prob, self.ft_alias = alias_table(self.ft_pdf)
        n_t = self.ft_pdf.shape[-1]
        angle = 0.5 * np.pi * np.linspace(0.0, 1.0, n_t) if n_t > 1 else np.zeros(1)
        self.t_nodes = np.ascontiguousarray(np.stack([np.sin(angle), np.cos(angle)]))

    def ft_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """ft_pdf, ft_prob, ft_alias as the kernel takes them: 2-D views with rows (channel, x node)."""
        rows = self.ft_pdf.shape[0] * self.ft_pdf.shape[1]
        return tuple(a.reshape(rows, a.shape[-1]) for a in (self.ft_pdf, self.ft_prob, self.ft_alias))


def build_tables(channels: list[Channel], widths: list[float]) -> KernelTables:
    """Tabulate every channel on the common (x, t) grid shape of the decay's topology."""
    grids = [ChannelGrid(c) for c in channels]
    n_x = N_X_NODES if grids[0].has_line_shape else 1
    n_t = (N_T_NODES_2D if n_x > 1 else N_T_NODES) if grids[0].has_q2 else 1
    n_ch = len(channels)
    cpar = np.zeros((n_ch, K.N_CHANNEL_PARAMS))
    mx_pdf = np.zeros((n_ch, n_x))
    ft_pdf = np.zeros((n_ch, n_x, n_t))
    # complex helicity amplitudes (relative phases: the T-odd sin chi, sin 2chi terms): real parts in columns
    # 0-2, imaginary parts in 3-5 (kernels.cascade reads 6 columns when present)
    hel_of = [None] * n_ch
    pw = np.zeros((n_ch, n_x, n_t, 3))
    worst = 0.0
    for c, (ch, grid) in enumerate(zip(channels, grids)):
        if grid.has_line_shape:
            x_lo, x_hi = grid.x_range()
            xs = np.linspace(x_lo, x_hi, n_x)
        else:
            x_lo = x_hi = 0.0
            xs = np.zeros(1)
        ts = np.linspace(0.0, 1.0, n_t) if n_t > 1 else np.zeros(1)
        t_eval = np.maximum(ts, T_MIN) if n_t > 1 else ts
        xx, tt = np.meshgrid(xs, t_eval, indexing="ij")
        f, q2, m = grid.density(xx, tt)
        if not np.all(np.isfinite(f)) or np.any(f < 0):
            raise ValueError(f"density of channel {ch.label!r} is not finite and non-negative on its grid")
        ft_pdf[c] = f
        mx_pdf[c] = integral(f) if n_t > 1 else f[:, 0]
        hel_of[c] = ch.helicity(q2, m)
        pw[c] = ch.pair_weights(q2, m)
        if np.any(pw[c] < 0):
            raise ValueError(f"pair-helicity weights of channel {ch.label!r} are negative: the angular density is unphysical")
        worst = max(worst, _interp_error(grid, xs, ts, f))
        ls = ch.line_shape
        y1, y2 = ch.y_daughter_masses
        md = (0.0, 0.0) if ch.meson_daughters is None else tuple(
            abs(_m) for _m in (_mass(ch.meson_daughters[0]), _mass(ch.meson_daughters[1]))
        )
        row = cpar[c]
        row[K.P_M_MASS0] = ch.m_meson
        row[K.P_M_LS] = 1.0 if ls is not None else 0.0
        row[K.P_M0G0] = ls.m0 * ls.gamma0 if ls is not None else 0.0
        row[K.P_M_POLE] = ls.m0 if ls is not None else ch.m_meson
        row[K.P_X_LO], row[K.P_X_HI] = x_lo, x_hi
        row[K.P_S_MODE] = (2.0 if ch.y_breit_wigner is not None else 1.0) if grid.has_q2 else 0.0
        if ch.y_breit_wigner is not None:
            row[K.P_Y_POLE] = ch.y_breit_wigner[0]
            row[K.P_Y_M0G0] = ch.y_breit_wigner[0] * ch.y_breit_wigner[1]
        row[K.P_S_FIXED] = ch.q2_fixed if ch.q2_fixed is not None else 0.0
        row[K.P_S_LO] = ch.q2_lo
        row[K.P_S_HI] = ch.q2_window[1] if ch.q2_window is not None else np.inf
        row[K.P_M_DECAYS] = 1.0 if ch.meson_daughters is not None else 0.0
        row[K.P_M1], row[K.P_M2] = md
        row[K.P_Y_MODE] = ch.y_mode
        row[K.P_Y1], row[K.P_Y2] = y1, y2
        row[K.P_J_M] = ch.j_meson
        row[K.P_Y_CTAU] = ch.y_ctau
        row[K.P_WEAK] = 1.0 if ch.weak_phases else 0.0
    cplx = any(np.iscomplexobj(h) and np.any(np.imag(h) != 0.0) for h in hel_of)
    hel = np.zeros((n_ch, n_x, n_t, 6 if cplx else 3))
    for c, h in enumerate(hel_of):
        hel[c, ..., :3] = np.real(h)
        if cplx:
            hel[c, ..., 3:] = np.imag(h)
    w = np.asarray(widths, dtype=float)
    ch_cum = np.cumsum(w) / w.sum()
    ch_cum[-1] = 1.0
    # channels with identical tables (e.g. the three neutrino flavours) share one copy: a smaller
    # footprint keeps the kernel's random table reads in cache
    table_of = np.zeros(n_ch, dtype=np.int64)
    unique: list[int] = []
    for c in range(n_ch):
        row = next((k for k, u in enumerate(unique)
                    if all(np.array_equal(a[c], a[u]) for a in (mx_pdf, ft_pdf, hel, pw))), None)
        if row is None:
            row = len(unique)
            unique.append(c)
        table_of[c] = row
    return KernelTables(
        ch_cum=ch_cum, cpar=cpar, table_of=table_of, mx_pdf=mx_pdf[unique], ft_pdf=ft_pdf[unique],
        hel=hel[unique], pw=pw[unique], max_interp_error=worst,
    )


def _mass(pdg):
    from ..physics.inputs import mass

    return mass(abs(pdg))


def _interp_error(grid: ChannelGrid, xs, ts, f) -> float:
    """L1 deviation sum|interp - true| / sum(true) of the bilinear interpolant at cell centres: the
    fraction of probability the tables misplace."""
    if len(ts) < 2 and len(xs) < 2:
        return 0.0
    xm = 0.5 * (xs[1:] + xs[:-1]) if len(xs) > 1 else xs
    tm = 0.5 * (ts[1:] + ts[:-1]) if len(ts) > 1 else ts
    xx, tt = np.meshgrid(xm, tm, indexing="ij")
    true, _, _ = grid.density(xx, tt)
    if len(xs) > 1 and len(ts) > 1:
        interp = 0.25 * (f[1:, 1:] + f[1:, :-1] + f[:-1, 1:] + f[:-1, :-1])
    elif len(xs) > 1:
        interp = 0.5 * (f[1:] + f[:-1])
    else:
        interp = 0.5 * (f[:, 1:] + f[:, :-1])
    scale = np.sum(np.abs(true))
    return float(np.sum(np.abs(interp - true)) / scale) if scale > 0 else 0.0
