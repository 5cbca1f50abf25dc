"""Widths and branching ratios against seed 000 (shared/seeds/000_1d5ebfc8e705bca1.txt) and
against independent evaluations written out here."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from scipy import integrate

from bkgen.config.card import resolve
from bkgen.generate.generator import Generator
from bkgen.physics import form_factors, inputs
from bkgen.physics.models import massless_dark_photon as mdp


def make(model, decay, **params):
    card = {"process": {"model": model, "decay": decay}, "model": params, "beam": {"frame": "B_rest"}}
    return Generator(resolve(card))


def kallen(a, b, c):
    return a * a + b * b + c * c - 2 * a * b - 2 * a * c - 2 * b * c


M_B, M_K = inputs.mass(521), inputs.mass(321)
GAMMA_BP = inputs.width(521)


def test_eq_3_9_massless_limit():
    """seed 000 eq. (3.9): BR(B+ -> K+ Q Qbar) = 5.43e-6 alpha_D (1e5 TeV / Lambda)^2 for m_Q -> 0.
    The paper quotes three digits; PDG 2026 tau_B+ vs older inputs moves it by < 0.3 %."""
    for alpha, lam in [(1.0, 1e5), (0.3, 2e5)]:
        g = make("massless_dark_photon", "B+ -> K+ Q Qbar", alpha_D=alpha, Lambda_TeV=lam, sommerfeld=False,
                 dark_fermions=[{"mass": 0.0}])
        assert g.br == pytest.approx(5.43e-6 * alpha * (1e5 / lam) ** 2, rel=5e-3)


def four_vector_rate(s, m_q, alpha, lam_gev, f_t):
    """dGamma/ds of B -> K Q Qbar from the amplitude of seed 000 eq. (3.2)-(3.3) at four-vector level:
    the hadronic current contracts to f_T/(m_B+m_K) (p_B+p_K)_mu, so
    sum|M|^2 = e_D^2 f_T^2/(Lambda^2 (m_B+m_K)^2) P_mu P_nu Tr[(k1+m) g^mu (k2-m) g^nu],
    integrated numerically over the dark-fermion angle in the pair rest frame."""
    e2 = 4 * math.pi * alpha
    pre = e2 * f_t**2 / (lam_gev**2 * (M_B + M_K) ** 2)
    rs = math.sqrt(s)
    beta = math.sqrt(1 - 4 * m_q**2 / s)
    # pair rest frame: B and K move along +z with P = p_B + p_K
    pb = math.sqrt(kallen(M_B**2, M_K**2, s)) / (2 * rs)
    eb = math.sqrt(M_B**2 + pb**2)
    ek = math.sqrt(M_K**2 + pb**2)
    P = np.array([eb + ek, 0.0, 0.0, 2 * pb])

    def dot(a, b):
        return a[0] * b[0] - a[1:] @ b[1:]

    def msq(c):
        sn = math.sqrt(1 - c * c)
        k1 = np.array([rs / 2, beta * rs / 2 * sn, 0.0, beta * rs / 2 * c])
        k2 = np.array([rs / 2, -k1[1], 0.0, -k1[3]])
        # Tr[(k1+m) g^mu (k2-m) g^nu] P_mu P_nu = 4 [2 (P.k1)(P.k2) - P^2 (k1.k2 + m^2)]
        return pre * 4 * (2 * dot(P, k1) * dot(P, k2) - dot(P, P) * (dot(k1, k2) + m_q**2))

    avg = integrate.quad(msq, -1, 1)[0] / 2
    phase_space = math.sqrt(kallen(M_B**2, M_K**2, s)) / (8 * math.pi * M_B**2) * beta / (8 * math.pi) / (2 * math.pi)
    return avg * phase_space / (2 * M_B)


@pytest.mark.parametrize("m_q", [0.0, 0.5, 1.2])
def test_eq_3_6_equals_four_vector_matrix_element(m_q):
    """eq. (3.6) as implemented equals the independent four-vector |M|^2 integration above."""
    p = {"alpha_D": 0.8, "Lambda_TeV": 1e5, "sommerfeld": False, "dipole_correction": False,
         "form_factors_BK": "BHvDW2012", "dark_fermions": [{"mass": m_q, "charge": 1.0}]}
    ch = mdp.build_kqq(p)[0]
    ff = form_factors.get("B->K", "BHvDW2012")
    for s in np.linspace(4 * m_q**2 + 0.3, (M_B - M_K) ** 2 - 0.3, 5):
        ref = four_vector_rate(s, m_q, 0.8, 1e8, float(ff.f_T(s)))
        assert float(ch.rate(s)) == pytest.approx(ref, rel=1e-9)


def test_eq_4_5_kstar_gamma_d():
    """seed 000 eq. (4.5): BR(B0 -> K* gamma_D) = 2.47e-5 (1e5 TeV/Lambda)^2 with T1(0) ~ 0.28.
    BSZ 2015 LCSR-only T1(0) = 0.2823; the K* line shape moves the rate by < 0.5 %.
    Tolerance 2 %: the paper's T1(0) is given to two digits."""
    g = make("massless_dark_photon", "B0 -> K*0 gamma_D", Lambda_TeV=1e5, form_factors_BKstar="BSZ2015-LCSR")
    assert g.br == pytest.approx(2.47e-5, rel=0.02)
    # independent: eq. (4.4) at the K* pole mass
    t1 = float(form_factors.get("B->K*", "BSZ2015-LCSR").T1(0.0))
    m_b0, m_ks = inputs.mass(511), inputs.mass(313)
    gamma = m_b0**3 * t1**2 * (1 - m_ks**2 / m_b0**2) ** 3 / (32 * math.pi * 1e16)
    assert g.br == pytest.approx(gamma / inputs.width(511), rel=5e-3)


