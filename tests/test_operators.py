"""Operator basis, second part: the tensor current of a massive fermion pair (checked step by step and as a whole
against explicit Dirac matrices and traces), complex Wilson coefficients (cards, phases, interference), the
dimension-6 (pseudo)scalar coupling, and fixed-seed chi^2 tests of the sampled distributions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from bkgen.config.card import CardError, resolve
from bkgen.physics import amplitudes as A
from bkgen.physics import form_factors, inputs
from bkgen.physics.models import eft
from helpers import chi2_pvalue, make_generator as make, sample

P_MIN = 1e-4
M_B, M_K, M_B0, M_KST = inputs.mass(521), inputs.mass(321), inputs.mass(511), inputs.mass(313)
FF_K = form_factors.get("B->K", "GKvD2018")
FF_KST = form_factors.get("B->K*", "BSZ2015")
NO_SM = {f"C_VL_{f}": 0.0 for f, _ in eft.FLAVOURS}

# ---- explicit Dirac matrices (chiral representation), independent of bkgen --------------------------------
_I2, _Z2 = np.eye(2), np.zeros((2, 2))
_PAULI = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]], complex)]
GAMMA = [np.block([[_Z2, _I2], [_I2, _Z2]]).astype(complex)] + [np.block([[_Z2, s], [-s, _Z2]]) for s in _PAULI]
G5 = 1j * GAMMA[0] @ GAMMA[1] @ GAMMA[2] @ GAMMA[3]
METRIC = np.diag([1.0, -1.0, -1.0, -1.0])
ETA = np.diag(METRIC)


def sigma(m, n):
    """sigma^{mu nu} = (i/2)[gamma^mu, gamma^nu]."""
    return 0.5j * (GAMMA[m] @ GAMMA[n] - GAMMA[n] @ GAMMA[m])


def slash(p):
    return sum(METRIC[m, m] * p[m] * GAMMA[m] for m in range(4))


def dipole(q, mu):
    """i sigma^{mu nu} q_nu."""
    return 1j * sum(sigma(mu, n) * METRIC[n, n] * q[n] for n in range(4))


def _helicity_spinors(e, p, m):
    """u(p_1, h) along +z and v(p_2, h) along -z (Haber's helicity spinors), h = +1, -1."""
    chi = {1: lambda th: np.array([np.cos(th / 2), np.sin(th / 2)]),
           -1: lambda th: np.array([-np.sin(th / 2), np.cos(th / 2)])}
    u = {h: np.concatenate([np.sqrt(e - h * p) * chi[h](0.0), np.sqrt(e + h * p) * chi[h](0.0)]) for h in (1, -1)}
    v = {h: np.concatenate([-h * np.sqrt(e + h * p) * chi[-h](np.pi), h * np.sqrt(e - h * p) * chi[-h](np.pi)])
         for h in (1, -1)}
    return u, v


def test_tensor_reduction_steps_with_dirac_matrices():
    """The two steps of amplitudes._tensor_pair: (i) sigma^{mu nu} (x) sigma_{mu nu} = (2/q^2) sum_k [E^k (x) E^k +
    E^k g5 (x) E^k g5] in the q rest frame; (ii) the pair's dipole currents relative to its vector current in the
    same helicity configuration: q^2/(2m) and -+ q^2 beta/(2m) for (++), (--), 2m and 0 for sigma = -+1."""
    s, m = 5.0, 0.7
    q = np.array([np.sqrt(s), 0.0, 0.0, 0.0])
    lhs = sum(np.kron(sigma(a, b), sigma(a, b)) * METRIC[a, a] * METRIC[b, b] for a in range(4) for b in range(4))
    rhs = sum(np.kron(dipole(q, k), dipole(q, k)) + np.kron(dipole(q, k) @ G5, dipole(q, k) @ G5) for k in (1, 2, 3))
    assert np.abs(lhs - 2 / s * rhs).max() < 1e-12
    e = np.sqrt(s) / 2
    p = np.sqrt(e * e - m * m)
    beta = p / e
    u, v = _helicity_spinors(e, p, m)
    for h in (1, -1):  # sigma = 0: z components
        ub, vv = u[h].conj() @ GAMMA[0], v[h]
        vec = ub @ GAMMA[3] @ vv
        assert abs(vec) == pytest.approx(2 * m)
        assert ub @ dipole(q, 3) @ vv / vec == pytest.approx(s / (2 * m))
        assert ub @ dipole(q, 3) @ G5 @ vv / vec == pytest.approx(-h * s * beta / (2 * m))
    for h1, h2 in ((1, -1), (-1, 1)):  # sigma = +-1: transverse components
        ub, vv = u[h1].conj() @ GAMMA[0], v[h2]
        for k in (1, 2):
            vec = ub @ GAMMA[k] @ vv
            assert abs(vec) > 0.1
            assert ub @ dipole(q, k) @ vv / vec == pytest.approx(2 * m)
            assert abs(ub @ dipole(q, k) @ G5 @ vv) < 1e-12


def _trace_density_b_to_k(q2, cos_t, m, c_v, c_t):
    """(1/2) sum_spins |M|^2 of B+ -> K+ chi chibar for c_v (s gamma^mu b)(chi gamma_mu chi) + c_t (s sigma^{mu nu} b)
    (chi sigma_{mu nu} chi) at (q^2, cos theta) by Dirac traces, with the covariant matrix elements
    <K|s gamma^mu b|B> = f_+ (P - Delta q/q^2)^mu + f_0 Delta q^mu/q^2 and <K|s sigma^{mu nu} b|B> =
    -2i f_T/(m_B + m_K) (p^mu k^nu - p^nu k^mu) (the Lorentz-covariant form whose contraction with q_nu is
    GKvD arXiv:1811.00983 eq. 2.3), in the q rest frame with the B along -z. dGamma/dq^2 dcos = K x this."""
    rs = np.sqrt(q2)
    lam = A.kallen(M_B**2, M_K**2, q2)
    kz = np.sqrt(lam) / (2 * rs)
    e_k = (M_B**2 - M_K**2 - q2) / (2 * rs)
    pk = np.array([e_k, 0, 0, -kz])
    q = np.array([rs, 0, 0, 0])
    pb = pk + q
    delta = M_B**2 - M_K**2
    fp, f0, ft = float(FF_K.f_plus(q2)), float(FF_K.f_zero(q2)), float(FF_K.f_T(q2))
    h = fp * (pb + pk - delta / q2 * q) + f0 * delta / q2 * q
    t = -2j * ft / (M_B + M_K) * (np.outer(pb, pk) - np.outer(pk, pb))
    gam = c_v * sum(METRIC[a, a] * h[a] * GAMMA[a] for a in range(4))
    gam = gam + c_t * sum(METRIC[a, a] * METRIC[b, b] * t[a, b] * sigma(a, b) for a in range(4) for b in range(4))
    gbar = GAMMA[0] @ gam.conj().T @ GAMMA[0]
    e = rs / 2
    p = np.sqrt(e * e - m * m)
    sin_t = np.sqrt(1 - cos_t**2)
    p1 = np.array([e, p * sin_t, 0, p * cos_t])
    p2 = np.array([e, -p * sin_t, 0, -p * cos_t])
    one = np.eye(4)
    return 0.5 * np.trace((slash(p1) + m * one) @ gam @ (slash(p2) - m * one) @ gbar).real


@pytest.mark.parametrize("c_t", [0.0, 0.35, -0.35, 0.35j, 0.2 - 0.3j])
def test_b_to_k_vector_and_tensor_against_traces(c_t):
    """B+ -> K+ chi chibar (m = 0.6 GeV) through the vector and the tensor operator with a complex relative coefficient:
    the angular density from the normalised amplitudes, (3/2) w_0 cos^2 + (3/4)(w_- + w_+) sin^2, equals the Dirac
    trace at every (q^2, cos theta), including the m-proportional vector-tensor interference Re(c_V c_T*)."""
    m, c_v = 0.6, 1.0
    for q2 in (1.6, 4.0, 9.5, 18.0):
        x = A.fermion_pair(FF_K, q2, M_B, M_K, m, c_v=(c_v, 0.0), c_t=(c_t, 0.0))
        w = [sum(abs(x.a[s, 1]) ** 2 for s in range(4) if A.PAIR_SIGMA[s] == sg) for sg in (-1, 0, 1)]
        assert float(x.j0) == 0.0
        for c in (-0.9, -0.3, 0.0, 0.5, 1.0):
            ours = 1.5 * w[1] * c * c + 0.75 * (w[0] + w[2]) * (1 - c * c)
            assert ours == pytest.approx(_trace_density_b_to_k(q2, c, m, c_v, c_t), rel=1e-10)


def test_tensor_massless_limit_is_tensor_nunu():
    """At m -> 0 the chiral tensor operator (s sigma b)(chi sigma P_L chi) = (C_TT, C_TT5) = (1/2, -1/2) of a Dirac pair
    populates (++) only, with a_lambda equal to tensor_nunu's (the EOS-checked neutrino tensor, st_factor 1; relative
    signs from the four-body distribution, tests/test_covariant_kstar.py), for
    B -> K and B -> K*; the rate is continuous in m."""
    q2 = np.linspace(0.5, 18.0, 12)
    for ff, mb, mm in ((FF_K, M_B, M_K), (FF_KST, M_B0, M_KST)):
        q = q2[q2 < (mb - mm) ** 2]
        x = A.fermion_pair(ff, q, mb, mm, 1e-9, c_t=(0.5, -0.5))
        ref = A.tensor_nunu(ff, q, mb, mm)
        assert np.allclose(x.a[:, 1, :], ref, rtol=1e-8, atol=1e-12 * np.abs(ref).max())
        assert np.abs(x.a[:, [0, 2, 3], :]).max() < 1e-7 * np.abs(ref).max()
        r0 = A.fermion_pair(ff, q, mb, mm, 1e-3, c_t=(0.7, 0.2)).rate()
        r1 = A.fermion_pair(ff, q, mb, mm, 0.0, c_t=(0.7, 0.2)).rate()
        assert np.allclose(r0, r1, rtol=1e-5)


# ---- vector dark matter: every operator of the He-Ma-Valencia list against covariant polarisation sums ----------
def _eps4():
    """epsilon^{mu nu rho sigma}, epsilon^{0123} = -1."""
    import itertools
    e = np.zeros((4, 4, 4, 4))
    for perm in itertools.permutations(range(4)):
        inv = sum(1 for i in range(4) for j in range(i + 1, 4) if perm[i] > perm[j])
        e[perm] = -1.0 if inv % 2 == 0 else 1.0
    return e


EPS4 = _eps4()


def _sigma_gamma5_constant():
    """c with sigma^{mu nu} gamma5 = c epsilon^{mu nu rho sigma} sigma_{rho sigma} (epsilon^{0123} = -1), from the matrices."""
    lhs = sigma(0, 1) @ G5
    rhs = sum(EPS4[0, 1, r, t] * METRIC[r, r] * METRIC[t, t] * sigma(r, t) for r in range(4) for t in range(4))
    c = lhs[np.unravel_index(np.abs(rhs).argmax(), rhs.shape)] / rhs[np.unravel_index(np.abs(rhs).argmax(), rhs.shape)]
    for m_ in range(4):
        for n in range(4):
            r_ = sum(EPS4[m_, n, r, t] * METRIC[r, r] * METRIC[t, t] * sigma(r, t) for r in range(4) for t in range(4))
            assert np.abs(sigma(m_, n) @ G5 - c * r_).max() < 1e-12
    return c


def _vector_dm_density_b_to_k(q2, cos_t, m, c):
    """(1/2) sum_pol |M|^2 of B+ -> K+ X X^dagger at (q^2, cos theta) from covariant matrix elements (as in
    _trace_density_b_to_k; <K|s sigma gamma5 b|B> from the sigma gamma5 = c' epsilon sigma identity) and the polarisation
    sums -g + p p/m^2; the pair amplitude is M^{rho sigma} eps_1*_rho eps_2*_sigma with, per operator (derivatives of
    outgoing fields -> i p): S: <s b> g; O_qX4^V: h.(p_1 - p_2) g; O_qX2^V: i (h q + q h); O_qX5^V: -(h q - q h);
    O_qX3^V: -i epsilon(h, p_1 - p_2, ., .); O_qX6^V: -epsilon(h, q, ., .); O_qX1^T: i <sigma>; O_qX2^T: <sigma gamma5>."""
    rs = np.sqrt(q2)
    lam = A.kallen(M_B**2, M_K**2, q2)
    kz = np.sqrt(lam) / (2 * rs)
    pk = np.array([(M_B**2 - M_K**2 - q2) / (2 * rs), 0, 0, -kz])
    q = np.array([rs, 0, 0, 0])
    pb = pk + q
    delta = M_B**2 - M_K**2
    fp, f0, ft = float(FF_K.f_plus(q2)), float(FF_K.f_zero(q2)), float(FF_K.f_T(q2))
    h = fp * (pb + pk - delta / q2 * q) + f0 * delta / q2 * q  # upper index
    mb_, ms_ = A.default_quark_masses()
    s_me = delta / (mb_ - ms_) * f0
    t_up = -2j * ft / (M_B + M_K) * (np.outer(pb, pk) - np.outer(pk, pb))
    t_low = t_up * ETA[:, None] * ETA[None, :]
    t5_up = _sigma_gamma5_constant() * np.einsum("mnrs,rs->mn", EPS4, t_low)
    e = rs / 2
    p = np.sqrt(e * e - m * m)
    sn = np.sqrt(1 - cos_t**2)
    p1, p2 = np.array([e, p * sn, 0, p * cos_t]), np.array([e, -p * sn, 0, -p * cos_t])
    low = ETA
    g_up = METRIC
    amp = c.get("S", 0) * s_me * g_up + c.get("V4", 0) * (h * low) @ (p1 - p2) * g_up
    amp = amp + c.get("V2", 0) * 1j * (np.outer(h, q) + np.outer(q, h)) - c.get("V5", 0) * (np.outer(h, q) - np.outer(q, h))
    amp = amp - 1j * c.get("V3", 0) * np.einsum("mnrs,m,n->rs", EPS4, h * low, (p1 - p2) * low)
    amp = amp - c.get("V6", 0) * np.einsum("mnrs,m,n->rs", EPS4, h * low, q * low)
    amp = amp + 1j * c.get("T1", 0) * t_up + c.get("T2", 0) * t5_up
    pol1 = -METRIC + np.outer(p1 * low, p1 * low) / m**2
    pol2 = -METRIC + np.outer(p2 * low, p2 * low) / m**2
    return 0.5 * np.einsum("rs,tu,rt,su->", amp, amp.conj(), pol1, pol2).real


VDM_POINTS = [{"S": 1.0}, {"V4": 1.0}, {"V2": 1.0}, {"V3": 1.0}, {"V5": 1.0}, {"V6": 1.0}, {"T1": 1.0}, {"T2": 1.0},
              {"S": 0.3, "V2": 1.0, "V3": 0.5j, "T1": -0.4, "T2": 0.2 + 0.1j}, {"V4": 1.0, "V5": 0.7j, "V6": -0.3}]


@pytest.mark.parametrize("c", VDM_POINTS, ids=lambda c: "+".join(c))
def test_vector_dm_b_to_k_against_polarisation_sums(c):
    """B+ -> K+ X X^dagger (m_X = 0.7 GeV) for every operator of the vector-DM list and two complex mixtures: the density
    from amplitudes.vector_pair, (3/2) w_0 c^2 + (3/4)(w_- + w_+)(1 - c^2) + j0/2, equals the covariant polarisation
    sum, symmetrised in cos theta (the J = 0 - J = 1 interference, odd in cos theta, is not generated)."""
    m = 0.7
    kw = {"c_s": (c.get("S", 0), 0), "c_v": (c.get("V4", 0), 0), "c_t": (c.get("T1", 0), c.get("T2", 0))}
    kw.update({f"c_v{k}": (c.get(f"V{k}", 0), 0) for k in (2, 3, 5, 6)})
    for q2 in (2.2, 6.0, 15.0):
        x = A.vector_pair(FF_K, q2, M_B, M_K, m, **kw)
        w = [sum(abs(x.a[s, 1]) ** 2 for s in range(len(x.sigma)) if x.sigma[s] == sg) for sg in (-1, 0, 1)]
        assert float(x.rate()) > 0
        for ct in (0.0, 0.4, 0.95):
            ours = 1.5 * w[1] * ct * ct + 0.75 * (w[0] + w[2]) * (1 - ct * ct) + float(x.j0) / 2
            theirs = 0.5 * (_vector_dm_density_b_to_k(q2, ct, m, c) + _vector_dm_density_b_to_k(q2, -ct, m, c))
            assert ours == pytest.approx(theirs, rel=1e-9)


def test_vector_dm_closed_form_and_real_x():
    """With O_qX^S and O_qX4^V only, vector_pair is the closed form scalar_pair x polarisation sum (B -> K and K*); a
    real X doubles the rate of O_qX^S, O_qX2^V, O_qX3^V and refuses the (x) operators; every new operator contributes to
    B -> K* with the axial quark current."""
    m = 0.6
    for ff, mb, mm in ((FF_K, M_B, M_K), (FF_KST, M_B0, M_KST)):
        q = np.linspace(4 * m * m + 0.05, (mb - mm) ** 2 - 0.05, 9)
        new = A.vector_pair(ff, q, mb, mm, m, c_s=(0.3, 0.2), c_v=(0.5, -0.4))
        ref = A.scalar_pair(ff, q, mb, mm, m, (0.3, 0.2), (0.5, -0.4)).rate() * A.vector_pair_polarisation_sum(q, m)
        assert np.allclose(new.rate(), ref, rtol=1e-12)
        for kw in ({"c_s": (0.0, 0.4)}, {"c_v2": (0.3, 0.4)}, {"c_v3": (0.1, -0.2)}):
            assert np.allclose(A.vector_pair(ff, q, mb, mm, m, real=True, **kw).rate(),
                               2 * A.vector_pair(ff, q, mb, mm, m, **kw).rate(), rtol=1e-12)
        if ff is FF_KST:
            for kw in ({"c_v2": (0, 1)}, {"c_v3": (0, 1)}, {"c_v5": (0, 1)}, {"c_v6": (0, 1)}, {"c_t": (0, 1)}):
                assert np.all(A.vector_pair(ff, q, mb, mm, m, **kw).rate() > 0)
    for kw in ({"c_v": (1, 0)}, {"c_v5": (1, 0)}, {"c_v6": (0, 1)}, {"c_t": (1, 0)}):
        with pytest.raises(ValueError, match="real vector X"):
            A.vector_pair(FF_K, 3.0, M_B, M_K, m, real=True, **kw)
    with pytest.raises(CardError, match="model.C_X_T1"):
        resolve({"process": {"model": "eft", "decay": "B+ -> K+ X X"}, "model": {"X_type": "real", "C_X_T1": 1e-8}})


# ---- complex coefficients -----------------------------------------------------------------------------------
def _width(decay, **params):
    """Gamma [GeV] of an eft decay at the nominal meson mass: one fixed q^2 rule (trapezoid in t, q^2 = lo + (hi - lo)
    t^2) for every point, so that relations linear in the rate hold to rounding."""
    chans = eft.MODEL.decay(decay).build(resolve({"process": {"model": "eft", "decay": decay},
                                                  "model": params})["model"])
    out = 0.0
    t = np.linspace(0.0, 1.0, 801)
    for ch in chans:
        m = None if ch.line_shape is None else ch.line_shape.m0
        if ch.q2_fixed is not None:
            out += float(ch.rate(np.asarray(ch.q2_fixed), None if m is None else np.asarray(m)))
            continue
        hi = (ch.m_parent - (ch.m_meson if m is None else m)) ** 2
        q2 = ch.q2_lo + (hi - ch.q2_lo) * t * t
        f = ch.rate(q2, None if m is None else np.full_like(q2, m)) * 2 * t * (hi - ch.q2_lo)
        out += float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(t)))
    return out


