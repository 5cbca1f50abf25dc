"""Model ``eft``: b -> s + invisible in one operator basis (bkgen.physics.amplitudes).

A card sets the coefficients of five operator families; the amplitudes are those of
:mod:`bkgen.physics.amplitudes` (every formula cited there).

* Neutrinos, weak effective theory as EOS ``sbnunu`` and Felkl-Li-Schmidt arXiv:2111.04327:
  H = (4 G_F/sqrt2) V_tb V_ts* (alpha/(2 pi)) sum_f sum_i C_i^f O_i^f + h.c., i = VL, VR, SL, SR, TL,
  O_VL,R = (s gamma^mu P_L,R b)(nu_f gamma_mu P_L nu_f), O_SL,R = (s P_L,R b)(nu_f P_L nu_f),
  O_TL = (s sigma^{mu nu} b)(nu_f sigma_mu nu P_L nu_f). Values include the SM: C_VL^SM = X_t/sin^2 theta_W
  with the seed 000 inputs (G_F, alpha = 1/127.925, |V_tb V_ts| = 0.0401, X_t = 1.462, sin^2 theta_W =
  0.23126, bkgen.physics.inputs), so the SM point is exactly the ``sm`` model (seed 000 eq. 3.10).
  Scalar and tensor operators need a right-handed neutrino state: ``neutrino_ST`` = "majorana" (EOS/FLS:
  lepton-number-violating operators of Majorana nu, rate x 2) or "dirac" (light nu_R); see amplitudes.
  Scalar coefficients are defined at mu = m_b with MS-bar m_b(m_b), m_s(m_b)
  (amplitudes.default_quark_masses); :func:`to_eos_sbnunu` keeps C_S/(m_b - m_s) fixed when converting
  (m_b + m_s then agrees to the precision of the leading-order running of m_s).
  The SM point has no tree-level B+ -> tau+ (-> K+ nubar) nu contribution (double-charged-current,
  not b -> s nu nubar): it is left out, as in Belle II's signal template (arXiv:2311.14647).
* Dark fermion pair chi (Dirac or Majorana, mass m_chi): (s Gamma b)(chi Gamma' chi) with
  Gamma, Gamma' in {1, gamma5, gamma^mu, gamma^mu gamma5} (He-Ma-Valencia arXiv:2309.12741; coefficients
  C_chi_XY [GeV^-2] = C/Lambda^2, X the quark and Y the chi current).
* Scalar pair phi (real or complex): (s b)(phi^dag phi), (s gamma5 b)(phi^dag phi),
  (s gamma^mu [gamma5] b)(phi^dag i d<->_mu phi) [GeV^-2].
* Vector pair X (real or complex): the vector-DM list of the seed 002 back-up slides (He-Ma-Valencia, numbered
  as in its second printing): (s [gamma5] b)(X^dag_mu X^mu) [GeV^-1] (C_X_S, C_X_P), the tensor operators O_qX1,2^T
  (C_X_T1, C_X_T2) [GeV^-1], and O_qX2..6^V with the vector or axial quark current [GeV^-2] (C_X_V/C_X_A for
  O_qX4^V = (X^dag_nu i d<->_mu X^nu), C_X_V2/A2, V3/A3, V5/A5, V6/A6); amplitudes.vector_pair.
* One on-shell state: a vector Z' with the dimension-4, -5, -6 couplings of Altmannshofer et al. (seed
  002 back-up slide eq. 2; Lambda in GeV), or a (pseudo)scalar a with s (g_L P_L + g_R P_R) b and
  derivative couplings (d_mu a)/Lambda s gamma^mu (g'_L P_L + g'_R P_R) b. Z' and a are stable and
  invisible here (written to the record, PDG 55 and 54).

Every coefficient and coupling may be complex: a card writes {re = x, im = y} (config.card; a plain number is
real); interference terms are 2 Re(c_1 c_2* X). Complex amplitudes are generated with all their terms, the T-odd
sin(chi), sin(2 chi) ones of B -> V included (amplitudes.kernel_components). These tree-level amplitudes have no
strong (absorptive) phase, so every relative phase is CP-odd: that of complex coefficients, and the factor i between
some vector-DM operators with real coefficients (e.g. C_X_V with C_X_T2 or C_X_V6; their four-body distribution is
checked covariantly in tests/test_covariant_kstar.py), which are CP-violating combinations in this basis. The
CP-conjugate decay has the complex-conjugate amplitudes (Channel.weak_phases): its T-odd terms have the opposite sign.

Decays (names as in cards): B+ -> K+, B0 -> K0, B0 -> K*0, B+ -> K*+, Bs -> phi, each with
"nu nubar", "chi chibar", "phi phi", "X X", "Z'", "a". The K0 is written as a K_S0 that is not decayed
in the record (K0 -> K_S0 with probability 1/2 in its visible BR; K_S0 -> pi+ pi- left to the detector
simulation, c tau = 26.8 mm). K*0 -> K+ pi-; K*+ -> K_S0 pi+ and K+ pi0 as two channels sharing the rate
2:1 (isospin), each K_S0 counted with 1/2; phi -> K+ K-. Every physical channel may be split into the
kernel's incoherent components (amplitudes.kernel_components; labels end in [sigma=...] or [J=0]).
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from .. import amplitudes, form_factors
from ..inputs import (
    ALPHA_EW_INV_MT,
    BR_KSTAR0_KPPIM,
    BR_PHI_KPKM,
    G_FERMI,
    PDG_ALP,
    PDG_DARK_FERMION,
    PDG_DARK_PHOTON,
    PDG_SCALAR_DM,
    PDG_VECTOR_DM,
    SIN2_THETA_W,
    VTB_VTS,
    X_T,
    mass,
    particle,
)
from .base import (LINE_SHAPE_PARAMETERS, Y_STABLE, Y_VECTOR, Channel, Decay, Model, Parameter, complex_value,
                   meson_line_shape)

FLAVOURS = (("e", 12), ("mu", 14), ("tau", 16))
NU_OPS = ("VL", "VR", "SL", "SR", "TL")
CHI_OPS = ("VV", "AV", "VA", "AA", "SS", "PS", "SP", "PP", "TT", "TT5")
PAIR_OPS = ("S", "P", "V", "A")
#: further vector-DM operators (He-Ma-Valencia; numbering of the second printing on the seed 002 back-up slides):
#: O_qX2,3,5,6^V with the vector (Vk) and axial (Ak) quark current, O_qX1^T (T1) and O_qX2^T (T2)
X_OPS = ("V2", "A2", "V3", "A3", "V5", "A5", "V6", "A6", "T1", "T2")
#: those that vanish for a real X (marked (x) on the slide), besides C_X_V/C_X_A (O_qX4^V)
X_OPS_COMPLEX_ONLY = ("V5", "A5", "V6", "A6", "T1", "T2")
#: BR(K*(892) -> K pi) = 99.9 % (PDG RPP 2024 K*(892) listing), split 2:1 into K0 pi+ : K+ pi0 (isospin)
BR_KSTAR_KPI = 0.999
#: probability that a K0 (or K0bar) is seen as a K_S0 (equal K_S/K_L admixture, CP violation neglected)
P_K0_TO_KS = 0.5


def c_vl_sm() -> float:
    """SM value C_VL = X_t/sin^2 theta_W in this normalisation (seed 000 inputs after eq. 3.10)."""
    return X_T / SIN2_THETA_W


def norm_nunu() -> float:
    """4 G_F/sqrt2 |V_tb V_ts| alpha/(2 pi) [GeV^-2], alpha = 1/127.925 (seed 000 after eq. 3.10)."""
    return 4.0 * G_FERMI / np.sqrt(2.0) * VTB_VTS / ALPHA_EW_INV_MT / (2.0 * np.pi)


def _numbers(p) -> dict:
    """The card's parameters with complex coefficients as Python complex numbers (base.complex_value)."""
    return {k: complex_value(v) for k, v in p.items()}


