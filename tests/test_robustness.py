"""Bad cards never reach the user as a traceback; kinematic edges stay finite and exact."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bkgen.cli import main
from bkgen.config.card import CardError, resolve
from bkgen.generate.generator import Generator
from bkgen.physics import inputs

M_B, M_K = inputs.mass(521), inputs.mass(321)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(), max_size=3),
)
keys = st.sampled_from([
    "model", "decay", "charge", "alpha_D", "Lambda_TeV", "dark_fermions", "sommerfeld", "E_HER", "E_LER",
    "crossing_angle", "frame", "events", "seed", "block_size", "file", "compression", "format", "bogus",
    "form_factors_BK", "line_shape_halfwidths", "energy_spread", "resonance",
])
sections = st.sampled_from(["process", "model", "beam", "generation", "output", "extra"])
fermion = st.fixed_dictionaries({}, optional={"mass": scalars, "charge": scalars, "spin": scalars})
raw_cards = st.dictionaries(
    sections,
    st.one_of(scalars, st.dictionaries(keys, st.one_of(scalars, st.lists(fermion, max_size=3)), max_size=6)),
    max_size=6,
)
base_process = {"model": "massless_dark_photon", "decay": "B+ -> K+ Q Qbar"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=raw_cards, with_process=st.booleans())
def test_resolve_raises_only_card_errors(raw, with_process):
    """Any TOML-like dict either resolves or raises CardError with one line naming a key."""
    if with_process and isinstance(raw.get("process"), dict):
        raw["process"] = {**base_process, **raw["process"]}
    elif with_process:
        raw["process"] = dict(base_process)
    try:
        resolve(raw)
    except CardError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg
        assert "allowed" in msg or "required" in msg or "missing" in msg


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(overrides=st.lists(st.tuples(
    st.sampled_from(["model.alpha_D", "model.Lambda_TeV", "beam.E_HER", "beam.crossing_angle", "generation.events",
                     "generation.seed", "output.compression", "model.sommerfeld", "process.charge", "beam.frame"]),
    st.sampled_from(["0", "-1", "1e300", "nan", "inf", '"x"', "true", "[1]", "2", "0.5", "1e-30", '"lab"']),
), max_size=3))
def test_cli_validate_never_tracebacks(overrides, capsys):
    """The CLI on random overrides: exit 0, or exit 2 with one stderr line."""
    argv = ["validate", "cards/dark_photon_KQQ_benchmark.toml"]
    for key, value in overrides:
        argv += ["--set", f"{key}={value}"]
    code = main(argv)
    err = capsys.readouterr().err
    assert code in (0, 2)
    if code == 2:
        assert err.count("\n") == 1 and err.startswith("bkgen: error: ")
        assert "Traceback" not in err


def make(decay="B+ -> K+ Q Qbar", **model):
    card = {"process": {"model": "massless_dark_photon", "decay": decay}, "model": model,
            "beam": {"frame": "lab"}, "generation": {"block_size": 512}}
    return Generator(resolve(card))


def sample(gen, n=1500, seed=3):
    out = [s for s, _, _ in gen.events(n, seed)]
    return {k: np.concatenate([c[k] for c in out]) for k in out[0]}


@pytest.mark.parametrize(
    "fermions, alpha, sf, dipole",
    [
        ([{"mass": 0.0}], 1.0, True, False),  # m_Q -> 0
        ([{"mass": 1e-6}], 1.0, True, True),  # tiny mass with the dipole log
        ([{"mass": 0.5 * (M_B - M_K) * (1 - 1e-4)}], 1.0, True, True),  # 2 m_Q -> q2_max
        ([{"mass": 0.3}, {"mass": 2.0}], 1.0, True, True),  # alpha_D ~ 1 with SF, thresholds far apart
        ([{"mass": 0.5}], 4 * math.pi, True, False),  # the largest alpha_D allowed
    ],
)
def test_threshold_edges_finite_and_exact(fermions, alpha, sf, dipole):
    gen = make(alpha_D=alpha, sommerfeld=sf, dipole_correction=dipole, dark_fermions=fermions)
    assert math.isfinite(gen.width) and gen.width > 0
    assert gen.width_error < 1e-3 * gen.width
    for c in gen.summary()["channels"]:
        assert c["width"] > 0 and math.isfinite(c["width"])
    s = sample(gen)
    lo = min(4 * f["mass"] ** 2 for f in fermions)
    assert np.all(np.isfinite(s["q2"]))
    assert np.all(s["q2"] >= lo * (1 - 1e-12)) and np.all(s["q2"] <= (M_B - M_K) ** 2 * (1 + 1e-12))


def test_odd_but_valid_inputs_work():
    """Valid-but-odd: a BR of ~1e-30 (tiny alpha_D, huge Lambda) still generates."""
    gen = make(alpha_D=1e-12, Lambda_TeV=1e12, dark_fermions=[{"mass": 0.1}])
    assert 0 < gen.br < 1e-29
    assert len(sample(gen, 200)["q2"]) == 200


@pytest.mark.parametrize("halfwidths", [0.5, 100.0])
def test_line_shape_window_edges(halfwidths):
    gen = make("B0 -> K*0 gamma_D", line_shape_halfwidths=halfwidths)
    s = sample(gen, 2000)
    m0, g0 = inputs.mass(313), inputs.width(313)
    lo = max(inputs.mass(321) + inputs.mass(211), m0 - halfwidths * g0)
    assert np.all(s["m_meson"] >= lo - 1e-9) and np.all(s["m_meson"] <= m0 + halfwidths * g0 + 1e-9)
    assert np.all(np.isfinite(s["E_miss_B"]))
