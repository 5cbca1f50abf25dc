"""One recast from a card or a generated sample: spectrum, fits, efficiency-level predictions, text."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..detector.efficiency import builtin
from ..detector.escape import DEFAULT_BEYOND
from . import belle2
from . import spectrum as spec_mod
from .fit import FFNuisances, Recast, ff_nuisances, reweight_factors

NO_LIKELIHOOD = (
    "no published Belle II likelihood exists for this final state (the Belle II release covers B+ -> K+ nu nubar "
    "only); shown: its BR and BR x efficiency of the B+ -> K+ ITA/HTA maps applied to its q2 spectrum, "
    "an indication only"
)


def load_spectrum(path: str, overrides: list[str], beyond: str = DEFAULT_BEYOND) -> tuple[spec_mod.Spectrum, dict | None]:
    """A spectrum from a ROOT sample (path ending in .root) or from a card; long-lived Y count as invisible
    when they decay beyond boundary ``beyond`` (bkgen.detector.escape)."""
    if path.lower().endswith(".root"):
        if overrides:
            raise InputError(f"--set {overrides[0]!r}: allowed: only with a card, not with a sample")
        from ..io.sample import open_sample

        smp = open_sample(path)
        return spec_mod.from_sample(path, beyond=beyond, sample=smp), smp.source_card
    from ..config.card import load

    card = load(path, overrides)
    return spec_mod.from_card(card, beyond=beyond), card


def require_invisible(sp: spec_mod.Spectrum, path: str) -> None:
    """InputError unless some of the model looks invisible (nothing to fit against a missing-energy search)."""
    if not sp.br_invisible > 0:
        regions = " or ".join(sp.escape.get("escaped_regions", ())) or "outside"
        raise InputError(
            f"{path!r}: BR(B -> K(*) + invisible) = 0 (total BR {sp.br_total:.3g}): every final state is visible and "
            f"no long-lived state decays {regions}; allowed: a model with an invisible final state or a long-lived "
            "state that escapes the detector")


def model_ff(sp: spec_mod.Spectrum, card, beyond: str = DEFAULT_BEYOND) -> FFNuisances | None:
    """The form-factor nuisances of the fitted B+ -> K+ spectrum ``sp`` of ``card`` (the card itself, or the
    card a sample was generated with): one per eigen-variation of the published covariances of the sets the
    decay uses (bkgen.ff_uncertainty). For a sample the card's relative change per q2_gen bin is applied to
    the sample's histogram. None if there is no K+ spectrum."""
    if card is None or not (sp.kplus_br > 0 and sp.kplus.sum() > 0):
        return None
    v = spec_mod.ff_variations(card, sp.edges, beyond)
    if sp.n_events:
        central = spec_mod.from_card(card, sp.edges, beyond).kplus
        with np.errstate(invalid="ignore", divide="ignore"):
            ru = np.where(central > 0, v.up / central, 1.0)
            rd = np.where(central > 0, v.down / central, 1.0)
        v = spec_mod.FFVariedSpectra(v.labels, sp.kplus * ru, sp.kplus * rd, v.not_propagated)
    return ff_nuisances(v, sp.kplus_br)


def bootstrap(rc: Recast, sp: spec_mod.Spectrum, n_rep: int, seed: int = 1, ff: FFNuisances | None = None) -> dict:
    """Standard deviation of the best-fit BF over multinomial resamplings of the sample's K+ histogram."""
    counts = sp.kplus_counts
    n = int(counts.sum())
    if n == 0 or n_rep < 2:
        return {}
    rng = np.random.default_rng(seed)
    p = counts / n
    vals = {a: [] for a in rc.fits}
    for _ in range(n_rep):
        c = rng.multinomial(n, p).astype(float)
        bins = sp.kplus_br_total * c / sp.n_total
        if sp.kplus_weight_mean is not None:
            bins = bins * sp.kplus_weight_mean
        f = reweight_factors(bins, sp.kplus_br)
        for a, v in rc.best_only(f, ff).items():
            vals[a].append(v)
    return {a: float(np.std(v, ddof=1)) for a, v in vals.items()}


