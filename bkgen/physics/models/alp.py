"""Long-lived axion-like particle a with a dark-matter fermion chi.

Source: Calibbi, Li, Mukherjee, Schmidt, arXiv:2502.04900, seed 003
(shared/seeds/003_ed77422e4378d7b0.txt) sec. II: Lagrangian eq. (3), (4), (7); effective
photon and gluon couplings eq. (5)-(6); B -> K a and B -> K* a eq. (8)-(9); ALP widths eq. (12)
(Majorana chi: footnote 5), (13), (14), (15); benchmark eq. (16)-(20).

Decays (one channel per ALP decay mode, the ALP in the record with its two daughters):
* B+ -> K+ a (eq. 8, f_0) and B0 -> K*0 a, K*0 -> K+ pi- (eq. 9, A_0; a spin-0 a takes only
  the K* helicity 0, so K* -> K pi follows cos^2 theta_K);
* a -> g g, q qbar, l+ l-, gamma gamma, chi chibar with the widths above; a parton pair (g g,
  q qbar) is written with status 1 and flagged by the branch ``hadronise`` = 1: a colour-singlet
  system for a downstream hadronisation (e.g. a string model).

The ALP flies for an exponential proper length c tau_a (``Channel.y_ctau``); the [displacement]
card section adds decay probabilities per detector region and forced decays
(:mod:`bkgen.detector.displacement`). The hadronic width is the partonic one of eq. (13)-(14),
so m_a >= 1 GeV: below, exclusive modes (3 pi, pi pi gamma) dominate and the seed gives no widths.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from .. import amplitudes, form_factors
from ..inputs import (
    ALPHA_EM_0,
    ALPHA_S_2GEV,
    BR_KSTAR0_KPPIM,
    C_MM_PER_NS,
    HBAR_GEV_NS,
    PDG_ALP,
    PDG_DARK_FERMION,
    mass,
    particle,
    quark_mass_msbar,
)
from ..qcd import alpha_s
from .base import (
    LINE_SHAPE_PARAMETERS,
    Y_SCALAR,
    Channel,
    Decay,
    Model,
    Parameter,
    RateScaling,
    kallen,  # noqa: F401  (re-exported: tests compute seed 003 eq. 9 with alp.kallen)
    meson_line_shape,
)

#: SM fermions of eq. (5) and (13): PDG code -> (N_c, electric charge Q)
FERMIONS = {
    1: (3, -1.0 / 3.0), 2: (3, 2.0 / 3.0), 3: (3, -1.0 / 3.0), 4: (3, 2.0 / 3.0), 5: (3, -1.0 / 3.0),
    6: (3, 2.0 / 3.0), 11: (1, -1.0), 13: (1, -1.0), 15: (1, -1.0),
}
_FERMION_NAMES = {1: "d dbar", 2: "u ubar", 3: "s sbar", 4: "c cbar", 5: "b bbar", 6: "t tbar",
                  11: "e+ e-", 13: "mu+ mu-", 15: "tau+ tau-"}


def fermion_mass(pdg: int) -> float:
    """Mass of a SM fermion in eq. (5)-(6), (13) [GeV]: MS-bar quark masses, lepton pole masses."""
    return quark_mass_msbar(pdg) if pdg <= 6 else mass(pdg)


def fermion_coupling(p: dict, pdg: int) -> float:
    """C_ff^A: universal quark (C_qq_A) or lepton (C_ll_A) coupling."""
    return p["C_qq_A"] if pdg <= 6 else p["C_ll_A"]


def loop_function(x):
    """B(x) = 1 - x f(x)^2 of seed 003 eq. (6) (complex for x < 1)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        above = np.arcsin(1.0 / np.sqrt(np.where(x >= 1.0, x, 1.0))) + 0j
        r = np.sqrt(np.clip(1.0 - x, 0.0, None))
        below = np.pi / 2.0 + 0.5j * np.log((1.0 + r) / (1.0 - r))
    f = np.where(x >= 1.0, above, below)
    return 1.0 - x * f * f


