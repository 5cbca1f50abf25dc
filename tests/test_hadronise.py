"""Hadronisation of parton pairs (generation.hadronise, bkgen.generate.hadronise): conservation laws,
the fixed record untouched, only Geant4-trackable final states, reproducibility across chunking, the
exclusive-mode fractions against their tables, and every reader on a hadronised file."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pytest

from helpers import chi2_pvalue, extra

from bkgen.config.card import CardError, resolve
from bkgen.generate.generator import Generator

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

#: |PDG| a Geant4 simulation tracks (and decays in material): leptons, photon, neutrinos, pi+-, K+-,
#: K_L, K_S, p, n and the long-lived hyperons (c tau > 1 cm)
TRACKABLE = {11, 12, 13, 14, 16, 22, 211, 321, 130, 310, 2212, 2112, 3122, 3222, 3112, 3312, 3322, 3334}


@lru_cache(maxsize=None)
def _charge(pdg: int) -> float:
    from particle import Particle

    return Particle.from_pdgid(int(pdg)).charge


def _card(name_or_dict, hadronise: bool, **sets) -> dict:
    from bkgen.api import _card as api_card

    return api_card(name_or_dict, {"generation.hadronise": hadronise, "output.precision": "float64", **sets})


def _run(card, n, seed, chunk_blocks=4):
    gen = Generator(card)
    sc, pa, blocks = [], [], []
    for s, p, _ in gen.events(n, seed, chunk_blocks=chunk_blocks):
        sc.append({k: np.array(v) for k, v in s.items()})
        pa.append({k: np.array(v) for k, v in p.items() if k != "hadrons"})
        if "hadrons" in p:
            blocks.append(p["hadrons"])
    cat = lambda chunks: {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}  # noqa: E731
    block = None
    if blocks:
        from bkgen.api import _concat_blocks

        block = _concat_blocks(blocks)
    return gen, cat(sc), cat(pa), block


@pytest.fixture(scope="module")
def alp_runs():
    extra("pythia8mc")
    card_on = _card("alp_Ka_benchmark", True, **{"generation.block_size": 256})
    card_off = _card("alp_Ka_benchmark", False, **{"generation.block_size": 256})
    return _run(card_on, 600, 7), _run(card_off, 600, 7)


def test_conservation_and_record(alp_runs):
    """Per event: the final hadrons carry the four-momentum and the charge of the parton pair; no parton
    or string is left; every status-1 hadron is Geant4-trackable; mothers point back into the record at
    decayed entries."""
    (gen, sc, pa, block), _ = alp_runs
    _check_record(gen, sc, pa, block)


def test_charm_below_open_charm_threshold():
    """m_a = 3 GeV < 2 m(D0): a -> c cbar (most of the width) is hadronised as a g g system of that mass;
    every event hadronises and conserves four-momentum and charge."""
    extra("pythia8mc")
    gen, sc, pa, block = _run(_card("alp_Ka_benchmark", True, **{"model.m_a": 3.0}), 150, 2)
    summary = gen.hadroniser.summary()
    assert summary["ccbar_as_gg"] > 100 and summary["events"] == 150
    _check_record(gen, sc, pa, block)


def _check_record(gen, sc, pa, block):
    y1, y2 = gen.record.variable.source
    off = block.offsets()
    f = block.fields
    assert block.counts.min() >= 2
    for i in range(len(sc["event"])):
        sl = slice(off[i], off[i + 1])
        pdg, status, mother = f["pdg"][sl], f["status"][sl], f["mother"][sl]
        final = status == 1
        p4 = np.array([f[c][sl][final].sum() for c in ("E", "px", "py", "pz")])
        partons = np.array([pa[c][i, y1] + pa[c][i, y2] for c in ("E", "px", "py", "pz")])
        np.testing.assert_allclose(p4, partons, rtol=0, atol=1e-9 * partons[0])
        assert sum(_charge(p) for p in pdg[final]) == pytest.approx(_charge(pa["pdg"][i, y1]) + _charge(pa["pdg"][i, y2]))
        a = np.abs(pdg)
        assert not np.any((a <= 8) | (a == 21) | ((a >= 81) & (a <= 100)) | ((a > 1000) & (a < 6000) & (a // 10 % 10 == 0)))
        assert set(a[final].tolist()) <= TRACKABLE
        idx = gen.record.n_fixed + np.arange(len(pdg))
        assert np.all((mother >= y1) & (mother < idx))
        full_status = np.concatenate([pa["status"][i], status])
        assert np.all(full_status[mother] == 2)
        assert pa["status"][i, y1] == pa["status"][i, y2] == 2
        # the hadrons start at the parton pair's vertex (decays may displace their daughters)
        first = mother == y1
        np.testing.assert_allclose(f["vx"][sl][first], pa["vx"][i, y1], atol=1e-9)


def test_fixed_entries_unchanged(alp_runs):
    """Hadronising changes nothing of the fixed record but the partons' status (1 -> 2)."""
    (gen, sc, pa, _), (_, sc0, pa0, block0) = alp_runs
    assert block0 is None
    y1, y2 = gen.record.variable.source
    for k in sc0:
        np.testing.assert_array_equal(sc[k], sc0[k], err_msg=k)
    for k in pa0:
        if k != "status":
            np.testing.assert_array_equal(pa[k], pa0[k], err_msg=k)
    st, st0 = pa["status"].copy(), pa0["status"].copy()
    assert np.all(st0[:, [y1, y2]] == 1)
    st[:, [y1, y2]] = 1
    np.testing.assert_array_equal(st, st0)


