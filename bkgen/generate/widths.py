"""Partial widths of a model's channels, integrated adaptively (no numba, no tables).

Each channel's density is integrated on a grid in
  x = arctan((m_M^2 - m0^2) / (m0 Gamma0))        (meson line shape; one node if no line shape)
  t in [0, 1] with q^2 = q^2_lo + (q^2_hi(m_M) - q^2_lo) sin^2(pi t / 2)   (one node if q^2 is fixed),
  or for a Breit-Wigner mediator Y: q^2 = m_Y^2 + m_Y Gamma_Y tan(y), y linear in t
where both maps flatten the integrand: the Breit-Wigner peak in x; in t the map is
quadratic at both ends, so threshold factors such as sqrt(q^2 - 4 m^2) or
1/sqrt(q^2 - 4 m^2) and endpoint factors lambda^{1/2}, lambda^{3/2} become smooth.
The generator's tables use the same maps (:mod:`bkgen.generate.tables`).

Widths are tensor products of composite Gauss-Legendre rules in (x, u), t = (1 - cos(pi u))/2
(which makes square-root behaviour at the ends of the t range, e.g. a threshold or endpoint seen
through the Breit-Wigner map, analytic): each interval split into
P equal panels with a GL_ORDER-point rule on each, N = P GL_ORDER points per dimension. Starting
from P = 1 the panels are doubled until |I(2N) - I(N)| <= WIDTH_RTOL |I(2N)|, up to
GL_POINTS_MAX_1D points for a 1-D integral (q^2 only) and GL_POINTS_MAX_2D per dimension for a 2-D
one (meson line shape and q^2), or until that difference is below WIDTH_RTOL_TOTAL times the total
width of the decay (a channel below 1e-3 of the total needs no more). The width is I(2N), its error estimate |I(2N) - I(N)|. A channel
that does not reach the accuracy is bad input (InputError naming the channel and the accuracy
reached), e.g. a wide mediator over the narrow omega/phi structures of the hadronic R ratio
(README "Known limitations").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InputError
from ..physics.models.base import Channel

#: relative accuracy every channel width is integrated to: |I(2N) - I(N)| <= WIDTH_RTOL |I(2N)| ...
WIDTH_RTOL = 1e-6
#: ... or <= WIDTH_RTOL_TOTAL x the decay's total width, whichever is larger (channels below 1e-3 of
#: the total, e.g. hadronic modes of a mediator that decays to dark matter, need no more)
WIDTH_RTOL_TOTAL = 1e-9
#: points of the Gauss-Legendre rule on one panel (the first estimate I(N) has one panel)
GL_ORDER = 96
#: largest number of points of a 1-D width integral (256 panels)
GL_POINTS_MAX_1D = 256 * GL_ORDER
#: largest number of points per dimension of a 2-D width integral (16 panels; 1536^2 evaluations)
GL_POINTS_MAX_2D = 16 * GL_ORDER


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
        hi = self.ch.q2_hi(m_meson)
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


@lru_cache(maxsize=None)
def _legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def _gauss_legendre(n, a, b):
    """n-point Gauss-Legendre nodes and weights on [a, b]."""
    z, w = _legendre(n)
    return 0.5 * (b - a) * z + 0.5 * (b + a), 0.5 * (b - a) * w


def composite_gauss_legendre(n: int, a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of n points on [a, b]: ceil(n / GL_ORDER) equal panels of GL_ORDER points
    when n is a multiple of GL_ORDER, else one n-point rule."""
    if n <= GL_ORDER or n % GL_ORDER:
        return _gauss_legendre(n, a, b)
    panels = n // GL_ORDER
    z, w = _legendre(GL_ORDER)
    edges = np.linspace(a, b, panels + 1)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[1:] + edges[:-1])
    return (mid[:, None] + half[:, None] * z[None, :]).ravel(), (half[:, None] * w[None, :]).ravel()


