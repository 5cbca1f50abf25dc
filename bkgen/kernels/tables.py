"""Piecewise-linear densities on a uniform grid, sampled exactly without a search.

A density tabulated at N+1 equidistant nodes is interpolated linearly between
nodes. A sample follows that interpolant exactly, in two steps with no search,
division or square root:
  1. the cell, with probability proportional to its area (f_i + f_{i+1})/2, by
     Walker's alias method (A. J. Walker, ACM TOMS 3 (1977) 253; tables built
     with M. D. Vose's O(N) construction, IEEE TSE 17 (1991) 972);
  2. the position xi in the cell, whose density f_i (1 - xi) + f_{i+1} xi is the
     mixture of the triangles 2 (1 - xi) (weight f_i) and 2 xi (weight f_{i+1});
     min and max of two uniforms have exactly those densities (L. Devroye,
     "Non-Uniform Random Variate Generation", 1986, ch. I.4).
"""

from __future__ import annotations

import numpy as np

from .jit import jit
from .rng import uniform


def integral(pdf: np.ndarray) -> np.ndarray:
    """Integral of the piecewise-linear interpolant along the last axis in units of the node spacing."""
    pdf = np.asarray(pdf, dtype=np.float64)
    return 0.5 * (pdf[..., 1:] + pdf[..., :-1]).sum(axis=-1)


def alias_table(pdf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker alias tables for the N cells of piecewise-linear densities along the last axis (N+1
    nodes): (probability float64 (..., N), alias int32 (..., N)). A row of zeros gives uniform cells."""
    pdf = np.asarray(pdf, dtype=np.float64)
    area = 0.5 * (pdf[..., 1:] + pdf[..., :-1])
    if area.shape[-1] == 0:  # a single node: nothing to sample
        return np.zeros(area.shape), np.zeros(area.shape, dtype=np.int32)
    flat = np.ascontiguousarray(area.reshape(-1, area.shape[-1]))
    prob = np.empty(flat.shape)
    alias = np.empty(flat.shape, dtype=np.int32)
    n = flat.shape[1]
    _vose(flat, prob, alias, np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64), np.empty(n))
    return prob.reshape(area.shape), alias.reshape(area.shape)


@jit
def _vose(area, prob, alias, small, large, p):
    """Vose's construction, row by row: cells below the mean area are topped up from one above it.
    small, large (int64) and p (float64), each as long as a row, are work space: the stacks of cells
    below and at/above the mean area, and the scaled areas. (No array is allocated here: numba's
    allocation routines would be loaded with the kernel, some 0.1 s of a warm start-up.)"""
    n = area.shape[1]
    for r in range(area.shape[0]):
        total = 0.0
        for j in range(n):
            total += area[r, j]
        for j in range(n):
            p[j] = area[r, j] * n / total if total > 0.0 else 1.0
            alias[r, j] = j
        ns = 0
        nl = 0
        for j in range(n):
            if p[j] < 1.0:
                small[ns] = j
                ns += 1
            else:
                large[nl] = j
                nl += 1
        while ns > 0 and nl > 0:
            ns -= 1
            nl -= 1
            s = small[ns]
            g = large[nl]
            prob[r, s] = p[s]
            alias[r, s] = g
            p[g] = (p[g] + p[s]) - 1.0
            if p[g] < 1.0:
                small[ns] = g
                ns += 1
            else:
                large[nl] = g
                nl += 1
        for k in range(nl):  # left over: exactly 1 up to rounding
            prob[r, large[k]] = 1.0
        for k in range(ns):
            prob[r, small[k]] = 1.0


@jit
def sample_pwlinear(pdf, prob, alias, r, st):
    """Sample the piecewise-linear density in row r of pdf (nodes 0..N, unit spacing) with that row's
    alias tables; returns a position in [0, N]. Uses four uniforms of the RNG state st. Written
    without branches (selects by arithmetic on comparisons): a branch here makes numba keep
    reference-count updates of the array arguments on every call."""
    n = prob.shape[1]
    v = uniform(st) * n
    a = uniform(st)
    b = uniform(st)
    coin = uniform(st)
    j = min(int(v), n - 1)
    keep = v - j < prob[r, j]  # the fraction of u*N is the alias coin
    i = j * keep + alias[r, j] * (1 - keep)
    f0 = pdf[r, i]
    f1 = pdf[r, i + 1]
    lo = min(a, b)
    hi = max(a, b)
    upper = coin * (f0 + f1) < f1  # the 2 xi triangle (weight f1), else 2 (1 - xi) (weight f0)
    return i + lo + (hi - lo) * upper
