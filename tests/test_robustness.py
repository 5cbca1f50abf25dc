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


# ------------------------------------------------------------------ samples for reweight, recast and plot


@pytest.fixture(scope="module")
def kqq_sample(tmp_path_factory):
    """(arrays, metadata) of a 600-event B+ -> K+ Q Qbar benchmark sample."""
    import uproot

    from bkgen.config.card import load
    from bkgen.generate.pipeline import write_root

    path = tmp_path_factory.mktemp("robust") / "kqq.root"
    write_root(Generator(load("cards/dark_photon_KQQ_benchmark.toml", ["generation.block_size=256"])), path, 9, 600)
    with uproot.open(path) as f:
        arrays = f["events"].arrays(library="np")
        meta = {k.split(";")[0]: str(f[k]) for k, c in f.classnames().items() if c == "TObjString"}
    return arrays, meta, path.read_bytes()


EVENT_KEYS = ["q2", "m_meson", "cos_theta_meson", "cos_theta_pair", "chi", "channel", "weight", "q2_rec"]
json_values = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(), st.text(max_size=6),
                        st.lists(st.integers(), max_size=2))
# changes that make a sample unusable however they are drawn (commands that fit or plot are slow when valid)
damage = st.one_of(
    st.tuples(st.just("value"), st.sampled_from(EVENT_KEYS), st.integers(0, 599),
              st.sampled_from([float("nan"), float("inf"), -float("inf"), -1e300, 1e300, -7.0, 40.0])),
    st.tuples(st.just("drop_branch"), st.sampled_from(EVENT_KEYS[:-1])),
    st.tuples(st.just("meta"), st.sampled_from(["card", "run_info"]),
              st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["[" * 3000, "{}", "[process]", "null"]))),
    st.tuples(st.just("info"), st.sampled_from(["br", "channels", "model", "decay", "events"]), json_values),
    st.tuples(st.just("tree"), st.sampled_from(["none", "RNTuple"])),
    st.tuples(st.just("truncate"), st.floats(0.0, 0.9)),
)
# changes that may leave the sample valid (any value of a per-event quantity)
any_change = st.one_of(
    damage, st.tuples(st.just("none")),
    st.tuples(st.just("value"), st.sampled_from(EVENT_KEYS), st.integers(0, 599),
              st.one_of(st.floats(-2.0, 30.0), st.integers(-2, 4))),
)
reweight_sets = st.lists(st.sampled_from([
    "model.alpha_D=0.5", "model.alpha_D=-1", "model.alpha_D=1e400", "beam.E_HER=3", "model.dark_fermions.mass=0.6",
    "model.dark_fermions.mass=0.3", "model.dark_fermions.charge=1e308", "model.Lambda_TeV=" + "[" * 2000, "nonsense",
]), max_size=2)
other_args = st.lists(st.sampled_from([
    ("--bootstrap", "-1"), ("--analyses", "foo"), ("--scan", "model.alpha_D=0.1:1:3"), ("--set", "model.alpha_D=0.5"),
    ("--published",), ("--json",), ("-n", "10"), ("-n", "1000"),
]), max_size=2)
sample_runs = st.one_of(
    st.tuples(st.just("reweight"), any_change, reweight_sets),
    st.tuples(st.sampled_from(["recast", "plot_spectra", "plot_bins"]), damage, other_args),
)


def _write_mutated(path, arrays, meta, raw, change):
    import json as _json

    import uproot

    kind = change[0]
    if kind == "truncate":
        path.write_bytes(raw[: int(change[1] * len(raw))])
        return
    arrays = {k: v.copy() for k, v in arrays.items()}
    meta = dict(meta)
    tree = "TTree"
    if kind == "value":
        _, key, i, v = change
        arrays[key] = arrays[key].astype(np.float64) if isinstance(v, float) and key == "channel" else arrays[key]
        arrays[key][i] = v
    elif kind == "drop_branch":
        del arrays[change[1]]
    elif kind == "meta":
        meta[change[1]] = change[2]
    elif kind == "info":
        info = _json.loads(meta["run_info"])
        info[change[1]] = change[2]
        meta["run_info"] = _json.dumps(info)
    elif kind == "tree":
        tree = change[1]
    with uproot.recreate(path) as f:
        if tree == "TTree":
            f.mktree("events", {k: (v.dtype, v.shape[1:]) if v.ndim > 1 else v.dtype for k, v in arrays.items()})
            f["events"].extend(arrays)
        elif tree == "RNTuple":
            f.mkrntuple("events", {k: v for k, v in arrays.items() if v.ndim == 1})
        for k, v in meta.items():
            if v is not None:
                f[k] = v


