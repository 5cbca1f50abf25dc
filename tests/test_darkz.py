"""Seed 001 dark Z (Rashed, arXiv:2412.11438): the b -> s Z_D vertex E's (seed 001 eq. 1), the lepton couplings shared by
C9/C10 and the Z_D width, physical limits (dark photon -> eps^2 x the photon penguin; eps_Z = 1, M = M_Z -> the Z-penguin
part of the SM C10), and the dark_vector model's g_bs from the same E's, which refuses the seed's points (BR > 1)."""

import numpy as np
import pytest

from bkgen.errors import InputError
from bkgen.physics import dilepton as dl
from bkgen.physics.inputs import ALPHA_EM_0, SIN2_THETA_W, mass
from bkgen.physics.models import dark_vector as dv
from bkgen.physics.models import get as get_model
from bkgen.physics.models.dilepton import dark_vector_params, dark_z

E = np.sqrt(4 * np.pi * ALPHA_EM_0)
S2 = SIN2_THETA_W
C_W = np.sqrt(1 - S2)
X_T = (mass(6) / mass(24)) ** 2
#: seed 001 sec. 5 best fits (M_ZD [GeV], g_D^mu, Case C electron cancellation); eps, eps_Z are printed for Case A only
SEED_POINTS = {"A": (0.01007, 0.0, False), "B": (0.0103, 0.28, False), "C": (0.0302, 0.033, True)}
CASE_A_EPS = (1.6e-5, 0.002)


def _dilepton(**kw):
    return {**get_model("dilepton").defaults(), "dark_Z": True, **kw}


def test_lepton_couplings_are_the_lagrangians_and_shared_with_the_width():
    """Seed 001 eq. (2)-(3) print g_V = e eps + (g/c_W) eps_Z (-1 + 4 s_W^2)/2, g_A = (g/c_W) eps_Z (-1/2). The seed's own
    L = e eps Z_D J^em (Q_l = -1) and the mass-mixing coupling (g/2c_W) eps_Z J^NC of seed 003 eq. (34) (the PDG Z coupling
    normalisation, g_V = T3 - 2Q s_W^2, g_A = T3) give g_V = -e eps + (g/2c_W) eps_Z (-1/2 + 2 s_W^2), g_A = (g/2c_W) eps_Z (-1/2):
    eq. (2) has twice the eps_Z part and the opposite sign of e eps. bkgen uses the Lagrangian's couplings, from ONE function
    (models.dark_vector.lepton_couplings) for both the C9/C10 shift and Gamma_ZD."""
    eps, eps_z, g_d = 3e-4, 2e-3, 0.05
    p = _dilepton(M_ZD=0.5, eps=eps, eps_Z=eps_z, g_D_mu=g_d)
    z = dark_z(p, "mu")
    g_cw = E / np.sqrt(S2) / C_W
    assert z.g_v == pytest.approx(-E * eps + g_cw / 2 * eps_z * (-0.5 + 2 * S2) + g_d, rel=1e-12)
    assert z.g_a == pytest.approx(g_cw / 2 * eps_z * (-0.5), rel=1e-12)
    printed_v_z, printed_a = g_cw * eps_z * (-1 + 4 * S2) / 2, g_cw * eps_z * (-0.5)  # seed 001 eq. (2)-(3) as printed
    assert printed_a / z.g_a == pytest.approx(2.0) and printed_v_z / (z.g_v + E * eps - g_d) == pytest.approx(2.0)
    # the same couplings give the width: Gamma(Z_D -> mu mu) from them equals the dark_vector model's partial width
    d = dark_vector_params(p)
    assert (z.g_v, z.g_a) == dv.lepton_couplings(d, 13)
    m2 = 0.25
    width = 0.5 * dv.ff_width_over_m(m2, z.g_v, z.g_a, mass(13))
    assert dv.partial_widths(d)["mu+ mu-"] == pytest.approx(width, rel=1e-12)


