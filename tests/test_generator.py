"""Event-level tests of the generator through the Python API.

Every check compares the written event record with an independent
calculation: four-momentum sums, PDG masses from the ``particle`` package,
sqrt(s) of the SuperKEKB beams computed here, Lorentz boosts done with
``vector`` or with invariants, and lifetimes from the PDG tables.
"""

from __future__ import annotations

import copy
import functools
import math
from pathlib import Path

import numba
import numpy as np
import pytest
import scipy.constants
import vector
from particle import Particle
from scipy import stats

from bkgen.config.card import apply_overrides, load_raw, resolve
from bkgen.generate.generator import Generator

CARD_DIR = Path(__file__).resolve().parent.parent / "cards"
CARDS = sorted(CARD_DIR.glob("*.toml"))
CARD_IDS = [p.stem for p in CARDS]

M_E = scipy.constants.physical_constants["electron mass energy equivalent in MeV"][0] * 1e-3  # GeV
C_MM_PER_NS = scipy.constants.c * 1e-6
B_MESONS = {511, 521, 531}

# one extra configuration: two dark-fermion generations of different masses, so that the
# mass of each Q in the record has to follow the channel it was generated in
MIXED_FERMIONS = [{"mass": 0.3, "charge": 1.0}, {"mass": 1.2, "charge": 1.0}]


# ----------------------------------------------------------------------- helpers


def make_card(name: str, overrides: tuple = ()) -> dict:
    """Resolved card from cards/<name>.toml ('KQQ_mixed': benchmark with MIXED_FERMIONS)."""
    if name == "KQQ_mixed":
        raw = load_raw(CARD_DIR / "dark_photon_KQQ_benchmark.toml")
        raw["model"]["dark_fermions"] = copy.deepcopy(MIXED_FERMIONS)
    else:
        raw = load_raw(CARD_DIR / f"{name}.toml")
    # the kinematic checks below test the kernel's double-precision four-vectors
    return resolve(apply_overrides(raw, ['output.precision="float64"'] + list(overrides)))


def collect(gen: Generator, n: int, seed: int, **kw) -> tuple[dict, dict, dict]:
    """All chunks of gen.events(n, seed) concatenated; stats summed."""
    scal, part, tot = {}, {}, {"trials": 0, "overweight": 0, "events": 0}
    for s, p, st in gen.events(n, seed, **kw):
        for k, v in s.items():
            scal.setdefault(k, []).append(np.asarray(v))
        for k, v in p.items():
            part.setdefault(k, []).append(np.asarray(v))
        for k in tot:
            tot[k] += st[k]
    scal = {k: np.concatenate(v) for k, v in scal.items()}
    part = {k: np.concatenate(v) for k, v in part.items()}
    return scal, part, tot


@functools.lru_cache(maxsize=None)
def sample(name: str, n: int, seed: int, overrides: tuple = ()):
    """Cached (card, scalars, particles, stats) for a card name, event count, seed and overrides."""
    card = make_card(name, overrides)
    scal, part, tot = collect(Generator(card), n, seed)
    for d in (scal, part):
        for v in d.values():
            v.flags.writeable = False
    return card, scal, part, tot


def p4(part: dict) -> np.ndarray:
    """Four-momenta (E, px, py, pz), shape (n, n_entries, 4)."""
    return np.stack([part["E"], part["px"], part["py"], part["pz"]], axis=-1)


def msq(v: np.ndarray) -> np.ndarray:
    return v[..., 0] ** 2 - v[..., 1] ** 2 - v[..., 2] ** 2 - v[..., 3] ** 2


def sqrt_s(e_her: float, e_ler: float, crossing_angle: float) -> float:
    """Invariant mass of two electrons whose momenta enclose the angle pi - crossing_angle."""
    p_her = math.sqrt(e_her**2 - M_E**2)
    p_ler = math.sqrt(e_ler**2 - M_E**2)
    s = 2 * M_E**2 + 2 * (e_her * e_ler + p_her * p_ler * math.cos(crossing_angle))
    return math.sqrt(s)


