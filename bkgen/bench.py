"""Throughput benchmarks: ``bkgen bench`` and ``benchmarks/run_benchmarks.py``.

Every figure is measured in a child process pinned to the first ``cores`` CPUs
(``NUMBA_NUM_THREADS`` = cores), after a warm-up run (JIT compilation, tables),
as the median of repeated timed runs.  Figures per card:

* ``memory``: unweighted events/s, kernel + event record as arrays, no I/O;
* ``limit``: the same kernel with flat tables (constant |M|^2, isotropic angles,
  no angular rejection): the raw limit of the sampling machinery;
* ``root``: end-to-end to a ROOT file with the standard schema (card's compression);
* the unweighting efficiency (events / angular trials).

Peers, on one job (B+ -> K+ nu nubar in the B rest frame, four-vectors as arrays):
a plain-NumPy generator (flat phase space, and the SM physics by accept-reject),
``phasespace`` (TensorFlow; weighted, unweighted by accept-reject against its
weights) and Pythia 8 particle decays (``pythia8mc``).  Missing peers are skipped.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .config.catalog import CARDS_DIR, locate
from .errors import InputError

PEER_CARD = "sm_Knunu.toml"

#: markers of the section of a results file (e.g. benchmarks/RESULTS.md) that ``bkgen bench --results`` writes
RESULTS_BEGIN, RESULTS_END = "<!-- bench:begin -->", "<!-- bench:end -->"


# ------------------------------------------------------------------ child-side measurements


def _median_rate(fn, n, repeats):
    rates = []
    extra = None
    for _ in range(repeats):
        t = time.perf_counter()
        extra = fn(n)
        rates.append(n / (time.perf_counter() - t) if extra is None else extra[0] / (time.perf_counter() - t))
    return statistics.median(rates), extra


def flat_generator(gen):
    """A copy of ``gen`` whose tables are flat: constant density in (x, t), no angular structure."""
    import copy
    import dataclasses

    import numpy as np

    t = gen.tables
    flat = copy.copy(gen)
    ft = np.ones_like(t.ft_pdf)
    mx = np.ones_like(t.mx_pdf) * (t.ft_pdf.shape[2] - 1 if t.ft_pdf.shape[2] > 1 else 1)
    flat.tables = dataclasses.replace(t, ft_pdf=ft, mx_pdf=mx,
                                      hel=np.zeros_like(t.hel), pw=np.zeros_like(t.pw))
    return flat


def child_card(card_path: str, n: int, repeats: int, root_dir: str, sets: list[str]) -> dict:
    from .config.card import load
    from .generate.generator import Generator
    from .generate.pipeline import generate_in_memory, write_root
    from .generate.threads import get_threads

    card = load(card_path, sets)
    gen = Generator(card)
    flat = flat_generator(gen)
    seed = card["generation"]["seed"]
    warm = min(n, 4 * gen.block_size())
    generate_in_memory(gen, seed, warm)
    generate_in_memory(flat, seed, warm)
    out = {"threads": get_threads()}
    stats = {}

    def mem(n_):
        stats["mem"] = generate_in_memory(gen, seed, n_)

    def kernel(n_):
        stats["kernel"] = generate_in_memory(gen, seed, n_, branches=False)

    def lim(n_):
        stats["lim"] = generate_in_memory(flat, seed, n_)

    path = Path(root_dir) / f"bench-{os.getpid()}.root"

    def root(n_):
        stats["root"] = write_root(gen, path, seed, n_, overwrite=True)

    write_root(gen, path, seed, warm, overwrite=True)
    # interleaved repeats (memory, kernel, limit, ROOT, memory, ...): a drift of the machine's speed
    # during the measurement then affects every figure alike, and the ratios stay fair
    rates: dict[str, list[float]] = {"memory": [], "kernel": [], "limit": [], "root": []}
    for _ in range(repeats):
        for key, fn in (("memory", mem), ("kernel", kernel), ("limit", lim), ("root", root)):
            rates[key].append(_median_rate(fn, n, 1)[0])
    out.update({key: statistics.median(v) for key, v in rates.items()})
    out["root_bytes_per_event"] = path.stat().st_size / n
    path.unlink()
    out["efficiency"] = stats["mem"].efficiency
    out["limit_efficiency"] = stats["lim"].efficiency
    return out


def child_storage(card_path: str, n: int, repeats: int, root_dir: str, sets: list[str]) -> dict:
    """End-to-end ROOT rate and size of one card under storage settings ``sets``."""
    from .config.card import load
    from .generate.generator import Generator
    from .generate.pipeline import write_root

    card = load(card_path, sets)
    gen = Generator(card)
    seed = card["generation"]["seed"]
    path = Path(root_dir) / f"storage-{os.getpid()}.root"
    write_root(gen, path, seed, min(n, 4 * gen.block_size()), overwrite=True)
    rate, _ = _median_rate(lambda n_: write_root(gen, path, seed, n_, overwrite=True) and None, n, repeats)
    out = {"root": rate, "root_bytes_per_event": path.stat().st_size / n}
    path.unlink()
    return out


#: storage settings compared on the benchmark card (label, card overrides)
STORAGE_CHOICES = [
    ("zstd:1, float32 (default)", []),
    ("lz4:1, float32", ["output.compression='lz4:1'"]),
    ("none, float32", ["output.compression='none'"]),
    ("zstd:1, float64", ["output.precision='float64'"]),
    ("lz4:1, float64", ["output.precision='float64'", "output.compression='lz4:1'"]),
]


def child_memory(card_path: str, n: int, root_dir: str, sets: list[str]) -> dict:
    """Peak RSS and throughput of one end-to-end ROOT run of n events."""
    import resource

    from .config.card import load
    from .generate.generator import Generator
    from .generate.pipeline import write_root

    card = load(card_path, sets)
    gen = Generator(card)
    path = Path(root_dir) / f"mem-{os.getpid()}.root"
    st = write_root(gen, path, card["generation"]["seed"], n, overwrite=True)
    size = path.stat().st_size
    path.unlink()
    return {"events": n, "rate": n / st.seconds, "peak_rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "file_MB": size / 1e6}


# --- peers (B+ -> K+ nu nubar at rest) ---


def _numpy_knunu(n, physics, rng, ff=None):
    """Plain NumPy: (q^2, K direction, nu direction) by accept-reject; four-vectors (n, 3, 4)."""
    import numpy as np

    from .physics.inputs import mass

    m_b, m_k = mass(521), mass(321)
    lo, hi = 0.0, (m_b - m_k) ** 2

    def lam(s):
        return np.clip((m_b**2 - m_k**2 - s) ** 2 - 4 * m_k**2 * s, 0.0, None)

    if physics:
        grid = np.linspace(lo, hi, 2001)
        fmax = 1.01 * np.max(ff.f_plus(grid) ** 2 * lam(grid) ** 1.5)
    else:  # flat three-body phase space: density in q^2 ~ sqrt(lambda) (massless pair)
        fmax = 1.01 * np.sqrt(lam(0.0))
    out = []
    got = 0
    while got < n:
        m = int(1.3 * (n - got)) + 1024
        s = rng.uniform(lo, hi, m)
        f = ff.f_plus(s) ** 2 * lam(s) ** 1.5 if physics else np.sqrt(lam(s))
        s = s[rng.uniform(0.0, fmax, m) < f]
        k = len(s)
        c = rng.uniform(-1, 1, (k, 2))
        if physics:  # sin^2 theta_nu by accept-reject (left-handed neutrinos, K spin 0)
            keep = rng.uniform(0, 1, k) < 1 - c[:, 1] ** 2
            s, c = s[keep], c[keep]
            k = len(s)
        phi = rng.uniform(0, 2 * np.pi, (k, 2))
        p = np.sqrt(lam(s)) / (2 * m_b)
        sk = np.sqrt(1 - c[:, 0] ** 2)
        nvec = np.stack([sk * np.cos(phi[:, 0]), sk * np.sin(phi[:, 0]), c[:, 0]], axis=1)
        ek = np.sqrt(m_k**2 + p**2)
        eq = m_b - ek
        # nu in the pair rest frame (helicity axis = pair direction), then boost along -nvec
        sn = np.sqrt(1 - c[:, 1] ** 2)
        e1 = np.cross(nvec, np.array([0.0, 0.0, 1.0]))
        nrm = np.linalg.norm(e1, axis=1, keepdims=True)
        e1 = np.where(nrm > 1e-12, e1 / np.maximum(nrm, 1e-300), np.array([1.0, 0.0, 0.0]))
        e2 = np.cross(-nvec, e1)
        r = np.sqrt(s) / 2
        d = (sn * np.cos(phi[:, 1]))[:, None] * e1 + (sn * np.sin(phi[:, 1]))[:, None] * e2 - c[:, 1:2] * nvec
        mq = np.sqrt(s)
        beta = -nvec * (p / eq)[:, None]
        gam = eq / np.maximum(mq, 1e-300)
        bp = np.einsum("ij,ij->i", beta, d) * r
        b2 = np.einsum("ij,ij->i", beta, beta)
        coef = np.where(b2 > 0, (gam - 1) * bp / np.maximum(b2, 1e-300), 0.0)
        p1 = r[:, None] * d + (coef + gam * r)[:, None] * beta
        e1_ = gam * (r + bp)
        ev = np.zeros((k, 3, 4))
        ev[:, 0, 0] = ek
        ev[:, 0, 1:] = p[:, None] * nvec
        ev[:, 1, 0] = e1_
        ev[:, 1, 1:] = p1
        ev[:, 2, 0] = eq - e1_
        ev[:, 2, 1:] = -p[:, None] * nvec - p1
        out.append(ev)
        got += k
    return np.concatenate(out)[:n]


def _numba_flat_knunu(m_b: float, m_k: float):
    """A plain Numba kernel: flat three-body B+ -> K+ nu nubar at rest (q^2 by accept-reject against
    sqrt(lambda), isotropic K and nu directions from trigonometric functions, one boost), written the
    straightforward way; four-vectors (n, 3, 4). The reference for what a bare compiled phase-space
    loop costs on this machine."""
    import numba
    import numpy as np

    q2_max = (m_b - m_k) ** 2

    @numba.njit(cache=False)
    def lam(s):
        return (m_b * m_b - m_k * m_k - s) ** 2 - 4.0 * m_k * m_k * s

    lam_max = float(np.sqrt(lam(0.0)))

    @numba.njit(cache=False)
    def run(n, seed):
        np.random.seed(seed)
        out = np.empty((n, 3, 4))
        for i in range(n):
            while True:
                s = q2_max * np.random.random()
                if np.random.random() * lam_max < np.sqrt(max(lam(s), 0.0)):
                    break
            p = np.sqrt(max(lam(s), 0.0)) / (2.0 * m_b)
            c = 2.0 * np.random.random() - 1.0
            sn = np.sqrt(1.0 - c * c)
            ph = 2.0 * np.pi * np.random.random()
            nx, ny, nz = sn * np.cos(ph), sn * np.sin(ph), c
            ek = np.sqrt(m_k * m_k + p * p)
            eq = m_b - ek
            mq = np.sqrt(s)
            # nu in the pair rest frame, isotropic, then boosted along -n with gamma beta = p / mq
            c2 = 2.0 * np.random.random() - 1.0
            s2 = np.sqrt(1.0 - c2 * c2)
            ph2 = 2.0 * np.pi * np.random.random()
            r = 0.5 * mq
            dx, dy, dz = r * s2 * np.cos(ph2), r * s2 * np.sin(ph2), r * c2
            bx, by, bz = -nx * p, -ny * p, -nz * p  # pair momentum
            bp = dx * bx + dy * by + dz * bz
            e1 = (eq * r + bp) / mq
            f = (bp / (eq + mq) + r) / mq
            out[i, 0, 0], out[i, 0, 1], out[i, 0, 2], out[i, 0, 3] = ek, p * nx, p * ny, p * nz
            out[i, 1, 0], out[i, 1, 1], out[i, 1, 2], out[i, 1, 3] = e1, dx + f * bx, dy + f * by, dz + f * bz
            out[i, 2, 0] = eq - e1
            out[i, 2, 1] = bx - out[i, 1, 1]
            out[i, 2, 2] = by - out[i, 1, 2]
            out[i, 2, 3] = bz - out[i, 1, 3]
        return out

    return run


def child_peer(name: str, n: int, repeats: int) -> dict:
    import numpy as np

    from .physics import form_factors
    from .physics.inputs import mass

    if name == "numba_flat":
        run = _numba_flat_knunu(mass(521), mass(321))
        run(1000, 1)
        seeds = iter(range(2, 1000))

        def gen_numba(k):
            run(k, next(seeds))

        rate, _ = _median_rate(gen_numba, n, repeats)
        return {"unweighted": rate}
    if name in ("numpy_flat", "numpy_physics"):
        rng = np.random.default_rng(1)
        ff = form_factors.get("B->K", "GKvD2018")
        physics = name == "numpy_physics"
        _numpy_knunu(min(n, 100000), physics, rng, ff)
        def gen_numpy(k):
            _numpy_knunu(k, physics, rng, ff)

        rate, _ = _median_rate(gen_numpy, n, repeats)
        return {"unweighted": rate}
    if name == "phasespace":
        import logging

        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        import phasespace
        import tensorflow as tf

        cores = len(os.sched_getaffinity(0))
        tf.config.threading.set_intra_op_parallelism_threads(cores)
        tf.config.threading.set_inter_op_parallelism_threads(cores)
        gen = phasespace.nbody_decay(mass(521), [mass(321), 0.0, 0.0])
        rng = np.random.default_rng(2)

        def weighted(k):
            w, parts = gen.generate(n_events=k)
            _ = {p: v.numpy() for p, v in parts.items()}, w.numpy()
            return None

        def unweighted(k):
            w, parts = gen.generate(n_events=k)
            w = w.numpy()
            keep = rng.uniform(size=k) < w
            _ = {p: v.numpy()[keep] for p, v in parts.items()}
            return (int(keep.sum()), None)

        weighted(min(n, 100000))
        rw, _ = _median_rate(weighted, n, repeats)
        ru, _ = _median_rate(unweighted, n, repeats)
        return {"weighted": rw, "unweighted": ru, "version": phasespace.__version__, "tensorflow": tf.__version__}
    if name == "pythia8":
        import pythia8mc as pythia8

        p = pythia8.Pythia("", False)
        for s in ("ProcessLevel:all = off", "521:oneChannel = 1 1.0 0 321 12 -12", "Next:numberCount = 0",
                  "Print:quiet = on"):
            p.readString(s)
        p.init()
        m = p.particleData.m0(521)
        ev = p.event

        def run(k, copy=True):
            out = np.empty((k, 3, 4))
            for i in range(k):
                ev.reset()
                ev.append(521, 1, 0, 0, 0.0, 0.0, 0.0, m, m)
                p.next()
                if copy:
                    for j in range(3):
                        q = ev[2 + j]
                        out[i, j, 0], out[i, j, 1], out[i, j, 2], out[i, j, 3] = q.e(), q.px(), q.py(), q.pz()
            return None

        n = min(n, 200000)
        run(2000)
        r_copy, _ = _median_rate(run, n, repeats)
        r_nocopy, _ = _median_rate(lambda k: run(k, copy=False), n, repeats)
        return {"unweighted": r_copy, "unweighted_no_copy": r_nocopy, "version": "pythia8mc " + _version("pythia8mc")}
    raise ValueError(name)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _child_main(spec_json: str) -> None:
    spec = json.loads(spec_json)
    kind = spec.pop("kind")
    fn = {"card": child_card, "memory": child_memory, "peer": child_peer, "storage": child_storage}[kind]
    print("BKGEN_BENCH " + json.dumps(fn(**spec)))


# ------------------------------------------------------------------ parent side


def _run_child(spec: dict, cores: int, timeout: float = 3600.0, cpu_offset: int = 0) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(cores), OMP_NUM_THREADS=str(cores), TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONWARNINGS="ignore")
    cpus = sorted(os.sched_getaffinity(0))
    use = set(cpus[cpu_offset:cpu_offset + cores]) or set(cpus[:cores])

    def pin():
        os.sched_setaffinity(0, use)

    proc = subprocess.run([sys.executable, "-c", "import sys; from bkgen.bench import _child_main; _child_main(sys.argv[1])",
                           json.dumps(spec)], capture_output=True, text=True, env=env, preexec_fn=pin, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("BKGEN_BENCH "):
            return json.loads(line[len("BKGEN_BENCH "):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    raise RuntimeError(f"benchmark child {spec.get('kind')} failed: {tail}")


def _peer_available(name: str) -> bool:
    mod = {"phasespace": "phasespace", "pythia8": "pythia8mc"}.get(name)
    if mod is None:
        return True
    import importlib.util

    return importlib.util.find_spec(mod) is not None


def _peer_parallel(name: str, n: int, repeats: int, cores: int) -> dict:
    """All-core figure of a single-threaded peer: ``cores`` pinned processes, summed rates."""
    if name == "phasespace" or cores == 1:
        return _run_child({"kind": "peer", "name": name, "n": n, "repeats": repeats}, cores)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(cores) as pool:
        res = list(pool.map(lambda i: _run_child({"kind": "peer", "name": name, "n": n // cores, "repeats": repeats},
                                                 1, cpu_offset=i), range(cores)))
    out = dict(res[0])
    for k in ("unweighted", "weighted", "unweighted_no_copy"):
        if k in out:
            out[k] = sum(r[k] for r in res)
    return out


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split()[1]
        info["memory_GB"] = round(int(mem) / 1024**2, 1)
    except OSError:
        pass
    for d in ("bkgen", "numba", "numpy", "uproot", "awkward", "cramjam", "xxhash", "phasespace", "tensorflow", "pythia8mc",
              "dask", "distributed"):
        info[d] = _version(d)
    return info


def run(cards: list[str], n: int, repeats: int, peers: bool, memory: bool, smoke: bool, log=print,
        memory_events: list[int] | None = None) -> dict:
    all_cores = len(os.sched_getaffinity(0))
    core_list = [1] if smoke else sorted({1, all_cores})
    res = {"machine": machine(), "load_before": os.getloadavg(), "events": n, "repeats": repeats, "cores": core_list, "cards": {}, "peers": {},
           "memory": []}
    with tempfile.TemporaryDirectory(prefix="bkgen-bench-") as tmp:
        for card in cards:
            name = Path(card).stem
            res["cards"][name] = {}
            for cores in core_list:
                r = _run_child({"kind": "card", "card_path": str(card), "n": n, "repeats": repeats, "root_dir": tmp,
                                "sets": []}, cores)
                res["cards"][name][cores] = r
                log(f"{name:32s} {cores} core(s): kernel {r['kernel']:.3g}, memory {r['memory']:.3g} ev/s, limit {r['limit']:.3g}, "
                    f"ROOT {r['root']:.3g} ev/s ({r['root_bytes_per_event']:.0f} B/ev), eff {r['efficiency']:.3f}")
        if peers:
            peer_card = CARDS_DIR / PEER_CARD
            job = {}
            for cores in core_list:
                job[cores] = _run_child({"kind": "card", "card_path": str(peer_card), "n": n, "repeats": repeats,
                                         "root_dir": tmp, "sets": ["beam.frame='B_rest'"]}, cores)
                log(f"job (sm_Knunu, B rest frame) {cores} core(s): kernel {job[cores]['kernel']:.3g}, memory {job[cores]['memory']:.3g} ev/s, "
                    f"limit {job[cores]['limit']:.3g}")
            res["peers"]["bkgen"] = job
            for name in ("numba_flat", "numpy_flat", "numpy_physics", "phasespace", "pythia8"):
                if not _peer_available(name):
                    log(f"peer {name}: not installed, skipped (pip install 'bkgen[bench]')")
                    res["peers"][name] = None
                    continue
                res["peers"][name] = {}
                for cores in core_list:
                    pn = n if name != "pythia8" else min(n, 200000)
                    r = _peer_parallel(name, pn, repeats, cores)
                    res["peers"][name][cores] = r
                    log(f"peer {name:14s} {cores} core(s): unweighted {r['unweighted']:.3g} ev/s")
        if not smoke:
            res["storage"] = {}
            bench_card = str(CARDS_DIR / "dark_photon_KQQ_benchmark.toml")
            for label, sets in STORAGE_CHOICES:
                r = _run_child({"kind": "storage", "card_path": bench_card, "n": n, "repeats": repeats,
                                "root_dir": tmp, "sets": sets}, all_cores)
                res["storage"][label] = r
                log(f"storage {label:28s} {all_cores} core(s): ROOT {r['root']:.3g} ev/s "
                    f"({r['root_bytes_per_event']:.0f} B/ev)")
        if memory:
            sizes = memory_events or [n // 4, n, 4 * n]
            for k in sizes:
                r = _run_child({"kind": "memory", "card_path": str(CARDS_DIR / "dark_photon_KQQ_benchmark.toml"),
                                "n": k, "root_dir": tmp, "sets": []}, all_cores)
                res["memory"].append(r)
                log(f"memory: {k} events: peak RSS {r['peak_rss_MB']:.0f} MB, {r['rate']:.3g} ev/s")
    res["load_after"] = os.getloadavg()
    return res


def _fmt(x):
    return "–" if x is None else f"{x / 1e6:.2f} M"


def targets(res: dict) -> list[str]:
    """The issue's throughput targets, evaluated on these figures."""

    def get(d, c):
        return d.get(c) or d.get(str(c))

    out = []
    cores = res["cores"]
    worst = max(((get(per, 1)["limit"] / get(per, 1)["memory"], name) for name, per in res["cards"].items()),
                default=None)
    if worst:
        bad = [n for n, per in res["cards"].items() if get(per, 1)["limit"] / get(per, 1)["memory"] > 1.5]
        out.append(f"full physics within 1.5x of the constant-|M|^2 limit (1 core): "
                   f"{'met' if not bad else 'not met for ' + ', '.join(bad)} (worst {worst[0]:.2f}, {worst[1]})")
    best = max((get(per, cores[-1])["root"], name) for name, per in res["cards"].items()) if res["cards"] else None
    if best:
        out.append(f"end-to-end ROOT >= 1e6 ev/s on {cores[-1]} cores, cards as shipped (zstd:1, float32): "
                   f"{'met' if best[0] >= 1e6 else 'not met'} (best {best[0] / 1e6:.2f} M/s, {best[1]})")
    for label, r in (res.get("storage") or {}).items():
        if label.startswith("lz4:1, float32"):
            out.append(f"end-to-end ROOT >= 1e6 ev/s on {cores[-1]} cores with {label} (benchmark card): "
                       f"{'met' if r['root'] >= 1e6 else 'not met'} ({r['root'] / 1e6:.2f} M/s, "
                       f"{r['root_bytes_per_event']:.0f} B/event)")
    job = res["peers"].get("bkgen") if res["peers"] else None
    for peer, goal in (("phasespace", 20), ("pythia8", 20), ("numpy_physics", 3), ("numpy_flat", 3)):
        per = res["peers"].get(peer) if res["peers"] else None
        if not job or not per:
            continue
        r = get(job, 1)["kernel"] / get(per, 1)["unweighted"]
        rr = get(job, 1)["memory"] / get(per, 1)["unweighted"]
        out.append(f">= {goal}x {peer} (1 core, unweighted, four-vectors as arrays): "
                   f"{'met' if r >= goal else 'not met'} ({r:.1f}x; {rr:.1f}x with bkgen's full record arrays)")
    if res["memory"]:
        rss = [r["peak_rss_MB"] for r in res["memory"]]
        out.append(f"peak RSS {min(rss):.0f}-{max(rss):.0f} MB for {res['memory'][0]['events']:,}-"
                   f"{res['memory'][-1]['events']:,} events (flat in N; < 1 GB: {'met' if max(rss) < 1024 else 'not met'})")
    return out