# ---- conversions -----------------------------------------------------------------------------------
def to_eos_sbnunu(p: dict, flavour: str, g_fermi: float, alpha_e: float, abs_lambda_t: float,
                  m_b_mu: float, m_s_mu: float) -> dict:
    """EOS ``sbnunu`` coefficients (cVL, cVR, cSL, cSR, cTL) that give the same amplitudes as the card's
    coefficients of one neutrino flavour, given EOS's normalisation inputs (WET::G_Fermi,
    QED::alpha_e(m_b), |lambda_t|) and MS-bar masses at sbnunu::mu. The operators are identical; the
    coefficients scale with the ratio of normalisations, and the scalar ones keep C_S/(m_b - m_s)
    (RG-invariant with the scalar current). EOS's S/T convention is ``neutrino_ST = "majorana"``.
    Complex coefficients stay complex (EOS's sbnunu parameters Re{cX}, Im{cX})."""
    p = _numbers(p)
    if p["neutrino_ST"] != "majorana":
        raise ValueError("EOS sbnunu uses Majorana neutrinos for the scalar/tensor operators; allowed: "
                         "model.neutrino_ST = 'majorana'")
    r = norm_nunu() / (4.0 * g_fermi / np.sqrt(2.0) * abs_lambda_t * alpha_e / (2.0 * np.pi))
    m_b, m_s = amplitudes.default_quark_masses()
    rs = (m_b_mu - m_s_mu) / (m_b - m_s)
    out = {f"c{op}": r * p[f"C_{op}_{flavour}"] for op in NU_OPS}
    out["cSL"] *= rs
    out["cSR"] *= rs
    return out


