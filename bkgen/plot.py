"""Figures (matplotlib, mplhep style; PNG and PDF): spectra, Belle II bins, recast scans."""

from __future__ import annotations

import math
import os

import numpy as np

from .recast import belle2


def _plt():
    from .errors import require

    matplotlib = require("plot", "plotting")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplhep

    plt.style.use(mplhep.style.ROOT)
    plt.rcParams.update({"font.size": 13, "axes.labelsize": 14, "legend.fontsize": 11, "figure.dpi": 100})
    return plt, mplhep


def save(fig, prefix: str, overwrite: bool = False) -> list[str]:
    """PREFIX.png and PREFIX.pdf, each written atomically (bkgen.io._atomic)."""
    from .io._atomic import atomic_output, check_target

    parent = os.path.dirname(os.path.abspath(prefix))
    paths = [f"{prefix}.{ext}" for ext in ("png", "pdf")]
    for path in paths:  # both refused before either is written
        check_target(path, overwrite=overwrite)
    os.makedirs(parent, exist_ok=True)
    for path in paths:
        ext = path.rpartition(".")[2]
        with atomic_output(path, overwrite=overwrite) as tmp:
            fig.savefig(tmp, format=ext, dpi=120 if ext == "png" else None, bbox_inches="tight")
    return paths



# -- spectra --------------------------------------------------------------------------------------
def _sm_card(beam: dict, detector: dict) -> dict:
    from .config.card import resolve

    return resolve({"process": {"model": "sm", "decay": "B+ -> K+ nu nubar"}, "beam": dict(beam), "detector": dict(detector)})


def _events(card: dict, n: int, seed: int):
    from .generate.generator import Generator

    gen = Generator(card)
    q2, q2r, w = [], [], []
    for scalars, _, _ in gen.events(n, seed):
        q2.append(scalars["q2"])
        q2r.append(scalars["q2_rec"])
        w.append(scalars["weight"])
    return np.concatenate(q2), np.concatenate(q2r), gen.br


