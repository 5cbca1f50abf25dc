"""The ``bkgen`` command line, run as ``python -m bkgen`` in a subprocess."""

from __future__ import annotations

import importlib.metadata
import json
import math
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import uproot
from particle import Particle

import bkgen
from bkgen.config.card import load, resolve
from bkgen.generate.generator import Generator

pytestmark = pytest.mark.cli

CARD_DIR = Path(__file__).resolve().parent.parent / "cards"
CARDS = sorted(CARD_DIR.glob("*.toml"))
SM_KNUNU = CARD_DIR / "sm_Knunu.toml"
KQQ_MASSLESS = CARD_DIR / "dark_photon_KQQ_massless.toml"
KQQ_BENCHMARK = CARD_DIR / "dark_photon_KQQ_benchmark.toml"

SCALAR_BRANCHES = ["q2", "E_miss_B", "weight"]
PARTICLE_BRANCHES = ["pdg", "mother", "status", "px", "py", "pz", "E", "vx", "vy", "vz", "t"]
DOCUMENTED_BRANCHES = SCALAR_BRANCHES + PARTICLE_BRANCHES + ["n_particles"]


def bkgen_cli(*args, cwd, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bkgen", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=timeout,
    )


def read_tree(path: Path) -> dict[str, np.ndarray]:
    """Every branch of the events tree as a numpy array, (n_events, n_particles) for particle branches."""
    with uproot.open(path) as f:
        return f["events"].arrays(library="np")


def assert_clean_error(res: subprocess.CompletedProcess, *needles: str):
    """Exit status 2 and exactly one line on stderr naming what was wrong, without a traceback."""
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and res.stderr.endswith("\n"), res.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


# ------------------------------------------------------------------------ generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """`generate sm_Knunu -n 2000 --seed 5` run twice into two files of one directory."""
    d = tmp_path_factory.mktemp("generate")
    results = []
    for name in ("out.root", "again.root"):
        res = bkgen_cli("generate", SM_KNUNU, "-n", 2000, "--seed", 5, "-o", name, cwd=d)
        assert res.returncode == 0, res.stderr
        results.append(res)
    return d, results


def test_generate_writes_documented_file(generated):
    d, (res, _) = generated
    assert "2000 events" in res.stdout
    out = d / "out.root"
    with uproot.open(out) as f:
        tree = f["events"]
        assert tree.num_entries == 2000
        assert set(DOCUMENTED_BRANCHES) <= set(tree.keys())
        meta = {k.split(";")[0]: str(f[k]) for k, c in f.classnames().items() if c == "TObjString"}
        n_part = tree["n_particles"].array(library="np")
        weight = tree["weight"].array(library="np")
        pdg = tree["pdg"].array(library="np")
        # particle branches are fixed-size arrays of n_particles entries
        widths = {name: tree[name].interpretation.inner_shape for name in PARTICLE_BRANCHES}
    assert np.all(weight == 1.0)
    # Upsilon(4S), B+, B-, K+, nu, nubar in every event
    assert np.all(n_part == 6)
    assert widths == {name: (6,) for name in PARTICLE_BRANCHES}
    assert pdg.shape == (2000, 6)
    assert np.all(pdg[:, 0] == 300553)
    assert set(meta) >= {"card", "run_info"}
    # the stored card is the resolved card with the command-line seed and event count
    card = tomllib.loads(meta["card"])
    assert card["generation"]["seed"] == 5
    assert card["generation"]["events"] == 2000
    assert card["output"]["file"] == "out.root"
    assert resolve(card).to_dict() == card
    expected_card = load(SM_KNUNU, ["generation.events=2000", "generation.seed=5", 'output.file="out.root"'])
    assert card == expected_card.to_dict()
    info = json.loads(meta["run_info"])
    assert info["seed"] == 5
    assert info["events"] == 2000
    assert info["bkgen_version"] == bkgen.__version__ == importlib.metadata.version("bkgen")
    gen = Generator(expected_card)
    assert info["width_GeV"] == pytest.approx(gen.width, rel=1e-12)
    assert info["br"] == pytest.approx(gen.br, rel=1e-12)
    # BR = Gamma / Gamma_B with Gamma_B = hbar / tau(B+) from the PDG tables
    from scipy.constants import e, hbar

    gamma_b = hbar / e / Particle.from_pdgid(521).lifetime  # hbar/e in eV s is hbar in GeV ns
    assert info["br"] == pytest.approx(info["width_GeV"] / gamma_b, rel=1e-6)
    eff = info["unweighting"]["efficiency"]
    assert 0.0 < eff <= 1.0
    assert info["unweighting"]["trials"] == pytest.approx(2000 / eff, rel=1e-12)
    # nothing else was left behind
    assert sorted(p.name for p in d.iterdir()) == ["again.root", "out.root"]


