"""Belle II-like detector envelope for decays of long-lived particles.

The detector is a set of nested closed volumes around the e+e- interaction point (z = solenoid
axis, lengths in mm). Region k is the inside of boundary k minus the inside of boundary k-1;
the last region, ``outside``, is everything beyond the outermost boundary. Two shapes:

* ``cylinders``: boundary k is the cylinder r <= R_k, z_min_k <= z <= z_max_k (barrel plus flat
  end caps);
* ``spheres``: boundary k is the sphere |x| <= R_k (the z limits are ignored). One sphere of
  radius L_det is the single-length detector of seed 003 eq. (11).

For a ray starting inside the innermost boundary, the distance at which it leaves boundary k is
d_k, non-decreasing in k, so the ray runs through region k between d_{k-1} and d_k (d_{-1} = 0,
d_K = infinity for ``outside``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError

# --- Belle II dimensions [mm] (shared/reference/inputs.md sec. 5b) ---------------------------
#: CDC mother volume: R_min = 160 mm (central part), R_max = 1140 mm, -1000 < z < 1655 mm
#: (basf2 cdc/data/CDC.xml, MomVol); the vertex region (beam pipe, PXD, SVD) is its inner bore
CDC_R_MIN, CDC_R_MAX, CDC_Z_MIN, CDC_Z_MAX = 160.0, 1140.0, -1000.0, 1655.0
#: ECL barrel outer radius 162 cm (Belle NIM A479 (2002) 117, Table 1, reused in Belle II)
ECL_R_MAX = 1620.0
#: ECL end caps: backward far face z = -131.42 cm, forward far face z = +227.0 cm
#: (basf2 ecl/data/ECL.xml, k_backwZfar and k_ForwZfar)
ECL_Z_MIN, ECL_Z_MAX = -1314.2, 2270.0
#: barrel KLM outer radius 353.5 cm, half-length 230 cm centred at z = +47 cm
#: (basf2 klm/data/BKLM.xml); the solenoid (r = 170-200 cm) lies in the KLM region here
KLM_R_MAX, KLM_Z_MIN, KLM_Z_MAX = 3535.0, -1830.0, 2770.0
#: typical Belle II size in seed 003 eq. (11): "L_det ~ 3.5 m" (its ref. [44])
L_DET_SEED003 = 3500.0

SHAPES = ("cylinders", "spheres")
#: region names, innermost first; "outside" is implicit
BELLE2_REGIONS = ("vertex", "drift_chamber", "calorimeter", "klm")
OUTSIDE = "outside"


@dataclass(frozen=True)
class Boundary:
    """Outer boundary of a region: cylinder r <= radius, z_min <= z <= z_max (or sphere |x| <= radius)."""

    name: str
    radius: float
    z_min: float
    z_max: float


@dataclass(frozen=True)
class Geometry:
    shape: str
    boundaries: tuple[Boundary, ...]

    def __post_init__(self):
        if self.shape not in SHAPES:
            raise InputError(f"displacement.shape = {self.shape!r}; allowed: {', '.join(map(repr, SHAPES))}")
        prev = None
        for b in self.boundaries:
            if not b.radius > 0:
                raise InputError(f"displacement.{b.name}_radius = {b.radius:g}; allowed: > 0")
            if self.shape == "cylinders" and not b.z_min < 0.0 < b.z_max:
                raise InputError(
                    f"displacement.{b.name}_z_min/z_max = {b.z_min:g}/{b.z_max:g}; allowed: z_min < 0 < z_max"
                )
            if prev is not None:
                nested = b.radius >= prev.radius
                if self.shape == "cylinders":
                    nested = nested and b.z_min <= prev.z_min and b.z_max >= prev.z_max
                if not nested:
                    raise InputError(
                        f"displacement: the {b.name} boundary (R = {b.radius:g}, z = {b.z_min:g}..{b.z_max:g} mm) "
                        f"does not contain the {prev.name} boundary (R = {prev.radius:g}, "
                        f"z = {prev.z_min:g}..{prev.z_max:g} mm); allowed: nested boundaries"
                    )
            prev = b

    @property
    def regions(self) -> tuple[str, ...]:
        return (*(b.name for b in self.boundaries), OUTSIDE)

    def exit_distances(self, origin: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """d[i, k]: distance along the unit vector direction[i] from origin[i] (both (n, 3), mm) at
        which the ray leaves boundary k; 0 if the origin is already outside it. Shape (n, K)."""
        o = np.ascontiguousarray(origin, dtype=float)
        u = np.ascontiguousarray(direction, dtype=float)
        from ..kernels import flight  # numba: imported when events need it, not to validate a card

        d = np.empty((o.shape[0], len(self.boundaries)))
        flight.exit_distances(o, u, self.shape == "spheres", *self._boundary_arrays(), d)
        return d

    def _boundary_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Radius, z_min, z_max of the boundaries, innermost first [mm]."""
        return tuple(np.array([getattr(b, f) for b in self.boundaries], dtype=float)
                     for f in ("radius", "z_min", "z_max"))

    def region_index(self, exit_d: np.ndarray, ell: np.ndarray) -> np.ndarray:
        """Index into :attr:`regions` of the point at distance ell along each ray (exit_d from
        :meth:`exit_distances`)."""
        exit_d = np.ascontiguousarray(exit_d, dtype=float)
        from ..kernels import flight

        out = np.empty(exit_d.shape[0], dtype=np.int8)
        flight.region_index(exit_d, np.ascontiguousarray(ell, dtype=float), out)
        return out


#: default card values of the [displacement] geometry keys (mm)
BELLE2_DEFAULTS = {
    "vertex": (CDC_R_MIN, CDC_Z_MIN, CDC_Z_MAX),
    "drift_chamber": (CDC_R_MAX, CDC_Z_MIN, CDC_Z_MAX),
    "calorimeter": (ECL_R_MAX, ECL_Z_MIN, ECL_Z_MAX),
    "klm": (KLM_R_MAX, KLM_Z_MIN, KLM_Z_MAX),
}


def belle2(shape: str = "cylinders") -> Geometry:
    """The Belle II-like envelope with the dimensions above."""
    return Geometry(shape, tuple(Boundary(n, *BELLE2_DEFAULTS[n]) for n in BELLE2_REGIONS))


def single_length(l_det: float = L_DET_SEED003) -> Geometry:
    """A sphere of radius l_det [mm]: the detector of seed 003 eq. (11)."""
    return Geometry("spheres", (Boundary("detector", l_det, -l_det, l_det),))


def from_card(section: dict) -> Geometry:
    """Geometry of a resolved [displacement] card section."""
    return Geometry(
        section["shape"],
        tuple(Boundary(n, section[f"{n}_radius"], section[f"{n}_z_min"], section[f"{n}_z_max"]) for n in BELLE2_REGIONS),
    )
