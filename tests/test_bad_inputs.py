"""Bad samples for reweight/recast/plot and bad numbers in cards: exit 2 with one line naming the key and
what is allowed, no output file, never a traceback; events a card cannot produce are an error, not a
zero weight. In process (bkgen.cli.main), so an unhandled exception fails the test as itself."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pytest
import tomli_w
import uproot

from bkgen.cli import main
from bkgen.config.card import SCHEMA, load
from bkgen.generate.generator import Generator
from bkgen.generate.pipeline import write_root
from bkgen.physics.models import get as get_model

CARDS = Path(__file__).resolve().parent.parent / "cards"
KQQ = CARDS / "dark_photon_KQQ_benchmark.toml"
HUGE = 10**400  # an integer TOML accepts and no double can hold


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.err


def assert_one_line(code, err, *needles):
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.startswith("bkgen: error: "), err
    assert "allowed" in err or "required" in err, err
    for n in needles:
        assert n in err, (n, err)


# ------------------------------------------------------------------ samples


@pytest.fixture(scope="module")
def kqq(tmp_path_factory):
    """A 1200-event sample of the three-generation B+ -> K+ Q Qbar benchmark (q2 >= 1 GeV^2)."""
    path = tmp_path_factory.mktemp("samples") / "kqq.root"
    write_root(Generator(load(KQQ, ["generation.block_size=512"])), path, 4, 1200)
    return path


def read_sample(path):
    with uproot.open(path) as f:
        arrays = f["events"].arrays(library="np")
        meta = {k.split(";")[0]: str(f[k]) for k, c in f.classnames().items() if c == "TObjString"}
    return arrays, meta


def write_sample(path, arrays=None, meta=None, kind="TTree"):
    """A ROOT file with ``arrays`` as the events TTree (or RNTuple, or none) and TObjString ``meta``."""
    with uproot.recreate(path) as f:
        if arrays is not None and kind == "TTree":
            f.mktree("events", {k: (v.dtype, v.shape[1:]) if v.ndim > 1 else v.dtype for k, v in arrays.items()})
            if len(next(iter(arrays.values()))):
                f["events"].extend(arrays)
        elif arrays is not None:
            f.mkrntuple("events", {k: v for k, v in arrays.items() if v.ndim == 1})
        for k, v in (meta or {}).items():
            f[k] = v
    return path


def mutated(kqq, tmp_path, name="bad.root", *, values=None, drop=(), meta=None, kind="TTree", tree=True):
    arrays, m = read_sample(kqq)
    arrays = {k: v.copy() for k, v in arrays.items() if k not in drop}
    for (key, i), v in (values or {}).items():
        arrays[key][i] = v
    m.update(meta or {})
    m = {k: v for k, v in m.items() if v is not None}
    return write_sample(tmp_path / name, arrays if tree else None, m, kind)


SAMPLE_COMMANDS = {
    "reweight": lambda s, d: ["reweight", s, "-o", d / "rw.root", "--no-ff-variations", "--set", "model.alpha_D=0.5"],
    "recast": lambda s, d: ["recast", s, "--no-intervals", "--no-limit", "--bootstrap", "0", "-o", d / "rc"],
    "plot_spectra": lambda s, d: ["plot", "spectra", s, "-o", d / "sp", "-n", "1000"],
    "plot_bins": lambda s, d: ["plot", "bins", s, "-o", d / "bins"],
}


def assert_refused(capsys, tmp_path, sample, *needles, commands=SAMPLE_COMMANDS):
    for name in commands:
        out = tmp_path / f"out_{name}"
        out.mkdir()
        code, err = run(capsys, *SAMPLE_COMMANDS[name](sample, out))
        assert_one_line(code, err, *needles)
        assert not any(out.iterdir()), (name, list(out.iterdir()))


def test_no_events_tree(kqq, tmp_path, capsys):
    """Was KeyInFileError (traceback): bkgen metadata, no events tree."""
    assert_refused(capsys, tmp_path, mutated(kqq, tmp_path, tree=False), "no 'events' tree")


def test_rntuple_events(kqq, tmp_path, capsys):
    """Was AttributeError in reweight and a silent exit 0 in recast/plot: events is an RNTuple."""
    assert_refused(capsys, tmp_path, mutated(kqq, tmp_path, kind="RNTuple"), "RNTuple", "TTree")


@pytest.mark.parametrize("channel", [3, 7, -1])
def test_channel_out_of_range(kqq, tmp_path, capsys, channel):
    """Was IndexError (traceback) for 3, 7; for -1 recast mapped the event onto the last channel and reweight
    gave it weight 0, both with exit 0."""
    bad = mutated(kqq, tmp_path, values={("channel", 11): channel})
    assert_refused(capsys, tmp_path, bad, "event 11", "channel", "[0, 2]",
                   commands=SAMPLE_COMMANDS if channel == 7 else ["reweight", "recast"])


@pytest.mark.parametrize("value", [np.nan, np.inf, 0.5, 30.0])
def test_q2_the_card_cannot_produce(kqq, tmp_path, capsys, value):
    """Was a silent weight 0 (reweight) and a silently shifted spectrum (recast, plot): NaN, inf, q2 below the
    2 m_Q = 1 GeV threshold of every channel, or above (m_B - m_K)^2."""
    bad = mutated(kqq, tmp_path, values={("q2", 5): value})
    assert_refused(capsys, tmp_path, bad, "event 5", "q2", commands=["reweight", "recast"])


def test_angle_outside_its_range(kqq, tmp_path, capsys):
    bad = mutated(kqq, tmp_path, values={("cos_theta_pair", 2): 1.5})
    assert_refused(capsys, tmp_path, bad, "event 2", "cos_theta_pair", "[-1, 1]",
                   commands=["reweight", "recast"])


def test_missing_channels_in_run_info(kqq, tmp_path, capsys):
    """Was KeyError 'channels' (traceback) in recast and plot."""
    _, meta = read_sample(kqq)
    info = json.loads(meta["run_info"])
    del info["channels"]
    assert_refused(capsys, tmp_path, mutated(kqq, tmp_path, meta={"run_info": json.dumps(info)}), "run_info.channels",
                   commands=["recast", "plot_spectra"])


@pytest.mark.parametrize("override, needle", [
    ("model.dark_fermions=[{mass = 0.2}, {mass = 0.5}, {mass = 0.5}]", "run_info.channels[0]"),  # other labels
    ("model.alpha_D=0.3", "run_info.channels[0].width"),  # same channels, other widths
])
def test_metadata_from_another_card(kqq, tmp_path, capsys, override, needle):
    """Was exit 0: the events of one card under the metadata of another were reweighted with weight 0 where
    the other card has no density, and recast used the other card's branching ratios."""
    from bkgen.config.card import dumps

    other = dumps(load(KQQ, [override]))
    assert_refused(capsys, tmp_path, mutated(kqq, tmp_path, meta={"card": other}), needle,
                   commands=["reweight", "recast"])


