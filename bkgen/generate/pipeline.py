"""Generation to a ROOT file with compression and writing overlapped with generation.

Three stages overlap: the main thread generates chunk k+1 on all cores (the
numba kernels run without the GIL); the ROOT writer's thread pool compresses
the baskets of the chunks queued (``RootEventWriter.prepare``; the codecs also
release the GIL); a writer thread hands chunk k to uproot, which stores the
precompressed baskets.  At most ``QUEUE_CHUNKS`` chunks wait between the
stages, which keeps memory flat in the number of events.

A run covers whole RNG blocks ``first_block .. first_block + n_blocks - 1`` of
a seed; event numbers continue from ``first_block * block_size``.  The events
do not depend on the chunking, so any split of a run into block ranges gives
the same events as a single pass.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import dataclass

from ..config.card import dumps
from ..io.root import RootEventWriter
from .generator import Generator
from .threads import get_threads

#: events per chunk handed to the writer: one basket per branch and chunk
CHUNK_EVENTS = 131072
#: chunks that may wait for the writer
QUEUE_CHUNKS = 2


@dataclass
class RunStats:
    events: int = 0  # written (after a detector accept-reject, if any)
    generated: int = 0  # unweighted events generated
    trials: int = 0
    overweight: int = 0
    seconds: float = 0.0
    sha256: str | None = None  # of the file written (write_root, write_events)

    @property
    def efficiency(self) -> float:
        """Unweighting efficiency: generated events per angular trial."""
        return self.generated / self.trials if self.trials else float("nan")


def chunk_blocks(gen: Generator, threads: int | None = None) -> int:
    """Blocks per chunk: about CHUNK_EVENTS events, at least one block per thread."""
    t = threads or get_threads()
    return max(t, math.ceil(CHUNK_EVENTS / gen.block_size()))


def iter_chunks(gen: Generator, seed: int, n_events: int, first_block: int = 0, n_blocks: int | None = None,
                blocks_per_chunk: int | None = None, reuse: bool = False, records=None):
    """Yield (raw kernel output, first event number, n) over blocks ``first_block ..`` of a run of
    ``n_events`` events in total (the run's last block may be partial). With ``reuse`` every chunk is
    written into the same arrays: the consumer must be done with a chunk before asking for the next.
    With ``records``, a function (chunk index, n) -> record buffers (Generator.branch_buffers), the
    kernel fills each chunk's event record as well (Generator.generate_range(record=...))."""
    bs = gen.block_size()
    total_blocks = -(-n_events // bs)
    last = total_blocks if n_blocks is None else min(total_blocks, first_block + n_blocks)
    step = blocks_per_chunk or chunk_blocks(gen)
    buffers = gen.raw_buffers(min(step * bs, max(n_events - first_block * bs, 0))) if reuse else None
    b = first_block
    j = 0
    while b < last:
        nb = min(step, last - b)
        first_event = b * bs
        n = min(nb * bs, n_events - first_event)
        record = records(j, n) if records is not None else None
        yield gen.generate_range(seed, b, nb, n, out=buffers, record=record), first_event, n
        b += nb
        j += 1


def run_to_writer(gen: Generator, writer, seed: int, n_events: int, *, first_block: int = 0,
                  n_blocks: int | None = None, progress=None, blocks_per_chunk: int | None = None) -> RunStats:
    """Generate blocks ``first_block ..`` (all blocks of the run by default) into an open event writer
    (anything with ``write(scalars, particles)``), writing from a second thread. The writer is not closed."""
    stats = RunStats()
    t0 = time.perf_counter()
    if getattr(gen, "hadroniser", None) is not None:  # the file's run_info counts its own hadronised events
        gen.hadroniser.reset()
    q: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
    failure: list[BaseException] = []
    # a writer with prepare/write_prepared (ROOT) starts compressing a chunk as soon as it is queued
    prepare = getattr(writer, "prepare", None)
    store = writer.write_prepared if prepare is not None else (lambda item: writer.write(*item))

    def consume():
        while True:
            item = q.get()
            if item is None:
                return
            if failure:
                continue  # drain after a failure
            try:
                store(item)
            except BaseException as exc:  # re-raised in the generating thread
                failure.append(exc)

    thread = threading.Thread(target=consume, name="bkgen-writer", daemon=True)
    thread.start()
    # Branch arrays cycle through QUEUE_CHUNKS + 2 buffer sets: while chunk j is filled, at most
    # QUEUE_CHUNKS chunks wait in the queue and the writer holds one more, so the set of chunk
    # j - (QUEUE_CHUNKS + 2) has been written. Reuse saves the page faults of fresh arrays.
    pool: list[dict | None] = [None] * (QUEUE_CHUNKS + 2)

    def record_buffers(j: int, n: int) -> dict:
        slot = j % len(pool)
        if pool[slot] is None or pool[slot]["pdg"].shape[0] < n:
            pool[slot] = gen.branch_buffers(n)
        return pool[slot]

    try:
        for raw, first_event, n in iter_chunks(gen, seed, n_events, first_block, n_blocks, blocks_per_chunk,
                                               reuse=True, records=record_buffers):
            if failure:
                break
            scalars, particles = gen.to_branches(raw, first_event)
            stats.events += len(scalars["event"])
            stats.generated += n
            stats.trials += raw["trials"]
            stats.overweight += raw["overweight"]
            del raw
            # the branch arrays live in the pool, so the writer may take them over (consume)
            q.put(prepare(scalars, particles, consume=True) if prepare is not None else (scalars, particles))
            if progress is not None:
                progress.update(n)
    finally:
        q.put(None)
        thread.join()
    if failure:
        raise failure[0]
    stats.seconds = time.perf_counter() - t0
    return stats


def write_root(gen: Generator, path, seed: int, n_events: int, *, first_block: int = 0, n_blocks: int | None = None,
               overwrite: bool = False, progress=None, metadata_extra: dict | None = None,
               blocks_per_chunk: int | None = None, digest: bool = False) -> RunStats:
    """Generate blocks ``first_block ..`` (all blocks of the run by default) into the ROOT file ``path``,
    atomically. ``run_info`` holds the counts of the blocks written; ``metadata_extra`` adds string keys
    (e.g. the block range of a distributed chunk)."""
    t0 = time.perf_counter()
    scalar_types, particle_types = gen.branch_types()
    with RootEventWriter(
        path, scalar_branches=scalar_types, particle_branches=particle_types,
        compression=gen.card["output"]["compression"], overwrite=overwrite, n_particles=len(gen.record.slots),
        variable_branches=gen.variable_branch_types(),
    ) as writer:
        writer._target.digest = digest
        stats = run_to_writer(gen, writer, seed, n_events, first_block=first_block, n_blocks=n_blocks,
                              progress=progress, blocks_per_chunk=blocks_per_chunk)
        metadata = {"card": dumps(gen.card), "run_info": gen.run_info(seed, stats.events, stats.trials, stats.overweight,
                                                                   stats.generated), **basf2_metadata(gen)}
        metadata.update(metadata_extra or {})
        writer.close(metadata)
    stats.seconds = time.perf_counter() - t0
    stats.sha256 = writer.sha256
    return stats


def basf2_metadata(gen: Generator) -> dict:
    """``{"basf2": steering}``: the basf2 steering of the card's sample (bkgen.io.basf2), stored in
    every output's metadata; empty where the events cannot be handed to basf2 as they are."""
    from ..io.basf2 import metadata_text

    text = metadata_text(gen)
    return {} if text is None else {"basf2": text}


def open_writer(gen: Generator, path, overwrite: bool = False, digest: bool = False):
    """The event writer of the card's ``output.format`` (root, hepmc3, hepmc2, lhe) for ``path``; with
    ``digest`` its ``sha256`` holds the SHA-256 of the committed file after ``close``."""
    card = gen.card
    fmt = card["output"]["format"]
    if fmt in ("hepmc3", "hepmc2"):
        from ..io.hepmc import HepMCWriter

        writer = HepMCWriter(path, version=int(fmt[-1]), overwrite=overwrite, beam=card["beam"],
                             xsec_pb=gen.event_cross_section_pb(), card_text=dumps(card),
                             attributes={f"bkgen_{k}": v for k, v in basf2_metadata(gen).items()})
    elif fmt == "lhe":
        from ..io.lhe import LHEWriter
        from ..physics.beams import from_card

        weighted = (card["detector"]["efficiency"] != "none" and card["detector"]["efficiency_mode"] == "weight") or (
            card["displacement"]["force_region"] != "none")
        xsec, err = gen.event_cross_section_pb()  # resolve() refuses LHE where there is none
        writer = LHEWriter(path, beam=card["beam"], xsec_pb=xsec, xsec_err_pb=err, card_text=dumps(card),
                           overwrite=overwrite, weighted=weighted, sqrt_s=from_card(card["beam"])["sqrt_s"],
                           basf2_text=basf2_metadata(gen).get("basf2", ""))
    else:
        scalar_types, particle_types = gen.branch_types()
        writer = RootEventWriter(
            path, scalar_branches=scalar_types, particle_branches=particle_types,
            compression=card["output"]["compression"], overwrite=overwrite, n_particles=len(gen.record.slots),
            variable_branches=gen.variable_branch_types(),
        )
    writer._target.digest = digest
    return writer


def write_events(gen: Generator, path, seed: int, n_events: int, *, first_block: int = 0,
                 n_blocks: int | None = None, overwrite: bool = False, metadata_extra: dict | None = None) -> RunStats:
    """Blocks ``first_block ..`` of a run into ``path`` in the card's output format, atomically, with
    the SHA-256 of the file in ``sha256`` (ROOT: :func:`write_root`; HepMC and LHE carry no metadata keys)."""
    if gen.card["output"]["format"] == "root":
        return write_root(gen, path, seed, n_events, first_block=first_block, n_blocks=n_blocks,
                          overwrite=overwrite, metadata_extra=metadata_extra, digest=True)
    t0 = time.perf_counter()
    with open_writer(gen, path, overwrite, digest=True) as writer:
        stats = run_to_writer(gen, writer, seed, n_events, first_block=first_block, n_blocks=n_blocks)
        writer.close()
    stats.seconds = time.perf_counter() - t0
    stats.sha256 = writer.sha256
    return stats


def generate_in_memory(gen: Generator, seed: int, n_events: int, *, blocks_per_chunk: int | None = None,
                       branches: bool = True) -> RunStats:
    """Generate (and by default convert to branch arrays) without writing: the in-memory throughput."""
    stats = RunStats()
    t0 = time.perf_counter()
    out: list[dict] = []

    def record_buffers(j: int, n: int) -> dict:
        if not out or out[0]["pdg"].shape[0] < n:
            out[:] = [gen.branch_buffers(n)]
        return out[0]

    for raw, first_event, n in iter_chunks(gen, seed, n_events, blocks_per_chunk=blocks_per_chunk, reuse=True,
                                           records=record_buffers if branches else None):
        if branches:
            gen.to_branches(raw, first_event)
        stats.events += n
        stats.generated += n
        stats.trials += raw["trials"]
        stats.overweight += raw["overweight"]
    stats.seconds = time.perf_counter() - t0
    return stats
