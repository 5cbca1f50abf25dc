"""basf2 steering for a bkgen sample: the hand-off to the Belle II full simulation.

:func:`steering` writes a basf2 steering file (Python) for the pinned release whose module
parameters are tabled in ``bkgen/data/basf2/release-*.json`` (read from the basf2 sources, see the
README there). The path it builds:

* ``HepMCInput`` reading bkgen's HepMC2 file (vertices and times are read, so the B flight and
  displaced decays reach the simulation), or, for prompt cards in the CMS frame only, ``LHEInput``
  (which reads PDG codes, first mothers, momenta and masses only), with ``wrongSignPz``,
  ``nInitialParticles`` and ``nVirtualParticles`` set explicitly;
* ``BoostMCParticles`` in the CMS frame: basf2 boosts every four-momentum with the CMS -> lab
  transformation of the run's BeamParameters, and production and decay vertices as four-vectors
  (x, c t) only where their time is non-zero (generators/modules/src/BoostMCParticlesModule.cc);
  bkgen's interaction point is the origin at t = 0, every later vertex has t != 0, so the whole
  record is transformed consistently. The transformation is one per run (not per event);
* ``SmearPrimaryVertex`` unless bkgen already drew the interaction point (``beam.vertex_smearing``);
* ``EvtGenDecay`` with a user decay file: the signal side is complete in bkgen's record (decayed
  entries have daughters, which EvtGenDecay never decays again); the companion B is the only
  daughterless particle the global decay file decays, and the long-lived final states of the
  signal side are declared stable in the user file so that they reach Geant4 as generated;
* ``pdg.add_particle`` for every new state of the card's channels (particle and antiparticle unless
  self-conjugate) with lifetime 0, as pdg.add_particle documents ("should be 0 as geant4 cannot
  handle it correctly otherwise"): their decays are already in the record.

The same text goes into the output metadata (ROOT key ``basf2``, HepMC3 run attribute
``bkgen_basf2``, LHE header ``<bkgen_basf2>``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ..physics import inputs

#: the basf2 release the steering is written for
RELEASE = "release-11-00-00"
TABLE = Path(__file__).resolve().parent.parent / "data" / "basf2" / f"{RELEASE}.json"

#: basf2 / EvtGen names of the new states (PDG Monte Carlo block 51-55, bkgen.physics.inputs); no
#: whitespace (pdg.add_particle)
STATE_NAMES = {51: "bkgen_dark_scalar", 52: "bkgen_dark_fermion", 53: "bkgen_dark_vector",
               54: "bkgen_scalar_mediator", 55: "bkgen_vector_mediator"}
#: spin of the new states (bkgen.physics.inputs.DARK_STATE_SPIN)
STATE_SPIN = inputs.DARK_STATE_SPIN
#: EvtGen names (evt.pdl) of the B mesons and of the long-lived particles Geant4 tracks
EVTGEN_NAMES = {521: "B+", -521: "B-", 511: "B0", -511: "anti-B0", 531: "B_s0", -531: "anti-B_s0",
                211: "pi+", -211: "pi-", 321: "K+", -321: "K-", 130: "K_L0", 310: "K_S0", 13: "mu-", -13: "mu+",
                11: "e-", -11: "e+", 2212: "p+", -2212: "anti-p-", 2112: "n0", -2112: "anti-n0",
                3122: "Lambda0", -3122: "anti-Lambda0", 3222: "Sigma+", -3222: "anti-Sigma-", 3112: "Sigma-",
                -3112: "anti-Sigma+", 3312: "Xi-", -3312: "anti-Xi+", 3322: "Xi0", -3322: "anti-Xi0",
                3334: "Omega-", -3334: "anti-Omega+"}
#: final states EvtGen must leave to Geant4 on the signal side (long-lived, tracked by Geant4)
_KEEP_STABLE = frozenset({211, 321, 130, 13, 11, 2212, 2112})
#: what hadronisation may leave undecayed besides those (c tau above generation.stable_ctau = 10 mm,
#: bkgen.generate.hadronise): K_S0 and the weakly decaying hyperons
_KEEP_STABLE_HADRONISED = _KEEP_STABLE | frozenset({310, 3122, 3222, 3112, 3312, 3322, 3334})
#: colour-carrying PDG codes (quarks, gluon)
_PARTONS = frozenset({1, 2, 3, 4, 5, 6, 21})


@lru_cache(maxsize=None)
def table() -> dict:
    """The parameter table of :data:`RELEASE` (modules, functions, source files)."""
    return json.loads(TABLE.read_text())


def new_states(gen) -> list[tuple[int, float, float, float]]:
    """(PDG code, mass [GeV], width [GeV], spin) of every new state (PDG 51-55, both signs where the
    state is not self-conjugate) occurring in the records of the card's channels."""
    out: dict[int, tuple[float, float, float]] = {}
    for row, row_c, ch in zip(gen.record.pdg, gen.record.pdg_conjugate, gen.channels):
        for code in [int(p) for p in row] + [int(p) for p in row_c]:
            a = abs(code)
            if a not in STATE_NAMES or code in out:
                continue
            if ch.y == a and ch.y_breit_wigner is not None:
                mass, width = ch.y_breit_wigner
            elif ch.y == a and ch.y_mass > 0:
                mass, width = ch.y_mass, 0.0
            else:
                mass, width = ch.masses.get(a, 0.0), 0.0
            out[code] = (float(mass), float(width), STATE_SPIN[a])
            partner = inputs.conjugate(code, ch.self_conjugate)
            if partner != code:
                out.setdefault(partner, (float(mass), float(width), STATE_SPIN[a]))
    return sorted(((c, *v) for c, v in out.items()), key=lambda t: (abs(t[0]), -t[0]))


