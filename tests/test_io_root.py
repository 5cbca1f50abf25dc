import json
import os

import awkward as ak
import numpy as np
import pytest
import uproot

from bkgen.io.root import (
    COUNTER_BRANCH,
    RootEventWriter,
    parse_compression,
    read_events,
    read_metadata,
)

SCALARS = {
    "q2": np.float64,
    "E_miss_B": np.float64,
    "weight": np.float64,
    "channel": np.int32,
    "event_id": np.int64,
}
PARTICLES = {
    "pdg": np.int32,
    "mother": np.int32,
    "status": np.int8,
    "px": np.float64,
    "py": np.float64,
    "pz": np.float64,
    "E": np.float64,
    "vx": np.float64,
    "vy": np.float64,
    "vz": np.float64,
    "t": np.float64,
}
N_PART = 4


def make_chunk(rng, n, n_part=N_PART, start=0):
    scalars = {
        "q2": rng.uniform(0.0, 20.0, n),
        "E_miss_B": rng.uniform(0.0, 3.0, n),
        "weight": rng.exponential(1.0, n),
        "channel": rng.integers(0, 5, n).astype(np.int32),
        "event_id": np.arange(start, start + n, dtype=np.int64),
    }
    particles = {}
    for name, dtype in PARTICLES.items():
        if np.dtype(dtype).kind == "f":
            particles[name] = rng.normal(size=(n, n_part))
        else:
            particles[name] = rng.integers(-600, 600, size=(n, n_part)).astype(dtype)
    return scalars, particles


def write_file(path, chunks, metadata=None, **kwargs):
    with RootEventWriter(
        path, scalar_branches=SCALARS, particle_branches=PARTICLES, **kwargs
    ) as writer:
        for scalars, particles in chunks:
            writer.write(scalars, particles)
        writer.close(metadata or {})
    return writer


def assert_roundtrip(arrays, chunks, n_part=N_PART):
    n = sum(len(s["q2"]) for s, _ in chunks)
    assert len(arrays) == n
    for name, dtype in SCALARS.items():
        expected = np.concatenate([s[name] for s, _ in chunks])
        got = ak.to_numpy(arrays[name])
        assert got.dtype == np.dtype(dtype), name
        np.testing.assert_array_equal(got, expected)
    counts = ak.to_numpy(arrays[COUNTER_BRANCH])
    assert counts.dtype == np.int32
    np.testing.assert_array_equal(counts, np.full(n, n_part, dtype=np.int32))
    for name, dtype in PARTICLES.items():
        expected = np.concatenate([p[name] for _, p in chunks])
        column = arrays[name]
        # a regular (fixed-size) array of n_particles entries per event, not a jagged one
        assert str(ak.type(column).content) == f"{n_part} * {np.dtype(dtype).name}", name
        got = ak.to_numpy(column)
        assert got.shape == (n, n_part), name
        assert got.dtype == np.dtype(dtype), name
        np.testing.assert_array_equal(got, expected)


def test_roundtrip_values_dtypes_and_layout(tmp_path):
    rng = np.random.default_rng(12345)
    chunks = [make_chunk(rng, 257)]
    path = tmp_path / "out.root"
    writer = write_file(path, chunks)
    assert writer.closed
    assert writer.n_events == 257

    with uproot.open(path) as f:
        tree = f["events"]
        assert isinstance(tree, uproot.behaviors.TTree.TTree)
        assert tree.classname == "TTree"
        assert f.classnames()["events;1"] == "TTree"
        assert tree.num_entries == 257
        assert set(tree.keys()) == set(SCALARS) | set(PARTICLES) | {COUNTER_BRANCH}
        assert len(tree.keys()) == len(SCALARS) + len(PARTICLES) + 1
        # particle branches are fixed-size arrays (ROOT leaf "px[4]"), not counted by another branch
        for name, dtype in PARTICLES.items():
            branch = tree[name]
            assert branch.count_branch is None
            assert branch.interpretation.inner_shape == (N_PART,)
            assert branch.interpretation.to_dtype == np.dtype((dtype, (N_PART,)))
            leaf = branch.member("fLeaves")[0]
            assert leaf.member("fTitle") == f"{name}[{N_PART}]"
            assert leaf.member("fLen") == N_PART
        # n_particles is an ordinary int32 scalar branch holding the width
        for name in [*SCALARS, COUNTER_BRANCH]:
            assert tree[name].count_branch is None
            assert tree[name].interpretation.inner_shape == ()
        assert tree[COUNTER_BRANCH].interpretation.to_dtype == np.dtype(np.int32)

    assert_roundtrip(read_events(path), chunks)


