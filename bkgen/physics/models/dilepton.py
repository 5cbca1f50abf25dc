"""Model ``dilepton``: B -> K(*) l+ l- (l = e, mu) in the Standard Model and with shifted Wilson coefficients.

Physics in :mod:`bkgen.physics.dilepton` (effective Hamiltonian of arXiv:0811.1214, C9^eff with the
quark loops of BFS hep-ph/0106067 eq. 10-11, C7^eff, C10 and primed partners, full lepton-mass
dependence); hadronic amplitudes and form factors of :mod:`bkgen.physics.amplitudes` and
:mod:`bkgen.physics.form_factors` (GKvD 2018 for B -> K by default, BSZ 2015 for B -> K*, B_s -> phi).

Decays (names as in cards): B+ -> K+, B0 -> K0, B0 -> K*0 (K+ pi-), B+ -> K*+ (K_S0 pi+, K+ pi0),
Bs -> phi (K+ K-), each with "mu+ mu-" and "e+ e-". Mesons, K0/K*+ handling and visible BRs as in the
``eft`` model (its MESONS table).

q^2 range: from max(4 m_l^2, q2_min) to min((m_B - m_M)^2, q2_max), with the charmonium windows
J/psi 8.0-11.0 and psi(2S) 12.5-15.0 GeV^2 vetoed by default (``charmonium_veto``; the windows are
card parameters, defaults inputs.CHARMONIUM_VETOES). The vetoed regions are simply absent from the
events and the BRs: the resonances are not modelled. The allowed range is cut into segments (at the
veto edges, at the open-charm threshold 4 m_c^2 where C9^eff has a square-root cusp, and for K*/phi at
geometric steps below 1 GeV^2 where the photon pole 1/q^2 dominates), each tabulated on its own q^2 map.

Angular distribution: the kernel samples sum_s |sum_lambda a_{s,lambda} d^1_{lambda 0}(theta_M)
d^1_{lambda sigma_s}(theta_l) e^{i lambda chi}|^2 with the complex amplitudes, every term of the distribution
included: the T-odd interference Im(a_lambda a_lambda'*) sin((lambda - lambda') chi), i.e. J_7, J_8, J_9 (S7, S8, S9),
as well as q^2 spectrum, F_L, A_FB, S3, S4, S5. Each configuration is one kernel component
(amplitudes.kernel_components). The phases here are strong (C9^eff's loop functions, the Z_D propagator; the
Wilson coefficients are real), so the CP-conjugate decay is the parity image with the same amplitudes
(Channel.weak_phases = False).
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np

from ...errors import InputError
from .. import amplitudes, form_factors
from .. import dilepton as dl
from ..inputs import CHARMONIUM_VETOES, MC_POLE, SM_WC_BSLL, VTB_VTS, mass, particle
from .base import LINE_SHAPE_PARAMETERS, Y_VECTOR, Channel, Decay, Model, Parameter, meson_line_shape
from .eft import MESONS

LEPTONS = {"mu+ mu-": (13, "mu"), "e+ e-": (11, "e")}
#: standard q^2 bins [GeV^2] of the summary: the wide bins of the issue and LHCb's finer bins
#: (B -> K mu mu: arXiv:1403.8044; B0 -> K*0 mu mu: arXiv:1512.04442; B_s -> phi mu mu: arXiv:2105.14007)
BINS_K = ((1.1, 6.0), (15.0, 22.0), (0.1, 0.98), (1.1, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 5.0), (5.0, 6.0),
          (6.0, 7.0), (7.0, 8.0), (15.0, 17.0), (17.0, 19.0), (19.0, 22.0))
BINS_V = ((1.1, 6.0), (15.0, 19.0), (0.1, 0.98), (1.1, 2.5), (2.5, 4.0), (4.0, 6.0), (6.0, 8.0), (15.0, 17.0),
          (17.0, 19.0))
#: ratio of consecutive segment edges below 1 GeV^2 for vector mesons (photon pole)
LOW_Q2_STEP = 30.0
#: Gauss-Legendre points per q^2 bin of the summary observables
N_BIN_POINTS = 48


def dark_vector_params(p: dict) -> dict:
    """The card's Z_D as parameters of model dark_vector (mass, eps, eps_Z, direct couplings, no dark matter):
    its widths (leptons, R-ratio hadrons, neutrinos) give Gamma_ZD."""
    from .dark_vector import MODEL as DV

    return {**DV.defaults(), "m_X": p["M_ZD"], "eps": p["eps"], "eps_Z_source": "card", "eps_Z": p["eps_Z"],
            "g_D_mu": p["g_D_mu"], "g_D_e": p["g_D_e"], "cancel_electron_vector": p["cancel_electron_vector"],
            "E0Z_source": p.get("E0Z_source", "eq41"),
            "alpha_X": 0.0}


@functools.lru_cache(maxsize=64)
def _zd_width(key: tuple) -> float:
    """Gamma_ZD [GeV] (models.dark_vector.total_width) at (M_ZD, eps, eps_Z, g_D_mu, g_D_e, cancel)."""
    from .dark_vector import total_width

    names = ("M_ZD", "eps", "eps_Z", "g_D_mu", "g_D_e", "cancel_electron_vector")
    return total_width(dark_vector_params(dict(zip(names, key))))


def dark_z(p: dict, lep: str) -> dl.DarkZ:
    """Seed 001's Z_D exchange for lepton ``lep`` (bkgen.physics.dilepton.DarkZ): E^{0,Z}, E^{2,A} + E^{2,Z} of
    dl.zd_bs_coefficients (the same function gives the dark_vector model's g_bs), Gamma from
    models.dark_vector.total_width and the lepton couplings from models.dark_vector.lepton_couplings: seed 003
    eq. (34) plus g_D^l of seed 001 eq. (5)-(6); Case C (cancel_electron_vector): the electron vector coupling is
    cancelled. Seed 001 eq. (2)-(3) print the eps_Z part as (g/c_W) eps_Z g_V^l with g_V^l = (-1 + 4 s_W^2)/2,
    twice the (g/2c_W) eps_Z (T3 - 2 Q s_W^2) of seed 003 eq. (34) and of the PDG Z coupling
    -(g/2c_W) psi gamma^mu (g_V - g_A gamma5) psi Z_mu (PDG RPP review "Electroweak model and constraints on
    new physics", g_V = T3 - 2 Q s_W^2, g_A = T3), and +e eps where seed 001's own L = e eps Z_D J^em gives e eps Q_l = -e eps: bkgen uses the Lagrangian's
    couplings (one function for C9/C10 and for Gamma_ZD; tests/test_darkz.py)."""
    from .dark_vector import lepton_couplings

    q = dark_vector_params(p)
    g_v, g_a = lepton_couplings(q, 13 if lep == "mu" else 11)
    key = tuple(p[k] for k in ("M_ZD", "eps", "eps_Z", "g_D_mu", "g_D_e", "cancel_electron_vector"))
    e0, e2 = dl.zd_bs_coefficients(p["eps"], p["eps_Z"], p["E0Z_source"])
    return dl.DarkZ(m=p["M_ZD"], gamma=_zd_width(key), e0=e0, e2=e2, g_v=g_v, g_a=g_a,
                    norm=dl.norm_bsll() / VTB_VTS, longitudinal=p.get("ZD_longitudinal", True))


def coefficients(p: dict, lep: str) -> dl.WilsonCoefficients:
    """The card's Wilson coefficients for lepton ``lep`` ('mu' or 'e'): SM (inputs.SM_WC_BSLL,
    C7' = (m_s/m_b) C7) plus the card's shifts, plus the Z_D exchange when ``dark_Z``."""
    extra = {}
    if p["dark_Z"]:
        z = dark_z(p, lep)
        extra = dict(dc9=z.dc9, dc10=z.dc10, dc10_t=z.dc10_t)
    return dl.sm_coefficients(
        c7=SM_WC_BSLL["C7eff"] + p["C7_NP"], c9=SM_WC_BSLL["C9"] + p[f"C9_NP_{lep}"],
        c10=SM_WC_BSLL["C10"] + p[f"C10_NP_{lep}"], c7p=dl.ms_over_mb() * SM_WC_BSLL["C7eff"] + p["C7p_NP"],
        c9p=p[f"C9p_{lep}"], c10p=p[f"C10p_{lep}"], **extra)


def _ff(p: dict, transition: str, parent: int, meson_ff: int):
    key = {"B->K": "form_factors_BK", "B->K*": "form_factors_BKstar", "Bs->phi": "form_factors_Bsphi"}[transition]
    return form_factors.get(transition, p[key], m_B=mass(parent), m_M=mass(meson_ff))


def q2_segments(p: dict, spin: int, m_l: float, q2_max_kin: float) -> list[tuple[float, float]]:
    """The allowed q^2 range [GeV^2] cut into segments (module docstring)."""
    lo = max(4.0 * m_l**2, p["q2_min"])
    hi = min(q2_max_kin, p["q2_max"])
    vetoes = [(p["veto_jpsi_lo"], p["veto_jpsi_hi"]), (p["veto_psi2s_lo"], p["veto_psi2s_hi"])] \
        if p["charmonium_veto"] else []
    edges = {lo, hi, 4.0 * MC_POLE**2}
    if spin == 1:
        e = lo * LOW_Q2_STEP
        while e < 1.0:
            edges.add(e)
            e *= LOW_Q2_STEP
    for a, b in vetoes:
        edges.update((a, b))
    edges = sorted(x for x in edges if lo <= x <= hi)
    segs = []
    for a, b in zip(edges[:-1], edges[1:]):
        mid = 0.5 * (a + b)
        if b - a > 1e-9 and not any(va < mid < vb for va, vb in vetoes):
            segs.append((a, b))
    return segs


class _Cached:
    """Amplitudes of one (form factors, coefficients, lepton) at the last few (q2, m_M) arrays: the
    kernel components evaluate the same grid several times."""

    def __init__(self, fn):
        self.fn = fn
        self.memo: dict = {}

    def __call__(self, q2, m):
        q2 = np.asarray(q2, dtype=float)
        mm = np.asarray(m, dtype=float)
        key = (q2.shape, mm.shape, hashlib.sha1(q2.tobytes() + mm.tobytes()).hexdigest())
        if key not in self.memo:
            if len(self.memo) > 6:
                self.memo.pop(next(iter(self.memo)))
            self.memo[key] = self.fn(q2, mm)
        return self.memo[key]


def _builder(prefix: str, final: str):
    parent, meson, transition, meson_ff, modes, _conj, _named = MESONS[prefix]
    lep_pdg, lep = LEPTONS[final]

    def build(p: dict) -> list[Channel]:
        ff = _ff(p, transition, parent, meson_ff)
        m_b, m_l, m_nom = mass(parent), mass(lep_pdg), mass(meson_ff)
        spin = 0 if transition == "B->K" else 1
        wc = coefficients(p, lep)
        full = _Cached(lambda q2, m: dl.dilepton_amplitudes(ff, q2, m_b, m, m_l, wc))
        channels = []
        for daughters, share, vis in modes:
            shape = meson_line_shape(abs(meson), tuple(abs(d) for d in daughters), p, m_b) if daughters else None
            m_min = shape.m_lo if shape is not None else m_nom
            tag = f" (K*+ -> {particle(abs(daughters[0])).name} {particle(abs(daughters[1])).name})" \
                if prefix == "B+ -> K*+" else ""
            common = dict(parent=parent, meson=meson, meson_daughters=daughters, line_shape=shape, visible_br=vis)
            for lo, hi in q2_segments(p, spin, m_l, (m_b - m_min) ** 2):
                m_probe = m_nom if spin == 0 else np.full(7, m_nom)
                q2_probe = np.linspace(lo, min(hi, (m_b - m_nom) ** 2), 9)[1:-1]

                def amp(q2, m, lo=lo, hi=hi):
                    mm = m_nom if m is None else np.asarray(m, dtype=float)
                    top = np.minimum(hi, (m_b - mm) ** 2)
                    return full(np.clip(q2, lo, np.maximum(top, lo)), mm).pair()

                for name, rate_c, hel_c, w_c in amplitudes.kernel_components(amp, spin, q2_probe, m_probe):
                    def rate(q2, m=None, r=rate_c, lo=lo, hi=hi, share=share):
                        q2 = np.asarray(q2, dtype=float)
                        mm = m_nom if m is None else np.asarray(m, dtype=float)
                        inside = (q2 >= lo) & (q2 <= np.minimum(hi, (m_b - mm) ** 2))
                        return np.where(inside, r(q2, m) * share, 0.0)

                    channels.append(Channel(
                        label=f"{prefix} {final}{tag} q2 {lo:.4g}-{hi:.4g}" + (f" [{name}]" if name else ""), y=0,
                        y_daughters=(lep_pdg, -lep_pdg), y_mode=Y_VECTOR, rate=rate, helicity=hel_c,
                        pair_weights=w_c, y_in_record=False, q2_window=(lo, hi), mode=final, **common))
        return channels

    return build


# ---- observables ------------------------------------------------------------------------------
def binned_observables(p: dict, decay: str, bins=None, wc: dl.WilsonCoefficients | None = None) -> dict:
    """BR and (vector mesons) F_L, A_FB, S3, S4, S5, P5' = S5/sqrt(F_L F_T), S7, S8, S9 in q^2 bins [GeV^2] at the
    meson's pole mass (narrow width, as flavio and EOS), CP-averaged as in LHCb arXiv:1512.04442 eq. (1)-(2):
    S_i = (J_i + Jbar_i)/(Gamma + Gammabar), with Jbar from the CP-conjugate coefficients (weak phases conjugated,
    WilsonCoefficients.cp_conjugate), and, when the coefficients carry weak phases, the CP asymmetries
    A7, A8, A9 = (J_i - Jbar_i)/(Gamma + Gammabar) (with the card's real coefficients Jbar = J: A_i = 0, not listed).
    ``wc``: coefficients instead of the card's (e.g. complex ones). Bins are integrated with Gauss-Legendre rules;
    vetoes and q2_min/q2_max are not applied here."""
    prefix, final = _split(decay)
    parent, _meson, transition, meson_ff, _modes, _c, named = MESONS[prefix]
    lep_pdg, lep = LEPTONS[final]
    ff = _ff(p, transition, parent, meson_ff)
    m_b, m_m, m_l = mass(parent), mass(meson_ff), mass(lep_pdg)
    wc = coefficients(p, lep) if wc is None else wc
    weak = wc.has_weak_phases()
    tau_factor = 1.0 / particle(abs(named)).width  # BR = Gamma/Gamma_B
    spin = 0 if transition == "B->K" else 1
    bins = (BINS_K if spin == 0 else BINS_V) if bins is None else bins
    z, w = np.polynomial.legendre.leggauss(N_BIN_POINTS)
    out = {}
    q2_max = (m_b - m_m) ** 2

    def integrals(x, wt):
        """Bin integrals of k x (numerators of the module's observables) [GeV^-1 GeV^2]."""
        k, tot = x.k, x.total()
        res = {"G": np.dot(wt, x.rate())}
        if spin == 1:
            res.update(FL=np.dot(wt, k * x.f_l() * tot), FT=np.dot(wt, k * x.f_t() * tot),
                       AFB=np.dot(wt, k * x.afb_numerator()),
                       **{f"S{i}": np.dot(wt, k * getattr(x, f"s{i}_numerator")()) for i in (3, 4, 5, 7, 8, 9)})
        return res

    for lo, hi in bins:
        a, b = max(lo, 4.0 * m_l**2), min(hi, q2_max)
        if b <= a:
            continue
        q2 = 0.5 * (b - a) * z + 0.5 * (b + a)
        wt = 0.5 * (b - a) * w
        j = integrals(dl.dilepton_amplitudes(ff, q2, m_b, m_m, m_l, wc), wt)
        jb = integrals(dl.dilepton_amplitudes(ff, q2, m_b, m_m, m_l, wc.cp_conjugate()), wt) if weak else j
        den = j["G"] + jb["G"]
        e = {"BR": float(0.5 * den * tau_factor)}
        if spin == 1:
            s = {key: float((j[key] + jb[key]) / den) for key in j if key != "G"}
            e.update(FL=s["FL"], AFB=s["AFB"], S3=s["S3"], S4=s["S4"], S5=s["S5"],
                     P5p=float(s["S5"] / np.sqrt(s["FL"] * s["FT"])), S7=s["S7"], S8=s["S8"], S9=s["S9"])
            if weak:
                e.update({f"A{i}": float((j[f"S{i}"] - jb[f"S{i}"]) / den) for i in (7, 8, 9)})
        out[f"{lo:g}-{hi:g}"] = e
    return out


def summary(p: dict, decay: str) -> dict:
    """``bkgen info`` extras: binned observables and, for K*/phi, the largest ratio over q^2 of the T-odd
    interference sum 2|Im(a a*)| (generated, as the S7..S9 of the bins) to the rate (DileptonAmplitudes.t_odd)."""
    out = {"bins": binned_observables(p, decay),
           "conventions": "LHCb arXiv:1512.04442 (theta_l of l- in B0bar/l+ in B0 decays; A_FB > 0 at high q2 in "
                          "the SM; phi = the branch chi, S7-S9 signs as flavio's); CP-averaged; BR per bin at the "
                          "meson pole mass; vetoes not applied to bins"}
    prefix, final = _split(decay)
    parent, _meson, transition, meson_ff, _modes, _c, _n = MESONS[prefix]
    if transition != "B->K":
        lep_pdg, lep = LEPTONS[final]
        ff = _ff(p, transition, parent, meson_ff)
        m_b, m_m, m_l = mass(parent), mass(meson_ff), mass(lep_pdg)
        q2 = np.linspace(max(0.1, 4.0 * m_l**2 * 1.01), (m_b - m_m) ** 2 - 0.05, 200)
        x = dl.dilepton_amplitudes(ff, q2, m_b, m_m, m_l, coefficients(p, lep))
        out["T_odd_interference_max_rel"] = float(np.max(np.abs(x.t_odd()) / x.total()))
    return out


def _split(decay: str) -> tuple[str, str]:
    for prefix in MESONS:
        if decay.startswith(prefix + " "):
            return prefix, decay[len(prefix) + 1:]
    raise InputError(f"process.decay = {decay!r} is not a decay of model 'dilepton'")


def _validate(p: dict, decay: str) -> None:
    if p["q2_min"] >= p["q2_max"]:
        raise InputError(f"model.q2_min = {p['q2_min']!r} >= model.q2_max = {p['q2_max']!r}; allowed: q2_min < q2_max")
    for name in ("jpsi", "psi2s"):
        if p[f"veto_{name}_lo"] >= p[f"veto_{name}_hi"]:
            raise InputError(f"model.veto_{name}_lo = {p[f'veto_{name}_lo']!r} >= model.veto_{name}_hi = "
                             f"{p[f'veto_{name}_hi']!r}; allowed: lo < hi")
    prefix, final = _split(decay)
    parent, _meson, transition, meson_ff, _modes, _c, _n = MESONS[prefix]
    spin = 0 if transition == "B->K" else 1
    if not q2_segments(p, spin, mass(LEPTONS[final][0]), (mass(parent) - mass(meson_ff)) ** 2):
        raise InputError(f"model.q2_min/q2_max and the vetoes leave no q^2 range for {decay}; allowed: a range "
                         "with q2_min < q2_max outside the vetoed windows")


def _parameters() -> tuple[Parameter, ...]:
    ps = [Parameter("C7_NP", 0.0, "", "new-physics shift of C7^eff (both leptons)", float, -10.0, 10.0),
          Parameter("C7p_NP", 0.0, "", "shift of C7' (SM: (m_s/m_b) C7)", float, -10.0, 10.0)]
    for lep in ("mu", "e"):
        ps += [Parameter(f"C9_NP_{lep}", 0.0, "", f"new-physics shift of C9 ({lep})", float, -50.0, 50.0),
               Parameter(f"C10_NP_{lep}", 0.0, "", f"new-physics shift of C10 ({lep})", float, -50.0, 50.0),
               Parameter(f"C9p_{lep}", 0.0, "", f"C9' ({lep}; 0 in the SM)", float, -50.0, 50.0),
               Parameter(f"C10p_{lep}", 0.0, "", f"C10' ({lep}; 0 in the SM)", float, -50.0, 50.0)]
    ps += [
        Parameter("dark_Z", False, "", "add the Z_D exchange of seed 001 eq. (2)-(3) to C9, C10", bool),
        Parameter("M_ZD", 0.0103, "GeV", "Z_D mass", float, 1e-3, 10.0),
        Parameter("eps", 1.6e-5, "", "kinetic mixing eps (seed 001)", float, -1.0, 1.0),
        Parameter("eps_Z", 0.002, "", "mass mixing eps_Z (seed 001)", float, -1.0, 1.0),
        Parameter("g_D_mu", 0.0, "", "direct vector coupling to muons (seed 001 eq. 5-6)", float, -10.0, 10.0),
        Parameter("g_D_e", 0.0, "", "direct vector coupling to electrons (seed 001 eq. 6)", float, -10.0, 10.0),
        Parameter("cancel_electron_vector", False, "", "Case C: g_D^e cancels the electron vector coupling", bool),
        Parameter("ZD_longitudinal", True, "", "keep the q^mu q^nu/M^2 term of the Z_D propagator (timelike axial part, "
                  "not in seed 001 eq. 2-3)", bool),
        Parameter("E0Z_source", "eq41", "", "E^{0,Z}: seed 003 eq. (41), or eps_Z x the Inami-Lim Z-penguin vertex "
                  "(1/(x_t - 1) of it; README)", str, choices=tuple(dl.E0Z_SOURCES)),
    ]
    (j_lo, j_hi), (p_lo, p_hi) = CHARMONIUM_VETOES
    ps += [
        Parameter("charmonium_veto", True, "", "veto the J/psi and psi(2S) q^2 windows", bool),
        Parameter("veto_jpsi_lo", j_lo, "GeV^2", "J/psi veto, lower edge (LHCb arXiv:1512.04442)", float, 0.0, 30.0),
        Parameter("veto_jpsi_hi", j_hi, "GeV^2", "J/psi veto, upper edge", float, 0.0, 30.0),
        Parameter("veto_psi2s_lo", p_lo, "GeV^2", "psi(2S) veto, lower edge", float, 0.0, 30.0),
        Parameter("veto_psi2s_hi", p_hi, "GeV^2", "psi(2S) veto, upper edge", float, 0.0, 30.0),
        Parameter("q2_min", 0.0, "GeV^2", "lower q^2 cut (below 4 m_l^2: the threshold)", float, 0.0, 30.0),
        Parameter("q2_max", 30.0, "GeV^2", "upper q^2 cut (above (m_B - m_M)^2: the endpoint)", float, 0.0, 30.0),
        Parameter("form_factors_BK", "GKvD2018", "", "B -> K parametrisation", str,
                  choices=("GKvD2018", "GKvD2018-LCSR", "GRvDV2023", "BHvDW2012")),
        Parameter("form_factors_BKstar", "BSZ2015", "", "B -> K* parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR", "GRvDV2023")),
        Parameter("form_factors_Bsphi", "BSZ2015", "", "Bs -> phi parametrisation", str,
                  choices=("BSZ2015", "BSZ2015-LCSR", "GRvDV2023")),
        *LINE_SHAPE_PARAMETERS,
    ]
    return tuple(ps)


def _decays() -> tuple[Decay, ...]:
    out = []
    for prefix, (_parent, _meson, _tr, _mff, _modes, conj, named) in MESONS.items():
        for final in LEPTONS:
            name = f"{prefix} {final}"
            out.append(Decay(name, f"{name} (module docstring)", _builder(prefix, final), named,
                             amplitude_conjugate=conj, summary=lambda p, name=name: summary(p, name)))
    return tuple(out)


MODEL = Model(
    name="dilepton",
    doc="B -> K(*) l+ l- (l = e, mu): SM C7eff, C9eff(q2), C10, primed coefficients, charmonium vetoes",
    source="Altmannshofer et al. arXiv:0811.1214; Beneke-Feldmann-Seidel hep-ph/0106067 eq. (10)-(11); "
           "LHCb arXiv:1512.04442 angular conventions",
    parameters=_parameters(),
    decays=_decays(),
    validate=_validate,
)
