"""Run a card: widths and BRs, then unweighted events chunk by chunk.

RNG layout: events are produced in blocks of ``block_size``; block b draws from
its own xoshiro256++ stream seeded by ``SeedSequence(seed, spawn_key=(b,))``.
Events therefore depend only on (card, seed, block_size), never on the chunk
size used for writing or on the number of threads.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numba
import numpy as np

from .. import __version__
from ..errors import InputError
from ..kernels import cascade as K
from ..kernels import record as R
from ..kernels.rng import block_states
from ..physics import inputs
from ..physics.models import get as get_model
from ..physics.models.base import Channel, parent_width
from .tables import build_tables, channel_width

STATUS_FINAL, STATUS_DECAYED = 1, 2

SCALAR_BRANCHES = {
    "event": np.int64,
    "q2": np.float64,
    "q2_rec": np.float64,
    "E_miss_B": np.float64,
    "weight": np.float64,
    "m_meson": np.float64,
    "cos_theta_meson": np.float64,
    "cos_theta_pair": np.float64,
    "chi": np.float64,
    "channel": np.int32,
    "conjugate": np.int8,
}
#: kernel obs columns copied to the scalar branches q2, E_miss_B, m_meson, cos_theta_meson, cos_theta_pair, chi
_OBS_COLS = np.array([K.O_Q2, K.O_EMISS, K.O_MM, K.O_COS_M, K.O_COS_Y, K.O_CHI], dtype=np.int64)

PARTICLE_BRANCHES = {
    "pdg": np.int32,
    "mother": np.int32,
    "status": np.int8,
    "px": np.float64,
    "py": np.float64,
    "pz": np.float64,
    "E": np.float64,
    "m": np.float64,
    "vx": np.float64,
    "vy": np.float64,
    "vz": np.float64,
    "t": np.float64,
}


@dataclass
class ChannelInfo:
    label: str
    width: float  # GeV
    width_error: float  # GeV
    br: float
    br_visible: float  # times the BR of the meson decay written to the record


@dataclass
class Record:
    """Static layout of the particle record: kernel slot, mother index, status, vertex index per entry."""

    slots: list[int] = field(default_factory=list)
    mothers: list[int] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    vertex: list[int] = field(default_factory=list)  # -1: origin, 0: B decay, 1: Y decay
    pdg: np.ndarray | None = None  # (n_channels, n_entries)


class Generator:
    """A resolved card turned into widths, tables and an event source."""

    def __init__(self, card):
        self.card = card
        self.model = get_model(card["process"]["model"])
        self.decay = self.model.decay(card["process"]["decay"])
        params = card["model"]
        self.channels: list[Channel] = self.decay.build(params)
        self.parent = abs(self.channels[0].parent)
        self.gamma_parent = parent_width(self.parent)
        self.info: list[ChannelInfo] = []
        widths = []
        for ch in self.channels:
            w, err = channel_width(ch)
            widths.append(w)
            self.info.append(ChannelInfo(ch.label, w, err, w / self.gamma_parent, w / self.gamma_parent * ch.visible_br))
        self.width = float(sum(widths))
        self.width_error = float(math.sqrt(sum(i.width_error**2 for i in self.info)))
        if not self.width > 0:
            raise InputError(f"process.decay = {self.decay.name!r} has zero width at these parameters; allowed: "
                             "parameters that open the decay")
        self.tables = build_tables(self.channels, widths)
        self.lab = self._lab_vector()
        charge = card["process"]["charge"]
        flip = self.decay.amplitude_conjugate
        self.conj_mode = {"both": 2, "as_named": 1 if flip else 0, "conjugate": 0 if flip else 1}[charge]
        self.record = self._record_layout()
        self._rec_slots = np.asarray(self.record.slots, dtype=np.int64)
        self._rec_vertex = np.asarray(self.record.vertex, dtype=np.int64)
        self._mass_kind, self._mass_tab = R.mass_layout(self._rec_slots, self.tables.cpar, self.channels[0].m_parent)
        self._rec_pdg_conj = np.array(
            [[inputs.conjugate(int(p), ch.extra.get("self_conjugate", ())) for p in row]
             for row, ch in zip(self.record.pdg, self.channels)], dtype=np.int32,
        ).reshape(self.record.pdg.shape)
        # model-provided per-event extension (Decay.extension), e.g. displaced long-lived decays
        self.extension = self.decay.extension(self) if self.decay.extension is not None else None

    # -- summary ------------------------------------------------------------
    @property
    def br(self) -> float:
        return self.width / self.gamma_parent

    @property
    def br_visible(self) -> float:
        return sum(i.br_visible for i in self.info)

    def summary(self) -> dict:
        out = {
            "model": self.model.name,
            "decay": self.decay.name,
            "parent_pdg": self.parent,
            "parent_width_GeV": self.gamma_parent,
            "width_GeV": self.width,
            "width_error_GeV": self.width_error,
            "br": self.br,
            "br_error": self.width_error / self.gamma_parent,
            "br_visible": self.br_visible,
            "channels": [i.__dict__ for i in self.info],
            "table_max_interp_error": self.tables.max_interp_error,
        }
        if self.extension is not None:
            out["extra"] = self.extension.summary(self)
        return out

    # -- set-up -------------------------------------------------------------
    def _lab_vector(self) -> np.ndarray:
        b = self.card["beam"]
        lab = np.zeros(K.N_LAB_PARAMS)
        lab[K.L_FRAME] = 1.0 if b["frame"] == "lab" else 0.0
        lab[K.L_E_HER] = b["E_HER"]
        lab[K.L_E_LER] = b["E_LER"]
        lab[K.L_HALF_ANGLE] = 0.5 * b["crossing_angle"]
        lab[K.L_SPREAD] = 1.0 if b["energy_spread"] else 0.0
        lab[K.L_SIG_HER] = b["sigma_E_HER"]
        lab[K.L_SIG_LER] = b["sigma_E_LER"]
        lab[K.L_M_E] = inputs.mass(11)
        lab[K.L_TAU_B] = inputs.particle(self.parent).tau
        lab[K.L_C] = inputs.C_MM_PER_NS
        return lab

    def _record_layout(self) -> Record:
        """Entries: [Upsilon, B, Bbar] (lab frame) or [B] (rest frame), then M (+ m1 m2), Y, y1 y2."""
        rec = Record()
        lab = self.card["beam"]["frame"] == "lab"
        ch0 = self.channels[0]
        rows = []  # per entry: function channel -> pdg

        def add(slot, mother, status, vertex, pdg_of):
            rec.slots.append(slot)
            rec.mothers.append(mother)
            rec.status.append(status)
            rec.vertex.append(vertex)
            rows.append(pdg_of)
            return len(rec.slots) - 1

        if lab:
            ups = add(K.SLOT_UPS, -1, STATUS_DECAYED, -1, lambda c: self.card["beam"]["resonance"])
            b = add(K.SLOT_B, ups, STATUS_DECAYED, -1, lambda c: c.parent)
            add(K.SLOT_BBAR, ups, STATUS_FINAL, -1, lambda c: -c.parent)
        else:
            b = add(K.SLOT_B, -1, STATUS_DECAYED, -1, lambda c: c.parent)
        m = add(K.SLOT_M, b, STATUS_DECAYED if ch0.meson_daughters else STATUS_FINAL, 0, lambda c: c.meson)
        if ch0.meson_daughters:
            add(K.SLOT_M1, m, STATUS_FINAL, 0, lambda c: c.meson_daughters[0])
            add(K.SLOT_M2, m, STATUS_FINAL, 0, lambda c: c.meson_daughters[1])
        y_mother = b
        if ch0.y_in_record:
            y_mother = add(K.SLOT_Y, b, STATUS_DECAYED if ch0.y_daughters else STATUS_FINAL, 0, lambda c: c.y)
        if ch0.y_daughters:
            add(K.SLOT_Y1, y_mother, STATUS_FINAL, 1, lambda c: c.y_daughters[0])
            add(K.SLOT_Y2, y_mother, STATUS_FINAL, 1, lambda c: c.y_daughters[1])
        rec.pdg = np.array([[f(c) for f in rows] for c in self.channels], dtype=np.int32)
        return rec

    # -- generation -----------------------------------------------------------
    def block_size(self) -> int:
        return int(self.card["generation"]["block_size"])

    @staticmethod
    def raw_buffers(n_events: int) -> dict:
        """Kernel output arrays for up to ``n_events`` events, for reuse across calls of generate_range."""
        return {"p4": np.empty((n_events, K.N_SLOTS, 4)), "vtx": np.empty((n_events, 2, 4)),
                "obs": np.empty((n_events, K.N_OBS))}

    def generate_range(self, seed: int, first_block: int, n_blocks: int, n_events: int, out: dict | None = None,
                       record: dict | None = None) -> dict:
        """Raw kernel output for ``n_events`` events from blocks first_block.. (the last may be partial).

        ``out`` (from :meth:`raw_buffers`) is filled instead of new arrays: reusing it saves the page
        faults of fresh allocations, but overwrites the previous call's output. With ``record`` (from
        :meth:`branch_buffers`) the event record is filled as well, tile by tile while the kernel
        output is in cache (kernels.record.generate_blocks_with_record); :meth:`to_branches` then
        skips that pass. The events are the same either way."""
        bs = self.block_size()
        states = block_states(seed, first_block, n_blocks)
        if out is None or out["obs"].shape[0] < n_events:
            out = self.raw_buffers(n_events)
        p4, vtx, obs = out["p4"][:n_events], out["vtx"][:n_events], out["obs"][:n_events]
        trials = np.zeros(n_blocks, dtype=np.int64)
        over = np.zeros(n_blocks, dtype=np.int64)
        t = self.tables
        kernel_args = (
            states, bs, n_events, self.channels[0].m_parent, self.conj_mode, t.ch_cum, t.table_of, t.cpar, t.mx_pdf,
            t.mx_prob, t.mx_alias, t.ft_pdf, t.ft_prob, t.ft_alias, t.t_nodes, t.hel, t.pw, self.lab, p4, vtx, obs,
            trials, over,
        )
        if record is None:
            K.generate_blocks(*kernel_args)
        else:
            if record["pdg"].shape[0] < n_events:
                raise ValueError(f"record buffers hold {record['pdg'].shape[0]} events, fewer than {n_events}")
            R.generate_blocks_with_record(*kernel_args, *self._record_args(record, n_events))
        raw = {"p4": p4, "vtx": vtx, "obs": obs, "trials": int(trials.sum()), "overweight": int(over.sum()), "seed": seed}
        if record is not None:
            raw["record"] = record
        return raw

    def _record_args(self, out: dict, n: int) -> tuple:
        """The layout and output arguments of kernels.record.fill_record for the first n events of ``out``."""
        return (_OBS_COLS, self._mass_kind, self._mass_tab, self._rec_slots, self._rec_vertex, self.record.pdg,
                self._rec_pdg_conj, out["mom"][:, :n], out["vert"][:, :n], out["pdg"][:n], out["scal"][:, :n],
                out["channel"][:n], out["conj"][:n])

    def branch_buffers(self, n: int) -> dict:
        """Output arrays of :meth:`to_branches` for up to ``n`` events, for reuse across chunks."""
        k = len(self.record.slots)
        fdt = np.dtype(self.card["output"].get("precision", "float64"))
        return {"mom": np.empty((R.N_MOM_ROWS, n, k), dtype=fdt), "vert": np.empty((4, n, k), dtype=fdt),
                "pdg": np.empty((n, k), dtype=np.int32), "scal": np.empty((R.N_SCALAR_ROWS, n)),
                "channel": np.empty(n, dtype=np.int32), "conj": np.empty(n, dtype=np.int8)}

    def to_branches(self, raw: dict, first_event: int, out: dict | None = None) -> tuple[dict, dict]:
        """Kernel output -> (scalar branches, particle branches of shape (n, n_entries)), all C-contiguous.

        Momenta, masses and vertices are float64, or float32 with ``output.precision = "float32"``.
        ``out`` (from :meth:`branch_buffers`) is filled instead of new arrays; the returned branches are
        then views of it, valid until it is filled again."""
        obs, p4, vtx = raw["obs"], raw["p4"], raw["vtx"]
        n = obs.shape[0]
        rec = self.record
        k = len(rec.slots)
        filled = raw.get("record")  # filled by generate_range(record=...)
        if filled is not None and out is None:
            out = filled
        if out is None or out["pdg"].shape[0] < n:
            out = self.branch_buffers(n)
        if out is not filled:
            R.fill_record(p4, vtx, obs, *self._record_args(out, n))
        mom, vert = out["mom"][:, :n], out["vert"][:, :n]
        pdg, scal = out["pdg"][:n], out["scal"][:, :n]
        channel, conj = out["channel"][:n], out["conj"][:n]
        scalars = {
            "event": np.arange(first_event, first_event + n, dtype=np.int64),
            "q2": scal[0],
            "E_miss_B": scal[1],
            "weight": np.ones(n),
            "m_meson": scal[2],
            "cos_theta_meson": scal[3],
            "cos_theta_pair": scal[4],
            "chi": scal[5],
            "channel": channel,
            "conjugate": conj,
        }
        particles = {
            "pdg": pdg,
            "mother": np.broadcast_to(np.asarray(rec.mothers, dtype=np.int32), (n, k)),
            "status": np.broadcast_to(np.asarray(rec.status, dtype=np.int8), (n, k)),
            "E": mom[0],
            "px": mom[1],
            "py": mom[2],
            "pz": mom[3],
            "m": mom[4],
            "vx": vert[0],
            "vy": vert[1],
            "vz": vert[2],
            "t": vert[3],
        }
        if getattr(self, "_detector", None) is None:
            from ..detector.level import DetectorLevel

            self._detector = DetectorLevel(self.card, self.channels)
        seed = raw.get("seed", self.card["generation"]["seed"])
        q2r, weight, keep = self._detector.apply(raw, first_event, seed, self.block_size())
        scalars["q2_rec"] = q2r
        scalars["weight"] = weight
        if keep is not None:  # detector.efficiency_mode = "accept_reject": rejected events are dropped
            scalars = {key: v[keep] for key, v in scalars.items()}
            particles = {key: np.ascontiguousarray(v[keep]) for key, v in particles.items()}
        if self.extension is not None:  # Decay.extension: extra branches, in place on this chunk
            self.extension.apply(scalars, particles, seed)
        return scalars, particles

    def branch_types(self) -> tuple[dict, dict]:
        """(scalar, particle) branch dtypes of this run's output (``output.precision`` applied)."""
        fdt = np.dtype(self.card["output"].get("precision", "float64"))
        particles = {k: (fdt if np.dtype(v).kind == "f" else v) for k, v in PARTICLE_BRANCHES.items()}
        scalars = dict(SCALAR_BRANCHES)
        if self.extension is not None:
            scalars.update(self.extension.branch_types)
        return scalars, particles

    def events(self, n_events: int, seed: int, chunk_blocks: int = 4):
        """Yield (scalars, particles, stats) chunk by chunk for ``n_events`` events."""
        if chunk_blocks < 1:
            raise ValueError(f"chunk_blocks = {chunk_blocks}; allowed: an integer >= 1")
        bs = self.block_size()
        n_blocks_total = -(-n_events // bs)
        done = 0
        b = 0
        while b < n_blocks_total:
            nb = min(chunk_blocks, n_blocks_total - b)
            n = min(nb * bs, n_events - done)
            raw = self.generate_range(seed, b, nb, n, record=self.branch_buffers(n))
            scalars, particles = self.to_branches(raw, done)
            yield scalars, particles, {"trials": raw["trials"], "overweight": raw["overweight"], "events": n}
            done += n
            b += nb

    def run_info(self, seed: int, n_events: int, trials: int, overweight: int, generated: int | None = None) -> str:
        """JSON run record: ``n_events`` events written, out of ``generated`` unweighted events (fewer
        are written when the detector efficiency is applied by accept-reject; default: all)."""
        generated = n_events if generated is None else generated
        info = {
            "bkgen_version": __version__,
            "numba_version": numba.__version__,
            "numpy_version": np.__version__,
            "seed": seed,
            "events": n_events,
            "generated_events": generated,
            "detector_acceptance": n_events / generated if generated else None,
            "rng": {
                "generator": "xoshiro256++",
                "seeding": "numpy.random.SeedSequence(seed, spawn_key=(block,)).generate_state(4, uint64)",
                "block_size": self.block_size(),
            },
            "unweighting": {
                "method": "exact sampling of the tabulated (m_meson, q2) density (alias tables); helicity angles "
                "exact for a spin-0 meson, accept-reject against the Cauchy-Schwarz bound for a spin-1 meson",
                "trials": trials,
                "efficiency": generated / trials if trials else None,
                "w_max": 1.0,
                "overweight_events": overweight,
                "overweight_fraction": overweight / trials if trials else 0.0,
            },
            "frame": self.card["beam"]["frame"],
            "record": {
                "status": {"1": "final state", "2": "decayed"},
                "mother": "index of the mother in this event's record, -1 for none",
                "vertex": "production vertex vx, vy, vz [mm], t [ns]; origin = e+e- interaction point",
                "pdg_new_states": {"52": "dark fermion Q", "55": "dark photon gamma_D"},
            },
            **self.summary(),
        }
        return json.dumps(info, indent=1, default=float)
