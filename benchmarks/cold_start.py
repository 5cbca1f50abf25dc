"""Cold and warm wall and CPU time per command, for this checkout and optionally a reference one.

Each command runs as a fresh ``python -m bkgen`` process. "cold": an empty kernel cache (the first
run after installing); "warm": the same command again (median of --repeats). CPU time (user + system
of the child and its children, e.g. the compile helper of kernels.precompile) is reported beside the
wall time because it is far less sensitive to other load on a shared machine. Run it with the Python
of an environment holding bkgen's core dependencies only (``pip install .``), as a user's. ``generate`` runs for
every --card, the other commands for the first; for this checkout ``generate`` runs a second time
with the compile helper turned off (BKGEN_COMPILE_HELPER=0). Writes the section "Cold start" of
benchmarks/RESULTS.md (replacing an earlier one).

    python benchmarks/cold_start.py [--reference PATH_TO_OTHER_CHECKOUT] [--card NAME ...] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bkgen.io._atomic import replace_section

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
COMMANDS = {
    "generate 1e5": ["generate", "{card}", "-n", "100000", "-o", "{tmp}/out.root", "--force", "--no-progress"],
    "info": ["info", "{card}"],
    "validate": ["validate", "{card}"],
    "list": ["list"],
}
BEGIN, END = "<!-- cold-start:begin -->", "<!-- cold-start:end -->"
#: the floor of any numba program in a new process: import numba (which loads the numba extensions of
#: installed packages, e.g. vector's) and call one trivial cached function
FLOOR = """
import numba, numpy as np
@numba.njit(cache=True)
def total(a):
    s = 0.0
    for x in a:
        s += x
    return s
total(np.ones(4))
"""


def run(source: Path, argv: list[str], cache: Path, tmp: Path, extra_env: dict | None = None) -> tuple[float, float]:
    env = dict(os.environ, PYTHONPATH=str(source), BKGEN_CACHE_DIR=str(cache), NUMBA_CACHE_DIR=str(cache),
               **(extra_env or {}))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: Python keeps the bytecode it compiles
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "bkgen", *argv], env=env, cwd=tmp, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise RuntimeError(f"{argv}: {res.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


#: the imports a ``generate`` to ROOT cannot do without (numba loads third-party extensions only at a
#: first compile or call, not on import)
IMPORTS = "import numpy, numba, awkward, uproot\n"


def run_floor(cache: Path, tmp: Path, code: str = FLOOR, extra_env: dict | None = None) -> tuple[float, float]:
    script = tmp / "floor.py"
    script.write_text(code)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), **(extra_env or {}))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(script)], env=env, cwd=tmp, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure_floor(repeats: int, code: str = FLOOR, label: str = "numba floor", extra_env: dict | None = None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bkgen-floor-"))
    try:
        cold = run_floor(tmp / "cache", tmp, code, extra_env)
        warm = [run_floor(tmp / "cache", tmp, code, extra_env) for _ in range(repeats)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = {"cold": cold, "warm": (statistics.median(w[0] for w in warm), statistics.median(w[1] for w in warm))}
    print(f"{label:>12s} {'':<13s} cold {cold[0]:7.1f} s wall {cold[1]:7.1f} s cpu   "
          f"warm {out['warm'][0]:6.2f} s wall {out['warm'][1]:6.2f} s cpu", flush=True)
    return out


def commit(source: Path) -> str:
    """The checkout's commit (short), or "?" outside git."""
    res = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return res.stdout.strip() or "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def card_arg(source: Path, name: str) -> str:
    """A shipped card by path (a reference checkout may predate cards by name)."""
    for p in (source / "bkgen" / "cards" / f"{name}.toml", source / "cards" / f"{name}.toml"):
        if p.is_file():
            return str(p)
    raise FileNotFoundError(name)


def tasks(cards: list[str], helper_off: bool) -> list[tuple[str, str, str, dict]]:
    """(row label, command, card, extra environment) of one checkout: generate for every card (and with
    the compile helper off), the other commands for the first card."""
    out = []
    for card in cards:
        out.append((f"generate 1e5 {card}", "generate 1e5", card, {}))
        if helper_off:
            out.append((f"generate 1e5 {card}, helper off", "generate 1e5", card, {"BKGEN_COMPILE_HELPER": "0"}))
    return out + [(label, label, cards[0], {}) for label in COMMANDS if label != "generate 1e5"]


