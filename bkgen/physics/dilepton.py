"""b -> s l+ l-: effective Wilson coefficients, dilepton helicity amplitudes and angular observables.

Built on the hadronic matrix elements of :mod:`bkgen.physics.amplitudes` (``vector_current``,
``dipole_current``); nothing here re-derives a form factor or a hadronic amplitude. Pure numpy.

Effective Hamiltonian (Altmannshofer, Ball, Bharucha, Buras, Straub, Wick arXiv:0811.1214
eq. (2.1)-(2.3), O1..O6 in the Chetyrkin-Misiak-Muenz basis):

    H = -(4 G_F/sqrt2) V_tb V_ts* (e^2/16 pi^2) sum_i (C_i O_i + C'_i O'_i),
    O7 = (m_b/e)(s sigma^{mu nu} P_R b) F_{mu nu},  O9 = (s gamma^mu P_L b)(l gamma_mu l),
    O10 = (s gamma^mu P_L b)(l gamma_mu gamma5 l),  primed: P_L <-> P_R,

normalisation N = (4 G_F/sqrt2) |V_tb V_ts| alpha/(4 pi) [GeV^-2] (inputs VTB_VTS, ALPHA_EM_MU_B).
C9^eff(q^2) = C9 + Y(q^2) with the perturbative quark-loop function of Beneke-Feldmann-Seidel
hep-ph/0106067 eq. (10)-(11) (:func:`loop_h`, :func:`y_function`); C7^eff is a number
(inputs.SM_WC_BSLL). The photon penguin enters as the vector current with coefficient
2 m_b(mu_b) C7/q^2 of ``amplitudes.dipole_current`` (its normalisation adds to C9 as in B -> K l l).

Pair amplitudes (the structure of ``amplitudes.fermion_pair``, with complex coefficients): H^V,
H^A are the hadronic helicity amplitudes (t, -, 0, +) of the quark currents multiplying the lepton
vector and axial currents, sigma = lambda(l-) - lambda(l+) the pair helicity,
beta = sqrt(1 - 4 m_l^2/q^2):

    a(sigma = -+1, lambda) = N sqrt(2 q^2/3) (H^V_lambda -+ beta H^A_lambda),
    a((++), lambda) = a((--), lambda) = N (2 m_l/sqrt3) H^V_lambda,   j0 = 8 N^2 m_l^2 |H^A_t|^2,
    dGamma/dq^2 = K (sum |a|^2 + j0),  K = sqrt(lambda) beta/(256 pi^3 m_B^3).

Angles and conventions: theta_l is the angle of the l- (l+ in the CP-conjugate decay) with the
dilepton flight direction in the B rest frame, i.e. with the direction opposite to the B in the
dilepton rest frame; theta_K that of the K+ (K-) with the K* flight direction; phi the angle between
the decay planes: the conventions of LHCb arXiv:1512.04442 sec. 2. A_FB is the forward-backward
asymmetry in cos(theta_l) in that convention (A_FB > 0 at high q^2 in the SM), S5 and P5' =
S5/sqrt(F_L(1 - F_L)) are those of arXiv:1512.04442 eq. (2)-(4); flavio 2.7.1 uses the same signs
(tests/test_dilepton.py). The kernel's azimuth chi (between the K* and dilepton decay planes in its
helicity frames, the chi of the amplitude expansion below) is -phi, in the b -> s decay and in its CP conjugate
(parity on all momenta) alike; the record's branch ``chi`` is phi. The cos phi terms do not see the sign; the
sin phi terms S7, S8, S9 do, and agree with flavio's LHCb convention (its S_experiment, Gratrex-Hopfer-Zwicky
arXiv:1506.03970 eq. C.8) with phi = -chi (tests/test_dilepton.py). amplitudes.py's helicity amplitudes are used as
they are (tests/test_angular_sign.py).

Left out (stated, not modelled): O(alpha_s) corrections to the matrix elements of O1, O2, O8
(delta C7, delta C9 of Asatrian et al. / Greub-Pilipovic-Schuepbach), QCD factorisation (hard
spectator scattering, Beneke-Feldmann-Seidel), non-local charm-loop contributions and the
charmonium resonances themselves (vetoed by default), the doubly Cabibbo-suppressed u-quark loop
(V_ub V_us*), scalar, pseudoscalar and tensor operators, QED corrections and final-state radiation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import amplitudes, qcd
from .inputs import (
    ALPHA_EM_MU_B,
    G_FERMI,
    MB_POLE,
    MC_POLE,
    MU_B_BSLL,
    SM_WC_BSLL,
    VTB_VTS,
    quark_mass_msbar,
)


def norm_bsll() -> float:
    """N = (4 G_F/sqrt2) |V_tb V_ts| alpha(mu_b)/(4 pi) [GeV^-2] (module docstring)."""
    return 4.0 * G_FERMI / np.sqrt(2.0) * VTB_VTS * ALPHA_EM_MU_B / (4.0 * np.pi)


def mb_dipole(mu: float = MU_B_BSLL) -> float:
    """MS-bar m_b(mu) [GeV] of O7: the PDG m_b(m_b) run at leading order,
    m(mu) = m(m_b) [alpha_s(mu)/alpha_s(m_b)]^{12/23} (n_f = 5; Chetyrkin-Kuhn-Steinhauser hep-ph/0004189
    eq. 7 at one loop), alpha_s from bkgen.physics.qcd."""
    m_b = quark_mass_msbar(5)
    return m_b * (qcd.alpha_s(mu) / qcd.alpha_s(m_b)) ** (12.0 / 23.0)


def ms_over_mb() -> float:
    """m_s/m_b at a common scale (MS-bar, amplitudes.default_quark_masses): C7'^SM = (m_s/m_b) C7^SM."""
    m_b, m_s = amplitudes.default_quark_masses()
    return m_s / m_b


