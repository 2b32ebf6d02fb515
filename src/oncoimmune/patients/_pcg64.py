r"""Many patients' random streams at once, bit for bit as NumPy draws them one by one.

Every virtual patient draws from their own :class:`numpy.random.Generator`
(``default_rng(SeedSequence([trial_seed, index], spawn_key=...))``, see
:mod:`oncoimmune.patients.streams`). Creating a generator and drawing a few
numbers costs tens of microseconds of Python per patient, which dominates
screening a million-patient trial. This module runs the same algorithms for a
whole block of patients in compiled loops, one *lane* per patient:

- NumPy's ``SeedSequence`` entropy mixing and ``generate_state`` [1]_ (the
  hash constants of O'Neill's ``seed_seq_fe`` design), for the entropy
  ``[trial_seed, index]`` and a spawn key;
- the PCG64 generator (128-bit LCG, XSL-RR output) [2]_ seeded as NumPy seeds it;
- ``Generator.random()`` (53-bit double) and ``Generator.standard_normal()``
  (NumPy's 256-layer ziggurat [3]_, its tail and wedge tests included).

Lanes are independent: a lane's draws are those of the patient's own NumPy
generator whatever else is in the block. ``tests/patients/test_pcg64.py``
checks every function against NumPy itself (states, uniforms, normals).

The ziggurat tables follow the layer construction of Marsaglia and Tsang [3]_
with NumPy's constants (``r = 3.6541528853610088``, 52-bit magnitudes); the
layer edges are NumPy's, measured from its output (:func:`ziggurat_tables`).

References
----------
.. [1] NumPy, ``numpy.random.SeedSequence`` (``bit_generator.pyx``), after
   M. E. O'Neill, "Developing a seed_seq alternative" (2015).
.. [2] M. E. O'Neill (2014). PCG: a family of simple fast space-efficient
   statistically good algorithms for random number generation. HMC-CS-2014-0905.
.. [3] G. Marsaglia, W. W. Tsang (2000). The ziggurat method for generating
   random variables. J Stat Softw 5(8). doi:10.18637/jss.v005.i08
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numba import config as numba_config
from numba import njit

from ..engines._codes import numba_cache_dir

if not numba_config.CACHE_DIR:
    numba_config.CACHE_DIR = numba_cache_dir()

_JIT = dict(cache=True, nogil=True)

_U64 = np.uint64
_M32 = _U64(0xFFFFFFFF)
_S32 = _U64(32)
# SeedSequence hash constants (uint32 arithmetic)
_INIT_A, _MULT_A = np.uint32(0x43B0D7E5), np.uint32(0x931E8875)
_INIT_B, _MULT_B = np.uint32(0x8B51F9DD), np.uint32(0x58F38DED)
_MIX_L, _MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_XSHIFT = np.uint32(16)
_POOL = 4
# PCG64 default 128-bit multiplier
_MUL_HI, _MUL_LO = _U64(2549297995355413924), _U64(4865540595714422341)
_TWO53_INV = 1.0 / 9007199254740992.0
ZIGGURAT_R = 3.6541528853610088
ZIGGURAT_INV_R = 0.27366123732975828
ZIGGURAT_EXP_R = 7.6971174701310497


# ---------------------------------------------------------------------------
# ziggurat tables
# ---------------------------------------------------------------------------
def construction_edges() -> np.ndarray:
    """The 256 layer edges of the normal ziggurat from its construction, in 60-digit arithmetic.

    ``x[255] = r``; ``x[i - 1] = f^{-1}(v / x[i] + f(x[i]))`` for ``i = 255 ... 2`` with
    ``f(x) = exp(-x**2 / 2)`` and ``v = r f(r) + int_r^inf f`` (the area of each layer);
    ``x[0] = v / f(r)`` (the base strip's width, tail included).
    """
    import mpmath

    with mpmath.workdps(60):
        r = mpmath.mpf(ZIGGURAT_R)

        def f(x):  # noqa: ANN001, ANN202
            return mpmath.exp(-x * x / 2)

        v = r * f(r) + mpmath.sqrt(mpmath.pi / 2) * mpmath.erfc(r / mpmath.sqrt(2))
        x = [mpmath.mpf(0)] * 256
        x[0], x[255] = v / f(r), r
        for i in range(254, 0, -1):
            x[i] = mpmath.sqrt(-2 * mpmath.log(v / x[i + 1] + f(x[i + 1])))
        return np.array([float(e) for e in x])


def construction_edges_exponential() -> np.ndarray:
    """The 256 layer edges of the exponential ziggurat (``f(x) = exp(-x)``, ``x[255] = r``), 60 digits."""
    import mpmath

    with mpmath.workdps(60):
        r = mpmath.mpf(ZIGGURAT_EXP_R)
        v = r * mpmath.exp(-r) + mpmath.exp(-r)
        x = [mpmath.mpf(0)] * 256
        x[0], x[255] = v / mpmath.exp(-r), r
        for i in range(254, 0, -1):
            x[i] = -mpmath.log(v / x[i + 1] + mpmath.exp(-x[i + 1]))
        return np.array([float(e) for e in x])


def _tables(edges: Sequence[str], m1: float, f: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(k, w, f)`` tables from layer edges (hex strings), as Marsaglia and Tsang's set-up computes them."""
    x = np.array([float.fromhex(e) for e in edges])
    k = np.zeros(256, dtype=np.uint64)
    fx = np.zeros(256)
    k[0] = int(x[255] / x[0] * m1)
    fx[0], fx[255] = 1.0, f(x[255])
    for i in range(254, 0, -1):
        k[i + 1] = int(x[i] / x[i + 1] * m1)
        fx[i] = f(x[i])
    return k, x / m1, fx


@lru_cache(maxsize=1)
def ziggurat_tables_exponential() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ke, we, fe)``: NumPy's 256-layer exponential ziggurat for 53-bit magnitudes.

    As :func:`ziggurat_tables` with ``f(x) = exp(-x)``, ``2**53`` and the
    edges measured from NumPy's ``standard_exponential`` (:data:`._ziggurat.EDGES_EXP`).
    """
    from ._ziggurat import EDGES_EXP

    return _tables(EDGES_EXP, 2.0**53, lambda x: math.exp(-x))


@lru_cache(maxsize=1)
def ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ki, wi, fi)``: the 256-layer normal ziggurat for 52-bit magnitudes, as NumPy has it.

    Layer 0 is the base strip with the tail beyond ``r``; layer ``i >= 1`` spans
    ``[0, x_i]`` between heights ``f(x_i)`` and ``f(x_{i-1})`` (``x_1`` the
    narrowest, ``x_255 = r``). ``wi[i] = x_i / 2**52``; ``ki[i] = 2**52 x_{i-1} / x_i``
    (``ki[0] = 2**52 r / x_0``, ``ki[1] = 0``), truncated; ``fi[i] = f(x_i)``,
    ``fi[0] = 1``, all in double precision as Marsaglia and Tsang's set-up code
    computes them. The edges ``x_i`` are NumPy's own, measured from its output
    (:mod:`oncoimmune.patients._ziggurat`, ``scripts/ziggurat_edges.py``): they
    differ from the exact construction by up to 40 ulps.
    """
    from ._ziggurat import EDGES

    return _tables(EDGES, 2.0**52, lambda x: math.exp(-0.5 * x * x))