def measure(sources: list[tuple[str, Path]], cards: list[str], repeats: int) -> dict:
    """{checkout name: {row label: {"cold": (wall, cpu), "warm": (median wall, median cpu)}}}, one task at
    a time with the checkouts interleaved (cold runs back to back, then the warm repeats alternating), so
    that a drift of the machine's speed affects both alike. "helper off" rows are measured for "this"."""
    out: dict = {name: {} for name, _ in sources}
    tmp = Path(tempfile.mkdtemp(prefix="bkgen-cold-"))
    try:
        for i, (label, command, card, extra_env) in enumerate(tasks(cards, helper_off=True)):
            group = [(n, s) for n, s in sources if n == "this" or "helper off" not in label]
            argvs = {n: [a.format(card=card_arg(s, card), tmp=tmp) for a in COMMANDS[command]] for n, s in group}
            cold = {n: run(s, argvs[n], tmp / f"cache-{n}-{i}", tmp, extra_env) for n, s in group}
            warm: dict = {n: [] for n, _ in group}
            for _ in range(repeats):
                for n, s in group:
                    warm[n].append(run(s, argvs[n], tmp / f"cache-{n}-{i}", tmp, extra_env))
            for n, _ in group:
                out[n][label] = {"cold": cold[n], "warm": (statistics.median(w[0] for w in warm[n]),
                                                           statistics.median(w[1] for w in warm[n]))}
                r = out[n][label]
                print(f"{n:>12s} {label:<40s} cold {r['cold'][0]:7.1f} s wall {r['cold'][1]:7.1f} s cpu   "
                      f"warm {r['warm'][0]:6.2f} s wall {r['warm'][1]:6.2f} s cpu", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, help="another checkout to measure in the same run")
    ap.add_argument("--card", action="append", help="shipped card(s) (default: sm_Knunu)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    a = ap.parse_args()
    cards = a.card or ["sm_Knunu"]
    load0 = os.getloadavg()
    sources = ([("reference", a.reference.resolve())] if a.reference else []) + [("this", REPO)]
    res = measure(sources, cards, a.repeats)
    floor = measure_floor(a.repeats)
    imports = measure_floor(a.repeats, IMPORTS, "imports")
    load1 = os.getloadavg()
    lines = [BEGIN, "## Cold start", "",
             f"`python benchmarks/cold_start.py{' --reference REF' if a.reference else ''}"
             f"{''.join(' --card ' + c for c in a.card or [])}` on {commit(REPO)}"
             f"{f' (this), REF a checkout of {commit(a.reference)} (reference)' if a.reference else ''}, "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {cpu_model()}, {os.cpu_count()} cores, "
             f"Python {platform.python_version()}; load average {load0[0]:.1f} before, {load1[0]:.1f} after "
             "(a shared machine: compare the CPU columns, and the two rows of one command with each other).",
             "Each command is a new process; cold = empty kernel cache, warm = median of "
             f"{a.repeats} repeats; the two checkouts' runs of a command are interleaved.", "",
             "| command | code | cold wall [s] | cold CPU [s] | warm wall [s] | warm CPU [s] |", "|---|---|---|---|---|---|"]
    for label, *_ in tasks(cards, helper_off=True):
        for name, _ in sources:
            if label not in res[name]:
                continue
            r = res[name][label]
            lines.append(f"| {label} | {name} | {r['cold'][0]:.1f} | {r['cold'][1]:.1f} | "
                         f"{r['warm'][0]:.2f} | "
                         f"{r['warm'][1]:.2f} |")
    lines.append(f"| numba floor: one trivial cached function in a new process | - | {floor['cold'][0]:.1f} | "
                 f"{floor['cold'][1]:.1f} | {floor['warm'][0]:.2f} | {floor['warm'][1]:.2f} |")
    lines.append(f"| `import numpy, numba, awkward, uproot` in a new process | - | {imports['cold'][0]:.1f} | "
                 f"{imports['cold'][1]:.1f} | {imports['warm'][0]:.2f} | {imports['warm'][1]:.2f} |")
    lines.append(END)
    replace_section(a.results, BEGIN, END, "\n".join(lines) + "\n")
    print(f"wrote {a.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
