"""Stand-in for basf2's reconstruction module: ``add_reconstruction`` with the tabled signature."""

from _table import call


def add_reconstruction(*args, **kwargs):
    call("reconstruction.add_reconstruction", args, kwargs)