def _c(z):
    return {"re": z.real, "im": z.imag}


#: (decay, fixed parameters, operator 1, operator 2, size): a pair of interfering operators per family and meson
#: (operator 2 None where the family has no interference in the rate)
INTERFERING = [
    ("B0 -> K*0 nu nubar", dict(NO_SM), "C_VL_mu", "C_VR_mu", 5.0),
    ("B+ -> K+ chi chibar", {"m_chi": 0.4}, "C_chi_VV", "C_chi_TT", 1e-8),
    ("B0 -> K*0 chi chibar", {"m_chi": 0.4}, "C_chi_VV", "C_chi_TT", 1e-8),  # TT-TT5: P-odd, 0 in the rate
    ("B0 -> K*0 chi chibar", {"m_chi": 0.4}, "C_chi_AA", "C_chi_PP", 1e-8),
    ("B0 -> K*0 phi phi", {"m_phi": 0.3}, "C_phi_V", None, 1e-8),  # V-A: P-odd; S/P (J = 0) vs V/A (J = 1): odd in
    ("B+ -> K+ phi phi", {"m_phi": 0.3}, "C_phi_S", None, 1e-8),  # cos theta, no interference in the rate
    ("B+ -> K+ X X", {"m_X": 0.6}, "C_X_S", "C_X_V2", 1e-8),
    ("B0 -> K*0 X X", {"m_X": 0.6}, "C_X_A2", "C_X_P", 1e-8),
    ("B0 -> K*0 X X", {"m_X": 0.6}, "C_X_T1", "C_X_V5", 1e-8),
    ("B0 -> K*0 Z'", {}, "g4_L", "g5_R", 1e-8),
    ("B0 -> K*0 a", {}, "ga_L", "ga5_R", 1e-9),
]


