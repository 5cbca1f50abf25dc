"""The model interface every decay model implements.

A *model* (one module in this package) declares its parameters with units and
allowed ranges, the decays it offers, and for a chosen decay a list of
*channels*: incoherent components of one topology (e.g. one per dark-fermion
generation or neutrino flavour).  A channel describes

    B -> M Y,   M -> m1 m2 (optional),   Y -> y1 y2 (optional)

through numpy functions of (q^2, m_M):

* ``rate(q2, m_M)``: dGamma/dq^2 [GeV^-1] summed over angles (or Gamma [GeV]
  when q^2 is fixed, e.g. a real massless dark photon);
* ``helicity(q2, m_M)``: the B -> M Y helicity amplitudes H_lambda,
  lambda = -1, 0, +1 (relative normalisation is all that matters);
* ``pair_weights(q2, m_M)``: weights w_sigma of the Y -> y1 y2 helicity
  configurations sigma = lambda_1 - lambda_2 = -1, 0, +1.

The generator turns these into tables and samples them; physics lives here,
sampling in :mod:`bkgen.kernels`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..inputs import BLATT_WEISSKOPF_R, mass, particle

#: Y decay modes understood by the kernel
Y_STABLE, Y_VECTOR, Y_SCALAR = 0, 1, 2


@dataclass(frozen=True)
class Parameter:
    """A model parameter: name, default, unit, allowed closed range, description."""

    name: str
    default: Any
    unit: str
    doc: str
    kind: type = float
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None


@dataclass(frozen=True)
class LineShape:
    """Relativistic Breit-Wigner of a spin-1 meson decaying to two spin-0 mesons
    (P wave), with mass-dependent width and Blatt-Weisskopf barrier factor
    (PDG RPP 2024 review "Resonances", eqs. for Gamma(m) with L = 1)."""

    m0: float  # pole mass [GeV]
    gamma0: float  # width at the pole [GeV]
    m_d1: float  # daughter masses [GeV]
    m_d2: float
    m_lo: float  # truncation window [GeV]
    m_hi: float
    radius: float = BLATT_WEISSKOPF_R  # GeV^-1

    def _q(self, m):
        m = np.asarray(m, dtype=float)
        a = (m**2 - (self.m_d1 + self.m_d2) ** 2) * (m**2 - (self.m_d1 - self.m_d2) ** 2)
        return np.sqrt(np.clip(a, 0.0, None)) / (2.0 * m)

    def width(self, m):
        """Mass-dependent width Gamma(m) = Gamma0 (q/q0)^3 (m0/m) B1(q)^2/B1(q0)^2 [GeV]."""
        q = self._q(m)
        q0 = self._q(self.m0)
        r2 = self.radius**2
        return self.gamma0 * (q / q0) ** 3 * (self.m0 / m) * (1.0 + r2 * q0**2) / (1.0 + r2 * q**2)

    def density_m2(self, m2):
        """Unnormalised density in m^2: m0 Gamma(m) / ((m^2 - m0^2)^2 + m0^2 Gamma(m)^2) / pi [GeV^-2]."""
        m = np.sqrt(m2)
        g = self.width(m)
        return self.m0 * g / ((m2 - self.m0**2) ** 2 + (self.m0 * g) ** 2) / np.pi


def meson_line_shape(meson: int, daughters: tuple[int, int], params: dict, m_max: float) -> LineShape:
    """Line shape of the spin-1 meson ``meson`` -> ``daughters`` from its PDG mass and width,
    truncated at m0 -+ n Gamma0 (n = params['line_shape_halfwidths']), above the daughters'
    threshold and below ``m_max``."""
    v = particle(abs(meson))
    d1, d2 = mass(abs(daughters[0])), mass(abs(daughters[1]))
    n = params["line_shape_halfwidths"]
    return LineShape(
        m0=v.mass, gamma0=v.width, m_d1=d1, m_d2=d2,
        m_lo=max(d1 + d2 + 1e-6, v.mass - n * v.width), m_hi=min(v.mass + n * v.width, m_max - 1e-6),
        radius=params["blatt_weisskopf_radius"],
    )


#: card parameters of :func:`meson_line_shape`, shared by models with a K* or phi
LINE_SHAPE_PARAMETERS = (
    Parameter("line_shape_halfwidths", 10.0, "", "K*/phi line shape truncated at m0 -+ n Gamma0", float, 0.5, 1e3),
    Parameter("blatt_weisskopf_radius", BLATT_WEISSKOPF_R, "GeV^-1", "P-wave barrier radius of the K*/phi width",
              float, 0.0, 20.0),
)


@dataclass(frozen=True)
class Channel:
    """One incoherent component of a decay (see module docstring). PDG codes are those of
    the process the amplitudes describe; the generator conjugates them when asked."""

    label: str
    parent: int
    meson: int
    y: int  # PDG code of Y (0 if Y is only the pair's total momentum)
    y_daughters: tuple[int, int] | None
    meson_daughters: tuple[int, int] | None
    y_mode: int
    rate: Callable
    helicity: Callable
    pair_weights: Callable
    q2_fixed: float | None = None  # fixed q^2 (two-body with a stable Y of fixed mass)
    line_shape: LineShape | None = None
    y_mass: float = 0.0  # mass of a stable Y [GeV]
    #: (pole mass, width) [GeV] of an on-shell mediator Y: q^2 is then sampled through the
    #: arctan map of this Breit-Wigner (rate(q2) must contain the full line shape)
    y_breit_wigner: tuple[float, float] | None = None
    y_ctau: float = 0.0  # proper decay length of Y [mm]
    y_in_record: bool = True
    visible_br: float = 1.0  # BR of the meson decay written to the record
    extra: dict = field(default_factory=dict)

    @property
    def j_meson(self) -> int:
        return 1 if self.meson_daughters is not None else 0

    @property
    def m_parent(self) -> float:
        return mass(self.parent)

    @property
    def m_meson(self) -> float:
        return mass(self.meson)

    @property
    def y_daughter_masses(self) -> tuple[float, float]:
        if self.y_daughters is None:
            return 0.0, 0.0
        return tuple(_state_mass(p, self.extra) for p in self.y_daughters)

    @property
    def q2_lo(self) -> float:
        if self.q2_fixed is not None:
            return self.q2_fixed
        m1, m2 = self.y_daughter_masses
        return (m1 + m2) ** 2


def _state_mass(pdg: int, extra: dict) -> float:
    """Mass of a state in the record: model-defined states carry their mass in ``extra``."""
    masses = extra.get("masses", {})
    if abs(pdg) in masses:
        return masses[abs(pdg)]
    return mass(abs(pdg))


@dataclass(frozen=True)
class Decay:
    """A decay a model offers: its name (as written in cards) and a builder of channels."""

    name: str
    doc: str
    build: Callable[[dict], list[Channel]]
    parent: int
    #: True when the channels' amplitudes describe the CP conjugate of the named decay
    #: (b -> s convention for a decay named with a B0 or B+ parent)
    amplitude_conjugate: bool = False
    #: optional per-run extension, ``extension(generator)``, returning an object with
    #: ``branch_types`` (extra scalar branches, name -> dtype), ``apply(scalars, particles, seed)``
    #: (called on every chunk of branches: adds those branches and may change weights, vertices,
    #: status and PDG codes in place) and ``summary(generator)`` (a dict that
    #: ``Generator.summary()`` adds under "extra"); e.g. bkgen.detector.long_lived.LongLivedY
    extension: Callable | None = None


@dataclass(frozen=True)
class RateScaling:
    """A parameter that only rescales the rate: at fixed other parameters every channel width of the
    listed decays (all decays if empty) is proportional to |value|^power, and nothing else (Y widths,
    lifetimes, branching ratios, q^2 shapes) depends on it. ``applies(params)`` restricts the
    declaration to parameter points where it holds (e.g. a coupling taken from the card)."""

    parameter: str
    power: float
    decays: tuple[str, ...] = ()
    applies: Callable[[dict], bool] | None = None

    def holds(self, params: dict, decay: str) -> bool:
        return (not self.decays or decay in self.decays) and (self.applies is None or bool(self.applies(params)))


@dataclass(frozen=True)
class Model:
    """A decay model: parameters, decays, and the seed it implements.

    ``rate_scaling``: the parameters that only rescale the rate (:class:`RateScaling`); ``symbols``:
    the physics symbol of each parameter (matplotlib mathtext) for axis labels, the unit coming from
    :class:`Parameter` (see :meth:`label`)."""

    name: str
    doc: str
    source: str
    parameters: tuple[Parameter, ...]
    decays: tuple[Decay, ...]
    validate: Callable[[dict, str], None] | None = None
    rate_scaling: tuple[RateScaling, ...] = ()
    symbols: dict = field(default_factory=dict)

    def label(self, name: str) -> str:
        """Axis label of parameter ``name``: its symbol and unit, e.g. "$m_X$ [GeV]"."""
        unit = next((p.unit for p in self.parameters if p.name == name), "")
        sym = self.symbols.get(name, name)
        return f"{sym} [{unit}]" if unit else sym

    def scaling(self, name: str, params: dict, decay: str) -> RateScaling | None:
        """The rate-scaling declaration of ``name`` if it holds at ``params`` for ``decay``."""
        for r in self.rate_scaling:
            if r.parameter == name and r.holds(params, decay):
                return r
        return None

    def decay(self, name: str) -> Decay:
        for d in self.decays:
            if d.name == name:
                return d
        allowed = ", ".join(repr(d.name) for d in self.decays)
        raise ValueError(f"process.decay = {name!r} is not a decay of model {self.name!r}; allowed: {allowed}")

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.parameters}


def scalar_meson_helicity(q2, m_meson=None):
    """Helicity amplitudes of B -> K Y with a spinless K: only lambda = 0."""
    h = np.zeros(np.shape(q2) + (3,))
    h[..., 1] = 1.0
    return h


def isotropic_pair_weights(q2, m_meson=None):
    """Pair weights of a Y whose decay carries no angular information (spin-0 Y, or equal weights)."""
    return np.ones(np.broadcast(np.asarray(q2), np.asarray(0.0 if m_meson is None else m_meson)).shape + (3,))


def kallen(a, b, c):
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def parent_width(pdg: int) -> float:
    """Total width of the decaying B from its PDG lifetime [GeV]."""
    return particle(abs(pdg)).width
