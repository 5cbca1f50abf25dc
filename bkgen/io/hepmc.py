"""HepMC3 and HepMC2 ASCII output (via pyhepmc) for full detector simulation chains.

Each event is the full decay chain in HepMC units (GeV, mm; vertex times as c t in mm): in the lab
and CMS frames the two beam particles (e- and e+, status 4) produce the e+e- system (status 2);
below it the record with mothers from its ``mother`` index, status 1 (final) and 2 (decayed); null
entries (status 0) are left out. Event weight = the record's weight; the cross section of the
file's events (sigma(e+e- -> B Bbar) x BR, Generator.event_cross_section_pb) is attached to every
event as GenCrossSection [pb]. HepMC3 only (HepMC2 has no run-info block): the run info names the
tool (bkgen and its version) and carries the resolved card as the attribute ``bkgen_card`` (and
further string attributes, e.g. the basf2 steering ``bkgen_basf2``); particles carry the integer
attributes ``invisible`` and ``from_signal_B`` where they are 1.

Written to a temporary file beside the target and renamed on success (``_atomic``). pyhepmc's
writers report a failed write (full disk, I/O error) only through ``failed()``, which is checked
after opening, after every batch of events and after closing.
"""

from __future__ import annotations

import errno
import math
import os
import sys
from contextlib import contextmanager

import numpy as np

from .. import __version__
from ..physics.inputs import C_MM_PER_NS
from ..physics.inputs import mass as pdg_mass
from ._atomic import AtomicPath, AtomicWriter, write_failed

#: per-particle flags written as HepMC3 particle attributes
FLAGS = ("invisible", "from_signal_B")


def _require_pyhepmc(what: str = "output.format = 'hepmc3'"):
    from ..errors import require

    return require("hepmc", what)


