"""The Python API: events as awkward arrays, card summaries as dictionaries.

``events.particles`` is a jagged array of records with vector's ``Momentum4D`` behaviour (fields
px, py, pz, E in GeV; ``.mass``, ``.pt``, ``.eta``, boosts, ... from ``vector``) plus pdg, mother
(index in the event, -1 for none), status (1 final, 2 decayed), m_gen (the generated mass, GeV) and
the production vertex vx, vy, vz (mm), vt (ns). The per-event branches (q2, weight, channel, ...) are
top-level fields. The same structure comes from :func:`generate` (in memory) and :func:`read` (a
ROOT file written by ``bkgen generate``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: particle branch of the ROOT file -> field of the API record (vector reads E, m and t as coordinates)
_RENAMED = {"m": "m_gen", "t": "vt"}
_COUNTER = "n_particles"


def _card(card_or_name, overrides: dict | None) -> dict:
    """A resolved card from a path, a shipped card's name or a card dict, with ``overrides``
    ({"model.alpha_D": 0.5, ...}) applied."""
    import tomli_w

    from .config.card import apply_overrides, load_raw, resolve

    def toml_value(value):
        if isinstance(value, dict):  # an inline table, e.g. a complex coefficient {re = x, im = y}
            return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
        return tomli_w.dumps({"v": value})[4:].strip()

    raw = dict(card_or_name) if isinstance(card_or_name, dict) else load_raw(card_or_name)
    sets = [f"{key}={toml_value(value)}" for key, value in (overrides or {}).items()]
    return resolve(apply_overrides(raw, sets))


def _events(scalars: dict, particles: dict, block=None):
    """(scalar branches, particle branches of shape (n, k), optional variable block with ``counts`` and
    flat ``fields``) -> the awkward event array; each event's particles are its k fixed entries followed
    by its variable block (the hadronisation products), so ``mother`` indexes this list."""
    import awkward as ak
    import vector

    from .generate.generator import PARTICLE_BRANCHES, SCALAR_BRANCHES

    def ordered(d: dict, first: dict) -> list[str]:  # the schema's order, then extra branches by name
        return [k for k in first if k in d] + sorted(k for k in d if k not in first)

    fields = {}
    for key in ordered(particles, PARTICLE_BRANCHES):
        value = particles[key]
        arr = np.asarray(value)
        col = ak.from_regular(ak.from_numpy(np.ascontiguousarray(arr)), axis=1)
        if block is not None:  # the fixed entries, then the event's variable block
            flat = np.asarray(block.fields[key]).astype(arr.dtype, copy=False)
            col = ak.concatenate([col, ak.unflatten(flat, np.asarray(block.counts, dtype=np.int64))], axis=1)
        fields[_RENAMED.get(key, key)] = col
    particles_ak = ak.zip(fields, with_name="Momentum4D", behavior=vector.backends.awkward.behavior)
    columns = {key: ak.from_numpy(np.ascontiguousarray(scalars[key])) for key in ordered(scalars, SCALAR_BRANCHES)}
    columns["particles"] = particles_ak
    return ak.zip(columns, depth_limit=1, behavior=vector.backends.awkward.behavior)


def generate(card_or_name, n: int, seed: int | None = None, overrides: dict | None = None):
    """``n`` unweighted events of a card (a path, a shipped card's name, or a card dict) as an
    awkward array; ``seed`` defaults to the card's generation.seed. The events are those of
    ``bkgen generate`` with the same card, seed and ``-n``."""
    from .errors import InputError
    from .generate.generator import Generator

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n = {n!r}; allowed: an integer >= 1")
    card = _card(card_or_name, overrides)
    seed = card["generation"]["seed"] if seed is None else int(seed)
    gen = Generator(card)
    gen.compile()  # on a cold cache with a second process (kernels.precompile)
    from .io.sample import BLOCK as VARIABLE_BLOCK

    sc, pa, blocks = [], [], []
    for s, p, _ in gen.events(int(n), seed):
        sc.append({k: np.array(v) for k, v in s.items()})  # copies: the chunk buffers are reused
        pa.append({k: np.array(v) for k, v in p.items() if k != VARIABLE_BLOCK})
        if VARIABLE_BLOCK in p:
            blocks.append(p[VARIABLE_BLOCK])
    scalars = {k: np.concatenate([c[k] for c in sc]) for k in sc[0]}
    particles = {k: np.concatenate([c[k] for c in pa]) for k in pa[0]}
    return _events(scalars, particles, _concat_blocks(blocks) if blocks else None)


def _concat_blocks(blocks: list):
    """One variable block from the blocks of consecutive chunks."""
    from .generate.hadronise import HadronBlock

    return HadronBlock(np.concatenate([b.counts for b in blocks]),
                       {k: np.concatenate([b.fields[k] for b in blocks]) for k in blocks[0].fields})


def summary(card, ff_uncertainty: bool = False) -> dict:
    """The summary of a resolved card as ``bkgen info --json`` prints it (before JSON encoding)."""
    from .generate.decay import DecayPhysics

    physics = DecayPhysics.from_card(card)
    physics.require_open()
    if physics.decay.extension is not None:  # e.g. displaced decays: the extension summarises a sample
        from .generate.generator import Generator

        s = Generator(card, physics).summary()
    else:
        s = physics.summary()
        s["table_max_interp_error"] = None  # tables are built for events only
        if physics.decay.summary is not None:  # model properties (e.g. binned observables)
            s["extra"] = physics.decay.summary(physics.params)
    if ff_uncertainty:
        from .ff_uncertainty import FormFactorUncertainty

        s["ff_uncertainty"] = FormFactorUncertainty(card).summary()
        if physics.decay.summary is not None and physics.decay.extension is None:
            from .ff_uncertainty import model_summary_uncertainty

            s["ff_uncertainty"]["extra_sigma"] = model_summary_uncertainty(
                card, lambda: physics.decay.summary(physics.params))
    return s


def info(card_or_name, overrides: dict | None = None, mc: bool = False, ff_uncertainty: bool = False) -> dict:
    """The dictionary of ``bkgen info CARD --json`` (widths in GeV, BRs, channels, model extras); with
    ``mc`` also the Monte Carlo estimates (``--mc``), with ``ff_uncertainty`` the correlated
    form-factor uncertainty (``--ff-uncertainty``)."""
    card = _card(card_or_name, {**(overrides or {}), **({} if mc else {"displacement.info_events": 0})})
    return json.loads(json.dumps(summary(card, ff_uncertainty), default=float))


def read(path):
    """The events of a ROOT file written by ``bkgen generate``, in the structure of :func:`generate`."""
    import uproot

    from .errors import InputError

    if not Path(path).is_file():
        raise InputError(f"{str(path)!r} does not exist; allowed: a ROOT file written by bkgen generate")
    from .io.sample import BLOCK as VARIABLE_BLOCK

    with uproot.open(path) as f:
        tree = f["events"]
        block_names = [k for k in tree.keys() if k.startswith(VARIABLE_BLOCK + "_")]
        arrays = tree.arrays([k for k in tree.keys() if k not in block_names], library="np")
        block = read_block(tree, block_names) if block_names else None
    scalars, particles = {}, {}
    for key, value in arrays.items():
        if key in (_COUNTER, "n_" + VARIABLE_BLOCK):
            continue
        (particles if value.ndim == 2 else scalars)[key] = value
    return _events(scalars, particles, block)


def read_block(tree, names: list[str] | None = None, **kwargs):
    """The variable particle block (jagged branches ``hadrons_<field>``) of an events tree as counts and
    flat numpy fields (a :class:`~bkgen.generate.hadronise.HadronBlock`); ``kwargs`` go to uproot's
    ``arrays`` (e.g. entry_start, entry_stop)."""
    import awkward as ak

    from .generate.hadronise import HadronBlock
    from .io.sample import BLOCK as VARIABLE_BLOCK

    names = names or [k for k in tree.keys() if k.startswith(VARIABLE_BLOCK + "_")]
    arr = tree.arrays(names, library="ak", **kwargs)
    counts = ak.to_numpy(ak.num(arr[names[0]], axis=1)).astype(np.int32)
    return HadronBlock(counts, {k[len(VARIABLE_BLOCK) + 1:]: ak.to_numpy(ak.flatten(arr[k])) for k in names})