# =============================================================================================
# C9^eff: perturbative quark loops
# =============================================================================================
def loop_h(q2, m_q: float, mu: float = MU_B_BSLL):
    """Fermion-loop function h(q^2, m_q) of Beneke-Feldmann-Seidel hep-ph/0106067 eq. (11) (complex):
    h = -4/9 (ln(m_q^2/mu^2) - 2/3 - z) - 4/9 (2 + z) sqrt|z - 1| A(z), z = 4 m_q^2/q^2,
    A = arctan(1/sqrt(z - 1)) for z > 1, ln((1 + sqrt(1 - z))/sqrt z) - i pi/2 for z < 1;
    massless: h(q^2, 0) = 8/27 - 4/9 ln(q^2/mu^2) + 4 i pi/9 (its m_q -> 0 limit)."""
    q2 = np.asarray(q2, dtype=float)
    if m_q == 0.0:
        return 8.0 / 27.0 - 4.0 / 9.0 * np.log(q2 / mu**2) + 4.0j * np.pi / 9.0
    z = 4.0 * m_q**2 / q2
    above = z < 1.0
    zs = np.where(above, z, 0.5)  # placeholders keep both branches finite
    zb = np.where(above, 2.0, z)
    a_above = np.log((1.0 + np.sqrt(1.0 - zs)) / np.sqrt(zs)) - 0.5j * np.pi
    with np.errstate(divide="ignore"):  # z = 1 exactly: arctan(inf) = pi/2, times sqrt|z - 1| = 0
        a_below = np.arctan(1.0 / np.sqrt(zb - 1.0))
    a = np.where(above, a_above, a_below)
    return (-4.0 / 9.0 * (np.log(m_q**2 / mu**2) - 2.0 / 3.0 - z)
            - 4.0 / 9.0 * (2.0 + z) * np.sqrt(np.abs(z - 1.0)) * a)


def y_function(q2, c: dict, mu: float = MU_B_BSLL, m_c: float = MC_POLE, m_b: float = MB_POLE):
    """Y(q^2) of C9^eff = C9 + Y (BFS hep-ph/0106067 eq. 10; the same in arXiv:0811.1214 eq. 3.x):
    Y = h(q^2, m_c)(4/3 C1 + C2 + 6 C3 + 60 C5) - 1/2 h(q^2, m_b)(7 C3 + 4/3 C4 + 76 C5 + 64/3 C6)
        - 1/2 h(q^2, 0)(C3 + 4/3 C4 + 16 C5 + 64/3 C6) + 4/3 C3 + 64/9 C5 + 64/27 C6."""
    f_c = 4.0 / 3.0 * c["C1"] + c["C2"] + 6.0 * c["C3"] + 60.0 * c["C5"]
    f_b = 7.0 * c["C3"] + 4.0 / 3.0 * c["C4"] + 76.0 * c["C5"] + 64.0 / 3.0 * c["C6"]
    f_0 = c["C3"] + 4.0 / 3.0 * c["C4"] + 16.0 * c["C5"] + 64.0 / 3.0 * c["C6"]
    const = 4.0 / 3.0 * c["C3"] + 64.0 / 9.0 * c["C5"] + 64.0 / 27.0 * c["C6"]
    return (loop_h(q2, m_c, mu) * f_c - 0.5 * loop_h(q2, m_b, mu) * f_b - 0.5 * loop_h(q2, 0.0, mu) * f_0
            + const)


