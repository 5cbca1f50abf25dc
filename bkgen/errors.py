"""bkgen's own exception for bad input, and the check for optional dependencies.

Anything the user can get wrong (a card value, a command-line option, an input file, an output
location) raises :class:`InputError` with one line naming the key, the value and what is allowed;
the command line prints that line and exits with status 2. Every other exception is a bug and is
shown as a traceback (exit status 1).
"""

from __future__ import annotations

import importlib


class InputError(ValueError):
    """Bad input: one line naming the key, the value and what is allowed (exit status 2)."""


class MissingExtra(InputError, ImportError):
    """A feature needs an optional dependency that is not installed: one line with the install command."""


#: optional features -> (modules they import, pip extra); the core install generates and writes ROOT
EXTRAS = {
    "recast": (("pyhf",), "recast"),
    "plot": (("matplotlib", "mplhep"), "plot"),
    "dask": (("dask.distributed", "cryptography"), "dask"),
    "hepmc": (("pyhepmc",), "hepmc"),
    "hadronise": (("pythia8mc",), "hadronise"),
}


def require(extra: str, what: str, modules: tuple[str, ...] | None = None):
    """Import the modules of the optional ``extra`` (all of them by default) and return the first;
    :class:`MissingExtra` naming ``what`` needs it and the pip command that installs it otherwise."""
    names, pip_extra = EXTRAS[extra]
    mods = []
    for name in modules or names:
        try:
            mods.append(importlib.import_module(name))
        except ImportError:
            raise MissingExtra(
                f"{what} needs the optional dependency {name!r}; allowed: install it with "
                f"pip install 'bkgen[{pip_extra}]'"
            ) from None
    return mods[0]