def test_plain_uproot_file(kqq, tmp_path, capsys):
    """Was KeyError 'card' (traceback) for plot spectra."""
    arrays, _ = read_sample(kqq)
    plain = write_sample(tmp_path / "plain.root", {k: arrays[k] for k in ("q2", "q2_rec", "channel")})
    assert_refused(capsys, tmp_path, plain, "no 'card' metadata", commands=["plot_spectra", "reweight"])


def test_not_a_root_file(tmp_path, capsys):
    """Was uproot's error over two lines ("not a ROOT file ... in file ...")."""
    path = tmp_path / "x.root"
    path.write_bytes(b"\x00\xff" * 64)
    assert_refused(capsys, tmp_path, path, "cannot be read as ROOT", commands=["reweight", "plot_bins"])


def test_truncated_sample(kqq, tmp_path, capsys):
    data = kqq.read_bytes()
    path = tmp_path / "cut.root"
    path.write_bytes(data[: len(data) // 2])
    assert_refused(capsys, tmp_path, path, str(path), commands=["reweight", "recast"])


@pytest.mark.parametrize("card_text", ["a = " + "[" * 4000, "[[[["], ids=["deep", "broken"])
def test_bad_card_metadata(kqq, tmp_path, capsys, card_text):
    """Was RecursionError (traceback) for a deeply nested array in the card metadata."""
    bad = mutated(kqq, tmp_path, meta={"card": card_text})
    code, err = run(capsys, *SAMPLE_COMMANDS["recast"](bad, tmp_path))
    assert_one_line(code, err, "metadata 'card'")


def test_events_of_zero_density_are_an_error(kqq, tmp_path, capsys):
    """An event inside the kinematic range (its tolerance) where the card's density vanishes is refused, not
    weighted 0: q2 a rounding step beyond the endpoint (m_B - m_K)^2, where the rate is zero."""
    from bkgen.physics.inputs import mass

    bad = mutated(kqq, tmp_path, values={("q2", 7): (mass(521) - mass(321)) ** 2 * (1 + 1e-10)})
    code, err = run(capsys, *SAMPLE_COMMANDS["reweight"](bad, tmp_path))
    assert_one_line(code, err, "event 7", "density")
    assert not (tmp_path / "rw.root").exists()


def test_reweighted_file_is_checked_against_its_source_card(kqq, tmp_path, capsys):
    """A reweighted file (card = the new point) is read against the card that produced its events; a
    second reweighting works, and recast refuses the weighted file instead of ignoring its weights."""
    first, second = tmp_path / "rw1.root", tmp_path / "rw2.root"
    assert run(capsys, "reweight", kqq, "-o", first, "--no-ff-variations", "--set", "model.alpha_D=0.5")[0] == 0
    assert run(capsys, "reweight", first, "-o", second, "--no-ff-variations", "--set", "model.alpha_D=0.7")[0] == 0
    with uproot.open(second) as f:
        assert f["events"].num_entries == 1200
    code, err = run(capsys, "recast", second, "--no-intervals", "--no-limit", "--bootstrap", "0")
    assert_one_line(code, err, "reweighted")


# ------------------------------------------------------------------ plot scan tables


def _scan_table():
    pts = [{"params": {"model.alpha_D": a}, "bf_model": 1e-5 * a,
            "combined": {"bf_np_hat": 2e-5, "bf_np_interval68": [1e-5, 3e-5], "bf_np_ul95_cls": 4e-5,
                         "minus2_dlnl_model_vs_sm": 1.0, "minus2_dlnl_model_vs_best": 0.5}} for a in (0.5, 1.0)]
    return {"card": "c.toml", "overrides": [], "keys": ["model.alpha_D"], "points": pts}


@pytest.mark.parametrize("content, needle", [
    (b'{"keys": ["model.alpha_D"], "points": [{"params": {}}], "card": "c"}', "points[0].params"),
    (b'{"keys": "model.alpha_D", "points": [], "card": "c"}', "keys"),
    (b'{"keys": ["a"], "card": "c", "points": [{"params": {"a": 1}, "bf_model": "x"}]}', "bf_model"),
    (b"[" * 100000, "nested"),
    (b'{"keys": [', "not valid JSON"),
    (b"\xff\xfe{}", "UTF-8"),
], ids=["no_params", "keys_string", "bf_model_string", "deep", "truncated", "not_utf8"])
def test_plot_scan_malformed_table(tmp_path, capsys, content, needle):
    """Were KeyError/TypeError/RecursionError tracebacks, or "'utf-8' codec can't decode ..." naming nothing."""
    path = tmp_path / "scan.json"
    path.write_bytes(content)
    code, err = run(capsys, "plot", "scan", path, "-o", tmp_path / "fig")
    assert_one_line(code, err, needle, "bkgen recast --scan")
    assert not list(tmp_path.glob("fig*"))


# ------------------------------------------------------------------ efficiency maps


@pytest.mark.parametrize("name, content", [
    ("map.csv", b"\xff\xfe0,1,0.5\n"), ("map.json", b"\xff\xfe{}"), ("map.json", b"[" * 100000),
    ("map.root", b"\x00" * 64),
], ids=["csv_not_utf8", "json_not_utf8", "json_deep", "root_garbage"])
def test_efficiency_map_unreadable(tmp_path, capsys, name, content):
    """Were "'utf-8' codec can't decode ...", RecursionError, or uproot's two-line error."""
    path = tmp_path / name
    path.write_bytes(content)
    code, err = run(capsys, "validate", KQQ, "--set", f'detector.efficiency="{path}"')
    assert_one_line(code, err, "detector.efficiency")


def test_efficiency_map_not_a_th1(tmp_path, capsys):
    """Was "too many values to unpack": a TH2 given as the map."""
    path = tmp_path / "h2.root"
    with uproot.recreate(path) as f:
        f["h2"] = (np.ones((2, 2)), np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 2.0]))
    code, err = run(capsys, "validate", KQQ, "--set", f'detector.efficiency="{path}:h2"')
    assert_one_line(code, err, "detector.efficiency", "TH1")


