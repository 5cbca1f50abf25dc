"""Kernel output -> contiguous per-branch arrays of the event record.

One pass over the events fills every output branch in the layout the ROOT
writer stores (``(n_events, n_entries)`` per particle quantity, C order), so
no fancy indexing or strided copies are needed between the generator and the
writer.  The float outputs may be float64 or float32 (numba compiles one
specialisation per dtype).
"""

from __future__ import annotations

from numba import prange

from .jit import pjit

#: rows of the ``scal`` output: observables copied from the kernel's ``obs`` columns
N_SCALAR_ROWS = 6


@pjit
def fill_record(p4, vtx, obs, obs_cols, i_channel, i_conj, slots, vsel, pdg_tab, pdg_conj_tab, mom, vert, pdg,
                scal, channel, conj):
    """Fill the record of n events.

    p4 (n, n_slots, 4), vtx (n, 2, 4), obs (n, n_obs): kernel output.
    obs_cols (N_SCALAR_ROWS,): obs columns copied to scal rows; i_channel, i_conj: obs columns.
    slots, vsel (k,): kernel slot and vertex index (-1: origin) of each record entry.
    pdg_tab, pdg_conj_tab (n_channels, k): PDG codes per channel, as named / CP conjugated.
    Outputs: mom (4, n, k) E px py pz; vert (4, n, k) vx vy vz t; pdg (n, k); scal (N_SCALAR_ROWS, n);
    channel (n,); conj (n,).
    """
    n = obs.shape[0]
    k = slots.shape[0]
    n_rows = obs_cols.shape[0]
    for i in prange(n):
        c = int(obs[i, i_channel])
        cj = int(obs[i, i_conj])
        channel[i] = c
        conj[i] = cj
        for r in range(n_rows):
            scal[r, i] = obs[i, obs_cols[r]]
        for j in range(k):
            s = slots[j]
            for l in range(4):
                mom[l, i, j] = p4[i, s, l]
            v = vsel[j]
            if v >= 0:
                for l in range(4):
                    vert[l, i, j] = vtx[i, v, l]
            else:
                for l in range(4):
                    vert[l, i, j] = 0.0
            pdg[i, j] = pdg_conj_tab[c, j] if cj == 1 else pdg_tab[c, j]
