"""bkgen: Monte Carlo generator for B -> K(*) + invisible dark-sector decays.

Units throughout: GeV, GeV^2, mm, ns.
"""

__version__ = "0.1.0"
