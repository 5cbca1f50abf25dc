"""Counter-free xoshiro256++ streams, one per block of events.

Each block of events owns an independent stream seeded from
``numpy.random.SeedSequence(seed, spawn_key=(block,))``, so the events do not
depend on how blocks are grouped into chunks, threads or workers.
Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators",
ACM TOMS 47 (2021) 36 (xoshiro256++).
"""

from __future__ import annotations

import numpy as np

from .jit import jit

_U64 = np.uint64


def block_states(seed: int, first_block: int, n_blocks: int) -> np.ndarray:
    """Initial xoshiro256++ states (n_blocks, 4) uint64 for blocks first_block..first_block+n_blocks-1."""
    out = np.empty((n_blocks, 4), dtype=np.uint64)
    for i in range(n_blocks):
        ss = np.random.SeedSequence(int(seed), spawn_key=(first_block + i,))
        st = ss.generate_state(4, dtype=np.uint64)
        if not st.any():  # the all-zero state is the one forbidden state
            st[0] = 1
        out[i] = st
    return out


@jit
def _rotl(x, k):
    return (x << _U64(k)) | (x >> _U64(64 - k))


@jit
def next_u64(s):
    """Advance the state ``s`` (uint64[4]) and return the next 64-bit output."""
    result = _rotl(s[0] + s[3], 23) + s[0]
    t = s[1] << _U64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@jit
def uniform(s):
    """Uniform double in [0, 1) from the top 53 bits."""
    return float(next_u64(s) >> _U64(11)) * (1.0 / 9007199254740992.0)


@jit
def uniform_open(s):
    """Uniform double in (0, 1)."""
    return (float(next_u64(s) >> _U64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@jit
def normal(s):
    """Standard normal deviate (Box-Muller, one of the pair)."""
    u1 = uniform_open(s)
    u2 = uniform(s)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@jit
def exponential(s):
    """Exp(1) deviate."""
    return -np.log(uniform_open(s))


@jit
def unit_circle(s):
    """(cos phi, sin phi) of an azimuth uniform in [0, 2 pi) without trigonometric calls: a point
    uniform in the unit disk by rejection (acceptance pi/4), its polar angle doubled
    (J. von Neumann, NBS Appl. Math. Ser. 12 (1951) 36)."""
    while True:
        x = 2.0 * uniform(s) - 1.0
        y = 2.0 * uniform(s) - 1.0
        r2 = x * x + y * y
        if 0.0 < r2 <= 1.0:
            inv = 1.0 / r2
            return (x * x - y * y) * inv, 2.0 * x * y * inv


@jit
def unit_sphere(s):
    """Unit vector uniform on the sphere (G. Marsaglia, Ann. Math. Stat. 43 (1972) 645): (x, y)
    uniform in the unit disk, r2 = x^2 + y^2, then (2x sqrt(1-r2), 2y sqrt(1-r2), 1 - 2 r2)."""
    while True:
        x = 2.0 * uniform(s) - 1.0
        y = 2.0 * uniform(s) - 1.0
        r2 = x * x + y * y
        if r2 < 1.0:
            f = 2.0 * np.sqrt(1.0 - r2)
            return x * f, y * f, 1.0 - 2.0 * r2


@jit
def cos_sin2(s):
    """cos(theta) with density (3/4)(1 - cos^2) on [-1, 1]: the median of three uniforms on [-1, 1]
    (the median of three U(0, 1) is Beta(2, 2), density 6x(1 - x); Devroye 1986, ch. I.4). No
    rejection loop, so no data-dependent branch."""
    a = 2.0 * uniform(s) - 1.0
    b = 2.0 * uniform(s) - 1.0
    c = 2.0 * uniform(s) - 1.0
    lo = a if a < b else b
    hi = b if a < b else a
    m = hi if hi < c else c
    return lo if lo > m else m


@jit
def cos_cos2(s):
    """cos(theta) with density (3/2) cos^2 on [-1, 1]: |cos| is the maximum of three U(0, 1) (density
    3x^2), the sign that of a uniform on [-1, 1] whose modulus is one of the three."""
    v = 2.0 * uniform(s) - 1.0
    a = abs(v)
    b = uniform(s)
    c = uniform(s)
    m = a if a > b else b
    m = m if m > c else c
    return m if v >= 0.0 else -m
