"""Standard-Model B -> K(*) nu nubar, the reference the dark-sector signals sit on.

Effective Hamiltonian H = (G_F/sqrt2)(alpha/(2 pi sin^2 theta_W)) V_tb V_ts^* X_t
(s gamma_mu (1-gamma_5) b)(nu gamma^mu (1-gamma_5) nu), summed over three flavours.
B+ -> K+ nu nubar: seed 000 eq. (3.10) with its inputs (stated after eq. 3.10).
B0 -> K*0 nu nubar: the same Hamiltonian with the B -> V helicity amplitudes
H_+- = (m_B + m_V) A1 -+ sqrt(lambda) V/(m_B + m_V), H_0 = 8 m_B m_V A12/sqrt(q^2)
(BSZ arXiv:1503.05534 eq. (2)-(6) form-factor definitions), normalised so that the
B -> K case, H_0 = sqrt(lambda/q^2) f_+, reproduces eq. (3.10) exactly.
Only left-handed neutrinos: pair helicity sigma = -1 with theta_Y the nu angle.
"""

from __future__ import annotations

import numpy as np

from .. import amplitudes, form_factors
from ..inputs import ALPHA_EW_INV_MT, BR_KSTAR0_KPPIM, G_FERMI, N_NU, SIN2_THETA_W, VTB_VTS, X_T, mass, particle
from .base import LINE_SHAPE_PARAMETERS, Y_VECTOR, Channel, Decay, Model, Parameter, kallen, meson_line_shape

NEUTRINOS = (12, 14, 16)


def short_distance_c2() -> float:
    """C^2 = G_F^2 alpha^2 |V_tb V_ts|^2 X_t^2 / (8 pi^2 sin^4 theta_W) [GeV^-4]."""
    alpha = 1.0 / ALPHA_EW_INV_MT
    return G_FERMI**2 * alpha**2 * VTB_VTS**2 * X_T**2 / (8.0 * np.pi**2 * SIN2_THETA_W**2)


def _left_handed_pair(s, m_meson=None):
    shape = np.broadcast(np.asarray(s), np.asarray(0.0 if m_meson is None else m_meson)).shape
    w = np.zeros(shape + (3,))
    w[..., 0] = 1.0  # sigma = lambda_nu - lambda_nubar = -1/2 - 1/2
    return w


def build_k(p: dict) -> list[Channel]:
    ff = form_factors.get("B->K", p["form_factors_BK"])
    m_b, m_k = mass(521), mass(321)
    c2 = short_distance_c2()

    def rate(s, m_meson=None):
        # seed 000 eq. (3.10) per flavour: dGamma/ds = C^2 f+^2 lambda^{3/2} / (96 pi^3 m_B^3)
        s = np.asarray(s, dtype=float)
        lam = np.clip(kallen(m_b**2, m_k**2, s), 0.0, None)
        return c2 * ff.f_plus(s) ** 2 * lam**1.5 / (96.0 * np.pi**3 * m_b**3)

    def helicity(s, m_meson=None):
        h = np.zeros(np.shape(s) + (3,))
        h[..., 1] = 1.0
        return h

    return [
        Channel(
            label=f"B+ -> K+ {particle(nu).name} anti-{particle(nu).name}", parent=521, meson=321, y=0,
            y_daughters=(nu, -nu), meson_daughters=None, y_mode=Y_VECTOR, rate=rate, helicity=helicity,
            pair_weights=_left_handed_pair, y_in_record=False, invisible=True,
            mode=f"{particle(nu).name} anti-{particle(nu).name}",
        )
        for nu in NEUTRINOS[: N_NU]
    ]


def build_kstar(p: dict) -> list[Channel]:
    # amplitudes in the b -> s convention: Bbar0 -> Kbar*0 nu nubar; the named B0 decay is
    # its CP conjugate (Decay.amplitude_conjugate)
    ff = form_factors.get("B->K*", p["form_factors_BKstar"])
    m_b = mass(511)
    shape = meson_line_shape(313, (321, -211), p, m_b)
    c2 = short_distance_c2()

    def amplitudes_times_sqrt_s(s, m_v):
        # (H_-, H_0, H_+) of the V - A current s gamma^mu (1 - gamma5) b (amplitudes.vector_current,
        # c_L = 2) times sqrt(s)
        s = np.asarray(s, dtype=float)
        m_v = np.asarray(m_v, dtype=float)
        lam = np.clip(kallen(m_b**2, m_v**2, s), 0.0, None)
        return amplitudes.vector_current(ff, s, m_b, m_v, 2.0, 0.0, times_sqrt_q2=True)[..., 1:], lam

    def rate(s, m_v):
        # per flavour: dGamma/ds = C^2 s sqrt(lambda) sum|H|^2 / (96 pi^3 m_B^3)
        h, lam = amplitudes_times_sqrt_s(s, m_v)
        return c2 * np.sqrt(lam) * (h**2).sum(axis=-1) / (96.0 * np.pi**3 * m_b**3)

    def helicity(s, m_v):
        return amplitudes_times_sqrt_s(s, m_v)[0]

    return [
        Channel(
            label=f"B0 -> K*0 {particle(nu).name} anti-{particle(nu).name}", parent=-511, meson=-313, y=0,
            y_daughters=(nu, -nu), meson_daughters=(-321, 211), y_mode=Y_VECTOR, rate=rate, helicity=helicity,
            pair_weights=_left_handed_pair, line_shape=shape, y_in_record=False, visible_br=BR_KSTAR0_KPPIM,
            invisible=True, mode=f"{particle(nu).name} anti-{particle(nu).name}",
        )
        for nu in NEUTRINOS[: N_NU]
    ]


MODEL = Model(
    name="sm",
    doc="Standard-Model B -> K(*) nu nubar (three neutrino flavours)",
    source="seed 000 eq. (3.10) and inputs; Buras et al. arXiv:1409.4557",
    parameters=(
        Parameter("form_factors_BK", "GKvD2018", "", "B -> K f_+ parametrisation", str,
                  choices=form_factors.available("B->K")),
        Parameter("form_factors_BKstar", "BSZ2015", "", "B -> K* parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR")),
        *LINE_SHAPE_PARAMETERS,
    ),
    decays=(
        Decay("B+ -> K+ nu nubar", "SM, seed 000 eq. (3.10)", build_k, 521),
        Decay("B0 -> K*0 nu nubar", "SM with K*0 -> K+ pi-", build_kstar, 511, amplitude_conjugate=True),
    ),
)
