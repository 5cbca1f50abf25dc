"""Cards: TOML files describing one run, validated before anything compiles.

Sections: [process] model, decay, charge; [model] the model's parameters;
[beam] frame and SuperKEKB settings; [generation] events, seed, block_size;
[output] file, compression; [detector]; [displacement]. Unknown keys, wrong types and impossible
values raise :class:`CardError` with one line naming the key, the value and what is allowed.

:func:`resolve` (and :func:`load`) return a :class:`Card`: frozen, typed sections built once
(``card.beam.frame``; ``card["beam"]["frame"]`` reads the same value), the model parameters as a
read-only mapping. :meth:`Card.to_dict` and :func:`dumps` give the plain resolved card.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import tomli_w

from ..detector import geometry as _geometry
from ..detector.resolution import SIGMA_PT_A, SIGMA_PT_B
from ..physics import beams as _beams
from ..physics import inputs
from ..errors import InputError
from ..physics.models import get as get_model


class CardError(InputError):
    """A card problem: one line naming the key, the value and what is allowed."""


def _num(lo=None, hi=None, lo_open=False):
    return ("float", lo, hi, lo_open)


# generic sections: key -> (kind, default, constraint)
SCHEMA = {
    "process": {
        "model": ("str", None, None),
        "decay": ("str", None, None),
        "charge": ("str", "both", ("both", "as_named", "conjugate")),
    },
    # E_HER, E_LER and resonance default to the values of the preset (inputs.BEAM_PRESETS)
    "beam": {
        "preset": ("str", inputs.DEFAULT_BEAM_PRESET, tuple(inputs.BEAM_PRESETS)),
        "frame": ("str", "lab", ("lab", "cms", "B_rest")),
        "E_HER": ("float", inputs.E_HER, _num(0.0, 100.0, True)),
        "E_LER": ("float", inputs.E_LER, _num(0.0, 100.0, True)),
        "crossing_angle": ("float", inputs.CROSSING_ANGLE, _num(0.0, 0.5)),
        "energy_spread": ("bool", False, None),
        "sigma_E_HER": ("float", inputs.SIGMA_E_HER, _num(0.0, 1.0)),
        "sigma_E_LER": ("float", inputs.SIGMA_E_LER, _num(0.0, 1.0)),
        "vertex_smearing": ("bool", False, None),  # interaction point from the SuperKEKB beam spot (lab only)
        "bs_production": ("str", "mix", ("mix", "BsBs")),  # B_s pairs: Upsilon(5S) B_s(*) mix, or B_s Bbar_s only
        "resonance": ("int", 300553, tuple(sorted({v[2] for v in inputs.BEAM_PRESETS.values()}))),
    },
    "generation": {
        "events": ("int", 10000, (1, 10**12)),
        "seed": ("int", 1, (0, 2**63 - 1)),
        "block_size": ("int", 65536, (256, 2**22)),
        # hadronise the q qbar / g g pairs of channels flagged hadronise (bkgen.generate.hadronise)
        "hadronise": ("bool", False, None),
        "stable_ctau": ("float", inputs.STABLE_CTAU_MM, _num(0.0, 1e9, True)),  # mm: hadrons left undecayed
    },
    "output": {
        "file": ("str", "", None),
        "compression": ("str", "zstd:1", None),
        "format": ("str", "root", ("root", "hepmc3", "hepmc2", "lhe")),
        "precision": ("str", "float32", ("float32", "float64")),  # stored momenta, masses and vertices
    },
    # Belle II-like detector level (bkgen.detector): q2_rec, track smearing, efficiency map
    "detector": {
        "resolution": ("bool", False, None),
        "sigma_pt_a": ("float", SIGMA_PT_A, _num(0.0, 1.0)),  # sigma_pT/pT = sqrt((a pT)^2 + b^2)
        "sigma_pt_b": ("float", SIGMA_PT_B, _num(0.0, 1.0)),
        "sigma_theta": ("float", 0.0, _num(0.0, 1.0)),  # rad
        "sigma_phi": ("float", 0.0, _num(0.0, 1.0)),  # rad
        "cm_frame": ("str", "nominal", ("nominal", "event")),
        "efficiency": ("str", "none", None),  # none | ITA | HTA | path to a .csv/.json/.root map
        "efficiency_mode": ("str", "weight", ("weight", "accept_reject")),
    },
    # long-lived Y decays (bkgen.detector.geometry, .displacement; used by decays with an extension,
    # e.g. the ALP): nested regions of a Belle II-like detector [mm], forced decays, seed 003 eq. (11)
    "displacement": {
        "shape": ("str", "cylinders", _geometry.SHAPES),
        **{
            f"{name}_{key}": ("float", value, _num(-1e9, 0.0) if key == "z_min" else _num(0.0, 1e9, True))
            for name, dims in _geometry.BELLE2_DEFAULTS.items()
            for key, value in zip(("radius", "z_min", "z_max"), dims)
        },
        "force_region": ("str", "none", ("none", *_geometry.BELLE2_REGIONS, _geometry.OUTSIDE)),
        "L_det": ("float", _geometry.L_DET_SEED003, _num(0.0, 1e9, True)),  # single length of eq. (11)
        "info_events": ("int", 20000, (0, 10**8)),  # sample for the MC estimate in `bkgen info`
    },
}


# ------------------------------------------------------------------ typed, frozen card


class _Section(Mapping):
    """A frozen card section; also a read-only mapping (``section["key"]``, ``dict(section)``)."""

    def __getitem__(self, key):
        if key in self.__dataclass_fields__:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self):
        return iter(self.__dataclass_fields__)

    def __len__(self):
        return len(self.__dataclass_fields__)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class ProcessSection(_Section):
    model: str  # bkgen list
    decay: str
    charge: str  # "both", "as_named" or "conjugate"


@dataclass(frozen=True)
class BeamSection(_Section):
    preset: str  # basf2 beam-parameter preset (inputs.BEAM_PRESETS)
    frame: str  # "lab", "cms" or "B_rest"
    E_HER: float  # GeV, e-
    E_LER: float  # GeV, e+
    crossing_angle: float  # rad
    energy_spread: bool
    sigma_E_HER: float  # GeV
    sigma_E_LER: float  # GeV
    vertex_smearing: bool  # interaction point from the beam spot (lab only)
    bs_production: str  # "mix" or "BsBs"
    resonance: int  # PDG code of the e+e- resonance


@dataclass(frozen=True)
class GenerationSection(_Section):
    events: int
    seed: int
    block_size: int  # events per RNG block
    hadronise: bool  # hadronise parton pairs (Pythia 8 / exclusive modes)
    stable_ctau: float  # mm: hadrons with a longer c tau are not decayed


@dataclass(frozen=True)
class OutputSection(_Section):
    file: str
    compression: str  # none | zstd:N | lz4:N | zlib:N | lzma:N
    format: str  # root | hepmc3 | hepmc2 | lhe
    precision: str  # float32 | float64 (particle record)


@dataclass(frozen=True)
class DetectorSection(_Section):
    resolution: bool
    sigma_pt_a: float  # sigma_pT/pT = sqrt((a pT)^2 + b^2), pT in GeV
    sigma_pt_b: float
    sigma_theta: float  # rad
    sigma_phi: float  # rad
    cm_frame: str  # "nominal" or "event"
    efficiency: str  # none | ITA | HTA | path to a map
    efficiency_mode: str  # "weight" or "accept_reject"


_PY_TYPES = {"str": str, "float": float, "int": int, "bool": bool}
#: [displacement]: shape, <region>_radius/_z_min/_z_max [mm] of every detector region, force_region,
#: L_det [mm], info_events (fields generated from SCHEMA["displacement"])
DisplacementSection = dataclasses.make_dataclass(
    "DisplacementSection", [(k, _PY_TYPES[kind]) for k, (kind, _, _) in SCHEMA["displacement"].items()],
    bases=(_Section,), frozen=True)
DisplacementSection.__module__ = __name__

_SECTION_TYPES = {"process": ProcessSection, "beam": BeamSection, "generation": GenerationSection,
                  "output": OutputSection, "detector": DetectorSection, "displacement": DisplacementSection}


def _freeze(value):
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value):
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


class ModelParameters(Mapping):
    """The model's parameters, read-only: numbers, strings, booleans, and arrays of tables as tuples of
    read-only mappings (e.g. ``p["dark_fermions"][0]["mass"]``)."""

    def __init__(self, params: Mapping):
        self._p = MappingProxyType({k: _freeze(v) for k, v in params.items()})

    def __getitem__(self, key):
        return self._p[key]

    def __iter__(self):
        return iter(self._p)

    def __len__(self):
        return len(self._p)

    def __eq__(self, other):
        return isinstance(other, ModelParameters) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(tomli_w.dumps(self.to_dict()))

    def __repr__(self):
        return f"ModelParameters({self.to_dict()!r})"

    def to_dict(self) -> dict:
        return {k: _thaw(v) for k, v in self._p.items()}


@dataclass(frozen=True)
class Card(_Section):
    """A resolved card: frozen, typed sections (also readable as ``card["section"]["key"]``)."""

    process: ProcessSection
    model: ModelParameters
    beam: BeamSection
    generation: GenerationSection
    output: OutputSection
    detector: DetectorSection
    displacement: DisplacementSection

    def to_dict(self) -> dict:
        """The plain resolved card (section -> key -> value), as :func:`dumps` writes it."""
        return {k: getattr(self, k).to_dict() for k in self.__dataclass_fields__}

    def replace(self, **sections: Mapping) -> Card:
        """A new card with keys of sections changed, validated again, e.g.
        ``card.replace(output={"precision": "float64"})``."""
        raw = self.to_dict()
        for name, changes in sections.items():
            if name not in raw:
                raise CardError(f"[{name}] is not a known section; allowed: {', '.join(raw)}")
            raw[name].update(changes)
        return resolve(raw)


def _typed(card: dict) -> Card:
    return Card(model=ModelParameters(card["model"]),
                **{name: cls(**card[name]) for name, cls in _SECTION_TYPES.items()})


def _fmt(v):
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 10**15:
        return f"{'-' if v < 0 else ''}{str(abs(v))[:1]}...(an integer of {_digits(v)} digits)"
    return repr(v) if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else repr(v)


def _digits(v: int) -> int:
    """Number of decimal digits of an integer (str() refuses ints above 4300 digits)."""
    return len(str(abs(v))) if abs(v).bit_length() < 14000 else int(abs(v).bit_length() * math.log10(2)) + 1


def _check_value(key: str, value, kind: str, constraint):
    if kind == "str":
        if not isinstance(value, str):
            raise CardError(f"{key} = {_fmt(value)}: allowed: a string")
        if isinstance(constraint, tuple) and value not in constraint:
            raise CardError(f"{key} = {_fmt(value)}: allowed: one of {', '.join(map(repr, constraint))}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise CardError(f"{key} = {_fmt(value)}: allowed: true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise CardError(f"{key} = {_fmt(value)}: allowed: an integer")
        if isinstance(constraint, tuple) and len(constraint) == 2 and constraint[0] in (0, 1, 256):
            lo, hi = constraint
            if not lo <= value <= hi:
                raise CardError(f"{key} = {_fmt(value)}: allowed: an integer in [{lo}, {hi}]")
        elif isinstance(constraint, tuple) and value not in constraint:
            raise CardError(f"{key} = {_fmt(value)}: allowed: one of {', '.join(map(str, constraint))}")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CardError(f"{key} = {_fmt(value)}: allowed: a number")
        try:
            value = float(value)
        except OverflowError:  # an integer beyond the largest double
            raise CardError(f"{key} = {_fmt(value)}: allowed: a finite number (within +-1.8e308)") from None
        if not math.isfinite(value):
            raise CardError(f"{key} = {value}: allowed: a finite number")
        if constraint is not None:
            _, lo, hi, lo_open = constraint if len(constraint) == 4 else (None, *constraint, False)
            if lo is not None and (value < lo or (lo_open and value == lo)):
                raise CardError(f"{key} = {value:g}: allowed: {'>' if lo_open else '>='} {lo:g}")
            if hi is not None and value > hi:
                raise CardError(f"{key} = {value:g}: allowed: <= {hi:g}")
        return value
    raise AssertionError(kind)


def _check_section(name: str, given: dict, schema: dict) -> dict:
    if not isinstance(given, dict):
        raise CardError(f"{name} = {_fmt(given)}: allowed: a table [{name}]")
    out = {}
    for key in given:
        if key not in schema:
            allowed = ", ".join(schema)
            raise CardError(f"{name}.{key} is not a known key; allowed in [{name}]: {allowed}")
    for key, (kind, default, constraint) in schema.items():
        if key in given:
            out[key] = _check_value(f"{name}.{key}", given[key], kind, constraint)
        elif default is None:
            raise CardError(f"{name}.{key} is missing; it is required")
        else:
            out[key] = default
    return out


def _model_section(model, given: dict) -> dict:
    if not isinstance(given, dict):
        raise CardError(f"model = {_fmt(given)}: allowed: a table [model]")
    params = {p.name: p for p in model.parameters}
    for key in given:
        if key not in params:
            raise CardError(f"model.{key} is not a parameter of model {model.name!r}; allowed: {', '.join(params)}")
    out = {}
    for name, p in params.items():
        key = f"model.{name}"
        if name not in given:
            out[name] = copy.deepcopy(p.default)
            continue
        v = given[name]
        if p.kind is list:
            if not isinstance(v, list) or not all(isinstance(e, dict) for e in v):
                raise CardError(f"{key} = {_fmt(v)}: allowed: an array of tables")
            out[name] = [_item_table(f"{key}[{i}]", e, p.items) for i, e in enumerate(v)] if p.items else copy.deepcopy(v)
        else:
            out[name] = _check_parameter(key, p, v)
    return out


def _check_parameter(key: str, p, v):
    """One model parameter (or one key of an array-of-tables entry) against its declared kind and range."""
    if p.kind is bool:
        return _check_value(key, v, "bool", None)
    if p.kind is str:
        return _check_value(key, v, "str", p.choices)
    if p.kind is int:
        v = _check_value(key, v, "int", None)
        if (p.lo is not None and v < p.lo) or (p.hi is not None and v > p.hi):
            raise CardError(f"{key} = {_fmt(v)}: allowed: an integer in [{p.lo}, {p.hi}]")
        return v
    if getattr(p, "complex", False):
        if isinstance(v, Mapping):
            return _complex_parameter(key, p, v)
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise CardError(f"{key} = {_fmt(v)}: allowed: a number or a table {{re = number, im = number}}")
    return _check_value(key, v, "float", _num(p.lo, p.hi))


def _complex_parameter(key: str, p, v: Mapping):
    """A complex coefficient written as {re = x, im = y}: both finite numbers within [lo, hi]; resolved to a
    float when im = 0 (the card then reads as a real coefficient), else to {"re": x, "im": y}."""
    if set(v) != {"re", "im"}:
        raise CardError(f"{key} = {_fmt(dict(v))}: allowed: a number or a table {{re = number, im = number}}")
    re = _check_value(f"{key}.re", v["re"], "float", _num(p.lo, p.hi))
    im = _check_value(f"{key}.im", v["im"], "float", _num(p.lo, p.hi))
    return re if im == 0.0 else {"re": re, "im": im}


def _item_table(key: str, given: dict, items: tuple) -> dict:
    """One table of an array-of-tables parameter: known keys, declared kinds and ranges, defaults filled
    (a default of None marks a required key)."""
    known = {p.name: p for p in items}
    for k in given:
        if k not in known:
            raise CardError(f"{key}.{k} is not a known key; allowed: {', '.join(known)}")
    out = {}
    for name, p in known.items():
        if name in given:
            out[name] = _check_parameter(f"{key}.{name}", p, given[name])
        elif p.default is None:
            raise CardError(f"{key}.{name} is missing; it is required ({p.doc})")
        else:
            out[name] = p.default
    return out


def parse_override(text: str) -> tuple[list[str], object]:
    """'section.key=value' -> (['section', 'key'], value); the value is read as TOML, else as a string."""
    if "=" not in text:
        raise CardError(f"--set {text!r}: allowed: section.key=value")
    path, raw = text.split("=", 1)
    keys = path.strip().split(".")
    if len(keys) < 2 or not all(keys):
        raise CardError(f"--set {text!r}: allowed: section.key=value")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise CardError(f"--set {path.strip()}=...: the value is nested too deeply; allowed: a TOML value "
                        "(numbers, strings, booleans, arrays and tables nested a few levels)") from None
    except ValueError:  # tomllib: an integer literal beyond Python's int-string conversion limit
        raise CardError(f"--set {path.strip()}=...: an integer literal of more than 4300 digits; allowed: a "
                        "finite number") from None
    return keys, value


def parse_axis(text: str, option: str) -> tuple[str, np.ndarray]:
    """A scan axis 'section.key=start:stop:n' (linear) or '...:n:log' -> (key, values); a key without a
    section is a model parameter. One-line InputError naming ``option`` and the text otherwise."""
    form = "section.key=start:stop:n[:log]"
    if "=" not in text:
        raise InputError(f"{option} {text!r}: allowed: {form}")
    key, spec = (part.strip() for part in text.split("=", 1))
    if "." not in key:
        key = f"model.{key}"
    parts = spec.split(":")
    try:
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] != "log"):
            raise ValueError
        start, stop, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise InputError(f"{option} {text!r}: allowed: {form} with numbers start, stop and an integer n") from None
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise InputError(f"{option} {text!r}: allowed: finite start and stop")
    if not 1 <= n <= 10000:
        raise InputError(f"{option} {text!r}: n = {n}; allowed: 1..10000")
    if len(parts) == 4:
        if start <= 0 or stop <= 0:
            raise InputError(f"{option} {text!r}: allowed: positive start and stop for a log axis")
        return key, np.geomspace(start, stop, n)
    return key, np.linspace(start, stop, n)


def _array_of_tables(raw: dict, name: str):
    """The model parameter ``name`` of the card (or the model's default) if it is an array of tables."""
    current = raw.get("model", {}).get(name)
    if current is None:
        try:
            current = get_model(raw.get("process", {}).get("model", "")).defaults().get(name)
        except (ValueError, KeyError, TypeError, AttributeError):
            current = None
    if isinstance(current, list) and current and all(isinstance(e, dict) for e in current):
        return current
    return None


def apply_overrides(raw: dict | Card, overrides: list[str]) -> dict:
    """Apply ``--set section.key=value`` overrides to a raw card. ``model.<array of tables>.<key>=value``
    sets the key in every element, e.g. ``model.dark_fermions.mass=0.6`` sets the mass of every
    dark-fermion generation."""
    raw = raw.to_dict() if isinstance(raw, Card) else copy.deepcopy(raw)
    for text in overrides or []:
        keys, value = parse_override(text)
        if len(keys) == 3 and keys[0] == "model":
            tables = _array_of_tables(raw, keys[1])
            if tables is not None:
                raw.setdefault("model", {})[keys[1]] = [dict(e, **{keys[2]: value}) for e in copy.deepcopy(tables)]
                continue
        node = raw
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise CardError(f"--set {text!r}: {k} is not a table")
        node[keys[-1]] = value
    return raw


def load_raw(path: str | Path) -> dict:
    """The TOML table of a card file, or of the shipped card of that name (``bkgen cards``)."""
    from .catalog import locate

    p = locate(path)
    if not p.is_file():
        raise CardError(f"card {str(p)!r} does not exist; allowed: a path to a TOML card or a shipped card "
                        "name (bkgen cards)")
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"card {str(p)!r} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise CardError(f"card {str(p)!r} is not UTF-8 text") from None
    except RecursionError:
        raise CardError(f"card {str(p)!r}: arrays or tables nested too deeply; allowed: a TOML card "
                        "(tables and arrays nested a few levels)") from None
    except ValueError as exc:  # tomllib: an integer literal beyond Python's int-string conversion limit
        raise CardError(f"card {str(p)!r} is not a valid card: {_one_line(exc)}; allowed: numbers within "
                        "+-1.8e308") from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] + ("..." if len(text) > 200 else "")


