"""Thread-count invariance of the written file, the dask backend, reweighting, scans and the bench smoke run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import uproot

from bkgen.cli import main
from bkgen.config.card import load
from bkgen.generate import distributed
from bkgen.generate.generator import Generator
from bkgen.generate.pipeline import write_root
from helpers import extra
from bkgen.ff_uncertainty import channels_varied, dgamma_dq2, eigen_variations
from bkgen.physics.inputs import mass
from bkgen.reweight import Density, form_factor_shift, form_factor_variations, reweight_file, scan

CARDS = Path(__file__).resolve().parent.parent / "cards"
KQQ = str(CARDS / "dark_photon_KQQ_benchmark.toml")
KSTAR = str(CARDS / "sm_Kstar0nunu.toml")
SMALL_BLOCKS = ["generation.block_size=1024"]


def read_all(path) -> dict:
    """All branches as numpy arrays; particle branches (fixed-size arrays) as (n_events, n_particles)."""
    with uproot.open(path) as f:
        return f["events"].arrays(library="np")


def assert_same_events(a, b):
    assert set(a) == set(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def run_cli(*argv):
    return main([str(a) for a in argv])


def test_output_identical_for_any_thread_count(tmp_path):
    from bkgen.generate.threads import get_threads, max_threads, set_threads

    gen = Generator(load(KQQ, SMALL_BLOCKS))
    before = get_threads()
    files = []
    try:
        for threads in sorted({1, max_threads()}):
            set_threads(threads)
            write_root(gen, tmp_path / f"t{threads}.root", 7, 5000)
            files.append(read_all(tmp_path / f"t{threads}.root"))
    finally:
        set_threads(before)
    assert_same_events(files[0], files[-1])


def test_chunked_write_equals_single_pass(tmp_path):
    gen = Generator(load(KQQ, SMALL_BLOCKS))
    n = 5500  # partial last block
    write_root(gen, tmp_path / "a.root", 3, n)
    write_root(gen, tmp_path / "b.root", 3, n, blocks_per_chunk=1)
    assert_same_events(read_all(tmp_path / "a.root"), read_all(tmp_path / "b.root"))


def test_float32_precision_option(tmp_path):
    out = tmp_path / "f32.root"
    assert run_cli("generate", KQQ, "-n", 2000, "-o", out, "--set", 'output.precision="float32"', "--no-progress") == 0
    with uproot.open(out) as f:
        k = int(f["events"]["n_particles"].array(library="np")[0])
        assert f["events"]["px"].interpretation.from_dtype == np.dtype((">f4", (k,)))
        assert f["events"]["q2"].interpretation.from_dtype == np.dtype(">f8")


@pytest.mark.slow
@pytest.mark.dask
@pytest.mark.parametrize("processes", [False, True])
def test_dask_chunks_equal_single_process_run(tmp_path, processes):
    extra("dask.distributed")
    card = load(KQQ, SMALL_BLOCKS + ["generation.events=6000", "generation.seed=11"])
    single = tmp_path / "single.root"
    write_root(Generator(card), single, 11, 6000)
    out = tmp_path / "dist" / "run.root"
    manifest = distributed.run(card, out, workers=2, n_chunks=3, merge=True, processes=processes)
    assert [(c["first_block"], c["n_blocks"]) for c in manifest["chunks"]] == [(0, 2), (2, 2), (4, 2)]
    assert sum(c["events"] for c in manifest["chunks"]) == 6000
    on_disk = json.loads(distributed.manifest_path(out).read_text())
    assert on_disk["seed"] == 11 and on_disk["chunks"] == manifest["chunks"]
    distributed.verify(on_disk, out.parent)
    parts = [read_all(out.parent / c["file"]) for c in manifest["chunks"]]
    combined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    reference = read_all(single)
    assert_same_events(combined, reference)
    assert_same_events(read_all(out), reference)


@pytest.mark.slow
@pytest.mark.dask
def test_dask_recovers_a_lost_worker(tmp_path):
    """A worker process killed while it runs a chunk: the chunk is re-run elsewhere, same events."""
    extra("dask.distributed")
    from dask.distributed import Client

    card = load(KQQ, ["generation.block_size=4096", "generation.events=40000", "generation.seed=5"])
    # bkgen's local cluster (TLS, no HTTP server on a fixed port that another cluster may hold)
    with distributed.local_cluster(2, processes=True) as cluster, Client(cluster, security=cluster.security) as client:
        victim = sorted(client.scheduler_info()["workers"])[0]
        client.run(lambda: __import__("threading").Timer(1.0, os._exit, (1,)).start(), workers=[victim])
        manifest = distributed.run(card, tmp_path / "r.root", n_chunks=10, client=client)
    single = tmp_path / "single.root"
    write_root(Generator(card), single, 5, 40000)
    parts = [read_all(tmp_path / c["file"]) for c in manifest["chunks"]]
    combined = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    assert_same_events(combined, read_all(single))


def test_distributed_bad_input(tmp_path, capsys):
    rc = run_cli("generate", KQQ, "-n", 100, "-o", tmp_path / "x.root", "--workers", 0)
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--workers = 0" in err
    assert not list(tmp_path.iterdir())


def _chi2_same_shape(x1, w1, x2, bins):
    """chi^2/ndf between a weighted and an unweighted histogram of the same normalisation."""
    h1, _ = np.histogram(x1, bins, weights=w1)
    v1, _ = np.histogram(x1, bins, weights=w1 * w1)
    h2, _ = np.histogram(x2, bins)
    s1, s2 = h1.sum(), h2.sum()
    h1, v1, h2n, v2 = h1 / s1, v1 / s1**2, h2 / s2, h2 / s2**2
    ok = (v1 + v2) > 0
    return float(np.sum((h1 - h2n)[ok] ** 2 / (v1 + v2)[ok]) / (ok.sum() - 1))


@pytest.mark.parametrize(
    "card, sets, var",
    [
        (KQQ, ["model.alpha_D=0.3", "model.dark_fermions.mass=0.8"], "q2"),
        (KSTAR, ['model.form_factors_BKstar="BSZ2015-LCSR"'], "cos_theta_meson"),
    ],
    ids=["KQQ_alphaD_mQ", "Kstar_form_factors"],
)
def test_reweighted_sample_matches_direct_generation(tmp_path, card, sets, var):
    n = 60000
    sample = tmp_path / "old.root"
    assert run_cli("generate", card, "-n", n, "--seed", 101, "-o", sample, "--no-progress") == 0
    out = tmp_path / "rw.root"
    assert run_cli("reweight", sample, "-o", out, *sum((["--set", s] for s in sets), []), "--no-ff-variations") == 0
    direct = tmp_path / "new.root"
    direct_sets = [s.replace("model.dark_fermions.mass=0.8", "model.dark_fermions=[{mass=0.8}, {mass=0.8}, {mass=0.8}]")
                   for s in sets]
    assert run_cli("generate", card, "-n", n, "--seed", 202, "-o", direct, "--no-progress",
                   *sum((["--set", s] for s in direct_sets), [])) == 0
    rw, new = read_all(out), read_all(direct)
    w = rw["weight"]
    assert abs(w.mean() - 1.0) < 0.02
    lo, hi = np.min(new[var]), np.max(new[var])
    for x in (var, "q2"):
        bins = np.linspace(min(rw[x].min(), new[x].min()), max(rw[x].max(), new[x].max()), 26)
        chi2 = _chi2_same_shape(rw[x], w, new[x], bins)
        assert chi2 < 2.0, (x, chi2)
    # the reweighting changed the distribution: the unweighted old sample is off
    if var == "q2":
        bins = np.linspace(lo, hi, 26)
        assert _chi2_same_shape(rw[var], np.ones_like(w), new[var], bins) > 5.0


def _mean_q2(chans, q2, w):
    """<q^2> [GeV^2] of the summed channels from dGamma/dq^2 (Gauss-Legendre nodes q2, weights w)."""
    spec = sum(dgamma_dq2(ch, q2) for ch in chans)
    return float((spec * q2) @ w / (spec @ w))


def test_density_is_normalised_and_ff_branches(tmp_path):
    """Mean of p_new/p_old over an old sample is the new normalisation (=1). The eigen-variation branches
    (19 of BSZ 2015 for B -> K*) move the sample's q^2 mean as dGamma/dq^2 of the same variation does;
    run_info records each branch's set, direction and BR. The uncorrelated per-parameter branches remain
    available."""
    sample = tmp_path / "s.root"
    assert run_cli("generate", KSTAR, "-n", 5000, "-o", sample, "--no-progress") == 0
    out = tmp_path / "rw.root"
    summary = reweight_file(sample, out, [])
    assert summary["mean_weight"] == pytest.approx(1.0, abs=1e-9)
    ev = read_all(out)
    ff = sorted(k for k in ev if k.startswith("weight_ff_"))
    assert ff == sorted(f"weight_ff_eig{k}_{t}" for k in range(19) for t in ("up", "down"))
    about = summary["form_factor_variations"]
    assert about["mode"] == "eigen" and {b["set"] for b in about["branches"]} == {"B->K* BSZ2015"}
    for k in ff:
        assert abs(ev[k].mean() - 1.0) < 0.2
    # shape: <q^2> of the weighted sample vs the analytic spectrum, every eigen-variation and sign
    card = load(KSTAR)
    x, w = np.polynomial.legendre.leggauss(200)
    hi = (mass(511) - 0.6) ** 2
    q2, w = 0.5 * hi * (x + 1.0), 0.5 * hi * w
    base = _mean_q2(channels_varied(card), q2, w)
    q2_ev = ev["q2"]
    significance = []
    for v in eigen_variations(card)[0]:
        for tag, sign in (("up", 1.0), ("down", -1.0)):
            wk = ev[f"weight_ff_eig{v.index}_{tag}"]
            shift_mc = float(np.sum(wk * q2_ev) / np.sum(wk) - q2_ev.mean())
            err = float(np.std((wk / wk.mean() - 1.0) * (q2_ev - q2_ev.mean())) / np.sqrt(len(wk)))
            shift = _mean_q2(channels_varied(card, v, sign), q2, w) - base
            assert shift_mc == pytest.approx(shift, abs=4 * err + 1e-4), (v.index, tag, shift_mc, shift, err)
            significance.append(abs(shift) / err)
    assert max(significance) > 10.0  # the check can fail: some variations move <q^2> visibly
    # the old one-parameter-at-a-time branches on request (B -> K: 8 parameters)
    names = [b for b, _ in form_factor_variations(load(str(CARDS / "sm_Knunu.toml")), "parameters")[0]]
    assert names == [f"weight_ff_{p}_{t}" for p in ("a0_f_plus", "a1_f_plus", "a2_f_plus", "a1_f_zero",
                                                    "a2_f_zero", "a0_f_T", "a1_f_T", "a2_f_T") for t in ("up", "down")]


def _write_jagged_copy(src, dst):
    """``src`` rewritten with the earlier layout: particle branches jagged, counted by n_particles."""
    import awkward as ak

    from bkgen.io.root import read_metadata

    ev = read_all(src)
    with uproot.open(src) as f:
        tree = f["events"]
        particles = [b.name for b in tree.branches if len(b.interpretation.inner_shape) == 1]
    scalars = [k for k in ev if k not in particles and k != "n_particles"]
    fields = ", ".join(f"{k}: {ev[k].dtype.newbyteorder('=').name}" for k in particles)
    with uproot.recreate(dst) as f:
        tree = f.mktree("events", {**{k: ev[k].dtype.newbyteorder("=") for k in scalars},
                                   "particles": f"var * {{{fields}}}"},
                        counter_name=lambda _: "n_particles", field_name=lambda _, inner: inner)
        record = ak.from_regular(ak.zip({k: ev[k].astype(ev[k].dtype.newbyteorder("=")) for k in particles}), axis=1)
        tree.extend({**{k: ev[k] for k in scalars}, "particles": record})
        for key, text in read_metadata(src).items():
            f[key] = text
    with uproot.open(dst) as f:
        assert f["events"]["px"].count_branch.name == "n_particles"


def test_reweight_keeps_the_record(tmp_path):
    """Every branch but the weights is copied exactly; files with the earlier jagged layout give the same output."""
    sample = tmp_path / "s.root"
    assert run_cli("generate", KSTAR, "-n", 3000, "-o", sample, "--no-progress") == 0
    reweight_file(sample, tmp_path / "rw.root", ["model.form_factors_BKstar=\"BSZ2015-LCSR\""], ff_variations=False)
    old, rw = read_all(sample), read_all(tmp_path / "rw.root")
    assert set(rw) == set(old)
    k = int(old["n_particles"][0])
    for name in old:
        if name != "weight":
            np.testing.assert_array_equal(rw[name], old[name], err_msg=name)
            assert rw[name].dtype == old[name].dtype, name
    assert rw["px"].shape == (3000, k) and np.all(rw["n_particles"] == k)
    with uproot.open(tmp_path / "rw.root") as f:
        assert f["events"]["px"].interpretation.inner_shape == (k,)
    _write_jagged_copy(sample, tmp_path / "jagged.root")
    reweight_file(tmp_path / "jagged.root", tmp_path / "rw_jagged.root", ["model.form_factors_BKstar=\"BSZ2015-LCSR\""],
                  ff_variations=False)
    assert_same_events(read_all(tmp_path / "rw_jagged.root"), rw)


def test_reweight_outside_support_is_refused(tmp_path, capsys):
    sample = tmp_path / "s.root"
    assert run_cli("generate", KQQ, "-n", 1000, "-o", sample, "--no-progress") == 0
    capsys.readouterr()
    rc = run_cli("reweight", sample, "-o", tmp_path / "rw.root", "--set", "model.dark_fermions.mass=0.2")
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "q2 threshold" in err and "dark_fermions.mass=0.2" in err
    assert not (tmp_path / "rw.root").exists()


def test_form_factor_shift_changes_width():
    card = load(KSTAR)
    base = Density(card).width
    with form_factor_shift("a0_A1", 1.0):
        up = Density(card).width
    assert up > base


def test_scan_matches_info_and_scales():
    res = scan(KQQ, ["model.Lambda_TeV=1e4:1e5:3:log", "alpha_D=0.5:1:2"], ["model.sommerfeld=false"])
    br = np.asarray(res["br"])
    assert br.shape == (3, 2)
    np.testing.assert_allclose(br[0] / br[2], 100.0, rtol=1e-10)  # 1/Lambda^2
    np.testing.assert_allclose(br[:, 1] / br[:, 0], 2.0, rtol=1e-10)  # alpha_D without the SF factor
    card = load(KQQ, ["model.sommerfeld=false", "model.Lambda_TeV=1e5", "model.alpha_D=1.0"])
    assert br[2, 1] == pytest.approx(Generator(card).br, rel=1e-12)


def test_scan_cli_plot_and_bad_grid(tmp_path, capsys):
    png = tmp_path / "scan.png"
    assert run_cli("scan", KQQ, "--grid", "alpha_D=0.5:1:3", "--plot", png) == 0
    assert png.stat().st_size > 1000
    capsys.readouterr()
    assert run_cli("scan", KQQ, "--grid", "alpha_D=0.5:1") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--grid 'alpha_D=0.5:1'" in err


@pytest.mark.slow
def test_bench_smoke(tmp_path):
    out = tmp_path / "RESULTS.md"
    other = "<!-- other:begin -->\n## Another benchmark's section\n<!-- other:end -->\n"
    out.write_text(other)
    assert run_cli("bench", "--smoke", "--results", out) == 0
    assert run_cli("bench", "--smoke", "--results", out) == 0  # refreshed in place, not appended twice
    text = out.read_text()
    assert "| sm_Knunu | 1 |" in text and "limit" in text
    assert text.startswith(other) and text.count("<!-- bench:begin -->") == 1  # the other section is kept
