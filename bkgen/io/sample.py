"""Event samples read back by ``reweight``, ``recast`` and ``plot``: one reader that checks a file
against the card that produced its events before anything is computed from it.

A sample is a ROOT file written by ``bkgen generate`` (or ``bkgen reweight``) with

* top-level TObjStrings ``card`` (TOML; resolves with the current schema) and ``run_info`` (JSON:
  ``model``, ``decay``, ``br`` and one entry per channel with its ``label`` and ``width``, equal to the
  card's channels and their widths), and for a reweighted file ``run_info.reweighting.source_card``,
  the card that produced the events;
* a TTree ``events`` with the scalar branches the caller needs, and per event values that card can
  produce: ``channel`` an index into its channels, ``q2`` in the channel's range
  [q2_lo, (m_B - m_meson)^2] GeV^2 (or its fixed q2), ``m_meson`` in the line-shape window (or the
  meson's mass), cosines in [-1, 1], ``chi`` in [0, 2 pi], a finite ``weight`` >= 0.

Anything else raises :class:`~bkgen.errors.InputError` with one line naming the file, the key (or
event) and what is allowed; errors of the ROOT, TOML and JSON readers are translated at the reading
site.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError

#: per-event branches every reader of a sample needs
EVENT_BRANCHES = ("q2", "m_meson", "cos_theta_meson", "cos_theta_pair", "chi", "channel", "weight")
#: relative tolerance of the kinematic range checks (the kernel's values are exact to ~1e-15)
RANGE_TOL = 1e-9
#: relative agreement required between run_info's channel widths and the card's
WIDTH_TOL = 1e-6
_ALLOWED = "allowed: a ROOT file written by bkgen generate"


#: the variable-length particle block of hadronised samples (the one home of its name): jagged branches
#: <name>_<field> counted by n_<name>; the key of the block in a chunk's particle dict
BLOCK = "hadrons"
BLOCK_COUNTER = "n_" + BLOCK


def is_block_branch(name: str) -> bool:
    """True for the branches of the variable particle block (its counter and its fields)."""
    return name == BLOCK_COUNTER or name.startswith(BLOCK + "_")


def block_from_arrays(arrays: dict):
    """The variable particle block of a chunk read with ``library="np"`` (jagged branches come as object
    arrays of per-event arrays) as a :class:`~bkgen.generate.hadronise.HadronBlock`; None if the chunk
    has none."""
    names = [k for k in arrays if k.startswith(BLOCK + "_")]
    if not names:
        return None
    from ..generate.hadronise import HadronBlock

    fields = {}
    for k in names:
        v = arrays[k]
        fields[k[len(BLOCK) + 1:]] = np.concatenate(list(v)) if len(v) else np.zeros(0)
    counts = np.array([len(x) for x in arrays[names[0]]], dtype=np.int32)
    return HadronBlock(counts, fields)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = text[:160] + ("..." if len(text) > 160 else "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class Sample:
    """A checked sample: its metadata, the card of the file, the card that produced the events and
    that card's channels."""

    path: str
    meta: dict[str, str]
    card: dict  # resolved 'card' metadata
    source_card: dict  # resolved card that produced the events (== card unless reweighted)
    info: dict  # run_info
    channels: list
    n_events: int
    branches: list[str] = field(default_factory=list)  # every branch of the events tree

    def error(self, text: str) -> InputError:
        return InputError(f"sample {self.path!r}: {text}")

    def iterate(self, branches: Sequence[str] | None = None, step: int = 1 << 18) -> Iterator[dict]:
        """Chunks of ``branches`` (default: all) as numpy arrays, every chunk checked (:meth:`check`)."""
        import uproot

        names = None if branches is None else list(dict.fromkeys([*branches, *EVENT_BRANCHES]))
        start = 0
        try:
            with uproot.open(self.path) as f:
                for arrays in f["events"].iterate(names, step_size=step, library="np"):
                    self.check(arrays, start, extra=() if names is None else names)
                    start += len(arrays["q2"])
                    yield arrays
        except InputError:
            raise
        except (GeneratorExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # a damaged basket, a truncated file, an unreadable branch
            raise self.error(f"events from entry {start} cannot be read ({_one_line(exc)}); {_ALLOWED}") from None

    def arrays(self, branches: Sequence[str]) -> dict:
        """All events of ``branches`` (plus the checked event branches) as numpy arrays."""
        chunks = list(self.iterate(branches))
        return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}

    def check(self, ev: dict, start: int = 0, extra: Sequence[str] = ()) -> None:
        """Every event of the chunk ``ev`` (first entry ``start``) is one the producing card can give;
        the ``extra`` branches are finite numbers, one per event, or numeric particle-record arrays."""

        def bad(mask, key, allowed):
            i = int(np.flatnonzero(mask)[0])
            return self.error(f"event {start + i}: {key} = {ev[key][i].item()!r}; allowed: {allowed} "
                              "(events the sample's card can produce)")

        record = [k for k in extra if k not in EVENT_BRANCHES and ev[k].ndim == 2]  # (n_events, n_particles)
        for key in record:
            if ev[key].dtype.kind not in "iuf":
                raise self.error(f"branch {key!r} has type {ev[key].dtype}; allowed: numbers (the particle record)")
        for key in dict.fromkeys([*EVENT_BRANCHES, *(k for k in extra if k not in record)]):
            v = ev[key]
            if v.ndim != 1 or v.dtype.kind not in "iuf":
                raise self.error(f"branch {key!r} has type {v.dtype}{list(v.shape[1:]) or ''}; allowed: one number "
                                 "per event")
            if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
                raise bad(~np.isfinite(v), key, "a finite number")
        chan = ev["channel"]
        n_ch = len(self.channels)
        out = (chan < 0) | (chan >= n_ch) | (chan != np.floor(chan))
        if out.any():
            raise bad(out, "channel", f"an integer channel index in [0, {n_ch - 1}]")
        for key in ("cos_theta_meson", "cos_theta_pair"):
            v = ev[key]
            out = np.abs(v) > 1.0 + RANGE_TOL
            if out.any():
                raise bad(out, key, "a cosine in [-1, 1]")
        out = (ev["chi"] < -RANGE_TOL) | (ev["chi"] > 2.0 * np.pi * (1.0 + RANGE_TOL))
        if out.any():
            raise bad(out, "chi", "an angle in [0, 2 pi]")
        out = ev["weight"] < 0.0
        if out.any():
            raise bad(out, "weight", "a weight >= 0")
        chan = chan.astype(np.int64)
        for c, ch in enumerate(self.channels):
            sel = chan == c
            if not sel.any():
                continue
            m = ev["m_meson"]
            if ch.line_shape is not None:
                lo, hi = ch.line_shape.m_lo, ch.line_shape.m_hi
                out = sel & ((m < lo * (1 - RANGE_TOL)) | (m > hi * (1 + RANGE_TOL)))
                allowed = f"m_meson in [{lo:.6g}, {hi:.6g}] GeV for channel {c} ({ch.label})"
            else:
                out = sel & (np.abs(m - ch.m_meson) > RANGE_TOL * ch.m_meson)
                allowed = f"m_meson = {ch.m_meson:.6g} GeV for channel {c} ({ch.label})"
            if out.any():
                raise bad(out, "m_meson", allowed)
            q2 = ev["q2"]
            if ch.q2_fixed is not None:
                out = sel & (np.abs(q2 - ch.q2_fixed) > RANGE_TOL * max(1.0, ch.q2_fixed))
                allowed = f"q2 = {ch.q2_fixed:.6g} GeV^2 for channel {c} ({ch.label})"
            else:
                hi = (ch.m_parent - np.where(sel, m, ch.m_meson)) ** 2
                lo = ch.q2_lo
                out = sel & ((q2 < lo * (1 - RANGE_TOL) - 1e-12) | (q2 > hi * (1 + RANGE_TOL)))
                allowed = f"q2 in [{lo:.6g}, (m_B - m_meson)^2] GeV^2 for channel {c} ({ch.label})"
            if out.any():
                raise bad(out, "q2", allowed)