def state_name(code: int) -> str:
    base = STATE_NAMES[abs(code)]
    return base if code > 0 else f"anti-{base}"


def partons(gen) -> list[str]:
    """Labels of the channels whose record leaves colour-carrying partons (q qbar, g g) as final
    states: none in a hadronised run (``generation.hadronise``, bkgen.generate.hadronise)."""
    if gen.card["generation"]["hadronise"]:
        return []
    return [ch.label for ch, row in zip(gen.channels, gen.record.pdg)
            if ch.hadronise or any(abs(int(p)) in _PARTONS for p in row)]


#: proper decay length [mm] above which a decay of Y counts as displaced (1 um, far below Belle II's
#: vertex resolution; shorter ones are prompt for the LHE path, which has no vertices)
DISPLACED_CTAU_MM = 1e-3


def displaced(gen) -> bool:
    """True when the card's record has displaced decays besides the B flight (a long-lived Y)."""
    return gen.decay.extension is not None or any(ch.y_ctau > DISPLACED_CTAU_MM for ch in gen.channels)


def decay_file(gen) -> str:
    """The user decay file of EvtGenDecay: comments naming the companion B, and empty decay tables
    (stable) for the long-lived final states of the signal side."""
    rec = gen.record
    comp = rec.index("Bbar")
    companions = sorted({int(p) for p in rec.pdg[:, comp]} | {int(p) for p in rec.pdg_conjugate[:, comp]})
    keep = _KEEP_STABLE_HADRONISED if gen.card["generation"]["hadronise"] else _KEEP_STABLE
    stable = {p for p in EVTGEN_NAMES if abs(p) in keep} if gen.card["generation"]["hadronise"] else set()
    for i, e in enumerate(rec.entries):
        if e.status != 1 or e.role in ("Bbar",):
            continue
        for p in list(rec.pdg[:, i]) + list(rec.pdg_conjugate[:, i]):
            p = int(p)
            if abs(p) in keep:
                stable.add(p)
    lines = [f"# EvtGenDecay user decay file written by bkgen {__version__} for basf2 {RELEASE}",
             f"# decay: {gen.card['process']['decay']} (charge = {gen.card['process']['charge']})",
             "# The signal side is complete in the event record. The companion B ("
             + ", ".join(EVTGEN_NAMES[c] for c in companions) + ") is the only particle without",
             "# daughters that the global decay file (DecFile) decays: it decays generically from there.",
             "# Long-lived final states of the signal side" + (" (and of its hadronisation)" if
                                                               gen.card["generation"]["hadronise"] else "")
             + " stay stable for Geant4:"]
    for p in sorted(stable, key=lambda x: (abs(x), -x)):
        lines += [f"Decay {EVTGEN_NAMES[p]}", "Enddecay"]
    lines.append("End")
    return "\n".join(lines) + "\n"


def _call(func: str, args: list[str]) -> str:
    return f"{func}({', '.join(args)})"