def test_chunking_and_threads_do_not_change_events(alp_runs):
    """Event e is hadronised from (seed, e) only: one block per chunk gives the same hadrons."""
    (_, sc, _, block), _ = alp_runs
    card = _card("alp_Ka_benchmark", True, **{"generation.block_size": 256})
    _, sc1, _, block1 = _run(card, 600, 7, chunk_blocks=1)
    np.testing.assert_array_equal(block1.counts, block.counts)
    for k in block.fields:
        np.testing.assert_array_equal(block1.fields[k], block.fields[k], err_msg=k)


def _alp_table() -> dict:
    path = resources.files("bkgen") / "data" / "hadronic" / "alp_gluon_exclusive_widths_1811.03474.csv"
    rows = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    head = rows[0].split(",")
    data = np.array([[float(x) for x in r.split(",")] for r in rows[1:]])
    return {h: data[:, j] for j, h in enumerate(head)}


def test_alp_exclusive_fractions():
    """m_a = 1.5 GeV < 2 GeV: exclusive modes with the shares Gamma_F / Gamma_total of Aloni, Soreq,
    Williams (arXiv:1811.03474 Fig. 2, the shipped digitisation) times the isospin shares; fixed-seed
    chi^2 of the mode counts."""
    extra("pythia8mc")
    card = _card("alp_Ka_benchmark", True, **{"model.m_a": 1.5})
    gen, sc, pa, block = _run(card, 1500, 11)
    counts = gen.hadroniser.counts
    n_had = counts["events"]
    assert counts["string"] == 0  # the paper's exclusive channels saturate the width at 1.5 GeV
    t = _alp_table()
    i = int(np.argmin(np.abs(t["m_GeV"] - 1.5)))
    cols = ["2PiEta", "2PiEtaPrim", "2PiGamma", "2Rho", "2KPi"]  # open at 1.5 GeV
    w = {c: t[c][i] / t["total"][i] for c in cols}
    share = {"pi+ pi- eta": ("2PiEta", 2 / 3), "pi0 pi0 eta": ("2PiEta", 1 / 3), "pi+ pi- eta'": ("2PiEtaPrim", 2 / 3),
             "pi0 pi0 eta'": ("2PiEtaPrim", 1 / 3), "pi+ pi- gamma": ("2PiGamma", 1.0),
             "rho+ rho-": ("2Rho", 2 / 3), "rho0 rho0": ("2Rho", 1 / 3), "K+ K- pi0": ("2KPi", 1 / 6),
             "K0 K0bar pi0": ("2KPi", 1 / 6), "K+ K0bar pi-": ("2KPi", 1 / 3), "K- K0 pi+": ("2KPi", 1 / 3)}
    expected = np.array([w[c] * s for c, s in share.values()])
    expected *= n_had / expected.sum()
    observed = np.array([counts["exclusive"].get(name, 0) for name in share])
    assert observed.sum() == n_had
    assert chi2_pvalue(observed, expected) > 1e-3


def test_dark_vector_exclusive_and_string():
    """Dark vector: below 2 GeV the q qbar channels become the DarkCast exclusive states (pi+pi-pi0,
    4 pi, ...; chi^2 of the counts against R_F / R_light_other), above 2 GeV Pythia's strings."""
    extra("pythia8mc")
    from bkgen.physics import hadrons

    card = _card("dark_vector_KX_benchmark", True, **{"model.alpha_X": 1e-12, "model.m_X": 1.2})
    gen, sc, pa, block = _run(card, 1500, 5)
    c = gen.hadroniser.counts
    m = np.sqrt(sc["q2"][gen.hadroniser.mask[sc["channel"]]])
    tab = hadrons._table()
    cols = {"pi+ pi- pi0": "R_pi+_pi-_pi0", "pi0 gamma": "R_pi0_gamma", "2pi+ 2pi-": "R_pi+_pi-_pi+_pi-",
            "pi+ pi- 2pi0": "R_pi+_pi-_pi0_pi0"}
    r = {k: np.interp(m, tab["m_GeV"], tab[v]) for k, v in cols.items()}
    total = hadrons.r_light_other(m)
    expected = np.array([(r[k] / total).sum() for k in cols])
    observed = np.array([c["exclusive"].get(k, 0) for k in cols])
    assert observed.sum() == c["events"] and c["string"] == 0
    assert chi2_pvalue(observed, expected) > 1e-3
    card = _card("dark_vector_KX_benchmark", True, **{"model.alpha_X": 1e-12, "model.m_X": 2.5})
    gen, sc, pa, block = _run(card, 400, 5)
    assert gen.hadroniser.counts["string"] == gen.hadroniser.counts["events"] > 0


