"""Full throughput benchmark: writes benchmarks/RESULTS.md (and RESULTS.json).

    pip install -e ".[bench]"          # peers: phasespace (TensorFlow), pythia8mc
    python benchmarks/run_benchmarks.py [-n EVENTS] [--repeats R] [--no-peers]

Equivalent to ``bkgen bench --memory-events 2.5e5,1e6,1e7,1e8 --results
benchmarks/RESULTS.md``; takes about twenty minutes on two cores and needs about
15 GB of free disk for the 10^8-event file (deleted afterwards). CI runs only
``bkgen bench --smoke``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bkgen.cli import main

if __name__ == "__main__":
    results = Path(__file__).resolve().parent / "RESULTS.md"
    sys.exit(main(["bench", "--memory-events", "250000,1000000,10000000,100000000", "--results", str(results),
                   *sys.argv[1:]]))
