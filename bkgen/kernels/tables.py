"""Piecewise-linear densities on a uniform grid and their exact inverse CDF.

A density tabulated at N+1 equidistant nodes is interpolated linearly between
nodes; sampling inverts the CDF of that interpolant exactly (a quadratic per
cell), so the sample follows the interpolant with no further approximation.
The cell holding a uniform deviate u is found through a guide table (Chen &
Asau, J. Chin. Inst. Eng. 1974; Devroye, "Non-Uniform Random Variate
Generation", 1986, sec. III.2.4): entry j is the cell of u = j/G, from which a
short forward scan reaches the cell of u, on average in O(1) steps.
"""

from __future__ import annotations

import numpy as np

from .jit import jit


def cumulative(pdf: np.ndarray) -> np.ndarray:
    """Normalised CDF at the nodes of a piecewise-linear density along the last axis (unit spacing)."""
    pdf = np.asarray(pdf, dtype=np.float64)
    area = 0.5 * (pdf[..., 1:] + pdf[..., :-1])
    cdf = np.zeros(pdf.shape, dtype=np.float64)
    cdf[..., 1:] = np.cumsum(area, axis=-1)
    total = cdf[..., -1:].copy()
    total[total == 0.0] = 1.0
    return cdf / total


def integral(pdf: np.ndarray) -> np.ndarray:
    """Integral of the piecewise-linear interpolant along the last axis in units of the node spacing."""
    pdf = np.asarray(pdf, dtype=np.float64)
    return 0.5 * (pdf[..., 1:] + pdf[..., :-1]).sum(axis=-1)


def guide_table(cdf: np.ndarray, n_guide: int | None = None) -> np.ndarray:
    """Guide table along the last axis of ``cdf`` (N+1 nodes): entry j is the largest cell index
    i <= N-1 with cdf[i] <= j / G, for j = 0 .. G-1 (G = N by default); int32."""
    cdf = np.asarray(cdf, dtype=np.float64)
    n_cells = cdf.shape[-1] - 1
    g = n_cells if n_guide is None else int(n_guide)
    levels = np.arange(g) / g
    flat = cdf.reshape(-1, cdf.shape[-1])
    out = np.empty((flat.shape[0], g), dtype=np.int32)
    for r, row in enumerate(flat):
        out[r] = np.clip(np.searchsorted(row, levels, side="right") - 1, 0, max(n_cells - 1, 0))
    return out.reshape(cdf.shape[:-1] + (g,))


@jit
def find_cell_guided(cdf, guide, r, u):
    """Largest cell index i <= N-1 with cdf[r, i] <= u (the cell of u in row r), starting from the
    guide entry."""
    g = guide.shape[1]
    j = int(u * g)
    if j >= g:
        j = g - 1
    i = guide[r, j]
    last = cdf.shape[1] - 2
    while i < last and cdf[r, i + 1] <= u:
        i += 1
    return i


@jit
def sample_cell(f0, f1, r):
    """Position xi in [0,1] inside a cell whose linear density goes f0 -> f1, with
    fractional area r in [0,1] to its left: solves f0 xi + (f1-f0) xi^2/2 = r (f0+f1)/2."""
    a = f1 - f0
    target = r * 0.5 * (f0 + f1)
    if abs(a) < 1e-12 * (f0 + f1):
        xi = r
    else:
        disc = f0 * f0 + 2.0 * a * target
        if disc < 0.0:
            disc = 0.0
        # numerically stable root of a/2 xi^2 + f0 xi - target = 0
        xi = 2.0 * target / (f0 + np.sqrt(disc)) if f0 + np.sqrt(disc) > 0.0 else r
    if xi < 0.0:
        xi = 0.0
    elif xi > 1.0:
        xi = 1.0
    return xi


@jit
def sample_pwlinear(pdf, cdf, guide, r, u):
    """Sample the piecewise-linear density in row r of pdf (nodes 0..N, unit spacing) with the CDF
    and guide table of that row; returns a position in [0, N]."""
    i = find_cell_guided(cdf, guide, r, u)
    width = cdf[r, i + 1] - cdf[r, i]
    q = (u - cdf[r, i]) / width if width > 0.0 else 0.5
    return i + sample_cell(pdf[r, i], pdf[r, i + 1], q)
