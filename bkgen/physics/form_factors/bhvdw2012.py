"""B -> K form factors in the simple series of KMPW as used by BHvDW.

Bobeth, Hiller, van Dyk, Wacker, JHEP 01 (2012) 107, arXiv:1111.2558 (BHvDW)
take the LCSR results of Khodjamirian, Mannel, Pivovarov, Wang, JHEP 09 (2010)
089, arXiv:1006.4945 (KMPW). Seed 000 uses this form for f_T (eq. 3.4) and
f_+ (eq. 3.12):

    f_i(s) = f_i(0) / (1 - s/m_res,i^2)
             * {1 + b_1^i [z(s) - z(0) + (z(s)^2 - z(0)^2)/2]}

with z(s) of seed 000 eq. (3.5) (= common.z with the default t0).
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from .common import z

#: KMPW arXiv:1006.4945 Table 4 (fit of eq. 8.8); read from EOS
#: eos/parameters/hadronic-matrix-elements.yaml, keys B->K::F^p(0)@KMPW2010,
#: B->K::F^t(0)@KMPW2010, B->K::b^p_1@KMPW2010, B->K::b^0_1@KMPW2010,
#: B->K::b^t_1@KMPW2010 ("[KMPW:2010A], Table 4, p. 31").
#: Entries are (central, +uncertainty, -uncertainty).
#: f_zero(0) is not a parameter: f_0(0) = f_+(0) (kinematic constraint).
KMPW2010_TABLE4 = {
    "f_plus": {"norm": (0.34, 0.05, 0.02), "b1": (-2.1, 0.9, 1.6)},
    "f_zero": {"norm": None, "b1": (-4.3, 0.8, 0.9)},
    "f_T": {"norm": (0.39, 0.05, 0.03), "b1": (-2.2, 1.0, 2.0)},
}

#: Pole masses [GeV] (B_s*, 1^-) of f_+ and f_T; f_0 has no pole (None).
#: KMPW arXiv:1006.4945 eq. (8.8); value from EOS
#: eos/form-factors/parametric-kmpw2010-impl.hh (set in EOS commit 0b4a24a9).
KMPW2010_POLES = {"f_plus": 5.412, "f_zero": None, "f_T": 5.412}

#: free parameters: name -> (form factor, table key)
_PARAMETERS = {
    f"{p}_{ff}": (ff, p)
    for ff, entry in KMPW2010_TABLE4.items()
    for p in ("norm", "b1")
    if entry[p] is not None
}

SOURCE = (
    "BHvDW arXiv:1111.2558 (KMPW arXiv:1006.4945 eq. (8.8), Table 4; "
    "EOS hadronic-matrix-elements.yaml @KMPW2010)"
)


class BHvDW2012:
    """B -> K form factors f_+, f_0, f_T of KMPW/BHvDW (seed 000 eqs. 3.4, 3.12).

    Parameters are named ``norm_<ff>`` (f_i(0)) and ``b1_<ff>``; ``norm_f_zero``
    is tied to ``norm_f_plus``. Uncertainties are asymmetric (KMPW Table 4).
    """

    name = "BHvDW2012"
    transition = "B->K"
    source = SOURCE
    #: KMPW arXiv:1006.4945 Table 4 gives asymmetric ranges, no correlations
    has_covariance = False
    form_factors = ("f_plus", "f_zero", "f_T")

    def __init__(self, m_B: float, m_M: float, shifts: dict[str, float] | None = None):
        self.m_B = float(m_B)
        self.m_M = float(m_M)
        self._shifts = dict(shifts or {})
        self._z0 = z(0.0, self.m_B, self.m_M)
        value = self.parameters
        self._par = {
            ff: (value["norm_" + (ff if entry["norm"] else "f_plus")], value["b1_" + ff])
            for ff, entry in KMPW2010_TABLE4.items()
        }

    @property
    def parameter_names(self) -> tuple[str, ...]:
        """Free parameters that :meth:`varied` accepts."""
        return tuple(_PARAMETERS)

    @property
    def central(self) -> dict[str, float]:
        """Central values of the free parameters (KMPW Table 4)."""
        return {k: KMPW2010_TABLE4[ff][p][0] for k, (ff, p) in _PARAMETERS.items()}

    @property
    def uncertainties(self) -> dict[str, tuple[float, float]]:
        """(+sigma, -sigma) of the free parameters (KMPW Table 4)."""
        return {k: KMPW2010_TABLE4[ff][p][1:] for k, (ff, p) in _PARAMETERS.items()}

    @property
    def parameters(self) -> dict[str, float]:
        """Values of the free parameters in this object (central + shifts)."""
        return {k: v + self._shifts.get(k, 0.0) for k, v in self.central.items()}

    def varied(self, sigmas: bool = False, **shifts: float) -> "BHvDW2012":
        """Copy with parameters shifted, e.g. ``varied(b1_f_T=+0.5)``.

        With ``sigmas=True`` shifts are in units of the (asymmetric) 1 sigma
        uncertainty: positive shifts use the upper, negative ones the lower error.
        Shifts add to those already applied to this object.
        """
        unknown = sorted(set(shifts) - set(_PARAMETERS))
        if unknown:
            raise InputError(f"unknown parameter(s) {unknown} for {self.name}; allowed: {list(_PARAMETERS)}")
        if sigmas:
            err = self.uncertainties
            shifts = {k: v * (err[k][0] if v >= 0 else err[k][1]) for k, v in shifts.items()}
        total = dict(self._shifts)
        for k, v in shifts.items():
            total[k] = total.get(k, 0.0) + v
        return type(self)(self.m_B, self.m_M, total)

    def _series(self, ff: str, s):
        # KMPW arXiv:1006.4945 eq. (8.8) = seed 000 eqs. (3.4), (3.12)
        s = np.asarray(s, dtype=np.float64)
        norm, b1 = self._par[ff]
        zs = z(s, self.m_B, self.m_M)
        series = 1.0 + b1 * (zs - self._z0 + 0.5 * (zs * zs - self._z0 * self._z0))
        m_res = KMPW2010_POLES[ff]
        pole = 1.0 if m_res is None else 1.0 / (1.0 - s / m_res**2)
        return norm * pole * series

    def f_plus(self, s):
        """Vector form factor f_+(s) (seed 000 eq. 3.12)."""
        return self._series("f_plus", s)

    def f_zero(self, s):
        """Scalar form factor f_0(s), no pole factor (KMPW eq. 8.8; EOS parametric-kmpw2010-impl.hh)."""
        return self._series("f_zero", s)

    def f_T(self, s):
        """Tensor form factor f_T(s) (seed 000 eq. 3.4)."""
        return self._series("f_T", s)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(m_B={self.m_B}, m_M={self.m_M}, shifts={self._shifts})"