def c_gamma_eff(p: dict) -> complex:
    """C_gamma^eff = C_gamma^UV + sum_f C_ff^A N_c Q_f^2 B(4 m_f^2/m_a^2), seed 003 eq. (5)."""
    m_a = p["m_a"]
    total = complex(p["C_gamma_UV"])
    for f, (n_c, q) in FERMIONS.items():
        total += fermion_coupling(p, f) * n_c * q * q * complex(loop_function(4.0 * fermion_mass(f) ** 2 / m_a**2))
    return total


def c_g_eff(p: dict) -> complex:
    """C_G^eff = C_G^UV + (1/2) sum_q C_qq^A B(4 m_q^2/m_a^2), seed 003 eq. (5)."""
    m_a = p["m_a"]
    total = complex(p["C_G_UV"])
    for q in range(1, 7):
        total += 0.5 * fermion_coupling(p, q) * complex(loop_function(4.0 * fermion_mass(q) ** 2 / m_a**2))
    return total


def alpha_s_at_m_a(p: dict) -> float:
    """alpha_s(m_a), two-loop running from alpha_s(2 GeV) = model.alpha_s_2GeV."""
    return alpha_s(p["m_a"], p["alpha_s_2GeV"])


def width_fermions(p: dict, pdg: int, n_c: int, m_f: float, coupling: float) -> float:
    """Gamma(a -> f fbar) = |C|^2 N_c m_a m_f^2/(8 pi f_a^2) sqrt(1 - 4 m_f^2/m_a^2), seed 003 eq. (12)-(13)."""
    m_a = p["m_a"]
    if 2.0 * m_f >= m_a:
        return 0.0
    return float(coupling**2 * n_c * m_a * m_f**2 / (8.0 * np.pi * p["f_a"] ** 2) * np.sqrt(1.0 - 4.0 * m_f**2 / m_a**2))


def width_gluons(p: dict) -> float:
    """Gamma(a -> g g) = |C_G^eff|^2 alpha_s^2 m_a^3/(8 pi^3 f_a^2) (1 + 83 alpha_s/(4 pi)), seed 003 eq. (14)."""
    a_s = alpha_s_at_m_a(p)
    return abs(c_g_eff(p)) ** 2 * a_s**2 * p["m_a"] ** 3 / (8.0 * np.pi**3 * p["f_a"] ** 2) * (1.0 + 83.0 * a_s / (4.0 * np.pi))


def width_photons(p: dict) -> float:
    """Gamma(a -> gamma gamma) = |C_gamma^eff|^2 alpha^2 m_a^3/(64 pi^3 f_a^2), seed 003 eq. (15)."""
    return abs(c_gamma_eff(p)) ** 2 * ALPHA_EM_0**2 * p["m_a"] ** 3 / (64.0 * np.pi**3 * p["f_a"] ** 2)


def width_chi(p: dict) -> float:
    """Gamma(a -> chi chibar), seed 003 eq. (12); times 2 for Majorana chi (footnote 5)."""
    w = width_fermions(p, PDG_DARK_FERMION, 1, p["m_chi"], p["C_chichi_A"])
    return 2.0 * w if p["chi_type"] == "majorana" else w


def decay_modes(p: dict) -> list[dict]:
    """Open ALP decay modes with non-zero width: label, daughters (PDG), width [GeV], flags."""
    chi = (PDG_DARK_FERMION, PDG_DARK_FERMION) if p["chi_type"] == "majorana" else (PDG_DARK_FERMION, -PDG_DARK_FERMION)
    modes = [
        {"label": "g g", "daughters": (21, 21), "width": width_gluons(p), "hadronise": True, "invisible": False},
        {"label": "gamma gamma", "daughters": (22, 22), "width": width_photons(p), "hadronise": False,
         "invisible": False},
        {"label": "chi chi" if p["chi_type"] == "majorana" else "chi chibar", "daughters": chi,
         "width": width_chi(p), "hadronise": False, "invisible": True},
    ]
    for f, (n_c, _q) in FERMIONS.items():
        m_f = fermion_mass(f)
        modes.append({
            "label": _FERMION_NAMES[f], "daughters": (f, -f),
            "width": width_fermions(p, f, n_c, m_f, fermion_coupling(p, f)), "hadronise": f <= 6, "invisible": False,
        })
    return [m for m in modes if m["width"] > 0.0]


