"""The typed model <-> generator contract: Channel fields checked where they are made, one record
layout per decay, self-conjugate states under charge conjugation, flags of every shipped card."""

from __future__ import annotations

import glob

import numpy as np
import pytest

from bkgen.config.card import load, resolve
from bkgen.generate.generator import Generator
from bkgen.generate.layout import RecordLayout
from bkgen.physics.models import get as get_model
from bkgen.physics.models.base import (
    NARROW_WIDTH_FLOOR,
    Y_SCALAR,
    Y_STABLE,
    Y_VECTOR,
    Channel,
    Decay,
    check_channels,
    isotropic_pair_weights,
    line_width,
    scalar_meson_helicity,
)


def _rate(q2, m=None):
    return np.ones(np.shape(q2))


def channel(**kw) -> Channel:
    args = dict(label="B+ -> K+ test", parent=521, meson=321, y=0, y_daughters=(12, -12), meson_daughters=None,
                y_mode=Y_VECTOR, rate=_rate, helicity=scalar_meson_helicity, pair_weights=isotropic_pair_weights,
                y_in_record=False)
    args.update(kw)
    return Channel(**args)


@pytest.mark.parametrize("kw, needle", [
    ({"masses": {52: -1.0}}, "masses[52]"),
    ({"masses": {"52": 1.0}}, "masses has key"),
    ({"y_daughters": (52, -52)}, "no PDG mass"),  # a model state without a declared mass
    ({"y_daughters": (11, -11), "invisible": True}, "not an invisible state"),
    ({"y_daughters": (11, -11), "hadronise": True}, "parton pair"),
    ({"y_daughters": (2, -2), "hadronise": True, "invisible": True}, "invisible"),
    ({"invisible": 1}, "invisible = 1"),
    ({"self_conjugate": {51}}, "not a state of this channel"),
    ({"y_mode": Y_STABLE}, "y_daughters None exactly when"),
    ({"y_mode": 7}, "y_mode = 7"),
    ({"visible_br": 1.5}, "visible_br"),
    ({"y": 55, "y_in_record": True, "y_breit_wigner": (2.0, 1e-12)}, "NARROW_WIDTH_FLOOR"),
    ({"y": 0, "y_in_record": True}, "y_in_record"),
    ({"q2_fixed": float("nan")}, "q2_fixed"),
])
def test_channel_fields_are_checked(kw, needle):
    with pytest.raises(ValueError, match="test") as err:
        channel(**kw)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_channel_typed_fields_normalised():
    ch = channel(y_daughters=(52, 52), masses={-52: 0.5}, self_conjugate={-52}, invisible=True, mode="psi psi")
    assert dict(ch.masses) == {52: 0.5} and ch.self_conjugate == frozenset({52})
    assert ch.y_daughter_masses == (0.5, 0.5) and ch.q2_lo == pytest.approx(1.0)
    with pytest.raises(TypeError):
        ch.masses[52] = 1.0  # read-only
    assert line_width(2.0, 0.0) == pytest.approx(2.0 * NARROW_WIDTH_FLOOR)
    assert line_width(2.0, 0.1) == 0.1


def test_one_record_layout_per_decay():
    """A model whose channels do not share one topology fails where the list is built, naming the channel."""
    a = channel(label="nu channel")
    b = channel(label="stable Y channel", y=55, y_daughters=None, y_mode=Y_STABLE, y_in_record=True, q2_fixed=0.0)
    with pytest.raises(ValueError, match="'stable Y channel' does not fit the record layout of 'nu channel'"):
        check_channels([a, b], "B+ -> K+ test")
    decay = Decay("B+ -> K+ test", "", lambda p: [a, b], 521)
    with pytest.raises(ValueError, match="stable Y channel"):
        decay.channels({})
    with pytest.raises(ValueError, match="stable Y channel"):
        RecordLayout.build([a, b], "lab", 300553)
    with pytest.raises(ValueError, match="no channels"):
        Decay("B+ -> K+ test", "", lambda p: [], 521).channels({})
    c = channel(label="scalar Y channel", y_mode=Y_SCALAR)  # y_mode may differ: same entries
    assert len(check_channels([a, c], "x")) == 2


def test_layout_entries_and_variable_block():
    ch = channel(label="a -> g g", y=54, y_daughters=(21, 21), y_mode=Y_SCALAR, y_in_record=True, q2_fixed=4.0,
                 hadronise=True)
    lab = RecordLayout.build([ch], "lab", 300553)
    assert [e.role for e in lab.entries] == ["resonance", "B", "Bbar", "meson", "Y", "y1", "y2"]
    assert lab.mothers == (-1, 0, 0, 1, 1, 4, 4) and lab.n_fixed == 7
    assert lab.variable.kind == "hadronisation" and lab.variable.source == (5, 6) and lab.variable.max_entries == 0
    rest = RecordLayout.build([channel()], "B_rest", 300553)
    assert [e.role for e in rest.entries] == ["B", "meson", "y1", "y2"] and rest.mothers == (-1, 0, 0, 0)
    assert rest.variable.source == ()


