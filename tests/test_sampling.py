"""Fixed-seed chi^2 tests of sampled distributions against analytic densities.

Expected bin contents come from scipy quadrature of the physics formulas (not from the
sampling tables). Each test uses one fixed seed and is never re-run; the threshold p > 1e-4
is a false-alarm rate of 1e-4 per test for a correct generator.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from bkgen.physics import form_factors, inputs
from helpers import chi2_pvalue, make_generator as make, sample

P_MIN = 1e-4


def p4(part, i):
    return np.stack([part["E"][:, i], part["px"][:, i], part["py"][:, i], part["pz"][:, i]], axis=-1)


def boost_to_rest(p, frame):
    """Boost four-vectors p (n,4) into the rest frame of frame (n,4)."""
    m = np.sqrt(np.maximum(frame[:, 0] ** 2 - (frame[:, 1:] ** 2).sum(1), 0))
    b = -frame[:, 1:] / frame[:, :1]
    g = frame[:, 0] / m
    bp = (b * p[:, 1:]).sum(1)
    b2 = (b * b).sum(1)
    f = np.where(b2 > 0, (g - 1) * bp / np.where(b2 > 0, b2, 1), 0.0)
    e = g * (p[:, 0] + bp)
    return np.concatenate([e[:, None], p[:, 1:] + (f[:, None] + (g * p[:, 0])[:, None]) * b], axis=1)


def helicity_cos(daughter, system, parent):
    """cos of the daughter direction in the system's rest frame w.r.t. the system's flight
    direction in the parent's rest frame (all inputs in one common frame)."""
    d = boost_to_rest(boost_to_rest(daughter, parent), boost_to_rest(system, parent))
    axis = boost_to_rest(system, parent)[:, 1:]
    return (d[:, 1:] * axis).sum(1) / np.linalg.norm(d[:, 1:], axis=1) / np.linalg.norm(axis, axis=1)


def q2_chi2(gen, rate, q2_lo, q2_hi, n, seed, bins=40):
    scal, _ = sample(gen, n, seed)
    edges = np.linspace(q2_lo, q2_hi, bins + 1)
    counts = np.histogram(scal["q2"], edges)[0]
    parts = np.array([integrate.quad(rate, a, b, epsrel=1e-9, limit=200)[0] for a, b in zip(edges[:-1], edges[1:])])
    return chi2_pvalue(counts, n * parts / parts.sum())


M_B, M_K = inputs.mass(521), inputs.mass(321)


def test_q2_dark_fermions_with_sommerfeld():
    """B+ -> K+ Q Qbar, m_Q = 0.5 GeV, alpha_D = 1, SF on: q^2 ~ eq. (3.6) x eq. (3.13)."""
    gen = make("massless_dark_photon", "B+ -> K+ Q Qbar", dark_fermions=[{"mass": 0.5}])
    ff = form_factors.get("B->K", "BHvDW2012")
    mq = 0.5

    def rate(s):
        lam = ((M_B**2 - M_K**2 - s) ** 2 - 4 * M_K**2 * s) / M_B**4
        b2 = 1 - 4 * mq**2 / s
        u = math.sqrt(max(lam, 0) * b2)
        beta12 = math.sqrt(1 - mq**4 / (s - 2 * mq**2) ** 2)
        x = 2 * math.pi / beta12
        return u * (lam - u * u / 3) * float(ff.f_T(s)) ** 2 * x / (1 - math.exp(-x))

    assert q2_chi2(gen, rate, 4 * mq**2, (M_B - M_K) ** 2, 200_000, seed=101) > P_MIN


def test_q2_sm_knunu():
    """B+ -> K+ nu nubar: q^2 ~ |f_+|^2 lambda^{3/2} (seed 000 eq. 3.10)."""
    gen = make("sm", "B+ -> K+ nu nubar")
    ff = form_factors.get("B->K", "GKvD2018")

    def rate(s):
        lam = (M_B**2 - M_K**2 - s) ** 2 - 4 * M_K**2 * s
        return float(ff.f_plus(s)) ** 2 * max(lam, 0) ** 1.5

    assert q2_chi2(gen, rate, 0.0, (M_B - M_K) ** 2, 200_000, seed=102) > P_MIN


@pytest.mark.parametrize("m_q", [0.0, 0.8])
def test_dark_fermion_angle(m_q):
    """Helicity angle of Q in the Q Qbar rest frame: density (1 - beta^2 cos^2)/(2(1 - beta^2/3)) given
    each event's q^2 (from the four-vector |M|^2; see test_physics_seed000). The expectation per bin
    is summed over the sampled q^2 values, so the test is of the conditional angular law."""
    gen = make("massless_dark_photon", "B+ -> K+ Q Qbar", dark_fermions=[{"mass": m_q}])
    scal, part = sample(gen, 100_000, seed=103 + int(10 * m_q))
    b, q1, q2 = p4(part, 0), p4(part, 2), p4(part, 3)
    c = helicity_cos(q1, q1 + q2, b)
    beta2 = 1 - 4 * m_q**2 / scal["q2"]
    edges = np.linspace(-1, 1, 21)

    lo = (edges[:-1][None, :] - beta2[:, None] * edges[:-1][None, :] ** 3 / 3)
    hi = (edges[1:][None, :] - beta2[:, None] * edges[1:][None, :] ** 3 / 3)
    expected = ((hi - lo) / (2 * (1 - beta2 / 3))[:, None]).sum(0)
    assert expected.sum() == pytest.approx(len(c), rel=1e-9)
    assert chi2_pvalue(np.histogram(c, edges)[0], expected) > P_MIN
    # and not isotropic when the fermions are light (the test has power)
    if m_q == 0.0:
        assert chi2_pvalue(np.histogram(c, edges)[0], np.full(20, len(c) / 20)) < 1e-6