def recast(sp: spec_mod.Spectrum, *, intervals: bool = True, limit: bool = True, n_bootstrap: int = 0,
           rc: Recast | None = None, ff: FFNuisances | None = None) -> dict:
    """Fits of the spectrum's K+ part (``ff``: the new physics as a sample of its own with the model's
    form-factor nuisances, :func:`model_ff`; None: it inherits the SM template's, Belle II's), and the
    efficiency-level indication for channels without a likelihood."""
    rc = Recast() if rc is None else rc
    out = {
        "source": sp.source,
        "bf_reference": rc.bf_ref,
        "bf_sm_template": belle2.BF_SM_TEMPLATE,
        "poi": "BF_NP = r x bf_reference: new-physics B+ -> K+ + invisible on top of the SM signal (kept at its "
               "expectation with its uncertainties)",
        "kplus_br": sp.kplus_br,
        "kplus_br_in_range": float(sp.kplus.sum()),
        "kplus_br_total": sp.kplus_br_total,
        "br_invisible": sp.br_invisible,
        "br_total": sp.br_total,
        "invisibility": {"channels": sp.channels, "escape": sp.escape},
        "n_events": sp.n_events,
    }
    ita, hta = builtin("ITA"), builtin("HTA")
    edges = sp.edges
    if sp.kplus_br > 0 and sp.kplus.sum() > 0:
        factors = reweight_factors(sp.kplus, sp.kplus_br)
        out["efficiency_ita"] = ita.fold(edges, sp.kplus) / sp.kplus_br
        out["efficiency_hta"] = hta.fold(edges, sp.kplus) / sp.kplus_br
        out["fits"] = rc.run(factors, r_model=sp.kplus_br / rc.bf_ref, intervals=intervals, limit=limit, ff=ff)
        out["form_factor_nuisances"] = _ff_info(ff)
        if n_bootstrap and sp.kplus_counts is not None:
            for a, s in bootstrap(rc, sp, n_bootstrap, ff=ff).items():
                out["fits"][a]["bf_np_hat_mc_stat"] = s
        out["factors"] = {belle2.CHANNEL_LABELS[c]: f.tolist() for c, f in factors.items()}
    else:
        out["fits"] = None
    others = {}
    for label, o in sp.others.items():
        b = o["bins"]
        others[label] = {
            "br": o["br"], "br_visible": o["br_visible"], "br_invisible": o["br_invisible"],
            "br_x_eff_ita_map": ita.fold(edges, b), "br_x_eff_hta_map": hta.fold(edges, b),
            "statement": NO_LIKELIHOOD,
        }
    out["channels_without_likelihood"] = others
    return out


def _ff_info(ff: FFNuisances | None) -> dict:
    if ff is None:
        return {"model": "none: the new physics inherits the SM template's form-factor nuisances (Belle II's "
                         "corr_ff_c1..3)"}
    return {"model": "the new-physics sample's own: eigen-variations of the model's form-factor covariance "
                     "(shape and rate; the POI is the rate at the central form factors)",
            "parameters": list(ff.names), "variations": list(ff.labels or []),
            "not_propagated": list(ff.not_propagated or []), "removed_from_np_sample": list(ff.replaces)}


def _fmt_iv(iv, closed=None):
    if iv is None:
        return "-"
    lo = f"{iv[0]:.3g}" if closed is None or closed[0] else f"<{iv[0]:.3g}"
    hi = f"{iv[1]:.3g}" if closed is None or closed[1] else f">{iv[1]:.3g}"
    return f"[{lo}, {hi}]"


