"""Exclusive hadronic decays of a light mediator below the string-fragmentation mass.

A colour-singlet parton pair of mass m < ``inputs.M_HADRONISE_PYTHIA`` (2 GeV) written by a channel
flagged ``Channel.hadronise`` stands for the mediator's hadronic decay at that mass; it is replaced by
an exclusive final state drawn with probability Gamma_F(m) / Gamma_had(m) among the modes open at m
(:attr:`ExclusiveMode.threshold`):

* vector mediator (dark photon / dark Z, model ``dark_vector``): the per-final-state R-ratios of the
  DarkCast table (Ilten, Soreq, Williams, Xue, JHEP 06 (2018) 004, arXiv:1801.04847, Fig. 1; shipped in
  ``bkgen/data/darkcast``) for the final states other than pi+pi- and K Kbar, which the model already
  writes as exclusive channels: pi+pi-pi0, pi0 gamma, 2pi+2pi-, pi+pi-2pi0, K Kbar pi and "other".
  Their sum is ``hadrons.r_light_other``, the rate of the quark-pair channels below 2 GeV;
* pseudoscalar ALP (model ``alp``, a -> g g and a -> q qbar): the data-driven exclusive widths of
  Aloni, Soreq, Williams, PRL 123 (2019) 031803, arXiv:1811.03474, Fig. 2 (pi pi eta, pi pi eta',
  pi+pi-gamma, rho rho, omega omega, K* Kbar*, phi phi, K Kbar pi; as digitised in ALPINIST, shipped in
  ``bkgen/data/hadronic``), over the paper's total hadronic width. Those widths are for the gluon
  coupling; the a -> s sbar channel uses the same shares (the final states follow from the ALP's
  quantum numbers J^PC = 0^-+, I = 0, whatever the partonic source) -- an approximation.

Charge states within an isospin multiplet follow isospin (Clebsch-Gordan) shares, stated at each mode.
The remainder of the hadronic width that the exclusive list does not cover ("other": DarkCast's
R_other, or the ALP total minus the exclusive sum) is hadronised by the string model, whatever m.
Momenta are n-body phase space (the decay of a scalar state, isotropic); intermediate resonances
(rho, omega, phi, K*, eta, eta') are written as such and decayed by the hadron-decay step.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import hadrons
from .inputs import particle


@dataclass(frozen=True)
class ExclusiveMode:
    """One exclusive final state: its name, the table column it belongs to, its share of that column
    (isospin) and the PDG codes of its products."""

    name: str
    column: str
    share: float
    products: tuple[int, ...]

    @property
    def threshold(self) -> float:
        """Lowest mass [GeV] at which the mode is open: the sum of m0 - 2 Gamma0 of its products (PDG
        mass and width; the decayer draws a resonance's mass from its line shape within the phase space)."""
        return float(sum(max(particle(abs(p)).mass - 2.0 * particle(abs(p)).width, 0.0) for p in self.products))


#: vector mediator, DarkCast columns (C = -1, I = 0 or 1 photon-like states). K Kbar pi: the isospin
#: shares of the K Kbar* (892) + c.c. intermediate state of an isoscalar/isovector photon, K+K-pi0 :
#: K0 K0bar pi0 : K+- K0 pi-+ = 1/6 : 1/6 : 2/3 (K*+ -> K0 pi+ : K+ pi0 = 2 : 1).
VECTOR_MODES = (
    ExclusiveMode("pi+ pi- pi0", "R_pi+_pi-_pi0", 1.0, (211, -211, 111)),
    ExclusiveMode("pi0 gamma", "R_pi0_gamma", 1.0, (111, 22)),
    ExclusiveMode("2pi+ 2pi-", "R_pi+_pi-_pi+_pi-", 1.0, (211, -211, 211, -211)),
    ExclusiveMode("pi+ pi- 2pi0", "R_pi+_pi-_pi0_pi0", 1.0, (211, -211, 111, 111)),
    ExclusiveMode("K+ K- pi0", "R_K_K_pi", 1.0 / 6.0, (321, -321, 111)),
    ExclusiveMode("K0 K0bar pi0", "R_K_K_pi", 1.0 / 6.0, (311, -311, 111)),
    ExclusiveMode("K+ K0bar pi-", "R_K_K_pi", 1.0 / 3.0, (321, -311, -211)),
    ExclusiveMode("K- K0 pi+", "R_K_K_pi", 1.0 / 3.0, (-321, 311, 211)),
)
VECTOR_OTHER = "R_other"

#: pseudoscalar ALP, columns of the 1811.03474 table. pi pi X (X = eta, eta'; I = 0 pi pi pair):
#: pi+pi- : pi0 pi0 = 2 : 1; rho rho (I = 0): rho+ rho- : rho0 rho0 = 2 : 1; K* Kbar* (I = 0):
#: K*+ K*- : K*0 K*0bar = 1 : 1; K Kbar pi (I = 0, through K* Kbar + c.c.): 1/6 : 1/6 : 1/3 : 1/3 as above.
ALP_MODES = (
    ExclusiveMode("pi+ pi- eta", "2PiEta", 2.0 / 3.0, (211, -211, 221)),
    ExclusiveMode("pi0 pi0 eta", "2PiEta", 1.0 / 3.0, (111, 111, 221)),
    ExclusiveMode("pi+ pi- eta'", "2PiEtaPrim", 2.0 / 3.0, (211, -211, 331)),
    ExclusiveMode("pi0 pi0 eta'", "2PiEtaPrim", 1.0 / 3.0, (111, 111, 331)),
    ExclusiveMode("pi+ pi- gamma", "2PiGamma", 1.0, (211, -211, 22)),
    ExclusiveMode("rho+ rho-", "2Rho", 2.0 / 3.0, (213, -213)),
    ExclusiveMode("rho0 rho0", "2Rho", 1.0 / 3.0, (113, 113)),
    ExclusiveMode("omega omega", "2Omega", 1.0, (223, 223)),
    ExclusiveMode("K*+ K*-", "2Kstar", 0.5, (323, -323)),
    ExclusiveMode("K*0 K*0bar", "2Kstar", 0.5, (313, -313)),
    ExclusiveMode("phi phi", "2Phi", 1.0, (333, 333)),
    ExclusiveMode("K+ K- pi0", "2KPi", 1.0 / 6.0, (321, -321, 111)),
    ExclusiveMode("K0 K0bar pi0", "2KPi", 1.0 / 6.0, (311, -311, 111)),
    ExclusiveMode("K+ K0bar pi-", "2KPi", 1.0 / 3.0, (321, -311, -211)),
    ExclusiveMode("K- K0 pi+", "2KPi", 1.0 / 3.0, (-321, 311, 211)),
)


@lru_cache(maxsize=1)
def _alp_table() -> dict[str, np.ndarray]:
    return hadrons.read_table("hadronic", "alp_gluon_exclusive_widths_1811.03474.csv")


def _alp_column(column: str, m):
    t = _alp_table()
    return np.interp(np.asarray(m, dtype=float), t["m_GeV"], t[column], left=0.0, right=t[column][-1])


def _vector_column(column: str, m):
    t = hadrons._table()
    return np.interp(np.asarray(m, dtype=float), t["m_GeV"], t[column], left=0.0, right=t[column][-1])


@dataclass(frozen=True)
class ExclusiveSet:
    """The exclusive modes of one mediator and the table they are read from."""

    kind: str  # "vector" or "alp"
    modes: tuple[ExclusiveMode, ...]

    def probabilities(self, m) -> tuple[np.ndarray, np.ndarray]:
        """(P(mode) of every mode, shape (..., n_modes); P(other), shape (...)) at the masses ``m`` [GeV] of
        the hadronic system; modes not open at m get 0 (their share goes to the others by normalisation).
        They sum to 1; P(other) = 1 where no exclusive mode is open and the table has no width (the
        string model then hadronises the pair)."""
        m = np.asarray(m, dtype=float)
        open_ = np.stack([md.threshold < m for md in self.modes], axis=-1)
        if self.kind == "vector":
            w = np.stack([md.share * _vector_column(md.column, m) for md in self.modes], axis=-1)
            other = _vector_column(VECTOR_OTHER, m)
        else:
            w = np.stack([md.share * _alp_column(md.column, m) for md in self.modes], axis=-1)
            other = np.clip(_alp_column("total", m) - w.sum(axis=-1), 0.0, None)
        w = np.where(open_, w, 0.0)
        norm = w.sum(axis=-1) + other
        empty = norm <= 0.0
        safe = np.where(empty, 1.0, norm)
        return w / safe[..., None], np.where(empty, 1.0, other / safe)


#: model name -> its exclusive set (models whose channels flag hadronise)
BY_MODEL = {"dark_vector": ExclusiveSet("vector", VECTOR_MODES), "alp": ExclusiveSet("alp", ALP_MODES)}