@pytest.mark.parametrize("decay,fixed,op1,op2,c", INTERFERING, ids=lambda v: v if isinstance(v, str) else "")
def test_phases_of_coefficients(decay, fixed, op1, op2, c):
    """A pure phase of one operator leaves the width unchanged; with two operators, c_2 -> c_2 e^{i phi} changes the width
    by the interference 2 Re(c_1 c_2* X e^{-i phi}) = I_0 cos(phi) + I_90 sin(phi), with I_0, I_90 the interference at
    phi = 0 and pi/2 (X complex for operators with a relative i, e.g. d_nu vs i d<->_mu); the interference is non-zero at
    these points and a common phase of both coefficients changes nothing."""
    g1 = _width(decay, **{**fixed, op1: c})
    assert _width(decay, **{**fixed, op1: _c(c * np.exp(0.7j))}) == pytest.approx(g1, rel=1e-10)
    if op2 is None:
        return
    g2 = _width(decay, **{**fixed, op2: 0.8 * c})

    def width(phi, common=0.0):
        return _width(decay, **{**fixed, op1: _c(c * np.exp(1j * common)), op2: _c(0.8 * c * np.exp(1j * (common + phi)))})

    i0, i90 = width(0.0) - g1 - g2, width(np.pi / 2) - g1 - g2
    assert abs(i0) + abs(i90) > 1e-3 * (g1 + g2)
    for phi in (0.9, 2.5):
        assert width(phi, common=0.3) == pytest.approx(g1 + g2 + np.cos(phi) * i0 + np.sin(phi) * i90, rel=1e-9)


