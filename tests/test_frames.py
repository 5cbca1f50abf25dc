"""Frames and beams: basf2's CMS frame, beam presets, the interaction-point beam spot and the
Upsilon(5S) -> B_s(*) Bbar_s(*) production mix."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from bkgen.config.card import CardError, load
from bkgen.generate.generator import Generator
from bkgen.physics import inputs

CARDS = Path(__file__).resolve().parents[1] / "cards"
M_E = 0.51099895e-3


def run(card_name: str, n: int, seed: int, sets=()):
    card = load(CARDS / card_name, ['output.precision="float64"', *sets])
    gen = Generator(card)
    chunks = list(gen.events(n, seed))
    part = {k: np.concatenate([c[1][k] for c in chunks]) for k in chunks[0][1]}
    scal = {k: np.concatenate([c[0][k] for c in chunks]) for k in chunks[0][0]}
    return card, scal, part


def p4(part):
    return np.stack([part["E"], part["px"], part["py"], part["pz"]], axis=-1)


# ---- presets ----------------------------------------------------------------------------------
# basf2 generators/scripts/beamparameters.py, beamparameter_presets (release-09-00-00 .. 11-00-00):
# (energyHER, energyLER) [GeV]; every preset inherits angleXHER = 0.0415, angleXLER = -0.0415
BASF2_PRESETS = {"SuperKEKB": (7.0, 4.0), "Y4S": (7.004, 4.002), "Y5S": (7.200, 4.114), "Y4S-off": (6.964, 3.979),
                 "Y5S-off": (7.160, 4.092), "Y1S": (6.263, 3.579), "Y6S": (7.295, 4.169)}


@pytest.mark.parametrize("name", sorted(BASF2_PRESETS))
def test_preset_values(name):
    card = load(CARDS / "sm_Knunu.toml", [f"beam.preset='{name}'", "beam.frame='B_rest'"])
    assert (card["beam"]["E_HER"], card["beam"]["E_LER"]) == BASF2_PRESETS[name]
    assert card["beam"]["crossing_angle"] == pytest.approx(2 * 0.0415)


def test_default_preset_and_design_values():
    card = load(CARDS / "sm_Kstar0nunu.toml")
    assert card["beam"]["preset"] == "Y4S" and (card["beam"]["E_HER"], card["beam"]["E_LER"]) == (7.004, 4.002)
    design = load(CARDS / "sm_Kstar0nunu.toml", ["beam.preset='design'"])["beam"]
    assert (design["E_HER"], design["E_LER"]) == (7.007, 4.000)  # the values used before presets
    own = load(CARDS / "sm_Kstar0nunu.toml", ["beam.preset='Y5S'", "beam.E_HER=7.1"])["beam"]
    assert (own["E_HER"], own["E_LER"], own["resonance"]) == (7.1, 4.114, 9000553)  # explicit keys win


@pytest.mark.parametrize("sets, key", [
    (["beam.preset='Y3S'"], "beam.E_HER"),  # below the B Bbar threshold
    (["beam.preset='LEP9'"], "beam.preset"),
    (["beam.frame='cms'", "beam.vertex_smearing=true"], "beam.vertex_smearing"),
])
def test_bad_beam_settings(sets, key):
    with pytest.raises(CardError, match=key.replace(".", r"\.")):
        load(CARDS / "sm_Knunu.toml", sets)


# ---- CMS frame ----------------------------------------------------------------------------------
def basf2_lab_to_cms(e_her, e_ler, half_angle):
    """Lab -> CMS as basf2's LabToCms.h defines it, written independently of bkgen.physics.beams: boost
    by -beta of the e+e- system, then the rotation about y that turns the boosted e- onto +z."""
    ph, pl = math.sqrt(e_her**2 - M_E**2), math.sqrt(e_ler**2 - M_E**2)
    her = np.array([e_her, ph * math.sin(half_angle), 0.0, ph * math.cos(half_angle)])
    ler = np.array([e_ler, pl * math.sin(half_angle), 0.0, -pl * math.cos(half_angle)])
    tot = her + ler
    beta = tot[1:] / tot[0]
    g = 1 / math.sqrt(1 - beta @ beta)
    bst = np.eye(4)
    bst[0, 0] = g
    bst[0, 1:] = bst[1:, 0] = -g * beta
    bst[1:, 1:] += (g - 1) * np.outer(beta, beta) / (beta @ beta)
    e_cm = bst @ her
    th = math.atan2(e_cm[1], e_cm[3])  # e- direction in the x-z plane after the boost
    rot = np.eye(4)
    rot[1, 1] = rot[3, 3] = math.cos(th)
    rot[1, 3], rot[3, 1] = -math.sin(th), math.sin(th)
    return rot @ bst


def test_cms_event_at_rest_and_lab_is_its_boost():
    """Same seed in 'cms' and 'lab': per event the final state sums to (sqrt(s), 0) in the CMS frame, and
    every lab four-momentum and vertex (c t, x) is the CMS one transformed with the preset's beams."""
    n = 3000
    card, s_cms, cms = run("dark_vector_KX_benchmark.toml", n, 5, ["beam.frame='cms'"])
    _, s_lab, lab = run("dark_vector_KX_benchmark.toml", n, 5, ["beam.frame='lab'"])
    b = card["beam"]
    lam = basf2_lab_to_cms(b["E_HER"], b["E_LER"], 0.5 * b["crossing_angle"])
    mom_cms, mom_lab = p4(cms), p4(lab)
    final = (cms["status"] == 1)[..., None]
    tot = (mom_cms * final).sum(axis=1)
    sqrt_s = mom_cms[:, 0, 0]
    np.testing.assert_allclose(tot[:, 1:], 0.0, atol=1e-9)
    np.testing.assert_allclose(tot[:, 0], sqrt_s, rtol=1e-12)
    lab_tot = mom_lab[:, 0]
    np.testing.assert_allclose(np.sqrt(lab_tot[:, 0] ** 2 - (lab_tot[:, 1:] ** 2).sum(1)), sqrt_s, rtol=1e-12)
    inv = np.linalg.inv(lam)
    np.testing.assert_allclose(np.einsum("ab,nkb->nka", inv, mom_cms), mom_lab, rtol=0, atol=1e-9)
    c = inputs.C_MM_PER_NS
    x_cms = np.stack([cms["t"] * c, cms["vx"], cms["vy"], cms["vz"]], axis=-1)
    x_lab = np.stack([lab["t"] * c, lab["vx"], lab["vy"], lab["vz"]], axis=-1)
    np.testing.assert_allclose(np.einsum("ab,nkb->nka", inv, x_cms), x_lab, rtol=0, atol=1e-9)
    # the e- beam is +z in the CMS frame, and the B polar angle about it follows 1 - cos^2
    e_minus = lam @ np.array([b["E_HER"], math.sqrt(b["E_HER"] ** 2 - M_E**2) * math.sin(0.5 * b["crossing_angle"]),
                              0, math.sqrt(b["E_HER"] ** 2 - M_E**2) * math.cos(0.5 * b["crossing_angle"])])
    assert e_minus[1] == pytest.approx(0, abs=1e-12) and e_minus[3] > 0
    cos_b = mom_cms[:, 1, 3] / np.linalg.norm(mom_cms[:, 1, 1:], axis=1)
    counts, edges = np.histogram(cos_b, bins=10, range=(-1, 1))
    cdf = lambda x: (3 * x - x**3 + 2) / 4  # noqa: E731  (3/4)(1 - x^2) on [-1, 1]
    expected = n * np.diff(cdf(edges))
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    # q2_rec does not depend on the frame (nominal beams of either frame)
    np.testing.assert_allclose(s_cms["q2_rec"], s_lab["q2_rec"], rtol=1e-9, atol=1e-9)


