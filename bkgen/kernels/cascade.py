"""Generic event kernel for B -> M Y cascades with helicity amplitudes.

Topology (B spin 0):  B -> M Y,  M -> m1 m2 (spin-1 M into two spin-0 mesons,
optional),  Y -> y1 y2 (optional; Y is a real boson, an off-shell mediator or
the invisible pair's total momentum).

Sampling per event:
  1. the channel (e.g. dark-fermion generation) from its rate fraction;
  2. (m_M, q^2) exactly from the bilinear interpolant of the tabulated density
     on a grid in x = arctan((m_M^2 - m0^2)/(m0 Gamma0)) and
     t = sqrt((q^2 - q^2_lo)/(q^2_hi(m_M) - q^2_lo)) (kernels.tables: alias
     tables for the cells, a triangle mixture inside a cell);
  3. at that fixed (m_M, q^2), the helicity angles (theta_M, theta_Y, chi) from
        W = sum_sigma w_sigma |sum_lambda H_lambda d^J_M_{lambda 0}(theta_M)
                                d^1_{lambda sigma}(theta_Y) e^{i lambda chi}|^2
     (Jacob & Wick, Ann. Phys. 7 (1959) 404; helicity amplitudes H_lambda(m_M, q^2)
     and pair-helicity weights w_sigma(q^2) come from the physics model). For a
     spin-0 meson W depends on theta_Y alone, as a mixture of cos^2 and sin^2,
     and is sampled exactly. For a spin-1 meson theta_M is drawn from its exact
     marginal, then (theta_Y, chi) uniformly until accepted with probability
     W/W_bound at that theta_M (mean acceptance 1/3; the acceptance at fixed
     (m_M, q^2) does not bias the q^2 marginal), where W_bound follows from the
     Cauchy-Schwarz inequality and sum_lambda |d^1_{lambda sigma}|^2 = 1;
  4. four-vectors in the B rest frame, optional CP conjugation (parity on all
     three-momenta), then the Upsilon -> B Bbar production and the boost to the lab.

Directions and azimuths come from rejection samplers without trigonometric calls
(rng.unit_sphere, rng.unit_circle), sin^2 and cos^2 polar angles from order
statistics of uniforms (rng.cos_sin2, rng.cos_cos2).

Units: GeV, mm, ns.
"""

from __future__ import annotations

import numpy as np

from .jit import jit
from .kinematics import boost, boost_inv, orthonormal_frame, two_body_rest_frame
from .rng import cos_cos2, cos_sin2, exponential, normal, uniform, unit_circle, unit_sphere
from .tables import sample_pwlinear

# ---- layout of the per-channel parameter rows --------------------------------
P_M_MASS0 = 0  # nominal M mass (used when no line shape) [GeV]
P_M_LS = 1  # 1: M mass sampled on the arctan grid
P_M0G0 = 2  # m0 * Gamma0 of the line shape [GeV^2]
P_X_LO = 3  # arctan-variable range
P_X_HI = 4
P_S_MODE = 5  # 0: fixed q^2, 1: sin^2 map on the t grid, 2: Breit-Wigner (arctan) map on the t grid
P_S_FIXED = 6
P_S_LO = 7  # lower q^2 edge [GeV^2]
P_M_DECAYS = 8
P_M1 = 9
P_M2 = 10
P_Y_MODE = 11  # 0 stable, 1 spin-1 (helicity weights), 2 spin-0 (isotropic)
P_Y1 = 12
P_Y2 = 13
P_J_M = 14
P_Y_CTAU = 15  # proper decay length of Y [mm]; 0 = prompt
P_M_POLE = 16  # pole mass m0 of the line shape [GeV]
P_Y_POLE = 17  # pole mass of a Breit-Wigner Y (q^2 map 2) [GeV]
P_Y_M0G0 = 18  # m_Y Gamma_Y of that Breit-Wigner [GeV^2]
P_S_HI = 19  # upper q^2 cut [GeV^2] below the kinematic limit (Channel.q2_window); inf: none
P_WEAK = 20  # 1: the amplitudes' phases are weak (CP-odd): the CP conjugate has H* (Channel.weak_phases)
N_CHANNEL_PARAMS = 21

# ---- layout of the lab / beam parameter vector --------------------------------
L_FRAME = 0  # FRAME_B_REST, FRAME_LAB or FRAME_CMS
L_E_HER = 1
L_E_LER = 2
L_HALF_ANGLE = 3
L_SPREAD = 4
L_SIG_HER = 5
L_SIG_LER = 6
L_M_E = 7
L_TAU_B = 8  # ns
L_C = 9  # mm/ns
L_SMEAR = 10  # 1: interaction point drawn from the beam spot (lab frame)
L_SPOT = 11  # 6 entries: lower Cholesky factor of the beam-spot covariance l00 l10 l11 l20 l21 l22 [mm]
L_MIX = 17  # 1: e+e- -> B_s(*) Bbar_s(*) production mix with B_s* -> B_s gamma
L_F_VV = 18  # fraction of B_s* Bbar_s*
L_F_VP = 19  # fraction of B_s* Bbar_s + B_s Bbar_s*
L_M_STAR = 20  # B_s* mass [GeV]
N_LAB_PARAMS = 21
FRAME_B_REST, FRAME_LAB, FRAME_CMS = 0.0, 1.0, 2.0

# ---- output slots ---------------------------------------------------------------
SLOT_UPS, SLOT_B, SLOT_BBAR, SLOT_M, SLOT_M1, SLOT_M2, SLOT_Y, SLOT_Y1, SLOT_Y2 = range(9)
# production mix: the B_s* of the signal side and its photon, those of the companion side
SLOT_STAR_SIG, SLOT_GAMMA_SIG, SLOT_STAR_COMP, SLOT_GAMMA_COMP = range(9, 13)
N_SLOTS = 13
O_Q2, O_MM, O_COS_M, O_COS_Y, O_CHI, O_CHANNEL, O_CONJ, O_EMISS, O_PROD = range(9)
N_OBS = 9
#: production modes (obs column O_PROD): which side comes from a B_s* (bit 0 signal, bit 1 companion)
PROD_PAIR, PROD_STAR_SIG, PROD_STAR_COMP, PROD_STAR_BOTH = range(4)
#: vertex rows of the kernel output: B decay, Y decay, interaction point
V_B, V_Y, V_IP = range(3)
N_VERTICES = 3