def spectra(path: str, overrides: list[str], prefix: str, n_events: int = 200_000, seed: int = 1,
            overwrite: bool = False) -> list[str]:
    """True q2 (dBF/dq2) of the model and the SM, the reconstructed q2_rec, and q2_rec after the ITA map."""
    from .config.card import load
    from .detector.efficiency import builtin
    from .recast import spectrum as spec_mod

    plt, mplhep = _plt()
    if path.lower().endswith(".root"):
        from .io.sample import EVENT_BRANCHES, open_sample

        smp = open_sample(path, (*EVENT_BRANCHES, "q2_rec"))
        card = smp.source_card
        sp = spec_mod.from_sample(path, sample=smp)
        a = smp.arrays(["q2", "q2_rec"])
        q2, q2r = a["q2"], a["q2_rec"]
        br = smp.info["br"]
    else:
        card = load(path, overrides)
        sp = spec_mod.from_card(card)
        q2, q2r, br = _events(card, n_events, seed)
    det = dict(card["detector"], efficiency="none")
    sm_card = _sm_card(card["beam"], det)
    sm = spec_mod.from_card(sm_card)
    sq2, sq2r, sbr = _events(sm_card, n_events, seed)
    ita = builtin("ITA")
    edges = sp.edges
    width = np.diff(edges)
    fig, axes = plt.subplots(1, 3, figsize=(19, 5.8))
    ax = axes[0]
    if sp.kplus.sum() > 0:
        mplhep.histplot(sp.kplus / width, edges, ax=ax, label="model, $B^+\\to K^+$ + inv.", color="C0", lw=2)
    for i, (label, o) in enumerate(sp.others.items()):
        if o["bins"].sum() > 0:
            mplhep.histplot(o["bins"] / width, edges, ax=ax, label=label, color=f"C{2 + i}", lw=1.5)
    mplhep.histplot(sm.kplus / width, edges, ax=ax, label="SM $K^+\\nu\\bar\\nu$ (bkgen)", color="k", ls="--")
    tab = belle2.null_table()
    mplhep.histplot(tab.bf / width, edges, ax=ax, label="SM null of the Belle II maps", color="grey", ls=":")
    ax.set_xlabel("true $q^2$ [GeV$^2$]")
    ax.set_ylabel("d$\\mathcal{B}$/d$q^2$ [GeV$^{-2}$]")
    ax.set_yscale("log")
    ax.legend(loc="lower left")
    rec_edges = np.linspace(-4.0, 26.0, 61)
    rw = np.diff(rec_edges)
    h_m = np.histogram(q2r, rec_edges)[0] * br / q2r.size / rw
    h_s = np.histogram(sq2r, rec_edges)[0] * sbr / sq2r.size / rw
    ax = axes[1]
    mplhep.histplot(h_m, rec_edges, ax=ax, label="model", color="C0", lw=2)
    mplhep.histplot(h_s, rec_edges, ax=ax, label="SM $K^+\\nu\\bar\\nu$", color="k", ls="--")
    ax.set_xlabel("$q^2_{rec}$ [GeV$^2$]")
    ax.set_ylabel("d$\\mathcal{B}$/d$q^2_{rec}$ [GeV$^{-2}$]")
    ax.set_yscale("log")
    ax.legend(loc="lower left")
    ax = axes[2]
    e_m = np.histogram(q2r, rec_edges, weights=ita(q2))[0] * br / q2r.size / rw
    e_s = np.histogram(sq2r, rec_edges, weights=ita(sq2))[0] * sbr / sq2r.size / rw
    mplhep.histplot(e_m, rec_edges, ax=ax, label="model x ITA eff.", color="C0", lw=2)
    mplhep.histplot(e_s, rec_edges, ax=ax, label="SM x ITA eff.", color="k", ls="--")
    for x in belle2.Q2_REC_EDGES_ITA:
        ax.axvline(x, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("$q^2_{rec}$ [GeV$^2$]")
    ax.set_ylabel("$\\epsilon_{ITA}$ d$\\mathcal{B}$/d$q^2_{rec}$ [GeV$^{-2}$]")
    ax.legend(loc="upper right")
    fig.suptitle(f"{card['process']['model']}: {card['process']['decay']}   (frame: {card['beam']['frame']})", fontsize=14)
    fig.tight_layout()
    paths = save(fig, prefix, overwrite)
    plt.close(fig)
    return paths


# -- Belle II bins --------------------------------------------------------------------------------
def bins(rc, factors: dict, r_model: float | None, prefix: str, analysis: str = "combined",
         overwrite: bool = False) -> list[str]:
    """Observed counts, post-fit background, SM signal and the fitted new physics in every likelihood bin."""
    plt, mplhep = _plt()
    from .recast.fit import single_threaded

    af = rc.fits[analysis]
    af.set_factors(factors)
    fit = single_threaded(af.best)(af._x_best)
    m = af.model
    x = fit.x_hat
    rows = m.expected_rows(x)
    scale = m.sig_a + x[0] * m.sig_g
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(scale != 0, rows / scale, 0.0)
    sig = m.is_signal
    bkg = m.sum_matrix @ np.where(sig, 0.0, rows)
    sm_sig = m.sum_matrix @ np.where(sig, unit * m.sig_a, 0.0)
    np_fit = m.sum_matrix @ np.where(sig, unit * x[0] * m.sig_g, 0.0)
    np_model = m.sum_matrix @ np.where(sig, unit * (r_model or 0.0) * m.sig_g, 0.0) if r_model is not None else None
    data = m.data
    nb = data.size
    edges = np.arange(nb + 1) - 0.5
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(14, 9), sharex=True, gridspec_kw={"height_ratios": [2, 1.3]})
    mplhep.histplot([bkg, sm_sig, np_fit], edges, ax=ax, stack=True, histtype="fill",
                    label=["background (post-fit)", "SM signal", f"new physics, best fit ({x[0] * rc.bf_ref:.2e})"],
                    color=["#9ecae1", "#fd8d3c", "#d62728"])
    ax.errorbar(np.arange(nb), data, yerr=np.sqrt(data), fmt="ko", ms=4, label="data")
    ax.set_yscale("log")
    ax.set_ylabel("events")
    ax.legend(loc="upper right", ncol=2)
    diff = data - bkg
    bx.errorbar(np.arange(nb), diff, yerr=np.sqrt(data), fmt="ko", ms=4, label="data - background")
    mplhep.histplot(sm_sig, edges, ax=bx, color="#fd8d3c", lw=2, label="SM signal")
    mplhep.histplot(sm_sig + np_fit, edges, ax=bx, color="#d62728", lw=2, label="SM + new physics (best fit)")
    if np_model is not None:
        mplhep.histplot(sm_sig + np_model, edges, ax=bx, color="C0", lw=2, ls="--",
                        label=f"SM + model ({r_model * rc.bf_ref:.2e})")
    bx.axhline(0, color="grey", lw=0.8)
    bx.set_ylabel("data - background")
    bx.set_xlabel("likelihood bin")
    bx.legend(loc="upper right", ncol=2, fontsize=10)
    for c, sl in m.channel_slices.items():
        for a_ in (ax, bx):
            a_.axvline(sl.stop - 0.5, color="grey", lw=0.8, ls=":")
        ax.text(0.5 * (sl.start + sl.stop) - 0.5, 0.03, belle2.CHANNEL_LABELS[c], transform=ax.get_xaxis_transform(),
                ha="center", fontsize=10)
    ax.set_title(f"Belle II B+ -> K+ nu nubar likelihood ({analysis}), 362 fb$^{{-1}}$", fontsize=13)
    fig.tight_layout()
    paths = save(fig, prefix, overwrite)
    plt.close(fig)
    return paths


