"""Decay models, discovered: every module of this package that defines ``MODEL`` (a
:class:`~bkgen.physics.models.base.Model`) is registered under ``MODEL.name``, so a new model is its
module, a card and a test; no list to edit."""

from __future__ import annotations

import importlib
import pkgutil

from ...errors import InputError
from .base import Model


def discover(package: str, path) -> dict[str, Model]:
    """Models of the modules of ``package`` (found on ``path``), in module-name order; a module without
    ``MODEL`` is a helper. TypeError/ValueError for a ``MODEL`` that is not a Model or a duplicate name."""
    models: dict[str, Model] = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "base" or info.ispkg:
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        model = getattr(module, "MODEL", None)
        if model is None:
            continue
        if not isinstance(model, Model):
            raise TypeError(f"{package}.{info.name}.MODEL is not a bkgen Model")
        if model.name in models:
            raise ValueError(f"model name {model.name!r} is defined twice ({package}.{info.name})")
        models[model.name] = model
    return models


MODELS: dict[str, Model] = discover(__name__, __path__)


def get(name: str) -> Model:
    """The model called ``name``; ValueError naming the allowed ones otherwise."""
    try:
        return MODELS[name]
    except KeyError:
        allowed = ", ".join(repr(k) for k in MODELS)
        raise InputError(f"process.model = {name!r} is not a known model; allowed: {allowed}") from None
