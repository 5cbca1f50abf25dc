"""Faults and abuse of output locations: full disks, special files, the run's own inputs, long
names, concurrent and resumed chunked runs, chunked runs in every format, the local dask cluster.

Safe as root: FIFOs and device nodes are made in tmp_path (a device node only when running as
root), a full disk is a file-size limit (RLIMIT_FSIZE) of a subprocess or an injected error.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from bkgen.cli import main
from bkgen.generate import distributed
from bkgen.io.root import read_events

ROOT = Path(__file__).resolve().parent.parent
CARD = str(ROOT / "cards" / "sm_Knunu.toml")
SMALL = ["--set", "generation.block_size=1024", "--no-progress"]
CMS = ["--set", "beam.frame='cms'"]  # LHE is written only in the CMS frame


def run_cli(*argv) -> int:
    return main([str(a) for a in argv])


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def entries(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


# ------------------------------------------------------------------ the atomic output path


@pytest.mark.parametrize("fmt", ["hepmc3", "hepmc2"])
def test_hepmc_on_a_full_disk_is_not_committed(tmp_path, fmt):
    """pyhepmc reports write errors only through failed(): a full disk (here a 200 kB file-size limit)
    must end with exit 2 and no file, not 'wrote N events' and a truncated file (both HepMC writers)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead of killing

    res = subprocess.run([sys.executable, "-m", "bkgen", "generate", CARD, "-n", "6000", "--format", fmt,
                          "-o", f"out.{fmt}", *SMALL], cwd=tmp_path, capture_output=True, text=True,
                         preexec_fn=limit, timeout=300)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "writing failed" in one_line(res.stderr) and f"out.{fmt}" in res.stderr
    assert entries(tmp_path) == []


def test_write_error_leaves_no_partial_file(tmp_path, monkeypatch, capsys):
    """A failed rename/sync of a text output (recast --export-workspace) leaves neither the target
    nor a PATH.partial-PID file."""
    real = os.replace

    def full(src, dst, *a, **k):
        if str(dst).endswith("ws.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", full)
    rc = run_cli("recast", CARD, "--no-intervals", "--no-limit", "--bootstrap", 0, "--export-workspace",
                 tmp_path / "ws.json")
    assert rc == 2
    assert "ws.json" in one_line(capsys.readouterr().err)
    assert entries(tmp_path) == []


@pytest.mark.parametrize("argv", [
    ["recast", CARD, "--no-intervals", "--no-limit", "--bootstrap", "0", "-o", "{d}/res"],
    ["recast", CARD, "--no-intervals", "--no-limit", "--bootstrap", "0", "--export-workspace", "{d}/res.json"],
    ["plot", "spectra", CARD, "-n", "1000", "-o", "{d}/res"],
], ids=["recast-o", "export-workspace", "plot-o"])
def test_outputs_not_overwritten_without_force(tmp_path, capsys, argv):
    target = tmp_path / ("res.json" if argv[0] == "recast" else "res.png")
    target.write_text("keep")
    rc = run_cli(*[a.format(d=tmp_path) for a in argv])
    assert rc == 2
    assert "--force" in one_line(capsys.readouterr().err)
    assert target.read_text() == "keep"
    assert entries(tmp_path) == [target.name]


