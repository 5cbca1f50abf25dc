"""Decay models. The registry is an explicit mapping; a new model is one module plus one line here."""

from __future__ import annotations

from . import alp, dark_higgs, dark_vector, eft, massless_dark_photon, singlet_scalar, sm_nunu
from .base import Model

MODELS: dict[str, Model] = {
    sm_nunu.MODEL.name: sm_nunu.MODEL,
    massless_dark_photon.MODEL.name: massless_dark_photon.MODEL,
    dark_vector.MODEL.name: dark_vector.MODEL,
    dark_higgs.MODEL.name: dark_higgs.MODEL,
    singlet_scalar.MODEL.name: singlet_scalar.MODEL,
    alp.MODEL.name: alp.MODEL,
    eft.MODEL.name: eft.MODEL,
}


def get(name: str) -> Model:
    """The model called ``name``; ValueError naming the allowed ones otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in MODELS)
        raise ValueError(f"process.model = {name!r} is not a known model; allowed: {allowed}") from None