def test_multiple_writes_append(tmp_path):
    rng = np.random.default_rng(7)
    chunks = [make_chunk(rng, 100, start=0), make_chunk(rng, 33, start=100), make_chunk(rng, 1, start=133)]
    path = tmp_path / "append.root"
    writer = write_file(path, chunks)
    assert writer.n_events == 134
    arrays = read_events(path)
    assert_roundtrip(arrays, chunks)
    np.testing.assert_array_equal(ak.to_numpy(arrays["event_id"]), np.arange(134))


def test_read_events_subset(tmp_path):
    rng = np.random.default_rng(3)
    chunks = [make_chunk(rng, 50)]
    path = tmp_path / "subset.root"
    write_file(path, chunks)
    arrays = read_events(path, branches=["q2", "pdg"], entry_stop=10)
    assert len(arrays) == 10
    assert set(arrays.fields) == {"q2", "pdg"}
    np.testing.assert_array_equal(ak.to_numpy(arrays["q2"]), chunks[0][0]["q2"][:10])
    np.testing.assert_array_equal(ak.to_numpy(arrays["pdg"]), chunks[0][1]["pdg"][:10])


def test_metadata_roundtrip(tmp_path):
    rng = np.random.default_rng(11)
    card = '[run]\nseed = 42\nn_events = 10\n\n[model]\nname = "scalar"  # ünïcødé\n'
    run_info = json.dumps({"version": "0.1.0", "seed": 42, "timing_s": 1.25})
    path = tmp_path / "meta.root"
    write_file(path, [make_chunk(rng, 10)], metadata={"card": card, "run_info": run_info})
    meta = read_metadata(path)
    assert meta == {"card": card, "run_info": run_info}
    assert all(type(v) is str for v in meta.values())
    with uproot.open(path) as f:
        assert f.classnames()["card;1"] == "TObjString"


def test_empty_file_has_tree(tmp_path):
    path = tmp_path / "empty.root"
    write_file(path, [], metadata={"card": "x"}, n_particles=N_PART)
    with uproot.open(path) as f:
        assert f["events"].num_entries == 0
        assert set(f["events"].keys()) == set(SCALARS) | set(PARTICLES) | {COUNTER_BRANCH}
        for name in PARTICLES:
            assert f["events"][name].interpretation.inner_shape == (N_PART,)
    assert read_metadata(path) == {"card": "x"}


def test_empty_file_needs_the_width(tmp_path):
    path = tmp_path / "empty.root"
    with pytest.raises(ValueError, match="n_particles"):
        write_file(path, [], metadata={"card": "x"})
    assert os.listdir(tmp_path) == []


def test_width_fixed_by_constructor(tmp_path):
    rng = np.random.default_rng(6)
    path = tmp_path / "w.root"
    with RootEventWriter(
        path, scalar_branches=SCALARS, particle_branches=PARTICLES, n_particles=3
    ) as writer:
        assert writer.n_particles == 3
        with pytest.raises(ValueError, match="n_particles = 3"):
            writer.write(*make_chunk(rng, 10, n_part=N_PART))
        chunks = [make_chunk(rng, 10, n_part=3)]
        writer.write(*chunks[0])
        writer.close({})
    assert_roundtrip(read_events(path), chunks, n_part=3)


def test_width_fixed_by_first_write(tmp_path):
    rng = np.random.default_rng(8)
    path = tmp_path / "w.root"
    chunks = [make_chunk(rng, 0), make_chunk(rng, 12, start=0), make_chunk(rng, 5, start=12)]
    with RootEventWriter(path, scalar_branches=SCALARS, particle_branches=PARTICLES) as writer:
        assert writer.n_particles is None
        writer.write(*chunks[0])  # no events, but the width is fixed
        assert writer.n_particles == N_PART
        writer.write(*chunks[1])
        for n_part in (N_PART - 1, N_PART + 1):
            with pytest.raises(ValueError, match=f"n_particles = {N_PART}"):
                writer.write(*make_chunk(rng, 7, n_part=n_part))
        writer.write(*chunks[2])  # a refused chunk leaves the writer usable
        writer.close({})
    assert writer.n_events == 17
    assert_roundtrip(read_events(path), chunks)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "4"])
