"""Scalar portals of seed 002: dark Higgs H1 (B+ -> K+ H1, B+ -> K+ X Xbar through H1/H2) and
Higgs-portal singlet scalar dark matter (B+ -> K+ S S through h*). Fixed seeds, p > 1e-4."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from bkgen.physics import form_factors, inputs
from bkgen.physics.models import dark_higgs as dh
from helpers import chi2_pvalue, make_generator as make, sample

P_MIN = 1e-4
GAMMA_BP = inputs.particle(521).width
M_B, M_K = inputs.mass(521), inputs.mass(321)


def p4(part, i):
    return np.stack([part["E"][:, i], part["px"][:, i], part["py"][:, i], part["pz"][:, i]], axis=-1)


def minv(v):
    return np.sqrt(np.maximum(v[:, 0] ** 2 - (v[:, 1:] ** 2).sum(1), 0.0))


def test_two_body_rate_slide_formula():
    # seed 002 "Belle II excess: 2-body decay" with |kappa_cb| = 6.7e-6 and sin(theta) = 3e-3:
    # BR(B+ -> K+ H1) = 4.9e-6 at m_H1 = 2 GeV, the size of Br(B -> K X) = (5.1 +- 2.1)e-6
    p = dh.MODEL.defaults()
    ff = form_factors.get("B->K", p["form_factors_BK"])
    lam = (M_B**2 - M_K**2 - 4.0) ** 2 - 4 * M_K**2 * 4.0
    c = (M_B**2 - M_K**2) / (inputs.mass(5) - inputs.mass(3))
    by_hand = 6.7e-6**2 * 3e-3**2 * c**2 * ff.f_zero(4.0) ** 2 * np.sqrt(lam) / (64 * np.pi * M_B**3)
    g = dh.gamma_b_to_k_scalar(4.0, p["kappa_cb"], p["sin_theta"], ff, M_B, M_K)
    assert g == pytest.approx(by_hand, rel=1e-12)
    assert g / GAMMA_BP == pytest.approx(5.1e-6, rel=0.1)
    # H1 -> Z'Z' dominates (slide: BR ~ 1)
    w = dh.partial_widths(p)
    assert w["Z' Z'"] / sum(w.values()) > 0.95


def test_narrow_width_limit_h1_channels_and_three_body():
    # narrow H1 (g_X small -> v_Phi large, lambda_PhiX scaled to keep both modes): channel widths =
    # Gamma(B -> K H1) BR(H1 -> f), and the three-body B -> K X Xbar through H1 reproduces
    # Gamma(B -> K H1) BR(H1 -> X Xbar) (slide "2- or 3-body decay" vs "2-body decay")
    kw = {"g_X": 5e-8, "lambda_PhiX": 1e-10}  # Gamma(Z'Z') ~ g_X^2, Gamma(X Xbar) ~ (lambda_PhiX/g_X)^2
    gen = make("dark_higgs", "B+ -> K+ H1", **kw)
    p = gen.card["model"]
    assert dh.total_width(p) / p["m_H1"] < 1e-8
    ff = form_factors.get("B->K", p["form_factors_BK"])
    g2 = dh.gamma_b_to_k_scalar(p["m_H1"] ** 2, p["kappa_cb"], p["sin_theta"], ff, M_B, M_K)
    w = dh.partial_widths(p)
    tot = sum(w.values())
    for ch, info in zip(gen.channels, gen.info):
        assert info.width == pytest.approx(g2 * w[ch.mode] / tot, rel=1e-6)
    gen3 = make("dark_higgs", "B+ -> K+ X Xbar", **kw)
    assert gen3.width == pytest.approx(g2 * w["X Xbar"] / tot, rel=1e-4)


def test_three_body_off_shell_matches_slide_integral():
    # m_H1 = 6 GeV > m_B - m_K: the slide's q^2 integral (no H1 width, sin^2 theta) up to cos^2 theta
    kw = {"m_H1": 6.0, "lambda_PhiX": 0.5}
    gen = make("dark_higgs", "B+ -> K+ X Xbar", **kw)
    p = gen.card["model"]
    ff = form_factors.get("B->K", p["form_factors_BK"])
    m1, m2 = p["m_H1"], inputs.mass(25)
    c = (M_B**2 - M_K**2) / (inputs.mass(5) - inputs.mass(3))
    pref = (p["lambda_PhiX"] * dh.v_phi(p)) ** 2 * p["kappa_cb"] ** 2 * p["sin_theta"] ** 2 * c**2 \
        * (m1**2 - m2**2) ** 2 / (1024 * np.pi**3 * M_B**3)

    def integrand(q2):
        lam = (M_B**2 - M_K**2 - q2) ** 2 - 4 * M_K**2 * q2
        return np.sqrt(1 - 4 * p["m_DM"] ** 2 / q2) * np.sqrt(max(lam, 0)) * ff.f_zero(q2) ** 2 \
            / ((q2 - m1**2) ** 2 * (q2 - m2**2) ** 2)

    slide = pref * integrate.quad(integrand, 4 * p["m_DM"] ** 2, (M_B - M_K) ** 2, epsrel=1e-11, limit=200)[0]
    cos2 = 1 - p["sin_theta"] ** 2
    width_term = (m1 * dh.total_width(p)) ** 2 / (m1**2 - (M_B - M_K) ** 2) ** 2
    assert gen.width == pytest.approx(slide * cos2, rel=max(1e-6, 2 * width_term))


def test_kxx_q2_chi2_and_record():
    gen = make("dark_higgs", "B+ -> K+ X Xbar", m_H1=6.0, lambda_PhiX=0.5)
    rate = dh.three_body_rate(gen.card["model"])
    n = 100_000
    scal, part = sample(gen, n, 51)
    lo, hi = 4 * 0.25, (M_B - M_K) ** 2
    edges = np.linspace(lo, hi, 31)
    parts = np.array([integrate.quad(rate, a, b, epsrel=1e-10)[0] for a, b in itertools.pairwise(edges)])
    assert chi2_pvalue(np.histogram(scal["q2"], edges)[0], n * parts / parts.sum()) > P_MIN
    # record: B, K, X, Xbar (virtual H1/H2 not written); X isotropic in the pair frame
    assert list(part["pdg"][0, 2:]) in ([51, -51], [-51, 51])
    b, k, x1, x2 = (p4(part, i) for i in range(4))
    assert np.allclose(b, k + x1 + x2, atol=1e-9)
    assert np.allclose(minv(x1), 0.5, atol=1e-6)
    c = scal["cos_theta_pair"]
    assert chi2_pvalue(np.histogram(c, np.linspace(-1, 1, 21))[0], np.full(20, n / 20)) > P_MIN


def test_k_h1_record_displaced_and_isotropic():
    # long-lived H1 (g_X, lambda_PhiX small): c tau = 2 mm; H1 -> Z'Z' with Z' stable (PDG 55, m_Z')
    p0 = dh.MODEL.defaults()
    scale = dh.total_width(dict(p0, g_X=1.0, lambda_PhiX=1.0))
    target = inputs.HBAR_GEV_NS * inputs.C_MM_PER_NS / 2.0
    g_x = np.sqrt(target / scale)  # both widths scale as g_X^2 with lambda_PhiX = g_X^2
    gen = make("dark_higgs", "B+ -> K+ H1", g_X=g_x, lambda_PhiX=g_x**2)
    assert gen.channels[0].y_ctau == pytest.approx(2.0, rel=1e-9)
    scal, part = sample(gen, 40_000, 52)
    pdg = part["pdg"]
    assert np.all(pdg[:, 2] == 54)
    zz = pdg[:, 3] == 55
    assert np.mean(zz) == pytest.approx(gen.info[0].width / gen.width, abs=0.01)
    assert np.allclose(minv(p4(part, 3)[zz]), p0["m_Zp"], atol=1e-7)
    b, k, h, d1, d2 = (p4(part, i) for i in range(5))
    assert np.allclose(b, k + h, atol=1e-9) and np.allclose(h, d1 + d2, atol=1e-9)
    d = np.stack([part[a][:, 3] - part[a][:, 2] for a in ("vx", "vy", "vz")], axis=-1)
    length = np.linalg.norm(d, axis=1) * minv(h) / np.linalg.norm(h[:, 1:], axis=1)
    assert stats.kstest(length, "expon", args=(0, 2.0)).pvalue > P_MIN
    c = scal["cos_theta_pair"]
    assert chi2_pvalue(np.histogram(c, np.linspace(-1, 1, 21))[0], np.full(20, len(c) / 20)) > P_MIN


def test_singlet_scalar_rate_and_q2():
    gen = make("singlet_scalar", "B+ -> K+ S S")
    p = gen.card["model"]
    ff = form_factors.get("B->K", p["form_factors_BK"])
    c = (M_B**2 - M_K**2) / (inputs.mass(5) - inputs.mass(3))
    v = (np.sqrt(2) * inputs.G_FERMI) ** -0.5
    m_h = inputs.mass(25)

    def by_hand(q2):
        # |M| = (kappa C f0/2)(2 lambda v)/(q^2 - m_h^2); dGamma/dq^2 = (1/2) |M|^2 beta sqrt(K)/(256 pi^3 m_B^3)
        lam = (M_B**2 - M_K**2 - q2) ** 2 - 4 * M_K**2 * q2
        amp = p["kappa_cb"] * c * ff.f_zero(q2) / 2 * 2 * p["lambda_HS"] * v / (q2 - m_h**2)
        return 0.5 * amp**2 * np.sqrt(1 - 4 * p["m_S"] ** 2 / q2) * np.sqrt(max(lam, 0)) / (256 * np.pi**3 * M_B**3)

    lo, hi = 4 * p["m_S"] ** 2, (M_B - M_K) ** 2
    assert gen.width == pytest.approx(integrate.quad(by_hand, lo, hi, epsrel=1e-11)[0], rel=1e-7)
    assert 1e-5 < gen.br < 2e-5  # seed 002: the 3-body solution needs large lambda for the 1.8e-5 excess
    n = 100_000
    scal, part = sample(gen, n, 53)
    edges = np.linspace(lo, hi, 31)
    parts = np.array([integrate.quad(by_hand, a, b, epsrel=1e-10)[0] for a, b in itertools.pairwise(edges)])
    assert chi2_pvalue(np.histogram(scal["q2"], edges)[0], n * parts / parts.sum()) > P_MIN
    b, k, s1, s2 = (p4(part, i) for i in range(4))
    assert np.allclose(b, k + s1 + s2, atol=1e-9)
    assert np.allclose(minv(s1), p["m_S"], atol=1e-6)


def test_scalar_cards_resolve():
    from pathlib import Path

    from bkgen.config.card import load

    root = Path(__file__).resolve().parent.parent / "cards"
    for name in ("dark_higgs_KH1.toml", "dark_higgs_KXX_offshell.toml", "singlet_scalar_KSS.toml"):
        assert load(root / name)["process"]["model"] in ("dark_higgs", "singlet_scalar")
