"""ROOT output: a flat ``events`` TTree plus string metadata.

File layout
-----------
``events`` (TTree)
    * one scalar branch per event-level quantity (``q2``, ``weight``, ...);
    * one int32 scalar branch ``n_particles``, the number k of particles per
      event, the same for every event of a file;
    * one fixed-size array branch per particle-level quantity (``pdg``,
      ``px``, ...), each holding k values per event (ROOT leaves ``pdg[k]/I``,
      ``px[k]/D``, ...).
top-level ``TObjString`` keys
    free-form text metadata, e.g. ``card`` (TOML) and ``run_info`` (JSON).

Files are written atomically: events go to a hidden temporary file in the
target directory, and only a complete file (tree and metadata) is renamed to
the target path.  An interrupted or failed run leaves no file at the target.

Baskets are compressed on a thread pool before uproot stores them
(:class:`_PrecompressedCodec`); the file is the one uproot alone would write.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import awkward as ak
import xxhash
import numpy as np
import uproot

from . import compression
from ._atomic import AtomicPath, is_write_error, write_failed
from .sample import BLOCK

__all__ = [
    "COUNTER_BRANCH",
    "TREE_NAME",
    "RootEventWriter",
    "parse_compression",
    "read_events",
    "read_metadata",
]

TREE_NAME = "events"
COUNTER_BRANCH = "n_particles"
#: name of the variable-length particle block (jagged branches hadrons_<field>, counter n_hadrons)
VARIABLE_BLOCK = BLOCK

_COMPRESSION_CLASSES = {"zstd": uproot.ZSTD, "lz4": uproot.LZ4, "zlib": uproot.ZLIB, "lzma": uproot.LZMA}
_ALLOWED_DTYPES = frozenset(
    np.dtype(t)
    for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64,
        np.uint8, np.uint16, np.uint32, np.uint64, np.float32, np.float64,
    )
)


def parse_compression(spec: str) -> uproot.compression.Compression | None:
    """Translate a compression string into an uproot compression setting.

    Accepted forms are ``"none"`` and ``"<algorithm>:<level>"`` with algorithm
    one of ``zstd``, ``lz4``, ``zlib``, ``lzma`` (checked by :func:`bkgen.io.compression.parse`).
    Returns ``None`` for ``"none"`` (uncompressed baskets).
    """
    setting = compression.parse(spec)
    if setting is None:
        return None
    return _COMPRESSION_CLASSES[setting[0]](setting[1])


class _PrecompressedCodec:
    """Mixin for an uproot compression class: blocks compressed ahead of time, in parallel, are
    served from a cache; any other block is compressed on the spot.

    uproot compresses a basket's payload (the big-endian array bytes; blocks of at most 16 MiB)
    one branch after another from the thread that calls ``extend``. The codecs release the GIL,
    so :meth:`precompress` compresses the payloads of all branches of a chunk on a thread pool
    first; ``compress`` then finds each block by length and xxh3 hash. A block not found (e.g. if
    uproot's payload layout ever differs) is compressed normally, so the file never depends on
    the cache, only the speed does."""

    def _setup(self, workers: int) -> None:
        self._cache: dict[tuple[int, int], bytes] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bkgen-compress")
        self.hits = 0
        self.misses = 0

    def submit(self, payloads: list[np.ndarray]) -> list:
        """Start compressing the bytes of C-contiguous arrays on the thread pool (no copies); returns
        what :meth:`collect` needs."""
        return [((p.nbytes, xxhash.xxh3_64_intdigest(p)), self._pool.submit(self._plain_compress, p))
                for p in payloads if 0 < p.nbytes <= _MAX_BLOCK]

    def collect(self, pending: list) -> None:
        """Wait for submitted payloads and keep the results for :meth:`compress`."""
        for key, future in pending:
            self._cache[key] = future.result()

    def compress(self, data) -> bytes:
        packed = self._cache.pop((len(data), xxhash.xxh3_64_intdigest(data)), None) if self._cache else None
        if packed is None:
            self.misses += 1
            return self._plain_compress(data)
        self.hits += 1
        return packed

    def shutdown(self) -> None:
        self._cache.clear()
        self._pool.shutdown(wait=True)


@dataclass
class PreparedChunk:
    """A chunk checked and converted by :meth:`RootEventWriter.prepare`, its baskets being compressed."""

    data: dict
    n_events: int
    width: int | None
    pending: list = field(default_factory=list)


#: largest block uproot hands to a codec in one call (ROOT's 3-byte size field)
_MAX_BLOCK = (1 << 24) - 1


def _parallel_codec(codec, workers: int):
    """An instance of a subclass of ``type(codec)`` (so uproot writes the same headers and file
    settings) that serves precompressed blocks (:class:`_PrecompressedCodec`)."""
    base = type(codec)
    code = next(k for k, v in uproot.compression.algorithm_codes.items() if v is base)
    cls = type(f"Parallel{base.__name__}", (_PrecompressedCodec, base), {
        "_plain_compress": lambda self, data: base.compress(self, data),
        # uproot identifies the algorithm by exact type; report the base class's code
        "code_pair": property(lambda self: (code, self.level)),
    })
    out = cls(codec.level)
    out._setup(workers)
    return out


def _file_arrays(items: list[tuple[str, np.ndarray, np.dtype]], consume: bool) -> dict[str, np.ndarray]:
    """``name -> array`` as C-contiguous arrays of the file dtypes (big-endian). With ``consume``, a
    writeable contiguous native array of its file type that shares no memory with another item is
    byte-swapped in place and used as it is; every other array is copied first, while all arrays
    still hold their original values."""
    own = [False] * len(items)
    if consume:
        for i, (_, arr, dtype) in enumerate(items):
            own[i] = (arr.dtype == dtype.newbyteorder("=") and arr.flags.c_contiguous and arr.flags.writeable
                      and not any(np.may_share_memory(arr, other) for j, (_, other, _) in enumerate(items) if j != i))
    out = {name: arr.astype(dtype, order="C", casting="same_kind", copy=True)
           for (name, arr, dtype), mine in zip(items, own) if not mine}
    for (name, arr, dtype), mine in zip(items, own):
        if mine:
            if arr.dtype.itemsize > 1:
                arr.byteswap(inplace=True)
            out[name] = arr.view(dtype)
    return {name: out[name] for name, _, _ in items}


def _normalise_dtypes(branches: Mapping[str, Any], kind: str) -> dict[str, np.dtype]:
    out: dict[str, np.dtype] = {}
    for name, dtype in branches.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"{kind} branch names must be non-empty strings, got {name!r}")
        if "/" in name or ";" in name or "[" in name or "]" in name:
            raise ValueError(f"{kind} branch name {name!r} contains a forbidden character")
        dt = np.dtype(dtype)
        if dt.shape != () or dt.newbyteorder("=") not in _ALLOWED_DTYPES:
            raise ValueError(
                f"{kind} branch {name!r}: unsupported dtype {dt}; allowed are "
                f"{sorted(d.name for d in _ALLOWED_DTYPES)}"
            )
        out[name] = dt.newbyteorder("=")
    return out


def _check_width(width: Any, what: str) -> int:
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
        raise ValueError(f"{what} = {width!r}; allowed: an integer >= 1")
    return int(width)


class RootEventWriter:
    """Streams events into a TTree ``events`` of a ROOT file, written atomically.

    Parameters
    ----------
    path
        Target file.  Nothing is created at this path until :meth:`close`.
    scalar_branches
        Event-level branches, ``name -> dtype``.
    particle_branches
        Particle-level branches, ``name -> dtype``.  Stored as fixed-size array
        branches of k entries per event, next to the int32 branch
        ``n_particles`` holding k.
    compression
        ``"none"``, ``"zstd:N"``, ``"lz4:N"``, ``"zlib:N"`` or ``"lzma:N"``.
    overwrite
        Replace an existing file at ``path``.  If false and ``path`` exists,
        :class:`FileExistsError` is raised before anything is created.
    n_particles
        The number k of particles per event.  If omitted, the first
        :meth:`write` fixes it; a file closed without any write then needs it.
        A later write with another k raises :class:`ValueError`.
    compression_threads
        Threads that compress the baskets of a chunk in parallel (default: the
        CPUs this process may use; 1: compress in the writing thread, as uproot
        does).  The file is identical either way.
    variable_branches
        Fields of a per-event variable-length block of particles after the k
        fixed ones (``name -> dtype``; the hadronisation products), written as
        jagged branches ``hadrons_<name>`` with the counter ``n_hadrons``. Each
        write then needs ``particles["hadrons"]``, an object with ``counts``
        (per event) and ``fields`` (name -> the flat values of all events).

    Each :meth:`write` call appends its events as one basket per branch.  Use
    as a context manager: an exception inside the block calls :meth:`abort`;
    leaving the block normally requires :meth:`close` to have been called.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        scalar_branches: Mapping[str, Any],
        particle_branches: Mapping[str, Any],
        compression: str = "zstd:1",
        overwrite: bool = False,
        n_particles: int | None = None,
        compression_threads: int | None = None,
        variable_branches: Mapping[str, Any] | None = None,
    ) -> None:
        self.path = Path(path)
        self.scalar_branches = _normalise_dtypes(scalar_branches, "scalar")
        self.particle_branches = _normalise_dtypes(particle_branches, "particle")
        self.variable_branches = _normalise_dtypes(variable_branches or {}, "variable")
        self.compression = compression

        names = list(self.scalar_branches) + list(self.particle_branches)
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"branch names used as both scalar and particle branches: {duplicated}")
        if COUNTER_BRANCH in names:
            raise ValueError(f"branch name {COUNTER_BRANCH!r} is reserved for the particle counter")

        if n_particles is not None:
            if not self.particle_branches:
                raise ValueError(f"n_particles = {n_particles!r} given without particle branches")
            n_particles = _check_width(n_particles, "n_particles")
        self.n_particles: int | None = n_particles
        self._scalar_be = {k: dt.newbyteorder(">") for k, dt in self.scalar_branches.items()}
        self._particle_be = {k: dt.newbyteorder(">") for k, dt in self.particle_branches.items()}

        codec = parse_compression(compression)
        threads = len(os.sched_getaffinity(0)) if compression_threads is None else int(compression_threads)
        if threads < 1:
            raise ValueError(f"compression_threads = {compression_threads!r}; allowed: an integer >= 1")
        self._parallel = None
        if codec is not None and threads > 1:
            codec = self._parallel = _parallel_codec(codec, threads)

        # refuses an existing target (unless overwrite), special files and the run's inputs
        self._target = AtomicPath(self.path, overwrite=overwrite)
        self.overwrite = overwrite
        self.tmp_path = self._target.tmp
        self.n_events = 0
        self._closed = False
        self._file = None
        self._tree = None

        try:
            self._file = uproot.recreate(self.tmp_path, compression=codec)
            if not self.particle_branches or self.n_particles is not None:
                self._make_tree()
        except BaseException:
            self.abort()
            raise

    def _make_tree(self) -> None:
        """Declare the tree; the particle width ``self.n_particles`` must be known."""
        types: dict[str, Any] = dict(self.scalar_branches)
        if self.particle_branches:
            assert self.n_particles is not None
            types[COUNTER_BRANCH] = np.dtype(np.int32)
            for name, dt in self.particle_branches.items():
                types[name] = np.dtype((dt, (self.n_particles,)))
        if self.variable_branches:
            fields = ", ".join(f"{k}: {dt.name}" for k, dt in self.variable_branches.items())
            types[VARIABLE_BLOCK] = f"var * {{{fields}}}"
        self._tree = self._file.mktree(TREE_NAME, types, counter_name=lambda counted: "n_" + counted)

    # ------------------------------------------------------------------ writing

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the committed file (computed from the temporary file just before the rename)."""
        return self._target.sha256

    @property
    def closed(self) -> bool:
        """True once :meth:`close` or :meth:`abort` has been called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"writer for {self.path} is already closed")

    def write(self, scalars: Mapping[str, np.ndarray], particles: Mapping[str, np.ndarray]) -> None:
        """Append a chunk of events (:meth:`prepare` then :meth:`write_prepared`).

        ``scalars[name]`` has shape ``(n,)``; ``particles[name]`` has shape
        ``(n, k)`` with the same k for every write to a file.  The key sets
        must equal the declared branches.  Values are cast to the declared
        dtypes (same-kind casts only).
        """
        self.write_prepared(self.prepare(scalars, particles))

    def prepare(self, scalars: Mapping[str, np.ndarray], particles: Mapping[str, np.ndarray], *,
                consume: bool = False) -> PreparedChunk:
        """Check and convert a chunk (arguments as for :meth:`write`) and start compressing its
        baskets on the thread pool; nothing is written. A pipeline calls this from the generating
        thread and :meth:`write_prepared` from the writing one, so compression overlaps both.

        By default the arrays are copied (converted to the file's big-endian dtypes), so the caller
        may reuse them at once. With ``consume`` the chunk takes over the caller's arrays:
        contiguous native arrays of the declared dtype are byte-swapped in place and stored as
        they are (no copy; the caller must not use them until the chunk is written)."""
        self._check_open()
        if set(scalars) != set(self.scalar_branches):
            raise ValueError(
                f"scalar branches {sorted(scalars)} do not match the declared "
                f"{sorted(self.scalar_branches)}"
            )
        block = particles.get(VARIABLE_BLOCK)
        if (block is not None) != bool(self.variable_branches):
            raise ValueError(f"particles[{VARIABLE_BLOCK!r}] given: {block is not None}, declared: "
                             f"{bool(self.variable_branches)}; allowed: a variable block exactly when declared")
        particles = {k: v for k, v in particles.items() if k != VARIABLE_BLOCK}
        if set(particles) != set(self.particle_branches):
            raise ValueError(
                f"particle branches {sorted(particles)} do not match the declared "
                f"{sorted(self.particle_branches)}"
            )

        # Arrays are cast straight to the file's big-endian dtypes: one pass does
        # the dtype cast, the byte swap and, for broadcast or strided inputs,
        # the contiguous copy; uproot then converts nothing.
        n_events: int | None = None
        data: dict[str, Any] = {}
        items: list[tuple[str, np.ndarray, np.dtype]] = []
        for name, dtype in self._scalar_be.items():
            arr = np.asarray(scalars[name])
            if arr.ndim != 1:
                raise ValueError(f"scalar branch {name!r} must be 1-D, got shape {arr.shape}")
            if n_events is None:
                n_events = len(arr)
            elif len(arr) != n_events:
                raise ValueError(
                    f"scalar branch {name!r} has {len(arr)} entries, expected {n_events}"
                )
            items.append((name, arr, dtype))

        width: int | None = None
        for name, dtype in self._particle_be.items():
            arr = np.asarray(particles[name])
            if arr.ndim != 2:
                raise ValueError(
                    f"particle branch {name!r} must have shape (n_events, n_particles), "
                    f"got {arr.shape}"
                )
            if n_events is None:
                n_events = arr.shape[0]
            if arr.shape[0] != n_events:
                raise ValueError(
                    f"particle branch {name!r} has {arr.shape[0]} events, expected {n_events}"
                )
            if width is None:
                width = arr.shape[1]
                if self.n_particles is None:
                    _check_width(width, f"particle branch {name!r}: particles per event")
                elif width != self.n_particles:
                    raise ValueError(
                        f"particle branch {name!r} has {width} particles per event, but "
                        f"{self.path} has n_particles = {self.n_particles} (fixed by the "
                        f"constructor or the first write); allowed: the same number in every write"
                    )
            elif arr.shape[1] != width:
                raise ValueError(
                    f"particle branch {name!r} has {arr.shape[1]} particles per event, "
                    f"expected {width}"
                )
            items.append((name, arr, dtype))

        data.update(_file_arrays(items, consume))
        n_events = n_events or 0
        if width is not None and n_events:
            data[COUNTER_BRANCH] = np.full(n_events, width, dtype=">i4")
        if block is not None:
            counts = np.asarray(block.counts, dtype=np.int64)
            if len(counts) != n_events or counts.sum() != len(next(iter(block.fields.values()), [])):
                raise ValueError(f"variable block: {len(counts)} counts summing to {int(counts.sum())} for "
                                 f"{n_events} events; allowed: one count per event, summing to the entries")
            data[VARIABLE_BLOCK] = ak.zip({name: ak.unflatten(np.ascontiguousarray(block.fields[name], dtype=dt), counts)
                                           for name, dt in self.variable_branches.items()})
        pending = []
        if self._parallel is not None and n_events:  # each branch's basket payload, compressed on the pool
            pending = self._parallel.submit([v for v in data.values() if isinstance(v, np.ndarray)])
        return PreparedChunk(data, n_events, width, pending)

    def write_prepared(self, chunk: PreparedChunk) -> None:
        """Append a chunk returned by :meth:`prepare` (chunks are stored in the order of these calls)."""
        self._check_open()
        try:
            if self.n_particles is not None and chunk.width is not None and chunk.width != self.n_particles:
                raise ValueError(f"chunk has {chunk.width} particles per event, but {self.path} has "
                                 f"n_particles = {self.n_particles}; allowed: the same number in every write")
            if self._tree is None:
                self.n_particles = chunk.width
                self._make_tree()
            if not chunk.n_events:
                return
            if self._parallel is not None:
                self._parallel.collect(chunk.pending)
            self._tree.extend(chunk.data)
        except BaseException:
            self.abort()
            raise
        self.n_events += chunk.n_events

    # --------------------------------------------------------------- finishing

    def close(self, metadata: Mapping[str, str] | None = None) -> None:
        """Write ``metadata`` as top-level TObjStrings and move the file into place."""
        self._check_open()
        metadata = dict(metadata or {})
        try:
            if self._tree is None:
                raise ValueError(
                    f"{self.path}: nothing written and the number of particles per event "
                    f"is unknown; allowed: RootEventWriter(..., n_particles=k) for a file "
                    f"without events"
                )
            for key, value in metadata.items():
                if not isinstance(key, str) or not key or "/" in key or ";" in key:
                    raise ValueError(f"invalid metadata key {key!r}")
                if key == TREE_NAME:
                    raise ValueError(f"metadata key {key!r} clashes with the event tree")
                if not isinstance(value, str):
                    raise TypeError(f"metadata value for {key!r} must be str, got {type(value).__name__}")
                self._file[key] = value
            self._file.close()
            self._file = None
            self._shutdown_pool()
            self._target.commit()
        except BaseException:
            self.abort()
            raise
        self._closed = True

    def abort(self) -> None:
        """Discard everything written so far; the target path is not touched."""
        self._closed = True
        file, self._file, self._tree = self._file, None, None
        if file is not None:
            try:
                file.close()
            except Exception:
                pass
        self._shutdown_pool()
        self._target.discard()

    def _shutdown_pool(self) -> None:
        parallel, self._parallel = getattr(self, "_parallel", None), None
        if parallel is not None:
            parallel.shutdown()

    def __enter__(self) -> RootEventWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
            if is_write_error(exc):
                raise write_failed(self.path, exc) from None
            return
        if not self._closed:
            self.abort()
            raise RuntimeError(
                f"RootEventWriter for {self.path} left without close(); output discarded"
            )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<RootEventWriter {str(self.path)!r} {state}, {self.n_events} events>"


# ------------------------------------------------------------------- reading


def read_events(
    path: str | os.PathLike[str],
    branches: Sequence[str] | None = None,
    entry_stop: int | None = None,
) -> ak.Array:
    """Read the ``events`` tree (optionally a subset of branches / entries).

    Particle branches come back as regular ``k * dtype`` arrays."""
    with uproot.open(path) as file:
        return file[TREE_NAME].arrays(
            None if branches is None else list(branches), entry_stop=entry_stop, library="ak"
        )


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """All top-level TObjString keys of a file, ``name -> text`` (latest cycle)."""
    out: dict[str, str] = {}
    with uproot.open(path) as file:
        latest: dict[str, tuple[int, str]] = {}
        for key, classname in file.classnames(recursive=False).items():
            if classname != "TObjString":
                continue
            name, _, cycle = key.rpartition(";")
            if not name:
                name, cycle = key, "0"
            cyc = int(cycle) if cycle.isdigit() else 0
            if name not in latest or cyc > latest[name][0]:
                latest[name] = (cyc, key)
        for name, (_, key) in latest.items():
            out[name] = str(file[key])
    return out
