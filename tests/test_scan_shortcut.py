"""Scans along parameters that only rescale the rate (Model.rate_scaling, bkgen.recast.scan)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bkgen.config.card import load
from bkgen.generate.tables import channel_width
from bkgen.physics.models import get as get_model
from bkgen.recast import spectrum as spec_mod
from bkgen.recast.fit import Recast, reweight_factors
from bkgen.recast.report import model_ff
from bkgen.recast.scan import run_scan

CARDS = Path(__file__).resolve().parents[1] / "cards"
DV_CARD = ['model.g_bs_source="card"', "model.g_bs=1e-8"]


@pytest.mark.parametrize("card, sets", [
    ("dark_photon_KQQ_massless", []), ("dark_vector_KX_benchmark", DV_CARD), ("dark_higgs_KH1", []),
    ("singlet_scalar_KSS", []), ("alp_Ka_benchmark", []), ("alp_Kstar0a_benchmark", []),
])
def test_declared_rate_parameters_only_rescale(card, sets):
    """Every declaration that holds for the card: scaling the parameter by 3 multiplies each channel width
    by 3^power and changes nothing else of the channels (labels, Y lifetime, masses, line shapes)."""
    c = load(CARDS / f"{card}.toml", sets)
    model = get_model(c["process"]["model"])
    decay = model.decay(c["process"]["decay"])
    declared = [r for r in model.rate_scaling if r.holds(c["model"], decay.name)]
    assert declared
    base = decay.build(c["model"])
    w0 = np.array([channel_width(ch, n=24)[0] for ch in base])
    for r in declared:
        p = dict(c["model"])
        p[r.parameter] = 3.0 * p[r.parameter]
        scaled = decay.build(p)
        assert [ch.label for ch in scaled] == [ch.label for ch in base]
        for a, b in zip(base, scaled):
            for f in ("y_ctau", "q2_fixed", "y_breit_wigner", "line_shape", "y_daughters", "visible_br"):
                assert getattr(a, f) == getattr(b, f), (r.parameter, f)
        w1 = np.array([channel_width(ch, n=24)[0] for ch in scaled])
        np.testing.assert_allclose(w1, w0 * 3.0 ** r.power, rtol=1e-10)


def test_declaration_conditions():
    dv = get_model("dark_vector")
    p = dv.defaults()
    assert dv.scaling("g_bs", p, "B+ -> K+ X") is None  # g_bs from eq. 41 / seed 003: follows eps
    assert dv.scaling("g_bs", {**p, "g_bs_source": "card"}, "B+ -> K+ X").power == 2.0
    alp = get_model("alp")
    assert alp.scaling("C_sb_V", alp.defaults(), "B0 -> K*0 a") is None
    assert alp.label("m_a") == "$m_a$ [GeV]"
    assert get_model("massless_dark_photon").label("Lambda_TeV") == "$\\Lambda$ [TeV]"


def test_profile_shortcut_equals_full_refit(recast_combined):
    """The shortcut (one spectrum, fit and profile table per m_X) against a full refit of every point: the
    model's -2 Delta lnL agrees to 0.02 where the table is dense (q < 25), the shape results are the same,
    and the intervals read off the table equal the conditional-fit crossings to 2e-3."""
    scans = [("model.m_X", np.array([1.8, 2.6])), ("model.g_bs", np.array([4e-9, 1.1e-8, 1.6e-8]))]
    card = str(CARDS / "dark_vector_KX_benchmark.toml")
    fast = run_scan(card, DV_CARD, scans, limit=False)
    slow = run_scan(card, DV_CARD, scans, limit=False, intervals=False, shortcut=False)
    assert fast["rate_keys"] == {"model.g_bs": 2.0} and slow["rate_keys"] == {}
    n_dense = 0
    for a, b in zip(fast["points"], slow["points"]):
        assert a["params"] == b["params"]
        assert a["bf_model"] == pytest.approx(b["bf_model"], rel=1e-9)
        fa, fb = a["combined"], b["combined"]
        assert fa["bf_np_hat"] == pytest.approx(fb["bf_np_hat"], rel=1e-5, abs=1e-12)
        if not fa["minus2_dlnl_coarse"]:
            n_dense += 1
            assert fa["minus2_dlnl_model_vs_best"] == pytest.approx(fb["minus2_dlnl_model_vs_best"], abs=0.02)
    assert n_dense >= 4
    card_18 = load(card, [*DV_CARD, "model.m_X=1.8"])
    sp = spec_mod.from_card(card_18)
    ref = recast_combined.run(reweight_factors(sp.kplus, sp.kplus_br), limit=False, hesse=False,
                              ff=model_ff(sp, card_18))["combined"]
    for k in ("bf_np_interval68", "bf_np_interval95"):
        np.testing.assert_allclose(fast["points"][0]["combined"][k], ref[k], rtol=2e-3)


@pytest.fixture(scope="module")
def recast_combined():
    return Recast(analyses=("combined",))


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="error")
    return subprocess.run([sys.executable, "-m", "bkgen", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=900)


def test_cli_scan_prints_intervals_and_limits(tmp_path):
    """A 2 x 3 grid: alpha_D changes the shape (Sommerfeld factor), Lambda only the rate; the printout gives
    best fit, 68.3 %/95 % intervals and the CLs limit (a lower limit on Lambda, rate ~ Lambda^-2) with
    physics labels."""
    res = _cli("recast", CARDS / "dark_photon_KQQ_massless.toml", "--scan", "model.alpha_D=0.5:1.0:2",
               "--scan", "model.Lambda_TeV=4e4:1.6e5:3:log", "-o", tmp_path / "s", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "model.Lambda_TeV ($\\Lambda$ [TeV]): best fit" in out and "model.alpha_D ($\\alpha_D$): best fit" in out
    assert "68.3% CL" in out and "95% CL" in out
    assert out.count("95% CL lower limit (CLs)") == 2
    for ext in ("csv", "json", "png", "pdf"):
        assert (tmp_path / f"s.{ext}").stat().st_size > 0
