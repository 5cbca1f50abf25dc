"""The ``bkgen`` command (also ``python -m bkgen``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

from .errors import InputError
from . import __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2
        self.exit(2, f"bkgen: error: {message}\n")


def _add_set(p):
    p.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="override a card value (repeatable), e.g. --set model.alpha_D=0.5",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bkgen", description="Monte Carlo generator for B -> K(*) + invisible dark-sector decays")
    parser.add_argument("--version", action="version", version=f"bkgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    g = sub.add_parser("generate", help="generate unweighted events into a ROOT file")
    g.add_argument("card")
    g.add_argument("-n", "--events", type=int, help="number of events (default: generation.events)")
    g.add_argument("--seed", type=int, help="random seed (default: generation.seed)")
    g.add_argument("-o", "--output", help="output file (default: output.file)")
    g.add_argument(
        "--format", choices=("root", "hepmc3", "hepmc2", "lhe"), default=None,
        help="output format (default: output.format): ROOT TTree, HepMC3 or HepMC2 ASCII, or Les Houches events "
             "(beam.frame = 'cms' only)",
    )
    g.add_argument("--force", action="store_true", help="overwrite an existing output file")
    g.add_argument("--threads", type=int, help="number of threads (default: all cores)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--workers", type=int, help="run on a local dask cluster of N worker processes (one file per chunk)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="run on the dask cluster at ADDRESS (one file per chunk)")
    g.add_argument("--chunks", type=int, help="number of chunks of a distributed run (default: 4 per worker)")
    g.add_argument("--merge", action="store_true", help="chunked run: also merge the chunk files into the output")
    g.add_argument(
        "--resume", action="store_true",
        help="chunked run: keep the complete chunk files of an interrupted run and generate only the rest",
    )
    _add_set(g)

    i = sub.add_parser("info", help="widths, branching ratios and per-channel table of a card")
    i.add_argument("card")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.add_argument("--ff-uncertainty", action="store_true",
                   help="also the correlated form-factor uncertainty of the BRs (eigen-variations; slower)")
    i.add_argument("--mc", action="store_true",
                   help="also the Monte Carlo estimates of long-lived decays (displacement.info_events events)")
    _add_set(i)

    v = sub.add_parser("validate", help="check a card without running it")
    v.add_argument("card")
    _add_set(v)

    b2 = sub.add_parser("basf2", help="basf2 steering for a card's sample (full simulation hand-off)")
    b2.add_argument("card")
    b2.add_argument("-o", "--output", help="write the steering to this file, and its EvtGen user decay file "
                                           "beside it (.dec), instead of printing the steering")
    b2.add_argument("--input", dest="input_format", choices=("auto", "hepmc2", "lhe"), default="auto",
                    help="event file basf2 reads: HepMC2 (HepMCInput; default) or LHE (LHEInput, prompt cards in "
                         "the CMS frame only); auto = the card's output.format if it is one of them")
    b2.add_argument("--events", help="path of that event file (default: output.file, or its .hepmc2 sibling)")
    b2.add_argument("--exp", type=int, default=0, help="experiment number basf2 gives the events (default 0)")
    b2.add_argument("--run", type=int, default=0, help="run number basf2 gives the events (default 0)")
    b2.add_argument("--force", action="store_true", help="overwrite existing output files")
    _add_set(b2)

    sub.add_parser("list", help="list models and their decays")

    cd = sub.add_parser("cards", help="list the shipped cards (usable by name), or copy them")
    cd.add_argument("--copy", metavar="DIR", help="copy every shipped card into DIR")
    cd.add_argument("--force", action="store_true", help="with --copy: overwrite existing files")

    r = sub.add_parser("reweight", help="reweight a sample to another parameter point (no regeneration)")
    r.add_argument("sample", help="ROOT file written by bkgen generate")
    r.add_argument("-o", "--output", required=True, help="output ROOT file")
    r.add_argument("--force", action="store_true", help="overwrite an existing output file")
    r.add_argument("--ff-variations", choices=("eigen", "parameters", "none"), default="eigen",
                   help="form-factor weight branches: eigen-variations of the published covariances (default), "
                        "+-1 sigma of each parameter alone (uncorrelated), or none")
    r.add_argument("--no-ff-variations", action="store_true", help="no form-factor weight branches (= none)")
    _add_set(r)

    s = sub.add_parser("scan", help="widths and BRs over a parameter grid (no events)")
    s.add_argument("card")
    s.add_argument("--grid", action="append", default=[], metavar="KEY=START:STOP:N[:log]",
                   help="a scan axis (repeatable), e.g. --grid model.alpha_D=0.1:1:10")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--plot", metavar="FILE", help="plot BR over the grid (matplotlib)")
    s.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    _add_set(s)

    b = sub.add_parser("bench", help="throughput benchmarks (see benchmarks/)")
    b.add_argument("cards", nargs="*", help="cards, paths or shipped names (default: every shipped card)")
    b.add_argument("--smoke", action="store_true", help="a few seconds: one card, small N, no peers")
    b.add_argument("-n", "--events", type=int, help="events per timed run")
    b.add_argument("--repeats", type=int, default=3, help="timed runs per figure (median)")
    b.add_argument("--no-peers", action="store_true", help="skip phasespace, Pythia 8 and NumPy")
    b.add_argument("--memory", action="store_true", help="also measure peak RSS against N")
    b.add_argument("--memory-events", metavar="N1,N2,...",
                   help="event counts of the peak-RSS runs (default: N/4, N, 4N); e.g. 1e6,1e7,1e8")
    b.add_argument("--results", metavar="FILE", help="write the Markdown report here (e.g. benchmarks/RESULTS.md)")

    rc = sub.add_parser("recast", help="fit a model against the published Belle II B+ -> K+ nu nubar likelihood")
    rc.add_argument("input", metavar="CARD_OR_SAMPLE", nargs="?",
                    help="a card (q2 density, no events) or a ROOT sample (none with --wet)")
    rc.add_argument("--wet", action="store_true",
                    help="the Belle II WET reinterpretation (arXiv:2507.12393): |C_VL+C_VR|, |C_SL+C_SR|, |C_TL| "
                         "through the combined likelihood with its form factors; best fit and profile intervals")
    rc.add_argument("--k-kstar", action="store_true",
                    help="fit the card's final state in B+ -> K+, B0 -> K0, B+ -> K*+, B0 -> K*0 (one rate scale) to "
                         "Belle II + the BaBar and Belle B -> K(*) nu nubar searches")
    rc.add_argument("--posterior", action="store_true",
                    help="with --wet: also marginal posteriors for uniform priors |C| in [0, 20] (a grid of "
                         "profile fits, a few minutes)")
    rc.add_argument("--json", action="store_true", help="machine-readable output")
    rc.add_argument("--scan", action="append", default=[], metavar="SECTION.KEY=START:STOP:N[:log]",
                    help="scan axis (repeatable, a grid); e.g. --scan model.Lambda_TeV=2e4:2e5:20:log")
    rc.add_argument("-o", "--output", metavar="PREFIX",
                    help="scan: PREFIX.csv/.json/.png/.pdf (default outputs/recast_scan); point: PREFIX.json")
    rc.add_argument("--plot", metavar="PREFIX", help="also plot the Belle II bins with the fit (PREFIX.png/.pdf)")
    rc.add_argument("--no-intervals", action="store_true", help="skip the profile-likelihood intervals")
    rc.add_argument("--no-limit", action="store_true", help="skip the CLs upper limit")
    rc.add_argument("--bootstrap", type=int, default=20, metavar="N",
                    help="resamplings for the MC-statistical error of a sample's result (default 20, 0: none)")
    rc.add_argument("--published", action="store_true", help="also fit the published model (mu on the SM template)")
    rc.add_argument("--belle2-ff", action="store_true",
                    help="the new physics inherits Belle II's SM form-factor nuisances instead of carrying the "
                         "model's own form-factor eigen-variations")
    rc.add_argument("--export-workspace", metavar="FILE", help="write the pyhf workspace of the hypothesis (POI mu_np)")
    rc.add_argument("--force", action="store_true", help="overwrite existing output files")
    rc.add_argument("--analyses", default="combined", metavar="A[,B]",
                    help="scan: analyses fitted at every point (ITA, HTA, combined; default combined)")
    rc.add_argument("--no-shortcut", action="store_true",
                    help="scan: refit every point (no profile shortcut along rate-only parameters)")
    rc.add_argument("--escape-beyond", choices=["klm", "calorimeter"], default="klm",
                    help="a long-lived state with visible decays counts as invisible when it decays beyond this "
                         "boundary of the [displacement] geometry (default klm: outside the detector)")
    _add_set(rc)

    pl = sub.add_parser("plot", help="figures: q2 spectra, Belle II bins, recast scans (PNG and PDF)")
    pl.add_argument("what", choices=["spectra", "bins", "scan"])
    pl.add_argument("input", help="spectra, bins: a card or a ROOT sample; scan: a recast scan JSON table")
    pl.add_argument("-o", "--output", required=True, metavar="PREFIX", help="writes PREFIX.png and PREFIX.pdf")
    pl.add_argument("-n", "--events", type=int, default=200_000, help="events generated for q2_rec from a card")
    pl.add_argument("--force", action="store_true", help="overwrite existing output files")
    _add_set(pl)
    return parser


def _cmd_list(args) -> int:
    from .physics.models import MODELS

    for model in MODELS.values():
        print(f"{model.name}: {model.doc}  [{model.source}]")
        for d in model.decays:
            print(f"    {d.name:<24s} {d.doc}")
        for p in model.parameters:
            unit = f" [{p.unit}]" if p.unit else ""
            print(f"    - {p.name}{unit} = {p.default!r}: {p.doc}")
    return 0


def _cmd_cards(args) -> int:
    from .config import catalog

    if args.copy is not None:
        paths = catalog.copy(args.copy, overwrite=args.force)
        print(f"copied {len(paths)} cards to {args.copy}")
        return 0
    width = max(map(len, catalog.names()))
    for name in catalog.names():
        print(f"{name:<{width}s}  {catalog.describe(name)}")
    print(f"({catalog.CARDS_DIR}; run one by name, e.g. bkgen generate {catalog.names()[-1]})")
    return 0


def _cmd_validate(args) -> int:
    from .config.card import load

    card = load(args.card, args.set)
    print(f"{args.card}: valid ({card['process']['model']}: {card['process']['decay']})")
    return 0


def _cmd_info(args) -> int:
    from .api import summary
    from .config.card import load

    # central values by default; the Monte Carlo estimates (events generated) only with --mc
    card = load(args.card, list(args.set) + ([] if args.mc else ["displacement.info_events=0"]))
    s = summary(card, ff_uncertainty=args.ff_uncertainty)
    if args.json:
        print(json.dumps(s, indent=1, default=float))
        return 0
    print(f"model  {s['model']}")
    print(f"decay  {s['decay']}")
    print(f"Gamma  = {s['width_GeV']:.6e} +- {s['width_error_GeV']:.1e} GeV")
    print(f"BR     = {s['br']:.6e} +- {s['br_error']:.1e}   (Gamma_B from PDG lifetime)")
    print(f"BR x BR(meson decay in record) = {s['br_visible']:.6e}")
    print(f"{'channel':<52s} {'Gamma [GeV]':>13s} {'BR':>12s} {'fraction':>9s}")
    for c in s["channels"]:
        print(f"{c['label']:<52s} {c['width']:13.5e} {c['br']:12.5e} {c['width'] / s['width_GeV']:9.4f}")
    _print_extra(s.get("extra", {}), "")
    if "ff_uncertainty" in s:
        _print_ff_uncertainty(s["ff_uncertainty"])
    return 0


def _print_ff_uncertainty(u: dict) -> None:
    """The correlated form-factor uncertainty of ``bkgen info --ff-uncertainty``."""
    if u["n_variations"]:
        sets = ", ".join(u["sets"])
        print(f"form-factor uncertainty ({u['n_variations']} eigen-variations, linear; sets: {sets})")
        rel = u["br_sigma"] / u["br"] if u["br"] else 0.0
        print(f"BR     = {u['br']:.6e} +- {u['br_sigma']:.2e} ({100 * rel:.1f} %)")
        for c in u["channels"]:
            print(f"{c['label']:<52s} {c['br']:12.5e} +- {c['br_sigma']:.2e}")
    else:
        print("form-factor uncertainty: none propagated")
    for name in u["not_propagated"]:
        print(f"not propagated: {name} (no published covariance)")
    if u.get("extra_sigma"):
        print("form-factor uncertainty (1 sigma) of the model quantities above:")
        _print_extra(u["extra_sigma"], "sigma ")


def _print_extra(d: dict, prefix: str) -> None:
    """Model-provided summary entries (Decay.extension), one 'key = value' line each."""
    for key, value in d.items():
        if isinstance(value, dict):
            _print_extra(value, f"{prefix}{key}.")
        else:
            text = f"{value:.6g}" if isinstance(value, float) else str(value)
            print(f"{prefix}{key} = {text}")


def _open_writer(card, gen, out, force):
    """The event writer of the card's output format."""
    from .generate.pipeline import open_writer

    return open_writer(gen, out, force)


