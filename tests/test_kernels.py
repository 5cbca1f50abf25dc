"""The kernel's elementary samplers against exact densities (fixed seeds, chi^2 with p > 1e-4),
and the alias tables against the cell areas they encode."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from bkgen.kernels import cascade as K
from bkgen.kernels.rng import block_states, cos_cos2, cos_sin2, unit_circle, unit_sphere
from bkgen.kernels.tables import alias_table, sample_pwlinear
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
def _draws(sampler, st, n):
    """n draws of a scalar sampler(st)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = sampler(st)
    return out


@numba.njit
def _cos_pair(st, w, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = K._cos_pair_spin0(st, w[0], w[1], w[2])
    return out


@numba.njit
def _pwlinear(st, pdf, prob, alias, row, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = sample_pwlinear(pdf, prob, alias, row, st)
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
    c = _draws(cos_sin2, _state(3), N)
    edges = np.linspace(-1, 1, 41)
    cdf = 0.75 * (edges - edges**3 / 3)  # integral of (3/4)(1 - c^2)
    counts = np.histogram(c, edges)[0]
    assert chi2_pvalue(counts, N * np.diff(cdf)) > P_MIN


def test_cos2_polar_angle():
    c = _draws(cos_cos2, _state(13), N)
    edges = np.linspace(-1, 1, 41)
    cdf = 0.5 * (edges**3 + 1)  # integral of (3/2) c^2
    counts = np.histogram(c, edges)[0]
    assert chi2_pvalue(counts, N * np.diff(cdf)) > P_MIN


@pytest.mark.parametrize("w", [(1.0, 0.0, 0.0), (0.2, 0.5, 0.3), (0.0, 1.0, 0.0)])
def test_spin0_pair_angle_matches_angular_weight(w):
    """cos theta_Y for a spin-0 meson against the density of angular_weight (j_M = 0, spin-1 Y),
    integrated numerically bin by bin."""
    w = np.asarray(w)
    c = _cos_pair(_state(4), w, N)
    h = np.array([0.0, 1.0, 0.0])
    edges = np.linspace(-1, 1, 41)
    fine = np.linspace(-1, 1, 40 * 64 + 1)
    dens = np.array([K.angular_weight(h, w, 0, 1, 1.0, 0.0, x, np.sqrt(max(1 - x * x, 0.0)), 1.0, 0.0)[0]
                     for x in fine])
    seg = 0.5 * (dens[1:] + dens[:-1]) * np.diff(fine)
    expected = seg.reshape(40, 64).sum(axis=1)
    counts = np.histogram(c, edges)[0]
    assert chi2_pvalue(counts, N * expected / expected.sum()) > P_MIN


def _wigner_d1(lam, sig, theta):
    """d^1_{lam sig}(theta), the closed forms of the PDG RPP 'Clebsch-Gordan coefficients' table."""
    c, s = np.cos(theta), np.sin(theta)
    table = {(1, 1): (1 + c) / 2, (1, 0): -s / np.sqrt(2), (1, -1): (1 - c) / 2, (0, 0): c}
    if (lam, sig) in table:
        return table[(lam, sig)]
    if (-sig, -lam) in table:  # d_{lam sig} = d_{-sig -lam}
        return table[(-sig, -lam)]
    # d_{lam sig} = (-1)^(lam - sig) d_{sig lam} = (-1)^(lam - sig) d_{-lam -sig}
    return (-1) ** (lam - sig) * table[(sig, lam) if (sig, lam) in table else (-lam, -sig)]


def test_pair_angular_weight_equals_angular_weight():
    """The kernel's scalar conditional density for a spin-1 meson and a spin-1 pair equals the
    general angular_weight (j_M = 1, y_mode = 1) and, for complex H, the sequential-decay amplitude
    sum_sigma w_sigma |sum_lambda H_lambda d^1_{lambda 0}(theta_M) d^1_{lambda sigma}(theta_Y) e^{i lambda chi}|^2
    written out here with complex numbers; its bound holds (Cauchy-Schwarz)."""
    rng = np.random.default_rng(8)
    for k in range(300):
        h = rng.normal(size=3)
        g = rng.normal(size=3) * (k % 3 > 0) * (rng.uniform(size=3) > 0.2)
        w = rng.uniform(size=3) * (rng.uniform(size=3) > 0.3)
        cm, cy, chi = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0, 2 * np.pi)
        sm, sy = np.sqrt(1 - cm * cm), np.sqrt(1 - cy * cy)
        hc = h + 1j * g
        ref = sum(w[s + 1] * abs(sum(hc[lam + 1] * _wigner_d1(lam, 0, np.arccos(cm)) * _wigner_d1(lam, s, np.arccos(cy))
                                     * np.exp(1j * lam * chi) for lam in (-1, 0, 1))) ** 2 for s in (-1, 0, 1))
        val, bound = K.pair_angular_weight(*h, *g, *w, cm, sm, cy, sy, np.cos(chi), np.sin(chi))
        assert val == pytest.approx(ref, rel=1e-11, abs=1e-14)
        assert val <= bound * (1 + 1e-12)
        h6 = np.concatenate([h, g])
        gen = K.angular_weight(h6 if g.any() else h, w, 1, 1, cm, sm, cy, sy, np.cos(chi), np.sin(chi))[0]
        assert gen == pytest.approx(ref, rel=1e-11, abs=1e-14)


def test_alias_tables_encode_the_cell_areas():
    """Walker's tables give cell j the probability (prob_j + sum of (1 - prob_k) over cells k
    aliased to j) / N, which must equal its share of the area, also with zero cells and zero rows."""
    rng = np.random.default_rng(5)
    pdf = rng.uniform(0, 1, (5, 301))
    pdf[1, 50:120] = 0.0
    pdf[2, :200] = 0.0
    pdf[3, 250:] = 0.0
    pdf[4] = 0.0
    prob, alias = alias_table(pdf)
    n = prob.shape[1]
    for r in range(5):
        area = 0.5 * (pdf[r, 1:] + pdf[r, :-1])
        share = area / area.sum() if area.sum() > 0 else np.full(n, 1.0 / n)
        got = prob[r].copy()
        np.add.at(got, alias[r], 1.0 - prob[r])
        np.testing.assert_allclose(got / n, share, rtol=1e-12, atol=1e-15)
        assert np.all((prob[r] >= 0) & (prob[r] <= 1 + 1e-12))


@pytest.mark.parametrize("row", [0, 1])
def test_pwlinear_sampling_follows_interpolant(row):
    """Positions sampled from a piecewise-linear density: counts per cell match the cell areas, and
    inside a cell the density is linear (each cell split in quarters, chi^2 against the exact
    integrals of the interpolant)."""
    nodes = np.linspace(0, 1, 65)
    pdf = np.stack([1 + 3 * nodes**2, np.where(nodes < 0.3, 0.0, np.sin(7 * nodes) + 1.2)])
    prob, alias = alias_table(pdf)
    x = _pwlinear(_state(6 + row), pdf, prob, alias, row, N)
    assert np.all((x >= 0) & (x <= 64))
    edges = np.arange(0, 64.001, 0.25)
    f0 = np.repeat(pdf[row, :-1], 4)
    f1 = np.repeat(pdf[row, 1:], 4)
    a, b = np.tile([0.0, 0.25, 0.5, 0.75], 64), np.tile([0.25, 0.5, 0.75, 1.0], 64)
    # integral of f0 (1 - xi) + f1 xi over [a, b]
    expected = f0 * ((b - a) - (b**2 - a**2) / 2) + f1 * (b**2 - a**2) / 2
    counts = np.histogram(x, edges)[0]
    keep = expected > 0
    assert counts[~keep].sum() == 0
    assert chi2_pvalue(counts[keep], N * expected[keep] / expected.sum()) > P_MIN


def test_orthonormal_frame_is_right_handed():
    """(e1, e2, n) orthonormal and right-handed for random directions and the poles and equator."""
    from bkgen.kernels.kinematics import orthonormal_frame

    rng = np.random.default_rng(9)
    ns = list(rng.normal(size=(500, 3))) + [(0, 0, 1), (0, 0, -1), (1, 0, 0), (0, 1, 0), (1, 1, 0), (1, 0, -1e-17)]
    for n in ns:
        n = np.asarray(n, dtype=float) / np.linalg.norm(n)
        f = orthonormal_frame(*n)
        e1, e2 = np.array(f[:3]), np.array(f[3:])
        np.testing.assert_allclose([e1 @ e1, e2 @ e2, e1 @ e2, e1 @ n, e2 @ n], [1, 1, 0, 0, 0], atol=1e-14)
        np.testing.assert_allclose(np.cross(e1, e2), n, atol=1e-14)


@pytest.mark.parametrize("n_t", [257, 1025, 17])
def test_sin_quarter_equals_sin(n_t):
    """The trig-free q^2 map (node values + Taylor remainder) agrees with np.sin to rounding."""
    angle = 0.5 * np.pi * np.linspace(0.0, 1.0, n_t)
    t_nodes = np.stack([np.sin(angle), np.cos(angle)])
    rng = np.random.default_rng(10)
    for it, at in zip(rng.integers(0, n_t - 1, 2000), rng.uniform(0, 1, 2000)):
        exact = np.sin(0.5 * np.pi * (it + at) / (n_t - 1))
        assert K._sin_quarter(t_nodes, it, at, n_t) == pytest.approx(exact, rel=1e-15, abs=1e-300)


def test_two_body_rest_frame_on_shell():
    """Daughters of m -> m1 m2 are on shell and conserve energy; |p| vanishes at threshold."""
    from bkgen.kernels.kinematics import two_body_rest_frame

    rng = np.random.default_rng(11)
    for _ in range(300):
        m1, m2 = rng.uniform(0, 2, 2) * (rng.uniform(size=2) > 0.2)
        m = (m1 + m2) * (1 + rng.exponential(0.5)) + 1e-3
        q, e1, e2 = two_body_rest_frame(m, 1.0 / m, m1, m2)
        assert e1 + e2 == pytest.approx(m, rel=1e-14)
        assert e1 * e1 - q * q == pytest.approx(m1 * m1, abs=1e-12 * m * m)
        assert e2 * e2 - q * q == pytest.approx(m2 * m2, abs=1e-12 * m * m)
    assert two_body_rest_frame(1.0, 1.0, 0.5, 0.5)[0] == 0.0


@numba.njit
def _cos_meson(st, h, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = K._sample_cos_meson(st, h[0] ** 2, h[1] ** 2, h[2] ** 2)
    return out


@pytest.mark.parametrize("h", [(0.3, 1.0, 0.6), (0.0, 0.0, 0.0)])
def test_spin1_meson_angle(h):
    """cos theta_M of a spin-1 meson: density (1 - F_L)(3/4)(1 - c^2) + F_L (3/2) c^2 with
    F_L = H_0^2 / sum H^2 (the marginal of sum_lambda H_lambda^2 d^1_{lambda 0}^2), and isotropic when
    all amplitudes vanish."""
    hm, h0, hp = h
    c = _cos_meson(_state(14), np.asarray(h, dtype=float), N)
    edges = np.linspace(-1, 1, 41)
    t = hm * hm + hp * hp + h0 * h0
    if t > 0:
        f_l = h0 * h0 / t
        cdf = f_l * 0.5 * (edges**3 + 1) + (1 - f_l) * (0.75 * (edges - edges**3 / 3) + 0.5)
    else:
        cdf = 0.5 * (edges + 1)
    counts = np.histogram(c, edges)[0]
    assert chi2_pvalue(counts, N * np.diff(cdf)) > P_MIN
