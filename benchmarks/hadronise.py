"""Throughput of hadronised generation (card ``generation.hadronise = true``) beside the unhadronised
rate of the same card, in the same run; writes the section "Hadronisation" of benchmarks/RESULTS.md
(between its markers).

    python benchmarks/hadronise.py [--n 4000] [--n-plain 200000] [--repeats 3] [--reference CHECKOUT]

Every figure is end-to-end to a ROOT file (zstd:1, float32) in this process, median of ``--repeats``
runs after a warm-up (numba compiled, tables built, Pythia initialised). Cards: the ALP benchmark
(m_a = 2 GeV: a -> g g / s sbar, every event through Pythia's strings), the dark vector with
alpha_X = 1e-12 (X -> SM, q qbar channels of the R-ratio) at m_X = 2.5 GeV (strings) and 1.2 GeV
(exclusive modes). Also: Pythia's initialisation against the per-event reseed (why one instance per
thread is kept), and the benchmark card without partons (K+ Q Qbar) end-to-end, against
``--reference`` (a checkout without hadronisation, run in a child process with the same settings) to
check that runs without partons did not slow down.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from bkgen.io._atomic import replace_section

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- hadronise:begin -->", "<!-- hadronise:end -->"

CARDS = (
    ("alp_Ka_benchmark", {}, "ALP benchmark, m_a = 2 GeV (a -> g g, s sbar: strings)"),
    ("dark_vector_KX_benchmark", {"model.alpha_X": 1e-12, "model.m_X": 2.5}, "dark vector, m_X = 2.5 GeV (q qbar: strings)"),
    ("dark_vector_KX_benchmark", {"model.alpha_X": 1e-12, "model.m_X": 1.2}, "dark vector, m_X = 1.2 GeV (exclusive modes)"),
)

_CHILD = r"""
import json, statistics, sys, tempfile, time
from pathlib import Path
from bkgen.api import _card
from bkgen.generate.generator import Generator
from bkgen.generate.pipeline import write_root
name, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
gen = Generator(_card(name, {}))
gen.compile()
d = Path(tempfile.mkdtemp())
write_root(gen, d / "w.root", 1, min(n, 20000), overwrite=True)
rates = []
for r in range(repeats):
    t = time.perf_counter(); write_root(gen, d / "w.root", 2 + r, n, overwrite=True); rates.append(n / (time.perf_counter() - t))
print(json.dumps(statistics.median(rates)))
"""


def _rate(card, n: int, repeats: int, tmp: Path) -> tuple[float, dict | None]:
    """Median events/s of write_root for ``card`` (after a warm-up run) and the last run's hadronisation
    summary."""
    from bkgen.generate.generator import Generator
    from bkgen.generate.pipeline import write_root

    gen = Generator(card)
    gen.compile()
    write_root(gen, tmp / "warm.root", 1, min(n, 2000), overwrite=True)
    rates = []
    for r in range(repeats):
        t0 = time.perf_counter()
        write_root(gen, tmp / "run.root", 2 + r, n, overwrite=True)
        rates.append(n / (time.perf_counter() - t0))
    summary = gen.hadroniser.summary() if gen.hadroniser is not None else None
    return statistics.median(rates), summary


def _pythia_costs() -> dict:
    """Seconds of one Pythia initialisation (the settings of bkgen.generate.hadronise) and of one reseed."""
    import pythia8mc

    from bkgen.generate import hadronise

    t0 = time.perf_counter()
    hadronise._local.instances = {}
    py = hadronise._pythia(10.0, None)
    init = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in range(1, 20001):
        py.rndm.init(s)
    reseed = (time.perf_counter() - t0) / 20000
    return {"init_s": init, "reseed_s": reseed, "version": pythia8mc.__name__}


def _reference_rate(checkout: str, name: str, n: int, repeats: int) -> float:
    env = dict(os.environ, PYTHONPATH=checkout)
    out = subprocess.run([sys.executable, "-c", _CHILD, name, str(n), str(repeats)], env=env, capture_output=True,
                         text=True, check=True, cwd=checkout)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=4000, help="events per hadronised run")
    ap.add_argument("--n-plain", type=int, default=200000, help="events per unhadronised run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--reference", default=None, help="checkout without hadronisation (speed of cards without partons)")
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    args = ap.parse_args()

    from bkgen.api import _card

    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name, sets, label in CARDS:
            plain, _ = _rate(_card(name, sets), args.n_plain, args.repeats, tmp)
            had, summ = _rate(_card(name, {**sets, "generation.hadronise": True}), args.n, args.repeats, tmp)
            frac = summ["events"] / args.n
            rows.append((label, plain, had, frac, summ))
            print(f"{label}: {plain:,.0f} ev/s unhadronised, {had:,.0f} ev/s hadronised "
                  f"({frac:.0%} of events hadronised; {had / plain:.2e} of the plain rate)", flush=True)
        costs = _pythia_costs()
        print(f"Pythia init {costs['init_s']:.2f} s, reseed {costs['reseed_s'] * 1e6:.1f} us", flush=True)
        bench = "dark_photon_KQQ_benchmark"
        now, _ = _rate(_card(bench, {}), args.n_plain, args.repeats, tmp)
        ref = _reference_rate(args.reference, bench, args.n_plain, args.repeats) if args.reference else None
        print(f"{bench} (no partons): {now:,.0f} ev/s" + (f", reference {ref:,.0f} ev/s" if ref else ""), flush=True)

    from bkgen.generate.threads import get_threads

    lines = [BEGIN, "## Hadronisation (benchmarks/hadronise.py)", "",
             f"`python benchmarks/hadronise.py --n {args.n} --n-plain {args.n_plain} --repeats {args.repeats}"
             + (" --reference CHECKOUT`" if args.reference else "`")
             + f"; {os.cpu_count()} CPUs, {get_threads()} kernel threads; end-to-end to ROOT (zstd:1, float32),"
             " median of the repeats after a warm-up; the unhadronised and hadronised figures of a card come from"
             " the same run (absolute rates follow the machine's load; compare ratios within one run)."
             " Hadronisation is serial Python around Pythia (one instance per thread).", "",
             "| card | unhadronised ev/s | hadronised ev/s | hadronised events | ratio | modes (last run) |",
             "|---|---|---|---|---|---|"]
    for label, plain, had, frac, summ in rows:
        modes = f"strings {summ['string']}" + "".join(f", {k} {v}" for k, v in
                                                       sorted(summ["exclusive"].items(), key=lambda kv: -kv[1])[:3])
        lines.append(f"| {label} | {plain:,.0f} | {had:,.0f} | {frac:.0%} | {had / plain:.1e} | {modes} |")
    lines += ["", f"Pythia 8 initialisation (settings of `bkgen.generate.hadronise`): {costs['init_s']:.2f} s; reseeding"
              f" (`rndm.init`) {costs['reseed_s'] * 1e6:.1f} µs per event, so one instance per thread is initialised"
              f" once and reseeded per event (initialising per event would cost ≈ {costs['init_s'] * 1e3:.0f} ms each).",
              "", f"Card without partons (`{bench}`, `generation.hadronise` irrelevant): {now:,.0f} ev/s"
              + (f"; the reference checkout in a child process, same settings: {ref:,.0f} ev/s (ratio {now / ref:.2f})."
                 if ref else "."), END]
    text = "\n".join(lines)
    replace_section(args.results, BEGIN, END, text)
    print(f"wrote section 'Hadronisation' of {args.results}")


if __name__ == "__main__":
    main()