_SQRT_HALF = np.sqrt(0.5)


@jit
def wigner_d1(lam, sig, c, s):
    """Wigner d^1_{lam,sig}(theta) for lam, sig in {-1, 0, 1}; c = cos, s = sin."""
    if lam == 1:
        if sig == 1:
            return 0.5 * (1.0 + c)
        if sig == 0:
            return -s * _SQRT_HALF
        return 0.5 * (1.0 - c)
    if lam == 0:
        if sig == 1:
            return s * _SQRT_HALF
        if sig == 0:
            return c
        return -s * _SQRT_HALF
    if sig == 1:
        return 0.5 * (1.0 - c)
    if sig == 0:
        return s * _SQRT_HALF
    return 0.5 * (1.0 + c)


@jit
def helicity_moduli(h):
    """(|H_-|^2, |H_0|^2, |H_+|^2) of helicity amplitudes h (lambda = -1, 0, 1: h[0:3] real parts, h[3:6]
    imaginary parts if present, as in the kernel tables)."""
    if h.shape[0] == 6:
        return h[0] * h[0] + h[3] * h[3], h[1] * h[1] + h[4] * h[4], h[2] * h[2] + h[5] * h[5]
    return h[0] * h[0], h[1] * h[1], h[2] * h[2]


@jit
def angular_weight(h, w, j_m, y_mode, cm, sm, cy, sy, cchi, schi):
    """Angular density W and its bound for helicity amplitudes h (lambda=-1,0,1: h[0:3] real parts,
    h[3:6] imaginary parts if present) and pair weights w[3] (sigma=-1,0,1); cchi, schi = cos, sin of chi."""
    cplx = h.shape[0] == 6
    hm2, h02, hp2 = helicity_moduli(h)
    if j_m == 0:
        if y_mode == 1:
            val = 0.0
            for k in range(3):
                d = wigner_d1(0, k - 1, cy, sy)
                val += w[k] * d * d
            bnd = max(w[1], 0.5 * (w[0] + w[2]))
            return h02 * val, h02 * bnd
        return h02, h02
    # spin-1 M decaying to two spin-0 mesons
    hmax = max(hm2, max(h02, hp2))
    if y_mode == 0:  # stable Y: helicities add incoherently
        dm = wigner_d1(-1, 0, cm, sm)
        d0 = wigner_d1(0, 0, cm, sm)
        dp = wigner_d1(1, 0, cm, sm)
        return hm2 * dm * dm + h02 * d0 * d0 + hp2 * dp * dp, hmax
    if y_mode == 2:  # spin-0 Y: only lambda = 0
        return h02 * cm * cm, h02
    g_m = h[3] if cplx else 0.0
    g_0 = h[4] if cplx else 0.0
    g_p = h[5] if cplx else 0.0
    val, _ = pair_angular_weight(h[0], h[1], h[2], g_m, g_0, g_p, w[0], w[1], w[2], cm, sm, cy, sy, cchi, schi)
    return val, (w[0] + w[1] + w[2]) * hmax


@jit
def q2_breit_wigner_map(t, q2_lo, q2_hi, m0, m0g0):
    """q^2 = m0^2 + m0 Gamma0 tan(y), y linear in t between the images of q2_lo and q2_hi."""
    y_lo = np.arctan((q2_lo - m0 * m0) / m0g0)
    y_hi = np.arctan((q2_hi - m0 * m0) / m0g0)
    return m0 * m0 + m0g0 * np.tan(y_lo + (y_hi - y_lo) * t)


@jit
def _sample_cos_meson(st, h_m2, h_02, h_p2):
    """cos(theta_M) of a spin-1 meson -> two spin-0 mesons from its exact marginal
    sum_lambda |H_lambda|^2 d^1_{lambda 0}(theta)^2 = (|H_-|^2 + |H_+|^2)/2 sin^2 + |H_0|^2 cos^2
    (the Y-decay angles integrate out: int |d^1_{lambda sigma}|^2 dcos = 2/3 for every lambda), given the
    squared moduli |H_lambda|^2. Scalar arguments: keeps the hot loop free of reference counting."""
    a = 0.5 * (h_m2 + h_p2) * (4.0 / 3.0)  # weight of the sin^2 component
    b = h_02 * (2.0 / 3.0)  # weight of the cos^2 component
    if a + b <= 0.0:  # no amplitudes (e.g. the flat-table limit): isotropic, as in _cos_pair_spin0
        return 2.0 * uniform(st) - 1.0
    if uniform(st) * (a + b) < b:
        return cos_cos2(st)
    return cos_sin2(st)


@jit
def _pair_term(sig, a0, a1, a2, b0, b1, b2, cy, sy, cchi, schi):
    """|sum_lambda (a_lambda + i b_lambda) d^1_{lambda sigma}(theta_Y) e^{i lambda chi}|^2 for one pair helicity
    sigma (lambda = -1, 0, +1 for indices 0, 1, 2; a, b real). With D_lambda = d^1_{lambda sigma}(theta_Y):
    real part a_0 D_0 + (a_- D_- + a_+ D_+) cos chi - (b_+ D_+ - b_- D_-) sin chi, imaginary part
    b_0 D_0 + (b_- D_- + b_+ D_+) cos chi + (a_+ D_+ - a_- D_-) sin chi. The b terms carry the T-odd
    interference Im(H_lambda H*_lambda') sin((lambda - lambda') chi) (J_7, J_8, J_9 of B -> K* l l)."""
    e0 = wigner_d1(-1, sig, cy, sy)
    e1 = wigner_d1(0, sig, cy, sy)
    e2 = wigner_d1(1, sig, cy, sy)
    d0 = a0 * e0
    d2 = a2 * e2
    re = a1 * e1 + (d0 + d2) * cchi
    im = (d2 - d0) * schi
    if b0 != 0.0 or b1 != 0.0 or b2 != 0.0:
        f0 = b0 * e0
        f2 = b2 * e2
        re -= (f2 - f0) * schi
        im += b1 * e1 + (f0 + f2) * cchi
    return re * re + im * im


