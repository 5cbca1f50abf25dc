"""HepMC3, HepMC2 and LHE output: written, read back with independent readers, compared with the ROOT output."""

from __future__ import annotations

import numpy as np
import pytest

from bkgen.config.card import load
from bkgen.generate.generator import PARTICLE_BRANCHES, SCALAR_BRANCHES, Generator
from bkgen.io.hepmc import HepMC3Writer, HepMCWriter, read_hepmc
from bkgen.io.lhe import LHEWriter, colour_tags, read_lhe
from bkgen.io.root import RootEventWriter, read_events
from bkgen.physics.inputs import C_MM_PER_NS
from helpers import extra

pyhepmc = extra("pyhepmc")

N = 300


@pytest.fixture(scope="module", params=["cards/sm_Kstar0nunu.toml", "cards/dark_photon_KQQ_benchmark.toml",
                                        "cards/sm_Kstar0mumu.toml"])
def sample(request, tmp_path_factory):
    card = load(request.param, ["generation.block_size=256", "beam.frame='cms'"])
    gen = Generator(card)
    tmp = tmp_path_factory.mktemp("fmt")
    chunks = list(gen.events(N, seed=7))
    paths = {"root": tmp / "ev.root", "hepmc3": tmp / "ev.hepmc3", "hepmc2": tmp / "ev.hepmc2", "lhe": tmp / "ev.lhe"}
    with RootEventWriter(paths["root"], scalar_branches=SCALAR_BRANCHES, particle_branches=PARTICLE_BRANCHES) as w:
        for s, p, _ in chunks:
            w.write(s, p)
        w.close({})
    xsec = gen.event_cross_section_pb()
    for version in (2, 3):
        with HepMCWriter(paths[f"hepmc{version}"], version=version, beam=card["beam"], xsec_pb=xsec,
                         card_text="x = 1\n") as w:
            for s, p, _ in chunks:
                w.write(s, p)
            w.close()
    with LHEWriter(paths["lhe"], beam=card["beam"], xsec_pb=xsec[0], xsec_err_pb=xsec[1], card_text="x = 1\n",
                   sqrt_s=float(chunks[0][1]["E"][0, 0])) as w:
        for s, p, _ in chunks:
            w.write(s, p)
        w.close()
    return read_events(paths["root"]), paths, card, xsec


def _attr(value, kind):
    """A HepMC3 attribute read back by pyhepmc (unparsed until asked for its type)."""
    return value.astype(kind) if hasattr(value, "astype") else kind(value)


