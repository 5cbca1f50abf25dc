"""Decay models. The registry is an explicit mapping; a new model is one module plus one line here."""

from __future__ import annotations

from . import massless_dark_photon, sm_nunu
from .base import Model

MODELS: dict[str, Model] = {
    sm_nunu.MODEL.name: sm_nunu.MODEL,
    massless_dark_photon.MODEL.name: massless_dark_photon.MODEL,
}


def get(name: str) -> Model:
    """The model called ``name``; ValueError naming the allowed ones otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in MODELS)
        raise ValueError(f"process.model = {name!r} is not a known model; allowed: {allowed}") from None