def to_flavio(p: dict, flavour: str) -> dict:
    """flavio's C_L, C_R (WET basis 'flavio', sector 'nunu': CL_bsnunuX, CR_bsnunuX) of one flavour: the
    new-physics shifts in the normalisation H = -(4 G_F/sqrt2) V_tb V_ts* (e^2/16 pi^2)(C_L O_L + C_R O_R),
    O_L,R = (s gamma_mu P_L,R b)(nu gamma^mu (1 - gamma5) nu) (Buras et al. arXiv:1409.4557 eq. 2.1, whose
    O_L carries the (1 - gamma5) of the neutrino current, i.e. 2 O_VL, and e^2/16 pi^2 = alpha/(4 pi): the
    magnitudes agree) with the opposite overall sign (flavio's C_L^SM = -X_t/sin^2 theta_W):
    C_L = -(C_VL - C_VL^SM), C_R = -C_VR (complex allowed). flavio has no scalar or tensor operators: they
    must vanish."""
    p = _numbers(p)
    if any(p[f"C_{op}_{flavour}"] != 0.0 for op in ("SL", "SR", "TL")):
        raise ValueError(f"flavio has no scalar/tensor b -> s nu nubar operators; C_SL/SR/TL_{flavour} must be 0")
    return {f"CL_bsnunu{flavour}": -(p[f"C_VL_{flavour}"] - c_vl_sm()), f"CR_bsnunu{flavour}": -p[f"C_VR_{flavour}"]}


# ---- mesons -----------------------------------------------------------------------------------------
#: decay prefix -> (parent PDG of the amplitudes, meson PDG in the record, transition, meson for the
#: form-factor masses, list of (meson daughters, share of the rate, visible BR), amplitude_conjugate,
#: named parent)
MESONS = {
    "B+ -> K+": (521, 321, "B->K", 321, [(None, 1.0, 1.0)], False, 521),
    "B0 -> K0": (511, 310, "B->K", 311, [(None, 1.0, P_K0_TO_KS)], False, 511),
    "B0 -> K*0": (-511, -313, "B->K*", 313, [((-321, 211), 1.0, BR_KSTAR0_KPPIM)], True, 511),
    "B+ -> K*+": (-521, -323, "B->K*", 323,
                  [((310, -211), 2.0 / 3.0, BR_KSTAR_KPI * P_K0_TO_KS), ((-321, 111), 1.0 / 3.0, BR_KSTAR_KPI)],
                  True, 521),
    "Bs -> phi": (-531, 333, "Bs->phi", 333, [((321, -321), 1.0, BR_PHI_KPKM)], True, 531),
}
FINAL_STATES = ("nu nubar", "chi chibar", "phi phi", "X X", "Z'", "a")