def steering(gen, *, events_file: str | None = None, input_format: str = "auto", exp: int = 0, run: int = 0,
             mdst_file: str | None = None, dec_file: str | None = None) -> str:
    """The basf2 steering (Python source) for ``gen``'s card; InputError (one line) where the card's
    events cannot be handed to basf2 as they are."""
    card = gen.card
    beam = card["beam"]
    frame = beam["frame"]
    if frame == "B_rest":
        raise InputError("beam.frame = 'B_rest': basf2 needs the e+e- event; allowed: beam.frame = 'cms' "
                         "(recommended) or 'lab'")
    hard = partons(gen)
    if hard:
        raise InputError(f"process.decay = {card['process']['decay']!r}: channel {hard[0]!r} leaves colour-carrying "
                         "partons in the record, which Geant4 cannot simulate; allowed: generation.hadronise = true "
                         "(a hadronised sample, read through HepMC2)")
    fmt = card["output"]["format"]
    if input_format == "auto":
        input_format = "lhe" if fmt == "lhe" else "hepmc2"
    if input_format not in ("hepmc2", "lhe"):
        raise InputError(f"--input = {input_format!r}; allowed: 'auto', 'hepmc2' or 'lhe'")
    if input_format == "lhe":
        if card["generation"]["hadronise"]:
            raise InputError("--input = 'lhe' with generation.hadronise = true: hadronised samples are written as "
                             "HepMC2; allowed: --input hepmc2")
        if frame != "cms":
            raise InputError(f"--input = 'lhe' with beam.frame = {frame!r}: allowed only with beam.frame = 'cms'")
        if displaced(gen):
            raise InputError(f"--input = 'lhe' for {card['process']['decay']!r}: the decay has displaced vertices, "
                             "which LHEInput does not read; allowed: --input hepmc2")
    if exp < 0 or run < 0:
        raise InputError(f"--exp = {exp}, --run = {run}: allowed: integers >= 0 (HepMCInput/LHEInput refuse "
                         "negative numbers)")
    stem = Path(card["output"]["file"] or "events").with_suffix("")
    events = events_file or (card["output"]["file"] if fmt == input_format else f"{stem}.{input_format}")
    mdst = mdst_file or f"{Path(events).with_suffix('').name}.mdst.root"
    dec_name = dec_file or f"{Path(events).with_suffix('').name}.dec"
    weighted = (card["detector"]["efficiency"] != "none" and card["detector"]["efficiency_mode"] == "weight") or (
        card["displacement"]["force_region"] != "none")
    gen_cmd = f"bkgen generate CARD --format {input_format} -o {events}   (this card, with the same --set options)"
    from ..physics.beams import from_card

    sqrt_s = from_card(beam)["sqrt_s"]
    out = ["#!/usr/bin/env python3",
           f"# basf2 steering written by bkgen {__version__} (`bkgen basf2`) for basf2 {RELEASE};",
           "# module parameters checked against bkgen/data/basf2/" + TABLE.name + " (read from the basf2 sources).",
           f"# Card: {card['process']['model']}: {card['process']['decay']}, charge = {card['process']['charge']}, "
           f"seed = {card['generation']['seed']}",
           f"# Events: {events} ({'HepMC2' if input_format == 'hepmc2' else 'LHE'}, beam.frame = {frame!r}, "
           f"preset {beam['preset']!r}, sqrt(s) = {sqrt_s:.4f} GeV), made with:",
           f"#   {gen_cmd}",
           "# Run: basf2 THIS_FILE (the user decay file is written beside it when the steering starts).",
           "import basf2 as b2",
           "import pdg",
           "from mdst import add_mdst_output",
           "from reconstruction import add_reconstruction",
           "from simulation import add_simulation",
           ""]
    states = new_states(gen)
    if states:
        out.append("# New states of the card's channels; their decays are in the event record: lifetime 0")
        for code, mass, width, spin in states:
            out.append(_call("pdg.add_particle", [repr(state_name(code)), str(code), repr(mass), repr(width), "0",
                                                  repr(spin), "lifetime=0"]))
        out.append("")
    out += ["# EvtGenDecay: only the companion B decays (see the file's comments)",
            f"DEC_FILE = {dec_name!r}",
            "with open(DEC_FILE, 'w') as f:",
            "    f.write(" + repr(decay_file(gen)) + ")",
            "",
            f"b2.set_random_seed({int(card['generation']['seed'])})",
            "main = b2.create_path()"]
    common = [f"inputFileList=[{events!r}]", f"expNum={exp}", f"runNum={run}", f"useWeights={weighted}"]
    if input_format == "hepmc2":
        out.append("# the beams (status 4) are the first two particles: virtual; p_z as generated (e- along +z)")
        out.append(_call("main.add_module", ["'HepMCInput'", *common, "ignoreReadEventNr=False",
                                             "nVirtualParticles=2", "wrongSignPz=False"]))
    else:
        out.append("# LHEInput reads no vertices: the B flight is lost on this path (prompt decays only)")
        out.append(_call("main.add_module", ["'LHEInput'", *common, "createEventMetaData=True",
                                             "nInitialParticles=2", "nVirtualParticles=0", "wrongSignPz=False"]))
    if frame == "cms":
        out.append("# CMS -> lab with the run's BeamParameters, one transformation per run (vertices with t != 0")
        out.append("# as four-vectors)" + ("; beam.energy_spread = true gave every event its own CMS frame, which"
                                           " this single boost does not undo" if beam["energy_spread"] else ""))
        out.append(_call("main.add_module", ["'BoostMCParticles'"]))
    else:
        out.append(f"# lab frame: the events carry the beams of preset {beam['preset']!r}, not the run's BeamParameters")
    if not beam["vertex_smearing"]:
        out.append("# bkgen's interaction point is the origin: shift every vertex by a beam-spot draw")
        out.append(_call("main.add_module", ["'SmearPrimaryVertex'"]))
    out += [_call("main.add_module", ["'EvtGenDecay'", "UserDecFile=DEC_FILE"]),
            "add_simulation(path=main)",
            "add_reconstruction(path=main)",
            f"add_mdst_output(path=main, mc=True, filename={mdst!r})",
            "b2.process(main)",
            "print(b2.statistics)"]
    return "\n".join(out) + "\n"


def metadata_text(gen) -> str | None:
    """The steering for the card's own output (the text stored in the file's metadata), or None
    where the card's events cannot be handed to basf2 as they are."""
    name = Path(gen.card["output"]["file"] or "events")
    fmt = gen.card["output"]["format"]
    try:
        return steering(gen, events_file=name.name if fmt in ("hepmc2", "lhe") else f"{name.stem}.hepmc2")
    except InputError:
        return None