def resolve(raw: dict) -> Card:
    """Validate a raw card dict (or a :class:`Card`) and fill defaults; returns the resolved, typed card."""
    if isinstance(raw, Card):
        raw = raw.to_dict()
    if not isinstance(raw, dict):
        raise CardError("card: allowed: a TOML table")
    for section in raw:
        if section not in (*SCHEMA, "model"):
            raise CardError(f"[{section}] is not a known section; allowed: {', '.join((*SCHEMA, 'model'))}")
    card = {"process": _check_section("process", raw.get("process", {}), SCHEMA["process"])}
    try:
        model = get_model(card["process"]["model"])
        decay = model.decay(card["process"]["decay"])
    except InputError as exc:
        raise CardError(str(exc)) from None
    card["model"] = _model_section(model, raw.get("model", {}))
    card["beam"] = _check_section("beam", raw.get("beam", {}), _beam_schema(raw.get("beam", {})))
    for section in ("generation", "output", "detector", "displacement"):
        card[section] = _check_section(section, raw.get(section, {}), SCHEMA[section])
    try:
        _geometry.from_card(card["displacement"])
    except InputError as exc:
        raise CardError(str(exc)) from None
    if model.validate is not None:
        try:
            model.validate(card["model"], decay.name)
        except InputError as exc:
            raise CardError(str(exc)) from None
    _check_beam(card, decay.parent)
    if card["generation"]["hadronise"] and card["output"]["format"] == "lhe":
        raise CardError("generation.hadronise = true with output.format = 'lhe'; allowed: hadronise = false for LHE "
                        "(LHE hands the colour-tagged partons to a hadroniser), or format 'root', 'hepmc3' or 'hepmc2'")
    _check_format(card, decay.parent)
    if card["detector"]["efficiency"] != "none":
        from ..detector.efficiency import load as load_efficiency

        load_efficiency(card["detector"]["efficiency"], "detector.efficiency")
    from ..io.compression import parse as parse_compression

    try:
        parse_compression(card["output"]["compression"])
    except InputError as exc:
        raise CardError(f"output.compression = {card['output']['compression']!r}: {exc}") from None
    return _typed(card)


