"""Running strong coupling in the MS-bar scheme.

Two-loop renormalisation-group equation (PDG RPP 2024, review "Quantum chromodynamics",
eq. 9.3-9.5):

    d alpha_s / d ln mu^2 = -(b0 alpha_s^2 + b1 alpha_s^3),
    b0 = (33 - 2 n_f) / (12 pi),   b1 = (153 - 19 n_f) / (24 pi^2),

integrated numerically from a reference value, with n_f = 3, 4, 5 below, between and above the
MS-bar masses m_c(m_c) and m_b(m_b) and alpha_s continuous at mu = m_q (at this order the
decoupling relation at mu = m_q(m_q) has no O(alpha_s) term; same review, sec. 9.2).
"""

from __future__ import annotations

import math

from .inputs import ALPHA_S_2GEV, MU_ALPHA_S_REF, quark_mass_msbar


def beta_coefficients(n_f: int) -> tuple[float, float]:
    """(b0, b1) of the two-loop beta function for n_f active flavours (module docstring)."""
    return (33.0 - 2.0 * n_f) / (12.0 * math.pi), (153.0 - 19.0 * n_f) / (24.0 * math.pi**2)


def _thresholds() -> tuple[float, float]:
    return quark_mass_msbar(4), quark_mass_msbar(5)


def n_flavours(mu: float) -> int:
    """Active flavours at scale mu [GeV]."""
    m_c, m_b = _thresholds()
    return 3 if mu < m_c else 4 if mu < m_b else 5


#: RK4 steps per unit of ln mu^2: the truncation error (~ step^4 alpha_s^5 b0^4) is below 1e-14
STEPS_PER_UNIT = 200


def _run(alpha: float, mu_from: float, mu_to: float, n_f: int) -> float:
    """alpha_s from mu_from to mu_to [GeV] at fixed n_f: the two-loop equation of the module docstring,
    integrated with the classical fourth-order Runge-Kutta method in t = ln mu^2."""
    if mu_from == mu_to:
        return alpha
    b0, b1 = beta_coefficients(n_f)

    def rate(a: float) -> float:
        return -(b0 * a * a + b1 * a * a * a)

    t0, t1 = math.log(mu_from**2), math.log(mu_to**2)
    n = max(50, math.ceil(abs(t1 - t0) * STEPS_PER_UNIT))
    h = (t1 - t0) / n
    a = alpha
    for _ in range(n):
        k1 = rate(a)
        k2 = rate(a + 0.5 * h * k1)
        k3 = rate(a + 0.5 * h * k2)
        k4 = rate(a + h * k3)
        a += h * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0
        if not (math.isfinite(a) and a > 0.0):
            break
    if not (math.isfinite(a) and a > 0.0):
        raise ValueError(f"alpha_s running from {mu_from:g} to {mu_to:g} GeV failed (non-perturbative scale)")
    return a


def alpha_s(mu: float, alpha_ref: float = ALPHA_S_2GEV, mu_ref: float = MU_ALPHA_S_REF) -> float:
    """alpha_s(mu) at two loops from alpha_s(mu_ref) = alpha_ref, crossing flavour thresholds."""
    if mu <= 0 or mu_ref <= 0:
        raise ValueError(f"alpha_s: scales must be positive, got mu = {mu!r}, mu_ref = {mu_ref!r}")
    edges = sorted(m for m in _thresholds() if min(mu, mu_ref) < m < max(mu, mu_ref))
    if mu < mu_ref:
        edges = edges[::-1]
    a, m_from = alpha_ref, mu_ref
    for m_to in [*edges, mu]:
        # the flavour number of the interval between m_from and m_to
        a = _run(a, m_from, m_to, n_flavours(math.sqrt(m_from * m_to)))
        m_from = m_to
    return a
