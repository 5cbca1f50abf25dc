"""Form factors: kinematic identities, published endpoint values, hand-evaluated points."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bkgen.physics import form_factors as ff
from bkgen.physics.form_factors.common import kallen, t_minus, t_plus, t_zero, z
from bkgen.physics.inputs import mass

B_TO_K_SETS = ff.available("B->K")
VECTOR_CASES = [(t, n) for t in ("B->K*", "Bs->phi") for n in ff.available(t)]
FITTED_VECTOR_FFS = ("V", "A0", "A1", "A12", "T1", "T2", "T23")

# a0 = F(0) of every fitted form factor, typed from the published tables
# (GKvD arXiv:1811.00983, GRvDV arXiv:2305.06301, BSZ arXiv:1503.05534v2 as
# collected in shared/reference/inputs.md sections 1-3).
PUBLISHED_A0 = {
    ("B->K", "GKvD2018"): {"f_plus": 0.3291, "f_zero": 0.3291, "f_T": 0.2994},
    ("B->K", "GKvD2018-LCSR"): {"f_plus": 0.2656, "f_zero": 0.2656, "f_T": 0.2510},
    ("B->K", "GRvDV2023"): {"f_plus": 0.33196, "f_zero": 0.33196, "f_T": 0.32361},
    ("B->K*", "BSZ2015"): {"A0": 0.3692, "A1": 0.2973, "A12": 0.2654, "V": 0.3763,
                           "T1": 0.3121, "T2": 0.3121, "T23": 0.6674},
    ("B->K*", "BSZ2015-LCSR"): {"A0": 0.3559, "A1": 0.2693, "A12": 0.2558, "V": 0.3414,
                                "T1": 0.2823, "T2": 0.2823, "T23": 0.6678},
    ("Bs->phi", "BSZ2015"): {"A0": 0.4213, "A1": 0.2880, "A12": 0.2671, "V": 0.3645,
                             "T1": 0.2995, "T2": 0.2995, "T23": 0.6523},
    ("Bs->phi", "BSZ2015-LCSR"): {"A0": 0.3887, "A1": 0.2956, "A12": 0.2464, "V": 0.3866,
                                  "T1": 0.3091, "T2": 0.3091, "T23": 0.6756},
}


#: LCSR-only fits are constrained at low s; their monotonicity is checked up to here [GeV^2]
LCSR_S_MAX = 14.0


def physical_s(obj, n=301, fraction=1.0):
    return np.linspace(0.0, fraction * (obj.m_B - obj.m_M) ** 2, n)


def trusted_s(obj, n=301):
    """Physical s range, cut at LCSR_S_MAX for LCSR-only fits."""
    s = physical_s(obj, n)
    return s[s <= LCSR_S_MAX] if obj.name.endswith("-LCSR") else s


# --- conformal variable -------------------------------------------------------
@pytest.mark.parametrize("pdg", [(521, 321), (511, 313), (531, 333)])
def test_z_vanishes_at_t0_and_is_bounded(pdg):
    m_B, m_M = mass(pdg[0]), mass(pdg[1])
    # closed form of t0 (BSZ arXiv:1503.05534 Sec. 2): (m_B + m_M)(sqrt(m_B) - sqrt(m_M))^2
    t0 = (m_B + m_M) * (math.sqrt(m_B) - math.sqrt(m_M)) ** 2
    assert t_zero(m_B, m_M) == pytest.approx(t0, rel=1e-13)
    assert z(t0, m_B, m_M) == pytest.approx(0.0, abs=1e-15)
    s = np.linspace(0.0, (m_B - m_M) ** 2, 1001)
    zs = z(s, m_B, m_M)
    assert np.all(np.abs(zs) < 1.0)
    assert np.all(np.diff(zs) < 0.0)
    # this t0 makes the physical range symmetric in z
    assert zs[0] == pytest.approx(-zs[-1], rel=1e-12)


def test_kallen_and_thresholds():
    m_B, m_M = 5.28, 0.5
    assert t_plus(m_B, m_M) == pytest.approx(5.78**2)
    assert t_minus(m_B, m_M) == pytest.approx(4.78**2)
    assert kallen(m_B**2, m_M**2, 0.0) == pytest.approx((m_B**2 - m_M**2) ** 2)
    assert kallen(m_B**2, m_M**2, (m_B - m_M) ** 2) == pytest.approx(0.0, abs=1e-10)
    # lambda(a, b, c) = (a - (sqrt b + sqrt c)^2)(a - (sqrt b - sqrt c)^2)
    a, b, c = 27.9, 0.8, 3.1
    ref = (a - (math.sqrt(b) + math.sqrt(c)) ** 2) * (a - (math.sqrt(b) - math.sqrt(c)) ** 2)
    assert kallen(a, b, c) == pytest.approx(ref, rel=1e-12)


# --- B -> K -------------------------------------------------------------------
@pytest.mark.parametrize("name", B_TO_K_SETS)
def test_b_to_k_fplus_equals_fzero_at_zero(name):
    obj = ff.get("B->K", name)
    assert obj.f_plus(0.0) == obj.f_zero(0.0)


def test_bhvdw_endpoint_values():
    obj = ff.get("B->K", "BHvDW2012")
    assert obj.f_T(0.0) == pytest.approx(0.39, abs=1e-15)
    assert obj.f_plus(0.0) == pytest.approx(0.34, abs=1e-15)
    assert obj.f_zero(0.0) == pytest.approx(0.34, abs=1e-15)


def test_bhvdw_hand_evaluation():
    # masses used in EOS for KMPW2010 (B_u and K+, PDG 2010)
    m_B, m_K = 5.27917, 0.493677
    obj = ff.get("B->K", "BHvDW2012", m_B=m_B, m_M=m_K)
    s = 12.5

    # seed 000 eq. (3.5)
    tau_p = (m_B + m_K) ** 2
    tau_m = (m_B - m_K) ** 2
    tau_0 = math.sqrt(tau_p) * (math.sqrt(tau_p) - math.sqrt(tau_p - tau_m))

    def zz(x):
        a, b = math.sqrt(tau_p - x), math.sqrt(tau_p - tau_0)
        return (a - b) / (a + b)

    bracket = zz(s) - zz(0.0) + 0.5 * (zz(s) ** 2 - zz(0.0) ** 2)
    # seed 000 eqs. (3.4), (3.12) with KMPW Table 4: f(0), b1, m_res = 5.412 GeV
    f_T = 0.39 / (1.0 - s / 5.412**2) * (1.0 - 2.2 * bracket)
    f_p = 0.34 / (1.0 - s / 5.412**2) * (1.0 - 2.1 * bracket)
    f_0 = 0.34 * (1.0 - 4.3 * bracket)  # no pole for f_0
    assert obj.f_T(s) == pytest.approx(f_T, rel=1e-12)
    assert obj.f_plus(s) == pytest.approx(f_p, rel=1e-12)
    assert obj.f_zero(s) == pytest.approx(f_0, rel=1e-12)
    # sanity of the hand numbers: t0 = 14.69 GeV^2, t+ = 33.33 GeV^2, so
    # z(0) = (5.773 - 4.318)/(5.773 + 4.318) = 0.144; bracket < 0 for s > 0
    assert zz(0.0) == pytest.approx(0.1442, abs=2e-4) and bracket < 0.0


@pytest.mark.parametrize("name", B_TO_K_SETS)
def test_b_to_k_positive_and_increasing(name):
    obj = ff.get("B->K", name)
    s = trusted_s(obj)
    for f in (obj.f_plus, obj.f_zero, obj.f_T):
        v = f(s)
        assert np.all(v > 0.0)
        assert np.all(np.diff(v) > 0.0)


# --- BSZ sets -----------------------------------------------------------------
@pytest.mark.parametrize("key", list(PUBLISHED_A0))
def test_bsz_value_at_zero_is_a0(key):
    obj = ff.get(*key)
    for name, a0 in PUBLISHED_A0[key].items():
        assert getattr(obj, name)(0.0) == pytest.approx(a0, abs=1e-12), name


@pytest.mark.parametrize("transition,name", VECTOR_CASES)
def test_a12_a0_relation_at_zero(transition, name):
    # BSZ arXiv:1503.05534 eq. (16): A12(0) = (m_B^2 - m_V^2)/(8 m_B m_V) A0(0),
    # met by the published (rounded) tables to about 1e-3
    obj = ff.get(transition, name)
    m_B, m_V = obj.m_B, obj.m_M
    expected = obj.A0(0.0) * (m_B**2 - m_V**2) / (8.0 * m_B * m_V)
    assert obj.A12(0.0) == pytest.approx(expected, abs=1.5e-3)


@pytest.mark.parametrize("transition,name", VECTOR_CASES)
def test_t1_equals_t2_at_zero(transition, name):
    obj = ff.get(transition, name)
    assert obj.T1(0.0) == obj.T2(0.0)


@pytest.mark.parametrize("transition,name", VECTOR_CASES)
def test_a2_t3_invert_the_helicity_definitions(transition, name):
    obj = ff.get(transition, name)
    m_B, m_V = obj.m_B, obj.m_M
    s = physical_s(obj, n=50)[:-1]  # lambda = 0 at the end point
    lam = (m_B**2 - m_V**2 - s) ** 2 - 4.0 * m_V**2 * s  # Kallen function written out
    a12 = ((m_B + m_V) ** 2 * (m_B**2 - m_V**2 - s) * obj.A1(s) - lam * obj.A2(s)) / (
        16.0 * m_B * m_V**2 * (m_B + m_V)
    )
    t23 = ((m_B**2 - m_V**2) * (m_B**2 + 3.0 * m_V**2 - s) * obj.T2(s) - lam * obj.T3(s)) / (
        8.0 * m_B * m_V**2 * (m_B - m_V)
    )
    np.testing.assert_allclose(a12, obj.A12(s), rtol=1e-11)
    np.testing.assert_allclose(t23, obj.T23(s), rtol=1e-11)


@pytest.mark.parametrize("transition,name", VECTOR_CASES)
def test_vector_positive_and_increasing(transition, name):
    obj = ff.get(transition, name)
    s = trusted_s(obj)
    for f in FITTED_VECTOR_FFS:
        v = getattr(obj, f)(s)
        assert np.all(v > 0.0), f
        assert np.all(np.diff(v) > 0.0), f
    # A2 and T3 have a 1/lambda end-point pole (fits do not impose the
    # zero-recoil relations), so check them away from the end point
    s = physical_s(obj, fraction=0.8)
    for f in ("A2", "T3"):
        v = getattr(obj, f)(s)
        assert np.all(v > 0.0), f
        assert np.all(np.diff(v) > 0.0), f


def test_vectorised_shapes():
    obj = ff.get("B->K*")
    s = np.linspace(0.0, 10.0, 12).reshape(3, 4)
    for f in FITTED_VECTOR_FFS + ("A2", "T3"):
        out = getattr(obj, f)(s)
        assert out.shape == (3, 4)
        assert np.ndim(getattr(obj, f)(1.0)) == 0
        assert getattr(obj, f)(s)[1, 2] == pytest.approx(getattr(obj, f)(float(s[1, 2])), rel=1e-14)
    bk = ff.get("B->K", "BHvDW2012")
    assert bk.f_T(s).shape == (3, 4)


# --- uncertainties and variations -------------------------------------------------
def test_bsz_uncertainties_and_variations():
    obj = ff.get("B->K*")
    assert obj.central["a1_V"] == -1.1660
    assert obj.uncertainties["a1_V"] == 0.2613
    assert "a0_T2" not in obj.parameter_names  # fixed by T2(0) = T1(0)
    assert "a0_A12" not in obj.parameter_names  # fixed by the A12(0) relation (BSZ eq. (16))

    up = obj.varied(sigmas=True, a1_V=1.0)
    assert up.parameters["a1_V"] == pytest.approx(-1.1660 + 0.2613)
    assert up.V(0.0) == obj.V(0.0) and up.V(10.0) != obj.V(10.0)
    assert obj.V(10.0) == ff.get("B->K*").V(10.0)  # original untouched

    t = obj.varied(a0_T1=0.01)
    assert t.T1(0.0) == pytest.approx(0.3221) and t.T2(0.0) == t.T1(0.0)
    a = obj.varied(sigmas=True, a0_A0=-1.0)
    r = (obj.m_B**2 - obj.m_M**2) / (8.0 * obj.m_B * obj.m_M)
    assert a.A0(0.0) == pytest.approx(0.3692 - 0.0289)
    assert a.A12(0.0) - obj.A12(0.0) == pytest.approx(-0.0289 * r)
    # shifts accumulate
    assert obj.varied(a2_T23=0.5).varied(a2_T23=-0.5).T23(15.0) == pytest.approx(obj.T23(15.0))

    bk = ff.get("B->K").varied(a0_f_plus=0.02)
    assert bk.f_zero(0.0) == bk.f_plus(0.0) == pytest.approx(0.3491)

    with pytest.raises(ValueError, match="a0_T2"):
        obj.varied(a0_T2=0.01)
    with pytest.raises(ValueError, match="a9_V"):
        obj.varied(a9_V=0.01)


def test_bhvdw_variations():
    obj = ff.get("B->K", "BHvDW2012")
    assert set(obj.parameter_names) == {"norm_f_plus", "b1_f_plus", "b1_f_zero", "norm_f_T", "b1_f_T"}
    # asymmetric errors of KMPW Table 4: f_T(0) = 0.39 +0.05 -0.03
    assert obj.varied(sigmas=True, norm_f_T=1.0).f_T(0.0) == pytest.approx(0.44)
    assert obj.varied(sigmas=True, norm_f_T=-1.0).f_T(0.0) == pytest.approx(0.36)
    low = obj.varied(sigmas=True, norm_f_plus=-1.0)
    assert low.f_plus(0.0) == low.f_zero(0.0) == pytest.approx(0.32)
    with pytest.raises(ValueError, match="norm_f_zero"):
        obj.varied(norm_f_zero=0.01)


# --- registry ----------------------------------------------------------------
def test_registry_defaults_and_attributes():
    assert ff.default("B->K") == "GKvD2018"
    assert ff.default("B->K*") == "BSZ2015"
    assert ff.default("Bs->phi") == "BSZ2015"
    assert set(ff.available("B->K")) == {"BHvDW2012", "GKvD2018", "GKvD2018-LCSR", "GRvDV2023", "BelleII2025"}
    assert set(ff.available("B->K*")) == {"BSZ2015", "BSZ2015-LCSR", "GRvDV2023"}
    assert set(ff.available("Bs->phi")) == {"BSZ2015", "BSZ2015-LCSR", "GRvDV2023"}
    pdg = {"B->K": (521, 321), "B->K*": (511, 313), "Bs->phi": (531, 333)}
    for transition, (pdg_B, pdg_M) in pdg.items():
        for name in ff.available(transition):
            obj = ff.get(transition, name)
            assert obj.name == name and obj.transition == transition
            assert obj.m_B == mass(pdg_B) and obj.m_M == mass(pdg_M)
            assert "arXiv:" in obj.source
    assert ff.get("B->K").m_B == pytest.approx(5.27941, abs=1e-4)
    assert ff.get("B->K*").m_M == pytest.approx(0.8956, abs=1e-3)
    custom = ff.get("B->K*", m_M=0.89166)
    assert custom.m_M == 0.89166 and custom.m_B == mass(511)


@pytest.mark.parametrize(
    "args,match",
    [
        (("B->D",), "'B->D'.*B->K\\*"),
        (("B->K*", "BHvDW2012"), "'BHvDW2012'.*BSZ2015"),
        (("B->K", "GKvD"), "'GKvD'.*GKvD2018"),
    ],
)
def test_unknown_names_raise(args, match):
    with pytest.raises(ValueError, match=match):
        ff.get(*args)
    with pytest.raises(ValueError):
        ff.available("B->pi")