def _form_factors(p: dict, transition: str, parent: int, meson_ff: int):
    key = {"B->K": "form_factors_BK", "B->K*": "form_factors_BKstar", "Bs->phi": "form_factors_Bsphi"}[transition]
    return form_factors.get(transition, p[key], m_B=mass(parent), m_M=mass(meson_ff))


def _pair_amplitude_fns(p: dict, final: str, ff, m_b: float):
    """[(label, PairAmplitudes callable of (q2, m_M), y_daughters, masses, self_conjugate)] of one final state."""
    out = []
    if final == "nu nubar":
        norm = norm_nunu()
        st = 2.0 if p["neutrino_ST"] == "majorana" else 1.0
        for name, nu in FLAVOURS:
            c = [p[f"C_{op}_{name}"] for op in NU_OPS]
            if not any(c):
                continue
            out.append((f"{particle(nu).name} anti-{particle(nu).name}",
                        lambda q2, m, c=c: amplitudes.nunu(ff, q2, m_b, m, norm, *c, st_factor=st),
                        (nu, -nu), {}, set()))
    elif final == "chi chibar":
        maj = p["chi_type"] == "majorana"
        c = {op: p[f"C_chi_{op}"] for op in CHI_OPS}
        out.append(("chi chi" if maj else "chi chibar", lambda q2, m: amplitudes.fermion_pair(
            ff, q2, m_b, m, p["m_chi"], (c["VV"], c["AV"]), (c["VA"], c["AA"]), (c["SS"], c["PS"]),
            (c["SP"], c["PP"]), majorana=maj, c_t=(c["TT"], c["TT5"])),
            (PDG_DARK_FERMION, PDG_DARK_FERMION if maj else -PDG_DARK_FERMION), {PDG_DARK_FERMION: p["m_chi"]},
            {PDG_DARK_FERMION} if maj else set()))
    elif final in ("phi phi", "X X"):
        pre, pdg, fn = ("phi", PDG_SCALAR_DM, amplitudes.scalar_pair) if final == "phi phi" else \
            ("X", PDG_VECTOR_DM, amplitudes.vector_pair)
        real = p[f"{pre}_type"] == "real"
        c = {op: p[f"C_{pre}_{op}"] for op in PAIR_OPS + (X_OPS if pre == "X" else ())}
        extra = {}
        if pre == "X":
            extra = {f"c_v{k}": (c[f"V{k}"], c[f"A{k}"]) for k in (2, 3, 5, 6)}
            extra["c_t"] = (c["T1"], c["T2"])
        out.append((final, lambda q2, m: fn(ff, q2, m_b, m, p[f"m_{pre}"], (c["S"], c["P"]), (c["V"], c["A"]), real,
                                            **extra),
                    (pdg, pdg if real else -pdg), {pdg: p[f"m_{pre}"]}, {pdg} if real else set()))
    return out


def _y_mass(p: dict, final: str) -> float:
    return {"nu nubar": 0.0, "chi chibar": p["m_chi"], "phi phi": p["m_phi"], "X X": p["m_X"]}[final]


def two_body_width(p: dict, final: str, ff, m_b: float, m_m) -> np.ndarray:
    """Gamma(B -> M Z') or Gamma(B -> M a) [GeV] at meson mass m_m (amplitudes.vector_x_amplitudes,
    scalar_x_amplitude)."""
    if final == "Z'":
        h = amplitudes.vector_x_amplitudes(ff, m_b, m_m, p["m_Zp"], (p["g4_L"], p["g4_R"]), (p["g5_L"], p["g5_R"]),
                                           (p["g6_L"], p["g6_R"]), p["Lambda"])
        return amplitudes.two_body_width(m_b, m_m, p["m_Zp"], h)
    h = amplitudes.scalar_x_amplitude(ff, m_b, m_m, p["m_a"], (p["ga_L"], p["ga_R"]), (p["ga5_L"], p["ga5_R"]),
                                      p["Lambda"], g6=(p["ga6_L"], p["ga6_R"]))
    return amplitudes.two_body_width(m_b, m_m, p["m_a"], np.asarray(h)[..., None])


