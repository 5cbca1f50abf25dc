"""Les Houches Event files (LHE 3.0: Alwall et al., Comput. Phys. Commun. 176 (2007) 300,
hep-ph/0609017; version 3.0: Andersen et al., arXiv:1405.1067 sec. 4).

Layout of an event: in the lab frame the incoming e- and e+ (ISTUP = -1) whose four-momenta
add up to the event's Upsilon four-momentum (beam directions of the card, energies solved from
the Upsilon energy and momentum), then the record (Upsilon and decayed states ISTUP = 2, final
states ISTUP = 1); in the B rest frame the incoming B. MOTHUP are 1-based line numbers.
VTIMUP is the proper decay length c*tau [mm] of each decayed particle, computed from the record's
vertices. The full production vertex of every particle follows the particle lines as optional
comment lines ``#vertex i x y z t`` (mm, mm, mm, ns). The init block has IDWTUP = 3 (unweighted
events of weight +1), or 4 when the card weights events (efficiency as a weight, forced decays),
and XSECUP = the branching fraction of the card (there is no cross section
for a decay); the resolved card is stored in the header (CDATA, with ``]]>`` split, see :func:`cdata`).
"""

from __future__ import annotations

import math

import numpy as np

from ..physics.inputs import mass as pdg_mass
from ._atomic import AtomicPath, AtomicWriter


def cdata(text: str) -> str:
    """``text`` for the inside of a CDATA section: each ``]]>`` is split across two sections
    (``]]]]><![CDATA[>``), so an XML parser reads back exactly ``text`` and nothing in it
    can end the section early."""
    return text.replace("]]>", "]]]]><![CDATA[>")


