"""Where numba compile time goes: every compilation (dispatcher, signature, seconds) of one in-process
``bkgen generate`` of a card, with a fresh kernel cache. Nested compilations (callees) count in
their caller's total and not in its own time.

    python benchmarks/compile_profile.py [CARD] [-n N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("card", nargs="?", default="sm_Knunu")
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--keep-cache", action="store_true", help="use the normal cache (warm profile)")
    a = ap.parse_args()
    if not a.keep_cache:
        os.environ["BKGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="bkgen-cache-")
    from numba.core import event

    records = []
    stack = []  # [t0, seconds spent in nested compilations]

    class Listener(event.Listener):
        def on_start(self, ev):
            stack.append([time.perf_counter(), 0.0])

        def on_end(self, ev):
            t0, nested = stack.pop()
            dt = time.perf_counter() - t0
            if stack:
                stack[-1][1] += dt
            f = ev.data["dispatcher"].py_func
            records.append((f"{f.__module__}.{f.__qualname__}", str(ev.data.get("args")), dt, dt - nested))

    event.register("numba:compile", Listener())
    from bkgen.cli import main as cli_main

    out = os.path.join(tempfile.mkdtemp(), "p.root")
    t0 = time.perf_counter()
    cli_main(["generate", a.card, "-n", str(a.n), "-o", out, "--no-progress"])
    total = time.perf_counter() - t0
    own = sum(r[3] for r in records)
    print(f"\n{len(records)} compilations, {own:.1f} s compiling, wall {total:.1f} s")
    print("  total     own  function  signature")
    for name, sig, dt, excl in sorted(records, key=lambda r: -r[3]):
        print(f"{dt:7.2f} {excl:7.2f}  {name}  {sig[:120]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