# ---------------------------------------------------------------------------
# SeedSequence -> PCG64 state
# ---------------------------------------------------------------------------
@njit(**_JIT)
def _hashmix(value, hc):  # hc: one-element uint32 array (the running hash constant)
    value = np.uint32(value ^ hc[0])
    hc[0] = np.uint32(hc[0] * _MULT_A)
    value = np.uint32(value * hc[0])
    return np.uint32(value ^ (value >> _XSHIFT))


@njit(**_JIT)
def _mix(x, y):
    r = np.uint32(np.uint32(_MIX_L * x) - np.uint32(_MIX_R * y))
    return np.uint32(r ^ (r >> _XSHIFT))


@njit(**_JIT)
def _seed_lane(entropy, n, out):
    """PCG64 state ``out[0:4] = (state_hi, state_lo, inc_hi, inc_lo)`` from ``entropy[:n]`` (uint32 words)."""
    mixer = np.zeros(_POOL, dtype=np.uint32)
    hc = np.empty(1, dtype=np.uint32)
    hc[0] = _INIT_A
    for i in range(_POOL):
        mixer[i] = _hashmix(entropy[i] if i < n else np.uint32(0), hc)
    for i_src in range(_POOL):
        for i_dst in range(_POOL):
            if i_src != i_dst:
                mixer[i_dst] = _mix(mixer[i_dst], _hashmix(mixer[i_src], hc))
    for i_src in range(_POOL, n):
        for i_dst in range(_POOL):
            mixer[i_dst] = _mix(mixer[i_dst], _hashmix(entropy[i_src], hc))
    # generate_state(4, uint64): 8 uint32 words cycling over the pool, little-endian pairs
    words = np.empty(8, dtype=np.uint32)
    h = _INIT_B
    for i in range(8):
        d = np.uint32(mixer[i % _POOL] ^ h)
        h = np.uint32(h * _MULT_B)
        d = np.uint32(d * h)
        words[i] = np.uint32(d ^ (d >> _XSHIFT))
    seed_hi = _U64(words[0]) | (_U64(words[1]) << _S32)
    seed_lo = _U64(words[2]) | (_U64(words[3]) << _S32)
    seq_hi = _U64(words[4]) | (_U64(words[5]) << _S32)
    seq_lo = _U64(words[6]) | (_U64(words[7]) << _S32)
    # pcg_setseq_128_srandom_r: state = 0, inc = seq << 1 | 1, step, state += seed, step
    inc_hi = (seq_hi << _U64(1)) | (seq_lo >> _U64(63))
    inc_lo = (seq_lo << _U64(1)) | _U64(1)
    s_hi, s_lo = _step(_U64(0), _U64(0), inc_hi, inc_lo)
    lo = s_lo + seed_lo
    s_hi = s_hi + seed_hi + (_U64(1) if lo < s_lo else _U64(0))
    s_hi, s_lo = _step(s_hi, lo, inc_hi, inc_lo)
    out[0], out[1], out[2], out[3] = s_hi, s_lo, inc_hi, inc_lo