def test_missing_energy_kstar_gamma_d_is_2_56():
    """seed 000 below eq. (4.5): E_miss = 2.56 GeV in the B0 rest frame (at the K* pole mass);
    the sampled line shape spreads it, its median sits at the pole value."""
    g = make("massless_dark_photon", "B0 -> K*0 gamma_D")
    e = np.concatenate([s["E_miss_B"] for s, _, _ in g.events(20000, seed=3)])
    m_b0, m_ks = inputs.mass(511), inputs.mass(313)
    pole = (m_b0**2 - m_ks**2) / (2 * m_b0)
    assert round(pole, 2) == 2.56
    assert np.median(e) == pytest.approx(pole, abs=2e-3)


def test_eq_6_7_bs_phi_gamma_d():
    """seed 000 eq. (6.7) quotes BR(Bs -> phi gamma_D) = 4.02e-5 (1e5 TeV/Lambda)^2, but its own chain
    (eq. 6.3-6.6: T1^phi = T1^K*/sqrt(R_K*phi), R = 1.23, T1^K*(0) = 0.28, into eq. 4.4) gives 2.0e-5,
    which is what eq. (6.8) (BR <~ 2e-5 at Lambda = 9.56e4 TeV) implies. bkgen uses the BSZ 2015
    Bs -> phi T1 directly, which lies between: 3.0e-5 (LCSR-only) / 2.8e-5 (LCSR+lattice)."""
    m_bs, m_phi = inputs.mass(531), inputs.mass(333)
    tau_bs = inputs.particle(531).tau / inputs.HBAR_GEV_NS  # GeV^-1

    def br(t1, lam_tev=1e5):
        return tau_bs * m_bs**3 * t1**2 * (1 - m_phi**2 / m_bs**2) ** 3 / (32 * math.pi * (lam_tev * 1e3) ** 2)

    seed_chain = br(0.28 / math.sqrt(1.23))
    assert seed_chain == pytest.approx(2.0e-5, rel=0.03)
    assert br(0.28 / math.sqrt(1.23), 9.56e4) == pytest.approx(2.2e-5, rel=0.05)  # eq. (6.8): "<~ 2e-5"
    g = make("massless_dark_photon", "Bs0 -> phi gamma_D", Lambda_TeV=1e5, form_factors_Bsphi="BSZ2015-LCSR")
    t1 = float(form_factors.get("Bs->phi", "BSZ2015-LCSR").T1(0.0))
    assert g.br == pytest.approx(br(t1), rel=5e-3)
    assert seed_chain < g.br < 4.02e-5