# -- scans ----------------------------------------------------------------------------------------
#: per-analysis numbers of a scan point that :func:`scan` draws
_SCAN_NUMBERS = ("bf_np_hat", "bf_np_ul95_cls", "minus2_dlnl_model_vs_sm", "minus2_dlnl_model_vs_best")


def read_scan_table(path: str) -> dict:
    """The JSON table of ``bkgen recast --scan`` at ``path``, checked for everything :func:`scan` draws;
    one-line :class:`~bkgen.errors.InputError` otherwise."""
    import json

    from .errors import InputError

    allowed = "allowed: a JSON table written by bkgen recast --scan"
    try:
        with open(path, encoding="utf-8") as fh:
            table = json.load(fh)
    except UnicodeDecodeError:
        raise InputError(f"{path!r} is not UTF-8 text; {allowed}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path!r} is not valid JSON ({exc.msg} at line {exc.lineno}); {allowed}") from None
    except RecursionError:
        raise InputError(f"{path!r}: arrays or objects nested too deeply; {allowed}") from None
    except OSError as exc:
        raise InputError(f"{path!r} cannot be read ({exc.strerror or type(exc).__name__}); {allowed}") from None

    def bad(where, value, what):
        text = repr(value)
        text = text[:60] + ("..." if len(text) > 60 else "")
        return InputError(f"{path!r}: {where} = {text}; allowed: {what} ({allowed[9:]})")

    def number(v, finite=True):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and (math.isfinite(v) or (not finite and v != v))

    if not isinstance(table, dict):
        raise bad("the table", table, "a JSON object")
    keys = table.get("keys")
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys) or len(set(keys)) < len(keys):
        raise bad("keys", keys, "a list of the scanned keys (distinct strings)")
    if not isinstance(table.get("card"), str):
        raise bad("card", table.get("card"), "the path of the scanned card")
    points = table.get("points")
    if not isinstance(points, list) or not points:
        raise bad("points", points, "a non-empty list of scan points")
    for i, pt in enumerate(points):
        where = f"points[{i}]"
        if not isinstance(pt, dict) or not isinstance(pt.get("params"), dict):
            raise bad(where, pt, "an object with 'params' and 'bf_model'")
        for k in keys:
            if not number(pt["params"].get(k)):
                raise bad(f"{where}.params[{k!r}]", pt["params"].get(k), "a finite number")
        if not number(pt.get("bf_model")) or pt["bf_model"] < 0:
            raise bad(f"{where}.bf_model", pt.get("bf_model"), "a finite branching fraction >= 0")
        for a in ("combined", "ITA", "HTA"):
            res = pt.get(a)
            if res is None:
                continue
            if not isinstance(res, dict):
                raise bad(f"{where}.{a}", res, "an object of fit results, or null")
            for name in _SCAN_NUMBERS:
                if res.get(name) is not None and not number(res[name], finite=False):
                    raise bad(f"{where}.{a}.{name}", res[name], "a finite number, NaN or null")
            iv = res.get("bf_np_interval68")
            if iv is not None and not (isinstance(iv, list) and len(iv) == 2 and all(number(v, False) for v in iv)):
                raise bad(f"{where}.{a}.bf_np_interval68", iv, "[lower, upper] or null")
    return table


def _series(points, analysis, key):
    return np.array([p.get(analysis, {}).get(key, np.nan) if p.get(analysis) else np.nan for p in points], dtype=float)


#: 2-D confidence regions: Delta chi^2 of two parameters at 68.27 % and 95.45 % (chi^2, 2 dof)
CONTOURS_2D = (2.30, 6.18)