@njit(**_JIT)
def _mulhi(a, b):
    a0, a1 = a & _M32, a >> _S32
    b0, b1 = b & _M32, b >> _S32
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    mid = (p00 >> _S32) + (p01 & _M32) + (p10 & _M32)
    return p11 + (p01 >> _S32) + (p10 >> _S32) + (mid >> _S32)


@njit(**_JIT)
def _step(hi, lo, inc_hi, inc_lo):
    """One LCG step: ``state * MULT + inc`` (mod 2**128)."""
    new_hi = _mulhi(lo, _MUL_LO) + lo * _MUL_HI + hi * _MUL_LO
    new_lo = lo * _MUL_LO
    out_lo = new_lo + inc_lo
    out_hi = new_hi + inc_hi + (_U64(1) if out_lo < new_lo else _U64(0))
    return out_hi, out_lo


@njit(**_JIT)
def _next64(st, k):
    """Advance lane ``k`` of ``st`` (``(n, 4)`` uint64) and return its next 64-bit output (XSL-RR)."""
    hi, lo = _step(st[k, 0], st[k, 1], st[k, 2], st[k, 3])
    st[k, 0], st[k, 1] = hi, lo
    v = hi ^ lo
    rot = hi >> _U64(58)
    return (v >> rot) | (v << ((_U64(64) - rot) & _U64(63)))


@njit(**_JIT)
def _next_double(st, k):
    return np.float64(_next64(st, k) >> _U64(11)) * _TWO53_INV


@njit(**_JIT)
def _raw_first(st, out):
    """Each lane's next raw 64-bit output (``Generator.bit_generator.random_raw()``)."""
    for k in range(st.shape[0]):
        out[k] = _next64(st, k)


@njit(**_JIT)
def _seed_all(entropy, lengths, out):
    for k in range(entropy.shape[0]):
        _seed_lane(entropy[k], lengths[k], out[k])


@njit(**_JIT)
def _uniforms(st, lanes, out):
    for j in range(lanes.shape[0]):
        out[j] = _next_double(st, lanes[j])