def test_sm_branching_ratio_near_eq_1_4():
    """seed 000 eq. (1.4): BR_SM = (4.29 +- 0.23)e-6; eq. (3.10) with its inputs and GKvD 2018 f_+
    must lie within 2 sigma. Independently, scipy quad of eq. (3.10) must equal bkgen's width."""
    g = make("sm", "B+ -> K+ nu nubar")
    assert abs(g.br - 4.29e-6) < 2 * 0.23e-6
    ff = form_factors.get("B->K", "GKvD2018")
    pre = (inputs.G_FERMI**2 * M_B**5 * inputs.ALPHA_EW_INV_MT**-2 * inputs.VTB_VTS**2 * inputs.X_T**2
           / (256 * math.pi**5 * inputs.SIN2_THETA_W**2))

    def d_gamma_ds_hat(sh):
        return pre * float(ff.f_plus(sh * M_B**2)) ** 2 * kallen(1, (M_K / M_B) ** 2, sh) ** 1.5

    gamma = integrate.quad(d_gamma_ds_hat, 0, (1 - M_K / M_B) ** 2, epsrel=1e-10)[0]
    assert g.width == pytest.approx(gamma, rel=1e-7)
    assert g.width_error < 1e-6 * g.width


def test_sm_kstar_nunu_in_literature_range():
    """SM BR(B0 -> K*0 nu nubar) = (9.6 +- 0.9)e-6 (Buras et al. arXiv:1409.4557 eq. 4.2) with the
    same BSZ form factors; 2 sigma window."""
    g = make("sm", "B0 -> K*0 nu nubar")
    assert abs(g.br - 9.6e-6) < 2 * 0.9e-6


@pytest.mark.parametrize("alpha", [0.7, 1.0])
def test_sommerfeld_enhancement_about_5(alpha):
    """seed 000 Fig. 1 / text: the SF factor enhances the rate 'by a factor of about 5' for
    alpha_D = 0.7 and 1.0 (N_Q = 3, m_Q = 0.5 GeV). Away from threshold beta_12 -> 1 and Omega ->
    2 pi alpha / (1 - exp(-2 pi alpha)) = 4.40 (0.7), 6.29 (1.0): the integrated ratio must be within
    5 % of that and between 3.5 and 7.5 ('about 5')."""
    kw = {"alpha_D": alpha, "Lambda_TeV": 9.56e4}
    ratio = make("massless_dark_photon", "B+ -> K+ Q Qbar", sommerfeld=True, **kw).br / make(
        "massless_dark_photon", "B+ -> K+ Q Qbar", sommerfeld=False, **kw).br
    x = 2 * math.pi * alpha
    assert ratio == pytest.approx(x / (1 - math.exp(-x)), rel=0.05)
    assert 3.5 < ratio < 7.5


def test_ratio_eq_5_1():
    """seed 000 eq. (5.1): BR(B0 -> K* gamma_D) / BR(B+ -> K+ Q_X Qbar_X)_SF ~ 0.72/N_Q for alpha_D ~ 1
    (N_Q = 3, m_Q = 0.5 GeV). bkgen gives 0.79/N_Q; the paper's value is read off at 'alpha_D ~ O(1)'
    with T1(0) ~ 0.28; a 15 % tolerance covers that."""
    kqq = make("massless_dark_photon", "B+ -> K+ Q Qbar", alpha_D=1.0, Lambda_TeV=9.56e4)
    ks = make("massless_dark_photon", "B0 -> K*0 gamma_D", Lambda_TeV=9.56e4)
    assert ks.br / kqq.br * 3 == pytest.approx(0.72, rel=0.15)
    # the ratio does not depend on Lambda (seed 000 below eq. 5.3)
    kqq2 = make("massless_dark_photon", "B+ -> K+ Q Qbar", alpha_D=1.0, Lambda_TeV=3e5)
    ks2 = make("massless_dark_photon", "B0 -> K*0 gamma_D", Lambda_TeV=3e5)
    assert ks2.br / kqq2.br == pytest.approx(ks.br / kqq.br, rel=1e-9)


def test_generations_add_incoherently_with_charge_squared():
    """sum over generations (seed 000 sec. 5); a charge q enters as alpha_D q^2 (eq. 3.13, footnote 1)."""
    one = make("massless_dark_photon", "B+ -> K+ Q Qbar", sommerfeld=False, dark_fermions=[{"mass": 0.3}])
    two = make("massless_dark_photon", "B+ -> K+ Q Qbar", sommerfeld=False,
               dark_fermions=[{"mass": 0.3}, {"mass": 0.3, "charge": 2.0}])
    assert two.width == pytest.approx(5 * one.width, rel=1e-10)