@dataclass(frozen=True)
class WilsonCoefficients:
    """Short-distance coefficients of one lepton flavour at mu_b: totals (SM + new physics) of C7^eff,
    C9, C10 and the primed ones; C1..C6 enter only Y(q^2). ``dc9``, ``dc10``: optional q^2-dependent
    complex shifts (callables of q^2 [GeV^2]), e.g. a light mediator's propagator."""

    c7: complex = SM_WC_BSLL["C7eff"]
    c9: complex = SM_WC_BSLL["C9"]
    c10: complex = SM_WC_BSLL["C10"]
    c7p: complex = 0.0
    c9p: complex = 0.0
    c10p: complex = 0.0
    four_quark: dict = field(default_factory=lambda: {k: SM_WC_BSLL[k] for k in ("C1", "C2", "C3", "C4", "C5", "C6")})
    dc9: Callable | None = None
    dc10: Callable | None = None
    #: timelike (J = 0) part of the C10 shift where it differs from dc10 (a light vector's q^mu q^nu/M^2 propagator term)
    dc10_t: Callable | None = None

    def c9_eff(self, q2):
        """C9^eff(q^2) = C9 + Y(q^2) (+ dc9(q^2)), complex array."""
        out = self.c9 + y_function(q2, self.four_quark)
        return out + self.dc9(q2) if self.dc9 is not None else out

    def c10_q2(self, q2):
        """C10 (+ dc10(q^2)) as a complex array."""
        out = self.c10 + 0.0j * np.asarray(q2, dtype=float)
        return out + self.dc10(q2) if self.dc10 is not None else out

    def c10_timelike_q2(self, q2):
        """C10 of the timelike helicity amplitude H_t^A (the j0 term): C10 + dc10_t(q^2), or c10_q2 without dc10_t."""
        if self.dc10_t is None:
            return self.c10_q2(q2)
        return self.c10 + 0.0j * np.asarray(q2, dtype=float) + self.dc10_t(q2)

    def has_weak_phases(self) -> bool:
        """True when a short-distance coefficient is complex (a CP-violating phase)."""
        return any(np.imag(complex(v)) != 0.0 for v in (self.c7, self.c9, self.c10, self.c7p, self.c9p, self.c10p,
                                                         *self.four_quark.values()))

    def cp_conjugate(self) -> "WilsonCoefficients":
        """The coefficients of the CP-conjugate decay (b -> s to bbar -> sbar): the weak phases of the short-distance
        coefficients change sign; the strong phases (the loop functions of Y(q^2), the Z_D propagator of dc9, dc10,
        dc10_t, whose couplings are real) do not (arXiv:0811.1214 sec. 3: the CP-conjugate angular coefficients
        follow from conjugating the weak phases only)."""
        from dataclasses import replace

        return replace(self, c7=np.conj(self.c7), c9=np.conj(self.c9), c10=np.conj(self.c10), c7p=np.conj(self.c7p),
                       c9p=np.conj(self.c9p), c10p=np.conj(self.c10p),
                       four_quark={k: np.conj(v) for k, v in self.four_quark.items()})


def sm_coefficients(**changes) -> WilsonCoefficients:
    """SM coefficients (inputs.SM_WC_BSLL, C7' = (m_s/m_b) C7) with ``changes`` applied."""
    base = dict(c7p=ms_over_mb() * SM_WC_BSLL["C7eff"])
    base.update(changes)
    return WilsonCoefficients(**base)


# =============================================================================================
# Hadronic amplitudes with complex coefficients (linear in them: real and imaginary parts apart)
# =============================================================================================
def _cplx(fn, *coeffs):
    """fn(*real parts) + i fn(*imaginary parts) for a function linear in its coefficient arguments."""
    re = fn(*[np.real(c) for c in coeffs])
    im_c = [np.imag(c) for c in coeffs]
    if all(np.all(x == 0.0) for x in im_c):
        return re + 0.0j
    return re + 1.0j * fn(*im_c)


def hadronic_helicity(ff, q2, m_B, m_M, c_l, c_r, c7_l=0.0, c7_r=0.0, m_b=None):
    """Complex (H_t, H_-, H_0, H_+) of s gamma^mu (c_L P_L + c_R P_R) b plus the photon penguin with
    coefficients (c7_L, c7_R) of s sigma^{mu nu} P_{L,R} b, i.e. amplitudes.vector_current(c_L, c_R) +
    amplitudes.dipole_current(2 m_b c7_L/q^2, 2 m_b c7_R/q^2) (no timelike dipole part). Coefficients may be
    complex arrays broadcasting with q2; m_b = mb_dipole() by default."""
    q2 = np.asarray(q2, dtype=float)
    h = _cplx(lambda a, b: amplitudes.vector_current(ff, q2, m_B, m_M, a, b), c_l, c_r)
    if np.any(np.asarray(c7_l) != 0.0) or np.any(np.asarray(c7_r) != 0.0):
        mb = mb_dipole() if m_b is None else m_b
        f = 2.0 * mb / q2
        d = _cplx(lambda a, b: amplitudes.dipole_current(ff, q2, m_B, m_M, f * a, f * b), c7_l, c7_r)
        h = h.copy()
        h[..., 1:] = h[..., 1:] + d
    return h


