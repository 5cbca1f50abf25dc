"""Reconstructed q2 of the Belle II inclusive-tag analysis (ITA).

Belle II, PRD 109 (2024) 112006 (arXiv:2311.14647): q2_rec = s/4 + M_K^2 - sqrt(s) E*_K with E*_K
the kaon energy in the e+e- centre-of-mass frame, the signal B taken at rest in that frame.
Since sqrt(s) E*_K = p_K . P (P the e+e- four-momentum), q2_rec = s/4 + M_K^2 - p_K . P in any
frame. For B -> K* / phi the same expression with the meson system (the sum of its daughters)
and its invariant mass is used; the ITA defines q2_rec for B+ -> K+ only.
"""

from __future__ import annotations

import math

import numpy as np

from ..physics import inputs


def beam_four_momentum(beam: dict) -> np.ndarray:
    """Nominal e+e- four-momentum (E, px, py, pz) [GeV] of the card's beams: HER e- along +z and LER
    e+ along -z, both tilted by half the crossing angle towards +x (the generator's convention)."""
    m_e = inputs.mass(11)
    ha = 0.5 * beam["crossing_angle"]
    ph = math.sqrt(beam["E_HER"] ** 2 - m_e**2)
    pl = math.sqrt(beam["E_LER"] ** 2 - m_e**2)
    return np.array([beam["E_HER"] + beam["E_LER"], (ph + pl) * math.sin(ha), 0.0, (ph - pl) * math.cos(ha)])


def minkowski_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a . b with metric (+, -, -, -) over the last axis (E, px, py, pz)."""
    return a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1] - a[..., 2] * b[..., 2] - a[..., 3] * b[..., 3]


def q2_rec(p_meson: np.ndarray, p_beams: np.ndarray, m_meson=None) -> np.ndarray:
    """q2_rec = s/4 + m^2 - p_meson . P (arXiv:2311.14647), with s = P^2 per event if ``p_beams`` has
    shape (n, 4), or one P for all. ``m_meson`` defaults to the invariant mass of ``p_meson``."""
    s = minkowski_dot(p_beams, p_beams)
    m2 = minkowski_dot(p_meson, p_meson) if m_meson is None else np.asarray(m_meson) ** 2
    return 0.25 * s + m2 - minkowski_dot(p_meson, p_beams)


def q2_rec_rest_frame(p_meson: np.ndarray, sqrt_s: float, m_meson=None) -> np.ndarray:
    """q2_rec for a meson given in the B rest frame: E* taken as its energy there, s the nominal one."""
    m2 = minkowski_dot(p_meson, p_meson) if m_meson is None else np.asarray(m_meson) ** 2
    return 0.25 * sqrt_s**2 + m2 - sqrt_s * p_meson[..., 0]


def two_body_q2_rec_range(sqrt_s: float, m_b: float, m_meson: float, m_x: float) -> tuple[float, float]:
    """Endpoints of q2_rec for B -> M X (fixed masses) with B from e+e- -> B Bbar at rest-frame energy
    sqrt(s)/2: E*_M = gamma (E_M + beta p_M cos) with gamma = sqrt(s)/(2 m_B), E_M and p_M the B-rest-frame
    two-body values (relativistic kinematics, PDG RPP review "Kinematics" eq. 49.17-49.18)."""
    e_m = (m_b**2 + m_meson**2 - m_x**2) / (2.0 * m_b)
    p_m = math.sqrt(max(e_m**2 - m_meson**2, 0.0))
    gamma = sqrt_s / (2.0 * m_b)
    bg = math.sqrt(max(gamma**2 - 1.0, 0.0))
    e_lo, e_hi = gamma * e_m - bg * p_m, gamma * e_m + bg * p_m
    f = lambda e: 0.25 * sqrt_s**2 + m_meson**2 - sqrt_s * e  # noqa: E731
    return f(e_hi), f(e_lo)
