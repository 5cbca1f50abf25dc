"""Dark Higgs H1 mixing with the SM Higgs, with scalar dark matter X and an L_mu - L_tau Z'.

Source: seed 002 (Kim, Ko, talk on arXiv:2511.20430), local Z3 scalar DM model with a dark
Higgs: H1 = phi cos(theta) - h sin(theta), H2 = phi sin(theta) + h cos(theta) (slide
"U(1)_{Lmu-Ltau}-charged DM + Dark Higgs"), m_Z' = g_X |Q_Phi| v_Phi with Q_Phi = 3, Q_X = 1
(slide "Local Z3 scalar DM model"), and

* B+ -> K+ H1 on shell (slide "Belle II excess: 2-body decay"):
  Gamma = |kappa_cb|^2 sin^2(theta) ((m_B^2 - m_K^2)/(m_b - m_s))^2 f0(m_H1^2)^2
          sqrt(K(m_B^2, m_K^2, m_H1^2)) / (64 pi m_B^3),
  with H1 -> Z'Z' (Z' -> nu nubar, BR ~ 1 on the same slide) and H1 -> X X^dagger, sampled with
  the Breit-Wigner three-body form of seed 003 eq. (40) applied to the scalar;
* B+ -> K+ X X^dagger through H1 and H2 (slide "Belle II excess: 2- or 3-body decay"):
  dGamma/dq^2 = lambda_PhiX^2 v_Phi^2 |kappa_cb|^2 sin^2(theta) cos^2(theta) ((m_B^2 - m_K^2)/(m_b - m_s))^2
          (m_H1^2 - m_H2^2)^2 sqrt(1 - 4 m_X^2/q^2) sqrt(K) f0(q^2)^2
          / (1024 pi^3 m_B^3 |q^2 - m_H1^2 + i m_H1 Gamma_H1|^2 (q^2 - m_H2^2)^2).
  The slide prints sin^2(theta) (cos^2(theta) -> 1) and no H1 width (valid off shell); with the
  width the on-shell region reproduces Gamma(B -> K H1) BR(H1 -> X X^dagger) (tests).

H1 widths (tree level, from the Lagrangian terms on the slides; cf. the SM h -> ZZ and h -> SS
forms): the term g_X^2 Q_Phi^2 v_Phi Z'Z' phi = (m_Z'^2/v_Phi) phi Z'_mu Z'^mu gives
  Gamma(H1 -> Z'Z') = cos^2(theta) m_H1^3/(32 pi v_Phi^2) sqrt(1 - 4x) (1 - 4x + 12 x^2),  x = m_Z'^2/m_H1^2,
and -lambda_PhiX X^dagger X (Phi^dagger Phi - v^2/2) gives -lambda_PhiX v_Phi phi X^dagger X and
  Gamma(H1 -> X X^dagger) = cos^2(theta) (lambda_PhiX v_Phi)^2/(16 pi m_H1) sqrt(1 - 4 m_X^2/m_H1^2).
Decays of H1 to SM particles through sin(theta) are suppressed by sin^2(theta) m_f^2/v_EW^2 and
not included.

Record: H1 (PDG 54) with its daughters at the displaced vertex; Z' (PDG 55, mass m_Z') is written
as a stable invisible particle (its nu nubar decay is not generated); X is PDG 51 / -51.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from .. import amplitudes, form_factors
from ..inputs import (
    C_MM_PER_NS,
    HBAR_GEV_NS,
    KAPPA_CB,
    PDG_DARK_PHOTON,
    PDG_SCALAR_DM,
    PDG_SCALAR_MEDIATOR,
    mass,
)
from .base import (
    Y_SCALAR,
    Channel,
    Decay,
    Model,
    Parameter,
    RateScaling,
    isotropic_pair_weights,
    kallen,
    line_width,
    scalar_meson_helicity,
)

#: U(1) charge of the dark Higgs in the local Z3 model (seed 002, Q_X = 1, Q_Phi = 3)
Q_PHI = 3.0


def scalar_coupling_c(m_b: float, m_k: float) -> float:
    """(m_B^2 - m_K^2)/(m_b - m_s) of seed 002 [GeV], quark masses from the PDG table."""
    return (m_b**2 - m_k**2) / (mass(5) - mass(3))


def gamma_b_to_k_scalar(q2, kappa: float, mixing: float, ff, m_b: float, m_k: float):
    """Gamma(B+ -> K+ S) [GeV] for a scalar of mass^2 q2 with h-s-b coupling kappa x mixing,
    seed 002 slide "Belle II excess: 2-body decay".
    The h-s-b vertex kappa m_b s P_R b / (m_b) of the slide is the scalar current of the operator basis
    (amplitudes.scalar_x_amplitude with g_R = kappa x mixing; for B -> K only its s b part, f_0), with the
    slide's C = (m_B^2 - m_K^2)/(m_b - m_s) (quark masses of scalar_coupling_c)."""
    q2 = np.asarray(q2, dtype=float)
    h = amplitudes.scalar_current(ff, q2, m_b, m_k, 0.0, kappa * mixing, m_bq=mass(5), m_sq=mass(3))
    lam = np.clip(kallen(m_b**2, m_k**2, q2), 0.0, None)
    return np.sqrt(lam) / (2.0 * m_b) * h**2 / (8.0 * np.pi * m_b**2)


