"""Stand-in for basf2's simulation module: ``add_simulation`` with the tabled signature."""

from _table import call


def add_simulation(*args, **kwargs):
    call("simulation.add_simulation", args, kwargs)
