"""Hadronic form factors of B -> K, B -> K* and Bs -> phi as functions of s = q^2 [GeV^2].

One entry point, :func:`get`::

    ff = get("B->K")                 # default set (GKvD2018, LCSR + lattice)
    ff.f_plus(s), ff.f_zero(s), ff.f_T(s)
    ff = get("B->K*", "BSZ2015-LCSR")
    ff.V(s), ff.A0(s), ff.A1(s), ff.A2(s), ff.A12(s), ff.T1(s), ff.T2(s), ff.T3(s), ff.T23(s)

Every object has ``name``, ``transition``, ``m_B``, ``m_M`` [GeV] and ``source``
(citation), and ``varied(sigmas=False, **shifts)`` returning a copy with shifted
parameters (``parameter_names``, ``central``, ``uncertainties`` list them).

Sets with a published covariance (``has_covariance``; all but BHvDW2012, whose
source gives ranges only) also have ``covariance`` (over ``parameter_names``),
``eigen`` (sigma_k and unit directions), ``n_eigen``, ``varied_eigen(k, +1/-1)``
and ``varied_vector(delta)``; the matrices are in bkgen/data/form_factors/.
"""

from __future__ import annotations

from functools import partial

from ...errors import InputError
from ..inputs import mass
from . import bhvdw2012, bsz

#: default meson pair (PDG ids of the B and the final meson) per transition
DEFAULT_MESONS = {
    "B->K": (521, 321),  # B+ -> K+
    "B->K*": (511, 313),  # B0 -> K*(892)0
    "Bs->phi": (531, 333),  # Bs -> phi(1020)
}

#: transition -> {set name -> constructor(m_B, m_M)}; the first entry is the default
_REGISTRY = {
    "B->K": {
        "GKvD2018": partial(bsz.BToPseudoscalarBSZ, bsz.GKVD2018),
        "GKvD2018-LCSR": partial(bsz.BToPseudoscalarBSZ, bsz.GKVD2018_LCSR_ONLY),
        "GRvDV2023": partial(bsz.BToPseudoscalarBSZ, bsz.GRVDV2023_BK),
        "BelleII2025": partial(bsz.BToPseudoscalarBSZ, bsz.BELLE2_2025_BK),
        "BHvDW2012": bhvdw2012.BHvDW2012,
    },
    "B->K*": {
        "BSZ2015": partial(bsz.BToVectorBSZ, bsz.BSZ2015_BKSTAR),
        "BSZ2015-LCSR": partial(bsz.BToVectorBSZ, bsz.BSZ2015_BKSTAR_LCSR_ONLY),
        "GRvDV2023": partial(bsz.BToVectorBSZ, bsz.GRVDV2023_BKSTAR),
    },
    "Bs->phi": {
        "BSZ2015": partial(bsz.BToVectorBSZ, bsz.BSZ2015_BSPHI),
        "BSZ2015-LCSR": partial(bsz.BToVectorBSZ, bsz.BSZ2015_BSPHI_LCSR_ONLY),
        "GRvDV2023": partial(bsz.BToVectorBSZ, bsz.GRVDV2023_BSPHI),
    },
}


def transitions() -> tuple[str, ...]:
    """Transitions with form factors."""
    return tuple(_REGISTRY)


def _sets(transition: str) -> dict:
    try:
        return _REGISTRY[transition]
    except KeyError:
        raise InputError(f"unknown transition {transition!r}; allowed: {list(_REGISTRY)}") from None


def available(transition: str) -> tuple[str, ...]:
    """Names of the form-factor sets of ``transition``, default first."""
    return tuple(_sets(transition))


def default(transition: str) -> str:
    """Name of the default set of ``transition``."""
    return available(transition)[0]


def get(transition: str, name: str | None = None, m_B: float | None = None, m_M: float | None = None):
    """Form-factor set ``name`` (default set if None) of ``transition``.

    ``m_B`` and ``m_M`` [GeV] enter z(s) and the kinematic relations; if None
    they are the PDG masses of :data:`DEFAULT_MESONS` (``bkgen.physics.inputs``).
    """
    sets = _sets(transition)
    if name is None:
        name = next(iter(sets))
    if name not in sets:
        raise InputError(f"unknown form-factor set {name!r} for {transition}; allowed: {list(sets)}")
    if m_B is None or m_M is None:
        pdg_B, pdg_M = DEFAULT_MESONS[transition]
        m_B = mass(pdg_B) if m_B is None else m_B
        m_M = mass(pdg_M) if m_M is None else m_M
    return sets[name](m_B=m_B, m_M=m_M)


__all__ = ["DEFAULT_MESONS", "available", "default", "get", "transitions"]
