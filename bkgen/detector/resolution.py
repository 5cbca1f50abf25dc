"""Gaussian track smearing: transverse momentum (relative), polar and azimuthal angle.

Default transverse-momentum resolution sigma_pT/pT = 0.3% sqrt(pT^2 + 1) (pT in GeV), the
central-drift-chamber performance of the Belle detector (Belle Collaboration, NIM A 479 (2002)
117, Table 1), which the Belle II tracker at least matches. Belle II's own published track
resolutions are not among the inputs here, so the angular smearing is zero unless set.
"""

from __future__ import annotations

import numpy as np

#: sigma_pT/pT = sqrt((A pT)^2 + B^2), NIM A 479 (2002) 117 Table 1: 0.3% sqrt(pT^2 + 1)
SIGMA_PT_A = 0.003
SIGMA_PT_B = 0.003


def smear_tracks(p4: np.ndarray, mass: np.ndarray, normals: np.ndarray, a: float, b: float,
                 sigma_theta: float, sigma_phi: float) -> np.ndarray:
    """Smear tracks ``p4`` (..., 4) with standard normals ``normals`` (..., 3): pT -> pT (1 + sigma n0)
    with sigma = sqrt((a pT)^2 + b^2), theta -> theta + sigma_theta n1, phi -> phi + sigma_phi n2; the
    energy is recomputed from the smeared momentum and ``mass``."""
    px, py, pz = p4[..., 1], p4[..., 2], p4[..., 3]
    pt = np.hypot(px, py)
    theta = np.arctan2(pt, pz)
    phi = np.arctan2(py, px)
    sig = np.sqrt((a * pt) ** 2 + b**2)
    pt_s = np.abs(pt * (1.0 + sig * normals[..., 0]))
    th_s = np.clip(theta + sigma_theta * normals[..., 1], 1e-9, np.pi - 1e-9)
    ph_s = phi + sigma_phi * normals[..., 2]
    p_s = pt_s / np.sin(th_s)
    out = np.empty_like(p4)
    out[..., 1] = pt_s * np.cos(ph_s)
    out[..., 2] = pt_s * np.sin(ph_s)
    out[..., 3] = p_s * np.cos(th_s)
    out[..., 0] = np.sqrt(p_s**2 + np.asarray(mass) ** 2)
    return out