def test_kstar_gamma_d_transverse_angle():
    """B0 -> K*0 gamma_D: a real transverse gamma_D forces K* helicity +-1, so cos(theta_K) of the
    K+ in the K* frame follows (3/4)(1 - cos^2) (seed 000 eq. 4.2-4.3: only T1)."""
    gen = make("massless_dark_photon", "B0 -> K*0 gamma_D")
    _, part = sample(gen, 100_000, seed=104)
    b, ks, kp = p4(part, 0), p4(part, 1), p4(part, 2)
    c = helicity_cos(kp, ks, b)
    edges = np.linspace(-1, 1, 21)

    def cdf(x):
        return (3 * x - x**3) / 4

    expected = len(c) * (cdf(edges[1:]) - cdf(edges[:-1])) / (cdf(1.0) - cdf(-1.0))
    assert chi2_pvalue(np.histogram(c, edges)[0], expected) > P_MIN


def test_kstar_nunu_longitudinal_fraction():
    """B0 -> K*0 nu nubar: cos(theta_K) ~ (3/2) F_L c^2 + (3/4)(1 - F_L)(1 - c^2) with
    F_L(q^2, m_K*) = |H_0|^2 / sum|H|^2 from the BSZ form factors (helicity amplitudes written out
    here independently), conditional on each event's q^2 and K* mass."""
    gen = make("sm", "B0 -> K*0 nu nubar")
    scal, part = sample(gen, 100_000, seed=105)
    b, ks, kp = p4(part, 0), p4(part, 1), p4(part, 2)
    c = helicity_cos(kp, ks, b)
    ff = form_factors.get("B->K*", "BSZ2015")
    s, mv = scal["q2"], scal["m_meson"]
    mb = inputs.mass(511)
    lam = (mb**2 - mv**2 - s) ** 2 - 4 * mv**2 * s
    hp = (mb + mv) * ff.A1(s) - np.sqrt(lam) * ff.V(s) / (mb + mv)
    hm = (mb + mv) * ff.A1(s) + np.sqrt(lam) * ff.V(s) / (mb + mv)
    # H_0 sqrt(q^2) = 8 m_B m_V A12 (BSZ arXiv:1503.05534 definition of A12; equal to the A1/A2 form
    # [(mB^2 - mV^2 - q^2)(mB + mV)^2 A1 - lambda A2]/(2 mV (mB + mV)) at the K* pole)
    h0 = 8 * mb * mv * ff.A12(s)
    fl = h0**2 / (h0**2 + s * (hp**2 + hm**2))
    edges = np.linspace(-1, 1, 21)

    def prim(x):
        return 0.5 * fl[:, None] * x**3 + 0.75 * (1 - fl[:, None]) * (x - x**3 / 3)

    expected = (prim(edges[None, 1:]) - prim(edges[None, :-1])).sum(0)
    assert expected.sum() == pytest.approx(len(c), rel=1e-6)
    assert chi2_pvalue(np.histogram(c, edges)[0], expected) > P_MIN


def test_kstar_nunu_neutrino_angle():
    """B0 -> K*0 nu nubar: the helicity angle of the first neutrino of the record (left-handed nu in the
    amplitudes' process, sigma = -1; CP-conjugated events reflect all momenta, which keeps the angle) has,
    given each event's helicity amplitudes, the density ~ sum_lambda H_lambda^2 d^1_{lambda,-1}(theta)^2
    = H_-^2 (1+c)^2/4 + H_0^2 (1-c^2)/2 + H_+^2 (1-c)^2/4 (the K* angle integrated out)."""
    gen = make("sm", "B0 -> K*0 nu nubar")
    scal, part = sample(gen, 100_000, seed=106)
    b, nu1, nu2 = p4(part, 0), p4(part, 4), p4(part, 5)
    c = helicity_cos(nu1, nu1 + nu2, b)
    ff = form_factors.get("B->K*", "BSZ2015")
    s, mv = scal["q2"], scal["m_meson"]
    mb = inputs.mass(511)
    lam = (mb**2 - mv**2 - s) ** 2 - 4 * mv**2 * s
    # |H|^2 times q^2 (H_0 sqrt(q^2) = 8 m_B m_V A12, BSZ definition of A12)
    hm2 = s * ((mb + mv) * ff.A1(s) + np.sqrt(lam) * ff.V(s) / (mb + mv)) ** 2
    hp2 = s * ((mb + mv) * ff.A1(s) - np.sqrt(lam) * ff.V(s) / (mb + mv)) ** 2
    h02 = (8 * mb * mv * ff.A12(s)) ** 2
    edges = np.linspace(-1, 1, 21)

    def prim(x):  # antiderivatives of (1+c)^2/4, (1-c^2)/2, (1-c)^2/4
        return (hm2[:, None] * (1 + x) ** 3 / 12 + h02[:, None] * (x - x**3 / 3) / 2
                - hp2[:, None] * (1 - x) ** 3 / 12)

    norm = (prim(np.array([[1.0]])) - prim(np.array([[-1.0]])))[:, 0]
    expected = ((prim(edges[None, 1:]) - prim(edges[None, :-1])) / norm[:, None]).sum(0)
    observed = np.histogram(c, edges)[0]
    assert chi2_pvalue(observed, expected) > P_MIN
    # the forward-backward asymmetry is large (H_- dominates): the test has power against a flat law
    assert chi2_pvalue(observed, np.full(20, len(c) / 20)) < 1e-6