@dataclass(frozen=True)
class DileptonAmplitudes:
    """Complex pair amplitudes a (..., 4, 3) over (sigma = -1, (++), (--), +1) x (lambda = -1, 0, +1), the
    J = 0 term j0 and the phase-space factor k (module docstring); dGamma/dq^2 = k (sum |a|^2 + j0)."""

    a: np.ndarray
    j0: np.ndarray
    k: np.ndarray

    def rate(self):
        """dGamma/dq^2 [GeV^-1]."""
        return self.k * ((np.abs(self.a) ** 2).sum(axis=(-2, -1)) + self.j0)

    def pair(self) -> amplitudes.PairAmplitudes:
        """The same amplitudes as amplitudes.PairAmplitudes (complex a), for amplitudes.kernel_components."""
        return amplitudes.PairAmplitudes(self.a, self.j0, self.k)

    # ---- angular observables (module docstring conventions) ----
    def f_l(self):
        """F_L of the angular fit: minus 4 x the coefficient of cos^2(theta_K) cos(2 theta_l) in units of
        (9/32 pi) dGamma/dq^2 (arXiv:1512.04442 eq. 2; flavio's F_L = -J_2c/dGamma). Derived here from
        |d^1_{0 sigma}(theta_l)|^2: sin^2/2 for sigma = -+1, cos^2 for sigma = 0, so
        F_L = (|a_{-1,0}|^2 + |a_{+1,0}|^2 - 2 |a_{(++),0}|^2 - 2 |a_{(--),0}|^2)/(sum |a|^2 + j0); for massless
        leptons the cos^2(theta_K) share of the rate."""
        p = np.abs(self.a[..., :, 1]) ** 2
        return (p[..., 0] + p[..., 3] - 2.0 * (p[..., 1] + p[..., 2])) / self.total()

    def f_t(self):
        """F_T: 4 x the coefficient of sin^2(theta_K) cos(2 theta_l) in units of (9/32 pi) dGamma/dq^2 (1 - F_L for
        massless leptons): (sum_(sigma=-+1) |a_-+|^2 - 2 sum_(sigma=0) |a_-+|^2)/(sum |a|^2 + j0), from the cos 2theta_l
        parts 1/8 of |d^1_{-+1,sigma}|^2 (sigma = -+1) and -1/4 (sigma = 0). P5' = S5/sqrt(F_L F_T) (flavio's
        J_5/(2 sqrt(-J_2c J_2s)), equal to S5/sqrt(F_L(1 - F_L)) for massless leptons)."""
        p = np.abs(self.a[..., :, 0]) ** 2 + np.abs(self.a[..., :, 2]) ** 2
        return (p[..., 0] + p[..., 3] - 2.0 * (p[..., 1] + p[..., 2])) / self.total()

    def afb_numerator(self):
        """dA_FB/dq^2 x (dGamma/dq^2)/k: (3/4)(|a_{-1,-}|^2 - |a_{-1,+}|^2 + |a_{+1,+}|^2 - |a_{+1,-}|^2) for theta_l
        of the l- in the b -> s decay (Jacob-Wick: |d^1_{lambda sigma}|^2 of the kernel)."""
        p = np.abs(self.a) ** 2
        return 0.75 * (p[..., 0, 0] - p[..., 0, 2] + p[..., 3, 2] - p[..., 3, 0])

    def s5_numerator(self):
        """S5 x (sum |a|^2 + j0): the coefficient of sin 2theta_K sin theta_l cos phi, LHCb phi = chi.
        Projected from the kernel's density (9/8pi) sum_s |sum_lambda a d^1_{lambda 0}(theta_K)
        d^1_{lambda sigma}(theta_l) e^{i lambda chi}|^2 (module docstring)."""
        a = self.a
        lo, hi = a[..., 0, :], a[..., 3, :]
        return (np.real(lo[..., 1] * np.conj(lo[..., 2] - lo[..., 0]))
                + np.real(hi[..., 1] * np.conj(hi[..., 0] - hi[..., 2])))

    def s3_numerator(self):
        """S3 x (sum |a|^2 + j0): the coefficient of sin^2 theta_K sin^2 theta_l cos 2phi (cos 2phi = cos 2chi), from
        d^1_{10} d^1_{-10}(theta_K) = -sin^2/2 and d^1_{1 sigma} d^1_{-1 sigma}(theta_l) = sin^2/4 (sigma = -+1), -sin^2/2
        (sigma = 0): S3 = (2 Re sum_(sigma=0) a_+ a_-* - Re sum_(sigma=-+1) a_+ a_-*)/(sum |a|^2 + j0)."""
        x = np.real(self.a[..., :, 2] * np.conj(self.a[..., :, 0]))
        return 2.0 * (x[..., 1] + x[..., 2]) - (x[..., 0] + x[..., 3])

    def s4_numerator(self):
        """S4 x (sum |a|^2 + j0): the coefficient of sin 2theta_K sin 2theta_l cos phi (cos phi = cos chi), from the
        lambda = 0 x lambda = -+1 interference parts odd in cos theta_l:
        S4 = (sum_(sigma=0) Re a_0 (a_+ + a_-)* - (1/2) sum_(sigma=-+1) Re a_0 (a_+ + a_-)*)/(sum |a|^2 + j0)."""
        a = self.a
        x = np.real(a[..., :, 1] * np.conj(a[..., :, 0] + a[..., :, 2]))
        return (x[..., 1] + x[..., 2]) - 0.5 * (x[..., 0] + x[..., 3])

    def s7_numerator(self):
        """S7 x (sum |a|^2 + j0): the coefficient of sin 2theta_K sin theta_l sin phi (LHCb arXiv:1512.04442 eq. 2,
        phi = -chi: module docstring). Projected as S5 from the kernel's density: the sin(chi) part of
        |sum_lambda a_lambda d^1_{lambda 0}(theta_K) d^1_{lambda sigma}(theta_l) e^{i lambda chi}|^2 is
        -2 Im(A_+ A_0*) - 2 Im(A_0 A_-*) sin chi with A_lambda = a_lambda d^1_{lambda 0} d^1_{lambda sigma}; with the
        d^1 of kernels.cascade.wigner_d1 and sin chi = -sin phi: S7 = sum_(sigma=-+1) sigma (Im a_0 a_-* - Im a_+ a_0*)/
        (sum |a|^2 + j0), i.e. S5 (s5_numerator) with Re -> Im."""
        a = self.a
        x = np.imag(a[..., :, 1] * np.conj(a[..., :, 0])) - np.imag(a[..., :, 2] * np.conj(a[..., :, 1]))
        return x[..., 3] - x[..., 0]

    def s8_numerator(self):
        """S8 x (sum |a|^2 + j0): the coefficient of sin 2theta_K sin 2theta_l sin phi, projected as S7:
        S8 = (sum_(sigma=0) - (1/2) sum_(sigma=-+1)) (Im a_+ a_0* + Im a_0 a_-*)/(sum |a|^2 + j0) (S4 with Re -> Im)."""
        a = self.a
        x = np.imag(a[..., :, 2] * np.conj(a[..., :, 1])) + np.imag(a[..., :, 1] * np.conj(a[..., :, 0]))
        return (x[..., 1] + x[..., 2]) - 0.5 * (x[..., 0] + x[..., 3])

    def s9_numerator(self):
        """S9 x (sum |a|^2 + j0): the coefficient of sin^2 theta_K sin^2 theta_l sin 2phi; the sin(2 chi) part of the
        kernel's density is -2 Im(A_+ A_-*) sin 2chi: S9 = (2 sum_(sigma=0) - sum_(sigma=-+1)) Im(a_+ a_-*)/
        (sum |a|^2 + j0) (S3 with Re -> Im)."""
        x = np.imag(self.a[..., :, 2] * np.conj(self.a[..., :, 0]))
        return 2.0 * (x[..., 1] + x[..., 2]) - (x[..., 0] + x[..., 3])

    def t_odd(self):
        """sum_s sum_{lambda < lambda'} |Im(a_{s,lambda} a*_{s,lambda'})| x 2: the size of the T-odd interference
        terms (J_7, J_8, J_9) relative to the same units as total()."""
        a = self.a
        out = 0.0
        for i, j in ((0, 1), (0, 2), (1, 2)):
            out = out + 2.0 * np.abs(np.imag(a[..., :, i] * np.conj(a[..., :, j]))).sum(axis=-1)
        return out

    def total(self):
        """sum |a|^2 + j0 (dGamma/dq^2 = k total())."""
        return (np.abs(self.a) ** 2).sum(axis=(-2, -1)) + self.j0