def _beam_schema(given) -> dict:
    """The [beam] schema with E_HER, E_LER and resonance defaulting to the named preset's values."""
    schema = dict(SCHEMA["beam"])
    preset = given.get("preset", inputs.DEFAULT_BEAM_PRESET) if isinstance(given, dict) else None
    if isinstance(preset, str) and preset in inputs.BEAM_PRESETS:
        e_her, e_ler, resonance = inputs.BEAM_PRESETS[preset]
        for key, value in (("E_HER", e_her), ("E_LER", e_ler), ("resonance", resonance)):
            kind, _, constraint = schema[key]
            schema[key] = (kind, value, constraint)
    return schema


def _check_beam(card: dict, parent: int) -> None:  # card: the plain sections being resolved
    b = card["beam"]
    if b["vertex_smearing"] and b["frame"] != "lab":
        raise CardError(f"beam.vertex_smearing = true with beam.frame = {b['frame']!r}: allowed only with "
                        "beam.frame = 'lab' (the beam spot is a lab-frame object; in 'cms' the simulation smears it)")
    if b["frame"] == "B_rest":
        return
    w = _beams.from_card(b)["sqrt_s"]
    m_b = inputs.mass(parent)
    if abs(parent) == 531 and b["bs_production"] == "mix":
        m_star = inputs.mass(inputs.PDG_BS_STAR)
        if w <= 2 * m_star * (1.0 + 1e-9):
            raise CardError(
                f"beam.E_HER = {b['E_HER']:g}, beam.E_LER = {b['E_LER']:g} give sqrt(s) = {w:.4f} GeV; allowed with "
                f"beam.bs_production = 'mix': sqrt(s) > 2 m(B_s*) = {2 * m_star:.4f} GeV (or bs_production = 'BsBs')")
    if w <= 2 * m_b * (1.0 + 1e-9):  # same margin as the production loop in kernels/cascade.py:_beam_frame
        raise CardError(
            f"beam.E_HER = {b['E_HER']:g}, beam.E_LER = {b['E_LER']:g} give sqrt(s) = {w:.4f} GeV; "
            f"allowed: sqrt(s) > 2 m({inputs.particle(parent).name}) = {2 * m_b:.4f} GeV"
        )