def test_readers_on_a_hadronised_file(tmp_path):
    """bkgen.read, reweight, recast and plot read a hadronised ROOT file; read gives fixed entries then
    the hadrons, and reweight copies the hadron block."""
    extra("pythia8mc")
    import awkward as ak

    import bkgen
    from bkgen.generate.pipeline import write_root
    from bkgen.recast.spectrum import from_sample
    from bkgen.reweight import reweight_file

    card = _card("alp_Ka_benchmark", True, **{"output.precision": "float32"})
    gen = Generator(card)
    path = tmp_path / "h.root"
    write_root(gen, path, 3, 400)
    ev = bkgen.read(path)
    mem = bkgen.generate(card.to_dict(), 400, seed=3)
    assert ak.all(ev.particles.pdg == mem.particles.pdg)
    assert ak.all(ak.num(ev.particles) > gen.record.n_fixed)
    fin = ev.particles[ev.particles.status == 1]  # every final particle, hadrons included: sum = e+e- system
    np.testing.assert_allclose(ak.to_numpy(ak.sum(fin.E, axis=1)), ak.to_numpy(ev.particles.E[:, 0]), rtol=1e-5)
    out = tmp_path / "rw.root"
    reweight_file(str(path), str(out), ["model.f_a=2e8"], ff_variations=False)
    rw = bkgen.read(out)
    assert ak.all(rw.particles.pdg == ev.particles.pdg) and ak.all(rw.particles.mother == ev.particles.mother)
    spec = from_sample(str(path))
    assert spec.n_events == 400 and spec.kplus_br > 0
    extra("matplotlib")
    from bkgen.plot import spectra

    assert spectra(str(path), [], str(tmp_path / "s"), n_events=2000)


def test_lhe_refuses_hadronise():
    with pytest.raises(CardError, match="generation.hadronise = true with output.format = 'lhe'"):
        resolve({"process": {"model": "alp", "decay": "B+ -> K+ a"}, "generation": {"hadronise": True},
                 "output": {"format": "lhe"}})


def test_chunked_merged_run_equals_single_run(tmp_path):
    """A run in 3 chunk files (whole RNG blocks) merged into one file gives the events, hadrons and
    hadronisation counts of a single run with the same card and seed."""
    extra("pythia8mc")
    import json

    import awkward as ak
    import uproot

    import bkgen
    from bkgen.generate import distributed
    from bkgen.generate.pipeline import write_root

    card = _card("alp_Ka_benchmark", True, **{"generation.block_size": 256, "generation.events": 700,
                                              "generation.seed": 4, "output.precision": "float32"})
    write_root(Generator(card), tmp_path / "single.root", 4, 700)
    distributed.run(card.to_dict(), tmp_path / "merged.root", n_chunks=3, merge=True, sequential=True)
    a, b = bkgen.read(tmp_path / "single.root"), bkgen.read(tmp_path / "merged.root")
    for field in a.particles.fields:
        assert ak.all(a.particles[field] == b.particles[field]), field
    infos = [json.loads(str(uproot.open(tmp_path / f)["run_info"]))["hadronisation"] for f in ("single.root", "merged.root")]
    assert infos[0] == infos[1] and infos[0]["events"] == 700


def test_stable_ctau_is_configurable():
    """generation.stable_ctau = 100 mm: K_S0 (26.8 mm) and Lambda (78.9 mm) decay at the generator,
    pi+- (7.8 m), K+- (3.7 m) and K_L0 (15.3 m) stay; the default 10 mm keeps K_S0."""
    extra("pythia8mc")
    _, _, _, block = _run(_card("alp_Ka_benchmark", True, **{"generation.stable_ctau": 100.0}), 300, 2)
    final = np.abs(block.fields["pdg"][block.fields["status"] == 1])
    assert not np.isin(final, [310, 3122]).any() and np.isin(final, [211, 321, 130]).any()
    assert np.isin(np.abs(block.fields["pdg"]), [310]).any()  # produced, and decayed
    _, _, _, block = _run(_card("alp_Ka_benchmark", True), 300, 2)
    assert np.isin(np.abs(block.fields["pdg"][block.fields["status"] == 1]), [310]).any()


def test_missing_extra_is_one_line(monkeypatch):
    """Without pythia8mc a hadronised run stops with the extra's install command (InputError, exit 2)."""
    import sys

    from bkgen.errors import MissingExtra

    from bkgen.generate import hadronise

    monkeypatch.setitem(sys.modules, "pythia8mc", None)
    monkeypatch.setattr(hadronise, "_local", __import__("threading").local())  # no cached instance
    gen = Generator(_card("alp_Ka_benchmark", True))
    with pytest.raises(MissingExtra, match=r"generation.hadronise = true needs .*pip install 'bkgen\[hadronise\]'"):
        next(gen.events(10, 1))