def total_width(p: dict) -> float:
    """Gamma_a [GeV]: the sum of eq. (12)-(15) over the open modes."""
    return float(sum(m["width"] for m in decay_modes(p)))


def ctau(p: dict) -> float:
    """Proper decay length c tau_a = hbar c / Gamma_a [mm]."""
    return HBAR_GEV_NS * C_MM_PER_NS / total_width(p)


def branching_ratios(p: dict) -> dict[str, float]:
    """BR(a -> mode) over the open modes."""
    g = total_width(p)
    return {m["label"]: m["width"] / g for m in decay_modes(p)}


def eft_couplings(p: dict) -> dict:
    """The ALP's b -> s coupling as the on-shell (pseudo)scalar of the operator basis (model eft):
    (d_mu a)/(2 f_a) s gamma^mu (C_sb^V + C_sb^A gamma5) b (seed 003 eq. 2, normalised so that eq. 8-9
    follow) = (d_mu a)/Lambda s gamma^mu (g'_L P_L + g'_R P_R) b with Lambda = f_a,
    g'_L = (C_V - C_A)/2, g'_R = (C_V + C_A)/2. By the equations of motion this is the scalar current
    (m_b - m_s) s b x C_V/(2 f_a) for B -> K (f_0) and the pseudoscalar one for B -> K* (A_0)."""
    return {"m_a": p["m_a"], "Lambda": p["f_a"], "ga5_L": 0.5 * (p["C_sb_V"] - p["C_sb_A"]),
            "ga5_R": 0.5 * (p["C_sb_V"] + p["C_sb_A"])}


def _width_b_to_m(p: dict, ff, m_b: float, m_m):
    """Gamma(B -> M a) [GeV] from amplitudes.scalar_x_amplitude with the couplings of eft_couplings."""
    c = eft_couplings(p)
    h = amplitudes.scalar_x_amplitude(ff, m_b, m_m, p["m_a"], g_d=(c["ga5_L"], c["ga5_R"]), lam_np=c["Lambda"])
    return amplitudes.two_body_width(m_b, m_m, p["m_a"], np.asarray(h)[..., None])


def width_b_to_k(p: dict) -> float:
    """Gamma(B+ -> K+ a) [GeV]: seed 003 eq. (8) divided by tau_B,
    m_B^3 |C_sb^V|^2/(64 pi f_a^2) (1 - m_K^2/m_B^2)^2 f_0(m_a^2)^2 lambda^{1/2}(1, m_K^2/m_B^2, m_a^2/m_B^2),
    evaluated through the operator basis (_width_b_to_m; equal to eq. 8 to rounding, tests/test_alp.py)."""
    ff = form_factors.get("B->K", p["form_factors_BK"])
    m_b, m_k, m_a = mass(521), mass(321), p["m_a"]
    if m_a >= m_b - m_k:
        return 0.0
    return float(_width_b_to_m(p, ff, m_b, m_k))


def _helicity_zero(q2, m_meson=None):
    """A spin-0 a: only the meson helicity 0, H = (0, 1, 0)."""
    shape = np.broadcast(np.asarray(q2), np.asarray(m_meson if m_meson is not None else 0.0)).shape
    h = np.zeros(shape + (3,))
    h[..., 1] = 1.0
    return h


def _ones(q2, m_meson=None):
    shape = np.broadcast(np.asarray(q2), np.asarray(m_meson if m_meson is not None else 0.0)).shape
    return np.ones(shape + (3,))