# ------------------------------------------------------------------ card numbers


def _numeric_keys(raw: dict):
    """(section, key) of every float-valued card key present in ``raw`` (schema or model parameter), and
    ('model', 'dark_fermions') when the card lists dark fermions."""
    model = get_model(raw["process"]["model"])
    kinds = {p.name: p.kind for p in model.parameters}
    for section, table in raw.items():
        for key, value in table.items():
            if section == "model":
                if kinds[key] is float or (kinds[key] is list and value):
                    yield section, key
            elif section in SCHEMA and SCHEMA[section][key][0] == "float":
                yield section, key


@pytest.mark.parametrize("card", sorted(p.name for p in CARDS.glob("*.toml")))
def test_integer_too_large_for_a_float_in_every_numeric_field(tmp_path, capsys, card):
    """Was OverflowError (traceback) from float(10**400) in 16 of the 17 shipped cards."""
    raw = tomllib.loads((CARDS / card).read_text())
    keys = list(_numeric_keys(raw))
    assert keys or card == "sm_Knunu.toml"
    for section, key in keys:
        bad = json.loads(json.dumps(raw))
        if key == "dark_fermions":
            bad[section][key][0]["charge"] = HUGE
            needle = "model.dark_fermions[0].charge"
        else:
            bad[section][key] = HUGE
            needle = f"{section}.{key}"
        path = tmp_path / f"{section}_{key}.toml"
        path.write_text(tomli_w.dumps(bad))
        code, err = run(capsys, "validate", path)
        assert_one_line(code, err, needle, "finite")