#: bytes written per particle entry and per event (uncompressed), for the disk-space check
_TEXT_FORMAT_FACTOR = 3.0


def _check_disk_space(card, out, n_events, copies: int = 1) -> None:
    """Refuse a run whose uncompressed output would not fit on the target's file system;
    ``copies`` = 2 for a chunked run with --merge (the chunk files and the merged file)."""
    import shutil

    from .generate.generator import PARTICLE_BRANCHES, SCALAR_BRANCHES

    per_particle = sum(np.dtype(t).itemsize for t in PARTICLE_BRANCHES.values())
    per_event = sum(np.dtype(t).itemsize for t in SCALAR_BRANCHES.values()) + 12 * per_particle
    if card["generation"]["hadronise"]:  # the hadron block: ~6-15 entries per hadronised pair; 40 bounds it
        per_event += 40 * per_particle
    if card["output"]["format"] != "root":
        per_event *= _TEXT_FORMAT_FACTOR
    need = per_event * n_events * copies
    parent = os.path.dirname(os.path.abspath(out))
    probe = parent
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    free = shutil.disk_usage(probe).free
    if need > free:
        raise InputError(
            f"generation.events = {n_events} needs up to {need / 1e9:.3g} GB at {parent!r}"
            + (" (chunk files and the merged file)" if copies > 1 else "") + f", {free / 1e9:.3g} GB free; "
            "allowed: fewer events, another output.file, or more space"
        )


