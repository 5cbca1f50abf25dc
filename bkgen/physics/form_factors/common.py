"""Kinematics shared by the form-factor parametrisations.

Units: masses in GeV, s = q^2 in GeV^2. All functions accept scalars or numpy
arrays for ``s`` and broadcast.
"""

from __future__ import annotations

import numpy as np


def t_plus(m_B: float, m_M: float) -> float:
    """Pair-production threshold t+ = (m_B + m_M)^2 (BSZ arXiv:1503.05534 Sec. 2)."""
    return (m_B + m_M) ** 2


def t_minus(m_B: float, m_M: float) -> float:
    """Zero-recoil point t- = (m_B - m_M)^2, the end of the physical s range."""
    return (m_B - m_M) ** 2


def t_zero(m_B: float, m_M: float) -> float:
    """Expansion point t0 = t+ (1 - sqrt(1 - t-/t+)).

    BSZ arXiv:1503.05534 Sec. 2; identical to tau_0 of seed 000 eq. (3.5),
    sqrt(t+) (sqrt(t+) - sqrt(t+ - t-)). It maps [0, t-] onto a z interval
    symmetric about 0.
    """
    tp = t_plus(m_B, m_M)
    return tp * (1.0 - np.sqrt(1.0 - t_minus(m_B, m_M) / tp))


def z(s, m_B: float, m_M: float, t0: float | None = None):
    """Conformal variable z(s) = [sqrt(t+ - s) - sqrt(t+ - t0)] / [sqrt(t+ - s) + sqrt(t+ - t0)].

    Seed 000 eq. (3.5); BSZ arXiv:1503.05534 eq. (9). ``t0`` defaults to
    :func:`t_zero`. Valid for s < t+ (real z).
    """
    tp = t_plus(m_B, m_M)
    if t0 is None:
        t0 = t_zero(m_B, m_M)
    a = np.sqrt(tp - np.asarray(s, dtype=np.float64))
    b = np.sqrt(tp - t0)
    return (a - b) / (a + b)


def kallen(a, b, c):
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)