def pdg_mass(pdg: int) -> float:
    return Particle.from_pdgid(abs(int(pdg))).mass * 1e-3


@functools.lru_cache(maxsize=None)
def channel_masses(name: str, overrides: tuple = ()) -> tuple[dict, ...]:
    """Per channel of the card's decay: {|pdg|: mass} of the Y daughters (model-defined masses of new
    states included) and of a fixed-mass Y; a Breit-Wigner Y is checked against sqrt(q2) instead."""
    gen = Generator(make_card(name, overrides))
    out = []
    for ch in gen.channels:
        m = {}
        if ch.y_daughters is not None:
            for d, md in zip(ch.y_daughters, ch.y_daughter_masses):
                m[abs(d)] = md
        if ch.y and ch.y_in_record and ch.y_breit_wigner is None and ch.q2_fixed is not None:
            m[abs(ch.y)] = math.sqrt(ch.q2_fixed)
        out.append(m)
    return tuple(out)


def expected_masses(name: str, card: dict, scal: dict, part: dict, overrides: tuple = ()) -> np.ndarray:
    """Per event and entry, the mass each record entry should have [GeV] (NaN: not checked)."""
    pdg = part["pdg"]
    out = np.full(pdg.shape, np.nan)
    per_channel = channel_masses(name, overrides)
    channel = np.broadcast_to(scal["channel"][:, None], pdg.shape)
    for code in np.unique(np.abs(pdg)):
        sel = np.abs(pdg) == code
        if code == 0:  # null entry
            continue
        if code in (300553, 9000553):
            b = card["beam"]
            out[sel] = sqrt_s(b["E_HER"], b["E_LER"], b["crossing_angle"])
        elif code in (313, 333):
            # K*0 and phi are generated on their line shape; the mass is the m_meson branch
            out[sel] = np.broadcast_to(scal["m_meson"][:, None], pdg.shape)[sel]
        elif code in B_MESONS or code in (211, 321, 533):  # 533: B_s* of the Upsilon(5S) production mix
            out[sel] = pdg_mass(code)
        else:
            for c, masses in enumerate(per_channel):
                here = sel & (channel == c)
                if not here.any():
                    continue
                if code in masses:
                    out[here] = masses[code]
                elif np.any(here & (part["status"] == 2)):  # an on-shell mediator with a line shape
                    out[here] = np.broadcast_to(np.sqrt(scal["q2"])[:, None], pdg.shape)[here]
                else:
                    out[here] = pdg_mass(code)
    return out


def recoil_p4(part: dict) -> np.ndarray:
    """p_B - p_meson: the system Y recoiling against the meson (invisible pair, dark photon or mediator)."""
    b = b_index(part)
    meson = int(np.flatnonzero(part["mother"][0] == b)[0])
    mom = p4(part)
    return mom[:, b] - mom[:, meson]


def b_index(part: dict) -> int:
    """Record index of the decaying B (the same in every event)."""
    idx = np.flatnonzero(np.isin(np.abs(part["pdg"][0]), list(B_MESONS)) & (part["status"][0] == 2))
    assert idx.size == 1
    assert np.all(np.abs(part["pdg"][:, idx[0]]) == abs(part["pdg"][0, idx[0]]))
    return int(idx[0])


# ------------------------------------------------------------ kinematics per card

CONSERVATION_CASES = CARD_IDS + ["KQQ_mixed"]