def _cmd_generate(args) -> int:
    import gc

    chunked = args.workers is not None or args.scheduler is not None or args.chunks is not None or args.merge or args.resume
    if chunked:
        return _generate(args, chunked)
    from .kernels import precompile

    collecting = gc.isenabled()
    # the start-up (imports, tables, a compile) makes some 10^6 objects, most alive to the end: no
    # garbage collection until the events (_collect_from_here); it took 0.1 s warm and 1.7 s cold
    gc.disable()
    try:
        precompile.start_early()  # on a cold cache the compile helper starts now, before numba is imported here
        return _generate(args, chunked, gc_paused=collecting)
    finally:
        precompile.discard_early()  # a run that ended before its compile (bad input) leaves no helper
        if collecting:
            gc.enable()


def _collect_from_here(compiled: bool) -> None:
    """Resume garbage collection for the event loop: a compile's garbage is collected once, and the objects
    alive now (modules, kernels, tables) are frozen, so that later collections do not scan them again."""
    import gc

    if compiled:
        gc.collect()
    gc.freeze()
    gc.enable()


def _generate(args, chunked: bool, gc_paused: bool = False) -> int:
    from .config.card import dumps, load
    from .io._atomic import check_target

    overrides = list(args.set)
    if args.events is not None:
        overrides.append(f"generation.events={args.events}")
    if args.seed is not None:
        overrides.append(f"generation.seed={args.seed}")
    if args.output is not None:
        overrides.append(f"output.file={json.dumps(args.output)}")
    if args.format is not None:
        overrides.append(f"output.format={json.dumps(args.format)}")
    card = load(args.card, overrides)
    out = card["output"]["file"]
    if not out:
        raise InputError("output.file is empty; allowed: a path, given in the card or with -o FILE")
    # an existing file (without --force; --resume finishes a chunked run), a special file, the card itself
    check_target(out, overwrite=args.force or args.resume)
    if args.threads is not None:
        from .generate.threads import max_threads, set_threads

        if not 1 <= args.threads <= max_threads():
            raise InputError(f"--threads = {args.threads}; allowed: 1..{max_threads()}")
        set_threads(args.threads)
    n_events = card["generation"]["events"]
    seed = card["generation"]["seed"]
    _check_disk_space(card, out, n_events, copies=2 if args.merge else 1)
    if chunked:  # one file per chunk plus a manifest; in this process unless a cluster is given
        from .generate.distributed import run_cli

        return run_cli(card, args)
    from .generate.compile_status import compile_status
    from .generate.generator import Generator

    with compile_status() as compiled:  # a status line on a terminal while numba compiles (first run only)
        gen = Generator(card)
        gen.compile()
    # the writers' modules (uproot, awkward: some 0.4 s) only now: on a cold cache the compile, which
    # the helper process's share of it waits for, starts that much earlier
    from .generate.pipeline import basf2_metadata, run_to_writer

    if gc_paused:
        _collect_from_here(compiled.count > 0)
    progress = None
    if not args.no_progress and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=n_events, unit="ev", unit_scale=True, file=sys.stderr)
    t0 = time.perf_counter()
    trials = overweight = 0
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    with _open_writer(card, gen, out, args.force) as writer:
        run = run_to_writer(gen, writer, seed, n_events, progress=progress)
        trials, overweight = run.trials, run.overweight
        writer.close({"card": dumps(card), "run_info": gen.run_info(seed, run.events, trials, overweight,
                                                                    run.generated), **basf2_metadata(gen)})
    if progress is not None:
        progress.close()
    dt = time.perf_counter() - t0
    print(
        f"wrote {run.events} events to {out} in {dt:.2f} s ({n_events / dt:.3g} generated ev/s); "
        f"BR = {gen.br:.4e}; unweighting efficiency {run.efficiency:.3f}; overweight {overweight}"
        + (f"; detector acceptance {run.events / n_events:.3f}" if run.events != n_events else "")
        + (f"; kernels compiled in {compiled.seconds:.1f} s (first run only)" if compiled.count else "")
    )
    return 0


