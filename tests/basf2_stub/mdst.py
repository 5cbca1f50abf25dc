"""Stand-in for basf2's mdst module: ``add_mdst_output`` with the tabled signature."""

from _table import call


def add_mdst_output(*args, **kwargs):
    call("mdst.add_mdst_output", args, kwargs)