ALL_CARDS = sorted(glob.glob("cards/*.toml"))


@pytest.mark.parametrize("path", ALL_CARDS)
def test_shipped_cards_declare_the_contract(path):
    """Every channel of every card: invisible exactly when all recoiling states escape (neutrinos, model
    states), hadronise exactly for parton pairs, masses for every model state."""
    card = load(path)
    decay = get_model(card["process"]["model"]).decay(card["process"]["decay"])
    for ch in decay.channels(card["model"]):
        recoil = ch.y_daughters if ch.y_daughters is not None else (ch.y,)
        escapes = all(abs(d) in (12, 14, 16) or 51 <= abs(d) <= 55 for d in recoil)
        assert ch.invisible == escapes, ch.label
        assert ch.hadronise == all(abs(d) in (1, 2, 3, 4, 5, 6, 21) for d in recoil), ch.label
        for d in recoil:
            if 51 <= abs(d) <= 55 and abs(d) != abs(ch.y):
                assert abs(d) in ch.masses, ch.label


def _conjugated_daughters(model, decay, charge, mode, **params):
    card = resolve({"process": {"model": model, "decay": decay, "charge": charge}, "model": params,
                    "beam": {"frame": "B_rest"}, "generation": {"block_size": 4096}})
    gen = Generator(card)
    c = next(i for i, ch in enumerate(gen.channels) if ch.mode == mode)
    rows = []
    for scalars, particles, _ in gen.events(4096, 3):
        sel = scalars["channel"] == c
        rows.append(np.column_stack([scalars["conjugate"][sel], particles["pdg"][sel][:, -2:]]))
    return np.concatenate(rows)


@pytest.mark.parametrize("dm_type, expect", [("majorana", {0: (52, 52), 1: (52, 52)}),
                                             ("dirac", {0: (52, -52), 1: (-52, 52)})])
def test_majorana_dark_matter_stays_52_under_conjugation(dm_type, expect):
    """README "Known limitations (iv)": a Majorana psi is its own antiparticle in every event; a Dirac
    psi pair flips sign with the charge."""
    rows = _conjugated_daughters("dark_vector", "B+ -> K+ X", "both", "psi psi", dm_type=dm_type)
    for conj in (0, 1):
        sel = rows[rows[:, 0] == conj]
        assert len(sel) > 100
        assert {tuple(r) for r in sel[:, 1:]} == {expect[conj]}


def test_real_scalar_stays_51_under_conjugation():
    rows = _conjugated_daughters("singlet_scalar", "B+ -> K+ S S", "conjugate", "S S")
    assert len(rows) == 4096 and np.all(rows[:, 0] == 1) and np.all(rows[:, 1:] == 51)


# ----------------------------------------------------------------------- typed card


def test_typed_card_is_frozen_and_round_trips():
    import dataclasses
    import tomllib

    from bkgen.config.card import SCHEMA, Card, CardError, dumps

    card = load("cards/dark_photon_KQQ_benchmark.toml")
    assert isinstance(card, Card)
    assert card.beam.frame == card["beam"]["frame"] == "lab" and card.generation.block_size == 65536
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.beam.frame = "B_rest"
    with pytest.raises(dataclasses.FrozenInstanceError):
        card.model = {}
    with pytest.raises(TypeError):
        card.model["alpha_D"] = 0.5
    with pytest.raises(TypeError):
        card.model["dark_fermions"][0]["mass"] = 0.1
    for name, schema in SCHEMA.items():
        assert list(card[name]) == list(schema)
    text = dumps(card)
    plain = tomllib.loads(text)
    assert plain == card.to_dict() and resolve(plain) == card and dumps(resolve(plain)) == text
    assert plain["model"]["dark_fermions"] == [{"mass": 0.5, "charge": 1.0}] * 3
    changed = card.replace(output={"precision": "float64"})
    assert changed.output.precision == "float64" and card.output.precision == "float32"
    with pytest.raises(CardError, match="beam.frame"):
        card.replace(beam={"frame": "moon"})


def test_models_are_discovered(tmp_path, monkeypatch):
    """A model is its module: a package's modules with MODEL are registered, helpers are not."""
    from bkgen.physics.models import MODELS, discover

    pkg = tmp_path / "toy_models"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text("X = 1\n")
    (pkg / "toy.py").write_text(
        "from bkgen.physics.models.base import Decay, Model\n"
        "MODEL = Model(name='toy', doc='', source='', parameters=(), decays=(Decay('B+ -> K+ toy', '', list, 521),))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert list(discover("toy_models", [str(pkg)])) == ["toy"]
    assert set(MODELS) == {"alp", "dark_higgs", "dark_vector", "dilepton", "eft", "massless_dark_photon", "singlet_scalar", "sm"}
