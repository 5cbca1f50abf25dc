"""Hadronic decays of a vector mediator through the R-ratio.

R_mu^h(m) = Gamma(X -> hadrons) / Gamma(X -> mu+ mu-) (seed 003 eq. 38, seed 001 sec. 2):

* m <= 2 GeV: the dark-photon R-ratio table derived from DarkCast v1.2 (Ilten, Soreq, Williams,
  Xue, JHEP 06 (2018) 004, arXiv:1801.04847), shipped in ``bkgen/data/darkcast`` (provenance and
  licence in its README), total and per final state, linear interpolation;
* m > 2 GeV: the perturbative ratio R = N_c sum_q Q_q^2 (1 + alpha_s(m)/pi) over the open
  flavours (PDG RPP 2024, review "Quantum chromodynamics", R-ratio at O(alpha_s)), with alpha_s
  from :mod:`bkgen.physics.qcd`. Open charm enters above 2 m(D0) with the vector-current
  threshold factor beta (3 - beta^2)/2; narrow c cbar resonances (J/psi, psi(2S)) are not included.
  At 2 GeV the two descriptions agree to 1 %.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np

from . import qcd
from .inputs import mass

#: upper edge of the tabulated region [GeV]
M_TABLE_MAX = 2.0
N_COLOURS = 3
#: electric charges of the light quarks u, d, s
_LIGHT_Q2 = (4.0 / 9.0) + (1.0 / 9.0) + (1.0 / 9.0)
_CHARM_Q2 = 4.0 / 9.0


def read_table(*parts: str) -> dict[str, np.ndarray]:
    """The columns of a numeric CSV file under ``bkgen/data`` (``#`` comment lines, one header line)."""
    path = resources.files("bkgen").joinpath("data", *parts)
    with path.open("r") as fh:
        lines = [ln for ln in fh.read().splitlines() if ln and not ln.startswith("#")]
    header = lines[0].split(",")
    data = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])
    return {name: data[:, i] for i, name in enumerate(header)}


@lru_cache(maxsize=1)
def _table() -> dict[str, np.ndarray]:
    return read_table("darkcast", "darkphoton_Rmu_hadrons_darkcast.csv")


@lru_cache(maxsize=1)
def _alpha_s_grid() -> tuple[np.ndarray, np.ndarray]:
    m = np.geomspace(1.0, 20.0, 400)
    return np.log(m), np.array([qcd.alpha_s(float(x)) for x in m])


def alpha_s(m):
    """alpha_s(m) of :func:`bkgen.physics.qcd.alpha_s` (two-loop running), interpolated in ln m on a
    400-point grid over 1-20 GeV (relative accuracy 4e-5; the R-ratio needs 1e-3)."""
    lm, a = _alpha_s_grid()
    return np.interp(np.log(np.clip(np.asarray(m, dtype=float), 1.0, 20.0)), lm, a)


def _charm_threshold(m):
    """Open-charm threshold factor beta (3 - beta^2)/2 with beta from 2 m(D0) (module docstring)."""
    m = np.asarray(m, dtype=float)
    m_d = mass(421)
    beta2 = np.clip(1.0 - 4.0 * m_d**2 / np.maximum(m, 1e-12) ** 2, 0.0, 1.0)
    return np.sqrt(beta2) * (3.0 - beta2) / 2.0


def r_perturbative(m):
    """R = N_c sum_q Q_q^2 (1 + alpha_s/pi), light quarks plus open charm (module docstring)."""
    m = np.asarray(m, dtype=float)
    k_qcd = 1.0 + alpha_s(np.maximum(m, 1.0)) / np.pi
    return N_COLOURS * (_LIGHT_Q2 + _CHARM_Q2 * _charm_threshold(m)) * k_qcd


def _interp(column: str, m):
    t = _table()
    return np.interp(np.asarray(m, dtype=float), t["m_GeV"], t[column], left=0.0, right=t[column][-1])


def r_pipi(m):
    """R for X -> pi+ pi- (DarkCast table; frozen at its 2 GeV value above, the DarkCast convention)."""
    return _interp("R_pi+_pi-", m)


def r_kk(m):
    """R for X -> K Kbar, charged plus neutral (DarkCast table; frozen at its 2 GeV value above)."""
    return _interp("R_K_K", m)


def _perturbative_light(m):
    return N_COLOURS * _LIGHT_Q2 * (1.0 + alpha_s(np.maximum(np.asarray(m, dtype=float), 1.0)) / np.pi)


def r_light_other(m):
    """R of the light-hadron final states other than pi+pi- and K Kbar: the table remainder up to
    2 GeV; above, that remainder at 2 GeV plus the change of the perturbative light-quark R since
    2 GeV (continuous at 2 GeV, where table and perturbative R differ by 0.6 %)."""
    m = np.asarray(m, dtype=float)
    below = np.clip(_interp("R_total", m) - _interp("R_pi+_pi-", m) - _interp("R_K_K", m), 0.0, None)
    edge = float(np.clip(_interp("R_total", M_TABLE_MAX) - _interp("R_pi+_pi-", M_TABLE_MAX)
                         - _interp("R_K_K", M_TABLE_MAX), 0.0, None))
    above = edge + _perturbative_light(m) - _perturbative_light(M_TABLE_MAX)
    return np.where(m <= M_TABLE_MAX, below, above)


def r_total(m):
    """R_mu^h(m): sum of the exclusive, other-light and open-charm parts (the DarkCast table up to
    2 GeV, perturbative running above)."""
    return r_pipi(m) + r_kk(m) + r_light_other(m) + r_charm(m)


def r_charm(m):
    """Open-charm part of the perturbative R (zero below 2 m(D0))."""
    m = np.asarray(m, dtype=float)
    return N_COLOURS * _CHARM_Q2 * _charm_threshold(m) * (1.0 + alpha_s(np.maximum(m, 1.0)) / np.pi)


def kk_charged_fraction(m):
    """Share of K+K- in X -> K Kbar: P-wave phase space beta^3 of K+K- over K+K- plus K0 K0bar
    (isospin-symmetric amplitudes, as for phi(1020) dominance)."""
    m = np.asarray(m, dtype=float)
    bc = np.clip(1.0 - 4.0 * mass(321) ** 2 / m**2, 0.0, None) ** 1.5
    bn = np.clip(1.0 - 4.0 * mass(311) ** 2 / m**2, 0.0, None) ** 1.5
    tot = bc + bn
    return np.where(tot > 0.0, bc / np.where(tot > 0.0, tot, 1.0), 0.0)