@jit
def pair_angular_weight(h_m, h_0, h_p, g_m, g_0, g_p, w_m, w_0, w_p, cm, sm, cy, sy, cchi, schi):
    """W(theta_Y, chi | theta_M) = sum_sigma w_sigma |sum_lambda c_lambda d^1_{lambda sigma}(theta_Y)
    e^{i lambda chi}|^2 with c_lambda = (H_lambda + i G_lambda) d^1_{lambda 0}(theta_M), and its bound
    sum_sigma w_sigma sum_lambda |c_lambda|^2 (Cauchy-Schwarz, sum_lambda |d^1_{lambda sigma}|^2 = 1);
    the mean of W over (theta_Y, chi) is a third of the bound; cchi, schi = cos, sin of chi.
    H = (h_m, h_0, h_p) real and G = (g_m, g_0, g_p) imaginary parts for lambda = -1, 0, +1, w likewise for
    sigma (the sequential-decay amplitude of Jacob-Wick, Ann. Phys. 7 (1959) 404, with complex H)."""
    dm = wigner_d1(-1, 0, cm, sm)
    d0 = wigner_d1(0, 0, cm, sm)
    dp = wigner_d1(1, 0, cm, sm)
    a0 = h_m * dm
    a1 = h_0 * d0
    a2 = h_p * dp
    b0 = g_m * dm
    b1 = g_0 * d0
    b2 = g_p * dp
    asq = a0 * a0 + a1 * a1 + a2 * a2 + b0 * b0 + b1 * b1 + b2 * b2
    val = 0.0
    if w_m != 0.0:
        val += w_m * _pair_term(-1, a0, a1, a2, b0, b1, b2, cy, sy, cchi, schi)
    if w_0 != 0.0:
        val += w_0 * _pair_term(0, a0, a1, a2, b0, b1, b2, cy, sy, cchi, schi)
    if w_p != 0.0:
        val += w_p * _pair_term(1, a0, a1, a2, b0, b1, b2, cy, sy, cchi, schi)
    return val, (w_m + w_0 + w_p) * asq


@jit
def _bilinear(tab, c, jx, ax, it, at, k):
    """Bilinear interpolation of tab[c, x, t, k]."""
    nx = tab.shape[1]
    nt = tab.shape[2]
    jx1 = jx + 1 if jx + 1 < nx else jx
    it1 = it + 1 if it + 1 < nt else it
    v00 = tab[c, jx, it, k]
    v01 = tab[c, jx, it1, k]
    v10 = tab[c, jx1, it, k]
    v11 = tab[c, jx1, it1, k]
    return (1.0 - ax) * ((1.0 - at) * v00 + at * v01) + ax * ((1.0 - at) * v10 + at * v11)


@jit
def _split(pos, n):
    """Cell index and fraction of a position in [0, n-1] on n nodes."""
    if n == 1:
        return 0, 0.0
    j = int(pos)
    if j > n - 2:
        j = n - 2
    return j, pos - j


@jit
def _sin_quarter(t_nodes, it, at, n_t):
    """sin((pi/2) t) at t = (it + at)/(n_t - 1) from sin, cos at node it (t_nodes) and the angle
    addition theorem, with sin and cos of the small remainder d = (pi/2) at/(n_t - 1) as Taylor
    series: for n_t >= 257, d <= 6.2e-3 and the first omitted terms (d^7/7!, d^8/8!) are below
    1e-19, so the result agrees with np.sin to a few units in the last place, without a libm call."""
    d = (0.5 * np.pi / (n_t - 1)) * at
    if n_t < 257:
        return np.sin(0.5 * np.pi * (it + at) / (n_t - 1))
    d2 = d * d
    sin_d = d * (1.0 - d2 * (1.0 / 6.0) * (1.0 - d2 * (1.0 / 20.0)))
    cos_d = 1.0 - d2 * 0.5 * (1.0 - d2 * (1.0 / 12.0) * (1.0 - d2 * (1.0 / 30.0)))
    return t_nodes[0, it] * cos_d + t_nodes[1, it] * sin_d


@jit
def _sin_from_cos(c):
    v = 1.0 - c * c
    return np.sqrt(v) if v > 0.0 else 0.0


@jit
def _two_body_decay(p4, i, parent, slot1, slot2, m, m1, m2, dx, dy, dz):
    """Daughters of p4[i, parent] (mass m): daughter 1 along the unit vector d in the parent's
    rest frame, both boosted to the frame of p4[i, parent]."""
    inv_m = 1.0 / m
    q, e1, e2 = two_body_rest_frame(m, inv_m, m1, m2)
    pe, px, py, pz = p4[i, parent, 0], p4[i, parent, 1], p4[i, parent, 2], p4[i, parent, 3]
    inv_em = 1.0 / (pe + m)
    p4[i, slot1, 0], p4[i, slot1, 1], p4[i, slot1, 2], p4[i, slot1, 3] = boost_inv(
        e1, q * dx, q * dy, q * dz, pe, px, py, pz, inv_m, inv_em)
    p4[i, slot2, 0], p4[i, slot2, 1], p4[i, slot2, 2], p4[i, slot2, 3] = boost_inv(
        e2, -q * dx, -q * dy, -q * dz, pe, px, py, pz, inv_m, inv_em)


@jit
def _cos_pair_spin0(st, w_m, w_0, w_p):
    """cos theta_Y for a spin-0 meson (only lambda = 0; angular_weight with j_m = 0, y_mode = 1):
    W = H_0^2 (w_0 cos^2 + (w_- + w_+)/2 sin^2), sampled exactly as the mixture of the densities
    (3/2) cos^2 and (3/4) sin^2 with weights w_0 (2/3) and (w_- + w_+)/2 (4/3) (their integrals)."""
    a = w_0 * (2.0 / 3.0)
    b = (w_m + w_p) * (2.0 / 3.0)
    if a + b <= 0.0:  # no angular information: isotropic
        return 2.0 * uniform(st) - 1.0
    if uniform(st) * (a + b) < a:
        return cos_cos2(st)
    return cos_sin2(st)