def report(res: dict) -> str:
    """RESULTS.md text."""
    m = res["machine"]
    cores = res["cores"]
    lines = ["# bkgen throughput benchmarks", "",
             f"Generated by `bkgen bench` ({time.strftime('%Y-%m-%d %H:%M')}); {res['events']:,} events per timed run, "
             f"median of {res['repeats']} runs after a warm-up (the figures of a card interleaved run by run); each figure in a child process pinned to the given "
             "number of CPUs. Events/s are unweighted events.", "",
             "Machine: " + ", ".join(f"{k} {v}" for k, v in m.items() if k in ("cpu", "cpus", "memory_GB", "platform", "python")),
             "", "Load average (1, 5, 15 min) before / after: " + (
                 f"{tuple(round(x, 2) for x in res['load_before'])} / {tuple(round(x, 2) for x in res['load_after'])}"
                 if "load_before" in res else "not recorded") + " (figures are only as clean as the machine was idle)",
             "", "Libraries: " + ", ".join(f"{k} {v}" for k, v in m.items()
                                          if k not in ("cpu", "cpus", "memory_GB", "platform", "python")), "",
             "## Cards", "",
             "kernel: four-vectors, vertices and observables as arrays; memory: kernel + the full event record as "
             "branch arrays (q2_rec, PDG codes, mothers, vertices); limit: memory with flat tables (constant |M|², no "
             "angular rejection); ROOT: end-to-end to a ROOT file with the standard schema and the card's compression "
             "and precision.", "",
             "| card | cores | kernel | memory | limit | limit / memory | ROOT | ROOT B/event | unweighting eff. |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, per in res["cards"].items():
        for c in cores:
            r = per.get(c) or per.get(str(c))
            lines.append(f"| {name} | {c} | {_fmt(r.get('kernel'))} | {_fmt(r['memory'])} | {_fmt(r['limit'])} | "
                         f"{r['limit'] / r['memory']:.2f} | "
                         f"{_fmt(r['root'])} | {r['root_bytes_per_event']:.0f} | {r['efficiency']:.3f} |")
    if res["peers"]:
        lines += ["", "## Peers (same job: B⁺→K⁺νν̄ in the B rest frame, four-vectors as arrays)", "",
                  "bkgen: full SM physics (form factor, helicity angles) from `cards/sm_Knunu.toml` with "
                  "`beam.frame = \"B_rest\"`; four-vectors (and vertices, q², angles) as arrays, the same output as the "
                  "peers; in brackets with the full record as branch arrays. numpy_flat: flat three-body phase space; numpy_physics: "
                  "the same SM q² and angular density by accept-reject; phasespace: weighted, unweighted by "
                  "accept-reject against its weights; Pythia 8: `pythia8mc`, B⁺ decays at rest with four-vectors "
                  "copied out; numba_flat: a plain Numba kernel for flat phase space (q² by accept-reject, trigonometric "
                  "directions, one boost), the reference for a bare compiled loop. All-core figures of single-threaded peers: one pinned process per core, rates summed.", "",
                  "| generator | cores | unweighted ev/s | bkgen / peer |", "|---|---|---|---|"]
        job = res["peers"].get("bkgen", {})
        for c in cores:
            jc = job.get(c) or job.get(str(c)) or {}
            b = jc.get("kernel")
            lines.append(f"| bkgen | {c} | {_fmt(b)} (full record {_fmt(jc.get('memory'))}) | 1 |")
            for name, per in res["peers"].items():
                if name == "bkgen":
                    continue
                if per is None:
                    lines.append(f"| {name} | {c} | not installed | – |")
                    continue
                r = per.get(c) or per.get(str(c))
                extra = f" (weighted {_fmt(r['weighted'])})" if "weighted" in r else ""
                extra += f" (no copy {_fmt(r['unweighted_no_copy'])})" if "unweighted_no_copy" in r else ""
                lines.append(f"| {name} | {c} | {_fmt(r['unweighted'])}{extra} | {b / r['unweighted']:.1f} |")
    if res.get("storage"):
        lines += ["", f"## Storage choices (dark_photon_KQQ_benchmark, end-to-end ROOT, {cores[-1]} cores)", "",
                  "| compression, precision | ev/s | bytes/event |", "|---|---|---|"]
        for label, r in res["storage"].items():
            lines.append(f"| {label} | {_fmt(r['root'])} | {r['root_bytes_per_event']:.0f} |")
    lines += ["", "## Targets", ""] + [f"* {t}" for t in targets(res)]
    if res["memory"]:
        lines += ["", "## Memory and linearity (benchmark card, end-to-end ROOT, all cores)", "",
                  "| events | peak RSS | ev/s | file |", "|---|---|---|---|"]
        for r in res["memory"]:
            lines.append(f"| {r['events']:,} | {r['peak_rss_MB']:.0f} MB | {_fmt(r['rate'])} | {r['file_MB']:.0f} MB |")
    return "\n".join(lines) + "\n"


def main(args) -> int:
    if args.repeats < 1:
        raise InputError(f"--repeats = {args.repeats}; allowed: an integer >= 1")
    if args.events is not None and args.events < 1000:
        raise InputError(f"--events = {args.events}; allowed: an integer >= 1000")
    cards = args.cards or sorted(str(p) for p in CARDS_DIR.glob("*.toml"))
    cards = [str(locate(c)) for c in cards]
    for c in cards:
        if not Path(c).is_file():
            raise InputError(f"card {c!r} does not exist; allowed: paths to TOML cards")
    if args.smoke:
        cards = cards[:1] if args.cards else [str(CARDS_DIR / PEER_CARD)]
        n, repeats, peers, memory = args.events or 20000, 1, False, False
    else:
        n, repeats, peers, memory = args.events or 2_000_000, args.repeats, not args.no_peers, args.memory
    memory_events = None
    if getattr(args, "memory_events", None):
        try:
            memory_events = [int(float(x)) for x in args.memory_events.split(",")]
        except ValueError:
            raise InputError(f"--memory-events = {args.memory_events!r}; allowed: comma-separated event counts") from None
        if any(k < 1000 for k in memory_events):
            raise InputError(f"--memory-events = {args.memory_events!r}; allowed: counts >= 1000")
        memory = True
    res = run(cards, n, repeats, peers, memory, args.smoke, memory_events=memory_events)
    text = report(res)
    if args.results:
        from .io._atomic import replace_section, write_text

        # the file's own section is refreshed; sections other benchmarks write into the same file are kept
        target = Path(args.results)
        replace_section(target, RESULTS_BEGIN, RESULTS_END, f"{RESULTS_BEGIN}\n{text}{RESULTS_END}\n")
        write_text(target.with_suffix(".json"), json.dumps(res, indent=1, default=str), overwrite=True)
        print(f"wrote {target}")
    else:
        print(text)
    return 0