def _check_format(card: dict, parent: int) -> None:
    """LHE only where its readers can use it: head-on beams along z (the CMS frame) and a measured
    production cross section for XSECUP."""
    if card["output"]["format"] != "lhe":
        return
    frame = card["beam"]["frame"]
    if frame != "cms":
        raise CardError(f"output.format = 'lhe' with beam.frame = {frame!r}: allowed only with beam.frame = 'cms' "
                        "(LHE readers such as Pythia 8 and basf2's LHEInput take head-on beams along z); "
                        "for the lab frame write hepmc2 or hepmc3")
    if _beams.pair_cross_section_pb(parent, card["beam"]["resonance"]) is None:
        raise CardError(f"output.format = 'lhe' with beam.resonance = {card['beam']['resonance']} for "
                        f"{inputs.particle(abs(parent)).name}: no measured e+e- -> B Bbar cross section for XSECUP; "
                        "allowed: B+ or B0 at 300553, B_s0 at 9000553 (or write hepmc2/hepmc3)")


def load(path: str | Path, overrides: list[str] | None = None) -> Card:
    """Read, override and validate a card file."""
    return resolve(apply_overrides(load_raw(path), overrides or []))


def dumps(card: Card | dict) -> str:
    """The resolved card as TOML text."""
    return tomli_w.dumps(card.to_dict() if isinstance(card, Card) else card)