def _channels(p: dict, label: str, rate_of_mode, **common) -> list[Channel]:
    g_tot = total_width(p)
    c_tau = ctau(p)
    channels = []
    for md in decay_modes(p):
        br = md["width"] / g_tot
        channels.append(Channel(
            label=f"{label}, a -> {md['label']}", y=PDG_ALP, y_daughters=md["daughters"], y_mode=Y_SCALAR,
            rate=rate_of_mode(br), helicity=_helicity_zero, pair_weights=_ones, q2_fixed=p["m_a"] ** 2,
            y_mass=p["m_a"], y_ctau=c_tau,
            masses={PDG_DARK_FERMION: p["m_chi"]}, mode=md["label"], hadronise=md["hadronise"],
            invisible=md["invisible"],
            self_conjugate={PDG_DARK_FERMION} if p["chi_type"] == "majorana" else frozenset(),
            **common,
        ))
    return channels


def build_k(p: dict) -> list[Channel]:
    """B+ -> K+ a(-> mode): one channel per ALP decay mode, rate Gamma(B -> K a) BR(a -> mode)."""
    gamma = width_b_to_k(p)

    def rate_of_mode(br):
        return lambda q2, m_meson=None: np.full(np.shape(q2), gamma * br)

    return _channels(p, "B+ -> K+ a", rate_of_mode, parent=521, meson=321, meson_daughters=None)


def build_kstar(p: dict) -> list[Channel]:
    """B0 -> K*0 a(-> mode), K*0 -> K+ pi-: seed 003 eq. (9) divided by tau_B at the sampled K* mass,
    m_B^3 |C_sb^A|^2/(64 pi f_a^2) A_0(m_a^2)^2 lambda^{3/2}(1, m_K*^2/m_B^2, m_a^2/m_B^2).
    Amplitudes in the b -> s convention (Bbar0 -> Kbar*0 a), as the other K* decays of bkgen."""
    ff = form_factors.get("B->K*", p["form_factors_BKstar"])
    m_b, m_a = mass(511), p["m_a"]
    shape = meson_line_shape(313, (321, -211), p, m_b - m_a)

    def rate_of_mode(br):
        def rate(q2, m_v):
            # eq. (9) through the operator basis: pseudoscalar current, A_0 (_width_b_to_m)
            m_v = np.broadcast_to(np.asarray(m_v, dtype=float), np.broadcast(np.asarray(q2), np.asarray(m_v)).shape)
            return _width_b_to_m(p, ff, m_b, m_v) * br
        return rate

    return _channels(p, "B0 -> K*0 a", rate_of_mode, parent=-511, meson=-313, meson_daughters=(-321, 211),
                     line_shape=shape, visible_br=BR_KSTAR0_KPPIM)


def _validate(p: dict, decay: str) -> None:
    if total_width(p) <= 0.0:
        raise InputError("model: the ALP has no open decay mode at these couplings; allowed: a non-zero "
                         "C_qq_A, C_ll_A, C_gamma_UV, C_G_UV or C_chichi_A (with 2 m_chi < m_a)")
    if decay == "B+ -> K+ a":
        limit = mass(521) - mass(321)
        coupling = ("C_sb_V", p["C_sb_V"])
    else:
        limit = mass(511) - mass(321) - mass(211)
        coupling = ("C_sb_A", p["C_sb_A"])
    if decay == "B0 -> K*0 a":  # the truncated K* line shape must fit below m_B - m_a
        v = particle(313)
        limit = min(limit, mass(511) - max(v.mass - p["line_shape_halfwidths"] * v.width, mass(321) + mass(211)))
    if p["m_a"] >= limit - 1e-3:
        raise InputError(f"model.m_a = {p['m_a']!r} closes {decay}; allowed: m_a < {limit - 1e-3:.4f} GeV")
    if coupling[1] == 0.0:
        raise InputError(f"model.{coupling[0]} = 0 switches {decay} off; allowed: a non-zero coupling")


def summary(p: dict) -> dict:
    """ALP properties at the card's parameters (for ``bkgen info`` and run_info)."""
    return {
        "m_a_GeV": p["m_a"],
        "f_a_GeV": p["f_a"],
        "alpha_s_m_a": alpha_s_at_m_a(p),
        "C_gamma_eff": abs(c_gamma_eff(p)),
        "C_G_eff": abs(c_g_eff(p)),
        "Gamma_a_GeV": total_width(p),
        "ctau_a_m": ctau(p) * 1e-3,
        "br_a": branching_ratios(p),
    }