def _builder(prefix: str, final: str):
    parent, meson, transition, meson_ff, modes, _conj, _named = MESONS[prefix]

    def build(p: dict) -> list[Channel]:
        p = _numbers(p)
        ff = _form_factors(p, transition, parent, meson_ff)
        m_b = mass(parent)
        spin = 1 if transition != "B->K" else 0
        channels = []
        for daughters, share, vis in modes:
            shape = meson_line_shape(abs(meson), tuple(abs(d) for d in daughters), p, m_b) if daughters else None
            common = dict(parent=parent, meson=meson, meson_daughters=daughters, line_shape=shape, visible_br=vis)
            tag = f" (K*+ -> {particle(abs(daughters[0])).name} {particle(abs(daughters[1])).name})" \
                if prefix == "B+ -> K*+" else ""
            if final in ("Z'", "a"):
                m_y = p["m_Zp"] if final == "Z'" else p["m_a"]
                pdg = PDG_DARK_PHOTON if final == "Z'" else PDG_ALP
                if spin == 0:
                    def rate(q2, m_meson=None, s=share):
                        return np.full(np.shape(q2), s * float(two_body_width(p, final, ff, m_b, mass(meson_ff))))
                else:
                    def rate(q2, m_v, s=share):
                        shape_ = np.broadcast(np.asarray(q2), np.asarray(m_v)).shape
                        m_v = np.broadcast_to(np.asarray(m_v, dtype=float), shape_)
                        return s * two_body_width(p, final, ff, m_b, m_v)

                def helicity(q2, m_v=None):
                    mv = mass(meson_ff) if m_v is None else m_v
                    shape_ = np.broadcast(np.asarray(q2), np.asarray(mv)).shape
                    if final == "a":
                        h = np.zeros(shape_ + (3,))
                        h[..., 1] = 1.0
                        return h
                    h = amplitudes.vector_x_amplitudes(ff, m_b, np.broadcast_to(np.asarray(mv, dtype=float), shape_),
                                                       p["m_Zp"], (p["g4_L"], p["g4_R"]), (p["g5_L"], p["g5_R"]),
                                                       (p["g6_L"], p["g6_R"]), p["Lambda"])
                    return np.abs(h)  # a stable Z': the helicities add incoherently, only |H| enters

                def weights(q2, m_v=None):
                    return np.ones(np.broadcast(np.asarray(q2), np.asarray(0.0 if m_v is None else m_v)).shape + (3,))

                channels.append(Channel(
                    label=f"{prefix} {final}{tag}", y=pdg, y_daughters=None, y_mode=Y_STABLE, rate=rate,
                    helicity=helicity, pair_weights=weights, q2_fixed=m_y**2, y_mass=m_y,
                    invisible=True, **common))
                continue
            m_y = _y_mass(p, final)
            m_probe = mass(meson_ff) if spin == 0 else np.full(7, mass(meson_ff))
            q2_probe = np.linspace(4.0 * m_y**2, (m_b - mass(meson_ff)) ** 2, 9)[1:-1]
            for label, fn, ydau, masses, selfconj in _pair_amplitude_fns(p, final, ff, m_b):
                lo = 4.0 * m_y**2

                def amp(q2, m, fn=fn, lo=lo, memo={}):
                    # the kernel components of one channel evaluate the same amplitudes on the same grids
                    # (rate, helicity, weights per component): the last few results are kept
                    q2 = np.asarray(q2, dtype=float)
                    mm = mass(meson_ff) if m is None else np.asarray(m, dtype=float)
                    key = (q2.shape, q2.tobytes(), np.shape(mm), np.asarray(mm).tobytes())
                    if key not in memo:
                        if len(memo) >= 8:
                            memo.pop(next(iter(memo)))
                        hi = (m_b - mm) ** 2
                        memo[key] = fn(np.clip(q2, lo, hi), mm)
                    return memo[key]

                for name, rate_c, hel_c, w_c in amplitudes.kernel_components(amp, spin, q2_probe, m_probe):
                    def rate(q2, m=None, r=rate_c, lo=lo, share=share):
                        q2 = np.asarray(q2, dtype=float)
                        mm = mass(meson_ff) if m is None else np.asarray(m, dtype=float)
                        inside = (q2 >= lo) & (q2 <= (m_b - mm) ** 2)
                        return np.where(inside, r(q2, m) * share, 0.0)

                    suffix = f" [{name}]" if name else ""
                    channels.append(Channel(
                        label=f"{prefix} {label}{tag}{suffix}", y=0, y_daughters=ydau, y_mode=Y_VECTOR, rate=rate,
                        helicity=hel_c, pair_weights=w_c, y_in_record=False, weak_phases=True,
                        masses=masses, self_conjugate=frozenset(selfconj), invisible=True, **common))
        return channels

    return build