@njit(**_JIT)
def _normals(st, lanes, ki, wi, fi, out):
    for j in range(lanes.shape[0]):
        k = lanes[j]
        while True:
            r = _next64(st, k)
            idx = np.int64(r & _U64(0xFF))
            r = r >> _U64(8)
            sign = r & _U64(1)
            rabs = (r >> _U64(1)) & _U64(0x000FFFFFFFFFFFFF)
            x = np.float64(rabs) * wi[idx]
            if sign & _U64(1):
                x = -x
            if rabs < ki[idx]:
                out[j] = x
                break
            if idx == 0:
                done = False
                while True:
                    xx = -ZIGGURAT_INV_R * np.log1p(-_next_double(st, k))
                    yy = -np.log1p(-_next_double(st, k))
                    if yy + yy > xx * xx:
                        if (rabs >> _U64(8)) & _U64(1):
                            out[j] = -(ZIGGURAT_R + xx)
                        else:
                            out[j] = ZIGGURAT_R + xx
                        done = True
                        break
                if done:
                    break
            else:
                if ((fi[idx - 1] - fi[idx]) * _next_double(st, k) + fi[idx]) < np.exp(-0.5 * x * x):
                    out[j] = x
                    break


@njit(**_JIT)
def _exponentials(st, lanes, ke, we, fe, out):
    for j in range(lanes.shape[0]):
        k = lanes[j]
        while True:
            ri = _next64(st, k) >> _U64(3)
            idx = np.int64(ri & _U64(0xFF))
            ri = ri >> _U64(8)
            x = np.float64(ri) * we[idx]
            if ri < ke[idx]:
                out[j] = x
                break
            if idx == 0:
                out[j] = ZIGGURAT_EXP_R - np.log1p(-_next_double(st, k))
                break
            if (fe[idx - 1] - fe[idx]) * _next_double(st, k) + fe[idx] < np.exp(-x):
                out[j] = x
                break


@njit(**_JIT)
def _scaled_exp(median, sigma, z, out):  # median * exp(sigma * z), with the C library's exp
    for i in range(z.shape[0]):
        out[i] = median * math.exp(sigma * z[i])


# ---------------------------------------------------------------------------
# the Python face
# ---------------------------------------------------------------------------
def _words(n: int) -> list[int]:
    """NumPy's ``_int_to_uint32_array``: little-endian 32-bit words (``[0]`` for 0)."""
    if n == 0:
        return [0]
    out = []
    while n > 0:
        out.append(n & 0xFFFFFFFF)
        n >>= 32
    return out


class LaneStreams:
    """One random stream per patient, advanced together.

    ``LaneStreams(trial_seed, indices, spawn_key)`` holds, for each index, the
    state of ``default_rng(SeedSequence([trial_seed, index], spawn_key=spawn_key))``.
    :meth:`random` and :meth:`standard_normal` draw one number from each lane
    named in ``lanes`` (default all), advancing only those lanes.

    Parameters
    ----------
    trial_seed : int
    indices : sequence of int
        Patient indices (whole numbers >= 0).
    spawn_key : tuple of int or str
        As :func:`oncoimmune.patients.streams.patient_seed_sequence` builds it
        (a string stands for its CRC-32).
    """

    def __init__(self, trial_seed: int, indices: Sequence[int] | np.ndarray, spawn_key: Sequence[int | str] = ()):
        idx = np.asarray(indices, dtype=np.int64).ravel()
        if idx.size and idx.min() < 0:
            raise ValueError("indices must be whole numbers >= 0")
        keys = [zlib.crc32(k.encode("utf-8")) if isinstance(k, str) else int(k) for k in spawn_key]
        key_words = [w for k in keys for w in _words(k)]
        seed_words = _words(int(trial_seed))
        # entropy per lane (SeedSequence.get_assembled_entropy): the seed's words, the index's words (two
        # from 2**32), padded with zeros to the pool size when a spawn key follows, then the key's words
        s = len(seed_words)
        big = idx >= 2**32
        n_run = s + np.where(big, 2, 1)
        start = np.maximum(n_run, _POOL) if key_words else n_run
        lengths = start + len(key_words)
        ent = np.zeros((idx.size, int(lengths.max(initial=_POOL))), dtype=np.uint32)
        ent[:, :s] = seed_words
        ent[:, s] = (idx & 0xFFFFFFFF).astype(np.uint32)
        ent[big, s + 1] = (idx[big] >> 32).astype(np.uint32)
        for first in np.unique(start) if key_words else ():
            ent[start == first, first : first + len(key_words)] = key_words
        self.state = np.empty((idx.size, 4), dtype=np.uint64)
        _seed_all(ent, lengths.astype(np.int64), self.state)
        self.n = idx.size

    def _lanes(self, lanes: np.ndarray | None) -> np.ndarray:
        return np.arange(self.n, dtype=np.int64) if lanes is None else np.asarray(lanes, dtype=np.int64)

    def random(self, lanes: np.ndarray | None = None) -> np.ndarray:
        """One ``Generator.random()`` per lane in ``lanes``."""
        ln = self._lanes(lanes)
        out = np.empty(ln.size)
        _uniforms(self.state, ln, out)
        return out

    def standard_exponential(self, lanes: np.ndarray | None = None) -> np.ndarray:
        """One ``Generator.standard_exponential()`` per lane in ``lanes``."""
        ln = self._lanes(lanes)
        out = np.empty(ln.size)
        ke, we, fe = ziggurat_tables_exponential()
        _exponentials(self.state, ln, ke, we, fe, out)
        return out

    def standard_normal(self, lanes: np.ndarray | None = None) -> np.ndarray:
        """One ``Generator.standard_normal()`` per lane in ``lanes``."""
        ln = self._lanes(lanes)
        out = np.empty(ln.size)
        ki, wi, fi = ziggurat_tables()
        _normals(self.state, ln, ki, wi, fi, out)
        return out