def _cmd_basf2(args) -> int:
    from pathlib import Path

    from .config.card import load
    from .generate.generator import Generator
    from .io.basf2 import decay_file, steering

    gen = Generator(load(args.card, args.set))
    dec = str(Path(args.output).with_suffix(".dec")) if args.output is not None else None
    text = steering(gen, events_file=args.events, input_format=args.input_format, exp=args.exp, run=args.run,
                    dec_file=Path(dec).name if dec else None)
    if args.output is None:
        print(text, end="")
        return 0
    _check_outputs(args.force, args.output, dec)
    _write_text(args.output, text, args.force)
    _write_text(dec, decay_file(gen), args.force)
    print(f"wrote {args.output} and {dec}")
    return 0


def _cmd_reweight(args) -> int:
    from .reweight import reweight_file

    reweight_file(args.sample, args.output, args.set, ff_variations="none" if args.no_ff_variations else args.ff_variations,
                  overwrite=args.force, log=print)
    return 0


def _cmd_scan(args) -> int:
    from .reweight import plot_scan, scan

    res = scan(args.card, args.grid, args.set)
    if args.plot:
        plot_scan(res, args.plot, overwrite=args.force)
    if args.json:
        print(json.dumps(res, indent=1))
        return 0
    import numpy as np

    names = res["parameters"]
    print(" ".join(f"{n:>22s}" for n in names) + f" {'Gamma [GeV]':>13s} {'BR':>12s} {'BR x BR(vis)':>12s}")
    values = [np.asarray(v) for v in res["values"]]
    width, br, brv = (np.asarray(res[k]) for k in ("width_GeV", "br", "br_visible"))
    for idx in np.ndindex(*width.shape):
        print(" ".join(f"{values[a][i]:22.6g}" for a, i in enumerate(idx)) + f" {width[idx]:13.5e} {br[idx]:12.5e} {brv[idx]:12.5e}")
    return 0


