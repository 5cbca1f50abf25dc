"""BaBar and Belle B -> K(*) nu nubar counting likelihoods (bkgen.recast.counting) and the combined K/K* fit
(bkgen.recast.combined)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bkgen.errors import InputError
from bkgen.recast import combined, counting

ZPRIME = Path(__file__).resolve().parents[1] / "cards" / "zprime"


def test_every_search_and_mode_is_present_with_its_source():
    """Four searches (BaBar PRD 87 (2013) 112005 and PRD 82 (2010) 112002, Belle PRD 87 (2013) 111103 and
    PRD 96 (2017) 091101), charged and neutral K and K* (BaBar 2010: K only), each citing paper and table."""
    t = counting.terms()
    assert len(t) == 14
    for paper in ("112005", "112002", "111103", "091101"):
        assert any(paper in x.paper for x in t)
    assert {x.mode for x in t} == set(counting.MODES)
    assert all("Table" in x.tables and x.limit90 > 0 for x in t)


def test_counting_likelihood_reproduces_babar_central_value():
    """BaBar's hadronic-tag B+ -> K+ nu nubar: the counting likelihood built from Tables IV-V (6 events over
    2.9 +- 0.1 background) with the BR per event fixed by the 90 % limit 3.7e-5 peaks at the published central
    value BR = (1.5 +1.7 -0.8 +0.4 -0.2) x 10^-5 (arXiv:1303.7465 abstract), within 0.15e-5; and the 90 %
    quantile of every term is its limit (the construction), while -2 Delta lnL at the limit lies between 1.6
    and 3.7 (a one-sided 90 % bound of a Poisson count)."""
    for t in counting.terms():
        g = np.linspace(0.0, 4.0 * t.limit90, 2001)
        q = t.minus2_dlnl(g)
        p = np.exp(-0.5 * q)
        cdf = np.cumsum(p) / p.sum()
        assert np.interp(0.9, cdf, g) == pytest.approx(t.limit90, rel=0.01), (t.measurement, t.mode)
        assert 1.6 < t.minus2_dlnl(t.limit90)[0] < 3.7
        if t.measurement == "BaBar had 2013" and t.mode == "B+->K+":
            assert g[np.argmin(q)] == pytest.approx(1.5e-5, abs=0.15e-5)


def test_two_body_x_combination():
    """m_X = 2 GeV Z' (dim-4 left): Belle II alone gives BR(B+ -> K+ X) in the 1 sigma band of the Belle II-only
    analysis of Gartner et al. arXiv:2602.09666 abstract (9.2 +1.8 -3.4 x 10^-6, m_X free, posterior; here
    m_X fixed, profile: 8.6e-6); the combination with BaBar and Belle lowers it to within seed 002's
    Belle II + BaBar combination (5.1 +- 2.1) x 10^-6 +- its error (seed 002 slide "Alternative solution:
    2-body decay"; a check, not a target: bkgen 6.4e-6) and the K* rates stay below the K* searches' reach."""
    f = combined.fit_card(str(ZPRIME / "eft_zprime_dim4_left.toml"))
    b2 = f["belle2"]["br_hat"]["B+->K+"]
    assert 9.2e-6 - 3.4e-6 < b2 < 9.2e-6 + 1.8e-6
    c = f["combined"]
    assert abs(c["br_hat"]["B+->K+"] - 5.1e-6) < 2.1e-6
    assert c["br68"]["B+->K+"][0] < c["br_hat"]["B+->K+"] < c["br68"]["B+->K+"][1]
    assert c["br_hat"]["B0->K*0"] < 1.8e-5  # Belle 2017 B0 -> K*0 limit
    assert c["br_hat"]["B0->K*0"] / c["br_hat"]["B+->K+"] == pytest.approx(8.62 / 5.10, rel=1e-3)


def test_combined_refuses_a_decay_without_k_modes():
    with pytest.raises(InputError, match="process.decay"):
        combined._final_state("Bs -> phi Z'")


def test_cli_k_kstar_refuses_other_decays(tmp_path):
    """`bkgen recast CARD --k-kstar` on a B_s card: one line naming process.decay, exit 2."""
    from helpers import bkgen_subprocess

    bad = bkgen_subprocess("recast", "dark_photon_phi_gammaD", "--k-kstar", cwd=tmp_path)
    assert bad.returncode == 2 and "process.decay" in bad.stderr and "Traceback" not in bad.stderr
