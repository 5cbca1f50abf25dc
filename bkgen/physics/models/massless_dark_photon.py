"""Massless dark photon with a dark chromomagnetic-dipole b -> s gamma_D coupling.

Source: Gabrielli, Marzola, Muursepp, Raidal, EPJC (2024), seed 000
(shared/seeds/000_1d5ebfc8e705bca1.txt). Lagrangian eq. (2.1)-(2.2).

Decays:
* B+ -> K+ Q Qbar through an off-shell gamma_D, one channel per dark-fermion
  generation (mass m_Q, U(1)_D charge q_i): eq. (3.2)-(3.9), Sommerfeld-Fermi
  factor eq. (3.13)-(3.14), dark magnetic-dipole correction eq. (3.15)-(3.17).
* B0 -> K*0 gamma_D, K*0 -> K+ pi- (eq. 4.4) and Bs -> phi gamma_D, phi -> K+ K-
  (eq. 4.4 with the Bs -> phi form factor, cf. eq. 6.7).
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from .. import form_factors
from ..inputs import (
    BR_KSTAR0_KPPIM,
    BR_PHI_KPKM,
    PDG_DARK_FERMION,
    PDG_DARK_PHOTON,
    mass,
    particle,
)
from .base import (
    LINE_SHAPE_PARAMETERS,
    Y_STABLE,
    Y_VECTOR,
    Channel,
    Decay,
    Model,
    Parameter,
    RateScaling,
    kallen,
    meson_line_shape,
    scalar_meson_helicity,
)

TEV = 1e3  # GeV
#: largest alpha_D and alpha_D q^2 (the perturbative bound 4 pi of the alpha_D parameter)
ALPHA_MAX = 4 * np.pi
#: dark-fermion charges |q|: O(1) by seed 000 footnote 1 (the overall strength is alpha_D); these
#: bounds keep alpha_D q^2 within the double range of every rate (3 decades either side of 1)
CHARGE_MIN, CHARGE_MAX = 1e-3, 1e3


def sommerfeld_beta(s, m_q):
    """beta_12 of seed 000 eq. (3.14), as printed: sqrt(1 - m_Q^4 / (s - 2 m_Q^2)^2)."""
    return np.sqrt(np.clip(1.0 - m_q**4 / (s - 2.0 * m_q**2) ** 2, 0.0, None))


def sommerfeld_factor(s, m_q, alpha_d, charge):
    """Sommerfeld-Fermi factor Omega(beta_12) of seed 000 eq. (3.13)."""
    x = 2.0 * np.pi * alpha_d * charge**2 / sommerfeld_beta(s, m_q)
    return x / -np.expm1(-x)


def magnetic_form_factor(s_hat, mq_hat, alpha_d, charge):
    """Dark magnetic form factor F_2(s_hat) of seed 000 eq. (3.17) (complex; the log's
    argument is negative above threshold, so the principal branch gives +i pi)."""
    s_hat = np.asarray(s_hat, dtype=float)
    root = np.sqrt(np.clip(s_hat * (s_hat - 4.0 * mq_hat**2), 0.0, None))
    # (2 m^2 - s + r) / (2 m^2) rewritten as -4 m^2 s / (s + r)^2 (equal since (s - r)(s + r) = 4 m^2 s),
    # free of the cancellation between s and r when m_Q << sqrt(s)
    arg = -4.0 * mq_hat**2 * s_hat / (s_hat + root) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        f2 = alpha_d * charge**2 / (2.0 * np.pi) * mq_hat / root * np.log(arg.astype(complex))
    return np.where(root > 0.0, f2, 0.0)


def dipole_correction(s_hat, mq_hat, alpha_d, charge):
    """Delta_M(s_hat) of seed 000 eq. (3.16)."""
    if mq_hat == 0.0:
        return np.zeros_like(np.asarray(s_hat, dtype=float))
    f2 = magnetic_form_factor(s_hat, mq_hat, alpha_d, charge)
    return 4.0 * mq_hat * f2.real + np.abs(f2) ** 2 * (s_hat + 8.0 * mq_hat**2) / 3.0


def _kqq_rate(p, ff, m_b, m_k, m_q, charge):
    """dGamma/ds(B -> K Q Qbar) [GeV^-1]: seed 000 eq. (3.6) (m_b cancels between its two
    factors), times Omega of eq. (3.13) and with lambda -> lambda (1 + Delta_M), eq. (3.15)."""
    lam_ = p["Lambda_TeV"] * TEV
    alpha = p["alpha_D"] * charge**2
    mk_hat = m_k / m_b
    mq_hat = m_q / m_b

    def rate(s, m_meson=None):
        s = np.asarray(s, dtype=float)
        s_hat = s / m_b**2
        lam = kallen(1.0, mk_hat**2, s_hat)
        with np.errstate(invalid="ignore", divide="ignore"):
            beta2 = np.clip(1.0 - 4.0 * mq_hat**2 / s_hat, 0.0, None)
        u_bar = np.sqrt(np.clip(lam, 0.0, None) * beta2)  # eq. (3.7)
        lam_eff = lam * (1.0 + dipole_correction(s_hat, mq_hat, alpha, 1.0)) if p["dipole_correction"] else lam
        d_gamma_ds_hat = (
            alpha * m_b**3 / (32.0 * np.pi**2 * lam_**2) * u_bar * (lam_eff - u_bar**2 / 3.0)
            / (1.0 + mk_hat) ** 2 * ff.f_T(s) ** 2
        )
        if p["sommerfeld"]:
            d_gamma_ds_hat = d_gamma_ds_hat * sommerfeld_factor(s, m_q, p["alpha_D"], charge)
        return np.where(beta2 > 0.0, d_gamma_ds_hat / m_b**2, 0.0)

    def pair_weights(s, m_meson=None):
        # Four-vector level: the hadronic current contracts to (p_B + p_K)_mu [Q Gamma^mu Q] (eq. 3.2-3.3),
        # so in the Q Qbar rest frame |M|^2 ~ |G_M|^2 s sin^2(theta_Q) + |G_E|^2 4 m_Q^2 cos^2(theta_Q)
        # with the Sachs combinations G_M = 1 + f, G_E = 1 + s f / (4 m_Q^2) of the dark-fermion vertex,
        # f = 2 m_Q/m_B F_2(s_hat) of eq. (3.17). Averaged over theta this is exactly
        # lambda (1 + Delta_M) - u_bar^2/3 with Delta_M of eq. (3.16); without the correction
        # (f = 0) it is 1 - beta^2 cos^2(theta_Q).
        s = np.asarray(s, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            thr = np.clip(4.0 * m_q**2 / s, 0.0, 1.0)  # 1 - beta^2
        w = np.empty(s.shape + (3,))
        if p["dipole_correction"] and m_q > 0.0:
            f = 2.0 * mq_hat * magnetic_form_factor(s / m_b**2, mq_hat, alpha, 1.0)
            g_m2 = np.abs(1.0 + f) ** 2
            g_e2 = np.abs(1.0 + f / np.where(thr > 0, thr, 1.0)) ** 2
        else:
            g_m2 = g_e2 = np.ones_like(s)
        w[..., 0] = g_m2
        w[..., 1] = thr * g_e2
        w[..., 2] = g_m2
        return w

    return rate, pair_weights


def build_kqq(p: dict) -> list[Channel]:
    """One channel per dark-fermion generation."""
    ff = form_factors.get("B->K", p["form_factors_BK"])
    m_b, m_k = mass(521), mass(321)
    channels = []
    for i, fermion in enumerate(p["dark_fermions"]):
        m_q, charge = float(fermion["mass"]), float(fermion.get("charge", 1.0))
        rate, weights = _kqq_rate(p, ff, m_b, m_k, m_q, charge)
        channels.append(
            Channel(
                label=f"B+ -> K+ Q{i + 1} Q{i + 1}bar (m_Q = {m_q:g} GeV, q = {charge:g})",
                parent=521,
                meson=321,
                y=PDG_DARK_PHOTON,
                y_daughters=(PDG_DARK_FERMION, -PDG_DARK_FERMION),
                meson_daughters=None,
                y_mode=Y_VECTOR,
                rate=rate,
                helicity=scalar_meson_helicity,
                pair_weights=weights,
                y_in_record=False,
                masses={PDG_DARK_FERMION: m_q},
                invisible=True,
                mode=f"Q{i + 1} Q{i + 1}bar",
            )
        )
    return channels


def _vector_gamma_d(p: dict, parent: int, meson: int, daughters, transition: str, ff_name: str, vis_br: float):
    """B -> V gamma_D with a real massless gamma_D: seed 000 eq. (4.4) at the sampled V mass."""
    ff = form_factors.get(transition, ff_name)
    m_b = mass(parent)
    lam_ = p["Lambda_TeV"] * TEV
    t1_0 = float(ff.T1(0.0))
    v = particle(meson)
    shape = meson_line_shape(meson, daughters, p, m_b)

    def rate(s, m_meson):
        # eq. (4.4): Gamma = m_B^3 |T1(0)|^2 (1 - m_V^2/m_B^2)^3 / (32 pi Lambda^2)
        m_meson = np.asarray(m_meson, dtype=float)
        return m_b**3 * t1_0**2 * (1.0 - m_meson**2 / m_b**2) ** 3 / (32.0 * np.pi * lam_**2)

    def helicity(s, m_meson):
        # only T1 contributes (seed 000 below eq. 4.3): |H+| = |H-|, H0 = 0 for a real photon
        shape_ = np.broadcast(np.asarray(s), np.asarray(m_meson)).shape
        h = np.zeros(shape_ + (3,))
        h[..., 0] = 1.0
        h[..., 2] = 1.0
        return h

    def weights(s, m_meson):
        shape_ = np.broadcast(np.asarray(s), np.asarray(m_meson)).shape
        return np.ones(shape_ + (3,))

    return Channel(
        label=f"{particle(parent).name} -> {v.name} gamma_D",
        parent=parent, meson=meson, y=PDG_DARK_PHOTON, y_daughters=None, meson_daughters=tuple(daughters),
        y_mode=Y_STABLE, rate=rate, helicity=helicity, pair_weights=weights, q2_fixed=0.0,
        line_shape=shape, y_mass=0.0, visible_br=vis_br, invisible=True,
    )


def build_kstar_gamma_d(p: dict) -> list[Channel]:
    return [_vector_gamma_d(p, 511, 313, (321, -211), "B->K*", p["form_factors_BKstar"], BR_KSTAR0_KPPIM)]


def build_phi_gamma_d(p: dict) -> list[Channel]:
    return [_vector_gamma_d(p, 531, 333, (321, -321), "Bs->phi", p["form_factors_Bsphi"], BR_PHI_KPKM)]


def _validate(p: dict, decay: str) -> None:
    """Joint conditions; kinds and per-key ranges of the dark-fermion tables are checked by the card
    against ``Parameter.items``."""
    if decay != "B+ -> K+ Q Qbar":
        return
    fermions = p["dark_fermions"]
    if len(fermions) < 1:
        raise InputError("model.dark_fermions has 0 entries; allowed: N_Q >= 1 tables {mass, charge}")
    q2_max = (mass(521) - mass(321)) ** 2
    for i, f in enumerate(fermions):
        unknown = set(f) - {"mass", "charge"}
        if unknown:
            raise InputError(f"model.dark_fermions[{i}] has unknown key {sorted(unknown)[0]!r}; allowed: 'mass', 'charge'")
        if "mass" not in f:
            raise InputError(f"model.dark_fermions[{i}].mass is missing; allowed: a mass in GeV >= 0")
        m = f["mass"]
        if not isinstance(m, (int, float)) or isinstance(m, bool) or not np.isfinite(m) or m < 0:
            raise InputError(f"model.dark_fermions[{i}].mass = {m!r}; allowed: a finite mass in GeV >= 0")
        if 4 * m * m >= q2_max:
            raise InputError(
                f"model.dark_fermions[{i}].mass = {m!r} closes B+ -> K+ Q Qbar; allowed: 2 m_Q < m_B - m_K = {np.sqrt(q2_max):.4f} GeV"
            )
        q = f["charge"]
        if not CHARGE_MIN <= abs(q) <= CHARGE_MAX:
            raise InputError(f"model.dark_fermions[{i}].charge = {q!r}; allowed: {CHARGE_MIN:g} <= |q| <= {CHARGE_MAX:g}")
        if p["alpha_D"] * q * q > ALPHA_MAX:
            raise InputError(
                f"model.dark_fermions[{i}].charge = {q!r} with model.alpha_D = {p['alpha_D']!r} gives alpha_D q^2 = "
                f"{p['alpha_D'] * q * q:.4g}; allowed: alpha_D q^2 <= 4 pi (the perturbative bound of alpha_D)"
            )


MODEL = Model(
    name="massless_dark_photon",
    doc="Massless dark photon with a dark chromomagnetic-dipole b -> s gamma_D operator",
    source="seed 000: Gabrielli, Marzola, Muursepp, Raidal, EPJC (2024)",
    parameters=(
        Parameter("alpha_D", 1.0, "", "dark fine-structure constant e_D^2/4pi (eq. 2.2)", float, 1e-12, ALPHA_MAX),
        Parameter("Lambda_TeV", 9.56e4, "TeV", "effective scale of the dipole operator (eq. 2.1)", float, 1e-3, 1e12),
        Parameter(
            "dark_fermions", [{"mass": 0.5, "charge": 1.0}] * 3, "GeV",
            "dark-fermion generations: list of {mass [GeV], charge}", list,
            items=(
                # kinematic limit 2 m_Q <= m_B - m_K (the open channel, 2 m_Q < m_B - m_K, in _validate)
                Parameter("mass", None, "GeV", "dark-fermion mass", float, 0.0, 0.5 * (mass(521) - mass(321))),
                # footnote 1 of seed 000: charges of the same order, the overall strength is alpha_D;
                # |q| in [CHARGE_MIN, CHARGE_MAX] and alpha_D q^2 <= 4 pi in _validate
                Parameter("charge", 1.0, "", "U(1)_D charge q (enters as alpha_D q^2)", float, -CHARGE_MAX, CHARGE_MAX),
            ),
        ),
        Parameter("sommerfeld", True, "", "include the Sommerfeld-Fermi factor (eq. 3.13-3.14)", bool),
        Parameter("dipole_correction", False, "", "include the dark magnetic-dipole correction (eq. 3.15-3.17)", bool),
        Parameter("form_factors_BK", "BHvDW2012", "", "B -> K f_T parametrisation", str,
                  choices=form_factors.available("B->K")),
        Parameter("form_factors_BKstar", "BSZ2015-LCSR", "", "B -> K* T1 parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR")),
        Parameter("form_factors_Bsphi", "BSZ2015-LCSR", "", "Bs -> phi T1 parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR")),
        *LINE_SHAPE_PARAMETERS,
    ),
    decays=(
        Decay("B+ -> K+ Q Qbar", "three-body through an off-shell gamma_D (seed 000 sec. 3)", build_kqq, 521),
        Decay("B0 -> K*0 gamma_D", "real gamma_D, K*0 -> K+ pi- (seed 000 eq. 4.4)", build_kstar_gamma_d, 511),
        Decay("Bs0 -> phi gamma_D", "real gamma_D, phi -> K+ K- (seed 000 eq. 4.4, 6.7)", build_phi_gamma_d, 531),
    ),
    validate=_validate,
    # the dipole operator carries 1/Lambda (eq. 2.1; eq. 4.4: Gamma ~ 1/Lambda^2): every rate ~ Lambda^-2
    rate_scaling=(RateScaling("Lambda_TeV", -2.0),),
    symbols={"alpha_D": "$\\alpha_D$", "Lambda_TeV": "$\\Lambda$"},
)