def test_complex_values_in_cards():
    """A coefficient is a number or {re = x, im = y}; im = 0 resolves to the plain number; anything else is one
    line naming the key and what is allowed; a parameter that is not a coefficient takes no table."""
    base = {"process": {"model": "eft", "decay": "B+ -> K+ chi chibar"}}
    card = resolve(dict(base, model={"C_chi_VV": {"re": 1e-8, "im": -2e-8}}))
    assert dict(card["model"]["C_chi_VV"]) == {"re": 1e-8, "im": -2e-8}
    assert resolve(dict(base, model={"C_chi_VV": {"re": 1e-8, "im": 0}}))["model"]["C_chi_VV"] == 1e-8
    for bad, needle in [({"re": 1e-8}, "re = number, im = number"), ({"re": 1e-8, "im": "x"}, "C_chi_VV.im"),
                        ({"re": 1e-8, "im": 1e9}, "C_chi_VV.im"), ("1+2j", "re = number, im = number"),
                        ({"re": 1e-8, "im": 0.0, "abs": 1}, "allowed")]:
        with pytest.raises(CardError, match=needle) as exc:
            resolve(dict(base, model={"C_chi_VV": bad}))
        assert "\n" not in str(exc.value) and "model.C_chi_VV" in str(exc.value)
    with pytest.raises(CardError, match="model.m_chi"):
        resolve(dict(base, model={"m_chi": {"re": 0.5, "im": 0.0}}))