def _cmd_bench(args) -> int:
    from .bench import main as bench_main

    return bench_main(args)


def _cmd_recast(args) -> int:
    # argument conflicts first (one line, no heavy imports)
    if args.wet and (args.input is not None or args.scan or args.set):
        raise InputError("--wet takes no CARD_OR_SAMPLE, --scan or --set; allowed: bkgen recast --wet [--posterior] "
                         "[--json] [-o PREFIX]")
    if args.posterior and not args.wet:
        raise InputError("--posterior: allowed: only with --wet")
    if args.input is None and not args.wet:
        raise InputError("recast: CARD_OR_SAMPLE is missing; allowed: a card or a ROOT sample, or --wet")
    from .recast import report
    from .recast.fit import Recast, reweight_factors

    if args.bootstrap < 0:
        raise InputError(f"--bootstrap = {args.bootstrap}; allowed: an integer >= 0")
    # every output refused (existing without --force, special file, an input) before the fit runs
    _check_outputs(args.force, args.export_workspace, args.output and f"{args.output}.json",
                   *_figures(args.plot))
    if args.wet:
        return _recast_wet(args)
    if args.scan:
        return _recast_scan(args)
    if args.k_kstar:
        return _recast_k_kstar(args)
    sp, card = report.load_spectrum(args.input, args.set, beyond=args.escape_beyond)
    report.require_invisible(sp, args.input)
    rc = Recast()
    t0 = time.perf_counter()
    ff = None if args.belle2_ff else report.model_ff(sp, card, args.escape_beyond)
    res = report.recast(sp, intervals=not args.no_intervals, limit=not args.no_limit, n_bootstrap=args.bootstrap, rc=rc,
                        ff=ff)
    res["seconds"] = time.perf_counter() - t0
    if args.published:
        res["published_fit"] = rc.run_published()
    if args.export_workspace or args.plot:
        if not res.get("fits"):
            raise InputError(f"{args.input!r} has no B+ -> K+ channel; allowed with --plot/--export-workspace: a K+ model")
        factors = reweight_factors(sp.kplus, sp.kplus_br)
    if args.export_workspace:
        _write_text(args.export_workspace, json.dumps(rc.pyhf_workspace(factors, ff=ff), indent=1), args.force)
    if args.plot:
        from .plot import bins

        res["plots"] = bins(rc, factors, sp.kplus_br / rc.bf_ref, args.plot, overwrite=args.force)
    if args.output:
        _write_text(f"{args.output}.json", json.dumps(res, indent=1, default=float), args.force)
    if args.json:
        print(json.dumps(res, indent=1, default=float))
    else:
        print(report.text(res))
        if args.published:
            for a, r in res["published_fit"].items():
                print(f"published model ({a}): mu = {r['mu_hat']:.3f} +- {r['mu_sigma_hesse']:.3f} (Hesse), "
                      f"68% CL [{r['mu_interval68'][0]:.3f}, {r['mu_interval68'][1]:.3f}]")
        print(f"({res['seconds']:.1f} s)")
    return 0