@jit(inline='always')  # compiled once, inside its caller (a cold compile builds no second copy)
def generate_one_block(
    st, n, m_parent, conj_mode, ch_cum, table_of, cpar, mx_pdf, mx_prob, mx_alias, ft_pdf2, ft_prob2, ft_alias2,
    t_nodes, hel, pw, lab, frame, p4, vtx, obs,
):
    """Fill n events into p4[:n], vtx[:n], obs[:n]; returns (angular trials, overweights). The t tables
    come with rows (channel, x node): ft_pdf2 is KernelTables.ft_pdf reshaped to 2-D; ``frame`` is
    work space for the beam frame (N_FRAME float64; _production). No array is allocated or reshaped
    here: numba's routines for those would be loaded with the kernel, some 0.1 s of a warm start-up.

    conj_mode & 3: 0 the amplitudes' decay, 1 its CP conjugate (parity on all momenta), 2 either with
    probability 1/2; conj_mode >> 2 = 1 when the amplitudes describe the CP conjugate of the decay
    named in the card, so that obs[:, O_CONJ] = 1 always means the conjugate of the named decay."""
    n_ch = ch_cum.shape[0]
    n_x = mx_pdf.shape[1]
    n_t = ft_pdf2.shape[1]
    n_hel = hel.shape[3]  # 3: real helicity amplitudes; 6: their real and imaginary parts
    inv_m_parent = 1.0 / m_parent
    trials = 0
    overweight = 0
    for i in range(n):
        # 1. channel (counted without an early exit: no data-dependent branch to mispredict)
        u = uniform(st)
        c = 0
        for k in range(n_ch - 1):
            c += 1 if u >= ch_cum[k] else 0
        tc = table_of[c]  # the channel's row in the tables (shared by channels with equal tables)
        # 2. (x, t) from the bilinear interpolant
        if n_x > 1:
            xpos = sample_pwlinear(mx_pdf, mx_prob, mx_alias, tc, st)
            jx, ax = _split(xpos, n_x)
            pj = (1.0 - ax) * mx_pdf[tc, jx]
            pj1 = ax * mx_pdf[tc, jx + 1]
            krow = jx if uniform(st) * (pj + pj1) < pj else jx + 1
        else:
            xpos = 0.0
            jx, ax = 0, 0.0
            krow = 0
        if n_t > 1:
            tpos = sample_pwlinear(ft_pdf2, ft_prob2, ft_alias2, tc * n_x + krow, st)
        else:
            tpos = 0.0
        it, at = _split(tpos, n_t)
        if cpar[c, P_M_LS] > 0.0:
            xval = cpar[c, P_X_LO] + (cpar[c, P_X_HI] - cpar[c, P_X_LO]) * xpos / (n_x - 1)
            m_m = np.sqrt(cpar[c, P_M_POLE] ** 2 + cpar[c, P_M0G0] * np.tan(xval))
        else:
            m_m = cpar[c, P_M_MASS0]
        s_hi = min((m_parent - m_m) ** 2, cpar[c, P_S_HI])  # Channel.q2_hi
        s_hi = max(s_hi, cpar[c, P_S_LO])
        if cpar[c, P_S_MODE] == 1.0:
            sn = _sin_quarter(t_nodes, it, at, n_t)
            q2 = cpar[c, P_S_LO] + (s_hi - cpar[c, P_S_LO]) * sn * sn
        elif cpar[c, P_S_MODE] == 2.0:
            q2 = q2_breit_wigner_map(tpos / (n_t - 1), cpar[c, P_S_LO], s_hi, cpar[c, P_Y_POLE], cpar[c, P_Y_M0G0])
        else:
            q2 = cpar[c, P_S_FIXED]
        m_y = np.sqrt(q2) if q2 > 0.0 else 0.0
        # 3. helicity angles at fixed (m_M, q^2), so the q^2 marginal stays exact
        m_decays = cpar[c, P_M_DECAYS] > 0.0
        y_mode = int(cpar[c, P_Y_MODE])
        j_m = int(cpar[c, P_J_M])
        w_m = _bilinear(pw, tc, jx, ax, it, at, 0)
        w_0 = _bilinear(pw, tc, jx, ax, it, at, 1)
        w_p = _bilinear(pw, tc, jx, ax, it, at, 2)
        h_m = h_0 = h_p = 0.0
        g_m = g_0 = g_p = 0.0  # imaginary parts (tables with 6 amplitude columns: complex H)
        if j_m == 1:  # a spin-0 meson has only H_0, which factors out of W
            h_m = _bilinear(hel, tc, jx, ax, it, at, 0)
            h_0 = _bilinear(hel, tc, jx, ax, it, at, 1)
            h_p = _bilinear(hel, tc, jx, ax, it, at, 2)
            if n_hel == 6:
                g_m = _bilinear(hel, tc, jx, ax, it, at, 3)
                g_0 = _bilinear(hel, tc, jx, ax, it, at, 4)
                g_p = _bilinear(hel, tc, jx, ax, it, at, 5)
        # (written out here rather than in helper functions that take the RNG state and loop: such
        # helpers cost reference-count updates of the state array on every event)
        # azimuths that do not enter W are drawn once, outside any accept-reject loop
        cpm, spm = 1.0, 0.0
        if m_decays:
            cpm, spm = unit_circle(st)
        cpy, spy = 1.0, 0.0
        if j_m == 1 and m_decays:
            # spin-1 meson -> two spin-0 mesons: theta_M from its exact marginal, then (theta_Y, phi_Y)
            # by accept-reject against the conditional bound at that theta_M (pair_angular_weight);
            # chi = phi_M + phi_Y
            cm = _sample_cos_meson(st, h_m * h_m + g_m * g_m, h_0 * h_0 + g_0 * g_0, h_p * h_p + g_p * g_p)
            sm = _sin_from_cos(cm)
            cy = 2.0 * uniform(st) - 1.0 if y_mode > 0 else 1.0
            cpy, spy = unit_circle(st)
            trials += 1
            if y_mode == 1:
                while True:
                    sy = _sin_from_cos(cy)
                    cchi = cpm * cpy - spm * spy
                    schi = spm * cpy + cpm * spy
                    wv, wb = pair_angular_weight(h_m, h_0, h_p, g_m, g_0, g_p, w_m, w_0, w_p, cm, sm, cy, sy, cchi, schi)
                    if wb <= 0.0:
                        break
                    if wv > wb * (1.0 + 1e-12):
                        overweight += 1
                    if uniform(st) * wb < wv:
                        break
                    trials += 1
                    cy = 2.0 * uniform(st) - 1.0
                    cpy, spy = unit_circle(st)
        else:
            # spin-0 meson, or a meson without decay: only lambda = 0 contributes, W does not depend
            # on theta_M or the azimuths
            cm = 2.0 * uniform(st) - 1.0 if m_decays else 1.0
            if y_mode == 1:
                cy = _cos_pair_spin0(st, w_m, w_0, w_p)
            else:
                cy = 2.0 * uniform(st) - 1.0 if y_mode > 0 else 1.0
            trials += 1
            if y_mode > 0:
                cpy, spy = unit_circle(st)
        sm = _sin_from_cos(cm)
        sy = _sin_from_cos(cy)
        # 4. four-vectors in the B rest frame: M along a uniform direction n
        nx_, ny_, nz_ = unit_sphere(st)
        e1x, e1y, e1z, e2x, e2y, e2z = orthonormal_frame(nx_, ny_, nz_)
        pst, em, ey = two_body_rest_frame(m_parent, inv_m_parent, m_m, m_y)
        conj = 0
        if conj_mode & 3 == 1:
            conj = 1
        elif conj_mode & 3 == 2:
            conj = 1 if uniform(st) < 0.5 else 0
        # CP: parity on every three-momentum (labels are conjugated by the caller); all momenta below
        # are linear in (n, e1, e2), and boosts commute with parity, so flipping the frame flips every
        # momentum (a multiplication rather than a branch on a random bit)
        par = 1.0 - 2.0 * conj
        nx_, ny_, nz_ = par * nx_, par * ny_, par * nz_
        e1x, e1y, e1z, e2x, e2y, e2z = par * e1x, par * e1y, par * e1z, par * e2x, par * e2y, par * e2z
        if conj == 1 and cpar[c, P_WEAK] > 0.0:
            # weak phases only: the CP-conjugate amplitudes are H*, and W(chi; H*) = W(-chi; H) (Wigner d real), so
            # the conjugate event is the parity image of one with chi -> -chi: both azimuths change sign (the T-odd
            # sin chi, sin 2chi terms flip sign under CP: the CP-odd A_7, A_8, A_9 of LHCb arXiv:1512.04442 sec. 2)
            spm = -spm
            spy = -spy
        p4[i, SLOT_M, 0] = em
        p4[i, SLOT_M, 1] = pst * nx_
        p4[i, SLOT_M, 2] = pst * ny_
        p4[i, SLOT_M, 3] = pst * nz_
        p4[i, SLOT_Y, 0] = ey
        p4[i, SLOT_Y, 1] = -pst * nx_
        p4[i, SLOT_Y, 2] = -pst * ny_
        p4[i, SLOT_Y, 3] = -pst * nz_
        if m_decays:
            dx = sm * cpm * e1x + sm * spm * e2x + cm * nx_
            dy = sm * cpm * e1y + sm * spm * e2y + cm * ny_
            dz = sm * cpm * e1z + sm * spm * e2z + cm * nz_
            _two_body_decay(p4, i, SLOT_M, SLOT_M1, SLOT_M2, m_m, cpar[c, P_M1], cpar[c, P_M2], dx, dy, dz)
        else:  # slots not written by this event are zeroed (the buffers are reused)
            for l in range(4):
                p4[i, SLOT_M1, l] = 0.0
                p4[i, SLOT_M2, l] = 0.0
        if y_mode > 0:
            # helicity frame of Y: z = -n, x = -e1, y = e2, i.e. M's frame (z = n, x = e1, y = e2) rotated by
            # pi about its y axis, the Jacob-Wick frame of the second particle (Ann. Phys. 7 (1959) 404),
            # with which amplitudes.py's helicity amplitudes (polarisation vectors of q along -z with
            # eps(0) = (|q|, 0, 0, -q0)/sqrt(q^2)) give the physical sign of the lambda = 0 x lambda = -+1
            # interference (tests/test_angular_sign.py: covariant |M|^2 with Dirac traces)
            dx = -sy * cpy * e1x + sy * spy * e2x - cy * nx_
            dy = -sy * cpy * e1y + sy * spy * e2y - cy * ny_
            dz = -sy * cpy * e1z + sy * spy * e2z - cy * nz_
            _two_body_decay(p4, i, SLOT_Y, SLOT_Y1, SLOT_Y2, m_y, cpar[c, P_Y1], cpar[c, P_Y2], dx, dy, dz)
        else:
            for l in range(4):
                p4[i, SLOT_Y1, l] = 0.0
                p4[i, SLOT_Y2, l] = 0.0
        # Y flight (proper length in mm) before the frame change
        lam_y = cpar[c, P_Y_CTAU] * exponential(st) if cpar[c, P_Y_CTAU] > 0.0 else 0.0
        # 5. production: e+e- -> Upsilon -> B Bbar, boost to the lab
        obs[i, O_Q2] = q2
        obs[i, O_MM] = m_m
        obs[i, O_COS_M] = cm
        obs[i, O_COS_Y] = cy
        # the angle between the M- and Y-decay planes in [0, 2 pi), recorded as LHCb's phi (arXiv:1512.04442 sec. 2,
        # its B0bar basis the CP conjugate of the B0 one), which is -(phi_M + phi_Y) of these helicity frames in B0bar
        # and in B0 (parity image) decays alike: the sign of the sin phi terms S7, S8, S9 agrees with flavio's LHCb
        # convention (tests/test_dilepton.py); 0 when either decay is absent (no plane)
        if m_decays and y_mode > 0:
            chi = np.arctan2(-(spm * cpy + cpm * spy), cpm * cpy - spm * spy)
            obs[i, O_CHI] = chi + 2.0 * np.pi if chi < 0.0 else chi
        else:
            obs[i, O_CHI] = 0.0
        obs[i, O_CHANNEL] = c
        obs[i, O_CONJ] = conj ^ (conj_mode >> 2)  # relative to the decay named in the card
        obs[i, O_EMISS] = ey
        _production(st, i, m_parent, lab, frame, m_y, lam_y, p4, vtx, obs)
    return trials, overweight