def v_phi(p: dict) -> float:
    """Dark Higgs vev v_Phi = m_Z'/(g_X Q_Phi) [GeV] (seed 002, m_Z' = g_X |Q_Phi| v_Phi)."""
    return p["m_Zp"] / (p["g_X"] * Q_PHI)


def _beta2(q2, m):
    q2 = np.asarray(q2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(q2 > 4.0 * m * m, 1.0 - 4.0 * m * m / np.where(q2 > 0, q2, 1.0), 0.0)


def width_zpzp(p: dict, q2):
    """Gamma(H1 -> Z'Z') [GeV] at H1 mass^2 q2 (module docstring)."""
    q2 = np.asarray(q2, dtype=float)
    x = np.where(q2 > 0, p["m_Zp"] ** 2 / np.where(q2 > 0, q2, 1.0), 0.0)
    b2 = _beta2(q2, p["m_Zp"])
    cos2 = 1.0 - p["sin_theta"] ** 2
    return cos2 * q2**1.5 / (32.0 * np.pi * v_phi(p) ** 2) * np.sqrt(b2) * (1.0 - 4.0 * x + 12.0 * x * x)


def width_xx(p: dict, q2):
    """Gamma(H1 -> X X^dagger) [GeV] at H1 mass^2 q2 (module docstring)."""
    q2 = np.asarray(q2, dtype=float)
    b2 = _beta2(q2, p["m_DM"])
    cos2 = 1.0 - p["sin_theta"] ** 2
    lv = p["lambda_PhiX"] * v_phi(p)
    return cos2 * lv**2 / (16.0 * np.pi * np.sqrt(np.where(q2 > 0, q2, 1.0))) * np.sqrt(b2)


def partial_widths(p: dict) -> dict[str, float]:
    m2 = p["m_H1"] ** 2
    return {"Z' Z'": float(width_zpzp(p, m2)), "X Xbar": float(width_xx(p, m2))}


def total_width(p: dict) -> float:
    return float(sum(partial_widths(p).values()))


def ctau_mm(p: dict) -> float:
    return HBAR_GEV_NS * C_MM_PER_NS / total_width(p)


def build_k_h1(p: dict) -> list[Channel]:
    """B+ -> K+ H1(-> Z'Z' or X X^dagger): seed 002 two-body rate with the Breit-Wigner form of
    seed 003 eq. (40): Gamma(B -> K H1)(q^2) 2 sqrt(q^2) Gamma(H1 -> f)(q^2) / (2 pi |...|^2)."""
    ff = form_factors.get("B->K", p["form_factors_BK"])
    m_b, m_k = mass(521), mass(321)
    q2_max = (m_b - m_k) ** 2
    gamma = total_width(p)
    g_line = line_width(p["m_H1"], gamma)  # narrow-width floor, base.NARROW_WIDTH_FLOOR
    scale = g_line / gamma
    m2 = p["m_H1"] ** 2
    ctau = HBAR_GEV_NS * C_MM_PER_NS / gamma
    modes = (
        ("Z' Z'", (PDG_DARK_PHOTON, PDG_DARK_PHOTON), {PDG_DARK_PHOTON: p["m_Zp"]}, p["m_Zp"], width_zpzp),
        ("X Xbar", (PDG_SCALAR_DM, -PDG_SCALAR_DM), {PDG_SCALAR_DM: p["m_DM"]}, p["m_DM"], width_xx),
    )
    channels = []
    for label, daughters, masses, m_d, wfn in modes:
        lo = 4.0 * m_d * m_d
        if lo >= q2_max or (wfn(p, m2) <= 0.0 and p["m_H1"] < 2 * m_d and g_line / p["m_H1"] < 1e-3):
            continue

        def rate(q2, m_meson=None, wfn=wfn, lo=lo):
            q2 = np.asarray(q2, dtype=float)
            inside = (q2 >= lo) & (q2 <= q2_max)
            q2c = np.clip(q2, max(lo, 1e-30), q2_max)
            bw = scale / (2.0 * np.pi * ((q2c - m2) ** 2 + m2 * g_line**2))
            val = gamma_b_to_k_scalar(q2c, p["kappa_cb"], p["sin_theta"], ff, m_b, m_k) * 2.0 * np.sqrt(q2c) \
                * wfn(p, q2c) * bw
            return np.where(inside, val, 0.0)

        channels.append(Channel(
            label=f"B+ -> K+ H1(-> {label})", parent=521, meson=321, y=PDG_SCALAR_MEDIATOR, y_daughters=daughters,
            meson_daughters=None, y_mode=Y_SCALAR, rate=rate, helicity=scalar_meson_helicity, pair_weights=isotropic_pair_weights,
            y_breit_wigner=(p["m_H1"], g_line), y_ctau=ctau, masses=masses, mode=label,
            invisible=True,  # Z' written as a stable invisible state (its nu nubar decay not generated), X X^dagger DM
        ))
    return channels


def three_body_rate(p: dict, ff=None):
    """dGamma/dq^2(B+ -> K+ X X^dagger) [GeV^-1] through H1 and H2 (module docstring)."""
    ff = ff or form_factors.get("B->K", p["form_factors_BK"])
    m_b, m_k = mass(521), mass(321)
    m1, m2h = p["m_H1"], mass(25)
    g1 = total_width(p)
    s2 = p["sin_theta"] ** 2
    lo, hi = 4.0 * p["m_DM"] ** 2, (m_b - m_k) ** 2
    # the slide's formula through the operator basis: (s P_R b)(X^dag X) with the q^2-dependent coefficient
    # |c| = lambda_PhiX v_Phi kappa sin(theta) cos(theta) |m_H1^2 - m_h^2| / |D_1 D_2| (complex X), i.e.
    # amplitudes.scalar_pair with c_s = (c/2, c/2) and the slide's C = (m_B^2 - m_K^2)/(m_b - m_s)
    coupling = p["lambda_PhiX"] * v_phi(p) * p["kappa_cb"] * np.sqrt(s2 * (1.0 - s2)) * abs(m1**2 - m2h**2)

    def rate(q2, m_meson=None):
        q2 = np.asarray(q2, dtype=float)
        inside = (q2 >= lo) & (q2 <= hi)
        q2c = np.clip(q2, max(lo, 1e-30), hi)
        den = ((q2c - m1**2) ** 2 + (m1 * g1) ** 2) * (q2c - m2h**2) ** 2
        cq = coupling / np.sqrt(den)
        amp = amplitudes.scalar_pair(ff, q2c, m_b, m_k, p["m_DM"], c_s=(cq / 2.0, cq / 2.0), m_bq=mass(5),
                                     m_sq=mass(3))
        return np.where(inside, amp.rate(), 0.0)

    return rate


def build_kxx(p: dict) -> list[Channel]:
    rate = three_body_rate(p)
    gamma = total_width(p)
    g_line = line_width(p["m_H1"], gamma)  # narrow-width floor, base.NARROW_WIDTH_FLOOR
    return [Channel(
        label="B+ -> K+ X Xbar (H1*, H2*)", parent=521, meson=321, y=0, y_daughters=(PDG_SCALAR_DM, -PDG_SCALAR_DM),
        meson_daughters=None, y_mode=Y_SCALAR, rate=rate, helicity=scalar_meson_helicity, pair_weights=isotropic_pair_weights,
        y_in_record=False, y_breit_wigner=(p["m_H1"], g_line), masses={PDG_SCALAR_DM: p["m_DM"]},
        invisible=True, mode="X Xbar",
    )]


def _validate(p: dict, decay: str) -> None:
    q2_max = (mass(521) - mass(321)) ** 2
    # both decays are proportional to (kappa_cb sin theta)^2; B -> K X Xbar also to lambda_PhiX^2
    for key in ("sin_theta", "kappa_cb", *(("lambda_PhiX",) if decay == "B+ -> K+ X Xbar" else ())):
        if p[key] == 0.0:
            raise InputError(f"model.{key} = 0 switches {decay} off; allowed: a non-zero {key}")
    if total_width(p) <= 0.0:
        raise InputError(f"model.m_H1 = {p['m_H1']!r}: H1 has no open decay (needs m_H1 > 2 m_Zp or 2 m_DM); "
                         "allowed: m_H1 > 2 min(m_Zp, m_DM)")
    if decay == "B+ -> K+ X Xbar" and 4 * p["m_DM"] ** 2 >= q2_max:
        raise InputError(f"model.m_DM = {p['m_DM']!r} closes B+ -> K+ X Xbar; allowed: 2 m_DM < m_B - m_K")
    if decay == "B+ -> K+ H1" and 4 * min(p["m_Zp"], p["m_DM"]) ** 2 >= q2_max:
        raise InputError("model: no H1 decay mode is open in B+ -> K+ H1; allowed: 2 min(m_Zp, m_DM) < m_B - m_K")


MODEL = Model(
    name="dark_higgs",
    doc="Dark Higgs H1 (mixing sin theta) with scalar DM X and an L_mu-L_tau Z': B+ -> K+ H1, B+ -> K+ X Xbar",
    source="seed 002: Kim, Ko (arXiv:2511.20430), slides on the local Z3 scalar DM model",
    parameters=(
        Parameter("m_H1", 2.0, "GeV", "dark Higgs mass", float, 1e-3, 50.0),
        Parameter("sin_theta", 3.0e-3, "", "H1-h mixing sin(theta) (seed 002: <= 0.01)", float, 0.0, 0.5),
        Parameter("kappa_cb", KAPPA_CB, "", "effective h-s-b coupling |kappa_cb| (seed 002)", float, 0.0, 1.0),
        Parameter("m_Zp", 0.01, "GeV", "L_mu - L_tau gauge boson mass (seed 002: ~10 MeV)", float, 1e-4, 10.0),
        Parameter("g_X", 5e-4, "", "U(1)_{Lmu-Ltau} gauge coupling (seed 002: 3-5e-4)", float, 1e-12, 4.0),
        Parameter("lambda_PhiX", 0.01, "", "Higgs-portal coupling lambda_PhiX of X to the dark Higgs", float, 0.0, 4 * np.pi),
        Parameter("m_DM", 0.5, "GeV", "scalar dark-matter mass m_X", float, 0.0, 10.0),
        Parameter("form_factors_BK", "GRvDV2023", "", "B -> K f_0 parametrisation", str,
                  choices=form_factors.available("B->K")),
    ),
    decays=(
        Decay("B+ -> K+ H1", "on-shell dark Higgs, H1 -> Z'Z' or X Xbar (seed 002)", build_k_h1, 521),
        Decay("B+ -> K+ X Xbar", "three-body through off-shell H1 and H2 (seed 002)", build_kxx, 521),
    ),
    validate=_validate,
    # every rate carries |kappa_cb|^2 (the h-s-b vertex); the H1 width does not involve kappa_cb
    rate_scaling=(RateScaling("kappa_cb", 2.0),),
    symbols={"m_H1": "$m_{H_1}$", "sin_theta": "$\\sin\\theta$", "kappa_cb": "$|\\kappa_{cb}|$", "m_Zp": "$m_{Z'}$",
             "g_X": "$g_X$", "lambda_PhiX": "$\\lambda_{\\Phi X}$", "m_DM": "$m_X$"},
)
