"""Hadronisation of the colour-singlet parton pairs of a run (card ``generation.hadronise = true``).

Every event of a channel flagged ``Channel.hadronise`` (the Y daughters y1 y2 are q qbar or g g) gets
a variable-length block of hadron-level particles after the record's fixed entries:

* m(y1 y2) >= ``inputs.M_HADRONISE_PYTHIA`` (2 GeV): Pythia 8 string fragmentation (``pythia8mc``, the
  ``bkgen[hadronise]`` extra) in its no-beam mode (``ProcessLevel:all = off``): the pair is put into
  Pythia's event record in its own rest frame (back to back along the direction of y1 in that frame,
  colour tags 101/102 for q qbar, a closed 101-102 loop for g g, Pythia's quark masses) and ``next()``
  fragments it and decays the hadrons;
  A c cbar pair below the open-charm threshold 2 m(D0) (the ALP's a -> c cbar opens at 2 m_c) cannot
  form D Dbar: it is hadronised as a g g system of the same mass (counted as ``ccbar_as_gg``);
* below, an exclusive mode of :mod:`bkgen.physics.exclusive` drawn with its branching fraction at that
  mass (its remainder "other" goes to the string model): a particle of mass m(y1 y2) with that single
  phase-space decay channel is decayed by Pythia's particle decays.

Hadron decays stop at particles with c tau > ``generation.stable_ctau`` (default 10 mm,
``inputs.STABLE_CTAU_MM``: Pythia's ``ParticleDecays:limitTau0``/``tau0Max``). The products are boosted
to the record frame with the velocity of y1 + y2; their production vertices are the y1 y2 vertex plus
Pythia's (boosted) decay displacements. The partons become status 2; the first-generation hadrons
have y1 as mother (the string or the exclusive decay of the pair); mothers index the whole record
(fixed entries first). Fixed entries are otherwise unchanged.

Reproducibility: event e of a run with seed s is hadronised with Pythia's generator initialised from
``xxh64(s, e, attempt)`` (``Random:setSeed``, ``rndm.init`` per event), so it depends on the seed and
the event number only, not on threads, chunks or workers. A Pythia instance is initialised once per
thread and per setting and reused. An event Pythia fails (``next()`` false) is retried with the next
attempt's seed up to ``MAX_ATTEMPTS`` times (counted in run_info ``hadronisation.retries``); an event
that still fails stops the run with an error (never written unhadronised).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import xxhash

from ..errors import require
from ..io.sample import BLOCK
from ..physics import inputs
from ..physics.exclusive import BY_MODEL, ExclusiveSet

#: attempts per event before the run stops (failure policy above)
MAX_ATTEMPTS = 10
#: PDG codes of the helper particles carrying an exclusive mode (Pythia's range for user particles)
_EXCL_ID0 = 9900100
#: Pythia's internal record entries (system 90, cluster 91, string 92, ministring/junction 93..99)
_INTERNAL = range(81, 100)
#: key of the variable block in a chunk's particle dict (and prefix of its ROOT branches)
BLOCK_NAME = BLOCK

_local = threading.local()


@dataclass
class HadronBlock:
    """The variable-length part of a chunk: per event ``counts`` (int32) and per field the flat values of
    all events in order (the particle-branch names: pdg, mother, status, px, ..., from_signal_B)."""

    counts: np.ndarray
    fields: dict

    def offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.counts, dtype=np.int64)])


def _pythia(stable_ctau: float, excl: ExclusiveSet | None):
    """This thread's Pythia instance for these settings (initialised once, quiet, no beams)."""
    cache = getattr(_local, "instances", None)
    if cache is None:
        cache = _local.instances = {}
    key = (stable_ctau, None if excl is None else excl.kind)
    if key not in cache:
        p8 = require("hadronise", "generation.hadronise = true")
        py = p8.Pythia("", False)
        settings = ["ProcessLevel:all = off", "Next:numberCount = 0", "Next:numberShowInfo = 0",
                    "Next:numberShowProcess = 0", "Next:numberShowEvent = 0", "Print:quiet = on",
                    "Random:setSeed = on", "Random:seed = 1", "ParticleDecays:limitTau0 = on",
                    f"ParticleDecays:tau0Max = {stable_ctau!r}"]
        for j, mode in enumerate(excl.modes if excl is not None else ()):
            pid = _EXCL_ID0 + j
            settings += [f"{pid}:new = bkgen_excl{j} void 0 0 0 1.0 0.0 0.0 0.0 0.0", f"{pid}:mayDecay = on",
                         f"{pid}:oneChannel = 1 1.0 0 " + " ".join(str(p) for p in mode.products)]
        for s in settings:
            if not py.readString(s):
                raise RuntimeError(f"Pythia refused the setting {s!r}")
        if not py.init():
            raise RuntimeError("Pythia initialisation failed")
        cache[key] = py
    return cache[key]