class LHEWriter(AtomicWriter):
    """Streams events into an LHE file, written atomically."""

    def __init__(self, path, *, beam: dict, br: float, card_text: str = "", overwrite: bool = False,
                 weighted: bool = False):
        self._target = AtomicPath(path, overwrite=overwrite)
        self._f = open(self._target.tmp, "w")
        self._lab = beam["frame"] == "lab"
        self._half_angle = 0.5 * beam["crossing_angle"]
        self._m_e = pdg_mass(11)
        self._aborting = False
        self.n_events = 0
        f = self._f
        f.write('<LesHouchesEvents version="3.0">\n<header>\n<bkgen_card><![CDATA[\n')
        f.write(cdata(card_text))
        f.write("]]></bkgen_card>\n</header>\n<init>\n")
        # IDWTUP = 3: unweighted events of weight +1; 4: weighted events (XWGTUP = the event weight)
        idwtup = 4 if weighted else 3
        if self._lab:
            f.write(f" 11 -11 {beam['E_HER']:.9e} {beam['E_LER']:.9e} 0 0 0 0 {idwtup} 1\n")
        else:
            f.write(f" 0 0 0.0 0.0 0 0 0 0 {idwtup} 1\n")
        f.write(f" {br:.9e} 0.000000000e+00 1.000000000e+00 1\n</init>\n")

    def _beams(self, e, px, pz):
        """e- and e+ four-momenta with the card's directions adding up to (e, px, 0, pz)."""
        c = math.cos(self._half_angle)
        s = math.sin(self._half_angle)
        # massless solution, then on-shell momenta (m_e^2/E corrections ~ 1e-8 GeV)
        e_her = 0.5 * (e + pz / c)
        e_ler = e - e_her
        p_her = math.sqrt(max(e_her**2 - self._m_e**2, 0.0))
        p_ler = math.sqrt(max(e_ler**2 - self._m_e**2, 0.0))
        return (e_her, p_her * s, 0.0, p_her * c), (e_ler, p_ler * s, 0.0, -p_ler * c)

    def write(self, scalars: dict, particles: dict) -> None:
        n, k = particles["pdg"].shape
        px, py, pz, en = particles["px"], particles["py"], particles["pz"], particles["E"]
        if "m" in particles:  # generated mass of the record
            mass = np.asarray(particles["m"], dtype=np.float64)
        else:
            m2 = en**2 - px**2 - py**2 - pz**2
            mass = np.sqrt(np.clip(m2, 0.0, None))
        f = self._f
        for i in range(n):
            mother = particles["mother"][i]
            status = particles["status"][i]
            offset = 2 if self._lab else 0
            lines = []
            if self._lab:
                b1, b2 = self._beams(en[i, 0], px[i, 0], pz[i, 0])
                for pid, b in ((11, b1), (-11, b2)):
                    lines.append(f" {pid:8d} -1 0 0 0 0 {b[1]:.12e} {b[2]:.12e} {b[3]:.12e} {b[0]:.12e} {self._m_e:.9e} 0.0 9.0")
            vx, vy, vz, vt = particles["vx"][i], particles["vy"][i], particles["vz"][i], particles["t"][i]
            for j in range(k):
                if mother[j] < 0:
                    ist = -1 if not self._lab else 2
                    m1, m2_ = (1, 2) if self._lab else (0, 0)
                else:
                    ist = 1 if status[j] == 1 else 2
                    m1 = m2_ = int(mother[j]) + 1 + offset
                vtim = 0.0
                if status[j] != 1:
                    kids = np.nonzero(mother == j)[0]
                    if kids.size and mass[i, j] > 0:
                        d = math.dist((vx[kids[0]], vy[kids[0]], vz[kids[0]]), (vx[j], vy[j], vz[j]))
                        p = math.sqrt(px[i, j] ** 2 + py[i, j] ** 2 + pz[i, j] ** 2)
                        vtim = d * mass[i, j] / p if p > 0 else 0.0
                lines.append(
                    f" {int(particles['pdg'][i, j]):8d} {ist:2d} {m1} {m2_} 0 0 {px[i, j]:.12e} {py[i, j]:.12e} "
                    f"{pz[i, j]:.12e} {en[i, j]:.12e} {mass[i, j]:.9e} {vtim:.9e} 9.0"
                )
            f.write("<event>\n")
            f.write(f" {len(lines)} 1 {float(scalars['weight'][i]):.9e} -1.0 -1.0 -1.0\n")
            f.write("\n".join(lines))
            f.write("\n")
            for j in range(k):
                f.write(f"#vertex {j + 1 + offset} {vx[j]:.12e} {vy[j]:.12e} {vz[j]:.12e} {vt[j]:.12e}\n")
            f.write("</event>\n")
        self.n_events += n

    def _close_stream(self) -> None:
        if not self._f.closed:
            if self._target.tmp.exists() and not self._aborting:
                self._f.write("</LesHouchesEvents>\n")
            self._f.close()

    def abort(self) -> None:
        self._aborting = True
        super().abort()


def read_lhe(path) -> list[dict]:
    """Parse an LHE file written by :class:`LHEWriter` into per-event dicts of numpy arrays
    (pdg, status, mother1, px, py, pz, E, m, vtim) plus the ``#vertex`` lines (index, x, y, z, t)."""
    events = []
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "<event>":
            head = lines[i + 1].split()
            nup = int(head[0])
            rows = [lines[i + 2 + j].split() for j in range(nup)]
            vtx = []
            j = i + 2 + nup
            while lines[j].startswith("#vertex"):
                vtx.append([float(x) for x in lines[j].split()[1:]])
                j += 1
            arr = np.array([[float(x) for x in r] for r in rows])
            events.append({
                "weight": float(head[2]),
                "pdg": arr[:, 0].astype(int), "status": arr[:, 1].astype(int), "mother1": arr[:, 2].astype(int),
                "px": arr[:, 6], "py": arr[:, 7], "pz": arr[:, 8], "E": arr[:, 9], "m": arr[:, 10],
                "vtim": arr[:, 11], "vertex": np.array(vtx),
            })
            i = j
        else:
            i += 1
    return events
