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
  lambda = -1, 0, +1 (relative normalisation is all that matters; real, or complex when the amplitudes
  have relative phases: the kernel then samples the T-odd sin chi, sin 2chi terms too);
* ``pair_weights(q2, m_M)``: weights w_sigma of the Y -> y1 y2 helicity
  configurations sigma = lambda_1 - lambda_2 = -1, 0, +1.

The generator turns these into tables and samples them; physics lives here,
sampling in :mod:`bkgen.kernels`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable

import numpy as np

from ...errors import InputError
from ..inputs import BLATT_WEISSKOPF_R, mass, particle

#: Y decay modes understood by the kernel
Y_STABLE, Y_VECTOR, Y_SCALAR = 0, 1, 2


@dataclass(frozen=True)
class Parameter:
    """A model parameter: name, default, unit, allowed closed range, description. A ``list``
    parameter (an array of tables) declares the keys of each table in ``items`` (default None:
    required). A float parameter with ``complex = True`` (a Wilson coefficient) also takes a complex
    value, written in a card as the table ``{re = x, im = y}``; lo and hi then bound re and im
    (:func:`complex_value` reads it)."""

    name: str
    default: Any
    unit: str
    doc: str
    kind: type = float
    lo: float | None = None
    hi: float | None = None
    choices: tuple | None = None
    items: tuple = ()
    complex: bool = False


def complex_value(v):
    """A parameter value as a number: a float stays a float, a resolved complex value (the mapping
    {"re": x, "im": y} of a card) becomes complex(x, y)."""
    if isinstance(v, Mapping):
        return complex(float(v["re"]), float(v["im"]))
    return v


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


#: Smallest Gamma/m of a tabulated Breit-Wigner line shape of a mediator Y (README "Known
#: limitations (ii)"). The q^2 grid is q^2 = m^2 + m Gamma tan(y) in double precision, so for
#: m Gamma below ~1e6 ulp(m^2) the Breit-Wigner evaluated at the rounded q^2 no longer cancels the
#: map's Jacobian (width error 1e-4 at Gamma/m = 1e-13, 6e-3 at 1e-15). Narrower mediators are
#: tabulated with this width and the numerator scaled by Gamma_line/Gamma_Y, which keeps every
#: channel width equal to Gamma(B -> M Y) BR(Y -> f); the q^2 spread is then 1e-10 m^2 instead of
#: Gamma m (c tau_Y uses the true width). ``Channel`` refuses a narrower ``y_breit_wigner``.
NARROW_WIDTH_FLOOR = 1e-10


def line_width(m: float, gamma: float) -> float:
    """Width [GeV] of the tabulated Breit-Wigner of a mediator of mass ``m`` and true width ``gamma``:
    max(gamma, NARROW_WIDTH_FLOOR m)."""
    return max(float(gamma), NARROW_WIDTH_FLOOR * float(m))


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(v)


#: PDG codes a channel may declare ``invisible`` (they escape detection): neutrinos and the model
#: states of the PDG Monte Carlo block for dark matter and mediators (51-60)
_INVISIBLE_SM = frozenset({12, 14, 16})
#: colour-singlet parton pairs a channel may flag ``hadronise``: quarks d..t and the gluon
_PARTONS = frozenset({1, 2, 3, 4, 5, 6, 21})


@dataclass(frozen=True)
class Topology:
    """What a channel writes to the event record: the entries after the B (the record's fixed
    leading entries follow from it). Every channel of a decay has the same topology."""

    meson_decays: bool  # M -> m1 m2 in the record (spin-1 meson with a line shape)
    line_shape: bool  # m_M sampled from a line shape (x tables)
    q2_sampled: bool  # q^2 sampled (False: fixed q^2, two-body with a Y of fixed mass)
    y_in_record: bool  # Y written as an entry (False: only its daughters, with the B as mother)
    y_decays: bool  # Y -> y1 y2 in the record

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.__dict__.items())