@jit(forceinline=True)  # LLVM inlines it into the event loop, as if written there
def _production(st, i, m_parent, lab, frame, m_y, lam_y, p4, vtx, obs):
    """Step 5 of event i (decay products in the B rest frame in p4[i]): e+e- -> Upsilon -> B Bbar and the
    boost to the lab in the beam frame ``frame`` (with fixed beam energies set at the first event of a
    call of generate_one_block, i = 0, and kept; drawn for every event with an energy spread), or the B
    at rest; the vertices, with the Y decay vertex a flight length lam_y [mm] (proper, 0 = prompt) along
    Y of mass m_y [GeV] from the B decay vertex. Apart from the decay part of generate_one_block, so that
    a cold compile can build _to_lab in a second process (kernels.precompile) meanwhile."""
    for k in range(N_VERTICES):
        for l in range(4):
            vtx[i, k, l] = 0.0
    obs[i, O_PROD] = PROD_PAIR
    if lab[L_FRAME] != FRAME_B_REST:  # lab or CMS: the e+e- production is generated
        if i == 0 or lab[L_SPREAD] > 0.0:  # fixed beams draw no random number: the frame of every event
            _beam_frame(st, m_parent, lab, frame)
        _to_lab(st, m_parent, lab, frame, p4, vtx, obs, i)
    else:
        for k in (SLOT_UPS, SLOT_BBAR):
            for l in range(4):
                p4[i, k, l] = 0.0
        p4[i, SLOT_B, 0] = m_parent
        p4[i, SLOT_B, 1] = 0.0
        p4[i, SLOT_B, 2] = 0.0
        p4[i, SLOT_B, 3] = 0.0
    # Y decay vertex: B decay vertex + beta*gamma*c*tau along Y
    if lam_y > 0.0 and m_y > 0.0:
        vtx[i, V_Y, 0] = vtx[i, V_B, 0] + p4[i, SLOT_Y, 1] / m_y * lam_y
        vtx[i, V_Y, 1] = vtx[i, V_B, 1] + p4[i, SLOT_Y, 2] / m_y * lam_y
        vtx[i, V_Y, 2] = vtx[i, V_B, 2] + p4[i, SLOT_Y, 3] / m_y * lam_y
        vtx[i, V_Y, 3] = vtx[i, V_B, 3] + p4[i, SLOT_Y, 0] / m_y * lam_y / lab[L_C]
    else:
        for l in range(4):
            vtx[i, V_Y, l] = vtx[i, V_B, l]


