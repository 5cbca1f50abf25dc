"""Operator-basis cards against their flat-table limit: events/s and unweighting efficiency.

    python benchmarks/eft_cards.py [-n EVENTS] [--repeats R] [--results benchmarks/RESULTS.md]

For every ``eft_*`` card (``bkgen/cards/eft_*.toml``, ``bkgen/cards/eft/``) and every Z' card
(``bkgen/cards/zprime/``): in one process, after a warm-up, the in-memory rate (kernel and event
record as arrays, no I/O) of the card and of the same generator with flat tables (bkgen.bench.
flat_generator: constant |M|^2, isotropic angles, no angular rejection), interleaved repeat by repeat so
that the machine's load affects both alike; the median of each. Requirement (issue "one operator
basis"): no card slower than 1.5x its flat-table limit. Writes its section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bkgen.bench import flat_generator
from bkgen.config.card import load
from bkgen.generate.generator import Generator
from bkgen.generate.pipeline import generate_in_memory
from bkgen.generate.threads import get_threads
from bkgen.io._atomic import replace_section

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "bkgen" / "cards"
BEGIN, END = "<!-- eft-cards:begin -->", "<!-- eft-cards:end -->"
LIMIT = 1.5


def cards() -> list[Path]:
    return sorted(CARDS.glob("eft_*.toml")) + sorted((CARDS / "eft").glob("*.toml")) + \
        sorted((CARDS / "zprime").glob("*.toml"))


def measure(path: Path, n: int, repeats: int) -> dict:
    card = load(path)
    t0 = time.perf_counter()
    gen = Generator(card)
    flat = flat_generator(gen)
    seed = card["generation"]["seed"]
    generate_in_memory(gen, seed, min(n, 4 * gen.block_size()))  # warm-up: tables, kernels
    generate_in_memory(flat, seed, min(n, 4 * gen.block_size()))
    setup = time.perf_counter() - t0
    rates = {"card": [], "flat": []}
    eff = {}
    for _ in range(repeats):
        for key, g in (("card", gen), ("flat", flat)):
            stats = generate_in_memory(g, seed, n)
            rates[key].append(stats.events / stats.seconds)
            eff[key] = stats.efficiency
    out = {k: statistics.median(v) for k, v in rates.items()}
    out.update(eff_card=eff["card"], eff_flat=eff["flat"], setup=setup, channels=len(gen.physics.channels))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=200_000, help="events per timed run")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    args = ap.parse_args()
    rows, worst = [], 0.0
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0]
    for path in cards():
        r = measure(path, args.n, args.repeats)
        ratio = r["flat"] / r["card"]
        worst = max(worst, ratio)
        name = str(path.relative_to(CARDS))
        print(f"{name:45s} {r['card']:12,.0f} ev/s  flat {r['flat']:12,.0f} ev/s  slower x{ratio:5.2f}  "
              f"eff {r['eff_card']:.3f} (flat {r['eff_flat']:.3f})  channels {r['channels']}", flush=True)
        rows.append(f"| `{name}` | {r['channels']} | {r['card']:,.0f} | {r['flat']:,.0f} | {ratio:.2f} | "
                    f"{r['eff_card']:.3f} | {r['eff_flat']:.3f} |")
    ok = worst <= LIMIT
    text = "\n".join([
        BEGIN,
        "## Operator-basis cards against their flat-table limit (benchmarks/eft_cards.py)",
        "",
        f"`python benchmarks/eft_cards.py -n {args.n} --repeats {args.repeats}`; {get_threads()} kernel threads, "
        "in-memory (kernel + event record as arrays, no I/O), each card's frame; per card the card and the same "
        "generator with flat tables (constant |M|², isotropic angles, no angular rejection) interleaved repeat by "
        "repeat in one process, medians (absolute rates follow the machine's load; the ratio is the figure). "
        "Efficiency: events per angular trial.",
        "",
        "| card | channels | ev/s | flat-table limit ev/s | limit / card | efficiency | flat efficiency |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Requirement: no card slower than {LIMIT}x its flat-table limit: {'met' if ok else 'NOT met'} "
        f"(slowest {worst:.2f}x). Run time {time.perf_counter() - t_start:.0f} s; 1-min load average "
        f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} CPUs).",
        END,
    ]) + "\n"
    replace_section(args.results, BEGIN, END, text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