def text(res: dict) -> str:
    lines = [f"source   {res['source']}"]
    lines.append(f"B+ -> K+ + invisible (fitted): BR = {res['kplus_br']:.4e} of BR(B+ -> K+ X) = "
                 f"{res['kplus_br_total']:.4e} (in q2_gen [0, {belle2.Q2_GEN_MAX}] GeV^2: {res['kplus_br_in_range']:.4e})")
    esc = res["invisibility"]["escape"]
    if any(c["how"] == "long-lived Y" for c in res["invisibility"]["channels"]) and esc:
        lines.append(f"long-lived states count as invisible when they decay in: {', '.join(esc['escaped_regions'])} "
                     f"({esc['shape']}, {esc['frame']} frame)")
    for c in res["invisibility"]["channels"]:
        if c["how"] != "invisible final state":
            lines.append(f"  {c['label']}: BR {c['br']:.3e}, invisible {c['br_invisible']:.3e} ({c['how']})")
    if res.get("fits"):
        lines.append(f"efficiency (Belle II-derived maps): ITA {100 * res['efficiency_ita']:.2f}%, "
                     f"HTA {100 * res['efficiency_hta']:.3f}%")
        lines.append("POI: BF_NP, new physics on top of the SM signal (BF 4.97e-6, kept with its uncertainties); "
                     "mu_eq = 1 + BF_NP / 4.966e-6")
        ffi = res.get("form_factor_nuisances") or {}
        if "parameters" in ffi:
            sets = sorted({" ".join(v.split()[:2]) for v in ffi["variations"]})
            msg = (f"new-physics form factors: {len(ffi['parameters'])} eigen-variations ({', '.join(sets) or 'none'}) "
                   f"as nuisance parameters on its sample, in place of {', '.join(ffi['removed_from_np_sample'])}")
            if ffi["not_propagated"]:
                msg += f"; not propagated (no covariance): {', '.join(ffi['not_propagated'])}"
            lines.append(msg)
        elif ffi:
            lines.append("new-physics form factors: " + ffi["model"])
        head = (f"{'analysis':<9s} {'BF_NP best fit':>22s} {'68% CL':>22s} {'95% CL':>22s} {'UL95 CLs':>9s} "
                f"{'-2dlnL(SM)':>10s} {'Z':>6s} {'mu_eq':>6s} {'-2dlnL(model)':>13s}")
        lines.append(head)
        for a, r in res["fits"].items():
            bf = f"{r['bf_np_hat']:.3e}"
            if r.get("bf_np_sigma_hesse") is not None:
                bf += f" +- {r['bf_np_sigma_hesse']:.2e}"
            if "bf_np_hat_mc_stat" in r:
                bf += f" (MC {r['bf_np_hat_mc_stat']:.1e})"
            ul = f"{r['bf_np_ul95_cls']:.3g}" if "bf_np_ul95_cls" in r else "-"
            lines.append(
                f"{a:<9s} {bf:>22s} {_fmt_iv(r.get('bf_np_interval68'), r.get('bf_np_interval68_closed')):>22s} "
                f"{_fmt_iv(r.get('bf_np_interval95'), r.get('bf_np_interval95_closed')):>22s} {ul:>9s} "
                f"{r['minus2_dlnl_sm']:10.3f} {r['significance_vs_sm']:6.2f} {r['mu_equivalent']:6.2f} "
                f"{r['minus2_dlnl_model_vs_best']:13.3f}"
            )
        lines.append("-2dlnL(model): the model's predicted BF and shape against the best fit; "
                     "-2dlnL(SM): SM only against the best fit")
    elif res["kplus_br"] == 0:
        lines.append("no B+ -> K+ channel: nothing to fit against the Belle II likelihood")
    for label, o in res["channels_without_likelihood"].items():
        lines.append(f"{label}: BR = {o['br']:.4e} (x meson decay BR {o['br_visible']:.4e}, invisible {o['br_invisible']:.4e}); "
                     f"BR x eff(ITA map) = {o['br_x_eff_ita_map']:.3e}, BR x eff(HTA map) = {o['br_x_eff_hta_map']:.3e}")
    if res["channels_without_likelihood"]:
        lines.append(NO_LIKELIHOOD)
    return "\n".join(lines)