def test_dark_photon_limit_is_eps_squared_times_the_photon_penguin():
    """eps only (eps_Z = g_D = 0) and q^2 >> M^2: the Z_D is a photon with both couplings scaled by eps, so dC9 -> eps^2 x the
    photon-penguin part of the SM C9, -D_0(x_t) (Inami-Lim; Buchalla-Buras-Lautenbacher hep-ph/9512380: C9 contains -4 Z_0,
    Z_0 = C_0 + D_0/4), and dC10 -> 0. With seed 001 eq. (2)'s sign of e eps the sign would be reversed."""
    eps, q2 = 1e-3, 4.0
    z = dark_z(_dilepton(M_ZD=0.01, eps=eps, eps_Z=0.0), "mu")
    assert z.e0 == 0.0
    dc9 = z.dc9(np.array([q2]))[0]
    assert dc9.real == pytest.approx(-(eps**2) * dl.inami_lim_d0(X_T) * q2 / (q2 - 0.01**2), rel=1e-6)
    assert dc9.real > 0 and abs(z.dc10(np.array([q2]))[0]) == 0.0


def test_z_limit_reproduces_the_sm_z_penguin_and_eq41_is_xt_minus_1_times_it():
    """eps_Z = 1, M = M_Z, q^2 = 0: the mass-mixed Z_D is the Z, so dC10 must be the Z-penguin part of the SM C10, -C_0(x_t)/s_W^2
    (C10 = -Y_0/s_W^2, Y_0 = C_0 - B_0). With the Inami-Lim vertex (dl.e0z_inami_lim) this holds to 1.5 %: bkgen's inputs are not
    one consistent electroweak scheme (g from G_F and m_W; e from alpha(0) in the couplings, alpha(mu_b) in N; m_W/m_Z != c_W),
    which gives the factor e_0 g s_W/e_b^2 x m_W^2/(c_W^2 m_Z^2) = 1.0098 computed below. Seed 003 eq. (41) (used for E^{0,Z})
    is exactly (x_t - 1) = 3.6 times that vertex (its loop function is -8 (x_t - 1) C_0(x_t)), with the same sign: as printed it
    does not reduce to the SM Z penguin (a missing power of (1 - x_t) would make it do so). bkgen keeps eq. (41) as the issue
    specifies and reports the factor; BRs of B -> K Z_D scale with its square, 13."""
    m_z = mass(23)
    p = _dilepton(M_ZD=m_z, eps=0.0, eps_Z=1.0, E0Z_source="inami_lim")
    z = dark_z(p, "mu")
    assert z.e0 == dl.e0z_inami_lim(1.0) and dark_z({**p, "E0Z_source": "eq41"}, "mu").e0 == dl.e0z_eq41(1.0)
    c0 = dl.inami_lim_c0(X_T)
    dc10_il = z.g_a * z.e0 / (z.norm * (0.0 - m_z**2))
    g = np.sqrt(4 * np.sqrt(2) * dl.G_FERMI * mass(24) ** 2)
    e_b2 = 4 * np.pi * dl.ALPHA_EM_MU_B
    scheme = E * g * np.sqrt(S2) / e_b2 * mass(24) ** 2 / (C_W**2 * m_z**2)
    assert abs(scheme - 1) < 0.015
    assert dc10_il == pytest.approx(-c0 / S2 * scheme, rel=1e-9)
    assert dl.e0z_eq41(1.0) / dl.e0z_inami_lim(1.0) == pytest.approx(X_T - 1, rel=1e-9)
    # the same vertex gives the Z-penguin part of C9, C_0 (1 - 4 s_W^2)/s_W^2 (C9 contains Y_0/s_W^2 - 4 Z_0)
    dc9_il = -z.g_v * dl.e0z_inami_lim(1.0) / (z.norm * (0.0 - m_z**2))
    assert dc9_il == pytest.approx(c0 * (1 - 4 * S2) / S2 * scheme, rel=1e-9)