def _recast_k_kstar(args) -> int:
    from .recast import combined

    if args.input.lower().endswith(".root"):
        raise InputError(f"--k-kstar with {args.input!r}: allowed: a card (the other modes need the model)")
    t0 = time.perf_counter()
    res = combined.fit_card(args.input, args.set)
    res["seconds"] = time.perf_counter() - t0
    if args.output:
        _write_text(f"{args.output}.json", json.dumps(res, indent=1, default=float), args.force)
    if args.json:
        print(json.dumps(res, indent=1, default=float))
        return 0
    print(f"card {args.input}: BR of its final state per mode (invisible part): "
          + ", ".join(f"{m} {v:.3e}" for m, v in res["br_card"].items()))
    print("fit of one rate scale s (a coupling squared), Delta chi^2 = 1 (68 %) intervals:")
    for name, label in (("combined", "Belle II + BaBar + Belle"), ("belle2", "Belle II alone"),
                        ("babar_belle", "BaBar + Belle")):
        r = res.get(name)
        if r is None:
            continue
        brs = ", ".join(f"{m} {r['br_hat'][m]:.2e} [{r['br68'][m][0]:.2e}, {r['br68'][m][1]:.2e}]"
                        for m in r["br_hat"] if res["br_card"][m] > 0)
        print(f"  {label:<25s} s = {r['scale_hat']:.3g} [{r['scale68'][0]:.3g}, {r['scale68'][1]:.3g}]: {brs}")
    print(f"({res['seconds']:.1f} s)")
    return 0


