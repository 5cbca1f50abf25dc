"""bkgen.physics.amplitudes against independent truth: EOS (tables made by tests/reference/eos/make_tables.py),
the seed 002 back-up slide widths of B -> K Z', seed 003 eq. (42)-(45), and limits that must hold
(massless pairs, the Higgs-portal singlet scalar). No generator here: the amplitudes only."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

from bkgen.physics import amplitudes as A
from bkgen.physics import form_factors, inputs
from bkgen.physics.models import dark_vector, singlet_scalar

EOS = json.loads((pathlib.Path(__file__).parent / "reference" / "eos" / "sbnunu_tables.json").read_text())
_FF_NAMES = {"f_plus": "f_+", "f_zero": "f_0", "f_T": "f_T", "V": "V", "A0": "A_0", "A1": "A_1", "A12": "A_12",
             "T1": "T_1", "T2": "T_2", "T23": "T_23"}


class TabulatedFF:
    """EOS's form-factor values at the table's q^2 points (evaluated only there)."""

    def __init__(self, q2, values):
        self._q2 = np.asarray(q2, dtype=float)
        self._v = {k: np.asarray(v, dtype=float) for k, v in values.items()}

    def __getattr__(self, name):
        key = _FF_NAMES.get(name)
        if key is None or key not in self._v:
            raise AttributeError(name)
        return lambda q2: np.interp(q2, self._q2, self._v[key])


def _eos_rate(proc, point):
    """bkgen's nunu() with EOS's form factors and inputs: dBR/dq^2 [GeV^-2], three flavours."""
    v = EOS["processes"][proc]
    par, q2 = v["parameters"], np.asarray(v["q2"])
    ff = TabulatedFF(q2, v["form_factors"])
    norm = 4 * par["G_F"] / np.sqrt(2) * par["abs_lambda_t"] * par["alpha_e"] / (2 * np.pi)
    c = v["points"][point]["coefficients"]
    amp = A.nunu(ff, q2, par["m_B"], par["m_M"], norm, c["cVL"], c["cVR"], c["cSL"], c["cSR"], c["cTL"],
                 st_factor=2.0, m_bq=par["m_b_msbar_mu"], m_sq=par["m_s_msbar_mu"])
    return amp, 3 * amp.rate() * par["tau_B"] / par["hbar"]


@pytest.mark.parametrize("proc", ["B->Knunu", "B->K^*nunu", "B_s->phinunu"])
@pytest.mark.parametrize("point", ["SM", "VL1", "VR1", "SL1", "SR1", "TL1"])
def test_nunu_against_eos(proc, point):
    """dBR/dq^2 of every sbnunu operator at unit coefficient (and EOS's SM point) equals EOS 1.0.21 with
    the same form factors and inputs to 1e-9: the whole helicity-amplitude chain (vector, scalar through the
    equations of motion, tensor; FLS arXiv:2111.04327 eq. 8 and 13 as implemented in EOS)."""
    _, ours = _eos_rate(proc, point)
    theirs = np.asarray(EOS["processes"][proc]["points"][point]["dBR_dq2"])
    inside = theirs > 0
    assert np.allclose(ours[inside], theirs[inside], rtol=1e-9, atol=0)


@pytest.mark.parametrize("proc", ["B->K^*nunu", "B_s->phinunu"])
@pytest.mark.parametrize("point", ["SM", "VL1", "VR1"])
def test_longitudinal_fraction_against_eos(proc, point):
    """F_L(q^2) = |a_0|^2/sum|a|^2 equals EOS's F_L(q^2) for the vector operators. (EOS's F_L counts only the
    A_12 term as longitudinal, so at scalar or tensor points it is not the K* helicity-0 fraction; those are
    not compared.)"""
    amp, _ = _eos_rate(proc, point)
    fl = (amp.a[..., 1] ** 2).sum(-1) / (amp.a**2).sum((-2, -1))
    theirs = np.asarray(EOS["processes"][proc]["points"][point]["F_L"])
    n = len(theirs) - 1  # the end point has no rate
    assert np.allclose(fl[:n], theirs[:n], rtol=1e-9)


def test_kstar_fl_vector_vs_axial_coupling():
    """B -> K* Z' helicity structure: a pure vector coupling (g_L = g_R) has only V, H_0 = 0, F_L = 0 and
    |H_-| = |H_+|; a pure axial one (g_R = -g_L) has F_L = |8 m_B m_V A_12/m|^2/(that + 2 (m_B + m_V)^2 A_1^2)
    (BSZ eq. 3-5)."""
    ff = form_factors.get("B->K*", "BSZ2015")
    mb, mv, mz = inputs.mass(511), inputs.mass(313), 2.0
    hv = A.vector_x_amplitudes(ff, mb, mv, mz, g4=(1.0, 1.0))
    assert hv[1] == 0.0 and abs(hv[0]) == pytest.approx(abs(hv[2]), rel=1e-14)
    ha = A.vector_x_amplitudes(ff, mb, mv, mz, g4=(-1.0, 1.0))
    l0 = (8 * mb * mv * ff.A12(mz**2) / mz) ** 2
    expected = l0 / (l0 + 2 * (mb + mv) ** 2 * ff.A1(mz**2) ** 2)
    assert ha[1] ** 2 / (ha**2).sum() == pytest.approx(float(expected), rel=1e-12)
    assert ha[0] == pytest.approx(ha[2], rel=1e-14)  # no V: the two transverse amplitudes are equal


# ---- seed 002 back-up slide: Gamma(B -> K Z') of dimension 4, 5, 6 --------------------------------
M_B, M_K, M_ZP, LAM = inputs.mass(521), inputs.mass(321), 2.0, 1000.0


def _slide_lambda():
    return A.kallen(1.0, M_K**2 / M_B**2, M_ZP**2 / M_B**2)


@pytest.mark.parametrize("g", [(1e-8, 0.0), (0.0, 1e-8), (0.7e-8, 0.3e-8)])
def test_slide_dimension_4_width(g):
    """Gamma^(4) = |g_V|^2/(64 pi) m_B^3/m_Z'^2 lambda^{3/2} f_+^2, g_V = g_R + g_L (seed 002 back-up slide;
    the slide prints f_+ where the square f_+^2 is meant, and lambda is lambda(1, m_K^2/m_B^2, m_Z'^2/m_B^2))."""
    ff = form_factors.get("B->K", "GKvD2018")
    g_v = g[0] + g[1]
    slide = g_v**2 / (64 * np.pi) * M_B**3 / M_ZP**2 * _slide_lambda() ** 1.5 * ff.f_plus(M_ZP**2) ** 2
    ours = A.two_body_width(M_B, M_K, M_ZP, A.vector_x_amplitudes(ff, M_B, M_K, M_ZP, g4=g))
    assert ours == pytest.approx(float(slide), rel=1e-12)


@pytest.mark.parametrize("g", [(1e-8, 0.0), (0.0, 1e-8), (0.4e-8, 0.6e-8)])
def test_slide_dimension_5_width(g):
    """Gamma^(5) = |g_V|^2/(16 pi) m_B m_Z'^2/Lambda^2 (1 + m_K/m_B)^-2 lambda^{3/2} f_T^2 (slide prints f_T for
    f_T^2). Only g_V = g_L + g_R enters B -> K: the sigma gamma5 part gives epsilon(q, q, ...) = 0."""
    ff = form_factors.get("B->K", "GKvD2018")
    g_v = g[0] + g[1]
    slide = (g_v**2 / (16 * np.pi) * M_B * M_ZP**2 / LAM**2 / (1 + M_K / M_B) ** 2 * _slide_lambda() ** 1.5
             * ff.f_T(M_ZP**2) ** 2)
    ours = A.two_body_width(M_B, M_K, M_ZP, A.vector_x_amplitudes(ff, M_B, M_K, M_ZP, g5=g, lam_np=LAM))
    assert ours == pytest.approx(float(slide), rel=1e-12)


def test_slide_dimension_6_width_and_axial_zero():
    """Gamma^(6) = |g_V|^2/(64 pi) m_B^3 m_Z'^2/Lambda^4 lambda^{3/2} f_+^2; a pure axial coupling
    (g_R = -g_L) gives Gamma(B -> K Z') = 0 at every dimension."""
    ff = form_factors.get("B->K", "GKvD2018")
    g = (0.5e-8, 0.5e-8)
    slide = (1e-8) ** 2 / (64 * np.pi) * M_B**3 * M_ZP**2 / LAM**4 * _slide_lambda() ** 1.5 * ff.f_plus(M_ZP**2) ** 2
    ours = A.two_body_width(M_B, M_K, M_ZP, A.vector_x_amplitudes(ff, M_B, M_K, M_ZP, g6=g, lam_np=LAM))
    assert ours == pytest.approx(float(slide), rel=1e-12)
    ax = (-1e-8, 1e-8)
    h = A.vector_x_amplitudes(ff, M_B, M_K, M_ZP, g4=ax, g5=ax, g6=ax, lam_np=LAM)
    assert A.two_body_width(M_B, M_K, M_ZP, h) == 0.0


def test_dimension_4_is_seed003_eq42_and_eq43():
    """g_L^(4) = g_bs: Gamma(B -> K X) of seed 003 eq. (42) and Gamma(B -> K* X) of eq. (43)-(45)
    (dark_vector's implementation of the paper's rescaled amplitudes) for s gamma^mu P_L b X_mu."""
    p = dict(dark_vector.MODEL.defaults(), g_bs_source="card", g_bs=3e-8)
    ffk = form_factors.get("B->K", p["form_factors_BK"])
    ours = A.two_body_width(M_B, M_K, M_ZP, A.vector_x_amplitudes(ffk, M_B, M_K, M_ZP, g4=(3e-8, 0.0)))
    assert ours == pytest.approx(float(dark_vector.gamma_b_to_k_x(p, M_ZP**2)), rel=1e-12)
    ffv = form_factors.get("B->K*", "BSZ2015")
    mb, mv = inputs.mass(511), inputs.mass(313)
    ours = A.two_body_width(mb, mv, M_ZP, A.vector_x_amplitudes(ffv, mb, mv, M_ZP, g4=(3e-8, 0.0)))
    assert ours == pytest.approx(float(dark_vector.gamma_b_to_kstar_x(p, M_ZP**2)), rel=1e-12)


def test_replaced_copies_equal_seed003_form():
    """The V - A amplitudes the sm and dark_vector models now take from amplitudes.vector_current equal the
    seed 003 eq. (44)-(45) form (A_1, A_2, V; dark_vector.kstar_helicity_rescaled) times m_B, and the
    sqrt(q^2)-scaled form the models tabulate is finite at q^2 = 0."""
    ff = form_factors.get("B->K*", "BSZ2015")
    mb, mv = inputs.mass(511), inputs.mass(313)
    q2 = np.linspace(0.1, (mb - mv) ** 2 - 0.1, 23)
    hm, h0, hp = dark_vector.kstar_helicity_rescaled(q2, mv, ff, mb)
    ours = A.vector_current(ff, q2, mb, mv, 2.0, 0.0)[..., 1:] / mb
    scaled = A.vector_current(ff, q2, mb, mv, 2.0, 0.0, times_sqrt_q2=True)[..., 1:] / mb
    assert np.allclose(scaled, ours * np.sqrt(q2)[:, None], rtol=1e-12)
    assert A.vector_current(ff, 0.0, mb, mv, 2.0, 0.0, times_sqrt_q2=True)[2] == pytest.approx(
        8 * mb * mv * float(ff.A12(0.0)), rel=1e-14)
    # A_12 vs (A_1, A_2): A_12 is fitted, A_2 derived from it, so the two forms agree to rounding
    assert np.allclose(ours[:, 0], hm, rtol=1e-10) and np.allclose(ours[:, 2], hp, rtol=1e-10)
    assert np.allclose(np.abs(ours[:, 1]), np.abs(h0), rtol=1e-8)


# ---- limits -----------------------------------------------------------------------------------------
def test_massless_fermion_vector_pair_is_nunu_shape():
    """(s gamma^mu b)(chi gamma_mu chi) at m_chi -> 0 has the q^2 shape of the nu nubar vector operator, and
    its pair weights are sigma = -+1 only (sin^2 theta_Y for B -> K, as for nu nubar); at m_chi > 0 the
    sigma = 0 weight is 4 m^2/q^2 of the sigma = +-1 one (helicity flip ~ mass)."""
    ff = form_factors.get("B->K", "GKvD2018")
    q2 = np.linspace(0.05, (M_B - M_K) ** 2 - 0.05, 31)
    chi = A.fermion_pair(ff, q2, M_B, M_K, 1e-7, c_v=(1.0, 0.0)).rate()
    nu = A.nunu(ff, q2, M_B, M_K, 1.0, 1.0).rate()
    assert np.allclose(chi / chi.sum(), nu / nu.sum(), rtol=1e-10)
    m = 0.6
    x = A.fermion_pair(ff, q2[q2 > 4 * m * m], M_B, M_K, m, c_v=(1.0, 0.0))
    a0 = x.a[..., 1] ** 2
    assert np.allclose(a0[:, 1] / a0[:, 0], 2 * m * m / q2[q2 > 4 * m * m], rtol=1e-12)
    assert np.allclose(a0[:, 3], a0[:, 0], rtol=1e-12)


def test_scalar_pair_is_singlet_scalar_shape():
    """(s P_R b) S^2 of a real scalar with C = kappa lambda v/m_h^2 is the singlet-scalar model (seed 002) with
    its Higgs propagator contracted: equal to 1e-12 after restoring (m_h^2/(q^2 - m_h^2))^2, and the same
    shape to the propagator's 0.4 % variation over the phase space."""
    p = singlet_scalar.MODEL.defaults()
    ff = form_factors.get("B->K", p["form_factors_BK"])
    m_h = inputs.mass(25)
    c = p["kappa_cb"] * p["lambda_HS"] * singlet_scalar.v_ew() / m_h**2
    q2 = np.linspace(4 * p["m_S"] ** 2 + 0.01, (M_B - M_K) ** 2 - 0.01, 27)
    # the singlet model's quark masses (m_b(m_b), m_s(2 GeV) of seed 002's C = (m_B^2 - m_K^2)/(m_b - m_s))
    ours = A.scalar_pair(ff, q2, M_B, M_K, p["m_S"], c_s=(c / 2, c / 2), real=True, m_bq=inputs.mass(5),
                         m_sq=inputs.mass(3)).rate()
    theirs = singlet_scalar.rate_kss(p, ff)(q2)
    assert np.allclose(ours * (m_h**2 / (q2 - m_h**2)) ** 2, theirs, rtol=1e-12)
    assert np.allclose(ours / ours.sum(), theirs / theirs.sum(), rtol=5e-3)


def test_kernel_components_keep_rate():
    """The kernel's components add up to the rate; B -> P pair weights give the pair-angle law
    w_0 cos^2 + (w_- + w_+)/2 sin^2 whose integral is the rate (J = 0 isotropic)."""
    ff = form_factors.get("B->K*", "BSZ2015")
    mb, mv = inputs.mass(511), inputs.mass(313)

    def amp(q2, m):
        return A.fermion_pair(ff, q2, mb, m, 0.4, c_v=(1.0, 0.3), c_a=(0.2, -0.5), c_s=(0.1, 0.2), c_p=(0.3, 0.1))

    q2 = np.linspace(0.7, 18.0, 9)
    m = np.full(9, mv)
    comps = A.kernel_components(amp, 1, q2, m)
    assert [c[0] for c in comps] == ["sigma=-1", "sigma=0", "sigma=+1", "J=0"]
    total = sum(c[1](q2, m) for c in comps)
    assert np.allclose(total, amp(q2, m).rate(), rtol=1e-13)
    ffk = form_factors.get("B->K", "GKvD2018")

    def amp_k(q2, m):
        return A.fermion_pair(ffk, q2, M_B, M_K, 0.4, c_v=(1.0, 0.3), c_a=(0.2, -0.5), c_s=(0.1, 0.2), c_p=(0.3, 0.1))

    (_, rate, _, w), = A.kernel_components(amp_k, 0, q2, None)
    ww = w(q2, None)
    k = amp_k(q2, None).k
    # the pair-angle law w_0 cos^2 + (w_- + w_+)/2 sin^2 integrates to (2/3)(w_- + w_0 + w_+), and the weights
    # carry sum_s |a_s,0|^2 + j0: their sum times K is the rate
    assert np.allclose(k * ww.sum(-1), rate(q2, None), rtol=1e-12)
    assert np.all(ww[:, 1] > 0) and not np.allclose(ww[:, 0], ww[:, 2])  # all three pair helicities present
