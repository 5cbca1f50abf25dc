"""Which part of a channel looks like B -> K(*) + nothing in the detector.

A channel counts for a missing-energy measurement with the probability that everything but the
meson escapes detection:

* 1 if every final state recoiling against the meson is invisible (neutrinos, dark-sector states
  written as final states: :func:`final_state_invisible`);
* otherwise the probability that a long-lived Y decays beyond the detector
  (:class:`bkgen.detector.escape.Escape`: by default beyond the KLM, i.e. only the ``outside``
  region; decays inside the KLM count as seen), as a function of the Y mass sqrt(q^2);
* 0 for visible final states of a prompt Y or without a Y (a direct three-body final state).
"""

from __future__ import annotations

import math

import numpy as np

from ..physics.inputs import PDG_ALP, PDG_DARK_FERMION, PDG_DARK_PHOTON, PDG_SCALAR_DM, PDG_SCALAR_MEDIATOR, mass

#: |PDG| codes that leave no trace in Belle II when they are final states: neutrinos and the
#: dark-sector states of the PDG Monte Carlo block (51 scalar DM, 52 dark fermion, 54 scalar
#: mediator / ALP, 55 vector mediator) when a model writes them undecayed (README "Output")
INVISIBLE_PDG = frozenset({12, 14, 16, PDG_SCALAR_DM, PDG_DARK_FERMION, PDG_SCALAR_MEDIATOR, PDG_ALP, PDG_DARK_PHOTON})

#: masses [GeV] of the escape-probability table of a channel: P is evaluated exactly at these and
#: at the channel's pole, and linearly interpolated in between (see :class:`EscapeTables`)
N_LOG, N_LIN, M_LOG_MIN = 128, 128, 1e-4


def final_state_invisible(ch) -> bool:
    """True if every final state of ``ch`` other than the meson (and its decay products) is invisible.

    The one place the recast decides invisibility of a channel: the model's typed declaration
    (:attr:`bkgen.physics.models.base.Channel.invisible`)."""
    return bool(ch.invisible)


def long_lived(ch) -> bool:
    """True if ``ch`` has a Y in the record with a finite proper decay length (it may escape)."""
    return ch.y != 0 and ch.y_in_record and ch.y_daughters is not None and ch.y_ctau > 0


class EscapeTables:
    """P(escape)(q^2) of the visible channels of one model point, for an :class:`~bkgen.detector.escape.Escape`.

    Channels sharing (parent, meson pole mass, c tau) share one table: P at the masses of
    ``N_LOG`` log-spaced points in [M_LOG_MIN, m_max], ``N_LIN`` uniform points in [0, m_max]
    (m_max = m_B - m_M) and the channel's pole (its fixed mass or Breit-Wigner mass), linear in m
    in between; P(m = 0) = 1 (a massless Y does not decay)."""

    def __init__(self, escape):
        self.escape = escape
        self._tables = {}

    def _meson_mass(self, ch) -> float:
        return ch.line_shape.m0 if ch.line_shape is not None else mass(ch.meson)

    def table(self, ch):
        m_m = self._meson_mass(ch)
        key = (ch.parent, m_m, ch.y_ctau)
        poles = []
        if ch.q2_fixed is not None:
            poles.append(math.sqrt(ch.q2_fixed))
        if ch.y_breit_wigner is not None:
            poles.append(ch.y_breit_wigner[0])
        tab = self._tables.get(key)
        m_max = mass(ch.parent) - m_m
        if tab is None:
            grid = np.unique(np.concatenate((
                np.geomspace(M_LOG_MIN, m_max, N_LOG), np.linspace(0.0, m_max, N_LIN))))
            p = self.escape.probability(grid, ch.y_ctau, m_m)
            p[grid == 0.0] = 1.0
            tab = self._tables[key] = (grid, p)
        new = [m for m in poles if 0 < m < m_max and not np.any(tab[0] == m)]
        if new:
            grid = np.concatenate((tab[0], new))
            p = np.concatenate((tab[1], self.escape.probability(np.array(new), ch.y_ctau, m_m)))
            order = np.argsort(grid)
            tab = self._tables[key] = (grid[order], p[order])
        return tab

    def probability(self, ch):
        """f(q2, m_meson) -> P(the channel looks invisible); None when it is 1 everywhere, 0.0 when it is
        0 everywhere (visible final states of a prompt Y, or no long-lived Y)."""
        if final_state_invisible(ch):
            return None
        if not long_lived(ch):
            return 0.0
        grid, p = self.table(ch)
        if not np.any(p > 0):
            return 0.0

        def f(q2, m_meson=None):
            m = np.sqrt(np.clip(np.asarray(q2, dtype=float), 0.0, None))
            return np.interp(m, grid, p, right=0.0)

        return f
