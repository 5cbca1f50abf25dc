"""Detector level: q2_rec kinematics, track smearing, efficiency maps (bkgen.detector)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import uproot
from scipy import stats

from bkgen.config.card import load
from bkgen.detector.efficiency import builtin
from bkgen.detector.efficiency import load as load_map
from bkgen.detector.q2rec import beam_four_momentum, minkowski_dot, two_body_q2_rec_range
from bkgen.generate.generator import Generator
from bkgen.physics import inputs
from bkgen.recast import belle2
from bkgen.recast import spectrum as spec_mod

CARDS = Path(__file__).resolve().parents[1] / "cards"
# KS tests below use fixed seeds; a threshold p > 1e-3 has a false-alarm rate of 0.1% per test


def _events(card, n, seed):
    gen = Generator(card)
    out = [s for s, _, _ in gen.events(n, seed)]
    return {k: np.concatenate([s[k] for s in out]) for k in out[0]}, gen


def _sqrt_s(card):
    p = beam_four_momentum(card["beam"])
    return math.sqrt(minkowski_dot(p, p))


def test_q2rec_two_body_flat_between_analytic_endpoints():
    """B0 -> K*0 gamma_D (massless, two-body): with the B spinless, the meson direction in the B frame is
    isotropic, so q2_rec of the K*0 system is uniform between the endpoints of the event's K* mass."""
    card = load(CARDS / "dark_photon_Kstar0_gammaD.toml", ["generation.block_size=4096"])
    ev, _ = _events(card, 20000, 7)
    lo, hi = np.vectorize(lambda m: two_body_q2_rec_range(_sqrt_s(card), inputs.mass(511), m, 0.0))(ev["m_meson"])
    u = (ev["q2_rec"] - lo) / (hi - lo)
    assert u.min() > -1e-9 and u.max() < 1 + 1e-9
    assert u.min() < 2e-3 and u.max() > 1 - 2e-3
    assert stats.kstest(u, "uniform").pvalue > 1e-3


def test_q2rec_kplus_within_per_event_bounds_and_frames():
    """B+ -> K+ nu nubar: at the event's true q2 the kaon energy in the B frame is fixed, so q2_rec lies
    between the two-body endpoints with m_X^2 = q2; the e+e- four-vector of the record gives the same
    q2_rec as the nominal beams when there is no energy spread."""
    card = load(CARDS / "sm_Knunu.toml", ["generation.block_size=4096"])
    ev, gen = _events(card, 8000, 3)
    m_b, m_k = inputs.mass(521), inputs.mass(321)
    rs = _sqrt_s(card)
    lo, hi = np.vectorize(lambda q2: two_body_q2_rec_range(rs, m_b, m_k, math.sqrt(q2)))(ev["q2"])
    assert np.all(ev["q2_rec"] >= lo - 1e-8) and np.all(ev["q2_rec"] <= hi + 1e-8)
    card_e = load(CARDS / "sm_Knunu.toml", ["generation.block_size=4096", 'detector.cm_frame="event"'])
    ev_e, _ = _events(card_e, 8000, 3)
    np.testing.assert_allclose(ev_e["q2_rec"], ev["q2_rec"], atol=1e-9)
    # B rest frame: q2_rec = s/4 + m_K^2 - sqrt(s) E_K with E_K the B-frame kaon energy
    card_r = load(CARDS / "sm_Knunu.toml", ["generation.block_size=4096", 'beam.frame="B_rest"'])
    ev_r, _ = _events(card_r, 2000, 3)
    e_k = (m_b**2 + m_k**2 - ev_r["q2"]) / (2 * m_b)
    np.testing.assert_allclose(ev_r["q2_rec"], rs**2 / 4 + m_k**2 - rs * e_k, rtol=1e-10, atol=1e-9)


def test_resolution_smears_reproducibly():
    over = ["generation.block_size=4096", "detector.resolution=true", "detector.sigma_theta=0.002", "detector.sigma_phi=0.002"]
    card = load(CARDS / "sm_Knunu.toml", over)
    a, _ = _events(card, 6000, 5)
    b, _ = _events(card, 6000, 5)
    np.testing.assert_array_equal(a["q2_rec"], b["q2_rec"])
    c, _ = _events(load(CARDS / "sm_Knunu.toml", ["generation.block_size=4096"]), 6000, 5)
    np.testing.assert_array_equal(a["q2"], c["q2"])
    d = a["q2_rec"] - c["q2_rec"]
    # sqrt(s) dE* ~ 10.58 GeV x O(0.3% x 2 GeV): a spread of a few 0.01 GeV^2
    assert 0.005 < np.std(d) < 0.2