def dilepton_amplitudes(ff, q2, m_B, m_M, m_l, wc: WilsonCoefficients, norm=None) -> DileptonAmplitudes:
    """Pair amplitudes of B -> M l+ l- (b -> s) at q2 [GeV^2], meson mass m_M, lepton mass m_l [GeV]."""
    q2 = np.asarray(q2, dtype=float)
    n = norm_bsll() if norm is None else norm
    c9 = wc.c9_eff(q2)
    c10 = wc.c10_q2(q2)
    hv = hadronic_helicity(ff, q2, m_B, m_M, c9, wc.c9p, wc.c7p, wc.c7)
    ha = hadronic_helicity(ff, q2, m_B, m_M, c10, wc.c10p)
    shape = np.broadcast(q2, np.asarray(m_M, dtype=float)).shape
    hv = np.broadcast_to(hv, shape + (4,)).copy()
    ha = np.broadcast_to(ha, shape + (4,)).copy()
    if wc.dc10_t is not None:
        ha[..., 0] = np.broadcast_to(hadronic_helicity(ff, q2, m_B, m_M, wc.c10_timelike_q2(q2), wc.c10p)[..., 0], shape)
    beta = np.sqrt(np.clip(1.0 - 4.0 * m_l**2 / q2, 0.0, None))
    rs = np.sqrt(q2)
    a = np.zeros(shape + (4, 3), dtype=complex)
    lv = (n * np.sqrt(2.0 / 3.0) * rs)[..., None]
    a[..., 0, :] = lv * (hv[..., 1:] - beta[..., None] * ha[..., 1:])
    a[..., 3, :] = lv * (hv[..., 1:] + beta[..., None] * ha[..., 1:])
    a[..., 1, :] = n * 2.0 * m_l / np.sqrt(3.0) * hv[..., 1:]
    a[..., 2, :] = a[..., 1, :]
    j0 = 8.0 * n**2 * m_l**2 * np.abs(ha[..., 0]) ** 2
    k = amplitudes.phase_space_k(q2, m_B, m_M, m_l) + np.zeros(shape)
    return DileptonAmplitudes(a, j0, k)


