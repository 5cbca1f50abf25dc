"""The ``bkgen`` command (also ``python -m bkgen``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

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
        "--format", choices=("root", "hepmc3", "lhe"), default=None,
        help="output format (default: output.format): ROOT TTree, HepMC3 ASCII or Les Houches events",
    )
    g.add_argument("--force", action="store_true", help="overwrite an existing output file")
    g.add_argument("--threads", type=int, help="number of threads (default: all cores)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_set(g)

    i = sub.add_parser("info", help="widths, branching ratios and per-channel table of a card")
    i.add_argument("card")
    i.add_argument("--json", action="store_true", help="machine-readable output")
    _add_set(i)

    v = sub.add_parser("validate", help="check a card without running it")
    v.add_argument("card")
    _add_set(v)

    sub.add_parser("list", help="list models and their decays")
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


def _cmd_validate(args) -> int:
    from .config.card import load

    card = load(args.card, args.set)
    print(f"{args.card}: valid ({card['process']['model']}: {card['process']['decay']})")
    return 0


def _cmd_info(args) -> int:
    from .config.card import load
    from .generate.generator import Generator

    gen = Generator(load(args.card, args.set))
    s = gen.summary()
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
    return 0


def _open_writer(card, gen, out, force):
    """The event writer of the card's output format."""
    fmt = card["output"]["format"]
    if fmt == "hepmc3":
        from .io.hepmc import HepMC3Writer

        return HepMC3Writer(out, overwrite=force)
    if fmt == "lhe":
        from .config.card import dumps
        from .io.lhe import LHEWriter

        return LHEWriter(out, beam=card["beam"], br=gen.br, card_text=dumps(card), overwrite=force)
    from .generate.generator import PARTICLE_BRANCHES, SCALAR_BRANCHES
    from .io.root import RootEventWriter

    return RootEventWriter(
        out, scalar_branches=SCALAR_BRANCHES, particle_branches=PARTICLE_BRANCHES,
        compression=card["output"]["compression"], overwrite=force,
    )


def _cmd_generate(args) -> int:
    import numba

    from .config.card import dumps, load
    from .generate.generator import Generator

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
        raise ValueError("output.file is empty; allowed: a path, given in the card or with -o FILE")
    if os.path.exists(out) and not args.force:
        raise FileExistsError(f"output {out!r} exists; allowed: a new path, or --force to overwrite")
    if args.threads is not None:
        if not 1 <= args.threads <= numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"--threads = {args.threads}; allowed: 1..{numba.config.NUMBA_NUM_THREADS}")
        numba.set_num_threads(args.threads)
    n_events = card["generation"]["events"]
    seed = card["generation"]["seed"]
    gen = Generator(card)
    progress = None
    if not args.no_progress and sys.stderr.isatty():
        from tqdm import tqdm

        progress = tqdm(total=n_events, unit="ev", unit_scale=True, file=sys.stderr)
    t0 = time.perf_counter()
    trials = overweight = 0
    parent = os.path.dirname(os.path.abspath(out))
    os.makedirs(parent, exist_ok=True)
    with _open_writer(card, gen, out, args.force) as writer:
        for scalars, particles, stats in gen.events(n_events, seed):
            writer.write(scalars, particles)
            trials += stats["trials"]
            overweight += stats["overweight"]
            if progress is not None:
                progress.update(stats["events"])
        writer.close({"card": dumps(card), "run_info": gen.run_info(seed, n_events, trials, overweight)})
    if progress is not None:
        progress.close()
    dt = time.perf_counter() - t0
    print(
        f"wrote {n_events} events to {out} in {dt:.2f} s ({n_events / dt:.3g} ev/s); "
        f"BR = {gen.br:.4e}; unweighting efficiency {n_events / trials:.3f}; overweight {overweight}"
    )
    return 0


COMMANDS = {"generate": _cmd_generate, "info": _cmd_info, "validate": _cmd_validate, "list": _cmd_list}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("bkgen: interrupted; no output file was written", file=sys.stderr)
        return 130
    except (ValueError, FileExistsError, OSError) as exc:
        print(f"bkgen: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