def integrate_width(ch: Channel, n: int) -> float:
    """Partial width Gamma [GeV] of ``ch`` with n Gauss-Legendre points per dimension (one rule, or
    panels of GL_ORDER points, :func:`composite_gauss_legendre`); the line shape is normalised to 1
    over its window with the same rule."""
    grid = ChannelGrid(ch)
    if grid.has_line_shape:
        xs, wxs = composite_gauss_legendre(n, *grid.x_range())
    else:
        xs, wxs = np.zeros(1), np.ones(1)
    if grid.has_q2:
        # endpoint smoothing t = (1 - cos(pi u))/2: square-root behaviour at t = 0, 1 (thresholds and
        # endpoints seen through a Breit-Wigner map) becomes analytic in u
        us, wus = composite_gauss_legendre(n, 0.0, 1.0)
        ts, wts = 0.5 * (1.0 - np.cos(np.pi * us)), wus * 0.5 * np.pi * np.sin(np.pi * us)
    else:
        ts, wts = np.zeros(1), np.ones(1)
    xx, tt = np.meshgrid(xs, ts, indexing="ij")
    f, _, _ = grid.density(xx, tt)
    total = np.einsum("i,j,ij->", wxs, wts, f)
    if grid.has_line_shape:
        total /= np.dot(wxs, grid.line_shape_x(xs))
    return float(total)


def line_shape_norm(ch: Channel, n: int = 384) -> float:
    """Integral of the channel's meson line shape over its window in x (1 without a line shape)."""
    if ch.line_shape is None:
        return 1.0
    grid = ChannelGrid(ch)
    x, w = _gauss_legendre(n, *grid.x_range())
    return float(np.dot(w, grid.line_shape_x(x)))


def channel_width(ch: Channel, n: int = GL_ORDER) -> tuple[float, float]:
    """Partial width Gamma [GeV] at a fixed order, I(2n), and the error estimate |I(2n) - I(n)|."""
    fine, coarse = integrate_width(ch, 2 * n), integrate_width(ch, n)
    return fine, abs(fine - coarse)


@dataclass(frozen=True)
class Width:
    """An adaptively integrated partial width."""

    value: float  # GeV
    error: float  # |I(2N) - I(N)| [GeV]
    order: int  # 2N: Gauss-Legendre points per dimension of ``value``


def adaptive_width(ch: Channel, rtol: float = WIDTH_RTOL, decay: str = "", atol: float = 0.0,
                   first: tuple[float, float] | None = None) -> Width:
    """Partial width of ``ch`` [GeV] to relative accuracy ``rtol``, or to the absolute accuracy ``atol``
    [GeV] if that is larger (module docstring); InputError naming the channel and the accuracy reached
    if the largest rule is not enough. ``first``: (I(GL_ORDER), I(2 GL_ORDER)) if already known."""
    grid = ChannelGrid(ch)
    if not (grid.has_q2 or grid.has_line_shape):  # no integral: the rate at the fixed q^2
        value = integrate_width(ch, 1)
        _check_finite(ch, value, decay)
        return Width(value, 0.0, 1)
    n_max = GL_POINTS_MAX_2D if (grid.has_q2 and grid.has_line_shape) else GL_POINTS_MAX_1D
    n = GL_ORDER
    coarse, fine = first if first is not None else (integrate_width(ch, n), integrate_width(ch, 2 * n))
    while True:
        _check_finite(ch, fine, decay)
        err = abs(fine - coarse)
        if err <= max(rtol * abs(fine), atol):
            return Width(fine, err, 2 * n)
        if 2 * n >= n_max:
            where = f"process.decay = {decay!r}: " if decay else ""
            raise InputError(
                f"{where}the width of channel {ch.label!r} reached a relative accuracy of {err / abs(fine):.1e} "
                f"with {2 * n} Gauss-Legendre points per dimension; allowed: parameters where it reaches "
                f"{rtol:g} (e.g. a narrower mediator)")
        n *= 2
        coarse, fine = fine, integrate_width(ch, 2 * n)


def decay_widths(channels: list[Channel], rtol: float = WIDTH_RTOL, decay: str = "") -> list[Width]:
    """Widths of all channels of a decay: each to relative accuracy ``rtol``, or to WIDTH_RTOL_TOTAL
    of the decay's total width if that is larger (a channel far below the total needs no more)."""
    first = [(integrate_width(ch, GL_ORDER), integrate_width(ch, 2 * GL_ORDER)) for ch in channels]
    atol = WIDTH_RTOL_TOTAL * sum(abs(f) for _, f in first if math.isfinite(f))
    return [adaptive_width(ch, rtol, decay, atol, f) for ch, f in zip(channels, first)]


def _check_finite(ch: Channel, value: float, decay: str) -> None:
    if not math.isfinite(value):
        where = f"process.decay = {decay!r}: " if decay else ""
        raise InputError(f"{where}the width of channel {ch.label!r} is not finite ({value!r}); allowed: "
                         "parameters where the channel's rate is finite")
