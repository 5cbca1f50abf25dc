"""Full throughput benchmark: writes benchmarks/RESULTS.md (and RESULTS.json).

    pip install -e ".[bench]"          # peers: phasespace (TensorFlow), pythia8mc
    python benchmarks/run_benchmarks.py [-n EVENTS] [--repeats R] [--no-peers]

Equivalent to ``bkgen bench --memory --results benchmarks/RESULTS.md``; takes
about ten minutes on two cores. CI runs only ``bkgen bench --smoke``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bkgen.cli import main

if __name__ == "__main__":
    results = Path(__file__).resolve().parent / "RESULTS.md"
    sys.exit(main(["bench", "--memory", "--results", str(results), *sys.argv[1:]]))