def lognormal_lanes(median: float, sigma: float, z: np.ndarray) -> np.ndarray:
    """``median * math.exp(sigma * z)`` elementwise, as the scalar code computes it.

    NumPy's vectorised ``exp`` differs from :func:`math.exp` (the C library) in the
    last bit for a few per cent of arguments on machines with AVX-512; this loop
    calls the C library, so lanes and one-by-one draws agree bit for bit.
    """
    out = np.empty(z.shape[0])
    _scaled_exp(float(median), float(sigma), np.ascontiguousarray(z, dtype=np.float64), out)
    return out


def categorical_lanes(probabilities: Any, u: np.ndarray) -> np.ndarray:
    """The category of each uniform ``u`` by the cumulative rule (first category whose running sum
    exceeds ``u``, else the last), with the running sums added in the scalar code's order (object array)."""
    keys = list(probabilities)
    acc, cum = 0.0, []
    for k in keys:
        acc += probabilities[k]
        cum.append(acc)
    pos = np.minimum(np.searchsorted(np.asarray(cum), u, side="right"), len(keys) - 1)
    return np.asarray(keys + [None], dtype=object)[:-1][pos]


@njit(**_JIT)
def _permute_lanes(st, n, out):
    """``Generator.permutation(n)`` from each lane: Fisher-Yates from the top, every swap index drawn
    by NumPy's ``random_interval`` (masked rejection on 32-bit draws, two per 64-bit output, low half
    first, as PCG64's ``next_uint32`` buffers them)."""
    for k in range(st.shape[0]):
        for i in range(n):
            out[k, i] = i
        has32 = False
        buf = _U64(0)
        for i in range(n - 1, 0, -1):
            mask = _U64(i)
            mask |= mask >> _U64(1)
            mask |= mask >> _U64(2)
            mask |= mask >> _U64(4)
            mask |= mask >> _U64(8)
            mask |= mask >> _U64(16)
            while True:
                if has32:
                    v = buf
                    has32 = False
                else:
                    r = _next64(st, k)
                    buf = r >> _S32
                    has32 = True
                    v = r & _M32
                v = v & mask
                if v <= _U64(i):
                    break
            j = np.int64(v)
            t = out[k, i]
            out[k, i] = out[k, j]
            out[k, j] = t


def permutations(entropies: Sequence[Sequence[int]], n: int) -> np.ndarray:
    """``default_rng(SeedSequence(e)).permutation(n)`` for each entropy list ``e``, bit for bit.

    Parameters
    ----------
    entropies : sequence of sequences of int
        Each a SeedSequence entropy (whole numbers >= 0), without spawn key.
    n : int
        Length of each permutation (below 2**32).

    Returns
    -------
    ndarray, shape (len(entropies), n), int64
    """
    if not 0 <= n < 2**32:
        raise ValueError(f"n must be a whole number in [0, 2**32); got {n!r}")
    words = [[w for x in e for w in _words(int(x))] for e in entropies]
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    ent = np.zeros((len(words), int(lengths.max(initial=_POOL))), dtype=np.uint32)
    for k, w in enumerate(words):
        ent[k, : len(w)] = w
    state = np.empty((len(words), 4), dtype=np.uint64)
    _seed_all(ent, lengths, state)
    out = np.empty((len(words), n), dtype=np.int64)
    _permute_lanes(state, int(n), out)
    return out