def test_complex_eos_and_flavio_conversions():
    """Complex sbnunu coefficients convert linearly (EOS) and as complex NP shifts (flavio)."""
    p = dict(eft.MODEL.defaults(), C_VR_e={"re": 1.0, "im": 2.0}, C_VL_e={"re": eft.c_vl_sm(), "im": 0.5})
    fl = eft.to_flavio(p, "e")
    assert fl["CR_bsnunue"] == -(1 + 2j) and fl["CL_bsnunue"] == pytest.approx(-0.5j)
    c = eft.to_eos_sbnunu(p, "e", 1.1663788e-5, 1 / 133.0, 0.04, 4.2, 0.08)
    c_re = eft.to_eos_sbnunu(dict(p, C_VR_e=1.0), "e", 1.1663788e-5, 1 / 133.0, 0.04, 4.2, 0.08)
    assert c["cVR"] == pytest.approx(c_re["cVR"] * (1 + 2j))


def test_scalar_dimension_six_is_dimension_four_on_shell():
    """(d^2 a)/Lambda^2 s P b on shell is the dimension-4 coupling times -m_a^2/Lambda^2 (Klein-Gordon), for B -> K
    (scalar, f_0) and B -> K* (pseudoscalar, A_0)."""
    lam, m_a = 300.0, 1.7
    for decay, key in (("B+ -> K+ a", "L"), ("B0 -> K*0 a", "R")):
        g6 = _width(decay, m_a=m_a, Lambda=lam, **{f"ga6_{key}": 0.3})
        g4 = _width(decay, m_a=m_a, Lambda=lam, **{f"ga_{key}": -0.3 * m_a**2 / lam**2})
        assert g6 == pytest.approx(g4, rel=1e-12) and g6 > 0


