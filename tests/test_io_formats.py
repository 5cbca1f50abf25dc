"""HepMC3 and LHE output: written, read back with independent readers, compared with the ROOT output."""

from __future__ import annotations

import numpy as np
import pytest

from bkgen.config.card import load
from bkgen.generate.generator import PARTICLE_BRANCHES, SCALAR_BRANCHES, Generator
from bkgen.io.hepmc import HepMC3Writer, read_hepmc3
from bkgen.io.lhe import LHEWriter, read_lhe
from bkgen.io.root import RootEventWriter, read_events
from bkgen.physics.inputs import C_MM_PER_NS
from helpers import extra

pyhepmc = extra("pyhepmc")

N = 300


@pytest.fixture(scope="module", params=["cards/sm_Kstar0nunu.toml", "cards/dark_photon_KQQ_benchmark.toml"])
def sample(request, tmp_path_factory):
    card = load(request.param, ["generation.block_size=256"])
    gen = Generator(card)
    tmp = tmp_path_factory.mktemp("fmt")
    chunks = list(gen.events(N, seed=7))
    paths = {"root": tmp / "ev.root", "hepmc3": tmp / "ev.hepmc3", "lhe": tmp / "ev.lhe"}
    with RootEventWriter(paths["root"], scalar_branches=SCALAR_BRANCHES, particle_branches=PARTICLE_BRANCHES) as w:
        for s, p, _ in chunks:
            w.write(s, p)
        w.close({})
    with HepMC3Writer(paths["hepmc3"]) as w:
        for s, p, _ in chunks:
            w.write(s, p)
        w.close()
    with LHEWriter(paths["lhe"], beam=card["beam"], br=gen.br, card_text="x = 1\n") as w:
        for s, p, _ in chunks:
            w.write(s, p)
        w.close()
    return read_events(paths["root"]), paths


def test_hepmc3_round_trip(sample):
    root, paths = sample
    events = read_hepmc3(paths["hepmc3"])
    assert len(events) == N
    for i in (0, 1, N // 2, N - 1):
        evt = events[i]
        assert evt.event_number == int(root.event[i])
        assert evt.weights[0] == 1.0
        parts = evt.particles
        assert [p.pid for p in parts] == list(root.pdg[i])
        assert [p.status for p in parts] == list(root.status[i])
        for j, p in enumerate(parts):
            mom = p.momentum
            assert (mom.px, mom.py, mom.pz, mom.e) == pytest.approx(
                (root.px[i][j], root.py[i][j], root.pz[i][j], root.E[i][j]), rel=1e-12, abs=1e-14)
            mother = root.mother[i][j]
            if mother >= 0:
                assert [q.pid for q in p.parents] == [root.pdg[i][mother]]
                pos = p.production_vertex.position
                assert (pos.x, pos.y, pos.z, pos.t) == pytest.approx(
                    (root.vx[i][j], root.vy[i][j], root.vz[i][j], root.t[i][j] * C_MM_PER_NS), rel=1e-9, abs=1e-12)


def test_lhe_round_trip(sample):
    root, paths = sample
    text = paths["lhe"].read_text()
    assert text.startswith('<LesHouchesEvents version="3.0">') and text.rstrip().endswith("</LesHouchesEvents>")
    events = read_lhe(paths["lhe"])
    assert len(events) == N
    for i in (0, 7, N - 1):
        ev = events[i]
        beams = ev["status"] == -1
        rec = ~beams
        assert list(ev["pdg"][rec]) == list(root.pdg[i])
        assert np.allclose(ev["px"][rec], np.asarray(root.px[i]), rtol=1e-11, atol=1e-13)
        assert np.allclose(ev["E"][rec], np.asarray(root.E[i]), rtol=1e-11, atol=1e-13)
        # incoming e+ e- carry the Upsilon four-momentum (up to m_e^2/E terms)
        assert ev["E"][beams].sum() == pytest.approx(float(root.E[i][0]), abs=1e-6)
        assert ev["pz"][beams].sum() == pytest.approx(float(root.pz[i][0]), abs=1e-6)
        # final-state four-momentum sums to the incoming one
        fs = ev["status"] == 1
        for comp in ("px", "py", "pz", "E"):
            assert ev[comp][fs].sum() == pytest.approx(ev[comp][beams].sum(), abs=1e-6)
        # vertex comments match the ROOT production vertices
        assert np.allclose(ev["vertex"][:, 1], np.asarray(root.vx[i]), rtol=1e-11, atol=1e-14)
        assert np.allclose(ev["vertex"][:, 4], np.asarray(root.t[i]), rtol=1e-11, atol=1e-14)
        # VTIMUP of the signal B equals its proper decay length from the vertices
        b = 2 + 1  # beams, Upsilon, then the signal B
        kid = list(root.mother[i]).index(1)
        d = np.linalg.norm([root.vx[i][kid], root.vy[i][kid], root.vz[i][kid]])
        p = np.linalg.norm([root.px[i][1], root.py[i][1], root.pz[i][1]])
        assert ev["vtim"][b] == pytest.approx(d * ev["m"][b] / p, rel=1e-6)


def test_lhe_readable_by_pyhepmc(sample):
    _, paths = sample
    with pyhepmc.open(str(paths["lhe"])) as f:
        first = next(iter(f))
    assert len(first.particles) > 4


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "x.hepmc3"
    with pytest.raises(RuntimeError):
        with HepMC3Writer(target):
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
    target = tmp_path / "x.lhe"
    with pytest.raises(RuntimeError):
        with LHEWriter(target, beam={"frame": "B_rest", "crossing_angle": 0.0}, br=1e-5):
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []
