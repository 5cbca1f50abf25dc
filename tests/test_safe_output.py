"""Interrupted runs leave nothing that looks complete; --resume reproduces the uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from bkgen.io.root import read_events

pytestmark = pytest.mark.cli

ROOT = Path(__file__).resolve().parent.parent
CARD = str(ROOT / "cards" / "sm_Knunu.toml")


def bkgen(*args, cwd, check=True):
    res = subprocess.run([sys.executable, "-m", "bkgen", *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if check:
        assert res.returncode == 0, res.stderr
    return res


def chunk_files(d: Path, stem: str) -> list[Path]:
    return sorted(d.glob(f"{stem}.chunk*.root"))


@pytest.mark.slow
def test_resume_reproduces_uninterrupted_run(tmp_path):
    common = ["-n", "6000", "--seed", "9", "--set", "generation.block_size=1024", "--chunks", "3"]
    full = tmp_path / "full"
    part = tmp_path / "part"
    full.mkdir()
    part.mkdir()
    bkgen("generate", CARD, *common, "-o", "run.root", "--merge", "--no-progress", cwd=full)
    bkgen("generate", CARD, *common, "-o", "run.root", "--no-progress", cwd=part)
    # an interrupted run: the manifest and the last chunk never got written, one chunk is foreign
    chunks = chunk_files(part, "run")
    assert len(chunks) == 3
    chunks[2].unlink()
    (part / "run.manifest.json").unlink()
    kept = chunks[0].stat().st_mtime_ns
    # a chunk from another seed must be regenerated, not reused
    other = tmp_path / "other"
    other.mkdir()
    bkgen("generate", CARD, *common[:2], "--seed", "10", *common[4:], "-o", "run.root", "--no-progress", cwd=other)
    chunk_files(other, "run")[1].replace(chunks[1])
    bkgen("generate", CARD, *common, "-o", "run.root", "--resume", "--merge", "--no-progress", cwd=part)
    assert chunks[0].stat().st_mtime_ns == kept  # complete chunk of this run kept as it was
    manifest = json.loads((part / "run.manifest.json").read_text())
    assert [bool(c.get("resumed")) for c in manifest["chunks"]] == [True, False, False]
    a, b = read_events(full / "run.root"), read_events(part / "run.root")
    for key in ("event", "q2", "px", "pdg", "vz"):
        assert np.array_equal(np.asarray(a[key]).ravel() if a[key].ndim == 1 else np.concatenate(a[key]),
                              np.asarray(b[key]).ravel() if b[key].ndim == 1 else np.concatenate(b[key]))


@pytest.mark.slow
def test_sigterm_leaves_no_output(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "bkgen", "generate", CARD, "-n", "50000000", "-o", "big.root", "--no-progress"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # wait until writing has started (the temporary file exists), then terminate
    deadline = time.time() + 120
    while time.time() < deadline and not any(p.name.startswith(".big.root.partial") for p in tmp_path.iterdir()):
        time.sleep(0.2)
    assert any(p.name.startswith(".big.root.partial") for p in tmp_path.iterdir()), "run never started writing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_disk_space_is_checked(tmp_path):
    res = bkgen("generate", CARD, "-n", str(10**12), "-o", "huge.root", cwd=tmp_path, check=False)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and "generation.events" in res.stderr and "GB" in res.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "kill"), reason="needs POSIX signals")
def test_killed_run_leaves_only_a_marked_partial_file(tmp_path):
    """SIGKILL cannot be caught: the target path stays empty; only the '.partial' temporary remains."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bkgen", "generate", CARD, "-n", "50000000", "-o", "big.root", "--no-progress"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any(p.name.startswith(".big.root.partial") for p in tmp_path.iterdir()):
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=60)
    names = [p.name for p in tmp_path.iterdir()]
    assert "big.root" not in names
    assert all(n.startswith(".big.root.partial") for n in names)
