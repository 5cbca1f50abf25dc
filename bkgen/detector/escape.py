"""Probability that a long-lived Y from B -> M Y decays beyond a detector boundary (escapes).

Y of mass m = sqrt(q^2) [GeV] and proper decay length c tau [mm] is produced at the interaction
point with lab momentum p; it decays beyond boundary k of a
:class:`~bkgen.detector.geometry.Geometry` with probability exp(-d_k / (beta gamma c tau)), d_k the
distance at which its line of flight leaves boundary k, beta gamma = |p| / m
(bkgen.detector.displacement). Averaged over the production kinematics:

* ``frame = "lab"``: e+e- -> Upsilon(4S) -> B Bbar at the card's nominal beam energies (no energy
  spread), B polar angle ~ 1 - cos^2 about the beam axis in the e+e- frame (spin 1 -> two spin 0),
  Y direction isotropic in the B rest frame (spin-0 parent), boosted to the lab; the B flight
  (~0.1 mm) is neglected against the metre-scale detector;
* ``frame = "B_rest"``: the B at rest at the origin, Y isotropic. With a sphere of radius L_det as
  the boundary this is exactly the escape factor exp(-L_det / (beta gamma c tau)) of seed 003
  eq. (11).

The average runs over a fixed set of ``N_DIRECTIONS`` scrambled Sobol points (fixed seed) in the
four angles, so the probability is a smooth, deterministic function of m, c tau and the masses:
parameter scans have no Monte Carlo noise.

Regions that count as escaped: by default only ``outside`` (beyond the KLM, the outermost
boundary); decays inside the KLM count as visible. ``beyond = "calorimeter"`` counts decays in the
KLM as escaped too (a looser variation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.stats import qmc

from ..kernels import flight
from ..physics.models.base import kallen
from ..physics.inputs import mass
from .geometry import Geometry

#: boundaries beyond which a decay counts as escaped (choices offered to the user)
ESCAPE_BOUNDARIES = ("klm", "calorimeter")
DEFAULT_BEYOND = "klm"
#: fixed Sobol points of the angular average (2^11) and their scrambling seed
N_DIRECTIONS = 2048
SOBOL_SEED = 16
#: exp(-EXPONENT_CUT) is zero in double precision for every practical purpose
EXPONENT_CUT = 745.0
FRAMES = ("lab", "B_rest")


def _boost(e, p, pe, pp):
    """Four-momenta (e, p) given in the rest frame of a parent with lab four-momentum (pe, pp) to the
    lab; broadcasting over leading axes (p, pp of shape (..., 3))."""
    pm = np.sqrt(np.maximum(pe * pe - np.einsum("...i,...i->...", pp, pp), 0.0))
    bp = np.einsum("...i,...i->...", p, pp)
    f = (bp / (pe + pm) + e) / pm
    return (pe * e + bp) / pm, p + f[..., None] * pp


def _orthonormal(a):
    """Two unit vectors orthogonal to the unit vector a (any completion)."""
    t = np.array([1.0, 0.0, 0.0]) if abs(a[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    e1 = np.cross(a, t)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(a, e1)


def _cos_one_minus_c2(u):
    """Inverse CDF of the density (3/4)(1 - c^2) on [-1, 1]: the root of c^3 - 3c + 4u - 2 = 0 in [-1, 1]."""
    return 2.0 * np.cos(np.arccos(np.clip(1.0 - 2.0 * u, -1.0, 1.0)) / 3.0 + 4.0 * np.pi / 3.0)


@dataclass(frozen=True)
class Escape:
    """Escape probabilities of a long-lived Y in ``geometry`` (see module docstring).

    ``beam``: (E, px, py, pz) [GeV] of the e+e- system in the lab and ``her``: (E, px, py, pz) of the
    e- beam (its direction defines the beam axis), both for ``frame = "lab"`` only."""

    geometry: Geometry
    parent: int
    frame: str = "lab"
    beam: tuple | None = None
    her: tuple | None = None
    beyond: str = DEFAULT_BEYOND
    n: int = N_DIRECTIONS

    def __post_init__(self):
        names = [b.name for b in self.geometry.boundaries]
        if self.beyond not in names:
            raise ValueError(f"escape boundary {self.beyond!r}; allowed: {', '.join(map(repr, names))}")
        if self.frame not in FRAMES:
            raise ValueError(f"frame {self.frame!r}; allowed: {', '.join(map(repr, FRAMES))}")
        if self.frame == "lab" and (self.beam is None or self.her is None):
            raise ValueError("frame 'lab' needs the e+e- and the e- beam four-momenta")

    @property
    def region_names(self) -> tuple[str, ...]:
        """Regions whose decays count as escaped."""
        k = [b.name for b in self.geometry.boundaries].index(self.beyond)
        return self.geometry.regions[k + 1:]

    @cached_property
    def _index(self) -> int:
        return [b.name for b in self.geometry.boundaries].index(self.beyond)

    @cached_property
    def _points(self):
        """B lab four-momenta (n, 4) and Y unit directions in the B rest frame (n, 3)."""
        u = qmc.Sobol(d=4, scramble=True, seed=SOBOL_SEED).random(self.n)
        cy = 2.0 * u[:, 0] - 1.0
        sy = np.sqrt(np.maximum(1.0 - cy * cy, 0.0))
        phy = 2.0 * np.pi * u[:, 1]
        n_y = np.stack([sy * np.cos(phy), sy * np.sin(phy), cy], axis=1)
        m_b = mass(self.parent)
        if self.frame == "B_rest":
            return np.tile([m_b, 0.0, 0.0, 0.0], (self.n, 1)), n_y
        big = np.asarray(self.beam, dtype=float)
        w = math.sqrt(big[0] ** 2 - big[1:] @ big[1:])
        pb = math.sqrt(max(0.25 * w * w - m_b * m_b, 0.0))
        # beam axis in the e+e- frame: the e- beam direction boosted by -P (as the generator does)
        her = np.asarray(self.her, dtype=float)
        _, a = _boost(np.array(her[0]), her[1:], np.array(big[0]), -big[1:])
        a = a / np.linalg.norm(a)
        e1, e2 = _orthonormal(a)
        cb = _cos_one_minus_c2(u[:, 2])
        sb = np.sqrt(np.maximum(1.0 - cb * cb, 0.0))
        phb = 2.0 * np.pi * u[:, 3]
        d = (sb * np.cos(phb))[:, None] * e1 + (sb * np.sin(phb))[:, None] * e2 + cb[:, None] * a
        eb, pbl = _boost(np.full(self.n, 0.5 * w), pb * d, np.full(self.n, big[0]), np.broadcast_to(big[1:], (self.n, 3)))
        return np.column_stack([eb, pbl]), n_y

    def _min_distance(self) -> float:
        b = self.geometry.boundaries[self._index]
        if self.geometry.shape == "spheres":
            return b.radius
        return min(b.radius, -b.z_min, b.z_max)

    def probability(self, m_y, ctau: float, m_meson: float) -> np.ndarray:
        """P(Y decays beyond the boundary) for Y masses ``m_y`` [GeV] (any shape), proper decay length
        ``ctau`` [mm], B -> M Y with meson mass ``m_meson`` [GeV]; averaged over the production angles."""
        m_y = np.asarray(m_y, dtype=float)
        shape = m_y.shape
        m_y = m_y.ravel()
        out = np.zeros(m_y.size)
        if not ctau > 0:
            return out.reshape(shape)
        if math.isinf(ctau):
            return np.ones(shape)
        m_b = mass(self.parent)
        pstar = np.sqrt(np.clip(kallen(m_b**2, m_meson**2, m_y**2), 0.0, None)) / (2.0 * m_b)
        estar = np.sqrt(pstar**2 + m_y**2)
        p4b, n_y = self._points
        gam = p4b[:, 0] / m_b
        bgb = np.sqrt(np.einsum("ij,ij->i", p4b[:, 1:], p4b[:, 1:])) / m_b
        massless = m_y <= 0.0
        out[massless] = 1.0
        # upper bound of the lab beta gamma: gamma_B p* + (beta gamma)_B E*, over m
        with np.errstate(divide="ignore", invalid="ignore"):
            bg_max = (gam.max() * pstar + bgb.max() * estar) / m_y
        live = ~massless & (bg_max * ctau * EXPONENT_CUT > self._min_distance()) & (pstar > 0)
        idx = np.nonzero(live)[0]
        if idx.size:
            res = np.empty(idx.size)
            radius, z_min, z_max = self.geometry._boundary_arrays()
            flight.mean_escape(pstar[idx], estar[idx], m_y[idx], float(ctau), n_y, p4b, self.geometry.shape == "spheres",
                               radius, z_min, z_max, self._index, res)
            out[idx] = res
        return out.reshape(shape)


def from_card(card: dict, parent: int, beyond: str = DEFAULT_BEYOND) -> Escape:
    """The escape model of a resolved card: its [displacement] geometry and its [beam] frame."""
    from .geometry import from_card as geometry_from_card
    from .q2rec import beam_four_momentum

    b = card["beam"]
    frame = b["frame"]
    beam = her = None
    if frame == "lab":
        beam = tuple(float(v) for v in beam_four_momentum(b))
        ha = 0.5 * b["crossing_angle"]
        ph = math.sqrt(max(b["E_HER"] ** 2 - mass(11) ** 2, 0.0))
        her = (b["E_HER"], ph * math.sin(ha), 0.0, ph * math.cos(ha))  # q2rec.beam_four_momentum's convention
    return Escape(geometry_from_card(card["displacement"]), parent, frame, beam, her, beyond)
