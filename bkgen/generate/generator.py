"""Run a card: widths and BRs, then unweighted events chunk by chunk.

RNG layout: events are produced in blocks of ``block_size``; block b draws from
its own xoshiro256++ stream seeded by ``SeedSequence(seed, spawn_key=(b,))``.
Events therefore depend only on (card, seed, block_size), never on the chunk
size used for writing or on the number of threads.
"""

from __future__ import annotations

import json
import math

import numba
import numpy as np

from .. import __version__
from ..kernels import cascade as K
from ..kernels import record as R
from ..kernels.rng import block_states
from ..config.card import Card, resolve
from ..physics import beams, inputs
from ..physics.models.base import Channel
from .decay import ChannelInfo, DecayPhysics  # noqa: F401 (ChannelInfo re-exported)
from .threads import run_blocks
from .layout import STATUS_DECAYED, STATUS_FINAL, RecordLayout  # noqa: F401 (re-exported)

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
    "invisible": np.int8,  # 1: final-state neutrino or dark-sector state (inputs.INVISIBLE)
    "from_signal_B": np.int8,  # 1: a decay product (any generation) of the signal B
}


def _extension(gen):
    """The object implementing ``gen.decay.extension``: ``branch_types`` (extra scalar branches, name ->
    dtype), ``apply(scalars, particles, seed)`` (on every chunk: adds those branches, may change
    weights, vertices, status and PDG codes in place) and ``summary(gen)`` (a dict that
    ``Generator.summary()`` adds under "extra"); None without an extension."""
    kind = gen.decay.extension
    if kind is None:
        return None
    if kind == "long_lived":
        from ..detector.long_lived import LongLivedY

        summary = gen.decay.summary(gen.card.model) if gen.decay.summary is not None else None
        return LongLivedY(gen, summary)
    raise ValueError(f"decay {gen.decay.name!r}: unknown extension {kind!r}")


