"""Recast against the published Belle II likelihood (bkgen.recast): likelihood, fits, samples, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bkgen.config.card import dumps, load
from bkgen.generate.generator import Generator
from bkgen.io.root import RootEventWriter
from bkgen.recast import belle2, report
from bkgen.recast import spectrum as spec_mod
from bkgen.recast.fit import Recast, reweight_factors, sm_shape_factors
from bkgen.recast.likelihood import CompiledModel, to_pyhf_spec
from helpers import bkgen_subprocess, extra, pyhf_pars

pyhf = extra("pyhf")

CARDS = Path(__file__).resolve().parents[1] / "cards"


@pytest.fixture(scope="module")
def recast():
    return Recast()


# pyhf 0.7 validates workspaces through jsonschema's deprecated RefResolver
PYHF_WARNINGS = pytest.mark.filterwarnings("ignore:jsonschema.RefResolver is deprecated:DeprecationWarning")


@PYHF_WARNINGS
@pytest.mark.parametrize("hypothesis", ["published", "new_physics"])
def test_likelihood_equals_pyhf(hypothesis):
    """The compiled likelihood equals pyhf's logpdf of the same workspace at random parameter points
    (beyond |alpha| = 1 too, where the interpolation codes switch)."""
    spec = belle2.workspace()
    chans = list(belle2.ANALYSES["combined"])
    cm = CompiledModel(spec, chans, belle2.SIGNAL_SAMPLES)
    rng = np.random.default_rng(2)
    if hypothesis == "published":
        ws_spec = spec
    else:
        factors = {c: rng.uniform(0.0, 3.0, belle2.number_density(c).shape[0]) for c in belle2.SIGNAL_SAMPLES}
        cm.set_signal_scale(factors)
        ws_spec = to_pyhf_spec(spec, chans, belle2.SIGNAL_SAMPLES, factors)
    ws = pyhf.Workspace(ws_spec)
    model = ws.model()
    data = ws.data(model)
    for _ in range(4):
        x = cm.init(rng.uniform(0.5, 4.0))
        x[1:1 + cm.n_alpha] = rng.normal(0.0, 1.2, cm.n_alpha)
        x[1 + cm.n_alpha:] = 1.0 + 0.05 * rng.normal(size=cm.n_gamma)
        ref = float(model.logpdf(pyhf_pars(model, cm, x), data)[0])
        assert -cm.nll(x) == pytest.approx(ref, abs=1e-8)
    v, g = cm.nll_grad(x)
    num = np.array([(cm.nll(x + e) - cm.nll(x - e)) / 2e-6 for e in np.eye(x.size)[:40] * 1e-6])
    np.testing.assert_allclose(g[:40], num, atol=1e-3)


def test_published_fit_reproduced(recast):
    """arXiv:2311.14647: mu = 4.6 +- 1.3 (combined), 5.4 +- 1.5 (ITA); pyhf 0.7.6 on the workspace gives
    4.61 +- 1.32, 5.42 +- 1.45, 2.18 +- 2.04 (HTA)."""
    res = recast.run_published(intervals=False)
    for a in ("combined", "ITA"):
        mu, err = belle2.PUBLISHED_MU[a]
        assert res[a]["mu_hat"] == pytest.approx(mu, abs=0.1)
        assert res[a]["mu_sigma_hesse"] == pytest.approx(err, abs=0.1)
    assert res["HTA"]["mu_hat"] == pytest.approx(belle2.PYHF_MU["HTA"][0], abs=0.05)


def test_sm_shaped_new_physics_reproduces_published_mu(recast):
    """New physics with the SM null's kinematics on top of the SM signal: 1 + r^ is the published mu,
    the significance against SM only is the published distance from mu = 1 (2.7 sigma combined)."""
    res = recast.run(sm_shape_factors(), r_model=0.0, hesse=True)
    for a in ("combined", "ITA"):
        mu, err = belle2.PUBLISHED_MU[a]
        r = res[a]
        assert r["mu_equivalent"] == pytest.approx(mu, abs=0.1)
        assert r["bf_np_sigma_hesse"] / recast.bf_ref == pytest.approx(err, abs=0.1)
        lo, hi = r["bf_np_interval68"]
        assert (hi - lo) / 2 / recast.bf_ref == pytest.approx(err, abs=0.15)
        assert lo < r["bf_np_hat"] < hi < r["bf_np_ul95_cls"] < r["bf_np_interval95"][1] * 1.2
    assert res["combined"]["significance_vs_sm"] == pytest.approx(2.72, abs=0.05)
    assert res["ITA"]["significance_vs_sm"] == pytest.approx(2.93, abs=0.05)
    assert res["HTA"]["mu_equivalent"] == pytest.approx(2.18, abs=0.05)
    # the combined CLs limit checked against pyhf.infer.hypotest (qtilde, asymptotic) on the exported
    # workspace: CLs(r = 5.845) = 0.0500
    assert res["combined"]["bf_np_ul95_cls"] / recast.bf_ref == pytest.approx(5.845, abs=0.03)


def test_bkgen_sm_card_close_to_published(recast):
    """bkgen's SM B+ -> K+ nu nubar (GKvD f+) as the new-physics shape: within 0.2 of the published mu
    (the f+ shapes differ; the ITA efficiency over bkgen's spectrum is 8.2% against 8.07%)."""
    sp, _ = report.load_spectrum(str(CARDS / "sm_Knunu.toml"), [])
    res = recast.run(reweight_factors(sp.kplus, sp.kplus_br), intervals=False, limit=False, hesse=False)
    assert res["combined"]["mu_equivalent"] == pytest.approx(4.6, abs=0.2)
    assert res["ITA"]["mu_equivalent"] == pytest.approx(5.4, abs=0.2)


def _write_sample(tmp_path, n, seed):
    card = load(CARDS / "sm_Knunu.toml", ['beam.frame="B_rest"', "generation.block_size=8192"])
    gen = Generator(card)
    path = tmp_path / f"sm_{n}.root"
    sb, pb = gen.branch_types()
    trials = over = 0
    with RootEventWriter(path, scalar_branches=sb, particle_branches=pb) as w:
        for s, p, st in gen.events(n, seed):
            w.write(s, p)
            trials += st["trials"]
            over += st["overweight"]
        w.close({"card": dumps(card), "run_info": gen.run_info(seed, n, trials, over)})
    return str(path)


def test_sample_results_independent_of_size(tmp_path, recast):
    """Results from samples of 20k and 80k events agree with the card's q2 density within their stated
    Monte Carlo uncertainty (bootstrap), which scales like 1/sqrt(N)."""
    card_sp, _ = report.load_spectrum(str(CARDS / "sm_Knunu.toml"), [])
    exact = recast.best_only(reweight_factors(card_sp.kplus, card_sp.kplus_br))
    stat = {}
    for n, seed in ((20000, 4), (80000, 5)):
        sp = spec_mod.from_sample(_write_sample(tmp_path, n, seed))
        assert sp.kplus_br == pytest.approx(card_sp.kplus_br, rel=1e-9)
        res = report.recast(sp, intervals=False, limit=False, n_bootstrap=12, rc=recast)
        for a in ("ITA", "combined"):
            r = res["fits"][a]
            s = r["bf_np_hat_mc_stat"]
            assert 0 < s < 0.05 * abs(exact[a])
            assert abs(r["bf_np_hat"] - exact[a]) < 4 * s
            stat[(a, n)] = s
    assert stat[("combined", 80000)] < stat[("combined", 20000)]


def test_cli_recast_scan_and_errors(tmp_path):
    res = bkgen_subprocess("recast", CARDS / "dark_photon_KQQ_massless.toml", "--scan", "model.Lambda_TeV=5e4:2e5:3:log",
               "--no-limit", "-o", tmp_path / "scan", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for ext in ("csv", "json", "png", "pdf"):
        assert (tmp_path / f"scan.{ext}").stat().st_size > 0
    table = json.loads((tmp_path / "scan.json").read_text())
    assert len(table["points"]) == 3
    bf = [p["bf_model"] for p in table["points"]]
    assert bf[0] == pytest.approx(16 * bf[2], rel=1e-9)
    hats = [p["combined"]["bf_np_hat"] for p in table["points"]]
    assert max(hats) - min(hats) < 1e-3 * max(hats)  # the shape does not depend on Lambda
    bad = bkgen_subprocess("recast", CARDS / "sm_Knunu.toml", "--scan", "model.x=1:2", cwd=tmp_path)
    assert bad.returncode == 2 and "--scan" in bad.stderr and "Traceback" not in bad.stderr
    bad = bkgen_subprocess("recast", CARDS / "sm_Knunu.toml", "--set", 'detector.efficiency="nope.csv"', cwd=tmp_path)
    assert bad.returncode == 2 and "detector.efficiency" in bad.stderr and "Traceback" not in bad.stderr
    assert list(tmp_path.glob("*.partial*")) == []