def _validate(p: dict, decay: str) -> None:
    p = _numbers(p)
    prefix, final = _split(decay)
    parent, _meson, _transition, meson_ff, modes, _c, _n = MESONS[prefix]
    m_lo = mass(meson_ff) if modes[0][0] is None else min(mass(abs(d[0])) + mass(abs(d[1])) for d, _s, _v in modes)
    room = mass(parent) - m_lo
    if final in ("chi chibar", "phi phi", "X X"):
        m = _y_mass(p, final)
        if 2.0 * m >= room:
            raise InputError(f"model.m_{final.split()[0]} = {m!r} closes {decay}; allowed: 2 m < {room:.4g} GeV")
    if final == "chi chibar" and p["chi_type"] == "majorana":
        for key in ("C_chi_VV", "C_chi_AV", "C_chi_TT", "C_chi_TT5"):
            if p[key]:
                raise InputError(f"model.{key} = {p[key]!r}: the vector and tensor currents of a Majorana chi vanish; "
                                 "allowed: 0 with chi_type = 'majorana'")
    for pre in ("phi", "X"):
        if final == ("phi phi" if pre == "phi" else "X X") and p[f"{pre}_type"] == "real" and \
                (p[f"C_{pre}_V"] or p[f"C_{pre}_A"]):
            raise InputError(f"model.C_{pre}_V/C_{pre}_A: the current vanishes for a real {pre}; allowed: 0 with "
                             f"{pre}_type = 'real'")
    if final == "X X" and p["X_type"] == "real":
        for op in X_OPS_COMPLEX_ONLY:
            if p[f"C_X_{op}"]:
                raise InputError(f"model.C_X_{op} = {p[f'C_X_{op}']!r}: the operator vanishes for a real X; allowed: 0 "
                                 "with X_type = 'real'")
    if final == "X X" and p["m_X"] <= 0.0:
        raise InputError("model.m_X = 0.0: a massive vector pair needs m_X > 0; allowed: m_X > 0")
    if final in ("Z'", "a"):
        m = p["m_Zp"] if final == "Z'" else p["m_a"]
        if m >= room:
            key = "m_Zp" if final == "Z'" else "m_a"
            raise InputError(f"model.{key} = {m!r} closes {decay}; allowed: < {room:.4g} GeV")
    nonzero = {
        "nu nubar": any(p[f"C_{op}_{f}"] for op in NU_OPS for f, _ in FLAVOURS),
        "chi chibar": any(p[f"C_chi_{op}"] for op in CHI_OPS),
        "phi phi": any(p[f"C_phi_{op}"] for op in PAIR_OPS),
        "X X": any(p[f"C_X_{op}"] for op in PAIR_OPS + X_OPS),
        "Z'": any(p[f"g{d}_{h}"] for d in (4, 5, 6) for h in "LR"),
        "a": any(p[k] for k in ("ga_L", "ga_R", "ga5_L", "ga5_R", "ga6_L", "ga6_R")),
    }[final]
    if not nonzero:
        raise InputError(f"model: every coefficient of {final!r} is zero, {decay} has no rate; allowed: set one")