def test_magnetic_form_factor_eq_3_17():
    """F_2 of eq. (3.17) against a direct complex evaluation; Delta_M of eq. (3.16) from it."""
    s_hat, mq_hat, alpha = 0.2, 0.5 / M_B, 1.0
    root = math.sqrt(s_hat * (s_hat - 4 * mq_hat**2))
    f2 = alpha / (2 * math.pi) * mq_hat / root * cmath.log((2 * mq_hat**2 - s_hat + root) / (2 * mq_hat**2))
    assert complex(mdp.magnetic_form_factor(s_hat, mq_hat, alpha, 1.0)) == pytest.approx(f2, rel=1e-12)
    delta = 4 * mq_hat * f2.real + abs(f2) ** 2 * (s_hat + 8 * mq_hat**2) / 3
    assert float(mdp.dipole_correction(s_hat, mq_hat, alpha, 1.0)) == pytest.approx(delta, rel=1e-12)
    assert float(mdp.dipole_correction(s_hat, 0.0, alpha, 1.0)) == 0.0


def test_dipole_correction_size():
    """seed 000 says the dipole correction is 'at the percent level' on the q^2 region of the
    excess. Implemented as printed (eq. 3.15-3.17), it lowers the total N_Q = 3, m_Q = 0.5 GeV,
    alpha_D = 1 rate by about 9 %: Re F_2 < 0 makes 4 m_Q Re F_2 negative over the whole range.
    The test pins the sign and the size against a quad integral of eq. (3.6) with lambda(1 + Delta_M)."""
    kw = {"alpha_D": 1.0, "Lambda_TeV": 9.56e4, "sommerfeld": False, "dark_fermions": [{"mass": 0.5}]}
    base = make("massless_dark_photon", "B+ -> K+ Q Qbar", **kw).width
    corr = make("massless_dark_photon", "B+ -> K+ Q Qbar", dipole_correction=True, **kw).width
    ff = form_factors.get("B->K", "BHvDW2012")
    mq, mk = 0.5 / M_B, M_K / M_B

    def integrand(sh, with_dipole):
        lam = kallen(1, mk**2, sh)
        u = math.sqrt(lam * (1 - 4 * mq**2 / sh))
        d = float(mdp.dipole_correction(sh, mq, 1.0, 1.0)) if with_dipole else 0.0
        return u * (lam * (1 + d) - u * u / 3) * float(ff.f_T(sh * M_B**2)) ** 2

    lo, hi = 4 * mq**2, (1 - mk) ** 2
    ratio = (integrate.quad(integrand, lo, hi, args=(True,), limit=200, epsrel=1e-9)[0]
             / integrate.quad(integrand, lo, hi, args=(False,), limit=200, epsrel=1e-9)[0])
    assert corr / base == pytest.approx(ratio, rel=1e-5)
    assert -0.15 < corr / base - 1 < 0


@pytest.mark.parametrize("m_q", [1e-4, 0.5, 2.0])
def test_dipole_angular_weights_integrate_to_eq_3_15(m_q):
    """The pair-helicity weights (Sachs G_M, G_E of the dark vertex) averaged over cos(theta_Q)
    reproduce lambda (1 + Delta_M) - u_bar^2/3 of eq. (3.15)-(3.16), i.e.
    [(w_+ + w_-)/2 (2/3) + w_0/3] = 1 + Delta_M - beta^2/3, and stay non-negative."""
    p = {"alpha_D": 1.0, "Lambda_TeV": 1e5, "sommerfeld": True, "dipole_correction": True,
         "form_factors_BK": "BHvDW2012", "dark_fermions": [{"mass": m_q, "charge": 1.0}]}
    ch = mdp.build_kqq(p)[0]
    s = np.linspace(4 * m_q**2 * (1 + 1e-6), (M_B - M_K) ** 2, 200)
    w = ch.pair_weights(s)
    assert np.all(w >= 0)
    beta2 = 1 - 4 * m_q**2 / s
    delta = mdp.dipole_correction(s / M_B**2, m_q / M_B, 1.0, 1.0)
    avg = 0.5 * (w[:, 0] + w[:, 2]) * 2 / 3 + w[:, 1] / 3
    assert np.allclose(avg, 1 + delta - beta2 / 3, rtol=1e-9, atol=1e-12)