def test_huge_charge_refused_by_validate_and_generate(tmp_path, capsys):
    """Was: validate says valid, generate overflows (alpha_D q^2 = inf)."""
    sets = ["--set", "model.dark_fermions=[{mass = 0.5, charge = 1e308}]"]
    code, err = run(capsys, "validate", KQQ, *sets)
    assert_one_line(code, err, "model.dark_fermions[0].charge")
    code, err = run(capsys, "generate", KQQ, "-n", 100, "-o", tmp_path / "x.root", *sets)
    assert_one_line(code, err, "model.dark_fermions[0].charge")
    assert not (tmp_path / "x.root").exists()


@pytest.mark.parametrize("charge, ok", [(3.5, True), (3.6, False), (1e-3, True), (1e-4, False)])
def test_charge_range(capsys, charge, ok):
    """alpha_D q^2 <= 4 pi (the alpha_D bound): q = 3.5 passes at alpha_D = 1, 3.6 does not."""
    code, err = run(capsys, "validate", KQQ, "--set", f"model.dark_fermions=[{{mass = 0.5, charge = {charge}}}]")
    assert code == (0 if ok else 2), err
    if not ok:
        assert_one_line(code, err, "model.dark_fermions[0].charge")


def test_deeply_nested_array_in_a_card(tmp_path, capsys):
    """Was RecursionError (traceback) from tomllib."""
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n" + KQQ.read_text())
    code, err = run(capsys, "validate", path)
    assert_one_line(code, err, "nested too deeply")
    code, err = run(capsys, "validate", KQQ, "--set", "model.alpha_D=" + "[" * 5000)
    assert_one_line(code, err, "model.alpha_D", "nested too deeply")