def test_e2z_is_the_photon_like_part_of_the_mass_mixing_couplings():
    """E^{2,Z} (computed part): the mass-mixing couplings of seed 003 eq. (34)-(35) minus their SU(2) part (g/2c_W) eps_Z T3 on
    fermions, (g/c_W) eps_Z on W W, are a photon coupling times -tan(theta_W) eps_Z: checked on the model's fermion couplings
    for every charge, and g c_W - g/c_W = -e tan(theta_W) for the W W vertex. Hence E^{2,Z} = E^{2,A}(eps -> -tan(theta_W) eps_Z);
    at Case A it is 69 times E^{2,A}, and E^2 q^2 is < 5e-5 of the monopole over the B -> K l l range."""
    eps_z = 2e-3
    tan_w = np.sqrt(S2) / C_W
    g = E / np.sqrt(S2)
    p = {**dv.MODEL.defaults(), "eps": 0.0, "eps_Z_source": "card", "eps_Z": eps_z}
    for q, t3 in ((-1.0, -0.5), (2 / 3, 0.5), (-1 / 3, -0.5), (0.0, 0.5)):
        g_v, g_a = dv.mixing_couplings(p, q, t3)
        assert g_v - g / (2 * C_W) * eps_z * t3 == pytest.approx(-E * tan_w * eps_z * q, abs=1e-15)
        assert g_a == pytest.approx(g / (2 * C_W) * eps_z * t3, rel=1e-12)
    assert g * C_W - g / C_W == pytest.approx(-E * tan_w, rel=1e-12)
    assert dl.e2z_photon_part(eps_z) == pytest.approx(dl.e2a_photon_penguin(-tan_w * eps_z), rel=1e-12)
    eps, eps_z = CASE_A_EPS
    e0, e2 = dl.zd_bs_coefficients(eps, eps_z)
    assert e2 == pytest.approx(dl.e2a_photon_penguin(eps) + dl.e2z_photon_part(eps_z), rel=1e-12)
    assert abs(dl.e2z_photon_part(eps_z) / dl.e2a_photon_penguin(eps)) == pytest.approx(68.6, rel=0.01)
    assert abs(e2 * 22.9 / e0) < 5e-5


def _dv_point(case, eps, eps_z):
    m, g_d, cancel = SEED_POINTS[case]
    return {**dv.MODEL.defaults(), "m_X": m, "eps": eps, "eps_Z_source": "card", "eps_Z": eps_z, "g_D_mu": g_d,
            "cancel_electron_vector": cancel, "alpha_X": 0.0, "g_bs_source": "seed001_E"}


@pytest.mark.parametrize("case", ["A", "B", "C"])
def test_dark_vector_refuses_the_seed_points(case):
    """g_bs = |E^{0,Z} + (E^{2,A} + E^{2,Z}) M^2| |V_tb V_ts| (g_bs_source = 'seed001_E', the dilepton model's function) at the
    seed 001 masses with Case A's eps, eps_Z (the only ones printed): the longitudinal 1/M^2 of seed 003 eq. (42) makes
    BR(B+ -> K+ Z_D) = 1.9e3 (A), 1.8e3 (B), 2.1e2 (C): not a physical point, refused with one line naming it. With the Inami-Lim
    vertex instead of eq. (41) the BRs are (x_t - 1)^2 = 13 times smaller and still > 1 (144, 138, 16), so the conclusion does
    not depend on that factor. Longitudinal dominance: BR M^2/eps_Z^2 is the same at 10 and 30 MeV to 1 % (phase space, f_+)."""
    p = _dv_point(case, *CASE_A_EPS)
    br = dv.two_body_br(p, "B+ -> K+ X")
    expect = {"A": 1.88e3, "B": 1.80e3, "C": 2.09e2}[case]
    assert br == pytest.approx(expect, rel=0.01)
    br_il = dv.two_body_br({**p, "E0Z_source": "inami_lim"}, "B+ -> K+ X")
    assert br_il > 10.0 if case != "C" else br_il > 1.0
    assert br_il == pytest.approx(br / (X_T - 1) ** 2, rel=1e-4)
    with pytest.raises(InputError, match=r"BR\(B\+ -> K\+ X\) = .* > 1 \(unphysical\)"):
        dv.MODEL.validate(p, "B+ -> K+ X")
    with pytest.raises(InputError, match=r"BR\(B0 -> K\*0 X\)"):
        dv.MODEL.validate(p, "B0 -> K*0 X")
    a, c = _dv_point("A", *CASE_A_EPS), _dv_point("C", *CASE_A_EPS)
    ra = dv.two_body_br(a, "B+ -> K+ X") * a["m_X"] ** 2
    rc = dv.two_body_br({**c, "g_D_mu": 0.0, "cancel_electron_vector": False}, "B+ -> K+ X") * c["m_X"] ** 2
    assert ra == pytest.approx(rc, rel=0.01)