def _text(path: str, meta: dict, key: str) -> str:
    if key not in meta:
        raise InputError(f"sample {path!r} has no {key!r} metadata; {_ALLOWED}")
    return meta[key]


def _card(path: str, text: str, where: str) -> dict:
    from ..config.card import resolve

    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise InputError(f"sample {path!r}: {where} is not a valid TOML card ({_one_line(exc)}); {_ALLOWED}") from None
    try:
        return resolve(raw)
    except InputError as exc:
        raise InputError(f"sample {path!r}: {where}: {exc}") from None


def _check_info(path: str, info, card: dict, physics) -> None:
    """run_info must describe the producing card: model, decay, BR and every channel's label and width
    (the generator's widths, :class:`bkgen.generate.decay.DecayPhysics`)."""
    channels = physics.channels

    def bad(key, value, allowed):
        text = repr(value)
        text = text[:80] + ("..." if len(text) > 80 else "")
        return InputError(f"sample {path!r}: run_info.{key} = {text}; allowed: {allowed}")

    if not isinstance(info, dict):
        raise bad("", info, "a JSON object written by bkgen generate")
    for key in ("model", "decay"):
        if info.get(key) != card["process"][key]:
            raise bad(key, info.get(key), f"{card['process'][key]!r}, as in the sample's card (metadata from another card?)")
    br = info.get("br")
    if isinstance(br, bool) or not isinstance(br, (int, float)) or not (math.isfinite(br) and br > 0):
        raise bad("br", br, "a finite branching ratio > 0")
    entries = info.get("channels")
    if not isinstance(entries, list) or len(entries) != len(channels):
        raise bad("channels", entries, f"a list of the card's {len(channels)} channels")
    for i, (e, ch, width) in enumerate(zip(entries, channels, physics.widths)):
        if not isinstance(e, dict) or e.get("label") != ch.label:
            raise bad(f"channels[{i}]", e, f"the card's channel {ch.label!r} (metadata from another card?)")
        for key in ("width", "br"):
            v = e.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v >= 0):
                raise bad(f"channels[{i}].{key}", v, "a finite number >= 0")
        width = float(physics.widths[i])
        if not math.isclose(e["width"], width, rel_tol=WIDTH_TOL, abs_tol=1e-300):
            raise bad(f"channels[{i}].width", e["width"], f"{width:.6g} GeV, the width of {ch.label!r} from the "
                      "sample's card (metadata from another card or another bkgen version?)")