def test_integer_literal_beyond_the_conversion_limit(tmp_path, capsys):
    """An integer of 5000 digits: Python refuses to convert it; was that ValueError's text naming no key."""
    code, err = run(capsys, "validate", KQQ, "--set", "beam.E_HER=" + "9" * 5000)
    assert_one_line(code, err, "beam.E_HER")
    path = tmp_path / "c.toml"
    text = KQQ.read_text()
    assert "\n[beam]\n" in text
    path.write_text(text.replace("\n[beam]\n", "\n[beam]\nE_HER = " + "9" * 5000 + "\n", 1))
    code, err = run(capsys, "validate", path)
    assert_one_line(code, err, str(path))


@pytest.mark.parametrize("card, key", [
    ("dark_higgs_KH1", "sin_theta"), ("dark_higgs_KH1", "kappa_cb"), ("dark_higgs_KXX_offshell", "lambda_PhiX"),
    ("singlet_scalar_KSS", "lambda_HS"), ("singlet_scalar_KSS", "kappa_cb"),
])
def test_zero_coupling_refused_by_validate(capsys, card, key):
    """Was: validate says valid at the lower bound 0, generate fails with 'zero width'."""
    code, err = run(capsys, "validate", CARDS / f"{card}.toml", "--set", f"model.{key}=0.0")
    assert_one_line(code, err, f"model.{key}")


def test_every_declared_float_parameter_has_a_finite_range():
    """Every float parameter of every model (and every key of its array-of-tables entries) declares lo and hi."""
    from bkgen.physics.models import MODELS

    for model in MODELS.values():
        for p in model.parameters:
            for q in (p, *p.items):
                if q.kind is float:
                    assert q.lo is not None and q.hi is not None, (model.name, q.name)
                    assert math.isfinite(q.lo) and math.isfinite(q.hi) and q.lo <= q.hi, (model.name, q.name)


def test_every_parameter_at_its_bounds_resolves_or_is_a_card_error():
    """Every decay of every model with each float parameter (and array-of-tables key) at its declared lo and hi:
    the card resolves or raises a one-line CardError; a model condition raising anything else would reach the
    user as a traceback (was: eft's conditions raised ValueError)."""
    from bkgen.config.card import CardError, resolve
    from bkgen.physics.models import MODELS

    for model in MODELS.values():
        defaults = model.defaults()
        for decay in model.decays:
            for p in model.parameters:
                points = []
                if p.kind is float:
                    points = [{p.name: v} for v in (p.lo, p.hi)]
                for item in p.items:
                    if item.kind is float and isinstance(defaults[p.name], list):
                        points += [{p.name: [dict(e, **{item.name: v}) for e in defaults[p.name]]}
                                   for v in (item.lo, item.hi)]
                for point in points:
                    raw = {"process": {"model": model.name, "decay": decay.name}, "model": point}
                    try:
                        resolve(raw)
                    except CardError as exc:
                        assert "\n" not in str(exc) and "allowed" in str(exc), (model.name, point, str(exc))