# ---- beam spot --------------------------------------------------------------------------------
def test_beam_spot_sizes_from_sampled_vertices():
    """With beam.vertex_smearing the e+e- vertex is drawn from the overlap of the two bunches; the
    sample covariance agrees with the product of the bunch Gaussians, written here as
    S^-1 = S_HER^-1 + S_LER^-1 (basf2 beamparameters.py bunch sizes and angles)."""
    n = 40000
    _, _, part = run("sm_Knunu.toml", n, 11, ["beam.vertex_smearing=true"])
    ip = np.stack([part["vx"][:, 0], part["vy"][:, 0], part["vz"][:, 0]], axis=1)
    # every entry produced at the interaction point shares it; the B flies from there
    np.testing.assert_array_equal(part["vx"][:, 1], part["vx"][:, 0])

    def bunch(sizes, angle):
        c, s = math.cos(angle), math.sin(angle)
        r = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        return r @ np.diag(np.square(sizes)) @ r.T

    s_her = bunch([10.2e-3, 59e-6, 6.0], 0.0415)
    s_ler = bunch([7.75e-3, 59e-6, 5.0], math.pi - 0.0415)
    cov = np.linalg.inv(np.linalg.inv(s_her) + np.linalg.inv(s_ler))
    sample = np.cov(ip.T)
    sig, sig_true = np.sqrt(np.diag(sample)), np.sqrt(np.diag(cov))
    # sigma of a Gaussian sample's standard deviation: sigma / sqrt(2 n); allow 5 of them
    np.testing.assert_allclose(sig, sig_true, rtol=5 / math.sqrt(2 * n))
    rho, rho_true = sample[0, 2] / (sig[0] * sig[2]), cov[0, 2] / (sig_true[0] * sig_true[2])
    assert abs(rho - rho_true) < 5 * (1 - rho_true**2) / math.sqrt(n)
    assert 1e-3 < sig_true[2] < 1.0 and sig_true[1] < 1e-4  # sub-mm length, sub-um height
    assert np.all(np.abs(ip.mean(axis=0)) < 5 * sig_true / math.sqrt(n))


