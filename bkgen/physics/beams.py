"""SuperKEKB beams: beam four-momenta, the e+e- centre-of-mass (CMS) frame as basf2 defines it, and
the interaction-point (beam-spot) covariance. Plain numpy; units GeV, mm.

Axes (basf2 generators/scripts/beamparameters.py): z along the solenoid, the HER (e-) beam at
+theta_HER and the LER (e+) beam at pi - theta_LER from +z, both in the x-z plane and tilted
towards +x (theta = half the crossing angle for both here).

CMS frame (basf2 framework/utilities/include/LabToCms.h, and MCInitialParticles::calculateBoost in
framework/dataobjects/include/MCInitialParticles.h, which BoostMCParticles inverts): the pure boost
by -beta, beta = (p_HER + p_LER)/(E_HER + E_LER), followed by the rotation about z x n that turns the
HER direction n in that boosted frame onto +z (angle asin|z x n|). In it the e- moves along +z,
the e+ along -z, and the e+e- system is at rest.
"""

from __future__ import annotations

import math

import numpy as np

from . import inputs


def beam_four_momenta(e_her: float, e_ler: float, crossing_angle: float) -> tuple[np.ndarray, np.ndarray]:
    """(E, px, py, pz) [GeV] of the HER e- and the LER e+, each tilted by half the crossing angle
    towards +x."""
    m_e = inputs.mass(11)
    ha = 0.5 * crossing_angle
    ph = math.sqrt(max(e_her**2 - m_e**2, 0.0))
    pl = math.sqrt(max(e_ler**2 - m_e**2, 0.0))
    return (np.array([e_her, ph * math.sin(ha), 0.0, ph * math.cos(ha)]),
            np.array([e_ler, pl * math.sin(ha), 0.0, -pl * math.cos(ha)]))


def boost_matrix(beta: np.ndarray) -> np.ndarray:
    """4x4 matrix of the pure Lorentz boost that gives a frame moving with velocity ``beta`` the
    velocity 0, acting on (E, px, py, pz) (PDG RPP review "Kinematics" eq. 49.5, general direction)."""
    b2 = float(beta @ beta)
    g = 1.0 / math.sqrt(1.0 - b2)
    lam = np.eye(4)
    lam[0, 0] = g
    lam[0, 1:] = lam[1:, 0] = -g * beta
    if b2 > 0:
        lam[1:, 1:] += (g - 1.0) * np.outer(beta, beta) / b2
    return lam


def rotation_matrix(axis: np.ndarray, angle: float) -> np.ndarray:
    """3x3 rotation by ``angle`` about the unit vector ``axis`` (right-handed; Rodrigues' formula)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + math.sin(angle) * k + (1.0 - math.cos(angle)) * (k @ k)


def lab_to_cms(p_her: np.ndarray, p_ler: np.ndarray) -> np.ndarray:
    """4x4 Lorentz matrix from the lab to basf2's CMS frame (module docstring), on (E, px, py, pz)."""
    total = p_her + p_ler
    boost = boost_matrix(total[1:] / total[0])
    n = (boost @ p_her)[1:]
    n = n / np.linalg.norm(n)
    cross = np.cross([0.0, 0.0, 1.0], n)
    s = np.linalg.norm(cross)
    rot = np.eye(4)
    if s > 0:
        rot[1:, 1:] = rotation_matrix(cross / s, -math.asin(s))
    return rot @ boost


def bunch_covariance(sizes, angle: float) -> np.ndarray:
    """3x3 covariance [mm^2] of a Gaussian bunch with sizes (sigma_x, sigma_y, sigma_z) [mm] along its
    own axes, moving at ``angle`` from +z in the x-z plane (rotation about y)."""
    c, s = math.cos(angle), math.sin(angle)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    return rot @ np.diag(np.square(sizes)) @ rot.T


def beamspot_covariance(crossing_angle: float, bunch_her=inputs.BUNCH_HER, bunch_ler=inputs.BUNCH_LER) -> np.ndarray:
    """3x3 covariance [mm^2] of the interaction point: the product of the two bunch densities
    (Gaussians centred at the origin), S = S_HER (S_HER + S_LER)^-1 S_LER, as basf2's
    beamparameters.calculate_beamspot computes it for its presets."""
    ha = 0.5 * crossing_angle
    s_her = bunch_covariance(np.asarray(bunch_her), ha)
    s_ler = bunch_covariance(np.asarray(bunch_ler), math.pi - ha)
    return s_her @ np.linalg.inv(s_her + s_ler) @ s_ler


def from_card(beam: dict) -> dict:
    """Beam four-momenta, sqrt(s) and the lab -> CMS matrix of a resolved card's [beam] section."""
    p_her, p_ler = beam_four_momenta(beam["E_HER"], beam["E_LER"], beam["crossing_angle"])
    total = p_her + p_ler
    return {"p_her": p_her, "p_ler": p_ler, "p_total": total,
            "sqrt_s": math.sqrt(max(total[0] ** 2 - total[1:] @ total[1:], 0.0)),
            "lab_to_cms": lab_to_cms(p_her, p_ler)}


def pair_cross_section_pb(parent: int, resonance: int) -> tuple[float, float] | None:
    """sigma(e+e- -> B Bbar) [pb] and its error for the B species |parent| at the e+e- resonance
    ``resonance`` (PDG code): Upsilon(4S) -> B+ B- or B0 Bbar0 (inputs.SIGMA_UPSILON4S_NB x
    inputs.BR_UPSILON4S), Upsilon(10860) -> B_s(*) Bbar_s(*) (inputs.SIGMA_BSBS_UPSILON5S_NB); None
    where no measured value is among the inputs."""
    parent = abs(parent)
    if resonance == 300553 and parent in inputs.BR_UPSILON4S:
        (s, ds), (b, db) = inputs.SIGMA_UPSILON4S_NB, inputs.BR_UPSILON4S[parent]
        return 1e3 * s * b, 1e3 * s * b * math.hypot(ds / s, db / b)
    if resonance == 9000553 and parent == 531:
        s, ds = inputs.SIGMA_BSBS_UPSILON5S_NB
        return 1e3 * s, 1e3 * ds
    return None
