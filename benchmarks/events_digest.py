"""SHA-256 of the events of several card variants at a fixed seed, for this checkout and optionally a
reference one: a change meant to leave the events alone (compilation, kernel layout) must give the
same digests. The variants cover the lab, CMS and B rest frames, beam-energy spread with vertex
smearing, a spin-1 meson with its angular accept-reject, the B_s production mix, a long-lived Y and
float64 output. Each checkout runs in its own process with its own kernel cache.

    python benchmarks/events_digest.py [--reference PATH_TO_OTHER_CHECKOUT] [-n 10000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIANTS = [
    ("sm_Knunu", []),
    ("dark_photon_KQQ_benchmark", []),
    ("dark_photon_KQQ_benchmark", ["beam.frame='cms'"]),
    ("dark_photon_KQQ_benchmark", ["beam.energy_spread=true", "beam.vertex_smearing=true"]),
    ("sm_Kstar0nunu", ["beam.frame='B_rest'"]),
    ("sm_Kstar0mumu", []),
    ("dark_photon_phi_gammaD", []),
    ("alp_Ka_benchmark", []),
    ("dark_photon_Kstar0_gammaD", ["output.precision='float64'"]),
]


def digests(n: int) -> None:
    """Print one line per variant: card, overrides, digest of every branch of n events (seed 7, blocks of 4096)."""
    import hashlib

    import numpy as np

    from bkgen.config.card import load
    from bkgen.generate.generator import Generator

    for name, overrides in VARIANTS:
        gen = Generator(load(name, overrides + ["generation.block_size=4096"]))
        h = hashlib.sha256()
        for scalars, particles, stats in gen.events(n, seed=7, chunk_blocks=2):
            for branches in (scalars, particles):
                for key in sorted(branches):
                    if isinstance(branches[key], np.ndarray):
                        h.update(key.encode() + np.ascontiguousarray(branches[key]).tobytes())
            h.update(f"{stats['trials']} {stats['overweight']}".encode())
        print(f"{name} {' '.join(overrides) or '-'} {h.hexdigest()[:24]}", flush=True)


def run(source: Path, n: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bkgen-digest-") as cache:
        env = dict(os.environ, PYTHONPATH=str(source), BKGEN_CACHE_DIR=cache)
        res = subprocess.run([sys.executable, __file__, "--digests", "-n", str(n)], env=env, capture_output=True,
                             text=True, check=True, cwd=cache)
    return res.stdout.splitlines()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", type=Path, help="another checkout to compare with")
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--digests", action="store_true", help=argparse.SUPPRESS)  # the child process
    a = ap.parse_args()
    if a.digests:
        digests(a.n)
        return 0
    this = run(REPO, a.n)
    print("\n".join(this))
    if a.reference is None:
        return 0
    ref = run(a.reference.resolve(), a.n)
    same = this == ref
    print("identical to the reference" if same else "DIFFERENT from the reference:\n" + "\n".join(ref))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
