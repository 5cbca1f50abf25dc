"""The basf2 hand-off: `bkgen basf2` steering executed against a stub basf2 built from the parameter
table of the pinned release (tests/basf2_stub: unknown modules, unknown parameters, wrong types and
missing required parameters are errors), checked against the events bkgen writes for the card."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bkgen.cli import main
from bkgen.config.card import load
from bkgen.generate.generator import Generator
from bkgen.io import basf2
from helpers import extra

STUB = Path(__file__).resolve().parent / "basf2_stub"
CMS = ["--set", "beam.frame='cms'"]


def run_steering(text: str, cwd: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Execute a steering file with the stub basf2 first on the path; (result, the stub's log)."""
    (cwd / "steer.py").write_text(text)
    log = cwd / "log.json"
    env = dict(os.environ, PYTHONPATH=str(STUB), BKGEN_BASF2_LOG=str(log))
    res = subprocess.run([sys.executable, "steer.py"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    return res, (json.loads(log.read_text()) if log.exists() else {})


def steering_of(card: str, sets: list[str], capsys, *extra_args) -> str:
    assert main(["basf2", card, *sets, *extra_args]) == 0
    return capsys.readouterr().out


def record_codes(card: str, sets: list[str], n: int = 300) -> tuple[set[int], dict[int, float]]:
    """PDG codes 51-55 in n generated events, and the generated mass of each."""
    gen = Generator(load(card, [s for s in sets if s != "--set"] + ['output.precision="float64"',
                                                                    "generation.block_size=256"]))
    _, p, _ = next(iter(gen.events(n, seed=4)))
    codes, mass = set(), {}
    for code in np.unique(p["pdg"]):
        if 51 <= abs(code) <= 55:
            codes.add(int(code))
            mass[int(code)] = float(np.median(p["m"][p["pdg"] == code]))
    return codes, mass


@pytest.mark.parametrize("card, sets", [
    ("dark_photon_KQQ_benchmark", CMS),  # Dirac dark fermions Q, Qbar (52, -52)
    ("dark_photon_phi_gammaD", CMS),  # B_s at Upsilon(5S) with the B_s* mix, gamma_D (55, self-conjugate)
    ("alp_Ka_benchmark", CMS + ["--set", "model.C_qq_A=0", "--set", "model.C_gamma_UV=1"]),  # long-lived a -> gamma gamma
])
def test_hepmc_steering_runs_against_the_stub(tmp_path, capsys, card, sets):
    text = steering_of(card, sets, capsys)
    res, log = run_steering(text, tmp_path)
    assert res.returncode == 0, res.stderr
    names = [m["name"] for m in log["modules"]]
    assert names == ["HepMCInput", "BoostMCParticles", "SmearPrimaryVertex", "EvtGenDecay"]
    hep = log["modules"][0]["params"]
    assert hep["wrongSignPz"] is False and hep["nVirtualParticles"] == 2 and hep["expNum"] == 0
    # every new state of the events, with its generated mass, is added once with lifetime 0
    added = {c["args"]["pdgCode"]: c["args"] for c in log["calls"] if c["function"] == "pdg.add_particle"}
    codes, mass = record_codes(card, sets)
    assert codes and codes <= set(added)
    for code, a in added.items():
        assert a["lifetime"] == 0 and a["charge"] == 0
        if code in mass:
            assert a["mass"] == pytest.approx(mass[code], rel=1e-9)
        if -code in added:
            assert added[-code]["name"] == ("anti-" + a["name"] if code > 0 else a["name"][len("anti-"):])
    # the user decay file: written by the steering, named in EvtGenDecay, companion B named, signal-side kaons stable
    dec = (tmp_path / log["modules"][3]["params"]["UserDecFile"]).read_text()
    assert dec.rstrip().endswith("End") and "companion B" in dec
    assert "Decay K+\nEnddecay" in dec and "Decay K-\nEnddecay" in dec  # K+ (K+ K- from the phi)
    assert {c["function"] for c in log["calls"]} >= {"simulation.add_simulation", "reconstruction.add_reconstruction",
                                                      "mdst.add_mdst_output"}


def test_lhe_steering_for_a_prompt_card(tmp_path, capsys):
    """LHEInput with wrongSignPz, nInitialParticles and nVirtualParticles set explicitly (bkgen's LHE has
    the e- along +z and the two beams first)."""
    text = steering_of("sm_Kstar0nunu", CMS, capsys, "--input", "lhe")
    for key in ("wrongSignPz=False", "nInitialParticles=2", "nVirtualParticles=0"):
        assert key in text
    res, log = run_steering(text, tmp_path)
    assert res.returncode == 0, res.stderr
    assert [m["name"] for m in log["modules"]] == ["LHEInput", "BoostMCParticles", "SmearPrimaryVertex", "EvtGenDecay"]
    assert log["modules"][0]["params"]["createEventMetaData"] is True
    assert not [c for c in log["calls"] if c["function"] == "pdg.add_particle"]  # nu nubar: nothing new
    dec = (tmp_path / "sm_Kstar0nunu.dec").read_text()
    assert all(f"Decay {n}\nEnddecay" in dec for n in ("K+", "K-", "pi+", "pi-"))


def test_hadronised_sample_goes_through_hepmc2(tmp_path, capsys):
    """A hadronised ALP sample (generation.hadronise): HepMCInput, and the hadronisation's long-lived
    products (K_S0, hyperons) stay stable for Geant4 in the user decay file."""
    text = steering_of("alp_Ka_benchmark", CMS + ["--set", "generation.hadronise=true"], capsys)
    res, log = run_steering(text, tmp_path)
    assert res.returncode == 0, res.stderr
    assert [m["name"] for m in log["modules"]][0] == "HepMCInput"
    dec = (tmp_path / "alp_Ka_benchmark.dec").read_text()
    assert all(f"Decay {n}\nEnddecay" in dec for n in ("K_S0", "Lambda0", "anti-Lambda0", "pi+", "K_L0"))


def test_lab_frame_with_beam_spot(capsys, tmp_path):
    """lab frame: no BoostMCParticles; with bkgen's own beam spot no SmearPrimaryVertex either."""
    text = steering_of("sm_Knunu", ["--set", "beam.frame='lab'", "--set", "beam.vertex_smearing=true"], capsys)
    res, log = run_steering(text, tmp_path)
    assert res.returncode == 0, res.stderr
    assert [m["name"] for m in log["modules"]] == ["HepMCInput", "EvtGenDecay"]


@pytest.mark.parametrize("mutation, message", [
    (("wrongSignPz=False", "wrongSignPZ=False"), "unknown parameter 'wrongSignPZ'"),
    (("nVirtualParticles=2", "nVirtualParticles='2'"), "expected int"),
    (("'BoostMCParticles'", "'BoostMCParticle'"), "module 'BoostMCParticle'"),
    (("lifetime=0)", "lifetime=0, tau=1)"), "unexpected keyword argument 'tau'"),
])
def test_stub_rejects_unknown_modules_parameters_and_types(tmp_path, capsys, mutation, message):
    text = steering_of("dark_photon_KQQ_benchmark", CMS, capsys)
    assert mutation[0] in text
    res, _ = run_steering(text.replace(mutation[0], mutation[1], 1), tmp_path)
    assert res.returncode != 0 and "StubError" in res.stderr and message in res.stderr


@pytest.mark.parametrize("card, sets, args, text", [
    ("sm_Knunu", ["--set", "beam.frame='B_rest'"], [], "beam.frame = 'B_rest'"),
    ("alp_Ka_benchmark", CMS, [], "colour-carrying partons"),  # ALP -> g g, q qbar: needs hadronisation
    ("sm_Knunu", ["--set", "beam.frame='lab'"], ["--input", "lhe"], "--input = 'lhe' with beam.frame = 'lab'"),
    ("alp_Ka_benchmark", CMS + ["--set", "model.C_qq_A=0", "--set", "model.C_gamma_UV=1"], ["--input", "lhe"],
     "displaced vertices"),
    ("sm_Knunu", CMS, ["--exp", "-1"], "--exp = -1"),
    ("alp_Ka_benchmark", CMS + ["--set", "generation.hadronise=true"], ["--input", "lhe"], "hadronised samples"),
])
def test_refusals_are_one_line(capsys, card, sets, args, text):
    assert main(["basf2", card, *sets, *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and text in err


def test_hepmc2_file_matches_the_steering(tmp_path, capsys):
    """The HepMC2 file bkgen writes holds what the steering assumes: the two beams (status 4) are the
    first two particles (nVirtualParticles = 2), e- along +z (wrongSignPz = False), c t in mm; the
    same steering is stored in the file's metadata of every format."""
    extra("pyhepmc")
    out = tmp_path / "ev.hepmc2"
    assert main(["generate", "sm_Knunu", "-n", "300", "-o", str(out), "--format", "hepmc2", "--no-progress", *CMS,
                 "--set", "generation.block_size=256"]) == 0
    capsys.readouterr()
    lines = out.read_text().splitlines()
    first = [ln.split() for ln in lines[lines.index(next(ln for ln in lines if ln.startswith("E "))):][:12]
             if ln.startswith("P ")][:2]
    assert [(int(p[2]), int(p[8])) for p in first] == [(11, 4), (-11, 4)]
    assert float(first[0][5]) > 0 > float(first[1][5])  # e- along +z
    root = tmp_path / "ev.root"
    assert main(["generate", "sm_Knunu", "-n", "300", "-o", str(root), "--no-progress", *CMS,
                 "--set", "generation.block_size=256"]) == 0
    from bkgen.io.root import read_metadata

    gen = Generator(load("sm_Knunu", ["beam.frame='cms'", f"output.file={json.dumps(str(root))}"]))
    stored = read_metadata(root)["basf2"]
    assert stored == basf2.metadata_text(gen) and "inputFileList=['ev.hepmc2']" in stored


def test_table_script_reads_addparam_calls(tmp_path):
    """make_table.py: parameters with defaults take the literal's type, required ones the member's
    type from the header; Python signatures through ast."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_table", Path(basf2.TABLE).parent / "make_table.py")
    mt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mt)
    (tmp_path / "a.cc").write_text('REG_MODULE(X)\nX::X() {\n  addParam("files", m_files, "list, of (files)");\n'
                                   '  addParam("flag", m_flag, "a \\"flag\\"", true);\n  addParam("n", m_n, "n", INT_MAX);\n'
                                   '  addParam("x", m_x, "x", 0.5);\n  addParam("s", m_s, "s", std::string("a,b"));\n}\n')
    (tmp_path / "a.h").write_text("    std::vector <std::string>  m_files; /**< files */\n")
    params = mt.module_params(tmp_path, "a.cc", "a.h")
    assert params == {"files": {"type": "list[str]", "required": True},
                      "flag": {"type": "bool", "default": True, "required": False},
                      "n": {"type": "int", "default": 2**31 - 1, "required": False},
                      "x": {"type": "float", "default": 0.5, "required": False},
                      "s": {"type": "str", "default": "a,b", "required": False}}
    (tmp_path / "f.py").write_text("def f(a, b, c=None, d=0):\n    pass\n")
    assert mt.function_signature(tmp_path, "f.py", "f")["args"] == [
        {"name": "a", "required": True}, {"name": "b", "required": True}, {"name": "c", "default": None},
        {"name": "d", "default": 0}]
    # the committed table: every module the steering writer adds is in it
    t = basf2.table()
    assert set(t["modules"]) == {"HepMCInput", "LHEInput", "BoostMCParticles", "SmearPrimaryVertex", "EvtGenDecay"}
    assert [a["name"] for a in t["functions"]["pdg.add_particle"]["args"]][:6] == [
        "name", "pdgCode", "mass", "width", "charge", "spin"]


def test_lhe_file_follows_the_basf2_reader(tmp_path):
    """bkgen's LHE read by the rules of basf2's LHEReader (generators/lhe/src/LHEReader.cc): text after
    '#' is dropped and empty lines skipped (so the #vertex lines vanish), an event starts at a line
    '<event>', its first line gives the particle count, every particle line has exactly 13 fields,
    the third field is the 1-based mother line (0 = none). The first two particles are the e- (+z) and
    e+ that nInitialParticles = 2 flags."""
    out = tmp_path / "ev.lhe"
    assert main(["generate", "sm_Kstar0nunu", "-n", "200", "-o", str(out), "--format", "lhe", "--no-progress", *CMS,
                 "--set", "generation.block_size=256"]) == 0
    lines = iter(out.read_text().split("\n"))

    def get_line():
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if line:
                return line
        return ""

    n_events = 0
    for raw in lines:
        if raw.split("#", 1)[0].strip() != "<event>":
            continue
        n = int(float(get_line().replace(",", " ").split()[0]))
        rows = [[float(x) for x in get_line().replace(",", " ").replace(";", " ").split()] for _ in range(n)]
        assert all(len(r) == 13 for r in rows)
        mothers = [int(r[2]) for r in rows]
        assert all(0 <= m < i + 1 for i, m in enumerate(mothers))  # an earlier line, or none
        assert [int(r[0]) for r in rows[:2]] == [11, -11] and rows[0][8] > 0 > rows[1][8]
        assert mothers[:2] == [0, 0] and all(m > 0 for m in mothers[2:])
        n_events += 1
    assert n_events == 200
