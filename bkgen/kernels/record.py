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
from . import cascade as K
from .jit import jit

#: rows of the ``scal`` output: observables copied from the kernel's ``obs`` columns
N_SCALAR_ROWS = 6
#: rows of the ``mom`` output: E, px, py, pz, generated mass
N_MOM_ROWS = 5


#: how fill_record obtains an entry's generated mass
MASS_TABLE, MASS_MESON, MASS_Y, MASS_INVARIANT = range(4)


def mass_layout(slots, cpar, m_parent: float, m_star: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Per record entry (kernel slot ``slots[j]``): how its generated mass is found, and the
    per-channel constant masses [GeV] (n_channels, k) for entries of kind MASS_TABLE (``m_star``: the
    B_s* of the production mix; its photons are massless)."""
    slots = np.asarray(slots)
    n_ch = cpar.shape[0]
    kind = np.full(len(slots), MASS_TABLE, dtype=np.int64)
    table = np.zeros((n_ch, len(slots)))
    for j, s in enumerate(slots):
        if s in (K.SLOT_B, K.SLOT_BBAR):
            table[:, j] = m_parent
        elif s in (K.SLOT_STAR_SIG, K.SLOT_STAR_COMP):
            table[:, j] = m_star
        elif s in (K.SLOT_GAMMA_SIG, K.SLOT_GAMMA_COMP):
            table[:, j] = 0.0
        elif s == K.SLOT_M:
            kind[j] = MASS_MESON  # the sampled line-shape mass, or the nominal mass
        elif s == K.SLOT_Y:
            kind[j] = MASS_Y  # sqrt(q^2)
        elif s in (K.SLOT_M1, K.SLOT_M2, K.SLOT_Y1, K.SLOT_Y2):
            col = {K.SLOT_M1: K.P_M1, K.SLOT_M2: K.P_M2, K.SLOT_Y1: K.P_Y1, K.SLOT_Y2: K.P_Y2}[int(s)]
            table[:, j] = cpar[:, col]
        else:  # the e+e- system: sqrt(s) of the event (about 10.6 GeV, no cancellation in double precision)
            kind[j] = MASS_INVARIANT
    return kind, table


#: events per tile: each output array is written in its own pass over a tile, so few memory
#: streams are open at once, while the tile's kernel output stays in cache
TILE = 1024


@jit
def fill_record_tile(lo, hi, p4, vtx, obs, obs_cols, mass_kind, mass_tab, slots, vsel, pdg_tab, pdg_conj_tab, mom,
                     vert, pdg, scal, channel, conj):
    """The record of events lo..hi-1 (arguments as in :func:`fill_record`): each output array in its
    own pass over the range, so few memory streams are open at once."""
    k = slots.shape[0]
    for i in range(lo, hi):
        channel[i] = int(obs[i, K.O_CHANNEL])
        conj[i] = int(obs[i, K.O_CONJ])
    for r in range(obs_cols.shape[0]):
        col = obs_cols[r]
        for i in range(lo, hi):
            scal[r, i] = obs[i, col]
    for l in range(4):
        for i in range(lo, hi):
            for j in range(k):
                mom[l, i, j] = p4[i, slots[j], l]
    for i in range(lo, hi):
        c = channel[i]
        for j in range(k):
            kind = mass_kind[j]
            if kind == MASS_TABLE:
                m = mass_tab[c, j]
            elif kind == MASS_MESON:
                m = obs[i, K.O_MM]
            elif kind == MASS_Y:
                q2 = obs[i, K.O_Q2]
                m = np.sqrt(q2) if q2 > 0.0 else 0.0
            else:
                s = slots[j]
                m2 = p4[i, s, 0] * p4[i, s, 0] - p4[i, s, 1] * p4[i, s, 1] - p4[i, s, 2] * p4[i, s, 2] \
                    - p4[i, s, 3] * p4[i, s, 3]
                m = np.sqrt(m2) if m2 > 0.0 else 0.0
            mom[4, i, j] = m
    for l in range(4):
        for i in range(lo, hi):
            for j in range(k):
                v = vsel[j]
                vert[l, i, j] = vtx[i, v, l] if v >= 0 else 0.0
    for i in range(lo, hi):
        c = channel[i]
        if conj[i] == 1:
            for j in range(k):
                pdg[i, j] = pdg_conj_tab[c, j]
        else:
            for j in range(k):
                pdg[i, j] = pdg_tab[c, j]


@jit
def fill_record(p4, vtx, obs, obs_cols, mass_kind, mass_tab, slots, vsel, pdg_tab, pdg_conj_tab, mom, vert, pdg,
                scal, channel, conj):
    """Fill the record of n events, tile by tile.

    p4 (n, n_slots, 4), vtx (n, n_vertices, 4), obs (n, n_obs): kernel output; mass_kind, mass_tab: mass_layout.
    obs_cols (N_SCALAR_ROWS,): obs columns copied to scal rows.
    slots, vsel (k,): kernel slot and vertex row (cascade.V_*; -1: origin) of each record entry.
    pdg_tab, pdg_conj_tab (n_channels, k): PDG codes per channel, as named / CP conjugated.
    Outputs: mom (N_MOM_ROWS, n, k) E px py pz m; vert (4, n, k) vx vy vz t; pdg (n, k);
    scal (N_SCALAR_ROWS, n); channel (n,); conj (n,).
    """
    n = obs.shape[0]
    n_tiles = (n + TILE - 1) // TILE
    for t in range(n_tiles):
        fill_record_tile(t * TILE, min(n, (t + 1) * TILE), p4, vtx, obs, obs_cols, mass_kind, mass_tab, slots, vsel,
                         pdg_tab, pdg_conj_tab, mom, vert, pdg, scal, channel, conj)


@jit
def generate_blocks_with_record(
    b_lo, b_hi, states, block_size, n_total, m_parent, conj_mode, ch_cum, table_of, cpar, mx_pdf, mx_prob, mx_alias,
    ft_pdf2, ft_prob2, ft_alias2, t_nodes, hel, pw, lab, frames, p4, vtx, obs, trials, overweight,
    obs_cols, mass_kind, mass_tab, slots, vsel, pdg_tab, pdg_conj_tab, mom, vert, pdg, scal, channel, conj,
):
    """cascade.generate_blocks followed by fill_record, fused: each block is generated TILE events at a
    time (the RNG stream runs on across tiles, so the events are those of generate_blocks) and each
    tile's record is filled while its kernel output is still in cache, instead of in a second pass
    over the whole chunk that reads it back from memory. Serial over blocks b_lo .. b_hi-1
    (generate.threads.run_blocks runs disjoint ranges in parallel); states[b] is advanced in place."""
    for b in range(b_lo, b_hi):
        lo = b * block_size
        hi = min(lo + block_size, n_total)
        st = states[b]  # advanced in place (a copy would load numba's allocator with the kernel)
        tr = 0
        ow = 0
        for t_lo in range(lo, hi, TILE):
            t_hi = min(t_lo + TILE, hi)
            tr_t, ow_t = K.generate_one_block(
                st, t_hi - t_lo, m_parent, conj_mode, ch_cum, table_of, cpar, mx_pdf, mx_prob, mx_alias, ft_pdf2,
                ft_prob2, ft_alias2, t_nodes, hel, pw, lab, frames[b], p4[t_lo:t_hi], vtx[t_lo:t_hi], obs[t_lo:t_hi],
            )
            tr += tr_t
            ow += ow_t
            fill_record_tile(t_lo, t_hi, p4, vtx, obs, obs_cols, mass_kind, mass_tab, slots, vsel, pdg_tab,
                             pdg_conj_tab, mom, vert, pdg, scal, channel, conj)
        trials[b] = tr
        overweight[b] = ow