MODEL = Model(
    name="alp",
    doc="Long-lived axion-like particle with dark-matter fermion chi, B -> K(*) a, displaced a decays",
    source="seed 003 sec. II: Calibbi, Li, Mukherjee, Schmidt, arXiv:2502.04900",
    parameters=(
        Parameter("m_a", 2.0, "GeV", "ALP mass (perturbative hadronic widths: >= 1 GeV)", float, 1.0, 4.78),
        Parameter("f_a", 1e8, "GeV", "ALP decay constant (eq. 3)", float, 1e2, 1e18),
        Parameter("C_sb_V", 1.0, "", "vector b-s coupling C_sb^V (eq. 3, 8)", float, -1e6, 1e6),
        Parameter("C_sb_A", 1.0, "", "axial b-s coupling C_sb^A (eq. 3, 9)", float, -1e6, 1e6),
        Parameter("C_qq_A", 1.0, "", "universal flavour-conserving axial quark coupling C_qq^A (eq. 3, 5, 13)",
                  float, -1e6, 1e6),
        Parameter("C_ll_A", 0.0, "", "universal axial charged-lepton coupling C_ll^A (eq. 3, 5, 13)", float, -1e6, 1e6),
        Parameter("C_gamma_UV", 0.0, "", "UV photon coupling C_gamma^UV (eq. 4-5)", float, -1e6, 1e6),
        Parameter("C_G_UV", 0.0, "", "UV gluon coupling C_G^UV (eq. 4-5)", float, -1e6, 1e6),
        Parameter("C_chichi_A", 1.0, "", "axial ALP-DM coupling C_chichi^A (eq. 7, 12)", float, -1e6, 1e6),
        Parameter("m_chi", 1e-3, "GeV", "dark-matter mass", float, 0.0, 5.0),
        Parameter("chi_type", "dirac", "", "chi Dirac (eq. 7, 12) or Majorana (footnote 5: width x 2)", str,
                  choices=("dirac", "majorana")),
        Parameter("alpha_s_2GeV", ALPHA_S_2GEV, "", "alpha_s(2 GeV), run at two loops to m_a for eq. (14)",
                  float, 0.05, 1.0),
        Parameter("form_factors_BK", "GKvD2018", "", "B -> K f_0 parametrisation (eq. 8)", str,
                  choices=form_factors.available("B->K")),
        Parameter("form_factors_BKstar", "BSZ2015", "", "B -> K* A_0 parametrisation (eq. 9)", str,
                  choices=("BSZ2015", "BSZ2015-LCSR")),
        *LINE_SHAPE_PARAMETERS,
    ),
    decays=(
        Decay("B+ -> K+ a", "long-lived ALP, seed 003 eq. (8), a decays eq. (12)-(15)", build_k, 521,
              extension="long_lived", summary=summary),
        Decay("B0 -> K*0 a", "K*0 -> K+ pi-, seed 003 eq. (9), a decays eq. (12)-(15)", build_kstar, 511,
              amplitude_conjugate=True, extension="long_lived", summary=summary),
    ),
    validate=_validate,
    # B -> K a ~ |C_sb^V|^2 (eq. 8), B -> K* a ~ |C_sb^A|^2 (eq. 9); the a widths do not involve them
    rate_scaling=(RateScaling("C_sb_V", 2.0, ("B+ -> K+ a",)), RateScaling("C_sb_A", 2.0, ("B0 -> K*0 a",))),
    symbols={"m_a": "$m_a$", "f_a": "$f_a$", "C_sb_V": "$C_{sb}^V$", "C_sb_A": "$C_{sb}^A$", "C_qq_A": "$C_{qq}^A$",
             "C_ll_A": "$C_{\\ell\\ell}^A$", "C_gamma_UV": "$C_\\gamma^{UV}$", "C_G_UV": "$C_G^{UV}$",
             "C_chichi_A": "$C_{\\chi\\chi}^A$", "m_chi": "$m_\\chi$", "alpha_s_2GeV": "$\\alpha_s(2\\,\\mathrm{GeV})$"},
)