def test_builtin_maps_reproduce_published_total_efficiencies():
    """arXiv:2311.14647: ~8% (ITA) and ~0.4% (HTA); over the maps' own SM null 8.07% and 0.41%."""
    tab = belle2.null_table()
    edges = np.append(tab.lo, tab.hi[-1])
    ita, hta = builtin("ITA"), builtin("HTA")
    assert ita.fold(edges, tab.bf) / tab.bf.sum() == pytest.approx(0.0807, abs=5e-4)
    assert hta.fold(edges, tab.bf) / tab.bf.sum() == pytest.approx(0.00405, abs=1e-4)
    np.testing.assert_allclose(ita.values, belle2.efficiency_from_maps([belle2.CH_A, belle2.CH_B]), atol=1e-6)
    sp = spec_mod.from_card(load(CARDS / "sm_Knunu.toml"))
    assert 0.075 < ita.fold(sp.edges, sp.kplus) / sp.kplus_br < 0.086
    assert 0.0037 < hta.fold(sp.edges, sp.kplus) / sp.kplus_br < 0.0044


def test_efficiency_accept_reject_and_weight():
    base = ["generation.block_size=4096", 'detector.efficiency="ITA"']
    ev_w, _ = _events(load(CARDS / "sm_Knunu.toml", base), 40000, 9)
    ev_a, _ = _events(load(CARDS / "sm_Knunu.toml", base + ['detector.efficiency_mode="accept_reject"']), 40000, 9)
    eff = ev_w["weight"].mean()
    assert 0.075 < eff < 0.086
    n_acc = ev_a["q2"].size
    assert abs(n_acc - 40000 * eff) < 5 * math.sqrt(40000 * eff)
    # accepted events are a subset of the same generated events
    np.testing.assert_array_equal(ev_a["q2"], ev_w["q2"][ev_a["event"]])


def test_accept_reject_run_info_counts_written_events(tmp_path):
    """With the efficiency applied by accept-reject, run_info records the events written, the events
    generated, the unweighting efficiency of the generated ones and the detector acceptance."""
    from bkgen.generate.pipeline import write_root
    from bkgen.io.root import read_metadata

    card = load(CARDS / "sm_Knunu.toml", ["generation.block_size=4096", 'detector.efficiency="ITA"',
                                          'detector.efficiency_mode="accept_reject"'])
    out = tmp_path / "acc.root"
    stats_ = write_root(Generator(card), out, 9, 40000)
    info = json.loads(read_metadata(out)["run_info"])
    with uproot.open(out) as f:
        n_tree = f["events"].num_entries
    assert info["events"] == n_tree == stats_.events < 40000
    assert info["generated_events"] == 40000
    assert info["detector_acceptance"] == pytest.approx(n_tree / 40000)
    # B+ -> K+ nu nubar: the sin^2 theta_nu density is sampled exactly (one trial per generated
    # event), so the efficiency is 1; counted against the written events it would be 40000/n_tree
    assert info["unweighting"]["efficiency"] == pytest.approx(1.0)


def test_user_maps_csv_json_root(tmp_path):
    ref = builtin("HTA")
    csv = tmp_path / "m.csv"
    csv.write_text("q2_lo,q2_hi,eff\n" + "\n".join(
        f"{float(a)!r},{float(b)!r},{float(v)!r}" for a, b, v in zip(ref.edges[:-1], ref.edges[1:], ref.values)))
    js = tmp_path / "m.json"
    js.write_text(json.dumps({"edges": ref.edges.tolist(), "efficiency": ref.values.tolist()}))
    root = tmp_path / "m.root"
    with uproot.recreate(root) as f:
        f["eff"] = (np.asarray(ref.values), np.asarray(ref.edges))
    q = np.linspace(-1, 24, 997)
    for spec in (str(csv), str(js), str(root), f"{root}:eff"):
        np.testing.assert_allclose(load_map(spec)(q), ref(q))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"edges": [0, 1, 2], "efficiency": [0.5, 1.5]}))
    with pytest.raises(ValueError, match="detector.efficiency_map"):
        load_map(str(bad))
    with pytest.raises(ValueError, match="detector.efficiency"):
        load(CARDS / "sm_Knunu.toml", ['detector.efficiency="nonexistent.csv"'])