def _special(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    else:
        if os.geteuid() != 0:
            pytest.skip("a device node can only be made as root")
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers, inside tmp_path
    return path


@pytest.mark.parametrize("chunked", [False, True], ids=["single", "merge"])
@pytest.mark.parametrize("kind", ["fifo", "chardev"])
def test_force_never_replaces_special_files(tmp_path, capsys, kind, chunked):
    path = _special(tmp_path, kind)
    mode = os.stat(path).st_mode
    rc = run_cli("generate", CARD, "-n", 1000, "-o", path, "--force", *SMALL, *(["--chunks", 2, "--merge"]
                                                                                 if chunked else []))
    assert rc == 2
    assert "regular file" in one_line(capsys.readouterr().err)
    assert os.stat(path).st_mode == mode
    assert entries(tmp_path) == [kind]


def test_force_never_replaces_the_card(tmp_path, capsys):
    card = tmp_path / "card.toml"
    shutil.copy(CARD, card)
    text = card.read_text()
    rc = run_cli("generate", card, "-n", 1000, "-o", card, "--force", *SMALL)
    assert rc == 2
    assert "input" in one_line(capsys.readouterr().err)
    assert card.read_text() == text
    assert entries(tmp_path) == ["card.toml"]


def test_longest_legal_output_name(tmp_path, capsys):
    """A 250-byte name is legal (NAME_MAX = 255): the temporary name must fit too."""
    name = "a" * 245 + ".root"
    assert run_cli("generate", CARD, "-n", 1000, "-o", tmp_path / name, *SMALL) == 0
    assert entries(tmp_path) == [name]
    assert len(read_events(tmp_path / name, ["event"])) == 1000


def test_card_text_cannot_break_the_lhe_header(tmp_path):
    """']]>' in a card string (here output.file) must not end the CDATA section of the header."""
    name = "x]]><!--injected-->.lhe"
    assert run_cli("generate", CARD, "-n", 1000, "-o", tmp_path / name, "--format", "lhe", *SMALL, *CMS) == 0
    root = ET.parse(tmp_path / name).getroot()
    card_text = root.find("header/bkgen_card").text
    assert f'file = "{tmp_path / name}"' in card_text
    assert len(root.findall("event")) == 1000


# ------------------------------------------------------------------ chunked runs


def chunk_files(d: Path, stem: str = "run", suffix: str = ".root") -> list[Path]:
    return sorted(d.glob(f"{stem}.chunk*{suffix}"))


def test_second_chunked_run_on_a_running_target_fails(tmp_path, capsys, monkeypatch):
    """While one chunked run writes run.root (chunk 0 done), a second one on the same target
    (another seed and event count) must fail with one line and leave the first run intact."""
    out = tmp_path / "run.root"
    real = distributed.run_chunk
    second = []

    def chunk_then_intrude(*a, **k):
        record = real(*a, **k)
        if not second:
            second.append(None)  # the intruder's own chunks do not intrude again
            second[0] = run_cli("generate", CARD, "-n", 2000, "--seed", 2, "--chunks", 2, "-o", out, "--force",
                                *SMALL)
        return record

    monkeypatch.setattr(distributed, "run_chunk", chunk_then_intrude)
    assert run_cli("generate", CARD, "-n", 4000, "--seed", 1, "--chunks", 3, "-o", out, *SMALL) == 0
    err = capsys.readouterr().err
    assert second == [2]
    assert "another bkgen run" in one_line(err)
    manifest = json.loads(distributed.manifest_path(out).read_text())
    distributed.verify(manifest, tmp_path)
    assert manifest["seed"] == 1 and sum(c["events"] for c in manifest["chunks"]) == 4000
    assert [c["file"] for c in manifest["chunks"]] == [p.name for p in chunk_files(tmp_path)]


def test_chunk_files_without_manifest_are_not_overwritten(tmp_path, capsys):
    (tmp_path / "run.chunk0000.root").write_text("someone else's file")
    rc = run_cli("generate", CARD, "-n", 2000, "--chunks", 2, "-o", tmp_path / "run.root", *SMALL)
    assert rc == 2
    assert "--force" in one_line(capsys.readouterr().err)
    assert (tmp_path / "run.chunk0000.root").read_text() == "someone else's file"
    assert entries(tmp_path) == ["run.chunk0000.root"]


@pytest.mark.parametrize("fmt", ["lhe", "hepmc3", "hepmc2"])
def test_chunked_run_in_text_formats_equals_single_run(tmp_path, monkeypatch, fmt):
    """--chunks --merge with --format lhe/hepmc3/hepmc2: chunk files in that format, and the merged
    file is byte for byte the single-process file of the same card and seed (one header and
    init/run-info block, one XSECUP / cross section, continuous event numbers)."""
    name = f"run.{fmt}"
    for sub in ("single", "chunked"):
        (tmp_path / sub).mkdir()
    common = ["-n", 3000, "--seed", 5, "--format", fmt, "-o", name, *SMALL, *CMS]
    monkeypatch.chdir(tmp_path / "single")
    assert run_cli("generate", CARD, *common) == 0
    monkeypatch.chdir(tmp_path / "chunked")
    assert run_cli("generate", CARD, *common, "--chunks", 3, "--merge") == 0
    chunks = chunk_files(tmp_path / "chunked", suffix=f".{fmt}")
    assert len(chunks) == 3
    head = {"lhe": "<LesHouchesEvents", "hepmc3": "HepMC::Asciiv3-START", "hepmc2": "HepMC::IO_GenEvent-START"}[fmt]
    assert all(p.read_text().split("\n", 2)[int(fmt != "lhe")].startswith(head) for p in chunks)
    single = (tmp_path / "single" / name).read_bytes()
    assert (tmp_path / "chunked" / name).read_bytes() == single
    manifest = json.loads((tmp_path / "chunked" / "run.manifest.json").read_text())
    assert manifest["format"] == fmt and manifest["complete"]


def test_resume_with_fewer_chunks_removes_stale_chunks(tmp_path):
    out = tmp_path / "run.root"
    assert run_cli("generate", CARD, "-n", 4000, "--seed", 3, "--chunks", 4, "-o", out, *SMALL) == 0
    assert len(chunk_files(tmp_path)) == 4
    assert run_cli("generate", CARD, "-n", 4000, "--seed", 3, "--chunks", 2, "-o", out, "--resume", *SMALL) == 0
    files = chunk_files(tmp_path)
    assert [p.name for p in files] == ["run.chunk0000.root", "run.chunk0001.root"]
    events = np.concatenate([np.asarray(read_events(p, ["event"])["event"]) for p in files])
    assert np.array_equal(events, np.arange(4000))


def test_resume_regenerates_a_corrupted_chunk(tmp_path, capsys):
    """A kept chunk whose bytes differ from the SHA-256 in the manifest is regenerated, with a
    warning line, and the merged file holds the events of the uninterrupted run."""
    out = tmp_path / "run.root"
    common = ["-n", 3000, "--seed", 4, "--chunks", 3, "-o", out, "--merge", *SMALL]
    assert run_cli("generate", CARD, *common) == 0
    keys = ["event", "q2", "px"]
    good = read_events(out, keys)
    victim = chunk_files(tmp_path)[1]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte inside the baskets
    victim.write_bytes(bytes(data))
    capsys.readouterr()
    assert run_cli("generate", CARD, *common, "--resume") == 0
    err = capsys.readouterr().err
    assert "warning" in err and victim.name in err and "SHA-256" in err
    manifest = json.loads(distributed.manifest_path(out).read_text())
    assert [bool(c.get("resumed")) for c in manifest["chunks"]] == [True, False, True]
    distributed.verify(manifest, tmp_path)
    again = read_events(out, keys)
    for k in keys:
        assert np.array_equal(np.asarray(again[k]), np.asarray(good[k]))


def test_resume_without_chunks_needs_a_manifest(tmp_path, capsys):
    rc = run_cli("generate", CARD, "-n", 2000, "-o", tmp_path / "run.root", "--resume", *SMALL)
    assert rc == 2
    assert "--chunks" in one_line(capsys.readouterr().err)
    assert entries(tmp_path) == []


def test_resume_without_chunks_takes_the_plan_of_the_manifest(tmp_path):
    out = tmp_path / "run.root"
    assert run_cli("generate", CARD, "-n", 3000, "--seed", 6, "--chunks", 3, "-o", out, *SMALL) == 0
    chunk_files(tmp_path)[2].unlink()
    assert run_cli("generate", CARD, "-n", 3000, "--seed", 6, "-o", out, "--resume", *SMALL) == 0
    manifest = json.loads(distributed.manifest_path(out).read_text())
    assert [bool(c.get("resumed")) for c in manifest["chunks"]] == [True, True, False]


def test_disk_space_check_counts_the_merged_file(tmp_path, capsys, monkeypatch):
    """With --merge the chunk files and the merged file are on disk together: free space for one
    copy but not two must be refused before anything runs."""
    from bkgen.generate.generator import PARTICLE_BRANCHES, SCALAR_BRANCHES

    n = 2000
    per_event = (sum(np.dtype(t).itemsize for t in SCALAR_BRANCHES.values())
                 + 12 * sum(np.dtype(t).itemsize for t in PARTICLE_BRANCHES.values()))
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=int(1.5 * per_event * n)))
    rc = run_cli("generate", CARD, "-n", n, "--chunks", 2, "--merge", "-o", tmp_path / "run.root", *SMALL)
    assert rc == 2
    assert "merged" in one_line(capsys.readouterr().err)
    assert entries(tmp_path) == []


