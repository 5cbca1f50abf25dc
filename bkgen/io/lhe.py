"""Les Houches Event files (LHEF: Alwall et al., Comput. Phys. Commun. 176 (2007) 300,
hep-ph/0609017; version 3.0: Andersen et al., arXiv:1405.1067 sec. 4) that LHE readers accept.

Written only in the e+e- centre-of-mass frame (``beam.frame = "cms"``): LHE readers (Pythia 8,
basf2's LHEInput) take two head-on beams along z. Layout of an event: the incoming e- (+z) and e+
(-z) (ISTUP = -1, energies sqrt(s)/2 of the event), then the record without the e+e- system
(whose PDG code readers do not know; the B pair and any B_s* have the two beams as mothers), decayed
states ISTUP = 2, final states ISTUP = 1; null entries (status 0) are left out. MOTHUP are 1-based
line numbers. ICOLUP: every colour-singlet parton pair (q qbar, or g g, the daughters of one
particle) gets its own colour tags from 501 on. VTIMUP is the proper decay length c tau [mm] of
each decayed particle (distance to its daughters' vertex times m/|p|). The production vertex of
every particle follows as comment lines ``#vertex i x y z t`` (mm, mm, mm, ns), which readers skip.

Init block: beams 11 and -11 at sqrt(s)/2; IDWTUP = 3 and XWGTUP = +1 for unweighted events, or
IDWTUP = 4 and XWGTUP = XSECUP x weight when the card weights events; XSECUP = sigma(e+e- -> B Bbar
of the species) x (2 if both charges else 1) x BR x BR(meson decay in the record) [pb] (Generator.
event_cross_section_pb); the resolved card and the basf2 steering of the sample (bkgen.io.basf2)
are in the header (CDATA, with ``]]>`` split, see :func:`cdata`).
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


#: PDG codes that carry colour (quarks and the gluon)
_PARTONS = frozenset({1, 2, 3, 4, 5, 6, 21})


def colour_tags(pdg, status, mother):
    """(ICOLUP colour, anticolour) per entry of one event: final-state partons are paired by common
    mother (a colour singlet), quark -> colour, antiquark -> anticolour, g g -> (a, b), (b, a)."""
    k = len(pdg)
    col = np.zeros((k, 2), dtype=np.int64)
    tag = 501
    for m in sorted({int(mother[j]) for j in range(k) if status[j] == 1 and abs(pdg[j]) in _PARTONS}):
        kids = [j for j in range(k) if mother[j] == m and status[j] == 1 and abs(pdg[j]) in _PARTONS]
        if len(kids) != 2:
            raise ValueError(f"record entry {m} has {len(kids)} parton daughters; a colour singlet needs 2")
        a, b = kids
        if pdg[a] == 21 and pdg[b] == 21:
            col[a] = (tag, tag + 1)
            col[b] = (tag + 1, tag)
            tag += 2
            continue
        for j in kids:
            col[j] = (tag, 0) if pdg[j] > 0 else (0, tag)
        tag += 1
    return col


class LHEWriter(AtomicWriter):
    """Streams events of the CMS frame into an LHE file, written atomically."""

    def __init__(self, path, *, beam: dict, xsec_pb: float, xsec_err_pb: float = 0.0, card_text: str = "",
                 overwrite: bool = False, weighted: bool = False, sqrt_s: float, basf2_text: str = ""):
        if beam["frame"] != "cms":
            raise ValueError(f"beam.frame = {beam['frame']!r}: LHE output is written only with beam.frame = 'cms'")
        self._target = AtomicPath(path, overwrite=overwrite)
        self._f = open(self._target.tmp, "w")
        self._m_e = pdg_mass(11)
        self._xsec = float(xsec_pb)
        self._weighted = weighted
        self._aborting = False
        self.n_events = 0
        f = self._f
        f.write('<LesHouchesEvents version="3.0">\n<header>\n<bkgen_card><![CDATA[\n')
        f.write(cdata(card_text))
        f.write("]]></bkgen_card>\n")
        if basf2_text:
            f.write("<bkgen_basf2><![CDATA[\n" + cdata(basf2_text) + "]]></bkgen_basf2>\n")
        f.write("</header>\n<init>\n")
        idwtup = 4 if weighted else 3
        e_beam = 0.5 * sqrt_s
        f.write(f" 11 -11 {e_beam:.9e} {e_beam:.9e} 0 0 0 0 {idwtup} 1\n")
        f.write(f" {self._xsec:.9e} {float(xsec_err_pb):.9e} {self._xsec:.9e} 1\n</init>\n")

    def write(self, scalars: dict, particles: dict) -> None:
        n, k = particles["pdg"].shape
        px, py, pz, en = (np.asarray(particles[c], dtype=np.float64) for c in ("px", "py", "pz", "E"))
        mass = np.asarray(particles["m"], dtype=np.float64)
        vx, vy, vz, vt = (np.asarray(particles[c], dtype=np.float64) for c in ("vx", "vy", "vz", "t"))
        f = self._f
        for i in range(n):
            pdg, status, mother = particles["pdg"][i], particles["status"][i], particles["mother"][i]
            root = int(np.flatnonzero(mother < 0)[0])  # the e+e- system
            keep = [j for j in range(k) if j != root and status[j] != 0]
            line = {j: 3 + n_ for n_, j in enumerate(keep)}  # 1-based, after the two beams
            col = colour_tags(pdg, status, mother)
            w = en[i, root]  # sqrt(s) of the event (the e+e- system is at rest)
            e_b = 0.5 * w
            p_b = math.sqrt(max(e_b * e_b - self._m_e**2, 0.0))
            lines = [f" {11:8d} -1 0 0 0 0 {0.0:.12e} {0.0:.12e} {p_b:.12e} {e_b:.12e} {self._m_e:.9e} 0.0 9.0",
                     f" {-11:8d} -1 0 0 0 0 {0.0:.12e} {0.0:.12e} {-p_b:.12e} {e_b:.12e} {self._m_e:.9e} 0.0 9.0"]
            for j in keep:
                m = int(mother[j])
                m1, m2 = (1, 2) if m == root else (line[m], line[m])
                vtim = 0.0
                if status[j] == 2:
                    kids = np.flatnonzero(mother == j)
                    p = math.sqrt(px[i, j] ** 2 + py[i, j] ** 2 + pz[i, j] ** 2)
                    if kids.size and p > 0:
                        d = math.dist((vx[i, kids[0]], vy[i, kids[0]], vz[i, kids[0]]), (vx[i, j], vy[i, j], vz[i, j]))
                        vtim = d * mass[i, j] / p
                lines.append(
                    f" {int(pdg[j]):8d} {1 if status[j] == 1 else 2:2d} {m1} {m2} {col[j, 0]} {col[j, 1]} "
                    f"{px[i, j]:.12e} {py[i, j]:.12e} {pz[i, j]:.12e} {en[i, j]:.12e} {mass[i, j]:.9e} {vtim:.9e} 9.0")
            weight = float(scalars["weight"][i])
            xwgt = self._xsec * weight if self._weighted else 1.0
            f.write("<event>\n")
            f.write(f" {len(lines)} 1 {xwgt:.9e} {w:.9e} -1.0 -1.0\n")
            f.write("\n".join(lines))
            f.write("\n")
            for j in keep:
                f.write(f"#vertex {line[j]} {vx[i, j]:.12e} {vy[i, j]:.12e} {vz[i, j]:.12e} {vt[i, j]:.12e}\n")
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
    (pdg, status, mother1, colour, anticolour, px, py, pz, E, m, vtim) plus the ``#vertex`` lines
    (line number, x, y, z, t)."""
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
                "weight": float(head[2]), "scale": float(head[3]),
                "pdg": arr[:, 0].astype(int), "status": arr[:, 1].astype(int), "mother1": arr[:, 2].astype(int),
                "colour": arr[:, 4].astype(int), "anticolour": arr[:, 5].astype(int),
                "px": arr[:, 6], "py": arr[:, 7], "pz": arr[:, 8], "E": arr[:, 9], "m": arr[:, 10],
                "vtim": arr[:, 11], "vertex": np.array(vtx),
            })
            i = j
        else:
            i += 1
    return events