def test_generate_is_reproducible(generated):
    d, _ = generated
    a, b = read_tree(d / "out.root"), read_tree(d / "again.root")
    assert a.keys() == b.keys()
    assert len(a["q2"]) == 2000
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_generate_other_seed_differs(tmp_path, generated):
    d, _ = generated
    res = bkgen_cli("generate", SM_KNUNU, "-n", 200, "--seed", 6, "-o", "other.root", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    a, b = read_tree(d / "out.root"), read_tree(tmp_path / "other.root")
    assert not np.array_equal(a["q2"][:200], b["q2"])


def test_generate_refuses_to_overwrite(tmp_path):
    target = tmp_path / "out.root"
    target.write_bytes(b"precious")
    res = bkgen_cli("generate", SM_KNUNU, "-n", 1000, "-o", "out.root", cwd=tmp_path)
    assert_clean_error(res, "out.root", "--force")
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["out.root"]

    res = bkgen_cli("generate", SM_KNUNU, "-n", 1000, "-o", "out.root", "--force", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    with uproot.open(target) as f:
        assert f["events"].num_entries == 1000
    assert [p.name for p in tmp_path.iterdir()] == ["out.root"]


# ---------------------------------------------------------------- info, list, validate


def test_info_json(tmp_path):
    res = bkgen_cli("info", KQQ_BENCHMARK, "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["br"] > 0
    channels = s["channels"]
    assert len(channels) == 3  # three dark-fermion generations in the card
    for c in channels:
        assert c["width"] > 0 and c["br"] > 0 and c["label"]
    assert sum(c["width"] for c in channels) == pytest.approx(s["width_GeV"], rel=1e-12)
    assert sum(c["br"] for c in channels) == pytest.approx(s["br"], rel=1e-12)
    assert s["br"] == pytest.approx(s["width_GeV"] / s["parent_width_GeV"], rel=1e-12)
    # identical generations contribute equally
    assert channels[0]["width"] == pytest.approx(channels[2]["width"], rel=1e-12)


def test_info_plain_prints_br(tmp_path):
    plain = bkgen_cli("info", SM_KNUNU, cwd=tmp_path)
    js = bkgen_cli("info", SM_KNUNU, "--json", cwd=tmp_path)
    assert plain.returncode == 0 and js.returncode == 0
    m = re.search(r"^BR\s*=\s*([0-9.eE+-]+)", plain.stdout, re.MULTILINE)
    assert m, plain.stdout
    assert float(m.group(1)) == pytest.approx(json.loads(js.stdout)["br"], rel=1e-6)
    # one table row per neutrino flavour
    assert sum(line.startswith("B+ -> K+ nu(") for line in plain.stdout.splitlines()) == 3


def test_list_shows_models(tmp_path):
    res = bkgen_cli("list", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    models = {line.split(":")[0] for line in res.stdout.splitlines() if line and not line[0].isspace()}
    assert {"sm", "massless_dark_photon"} <= models
    for decay in ("B+ -> K+ nu nubar", "B+ -> K+ Q Qbar", "B0 -> K*0 gamma_D"):
        assert decay in res.stdout


@pytest.mark.parametrize("card", CARDS, ids=[c.stem for c in CARDS])
def test_validate_shipped_cards(card, tmp_path):
    res = bkgen_cli("validate", card, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "valid" in res.stdout
    assert list(tmp_path.iterdir()) == []


def test_set_override_scales_br(tmp_path):
    base = bkgen_cli("info", KQQ_MASSLESS, "--json", cwd=tmp_path)
    scaled = bkgen_cli("info", KQQ_MASSLESS, "--json", "--set", "model.Lambda_TeV=2e5", cwd=tmp_path)
    assert base.returncode == 0 and scaled.returncode == 0, (base.stderr, scaled.stderr)
    br0, br1 = json.loads(base.stdout)["br"], json.loads(scaled.stdout)["br"]
    # the dipole operator enters with 1/Lambda: BR ~ Lambda^-2, and the card has Lambda = 1e5 TeV
    assert br1 == pytest.approx(br0 / 4.0, rel=1e-9)


def test_version(tmp_path):
    res = bkgen_cli("--version", cwd=tmp_path)
    assert res.returncode == 0
    assert res.stdout.strip() == f"bkgen {importlib.metadata.version('bkgen')}"


# ------------------------------------------------------------------------ bad input

BAD_TOML = "[process\nmodel = 'sm'\n"


def _card_with_extra_section(tmp_path):
    text = SM_KNUNU.read_text() + "\n[detector]\nname = 'Belle II'\n"
    (tmp_path / "extra.toml").write_text(text)
    return "extra.toml"


def _invalid_toml(tmp_path):
    (tmp_path / "broken.toml").write_text(BAD_TOML)
    return "broken.toml"


def _e_her_for_sqrt_s(w: float, e_ler: float = 4.0, crossing_angle: float = 0.083) -> float:
    """HER energy giving sqrt(s) = w with the LER at e_ler (bisection; s rises with E_HER)."""
    m_e = 0.51099895e-3

    def sqrt_s(e_her):
        p_her, p_ler = math.sqrt(e_her**2 - m_e**2), math.sqrt(e_ler**2 - m_e**2)
        return math.sqrt(2 * m_e**2 + 2 * (e_her * e_ler + p_her * p_ler * math.cos(crossing_angle)))

    lo, hi = 1.0, 20.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if sqrt_s(mid) < w else (lo, mid)
    return hi


# sqrt(s) a fraction 5e-10 above the B+ B- threshold, inside the production loop's safety margin
# of 1e-9: the card must be rejected, since the loop could never accept a beam configuration
M_BPLUS = Particle.from_pdgid(521).mass * 1e-3
E_HER_AT_THRESHOLD = _e_her_for_sqrt_s(2 * M_BPLUS * (1 + 5e-10))

# (card or card factory, extra arguments, text the message must contain)
BAD_INPUT = {
    "unknown_section": (_card_with_extra_section, ["-n", 100], "detector"),
    "unknown_section_set": (SM_KNUNU, ["-n", 100, "--set", "foo.bar=1"], "foo"),
    "unknown_beam_key": (SM_KNUNU, ["-n", 100, "--set", "beam.energy=7.0"], "beam.energy"),
    "wrong_type": (SM_KNUNU, ["--set", 'generation.events="many"'], "generation.events"),
    "zero_events": (SM_KNUNU, ["-n", 0], "generation.events"),
    "negative_alpha_D": (KQQ_BENCHMARK, ["-n", 100, "--set", "model.alpha_D=-0.5"], "model.alpha_D"),
    "heavy_dark_fermion": (
        KQQ_BENCHMARK, ["-n", 100, "--set", "model.dark_fermions=[{mass = 2.5, charge = 1.0}]"],
        "dark_fermions",
    ),
    "below_threshold": (SM_KNUNU, ["-n", 100, "--set", "beam.E_HER=5.0"], "beam.E_HER"),
    "at_threshold": (SM_KNUNU, ["-n", 100, "--set", f"beam.E_HER={E_HER_AT_THRESHOLD!r}", "--set", "beam.E_LER=4.0"],
                     "beam.E_HER"),
    "bad_compression": (SM_KNUNU, ["-n", 100, "--set", 'output.compression="gzip:5"'], "output.compression"),
    "missing_card": ("no_such_card.toml", ["-n", 100], "no_such_card.toml"),
    "invalid_toml": (_invalid_toml, ["-n", 100], "broken.toml"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_cleanly(case, tmp_path):
    card, extra, needle = BAD_INPUT[case]
    if callable(card):
        card = card(tmp_path)
    inputs_before = sorted(p.name for p in tmp_path.iterdir())
    res = bkgen_cli("generate", card, "-o", "out.root", *extra, cwd=tmp_path, timeout=60)
    assert_clean_error(res, needle)
    assert res.stdout == ""
    # no output file, no temporary file
    assert sorted(p.name for p in tmp_path.iterdir()) == inputs_before


@pytest.mark.parametrize("args, needle", [
    (["generate"], "card"),
    (["generate", SM_KNUNU, "--bogus"], "--bogus"),
    (["generate", SM_KNUNU, "-n", "many"], "-n"),
    (["frobnicate"], "frobnicate"),
])
def test_bad_arguments(args, needle, tmp_path):
    res = bkgen_cli(*args, cwd=tmp_path, timeout=60)
    assert_clean_error(res, needle)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["info", "validate"])
def test_bad_input_other_commands(command, tmp_path):
    res = bkgen_cli(command, KQQ_BENCHMARK, "--set", "model.alpha_D=-0.5", cwd=tmp_path)
    assert_clean_error(res, "model.alpha_D")


def test_set_key_of_every_dark_fermion_generation(tmp_path):
    """--set model.dark_fermions.mass=... changes every generation, in generate as in info."""
    out = tmp_path / "m07.root"
    res = bkgen_cli("generate", KQQ_BENCHMARK, "-n", 3000, "-o", out, "--set", "model.dark_fermions.mass=0.7",
                    "--no-progress", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    with uproot.open(out) as f:
        card = tomllib.loads(str(f["card"]))
        q2 = f["events"]["q2"].array(library="np")
    assert [g["mass"] for g in card["model"]["dark_fermions"]] == [0.7] * len(card["model"]["dark_fermions"])
    assert q2.min() >= 4 * 0.7**2