def _recast_wet(args) -> int:
    from .recast import wet

    res = wet.run(posterior=args.posterior)
    if args.output:
        _write_text(f"{args.output}.json", json.dumps(res, indent=1, default=float), args.force)
    if args.json:
        print(json.dumps(res, indent=1, default=float))
    else:
        print(wet.text(res))
        print(f"({res['seconds']:.1f} s)")
    return 0


def _write_text(path: str, text: str, overwrite: bool = False) -> None:
    from .io._atomic import write_text

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    write_text(path, text, overwrite=overwrite)


def _figures(prefix: str | None) -> list[str]:
    return [f"{prefix}.png", f"{prefix}.pdf"] if prefix else []


def _check_outputs(overwrite: bool, *paths) -> None:
    """Refuse the outputs of a command before it computes anything (bkgen.io._atomic.check_target)."""
    from .io._atomic import check_target

    for path in paths:
        if path:
            check_target(path, overwrite=overwrite)


def _recast_scan(args) -> int:
    from .recast.scan import parse_scan, run_scan, summary_text, to_csv

    if args.input.lower().endswith(".root"):
        raise InputError(f"--scan with {args.input!r}: allowed: a card (scans need the q2 density of a card)")
    scans = [parse_scan(t) for t in args.scan]
    n_points = 1
    for _, v in scans:
        n_points *= v.size
    prefix = args.output or "outputs/recast_scan"
    _check_outputs(args.force, f"{prefix}.json", f"{prefix}.csv", *_figures(prefix))
    progress = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=n_points, unit="pt", file=sys.stderr)
    t0 = time.perf_counter()
    analyses = tuple(a.strip() for a in args.analyses.split(",") if a.strip())
    for a in analyses:
        if a not in ("ITA", "HTA", "combined"):
            raise InputError(f"--analyses {args.analyses!r}: {a!r}; allowed: a comma-separated subset of ITA, HTA, combined")
    table = run_scan(args.input, args.set, scans, intervals=not args.no_intervals, limit=not args.no_limit,
                     progress=progress, shortcut=not args.no_shortcut, analyses=analyses or ("combined",),
                     beyond=args.escape_beyond, ff=not args.belle2_ff)
    table["seconds"] = time.perf_counter() - t0
    if progress is not None:
        progress.close()
    from .plot import scan as plot_scan

    _write_text(f"{prefix}.json", json.dumps(table, indent=1, default=float), args.force)
    _write_text(f"{prefix}.csv", to_csv(table), args.force)
    paths = plot_scan(table, prefix, overwrite=args.force)
    if args.json:
        print(json.dumps(table, indent=1, default=float))
    else:
        print(summary_text(table))
        print(f"{n_points} points in {table['seconds']:.1f} s; wrote {prefix}.json, {prefix}.csv, {', '.join(paths)}")
    return 0