@pytest.mark.parametrize("name", CONSERVATION_CASES)
def test_lab_four_momentum_conservation(name):
    card, scal, part, _ = sample(name, 2000, 7)
    assert card["beam"]["frame"] == "lab"
    mom = p4(part)
    status, mother = part["status"], part["mother"]
    # entry 0 is the Upsilon with no mother; everything else descends from it
    assert np.all(part["pdg"][:, 0] == card["beam"]["resonance"])
    assert np.all(mother[:, 0] == -1) and np.all(status[:, 0] == 2)
    final = (status == 1)[..., None]
    np.testing.assert_allclose((mom * final).sum(axis=1), mom[:, 0], rtol=0, atol=1e-9)
    # every decayed entry equals the sum of its daughters (entries of status 0 are null: a B_s* of the
    # Upsilon(5S) production mix that this event does not have)
    n_entries = mom.shape[1]
    null = status == 0
    assert np.all(part["pdg"][null] == 0) and np.all(mom[null] == 0) and np.all(mother[null] == -1)
    for i in np.flatnonzero((status == 2).any(axis=0)):
        ev = status[:, i] == 2
        daughters = (mother[ev] == i)[..., None]
        assert np.all(daughters.sum(axis=1) >= 2), f"entry {i} has fewer than two daughters"
        np.testing.assert_allclose((mom[ev] * daughters).sum(axis=1), mom[ev, i], rtol=0, atol=1e-9,
                                   err_msg=f"entry {i} ({part['pdg'][0, i]})")
    # mothers precede their daughters, and only decayed entries have daughters
    for j in range(1, n_entries):
        m = mother[~null[:, j], j]
        assert np.all((m >= 0) & (m < j))
        assert np.all(status[np.flatnonzero(~null[:, j]), m] == 2)


@pytest.mark.parametrize("name", CONSERVATION_CASES)
def test_lab_on_shell_masses(name):
    card, scal, part, _ = sample(name, 2000, 7)
    mom = p4(part)
    m2 = msq(mom)
    want = expected_masses(name, card, scal, part)
    checked = ~np.isnan(want)
    # all final-state particles, the B pair and the Upsilon have a definite expected mass
    must = (part["status"] == 1) | np.isin(np.abs(part["pdg"]), list(B_MESONS)) | (np.arange(m2.shape[1]) == 0)
    assert np.all(checked[must])
    massive = checked & (want > 0)
    massless = checked & (want == 0)
    m = np.sqrt(np.clip(m2, 0.0, None))
    np.testing.assert_allclose(m[massive], want[massive], rtol=1e-6, atol=0)
    assert np.all(np.abs(m2[massless]) <= (1e-6 * mom[..., 0][massless]) ** 2)
    # the stored generated mass is the expected one, and that of the four-vector
    np.testing.assert_allclose(part["m"][checked], want[checked], rtol=1e-12, atol=0)
    np.testing.assert_allclose(part["m"][massive], m[massive], rtol=1e-6, atol=0)
    # the Upsilon energy is the sum of the beam energies (no energy spread)
    b = card["beam"]
    np.testing.assert_allclose(mom[:, 0, 0], b["E_HER"] + b["E_LER"], rtol=1e-12)
    np.testing.assert_allclose(mom[:, 0, 2], 0.0, atol=1e-12)
    if name == "KQQ_mixed":  # both generations are present
        assert set(np.unique(scal["channel"])) == {0, 1}