def test_bad_width_raises(tmp_path, bad):
    with pytest.raises(ValueError, match="n_particles"):
        RootEventWriter(
            tmp_path / "x.root", scalar_branches=SCALARS, particle_branches=PARTICLES, n_particles=bad
        )
    with pytest.raises(ValueError, match="particle branches"):
        RootEventWriter(tmp_path / "x.root", scalar_branches=SCALARS, particle_branches={}, n_particles=4)
    assert os.listdir(tmp_path) == []


def test_scalar_only_file(tmp_path):
    rng = np.random.default_rng(10)
    scalars, _ = make_chunk(rng, 20)
    path = tmp_path / "s.root"
    with RootEventWriter(path, scalar_branches=SCALARS, particle_branches={}) as writer:
        writer.write(scalars, {})
        writer.close({})
    with uproot.open(path) as f:
        assert set(f["events"].keys()) == set(SCALARS)
        np.testing.assert_array_equal(f["events"]["q2"].array(library="np"), scalars["q2"])


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "exists.root"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        RootEventWriter(path, scalar_branches=SCALARS, particle_branches=PARTICLES)
    assert path.read_bytes() == b"precious"
    assert sorted(os.listdir(tmp_path)) == ["exists.root"]


def test_overwrite_true_replaces(tmp_path):
    rng = np.random.default_rng(5)
    path = tmp_path / "exists.root"
    path.write_bytes(b"old")
    chunks = [make_chunk(rng, 20)]
    write_file(path, chunks, overwrite=True)
    assert_roundtrip(read_events(path), chunks)
    assert sorted(os.listdir(tmp_path)) == ["exists.root"]


def test_exception_in_with_block_leaves_nothing(tmp_path):
    rng = np.random.default_rng(9)
    path = tmp_path / "fail.root"

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with RootEventWriter(
            path, scalar_branches=SCALARS, particle_branches=PARTICLES
        ) as writer:
            writer.write(*make_chunk(rng, 30))
            assert not path.exists()
            assert writer.tmp_path.exists()
            assert writer.tmp_path.parent == path.parent
            raise Boom()
    assert not path.exists()
    assert os.listdir(tmp_path) == []


def test_exception_keeps_existing_target(tmp_path):
    rng = np.random.default_rng(9)
    path = tmp_path / "keep.root"
    path.write_bytes(b"previous run")
    with pytest.raises(RuntimeError, match="boom"):
        with RootEventWriter(
            path, scalar_branches=SCALARS, particle_branches=PARTICLES, overwrite=True
        ) as writer:
            writer.write(*make_chunk(rng, 30))
            raise RuntimeError("boom")
    assert path.read_bytes() == b"previous run"
    assert sorted(os.listdir(tmp_path)) == ["keep.root"]


