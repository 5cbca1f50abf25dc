"""Higgs-portal real singlet scalar dark matter S: B+ -> K+ S S through an off-shell SM Higgs.

Source: seed 002 (Kim, Ko), slide "Solution: 3-body decay": -L_S = lambda_S S^4/4 + m_0^2 S^2/2
+ lambda S^2 H^dagger H, which after electroweak symmetry breaking contains lambda v_EW S^2 h.
The h-s-b vertex is the one of the dark-Higgs slides with sin(theta) -> 1 (the h component of
H1 there): it gives Gamma(B+ -> K+ h(q^2)) = |kappa_cb|^2 C^2 f0^2 sqrt(K)/(64 pi m_B^3),
C = (m_B^2 - m_K^2)/(m_b - m_s), i.e. |M(B -> K h*)| = |kappa_cb| C f0 / 2. With the h S S
vertex 2 lambda v_EW, the propagator 1/(q^2 - m_h^2) and the factor 1/2 for identical S,

  dGamma/dq^2 = |kappa_cb|^2 C^2 f0(q^2)^2 lambda^2 v_EW^2 sqrt(1 - 4 m_S^2/q^2) sqrt(K(m_B^2, m_K^2, q^2))
                / (512 pi^3 m_B^3 (q^2 - m_h^2)^2),

the same normalisation as the seed 002 three-body formula for B+ -> K+ X X^dagger (complex X,
no 1/2; see dark_higgs.three_body_rate). v_EW = (sqrt2 G_F)^(-1/2).
The S pair is isotropic in its rest frame (spin 0); the virtual h is not written to the record.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from .. import amplitudes, form_factors
from ..inputs import G_FERMI, KAPPA_CB, PDG_SCALAR_DM, mass
from .base import Y_SCALAR, Channel, Decay, Model, Parameter, RateScaling, isotropic_pair_weights, scalar_meson_helicity


def v_ew() -> float:
    """Electroweak vev (sqrt2 G_F)^(-1/2) [GeV]."""
    return (np.sqrt(2.0) * G_FERMI) ** -0.5


def rate_kss(p: dict, ff=None):
    """dGamma/dq^2(B+ -> K+ S S) [GeV^-1] (module docstring)."""
    ff = ff or form_factors.get("B->K", p["form_factors_BK"])
    m_b, m_k, m_h = mass(521), mass(321), mass(25)
    coupling = p["kappa_cb"] * p["lambda_HS"] * v_ew()
    lo, hi = 4.0 * p["m_S"] ** 2, (m_b - m_k) ** 2

    def rate(q2, m_meson=None):
        # the operator basis: (s P_R b) S^2 of a real scalar with the coefficient
        # kappa lambda v_EW/(m_h^2 - q^2) (amplitudes.scalar_pair, real = True; quark masses of
        # scalar_coupling_c), which is the formula of the module docstring
        q2 = np.asarray(q2, dtype=float)
        inside = (q2 >= lo) & (q2 <= hi)
        q2c = np.clip(q2, max(lo, 1e-30), hi)
        cq = coupling / np.abs(q2c - m_h**2)
        amp = amplitudes.scalar_pair(ff, q2c, m_b, m_k, p["m_S"], c_s=(cq / 2.0, cq / 2.0), real=True,
                                     m_bq=mass(5), m_sq=mass(3))
        return np.where(inside, amp.rate(), 0.0)

    return rate


def build(p: dict) -> list[Channel]:
    return [Channel(
        label="B+ -> K+ S S (h*)", parent=521, meson=321, y=0, y_daughters=(PDG_SCALAR_DM, PDG_SCALAR_DM),
        meson_daughters=None, y_mode=Y_SCALAR, rate=rate_kss(p), helicity=scalar_meson_helicity,
        pair_weights=isotropic_pair_weights,
        y_in_record=False, masses={PDG_SCALAR_DM: p["m_S"]},
        self_conjugate={PDG_SCALAR_DM}, invisible=True, mode="S S",
    )]


def _validate(p: dict, decay: str) -> None:
    for key in ("lambda_HS", "kappa_cb"):  # the rate is proportional to (lambda kappa_cb)^2
        if p[key] == 0.0:
            raise InputError(f"model.{key} = 0 switches {decay} off; allowed: a non-zero {key}")
    if 2 * p["m_S"] >= mass(521) - mass(321):
        raise InputError(f"model.m_S = {p['m_S']!r} closes B+ -> K+ S S; allowed: 2 m_S < m_B - m_K")


MODEL = Model(
    name="singlet_scalar",
    doc="Higgs-portal real singlet scalar DM S: B+ -> K+ S S through an off-shell SM Higgs",
    source="seed 002: Kim, Ko (arXiv:2511.20430), slide 'Solution: 3-body decay'",
    parameters=(
        Parameter("m_S", 1.5, "GeV", "singlet scalar mass (seed 002: m_S <= 2.1 GeV, > 1 GeV from BaBar)",
                  float, 0.0, 3.0),
        Parameter("lambda_HS", 1.0, "", "Higgs-portal coupling lambda of lambda S^2 H^dagger H", float, 0.0, 4 * np.pi),
        Parameter("kappa_cb", KAPPA_CB, "", "effective h-s-b coupling |kappa_cb| (seed 002)", float, 0.0, 1.0),
        Parameter("form_factors_BK", "GRvDV2023", "", "B -> K f_0 parametrisation", str,
                  choices=form_factors.available("B->K")),
    ),
    decays=(Decay("B+ -> K+ S S", "three-body through an off-shell h (seed 002)", build, 521),),
    validate=_validate,
    # B -> K S S ~ (lambda_HS kappa_cb)^2 through the off-shell h
    rate_scaling=(RateScaling("lambda_HS", 2.0), RateScaling("kappa_cb", 2.0)),
    symbols={"m_S": "$m_S$", "lambda_HS": "$\\lambda_{HS}$", "kappa_cb": "$|\\kappa_{cb}|$"},
)
