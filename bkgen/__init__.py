"""bkgen: Monte Carlo generator for B -> K(*) + invisible dark-sector decays.

Units throughout: GeV, GeV^2, mm, ns. The Python API (:mod:`bkgen.api`): :func:`generate` events
as an awkward array, :func:`info` a card's widths and branching ratios, :func:`read` a ROOT file
written by ``bkgen generate``; :func:`cards` lists the shipped cards. Importing bkgen is cheap:
the API loads numba and the rest when first called.
"""

__version__ = "0.1.0"

__all__ = ["InputError", "__version__", "cards", "generate", "info", "read"]

from .errors import InputError


def __getattr__(name):
    if name == "generate":  # the subpackage bkgen.generate, callable as the API function
        import importlib

        return importlib.import_module(".generate", __name__)
    if name in ("info", "read"):
        from . import api

        return getattr(api, name)
    if name == "cards":
        from .config.catalog import names

        return names
    raise AttributeError(f"module 'bkgen' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