# ------------------------------------------------------------------ dask


def test_local_cluster_refuses_clients_without_its_certificate(tmp_path, monkeypatch):
    """The --workers cluster, once started: a client without its certificate (plain TCP, or TLS with
    another certificate) is refused, and the scheduler serves no HTTP (dashboard, /health, ...)."""
    import urllib.request

    import dask.distributed
    from distributed.security import Security

    seen = {}
    Client, LocalCluster = dask.distributed.Client, dask.distributed.LocalCluster

    def probe(cluster) -> None:
        host_port = cluster.scheduler_address.split("://", 1)[1]
        for tag, addr, sec in (("plain", f"tcp://{host_port}", None),
                               ("foreign-cert", f"tls://{host_port}", Security.temporary())):
            try:
                with Client(addr, security=sec, timeout="3s") as rogue:
                    seen[tag] = rogue.run(os.getpid) is not None
            except Exception:
                seen[tag] = False
        http = cluster.scheduler.services.get("dashboard")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http.port}/health", timeout=3) as r:
                seen["http"] = r.status
        except Exception:
            seen["http"] = None

    class SpyClient(Client):
        def __init__(self, address=None, *a, **k):
            if isinstance(address, LocalCluster) and not seen:
                probe(address)
            super().__init__(address, *a, **k)

    monkeypatch.setattr(dask.distributed, "Client", SpyClient)
    assert run_cli("generate", CARD, "-n", 1000, "--workers", 1, "--chunks", 1, "-o", tmp_path / "run.root",
                   *SMALL) == 0
    assert seen == {"plain": False, "foreign-cert": False, "http": None}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_distributed_run_ends_with_one_line(tmp_path, sig):
    """Ctrl-C or SIGTERM to the process group of a --workers run: one line, exit 130, and no
    temporary or chunk-temporary file left."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bkgen", "generate", CARD, "-n", "6000000", "--workers", "2", "--chunks", "6",
         "-o", "run.root", "--no-progress"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    deadline = time.time() + 180
    while time.time() < deadline and not any(".partial-" in n for n in entries(tmp_path)):
        time.sleep(0.1)
    assert any(".partial-" in n for n in entries(tmp_path)), "the run never started writing"
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in one_line(err)
    assert not [n for n in entries(tmp_path) if ".partial-" in n or n.endswith(".lock")]