def event_seed(seed: int, event: int, attempt: int) -> int:
    """Pythia seed (1 .. 900000000) of ``event`` of a run with ``seed``, at ``attempt`` (0, 1, ...)."""
    h = xxhash.xxh64_intdigest(np.array([seed, event, attempt], dtype=np.int64).tobytes())
    return 1 + h % 900_000_000


def _boost(beta: np.ndarray, e: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorentz boost by velocity ``beta`` (n, 3) of (e (n,), p (n, 3)); returns (e', p')."""
    b2 = np.einsum("ij,ij->i", beta, beta)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    bp = np.einsum("ij,ij->i", beta, p)
    g2 = np.where(b2 > 0.0, (gamma - 1.0) / np.where(b2 > 0.0, b2, 1.0), 0.0)
    p_new = p + (g2 * bp + gamma * e)[:, None] * beta
    return gamma * (e + bp), p_new


class Hadroniser:
    """Adds the hadron block to the chunks of a :class:`~bkgen.generate.generator.Generator` run."""

    def __init__(self, gen):
        self.mask = np.array([c.hadronise for c in gen.channels], dtype=bool)
        src = gen.record.variable.source
        self.y1, self.y2 = (src if src else (-1, -1))
        self.stable_ctau = float(gen.card.generation.stable_ctau)
        self.excl = BY_MODEL.get(gen.card.process.model)
        self.n_fixed = gen.record.n_fixed
        #: [GeV] below m(D0) + m(D0bar) a c cbar pair is hadronised as a g g system (module docstring)
        self.m_open_charm = 2.0 * inputs.mass(421)
        self.reset()

    @property
    def active(self) -> bool:
        return bool(self.mask.any())

    def reset(self) -> None:
        """Start counting afresh (a file's run_info counts the events of that file)."""
        self.counts = {"string": 0, "exclusive": {}, "retries": 0, "events": 0, "ccbar_as_gg": 0}

    def add_counts(self, summary: dict) -> None:
        """Add the counts of another run's :meth:`summary` (a chunk of the same run, when merging)."""
        for key in ("string", "retries", "events", "ccbar_as_gg"):
            self.counts[key] += int(summary.get(key, 0))
        for name, v in summary.get("exclusive", {}).items():
            self.counts["exclusive"][name] = self.counts["exclusive"].get(name, 0) + int(v)

    def summary(self) -> dict:
        return {
            "generator": "Pythia 8 (pythia8mc), ProcessLevel:all = off",
            "string_model_min_mass_GeV": inputs.M_HADRONISE_PYTHIA,
            "stable_ctau_mm": self.stable_ctau,
            "exclusive_set": None if self.excl is None else self.excl.kind,
            "events": self.counts["events"],
            "string": self.counts["string"],
            "exclusive": dict(sorted(self.counts["exclusive"].items())),
            "retries": self.counts["retries"],
            "ccbar_as_gg": self.counts["ccbar_as_gg"],
            "max_attempts": MAX_ATTEMPTS,
            "seeding": "xxh64(int64[seed, event, attempt]) % 900000000 + 1 per event",
        }

    def apply(self, scalars: dict, particles: dict, seed: int) -> None:
        """Hadronise the flagged events of a chunk in place: parton status -> 2, and
        ``particles[BLOCK_NAME]`` = the chunk's :class:`HadronBlock`. Without the ``bkgen[hadronise]`` extra
        this raises :class:`~bkgen.errors.MissingExtra` (one line, exit status 2) on the first chunk."""
        n = len(scalars["event"])
        fdt = particles["px"].dtype
        todo = np.flatnonzero(self.mask[scalars["channel"]]) if self.active else np.zeros(0, dtype=np.int64)
        counts = np.zeros(n, dtype=np.int32)
        if len(todo) == 0:
            particles[BLOCK_NAME] = _empty_block(counts, fdt)
            return
        status = np.array(particles["status"])
        status[todo, self.y1] = 2
        status[todo, self.y2] = 2
        particles["status"] = status
        y1, y2 = self.y1, self.y2
        p1 = np.stack([particles[c][todo, y1].astype(np.float64) for c in ("E", "px", "py", "pz")], axis=1)
        p2 = np.stack([particles[c][todo, y2].astype(np.float64) for c in ("E", "px", "py", "pz")], axis=1)
        tot = p1 + p2
        m_sys = np.sqrt(np.asarray(scalars["q2"], dtype=np.float64)[todo])  # exact generated mass of y1 y2
        beta = tot[:, 1:] / tot[:, :1]
        _, dir1 = _boost(-beta, p1[:, 0], p1[:, 1:])  # y1 in the pair's rest frame
        norm = np.linalg.norm(dir1, axis=1)
        dir1 = dir1 / np.where(norm > 0, norm, 1.0)[:, None]
        dir1[norm == 0] = (0.0, 0.0, 1.0)
        ids = np.stack([particles["pdg"][todo, y1], particles["pdg"][todo, y2]], axis=1).astype(np.int64)
        if self.excl is not None:
            probs, other = self.excl.probabilities(m_sys)
            cum = np.cumsum(np.concatenate([probs, other[:, None]], axis=1), axis=1)
        py = _pythia(self.stable_ctau, self.excl)
        ev = py.event
        events = np.asarray(scalars["event"], dtype=np.int64)
        rows: list[tuple] = []  # (event slot, pdg, pythia mother -> record mother, status, E, px, py, pz, m, x, y, z, t)
        for k, i in enumerate(todo):
            m = float(m_sys[k])
            for attempt in range(MAX_ATTEMPTS):
                py.rndm.init(event_seed(seed, int(events[i]), attempt))
                ev.reset()
                mode = -1
                below = False
                if self.excl is not None and m < inputs.M_HADRONISE_PYTHIA:
                    u = py.rndm.flat()
                    mode = int(np.searchsorted(cum[k], u * cum[k, -1], side="right"))
                    if mode >= len(self.excl.modes):
                        mode = -1  # "other": the string model
                if mode >= 0:
                    ev.append(_EXCL_ID0 + mode, 1, 0, 0, 0.0, 0.0, 0.0, m, m)
                elif abs(ids[k, 0]) == 4 and m < self.m_open_charm:
                    # c cbar below open charm: no string can make D Dbar; hadronised as the g g system of the
                    # same mass (the pair annihilates into gluons, as eta_c -> g g -> hadrons)
                    _append_pair(py, ev, (21, 21), dir1[k], m)
                    below = True
                else:
                    _append_pair(py, ev, ids[k], dir1[k], m)
                if py.next():
                    break
                self.counts["retries"] += 1
            else:
                raise RuntimeError(f"event {int(events[i])}: Pythia failed to hadronise the parton pair "
                                   f"(m = {m:.4f} GeV) in {MAX_ATTEMPTS} attempts")
            if mode >= 0:
                name = self.excl.modes[mode].name
                self.counts["exclusive"][name] = self.counts["exclusive"].get(name, 0) + 1
            else:
                self.counts["string"] += 1
                self.counts["ccbar_as_gg"] += below
            counts[i] = _collect(ev, k, self.n_fixed, y1, 2 if mode >= 0 else 3, rows)
        self.counts["events"] += len(todo)
        particles[BLOCK_NAME] = self._block(rows, counts, todo, beta, particles, fdt)

    def _block(self, rows, counts, todo, beta, particles, fdt) -> HadronBlock:
        a = np.array(rows, dtype=np.float64).reshape(-1, 13)
        slot = a[:, 0].astype(np.int64)  # index into todo
        b = beta[slot]
        e, p = _boost(b, a[:, 4], a[:, 5:8])
        # production vertex: rest-frame (ct, x) [mm] boosted, added to the pair's vertex (y1's)
        ct, x = _boost(b, a[:, 12], a[:, 9:12])
        ev_idx = todo[slot]
        vx0 = np.stack([particles[c][ev_idx, self.y1].astype(np.float64) for c in ("vx", "vy", "vz", "t")], axis=1)
        pdg = a[:, 1].astype(np.int32)
        status = a[:, 3].astype(np.int8)
        fields = {
            "pdg": pdg,
            "mother": a[:, 2].astype(np.int32),
            "status": status,
            "px": p[:, 0].astype(fdt), "py": p[:, 1].astype(fdt), "pz": p[:, 2].astype(fdt),
            "E": e.astype(fdt), "m": a[:, 8].astype(fdt),
            "vx": (vx0[:, 0] + x[:, 0]).astype(fdt), "vy": (vx0[:, 1] + x[:, 1]).astype(fdt),
            "vz": (vx0[:, 2] + x[:, 2]).astype(fdt), "t": (vx0[:, 3] + ct / inputs.C_MM_PER_NS).astype(fdt),
            "invisible": ((status == 1) & np.isin(np.abs(pdg), list(inputs.INVISIBLE))).astype(np.int8),
            "from_signal_B": np.ones(len(pdg), dtype=np.int8),
        }
        return HadronBlock(counts, fields)


def _append_pair(py, ev, ids, direction, m: float) -> None:
    """The parton pair at rest in Pythia's event record, y1 along ``direction``: colour tags of a
    singlet q qbar (the quark carries colour 101, the antiquark anticolour 101) or g g (101/102 loop)."""
    m1 = py.particleData.m0(int(ids[0])) if ids[0] != 21 else 0.0
    m2 = py.particleData.m0(int(ids[1])) if ids[1] != 21 else 0.0
    if m1 + m2 >= m:  # Pythia's constituent masses do not fit: massless partons (the string needs none)
        m1 = m2 = 0.0
    e1 = (m * m + m1 * m1 - m2 * m2) / (2.0 * m)
    pabs = np.sqrt(max(e1 * e1 - m1 * m1, 0.0))
    px, py_, pz = (pabs * direction).tolist()
    if ids[0] == 21:
        ev.append(21, 23, 101, 102, px, py_, pz, e1, m1)
        ev.append(21, 23, 102, 101, -px, -py_, -pz, m - e1, m2)
    else:
        cols = [(101, 0), (0, 101)] if ids[0] > 0 else [(0, 101), (101, 0)]
        ev.append(int(ids[0]), 23, cols[0][0], cols[0][1], px, py_, pz, e1, m1)
        ev.append(int(ids[1]), 23, cols[1][0], cols[1][1], -px, -py_, -pz, m - e1, m2)


def _collect(ev, slot: int, n_fixed: int, y1: int, first: int, rows: list) -> int:
    """Append Pythia's entries from ``first`` on (after the input pair or exclusive-mode particle) of the
    current event to ``rows``; returns their number. Internal entries (system, strings) and partons are
    skipped;
    an entry whose mother is not written (the input, a string) gets y1 as mother."""
    index = {}  # pythia index -> record index
    n0 = len(rows)
    for j in range(first, ev.size()):
        q = ev[j]
        pid = q.id()
        if abs(pid) in _INTERNAL or q.isParton():  # strings, and the partons Pythia copies into them
            continue
        mother = index.get(q.mother1(), y1)
        index[j] = n_fixed + len(rows) - n0
        rows.append((slot, pid, mother, 1 if q.isFinal() else 2, q.e(), q.px(), q.py(), q.pz(), q.m(),
                     q.xProd(), q.yProd(), q.zProd(), q.tProd()))
    return len(rows) - n0


def _empty_block(counts: np.ndarray, fdt) -> HadronBlock:
    from .generator import PARTICLE_BRANCHES

    return HadronBlock(counts, {k: np.zeros(0, dtype=(fdt if np.dtype(v).kind == "f" else v))
                                for k, v in PARTICLE_BRANCHES.items()})
