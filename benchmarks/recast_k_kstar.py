"""Combined B -> K X / B -> K* X fit (Belle II likelihood + BaBar and Belle searches) for every shipped card
with a B -> K(*) decay, and the BR(B -> K X) vs BR(B -> K* X) plane of seed 002's Fig. 2 with the Z' operators.

Writes the section "K and K* combination" of benchmarks/RESULTS.md (between its markers),
benchmarks/recast_k_kstar.png and benchmarks/recast_k_kstar.json.

    python benchmarks/recast_k_kstar.py
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from bkgen.config.card import load
from bkgen.config.catalog import CARDS_DIR, names as card_names
from bkgen.errors import InputError
from bkgen.recast import combined, counting
from bkgen.recast.fit import LEVEL_68, Recast
from bkgen.io._atomic import replace_section

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- recast-k-kstar:begin -->", "<!-- recast-k-kstar:end -->"
ZPRIME = ["eft_zprime_dim4_left", "eft_zprime_dim4_right", "eft_zprime_dim4_vector", "eft_zprime_dim4_axial",
          "eft_zprime_dim5_left", "eft_zprime_dim6_left"]
#: seed 002 (slide "Alternative solution: 2-body decay"): Belle II + BaBar combination BR(B -> K X)
SEED002_BR_KX = (5.1e-6, 2.1e-6)


def _fmt(v, iv=None):
    s = f"{v * 1e6:.2f}"
    if iv is not None:
        s += f" [{iv[0] * 1e6:.2f}, {iv[1] * 1e6:.2f}]"
    return s


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    rc = Recast(analyses=("combined",))
    pl = combined.plane(str(CARDS_DIR / "zprime" / "eft_zprime_dim4_left.toml"), rc=rc)
    x, y = pl["x"], pl["y"]
    kx = combined.interval(x, pl["k_only"], LEVEL_68)
    b2x = combined.interval(x, pl["belle2_x"], LEVEL_68)
    ky = combined.interval(y, pl["kstar_only"], 2.706)  # one-sided 90 % of a bounded parameter
    rows, fits = [], {}
    names = card_names() + [f"zprime/{z}" for z in ZPRIME]
    for name in sorted(set(names)):
        path = str(CARDS_DIR / f"{name}.toml")
        try:
            card = load(path)
            combined._final_state(card["process"]["decay"])
            f = combined.fit_card(path, rc=rc)
        except InputError as exc:
            fits[name] = {"skipped": str(exc)}
            continue
        fits[name] = f
        c = f["combined"]
        b2 = f.get("belle2")
        br = f["br_card"]
        rows.append(
            f"| `{name}` | {card['process']['decay']} | {_fmt(br.get('B+->K+', 0.0))} | {_fmt(br.get('B0->K*0', 0.0))} | "
            f"{_fmt(c['br_hat'].get('B+->K+', 0.0), c['br68'].get('B+->K+'))} | "
            f"{_fmt(c['br_hat'].get('B0->K*0', 0.0), c['br68'].get('B0->K*0'))} | "
            f"{_fmt(b2['br_hat']['B+->K+'], b2['br68']['B+->K+']) if b2 else '-'} | "
            f"{c['scale_hat']:.3g} [{c['scale68'][0]:.3g}, {c['scale68'][1]:.3g}] |")
    _plot(pl, fits, HERE / "recast_k_kstar.png")
    (HERE / "recast_k_kstar.json").write_text(json.dumps(
        _rounded({"plane": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in pl.items()},
                  "fits": fits}), default=float))
    wall = time.perf_counter() - t0
    terms = counting.terms()
    text = "\n".join([
        BEGIN,
        "Belle II's B⁺→K⁺νν̄ likelihood (the card's spectrum, its form-factor nuisances) combined with the BaBar and",
        "Belle B→K(*)νν̄ searches as counting likelihoods (`bkgen/recast/counting.py`, data with tables cited in",
        "`bkgen/data/measurements/b_to_kstar_nunu_limits.json`: BaBar PRD 87 (2013) 112005, PRD 82 (2010) 112002,",
        "Belle PRD 87 (2013) 111103, PRD 96 (2017) 091101; B⁺→K⁺, B⁰→K⁰, B⁺→K*⁺, B⁰→K*⁰, "
        f"{len(terms)} terms). Each search's BR per signal event is fixed by its published 90 % limit (uniform prior "
        "on the signal); a new state is assumed to have the SM-kinematics efficiency of each search (valid for "
        "a two-body X of a few GeV in their signal regions; their q²-dependent efficiencies are not public in this form). "
        "The searches measure SM νν̄ + X (SM from bkgen's `eft` at its SM point).",
        "",
        f"Two-body X at m_X = 2 GeV (B⁺→K⁺X spectrum of `eft_zprime_dim4_left` for Belle II): BR(B→K X) = "
        f"{_fmt(kx[0])} × 10⁻⁶, 68 % CL [{kx[1] * 1e6:.2f}, {kx[2] * 1e6:.2f}] × 10⁻⁶ from Belle II + BaBar + Belle "
        f"(Belle II alone {_fmt(b2x[0])} [{b2x[1] * 1e6:.2f}, {b2x[2] * 1e6:.2f}]); seed 002 quotes "
        f"({SEED002_BR_KX[0] * 1e6:.1f} ± {SEED002_BR_KX[1] * 1e6:.1f}) × 10⁻⁶ for Belle II + BaBar. "
        f"BR(B⁰→K*⁰X) < {ky[2] * 1e6:.1f} × 10⁻⁶ (Δχ² = 2.71) from the K* searches.",
        "",
        "![BR(B→K X) vs BR(B→K* X)](recast_k_kstar.png)",
        "",
        "Per card (BRs in 10⁻⁶; fit: one common scale s of the card's rates, i.e. a coupling², Δχ² = 1 intervals;",
        "'Belle II' = its likelihood alone):",
        "",
        "| card | decay | BR(B⁺→K⁺X) card | BR(B⁰→K*⁰X) card | fit BR(B⁺→K⁺X) | fit BR(B⁰→K*⁰X) | Belle II BR(B⁺→K⁺X) | s |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Run time {wall:.0f} s (2-core machine, shared).",
        END,
    ]) + "\n"
    replace_section(args.results, BEGIN, END, text, heading="## K and K* combination (benchmarks/recast_k_kstar.py)")
    print(text)
    return 0


def _rounded(obj):
    """Floats to 4 significant digits (the JSON keeps the grids for re-plotting, not full precision)."""
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(f"{float(obj):.4g}")
    return obj


def _plot(pl, fits, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = pl["x"] * 1e6, pl["y"] * 1e6
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    ax.contourf(x, y, pl["chi2"].T, levels=[0, 2.30, 6.18], colors=["#d62728", "#f4a6a6"], alpha=0.8)
    ax.contour(x, y, pl["chi2"].T, levels=[2.30, 6.18], colors="#8b0000", linewidths=0.8)
    b2 = pl["belle2_x"]
    for lvl, a in ((4.0, 0.12), (1.0, 0.22)):
        inside = x[b2 <= lvl]
        ax.axvspan(inside.min(), inside.max(), color="tab:blue", alpha=a, lw=0)
    kst = pl["kstar_only"]
    ax.axhspan(y[kst <= 4.0].max(), y[-1], facecolor="none", edgecolor="grey", hatch="//", lw=0)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, z in enumerate(ZPRIME):
        f = fits.get(f"zprime/{z}", {})
        br = f.get("br_card")
        if not br:
            continue
        bk, bks = br.get("B+->K+", 0.0), br.get("B0->K*0", 0.0)
        t = np.linspace(0.0, 1.0, 50)
        if bk > 0:
            xs = t * x[-1]
            ys = xs * bks / bk
        else:
            xs, ys = np.zeros_like(t), t * y[-1]
        label = z.replace("eft_zprime_", "").replace("_", " ")
        style = {"eft_zprime_dim4_right": (0, (5, 3)), "eft_zprime_dim6_left": (0, (1, 2))}.get(z, "-")
        ax.plot(xs, ys, color=colors[i % len(colors)], lw=3.0 if bk == 0 else 1.6, ls=style, label=label,
                clip_on=bk > 0)
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    ax.set_xlabel(r"BR($B^+\to K^+ X$) [$10^{-6}$]")
    ax.set_ylabel(r"BR($B^0\to K^{*0} X$) [$10^{-6}$]")
    ax.set_title(r"$m_X$ = 2 GeV: Belle II + BaBar + Belle, $\Delta\chi^2$ = 2.30, 6.18", fontsize=10)
    ax.legend(fontsize=8, loc="upper right", title="Z' operator", title_fontsize=8)
    ax.text(0.02, 0.97, "blue: Belle II alone, 1σ/2σ\nhatched: K* searches, Δχ² > 4\n"
            "dim4 left = right = dim6 left (same K*/K ratio)\ndim4 axial: BR(B→K Z') = 0 (on the axis)",
            transform=ax.transAxes, fontsize=7, va="top",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none"})
    fig.tight_layout()
    fig.savefig(out, dpi=130)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