__all__ = ["DileptonAmplitudes", "WilsonCoefficients", "dilepton_amplitudes", "hadronic_helicity",
           "loop_h", "mb_dipole", "ms_over_mb", "norm_bsll", "sm_coefficients", "y_function"]


# =============================================================================================
# Dark Z exchange (seed 001, Rashed arXiv:2412.11438, eq. 1-6)
# =============================================================================================
def inami_lim_d0(x: float) -> float:
    """Photon-penguin function D_0(x_t) of Inami-Lim (Prog. Theor. Phys. 65 (1981) 297), as written in
    Buchalla-Buras-Lautenbacher hep-ph/9512380 (the D_0 of C9 = ... - 4 Z_0, Z_0 = C_0 + D_0/4):
    D_0 = -4/9 ln x + (-19 x^3 + 25 x^2)/(36 (x - 1)^3) + x^2 (5 x^2 - 2 x - 6)/(18 (x - 1)^4) ln x
    ('t Hooft-Feynman gauge). Its contribution to C9 through the photon is -D_0(x_t)."""
    lx = np.log(x)
    return (-4.0 / 9.0 * lx + (-19.0 * x**3 + 25.0 * x**2) / (36.0 * (x - 1.0) ** 3)
            + x**2 * (5.0 * x**2 - 2.0 * x - 6.0) / (18.0 * (x - 1.0) ** 4) * lx)


@dataclass(frozen=True)
class DarkZ:
    """Z_D exchange in b -> s l l (seed 001 eq. 1-3): the b -> s Z_D vertex
    (s gamma^mu P_L b)[E0 + E2 q^2] Z_D,mu of H_eff (eq. 1 with E0 = E^{0,Z}, E2 = E^{2,A} + E^{2,Z}:
    zd_bs_coefficients; the dipole M^1 is neglected), the Z_D propagator -(g^{mu nu} - q^mu q^nu/M^2)/(q^2 - M^2 +
    i Gamma M) and the lepton couplings
    L = Z_D,mu l gamma^mu (g_V - g_A gamma5) l of seed 003 eq. (34) plus g_D^l (models.dark_vector.lepton_couplings,
    the same couplings that give Gamma_ZD). E0, E2 are divided by V_tb V_ts* (real numbers, GeV^0 and GeV^-2),
    like the normalisation N, so the CKM phase cancels. Exchange gives L_eff = J_bs.J_l/(q^2 - M^2), so with
    H = -N (C9 O9 + C10 O10):
        dC9(q^2) = -g_V (E0 + E2 q^2)/(N (q^2 - M^2 + i Gamma M)),   dC10(q^2) = +g_A (...)/(...)
    (seed 001 eq. 2-3). The q^mu q^nu terms, absent from eq. 2-3, act only on the timelike (J = 0) polarisation
    eps_t = q/sqrt(q^2): there the E2 structure (g q^2 - q q) of eq. 1 vanishes and the propagator numerator is
    1 - q^2/M^2, so the axial lepton current (q.L_A = 2 m_l l gamma5 l, q.L_V = 0) sees, in H_t^A only,
        dC10_t(q^2) = +g_A E0 (1 - q^2/M^2)/(N (q^2 - M^2 + i Gamma M))   (-> -g_A E0/(N M^2) for Gamma -> 0):
    the longitudinal 1/M^2 enhancement of the on-shell B -> K Z_D rate (seed 003 eq. 42) in the l l channel. It makes
    the Z_D peak equal BR(B -> K Z_D) x BR(Z_D -> l l) also for axial couplings (tests/test_darkz.py).
    ``longitudinal = False`` drops it (H_t^A then takes dC10, as eq. 2-3 literally).
    Checks (tests/test_darkz.py): a pure dark photon (eps only) gives dC9 -> eps^2 x the SM photon-penguin part
    -D_0(x_t) of C9 for q^2 >> M^2."""

    m: float  # GeV
    gamma: float  # GeV
    e0: float
    e2: float  # GeV^-2
    g_v: float
    g_a: float
    norm: float  # GeV^-2, N / |V_tb V_ts|
    longitudinal: bool = True  # keep the q^mu q^nu/M^2 propagator term (dc10_t)

    def _common(self, q2):
        q2 = np.asarray(q2, dtype=float)
        return (self.e0 + self.e2 * q2) / (self.norm * (q2 - self.m**2 + 1j * self.gamma * self.m))

    def dc9(self, q2):
        return -self.g_v * self._common(q2)

    def dc10(self, q2):
        return self.g_a * self._common(q2)

    def dc10_t(self, q2):
        """Timelike C10 shift (class docstring); equal to dc10 when ``longitudinal`` is False."""
        if not self.longitudinal:
            return self.dc10(q2)
        q2 = np.asarray(q2, dtype=float)
        return self.g_a * self.e0 * (1.0 - q2 / self.m**2) / (self.norm * (q2 - self.m**2 + 1j * self.gamma * self.m))