# ---- fixed-seed chi^2 tests of the sampled distributions -------------------------------------------------------
def _q2_pvalue(q2_sample, density, lo, hi, bins=25):
    edges = np.linspace(lo, hi, bins + 1)
    parts = np.array([integrate.quad(density, a, b, epsrel=1e-8, limit=200)[0] for a, b in zip(edges[:-1], edges[1:])])
    return chi2_pvalue(np.histogram(q2_sample, edges)[0], len(q2_sample) * parts / parts.sum())


def _cos_pvalue(c, w_cos2, w_sin2, bins=20):
    """chi^2 p-value of cos values against the per-event density (3/2) w c^2 + (3/4)(1 - w)(1 - c^2)."""
    w = w_cos2 / (w_cos2 + w_sin2)
    edges = np.linspace(-1, 1, bins + 1)
    lo, hi = edges[:-1][None, :], edges[1:][None, :]
    f = (w[:, None] * (hi**3 - lo**3) / 2 + (1 - w[:, None]) * 3 / 4 * ((hi - hi**3 / 3) - (lo - lo**3 / 3)))
    return chi2_pvalue(np.histogram(c, edges)[0], f.sum(0))


def test_tensor_pair_sampled_b_to_k():
    """B+ -> K+ chi chibar, tensor plus vector operator with a relative phase (m = 0.5): q^2 and the chi angle against the
    trace-checked density (3/2) w_0 c^2 + (3/4)(w_- + w_+)(1 - c^2)."""
    m, cv, ct = 0.5, 1e-8, {"re": 2e-9, "im": 3e-9}
    gen = make("eft", "B+ -> K+ chi chibar", m_chi=m, C_chi_VV=cv, C_chi_TT=ct)
    scal, _ = sample(gen, 20_000, seed=401)

    def amp(s):
        return A.fermion_pair(FF_K, s, M_B, M_K, m, c_v=(cv, 0.0), c_t=(2e-9 + 3e-9j, 0.0))

    assert _q2_pvalue(scal["q2"], lambda s: float(amp(s).rate()), 4 * m * m, (M_B - M_K) ** 2) > P_MIN
    a = np.abs(amp(scal["q2"]).a[:, :, 1]) ** 2
    w0, wt = a[:, 1] + a[:, 2], a[:, 0] + a[:, 3]
    assert _cos_pvalue(scal["cos_theta_pair"], w0 * 2 / 3, wt * 2 / 3) > P_MIN