def _cmd_plot(args) -> int:
    from . import plot

    _check_outputs(args.force, *_figures(args.output))
    if args.what == "scan":
        paths = plot.scan(plot.read_scan_table(args.input), args.output, overwrite=args.force)
    elif args.what == "spectra":
        if args.events < 1000:
            raise InputError(f"--events = {args.events}; allowed: >= 1000")
        paths = plot.spectra(args.input, args.set, args.output, n_events=args.events, overwrite=args.force)
    else:
        from .recast import report
        from .recast.fit import Recast, reweight_factors

        sp, _ = report.load_spectrum(args.input, args.set)
        report.require_invisible(sp, args.input)
        if not sp.kplus_br > 0:
            raise InputError(f"{args.input!r} has no B+ -> K+ channel; allowed for 'bins': a K+ model")
        rc = Recast(analyses=("combined",))
        paths = plot.bins(rc, reweight_factors(sp.kplus, sp.kplus_br), sp.kplus_br / rc.bf_ref, args.output,
                          overwrite=args.force)
    print("wrote " + ", ".join(paths))
    return 0


COMMANDS = {"basf2": _cmd_basf2, "generate": _cmd_generate, "info": _cmd_info, "validate": _cmd_validate, "list": _cmd_list, "cards": _cmd_cards,
            "reweight": _cmd_reweight, "scan": _cmd_scan, "bench": _cmd_bench, "recast": _cmd_recast,
            "plot": _cmd_plot}


def _terminate(signum, frame):
    raise KeyboardInterrupt


#: on/off switches read from the environment (bkgen.kernels.precompile, bkgen.kernels.jit)
ENV_SWITCHES = ("BKGEN_COMPILE_HELPER", "BKGEN_NUMBA_EXTENSIONS")


def _check_env_switches() -> None:
    for name in ENV_SWITCHES:
        value = os.environ.get(name)
        if value is not None and value not in ("0", "1"):
            raise InputError(f"environment variable {name} = {value!r}; allowed: 0 (off) or 1 (on)")


def main(argv=None) -> int:
    import signal

    from .io import _atomic

    args = build_parser().parse_args(argv)
    # no output of this command may replace one of its inputs, even with --force
    _atomic.protect(*(getattr(args, name, None) for name in ("card", "sample", "input")))
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, _terminate)  # SIGTERM cleans up like Ctrl-C
    try:
        _check_env_switches()
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        _atomic.discard_all()
        print("bkgen: interrupted; no output file was written", file=sys.stderr)
        return 130
    except (InputError, FileExistsError, OSError) as exc:
        # bad input, an existing output, or the file system refusing: one line; anything else is a bug
        print(f"bkgen: error: {exc}", file=sys.stderr)
        return 2


def console_main() -> None:
    """The ``bkgen`` command: :func:`main` without numba's third-party extensions (no kernel uses
    them; see :mod:`bkgen.kernels.jit`), and an exit that skips the interpreter's final garbage
    collection of the compiler's objects (about 0.5 s)."""
    import gc

    os.environ.setdefault("BKGEN_NUMBA_EXTENSIONS", "0")
    code = main()
    gc.freeze()  # the objects still alive are freed by the exit itself, not collected one by one
    sys.exit(code)


if __name__ == "__main__":
    console_main()
