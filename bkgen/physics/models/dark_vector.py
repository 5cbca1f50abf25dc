"""Massive dark photon / dark Z mediator X with fermionic dark matter, produced in B -> K(*) X.

Sources:
* seed 003 (Calibbi, Li, Mukherjee, Schmidt, arXiv:2502.04900) sec. III: couplings to SM
  fermions eq. (34) with kinetic mixing eps and mass mixing eps_Z ~ eps tan(theta_W); widths
  eq. (38)-(39); Breit-Wigner three-body rate eq. (40); b-s coupling g_bs^X eq. (41);
  B -> K X eq. (42); B -> K* X with helicity amplitudes eq. (43)-(45); the ratio eq. (46).
* seed 001 (Rashed): dark photon / dark Z with independent eps and eps_Z, direct vector
  couplings to muons and electrons (Cases B and C, eq. 5-6), hadronic width through the R-ratio.

The B decay is B -> M X(-> f fbar) with an on-shell X: q^2 = m_{f fbar}^2 is sampled through
the Breit-Wigner of X and every X decay mode is a separate channel whose rate is eq. (40) for
that mode, so the channel fractions are Gamma(B -> M X) BR(X -> f) in the narrow-width limit.
X is written to the record (PDG 55) with its daughters at the displaced decay vertex
(c tau_X). Hadronic decays: X -> pi+ pi-, K+ K-, K_S K_L from their exclusive R-ratios, the rest
as a quark pair u ubar, d dbar, s sbar (shares Q_q^2 = 4:1:1) and c cbar above the open-charm
threshold, to be hadronised downstream (README "Mediator models").
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from .. import amplitudes, form_factors, hadrons
from .. import dilepton as dl
from ..inputs import (
    ALPHA_EM_0,
    BR_KSTAR0_KPPIM,
    C_MM_PER_NS,
    G_BS_PER_EPS_SEED003,
    HBAR_GEV_NS,
    PDG_DARK_FERMION,
    PDG_DARK_PHOTON,
    SIN2_THETA_W,
    VTB_VTS,
    mass,
    particle,
)
from .base import Y_VECTOR, Channel, Decay, LineShape, Model, Parameter, RateScaling, kallen, scalar_meson_helicity
from .base import line_width as base_line_width

# (label, pdg of f, electric charge Q, weak isospin T3, colours)
LEPTONS = (("e+ e-", 11, -1.0, -0.5), ("mu+ mu-", 13, -1.0, -0.5), ("tau+ tau-", 15, -1.0, -0.5))
NEUTRINOS = (12, 14, 16)
#: light-quark pairs written for the non-exclusive hadronic rate and their shares Q_q^2 / sum Q_q^2
QUARK_PAIRS = (("u ubar", 2, 4.0 / 6.0), ("d dbar", 1, 1.0 / 6.0), ("s sbar", 3, 1.0 / 6.0))


# ---- couplings -------------------------------------------------------------------------
def weak_mixing():
    """(s_W^2, c_W^2) from the seed 000 input sin^2 theta_W (inputs.SIN2_THETA_W)."""
    return SIN2_THETA_W, 1.0 - SIN2_THETA_W


def eps_z(p: dict) -> float:
    """Mass mixing eps_Z: the card value, or eps_Z = eps tan(theta_W) (seed 003 after eq. 34)."""
    if p["eps_Z_source"] == "card":
        return float(p["eps_Z"])
    s2, c2 = weak_mixing()
    return float(p["eps"]) * np.sqrt(s2 / c2)


def mixing_couplings(p: dict, charge: float, t3: float) -> tuple[float, float]:
    """(g_V, g_A) of f gamma^mu (g_V - g_A gamma5) f X_mu induced by mixing, seed 003 eq. (34):
    e eps Q + g/(2 c_W) eps_Z (T3 - 2 Q s_W^2) and g/(2 c_W) eps_Z T3, with e = sqrt(4 pi alpha(0)),
    g = e/s_W (so that eps_Z = eps tan(theta_W) reproduces eq. 38)."""
    s2, c2 = weak_mixing()
    e = np.sqrt(4.0 * np.pi * ALPHA_EM_0)
    kz = e / np.sqrt(s2) / (2.0 * np.sqrt(c2)) * eps_z(p)
    return e * p["eps"] * charge + kz * (t3 - 2.0 * charge * s2), kz * t3


def lepton_couplings(p: dict, pdg: int) -> tuple[float, float]:
    """(g_V, g_A) of a charged lepton: mixing (eq. 34) plus the direct vector couplings g_D^mu,
    g_D^e of seed 001 eq. (5)-(6). With ``cancel_electron_vector`` g_D^e is set to cancel the
    mixing-induced electron vector coupling (seed 001 Case C); the axial part from eps_Z stays."""
    g_v, g_a = mixing_couplings(p, -1.0, -0.5)
    if pdg == 13:
        g_v += p["g_D_mu"]
    elif pdg == 11:
        g_v = 0.0 if p["cancel_electron_vector"] else g_v + p["g_D_e"]
    return g_v, g_a


def neutrino_couplings(p: dict) -> tuple[float, float]:
    """(g_V, g_A) = (k/2, k/2), k = g/(2 c_W) eps_Z: the left-handed neutrino of eq. (34)."""
    return mixing_couplings(p, 0.0, 0.5)


# ---- partial widths -----------------------------------------------------------------------
def _beta2(m2, m_f):
    m2 = np.asarray(m2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m2 > 4.0 * m_f**2, 1.0 - 4.0 * m_f**2 / np.where(m2 > 0, m2, 1.0), 0.0)


def ff_width_over_m(m2, g_v, g_a, m_f, n_c=1.0):
    """Gamma(X -> f fbar)/m_X for f gamma^mu (g_V - g_A gamma5) f X_mu at m_X^2 = m2:
    N_c/(12 pi) beta [g_V^2 (3 - beta^2)/2 + g_A^2 beta^2] (tree level, derived from eq. 34;
    for m_f -> 0 this is seed 003 eq. 38, for g_V = e eps Q, g_A = 0 it is alpha eps^2 Q^2/3)."""
    b2 = _beta2(m2, m_f)
    b = np.sqrt(b2)
    return n_c / (12.0 * np.pi) * b * (g_v**2 * (3.0 - b2) / 2.0 + g_a**2 * b2)


def ff_pair_weights(m2, g_v, g_a, m_f):
    """w_sigma (sigma = lambda_f - lambda_fbar = -1, 0, +1) of X -> f fbar: (g_V + beta g_A)^2,
    g_V^2 (1 - beta^2), (g_V - beta g_A)^2 (helicity amplitudes of the current in eq. 34; the sum
    reproduces ff_width_over_m, and a pure vector coupling gives (1, 4 m_f^2/q^2, 1))."""
    b2 = _beta2(m2, m_f)
    b = np.sqrt(b2)
    w = np.empty(np.shape(m2) + (3,))
    w[..., 0] = (g_v + b * g_a) ** 2
    w[..., 1] = g_v**2 * (1.0 - b2)
    w[..., 2] = (g_v - b * g_a) ** 2
    return w


def dm_width_over_m(p: dict, m2):
    """Gamma(X -> DM DM)/m_X: Majorana psi with (g_X/2) psi gamma^mu gamma5 psi X_mu,
    alpha_X/6 beta^3 (seed 003 eq. 39); Dirac psi with g_X psi gamma^mu psi X_mu,
    alpha_X/3 beta (3 - beta^2)/2 (the same tree-level formula as ff_width_over_m)."""
    b2 = _beta2(m2, p["m_DM"])
    if p["dm_type"] == "majorana":
        return p["alpha_X"] / 6.0 * b2**1.5
    return p["alpha_X"] / 3.0 * np.sqrt(b2) * (3.0 - b2) / 2.0


def dm_pair_weights(p: dict, m2):
    """Majorana (axial coupling): (1, 0, 1) times beta^2; Dirac (vector): (1, 1 - beta^2, 1)."""
    b2 = _beta2(m2, p["m_DM"])
    w = np.ones(np.shape(m2) + (3,))
    w[..., 1] = 0.0 if p["dm_type"] == "majorana" else 1.0 - b2
    return w


def _mumu_mixing_massless_over_m(p: dict):
    """Gamma(X -> mu mu)/m_X from mixing only, massless muons: the normalisation of R_mu^h."""
    g_v, g_a = mixing_couplings(p, -1.0, -0.5)
    return (g_v**2 + g_a**2) / (12.0 * np.pi)


def _p_wave_weights(m2):
    w = np.zeros(np.shape(m2) + (3,))
    w[..., 1] = 1.0  # spinless daughters: only sigma = 0
    return w


def _vector_weights(m_f):
    def weights(m2):
        return ff_pair_weights(m2, 1.0, 0.0, m_f)

    return weights


def decay_modes(p: dict) -> list[dict]:
    """All X decay modes: label, daughters (PDG), daughter masses, width/m as a function of m^2 and
    pair weights. Modes with zero coupling are dropped."""
    modes = []
    m_dm = p["m_DM"]
    if p["alpha_X"] > 0:
        dm = (PDG_DARK_FERMION, PDG_DARK_FERMION) if p["dm_type"] == "majorana" else (PDG_DARK_FERMION, -PDG_DARK_FERMION)
        modes.append({"label": "psi psi", "daughters": dm, "masses": {PDG_DARK_FERMION: m_dm}, "m_d": (m_dm, m_dm),
                          "invisible": True, "hadronise": False,
                          "width": lambda m2: dm_width_over_m(p, m2), "weights": lambda m2: dm_pair_weights(p, m2)})
    gnv, gna = neutrino_couplings(p)
    for nu in NEUTRINOS:
        if gnv != 0.0:
            modes.append({"label": f"{particle(nu).name} anti-{particle(nu).name}", "daughters": (nu, -nu), "masses": {},
                              "invisible": True, "hadronise": False,
                              "m_d": (0.0, 0.0), "width": lambda m2, a=gnv, b=gna: ff_width_over_m(m2, a, b, 0.0),
                              "weights": lambda m2, a=gnv, b=gna: ff_pair_weights(m2, a, b, 0.0)})
    for label, pdg, _q, _t3 in LEPTONS:
        g_v, g_a = lepton_couplings(p, pdg)
        m_l = mass(pdg)
        if g_v != 0.0 or g_a != 0.0:
            modes.append({"label": label, "daughters": (pdg, -pdg), "masses": {}, "m_d": (m_l, m_l),
                              "invisible": False, "hadronise": False,
                              "width": lambda m2, a=g_v, b=g_a, m=m_l: ff_width_over_m(m2, a, b, m),
                              "weights": lambda m2, a=g_v, b=g_a, m=m_l: ff_pair_weights(m2, a, b, m)})
    norm = _mumu_mixing_massless_over_m(p)
    if norm > 0.0:
        m_pi, m_kc, m_k0 = mass(211), mass(321), mass(310)

        def r_width(r_fn):
            return lambda m2: norm * r_fn(np.sqrt(np.clip(m2, 0.0, None)))

        frac = hadrons.kk_charged_fraction
        exclusive = (
            ("pi+ pi-", (211, -211), (m_pi, m_pi), hadrons.r_pipi),
            ("K+ K-", (321, -321), (m_kc, m_kc), lambda m: hadrons.r_kk(m) * frac(m)),
            ("K_S0 K_L0", (310, 130), (m_k0, m_k0), lambda m: hadrons.r_kk(m) * (1.0 - frac(m))),
        )
        for label, d, md, r in exclusive:
            modes.append({"label": label, "daughters": d, "masses": {}, "m_d": md,
                          "invisible": False, "hadronise": False, "width": r_width(r), "weights": _p_wave_weights})
        m_pi_thr = 2.0 * m_pi  # the non-exclusive hadronic final states open above 2 m_pi
        for label, q, share in QUARK_PAIRS:
            modes.append({"label": f"{label} (hadrons)", "daughters": (q, -q), "masses": {}, "m_d": (mass(q), mass(q)),
                              "invisible": False, "hadronise": True,
                              "s_open": m_pi_thr**2,
                              "width": r_width(lambda m, s=share: s * hadrons.r_light_other(m) * (m > m_pi_thr)),
                              "weights": _vector_weights(mass(q))})
        modes.append({"label": "c cbar (hadrons)", "daughters": (4, -4), "masses": {}, "m_d": (mass(4), mass(4)),
                          "invisible": False, "hadronise": True,
                          "s_open": 4.0 * mass(421) ** 2,
                          "width": r_width(hadrons.r_charm), "weights": _vector_weights(mass(4))})
    return modes


def partial_widths(p: dict, m_x: float | None = None) -> dict[str, float]:
    """Gamma(X -> f) [GeV] of every mode at m_X (default: the card's m_X)."""
    m = p["m_X"] if m_x is None else m_x
    return {md["label"]: float(m * md["width"](np.asarray(m * m))) for md in decay_modes(p)}


def total_width(p: dict) -> float:
    """Gamma_X [GeV]: sum over all modes at m_X."""
    return float(sum(partial_widths(p).values()))


def branching_ratios(p: dict) -> dict[str, float]:
    w = partial_widths(p)
    tot = sum(w.values())
    return {k: v / tot for k, v in w.items()}


def ctau_mm(p: dict) -> float:
    """Proper decay length c tau_X = hbar c / Gamma_X [mm]."""
    return HBAR_GEV_NS * C_MM_PER_NS / total_width(p)


# ---- b -> s X coupling and two-body rates -------------------------------------------------
def g_bs_eq41(p: dict) -> float:
    """|g_bs^X| of seed 003 eq. (41) (bkgen.physics.dilepton.e0z_eq41 times |V_tb V_ts|): g^3 eps_Z V_ts V_tb /
    (64 pi^2 c_W) x_t/(1 - x_t) (6 - 7 x_t + x_t^2 + (2 + 3 x_t) ln x_t), with g^2 = 4 sqrt2 G_F m_W^2 (tree
    level), x_t = m_t^2/m_W^2 (PDG masses) and c_W from sin^2 theta_W."""
    return float(abs(dl.e0z_eq41(eps_z(p))) * VTB_VTS)


def g_bs(p: dict) -> float:
    """|g_bs^X| used for production: 'seed003' = 2.44e-4 x eps_Z/tan(theta_W) (the full one-loop
    value quoted after seed 003 eq. 41 for eps_Z = eps tan(theta_W), exponent read as -4; see
    inputs.G_BS_PER_EPS_SEED003), 'eq41' = eq. (41), 'seed001_E' = |E^{0,Z} + (E^{2,A} + E^{2,Z}) m_X^2| |V_tb V_ts|
    from the b -> s Z_D vertex of seed 001 eq. (1) (bkgen.physics.dilepton.g_bs_seed001, the function the
    dilepton model's C9, C10 use), 'card' = the card value g_bs."""
    src = p["g_bs_source"]
    if src == "card":
        return float(p["g_bs"])
    if src == "eq41":
        return g_bs_eq41(p)
    if src == "seed001_E":
        return dl.g_bs_seed001(float(p["eps"]), eps_z(p), float(p["m_X"]), p["E0Z_source"])
    s2, c2 = weak_mixing()
    return float(G_BS_PER_EPS_SEED003 * abs(eps_z(p)) / np.sqrt(s2 / c2))


def eft_couplings(p: dict) -> dict:
    """The b -> s X coupling as the dimension-4 left-handed Z' coupling of the operator basis (model eft):
    g_bs s gamma^mu P_L b X_mu (seed 003 before eq. 41), so g_L^(4) = |g_bs| (g_V = -g_A), m_Z' = m_X. With
    these, eft's B -> K Z', B -> K* Z' (and K*+, K_S, phi) widths are this model's Gamma(B -> M X)."""
    return {"m_Zp": p["m_X"], "g4_L": g_bs(p), "g4_R": 0.0}


def gamma_b_to_k_x(p: dict, m2, ff=None, m_b=None, m_k=None):
    """Gamma(B -> K X) [GeV] at m_X^2 = m2, seed 003 eq. (42):
    |g_bs|^2 m_B/(64 pi) lambda^{3/2}(1, y_K, y_X)/y_X |f_+(m_X^2)|^2."""
    ff = ff or form_factors.get("B->K", p["form_factors_BK"])
    m_b = mass(521) if m_b is None else m_b
    m_k = mass(321) if m_k is None else m_k
    m2 = np.asarray(m2, dtype=float)
    lam = np.clip(kallen(1.0, m_k**2 / m_b**2, m2 / m_b**2), 0.0, None)
    return g_bs(p) ** 2 * m_b / (64.0 * np.pi) * lam**1.5 / (m2 / m_b**2) * ff.f_plus(m2) ** 2


def kstar_helicity_rescaled(m2, m_v, ff, m_b):
    """Rescaled helicity amplitudes (H~_-, H~_0, H~_+) of seed 003 eq. (44)-(45) at m_X^2 = m2:
    H~_0 = (1 + sqrt(y_V)) A1 x - 2 sqrt(y_V y_X)/(1 + sqrt(y_V)) A2 (x^2 - 1) (eq. 44 up to its
    overall sign), H~_-+ = (1 + sqrt(y_V)) A1 +- 2 sqrt(y_V y_X)/(1 + sqrt(y_V)) V sqrt(x^2 - 1)
    (eq. 45 prints one sign; the two helicities carry opposite signs of the V term, and the
    left-handed b -> s current makes H~_- the larger one)."""
    m2 = np.asarray(m2, dtype=float)
    y_v, y_x = m_v**2 / m_b**2, m2 / m_b**2
    x = (m_b**2 - m_v**2 - m2) / (2.0 * m_v * np.sqrt(m2))
    a1, a2, v = ff.A1(m2), ff.A2(m2), ff.V(m2)
    c = 2.0 * np.sqrt(y_v * y_x) / (1.0 + np.sqrt(y_v))
    root = np.sqrt(np.clip(x * x - 1.0, 0.0, None))
    h0 = (1.0 + np.sqrt(y_v)) * a1 * x - c * a2 * (x * x - 1.0)
    return (1.0 + np.sqrt(y_v)) * a1 + c * v * root, h0, (1.0 + np.sqrt(y_v)) * a1 - c * v * root


def gamma_b_to_kstar_x(p: dict, m2, ff=None, m_b=None, m_v=None):
    """Gamma(B -> K* X) [GeV] at m_X^2 = m2, seed 003 eq. (43)-(45)."""
    ff = ff or form_factors.get("B->K*", p["form_factors_BKstar"])
    m_b = mass(511) if m_b is None else m_b
    m_v = mass(313) if m_v is None else m_v
    lam = np.clip(kallen(1.0, m_v**2 / m_b**2, np.asarray(m2, dtype=float) / m_b**2), 0.0, None)
    hm, h0, hp = kstar_helicity_rescaled(m2, m_v, ff, m_b)
    return g_bs(p) ** 2 * m_b / (64.0 * np.pi) * np.sqrt(lam) * (hm**2 + h0**2 + hp**2)


def two_body_br(p: dict, decay: str) -> float:
    """BR(B -> K(*) X) at m_X from eq. (42) (B+ -> K+ X) or eq. (43) (B0 -> K*0 X, at the K*0 pole mass),
    Gamma/Gamma_B with the PDG B width; 0 where the two-body decay is closed."""
    if decay == "B+ -> K+ X":
        m_b, m_k = mass(521), mass(321)
        if p["m_X"] >= m_b - m_k:
            return 0.0
        return float(gamma_b_to_k_x(p, p["m_X"] ** 2) / particle(521).width)
    m_b, m_v = mass(511), mass(313)
    if p["m_X"] >= m_b - m_v:
        return 0.0
    return float(gamma_b_to_kstar_x(p, p["m_X"] ** 2) / particle(511).width)


# ---- channels ----------------------------------------------------------------------------
def line_width(p: dict, gamma_x: float) -> float:
    """Width of the tabulated Breit-Wigner of X: max(Gamma_X, NARROW_WIDTH_FLOOR m_X) (base.line_width)."""
    return base_line_width(p["m_X"], gamma_x)


def _breit_wigner_factor(p: dict, gamma_x: float):
    """1 / (2 pi [(q^2 - m_X^2)^2 + m_X^2 Gamma_X^2]) of seed 003 eq. (40) [GeV^-4], times
    Gamma_line/Gamma_X with Gamma_X -> Gamma_line in the denominator (see base.NARROW_WIDTH_FLOOR)."""
    m2x = p["m_X"] ** 2
    g_line = line_width(p, gamma_x)
    mg2 = m2x * g_line**2
    scale = g_line / gamma_x

    def bw(q2):
        return scale / (2.0 * np.pi * ((q2 - m2x) ** 2 + mg2))

    return bw


def _modes_in_range(p: dict, gamma_x: float, q2_max: float) -> list[dict]:
    """X decay modes open in the B decay. A mode closed at m_X is kept only when the
    Breit-Wigner tail above its threshold s_th carries more than 1e-6 of the X line shape,
    (1/pi)(pi/2 - arctan((s_th - m_X^2)/(m_X Gamma_X))), so off-shell tails are complete when they
    matter (wide X, or m_X above m_B - m_M) and negligible channels are not tabulated."""
    m = p["m_X"]
    out = []
    for md in decay_modes(p):
        s_th = (md["m_d"][0] + md["m_d"][1]) ** 2
        if max(s_th, md.get("s_open", 0.0)) >= q2_max:
            continue
        s_th = max(s_th, md.get("s_open", 0.0))  # where the mode's width starts (2 m_pi, 2 m_D for quark pairs)
        if md["width"](np.asarray(m * m)) <= 0.0:
            tail = (0.5 * np.pi - np.arctan((s_th - m * m) / (m * gamma_x))) / np.pi
            if tail < 1e-6:
                continue
        out.append(md)
    return out


def _common(p: dict):
    gamma_x = total_width(p)
    ctau = HBAR_GEV_NS * C_MM_PER_NS / gamma_x
    return gamma_x, ctau, _breit_wigner_factor(p, gamma_x), g_bs(p)


def build_k(p: dict) -> list[Channel]:
    """B+ -> K+ X(-> f), one channel per X decay mode: seed 003 eq. (40) with eq. (42)."""
    ff = form_factors.get("B->K", p["form_factors_BK"])
    m_b, m_k = mass(521), mass(321)
    gamma_x, ctau, bw, g = _common(p)
    q2_max = (m_b - m_k) ** 2
    channels = []
    for md in _modes_in_range(p, gamma_x, q2_max):
        q2_lo = (md["m_d"][0] + md["m_d"][1]) ** 2

        def rate(q2, m_meson=None, w=md["width"], lo=q2_lo):
            # eq. (40): [Gamma(B -> K X) 2 m_X Gamma(X -> f)]_{m_X^2 -> q^2} / (2 pi [...]); with
            # eq. (42) and Gamma(X -> f) = sqrt(q2) w(q2) the 1/y_X cancels against 2 q^2:
            # = g^2 m_B^3/(64 pi) lambda^{3/2} f+^2 2 w(q^2) x BW, zero outside [q2_lo, q2_max]
            q2 = np.asarray(q2, dtype=float)
            inside = (q2 >= lo) & (q2 <= q2_max)
            q2c = np.clip(q2, lo, q2_max)
            lam = np.clip(kallen(1.0, m_k**2 / m_b**2, q2c / m_b**2), 0.0, None)
            val = g**2 * m_b**3 / (64.0 * np.pi) * lam**1.5 * ff.f_plus(q2c) ** 2 * 2.0 * w(q2c) * bw(q2c)
            return np.where(inside, val, 0.0)

        channels.append(Channel(
            label=f"B+ -> K+ X(-> {md['label']})", parent=521, meson=321, y=PDG_DARK_PHOTON,
            y_daughters=md["daughters"], meson_daughters=None, y_mode=Y_VECTOR, rate=rate,
            helicity=scalar_meson_helicity,
            pair_weights=lambda q2, m_meson=None, wf=md["weights"]: wf(np.asarray(q2, dtype=float)),
            y_breit_wigner=(p["m_X"], line_width(p, gamma_x)), y_ctau=ctau,
            masses=md["masses"], mode=md["label"], invisible=md["invisible"], hadronise=md["hadronise"],
            self_conjugate={PDG_DARK_FERMION} if p["dm_type"] == "majorana" and md["label"] == "psi psi" else frozenset(),
        ))
    return channels


def build_kstar(p: dict) -> list[Channel]:
    """B0 -> K*0 X(-> f), K*0 -> K+ pi-, one channel per X decay mode: seed 003 eq. (40) with
    eq. (43)-(45) at the sampled K* mass. Amplitudes in the b -> s convention (Bbar0 -> Kbar*0 X),
    as for the SM B -> K* nu nubar (same s gamma^mu P_L b current)."""
    ff = form_factors.get("B->K*", p["form_factors_BKstar"])
    m_b = mass(511)
    v = particle(313)
    d1, d2 = mass(321), mass(211)
    n = p["line_shape_halfwidths"]
    shape = LineShape(m0=v.mass, gamma0=v.width, m_d1=d1, m_d2=d2, m_lo=max(d1 + d2 + 1e-6, v.mass - n * v.width),
                      m_hi=v.mass + n * v.width, radius=p["blatt_weisskopf_radius"])
    gamma_x, ctau, bw, g = _common(p)
    q2_max = (m_b - shape.m_lo) ** 2

    def amplitudes_times_sqrt_q2(q2, m_v):
        # H~ sqrt(q^2/m_B^2) with the standard forms H_-+ = (m_B + m_V) A1 +- sqrt(lambda) V/(m_B + m_V),
        # H_0 = 8 m_B m_V A12/sqrt(q^2) (identical to eq. 44-45, see kstar_helicity_rescaled)
        q2 = np.asarray(q2, dtype=float)
        m_v = np.asarray(m_v, dtype=float)
        lam = np.clip(kallen(m_b**2, m_v**2, q2), 0.0, None)
        h = amplitudes.vector_current(ff, q2, m_b, m_v, 2.0, 0.0, times_sqrt_q2=True)[..., 1:] / m_b**2
        return h, lam / m_b**4

    channels = []
    for md in _modes_in_range(p, gamma_x, q2_max):
        q2_lo = (md["m_d"][0] + md["m_d"][1]) ** 2

        def rate(q2, m_v, w=md["width"], lo=q2_lo):
            # eq. (40) with eq. (43): g^2 m_B/(64 pi) lambda^{1/2} sum|H~|^2 2 m_X Gamma(X -> f) x BW,
            # m_X^2 -> q^2; sum|H~|^2 q^2 = m_B^2 sum|h|^2 with h from amplitudes_times_sqrt_q2;
            # zero outside [q2_lo, (m_B - m_K*)^2]
            q2 = np.asarray(q2, dtype=float)
            hi = (m_b - np.asarray(m_v, dtype=float)) ** 2
            inside = (q2 >= lo) & (q2 <= hi)
            q2c = np.clip(q2, lo, hi)
            h, lam = amplitudes_times_sqrt_q2(q2c, m_v)
            val = g**2 * m_b / (64.0 * np.pi) * np.sqrt(lam) * (h**2).sum(-1) * m_b**2 * 2.0 * w(q2c) * bw(q2c)
            return np.where(inside, val, 0.0)

        channels.append(Channel(
            label=f"B0 -> K*0 X(-> {md['label']})", parent=-511, meson=-313, y=PDG_DARK_PHOTON,
            y_daughters=md["daughters"], meson_daughters=(-321, 211), y_mode=Y_VECTOR, rate=rate,
            helicity=lambda q2, m_v: amplitudes_times_sqrt_q2(q2, m_v)[0],
            pair_weights=lambda q2, m_v, wf=md["weights"]: wf(np.broadcast_to(np.asarray(q2, dtype=float),
                                                                            np.broadcast(q2, m_v).shape)),
            line_shape=shape, y_breit_wigner=(p["m_X"], line_width(p, gamma_x)), y_ctau=ctau, visible_br=BR_KSTAR0_KPPIM,
            masses=md["masses"], mode=md["label"], invisible=md["invisible"], hadronise=md["hadronise"],
            self_conjugate={PDG_DARK_FERMION} if p["dm_type"] == "majorana" and md["label"] == "psi psi" else frozenset(),
        ))
    return channels


def _validate(p: dict, decay: str) -> None:
    if p["m_DM"] > 0 and p["dm_type"] == "majorana" and p["alpha_X"] > 0 and 2 * p["m_DM"] >= mass(521):
        raise InputError(f"model.m_DM = {p['m_DM']!r} closes every B decay; allowed: 2 m_DM < m_B")
    if p["eps"] == 0 and p["eps_Z_source"] == "kinetic" and p["g_bs_source"] != "card":
        raise InputError("model.eps = 0 with eps_Z from kinetic mixing gives g_bs = 0; allowed: eps > 0, "
                         "or eps_Z_source = 'card', or g_bs_source = 'card'")
    if total_width(p) <= 0.0:
        raise InputError("model: X has no open decay mode at these couplings; allowed: eps, eps_Z, g_D or alpha_X > 0")
    m_b, m_m = (mass(521), mass(321)) if decay == "B+ -> K+ X" else (mass(511), mass(321) + mass(211))
    if not any((md["m_d"][0] + md["m_d"][1]) < m_b - m_m for md in decay_modes(p)):
        raise InputError(f"model: no X decay mode is open in {decay}; allowed: lighter X daughters (m_DM)")
    if p["g_bs_source"] == "card" and p["g_bs"] == 0.0:
        raise InputError("model.g_bs = 0 with g_bs_source = 'card' switches B -> K(*) X off; allowed: g_bs > 0")
    br = two_body_br(p, decay)
    if not br <= 1.0:  # eq. (42)-(43) at m_X: a total branching ratio above 1 is not a physical point
        keys = "g_bs" if p["g_bs_source"] == "card" else "eps, eps_Z, m_X"
        raise InputError(f"model.g_bs_source = {p['g_bs_source']!r} at m_X = {p['m_X']:.6g} GeV, eps = {p['eps']:.3g}, "
                         f"eps_Z = {eps_z(p):.3g} gives |g_bs| = {g_bs(p):.3g} and BR({decay}) = {br:.3g} > 1 "
                         f"(unphysical); allowed: {keys} with BR <= 1")
    if decay != "B+ -> K+ X":  # every X mode open somewhere in the K* window must stay open up to its top
        v = particle(313)
        m_lo = max(m_m + 1e-6, v.mass - p["line_shape_halfwidths"] * v.width)
        m_hi = v.mass + p["line_shape_halfwidths"] * v.width
        for md in decay_modes(p):
            thr = md["m_d"][0] + md["m_d"][1]
            if thr < m_b - m_lo and m_hi >= m_b - thr:
                n_max = (m_b - thr - v.mass) / v.width
                raise InputError(
                    f"model.line_shape_halfwidths = {p['line_shape_halfwidths']!r} puts the K* window above m_B - "
                    f"{thr:.4g} GeV, where X -> {md['label']} closes; allowed: < {n_max:.4g}")


MODEL = Model(
    name="dark_vector",
    doc="Massive dark photon / dark Z X with dark matter, on-shell B -> K(*) X with Breit-Wigner X decays",
    source="seed 003 sec. III (eq. 34, 38-46); seed 001 (eps, eps_Z, Cases A-C)",
    parameters=(
        Parameter("m_X", 2.0, "GeV", "mass of the dark photon X", float, 1e-3, 20.0),
        Parameter("eps", 10**-4.3, "", "kinetic mixing eps (seed 003 eq. 31, 34)", float, 0.0, 1.0),
        Parameter("eps_Z_source", "kinetic", "", "eps_Z = eps tan(theta_W) ('kinetic', seed 003) or the card value",
                  str, choices=("kinetic", "card")),
        Parameter("eps_Z", 0.0, "", "mass mixing eps_Z when eps_Z_source = 'card' (seed 001)", float, -1.0, 1.0),
        Parameter("g_D_mu", 0.0, "", "direct vector coupling to muons (seed 001 eq. 5-6)", float, -10.0, 10.0),
        Parameter("g_D_e", 0.0, "", "direct vector coupling to electrons (seed 001 eq. 6)", float, -10.0, 10.0),
        Parameter("cancel_electron_vector", False, "",
                  "g_D^e cancels the mixing-induced electron vector coupling (seed 001 Case C)", bool),
        Parameter("alpha_X", 1e-7, "", "dark fine-structure constant g_X^2/4pi (seed 003 eq. 39)", float, 0.0, 4 * np.pi),
        Parameter("m_DM", 0.5, "GeV", "dark-matter mass", float, 0.0, 10.0),
        Parameter("dm_type", "majorana", "", "dark matter psi: Majorana (seed 003 eq. 37) or Dirac", str,
                  choices=("majorana", "dirac")),
        Parameter("g_bs_source", "seed003", "", "b-s-X coupling: 'seed003' full value, 'eq41', 'seed001_E' (the "
                  "E's of seed 001 eq. 1, as in model dilepton), or 'card'", str,
                  choices=("seed003", "eq41", "seed001_E", "card")),
        Parameter("g_bs", 0.0, "", "|g_bs^X| when g_bs_source = 'card'", float, 0.0, 1.0),
        Parameter("E0Z_source", "eq41", "", "E^{0,Z} for g_bs_source = 'seed001_E': seed 003 eq. (41) or 'inami_lim' (as model "
                  "dilepton)", str, choices=tuple(dl.E0Z_SOURCES)),
        Parameter("form_factors_BK", "GRvDV2023", "", "B -> K f_+ parametrisation (seed 003 ref. [41])", str,
                  choices=form_factors.available("B->K")),
        Parameter("form_factors_BKstar", "BSZ2015", "", "B -> K* parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR")),
        Parameter("line_shape_halfwidths", 10.0, "", "K* line shape truncated at m0 -+ n Gamma0", float, 0.5, 1e3),
        Parameter("blatt_weisskopf_radius", 3.0, "GeV^-1", "P-wave barrier radius of the K* width", float, 0.0, 20.0),
    ),
    decays=(
        Decay("B+ -> K+ X", "on-shell X with Breit-Wigner decays, seed 003 eq. (40), (42)", build_k, 521),
        Decay("B0 -> K*0 X", "K*0 -> K+ pi-, seed 003 eq. (40), (43)-(45)", build_kstar, 511, amplitude_conjugate=True),
    ),
    validate=_validate,
    # with g_bs from the card, B -> K(*) X ~ |g_bs|^2 (eq. 42-43) and the X widths do not involve it
    rate_scaling=(RateScaling("g_bs", 2.0, applies=lambda p: p["g_bs_source"] == "card"),),
    symbols={"m_X": "$m_X$", "eps": "$\\varepsilon$", "eps_Z": "$\\varepsilon_Z$", "g_D_mu": "$g_D^\\mu$",
             "g_D_e": "$g_D^e$", "alpha_X": "$\\alpha_X$", "m_DM": "$m_\\psi$", "g_bs": "$|g_{bs}^X|$"},
)