# ---- layout of the beam-frame vector (_beam_frame) --------------------------------
F_ECM, F_PCX, F_PCZ, F_W, F_AX, F_AY, F_AZ, F_E1X, F_E1Y, F_E1Z, F_E2X, F_E2Y, F_E2Z, F_PB = range(14)
F_ROT = 14  # 9 entries: rotation (row major) from the pure-boost CM frame to basf2's CMS frame
N_FRAME = 23


@jit
def _beam_frame(st, m_b, lab, frame):
    """The e+e- centre-of-mass system of one collision: CM four-momentum, the beam axis in the CM
    frame with two unit vectors orthogonal to it, the B momentum, and the rotation that turns the
    beam axis onto +z (basf2's CMS axes, physics.beams.lab_to_cms). Called once per block for
    fixed beam energies and once per event with energy spread (which draws the beam energies)."""
    m_e = lab[L_M_E]
    ha = lab[L_HALF_ANGLE]
    m_thr = lab[L_M_STAR] if lab[L_MIX] > 0.0 else m_b  # heaviest pair that can be produced
    while True:
        eh = lab[L_E_HER]
        el = lab[L_E_LER]
        if lab[L_SPREAD] > 0.0:
            eh += lab[L_SIG_HER] * normal(st)
            el += lab[L_SIG_LER] * normal(st)
        ph = np.sqrt(eh * eh - m_e * m_e)
        pl = np.sqrt(el * el - m_e * m_e)
        # basf2 convention: both beams tilted by +ha towards +x; e- along +z, e+ along -z
        hx, hz = ph * np.sin(ha), ph * np.cos(ha)
        lx, lz = pl * np.sin(ha), -pl * np.cos(ha)
        ecm = eh + el
        pcx = hx + lx
        pcz = hz + lz
        w2 = ecm * ecm - pcx * pcx - pcz * pcz
        w = np.sqrt(w2)
        if w > 2.0 * m_thr * (1.0 + 1e-9):
            break
    # beam axis in the CM frame: the e- direction boosted by -P
    a0, ax_, ay_, az_ = boost(eh, hx, 0.0, hz, ecm, -pcx, 0.0, -pcz, w)
    an = np.sqrt(ax_ * ax_ + ay_ * ay_ + az_ * az_)
    ax_ /= an
    ay_ /= an
    az_ /= an
    e1x, e1y, e1z, e2x, e2y, e2z = orthonormal_frame(ax_, ay_, az_)
    frame[F_ECM], frame[F_PCX], frame[F_PCZ], frame[F_W] = ecm, pcx, pcz, w
    frame[F_AX], frame[F_AY], frame[F_AZ] = ax_, ay_, az_
    frame[F_E1X], frame[F_E1Y], frame[F_E1Z] = e1x, e1y, e1z
    frame[F_E2X], frame[F_E2Y], frame[F_E2Z] = e2x, e2y, e2z
    frame[F_PB] = np.sqrt(max(0.25 * w2 - m_b * m_b, 0.0))
    # rotation by -asin|z x a| about n = (z x a)/|z x a| = (-a_y, a_x, 0)/s (Rodrigues' formula)
    s = np.sqrt(ax_ * ax_ + ay_ * ay_)
    for k in range(9):
        frame[F_ROT + k] = 1.0 if k % 4 == 0 else 0.0
    if s > 0.0:
        nx, ny = -ay_ / s, ax_ / s
        sn, cs = -s, az_  # sin and cos of the rotation angle -asin(s) (az > 0: the e- moves forward)
        v = 1.0 - cs
        frame[F_ROT + 0] = cs + nx * nx * v
        frame[F_ROT + 1] = nx * ny * v
        frame[F_ROT + 2] = ny * sn
        frame[F_ROT + 3] = nx * ny * v
        frame[F_ROT + 4] = cs + ny * ny * v
        frame[F_ROT + 5] = -nx * sn
        frame[F_ROT + 6] = -ny * sn
        frame[F_ROT + 7] = nx * sn
        frame[F_ROT + 8] = cs