@dataclass(frozen=True)
class Channel:
    """One incoherent component of a decay (see module docstring). PDG codes are those of
    the process the amplitudes describe; the generator conjugates them when asked.

    Typed contract with the generator (checked in ``__post_init__``, one-line ValueError naming the
    channel): ``masses`` maps |PDG| of model-defined states to their mass [GeV]; ``self_conjugate``
    the |PDG| codes that keep their sign under charge conjugation in this channel (Majorana fermion,
    real scalar), besides the global ``inputs.SELF_CONJUGATE``; ``invisible`` is True when everything
    the B decays to except the meson (and its decay products) escapes detection by construction
    (nu nubar, dark-matter pairs, stable invisible states), never for a visibly decaying Y however
    long-lived; ``hadronise`` flags Y daughters that are a colour-singlet parton pair (q qbar, g g);
    ``mode`` names the Y decay mode of the channel (e.g. "psi psi"), '' if none."""

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
    #: arctan map of this Breit-Wigner (rate(q2) must contain the full line shape); width/mass
    #: >= NARROW_WIDTH_FLOOR (use :func:`line_width`)
    y_breit_wigner: tuple[float, float] | None = None
    y_ctau: float = 0.0  # proper decay length of Y [mm]
    y_in_record: bool = True
    visible_br: float = 1.0  # BR of the meson decay written to the record
    masses: Mapping[int, float] = field(default_factory=dict)  # |PDG| -> mass [GeV] of model states
    self_conjugate: frozenset = frozenset()  # |PDG| codes kept under charge conjugation here
    invisible: bool = False
    hadronise: bool = False
    mode: str = ""
    #: (lo, hi) [GeV^2]: q^2 restricted to this window inside the kinematic range (one q^2 segment of a
    #: decay with vetoed regions, e.g. charmonium); None: the full range
    q2_window: tuple[float, float] | None = None
    #: True when every phase of ``helicity`` is weak (CP-odd; e.g. complex Wilson coefficients with real hadronic
    #: and pair amplitudes): the CP-conjugate decay then has the complex-conjugate amplitudes, and its T-odd
    #: sin chi, sin 2chi terms have the opposite sign. False: the phases are strong (CP-even; loop functions,
    #: propagator widths) or absent, and the CP conjugate is the parity image with the same amplitudes.
    weak_phases: bool = False

    def __post_init__(self):
        def bad(what: str):
            return ValueError(f"channel {self.label!r}: {what}")

        if not isinstance(self.label, str) or not self.label:
            raise ValueError(f"channel label {self.label!r}: allowed: a non-empty string")
        for name in ("parent", "meson"):
            v = getattr(self, name)
            if not _is_int(v) or v == 0:
                raise bad(f"{name} = {v!r}; allowed: a non-zero integer PDG code")
        if not _is_int(self.y):
            raise bad(f"y = {self.y!r}; allowed: an integer PDG code (0: Y not a particle)")
        for name in ("y_daughters", "meson_daughters"):
            v = getattr(self, name)
            if v is not None and not (isinstance(v, tuple) and len(v) == 2 and all(_is_int(d) and d != 0 for d in v)):
                raise bad(f"{name} = {v!r}; allowed: None or a pair of non-zero integer PDG codes")
        if self.y_mode not in (Y_STABLE, Y_VECTOR, Y_SCALAR):
            raise bad(f"y_mode = {self.y_mode!r}; allowed: Y_STABLE, Y_VECTOR or Y_SCALAR")
        if (self.y_mode == Y_STABLE) != (self.y_daughters is None):
            raise bad(f"y_mode = {self.y_mode} with y_daughters = {self.y_daughters!r}; allowed: y_daughters "
                      "None exactly when y_mode = Y_STABLE")
        for name in ("rate", "helicity", "pair_weights"):
            if not callable(getattr(self, name)):
                raise bad(f"{name} is not callable")
        if self.q2_fixed is not None and not (_is_number(self.q2_fixed) and self.q2_fixed >= 0):
            raise bad(f"q2_fixed = {self.q2_fixed!r}; allowed: None or a finite q^2 >= 0 GeV^2")
        if self.line_shape is not None and not isinstance(self.line_shape, LineShape):
            raise bad(f"line_shape = {self.line_shape!r}; allowed: None or a LineShape")
        if (self.line_shape is not None) != (self.meson_daughters is not None):
            raise bad("a line shape needs meson_daughters and vice versa (spin-1 meson decaying in the record)")
        if not (_is_number(self.y_mass) and self.y_mass >= 0):
            raise bad(f"y_mass = {self.y_mass!r}; allowed: a finite mass >= 0 GeV")
        if self.y_breit_wigner is not None:
            bw = self.y_breit_wigner
            if not (isinstance(bw, tuple) and len(bw) == 2 and all(_is_number(v) and v > 0 for v in bw)):
                raise bad(f"y_breit_wigner = {bw!r}; allowed: None or (pole mass, width) > 0 GeV")
            if bw[1] < NARROW_WIDTH_FLOOR * bw[0] * (1.0 - 1e-12):
                raise bad(f"y_breit_wigner width/mass = {bw[1] / bw[0]:.3g}; allowed: >= NARROW_WIDTH_FLOOR = "
                          f"{NARROW_WIDTH_FLOOR:g} (tabulate with base.line_width)")
            if self.q2_fixed is not None:
                raise bad("y_breit_wigner with q2_fixed; allowed: one of them")
        if not (_is_number(self.y_ctau) and self.y_ctau >= 0):
            raise bad(f"y_ctau = {self.y_ctau!r}; allowed: a finite proper length >= 0 mm")
        if not isinstance(self.y_in_record, bool):
            raise bad(f"y_in_record = {self.y_in_record!r}; allowed: true or false")
        if self.y_in_record and self.y == 0:
            raise bad("y = 0 (no particle) with y_in_record = True; allowed: y_in_record = False")
        if not self.y_in_record and self.y_daughters is None:
            raise bad("y_in_record = False without y_daughters: nothing recoils against the meson in the record")
        if not (_is_number(self.visible_br) and 0.0 <= self.visible_br <= 1.0):
            raise bad(f"visible_br = {self.visible_br!r}; allowed: a number in [0, 1]")
        if not isinstance(self.masses, Mapping):
            raise bad(f"masses = {self.masses!r}; allowed: a mapping |PDG| -> mass [GeV]")
        masses = {}
        for k, v in self.masses.items():
            if not _is_int(k) or k == 0:
                raise bad(f"masses has key {k!r}; allowed: non-zero integer PDG codes")
            if not (_is_number(v) and v >= 0):
                raise bad(f"masses[{k}] = {v!r}; allowed: a finite mass >= 0 GeV")
            masses[abs(int(k))] = float(v)
        object.__setattr__(self, "masses", MappingProxyType(masses))
        if not isinstance(self.self_conjugate, (set, frozenset, tuple, list)) or not all(
                _is_int(k) and k != 0 for k in self.self_conjugate):
            raise bad(f"self_conjugate = {self.self_conjugate!r}; allowed: a set of non-zero integer PDG codes")
        sc = frozenset(abs(int(k)) for k in self.self_conjugate)
        object.__setattr__(self, "self_conjugate", sc)
        for k in sc:
            if k not in masses and not any(abs(d) == k for d in (self.y_daughters or ())) and abs(self.y) != k:
                raise bad(f"self_conjugate declares {k}, which is not a state of this channel")
        for name in ("invisible", "hadronise", "weak_phases"):
            if not isinstance(getattr(self, name), bool):
                raise bad(f"{name} = {getattr(self, name)!r}; allowed: true or false")
        if not isinstance(self.mode, str):
            raise bad(f"mode = {self.mode!r}; allowed: a string")
        if self.q2_window is not None:
            w = self.q2_window
            if not (isinstance(w, tuple) and len(w) == 2 and all(_is_number(v) and v >= 0 for v in w) and w[0] < w[1]):
                raise bad(f"q2_window = {w!r}; allowed: None or (lo, hi) with 0 <= lo < hi GeV^2")
            if self.q2_fixed is not None:
                raise bad("q2_window with q2_fixed; allowed: one of them")
        recoil = self.y_daughters if self.y_daughters is not None else (self.y,)
        if self.invisible:
            visible = [d for d in recoil if abs(d) not in _INVISIBLE_SM and abs(d) not in masses
                       and not 51 <= abs(d) <= 60]
            if visible:
                raise bad(f"invisible = True but {visible[0]} is not an invisible state (neutrino or model state "
                          "51-60); allowed: invisible = False")
        if self.hadronise:
            if self.y_daughters is None or not all(abs(d) in _PARTONS for d in self.y_daughters):
                raise bad(f"hadronise = True with y_daughters = {self.y_daughters!r}; allowed: a parton pair "
                          "(q qbar or g g)")
            if self.invisible:
                raise bad("hadronise and invisible both True; allowed: at most one")
        for d in (*(self.y_daughters or ()), *(self.meson_daughters or ())):
            if abs(d) not in masses:
                try:
                    mass(abs(d))
                except Exception:
                    raise bad(f"state {d} has no PDG mass; allowed: declare it in masses") from None

    @property
    def topology(self) -> Topology:
        return Topology(meson_decays=self.meson_daughters is not None, line_shape=self.line_shape is not None,
                        q2_sampled=self.q2_fixed is None, y_in_record=self.y_in_record,
                        y_decays=self.y_daughters is not None)

    @property
    def j_meson(self) -> int:
        return 1 if self.meson_daughters is not None else 0

    @property
    def m_parent(self) -> float:
        return mass(self.parent)

    @property
    def m_meson(self) -> float:
        return mass(self.meson)

    def state_mass(self, pdg: int) -> float:
        """Mass [GeV] of a state of this channel: a model state's from ``masses``, else the PDG mass."""
        return self.masses[abs(pdg)] if abs(pdg) in self.masses else mass(abs(pdg))

    @property
    def y_daughter_masses(self) -> tuple[float, float]:
        if self.y_daughters is None:
            return 0.0, 0.0
        return tuple(self.state_mass(p) for p in self.y_daughters)

    @property
    def q2_lo(self) -> float:
        """Lowest q^2 [GeV^2]: the pair threshold, or the lower edge of ``q2_window`` if higher."""
        if self.q2_fixed is not None:
            return self.q2_fixed
        m1, m2 = self.y_daughter_masses
        lo = (m1 + m2) ** 2
        return max(lo, self.q2_window[0]) if self.q2_window is not None else lo

    def q2_hi(self, m_meson):
        """Highest q^2 [GeV^2] at meson mass ``m_meson`` (array): (m_B - m_M)^2, or the upper edge of
        ``q2_window`` if lower, and never below q2_lo."""
        hi = (self.m_parent - np.asarray(m_meson, dtype=float)) ** 2
        if self.q2_window is not None:
            hi = np.minimum(hi, self.q2_window[1])
        return np.maximum(hi, self.q2_lo)