def scan(table: dict, prefix: str, overwrite: bool = False) -> list[str]:
    plt, mplhep = _plt()
    keys = table["keys"]
    pts = table["points"]
    labels = table.get("labels", {})
    if len(keys) == 1:
        k = keys[0]
        xv = np.array([p["params"][k] for p in pts])
        logx = xv.size > 2 and np.all(xv > 0) and np.allclose(np.diff(np.log(xv)), np.log(xv[1] / xv[0]))
        fig, (ax, bx) = plt.subplots(2, 1, figsize=(9, 9), sharex=True)
        ax.plot(xv, [p["bf_model"] for p in pts], "k-", lw=2, label="model BF ($K^+$ channels)")
        for a, c in (("combined", "C3"), ("ITA", "C0"), ("HTA", "C2")):
            y = _series(pts, a, "bf_np_hat")
            if np.all(np.isnan(y)):
                continue
            ax.plot(xv, y, "-", color=c, label=f"best fit BF$_{{NP}}$ ({a})")
            iv = [p.get(a, {}).get("bf_np_interval68") for p in pts]
            if a != "HTA" and all(v is not None for v in iv):
                iv = np.array(iv)
                ax.fill_between(xv, np.maximum(iv[:, 0], 1e-9), iv[:, 1], color=c, alpha=0.2,
                                label=f"68% CL ({a})")
            ul = _series(pts, a, "bf_np_ul95_cls")
            if a == "combined" and not np.all(np.isnan(ul)):
                ax.plot(xv, ul, "--", color=c, label="95% CL upper limit (CLs, combined)")
        ax.set_ylabel("branching fraction")
        ax.set_yscale("log")
        ax.legend(loc="best", fontsize=10)
        for a, c in (("combined", "C3"), ("ITA", "C0"), ("HTA", "C2")):
            y = _series(pts, a, "minus2_dlnl_model_vs_sm")
            if not np.all(np.isnan(y)):
                bx.plot(xv, y, "-", color=c, label=f"model vs SM ({a})")
            y = _series(pts, a, "minus2_dlnl_model_vs_best")
            if not np.all(np.isnan(y)):
                bx.plot(xv, y, ":", color=c, label=f"model vs best fit ({a})")
        bx.axhline(0, color="grey", lw=0.8)
        bx.axhline(3.84, color="grey", lw=0.8, ls="--")
        bx.set_ylabel("$-2\\Delta\\ln L$")
        bx.set_yscale("symlog", linthresh=10)
        bx.set_xlabel(labels.get(k, k))
        bx.legend(loc="best", fontsize=10)
        if logx:
            bx.set_xscale("log")
    else:
        k1, k2 = keys[:2]
        x1 = sorted({p["params"][k1] for p in pts})
        x2 = sorted({p["params"][k2] for p in pts})
        z1 = np.full((len(x2), len(x1)), np.nan)
        z2 = np.full((len(x2), len(x1)), np.nan)
        for p in pts:
            i, j = x2.index(p["params"][k2]), x1.index(p["params"][k1])
            c = p.get("combined")
            if c:
                z1[i, j] = c.get("delta_chi2", np.nan)
                ul = c.get("bf_np_ul95_cls")
                z2[i, j] = p["bf_model"] / ul if ul else np.nan
        fig, axes = plt.subplots(1, 2, figsize=(16, 6.5))
        for ax, z, title in ((axes[0], z1, "$\\Delta\\chi^2$ (profile likelihood, combined)"),
                             (axes[1], z2, "model BF / UL$_{95}$ (CLs), combined")):
            is_chi2 = z is z1
            mesh = ax.pcolormesh(x1, x2, np.minimum(z, 50.0) if is_chi2 else z, shading="nearest", cmap="viridis")
            fig.colorbar(mesh, ax=ax, label="$\\Delta\\chi^2$ (clipped at 50)" if is_chi2 else None)
            if is_chi2 and np.any(np.isfinite(z)):
                levels = [v for v in CONTOURS_2D if np.nanmin(z) < v < np.nanmax(z)]
                if levels:
                    cs = ax.contour(x1, x2, z, levels=levels, colors=["w", "orange"][: len(levels)],
                                    linestyles=["-", "--"][: len(levels)])
                    ax.clabel(cs, fmt={2.30: "68.3%", 6.18: "95.4%"}, fontsize=10)
                i, j = np.unravel_index(np.nanargmin(z), z.shape)
                ax.plot(x1[j], x2[i], "w*", ms=14, label="best fit")
                ax.legend(loc="best", fontsize=10)
            elif not is_chi2 and np.nanmin(z) < 1.0 < np.nanmax(z):
                ax.contour(x1, x2, z, levels=[1.0], colors="w")
            ax.set_xlabel(labels.get(k1, k1))
            ax.set_ylabel(labels.get(k2, k2))
            ax.set_title(title, fontsize=12)
            if all(v > 0 for v in x1) and len(x1) > 2 and np.allclose(np.diff(np.log(x1)), np.log(x1[1] / x1[0])):
                ax.set_xscale("log")
            if all(v > 0 for v in x2) and len(x2) > 2 and np.allclose(np.diff(np.log(x2)), np.log(x2[1] / x2[0])):
                ax.set_yscale("log")
    fig.suptitle(f"recast scan of {os.path.basename(table['card'])}", fontsize=13)
    fig.tight_layout()
    paths = save(fig, prefix, overwrite)
    plt.close(fig)
    return paths