def test_tensor_pair_sampled_b_to_kstar_complex():
    """B0 -> K*0 chi chibar through C_TT and C_TT5 with a relative phase (complex amplitudes: Re and Im components):
    q^2 at the nominal K* mass is not sampled exactly (line shape), so the test takes the K* angle (F_L from the
    amplitudes at the sampled (q^2, m_K*)) and the chi angle, sigma = 0 and sigma = -+1 mixture, per event."""
    m = 0.3
    gen = make("eft", "B0 -> K*0 chi chibar", m_chi=m, C_chi_TT=1e-8, C_chi_TT5={"re": 0.0, "im": 6e-9})
    scal, _ = sample(gen, 20_000, seed=402)
    x = A.fermion_pair(FF_KST, scal["q2"], M_B0, scal["m_meson"], m, c_t=(1e-8, 6e-9j))
    a2 = np.abs(x.a) ** 2  # (n, 4, 3)
    long_, trans = a2[:, :, 1].sum(1), a2[:, :, 0].sum(1) + a2[:, :, 2].sum(1)
    assert _cos_pvalue(scal["cos_theta_meson"], long_, trans) > P_MIN
    # chi angle: sigma = 0 configurations (3/2)|a_0|^2 c^2 + (3/4)(|a_-|^2 + |a_+|^2)(1 - c^2), sigma = -+1 the reverse
    s0, s1 = a2[:, 1:3, :].sum(1), a2[:, [0, 3], :].sum(1)
    cos2 = s0[:, 1] + 0.5 * (s1[:, 0] + s1[:, 2])
    sin2 = s0[:, 0] + s0[:, 2] + s1[:, 1] + 0.5 * (s1[:, 0] + s1[:, 2])
    assert _cos_pvalue(scal["cos_theta_pair"], cos2 * 2 / 3, sin2 * 2 / 3) > P_MIN


def test_vector_dm_sampled():
    """B+ -> K+ X X^dagger through the epsilon-tensor operator O_qX3^V plus O_qX^S (complex relative coefficient) and
    B0 -> K*0 X X^dagger through O_qX1^T and O_qX6^V: q^2 (B -> K) and the pair and meson angles against the
    densities of the polarisation-sum-checked amplitudes."""
    m = 0.6
    gen = make("eft", "B+ -> K+ X X", m_X=m, C_X_V3=1e-8, C_X_S={"re": 0.0, "im": 2e-9})
    scal, _ = sample(gen, 20_000, seed=403)

    def amp(s):
        return A.vector_pair(FF_K, s, M_B, M_K, m, c_s=(2e-9j, 0.0), c_v3=(1e-8, 0.0))

    assert _q2_pvalue(scal["q2"], lambda s: float(amp(s).rate()), 4 * m * m, (M_B - M_K) ** 2) > P_MIN
    x = amp(scal["q2"])
    a0 = np.abs(x.a[:, :, 1]) ** 2
    sg = np.asarray(x.sigma)
    w0, wt = a0[:, sg == 0].sum(1) + x.j0 / 3, a0[:, sg != 0].sum(1) + 2 * x.j0 / 3
    assert _cos_pvalue(scal["cos_theta_pair"], w0 * 2 / 3, wt * 2 / 3) > P_MIN
    gen = make("eft", "B0 -> K*0 X X", m_X=m, C_X_T1=1e-8, C_X_V6=3e-8)
    scal, _ = sample(gen, 20_000, seed=404)
    x = A.vector_pair(FF_KST, scal["q2"], M_B0, scal["m_meson"], m, c_t=(1e-8, 0.0), c_v6=(3e-8, 0.0))
    a2 = np.abs(x.a) ** 2
    long_, trans = a2[:, :, 1].sum(1) + x.j0, a2[:, :, 0].sum(1) + a2[:, :, 2].sum(1)
    assert _cos_pvalue(scal["cos_theta_meson"], long_, trans) > P_MIN


@pytest.mark.parametrize("m", [0.05, 0.6, 1.9])
def test_vector_pair_factors_polynomial_form(m):
    """vector_pair_currents (exact cubic in (E, p), solved once per mass) equals the direct construction from the
    polarisation vectors on a fine q^2 grid; |sigma| = 2 configurations are absent and each J = 1 factor has only its
    own helicity projection (checked on the direct 4-vectors through the other two projections vanishing)."""
    q2 = np.linspace(4 * m * m, 23.0, 400)
    d, f = A.vector_pair_currents_direct(q2, m), A.vector_pair_currents(q2, m)
    for k in d:
        assert np.abs(d[k] - f[k]).max() <= 1e-8 * max(np.abs(d[k]).max(), 1e-300)
    assert set(A.VECTOR_PAIR_SIGMA) == {-1, 0, 1}


# ---- cards and decay descriptions ---------------------------------------------------------------------------
FAMILY_CARDS = {"eft_chi_tensor_Kstar0chichi": 6.24e-5, "eft_X_tensor_Kstar0XX": 5.41e-5, "eft_X_epsilon_KXX": 6.22e-5,
                "eft_a_Ka": 5.10e-6}