@settings(max_examples=16, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(run=sample_runs)
def test_sample_commands_never_traceback(run, kqq_sample, tmp_path_factory, capsys):
    """reweight / recast / plot on mutated samples and arguments, in process: exit 0 with a complete output,
    or exit 2 with one line on stderr and no output file."""
    import uproot

    command, change, sets = run
    extra = [a for args in sets for a in args] if command != "reweight" else []
    arrays, meta, raw = kqq_sample
    d = tmp_path_factory.mktemp("ex")
    sample = d / "s.root"
    _write_mutated(sample, arrays, meta, raw, change)
    out = d / "out"
    argv = {
        "reweight": ["reweight", sample, "-o", out / "rw.root", "--no-ff-variations", *sum((["--set", t] for t in sets), [])],
        "recast": ["recast", sample, "--no-intervals", "--no-limit", "--bootstrap", "0", "-o", out / "rc"],
        "plot_spectra": ["plot", "spectra", sample, "-o", out / "sp", "-n", "1000"],
        "plot_bins": ["plot", "bins", sample, "-o", out / "bins"],
    }[command]
    if command != "reweight":  # recast / plot options, including ones the subcommand does not have
        argv = argv + extra
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse: an option the subcommand does not have (one line, exit 2)
        code = exc.code
    err = capsys.readouterr().err
    written = sorted(p.name for p in out.iterdir()) if out.exists() else []
    if code == 0:
        expected = {"reweight": ["rw.root"], "recast": ["rc.json"], "plot_spectra": ["sp.pdf", "sp.png"],
                    "plot_bins": ["bins.pdf", "bins.png"]}[command]
        assert written == expected, (change, written)
        if command == "reweight":
            with uproot.open(out / "rw.root") as f:
                assert f["events"].num_entries == 600 and "run_info" in f
    else:
        assert code == 2, (change, sets, err)
        assert err.count("\n") == 1 and err.startswith("bkgen: error: "), (change, sets, err)
        assert written == [], (change, written)


def make(decay="B+ -> K+ Q Qbar", **model):
    card = {"process": {"model": "massless_dark_photon", "decay": decay}, "model": model,
            "beam": {"frame": "lab"}, "generation": {"block_size": 512}, "output": {"precision": "float64"}}
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


def _card_sample(card_name, overrides, n=2000, seed=5):
    from bkgen.config.card import load

    gen = Generator(load(f"cards/{card_name}.toml", list(overrides) + ["generation.block_size=512",
                                                                       'output.precision="float64"']))
    scal, part = {}, {}
    for s, p, _ in gen.events(n, seed):
        for k, v in s.items():
            scal.setdefault(k, []).append(v)
        for k, v in p.items():
            part.setdefault(k, []).append(v)
    return gen, {k: np.concatenate(v) for k, v in scal.items()}, {k: np.concatenate(v) for k, v in part.items()}


@pytest.mark.parametrize("f_a, ctau_m", [(1e13, 1e12), (1e8, 1e2)])
def test_alp_lifetimes_up_to_1e12_m(f_a, ctau_m):
    """A long-lived ALP with c tau ~ 1e12 m (f_a = 1e13 GeV; c tau ~ f_a^2, seed 003 eq. 19) still gives
    finite displaced vertices along the ALP's flight, and the escape probability saturates at 1."""
    gen, scal, part = _card_sample("alp_Ka_benchmark", [f"model.f_a={f_a:g}"])
    ctau_mm = gen.channels[0].y_ctau
    assert ctau_mm == pytest.approx(ctau_m * 1e3, rel=0.5)
    y = int(np.flatnonzero(part["pdg"][0] == 54)[0])
    kid = int(np.flatnonzero(part["mother"][0] == y)[0])
    disp = np.stack([part[k][:, kid] - part[k][:, y] for k in ("vx", "vy", "vz")], axis=1)
    assert np.all(np.isfinite(disp)) and np.all(np.isfinite(part["t"]))
    # the displacement is along the ALP momentum
    p = np.stack([part[k][:, y] for k in ("px", "py", "pz")], axis=1)
    cos = (disp * p).sum(1) / np.linalg.norm(disp, axis=1) / np.linalg.norm(p, axis=1)
    assert np.all(cos > 1 - 1e-9)
    if ctau_m > 1e6:
        assert np.all(np.linalg.norm(disp, axis=1) > 1e3)  # essentially all decays far outside (> 1 m)


def test_mediator_width_1e_minus_20_gev():
    """A dark-vector X with Gamma_X ~ 1e-20 GeV (tiny couplings): finite widths, q2 at the pole, events."""
    gen, scal, _ = _card_sample("dark_vector_KX_benchmark", ["model.alpha_X=1e-21", "model.eps=1e-12",
                                                            "model.g_bs_source='card'", "model.g_bs=1e-8"], n=500)
    m_x = gen.channels[0].y_breit_wigner[0]
    gamma_x = inputs.HBAR_GEV_NS * inputs.C_MM_PER_NS / gen.channels[0].y_ctau
    assert gamma_x < 1e-19
    assert math.isfinite(gen.width) and gen.width > 0
    assert np.all(np.abs(scal["q2"] - m_x**2) < 1e-6)
