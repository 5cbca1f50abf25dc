"""From a model's channels to the kernel's tables, widths and their errors.

Each channel's density is tabulated on a grid in
  x = arctan((m_M^2 - m0^2) / (m0 Gamma0))        (meson line shape; one node if no line shape)
  t in [0, 1] with q^2 = q^2_lo + (q^2_hi(m_M) - q^2_lo) sin^2(pi t / 2)   (one node if q^2 is fixed),
  or for a Breit-Wigner mediator Y: q^2 = m_Y^2 + m_Y Gamma_Y tan(y), y linear in t
where both maps flatten the integrand: the Breit-Wigner peak in x; in t the map is
quadratic at both ends, so threshold factors such as sqrt(q^2 - 4 m^2) or
1/sqrt(q^2 - 4 m^2) and endpoint factors lambda^{1/2}, lambda^{3/2} become smooth.
Widths are integrated with tensor Gauss-Legendre rules in (x, t); the error
estimate is the difference between N and 2N points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels import cascade as K
from ..kernels.tables import alias_table, integral
from ..physics.models.base import Channel

#: grid sizes (nodes) of the sampling tables
N_X_NODES = 257
N_T_NODES = 1025
#: t nodes when a line shape is tabulated too (2-D tables)
N_T_NODES_2D = 257
#: smallest t at which densities are evaluated (avoids 0 * inf at thresholds)
T_MIN = 1e-6


@dataclass
class ChannelGrid:
    """Maps between (x, t) and (m_M, q^2) for one channel, with Jacobians."""

    ch: Channel

    @property
    def has_line_shape(self) -> bool:
        return self.ch.line_shape is not None

    @property
    def has_q2(self) -> bool:
        return self.ch.q2_fixed is None

    def x_range(self) -> tuple[float, float]:
        ls = self.ch.line_shape
        g = ls.m0 * ls.gamma0
        return np.arctan((ls.m_lo**2 - ls.m0**2) / g), np.arctan((ls.m_hi**2 - ls.m0**2) / g)

    def meson_mass(self, x):
        ls = self.ch.line_shape
        return np.sqrt(ls.m0**2 + ls.m0 * ls.gamma0 * np.tan(x))

    def line_shape_x(self, x):
        """Line-shape density per unit x: rho(m^2) dm^2/dx."""
        ls = self.ch.line_shape
        m2 = ls.m0**2 + ls.m0 * ls.gamma0 * np.tan(x)
        return ls.density_m2(m2) * ls.m0 * ls.gamma0 / np.cos(x) ** 2

    def q2(self, t, m_meson):
        """q^2(t) and dq^2/dt for the channel's map (sin^2, or arctan for a Breit-Wigner Y)."""
        lo = self.ch.q2_lo
        hi = (self.ch.m_parent - m_meson) ** 2
        if self.ch.y_breit_wigner is None:
            return lo + (hi - lo) * np.sin(0.5 * np.pi * t) ** 2, 0.5 * np.pi * np.sin(np.pi * t) * (hi - lo)
        m0, g0 = self.ch.y_breit_wigner
        mg = m0 * g0
        y_lo = np.arctan((lo - m0 * m0) / mg)
        y_hi = np.arctan((hi - m0 * m0) / mg)
        y = y_lo + (y_hi - y_lo) * t
        return m0 * m0 + mg * np.tan(y), (y_hi - y_lo) * mg / np.cos(y) ** 2

    def density(self, x, t):
        """Target density in (x, t) [GeV] and the (q^2, m_M) it corresponds to."""
        if self.has_line_shape:
            m = self.meson_mass(x)
            wx = self.line_shape_x(x)
        else:
            m = np.full(np.shape(x), self.ch.m_meson)
            wx = np.ones(np.shape(x))
        if self.has_q2:
            q2, jac = self.q2(t, m)
            f = self.ch.rate(q2, m) * jac
        else:
            q2 = np.full(np.shape(x), self.ch.q2_fixed)
            f = self.ch.rate(q2, m)
        return wx * f, q2, m


def _gauss_legendre(n, a, b):
    z, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * z + 0.5 * (b + a), 0.5 * (b - a) * w


def channel_width(ch: Channel, n: int = 96) -> tuple[float, float]:
    """Partial width Gamma [GeV] (line shape normalised to 1 over its window) and an error estimate."""
    grid = ChannelGrid(ch)

    def integrate(k):
        if grid.has_line_shape:
            xs, wxs = _gauss_legendre(k, *grid.x_range())
        else:
            xs, wxs = np.zeros(1), np.ones(1)
        if grid.has_q2:
            ts, wts = _gauss_legendre(k, 0.0, 1.0)
        else:
            ts, wts = np.zeros(1), np.ones(1)
        xx, tt = np.meshgrid(xs, ts, indexing="ij")
        f, _, _ = grid.density(xx, tt)
        total = np.einsum("i,j,ij->", wxs, wts, f)
        if grid.has_line_shape:
            norm = np.dot(wxs, grid.line_shape_x(xs))
            total /= norm
        return total

    fine, coarse = integrate(2 * n), integrate(n)
    return float(fine), float(abs(fine - coarse))


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


def build_tables(channels: list[Channel], widths: list[float]) -> KernelTables:
    """Tabulate every channel on the common (x, t) grid shape of the decay's topology."""
    grids = [ChannelGrid(c) for c in channels]
    n_x = N_X_NODES if grids[0].has_line_shape else 1
    n_t = (N_T_NODES_2D if n_x > 1 else N_T_NODES) if grids[0].has_q2 else 1
    n_ch = len(channels)
    cpar = np.zeros((n_ch, K.N_CHANNEL_PARAMS))
    mx_pdf = np.zeros((n_ch, n_x))
    ft_pdf = np.zeros((n_ch, n_x, n_t))
    hel = np.zeros((n_ch, n_x, n_t, 3))
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
        hel[c] = ch.helicity(q2, m)
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
        row[K.P_M_DECAYS] = 1.0 if ch.meson_daughters is not None else 0.0
        row[K.P_M1], row[K.P_M2] = md
        row[K.P_Y_MODE] = ch.y_mode
        row[K.P_Y1], row[K.P_Y2] = y1, y2
        row[K.P_J_M] = ch.j_meson
        row[K.P_Y_CTAU] = ch.y_ctau
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
