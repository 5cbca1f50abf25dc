"""HepMC3 ASCII output (via pyhepmc) for full detector simulation chains.

Each event is the full decay chain: mothers from the record's ``mother`` index,
production vertices (x, y, z in mm and c*t in mm, the HepMC3 convention), status
codes 1 (final) and 2 (decayed), event weight 1, momenta in GeV. Written to a
temporary file beside the target and renamed on success, like the ROOT output. pyhepmc's
writer reports a failed write (full disk, I/O error) only through ``failed()``, which is checked
after every batch of events and after closing.
"""

from __future__ import annotations

import errno

import numpy as np

from ..physics.inputs import C_MM_PER_NS
from ._atomic import AtomicPath, AtomicWriter, write_failed


def _require_pyhepmc():
    from ..errors import require

    return require("hepmc", "output.format = 'hepmc3'")


class HepMC3Writer(AtomicWriter):
    """Streams events into a HepMC3 ASCII file, written atomically."""

    def __init__(self, path, *, overwrite: bool = False, run_info: dict | None = None):
        self._pyhepmc = _require_pyhepmc()
        self._target = AtomicPath(path, overwrite=overwrite)
        self._writer = self._pyhepmc.io.WriterAscii(str(self._target.tmp))
        if self._writer.failed():
            self._target.discard()
            raise write_failed(path, OSError(errno.EIO, "the HepMC3 writer cannot open its temporary file"))
        self._run_info = run_info or {}
        self.n_events = 0

    def write(self, scalars: dict, particles: dict) -> None:
        hep = self._pyhepmc
        n, k = particles["pdg"].shape
        if "m" in particles:  # generated mass of the record
            mass = np.asarray(particles["m"], dtype=np.float64)
        else:
            mass2 = particles["E"] ** 2 - particles["px"] ** 2 - particles["py"] ** 2 - particles["pz"] ** 2
            mass = np.sqrt(np.clip(mass2, 0.0, None))
        for i in range(n):
            evt = hep.GenEvent(hep.Units.GEV, hep.Units.MM)
            mother = particles["mother"][i].astype(np.int64)
            parents = np.stack([mother, mother], axis=1)
            evt.from_hepevt(
                int(scalars["event"][i]),
                particles["px"][i].astype(np.float64), particles["py"][i].astype(np.float64),
                particles["pz"][i].astype(np.float64), particles["E"][i].astype(np.float64), mass[i],
                particles["pdg"][i].astype(np.int32), particles["status"][i].astype(np.int32),
                parents=parents, vx=particles["vx"][i].astype(np.float64), vy=particles["vy"][i].astype(np.float64),
                vz=particles["vz"][i].astype(np.float64), vt=particles["t"][i].astype(np.float64) * C_MM_PER_NS,
                fortran=False,
            )
            evt.weights = [float(scalars["weight"][i])]
            self._writer.write(evt)
        self._check()
        self.n_events += n

    def _check(self) -> None:
        if self._writer.failed():
            raise OSError(errno.EIO, "the HepMC3 writer reported a failed write (full disk or I/O error)")

    def _close_stream(self) -> None:
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        failed = writer.failed()
        writer.close()
        if failed or writer.failed():
            raise OSError(errno.EIO, "the HepMC3 writer reported a failed write (full disk or I/O error)")


def read_hepmc3(path) -> list:
    """All events of a HepMC3 file as pyhepmc GenEvents."""
    hep = _require_pyhepmc()
    with hep.open(str(path)) as f:
        return [evt for evt in f]