@jit
def _lab_to_cms(frame, e, x, y, z):
    """A four-vector (E, p) or (c t, x) from the lab to basf2's CMS frame: boost by -beta, then rotate."""
    e0, x0, y0, z0 = boost(e, x, y, z, frame[F_ECM], -frame[F_PCX], 0.0, -frame[F_PCZ], frame[F_W])
    r = F_ROT
    return (e0, frame[r] * x0 + frame[r + 1] * y0 + frame[r + 2] * z0,
            frame[r + 3] * x0 + frame[r + 4] * y0 + frame[r + 5] * z0,
            frame[r + 6] * x0 + frame[r + 7] * y0 + frame[r + 8] * z0)


@jit
def _star_decay(st, p4, i, star, gamma, b, m_star, m_b, e, px, py, pz):
    """B_s* (CM four-momentum e, p, mass m_star) -> B_s gamma, isotropic in the B_s* rest frame
    (its polarisation is not modelled): fills slots star, gamma and b with CM four-momenta."""
    p4[i, star, 0], p4[i, star, 1], p4[i, star, 2], p4[i, star, 3] = e, px, py, pz
    inv_m = 1.0 / m_star
    q, eb, eg = two_body_rest_frame(m_star, inv_m, m_b, 0.0)
    ux, uy, uz = unit_sphere(st)
    inv_em = 1.0 / (e + m_star)
    p4[i, b, 0], p4[i, b, 1], p4[i, b, 2], p4[i, b, 3] = boost_inv(
        eb, q * ux, q * uy, q * uz, e, px, py, pz, inv_m, inv_em)
    p4[i, gamma, 0], p4[i, gamma, 1], p4[i, gamma, 2], p4[i, gamma, 3] = boost_inv(
        eg, -q * ux, -q * uy, -q * uz, e, px, py, pz, inv_m, inv_em)