@pytest.mark.parametrize("version", [2, 3])
def test_hepmc_round_trip(sample, version):
    root, paths, card, xsec = sample
    events = read_hepmc(paths[f"hepmc{version}"])
    assert len(events) == N
    # sigma(e+e- -> Upsilon(4S)) x BR(Upsilon(4S) -> B Bbar of the species) x 2 x BR x BR(meson decay)
    parent = abs(int(root.pdg[0][1]))
    br_pair = {521: 0.514, 511: 0.486}[parent]
    assert xsec[0] == pytest.approx(1.110e3 * br_pair * 2 * Generator(card).br_visible, rel=1e-12)
    for i in (0, 1, N // 2, N - 1):
        evt = events[i]
        assert evt.event_number == int(root.event[i])
        assert evt.weights[0] == 1.0
        assert evt.cross_section.xsec() == pytest.approx(xsec[0], rel=1e-8)
        if version == 3:
            assert evt.run_info.tools[0].name == "bkgen" and _attr(evt.run_info.attributes["bkgen_card"], str) == "x = 1\n"
        beams = [p for p in evt.particles if p.status == 4]
        assert sorted((p.pid, p.status) for p in beams) == [(-11, 4), (11, 4)]
        others = [p for p in evt.particles if p.status != 4]
        assert len(others) == len(root.pdg[i])
        rec = []  # the HepMC particle of every record entry (writers may order them vertex by vertex)
        for j in range(len(root.pdg[i])):
            want = np.array([root.px[i][j], root.py[i][j], root.pz[i][j], root.E[i][j]])
            hit = [p for p in others if p.pid == root.pdg[i][j]
                   and np.allclose([p.momentum.px, p.momentum.py, p.momentum.pz, p.momentum.e], want, 1e-12, 1e-14)]
            assert len(hit) == 1
            rec.append(hit[0])
        assert [p.status for p in rec] == list(root.status[i])
        assert sorted(q.pid for q in rec[0].parents) == [-11, 11]
        for j, p in enumerate(rec):
            mom = p.momentum
            assert (mom.px, mom.py, mom.pz, mom.e) == pytest.approx(
                (root.px[i][j], root.py[i][j], root.pz[i][j], root.E[i][j]), rel=1e-12, abs=1e-14)
            mother = root.mother[i][j]
            if mother >= 0:
                assert [q.pid for q in p.parents] == [root.pdg[i][mother]]
                pos = p.production_vertex.position
                assert (pos.x, pos.y, pos.z, pos.t) == pytest.approx(
                    (root.vx[i][j], root.vy[i][j], root.vz[i][j], root.t[i][j] * C_MM_PER_NS), rel=1e-9, abs=1e-12)
            if version == 3:
                for flag in ("invisible", "from_signal_B"):
                    value = _attr(p.attributes[flag], int) if flag in p.attributes else 0
                    assert value == int(getattr(root, flag)[i][j])


def test_lhe_round_trip(sample):
    root, paths, _, xsec = sample
    text = paths["lhe"].read_text()
    assert text.startswith('<LesHouchesEvents version="3.0">') and text.rstrip().endswith("</LesHouchesEvents>")
    init = text.split("<init>\n")[1].split("\n")
    head, proc = init[0].split(), init[1].split()
    assert head[:2] == ["11", "-11"] and head[8] == "3"  # e- e+, IDWTUP = 3
    assert float(proc[0]) == pytest.approx(xsec[0], rel=1e-8)  # XSECUP [pb]
    events = read_lhe(paths["lhe"])
    assert len(events) == N
    for i in (0, 7, N - 1):
        ev = events[i]
        assert ev["weight"] == 1.0  # XWGTUP
        beams = ev["status"] == -1
        rec = ~beams
        # the e+e- system (entry 0) is not written: readers do not know its PDG code
        assert list(ev["pdg"][rec]) == list(root.pdg[i][1:])
        assert np.allclose(ev["px"][rec], np.asarray(root.px[i][1:]), rtol=1e-11, atol=1e-13)
        assert np.allclose(ev["E"][rec], np.asarray(root.E[i][1:]), rtol=1e-11, atol=1e-13)
        # head-on beams along z in the CMS frame, adding up to (sqrt(s), 0)
        assert list(ev["pdg"][beams]) == [11, -11]
        assert np.allclose(ev["px"][beams], 0) and np.allclose(ev["py"][beams], 0)
        assert ev["E"][beams].sum() == pytest.approx(float(root.E[i][0]), rel=1e-7)
        fs = ev["status"] == 1
        for comp in ("px", "py", "pz", "E"):
            assert ev[comp][fs].sum() == pytest.approx(ev[comp][beams].sum(), abs=1e-6)  # float32 record
        # vertex comments match the ROOT production vertices
        assert np.allclose(ev["vertex"][:, 1], np.asarray(root.vx[i][1:]), rtol=1e-11, atol=1e-14)
        assert np.allclose(ev["vertex"][:, 4], np.asarray(root.t[i][1:]), rtol=1e-11, atol=1e-14)
        # VTIMUP of the signal B equals its proper decay length from the vertices
        b = 2  # 0-based line: beams, then the signal B
        kid = list(root.mother[i]).index(1)
        d = np.linalg.norm([root.vx[i][kid], root.vy[i][kid], root.vz[i][kid]])
        p = np.linalg.norm([root.px[i][1], root.py[i][1], root.pz[i][1]])
        assert ev["vtim"][b] == pytest.approx(d * ev["m"][b] / p, rel=1e-6)
        assert not ev["colour"].any()  # no partons in these cards


def test_colour_tags():
    """ICOLUP: a q qbar pair shares one tag (colour on the quark), a g g pair two crossed tags."""
    pdg = np.array([54, 21, 21, 55, 3, -3])
    status = np.array([2, 1, 1, 2, 1, 1])
    mother = np.array([-1, 0, 0, -1, 3, 3])
    col = colour_tags(pdg, status, mother)
    assert col.tolist() == [[0, 0], [501, 502], [502, 501], [0, 0], [503, 0], [0, 503]]


def test_lhe_readable_by_pyhepmc(sample):
    _, paths, _, _ = sample
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
        with LHEWriter(target, beam={"frame": "cms"}, xsec_pb=1.0, sqrt_s=10.58):
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sets, text", [
    (["beam.frame='lab'"], "beam.frame = 'lab'"),
    (["beam.frame='B_rest'"], "beam.frame = 'B_rest'"),
    (["beam.frame='cms'", "beam.preset='Y5S'"], "beam.resonance = 9000553"),  # no B+ B- cross section there
])
def test_lhe_refused_where_readers_cannot_use_it(tmp_path, capsys, sets, text):
    from bkgen.cli import main

    out = tmp_path / "x.lhe"
    args = ["generate", "cards/sm_Knunu.toml", "-n", "10", "-o", str(out), "--format", "lhe", "--no-progress"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "output.format = 'lhe'" in err[0] and text in err[0]
    assert list(tmp_path.iterdir()) == []


def test_pair_cross_sections():
    """The pair cross sections behind XSECUP: sigma(e+e- -> Upsilon(4S)) x BR(Upsilon(4S) -> B Bbar of the
    species), and the measured sigma(e+e- -> B_s(*) Bbar_s(*)) at 10.86 GeV (Belle, arXiv:1504.02004:
    53.8 +- 1.4 +- 4.0 +- 3.4 pb); none for a species the resonance does not make."""
    from bkgen.physics.beams import pair_cross_section_pb

    assert pair_cross_section_pb(521, 300553)[0] == pytest.approx(1110.0 * 0.514)
    assert pair_cross_section_pb(-511, 300553)[0] == pytest.approx(1110.0 * 0.486)
    bs, err = pair_cross_section_pb(531, 9000553)
    assert bs == pytest.approx(53.8) and err == pytest.approx((1.4**2 + 4.0**2 + 3.4**2) ** 0.5)
    assert pair_cross_section_pb(521, 9000553) is None and pair_cross_section_pb(531, 300553) is None