@pytest.mark.parametrize("name", sorted(FAMILY_CARDS))
def test_family_cards_of_the_new_operators(name):
    """The cards in cards/eft/ (one per new operator family) give the BR their header and the README quote (3 digits;
    the scalar a: the slide's 5.1e-6 to the 6 printed digits of the coupling)."""
    import pathlib
    from bkgen.config.card import load
    from bkgen.generate.generator import Generator
    path = pathlib.Path(__file__).resolve().parent.parent / "bkgen" / "cards" / "eft" / f"{name}.toml"
    assert f"BR = {FAMILY_CARDS[name]:.2e}".replace("e-0", "e-") in path.read_text().replace("\n# ", " ")
    br = Generator(load(path)).br
    assert br == pytest.approx(FAMILY_CARDS[name], rel=1e-5 if name == "eft_a_Ka" else 2e-3)


def test_eft_decays_say_what_they_are():
    """bkgen list: every eft decay names its meson mode and its final state's operator family."""
    for d in eft.MODEL.decays:
        assert "module docstring" not in d.doc
        prefix, final = eft._split(d.name)
        assert d.doc.startswith(prefix) and eft.FINAL_DOC[final] in d.doc


def _pair_sum_vector_ops(h, q, p1, p2, m, c):
    """sum over the X polarisations of |h_mu J^mu|^2 for the vector-current operators of the list (c: {"V2": .., ...})
    with a hadronic current h (upper index); the pair currents as in _vector_dm_density_b_to_k."""
    low = ETA
    amp = c.get("V4", 0) * (h * low) @ (p1 - p2) * METRIC
    amp = amp + c.get("V2", 0) * 1j * (np.outer(h, q) + np.outer(q, h)) - c.get("V5", 0) * (np.outer(h, q) - np.outer(q, h))
    amp = amp - 1j * c.get("V3", 0) * np.einsum("mnrs,m,n->rs", EPS4, h * low, (p1 - p2) * low)
    amp = amp - c.get("V6", 0) * np.einsum("mnrs,m,n->rs", EPS4, h * low, q * low)
    pol1 = -METRIC + np.outer(p1 * low, p1 * low) / m**2
    pol2 = -METRIC + np.outer(p2 * low, p2 * low) / m**2
    return np.einsum("rs,tu,rt,su->", amp, amp.conj(), pol1, pol2).real


@pytest.mark.parametrize("c", [{"V2": 1.0}, {"V3": 1.0}, {"V4": 1.0}, {"V5": 1.0}, {"V6": 1.0},
                               {"V2": 0.4, "V3": 1.0, "V5": 0.7j, "V6": -0.5}], ids=lambda c: "+".join(c))
def test_vector_dm_b_to_kstar_rate_against_covariant_sums(c):
    """B0 -> K*0 X X^dagger (m_X = 0.7 GeV, K* at its pole mass) through the vector-current operators with the vector quark
    current: sum |a|^2 + j0 of amplitudes.vector_pair (all K* helicities and pair configurations) equals (1/2) int dcos
    of the covariant sums over the K* polarisations (<K*|s gamma^mu b|B> = 2V/(m_B + m_K*) eps^{mu nu rho sigma}
    eta*_nu p_rho k_sigma, BSZ arXiv:1503.05534 eq. 2; its sign convention cancels against the pair's epsilon) and
    the X polarisations. This checks the lambda = -+1 amplitudes and the sigma = -+1 pair factors, which B -> K does not."""
    m = 0.7
    kw = {f"c_v{k}" if k != "4" else "c_v": (c.get(f"V{k}", 0), 0) for k in ("2", "3", "4", "5", "6")}
    nodes, weights = np.polynomial.legendre.leggauss(12)
    for q2 in (2.5, 7.0, 13.0):
        x = A.vector_pair(FF_KST, q2, M_B0, M_KST, m, **kw)
        ours = float((np.abs(x.a) ** 2).sum() + x.j0)
        rs = np.sqrt(q2)
        kz = np.sqrt(A.kallen(M_B0**2, M_KST**2, q2)) / (2 * rs)
        pv = np.array([(M_B0**2 - M_KST**2 - q2) / (2 * rs), 0, 0, -kz])
        q = np.array([rs, 0, 0, 0])
        pb = pv + q
        etas = [np.array([0, 1, -1j, 0]) / np.sqrt(2), np.array([0, -1, -1j, 0]) / np.sqrt(2),
                np.array([kz, 0, 0, -pv[0]]) / M_KST]
        vff = 2 * float(FF_KST.V(q2)) / (M_B0 + M_KST)
        hs = [vff * np.einsum("mnrs,n,r,s->m", EPS4, eta.conj() * ETA, pb * ETA, pv * ETA) for eta in etas]
        e = rs / 2
        p = np.sqrt(e * e - m * m)
        theirs = 0.0
        for ct, w in zip(nodes, weights):
            sn = np.sqrt(1 - ct * ct)
            p1, p2 = np.array([e, p * sn, 0, p * ct]), np.array([e, -p * sn, 0, -p * ct])
            theirs += 0.5 * w * sum(_pair_sum_vector_ops(h, q, p1, p2, m, c) for h in hs)
        assert ours == pytest.approx(theirs, rel=1e-9)
