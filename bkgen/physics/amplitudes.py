"""Hadronic matrix elements of b -> s currents as helicity amplitudes, contracted with the final
states bkgen generates. Pure numpy; the one home of the B -> K, B -> K* and Bs -> phi amplitudes.

Conventions (stated once)
-------------------------
* Metric (+,-,-,-); gamma5 = i gamma^0 gamma^1 gamma^2 gamma^3; P_{L,R} = (1 -+ gamma5)/2;
  sigma^{mu nu} = (i/2)[gamma^mu, gamma^nu]; epsilon^{0123} = -1 (BSZ arXiv:1503.05534 convention).
* Decays are written for b -> s (Bbar -> Kbar(*), as bkgen's amplitudes; the generator conjugates).
  q = p_B - p_M, q^2 = invariant mass^2 of the system Y; lambda = lambda(m_B^2, m_M^2, q^2).
* Form factors: B -> P f_+, f_0, f_T and B -> V V, A_0, A_1, A_12, T_1, T_2, T_23 as defined in
  BSZ arXiv:1503.05534 eq. (2)-(6) and Gubernari-Kokulu-van Dyk arXiv:1811.00983 eq. (2.1)-(2.3).
* Helicity amplitudes H_lambda = eps*_mu(lambda) <M(lambda_M)|J^mu|B>, lambda in {t, -1, 0, +1}, with
  the polarisation vectors of q in the B rest frame (Korner-Schuler; Gratrex-Hopfer-Zwicky
  arXiv:1506.03970 Sec. 2). The relative sign of the parity-even (V, T_1) and parity-odd (A_1, T_2)
  pieces inside H_-+ is fixed so that a left-handed s quark (s gamma^mu P_L b) gives |H_-| > |H_+|
  (helicity suppression of lambda = +1 at large recoil), as in the two copies these functions replace
  (seed 003 eq. 44-45). The relative sign of H_0 and H_-+ is physical as soon as both the meson and Y
  decay (the cos chi terms, S4/S5 of B -> K* l l): with the meson along +z, eps_M(+-) = (0, -+1, -i, 0)/sqrt2,
  eps_M(0) = (|k|, 0, 0, E_M)/m_M, and q along -z, eps(+-) = (0, +-1, -i, 0)/sqrt2, eps(0) = (|q|, 0, 0, -q0)/sqrt(q^2),
  H_lambda = eps*_mu(lambda) <M(eps_M(lambda))|J^mu|B> is the amplitude returned here up to a common phase. The eps(lambda)
  of q are the rotation by pi about y of those of a vector along +z, so the kernel's helicity frame of Y
  (kernels/cascade.py) is the meson's frame rotated by pi about y (a rotation about x, used before, maps them to
  -eps(+-), eps(0): the sign of H_0 relative to H_-+, i.e. chi -> chi + pi): tests/test_angular_sign.py compares the
  generated cos chi correlation of B -> K*(-> K pi) X(-> l l) with a covariant |M|^2 (Dirac traces).
* Quark masses in the scalar/pseudoscalar matrix elements (equations of motion): MS-bar m_b(m_b) and
  m_s(m_b) (:func:`default_quark_masses`) unless given; scalar coefficients are defined at mu = m_b.

Normalised amplitudes and the kernel
------------------------------------
For a three-body final state B -> M y1 y2 through an operator (s Gamma b)(y Gamma' y) with
coefficient c [GeV^-2], bkgen writes

    dGamma/dq^2 = K(q^2) [ sum_s sum_{lambda=-1,0,1} |a_s,lambda|^2 + j0 ],
    K = sqrt(lambda) beta / (256 pi^3 m_B^3),  beta = |p_y| 2/sqrt(q^2),

where s runs over the pair's spin configurations (sigma = lambda_1 - lambda_2 = -1; two sigma = 0
configurations (++), (--); sigma = +1), a_s,lambda is the spin-one (J = 1) amplitude of pair
helicity sigma_s and meson helicity lambda, normalised so that its angular integral is |a|^2
(3 |d^1|^2 integrates to 2 in each angle), and j0 is the spin-summed square of the spin-zero
(J = 0, timelike and scalar) amplitudes. (1/(2 m_B)) (2 pi)^-1 dPhi_2 dPhi_2 gives K.

The kernel samples sum_sigma w_sigma |sum_lambda H_lambda d^1_{lambda 0}(theta_M) d^1_{lambda sigma} (theta_Y)
e^{i lambda chi}|^2, one H per channel. :func:`kernel_components` maps the amplitudes onto that form exactly
(complex H with their T-odd sin chi, sin 2chi terms), except for one term: the interference of J = 0 and J = 1
amplitudes of the same sigma = 0 configuration (scalar-tensor for nu nubar; scalar/pseudoscalar/timelike-axial
with vector for massive pairs). That term is odd in cos(theta_Y) (it carries d^1_{lambda 0}(theta_Y) d^0_00),
so it integrates to zero over the pair angle: the q^2 spectrum, the rates and the meson-angle distribution
(F_L) stay exact; only the forward-backward asymmetry of the pair in its rest frame is not generated.
B -> P: one component, H = (0, 1, 0), w_sigma = sum_{s: sigma_s = sigma} |a_s,0|^2 + j0/3.
B -> V: one component per spin configuration (H = a_s, w = unit vector of sigma_s; the sigma = 0 pair
merged when their amplitudes are equal), plus one for J = 0 with H = (0, sqrt(j0), 0), w = (1, 1, 1)
(|H_0|^2 cos^2 theta_M, isotropic in theta_Y); each is a separate incoherent channel of the model.

Neutrinos: the vector operators need only nu_L (pair sigma = -1). The scalar and tensor operators
(nu P_L nu) flip chirality: the pair is (nu, nubar) with helicities (+1/2, +1/2), sigma = 0, which needs
a right-handed neutrino state. Either a light Dirac nu_R (rate per flavour as for any massless Dirac
fermion, ``st_factor = 1``) or Majorana nu_L with lepton-number-violating operators nu^T C P_L nu
(Felkl-Li-Schmidt arXiv:2111.04327, the convention of EOS ``sbnunu``): the two identical-field
contractions double the amplitude and the identical-particle phase space halves it, a net factor 2
(``st_factor = 2``). Vector and scalar/tensor pairs are distinguishable final states: no interference.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import qcd
from .inputs import quark_mass_msbar


def kallen(a, b, c):
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def _lam(q2, m_b, m_m):
    return np.clip(kallen(m_b**2, np.asarray(m_m, dtype=float) ** 2, q2), 0.0, None)


def strange_mass_at_mb() -> float:
    """m_s(m_b) [GeV]: the PDG m_s(2 GeV) run to mu = m_b(m_b) at leading order,
    m(mu) = m(mu_0) [alpha_s(mu)/alpha_s(mu_0)]^{12/25} (n_f = 4; Chetyrkin-Kuhn-Steinhauser
    hep-ph/0004189 eq. 7 at one loop), alpha_s from bkgen.physics.qcd."""
    m_b = quark_mass_msbar(5)
    return quark_mass_msbar(3) * (qcd.alpha_s(m_b) / qcd.alpha_s(2.0)) ** (12.0 / 25.0)


def default_quark_masses() -> tuple[float, float]:
    """(m_b, m_s) [GeV] of the scalar and pseudoscalar currents: both MS-bar at mu = m_b(m_b)."""
    return quark_mass_msbar(5), strange_mass_at_mb()


def _quark_masses(m_bq, m_sq):
    mb, ms = default_quark_masses()
    return (mb if m_bq is None else m_bq), (ms if m_sq is None else m_sq)


# =============================================================================================
# Hadronic helicity amplitudes for unit chiral coefficients
# =============================================================================================
def vector_current(ff, q2, m_b, m_m, c_l=1.0, c_r=0.0, spin=None, times_sqrt_q2=False):
    """(H_t, H_-, H_0, H_+) of s gamma^mu (c_L P_L + c_R P_R) b, shape (..., 4).

    B -> P (BSZ eq. 2 / GKvD eq. 2.1): H_0 = (c_L + c_R)/2 sqrt(lambda/q^2) f_+,
    H_t = (c_L + c_R)/2 (m_B^2 - m_P^2)/sqrt(q^2) f_0, H_-+ = 0.
    B -> V (BSZ eq. 3-4, A_12 of BSZ eq. 5; Bobeth-Hiller-van Dyk arXiv:1006.5013 eq. 2.4-2.6 up to
    overall phases): H_-+ = (c_L - c_R)/2 (m_B + m_V) A_1 +- (c_L + c_R)/2 sqrt(lambda) V/(m_B + m_V),
    H_0 = (c_L - c_R)/2 8 m_B m_V A_12/sqrt(q^2), H_t = (c_L - c_R)/2 sqrt(lambda/q^2) A_0.
    With c_L = 2 (the V - A current) these are the amplitudes of seed 003 eq. (44)-(45) times
    sqrt(q^2)/m_B and of the former sm_nunu/dark_vector copies. ``spin`` = 0 or 1 (default: from ff).
    ``times_sqrt_q2``: return sqrt(q^2) H, finite at q^2 = 0."""
    q2 = np.asarray(q2, dtype=float)
    m_m = np.asarray(m_m, dtype=float)
    spin = _spin(ff) if spin is None else spin
    lam = _lam(q2, m_b, m_m)
    rs = np.sqrt(np.clip(q2, 0.0, None))
    inv = 1.0 if times_sqrt_q2 else 1.0 / np.clip(rs, 1e-150, None)  # 1/sqrt(q^2) factors
    one = rs if times_sqrt_q2 else 1.0  # factors without 1/sqrt(q^2)
    cv, ca = 0.5 * (c_l + c_r), 0.5 * (c_l - c_r)
    h = np.zeros(np.broadcast(q2, m_m).shape + (4,), dtype=_dtype(c_l, c_r))
    if spin == 0:
        h[..., 0] = cv * (m_b**2 - m_m**2) * inv * ff.f_zero(q2)
        h[..., 2] = cv * np.sqrt(lam) * inv * ff.f_plus(q2)
        return h
    a1, v = ff.A1(q2), ff.V(q2)
    h[..., 0] = ca * np.sqrt(lam) * inv * ff.A0(q2)
    h[..., 1] = (ca * (m_b + m_m) * a1 + cv * np.sqrt(lam) * v / (m_b + m_m)) * one
    h[..., 2] = ca * 8.0 * m_b * m_m * ff.A12(q2) * inv
    h[..., 3] = (ca * (m_b + m_m) * a1 - cv * np.sqrt(lam) * v / (m_b + m_m)) * one
    return h


def scalar_current(ff, q2, m_b, m_m, c_l=1.0, c_r=0.0, m_bq=None, m_sq=None, spin=None):
    """<M| s (c_L P_L + c_R P_R) b |B> [GeV] (only the meson helicity 0), from the Ward identities
    q_mu <s gamma^mu b> = (m_b - m_s) <s b>, q_mu <s gamma^mu gamma5 b> = (m_b + m_s) <s gamma5 b>
    (phase absorbed), i.e. sqrt(q^2) H_t / (m_b -+ m_s):
    B -> P: (c_L + c_R)/2 (m_B^2 - m_P^2)/(m_b - m_s) f_0 (seed 002 slide eq. for B -> K H_1; FLS
    arXiv:2111.04327 eq. 8); B -> V: (c_R - c_L)/2 sqrt(lambda) A_0/(m_b + m_s) (FLS eq. 13)."""
    q2 = np.asarray(q2, dtype=float)
    m_m = np.asarray(m_m, dtype=float)
    spin = _spin(ff) if spin is None else spin
    mb, ms = _quark_masses(m_bq, m_sq)
    if spin == 0:
        return 0.5 * (c_l + c_r) * (m_b**2 - m_m**2) / (mb - ms) * ff.f_zero(q2) + 0.0 * m_m
    return 0.5 * (c_r - c_l) * np.sqrt(_lam(q2, m_b, m_m)) / (mb + ms) * ff.A0(q2)


def dipole_current(ff, q2, m_b, m_m, c_l=0.0, c_r=1.0, spin=None):
    """(H_-, H_0, H_+) of s sigma^{mu nu} q_nu (c_L P_L + c_R P_R) b contracted with eps*(lambda), shape
    (..., 3). With this normalisation a term c_7 of the dipole adds to the vector current c_9 as in
    B -> K l l (Gratrex-Hopfer-Zwicky arXiv:1506.03970 Sec. 2; BSZ eq. 6-7 for T_1, T_2, T_23):
    B -> P: H_0 = (c_L + c_R)/2 sqrt(lambda/q^2) q^2 f_T/(m_B + m_P);
    B -> V: H_-+ = (c_R - c_L)/2 (m_B^2 - m_V^2) T_2 +- (c_R + c_L)/2 sqrt(lambda) T_1 (c_R: the s_L
    quark of s sigma P_R b, larger H_-), H_0 = (c_R - c_L)/2 4 m_B m_V sqrt(q^2) T_23/(m_B + m_V)."""
    q2 = np.asarray(q2, dtype=float)
    m_m = np.asarray(m_m, dtype=float)
    spin = _spin(ff) if spin is None else spin
    lam = _lam(q2, m_b, m_m)
    rs = np.sqrt(np.clip(q2, 0.0, None))
    h = np.zeros(np.broadcast(q2, m_m).shape + (3,), dtype=_dtype(c_l, c_r))
    cp, cm = 0.5 * (c_r + c_l), 0.5 * (c_r - c_l)
    if spin == 0:
        h[..., 1] = cp * np.sqrt(lam) * rs * ff.f_T(q2) / (m_b + m_m)
        return h
    t1, t2 = ff.T1(q2), ff.T2(q2)
    h[..., 0] = cm * (m_b**2 - m_m**2) * t2 + cp * np.sqrt(lam) * t1
    h[..., 1] = cm * 4.0 * m_b * m_m * rs * ff.T23(q2) / (m_b + m_m)
    h[..., 2] = cm * (m_b**2 - m_m**2) * t2 - cp * np.sqrt(lam) * t1
    return h


def tensor_nunu(ff, q2, m_b, m_m, spin=None):
    """Normalised J = 1 amplitudes (a_-, a_0, a_+) of (s sigma^{mu nu} b)(nu sigma_{mu nu} P_L nu) per unit
    coefficient, massless Dirac pair in the (++) configuration (sigma = 0), shape (..., 3):
    a = (4/sqrt3) dipole_current(c_L = 1, c_R = 0), derived here as the massless limit of :func:`_tensor_pair` with
    (C_TT, C_TT5) = (1/2, -1/2) (there a = (2/sqrt3)(D - D5), D - D5 = dipole_current(2, 0)).
    B -> P: sigma_{mu nu} q^nu P_L between massless spinors is i (p_1 - p_2)_mu P_L, so
    |M|^2 = 4 f_T^2 lambda q^2 cos^2(theta)/(m_B + m_P)^2 and a_0 = 2 f_T sqrt(lambda q^2/3)/(m_B + m_P).
    B -> V: a_- = (2/sqrt3)(sqrt(lambda) T_1 - (m_B^2 - m_V^2) T_2),
    a_0 = -8 m_B m_V sqrt(q^2) T_23/(sqrt3 (m_B + m_V)), a_+ = -(2/sqrt3)(sqrt(lambda) T_1 + (m_B^2 - m_V^2) T_2) (tensor
    helicity amplitudes of Gratrex-Hopfer-Zwicky arXiv:1506.03970 Sec. 2; summed over lambda this is FLS
    arXiv:2111.04327 eq. (13), checked against EOS in tests/test_eft.py). The relative signs of a_-, a_0, a_+ are those
    of the covariant 4-body distribution of B -> K*(-> K pi) nu nubar (Dirac traces, tests/test_covariant_kstar.py;
    before, a_0 and a_+ carried the opposite sign, which no choice of angle convention reproduces). The s quark of
    s sigma P_L b is right-handed: the larger amplitude is lambda = +1."""
    return 4.0 / np.sqrt(3.0) * dipole_current(ff, q2, m_b, m_m, 1.0, 0.0, spin=spin)


def _spin(ff) -> int:
    return 0 if hasattr(ff, "f_plus") else 1


def _dtype(*coefficients):
    """complex if any coefficient is complex (complex Wilson coefficients), else float."""
    return np.result_type(float, *(np.asarray(c).dtype for c in coefficients))


def _abs2(x):
    """|x|^2, elementwise; x * x (bit for bit) for real x."""
    x = np.asarray(x)
    return x.real**2 + x.imag**2 if np.iscomplexobj(x) else x * x


# =============================================================================================
# Contraction with the final states
# =============================================================================================
#: spin configurations s of a pair: sigma_s for (sigma=-1, (++), (--), sigma=+1)
PAIR_SIGMA = (-1, 0, 0, 1)


@dataclass(frozen=True)
class PairAmplitudes:
    """Normalised amplitudes of B -> M y1 y2 at (q^2, m_M) (module docstring):
    dGamma/dq^2 = k (sum |a|^2 + j0). a: (..., n_s, 3) over (configuration s, lambda = -1, 0, +1), real or
    complex; sigma: the pair helicity sigma_s of each configuration (default PAIR_SIGMA, n_s = 4);
    j0: (...) spin-summed |J = 0 amplitude|^2; k: (...) phase-space factor [GeV^-1]."""

    a: np.ndarray
    j0: np.ndarray
    k: np.ndarray
    sigma: tuple = PAIR_SIGMA

    def rate(self):
        """dGamma/dq^2 [GeV^-1] (amplitudes in GeV^-2 x GeV^2: the coefficient included)."""
        return self.k * (_abs2(self.a).sum(axis=(-2, -1)) + self.j0)


def phase_space_k(q2, m_b, m_m, m_y):
    """K = sqrt(lambda) beta/(256 pi^3 m_B^3) [GeV^-3], beta = sqrt(1 - 4 m_y^2/q^2) (equal masses)."""
    q2 = np.asarray(q2, dtype=float)
    beta = np.sqrt(np.clip(1.0 - 4.0 * m_y**2 / np.clip(q2, 1e-300, None), 0.0, None))
    return np.sqrt(_lam(q2, m_b, m_m)) * beta / (256.0 * np.pi**3 * m_b**3)


def _j1(h4):
    """(H_-, H_0, H_+) from (H_t, H_-, H_0, H_+)."""
    return h4[..., 1:]


def nunu(ff, q2, m_b, m_m, norm, c_vl, c_vr=0.0, c_sl=0.0, c_sr=0.0, c_tl=0.0, st_factor=2.0,
         m_bq=None, m_sq=None) -> PairAmplitudes:
    """One neutrino flavour, H = norm sum_i C_i O_i with O_VL,R = (s gamma^mu P_L,R b)(nu gamma_mu P_L nu),
    O_SL,R = (s P_L,R b)(nu P_L nu), O_TL = (s sigma^{mu nu} b)(nu sigma_mu nu P_L nu) (EOS sbnunu /
    FLS arXiv:2111.04327 eq. 1; norm = 4 G_F/sqrt2 V_tb V_ts* alpha/(2 pi) [GeV^-2]).
    Vector: sigma = -1, a = norm H_lambda sqrt(2 q^2/3) (sum over nu spins of the V - A pair:
    (2/3)(q^mu q^nu - q^2 g^mu nu) after the angular average, derived here; reproduces seed 000
    eq. 3.10). Scalar: J = 0, j0 = st_factor norm^2 |<s(C_SL P_L + C_SR P_R)b>|^2 q^2 (sum |u P_L v|^2
    = q^2). Tensor: (++), a = sqrt(st_factor) norm C_TL tensor_nunu. st_factor: module docstring.
    Coefficients may be complex."""
    q2 = np.asarray(q2, dtype=float)
    shape = np.broadcast(q2, np.asarray(m_m, dtype=float)).shape
    a = np.zeros(shape + (4, 3), dtype=_dtype(c_vl, c_vr, c_tl))
    if c_vl != 0.0 or c_vr != 0.0:
        h = vector_current(ff, q2, m_b, m_m, c_vl, c_vr, times_sqrt_q2=True)
        a[..., 0, :] = norm * np.sqrt(2.0 / 3.0) * _j1(h)
    if c_tl != 0.0:
        a[..., 1, :] = np.sqrt(st_factor) * norm * c_tl * tensor_nunu(ff, q2, m_b, m_m)
    j0 = np.zeros(shape)
    if c_sl != 0.0 or c_sr != 0.0:
        j0 = j0 + st_factor * norm**2 * _abs2(scalar_current(ff, q2, m_b, m_m, c_sl, c_sr, m_bq, m_sq)) * q2
    return PairAmplitudes(a, j0, phase_space_k(q2, m_b, m_m, 0.0) + np.zeros(shape))


def fermion_pair(ff, q2, m_b, m_m, m_chi, c_v=(0.0, 0.0), c_a=(0.0, 0.0), c_s=(0.0, 0.0), c_p=(0.0, 0.0),
                 majorana=False, m_bq=None, m_sq=None, c_t=(0.0, 0.0)) -> PairAmplitudes:
    """Fermion pair chi chibar of mass m_chi through H = sum_X (s Gamma_X^q b)(chi Gamma_X chi):
    c_v = (C_VV, C_AV) for (s gamma^mu b, s gamma^mu gamma5 b) x (chi gamma_mu chi); c_a = (C_VA, C_AA)
    x (chi gamma_mu gamma5 chi); c_s = (C_SS, C_PS) for (s b, s gamma5 b) x (chi chi); c_p = (C_SP, C_PP)
    x (chi gamma5 chi); c_t = (C_TT, C_TT5) for (s sigma^{mu nu} b) x (chi sigma_{mu nu} chi,
    chi sigma_{mu nu} gamma5 chi) [GeV^-2], complex allowed (He-Ma-Valencia arXiv:2309.12741 operators
    O_qchi^{S,V,T} as printed on the seed 002 back-up slide: their chi i gamma5 chi is i chi gamma5 chi, a
    relative phase that matters only against C_VA, C_AA; (s sigma gamma5 b)(chi sigma chi) is the same operator
    as (s sigma b)(chi sigma gamma5 chi), so C_TT5 covers both).
    Pair amplitudes (Dirac; derived here from the spin sums, beta = sqrt(1 - 4 m^2/q^2)):
    vector current |l|^2 = 2 q^2 (sigma = -+1), 4 m^2 (each sigma = 0); axial current
    |l|^2 = 2 q^2 beta^2 (sigma = -+1, with opposite signs: V - A populates sigma = -1), 0 (sigma = 0),
    timelike 8 m^2; scalar sum|u v|^2 = 2 q^2 beta^2; pseudoscalar sum|u gamma5 v|^2 = 2 q^2, coherent with
    the timelike axial part as (C_P + 2 m/sqrt(q^2) H_t) (Gratrex-Hopfer-Zwicky arXiv:1506.03970 Sec. 2,
    the H_P combination). Tensor (:func:`_tensor_pair`): J = 1 only, in the same spin configurations and
    phases as the vector current. Majorana chi: the vector and tensor currents vanish (they must be zero
    here: chi gamma^mu chi = chi sigma^{mu nu} chi = 0 for a Majorana field); S, P, A amplitudes double, the
    identical-particle phase space halves: rate x 2."""
    q2 = np.asarray(q2, dtype=float)
    shape = np.broadcast(q2, np.asarray(m_m, dtype=float)).shape
    if majorana and any(c != 0.0 for c in (*c_v, *c_t)):
        raise ValueError("the vector and tensor currents chi gamma^mu chi, chi sigma^{mu nu} chi vanish for a "
                         "Majorana chi")
    rs = np.sqrt(np.clip(q2, 1e-300, None))
    beta = np.sqrt(np.clip(1.0 - 4.0 * m_chi**2 / np.clip(q2, 1e-300, None), 0.0, None))

    def hadronic(c, scaled=False):  # s gamma^mu (c_V + c_A gamma5) b = s gamma^mu ((c_V - c_A) P_L + (c_V + c_A) P_R) b
        return vector_current(ff, q2, m_b, m_m, c[0] - c[1], c[0] + c[1], times_sqrt_q2=scaled)

    def hadronic_s(c):
        return scalar_current(ff, q2, m_b, m_m, c[0] - c[1], c[0] + c[1], m_bq, m_sq)

    hv, ha = hadronic(c_v), hadronic(c_a)
    hv_s, ha_s = _j1(hadronic(c_v, True)), _j1(hadronic(c_a, True))  # sqrt(q^2) H, finite at q^2 = 0
    a = np.zeros(shape + (4, 3), dtype=_dtype(*c_v, *c_a, *c_t))
    lv = np.sqrt(2.0 / 3.0)
    la = (beta * np.sqrt(2.0 / 3.0))[..., None]
    a[..., 0, :] = hv_s * lv - ha_s * la  # sigma = -1
    a[..., 3, :] = hv_s * lv + ha_s * la  # sigma = +1
    a[..., 1, :] = _j1(hv) * (2.0 * m_chi / np.sqrt(3.0))
    a[..., 2, :] = a[..., 1, :]
    if c_t[0] != 0.0 or c_t[1] != 0.0:
        a = a + _tensor_pair(ff, q2, m_b, m_m, m_chi, c_t)
    j0 = _abs2(hadronic_s(c_s)) * 2.0 * q2 * beta**2
    j0 = j0 + _abs2(hadronic_s(c_p) + 2.0 * m_chi / rs * ha[..., 0]) * 2.0 * q2
    factor = 2.0 if majorana else 1.0
    return PairAmplitudes(np.sqrt(factor) * a, factor * j0, phase_space_k(q2, m_b, m_m, m_chi) + np.zeros(shape))


def _tensor_pair(ff, q2, m_b, m_m, m_chi, c_t):
    """Normalised amplitudes (..., 4, 3) of C_TT (s sigma^{mu nu} b)(chi sigma_{mu nu} chi) + C_TT5 (s sigma^{mu nu}
    b)(chi sigma_{mu nu} gamma5 chi) for a Dirac pair of mass m_chi, in the configurations and phases of
    :func:`fermion_pair`'s vector current. Derived here (tests/test_amplitudes.py checks each step with explicit
    Dirac matrices):
    (i) in the rest frame of q, sigma^{mu nu} (x) sigma_{mu nu} = (2/q^2) sum_k [E^k (x) E^k + E^k gamma5 (x) E^k gamma5]
        with E^mu = i sigma^{mu nu} q_nu (the dipole current), so the operator is a sum of products of the hadronic
        dipole currents D = dipole_current(c_L = c_R = 1) and D5 = dipole_current(c_L = -1, c_R = 1) (their phase:
        dipole_current = -eps* . <s i sigma q b>, GKvD arXiv:1811.00983 eq. 2.3 for f_T) with the pair's;
    (ii) the pair's dipole currents (Gordon identities, derived here): u i sigma^{mu nu} q_nu v =
        -(p_1 - p_2)^mu u v + 2 m u gamma^mu v and u i sigma^{mu nu} q_nu gamma5 v = -(p_1 - p_2)^mu u gamma5 v; relative
        to the vector current u gamma^mu v of the same configuration they are q^2/(2m) and -+ q^2 beta/(2m) for
        (++), (--) (sigma = 0) and 2m, 0 for sigma = -+1.
    Result: a_(+-+-) = (2/sqrt3)[(C_TT D + C_TT5 D5) -+ beta (C_TT D5 + C_TT5 D)],
    a_(sigma=-+1) = (4 m/sqrt(3 q^2)) sqrt2 (C_TT D + C_TT5 D5). At m = 0 the chiral combination
    (s sigma b)(chi sigma P_L chi) populates (++) only, with the a_lambda of tensor_nunu (EOS-checked).
    tests/test_covariant_kstar.py checks these amplitudes for B -> K* against Dirac traces of covariant matrix elements
    (pair-angle density and the full K* -> K pi four-body distribution)."""
    q2 = np.asarray(q2, dtype=float)
    t, t5 = c_t
    d = dipole_current(ff, q2, m_b, m_m, 1.0, 1.0)
    d5 = dipole_current(ff, q2, m_b, m_m, -1.0, 1.0)
    beta = np.sqrt(np.clip(1.0 - 4.0 * m_chi**2 / np.clip(q2, 1e-300, None), 0.0, None))[..., None]
    rs = np.sqrt(np.clip(q2, 1e-300, None))[..., None]
    electric = t * d + t5 * d5
    magnetic = t * d5 + t5 * d
    a = np.zeros(np.shape(d)[:-1] + (4, 3), dtype=_dtype(t, t5))
    a[..., 1, :] = 2.0 / np.sqrt(3.0) * (electric - beta * magnetic)
    a[..., 2, :] = 2.0 / np.sqrt(3.0) * (electric + beta * magnetic)
    a[..., 0, :] = a[..., 3, :] = 4.0 * m_chi / (np.sqrt(3.0) * rs) * np.sqrt(2.0) * electric
    return a


def scalar_pair(ff, q2, m_b, m_m, m_phi, c_s=(0.0, 0.0), c_v=(0.0, 0.0), real=False, m_bq=None,
                m_sq=None) -> PairAmplitudes:
    """Scalar pair phi phi^dagger of mass m_phi through c_s = (C_S, C_P) for (s b, s gamma5 b)(phi^dagger phi)
    and c_v = (C_V, C_A) for (s gamma^mu b, s gamma^mu gamma5 b)(phi^dagger i d<->_mu phi) [GeV^-2]
    (He-Ma-Valencia arXiv:2309.12741 scalar-DM operators). Derived here: the scalar current is J = 0 with
    |l|^2 = 1; the vector current gives (p_1 - p_2)_mu, J = 1 with sigma = 0 and |eps(lambda).(p_1 - p_2)|^2
    averaging to beta^2 q^2/3 (eps(t).(p_1 - p_2) = 0 for equal masses). A real phi: the vector
    current vanishes (must be zero), the scalar amplitude doubles and the phase space halves: x 2."""
    q2 = np.asarray(q2, dtype=float)
    shape = np.broadcast(q2, np.asarray(m_m, dtype=float)).shape
    if real and (c_v[0] != 0.0 or c_v[1] != 0.0):
        raise ValueError("the current phi i d<->_mu phi vanishes for a real scalar")
    beta = np.sqrt(np.clip(1.0 - 4.0 * m_phi**2 / np.clip(q2, 1e-300, None), 0.0, None))
    a = np.zeros(shape + (4, 3), dtype=_dtype(*c_v))
    hv = vector_current(ff, q2, m_b, m_m, c_v[0] - c_v[1], c_v[0] + c_v[1], times_sqrt_q2=True)
    a[..., 1, :] = _j1(hv) * (beta / np.sqrt(3.0))[..., None]
    j0 = _abs2(scalar_current(ff, q2, m_b, m_m, c_s[0] - c_s[1], c_s[0] + c_s[1], m_bq, m_sq)) + np.zeros(shape)
    factor = 2.0 if real else 1.0
    return PairAmplitudes(a, factor * j0, phase_space_k(q2, m_b, m_m, m_phi) + np.zeros(shape))


def vector_pair_polarisation_sum(q2, m_x):
    """sum over both X polarisations of |eps_1* . eps_2*|^2 = 2 + (q^2 - 2 m^2)^2/(4 m^4) (derived here:
    the two transverse pairs give 1 each, the longitudinal pair (q^2/2 - m^2)^2/m^4 ... with
    p_1.p_2 = q^2/2 - m^2)."""
    q2 = np.asarray(q2, dtype=float)
    return 2.0 + (q2 - 2.0 * m_x**2) ** 2 / (4.0 * m_x**4)


#: spin configurations (lambda_1, lambda_2) of a vector pair with |sigma| <= 1 (|sigma| = 2 needs J >= 2: no
#: current here produces it), and their sigma = lambda_1 - lambda_2
VECTOR_PAIR_CONFIGS = tuple((l1, l2) for l1 in (1, 0, -1) for l2 in (1, 0, -1) if abs(l1 - l2) <= 1)
VECTOR_PAIR_SIGMA = tuple(l1 - l2 for l1, l2 in VECTOR_PAIR_CONFIGS)


def _levi_civita():
    """The 24 non-zero entries (mu, nu, rho, sigma, value) of epsilon^{mu nu rho sigma}, epsilon^{0123} = -1 (module
    convention)."""
    import itertools
    out = []
    for perm in itertools.permutations(range(4)):
        inv = sum(1 for i in range(4) for j in range(i + 1, 4) if perm[i] > perm[j])
        out.append((*perm, -1.0 if inv % 2 == 0 else 1.0))
    return tuple(out)


_EPS4 = _levi_civita()


def _eps_contract(x, y, z):
    """J^mu = epsilon^{mu nu rho sigma} x_nu y_rho z_sigma for covariant (lower-index) x, y, z of shape (..., 4)."""
    out = np.zeros(np.broadcast(x, y, z).shape, dtype=np.result_type(x, y, z))
    for m_, n, r, t, v in _EPS4:
        out[..., m_] += v * x[..., n] * y[..., r] * z[..., t]
    return out
_METRIC = np.array([1.0, -1.0, -1.0, -1.0])
#: polarisation vectors of the virtual boson (q rest frame, helicity axis z), lambda = -1, 0, +1 (spatial parts)
_EPS_Q = np.array([[1.0, -1j, 0.0], [0.0, 0.0, 1.0], [-1.0, -1j, 0.0]]) * np.array([[1 / np.sqrt(2)], [1.0], [1 / np.sqrt(2)]])


def vector_pair_currents_direct(q2, m_x):
    """Pair factors of the vector-DM operators for each configuration of VECTOR_PAIR_CONFIGS, at pair direction
    theta = 0 in the q rest frame (particle 1 = X along +z, particle 2 = X^dagger along -z; outgoing
    polarisation vectors eps_1*, eps_2*, helicity vectors of particle 2 the rotation by pi about y of particle 1's;
    derivatives d -> i p of the outgoing particle). Returns a dict of arrays (..., n_configs):
    'dot' = eps_1*.eps_2*; for each vector-current operator k (He-Ma-Valencia arXiv:2309.12741 list as printed
    second on the seed 002 back-up slides) its pair current J^mu as 'Vk_0' = J^0 (J = 0 part) and 'Vk_1' =
    eps(sigma).J (J = 1 part, the only non-zero helicity projection):
      V2: d_nu (X^mu+ X^nu + X^nu+ X^mu)    -> i [(q.eps_2*) eps_1*^mu + (q.eps_1*) eps_2*^mu]
      V3: (X_rho+ d<->_nu X_sigma) eps^{mu nu rho sigma} -> -i eps^{mu nu rho sigma} (p_1 - p_2)_nu eps_1*_rho eps_2*_sigma
      V4: (X_nu+ i d<->_mu X^nu)          -> (p_1 - p_2)^mu (eps_1*.eps_2*)
      V5: i d_nu (X^mu+ X^nu - X^nu+ X^mu) -> -[(q.eps_2*) eps_1*^mu - (q.eps_1*) eps_2*^mu]
      V6: i d_nu (X_rho+ X_sigma) eps^{mu nu rho sigma} -> -eps^{mu nu rho sigma} q_nu eps_1*_rho eps_2*_sigma;
    and for the tensor operators the electric and magnetic parts of A_{mu nu} = eps_1*_mu eps_2*_nu - (mu <-> nu):
    'Te' = eps(sigma).e, e^k = A_{0k}; 'Tb' = eps(sigma).b, b^k = (1/2) epsilon^{kij} A_{ij}. Derived here."""
    q2 = np.asarray(q2, dtype=float)
    rs = np.sqrt(np.clip(q2, 4.0 * m_x**2, None))
    e = rs / 2.0
    p = np.sqrt(np.clip(e * e - m_x**2, 0.0, None))
    shape = q2.shape
    z = np.zeros(shape)
    one = np.ones(shape)

    def pol(lam, sign):  # contravariant eps(lam) of the particle along sign * z; returns (..., 4) complex
        if lam == 0:
            return np.stack([p / m_x, z, z, sign * e / m_x], axis=-1).astype(complex)
        return np.stack([z, -lam * sign * one, -1j * one, z], axis=-1) / np.sqrt(2.0)

    p12 = np.stack([z, z, z, 2.0 * p], axis=-1)  # (p_1 - p_2)^mu
    qv = np.stack([rs, z, z, z], axis=-1)
    out = {k: np.zeros(shape + (len(VECTOR_PAIR_CONFIGS),), dtype=complex)
           for k in ("dot", "V2_0", "V2_1", "V3_0", "V3_1", "V4_0", "V4_1", "V5_0", "V5_1", "V6_0", "V6_1", "Te", "Tb")}
    low = _METRIC  # lowering an index
    for c, (l1, l2) in enumerate(VECTOR_PAIR_CONFIGS):
        e1, e2 = np.conj(pol(l1, 1.0)), np.conj(pol(l2, -1.0))
        dot = (e1 * e2 * low).sum(-1)
        qe1, qe2 = rs * e1[..., 0], rs * e2[..., 0]
        cur = {
            "V2": 1j * (qe2[..., None] * e1 + qe1[..., None] * e2),
            "V3": -1j * _eps_contract(p12 * low, e1 * low, e2 * low),
            "V4": p12 * dot[..., None],
            "V5": -(qe2[..., None] * e1 - qe1[..., None] * e2),
            "V6": -_eps_contract(qv * low, e1 * low, e2 * low),
        }
        sig = l1 - l2
        proj = _EPS_Q[sig + 1]
        out["dot"][..., c] = dot
        for k, j in cur.items():
            out[f"{k}_0"][..., c] = j[..., 0]
            out[f"{k}_1"][..., c] = (j[..., 1:] * proj).sum(-1)
        a_low = (e1 * low)[..., :, None] * (e2 * low)[..., None, :]
        a_low = a_low - np.swapaxes(a_low, -1, -2)
        ev = a_low[..., 0, 1:]
        bv = np.stack([a_low[..., 2, 3], a_low[..., 3, 1], a_low[..., 1, 2]], axis=-1)
        out["Te"][..., c] = (ev * proj).sum(-1)
        out["Tb"][..., c] = (bv * proj).sum(-1)
    return out


#: polynomial basis of the pair factors in E = sqrt(q^2)/2 and p = sqrt(E^2 - m^2) (each factor is a polynomial of
#: degree <= 3 in (E, p) with coefficients in 1/m; p^2 = E^2 - m^2 reduces it onto these seven monomials)
def _pair_basis(e, p):
    return np.stack([np.ones_like(e), e, e * e, e * e * e, p, p * e, p * e * e], axis=-1)


@functools.lru_cache(maxsize=32)
def _pair_coefficients(m_x: float):
    """Coefficients of every pair factor of vector_pair_currents_direct in _pair_basis at mass m_x [GeV], solved exactly
    from 24 q^2 points (checked: the residual must vanish to 1e-10 of the factors' size)."""
    q2 = 4.0 * m_x**2 + np.linspace(1e-3, 30.0, 24) * max(1.0, m_x**2)
    direct = vector_pair_currents_direct(q2, m_x)
    e = np.sqrt(q2) / 2.0
    basis = _pair_basis(e, np.sqrt(e * e - m_x**2))
    out = {}
    for key, f in direct.items():
        coef, *_ = np.linalg.lstsq(basis.astype(complex), f, rcond=None)
        resid = np.abs(basis @ coef - f).max()
        if resid > 1e-10 * max(np.abs(f).max(), 1.0):
            raise ArithmeticError(f"pair factor {key} is not a cubic in (E, p) at m_X = {m_x}")
        out[key] = coef
    return out


def vector_pair_currents(q2, m_x):
    """vector_pair_currents_direct evaluated through its exact polynomial form in (E, p) (fast on large grids)."""
    q2 = np.asarray(q2, dtype=float)
    e = np.sqrt(np.clip(q2, 4.0 * m_x**2, None)) / 2.0
    basis = _pair_basis(e, np.sqrt(np.clip(e * e - m_x**2, 0.0, None)))
    return {key: basis @ coef for key, coef in _pair_coefficients(float(m_x)).items()}


def vector_pair(ff, q2, m_b, m_m, m_x, c_s=(0.0, 0.0), c_v=(0.0, 0.0), real=False, m_bq=None, m_sq=None,
                c_v2=(0.0, 0.0), c_v3=(0.0, 0.0), c_v5=(0.0, 0.0), c_v6=(0.0, 0.0), c_t=(0.0, 0.0)) -> PairAmplitudes:
    """Vector pair X X^dagger of mass m_x through the He-Ma-Valencia operators (arXiv:2309.12741, vector-DM list of
    the seed 002 back-up slides, numbered as in the second printing; the first printing is this numbering + 1 with
    its last operator, printed again as O_qX6^V, being O_qX6^V here): c_s = (C_S, C_P) for (s [gamma5] b)
    (X^dagger_mu X^mu) = O_qX^S [GeV^-1]; c_v = (C_V, C_A) for (s gamma^mu [gamma5] b) x the pair current of O_qX4^V
    (X^dagger_nu i d<->_mu X^nu); c_v2, c_v3, c_v5, c_v6 likewise for O_qX2^V, O_qX3^V, O_qX5^V, O_qX6^V [GeV^-2];
    c_t = (C_T1, C_T2) for O_qX1^T = (i/2)(s sigma^{mu nu} b)(X_mu^+ X_nu - X_nu^+ X_mu) and O_qX2^T = (1/2)
    (s sigma^{mu nu} gamma5 b)(...) [GeV^-1]. Complex coefficients allowed.
    Amplitudes (derived here; pair factors of :func:`vector_pair_currents` per spin configuration):
    vector currents: a_{s,lambda} = H_lambda eps(sigma).J(s)/sqrt3 (J = 1) and H_t J^0(s) (J = 0), H of
    vector_current with (c_L, c_R) = (C_V - C_A, C_V + C_A); scalar: <s (C_S + C_P gamma5) b> (eps_1*.eps_2*), J = 0;
    tensor: in the q rest frame sigma^{ij} = -i epsilon^{ijk} sigma^{0k} gamma5 and sigma^{0k} = (i/sqrt(q^2)) E^k
    (E = i sigma q, tests/test_operators.py), so with D = dipole_current(1, 1), D5 = dipole_current(-1, 1)
    (= -eps*.<s E [gamma5] b>): O_qX1^T: a = (-D_lambda Te + i D5_lambda Tb)/sqrt(3 q^2),
    O_qX2^T: a = (i D5_lambda Te + D_lambda Tb)/sqrt(3 q^2).
    A real X: O_qX^S, O_qX2^V, O_qX3^V double in amplitude (rate x 2 with the identical-particle phase space); the
    operators marked (x) on the slide (O_qX4,5,6^V, O_qX1,2^T) vanish and must be zero.
    With c_s and c_v only this is the closed form scalar_pair x vector_pair_polarisation_sum (tested)."""
    q2 = np.asarray(q2, dtype=float)
    shape = np.broadcast(q2, np.asarray(m_m, dtype=float)).shape
    if real and any(c != 0.0 for c in (*c_v, *c_v5, *c_v6, *c_t)):
        raise ValueError("the operators O_qX4,5,6^V and O_qX1,2^T vanish for a real vector X")
    q2b = np.broadcast_to(q2, shape)
    pc = vector_pair_currents(q2b, m_x)
    n_c = len(VECTOR_PAIR_CONFIGS)
    a = np.zeros(shape + (n_c, 3), dtype=complex)
    amp0 = np.zeros(shape + (n_c,), dtype=complex)
    if c_s[0] != 0.0 or c_s[1] != 0.0:
        sc = scalar_current(ff, q2, m_b, m_m, c_s[0] - c_s[1], c_s[0] + c_s[1], m_bq, m_sq) + np.zeros(shape)
        amp0 = amp0 + sc[..., None] * pc["dot"]
    for key, c in (("V4", c_v), ("V2", c_v2), ("V3", c_v3), ("V5", c_v5), ("V6", c_v6)):
        if c[0] == 0.0 and c[1] == 0.0:
            continue
        h = vector_current(ff, q2, m_b, m_m, c[0] - c[1], c[0] + c[1]) + np.zeros(shape + (4,))
        amp0 = amp0 + h[..., 0, None] * pc[f"{key}_0"]
        a = a + _j1(h)[..., None, :] * pc[f"{key}_1"][..., None] / np.sqrt(3.0)
    if c_t[0] != 0.0 or c_t[1] != 0.0:
        d = dipole_current(ff, q2, m_b, m_m, 1.0, 1.0) + np.zeros(shape + (3,))
        d5 = dipole_current(ff, q2, m_b, m_m, -1.0, 1.0) + np.zeros(shape + (3,))
        te, tb = pc["Te"][..., None], pc["Tb"][..., None]
        rs3 = np.sqrt(3.0 * np.clip(q2b, 1e-300, None))[..., None, None]
        a = a + (c_t[0] * (-d[..., None, :] * te + 1j * d5[..., None, :] * tb)
                 + c_t[1] * (1j * d5[..., None, :] * te + d[..., None, :] * tb)) / rs3
    factor = 2.0 if real else 1.0
    if not any(np.iscomplexobj(np.asarray(c)) for c in (*c_s, *c_v, *c_v2, *c_v3, *c_v5, *c_v6, *c_t)):
        # real coefficients: every configuration's amplitudes share one phase; rotate it out (real kernel components)
        a = _common_phase_real(a)
    return PairAmplitudes(np.sqrt(factor) * a, factor * _abs2(amp0).sum(-1),
                          phase_space_k(q2, m_b, m_m, m_x) + np.zeros(shape), VECTOR_PAIR_SIGMA)


def _common_phase_real(a):
    """a (..., n_s, 3) with one phase per configuration s: a times that phase's conjugate, made real when the
    remainder is real (else a is returned unchanged, complex)."""
    flat = a.reshape(-1, a.shape[-2], a.shape[-1])
    ref = flat[np.argmax(np.abs(flat).sum(-1), axis=0), np.arange(a.shape[-2]), :]  # (n_s, 3)
    k = np.argmax(np.abs(ref), axis=-1)
    ph = ref[np.arange(a.shape[-2]), k]
    ph = np.where(np.abs(ph) > 0, ph / np.where(np.abs(ph) > 0, np.abs(ph), 1.0), 1.0)
    rot = a * np.conj(ph)[:, None]
    if np.abs(rot.imag).max(initial=0.0) <= 1e-12 * max(np.abs(rot).max(initial=0.0), 1e-300):
        return rot.real
    return a


# =============================================================================================
# Kernel representation
# =============================================================================================
def kernel_components(amp_fn, spin: int, q2_probe, m_probe=None):
    """Split normalised amplitudes into the kernel's incoherent components (module docstring).

    ``amp_fn(q2, m_M)`` returns a PairAmplitudes. Returns a list of (name, rate, helicity,
    pair_weights) with numpy callables of (q2, m_M): rate = dGamma/dq^2 of the component [GeV^-1],
    helicity = H (..., 3), pair_weights = w (..., 3). Components whose rate vanishes on the probe
    grid (q2_probe, m_probe) are left out.

    Complex amplitudes (complex coefficients, loop functions, propagators): the helicity callable returns the
    complex a of the configuration, and the kernel samples |a.D|^2 (D = d^1 d^1 e^{i lambda chi}) with all its
    terms: Re(a_lambda a_lambda'*) cos((lambda - lambda') chi) and the T-odd Im(a_lambda a_lambda'*)
    sin((lambda - lambda') chi) (J_7, J_8, J_9 of B -> K* l l), which need relative phases between the helicity
    amplitudes of one configuration (an overall phase has none)."""
    p = amp_fn(q2_probe, m_probe)
    sig = tuple(p.sigma)
    comps = []
    if spin == 0:
        def rate(q2, m=None):
            return amp_fn(q2, m).rate()

        def helicity(q2, m=None):
            shape = np.broadcast(np.asarray(q2), np.asarray(0.0 if m is None else m)).shape
            h = np.zeros(shape + (3,))
            h[..., 1] = 1.0
            return h

        def weights(q2, m=None):
            x = amp_fn(q2, m)
            a0 = _abs2(x.a[..., 1])  # (..., n_s): |a_s,0|^2
            w = np.empty(x.j0.shape + (3,))
            for k, sg in enumerate((-1, 0, 1)):
                w[..., k] = x.j0 / 3.0
                for s_, sgs in enumerate(sig):
                    if sgs == sg:
                        w[..., k] = w[..., k] + a0[..., s_]
            return w

        if np.any(p.rate() > 0):
            comps.append(("", rate, helicity, weights))
        return comps

    def unit(sigma):
        def w(q2, m=None):
            shape = np.broadcast(np.asarray(q2), np.asarray(0.0 if m is None else m)).shape
            out = np.zeros(shape + (3,))
            out[..., sigma + 1] = 1.0
            return out
        return w

    if sig == PAIR_SIGMA:  # named as before: sigma=-1, sigma=0 [(--)], sigma=+1
        merge_zero = np.allclose(p.a[..., 1, :], p.a[..., 2, :])
        groups = [("sigma=-1", (0,), -1), ("sigma=0", (1, 2) if merge_zero else (1,), 0)]
        if not merge_zero:
            groups.append(("sigma=0 (--)", (2,), 0))
        groups.append(("sigma=+1", (3,), 1))
    else:  # one group per configuration, equal ones of the same sigma merged
        groups, taken = [], set()
        for s_, sg in enumerate(sig):
            if s_ in taken:
                continue
            same = tuple(t for t in range(s_, len(sig)) if sig[t] == sg and t not in taken
                         and np.allclose(p.a[..., t, :], p.a[..., s_, :]))
            taken.update(same)
            groups.append((f"sigma={sg:+d}".replace("+0", "0") + (f" ({s_})" if s_ else ""), same, sg))
    for name, idx, sigma in groups:
        if not np.any(_abs2(p.a[..., idx, :]) > 0):
            continue

        def rate(q2, m=None, idx=idx):
            x = amp_fn(q2, m)
            return x.k * _abs2(x.a[..., idx, :]).sum(axis=(-2, -1))

        def helicity(q2, m=None, s=idx[0]):
            return amp_fn(q2, m).a[..., s, :]

        comps.append((name, rate, helicity, unit(sigma)))
    if np.any(p.j0 > 0):
        def rate0(q2, m=None):
            x = amp_fn(q2, m)
            return x.k * x.j0

        def helicity0(q2, m=None):
            x = amp_fn(q2, m)
            h = np.zeros(x.j0.shape + (3,))
            h[..., 1] = np.sqrt(x.j0)
            return h

        def ones(q2, m=None):
            shape = np.broadcast(np.asarray(q2), np.asarray(0.0 if m is None else m)).shape
            return np.ones(shape + (3,))

        comps.append(("J=0", rate0, helicity0, ones))
    return comps


# =============================================================================================
# One on-shell state X: B -> M X
# =============================================================================================
def two_body_width(m_b, m_m, m_x, h):
    """Gamma(B -> M X) = |p| sum_lambda |H_lambda|^2/(8 pi m_B^2) [GeV] for amplitudes H [GeV]."""
    p = np.sqrt(_lam(m_x**2, m_b, m_m)) / (2.0 * m_b)
    return p * _abs2(h).sum(axis=-1) / (8.0 * np.pi * m_b**2)


def vector_x_amplitudes(ff, m_b, m_m, m_x, g4=(0.0, 0.0), g5=(0.0, 0.0), g6=(0.0, 0.0), lam_np=1.0):
    """(H_-, H_0, H_+) [GeV] of B -> M Z' for Altmannshofer et al. (seed 002 back-up slide, eq. 2):
    L = g_L^(4) Z'_mu (s gamma^mu P_L b) + g_L^(5)/Lambda Z'_{mu nu}(s sigma^{mu nu} P_R b)
        + g_L^(6)/Lambda^2 d^nu Z'_{mu nu}(s gamma^mu P_L b) + h.c. + (L <-> R), g = (g_L, g_R).
    On shell d^nu Z'_{mu nu} = m_Z'^2 Z'_mu, so dimension 6 is dimension 4 with g -> g m_Z'^2/Lambda^2;
    Z'_{mu nu} -> i(q_mu eps*_nu - q_nu eps*_mu) makes dimension 5 the dipole current with
    (c_L, c_R) = 2 (g_R^(5), g_L^(5))/Lambda (dipole_current), added to the vector current with the sign
    of the C_7 - C_9 combination. Reproduces the slide's Gamma^(4,5,6) for B -> K (tests/test_eft.py)."""
    q2 = m_x**2
    c_l = g4[0] + g6[0] * q2 / lam_np**2
    c_r = g4[1] + g6[1] * q2 / lam_np**2
    h = _j1(vector_current(ff, q2, m_b, m_m, c_l, c_r))
    if g5[0] != 0.0 or g5[1] != 0.0:
        h = h + dipole_current(ff, q2, m_b, m_m, 2.0 * g5[1] / lam_np, 2.0 * g5[0] / lam_np)
    return h


def scalar_x_amplitude(ff, m_b, m_m, m_x, g_s=(0.0, 0.0), g_d=(0.0, 0.0), lam_np=1.0, m_bq=None, m_sq=None,
                       g6=(0.0, 0.0)):
    """Helicity-0 amplitude [GeV] of B -> M S for a (pseudo)scalar S with
    L = S s (g_L P_L + g_R P_R) b + (d_mu S)/Lambda s gamma^mu (g'_L P_L + g'_R P_R) b
        + (d_mu d^mu S)/Lambda^2 s (g''_L P_L + g''_R P_R) b + h.c.
    (g_s = (g_L, g_R) [GeV], g_d = (g'_L, g'_R), g6 = (g''_L, g''_R); complex allowed). The derivative coupling
    is i q_mu <J^mu> = sqrt(q^2) H_t. Dimension 6: on shell d^2 S = -m_S^2 S (Klein-Gordon), so it is the
    dimension-4 coupling with g -> -g'' m_S^2/Lambda^2 (as the Z' dimension 6 is dimension 4 on shell).
    A scalar couples to B -> K through g_L + g_R (f_0), a pseudoscalar to B -> K* through g_R - g_L (A_0)."""
    q2 = m_x**2
    c_l = g_s[0] - g6[0] * q2 / lam_np**2
    c_r = g_s[1] - g6[1] * q2 / lam_np**2
    h = scalar_current(ff, q2, m_b, m_m, c_l, c_r, m_bq, m_sq)
    if g_d[0] != 0.0 or g_d[1] != 0.0:
        h = h + m_x * vector_current(ff, q2, m_b, m_m, g_d[0], g_d[1])[..., 0] / lam_np
    return h


__all__ = [
    "PAIR_SIGMA", "PairAmplitudes", "VECTOR_PAIR_CONFIGS", "VECTOR_PAIR_SIGMA", "vector_pair_currents",
    "vector_pair_currents_direct", "dipole_current", "fermion_pair", "kallen", "kernel_components", "nunu",
    "phase_space_k", "scalar_current", "scalar_pair", "scalar_x_amplitude", "tensor_nunu", "two_body_width",
    "vector_current", "vector_pair", "vector_pair_polarisation_sum", "vector_x_amplitudes",
]