def test_bad_chunk_aborts(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "bad.root"
    scalars, particles = make_chunk(rng, 10)
    particles["px"] = particles["px"][:5]
    with pytest.raises(ValueError, match="px"):
        with RootEventWriter(path, scalar_branches=SCALARS, particle_branches=PARTICLES) as writer:
            writer.write(scalars, particles)
            writer.close({})
    assert os.listdir(tmp_path) == []


def test_write_validation(tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "v.root"
    writer = RootEventWriter(path, scalar_branches=SCALARS, particle_branches=PARTICLES)
    scalars, particles = make_chunk(rng, 10)
    with pytest.raises(ValueError, match="scalar branches"):
        writer.write({k: v for k, v in scalars.items() if k != "q2"}, particles)
    with pytest.raises(ValueError, match="particle branches"):
        writer.write(scalars, {**particles, "extra": particles["px"]})
    with pytest.raises(ValueError, match="particles per event"):
        writer.write(scalars, {**particles, "py": particles["py"][:, :2]})
    with pytest.raises(ValueError, match="particles per event"):
        writer.write(scalars, {k: v[:, :0] for k, v in particles.items()})
    with pytest.raises(TypeError):
        # float -> int is not a same-kind cast
        writer.write(scalars, {**particles, "pdg": particles["px"]})
    assert writer.n_particles is None  # refused chunks do not fix the width
    writer.abort()
    assert os.listdir(tmp_path) == []
    with pytest.raises(RuntimeError, match="closed"):
        writer.write(scalars, particles)


def test_leaving_block_without_close_discards(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "noclose.root"
    with pytest.raises(RuntimeError, match="close"):
        with RootEventWriter(path, scalar_branches=SCALARS, particle_branches=PARTICLES) as writer:
            writer.write(*make_chunk(rng, 5))
    assert os.listdir(tmp_path) == []


def test_reserved_and_duplicate_names(tmp_path):
    with pytest.raises(ValueError, match="n_particles"):
        RootEventWriter(
            tmp_path / "x.root",
            scalar_branches={"n_particles": np.int32},
            particle_branches=PARTICLES,
        )
    with pytest.raises(ValueError, match="px"):
        RootEventWriter(
            tmp_path / "x.root",
            scalar_branches={"px": np.float64},
            particle_branches=PARTICLES,
        )
    with pytest.raises(ValueError, match="dtype"):
        RootEventWriter(
            tmp_path / "x.root",
            scalar_branches={"z": np.complex128},
            particle_branches=PARTICLES,
        )
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "compression", ["none", "zstd:1", "zstd:9", "lz4:1", "lz4:4", "zlib:1", "zlib:6", "lzma:1", "ZSTD:3"]
)
def test_compression_options(tmp_path, compression):
    rng = np.random.default_rng(21)
    chunks = [make_chunk(rng, 200)]
    path = tmp_path / "c.root"
    write_file(path, chunks, metadata={"card": "a = 1"}, compression=compression)
    assert_roundtrip(read_events(path), chunks)
    assert read_metadata(path) == {"card": "a = 1"}
    expected = parse_compression(compression)
    with uproot.open(path) as f:
        if expected is None:
            assert f.file.compression is None or f.file.compression.level == 0
        else:
            assert type(f.file.compression) is type(expected)
            assert f.file.compression.level == expected.level


@pytest.mark.parametrize(
    "bad", ["", "zstd", "gzip:1", "zstd:0", "zstd:23", "lz4:13", "zlib:10", "lzma:-1", "zstd:x", "none:1", None]
)
def test_bad_compression_raises(tmp_path, bad):
    with pytest.raises(ValueError) as info:
        RootEventWriter(
            tmp_path / "x.root",
            scalar_branches=SCALARS,
            particle_branches=PARTICLES,
            compression=bad,
        )
    message = str(info.value)
    assert repr(bad) in message
    assert "zstd:N" in message and "none" in message
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("compression", ["zstd:1", "lz4:1", "zlib:1"])
def test_parallel_compression_gives_the_same_file(tmp_path, compression):
    """Baskets compressed on a thread pool ahead of uproot's extend are the ones uproot stores:
    every basket is served from the pool (none recompressed), and the file has the same size and
    contents as one compressed in the writing thread."""
    rng = np.random.default_rng(11)
    chunks = [make_chunk(rng, 3000, start=3000 * i) for i in range(3)]
    paths, hits = [], []
    for threads in (1, 2):
        path = tmp_path / f"t{threads}.root"
        with RootEventWriter(path, scalar_branches=SCALARS, particle_branches=PARTICLES, compression=compression,
                             compression_threads=threads) as writer:
            codec = writer._parallel
            for s, p in chunks:
                writer.write(s, p)
            writer.close({"note": "x"})
        paths.append(path)
        hits.append(None if codec is None else (codec.hits, codec.misses))
    assert hits[0] is None
    n_branches = len(SCALARS) + len(PARTICLES) + 1  # + n_particles
    assert hits[1][0] == 3 * n_branches
    assert os.path.getsize(paths[0]) == os.path.getsize(paths[1])
    a, b = (read_events(p) for p in paths)
    for name in a.fields:
        np.testing.assert_array_equal(ak.to_numpy(a[name]), ak.to_numpy(b[name]))
    with uproot.open(paths[1]) as f:
        assert f.file.compression == parse_compression(compression)


def test_prepare_consume_swaps_in_place_and_gives_the_same_file(tmp_path):
    """prepare(consume=True) takes over the caller's arrays (byte-swapped in place, no copy); the file
    equals one written from copies, also when two branches share one array."""
    rng = np.random.default_rng(12)
    s, p = make_chunk(rng, 2000)
    s["E_miss_B"] = s["q2"]  # the same array twice: must not be swapped twice
    ref = tmp_path / "ref.root"
    write_file(ref, [({k: v.copy() for k, v in s.items()}, {k: v.copy() for k, v in p.items()})])
    out = tmp_path / "consumed.root"
    px = p["px"]
    with RootEventWriter(out, scalar_branches=SCALARS, particle_branches=PARTICLES) as writer:
        chunk = writer.prepare(s, p, consume=True)
        assert np.shares_memory(chunk.data["px"], px)  # taken over, not copied
        writer.write_prepared(chunk)
        writer.close()
    a, b = read_events(ref), read_events(out)
    for name in a.fields:
        np.testing.assert_array_equal(ak.to_numpy(a[name]), ak.to_numpy(b[name]))
