"""The kernel's elementary samplers against exact densities (fixed seeds, chi^2 with p > 1e-4)
and the guided inverse-CDF search against numpy.searchsorted."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from bkgen.kernels import cascade as K
from bkgen.kernels.rng import block_states, uniform, unit_circle, unit_sphere
from bkgen.kernels.tables import cumulative, find_cell_guided, guide_table, sample_pwlinear
from helpers import chi2_pvalue

P_MIN = 1e-4
N = 200_000


def _state(seed):
    return block_states(seed, 0, 1)[0].copy()


@numba.njit
def _circle(st, n):
    out = np.empty((n, 2))
    for i in range(n):
        out[i, 0], out[i, 1] = unit_circle(st)
    return out


@numba.njit
def _sphere(st, n):
    out = np.empty((n, 3))
    for i in range(n):
        out[i, 0], out[i, 1], out[i, 2] = unit_sphere(st)
    return out


@numba.njit
def _cos_sin2(st, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = K._sample_cos_sin2(st)
    return out


@numba.njit
def _cos_pair(st, w, n):
    out = np.empty(n)
    trials = 0
    over = 0
    for i in range(n):
        out[i], t, o = K._cos_pair_spin0(st, w)
        trials += t
        over += o
    return out, trials, over


@numba.njit
def _pwlinear(st, pdf, cdf, guide, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = sample_pwlinear(pdf, cdf, guide, 0, uniform(st))
    return out


def test_unit_circle_uniform_azimuth():
    cs = _circle(_state(1), N)
    np.testing.assert_allclose(np.hypot(cs[:, 0], cs[:, 1]), 1.0, rtol=0, atol=1e-14)
    phi = np.arctan2(cs[:, 1], cs[:, 0])
    counts = np.histogram(phi, np.linspace(-np.pi, np.pi, 37))[0]
    assert chi2_pvalue(counts, np.full(36, N / 36)) > P_MIN


def test_unit_sphere_isotropic():
    v = _sphere(_state(2), N)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=0, atol=1e-14)
    counts = np.histogram(v[:, 2], np.linspace(-1, 1, 41))[0]
    assert chi2_pvalue(counts, np.full(40, N / 40)) > P_MIN
    counts = np.histogram(np.arctan2(v[:, 1], v[:, 0]), np.linspace(-np.pi, np.pi, 41))[0]
    assert chi2_pvalue(counts, np.full(40, N / 40)) > P_MIN
    # joint uniformity: the octants are equally populated
    octant = (v[:, 0] > 0) * 4 + (v[:, 1] > 0) * 2 + (v[:, 2] > 0)
    assert chi2_pvalue(np.bincount(octant, minlength=8), np.full(8, N / 8)) > P_MIN


def test_sin2_polar_angle():
    c = _cos_sin2(_state(3), N)
    edges = np.linspace(-1, 1, 41)
    cdf = 0.75 * (edges - edges**3 / 3)  # integral of (3/4)(1 - c^2)
    counts = np.histogram(c, edges)[0]
    assert chi2_pvalue(counts, N * np.diff(cdf)) > P_MIN


@pytest.mark.parametrize("w", [(1.0, 0.0, 0.0), (0.2, 0.5, 0.3), (0.0, 1.0, 0.0)])
def test_spin0_pair_angle_matches_angular_weight(w):
    """cos theta_Y for a spin-0 meson against the density of angular_weight (j_M = 0, spin-1 Y),
    integrated numerically bin by bin."""
    w = np.asarray(w)
    c, trials, over = _cos_pair(_state(4), w, N)
    assert over == 0
    h = np.array([0.0, 1.0, 0.0])
    edges = np.linspace(-1, 1, 41)
    fine = np.linspace(-1, 1, 40 * 64 + 1)
    dens = np.array([K.angular_weight(h, w, 0, 1, 1.0, 0.0, x, np.sqrt(max(1 - x * x, 0.0)), 1.0, 0.0)[0]
                     for x in fine])
    seg = 0.5 * (dens[1:] + dens[:-1]) * np.diff(fine)
    expected = seg.reshape(40, 64).sum(axis=1)
    counts = np.histogram(c, edges)[0]
    assert chi2_pvalue(counts, N * expected / expected.sum()) > P_MIN
    # mean acceptance = <W> / bound
    bound = max(w[1], 0.5 * (w[0] + w[2]))
    mean = (w[1] / 3 + (w[0] + w[2]) / 3)
    assert N / trials == pytest.approx(mean / bound, rel=0.01)


def test_guided_search_finds_the_cell_of_u():
    rng = np.random.default_rng(5)
    pdf = rng.uniform(0, 1, (4, 301))
    pdf[1, 50:120] = 0.0  # flat stretches of the CDF
    pdf[2, :200] = 0.0
    pdf[3, 250:] = 0.0
    cdf = cumulative(pdf)
    guide = guide_table(cdf)
    u = np.concatenate([rng.uniform(0, 1, 20000), np.unique(cdf), np.arange(300) / 300])
    u = u[u < 1.0]
    for r in range(4):
        got = np.array([find_cell_guided(cdf, guide, r, x) for x in u])
        # the cell of u: the largest node index i <= N-1 with cdf[i] <= u
        ref = np.minimum(np.searchsorted(cdf[r], u, side="right") - 1, cdf.shape[1] - 2)
        np.testing.assert_array_equal(got, ref)
        assert np.all(cdf[r, got] <= u)


def test_pwlinear_sampling_follows_interpolant():
    """Positions sampled from a piecewise-linear density: counts per cell match the cell areas."""
    nodes = np.linspace(0, 1, 65)
    pdf = (1 + 3 * nodes**2)[None, :]
    cdf = cumulative(pdf)
    guide = guide_table(cdf)
    st = _state(6)

    x = _pwlinear(st, pdf, cdf, guide, N)
    counts = np.histogram(x, np.arange(65))[0]
    area = 0.5 * (pdf[0, 1:] + pdf[0, :-1])
    assert chi2_pvalue(counts, N * area / area.sum()) > P_MIN
    # inside one cell the density is linear: split the steepest cell in halves
    i = 63
    inside = x[(x >= i) & (x < i + 1)] - i
    f0, f1 = pdf[0, i], pdf[0, i + 1]
    left = (f0 * 0.5 + (f1 - f0) * 0.125) / (0.5 * (f0 + f1))
    assert np.mean(inside < 0.5) == pytest.approx(left, abs=4 / np.sqrt(len(inside)))
