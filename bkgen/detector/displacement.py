"""Decay points of a long-lived Y in the detector, decay probabilities per region, forced decays.

A Y of mass m, lab momentum p and proper decay length c tau, produced at the B decay vertex,
decays after a lab distance ell along p/|p| with density exp(-ell/L)/L, L = beta gamma c tau,
beta gamma = |p|/m. The kernel draws ell (``Channel.y_ctau``); here, per event:

* the probability to decay in region k of a :class:`~bkgen.detector.geometry.Geometry`, entered
  at d_in and left at d_out along the line of flight:
  P_k = exp(-d_in/L) - exp(-d_out/L);
* optionally, the decay *forced* into one region: ell drawn from the exponential truncated to
  [d_in, d_out] by inversion, ell = d_in - L ln(1 - u (1 - exp(-(d_out - d_in)/L))), and the
  event weight multiplied by P_k, so that weighted forced samples estimate the same quantities as
  unforced ones with far fewer events where P_k is small.

Random numbers of forced decays: the events of generator block b use
``SeedSequence(seed, spawn_key=(b, 2))`` (the kernel uses ``(b,)``, the detector level ``(b, 1)``),
one uniform per event at position event - b * block_size, so forced decays depend only on
(card, seed, block size).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..kernels import flight
from ..physics.inputs import C_MM_PER_NS
from .geometry import Geometry

#: extra per-event branches (the p_decay_<region> branches are added per geometry)
BRANCHES = {
    "decay_vx": np.float64,  # Y decay vertex [mm]
    "decay_vy": np.float64,
    "decay_vz": np.float64,
    "decay_length_proper": np.float64,  # [mm]
    "decay_length_lab": np.float64,  # [mm], from the B decay vertex
    "beta_gamma": np.float64,
    "decay_region": np.int8,  # index into the geometry's regions
}


def region_probabilities(exit_d: np.ndarray, decay_length: np.ndarray) -> np.ndarray:
    """P[i, k] = exp(-d_in/L) - exp(-d_out/L) for every region k (the last one ``outside``), from
    the exit distances exit_d (n, K) and L = beta gamma c tau (n,) [mm]. Rows sum to 1."""
    d = np.ascontiguousarray(exit_d, dtype=float)
    out = np.empty((d.shape[0], d.shape[1] + 1))
    flight.region_probabilities(d, np.ascontiguousarray(decay_length, dtype=float), out)
    return out


def sample_truncated(d_in, d_out, decay_length, u):
    """ell in [d_in, d_out] with density ~ exp(-ell/L) by inversion of its CDF at u in [0, 1)."""
    d_in = np.asarray(d_in, dtype=float)
    lam = np.asarray(decay_length, dtype=float)
    with np.errstate(invalid="ignore"):
        frac = -np.expm1(-(np.asarray(d_out, dtype=float) - d_in) / lam)
    return d_in - lam * np.log1p(-np.asarray(u) * frac)


def escape_probability_single_length(beta_gamma, ctau, l_det):
    """exp(-L_det / (beta gamma c tau)): the escape factor of seed 003 eq. (11)."""
    return np.exp(-l_det / (np.asarray(beta_gamma, dtype=float) * ctau))


def block_uniforms(seed: int, events: np.ndarray, block_size: int) -> np.ndarray:
    """One uniform per event number from the forced-decay stream of its block (module docstring)."""
    events = np.asarray(events, dtype=np.int64)
    u = np.empty(events.shape[0])
    blocks = events // block_size
    for b in np.unique(blocks):
        sel = blocks == b
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(b), 2)))
        u[sel] = rng.random(block_size)[events[sel] - b * block_size]
    return u


class DisplacedDecays:
    """Displacement branches of a Y (record entry ``y_entry``, daughters ``daughter_entries``).

    ``force_region``: None, or a region name of ``geometry`` into which every decay is forced."""

    def __init__(self, geometry: Geometry, mass: float, ctau: float, y_entry: int, daughter_entries,
                 block_size: int, force_region: str | None = None):
        self.geometry = geometry
        self.mass = float(mass)
        self.ctau = float(ctau)
        self.y_entry = int(y_entry)
        self.daughter_entries = tuple(int(i) for i in daughter_entries)
        self.block_size = int(block_size)
        if force_region is not None and force_region not in geometry.regions:
            raise InputError(f"displacement.force_region = {force_region!r}; allowed: 'none', "
                             + ", ".join(map(repr, geometry.regions)))
        self.force = None if force_region is None else geometry.regions.index(force_region)

    @property
    def branch_types(self) -> dict:
        return {**BRANCHES, **{f"p_decay_{r}": np.float64 for r in self.geometry.regions}}

    def apply(self, scalars: dict, particles: dict, seed: int) -> tuple[dict, np.ndarray]:
        """Add the displacement branches to ``scalars``; with a forced region, move the Y
        daughters' production vertices and multiply ``scalars['weight']`` by P_k. Returns the
        branches added and the region probabilities (n, regions)."""
        j = self.y_entry
        p = np.stack([particles["px"][:, j], particles["py"][:, j], particles["pz"][:, j]], axis=1).astype(float)
        e = particles["E"][:, j].astype(float)
        origin = np.stack([particles["vx"][:, j], particles["vy"][:, j], particles["vz"][:, j]], axis=1).astype(float)
        t0 = particles["t"][:, j].astype(float)
        pmag = np.sqrt(np.einsum("ij,ij->i", p, p))
        bg = pmag / self.mass
        u = p / pmag[:, None]
        lam = bg * self.ctau
        exit_d = self.geometry.exit_distances(origin, u)
        prob = region_probabilities(exit_d, lam)
        d0 = self.daughter_entries[0]
        if self.force is None:
            vertex = np.stack([particles["vx"][:, d0], particles["vy"][:, d0], particles["vz"][:, d0]], axis=1).astype(float)
            ell = np.sqrt(np.einsum("ij,ij->i", vertex - origin, vertex - origin))
        else:
            k = self.force
            d_in = exit_d[:, k - 1] if k > 0 else np.zeros(len(e))
            d_out = exit_d[:, k] if k < exit_d.shape[1] else np.full(len(e), np.inf)
            ell = sample_truncated(d_in, d_out, lam, block_uniforms(seed, scalars["event"], self.block_size))
            vertex = origin + u * ell[:, None]
            t = t0 + ell * e / (pmag * C_MM_PER_NS)  # lab time of flight ell / (beta c)
            for d in self.daughter_entries:
                particles["vx"][:, d] = vertex[:, 0]
                particles["vy"][:, d] = vertex[:, 1]
                particles["vz"][:, d] = vertex[:, 2]
                particles["t"][:, d] = t
            scalars["weight"] = scalars["weight"] * prob[:, k]
        out = {
            "decay_vx": vertex[:, 0],
            "decay_vy": vertex[:, 1],
            "decay_vz": vertex[:, 2],
            "decay_length_proper": ell / bg,
            "decay_length_lab": ell,
            "beta_gamma": bg,
            "decay_region": self.geometry.region_index(exit_d, ell),
        }
        for i, r in enumerate(self.geometry.regions):
            out[f"p_decay_{r}"] = prob[:, i]
        scalars.update(out)
        return out, prob