def check_channels(channels: list[Channel], decay: str) -> list[Channel]:
    """The channel list of one decay: non-empty, Channel objects of one parent and one
    :class:`Topology` (so they fit one record layout and one table shape); a ValueError naming the
    first channel that does not fit otherwise. Returns ``channels``."""
    if not isinstance(channels, (list, tuple)) or not channels:
        raise InputError(f"decay {decay!r}: the model built no channels; allowed: at least one open channel")
    for ch in channels:
        if not isinstance(ch, Channel):
            raise ValueError(f"decay {decay!r}: {ch!r} is not a Channel")
    first = channels[0]
    topo = first.topology
    for ch in channels[1:]:
        if abs(ch.parent) != abs(first.parent):
            raise ValueError(f"decay {decay!r}: channel {ch.label!r} has parent {ch.parent}, channel "
                             f"{first.label!r} {first.parent}; allowed: one parent per decay")
        if ch.topology != topo:
            raise ValueError(f"decay {decay!r}: channel {ch.label!r} does not fit the record layout of "
                             f"{first.label!r} ({ch.topology.describe()} vs {topo.describe()}); allowed: "
                             "one topology per decay")
    labels = [ch.label for ch in channels]
    dup = next((lab for i, lab in enumerate(labels) if lab in labels[:i]), None)
    if dup is not None:
        raise ValueError(f"decay {decay!r}: two channels are labelled {dup!r}; allowed: distinct labels")
    return list(channels)


#: per-run extensions a decay may ask for (``Decay.extension``)
EXTENSIONS = (None, "long_lived")


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
    #: optional per-run extension by name, implemented outside the physics layer (the generator
    #: looks it up): "long_lived" = displaced decays of a long-lived Y of fixed mass, its decay
    #: regions and the invisible BR (bkgen.detector.long_lived.LongLivedY)
    extension: str | None = None
    #: optional model properties at the card's parameters, ``summary(params) -> dict`` (shown by
    #: ``bkgen info`` and stored in run_info with the extension's summary)
    summary: Callable[[Mapping], dict] | None = None

    def __post_init__(self):
        if self.extension not in EXTENSIONS:
            raise ValueError(f"decay {self.name!r}: extension = {self.extension!r}; allowed: "
                             f"{', '.join(map(repr, EXTENSIONS))}")

    def channels(self, params: Mapping) -> list[Channel]:
        """The decay's channels at the model parameters ``params``, checked to share one parent and one
        record layout (:func:`check_channels`). Use this, not ``build``."""
        return check_channels(self.build(params), self.name)


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
        raise InputError(f"process.decay = {name!r} is not a decay of model {self.name!r}; allowed: {allowed}")

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
