"""Physical inputs: one home for every number, each with its source.

Masses, widths and lifetimes come from the PDG tables shipped with the
``particle`` package (2026 edition of the RPP in particle 1.1); nothing here is
typed by hand that ``particle`` knows. Couplings and other constants carry the
citation of the place they were taken from. Units: GeV, ns, mm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

# --- unit conversions ----------------------------------------------------------
# Exact SI defining constants (SI Brochure, 9th ed. 2019) and CODATA 2022 values (NIST,
# physics.nist.gov/constants; the values scipy.constants 1.15+ carries), typed here so that reading
# a card does not import scipy.
_C_M_PER_S = 299_792_458.0  # speed of light [m/s], exact
_H_J_S = 6.626_070_15e-34  # Planck constant [J s], exact
_E_C = 1.602_176_634e-19  # elementary charge [C], exact
#: speed of light [mm/ns]
C_MM_PER_NS = _C_M_PER_S * 1e3 / 1e9
#: hbar [GeV ns]
HBAR_GEV_NS = _H_J_S / (2 * math.pi) / _E_C * 1e-9 * 1e9
#: Fermi constant G_F [GeV^-2], CODATA 2022
G_FERMI = 1.166_378_7e-5


# --- PDG Monte Carlo codes ----------------------------------------------------
# New states use the PDG Monte Carlo numbering scheme's block reserved for dark
# matter and mediators (RPP 2026 "Monte Carlo particle numbering scheme"):
# 51 scalar DM, 52 fermion DM, 53 vector DM, 54 scalar mediator,
# 55 vector mediator.
PDG_DARK_FERMION = 52  #: dark fermion Q (seed 000), spin 1/2
PDG_DARK_PHOTON = 55  #: dark photon gamma_D (seed 000), vector mediator
PDG_SCALAR_DM = 51  #: scalar dark matter (seed 002: complex X of the Z3 model, real singlet S)
PDG_SCALAR_MEDIATOR = 54  #: scalar mediator (seed 002: dark Higgs H1), a real field
PDG_ALP = 54  #: axion-like particle a (seed 003 sec. II), a real (pseudo)scalar mediator
PDG_VECTOR_DM = 53  #: vector dark matter X (He-Ma-Valencia arXiv:2309.12741 operators, model eft)
#: spin of the dark-sector states 51-55 (the assignments above: scalar, fermion, vector DM; scalar,
#: vector mediator), as the full-simulation hand-off declares them (bkgen.io.basf2)
DARK_STATE_SPIN = {51: 0.0, 52: 0.5, 53: 1.0, 54: 0.0, 55: 1.0}

#: codes of particles that leave no signal in a detector when they are in the final state: neutrinos
#: and the dark-sector states of the PDG Monte Carlo block 51-55 (a mediator that decays in the record
#: has status 2 and is not counted; its daughters are)
INVISIBLE = frozenset({12, 14, 16, 51, 52, 53, 54, 55})

#: self-conjugate codes used in the event record (charge conjugation keeps them)
SELF_CONJUGATE = frozenset({21, 22, 23, 111, 113, 130, 221, 223, 310, 333, 300553, 9000553, PDG_DARK_PHOTON,
                            PDG_SCALAR_MEDIATOR})


@dataclass(frozen=True)
class ParticleData:
    """PDG data of one particle: mass [GeV], width [GeV], lifetime tau [ns]."""

    pdgid: int
    name: str
    mass: float
    width: float
    tau: float  # ns; inf for stable or unknown


@lru_cache(maxsize=1)
def _pdg_table() -> dict[str, list]:
    """``pdgid -> [name, mass, width]`` (GeV) of every particle of the ``particle`` package's PDG table.

    Loading that table builds some 6500 objects (0.3 s); the extract is kept in bkgen's user cache
    (:mod:`bkgen.cache`) under a key of the installed ``particle`` package (path, size and time of its
    data directory), so later processes read it in milliseconds and a new ``particle`` is read afresh."""
    import hashlib
    import os
    from importlib.util import find_spec

    from ..cache import read_json, write_json

    data_dir = os.path.join(os.path.dirname(find_spec("particle").origin), "data")
    stamp = os.stat(data_dir)
    key = hashlib.sha256(f"{os.path.realpath(data_dir)}|{stamp.st_size}|{stamp.st_mtime_ns}".encode()).hexdigest()
    name = f"pdg-particle-{key[:16]}.json"
    table = read_json(name)
    if isinstance(table, dict) and table:
        return table
    from particle import Particle

    table = {str(int(p.pdgid)): [p.name, (p.mass or 0.0) * 1e-3, (p.width or 0.0) * 1e-3]
             for p in Particle.all()}
    write_json(name, table)
    return table


@lru_cache(maxsize=None)
def particle(pdgid: int) -> ParticleData:
    """PDG mass, width and lifetime of ``pdgid`` from the ``particle`` package (GeV, ns)."""
    try:
        name, mass, width = _pdg_table()[str(int(pdgid))]
    except KeyError:
        from particle import Particle

        Particle.from_pdgid(pdgid)  # the package's own error for a code it does not know
        raise
    tau = HBAR_GEV_NS / width if width > 0 else float("inf")
    return ParticleData(int(pdgid), name, mass, width, tau)


def mass(pdgid: int) -> float:
    """PDG mass [GeV]."""
    return particle(abs(pdgid)).mass


def width(pdgid: int) -> float:
    """PDG total width [GeV]."""
    return particle(abs(pdgid)).width


def conjugate(pdgid: int, also_self_conjugate=()) -> int:
    """Charge-conjugate PDG code (self-conjugate states, and the codes a channel declares
    self-conjugate such as a Majorana fermion or a real scalar, keep their code)."""
    return pdgid if abs(pdgid) in SELF_CONJUGATE or abs(pdgid) in also_self_conjugate else -pdgid


# --- SM short-distance inputs of seed 000 eq. (3.10) -------------------------
# "For the input parameters in Eq. (3.10) we use the central values [4]":
# Buras, Girrbach-Noe, Niehoff, Straub, JHEP 02 (2015) 184, arXiv:1409.4557.
ALPHA_EW_INV_MT = 127.925  #: 1/alpha_EW at m_t (seed 000 after eq. 3.10)
SIN2_THETA_W = 0.23126  #: sin^2 theta_W (seed 000 after eq. 3.10)
VTB_VTS = 0.0401  #: |V_tb V_ts^*| (seed 000 after eq. 3.10)
X_T = 1.462  #: loop function X_t with NLO QCD and 2-loop EW (seed 000 after eq. 3.10)
N_NU = 3  #: neutrino flavours summed in eq. (3.10)

# --- branching fractions of the meson decays in the event record -------------
#: BR(K*(892)0 -> K+ pi-) / BR(K*0 -> K pi) = 2/3 (isospin Clebsch-Gordan;
#: BR(K*0 -> K pi) = 99.9 %, PDG RPP 2024 K*(892) listing)
BR_KSTAR0_KPPIM = 2.0 / 3.0 * 0.999
#: BR(phi(1020) -> K+ K-) = 0.491 +- 0.005 (PDG RPP 2024 phi(1020) listing)
BR_PHI_KPKM = 0.491

#: Blatt-Weisskopf radius for the P-wave K*/phi mass-dependent width [GeV^-1]
#: (PDG RPP 2024 review "Resonances", eq. 50.x form; 3 GeV^-1 = 0.6 fm is the
#: conventional choice, settable in the card)
BLATT_WEISSKOPF_R = 3.0

# --- SuperKEKB / Belle II (shared/reference/inputs.md section 5a) -------------
E_HER = 7.007  #: e- (HER) energy [GeV], SuperKEKB design (Belle II TDR arXiv:1011.0352)
E_LER = 4.000  #: e+ (LER) energy [GeV], same source
CROSSING_ANGLE = 0.083  #: full crossing angle [rad] (basf2 beamparameters.py: 2 x 41.5 mrad)
SIGMA_E_HER = 5.13e-3  #: HER energy spread [GeV] (basf2 beamparameters.py covHER)
SIGMA_E_LER = 2.375e-3  #: LER energy spread [GeV] (basf2 beamparameters.py covLER)
#: HER and LER bunch sizes (sigma_x, sigma_y, sigma_z) [mm] (basf2 beamparameters.py bunchHER,
#: bunchLER of the "SuperKEKB" preset: 10.2 um, 59 nm, 6.0 mm and 7.75 um, 59 nm, 5.0 mm)
BUNCH_HER = (10.2e-3, 59e-6, 6.0)
BUNCH_LER = (7.75e-3, 59e-6, 5.0)

#: Beam presets: name -> (E_HER, E_LER) [GeV], PDG code of the e+e- system in the record.
#: Energies are basf2's ``beamparameter_presets`` (generators/scripts/beamparameters.py; identical in
#: releases 09-00-00 to 11-00-00, github.com/belle2/basf2 commit 7bd551e7); every one of them
#: inherits the "SuperKEKB" crossing angle (HER at +41.5 mrad, LER at pi - 41.5 mrad in the x-z
#: plane), energy spreads and bunch sizes above. "design" keeps the SuperKEKB design energies
#: E_HER, E_LER used before the presets. basf2's presets with an asymmetric crossing or far from
#: the B factory (KEKB-Belle, LEP1, DAPHNE) and the Upsilon(1D, 2D) and Upsilon(10753) points, for
#: which there is no PDG code of an e+e- -> B Bbar resonance, are not offered.
BEAM_PRESETS = {
    "design": (E_HER, E_LER, 300553),
    "SuperKEKB": (7.0, 4.0, 300553),
    "Y1S": (6.263, 3.579, 553),
    "Y2S": (6.635, 3.792, 100553),
    "Y3S": (6.855, 3.917, 200553),
    "Y4S": (7.004, 4.002, 300553),
    "Y5S": (7.200, 4.114, 9000553),
    "Y6S": (7.295, 4.169, 9010553),
    "Y1S-off": (6.223, 3.556, 553),
    "Y2S-off": (6.596, 3.769, 100553),
    "Y3S-off": (6.816, 3.895, 200553),
    "Y4S-off": (6.964, 3.979, 300553),
    "Y5S-off": (7.160, 4.092, 9000553),
}
#: the preset used when a card names none
DEFAULT_BEAM_PRESET = "Y4S"

#: Upsilon(10860) -> B_s(*) Bbar_s(*) production mix, as fractions of all B_s(*) Bbar_s(*) pairs:
#: B_s* Bbar_s* 87.0 %, B_s* Bbar_s + B_s Bbar_s* 7.3 %, B_s Bbar_s 5.7 % (Belle, S. Esen et al.,
#: PRD 87 (2013) 031101(R), arXiv:1208.0323; the values as quoted in basf2 decfiles/dec/1300000040.dec)
BS_PAIR_FRACTIONS = {"Bs*Bs*": 0.870, "Bs*Bs": 0.073, "BsBs": 0.057}
PDG_BS_STAR = 533  #: B_s*0; decays to B_s0 gamma (PDG RPP: "seen", the only mode)

# --- production cross sections for the event files' normalisation (LHE XSECUP, HepMC GenCrossSection)
#: sigma(e+e- -> Upsilon(4S)) at sqrt(s) = 10.58 GeV [nb] and its error: 1.110 +- 0.008 nb (Belle II
#: Physics Book, E. Kou et al., PTEP 2019 123C01, arXiv:1808.10567, table of production cross sections
#: at 10.58 GeV; the value as commonly quoted from that table, not re-read against the text here)
SIGMA_UPSILON4S_NB = (1.110, 0.008)
#: BR(Upsilon(4S) -> B+ B-) and BR(Upsilon(4S) -> B0 Bbar0) (PDG RPP 2024 Upsilon(4S) listing)
BR_UPSILON4S = {521: (0.514, 0.006), 511: (0.486, 0.006)}
#: sigma(e+e- -> B_s(*) Bbar_s(*)) at sqrt(s) = 10.86 GeV [nb]: (53.8 +- 1.4 (stat) +- 4.0 (syst) +- 3.4 (ext)) pb,
#: errors added in quadrature (Belle, "Semi-inclusive studies of semileptonic B_s decays at Belle",
#: arXiv:1504.02004, abstract)
SIGMA_BSBS_UPSILON5S_NB = (0.0538, math.hypot(0.0014, 0.0040, 0.0034))

# --- couplings for the mediator models (massive dark photon, dark Higgs) -------
#: fine-structure constant alpha(0), CODATA 2022 ("the fine structure constant" of seed 003 eq. 38)
ALPHA_EM_0 = 7.297_352_564_3e-3
#: |g_bs^X| per unit kinetic mixing from the full one-loop expressions, seed 003 after eq. (41),
#: printed there as "2.44 eps x 10^-6"; the exponent is -4 (eq. 41 itself evaluates to
#: 2.7e-4 eps, and only 1e-4 gives the Belle II excess at eps = 10^-4.3; tests/test_dark_vector.py)
G_BS_PER_EPS_SEED003 = 2.44e-4
#: effective h-s-b coupling |kappa_cb| of seed 002 (slide "Belle II excess: 2-body decay")
KAPPA_CB = 6.7e-6

# --- ALP widths (seed 003 eq. 5-6, 13-14) --------------------------------------
#: alpha_s at MU_ALPHA_S_REF = 2 GeV (n_f = 4), the starting point of the two-loop running to
#: m_a in bkgen.physics.qcd: seed 003 text below eq. (16), "alpha_s(m_a) ~ 0.3" at m_a = 2 GeV
#: (its ref. [46])
ALPHA_S_2GEV = 0.30
MU_ALPHA_S_REF = 2.0  #: [GeV] scale of ALPHA_S_2GEV


def quark_mass_msbar(pdgid: int) -> float:
    """Quark mass [GeV] from the PDG table shipped with ``particle`` (RPP 2026 quark summary):
    u, d, s are MS-bar masses at mu = 2 GeV, c and b the MS-bar masses m_q(m_q), t the mass from
    direct measurements."""
    if not 1 <= abs(pdgid) <= 6:
        raise ValueError(f"quark_mass_msbar({pdgid}): allowed: quark PDG codes 1..6")
    return mass(abs(pdgid))

# --- hadronisation of colour-singlet parton pairs (bkgen.generate.hadronise) --------------------
#: [GeV] lowest mass of a q qbar / g g system handed to Pythia's string fragmentation; below it the
#: system decays to exclusive hadronic modes (bkgen.physics.exclusive). 2 GeV is where both exclusive
#: descriptions bkgen uses end: the DarkCast R-ratio decomposition (Ilten, Soreq, Williams, Xue,
#: JHEP 06 (2018) 004, arXiv:1801.04847, sec. 2: exclusive VMD fits up to ~2 GeV, perturbative R
#: above) and the data-driven ALP widths of Aloni, Soreq, Williams, PRL 123 (2019) 031803,
#: arXiv:1811.03474 (Fig. 2: the exclusive channels saturate the hadronic width up to ~1.85 GeV; above
#: ~2 GeV their total is the perturbative a -> g g rate); at 2 GeV the measured R(e+e- -> hadrons)
#: agrees with perturbative QCD to ~1 % (bkgen.physics.hadrons), the regime a string model describes.
M_HADRONISE_PYTHIA = 2.0
#: [mm] default proper decay length c tau above which a hadron-level particle is left undecayed for
#: the detector simulation (card generation.stable_ctau): 10 mm is Pythia 8's own ParticleDecays:tau0Max
#: default, and keeps K_S0 (c tau = 26.8 mm), Lambda (78.9 mm), Sigma+- (24.0, 44.3 mm), Xi (49.1,
#: 87.1 mm), Omega- (24.6 mm) with pi+-, K+-, K_L0, mu, e, gamma, n, p: the particles a Geant4
#: simulation tracks and decays in the material (basf2 passes them to Geant4); pi0, eta, eta', omega,
#: rho, phi, K*, Sigma0, charm hadrons and tau decay at the generator (c tau <= 0.3 mm).
STABLE_CTAU_MM = 10.0

# --- b -> s l+ l- (model dilepton, bkgen.physics.dilepton) ---------------------
#: renormalisation scale mu_b of the b -> s l+ l- matrix elements [GeV] (the scale flavio 2.7.1 uses
#: for B -> K(*) l l, config 'renormalization scale' bpll/bvll; Altmannshofer et al. arXiv:0811.1214
#: sec. 3 use 4.8 GeV as well)
MU_B_BSLL = 4.8
#: SM Wilson coefficients at mu_b = 4.8 GeV in the Chetyrkin-Misiak-Muenz basis (hep-ph/9612313) of
#: arXiv:0811.1214 eq. (2.1)-(2.3): NNLL matching and running (Bobeth-Misiak-Urban hep-ph/9910220,
#: Gorbahn-Haisch hep-ph/0411071, Huber-Lunghi-Misiak-Wyler hep-ph/0512066) as evaluated by flavio
#: 2.7.1 (flavio.physics.bdecays.wilsoncoefficients.wctot_dict, SM, m_t = 172.5 GeV with the m_t
#: dependence of C10 of Bobeth et al. arXiv:1311.0903 eq. 4); C7eff = C7 - C3/3 - 4 C4/9 - 20 C5/3 - 80 C6/9
SM_WC_BSLL = {
    "C1": -0.26417263, "C2": 1.01477639, "C3": -0.00506932, "C4": -0.07979189, "C5": 0.00035176,
    "C6": 0.00092219, "C7eff": -0.29149505, "C9": 4.05315176, "C10": -4.16649738,
}
#: alpha_em(mu_b = 4.8 GeV) = 1/132.116 of the b -> s l l normalisation (QED running from alpha(M_Z)
#: as in flavio 2.7.1 running.get_alpha(par, 4.8))
ALPHA_EM_MU_B = 1.0 / 132.116367
#: pole masses of the quark loops in C9eff (BFS hep-ph/0106067 eq. 10-11) [GeV]: the PDG MS-bar
#: m_c(m_c) = 1.273, m_b(m_b) = 4.195 GeV converted to pole masses as flavio 2.7.1 does
#: (running.get_mc_pole, get_mb_pole)
MC_POLE = 1.683648
MB_POLE = 4.797412
#: charmonium q^2 windows vetoed by default [GeV^2]: J/psi 8.0-11.0 and psi(2S) 12.5-15.0, the vetoes
#: of LHCb's B0 -> K*0 mu mu angular analysis (arXiv:1512.04442 sec. 3)
CHARMONIUM_VETOES = ((8.0, 11.0), (12.5, 15.0))

# --- EOS's sbnunu normalisation (the Wilson coefficients of Belle II's WET fit, arXiv:2507.12393) -------
#: EOS 1.0.21 defaults read by tests/reference/eos/make_tables.py (tests/reference/eos/sbnunu_tables.json):
#: WET::G_Fermi [GeV^-2], QED::alpha_e(m_b), |V_tb V_ts*|, the scale sbnunu::mu [GeV] and the MS-bar
#: m_b, m_s at that scale [GeV], and EOS's SM value of sbnunu::Re{cVL}
EOS_SBNUNU = {
    "G_F": 1.1663787e-05,
    "alpha_e": 0.0075187969924812,
    "abs_lambda_t": 0.04117549192573447,
    "mu": 4.2,
    "m_b_msbar_mu": 4.169889249562193,
    "m_s_msbar_mu": 0.0796169427862923,
    "cVL_SM": 6.613114906357177,
}