@contextmanager
def _quiet_stderr():
    """Silence file descriptor 2 for the block: HepMC3's HepMC2 writer prints a C++ warning that the
    format is outdated each time it is opened, which says nothing about the run."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def beam_momenta(p_total, half_angle: float, m_e: float) -> tuple[tuple, tuple]:
    """e- and e+ four-momenta (E, px, py, pz) [GeV] adding up to ``p_total`` (E, px, py, pz), each at
    ``half_angle`` from the z axis towards +x (e- along +z, e+ along -z); half_angle = 0 in the CMS frame."""
    e, pz = p_total[0], p_total[3]
    c, s = math.cos(half_angle), math.sin(half_angle)
    # massless solution of E1 + E2 = E, (E1 - E2) cos = pz, then on-shell momenta (m_e^2/E ~ 1e-8 GeV)
    e1 = 0.5 * (e + pz / c)
    e2 = e - e1
    p1, p2 = math.sqrt(max(e1 * e1 - m_e * m_e, 0.0)), math.sqrt(max(e2 * e2 - m_e * m_e, 0.0))
    return (e1, p1 * s, 0.0, p1 * c), (e2, p2 * s, 0.0, -p2 * c)


class HepMCWriter(AtomicWriter):
    """Streams events into a HepMC3 (``version=3``) or HepMC2 (``version=2``, IO_GenEvent) ASCII
    file, atomically. ``beam``: the card's [beam] section (beam particles unless B_rest);
    ``xsec_pb``: (cross section, error) [pb] or None; ``attributes``: string run-info attributes."""

    def __init__(self, path, *, version: int = 3, overwrite: bool = False, beam=None,
                 xsec_pb: tuple[float, float] | None = None, card_text: str = "",
                 attributes: dict | None = None):
        if version not in (2, 3):
            raise ValueError(f"version = {version!r}: allowed: 2 or 3")
        hep = self._pyhepmc = _require_pyhepmc(f"output.format = 'hepmc{version}'")
        self.version = version
        frame = beam["frame"] if beam is not None else "B_rest"
        self._with_beams = frame != "B_rest"
        self._half_angle = 0.5 * beam["crossing_angle"] if frame == "lab" else 0.0
        self._m_e = pdg_mass(11)
        self._xsec = xsec_pb
        ri = hep.GenRunInfo()
        ri.tools = [hep.GenRunInfo.ToolInfo("bkgen", __version__, "B -> K(*) + X event generator")]
        ri.weight_names = ["default"]
        if card_text:
            ri.attributes["bkgen_card"] = card_text
        for key, value in (attributes or {}).items():
            ri.attributes[key] = str(value)
        self._run_info = ri
        self._target = AtomicPath(path, overwrite=overwrite)
        if version == 3:
            self._writer = hep.io.WriterAscii(str(self._target.tmp), ri)
        else:
            with _quiet_stderr():
                self._writer = hep.io.WriterAsciiHepMC2(str(self._target.tmp), ri)
        if self._writer.failed():
            self._target.discard()
            raise write_failed(path, OSError(errno.EIO, f"the HepMC{version} writer cannot open its temporary file"))
        self.n_events = 0

    def write(self, scalars: dict, particles: dict) -> None:
        """Append a chunk: the fixed record (n, k) and, in a hadronised run, each event's variable block
        ``particles["hadrons"]`` (counts, flat fields) after its fixed entries; mothers index both."""
        hep = self._pyhepmc
        block = particles.get("hadrons")
        n, k_fixed = particles["pdg"].shape
        offsets = block.offsets() if block is not None else None
        cols_all = ("pdg", "status", "mother", "px", "py", "pz", "E", "m", "vx", "vy", "vz", "t")
        flags = [c for c in FLAGS if c in particles] if self.version == 3 else []
        nb = 2 if self._with_beams else 0
        for i in range(n):
            row = {c: np.asarray(particles[c][i]) for c in (*cols_all, *flags)}
            if block is not None:  # the event's hadrons after its fixed entries
                sl = slice(int(offsets[i]), int(offsets[i + 1]))
                row = {c: np.concatenate([v, np.asarray(block.fields[c][sl]).astype(v.dtype)]) for c, v in row.items()}
            k = len(row["pdg"])
            status = row["status"]
            mother = row["mother"].astype(np.int64)
            keep = np.flatnonzero(status != 0)
            index = np.full(k, -1, dtype=np.int64)
            index[keep] = np.arange(len(keep)) + nb
            m = len(keep) + nb
            cols = {c: np.zeros(m) for c in ("px", "py", "pz", "E", "m", "vx", "vy", "vz", "t")}
            for c in cols:
                cols[c][nb:] = row[c][keep].astype(np.float64)
            pdg = np.zeros(m, dtype=np.int32)
            st = np.zeros(m, dtype=np.int32)
            parents = np.full((m, 2), -1, dtype=np.int64)
            pdg[nb:] = row["pdg"][keep]
            st[nb:] = status[keep]
            mk = mother[keep]
            parents[nb:, 0] = np.where(mk >= 0, index[np.clip(mk, 0, None)], -1)
            parents[nb:, 1] = parents[nb:, 0]
            if self._with_beams:
                root = nb + int(np.flatnonzero(mk < 0)[0])
                b1, b2 = beam_momenta([cols[c][root] for c in ("E", "px", "py", "pz")], self._half_angle, self._m_e)
                for j, (pid, b) in enumerate(((11, b1), (-11, b2))):
                    pdg[j], st[j] = pid, 4
                    cols["E"][j], cols["px"][j], cols["py"][j], cols["pz"][j] = b
                    cols["m"][j] = self._m_e
                    for c in ("vx", "vy", "vz", "t"):
                        cols[c][j] = cols[c][root]
                parents[root] = (0, 1)
            evt = hep.GenEvent(hep.Units.GEV, hep.Units.MM)
            evt.from_hepevt(
                int(scalars["event"][i]), cols["px"], cols["py"], cols["pz"], cols["E"], cols["m"], pdg, st,
                parents=parents, vx=cols["vx"], vy=cols["vy"], vz=cols["vz"], vt=cols["t"] * C_MM_PER_NS,
                fortran=False,
            )
            evt.run_info = self._run_info
            evt.weights = [float(scalars["weight"][i])]
            if self._xsec is not None:
                cs = hep.GenCrossSection()
                cs.set_cross_section(float(self._xsec[0]), float(self._xsec[1]), -1, -1)
                evt.cross_section = cs
            for c in flags:
                values = row[c][keep]
                for p, v in zip(evt.particles[nb:], values):
                    if v:
                        p.attributes[c] = int(v)
            self._writer.write(evt)
        self._check()
        self.n_events += n

    def _check(self) -> None:
        if self._writer.failed():
            raise OSError(errno.EIO, f"the HepMC{self.version} writer reported a failed write (full disk or I/O error)")

    def _close_stream(self) -> None:
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        failed = writer.failed()
        writer.close()
        if failed or writer.failed():
            raise OSError(errno.EIO, f"the HepMC{self.version} writer reported a failed write (full disk or I/O error)")


class HepMC3Writer(HepMCWriter):
    """HepMC3 ASCII (``--format hepmc3``)."""

    def __init__(self, path, **kw):
        super().__init__(path, version=3, **kw)


class HepMC2Writer(HepMCWriter):
    """HepMC2 ASCII (IO_GenEvent, ``--format hepmc2``), the format basf2's HepMCInput reads."""

    def __init__(self, path, **kw):
        super().__init__(path, version=2, **kw)


def read_hepmc(path) -> list:
    """All events of a HepMC2 or HepMC3 ASCII file as pyhepmc GenEvents."""
    hep = _require_pyhepmc("reading HepMC files")
    with hep.open(str(path)) as f:
        return [evt for evt in f]


read_hepmc3 = read_hepmc