def inami_lim_c0(x: float) -> float:
    """Z-penguin function C_0(x_t) of Inami-Lim (Prog. Theor. Phys. 65 (1981) 297), as written in
    Buchalla-Buras-Lautenbacher hep-ph/9512380 ('t Hooft-Feynman gauge):
    C_0 = x/8 [(x - 6)/(x - 1) + (3 x + 2)/(x - 1)^2 ln x]. The Z-penguin part of the SM C10 is -C_0/s_W^2
    (C10 = -Y_0/s_W^2, Y_0 = C_0 - B_0, same reference)."""
    lx = np.log(x)
    return x / 8.0 * ((x - 6.0) / (x - 1.0) + (3.0 * x + 2.0) / (x - 1.0) ** 2 * lx)


def _ew():
    """(g, c_W, tan theta_W, x_t): g^2 = 4 sqrt2 G_F m_W^2 (tree level), c_W and tan theta_W from
    inputs.SIN2_THETA_W, x_t = m_t^2/m_W^2 (PDG masses): the inputs of seed 003 eq. (41)."""
    from .inputs import SIN2_THETA_W, mass

    m_w, m_t = mass(24), mass(6)
    g = np.sqrt(4.0 * np.sqrt(2.0) * G_FERMI * m_w**2)
    return g, np.sqrt(1.0 - SIN2_THETA_W), np.sqrt(SIN2_THETA_W / (1.0 - SIN2_THETA_W)), m_t**2 / m_w**2


def e0z_eq41(eps_z: float) -> float:
    """E^{0,Z}/(V_tb V_ts*) from seed 003 eq. (41) (the Z-penguin monopole times the mass mixing eps_Z):
    g^3 eps_Z/(64 pi^2 c_W) x_t/(1 - x_t) (6 - 7 x_t + x_t^2 + (2 + 3 x_t) ln x_t), sign kept (inputs: _ew;
    models.dark_vector.g_bs_eq41 returns |V_tb V_ts| times the modulus of this). As a coefficient of
    H_eff (seed 001 eq. 1) with the lepton couplings of seed 003 eq. (34) its sign is the physical one: the
    product with g_A is -eps_Z^2 x (positive), as for e0z_inami_lim. Note: the loop function of eq. (41) is
    exactly -8 (x_t - 1) C_0(x_t), i.e. (x_t - 1) = 3.6 times the Inami-Lim Z-penguin vertex (e0z_inami_lim), which a
    Z_D coupled as eps_Z x the Z would have; a missing power of (1 - x_t) would make them equal, but eq. (41) may also
    contain couplings beyond the mass mixing (seed 003 refers to the full expressions of its ref. [54]): reported, not
    resolved (tests/test_darkz.py, README; model key E0Z_source selects either)."""
    g, c_w, _t, x = _ew()
    loop = x / (1.0 - x) * (6.0 - 7.0 * x + x * x + (2.0 + 3.0 * x) * np.log(x))
    return float(g**3 * eps_z / (64.0 * np.pi**2 * c_w) * loop)


def e0z_inami_lim(eps_z: float) -> float:
    """eps_Z times the one-loop b -> s Z vertex at q^2 = 0 of Inami-Lim, per V_tb V_ts*:
    -eps_Z g^3 C_0(x_t)/(8 pi^2 c_W) (the s gamma^mu P_L b coefficient of (G_F/sqrt2)(e/2 pi^2) M_Z^2 (c_W/s_W)
    C_0 s gamma^mu (1 - gamma5) b, Buchalla-Buras-Lautenbacher hep-ph/9512380), with the sign that makes
    eps_Z = 1, M = M_Z reproduce the Z-penguin part -C_0/s_W^2 of the SM C10 (tests/test_darkz.py). The
    mass-mixed Z_D rate of Davoudiasl-Lee-Marciano arXiv:1203.2947 follows from this vertex."""
    g, c_w, _t, x = _ew()
    return float(-eps_z * g**3 * inami_lim_c0(x) / (8.0 * np.pi**2 * c_w))