def _split(decay: str) -> tuple[str, str]:
    for prefix in MESONS:
        if decay.startswith(prefix + " "):
            return prefix, decay[len(prefix) + 1:]
    raise InputError(f"process.decay = {decay!r} is not a decay of model 'eft'")


def _parameters() -> tuple[Parameter, ...]:
    ps = [
        Parameter("neutrino_ST", "majorana", "", "nu_R behind the scalar/tensor nu operators: 'majorana' (EOS, "
                  "Felkl-Li-Schmidt, Delta L = 2) or 'dirac' (light nu_R)", str, choices=("majorana", "dirac")),
    ]
    for op in NU_OPS:
        for f, _ in FLAVOURS:
            default = c_vl_sm() if op == "VL" else 0.0
            ps.append(Parameter(f"C_{op}_{f}", default, "", f"sbnunu coefficient C_{op} of nu_{f} (SM included; "
                                f"normalisation in the module docstring)", float, -1e6, 1e6, complex=True))
    ps += [
        Parameter("m_chi", 0.5, "GeV", "dark fermion mass", float, 0.0, 2.7),
        Parameter("chi_type", "dirac", "", "dark fermion: Dirac or Majorana", str, choices=("dirac", "majorana")),
    ]
    for op in CHI_OPS:
        if op.startswith("T"):
            doc = "(s sigma^{mu nu} b)(chi sigma_{mu nu} " + ("gamma5 chi)" if op == "TT5" else "chi)") + \
                ", Dirac chi only"
        else:
            doc = f"(s G_{op[0]} b)(chi G_{op[1]} chi), G_S = 1, G_P = gamma5, G_V = gamma^mu, G_A = gamma^mu gamma5"
        ps.append(Parameter(f"C_chi_{op}", 0.0, "GeV^-2", f"coefficient of {doc}", float, -1e3, 1e3, complex=True))
    for pre, what in (("phi", "scalar"), ("X", "vector")):
        ps += [Parameter(f"m_{pre}", 0.5, "GeV", f"{what} dark-matter mass", float, 0.0, 2.7),
               Parameter(f"{pre}_type", "complex", "", f"{what} dark matter: complex or real", str,
                         choices=("complex", "real"))]
        for op in PAIR_OPS:
            cur = {"S": "(s b)", "P": "(s gamma5 b)", "V": "(s gamma^mu b)", "A": "(s gamma^mu gamma5 b)"}[op]
            pair = "scalar" if op in "SP" else "vector (i d<->_mu)"
            unit = "GeV^-1" if op in "SP" else "GeV^-2"  # dimension-5 (S, P) and dimension-6 (V, A) operators
            ps.append(Parameter(f"C_{pre}_{op}", 0.0, unit, f"coefficient of {cur} x the {pair} {pre} current",
                                float, -1e3, 1e3, complex=True))
    docs = {"2": "d_nu (X^mu+ X^nu + X^nu+ X^mu) (O_qX2^V)",
            "3": "(X_rho+ d<->_nu X_sigma) eps^{mu nu rho sigma} (O_qX3^V)",
            "5": "i d_nu (X^mu+ X^nu - X^nu+ X^mu) (O_qX5^V, complex X)",
            "6": "i d_nu (X_rho+ X_sigma) eps^{mu nu rho sigma} (O_qX6^V, complex X)"}
    for op in X_OPS:
        if op[0] == "T":
            doc = ("(i/2)(s sigma^{mu nu} b)" if op == "T1" else "(1/2)(s sigma^{mu nu} gamma5 b)") + \
                f"(X_mu+ X_nu - X_nu+ X_mu) (O_qX{op[1]}^T, complex X)"
            unit = "GeV^-1"
        else:
            doc = ("(s gamma_mu b) " if op[0] == "V" else "(s gamma_mu gamma5 b) ") + docs[op[1]]
            unit = "GeV^-2"
        ps.append(Parameter(f"C_X_{op}", 0.0, unit, f"coefficient of {doc}", float, -1e3, 1e3, complex=True))
    ps += [Parameter("m_Zp", 2.0, "GeV", "Z' mass (seed 002: 2 GeV)", float, 1e-3, 4.7),
           Parameter("m_a", 2.0, "GeV", "on-shell (pseudo)scalar mass", float, 1e-3, 4.7),
           Parameter("Lambda", 1000.0, "GeV", "scale of the dimension-5 and -6 couplings", float, 1.0, 1e12)]
    for d in (4, 5, 6):
        for h in "LR":
            ps.append(Parameter(f"g{d}_{h}", 0.0, "", f"Z' coupling g_{h}^({d}) of seed 002 back-up eq. (2)", float,
                                -1.0, 1.0, complex=True))
    for k, doc in (("ga_L", "a s P_L b"), ("ga_R", "a s P_R b"), ("ga5_L", "(d_mu a)/Lambda s gamma^mu P_L b"),
                   ("ga5_R", "(d_mu a)/Lambda s gamma^mu P_R b"), ("ga6_L", "(d^2 a)/Lambda^2 s P_L b (dimension 6)"),
                   ("ga6_R", "(d^2 a)/Lambda^2 s P_R b (dimension 6)")):
        ps.append(Parameter(k, 0.0, "", f"coupling of {doc}", float, -1.0, 1.0, complex=True))
    ps += [
        Parameter("form_factors_BK", "GKvD2018", "", "B -> K parametrisation", str,
                  choices=form_factors.available("B->K")),
        Parameter("form_factors_BKstar", "BSZ2015", "", "B -> K* parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR")),
        Parameter("form_factors_Bsphi", "BSZ2015", "", "Bs -> phi parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR")),
        *LINE_SHAPE_PARAMETERS,
    ]
    return tuple(ps)


