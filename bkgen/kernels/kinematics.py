"""Relativistic kinematics on plain floats: two-body momenta, boosts, rotations."""

from __future__ import annotations

import numpy as np

from .jit import jit


@jit
def boost(e, px, py, pz, pe, ppx, ppy, ppz, pm):
    """Boost (e, p) from the rest frame of a parent with lab four-momentum (pe, pp) and mass pm.

    Uses gamma = pe/pm directly (no beta), which stays precise for fast parents.
    """
    return boost_inv(e, px, py, pz, pe, ppx, ppy, ppz, 1.0 / pm, 1.0 / (pe + pm))


@jit
def boost_inv(e, px, py, pz, pe, ppx, ppy, ppz, inv_pm, inv_pe_pm):
    """:func:`boost` with the parent's 1/m and 1/(E + m) precomputed (several daughters of one parent)."""
    bp = px * ppx + py * ppy + pz * ppz
    f = (bp * inv_pe_pm + e) * inv_pm
    return (pe * e + bp) * inv_pm, px + f * ppx, py + f * ppy, pz + f * ppz


@jit
def two_body_rest_frame(m, inv_m, m1, m2):
    """(|p|, E1, E2) of m -> m1 m2 in the rest frame of m, given 1/m (one division saved per call
    when the parent's 1/m is needed anyway, e.g. for the boost) [GeV]; |p| = 0 if closed."""
    msq = m * m
    a = (msq - (m1 + m2) ** 2) * (msq - (m1 - m2) ** 2)
    q = np.sqrt(a) * (0.5 * inv_m) if a > 0.0 else 0.0
    e1 = (msq + m1 * m1 - m2 * m2) * (0.5 * inv_m)
    return q, e1, m - e1


@jit
def orthonormal_frame(nx, ny, nz):
    """Two unit vectors e1, e2 orthogonal to the unit vector n, with (e1, e2, n) right-handed and
    continuous in n except at nz = 0 (Duff et al., "Building an orthonormal basis, revisited",
    J. Comput. Graph. Tech. 6 (2017) 1: one division, no square root)."""
    sg = 1.0 if nz >= 0.0 else -1.0
    a = -1.0 / (sg + nz)
    b = nx * ny * a
    return 1.0 + sg * nx * nx * a, sg * b, -sg * nx, b, sg + ny * ny * a, -ny