def test_float32_record_keeps_generated_masses():
    """Default float32 storage: momenta and vertices to float32 rounding of the double-precision
    record, masses exact (massless neutrinos stay massless; E^2 - p^2 in float32 would not)."""
    name = "dark_photon_KQQ_benchmark"
    card64, scal, part, _ = sample(name, 2000, 7)
    card = make_card(name).replace(output={"precision": "float32"})
    s32, p32, _ = collect(Generator(card), 2000, 7)
    for key in ("E", "px", "py", "pz", "vx", "vy", "vz", "t", "m"):
        assert p32[key].dtype == np.float32
        np.testing.assert_array_equal(p32[key], part[key].astype(np.float32))
    np.testing.assert_array_equal(p32["pdg"], part["pdg"])
    np.testing.assert_array_equal(s32["q2"], scal["q2"])  # event-level branches stay float64
    want = expected_masses(name, card64, scal, part)
    checked = ~np.isnan(want)
    np.testing.assert_allclose(p32["m"][checked], want[checked], rtol=1e-7, atol=0)
    # four-momentum conservation at the B decay to float32 precision of the energies
    mom = p4({k: v.astype(np.float64) for k, v in p32.items()})
    final = (p32["status"] == 1)[..., None]
    np.testing.assert_allclose((mom * final).sum(axis=1), mom[:, 0], rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", CONSERVATION_CASES)
def test_q2_and_missing_energy(name):
    _, scal, part, _ = sample(name, 2000, 7)
    inv = recoil_p4(part)
    np.testing.assert_allclose(msq(inv), scal["q2"], rtol=1e-9, atol=1e-9)
    # energy of the recoil (invisible) system in the B rest frame: (p_inv . p_B) / m_B
    pb = p4(part)[:, b_index(part)]
    m_b = np.sqrt(msq(pb))
    dot = inv[:, 0] * pb[:, 0] - (inv[:, 1:] * pb[:, 1:]).sum(axis=1)
    np.testing.assert_allclose(dot / m_b, scal["E_miss_B"], rtol=1e-9, atol=1e-9)
    # and via an explicit boost
    inv_v = vector.array({"E": inv[:, 0], "px": inv[:, 1], "py": inv[:, 2], "pz": inv[:, 3]})
    b_v = vector.array({"E": pb[:, 0], "px": pb[:, 1], "py": pb[:, 2], "pz": pb[:, 3]})
    np.testing.assert_allclose(inv_v.boostCM_of_p4(b_v).E, scal["E_miss_B"], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", CARD_IDS)
def test_b_rest_frame(name):
    card, scal, part, _ = sample(name, 1000, 8, ("beam.frame='B_rest'",))
    mom = p4(part)
    m_b = pdg_mass(part["pdg"][0, 0])
    # the record starts with the B at rest, at the origin, without a mother
    assert np.all(np.isin(np.abs(part["pdg"][:, 0]), list(B_MESONS)))
    assert np.all(part["mother"][:, 0] == -1) and np.all(part["status"][:, 0] == 2)
    np.testing.assert_allclose(mom[:, 0, 0], m_b, rtol=1e-12)
    assert np.all(mom[:, 0, 1:] == 0.0)
    for k in ("vx", "vy", "vz", "t"):
        assert np.all(part[k][:, 0] == 0.0)
    # no Upsilon and no second B
    assert np.sum(np.isin(np.abs(part["pdg"][0]), list(B_MESONS))) == 1
    assert not np.any(np.isin(part["pdg"], [300553, 9000553]))
    final = (part["status"] == 1)[..., None]
    np.testing.assert_allclose((mom * final).sum(axis=1), mom[:, 0], rtol=0, atol=1e-9)
    # in the B rest frame E_miss_B is the energy of the recoil (invisible) system itself
    inv = recoil_p4(part)
    np.testing.assert_allclose(inv[:, 0], scal["E_miss_B"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(msq(inv), scal["q2"], rtol=1e-9, atol=1e-9)
    # q2 within the physical range of B -> M Y at the generated meson mass
    assert np.all(scal["q2"] >= 0.0)
    assert np.all(scal["q2"] <= (m_b - scal["m_meson"]) ** 2 + 1e-9)


# ---------------------------------------------------------------------- determinism


def _block_card():
    return make_card("sm_Kstar0nunu", ("generation.block_size=1024",))


def _assert_same(a: tuple, b: tuple):
    for da, db in zip(a[:2], b[:2]):
        assert da.keys() == db.keys()
        for k in da:
            np.testing.assert_array_equal(da[k], db[k], err_msg=k)


def test_same_seed_same_events_other_seed_different():
    gen = Generator(make_card("dark_photon_KQQ_benchmark"))
    a = collect(gen, 3000, 42)
    b = collect(Generator(make_card("dark_photon_KQQ_benchmark")), 3000, 42)
    _assert_same(a, b)
    c = collect(gen, 3000, 43)
    for k in ("q2", "E_miss_B"):
        assert np.mean(a[0][k] == c[0][k]) < 0.01
    assert not np.array_equal(a[1]["px"], c[1]["px"])


def test_thread_count_does_not_change_events():
    from bkgen.generate.threads import get_threads, max_threads, set_threads

    if max_threads() < 2:
        pytest.skip("needs at least two threads")
    gen = Generator(_block_card())
    before = get_threads()
    try:
        set_threads(1)
        one = collect(gen, 5000, 3)
        set_threads(2)
        two = collect(gen, 5000, 3)
    finally:
        set_threads(before)
    _assert_same(one, two)
    assert one[2] == two[2]


def test_chunking_does_not_change_events():
    gen = Generator(_block_card())
    assert gen.block_size() == 1024
    n = 5000  # five blocks, the last one partial
    chunks1 = list(gen.events(n, 9, chunk_blocks=1))
    chunks4 = list(gen.events(n, 9, chunk_blocks=4))
    assert [c[2]["events"] for c in chunks1] == [1024, 1024, 1024, 1024, 904]
    assert [c[2]["events"] for c in chunks4] == [4096, 904]
    a, b = collect(gen, n, 9, chunk_blocks=1), collect(gen, n, 9, chunk_blocks=4)
    _assert_same(a, b)
    assert a[2] == b[2]
    np.testing.assert_array_equal(a[0]["event"], np.arange(n))
    # a longer run starts with the same events
    longer = collect(gen, n + 1500, 9, chunk_blocks=2)
    for k in ("q2", "m_meson", "E_miss_B"):
        np.testing.assert_array_equal(longer[0][k][:n], a[0][k])


# ------------------------------------------------------------------ production


def test_b_polar_angle_in_cm_frame():
    # With a fixed seed the outcome is deterministic; for a random seed a correct
    # generator fails this test with probability 1e-3 (the p-value threshold).
    card, _, part, _ = sample("sm_Knunu", 20000, 2024, ('beam.preset="design"',))
    mom = p4(part)
    ups, b = mom[:, 0], mom[:, 1]
    ha = 0.5 * 0.083
    e_her = 7.007
    assert card["beam"]["E_HER"] == e_her and card["beam"]["crossing_angle"] == 0.083
    p_her = math.sqrt(e_her**2 - M_E**2)
    n = len(ups)
    beam = vector.array({
        "E": np.full(n, e_her), "px": np.full(n, p_her * math.sin(ha)),
        "py": np.zeros(n), "pz": np.full(n, p_her * math.cos(ha)),
    })
    ups_v = vector.array({"E": ups[:, 0], "px": ups[:, 1], "py": ups[:, 2], "pz": ups[:, 3]})
    b_v = vector.array({"E": b[:, 0], "px": b[:, 1], "py": b[:, 2], "pz": b[:, 3]})
    beam_cm = beam.boostCM_of_p4(ups_v)
    b_cm = b_v.boostCM_of_p4(ups_v)
    # in the CM frame the B pair is back to back with |p| from sqrt(s)
    w = sqrt_s(7.007, 4.000, 0.083)
    np.testing.assert_allclose(b_cm.E, 0.5 * w, rtol=1e-9)
    cos = b_cm.to_xyz().dot(beam_cm.to_xyz()) / (b_cm.mag * beam_cm.mag)
    edges = np.linspace(-1.0, 1.0, 21)
    observed, _ = np.histogram(cos, edges)
    cdf = (2.0 + 3.0 * edges - edges**3) / 4.0  # CDF of (3/4)(1 - cos^2)
    expected = n * np.diff(cdf)
    chi2 = np.sum((observed - expected) ** 2 / expected)
    p = stats.chi2.sf(chi2, df=len(observed) - 1)
    assert p > 1e-3, f"chi2 = {chi2:.1f} for 19 dof (p = {p:.2e})"
    # a flat distribution must be rejected by the same test at this sample size
    flat = np.full(20, n / 20)
    assert stats.chi2.sf(np.sum((flat - expected) ** 2 / expected), 19) < 1e-3


@pytest.mark.parametrize("name", ["sm_Knunu", "dark_photon_Kstar0_gammaD", "dark_photon_phi_gammaD"])
def test_b_decay_length(name):
    _, _, part, _ = sample(name, 20000, 31)
    ib = b_index(part)
    pb = p4(part)[:, ib]
    m_b = np.sqrt(msq(pb))
    dau = np.flatnonzero(part["mother"][0] == ib)
    vtx = np.stack([part[k][:, dau[0]] for k in ("vx", "vy", "vz", "t")], axis=-1)
    # all direct daughters of the B start at the same point
    for j in dau[1:]:
        for c, k in enumerate(("vx", "vy", "vz", "t")):
            np.testing.assert_array_equal(part[k][:, j], vtx[:, c])
    # the B itself is produced at the origin
    for k in ("vx", "vy", "vz", "t"):
        assert np.all(part[k][:, ib] == 0.0)
    v = vtx[:, :3]
    dist = np.linalg.norm(v, axis=1)
    pmag = np.linalg.norm(pb[:, 1:], axis=1)
    # the vertex lies along the B flight direction, reached at speed |p|/E
    np.testing.assert_allclose(np.cross(v, pb[:, 1:]), 0.0, atol=1e-12)
    assert np.all((v * pb[:, 1:]).sum(axis=1) >= 0.0)
    np.testing.assert_allclose(dist, pmag / pb[:, 0] * C_MM_PER_NS * vtx[:, 3], rtol=1e-9, atol=1e-15)
    proper = dist * m_b / pmag
    ctau = Particle.from_pdgid(abs(int(part["pdg"][0, ib]))).lifetime * C_MM_PER_NS
    sigma = ctau / math.sqrt(len(proper))  # exponential: standard deviation = mean
    # fixed seed; for a random seed the false-alarm rate of a 3 sigma window is 0.27 %
    assert abs(proper.mean() - ctau) < 3 * sigma, (proper.mean(), ctau, sigma)


def test_energy_spread():
    card, _, part, _ = sample("sm_Knunu", 20000, 5, ("beam.energy_spread=true",))
    b = card["beam"]
    mom = p4(part)
    e = mom[:, 0, 0]
    n = len(e)
    sigma = math.hypot(b["sigma_E_HER"], b["sigma_E_LER"])
    # 5 sigma windows (false-alarm rate 6e-7 each for a random seed)
    assert abs(e.mean() - (b["E_HER"] + b["E_LER"])) < 5 * sigma / math.sqrt(n)
    assert abs(e.std() - sigma) < 5 * sigma / math.sqrt(2 * n)
    # conservation still holds event by event
    final = (part["status"] == 1)[..., None]
    np.testing.assert_allclose((mom * final).sum(axis=1), mom[:, 0], rtol=0, atol=1e-9)


# ------------------------------------------------------------------ unweighting


@pytest.mark.parametrize("name", CARD_IDS)
def test_unweighting_bookkeeping(name):
    _, scal, _, tot = sample(name, 2000, 7)
    assert tot["events"] == 2000 == len(scal["weight"])
    assert tot["trials"] >= tot["events"]
    eff = tot["events"] / tot["trials"]
    assert 0.0 < eff <= 1.0
    assert tot["overweight"] == 0
    assert np.all(scal["weight"] == 1.0)


@pytest.mark.parametrize("name,sets", [
    ("sm_Kstar0nunu", ["beam.energy_spread=true"]),  # line shape, spin-1 angles, per-event beam energies
    ("dark_vector_KX_benchmark", []),  # displaced Y decays
])
def test_fused_record_equals_two_passes(name, sets):
    """generate_range(record=...) fills the same record as the kernel followed by fill_record: the
    fused kernel runs the RNG stream across tiles, so tiling must not change a single event."""
    card = resolve(apply_overrides(load_raw(CARD_DIR / f"{name}.toml"), sets + ["generation.block_size=5000"]))
    gen = Generator(card)
    n = 12345  # three blocks, the last partial; tiles of kernels.record.TILE events
    raw = gen.generate_range(7, 0, 3, n)
    two_pass = {k: v.copy() for k, v in gen.branch_buffers(n).items()}
    gen.to_branches(raw, 0, out=two_pass)
    fused = gen.branch_buffers(n)
    raw_f = gen.generate_range(7, 0, 3, n, record=fused)
    for key in ("p4", "vtx", "obs"):
        np.testing.assert_array_equal(raw_f[key], raw[key])
    assert (raw_f["trials"], raw_f["overweight"]) == (raw["trials"], raw["overweight"])
    for key in two_pass:
        np.testing.assert_array_equal(fused[key], two_pass[key])
