"""The published Belle II B+ -> K+ nu nubar material (bkgen/data/belle2/, see its README).

Belle II, "Evidence for B+ -> K+ nu nubar decays", PRD 109 (2024) 112006, arXiv:2311.14647,
HEPData 10.17182/hepdata.146803; reinterpretation material arXiv:2507.12393, HEPData
10.17182/hepdata.166082 (pyhf workspace and joint number densities, MIT licence, Copyright (c)
2025 Belle II Collaboration); reweighting method arXiv:2402.08417.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np


#: SM short-distance BF of the signal templates at mu = 1 (arXiv:2311.14647; workspace README)
BF_SM_TEMPLATE = 4.97e-6
#: number of B Bbar pairs in the 362 fb^-1 sample (arXiv:2311.14647)
N_BB = 387e6
#: fraction of charged B pairs in Upsilon(4S) decays used for the derived efficiencies
#: (shared/belle2 README section 7; f+- = 0.516, PDG RPP 2024 B+/B0 production fractions)
F_PM = 0.516
#: q2_gen binning of the joint number densities: [-1] + linspace(0, 22.885, 101) GeV^2
#: (22.885 = (m_B - m_K)^2 with the isospin-averaged kaon mass; binning.json)
Q2_GEN_MAX = 22.885
Q2_GEN_EDGES = np.concatenate(([-1.0], np.linspace(0.0, Q2_GEN_MAX, 101)))
#: inner q2_rec edges of the ITA likelihood bins [GeV^2] (arXiv:2311.14647; binning.json)
Q2_REC_EDGES_ITA = (4.0, 8.0)

CH_A = "A__Bsig_H_reconstructed_q2_vs_BDT2_Bplus2Kplus_v42_signal_inefficiency_zoomSR_Y4S"
CH_B = "B__Bsig_H_reconstructed_q2_vs_BDT2_Bplus2Kplus_v42_signal_inefficiency_zoomCR_Y4S"
CH_C = "C__Bsig_H_reconstructed_q2_vs_BDT2_Bplus2Kplus_v42_signal_inefficiency_zoomSR_offres"
CH_D = "D__Bsig_H_reconstructed_q2_vs_BDT2_Bplus2Kplus_v42_signal_inefficiency_zoomCR_offres"
CH_HTA = "sgn1_had"
#: signal sample of each channel with signal
SIGNAL_SAMPLES = {CH_A: "signal", CH_B: "signal", CH_HTA: "sgn_1_had"}
#: the number-density file of each channel with signal
MAP_FILES = {CH_A: "number_density_ita_regA.csv", CH_B: "number_density_ita_regB.csv", CH_HTA: "number_density_hta.csv"}
#: analyses: channels fitted together (ITA-only and HTA-only fits prune the other channels)
ANALYSES = {
    "ITA": (CH_A, CH_B, CH_C, CH_D),
    "HTA": (CH_HTA,),
    "combined": (CH_A, CH_B, CH_C, CH_D, CH_HTA),
}
#: short labels for plots and tables
CHANNEL_LABELS = {CH_A: "ITA region A", CH_B: "ITA region B", CH_C: "ITA off-res. A", CH_D: "ITA off-res. B",
                  CH_HTA: "HTA"}

#: published signal strengths mu (value, total upper error) of arXiv:2311.14647 (stat and syst
#: added in quadrature), and the pyhf 0.7.6 fits of the workspace (shared/belle2 README section 8)
PUBLISHED_MU = {"ITA": (5.4, 1.5), "HTA": (2.2, 2.4), "combined": (4.6, 1.3)}
PYHF_MU = {"ITA": (5.42, 1.45), "HTA": (2.18, 2.04), "combined": (4.61, 1.32)}


def _open(name: str):
    return resources.files("bkgen").joinpath("data", "belle2", name)


@lru_cache(maxsize=1)
def _workspace_text() -> str:
    return _open("combined_likelihood.json").read_text()


def workspace() -> dict:
    """The published pyhf workspace (a fresh copy)."""
    return json.loads(_workspace_text())


@lru_cache(maxsize=None)
def number_density(channel: str) -> np.ndarray:
    """Joint number density M[i, j]: expected selected signal events (mu = 1, SM kinematics, 362 fb^-1)
    in reco bin i of ``channel`` generated in q2_gen bin j (101 columns, column 0 the sentinel)."""
    with _open(MAP_FILES[channel]).open("r") as fh:
        m = np.loadtxt(fh, delimiter=",")
    m.setflags(write=False)
    return m


@dataclass(frozen=True)
class NullTable:
    """Per q2_gen bin (100 bins in [0, 22.885]): the SM null BF and the derived efficiencies."""

    lo: np.ndarray
    hi: np.ndarray
    bf: np.ndarray
    eff_ita: np.ndarray
    eff_hta: np.ndarray


@lru_cache(maxsize=1)
def null_table() -> NullTable:
    """shared/belle2 derived_efficiency_sm_null_vs_q2gen.csv: the HPQCD SM null of arXiv:2207.13371 eq. 16
    binned in q2_gen (sum 4.966e-6) and the ITA (regions A + B) and HTA efficiencies
    eff_j = sum_i M[i, j] / (2 N_BB f+- B_j)."""
    with _open("derived_efficiency_sm_null_vs_q2gen.csv").open("r") as fh:
        d = np.loadtxt(fh, delimiter=",", skiprows=1)
    return NullTable(lo=d[:, 0], hi=d[:, 1], bf=d[:, 2], eff_ita=d[:, 6], eff_hta=d[:, 7])


def bf_reference() -> float:
    """Total BF of the SM null used to build the maps (the template normalisation, 4.966e-6)."""
    return float(np.sum(null_table().bf))


def efficiency_from_maps(channels) -> np.ndarray:
    """Signal efficiency per q2_gen bin (100 bins) of the given channels, from the number densities:
    sum_i M[i, j] / (2 N_BB f+- B_SM,j)."""
    tab = null_table()
    tot = np.zeros(100)
    for c in channels:
        tot += number_density(c)[:, 1:].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = np.where(tab.bf > 0, tot / (2.0 * N_BB * F_PM * tab.bf), 0.0)
    return eff