def open_sample(path: str | Path, branches: Sequence[str] = EVENT_BRANCHES) -> Sample:
    """Open and check a sample (module docstring); ``branches`` must be scalar branches of its tree."""
    import uproot

    path = str(path)
    if not Path(path).is_file():
        raise InputError(f"sample {path!r} does not exist; {_ALLOWED}")
    try:
        with uproot.open(path) as f:
            classes = f.classnames(recursive=False)
            latest: dict[str, tuple[int, str]] = {}
            for key in classes:
                name, _, cycle = key.rpartition(";")
                name, cyc = (name, int(cycle)) if name and cycle.isdigit() else (key, 0)
                if name not in latest or cyc > latest[name][0]:
                    latest[name] = (cyc, key)
            meta = {name: str(f[key]) for name, (_, key) in latest.items() if classes[key] == "TObjString"}
            tree_class = classes[latest["events"][1]] if "events" in latest else None
            tree_branches, n_events, kinds = [], 0, {}
            if tree_class == "TTree":
                tree = f[latest["events"][1]]
                n_events = int(tree.num_entries)
                tree_branches = list(tree.keys(recursive=False))
                for b in branches:
                    if b in tree_branches:
                        interp = tree[b].interpretation
                        kinds[b] = (getattr(interp, "inner_shape", None), getattr(interp, "from_dtype", None))
    except (KeyboardInterrupt, InputError):
        raise
    except Exception as exc:  # not ROOT, truncated, damaged directory or strings
        raise InputError(f"sample {path!r} cannot be read as ROOT ({_one_line(exc)}); {_ALLOWED}") from None
    card = _card(path, _text(path, meta, "card"), "metadata 'card'")
    try:
        info = json.loads(_text(path, meta, "run_info"))
    except (ValueError, RecursionError) as exc:
        raise InputError(f"sample {path!r}: metadata 'run_info' is not valid JSON ({_one_line(exc)}); {_ALLOWED}") from None
    source = card
    if isinstance(info, dict) and "reweighting" in info:
        rw = info["reweighting"]
        text = rw.get("source_card") if isinstance(rw, dict) else None
        if not isinstance(text, str):
            raise InputError(f"sample {path!r}: run_info.reweighting.source_card is missing; allowed: the card of the "
                             "reweighted sample, as bkgen reweight writes it")
        source = _card(path, text, "run_info.reweighting.source_card")
    from ..generate.decay import DecayPhysics

    physics = DecayPhysics.from_card(source)
    channels = physics.channels
    _check_info(path, info, source, physics)
    if tree_class is None:
        raise InputError(f"sample {path!r} has no 'events' tree; {_ALLOWED}")
    if tree_class != "TTree":
        raise InputError(f"sample {path!r}: 'events' is a {tree_class}; allowed: the TTree written by bkgen generate")
    missing = [b for b in branches if b not in tree_branches]
    if missing:
        raise InputError(f"sample {path!r}: the events tree lacks the branches {', '.join(missing)}; {_ALLOWED}")
    for b, (shape, dtype) in kinds.items():
        if shape != () or dtype is None or np.dtype(dtype).kind not in "iuf":
            raise InputError(f"sample {path!r}: branch {b!r} is not one number per event; {_ALLOWED}")
    if isinstance(info.get("events"), int) and not isinstance(info["events"], bool) and info["events"] != n_events:
        raise InputError(f"sample {path!r}: run_info.events = {info['events']} but the events tree has {n_events} "
                         "entries; allowed: a complete file")
    if n_events == 0:
        raise InputError(f"sample {path!r} has no events; allowed: a sample with at least one event")
    return Sample(path=path, meta=meta, card=card, source_card=source, info=info, channels=channels,
                  n_events=n_events, branches=tree_branches)
