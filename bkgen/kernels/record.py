"""Kernel output -> contiguous per-branch arrays of the event record.

One pass over the events fills every output branch in the layout the ROOT
writer stores (``(n_events, n_entries)`` per particle quantity, C order), so
no fancy indexing or strided copies are needed between the generator and the
writer.  The float outputs may be float64 or float32 (numba compiles one
specialisation per dtype); the generated mass of every entry comes from the
kernel's double-precision values, not from E^2 - p^2 of the stored momenta.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from . import cascade as K
from .jit import jit, pjit

#: rows of the ``scal`` output: observables copied from the kernel's ``obs`` columns
N_SCALAR_ROWS = 6
#: rows of the ``mom`` output: E, px, py, pz, generated mass
N_MOM_ROWS = 5


@jit
def slot_mass(p4, obs, cpar, m_parent, i, c, s):
    """Generated mass [GeV] of kernel slot s of event i (channel c)."""
    if s == K.SLOT_B or s == K.SLOT_BBAR:
        return m_parent
    if s == K.SLOT_M:
        return obs[i, K.O_MM]
    if s == K.SLOT_M1:
        return cpar[c, K.P_M1]
    if s == K.SLOT_M2:
        return cpar[c, K.P_M2]
    if s == K.SLOT_Y:
        q2 = obs[i, K.O_Q2]
        return np.sqrt(q2) if q2 > 0.0 else 0.0
    if s == K.SLOT_Y1:
        return cpar[c, K.P_Y1]
    if s == K.SLOT_Y2:
        return cpar[c, K.P_Y2]
    # the e+e- system: sqrt(s) of the event (about 10.6 GeV, no cancellation in double precision)
    m2 = p4[i, s, 0] ** 2 - p4[i, s, 1] ** 2 - p4[i, s, 2] ** 2 - p4[i, s, 3] ** 2
    return np.sqrt(m2) if m2 > 0.0 else 0.0


@pjit
def fill_record(p4, vtx, obs, obs_cols, cpar, m_parent, slots, vsel, pdg_tab, pdg_conj_tab, mom, vert, pdg,
                scal, channel, conj):
    """Fill the record of n events.

    p4 (n, n_slots, 4), vtx (n, 2, 4), obs (n, n_obs): kernel output; cpar: kernel channel parameters.
    obs_cols (N_SCALAR_ROWS,): obs columns copied to scal rows.
    slots, vsel (k,): kernel slot and vertex index (-1: origin) of each record entry.
    pdg_tab, pdg_conj_tab (n_channels, k): PDG codes per channel, as named / CP conjugated.
    Outputs: mom (N_MOM_ROWS, n, k) E px py pz m; vert (4, n, k) vx vy vz t; pdg (n, k);
    scal (N_SCALAR_ROWS, n); channel (n,); conj (n,).
    """
    n = obs.shape[0]
    k = slots.shape[0]
    n_rows = obs_cols.shape[0]
    for i in prange(n):
        c = int(obs[i, K.O_CHANNEL])
        cj = int(obs[i, K.O_CONJ])
        channel[i] = c
        conj[i] = cj
        for r in range(n_rows):
            scal[r, i] = obs[i, obs_cols[r]]
        for j in range(k):
            s = slots[j]
            for l in range(4):
                mom[l, i, j] = p4[i, s, l]
            mom[4, i, j] = slot_mass(p4, obs, cpar, m_parent, i, c, s)
            v = vsel[j]
            if v >= 0:
                for l in range(4):
                    vert[l, i, j] = vtx[i, v, l]
            else:
                for l in range(4):
                    vert[l, i, j] = 0.0
            pdg[i, j] = pdg_conj_tab[c, j] if cj == 1 else pdg_tab[c, j]