@jit
def _to_lab(st, m_b, lab, frame, p4, vtx, obs, i):
    """Upsilon -> B Bbar in the CM system ``frame`` (B polar angle ~ 1 - cos^2 about the
    beam axis), or the B_s(*) Bbar_s(*) mix, B flight from its lifetime, boost of the decay products
    to the lab, and to basf2's CMS frame when asked; the interaction point from the beam spot."""
    ecm, pcx, pcz, w = frame[F_ECM], frame[F_PCX], frame[F_PCZ], frame[F_W]
    mix = lab[L_MIX] > 0.0
    mode = PROD_PAIR
    m1 = m_b
    m2 = m_b
    if mix:
        u = uniform(st)
        if u < lab[L_F_VV]:
            mode = PROD_STAR_BOTH
        elif u < lab[L_F_VV] + lab[L_F_VP]:
            mode = PROD_STAR_SIG if uniform(st) < 0.5 else PROD_STAR_COMP
        if mode & 1:
            m1 = lab[L_M_STAR]
        if mode & 2:
            m2 = lab[L_M_STAR]
    obs[i, O_PROD] = mode
    # polar angle of the pair about the beam axis: e+e- -> gamma* -> P P ~ 1 - cos^2 (sampled exactly,
    # median of three uniforms); V P (through the epsilon tensor) ~ 1 + cos^2, a mixture of 3/4 flat
    # and 1/4 cos^2; V V isotropic (its three helicity amplitudes are not modelled)
    if mode == PROD_PAIR:
        c = cos_sin2(st)
    elif mode == PROD_STAR_BOTH:
        c = 2.0 * uniform(st) - 1.0
    else:
        c = 2.0 * uniform(st) - 1.0 if uniform(st) < 0.75 else cos_cos2(st)
    s = _sin_from_cos(c)
    cph, sph = unit_circle(st)
    dx = s * cph * frame[F_E1X] + s * sph * frame[F_E2X] + c * frame[F_AX]
    dy = s * cph * frame[F_E1Y] + s * sph * frame[F_E2Y] + c * frame[F_AY]
    dz = s * cph * frame[F_E1Z] + s * sph * frame[F_E2Z] + c * frame[F_AZ]
    if mode == PROD_PAIR:
        pb = frame[F_PB]
        e1 = 0.5 * w
        e2 = e1
    else:
        pb, e1, e2 = two_body_rest_frame(w, 1.0 / w, m1, m2)
    if mode & 1:
        _star_decay(st, p4, i, SLOT_STAR_SIG, SLOT_GAMMA_SIG, SLOT_B, m1, m_b, e1, pb * dx, pb * dy, pb * dz)
    else:
        p4[i, SLOT_B, 0], p4[i, SLOT_B, 1], p4[i, SLOT_B, 2], p4[i, SLOT_B, 3] = e1, pb * dx, pb * dy, pb * dz
    if mode & 2:
        _star_decay(st, p4, i, SLOT_STAR_COMP, SLOT_GAMMA_COMP, SLOT_BBAR, m2, m_b, e2, -pb * dx, -pb * dy, -pb * dz)
    else:
        p4[i, SLOT_BBAR, 0], p4[i, SLOT_BBAR, 1], p4[i, SLOT_BBAR, 2], p4[i, SLOT_BBAR, 3] = e2, -pb * dx, -pb * dy, -pb * dz
    # CM -> lab: the e+e- system moves with (ecm, pcx, 0, pcz)
    for k in (SLOT_B, SLOT_BBAR, SLOT_STAR_SIG, SLOT_GAMMA_SIG, SLOT_STAR_COMP, SLOT_GAMMA_COMP):
        if k >= SLOT_STAR_SIG and not mix:
            break
        if (k == SLOT_STAR_SIG or k == SLOT_GAMMA_SIG) and not (mode & 1):
            for l in range(4):
                p4[i, k, l] = 0.0
            continue
        if (k == SLOT_STAR_COMP or k == SLOT_GAMMA_COMP) and not (mode & 2):
            for l in range(4):
                p4[i, k, l] = 0.0
            continue
        p4[i, k, 0], p4[i, k, 1], p4[i, k, 2], p4[i, k, 3] = boost(
            p4[i, k, 0], p4[i, k, 1], p4[i, k, 2], p4[i, k, 3], ecm, pcx, 0.0, pcz, w)
    b0, b1, b2, b3 = p4[i, SLOT_B, 0], p4[i, SLOT_B, 1], p4[i, SLOT_B, 2], p4[i, SLOT_B, 3]
    p4[i, SLOT_UPS, 0], p4[i, SLOT_UPS, 1], p4[i, SLOT_UPS, 2], p4[i, SLOT_UPS, 3] = ecm, pcx, 0.0, pcz
    # interaction point: a draw from the beam spot, x = L n with L the Cholesky factor of its covariance
    if lab[L_SMEAR] > 0.0:
        n0 = normal(st)
        n1 = normal(st)
        n2 = normal(st)
        vtx[i, V_IP, 0] = lab[L_SPOT] * n0
        vtx[i, V_IP, 1] = lab[L_SPOT + 1] * n0 + lab[L_SPOT + 2] * n1
        vtx[i, V_IP, 2] = lab[L_SPOT + 3] * n0 + lab[L_SPOT + 4] * n1 + lab[L_SPOT + 5] * n2
    # B decay vertex: proper time ~ Exp(tau_B); x = (p/m) c t, lab time = (E/m) t
    t0 = lab[L_TAU_B] * exponential(st)
    vtx[i, V_B, 0] = vtx[i, V_IP, 0] + b1 / m_b * lab[L_C] * t0
    vtx[i, V_B, 1] = vtx[i, V_IP, 1] + b2 / m_b * lab[L_C] * t0
    vtx[i, V_B, 2] = vtx[i, V_IP, 2] + b3 / m_b * lab[L_C] * t0
    vtx[i, V_B, 3] = b0 / m_b * t0
    inv_m = 1.0 / m_b
    inv_em = 1.0 / (b0 + m_b)
    for k in range(SLOT_M, SLOT_Y2 + 1):
        if p4[i, k, 0] == 0.0:
            continue
        e2_, x2, y2, z2 = boost_inv(p4[i, k, 0], p4[i, k, 1], p4[i, k, 2], p4[i, k, 3], b0, b1, b2, b3, inv_m, inv_em)
        p4[i, k, 0], p4[i, k, 1], p4[i, k, 2], p4[i, k, 3] = e2_, x2, y2, z2
    if lab[L_FRAME] == FRAME_CMS:  # lab -> basf2's CMS frame (the interaction point is the origin)
        for k in range(SLOT_B, N_SLOTS if mix else SLOT_Y2 + 1):
            if p4[i, k, 0] == 0.0:
                continue
            p4[i, k, 0], p4[i, k, 1], p4[i, k, 2], p4[i, k, 3] = _lab_to_cms(
                frame, p4[i, k, 0], p4[i, k, 1], p4[i, k, 2], p4[i, k, 3])
        p4[i, SLOT_UPS, 0], p4[i, SLOT_UPS, 1], p4[i, SLOT_UPS, 2], p4[i, SLOT_UPS, 3] = w, 0.0, 0.0, 0.0
        ct, x, y, z = _lab_to_cms(frame, vtx[i, V_B, 3] * lab[L_C], vtx[i, V_B, 0], vtx[i, V_B, 1], vtx[i, V_B, 2])
        vtx[i, V_B, 0], vtx[i, V_B, 1], vtx[i, V_B, 2], vtx[i, V_B, 3] = x, y, z, ct / lab[L_C]


@jit
def generate_blocks(
    b_lo, b_hi, states, block_size, n_total, m_parent, conj_mode, ch_cum, table_of, cpar, mx_pdf, mx_prob, mx_alias,
    ft_pdf2, ft_prob2, ft_alias2, t_nodes, hel, pw, lab, frames, p4, vtx, obs, trials, overweight,
):
    """Generate blocks b_lo .. b_hi-1 of n_total events in blocks of block_size, one RNG state per block
    (serial; generate.threads.run_blocks runs disjoint block ranges in parallel); states[b] is advanced
    in place. ft_*2: the t tables with rows (channel, x node); frames: work space (n_blocks, N_FRAME),
    a row per block."""
    for b in range(b_lo, b_hi):
        lo = b * block_size
        hi = min(lo + block_size, n_total)
        st = states[b]  # advanced in place (a copy would load numba's allocator with the kernel)
        tr, ow = generate_one_block(
            st, hi - lo, m_parent, conj_mode, ch_cum, table_of, cpar, mx_pdf, mx_prob, mx_alias, ft_pdf2, ft_prob2,
            ft_alias2, t_nodes, hel, pw, lab, frames[b], p4[lo:hi], vtx[lo:hi], obs[lo:hi],
        )
        trials[b] = tr
        overweight[b] = ow