#: what each meson mode and final state of the decays is (``bkgen list``)
MESON_DOC = {
    "B+ -> K+": "B+ -> K+",
    "B0 -> K0": "B0 -> K0 (an undecayed K_S0 in the record, visible BR 1/2)",
    "B0 -> K*0": "B0 -> K*0 (-> K+ pi-)",
    "B+ -> K*+": "B+ -> K*+ (-> K_S0 pi+ and K+ pi0, 2:1)",
    "Bs -> phi": "Bs -> phi (-> K+ K-)",
}
FINAL_DOC = {
    "nu nubar": "nu nubar, three flavours: C_VL, C_VR, C_SL, C_SR, C_TL (EOS sbnunu normalisation, SM included)",
    "chi chibar": "dark-fermion pair (Dirac/Majorana): C_chi_XY for (s G_X b)(chi G_Y chi), S P V A and tensor",
    "phi phi": "scalar-DM pair (real/complex): (s [g5] b)(phi+ phi), (s g^mu [g5] b)(phi+ i d<->_mu phi)",
    "X X": "vector-DM pair (real/complex): He-Ma-Valencia O_qX^S, O_qX1,2^T, O_qX2..6^V",
    "Z'": "on-shell invisible Z', couplings of dimension 4, 5, 6 (seed 002 back-up eq. 2)",
    "a": "on-shell invisible (pseudo)scalar, couplings of dimension 4, 5 (derivative), 6",
}


def _decays() -> tuple[Decay, ...]:
    out = []
    for prefix, (parent, meson, transition, meson_ff, modes, conj, named) in MESONS.items():
        for final in FINAL_STATES:
            out.append(Decay(f"{prefix} {final}", f"{MESON_DOC[prefix]} + {FINAL_DOC[final]}",
                             _builder(prefix, final), named, amplitude_conjugate=conj))
    return tuple(out)


MODEL = Model(
    name="eft",
    doc="b -> s + invisible in one operator basis: WET nu nubar (EOS sbnunu), DM pairs, on-shell Z'/a",
    source="EOS sbnunu / Felkl-Li-Schmidt arXiv:2111.04327; He-Ma-Valencia arXiv:2309.12741; "
           "Altmannshofer et al. (seed 002 back-up eq. 2)",
    parameters=_parameters(),
    decays=_decays(),
    validate=_validate,
)
