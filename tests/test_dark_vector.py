"""Massive dark photon X (model dark_vector): seed 003 sec. III and seed 001 numbers, the
Breit-Wigner line shape of eq. (40), X decays in the event record.

Fixed seeds; chi^2 / KS tests use p > 1e-4 (false-alarm rate 1e-4 per test, see test_sampling.py).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

from bkgen.generate.tables import (
    N_T_NODES,
    T_MIN,
    ChannelGrid,
    _interp_error,
    channel_width,
)
from bkgen.physics import form_factors, inputs
from bkgen.physics.models import dark_vector as dv
from helpers import chi2_pvalue, make_generator, sample

P_MIN = 1e-4
EPS_BENCH = 10**-4.3
GAMMA_BP = inputs.particle(521).width
M_B, M_K = inputs.mass(521), inputs.mass(321)


def params(**kw):
    p = dv.MODEL.defaults()
    p.update(kw)
    return p


def make(decay="B+ -> K+ X", frame="B_rest", **kw):
    return make_generator("dark_vector", decay, frame=frame, **kw)


# ---- seed 003 numbers ------------------------------------------------------------------------
def test_benchmark_br_to_dark_matter():
    # seed 003 after eq. (39): m_X = 2 GeV, alpha_X = 1e-7, eps = 10^-4.3, m_DM = 0.5 GeV:
    # BR(X -> psi psi) ~ 0.996; bkgen 0.9969
    br = dv.branching_ratios(params())
    assert br["psi psi"] == pytest.approx(0.996, abs=0.002)
    assert sum(br.values()) == pytest.approx(1.0, rel=1e-12)


def test_massless_widths_reproduce_eq38():
    # eq. (38) in the massless limit with eps_Z = eps tan(theta_W). The nu nubar width agrees with
    # the printed formula; for l+l- the printed 1/c_W^2 must read 1/c_W^4: with eq. (34),
    # g_V = e eps (8 s^2 - 5)/(4 c^2), g_A = -e eps/(4 c^2), so g_V^2 + g_A^2 carries 1/c_W^4.
    p = params()
    s2, c2 = dv.weak_mixing()
    a, e = inputs.ALPHA_EM_0, p["eps"]
    m2 = 9.0  # far above every threshold considered here
    g_v, g_a = dv.mixing_couplings(p, -1.0, -0.5)
    ll = dv.ff_width_over_m(m2, g_v, g_a, 0.0)
    assert ll == pytest.approx(e**2 * a * (13 - 40 * s2 + 32 * s2**2) / (24 * c2**2), rel=1e-12)
    g_v, g_a = dv.neutrino_couplings(p)
    assert dv.ff_width_over_m(m2, g_v, g_a, 0.0) == pytest.approx(e**2 * a / (24 * c2**2), rel=1e-12)
    # pure dark photon (eps_Z = 0): alpha eps^2 m/3 per unit charge
    q = params(eps_Z_source="card", eps_Z=0.0)
    g_v, g_a = dv.mixing_couplings(q, -1.0, -0.5)
    assert dv.ff_width_over_m(m2, g_v, g_a, 0.0) == pytest.approx(a * e**2 / 3, rel=1e-12)
    # lepton-mass dependence at 2 GeV: beta [g_V^2 (3 - beta^2)/2 + g_A^2 beta^2] / (g_V^2 + g_A^2)
    w = dv.partial_widths(p)
    g_v, g_a = dv.mixing_couplings(p, -1.0, -0.5)
    b2 = 1 - 4 * inputs.mass(13) ** 2 / 4.0
    expect = np.sqrt(b2) * (g_v**2 * (3 - b2) / 2 + g_a**2 * b2) / (g_v**2 + g_a**2)
    b2e = 1 - inputs.mass(11) ** 2
    expect /= np.sqrt(b2e) * (g_v**2 * (3 - b2e) / 2 + g_a**2 * b2e) / (g_v**2 + g_a**2)
    assert w["mu+ mu-"] / w["e+ e-"] == pytest.approx(expect, rel=1e-12)
    # eq. (39), Majorana dark matter
    assert dv.partial_widths(p)["psi psi"] == pytest.approx(1e-7 * 2.0 / 6 * (1 - 4 * 0.25 / 4) ** 1.5, rel=1e-12)


def test_ctau_from_sm_decays():
    # seed 003 after eq. (38): "c tau_X = 2 (10^-4.3/eps)^2 um at m_X = 2 GeV" from SM decays only.
    # bkgen: 2.96 um (e, mu with mass effects, 3 nu, hadrons with R = 2.18 from DarkCast, alpha(0)).
    # The quoted "2" is reproduced to 50 %: counting tau+tau- as massless and using alpha(m_Z)
    # gives 2.3 um, so the seed's number rests on such approximations; the eps^-2 scaling is exact.
    def ctau_sm(eps):
        w = dv.partial_widths(params(eps=eps, alpha_X=0.0))
        return inputs.HBAR_GEV_NS * inputs.C_MM_PER_NS / sum(w.values()) * 1e3  # um

    c0 = ctau_sm(EPS_BENCH)
    assert 2.0 <= c0 <= 3.0
    assert ctau_sm(1e-3) == pytest.approx(c0 * (EPS_BENCH / 1e-3) ** 2, rel=1e-10)
    # with dark matter the benchmark X is 330 times shorter lived and decays promptly
    assert dv.ctau_mm(params()) == pytest.approx(c0 * 1e-3 * (1 - dv.branching_ratios(params())["psi psi"]), rel=1e-9)


def test_g_bs_eq41_and_the_size_of_the_excess():
    # Eq. (41) with g^2 = 4 sqrt2 G_F m_W^2 (g = 0.652), c_W^2 = 1 - 0.23126, x_t = (172.6/80.36)^2
    # = 4.61, |V_ts V_tb| = 0.0401 and eps_Z = eps tan(theta_W) evaluates to |g_bs^X| = 2.71e-4 eps.
    # The sentence after eq. (41) quotes the full expressions as "2.44 eps x 10^-6": with that value
    # BR(B+ -> K+ X) at eps = 10^-4.3 would be 7e-10, four orders below the excess of [0.5, 0.9]e-5
    # that the benchmark is built to explain (seed 003 Fig. 3 text), while 2.44e-4 eps gives 7.0e-6,
    # and "in good agreement with" eq. (41) (11 % apart). The exponent is -4.
    p = params()
    ratio = dv.g_bs_eq41(p) / p["eps"]
    assert ratio == pytest.approx(2.71e-4, rel=0.01)
    assert ratio == pytest.approx(inputs.G_BS_PER_EPS_SEED003, rel=0.15)
    br = dv.gamma_b_to_k_x(p, 4.0) / GAMMA_BP
    assert 5e-6 < br < 9e-6
    br_printed = br * (2.44e-6 / inputs.G_BS_PER_EPS_SEED003) ** 2
    assert br_printed < 1e-9
    # full generator (eq. 40 summed over all X decay modes) = narrow-width value
    assert make().br == pytest.approx(br, rel=2e-3)


def test_kstar_helicity_amplitudes_and_ratio_eq46():
    p = params()
    ff = form_factors.get("B->K*", p["form_factors_BKstar"])
    m_b, m_v, q2 = inputs.mass(511), inputs.mass(313), 4.0
    hm, h0, hp = dv.kstar_helicity_rescaled(q2, m_v, ff, m_b)
    # eq. (44)-(45) against the standard forms H_0 = 8 m_B m_V A12/sqrt(q^2), H_-+ = (m_B + m_V) A1
    # +- sqrt(lambda) V/(m_B + m_V) (rescaled by 1/m_B)
    lam = (m_b**2 - m_v**2 - q2) ** 2 - 4 * m_v**2 * q2
    assert h0 == pytest.approx(8 * m_b * m_v * ff.A12(q2) / np.sqrt(q2) / m_b, rel=1e-6)
    assert hm == pytest.approx(((m_b + m_v) * ff.A1(q2) + np.sqrt(lam) * ff.V(q2) / (m_b + m_v)) / m_b, rel=1e-12)
    assert hp == pytest.approx(((m_b + m_v) * ff.A1(q2) - np.sqrt(lam) * ff.V(q2) / (m_b + m_v)) / m_b, rel=1e-12)
    assert abs(hm) > abs(hp)
    # eq. (46): Gamma(B -> K* X) ~ 1.9 Gamma(B -> K X) at m_X = 2 GeV. bkgen: 1.72 with the seed's
    # B -> K set (GRvDV 2023, its ref. [41]) and BSZ 2015 for B -> K* (1.77 with GKvD 2018); A1 alone
    # carries a 9 % uncertainty, so the agreement is within form-factor errors.
    ratio = dv.gamma_b_to_kstar_x(p, 4.0) / dv.gamma_b_to_k_x(p, 4.0)
    assert ratio == pytest.approx(1.9, rel=0.15)
    # the generated K* channels: narrow-X widths = two-body rate averaged over the K* line shape
    gen = make("B0 -> K*0 X")
    ls = gen.channels[0].line_shape
    num = integrate.quad(lambda m2: ls.density_m2(m2) * dv.gamma_b_to_kstar_x(p, 4.0, m_v=np.sqrt(m2)),
                         ls.m_lo**2, ls.m_hi**2, points=[ls.m0**2], limit=400, epsrel=1e-10)[0]
    den = integrate.quad(ls.density_m2, ls.m_lo**2, ls.m_hi**2, points=[ls.m0**2], limit=400, epsrel=1e-10)[0]
    assert gen.width == pytest.approx(num / den, rel=2e-3)


# ---- line shape --------------------------------------------------------------------------------
def narrow_params(gamma_over_m, m_x=2.0, m_dm=0.5):
    """Parameters with Gamma_X/m_X = gamma_over_m from dark matter alone (eps tiny, g_bs fixed)."""
    b3 = (1 - 4 * m_dm**2 / m_x**2) ** 1.5
    return {"m_X": m_x, "m_DM": m_dm, "alpha_X": 6 * gamma_over_m / b3, "eps": 1e-13, "g_bs_source": "card", "g_bs": 1e-8}


@pytest.mark.parametrize("gamma_over_m", [0.3, 1e-3, 1e-8, 1e-15])
def test_width_convergence_and_tables(gamma_over_m):
    # the arctan map of the X Breit-Wigner: Gauss-Legendre widths converged at both extremes and
    # interpolation error of the sampling tables (end cells of the map, see README) below 1e-3
    gen = make(**narrow_params(gamma_over_m))
    dm = gen.info[0]
    assert "psi psi" in dm.label
    # |I(192) - I(96)|/I: 4e-8 (0.3), 3e-5 (1e-3: threshold of the tail), 1e-10 (1e-8), 1e-7 (1e-15)
    assert dm.width_error / dm.width < 1e-4
    # interpolation error of the psi psi table (L1 at cell centres): 3e-5 (0.3) ... 5e-4 (narrow,
    # the two end cells of the map). Hadronic channels of a wide X are not checked here: the
    # narrow omega/phi structures of R are not resolved by the X-map grid (README "Mediator models").
    grid = ChannelGrid(gen.channels[0])
    ts = np.linspace(0.0, 1.0, N_T_NODES)
    f = grid.density(np.zeros_like(ts), np.maximum(ts, T_MIN))[0]
    assert _interp_error(grid, np.zeros(1), ts, f[None, :]) < 1e-3


@pytest.mark.parametrize("gamma_over_m", [1e-8, 1e-15])
def test_narrow_width_limit(gamma_over_m):
    # eq. (40) -> Gamma(B -> K X) BR(X -> psi psi) for Gamma_X -> 0, per channel
    kw = narrow_params(gamma_over_m)
    gen = make(**kw)
    p = gen.card["model"]
    g2 = dv.gamma_b_to_k_x(p, p["m_X"] ** 2)
    br = dv.branching_ratios(p)
    for ch, info in zip(gen.channels, gen.info):
        expect = g2 * br[ch.mode]
        if expect > 1e-6 * gen.width:
            assert info.width == pytest.approx(expect, rel=1e-6)
    # benchmark point (all SM modes open): every channel fraction equals BR(X -> f)
    gen = make()
    p = gen.card["model"]
    br = dv.branching_ratios(p)
    for ch, info in zip(gen.channels, gen.info):
        if br[ch.mode] > 0:
            assert info.width / gen.width == pytest.approx(br[ch.mode], rel=1e-6)


def bw_density(p, gamma_x):
    """Analytic eq. (40) density for X -> psi psi: Gamma(B -> K X)(q2) 2 sqrt(q2) Gamma_psi(q2) / (2 pi |...|^2)."""
    m2 = p["m_X"] ** 2

    def f(q2):
        g_psi = np.sqrt(q2) * dv.dm_width_over_m(p, q2)
        return dv.gamma_b_to_k_x(p, q2) * 2 * np.sqrt(q2) * g_psi / (2 * np.pi * ((q2 - m2) ** 2 + m2 * gamma_x**2))

    return f


@pytest.mark.parametrize("gamma_over_m, m_x, seed", [(0.3, 2.0, 11), (1e-3, 2.0, 12), (0.05, 5.5, 13)])
def test_q2_line_shape_chi2(gamma_over_m, m_x, seed):
    # wide and narrow X, and m_X = 5.5 GeV > m_B - m_K (off-shell tail only)
    gen = make(**narrow_params(gamma_over_m, m_x=m_x))
    p = gen.card["model"]
    g_x = dv.total_width(p)
    f = bw_density(p, g_x)
    lo, hi = 4 * p["m_DM"] ** 2, (M_B - M_K) ** 2
    m2 = p["m_X"] ** 2
    if gamma_over_m > 0.01:
        edges = np.linspace(lo, hi, 41)
    else:  # +-8 widths around the pole plus the two tails as single bins
        w = p["m_X"] * g_x
        edges = np.concatenate([[lo], np.linspace(m2 - 8 * w, m2 + 8 * w, 33), [hi]])
    n = 200_000
    scal, _ = sample(gen, n, seed)
    counts = np.histogram(scal["q2"], edges)[0]
    parts = np.array([integrate.quad(f, a, b, epsrel=1e-10, limit=400, points=[m2] if a < m2 < b else None)[0]
                      for a, b in itertools.pairwise(edges)])
    assert counts.sum() == n
    assert chi2_pvalue(counts, n * parts / parts.sum()) > P_MIN


def test_off_shell_tail_above_kinematic_limit():
    # m_X = 5.5 GeV > m_B - m_K: only the off-shell tail of eq. (40) contributes
    kw = narrow_params(0.05, m_x=5.5, m_dm=0.5)
    gen = make(**kw)
    p = gen.card["model"]
    f = bw_density(p, dv.total_width(p))
    expect = integrate.quad(f, 4 * p["m_DM"] ** 2, (M_B - M_K) ** 2, epsrel=1e-10, limit=400)[0]
    assert gen.info[0].width == pytest.approx(expect, rel=1e-6)
    assert gen.info[0].width < 0.05 * dv.gamma_b_to_k_x(dict(p, m_X=4.5), 4.5**2)


# ---- event record ------------------------------------------------------------------------------
def p4(part, i):
    return np.stack([part["E"][:, i], part["px"][:, i], part["py"][:, i], part["pz"][:, i]], axis=-1)


def minv(v):
    return np.sqrt(np.maximum(v[:, 0] ** 2 - (v[:, 1:] ** 2).sum(1), 0.0))


def test_record_four_momentum_and_channels():
    # SM decays only (alpha_X = 0) at eps = 1e-3: leptons, neutrinos, pi pi, K K and quark pairs
    gen = make(alpha_X=0.0, eps=1e-3, m_X=1.0)
    scal, part = sample(gen, 40_000, 21)
    pdg = part["pdg"]
    # B rest frame record: B, K, X, y1, y2
    assert list(gen.record.mothers) == [-1, 0, 0, 2, 2]
    b, k, x, y1, y2 = (p4(part, i) for i in range(5))
    assert np.allclose(b, k + x, atol=1e-9)
    assert np.allclose(x, y1 + y2, atol=1e-9)
    assert np.allclose(minv(x) ** 2, scal["q2"], rtol=1e-7, atol=1e-9)
    assert np.all(pdg[:, 2] == 55)
    # daughter masses are those of the channel's PDG codes
    for code in (11, 13, 211, 321, 310):
        sel = np.abs(pdg[:, 3]) == code
        assert sel.any()
        assert np.allclose(minv(p4(part, 3)[sel]), inputs.mass(code), atol=2e-5)
    # channel fractions = BR(X -> f) (narrow X): chi^2 over channels
    frac = np.array([i.width for i in gen.info]) / gen.width
    counts = np.bincount(scal["channel"], minlength=len(frac))
    assert chi2_pvalue(counts, len(scal["channel"]) * frac) > P_MIN
    # CP conjugation keeps K_S K_L and X self-conjugate
    assert set(np.unique(pdg[:, 2])) == {55}
    assert not np.any(pdg[:, 3:] == -310)


def test_decay_length_exponential():
    # c tau_X = 1 mm from dark matter alone; proper flight L = |v_y1 - v_X| m_X/|p_X| ~ Exp(c tau)
    gamma = inputs.HBAR_GEV_NS * inputs.C_MM_PER_NS / 1.0
    kw = narrow_params(gamma / 2.0)
    gen = make(**kw)
    ctau = gen.channels[0].y_ctau
    assert ctau == pytest.approx(1.0, rel=1e-6)
    _scal, part = sample(gen, 50_000, 31)
    d = np.stack([part["vx"][:, 3] - part["vx"][:, 2], part["vy"][:, 3] - part["vy"][:, 2],
                  part["vz"][:, 3] - part["vz"][:, 2]], axis=-1)
    x = p4(part, 2)
    length = np.linalg.norm(d, axis=1) * minv(x) / np.linalg.norm(x[:, 1:], axis=1)
    assert stats.kstest(length, "expon", args=(0, ctau)).pvalue > P_MIN
    # displaced vertex along the X flight direction; both daughters share it; lab time consistent
    cos = (d * x[:, 1:]).sum(1) / np.linalg.norm(d, axis=1) / np.linalg.norm(x[:, 1:], axis=1)
    assert np.all(cos > 1 - 1e-9)
    assert np.allclose(part["vz"][:, 3], part["vz"][:, 4])
    t = part["t"][:, 3] - part["t"][:, 2]
    assert np.allclose(t * inputs.C_MM_PER_NS, length * x[:, 0] / minv(x), rtol=1e-9)


def test_angular_distributions_of_x_decays():
    # B -> K X: X longitudinal (lambda = 0). Majorana psi (axial): sin^2 theta; pi pi (P wave): cos^2
    gen = make()
    scal, _ = sample(gen, 60_000, 41)
    c = scal["cos_theta_pair"][scal["channel"] == 0]
    edges = np.linspace(-1, 1, 21)
    exp = np.diff(edges - edges**3 / 3)
    assert chi2_pvalue(np.histogram(c, edges)[0], len(c) * exp / exp.sum()) > P_MIN
    gen = make(alpha_X=0.0, eps=1e-3, m_X=0.775)
    i_pipi = next(k for k, ch in enumerate(gen.channels) if ch.mode == "pi+ pi-")
    scal, _ = sample(gen, 40_000, 42)
    c = scal["cos_theta_pair"][scal["channel"] == i_pipi]
    exp = np.diff(edges**3)
    assert chi2_pvalue(np.histogram(c, edges)[0], len(c) * exp / exp.sum()) > P_MIN


def test_seed001_case_c_electron_coupling_cancelled():
    # Case C: g_D^e cancels the mixing-induced electron vector coupling; the muon coupling is g_D^mu
    p = params(m_X=0.5, eps=1.6e-5, eps_Z_source="card", eps_Z=0.002, g_D_mu=0.033,
               cancel_electron_vector=True, alpha_X=0.0)
    g_v, g_a = dv.lepton_couplings(p, 11)
    assert g_v == 0.0 and g_a != 0.0
    g_mix, _ = dv.mixing_couplings(p, -1.0, -0.5)
    assert dv.lepton_couplings(p, 13)[0] == pytest.approx(g_mix + 0.033)
    br = dv.branching_ratios(p)
    assert br["mu+ mu-"] > 0.99  # the direct muon coupling dominates


def test_cards_resolve():
    from pathlib import Path

    from bkgen.config.card import load

    for path in sorted(Path(__file__).resolve().parent.parent.joinpath("cards").glob("dark_vector_*.toml")):
        card = load(path)
        assert card["process"]["model"] == "dark_vector"
    p = load(Path(__file__).resolve().parent.parent / "cards" / "dark_vector_KX_benchmark.toml")["model"]
    assert p["eps"] == pytest.approx(EPS_BENCH, rel=1e-12)
    assert channel_width(make().channels[0])[0] > 0