def photon_penguin_e2() -> float:
    """q^2 term of the one-loop b -> s vertex of a vector boson coupled like the photon with unit strength
    (e J^em and the photon's W W coupling), per V_tb V_ts* [GeV^-2]: fixed by the photon-penguin part of C9,
    -D_0(x_t) (inami_lim_d0): a photon exchange with lepton charge -1 gives -N dC9 = -e E2^gamma, so
    E2^gamma = -N D_0(x_t)/(e |V_tb V_ts|) (N of norm_bsll, e = sqrt(4 pi alpha(0)))."""
    from .inputs import ALPHA_EM_0, mass

    x = (mass(6) / mass(24)) ** 2
    e = np.sqrt(4.0 * np.pi * ALPHA_EM_0)
    return float(-norm_bsll() / VTB_VTS * inami_lim_d0(x) / e)


def e2a_photon_penguin(eps: float) -> float:
    """E^{2,A}/(V_tb V_ts*) [GeV^-2]: the kinetic mixing couples the Z_D like the photon times eps (seed 003
    eq. 34-35, e eps J^em and -i e eps [[X W W]]), so E^{2,A} = eps photon_penguin_e2()."""
    return float(eps * photon_penguin_e2())


def e2z_photon_part(eps_z: float) -> float:
    """E^{2,Z}/(V_tb V_ts*) [GeV^-2], the part computed: the mass-mixing couplings of seed 003 eq. (34)-(35),
    (g/2c_W) eps_Z (T3 - 2 Q s_W^2) on fermions and g c_W eps_Z on W W, split exactly into an SU(2) part
    (g/c_W) eps_Z (T3; W W) and a photon-like part -e tan(theta_W) eps_Z (Q; W W), because
    g c_W = g/c_W - e tan(theta_W). The photon-like part is a kinetic mixing -tan(theta_W) eps_Z:
    E^{2,Z}_gamma = -tan(theta_W) eps_Z photon_penguin_e2(). The q^2 term of the SU(2) part is not included (no
    closed form in the cited sources): it is of order (q^2/m_W^2) relative to the monopole E^{0,Z} of the same
    vertex, <= 4e-3 over the B -> K l l range (README)."""
    _g, _c, tan_w, _x = _ew()
    return float(-tan_w * eps_z * photon_penguin_e2())


#: E^{0,Z} choices: seed 003 eq. (41) as printed (default, as issue 13 specifies), or eps_Z x the Inami-Lim Z vertex
E0Z_SOURCES = {"eq41": e0z_eq41, "inami_lim": e0z_inami_lim}


def zd_bs_coefficients(eps: float, eps_z: float, e0z: str = "eq41") -> tuple[float, float]:
    """(E0, E2) of the b -> s Z_D vertex of seed 001 eq. (1), per V_tb V_ts*: E0 = E^{0,Z} (seed 003 eq. 41,
    e0z_eq41, or with e0z = 'inami_lim' eps_Z x the Inami-Lim Z vertex, e0z_inami_lim: 1/(x_t - 1) of it), E2 = E^{2,A} + E^{2,Z} (e2a_photon_penguin + e2z_photon_part) [GeV^0, GeV^-2]. The one source
    of the b -> s Z_D coupling for both the dilepton model's C9, C10 and the dark_vector model's g_bs
    (g_bs_source = 'seed001_E': |E0 + E2 M^2| |V_tb V_ts|, the on-shell Z_D of eq. 1, where the q^mu q^nu term
    vanishes). The dipole M^1 of eq. (1) is neglected: its photon-like part is eps times the photon dipole, which
    shifts C7 by dC7/C7 ~ eps g_V/e q^2/(q^2 - M^2), i.e. N |C7| (2 m_b/e) eps/|E^{0,Z}| <= 2e-5 of the monopole's effect
    at the seed 001 card points; its Z part is (m_b/m_W)^2 suppressed against E^{0,Z} (README, tests/test_darkz.py)."""
    return E0Z_SOURCES[e0z](eps_z), e2a_photon_penguin(eps) + e2z_photon_part(eps_z)


def g_bs_seed001(eps: float, eps_z: float, m: float, e0z: str = "eq41") -> float:
    """|g_bs| of the on-shell Z_D of mass m [GeV] for models.dark_vector: |E0 + E2 m^2| |V_tb V_ts|
    (zd_bs_coefficients; the coupling s gamma^mu P_L b Z_D of seed 003 eq. 42 with g_bs = -(E0 + E2 m^2))."""
    e0, e2 = zd_bs_coefficients(eps, eps_z, e0z)
    return float(abs(e0 + e2 * m * m) * VTB_VTS)