class Generator:
    """A resolved card turned into widths, tables and an event source."""

    def __init__(self, card: Card, physics: DecayPhysics | None = None):
        if not isinstance(card, Card):  # a plain resolved dict: validate and type it once
            card = resolve(card)
        self.card = card
        #: channels, widths and BRs; its kernel tables are built on first use (:attr:`tables`)
        self.physics = physics if physics is not None else DecayPhysics.from_card(card)
        self.physics.require_open()
        self.model = self.physics.model
        self.decay = self.physics.decay
        self.channels: list[Channel] = self.physics.channels
        self.parent = self.physics.parent
        self.gamma_parent = self.physics.gamma_parent
        self.info: list[ChannelInfo] = self.physics.info
        self.width = self.physics.width
        self.width_error = self.physics.width_error
        self._tables = None
        self._mass_layout = None
        self.lab = self._lab_vector()
        charge = card.process.charge
        flip = self.decay.amplitude_conjugate
        # the kernel's parity flag is relative to the amplitudes' decay; the `conjugate` branch is
        # relative to the decay named in the card (1 = its CP conjugate) for every model
        self.conj_mode = {"both": 2, "as_named": 1 if flip else 0, "conjugate": 0 if flip else 1}[charge]
        self.conj_mode |= 4 if flip else 0
        self.record = RecordLayout.build(self.channels, card.beam.frame, card.beam.resonance, bs_mix=self.bs_mix)
        self._rec_slots = np.asarray(self.record.slots, dtype=np.int64)
        self._rec_vertex = np.asarray(self.record.vertex, dtype=np.int64)
        # PDG codes of the named decay (conjugate = 0) and of its CP conjugate (conjugate = 1)
        self._rec_pdg_named, self._rec_pdg_conj = ((self.record.pdg_conjugate, self.record.pdg) if flip
                                                   else (self.record.pdg, self.record.pdg_conjugate))
        # per-event extension the decay asks for (Decay.extension), e.g. displaced long-lived decays
        self.extension = _extension(self)
        # hadronisation of the parton pairs of channels flagged hadronise (generation.hadronise)
        self.hadroniser = None
        if card.generation.hadronise and any(c.hadronise for c in self.channels):
            from .hadronise import Hadroniser

            self.hadroniser = Hadroniser(self)

    @property
    def tables(self):
        """Kernel tables (built on first use, by :class:`DecayPhysics`); may be replaced, e.g. by flat
        tables for a benchmark."""
        if self._tables is None:
            self._tables = self.physics.tables
        return self._tables

    @tables.setter
    def tables(self, value) -> None:
        self._tables = value

    def _masses(self):
        """(mass kind, mass table) of the record entries (kernels.record.mass_layout)."""
        if self._mass_layout is None:
            self._mass_layout = R.mass_layout(self._rec_slots, self.tables.cpar, self.channels[0].m_parent,
                                                 inputs.mass(inputs.PDG_BS_STAR) if self.bs_mix else 0.0)
        return self._mass_layout

    # -- summary ------------------------------------------------------------
    @property
    def br(self) -> float:
        return self.width / self.gamma_parent

    @property
    def br_visible(self) -> float:
        return sum(i.br_visible for i in self.info)

    def event_cross_section_pb(self) -> tuple[float, float] | None:
        """Cross section of the events written [pb] and its error: sigma(e+e- -> B Bbar of the species,
        physics.beams.pair_cross_section_pb) x (2 if both charges else 1) x BR x BR(meson decay in the
        record); None without a measured pair cross section at the card's resonance."""
        pair = beams.pair_cross_section_pb(self.parent, self.card["beam"]["resonance"])
        if pair is None:
            return None
        sides = 2 if self.card["process"]["charge"] == "both" else 1
        xs = pair[0] * sides * self.br_visible
        rel = math.hypot(pair[1] / pair[0], self.width_error / self.width)
        return xs, xs * rel

    def summary(self) -> dict:
        """Widths and BRs (:meth:`DecayPhysics.summary`), the tables' interpolation error once they are
        built (None before), and the extension's summary."""
        out = self.physics.summary()
        extra = self.extension.summary(self) if self.extension is not None else None  # may generate events
        out["table_max_interp_error"] = self._tables.max_interp_error if self._tables is not None else None
        if extra is not None:
            out["extra"] = extra
        if self.hadroniser is not None:
            out["hadronisation"] = self.hadroniser.summary()
        return out

    # -- set-up -------------------------------------------------------------
    @property
    def bs_mix(self) -> bool:
        """True when the record carries the Upsilon(5S) -> B_s(*) Bbar_s(*) production mix."""
        b = self.card.beam
        return abs(self.parent) == 531 and b.frame != "B_rest" and b.bs_production == "mix"

    def _lab_vector(self) -> np.ndarray:
        b = self.card.beam
        lab = np.zeros(K.N_LAB_PARAMS)
        lab[K.L_FRAME] = {"lab": K.FRAME_LAB, "cms": K.FRAME_CMS, "B_rest": K.FRAME_B_REST}[b.frame]
        lab[K.L_E_HER] = b.E_HER
        lab[K.L_E_LER] = b.E_LER
        lab[K.L_HALF_ANGLE] = 0.5 * b.crossing_angle
        lab[K.L_SPREAD] = 1.0 if b.energy_spread else 0.0
        lab[K.L_SIG_HER] = b.sigma_E_HER
        lab[K.L_SIG_LER] = b.sigma_E_LER
        lab[K.L_M_E] = inputs.mass(11)
        lab[K.L_TAU_B] = inputs.particle(self.parent).tau
        lab[K.L_C] = inputs.C_MM_PER_NS
        if b.vertex_smearing:
            lab[K.L_SMEAR] = 1.0
            chol = np.linalg.cholesky(beams.beamspot_covariance(b.crossing_angle))
            lab[K.L_SPOT:K.L_SPOT + 6] = chol[np.tril_indices(3)]
        if self.bs_mix:
            f = inputs.BS_PAIR_FRACTIONS
            total = sum(f.values())
            lab[K.L_MIX] = 1.0
            lab[K.L_F_VV] = f["Bs*Bs*"] / total
            lab[K.L_F_VP] = f["Bs*Bs"] / total
            lab[K.L_M_STAR] = inputs.mass(inputs.PDG_BS_STAR)
        return lab

    # -- generation -----------------------------------------------------------
    def block_size(self) -> int:
        return self.card.generation.block_size

    @staticmethod
    def raw_buffers(n_events: int) -> dict:
        """Kernel output arrays for up to ``n_events`` events, for reuse across calls of generate_range."""
        # zeros: slots a card does not use (e.g. the B_s* of the production mix) stay zero
        return {"p4": np.zeros((n_events, K.N_SLOTS, 4)), "vtx": np.empty((n_events, K.N_VERTICES, 4)),
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
            t.mx_prob, t.mx_alias, *t.ft_rows(), t.t_nodes, t.hel, t.pw, self.lab, np.empty((n_blocks, K.N_FRAME)),
            p4, vtx, obs, trials, over,
        )
        if record is None:
            run_blocks(K.generate_blocks, n_blocks, *kernel_args)
        else:
            if record["pdg"].shape[0] < n_events:
                raise ValueError(f"record buffers hold {record['pdg'].shape[0]} events, fewer than {n_events}")
            run_blocks(R.generate_blocks_with_record, n_blocks, *kernel_args, *self._record_args(record, n_events))
        raw = {"p4": p4, "vtx": vtx, "obs": obs, "trials": int(trials.sum()), "overweight": int(over.sum()), "seed": seed}
        if record is not None:
            raw["record"] = record
        return raw

    def compile(self) -> None:
        """Compile (or load from the on-disk cache) the kernels of a run, by running them on zero
        events with the argument types of a real run; a run's timing then excludes compilation. On a
        cold cache a second process compiles part of them meanwhile (kernels.precompile), started
        before the tables are built, which it does not need."""
        from ..kernels import precompile

        record = self.branch_buffers(0)
        raw = self.raw_buffers(0)
        # dtypes of the mass layout without the tables (only the argument types matter here)
        masses = R.mass_layout(self._rec_slots, np.zeros((1, K.N_CHANNEL_PARAMS)), 0.0)
        helper = precompile.start(precompile.helper_work(self.lab, raw["p4"], raw["vtx"], raw["obs"],
                                                         self._record_args(record, 0, masses)))
        try:
            self.generate_range(0, 0, 0, 0, out=raw, record=record)
        finally:
            if helper is not None:
                helper.close()

    def _record_args(self, out: dict, n: int, masses: tuple | None = None) -> tuple:
        """The layout and output arguments of kernels.record.fill_record for the first n events of ``out``
        (``masses``: (mass kind, mass table), default :meth:`_masses`).

        The (rows, events, ...) buffers are passed whole (the kernels write events < n only): a slice
        ``[:, :n]`` of a larger buffer is not contiguous, and would compile a second specialisation of
        the kernels the first time a chunk is shorter than its buffer."""
        mass_kind, mass_tab = self._masses() if masses is None else masses
        return (_OBS_COLS, mass_kind, mass_tab, self._rec_slots, self._rec_vertex, self._rec_pdg_named,
                self._rec_pdg_conj, out["mom"], out["vert"], out["pdg"][:n], out["scal"], out["channel"][:n],
                out["conj"][:n])

    def branch_buffers(self, n: int) -> dict:
        """Output arrays of :meth:`to_branches` for up to ``n`` events, for reuse across chunks."""
        k = len(self.record.slots)
        fdt = np.dtype(self.card.output.precision)
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
        mother = np.broadcast_to(np.asarray(rec.mothers, dtype=np.int32), (n, k))
        status = np.broadcast_to(np.asarray(rec.status, dtype=np.int8), (n, k))
        if self.bs_mix:
            mother, status = self._apply_bs_mix(obs[:, K.O_PROD].astype(np.int64), mother, status, pdg, mom)
        particles = {
            "pdg": pdg,
            "mother": mother,
            "status": status,
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
        seed = raw.get("seed", self.card.generation.seed)
        q2r, weight, keep = self._detector.apply(raw, first_event, seed, self.block_size())
        scalars["q2_rec"] = q2r
        scalars["weight"] = weight
        if keep is not None:  # detector.efficiency_mode = "accept_reject": rejected events are dropped
            scalars = {key: v[keep] for key, v in scalars.items()}
            particles = {key: np.ascontiguousarray(v[keep]) for key, v in particles.items()}
        if self.extension is not None:  # Decay.extension: extra branches, in place on this chunk
            self.extension.apply(scalars, particles, seed)
        self._flags(particles)
        if self.hadroniser is not None:  # parton status -> 2, particles["hadrons"]: the variable block
            self.hadroniser.apply(scalars, particles, seed)
        return scalars, particles

    def _flags(self, particles: dict) -> None:
        """Per-particle flags from the final record: ``invisible`` (status 1 and a code of
        inputs.INVISIBLE) and ``from_signal_B`` (descends from the signal B: the record entry of the
        decaying B and every later entry whose mother chain reaches it)."""
        pdg, status = particles["pdg"], particles["status"]
        particles["invisible"] = ((status == 1) & np.isin(np.abs(pdg), list(inputs.INVISIBLE))).astype(np.int8)
        particles["from_signal_B"] = np.broadcast_to(self._from_signal_b, pdg.shape)

    @property
    def _from_signal_b(self) -> np.ndarray:
        """Per record entry: 1 if it descends from the signal B (the layout fixes the B's descendants)."""
        mothers = self.record.mothers
        b = self.record.slots.index(K.SLOT_B)
        flag = np.zeros(len(mothers), dtype=np.int8)
        for j, m in enumerate(mothers):
            flag[j] = 1 if m >= 0 and (m == b or flag[m]) else 0
        return flag

    def _apply_bs_mix(self, mode, mother, status, pdg, mom):
        """Per-event record of the B_s production mix: a B_s* that was not produced (and its photon)
        becomes a null entry (status 0, PDG 0, mother -1, zero four-momentum and mass), and the B_s
        then has the e+e- system as mother. Returns new (mother, status) arrays; pdg and mom in place."""
        mother = np.array(mother)
        status = np.array(status)
        for bit, (star, gamma, b) in ((1, (1, 2, 3)), (2, (4, 5, 6))):
            absent = (mode & bit) == 0
            for j in (star, gamma):
                status[absent, j] = 0
                pdg[absent, j] = 0
                mother[absent, j] = -1
                mom[:, absent, j] = 0.0
            mother[absent, b] = 0
        return mother, status

    def branch_types(self) -> tuple[dict, dict]:
        """(scalar, particle) branch dtypes of this run's output (``output.precision`` applied)."""
        fdt = np.dtype(self.card.output.precision)
        particles = {k: (fdt if np.dtype(v).kind == "f" else v) for k, v in PARTICLE_BRANCHES.items()}
        scalars = dict(SCALAR_BRANCHES)
        if self.extension is not None:
            scalars.update(self.extension.branch_types)
        return scalars, particles

    def variable_branch_types(self) -> dict:
        """Field dtypes of the variable-length particle block (the hadronisation products; the particle
        branches), empty when the run has none (no ``generation.hadronise`` or no parton channel)."""
        return self.branch_types()[1] if self.hadroniser is not None else {}

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
            "frame": self.card.beam.frame,
            "record": {
                "status": {"0": "null entry (not produced in this event)", "1": "final state", "2": "decayed"},
                "mother": "index of the mother in this event's record, -1 for none",
                "vertex": "production vertex vx, vy, vz [mm], t [ns]; origin = nominal e+e- interaction point "
                          "(the interaction point itself is drawn from the beam spot with beam.vertex_smearing)",
                "pdg_new_states": {"52": "dark fermion Q", "55": "dark photon gamma_D"},
                **({"hadrons": "hadronised events: the parton pair has status 2; its hadrons follow the fixed "
                               "entries in the variable block hadrons_<branch> (n_hadrons per event), first "
                               "generation with the first parton as mother; mothers index fixed entries then "
                               "the block"} if self.hadroniser is not None else {}),
            },
            **self.summary(),
        }
        return json.dumps(info, indent=1, default=float)
