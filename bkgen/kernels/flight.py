"""Rays through nested detector boundaries and decay probabilities along them, event by event.

The geometry (cylinders r <= R, z_min <= z <= z_max, or spheres |x| <= R, nested, innermost
first) and the formulas are those of :mod:`bkgen.detector.geometry` and
:mod:`bkgen.detector.displacement`; these loops compute them without per-region temporaries.
Lengths in mm.
"""

from __future__ import annotations

import numpy as np

from .jit import jit


@jit
def _exit_root(a, b, c):
    """Larger root of a s^2 + b s + c = 0 (the exit distance when c <= 0), inf where a = 0, in the
    cancellation-free form."""
    if not a > 0.0:
        return np.inf
    disc = np.sqrt(max(b * b - 4.0 * a * c, 0.0))
    if b > 0.0:
        return -2.0 * c / (b + disc)
    return (-b + disc) / (2.0 * a)


@jit
def exit_distances(origin, direction, spheres, radius, z_min, z_max, out):
    """out[i, k]: distance along the unit vector direction[i] from origin[i] at which the ray
    leaves boundary k (0 if the origin is outside it already; non-decreasing in k)."""
    for i in range(origin.shape[0]):
        ox, oy, oz = origin[i, 0], origin[i, 1], origin[i, 2]
        ux, uy, uz = direction[i, 0], direction[i, 1], direction[i, 2]
        prev = 0.0
        for k in range(radius.shape[0]):
            # a point outside a boundary has left it already; nesting keeps the distances ordered
            prev = max(_exit_one(ox, oy, oz, ux, uy, uz, spheres, radius, z_min, z_max, k), prev)
            out[i, k] = prev


@jit
def region_probabilities(exit_d, decay_length, out):
    """out[i, k] = exp(-d_in/L) - exp(-d_out/L) for the regions k = 0..K (the last one outside,
    d_out = inf), with d_in, d_out from exit_d (n, K) and L = decay_length[i]; 0 where undefined."""
    n_b = exit_d.shape[1]
    for i in range(exit_d.shape[0]):
        lam = decay_length[i]
        d_in = 0.0
        for k in range(n_b + 1):
            d_out = exit_d[i, k] if k < n_b else np.inf
            p = np.exp(-d_in / lam) * -np.expm1(-(d_out - d_in) / lam)
            out[i, k] = p if p == p else 0.0
            d_in = d_out


@jit
def region_index(exit_d, ell, out):
    """out[i]: index of the region holding the point at distance ell[i] along ray i."""
    for i in range(exit_d.shape[0]):
        k = 0
        for j in range(exit_d.shape[1]):
            k += 1 if ell[i] > exit_d[i, j] else 0
        out[i] = k


@jit
def _exit_one(ox, oy, oz, ux, uy, uz, spheres, radius, z_min, z_max, k):
    """Distance along (ux, uy, uz) from (ox, oy, oz) at which the ray leaves boundary k alone (the
    nesting of :func:`exit_distances` is not needed for one boundary)."""
    r2 = radius[k] * radius[k]
    if spheres:
        d = _exit_root(1.0, 2.0 * (ox * ux + oy * uy + oz * uz), ox * ox + oy * oy + oz * oz - r2)
    else:
        d = _exit_root(ux * ux + uy * uy, 2.0 * (ox * ux + oy * uy), ox * ox + oy * oy - r2)
        if uz > 0.0:
            d = min(d, (z_max[k] - oz) / uz)
        elif uz < 0.0:
            d = min(d, (z_min[k] - oz) / uz)
    return max(d, 0.0)


@jit
def mean_escape(pstar, estar, m_y, ctau, n_y, p4b, spheres, radius, z_min, z_max, k, out):
    """out[i] = mean over j of exp(-d_k / (beta gamma c tau)) for Y of mass m_y[i] with rest-frame momentum
    pstar[i] and energy estar[i] in the direction n_y[j] of the rest frame of a parent (the B) of lab
    four-momentum p4b[j], produced at the origin; d_k the exit distance of boundary k along the Y's lab
    direction, beta gamma = |p_lab| / m_y[i] (bkgen.detector.escape)."""
    n = n_y.shape[0]
    for i in range(m_y.shape[0]):
        acc = 0.0
        for j in range(n):
            eb, bx, by, bz = p4b[j, 0], p4b[j, 1], p4b[j, 2], p4b[j, 3]
            mb = np.sqrt(max(eb * eb - bx * bx - by * by - bz * bz, 0.0))
            px, py, pz = pstar[i] * n_y[j, 0], pstar[i] * n_y[j, 1], pstar[i] * n_y[j, 2]
            f = ((px * bx + py * by + pz * bz) / (eb + mb) + estar[i]) / mb
            px += f * bx
            py += f * by
            pz += f * bz
            pm = np.sqrt(px * px + py * py + pz * pz)
            d = _exit_one(0.0, 0.0, 0.0, px / pm, py / pm, pz / pm, spheres, radius, z_min, z_max, k)
            acc += np.exp(-d * m_y[i] / (pm * ctau))
        out[i] = acc / n