# ---- Upsilon(5S) -> B_s(*) Bbar_s(*) --------------------------------------------------------------
def test_bs_production_mix():
    n = 30000
    card, _, part = run("dark_photon_phi_gammaD.toml", n, 21, ["beam.frame='cms'"])
    pdg, status = part["pdg"], part["status"]
    m_star, m_bs = inputs.mass(533), inputs.mass(531)
    sig_star, comp_star = status[:, 1] == 2, status[:, 4] == 2
    assert np.all(np.abs(pdg[sig_star, 1]) == 533) and np.all(pdg[sig_star, 2] == 22)
    # fractions: Belle PRD 87 (2013) 031101(R): 87.0 / 7.3 / 5.7 % of B_s(*) Bbar_s(*) pairs
    counts = [np.sum(sig_star & comp_star), np.sum(sig_star ^ comp_star), np.sum(~sig_star & ~comp_star)]
    expected = n * np.array([0.870, 0.073, 0.057])
    assert stats.chisquare(counts, expected).pvalue > 1e-3
    mom = p4(part)
    # the photon energy in the B_s* rest frame: (m*^2 - m^2) / (2 m*)
    for star, gamma in ((1, 2), (4, 5)):
        sel = status[:, star] == 2
        s = mom[sel, star]
        g = mom[sel, gamma]
        e_rest = (s[:, 0] * g[:, 0] - (s[:, 1:] * g[:, 1:]).sum(1)) / m_star
        np.testing.assert_allclose(e_rest, (m_star**2 - m_bs**2) / (2 * m_star), rtol=1e-9)
    # p*(B_s) in B_s* Bbar_s* events: an isotropic decay in flight gives a flat E* between
    # gamma (E0 -+ beta p0) (E0, p0 the B_s energy and momentum in the B_s* frame)
    sqrt_s = mom[0, 0, 0]
    p_star = math.sqrt(sqrt_s**2 / 4 - m_star**2)
    gam, bet = sqrt_s / 2 / m_star, p_star / (sqrt_s / 2)
    e0 = (m_star**2 + m_bs**2) / (2 * m_star)
    p0 = (m_star**2 - m_bs**2) / (2 * m_star)
    lo, hi = gam * (e0 - bet * p0), gam * (e0 + bet * p0)
    both = sig_star & comp_star
    e_b = mom[both, 3, 0]
    assert e_b.min() >= lo - 1e-9 and e_b.max() <= hi + 1e-9
    counts, _ = np.histogram(e_b, bins=20, range=(lo, hi))
    assert stats.chisquare(counts).pvalue > 1e-3
    # B_s Bbar_s events: p* fixed by sqrt(s)
    direct = ~sig_star & ~comp_star
    np.testing.assert_allclose(np.linalg.norm(mom[direct, 3, 1:], axis=1), math.sqrt(sqrt_s**2 / 4 - m_bs**2),
                               rtol=1e-9)
    assert card["beam"]["resonance"] == 9000553
