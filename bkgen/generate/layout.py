"""The event record's layout: one per decay, shared by all of its channels.

A record is a fixed number of leading entries, the same for every event of a run (ROOT leaves
``pdg[k]`` ...), followed by a variable-length block reserved for products that a later stage
adds per event (hadronisation of a parton pair). The fixed entries follow from the frame and the
channels' common :class:`~bkgen.physics.models.base.Topology`:

    lab, CMS:   resonance, B, Bbar, M (m1 m2), Y, y1 y2
    B_s mix:    resonance, B_s*, gamma, B, B_s*bar, gamma, Bbar, M ... (lab and CMS frames of a B_s
                decay with the Upsilon(5S) production mix: an entry of a B_s* the event does not have is
                null, status 0, set per event by the generator)
    B rest:     B, M (m1 m2), Y, y1 y2

(M's daughters only when the meson decays in the record, Y only when it is a particle written to
the record, y1 y2 only when Y decays). PDG codes are per channel (and per charge), everything
else is per entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels import cascade as K
from ..physics import inputs
from ..physics.models.base import Channel, Topology

STATUS_FINAL, STATUS_DECAYED = 1, 2
#: production vertex of an entry: the e+e- interaction point (origin, or drawn from the beam spot),
#: the B decay vertex, the Y decay vertex (rows of the kernel's vertex output)
VERTEX_ORIGIN, VERTEX_B, VERTEX_Y = K.V_IP, K.V_B, K.V_Y


@dataclass(frozen=True)
class Entry:
    """One fixed entry of the record."""

    role: str  # "resonance", "B", "Bbar", "meson", "meson_d1", "meson_d2", "Y", "y1", "y2"
    slot: int  # kernel four-vector slot (kernels.cascade.SLOT_*)
    mother: int  # index of the mother entry, -1 for none
    status: int  # STATUS_FINAL or STATUS_DECAYED
    vertex: int  # VERTEX_ORIGIN, VERTEX_B or VERTEX_Y


@dataclass(frozen=True)
class VariableBlock:
    """Room after the fixed entries for a per-event, variable-length block: the products of
    hadronising the parton pair of the entries ``source`` (channels flagged ``Channel.hadronise``).
    Nothing fills it yet (``max_entries`` = 0): a hadronisation step appends its particles here,
    with mothers among ``source``, so that the fixed entries keep their indices."""

    kind: str = "hadronisation"
    source: tuple[int, ...] = ()  # fixed entries whose products go into the block
    max_entries: int = 0


@dataclass(frozen=True, eq=False)
class RecordLayout:
    """Fixed leading entries of every event of a run, their PDG codes per channel (as named and
    charge-conjugated) and the declared variable-length block."""

    frame: str  # "lab", "cms" or "B_rest"
    topology: Topology
    entries: tuple[Entry, ...]
    pdg: np.ndarray  # (n_channels, n_fixed) int32, as the amplitudes describe the decay
    pdg_conjugate: np.ndarray  # (n_channels, n_fixed) int32, charge-conjugated
    variable: VariableBlock = field(default_factory=VariableBlock)

    @classmethod
    def build(cls, channels: list[Channel], frame: str, resonance: int, bs_mix: bool = False) -> RecordLayout:
        """The layout of ``channels`` in ``frame`` (with the B_s production mix entries if ``bs_mix``);
        ValueError naming the first channel whose topology differs from the first channel's (it would
        not fit the fixed entries)."""
        if frame not in ("lab", "cms", "B_rest"):
            raise ValueError(f"beam.frame = {frame!r}; allowed: 'lab', 'cms', 'B_rest'")
        ch0 = channels[0]
        topo = ch0.topology
        for ch in channels[1:]:
            if ch.topology != topo:
                raise ValueError(f"channel {ch.label!r} does not fit the record layout of {ch0.label!r} "
                                 f"({ch.topology.describe()} vs {topo.describe()}); allowed: one topology per decay")
        entries: list[Entry] = []
        rows = []  # per entry: channel -> PDG code

        def add(role, slot, mother, status, vertex, pdg_of):
            entries.append(Entry(role, slot, mother, status, vertex))
            rows.append(pdg_of)
            return len(entries) - 1

        if frame != "B_rest" and bs_mix:
            star = inputs.PDG_BS_STAR
            ups = add("resonance", K.SLOT_UPS, -1, STATUS_DECAYED, VERTEX_ORIGIN, lambda c: resonance)
            s_sig = add("B_star", K.SLOT_STAR_SIG, ups, STATUS_DECAYED, VERTEX_ORIGIN,
                        lambda c: int(np.sign(c.parent)) * star)
            add("B_star_gamma", K.SLOT_GAMMA_SIG, s_sig, STATUS_FINAL, VERTEX_ORIGIN, lambda c: 22)
            b = add("B", K.SLOT_B, s_sig, STATUS_DECAYED, VERTEX_ORIGIN, lambda c: c.parent)
            s_comp = add("Bbar_star", K.SLOT_STAR_COMP, ups, STATUS_DECAYED, VERTEX_ORIGIN,
                         lambda c: -int(np.sign(c.parent)) * star)
            add("Bbar_star_gamma", K.SLOT_GAMMA_COMP, s_comp, STATUS_FINAL, VERTEX_ORIGIN, lambda c: 22)
            add("Bbar", K.SLOT_BBAR, s_comp, STATUS_FINAL, VERTEX_ORIGIN, lambda c: -c.parent)
        elif frame != "B_rest":
            ups = add("resonance", K.SLOT_UPS, -1, STATUS_DECAYED, VERTEX_ORIGIN, lambda c: resonance)
            b = add("B", K.SLOT_B, ups, STATUS_DECAYED, VERTEX_ORIGIN, lambda c: c.parent)
            add("Bbar", K.SLOT_BBAR, ups, STATUS_FINAL, VERTEX_ORIGIN, lambda c: -c.parent)
        else:
            b = add("B", K.SLOT_B, -1, STATUS_DECAYED, VERTEX_ORIGIN, lambda c: c.parent)
        m = add("meson", K.SLOT_M, b, STATUS_DECAYED if topo.meson_decays else STATUS_FINAL, VERTEX_B,
                lambda c: c.meson)
        if topo.meson_decays:
            add("meson_d1", K.SLOT_M1, m, STATUS_FINAL, VERTEX_B, lambda c: c.meson_daughters[0])
            add("meson_d2", K.SLOT_M2, m, STATUS_FINAL, VERTEX_B, lambda c: c.meson_daughters[1])
        y_mother = b
        if topo.y_in_record:
            y_mother = add("Y", K.SLOT_Y, b, STATUS_DECAYED if topo.y_decays else STATUS_FINAL, VERTEX_B,
                           lambda c: c.y)
        source: tuple[int, ...] = ()
        if topo.y_decays:
            y1 = add("y1", K.SLOT_Y1, y_mother, STATUS_FINAL, VERTEX_Y, lambda c: c.y_daughters[0])
            y2 = add("y2", K.SLOT_Y2, y_mother, STATUS_FINAL, VERTEX_Y, lambda c: c.y_daughters[1])
            if any(c.hadronise for c in channels):
                source = (y1, y2)
        pdg = np.array([[f(c) for f in rows] for c in channels], dtype=np.int32)
        conj = np.array([[inputs.conjugate(int(p), c.self_conjugate) for p in row] for row, c in zip(pdg, channels)],
                        dtype=np.int32).reshape(pdg.shape)
        return cls(frame=frame, topology=topo, entries=tuple(entries), pdg=pdg, pdg_conjugate=conj,
                   variable=VariableBlock(source=source))

    @property
    def n_fixed(self) -> int:
        """Number of fixed leading entries (the ``n_particles`` of every event while the variable
        block is empty)."""
        return len(self.entries)

    @property
    def slots(self) -> tuple[int, ...]:
        return tuple(e.slot for e in self.entries)

    @property
    def mothers(self) -> tuple[int, ...]:
        return tuple(e.mother for e in self.entries)

    @property
    def status(self) -> tuple[int, ...]:
        return tuple(e.status for e in self.entries)

    @property
    def vertex(self) -> tuple[int, ...]:
        return tuple(e.vertex for e in self.entries)

    def index(self, role: str) -> int:
        """Index of the entry with ``role`` (KeyError if the layout has none)."""
        for i, e in enumerate(self.entries):
            if e.role == role:
                return i
        raise KeyError(role)