def test_refusal_is_one_line_exit_2(capsys):
    """The CLI: `bkgen validate dark_vector_rashed_caseA --set model.g_bs_source=seed001_E` exits with status 2 and one line
    naming the key and the BR (no traceback)."""
    from bkgen.cli import main

    rc = main(["validate", "dark_vector_rashed_caseA", "--set", "model.g_bs_source=seed001_E"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "\n" not in err and "g_bs_source" in err and "BR(B+ -> K+ X)" in err and "Traceback" not in err


def _fit_module():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parent / "reference" / "seed001" / "fit_eps_epsz.py"
    spec = importlib.util.spec_from_file_location("fit_eps_epsz", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_case_b_c_cards_sit_at_the_chi2_minimum_of_the_seeds_procedure():
    """Seed 001 prints no (eps, eps_Z) for Cases B and C; the cards take them from the seed's own procedure (minimum of the chi^2 to
    its Table 1 muon modes at its M_ZD, g_D^mu; tests/reference/seed001/fit_eps_epsz.py). Checked here: each card's eps_Z is a
    minimum (eps_Z x 0.9 and x 1.1 both give a larger chi^2), and beside the seed's statements: B and C fit far better than the SM
    (47.2, 49.2 against 79.8; seed: B 'improves the fit significantly', C a 'marked improvement over B'), but in bkgen C is not
    better than B (the bins see mainly g_D^mu eps_Z E^{0,Z}, nearly the same product at both points). Case A's point: 75.3 with
    eq. (2)-(3) literally (ZD_longitudinal = false; seed: better than the SM), 866 with the full propagator, the saturation value
    of this chi^2 (timelike dC10 = -g_A E0/(N M^2) = -4.4e3), i.e. excluded by the seed's own data."""
    from bkgen.config.card import load

    fit = _fit_module()
    root = dv.__file__.rsplit("/physics/", 1)[0] + "/cards/dilepton/"
    chi = {}
    for case in ("A", "B", "C"):
        p = {k: v for k, v in load(root + f"dilepton_rashed_case{case}.toml").model.items()}
        over = {k: p[k] for k in ("dark_Z", "M_ZD", "eps", "eps_Z", "g_D_mu", "g_D_e", "cancel_electron_vector")}
        chi[case] = fit.chi2(over)
        if case != "A":
            assert (p["M_ZD"], p["g_D_mu"], p["cancel_electron_vector"]) == SEED_POINTS[case]
            for f in (0.9, 1.1):
                assert fit.chi2({**over, "eps_Z": f * p["eps_Z"]}) > chi[case] + 0.05, (case, f)
        else:
            assert fit.chi2({**over, "ZD_longitudinal": False}) == pytest.approx(75.31, abs=0.05)
            z = dark_z(_dilepton(**over), "mu")
            assert z.dc10_t(np.array([3.0]))[0].real == pytest.approx(-z.g_a * z.e0 / (z.norm * z.m**2), rel=1e-3)
            assert abs(z.dc10_t(np.array([3.0]))[0]) > 1e3 * 4.0  # >> |C10^SM| ~ 4
    sm = fit.chi2({})
    saturation = sum((r["sm"][0] / r["sm"][1]) ** 2 for r in fit.TABLE["rows"])
    assert sm == pytest.approx(79.77, abs=0.05) and chi["A"] == pytest.approx(saturation, rel=0.01)
    assert chi["B"] < sm - 25 and chi["C"] < sm - 25 and chi["B"] < chi["C"]


def test_longitudinal_term_makes_the_peak_the_narrow_width_product_for_axial_couplings():
    """Axial-dominated Z_D (eps_Z only, g_D = 0) at M = 1 and 0.25 GeV, SM off: with the q^mu q^nu/M^2 propagator term the Z_D peak
    of B+ -> K+ mu mu equals the dark_vector model's Gamma(B -> K Z_D) x BR(Z_D -> mu mu) (which sums the three polarisations) to
    1e-6; seed 001 eq. (2)-(3) without it are off by 7 % and a factor 4.7 (the spurious J = 0 part of the g^{mu nu}-only propagator)."""
    from bkgen.physics import form_factors

    ff = form_factors.get("B->K", "GKvD2018", m_B=mass(521), m_M=mass(321))
    x, w = np.polynomial.legendre.leggauss(100)
    for m, eps_z, off in ((1.0, 1e-3, 0.05), (0.25, 1e-4, 2.0)):
        for lon in (True, False):
            p = _dilepton(M_ZD=m, eps=1e-7, eps_Z=eps_z, ZD_longitudinal=lon)
            z = dark_z(p, "mu")
            wc = dl.WilsonCoefficients(c7=0, c9=0, c10=0, four_quark={k: 0.0 for k in ("C1", "C2", "C3", "C4", "C5", "C6")},
                                       dc9=z.dc9, dc10=z.dc10, dc10_t=z.dc10_t)
            g = z.gamma
            lo, hi = 4 * mass(13) ** 2, (mass(521) - mass(321)) ** 2
            edges = np.linspace(np.arctan((lo - m * m) / (m * g)), np.arctan((hi - m * m) / (m * g)), 41)
            half, mid = 0.5 * np.diff(edges), 0.5 * (edges[1:] + edges[:-1])
            y, wy = (mid[:, None] + half[:, None] * x).ravel(), (half[:, None] * w).ravel()
            q2 = m * m + m * g * np.tan(y)
            peak = np.dot(wy, dl.dilepton_amplitudes(ff, q2, mass(521), mass(321), mass(13), wc).rate() * m * g / np.cos(y) ** 2)
            d = {**dark_vector_params(p), "g_bs_source": "seed001_E", "form_factors_BK": "GKvD2018"}
            prod = dv.gamma_b_to_k_x(d, m * m) * dv.branching_ratios(d)["mu+ mu-"]
            if lon:
                assert peak == pytest.approx(prod, rel=1e-6), m
            else:
                assert peak / prod - 1 > off, m


def test_dark_vector_case_cards_use_the_fitted_points():
    """The dark_vector Case B/C cards are the dilepton cards' (M, eps, eps_Z, g_D) with g_bs from the same E's: BR(B+ -> K+ Z_D) =
    0.067 and 0.51 (< 1, so generated; excluded by B -> K + invisible by orders of magnitude). Case A keeps a fixed g_bs (its seed
    point is refused)."""
    from bkgen.config.card import load

    root = dv.__file__.rsplit("/physics/", 1)[0] + "/cards/"
    for case, br in (("B", 0.0668), ("C", 0.512)):
        d = dict(load(root + f"dark_vector_rashed_case{case}.toml").model)
        ll = dict(load(root + f"dilepton/dilepton_rashed_case{case}.toml").model)
        assert (d["m_X"], d["eps"], d["eps_Z"], d["g_D_mu"]) == (ll["M_ZD"], ll["eps"], ll["eps_Z"], ll["g_D_mu"])
        assert d["g_bs_source"] == "seed001_E"
        assert dv.g_bs(d) == pytest.approx(dl.g_bs_seed001(d["eps"], d["eps_Z"], d["m_X"]), rel=1e-12)
        assert dv.two_body_br(d, "B+ -> K+ X") == pytest.approx(br, rel=0.01)


def test_neglected_terms_are_small_at_the_card_points():
    """What is left out, sized at the three dilepton Case cards: the computed E^2 q^2 (q^2 <= (m_B - m_K)^2) is <= 1.1e-4 of
    E^{0,Z}; the dipole M^1's photon-like part (eps x the photon dipole, C7 of inputs.SM_WC_BSLL, m_b of O7) against the monopole,
    N |C7| (2 m_b/e) eps/|E^{0,Z}|, is <= 2e-5; the SU(2) part of E^{2,Z} is O(q^2/m_W^2) <= 4e-3 of E^{0,Z}."""
    from bkgen.config.card import load
    from bkgen.physics.inputs import SM_WC_BSLL, VTB_VTS

    root = dv.__file__.rsplit("/physics/", 1)[0] + "/cards/dilepton/"
    q2_max = (mass(521) - mass(321)) ** 2
    assert q2_max / mass(24) ** 2 < 4e-3
    for case in ("A", "B", "C"):
        p = dict(load(root + f"dilepton_rashed_case{case}.toml").model)
        e0, e2 = dl.zd_bs_coefficients(p["eps"], p["eps_Z"])
        assert abs(e2 * q2_max / e0) < 1.2e-4, case
        dipole = dl.norm_bsll() / VTB_VTS * abs(SM_WC_BSLL["C7eff"]) * 2 * dl.mb_dipole() / E * p["eps"]
        assert dipole / abs(e0) < 2e-5, case


def test_kstar_peak_equals_seed003_eq43_rate_times_br():
    """B0 -> K*0 mu mu at the K* pole mass, axial-dominated Z_D at M = 0.25 GeV and vector-dominated at 1 GeV (full propagator): the
    Z_D peak of the dilepton amplitudes (bkgen.physics.amplitudes helicity amplitudes, BSZ 2015) equals the dark_vector model's
    Gamma(B -> K* Z_D) of seed 003 eq. (43)-(45), a separate implementation, times BR(Z_D -> mu mu), to 1e-5."""
    from bkgen.physics import form_factors

    ff = form_factors.get("B->K*", "BSZ2015", m_B=mass(511), m_M=mass(313))
    x, w = np.polynomial.legendre.leggauss(100)
    for m, eps_z, g_d in ((0.25, 1e-4, 0.0), (1.0, 1e-4, 0.01)):
        p = _dilepton(M_ZD=m, eps=1e-7, eps_Z=eps_z, g_D_mu=g_d)
        z = dark_z(p, "mu")
        wc = dl.WilsonCoefficients(c7=0, c9=0, c10=0, c7p=0, four_quark={k: 0.0 for k in ("C1", "C2", "C3", "C4", "C5", "C6")},
                                   dc9=z.dc9, dc10=z.dc10, dc10_t=z.dc10_t)
        g = z.gamma
        lo, hi = 4 * mass(13) ** 2, (mass(511) - mass(313)) ** 2
        edges = np.linspace(np.arctan((lo - m * m) / (m * g)), np.arctan((hi - m * m) / (m * g)), 41)
        half, mid = 0.5 * np.diff(edges), 0.5 * (edges[1:] + edges[:-1])
        y, wy = (mid[:, None] + half[:, None] * x).ravel(), (half[:, None] * w).ravel()
        q2 = m * m + m * g * np.tan(y)
        peak = np.dot(wy, dl.dilepton_amplitudes(ff, q2, mass(511), mass(313), mass(13), wc).rate() * m * g / np.cos(y) ** 2)
        d = {**dark_vector_params(p), "g_bs_source": "seed001_E"}
        assert peak == pytest.approx(dv.gamma_b_to_kstar_x(d, m * m) * dv.branching_ratios(d)["mu+ mu-"], rel=1e-5), m
