"""Pythia 8 reads bkgen's LHE files: every event is accepted and hadronised, and every particle that
is not a parton keeps its PDG code and four-momentum (the ALP's g g and s sbar, the dark vector's
q qbar, and a nu nubar card without partons)."""

from __future__ import annotations

import numpy as np
import pytest

from bkgen.cli import main
from bkgen.io.lhe import read_lhe
from helpers import extra

pythia8 = extra("pythia8mc")

PARTONS = {1, 2, 3, 4, 5, 6, 21}
N = 40


def pythia_events(path):
    """(events tried, [event as (id, status, px, py, pz, e) arrays]) for every event of an LHE file:
    Pythia's no-beam-remnant LHE mode (frameType 4 with lepton beams, no PDFs, no ISR/MPI)."""
    p = pythia8.Pythia("", False)
    for s in ("Beams:frameType = 4", f"Beams:LHEF = {path}", "PDF:lepton = off", "PartonLevel:ISR = off",
              "PartonLevel:MPI = off", "HadronLevel:Decay = off", "Next:numberCount = 0", "Next:numberShowEvent = 0",
              "Next:numberShowInfo = 0", "Next:numberShowProcess = 0", "Init:showChangedSettings = off",
              "Random:setSeed = on", "Random:seed = 7"):
        assert p.readString(s)
    assert p.init()
    out, tried = [], 0
    while True:
        ok = p.next()
        if not ok and p.infoPython().atEndOfFile():
            break
        tried += 1
        if ok:
            ev = p.event
            out.append(np.array([[ev[i].id(), ev[i].status(), ev[i].px(), ev[i].py(), ev[i].pz(), ev[i].e()]
                                 for i in range(ev.size())]))
    return tried, out


@pytest.mark.parametrize("card, sets, partons", [
    ("alp_Ka_benchmark", [], {3, 21}),  # a -> g g (89 %), s sbar (11 %)
    ("dark_vector_KX_benchmark", ["model.m_DM=1.5"], {1, 2, 3}),  # X -> q qbar with the DM channel closed
    ("sm_Knunu", [], set()),
])
def test_pythia_hadronises_bkgen_lhe(tmp_path, capfd, card, sets, partons):
    out = tmp_path / "ev.lhe"
    args = ["generate", card, "-n", str(N), "-o", str(out), "--format", "lhe", "--no-progress", "--seed", "3",
            "--set", "beam.frame='cms'", "--set", 'output.precision="float64"', "--set", "generation.block_size=256"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    lhe = read_lhe(out)
    assert len(lhe) == N
    tried, events = pythia_events(out)
    capfd.readouterr()  # Pythia's banner and listings
    assert tried == N and len(events) == N  # every event accepted
    seen = set()
    for ev_l, ev_p in zip(lhe, events):
        final = ev_p[ev_p[:, 1] > 0]
        assert not np.isin(np.abs(final[:, 0]), list(PARTONS)).any()  # no parton left: hadronised
        is_parton = np.isin(np.abs(ev_l["pdg"]), list(PARTONS))
        seen |= set(np.abs(ev_l["pdg"][is_parton]).tolist())
        if is_parton.any():
            assert (np.abs(ev_p[:, 1]) >= 81).sum() >= 2  # hadrons from strings (status 81-89)
        for j in np.flatnonzero(~is_parton & (ev_l["status"] != -1)):
            p_l = np.array([ev_l["px"][j], ev_l["py"][j], ev_l["pz"][j], ev_l["E"][j]])
            same = (ev_p[:, 0] == ev_l["pdg"][j]) & np.all(np.isclose(ev_p[:, 2:], p_l, rtol=1e-9, atol=1e-9), axis=1)
            assert same.any(), f"{ev_l['pdg'][j]} with p = {p_l} not found unchanged"
    assert seen == partons
