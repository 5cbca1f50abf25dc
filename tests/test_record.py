"""Record conventions over every shipped card: one meaning of `conjugate`, the per-particle flags
`invisible` and `from_signal_B`, HepMC3 and HepMC2 round trips, and the README example."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from bkgen.cli import main
from bkgen.config.card import load
from bkgen.generate.generator import Generator
from bkgen.io.hepmc import HepMCWriter, read_hepmc
from bkgen.kernels import cascade as K

ROOT = Path(__file__).resolve().parents[1]
CARDS = sorted((ROOT / "cards").glob("*.toml"))

#: PDG codes of the names used in the cards' decay strings (the named decay, not the amplitudes')
NAMED = {"B+": 521, "B0": 511, "Bs0": 531, "Bs": 531, "K+": 321, "K*0": 313, "phi": 333}
INVISIBLE = {12, 14, 16, 51, 52, 53, 54, 55}


def events(card, n, seed=3):
    gen = Generator(card)
    chunks = list(gen.events(n, seed))
    part = {k: np.concatenate([c[1][k] for c in chunks]) for k in chunks[0][1]}
    scal = {k: np.concatenate([c[0][k] for c in chunks]) for k in chunks[0][0]}
    return gen, scal, part


@pytest.mark.parametrize("path", CARDS, ids=[p.stem for p in CARDS])
def test_conjugate_and_flags_every_card(path, tmp_path):
    card = load(path, ["process.charge='both'", 'output.precision="float64"'])
    parent_name, rest = card["process"]["decay"].split(" -> ")
    parent, meson = NAMED[parent_name], NAMED[rest.split()[0]]
    gen, scal, part = events(card, 400)
    pdg, status, mother = part["pdg"], part["status"], part["mother"]
    conj = scal["conjugate"].astype(bool)
    assert 0 < conj.sum() < len(conj)
    b = gen.record.slots.index(K.SLOT_B)  # the signal B
    sign = np.where(conj, -1, 1)
    np.testing.assert_array_equal(pdg[:, b], sign * parent)  # conjugate = 1: the CP conjugate of the named B
    kid = int(np.flatnonzero(mother[0] == b)[0])  # the meson, first daughter of the B
    np.testing.assert_array_equal(pdg[:, kid], meson if meson == 333 else sign * meson)  # phi = its conjugate
    # invisible: final-state neutrinos and dark states; from_signal_B: the mother chain reaches the B
    np.testing.assert_array_equal(part["invisible"] == 1, (status == 1) & np.isin(np.abs(pdg), list(INVISIBLE)))
    chain = np.zeros(pdg.shape, dtype=bool)
    for j in range(pdg.shape[1]):
        m = mother[:, j]
        ok = m >= 0
        chain[ok, j] = (m[ok] == b) | chain[np.flatnonzero(ok), m[ok]]
    np.testing.assert_array_equal(part["from_signal_B"] == 1, chain)
    hepmc_round_trip(gen, scal, part, tmp_path)
    if card["model"].get("dark_fermions") is not None or "nu nubar" in card["process"]["decay"]:
        # the invisible system is everything the B decays to except the meson
        p = np.stack([part[c] for c in ("E", "px", "py", "pz")], axis=-1)
        inv = (p * part["invisible"][..., None]).sum(axis=1)
        np.testing.assert_allclose(inv[:, 0] ** 2 - (inv[:, 1:] ** 2).sum(1), scal["q2"], rtol=1e-7, atol=1e-9)


def hepmc_round_trip(gen, scal, part, tmp_path, n=40):
    """HepMC3 and HepMC2 files of the first n events read back by pyhepmc: the beams (lab frame), and
    every non-null record entry with its PDG code, status, momentum and mother."""
    sub_s = {k: v[:n] for k, v in scal.items()}
    sub_p = {k: v[:n] for k, v in part.items()}
    for version in (2, 3):
        path = tmp_path / f"ev.hepmc{version}"
        with HepMCWriter(path, version=version, beam=gen.card["beam"], xsec_pb=gen.event_cross_section_pb()) as w:
            w.write(sub_s, sub_p)
            w.close()
        events = read_hepmc(path)
        assert len(events) == n
        for i, evt in enumerate(events):
            beams = [p for p in evt.particles if p.status == 4]
            assert len(beams) == (0 if gen.card["beam"]["frame"] == "B_rest" else 2)
            rec = [p for p in evt.particles if p.status != 4]
            keep = np.flatnonzero(sub_p["status"][i] != 0)
            assert sorted(p.pid for p in rec) == sorted(sub_p["pdg"][i, keep].tolist())
            for j in keep:
                want = [sub_p[c][i, j] for c in ("px", "py", "pz", "E")]
                hit = [p for p in rec if p.pid == sub_p["pdg"][i, j] and p.status == sub_p["status"][i, j]
                       and np.allclose([p.momentum.px, p.momentum.py, p.momentum.pz, p.momentum.e], want, 0, 1e-12)]
                assert hit, f"entry {j} of event {i} not in the HepMC{version} event"
                m = sub_p["mother"][i, j]
                if m >= 0:
                    assert sub_p["pdg"][i, m] in [q.pid for q in hit[0].parents]


@pytest.mark.parametrize("name", ["sm_Kstar0nunu", "dark_photon_Kstar0_gammaD"])
def test_as_named_is_zero(name):
    """The report of the issue: as_named gave 1 for the SM K* card and 0 for the dark-photon K* card."""
    card = load(ROOT / "cards" / f"{name}.toml", ["process.charge='as_named'"])
    _, scal, part = events(card, 300)
    assert np.all(scal["conjugate"] == 0)
    assert np.all(part["pdg"][:, 1] == 511)


def test_readme_example(tmp_path, monkeypatch, capsys):
    """The README's selection example runs on a generated file and gives the kaon and the q2 branch."""
    text = (ROOT / "README.md").read_text()
    code = re.search(r"<!-- readme-example: select -->\s*```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    os.makedirs("outputs")
    assert main(["generate", str(ROOT / "cards" / "sm_Knunu.toml"), "-n", "2000", "-o", "outputs/sm_Knunu.root",
                 "--no-progress"]) == 0
    ns: dict = {}
    exec(compile(code, "README example", "exec"), ns)
    assert np.all(ns["kaon"].sum(axis=1) == 1)
    np.testing.assert_allclose(ns["q2_inv"], ns["t"]["q2"], rtol=2e-3, atol=2e-4)
    m_k = np.sqrt(ns["p_kaon"][:, 0] ** 2 - (ns["p_kaon"][:, 1:] ** 2).sum(axis=1))
    np.testing.assert_allclose(m_k, 0.493677, rtol=1e-3)
