"""Relativistic kinematics on plain floats: two-body momenta, boosts, rotations."""

from __future__ import annotations

import numpy as np

from .jit import jit


@jit
def two_body_momentum(m, m1, m2):
    """Momentum of either daughter in the rest frame of m -> m1 m2 [GeV] (0 if closed)."""
    a = (m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2)
    if a <= 0.0:
        return 0.0
    return np.sqrt(a) / (2.0 * m)


@jit
def boost(e, px, py, pz, pe, ppx, ppy, ppz, pm):
    """Boost (e, p) from the rest frame of a parent with lab four-momentum (pe, pp) and mass pm.

    Uses gamma = pe/pm directly (no beta), which stays precise for fast parents.
    """
    bp = px * ppx + py * ppy + pz * ppz
    e2 = (pe * e + bp) / pm
    f = (bp / (pe + pm) + e) / pm
    return e2, px + f * ppx, py + f * ppy, pz + f * ppz


@jit
def boost_inv(e, px, py, pz, pe, ppx, ppy, ppz, inv_pm, inv_pe_pm):
    """:func:`boost` with the parent's 1/m and 1/(E + m) precomputed (several daughters of one parent)."""
    bp = px * ppx + py * ppy + pz * ppz
    f = (bp * inv_pe_pm + e) * inv_pm
    return (pe * e + bp) * inv_pm, px + f * ppx, py + f * ppy, pz + f * ppz


@jit
def two_body_energies(m, m1, m2):
    """Daughter energies in the rest frame of m -> m1 m2 [GeV]: E1 = (m^2 + m1^2 - m2^2) / 2m,
    E2 = m - E1 (no square roots; 0 for m = 0)."""
    if m <= 0.0:
        return 0.0, 0.0
    e1 = (m * m + m1 * m1 - m2 * m2) / (2.0 * m)
    return e1, m - e1


@jit
def orthonormal_frame(nx, ny, nz):
    """Two unit vectors e1, e2 orthogonal to the unit vector n, with (e1, e2, n) right-handed and
    continuous in n except at nz = 0 (Duff et al., "Building an orthonormal basis, revisited",
    J. Comput. Graph. Tech. 6 (2017) 1: one division, no square root)."""
    sg = 1.0 if nz >= 0.0 else -1.0
    a = -1.0 / (sg + nz)
    b = nx * ny * a
    return 1.0 + sg * nx * nx * a, sg * b, -sg * nx, b, sg + ny * ny * a, -ny
