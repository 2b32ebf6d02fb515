"""Numba kernels of the batched engine (private; see ``engines/batched.py``).

One compiled kernel serves every model: the right-hand side and the Jacobian
arrive as instruction tapes (``engines/tape.py``), i.e. integer and float
arrays, so a new model is new *data*, never new machine code.

Layout of the work
------------------
``solve_chunk`` integrates one chunk of patients without the GIL; the caller
runs chunks in parallel on a thread pool (cheaper to compile than
``prange``). Inside a chunk, ``L`` *lanes* integrate ``L`` patients side by
side with the explicit Dormand-Prince 5(4) pair: each tape instruction
is applied to all lanes at once (a short loop the compiler vectorises), while
every lane keeps its own time, step size, error control, event pointer and save
pointer. A lane whose patient finishes or fails takes the next patient of the
chunk, so a slow patient never holds the others back (no lock-step in time or
step size; lanes only share the *iteration* in which they take a step).

A lane whose problem turns stiff (Hairer's ``h*|lambda|`` test, 15 of the recent
accepted steps above 3.25) hands its patient to a scalar Rosenbrock 4(3)
integrator with the symbolic Jacobian (method ``"auto"``), or keeps going until
the work budget runs out (method ``"dopri5"``, reported as stiff).

Status codes are listed in ``STATUS_*``; ``batched.py`` turns them into
one-line reasons.

Performance rules (measured; see ``docs/design/0002-batched-engine.md``)
------------------------------------------------------------------------
* Every loop over lanes writes one array and reads few, and a tape
  instruction never writes one of its operands' registers, so the compiler's
  run-time overlap checks pass and the loops run in SIMD registers.
* The hot loop calls no Numba function with many array arguments: each such
  call costs two atomic reference-count updates per array (contended between
  threads that share the inputs). The tape interpreter (two arrays, six calls
  per iteration) is the exception.
* Work that depends only on the lane is done for all lanes at once (stage
  sums, error norms, the PI controller with :func:`fast_log`/:func:`fast_exp`,
  the stiffness test, the first dense-output point, the running extremes);
  what remains per lane is branching: accept or reject, save indices, events.
* No ``fastmath``: every operation is an IEEE operation in program order (no
  reassociation, no contraction to fused multiply-add), so a patient's result
  is the same bit for bit whatever its lane, chunk or thread. (Numba uses
  Intel's SVML for vectorised ``exp``/``log``/``pow`` when the ``icc_rt``
  package is installed; the lane loops of the tape interpreter could then give
  last-bit differences between a lane in a vector and one in the loop's
  remainder for models with those functions. Without SVML, as here, those
  calls are scalar libm calls in every lane.)

References
----------
.. [1] Dormand JR, Prince PJ (1980). A family of embedded Runge-Kutta formulae.
   J Comput Appl Math 6:19-26.
.. [2] Hairer E, Norsett SP, Wanner G (1993). Solving Ordinary Differential
   Equations I, 2nd ed., Springer: Sections II.4-II.6 (step-size control,
   dense output of DOPRI5) and IV.2 (stiffness detection).
.. [3] Shampine LF (1982). Implementation of Rosenbrock methods. ACM Trans
   Math Softw 8:93-113 (the 4(3) coefficient set used here).
.. [4] Gustafsson K (1991). Control theoretic techniques for stepsize
   selection in explicit Runge-Kutta methods. ACM TOMS 17:533-554 (PI control).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from .batched import (  # codes shared with the Python side (numba freezes them as constants)
    EV_STATE,
    METHOD_AUTO,
    METHOD_ROSENBROCK,
    OP_ADD_EV,
    OP_SET_EV,
    STATUS_BUDGET,
    STATUS_BUDGET_STIFF,
    STATUS_NONFINITE,
    STATUS_OK,
    STATUS_SINGULAR,
    STATUS_STEP_TOO_SMALL,
)

_JIT = dict(cache=True, error_model="numpy", nogil=True)
#: helpers of the hot loop are inlined at Numba IR level: a call with array
#: arguments costs two atomic reference-count updates per array (``lock incq``),
#: which also bounce cache lines between threads sharing the same inputs
_INLINE = dict(_JIT, inline="always")

# Dormand-Prince 5(4) ---------------------------------------------------------
DP_C = np.array([0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0])
DP_A = np.zeros((7, 7))
DP_A[1, 0] = 1.0 / 5.0
DP_A[2, :2] = (3.0 / 40.0, 9.0 / 40.0)
DP_A[3, :3] = (44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0)
DP_A[4, :4] = (19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0)
DP_A[5, :5] = (9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0)
DP_A[6, :6] = (35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0)
# error coefficients (5th minus 4th order weights)
DP_E = np.array(
    [71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0]
)
# dense output (Hairer's continuous extension of order 4)
DP_D = np.array(
    [
        -12715105075.0 / 11282082432.0,
        0.0,
        87487479700.0 / 32700410799.0,
        -10690763975.0 / 1880347072.0,
        701980252875.0 / 199316789632.0,
        -1453857185.0 / 822651844.0,
        69997945.0 / 29380423.0,
    ]
)
# PI step-size control constants (Hairer's DOPRI5 defaults)
BETA = 0.04
EXPO1 = 0.2 - BETA * 0.75
SAFE = 0.9
FACC1 = 1.0 / 0.2  # step may shrink at most 5x
FACC2 = 1.0 / 10.0  # and grow at most 10x
#: the controller keeps log(facold): one fast_log and one fast_exp per step instead of two pow
LOG_FACOLD0 = math.log(1e-4)

# the same coefficients as scalars, so the stage loops carry them as immediates
A21 = DP_A[1, 0]
A31, A32 = DP_A[2, 0], DP_A[2, 1]
A41, A42, A43 = DP_A[3, 0], DP_A[3, 1], DP_A[3, 2]
A51, A52, A53, A54 = DP_A[4, 0], DP_A[4, 1], DP_A[4, 2], DP_A[4, 3]
A61, A62, A63, A64, A65 = DP_A[5, 0], DP_A[5, 1], DP_A[5, 2], DP_A[5, 3], DP_A[5, 4]
A71, A73, A74, A75, A76 = DP_A[6, 0], DP_A[6, 2], DP_A[6, 3], DP_A[6, 4], DP_A[6, 5]  # A72 = 0
C2, C3, C4, C5 = DP_C[1], DP_C[2], DP_C[3], DP_C[4]
E1, E3, E4, E5, E6, E7 = DP_E[0], DP_E[2], DP_E[3], DP_E[4], DP_E[5], DP_E[6]  # E2 = 0
D1, D3, D4, D5, D6, D7 = DP_D[0], DP_D[2], DP_D[3], DP_D[4], DP_D[5], DP_D[6]  # D2 = 0

# Shampine (1982) Rosenbrock 4(3), transformed variables ---------------------
R_GAM = 0.5
R_A21 = 2.0
R_A31 = 48.0 / 25.0
R_A32 = 6.0 / 25.0
R_C21 = -8.0
R_C31 = 372.0 / 25.0
R_C32 = 12.0 / 5.0
R_C41 = -112.0 / 125.0
R_C42 = -54.0 / 125.0
R_C43 = -2.0 / 5.0
R_B1 = 19.0 / 9.0
R_B2 = 1.0 / 2.0
R_B3 = 25.0 / 108.0
R_B4 = 125.0 / 108.0
R_E1 = 17.0 / 54.0
R_E2 = 7.0 / 36.0
R_E3 = 0.0
R_E4 = 125.0 / 108.0
R_G1 = 1.0 / 2.0
R_G2 = -3.0 / 2.0
R_G3 = 121.0 / 50.0
R_G4 = 29.0 / 250.0
R_AL2 = 1.0
R_AL3 = 3.0 / 5.0

STIFF_HLAMB = 3.25
#: minimum step, relative to |t|: 10 units in the last place
HMIN_ULPS = 2.2e-15
#: steps forced through at the minimum size (discontinuities of f) before "step size too small"
MAX_FORCED = 200
STIFF_COUNT = 15
NONSTIFF_RESET = 6


# logarithm and exponential of the step-size controller -------------------------
# The PI controller needs err^0.17 / facold^0.04 on every step of every lane. With
# libm's log and exp (calls, scalar) that was ~10 % of a step; these versions are
# plain arithmetic on the bits of the number, so the controller pass over all lanes
# vectorises. They are accurate to ~1e-10 relative, far more than step control
# needs, and deterministic (IEEE operations only: no fastmath, no fused multiply-add
# contraction), so results stay bit-identical across lanes, threads and machines
# with the same instruction set.
@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, x):
    """The float64 with the IEEE-754 bits ``x`` (an int64)."""
    if x != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


_LN2 = math.log(2.0)
_LOG2E = 1.0 / math.log(2.0)
_SQRT2 = math.sqrt(2.0)
_MANT = (1 << 52) - 1
_ONE_BITS = 1023 << 52
_I3, _I5, _I7, _I9, _I11 = 1.0 / 3.0, 1.0 / 5.0, 1.0 / 7.0, 1.0 / 9.0, 1.0 / 11.0  # 2 atanh series
_F2, _F3, _F4, _F5, _F6, _F7, _F8, _F9, _F10 = (1.0 / math.factorial(j) for j in range(2, 11))  # exp series


@njit(**_INLINE)
def fast_log(x):
    """Natural logarithm of a positive finite ``x`` (0 gives about -709, not -inf)."""
    b = _bits(x)
    e = (b >> 52) - 1023
    m = _from_bits((b & _MANT) | _ONE_BITS)  # x = m 2^e, 1 <= m < 2
    if m > _SQRT2:
        m *= 0.5
        e += 1
    s = (m - 1.0) / (m + 1.0)  # |s| <= 0.1716: log m = 2 atanh s
    s2 = s * s
    r = 2.0 * s * (1.0 + s2 * (_I3 + s2 * (_I5 + s2 * (_I7 + s2 * (_I9 + s2 * _I11)))))
    return r + e * _LN2


@njit(**_INLINE)
def fast_exp(y):
    """``exp(y)`` for ``y`` clipped to [-700, 700]."""
    y = 700.0 if y > 700.0 else (-700.0 if y < -700.0 else y)  # (min/max() would not vectorise)
    n = np.floor(y * _LOG2E + 0.5)
    r = y - n * _LN2  # |r| <= 0.35
    p = 1.0 + r * (1.0 + r * (_F2 + r * (_F3 + r * (_F4 + r * (_F5 + r * (_F6 + r * (_F7 + r * (_F8 + r * (
        _F9 + r * _F10)))))))))
    return _from_bits(_bits(p) + (np.int64(n) << 52))


# tape interpreters -----------------------------------------------------------
@njit(**_JIT)
def eval_col(code, reg, l):
    """Run a tape on column ``l`` of the register file ``reg`` (n_regs, L)."""
    for k in range(code.shape[0]):
        op = code[k, 0]
        a = reg[code[k, 2], l]
        b = reg[code[k, 3], l]
        if op == 0:
            r = a + b
        elif op == 1:
            r = a - b
        elif op == 2:
            r = a * b
        elif op == 3:
            r = a / b
        elif op == 4:
            r = -a
        elif op == 5:
            r = a**b
        elif op == 6:
            r = np.exp(a)
        elif op == 7:
            r = np.log(a)
        elif op == 8:
            r = np.sqrt(a)
        elif op == 9:
            r = a if (a >= b or a != a) else b
        elif op == 10:
            r = a if (a <= b or a != a) else b
        elif op == 11:
            r = 1.0 if a > 0.0 else 0.0
        else:
            r = a * a
        reg[code[k, 1], l] = r


@njit(**_INLINE)
def eval_col_range(code, reg, l, k0, k1):
    """Run instructions ``k0..k1-1`` of a tape on column ``l`` (e.g. the prelude of one lane)."""
    for k in range(k0, k1):
        op = code[k, 0]
        a = reg[code[k, 2], l]
        b = reg[code[k, 3], l]
        if op == 0:
            r = a + b
        elif op == 1:
            r = a - b
        elif op == 2:
            r = a * b
        elif op == 3:
            r = a / b
        elif op == 4:
            r = -a
        elif op == 5:
            r = a**b
        elif op == 6:
            r = np.exp(a)
        elif op == 7:
            r = np.log(a)
        elif op == 8:
            r = np.sqrt(a)
        elif op == 9:
            r = a if (a >= b or a != a) else b
        elif op == 10:
            r = a if (a <= b or a != a) else b
        elif op == 11:
            r = 1.0 if a > 0.0 else 0.0
        else:
            r = a * a
        reg[code[k, 1], l] = r


@njit(**_JIT)
def eval_lanes(code, reg):
    """Run a tape on every column (lane) of ``reg`` (n_regs, L); lanes are independent."""
    eval_lanes_from(code, 0, code.shape[0], reg, 0, reg.shape[1])


@njit(**_INLINE)
def eval_lanes_from(code, k0, k1, reg, lo, L):
    """Run instructions ``k0..k1-1`` of a tape on lanes ``lo..L-1`` of ``reg``.

    ``k0 = n_invariant`` skips the hoisted prelude; ``(0, n_invariant)`` runs only the prelude.
    """
    for k in range(k0, k1):
        # unsigned indices: no negative-index wrap-around arithmetic per instruction
        ku = np.uint64(k)
        op = code[ku, 0]
        d = np.uint64(code[ku, 1])
        ia = np.uint64(code[ku, 2])
        ib = np.uint64(code[ku, 3])
        if op == 0:
            for l in range(lo, L):
                reg[d, l] = reg[ia, l] + reg[ib, l]
        elif op == 1:
            for l in range(lo, L):
                reg[d, l] = reg[ia, l] - reg[ib, l]
        elif op == 2:
            for l in range(lo, L):
                reg[d, l] = reg[ia, l] * reg[ib, l]
        elif op == 3:
            for l in range(lo, L):
                reg[d, l] = reg[ia, l] / reg[ib, l]
        elif op == 4:
            for l in range(lo, L):
                reg[d, l] = -reg[ia, l]
        elif op == 5:
            for l in range(lo, L):
                reg[d, l] = reg[ia, l] ** reg[ib, l]
        elif op == 6:
            for l in range(lo, L):
                reg[d, l] = np.exp(reg[ia, l])
        elif op == 7:
            for l in range(lo, L):
                reg[d, l] = np.log(reg[ia, l])
        elif op == 8:
            for l in range(lo, L):
                reg[d, l] = np.sqrt(reg[ia, l])
        elif op == 9:
            for l in range(lo, L):
                a = reg[ia, l]
                b = reg[ib, l]
                reg[d, l] = a if (a >= b or a != a) else b
        elif op == 10:
            for l in range(lo, L):
                a = reg[ia, l]
                b = reg[ib, l]
                reg[d, l] = a if (a <= b or a != a) else b
        elif op == 11:
            for l in range(lo, L):
                reg[d, l] = 1.0 if reg[ia, l] > 0.0 else 0.0
        else:
            for l in range(lo, L):
                a = reg[ia, l]
                reg[d, l] = a * a


@njit(**_JIT)
def eval_tape_batch(code, outputs, reg0, T, Y, P, out):
    """Evaluate a tape for many points: ``out[i] = tape(T[i], Y[i], P[i])`` (used for observables)."""
    n = Y.shape[0]
    ns = Y.shape[1]
    npar = P.shape[1]
    reg = np.empty((reg0.size, 1))
    for r in range(reg0.size):
        reg[r, 0] = reg0[r]
    for i in range(n):
        reg[0, 0] = T[i]
        for j in range(ns):
            reg[1 + j, 0] = Y[i, j]
        for j in range(npar):
            reg[1 + ns + j, 0] = P[i, j]
        eval_col(code, reg, 0)
        for j in range(outputs.size):
            out[i, j] = reg[outputs[j], 0]


# helpers ---------------------------------------------------------------------
@njit(**_JIT)
def _rms(v, y, yn, atol, rtol):
    s = 0.0
    n = v.size
    for i in range(n):
        sc = atol[i] + rtol * max(abs(y[i]), abs(yn[i]))
        q = v[i] / sc
        s += q * q
    return np.sqrt(s / n)


@njit(**_INLINE)
def _apply_events_at(t, pat, evp, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, y, nonneg, rega, cola, regb, use_b):
    """Apply every event of patient ``pat`` at time ``t`` from pointer ``evp``; return the new pointer.

    States change ``y`` in place (populations clipped at 0 as ``apply_events``
    does); parameters are set (or, for ``add``, increased) in column ``cola`` of
    register file ``rega`` and, if ``use_b``, in column 0 of ``regb`` (the
    Jacobian tape's registers).
    """
    ns = y.size
    n = ev_count[pat]
    while evp < n and ev_time[pat, evp] == t:
        tgt = ev_target[pat, evp]
        v = ev_value[pat, evp]
        if ev_kind[pat, evp] == EV_STATE:
            op = ev_op[pat, evp]
            if op == OP_ADD_EV:
                y[tgt] += v
            elif op == OP_SET_EV:
                y[tgt] = v
            else:
                y[tgt] *= v
            if nonneg[tgt] and y[tgt] < 0.0:
                y[tgt] = 0.0
        else:
            nv = rega[1 + ns + tgt, cola] + v if ev_op[pat, evp] == OP_ADD_EV else v
            rega[1 + ns + tgt, cola] = nv
            if use_b:
                regb[1 + ns + tgt, 0] = nv
        evp += 1
    return evp


@njit(**_INLINE)
def _segment_end(t, pat, evp, ev_count, ev_time, t1):
    if evp < ev_count[pat] and ev_time[pat, evp] < t1:
        return ev_time[pat, evp]
    return t1


@njit(**_INLINE)
def _store(out, pat, isave, y, sel, nonneg):
    """Write the saved states of ``y`` as row ``isave`` of patient ``pat``, populations below 0 as 0.

    Contract item 6: undershoots are clipped here; whether one was too large
    to be round-off is decided after the run from ``ymin`` (unclipped) and ``ymax``.
    """
    for q in range(sel.size):
        v = y[sel[q]]
        if nonneg[sel[q]] and v < 0.0:
            v = 0.0
        out[pat, isave, q] = v


@njit(**_INLINE)
def _save_at(pat, isave, tnow, y, save, sel, nonneg, out, ymin):
    """Store ``y`` for every save time equal to ``tnow``; return the new save pointer."""
    while isave < save.size and save[isave] == tnow:
        _store(out, pat, isave, y, sel, nonneg)
        for i in range(y.size):
            if y[i] < ymin[pat, i]:
                ymin[pat, i] = y[i]
        isave += 1
    return isave


# Rosenbrock (scalar, one patient) ---------------------------------------------
@njit(**_JIT)
def _lu(W, piv):
    """In-place LU with partial pivoting; False if singular."""
    n = W.shape[0]
    for k in range(n):
        p = k
        m = abs(W[k, k])
        for i in range(k + 1, n):
            if abs(W[i, k]) > m:
                m = abs(W[i, k])
                p = i
        piv[k] = p
        if m == 0.0 or m != m:
            return False
        if p != k:
            for j in range(n):
                tmp = W[k, j]
                W[k, j] = W[p, j]
                W[p, j] = tmp
        for i in range(k + 1, n):
            W[i, k] /= W[k, k]
            f = W[i, k]
            if f != 0.0:
                for j in range(k + 1, n):
                    W[i, j] -= f * W[k, j]
    return True


@njit(**_JIT)
def _lu_solve(W, piv, b):
    n = W.shape[0]
    for k in range(n):
        p = piv[k]
        if p != k:
            tmp = b[k]
            b[k] = b[p]
            b[p] = tmp
    for i in range(n):
        s = b[i]
        for j in range(i):
            s -= W[i, j] * b[j]
        b[i] = s
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= W[i, j] * b[j]
        b[i] = s / W[i, i]


@njit(**_INLINE)
def _f_lane(code, k0, outputs, reg, l, t, y, dy):
    """``dy = f(t, y)`` on column ``l``, running the tape from instruction ``k0`` (the prelude already
    in place); False if a derivative is not finite."""
    ns = y.size
    reg[0, l] = t
    for i in range(ns):
        reg[1 + i, l] = y[i]
    eval_col_range(code, reg, l, k0, code.shape[0])
    ok = True
    for i in range(ns):
        v = reg[outputs[i], l]
        dy[i] = v
        if not np.isfinite(v):
            ok = False
    return ok


@njit(**_JIT)
def _f_col(code, outputs, reg, l, t, y, dy):
    """``dy = f(t, y)`` on column ``l`` (the whole tape); False if a derivative is not finite."""
    return _f_lane(code, 0, outputs, reg, l, t, y, dy)


@njit(**_INLINE)
def _hinit(code, k0, outputs, reg, l, t, y, f0, order, hmax, atol, rtol, work_y, work_f):
    """Hairer's starting step (one extra evaluation from instruction ``k0`` of the tape); returns (h, ok)."""
    ns = y.size
    d0 = 0.0
    d1 = 0.0
    for i in range(ns):
        sc = atol[i] + rtol * abs(y[i])
        q0 = y[i] / sc
        q1 = f0[i] / sc
        d0 += q0 * q0  # x*x, not x**2 (a pow call; same value)
        d1 += q1 * q1
    d0 = np.sqrt(d0 / ns)
    d1 = np.sqrt(d1 / ns)
    if d0 < 1e-5 or d1 < 1e-5:
        h0 = 1e-6
    else:
        h0 = 0.01 * d0 / d1
    h0 = min(h0, hmax)
    for i in range(ns):
        work_y[i] = y[i] + h0 * f0[i]
    ok = _f_lane(code, k0, outputs, reg, l, t + h0, work_y, work_f)
    if not ok:
        return min(h0, hmax), False
    d2 = 0.0
    for i in range(ns):
        sc = atol[i] + rtol * abs(y[i])
        q2 = (work_f[i] - f0[i]) / sc
        d2 += q2 * q2
    d2 = np.sqrt(d2 / ns) / h0
    dm = max(d1, d2)
    if dm <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / dm) ** (1.0 / (order + 1.0))
    return min(100.0 * h0, h1, hmax), True


@njit(**_JIT)
def _ros_step(rhs_code, rhs_out, regr, t, y, f0, J, dfdt, h, W, piv, g1, g2, g3, g4, yt, fy, yn, ev):
    """One Rosenbrock 4(3) step of size ``h`` from ``(t, y)`` with ``f0 = f(t, y)`` and the Jacobian ``J``.

    Writes the new state into ``yn`` and the error estimate into ``ev``.
    Returns 0 on success, 1 if the iteration matrix is singular, 2 if a stage
    derivative is not finite.
    """
    ns = y.size
    inv = 1.0 / (R_GAM * h)
    for i in range(ns):
        for j in range(ns):
            W[i, j] = -J[i, j]
        W[i, i] += inv
    if not _lu(W, piv):
        return 1
    for i in range(ns):
        g1[i] = f0[i] + h * R_G1 * dfdt[i]
    _lu_solve(W, piv, g1)
    for i in range(ns):
        yt[i] = y[i] + R_A21 * g1[i]
    ok = _f_col(rhs_code, rhs_out, regr, 0, t + R_AL2 * h, yt, fy)
    for i in range(ns):
        g2[i] = fy[i] + h * R_G2 * dfdt[i] + R_C21 * g1[i] / h
    _lu_solve(W, piv, g2)
    for i in range(ns):
        yt[i] = y[i] + R_A31 * g1[i] + R_A32 * g2[i]
    ok = _f_col(rhs_code, rhs_out, regr, 0, t + R_AL3 * h, yt, fy) and ok
    for i in range(ns):
        g3[i] = fy[i] + h * R_G3 * dfdt[i] + (R_C31 * g1[i] + R_C32 * g2[i]) / h
    _lu_solve(W, piv, g3)
    for i in range(ns):
        g4[i] = fy[i] + h * R_G4 * dfdt[i] + (R_C41 * g1[i] + R_C42 * g2[i] + R_C43 * g3[i]) / h
    _lu_solve(W, piv, g4)
    for i in range(ns):
        yn[i] = y[i] + R_B1 * g1[i] + R_B2 * g2[i] + R_B3 * g3[i] + R_B4 * g4[i]
        ev[i] = R_E1 * g1[i] + R_E2 * g2[i] + R_E3 * g3[i] + R_E4 * g4[i]
    return 0 if ok else 2


@njit(**_JIT)
def rosenbrock_patient(
    pat, t, y, evp, isave, hguess,
    rhs_code, rhs_out, regr, jac_code, jac_out, regj,
    t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
    rtol, atol, max_steps, max_nfev,
    out, ymax, ymin, counters,
):
    """Integrate patient ``pat`` from ``(t, y)`` to ``t1`` with Rosenbrock 4(3); return ``(status, t)``.

    ``regr``/``regj``: register files (n_regs, 1) of the rhs and Jacobian tapes
    with constants and parameters in place. ``counters``: int64[4] holding
    steps, nfev, njev, accepted steps (updated in place).

    Save points inside a step get their value from an auxiliary step of the
    same method from the step's start to the save time (same Jacobian): it is
    as stable as the method itself, unlike a Hermite cubic, whose values of
    fast (stiff) components are garbage for large steps. The auxiliary steps
    never influence the main step sequence (results do not depend on the grid).
    """
    ns = y.size
    f0 = np.empty(ns)
    fy = np.empty(ns)
    dfdt = np.empty(ns)
    J = np.empty((ns, ns))
    W = np.empty((ns, ns))
    piv = np.zeros(ns, dtype=np.int64)
    g1 = np.empty(ns)
    g2 = np.empty(ns)
    g3 = np.empty(ns)
    g4 = np.empty(ns)
    yt = np.empty(ns)
    yn = np.empty(ns)
    ya = np.empty(ns)
    ev = np.empty(ns)
    tend = _segment_end(t, pat, evp, ev_count, ev_time, t1)
    if not _f_col(rhs_code, rhs_out, regr, 0, t, y, f0):
        return STATUS_NONFINITE, t
    counters[1] += 1
    h = hguess
    if not (h > 0.0):
        h, ok = _hinit(rhs_code, 0, rhs_out, regr, 0, t, y, f0, 3.0, tend - t, atol, rtol, yt, fy)
        counters[1] += 1
        if not ok:
            h = 1e-6 * (tend - t)
    reject = False
    need_jac = True
    force = False
    nforced = 0
    while True:
        if counters[0] >= max_steps or counters[1] >= max_nfev:
            return STATUS_BUDGET, t
        hits = False
        if t + h >= tend or t + 1.0000001 * h >= tend:
            h = tend - t
            hits = True
        counters[0] += 1
        if need_jac:
            # Jacobian and df/dt at (t, y)
            regj[0, 0] = t
            for i in range(ns):
                regj[1 + i, 0] = y[i]
            eval_col(jac_code, regj, 0)
            counters[2] += 1
            finite = True
            for i in range(ns):
                for j in range(ns):
                    v = regj[jac_out[i * ns + j], 0]
                    J[i, j] = v
                    if not np.isfinite(v):
                        finite = False
                dfdt[i] = regj[jac_out[ns * ns + i], 0]
                if not np.isfinite(dfdt[i]):
                    finite = False
            if not finite:
                return STATUS_NONFINITE, t
            need_jac = False
        code = _ros_step(rhs_code, rhs_out, regr, t, y, f0, J, dfdt, h, W, piv, g1, g2, g3, g4, yt, fy, yn, ev)
        counters[1] += 2
        if code == 1:
            h *= 0.5
            reject = True
            if h <= 2.2e-15 * max(abs(t), 1.0):
                return STATUS_SINGULAR, t
            continue
        err = _rms(ev, y, yn, atol, rtol)
        if code == 2 or not np.isfinite(err):
            # a trial stage left the domain: retry smaller before declaring failure
            h *= 0.25
            reject = True
            if h <= 2.2e-15 * max(abs(t), 1.0):
                return STATUS_NONFINITE, t
            continue
        if err <= 1.0 or force:
            if force:
                force = False
                nforced += 1
                err = 1.0
            tn = tend if hits else t + h
            # save points covered by this step (before y, f0 move on)
            own_end = (not hits) or tend >= t1
            while isave < save.size and (save[isave] < tn or (own_end and save[isave] == tn)):
                sv = save[isave]
                if sv == tn:
                    for i in range(ns):
                        ya[i] = yn[i]
                elif sv == t:
                    for i in range(ns):
                        ya[i] = y[i]
                else:
                    c2 = _ros_step(
                        rhs_code, rhs_out, regr, t, y, f0, J, dfdt, sv - t, W, piv, g1, g2, g3, g4, yt, fy, ya, ev
                    )
                    counters[1] += 2
                    if c2 != 0:
                        return STATUS_NONFINITE, t
                _store(out, pat, isave, ya, sel, nonneg)
                for i in range(ns):
                    if ya[i] < ymin[pat, i]:
                        ymin[pat, i] = ya[i]
                isave += 1
            if not _f_col(rhs_code, rhs_out, regr, 0, tn, yn, f0):
                return STATUS_NONFINITE, tn
            counters[1] += 1
            counters[3] += 1
            for i in range(ns):
                y[i] = yn[i]
                if abs(yn[i]) > ymax[pat, i]:
                    ymax[pat, i] = abs(yn[i])
            need_jac = True
            fac = SAFE * err ** (-0.25) if err > 0.0 else 5.0
            fac = min(5.0, max(0.2, fac))
            if reject:
                fac = min(fac, 1.0)
            hprop = h * fac
            reject = False
            if hits:
                t = tend
                if t >= t1:
                    return STATUS_OK, t
                # jump, then saves at the event time (after the jump)
                evp = _apply_events_at(
                    t, pat, evp, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, y, nonneg, regr, 0, regj, True
                )
                isave = _save_at(pat, isave, t, y, save, sel, nonneg, out, ymin)
                tend = _segment_end(t, pat, evp, ev_count, ev_time, t1)
                if not _f_col(rhs_code, rhs_out, regr, 0, t, y, f0):
                    return STATUS_NONFINITE, t
                counters[1] += 1
                h = min(hprop, tend - t)
            else:
                t = tn
                h = hprop
        else:
            fac = SAFE * err ** (-0.25)
            h = h * max(0.2, fac)
            reject = True
            hmin = HMIN_ULPS * max(abs(t), 1e-300)
            if h <= hmin:
                if nforced >= MAX_FORCED:
                    return STATUS_STEP_TOO_SMALL, t
                h = hmin
                force = True
    return STATUS_OK, t  # pragma: no cover


# Dormand-Prince over lanes ------------------------------------------------------
@njit(**_JIT)
def solve_chunk(
    start, stop, L, method,
    rhs_code, rhs_out, rhs_reg0, rhs_ninv, jac_code, jac_out, jac_reg0,
    Y0, P, t0, t1, save, sel,
    ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
    rtol, atol, max_steps, max_nfev,
    out, status, t_fail, nsteps, nfev, njev, ymax, ymin, t_stiff,
):
    """Integrate patients ``start..stop-1`` with ``L`` lanes (see the module docstring).

    ``rhs_ninv`` instructions at the head of the rhs tape read only parameters
    (the prelude): they run when a lane takes a patient and after a parameter
    event, and are skipped at every stage. Entry point of the engine; releases
    the GIL, so Python threads run chunks in parallel.

    The per-step work (stage sums, error norm, stiffness test, dense output,
    events) is written out here rather than in helper functions on purpose:
    every call of a Numba function with array arguments costs two atomic
    reference-count updates per array, a measurable share of a step, and
    contended when threads share the inputs. Helpers remain only where they
    run once per iteration with few arrays (the tape interpreter) or once per
    patient.
    """
    ns = Y0.shape[1]
    npar = P.shape[1]
    nreg = rhs_reg0.size
    ncode = rhs_code.shape[0]
    nsave = save.size
    nsel = sel.size
    reg = np.empty((nreg, L))
    for r in range(nreg):
        for l in range(L):
            reg[r, l] = rhs_reg0[r]
    regr = np.empty((nreg, 1))  # scalar registers for the Rosenbrock hand-over
    regj = np.empty((jac_reg0.size, 1))
    y = np.zeros((ns, L))
    k = np.zeros((7, ns, L))
    y1 = np.zeros((ns, L))
    ysti = np.zeros((ns, L))
    dk = np.zeros((ns, L))  # h * sum_j d_j k_j, the last coefficient of the dense output
    err = np.zeros(L)
    lerr = np.zeros(L)  # log of the error (1 for a forced step)
    hacc = np.zeros(L)  # the next step if this one is accepted
    hrej = np.zeros(L)  # the retry if it is rejected
    hlam = np.zeros(L)  # h |lambda| of the stiffness test
    thv = np.zeros(L)  # where the lane's next save point falls in this step (< 0: none)
    ysv = np.zeros((ns, L))  # the state there
    lymax = np.zeros((ns, L))  # max |y| and min y (saved values) of each lane's patient, written
    lymin = np.zeros((ns, L))  # back to ymax/ymin when the patient leaves the lane
    dirty = np.zeros(L, dtype=np.bool_)
    stnum = np.zeros(L)
    stden = np.zeros(L)
    t = np.zeros(L)
    h = np.zeros(L)
    tend = np.zeros(L)
    hits = np.zeros(L, dtype=np.bool_)
    active = np.zeros(L, dtype=np.bool_)
    rejected = np.zeros(L, dtype=np.bool_)
    forced = np.zeros(L, dtype=np.bool_)  # next step is taken at the minimum size and accepted
    nforced = np.zeros(L, dtype=np.int64)
    pat = np.full(L, -1, dtype=np.int64)
    evp = np.zeros(L, dtype=np.int64)
    isave = np.zeros(L, dtype=np.int64)
    lfacold = np.full(L, LOG_FACOLD0)
    iasti = np.zeros(L, dtype=np.int64)
    nonsti = np.zeros(L, dtype=np.int64)
    cnt = np.zeros((L, 4), dtype=np.int64)  # steps, nfev, njev, accepted
    # scalar scratch
    ys = np.empty(ns)
    fs = np.empty(ns)
    wy = np.empty(ns)
    wf = np.empty(ns)
    counters = np.zeros(4, dtype=np.int64)
    nxt = start

    handover = np.zeros(L, dtype=np.bool_)

    while True:
        any_active = False
        # lanes in use: 0..width-1 (a drained chunk shrinks it, so idle lanes stop costing work)
        width = 0
        for l in range(L):
            # the one place where lanes are handed to Rosenbrock and refilled
            while True:
                if dirty[l] and (not active[l] or handover[l]):
                    # the lane's patient is done (or leaves for Rosenbrock): its extremes go home
                    p_ = pat[l]
                    for i in range(ns):
                        ymax[p_, i] = lymax[i, l]
                        ymin[p_, i] = lymin[i, l]
                    dirty[l] = False
                if active[l] and handover[l]:
                    _to_rosenbrock(
                        l, pat[l], reg, y, t, h, evp, isave, cnt, active, ys, regr, regj, counters,
                        rhs_code, rhs_out, jac_code, jac_out, jac_reg0, npar,
                        t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
                        rtol, atol, max_steps, max_nfev, out, status, t_fail, nsteps, nfev, njev, ymax, ymin,
                    )
                    handover[l] = False
                if not active[l] and nxt < stop:
                    nxt = _refill(
                        l, nxt, stop, method, reg, y, k, t, h, tend, active, rejected, forced, nforced, pat, evp, isave,
                        lfacold, iasti, nonsti, cnt, ys, fs, wy, wf, regj, rhs_code, rhs_out, rhs_ninv,
                        Y0, P, t0, t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
                        rtol, atol, out, status, t_fail, nsteps, nfev, njev, ymax, ymin,
                    )
                    if active[l]:
                        p_ = pat[l]
                        for i in range(ns):
                            lymax[i, l] = ymax[p_, i]
                            lymin[i, l] = ymin[p_, i]
                        dirty[l] = True
                    handover[l] = active[l] and method == METHOD_ROSENBROCK
                    continue
                break
            if active[l]:
                any_active = True
                width = l + 1
                if t[l] + h[l] >= tend[l] or t[l] + 1.0000001 * h[l] >= tend[l]:
                    h[l] = tend[l] - t[l]
                    hits[l] = True
                else:
                    hits[l] = False
            else:
                h[l] = 0.0
        if not any_active:
            break

        # stages 2..7 for the lanes in use: y + h * sum_j a_sj k_j (left to right over the
        # non-zero coefficients), then the tape without its prelude. Every loop over lanes
        # writes a single array and reads few, so that the compiler's run-time overlap checks
        # stay few and the loop is vectorised (a loop writing several arrays is left scalar).
        for s in range(1, 7):
            if s == 1:
                c = C2
                for i in range(ns):
                    for l in range(width):
                        reg[1 + i, l] = y[i, l] + h[l] * (A21 * k[0, i, l])
            elif s == 2:
                c = C3
                for i in range(ns):
                    for l in range(width):
                        reg[1 + i, l] = y[i, l] + h[l] * (A31 * k[0, i, l] + A32 * k[1, i, l])
            elif s == 3:
                c = C4
                for i in range(ns):
                    for l in range(width):
                        reg[1 + i, l] = y[i, l] + h[l] * (A41 * k[0, i, l] + A42 * k[1, i, l] + A43 * k[2, i, l])
            elif s == 4:
                c = C5
                for i in range(ns):
                    for l in range(width):
                        reg[1 + i, l] = y[i, l] + h[l] * (
                            A51 * k[0, i, l] + A52 * k[1, i, l] + A53 * k[2, i, l] + A54 * k[3, i, l]
                        )
            elif s == 5:
                c = 1.0
                for i in range(ns):
                    for l in range(width):
                        reg[1 + i, l] = y[i, l] + h[l] * (
                            A61 * k[0, i, l] + A62 * k[1, i, l] + A63 * k[2, i, l] + A64 * k[3, i, l]
                            + A65 * k[4, i, l]
                        )
            else:
                c = 1.0
                for i in range(ns):
                    for l in range(width):
                        reg[1 + i, l] = y[i, l] + h[l] * (
                            A71 * k[0, i, l] + A73 * k[2, i, l] + A74 * k[3, i, l] + A75 * k[4, i, l]
                            + A76 * k[5, i, l]
                        )
            for l in range(width):
                reg[0, l] = t[l] + c * h[l]
            eval_lanes_from(rhs_code, rhs_ninv, ncode, reg, 0, width)
            # the tape writes only temporaries: the stage's inputs are still in place
            if s == 5:
                for i in range(ns):
                    for l in range(width):
                        ysti[i, l] = reg[1 + i, l]
            elif s == 6:
                for i in range(ns):
                    for l in range(width):
                        y1[i, l] = reg[1 + i, l]
            for i in range(ns):
                o = rhs_out[i]
                for l in range(width):
                    k[s, i, l] = reg[o, l]

        # per lane, all at once: error norm, stiffness sums, the k-part of the dense output ----
        for l in range(width):
            err[l] = 0.0
            stnum[l] = 0.0
            stden[l] = 0.0
        for i in range(ns):
            ai = atol[i]
            for l in range(width):
                a0 = abs(y[i, l])
                a1 = abs(y1[i, l])
                sc = ai + rtol * (a0 if a0 >= a1 else a1)  # (not max(): that one stays scalar)
                q = h[l] * (E1 * k[0, i, l] + E3 * k[2, i, l] + E4 * k[3, i, l] + E5 * k[4, i, l]
                            + E6 * k[5, i, l] + E7 * k[6, i, l]) / sc
                err[l] += q * q
        for i in range(ns):
            for l in range(width):
                d1 = k[6, i, l] - k[5, i, l]
                stnum[l] += d1 * d1
        for i in range(ns):
            for l in range(width):
                d2 = y1[i, l] - ysti[i, l]
                stden[l] += d2 * d2
        for i in range(ns):
            for l in range(width):
                dk[i, l] = h[l] * (D1 * k[0, i, l] + D3 * k[2, i, l] + D4 * k[3, i, l] + D5 * k[4, i, l]
                                   + D6 * k[5, i, l] + D7 * k[6, i, l])
        for l in range(width):
            err[l] = np.sqrt(err[l] / ns)
        # PI step-size control for every lane at once, both outcomes (in logarithms):
        # accepted: h / clip(err^EXPO1 / facold^BETA / SAFE), rejected: h / min(FACC1, err^EXPO1 / SAFE);
        # a forced step counts as err = 1. One loop per output array (see above).
        for l in range(width):
            el = err[l]
            lerr[l] = fast_log(1.0 if forced[l] else (el if el > 0.0 else 0.0))
        for l in range(width):
            fa = fast_exp(EXPO1 * lerr[l] - BETA * lfacold[l]) / SAFE
            fa = FACC2 if fa < FACC2 else (FACC1 if fa > FACC1 else fa)
            hacc[l] = h[l] / fa
        for l in range(width):
            fr = fast_exp(EXPO1 * lerr[l]) / SAFE
            hrej[l] = h[l] / (FACC1 if fr > FACC1 else fr)
        # Hairer's stiffness test: h*|lambda| from the last two stages (-1: not defined)
        for l in range(width):
            sd = stden[l]
            hlam[l] = h[l] * np.sqrt(stnum[l] / sd) if sd > 0.0 else -1.0
        # the first save point inside each accepted step: its place (2.0 = at the step's end, where the
        # value is y1 itself), the dense-output value and the running minimum; further save points of
        # a long step are handled lane by lane below
        for l in range(width):
            el = err[l]
            tv = -1.0
            isv = isave[l]
            if active[l] and (el <= 1.0 or forced[l]) and isv < nsave:
                tn = tend[l] if hits[l] else t[l] + h[l]
                sv = save[isv]
                if sv == tn and ((not hits[l]) or tend[l] >= t1):
                    tv = 2.0
                elif sv < tn:
                    tv = (sv - t[l]) / h[l]
            thv[l] = tv
        for i in range(ns):
            for l in range(width):
                th = thv[l]
                y0 = y[i, l]
                yn = y1[i, l]
                dy = yn - y0
                hk0 = h[l] * k[0, i, l]
                bspl = hk0 - dy
                th1 = 1.0 - th
                yd = y0 + th * (dy + th1 * (bspl + th * ((dy - h[l] * k[6, i, l] - bspl) + th1 * dk[i, l])))
                ysv[i, l] = yn if th == 2.0 else yd
        for i in range(ns):
            for l in range(width):
                v = ysv[i, l]
                lymin[i, l] = v if (thv[l] >= 0.0 and v < lymin[i, l]) else lymin[i, l]
        for i in range(ns):
            for l in range(width):
                a = abs(y1[i, l])
                acc = active[l] and (err[l] <= 1.0 or forced[l])
                lymax[i, l] = a if (acc and a > lymax[i, l]) else lymax[i, l]

        # per-lane decisions -----------------------------------------------------------------
        for l in range(width):
            if not active[l]:
                continue
            cnt[l, 0] += 1
            cnt[l, 1] += 6
            hl = h[l]
            el = err[l]
            p_ = pat[l]
            if not np.isfinite(el):
                _finish(l, p_, STATUS_NONFINITE, t[l], cnt, active, status, t_fail, nsteps, nfev, njev)
            elif el <= 1.0 or forced[l]:
                if forced[l]:
                    # a discontinuity in f (e.g. step(Tmax - t)): cross it at the minimum step
                    forced[l] = False
                    nforced[l] += 1
                    el = 1.0
                hnew = hacc[l]
                if rejected[l]:
                    hnew = min(hnew, hl)
                lfacold[l] = max(lerr[l], LOG_FACOLD0)
                rejected[l] = False
                cnt[l, 3] += 1
                # stiffness test (Hairer): h*|lambda| from the last two stages
                stiff = False
                hlamb = hlam[l]
                if hlamb >= 0.0:
                    if hlamb > STIFF_HLAMB:
                        nonsti[l] = 0
                        iasti[l] += 1
                        if iasti[l] >= STIFF_COUNT:
                            stiff = True
                    else:
                        nonsti[l] += 1
                        if nonsti[l] == NONSTIFF_RESET:
                            iasti[l] = 0
                tl = t[l]
                tn = tend[l] if hits[l] else tl + hl
                # dense output for the save points this step covers (populations clipped at 0,
                # the unclipped minimum kept for the check after the run)
                own_end = (not hits[l]) or tend[l] >= t1
                isv = isave[l]
                if thv[l] >= 0.0:
                    for q in range(nsel):
                        v = ysv[sel[q], l]
                        if nonneg[sel[q]] and v < 0.0:
                            v = 0.0
                        out[p_, isv, q] = v
                    isv += 1
                    while isv < nsave and (save[isv] < tn or (own_end and save[isv] == tn)):
                        sv = save[isv]
                        if sv == tn:
                            for i in range(ns):
                                ys[i] = y1[i, l]
                        else:
                            # Hairer's continuous extension of DOPRI5 (as in the pass above)
                            th = (sv - tl) / hl
                            th1 = 1.0 - th
                            for i in range(ns):
                                y0 = y[i, l]
                                dy = y1[i, l] - y0
                                bspl = hl * k[0, i, l] - dy
                                ys[i] = y0 + th * (
                                    dy + th1 * (bspl + th * ((dy - hl * k[6, i, l] - bspl) + th1 * dk[i, l]))
                                )
                        for i in range(ns):
                            if ys[i] < lymin[i, l]:
                                lymin[i, l] = ys[i]
                        for q in range(nsel):
                            v = ys[sel[q]]
                            if nonneg[sel[q]] and v < 0.0:
                                v = 0.0
                            out[p_, isv, q] = v
                        isv += 1
                isave[l] = isv
                t[l] = tn
                h[l] = hnew
                if hits[l]:
                    if tn >= t1:
                        _finish(l, p_, STATUS_OK, tn, cnt, active, status, t_fail, nsteps, nfev, njev)
                    else:
                        # event time: jump (states clipped at 0 as apply_events does) ----------
                        for i in range(ns):
                            y[i, l] = y1[i, l]
                        e = evp[l]
                        nev = ev_count[p_]
                        par_changed = False
                        while e < nev and ev_time[p_, e] == tn:
                            tgt = ev_target[p_, e]
                            v = ev_value[p_, e]
                            eop = ev_op[p_, e]
                            if ev_kind[p_, e] == EV_STATE:
                                if eop == OP_ADD_EV:
                                    y[tgt, l] += v
                                elif eop == OP_SET_EV:
                                    y[tgt, l] = v
                                else:
                                    y[tgt, l] *= v
                                if nonneg[tgt] and y[tgt, l] < 0.0:
                                    y[tgt, l] = 0.0
                            else:
                                r = 1 + ns + tgt
                                reg[r, l] = reg[r, l] + v if eop == OP_ADD_EV else v
                                par_changed = True
                            e += 1
                        evp[l] = e
                        if par_changed:
                            eval_lanes_from(rhs_code, 0, rhs_ninv, reg, l, l + 1)  # the prelude, new parameters
                        # save after the jump
                        isv = isave[l]
                        while isv < nsave and save[isv] == tn:
                            for i in range(ns):
                                if y[i, l] < lymin[i, l]:
                                    lymin[i, l] = y[i, l]
                            for q in range(nsel):
                                v = y[sel[q], l]
                                if nonneg[sel[q]] and v < 0.0:
                                    v = 0.0
                                out[p_, isv, q] = v
                            isv += 1
                        isave[l] = isv
                        # new segment: f at the jump, then Hairer's starting step
                        tend[l] = ev_time[p_, e] if (e < nev and ev_time[p_, e] < t1) else t1
                        reg[0, l] = tn
                        for i in range(ns):
                            reg[1 + i, l] = y[i, l]
                        eval_lanes_from(rhs_code, rhs_ninv, ncode, reg, l, l + 1)
                        finite = True
                        for i in range(ns):
                            v = reg[rhs_out[i], l]
                            k[0, i, l] = v
                            k[6, i, l] = v  # (y1, k7: what the copy after this loop moves to y, k0)
                            y1[i, l] = y[i, l]
                            if not np.isfinite(v):
                                finite = False
                        if not finite:
                            _finish(l, p_, STATUS_NONFINITE, tn, cnt, active, status, t_fail, nsteps, nfev, njev)
                        else:
                            cnt[l, 1] += 1
                            lfacold[l] = LOG_FACOLD0
                            # Hairer's hinit (order 4), as _hinit
                            hmax = tend[l] - tn
                            d0 = 0.0
                            d1 = 0.0
                            for i in range(ns):
                                sc = atol[i] + rtol * abs(y[i, l])
                                q0 = y[i, l] / sc
                                q1 = k[0, i, l] / sc
                                d0 += q0 * q0
                                d1 += q1 * q1
                            d0 = np.sqrt(d0 / ns)
                            d1 = np.sqrt(d1 / ns)
                            if d0 < 1e-5 or d1 < 1e-5:
                                h0 = 1e-6
                            else:
                                h0 = 0.01 * d0 / d1
                            h0 = min(h0, hmax)
                            reg[0, l] = tn + h0
                            for i in range(ns):
                                reg[1 + i, l] = y[i, l] + h0 * k[0, i, l]
                            eval_lanes_from(rhs_code, rhs_ninv, ncode, reg, l, l + 1)
                            cnt[l, 1] += 1
                            d2 = 0.0
                            finite = True
                            for i in range(ns):
                                v = reg[rhs_out[i], l]
                                if not np.isfinite(v):
                                    finite = False
                                sc = atol[i] + rtol * abs(y[i, l])
                                q2 = (v - k[0, i, l]) / sc
                                d2 += q2 * q2
                            if finite:
                                d2 = np.sqrt(d2 / ns) / h0
                                dm = max(d1, d2)
                                if dm <= 1e-15:
                                    h1 = max(1e-6, h0 * 1e-3)
                                else:
                                    h1 = fast_exp(0.2 * fast_log(0.01 / dm))  # (0.01/dm)^(1/5)
                                h[l] = min(hnew, min(100.0 * h0, h1, hmax))
                            else:
                                h[l] = hnew
                if active[l] and stiff:
                    if method == METHOD_AUTO:
                        t_stiff[p_] = t[l]
                        handover[l] = True
                    else:
                        t_stiff[p_] = t[l] if not np.isfinite(t_stiff[p_]) else t_stiff[p_]
                        iasti[l] = 0
            else:
                h[l] = hrej[l]
                rejected[l] = True
                for i in range(ns):  # keep y and k0 through the copy after this loop
                    y1[i, l] = y[i, l]
                    k[6, i, l] = k[0, i, l]
                hmin = HMIN_ULPS * max(abs(t[l]), 1e-300)
                if h[l] <= hmin:
                    if nforced[l] >= MAX_FORCED:
                        _finish(l, p_, STATUS_STEP_TOO_SMALL, t[l], cnt, active, status, t_fail, nsteps, nfev, njev)
                    else:
                        h[l] = hmin
                        forced[l] = True
            if active[l] and (cnt[l, 0] >= max_steps or cnt[l, 1] >= max_nfev):
                code = STATUS_BUDGET_STIFF if np.isfinite(t_stiff[p_]) else STATUS_BUDGET
                _finish(l, p_, code, t[l], cnt, active, status, t_fail, nsteps, nfev, njev)
        # every lane moves to y1 and, first same as last, k0 to k7: the lanes above made this the
        # identity where the step was rejected or an event already set y and k0 (a masked copy
        # would compile to one branch per lane instead of vector moves)
        for i in range(ns):
            for l in range(width):
                y[i, l] = y1[i, l]
        for i in range(ns):
            for l in range(width):
                k[0, i, l] = k[6, i, l]


@njit(**_INLINE)
def _finish(l, p_, code, tt, cnt, active, status, t_fail, nsteps, nfev, njev):
    status[p_] = code
    t_fail[p_] = tt
    nsteps[p_] = cnt[l, 0]
    nfev[p_] = cnt[l, 1]
    njev[p_] = cnt[l, 2]
    active[l] = False


@njit(**_JIT)
def _to_rosenbrock(
    l, p_, reg, y, t, h, evp, isave, cnt, active, ys, regr, regj, counters,
    rhs_code, rhs_out, jac_code, jac_out, jac_reg0, npar,
    t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
    rtol, atol, max_steps, max_nfev, out, status, t_fail, nsteps, nfev, njev, ymax, ymin,
):
    """Hand lane ``l``'s patient to the scalar Rosenbrock integrator and record the outcome."""
    ns = ys.size
    for r in range(reg.shape[0]):
        regr[r, 0] = reg[r, l]
    for r in range(jac_reg0.size):
        regj[r, 0] = jac_reg0[r]
    for j in range(npar):
        regj[1 + ns + j, 0] = reg[1 + ns + j, l]
    for i in range(ns):
        ys[i] = y[i, l]
    for q in range(4):
        counters[q] = cnt[l, q]
    code, tt = rosenbrock_patient(
        p_, t[l], ys, evp[l], isave[l], h[l],
        rhs_code, rhs_out, regr, jac_code, jac_out, regj,
        t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
        rtol, atol, max_steps, max_nfev, out, ymax, ymin, counters,
    )
    for q in range(4):
        cnt[l, q] = counters[q]
    _finish(l, p_, code, tt, cnt, active, status, t_fail, nsteps, nfev, njev)


@njit(**_JIT)
def _refill(
    l, nxt, stop, method, reg, y, k, t, h, tend, active, rejected, forced, nforced, pat, evp, isave, lfacold, iasti,
    nonsti, cnt, ys, fs, wy, wf, regj, rhs_code, rhs_out, rhs_ninv,
    Y0, P, t0, t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
    rtol, atol, out, status, t_fail, nsteps, nfev, njev, ymax, ymin,
):
    """Start the next patient of the chunk in lane ``l``; return the new queue pointer.

    Patients that fail at the start are completed here and the next one is
    taken. With the Rosenbrock-only method the lane is left ready (``h = 0``)
    for the caller to hand over.
    """
    ns = Y0.shape[1]
    npar = P.shape[1]
    while nxt < stop:
        p_ = nxt
        nxt += 1
        pat[l] = p_
        for q in range(4):
            cnt[l, q] = 0
        for r in range(save.size):  # rows never reached (a failed run) stay NaN
            for q in range(sel.size):
                out[p_, r, q] = np.nan
        for i in range(ns):
            ys[i] = Y0[p_, i]
            ymax[p_, i] = abs(ys[i])
            ymin[p_, i] = np.inf
        for j in range(npar):
            reg[1 + ns + j, l] = P[p_, j]
        e = 0
        while e < ev_count[p_] and ev_time[p_, e] < t0:
            e += 1
        e = _apply_events_at(t0, p_, e, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, ys, nonneg, reg, l, regj, False)
        eval_col_range(rhs_code, reg, l, 0, rhs_ninv)  # the prelude, with this patient's parameters
        isv = 0
        isv = _save_at(p_, isv, t0, ys, save, sel, nonneg, out, ymin)
        for i in range(ns):
            y[i, l] = ys[i]
            if abs(ys[i]) > ymax[p_, i]:
                ymax[p_, i] = abs(ys[i])
        evp[l] = e
        isave[l] = isv
        t[l] = t0
        tend[l] = _segment_end(t0, p_, e, ev_count, ev_time, t1)
        lfacold[l] = LOG_FACOLD0
        iasti[l] = 0
        nonsti[l] = 0
        rejected[l] = False
        forced[l] = False
        nforced[l] = 0
        if method == METHOD_ROSENBROCK:
            h[l] = 0.0
            active[l] = True
            return nxt  # the caller hands the patient to the Rosenbrock integrator
        if not _f_lane(rhs_code, rhs_ninv, rhs_out, reg, l, t0, ys, fs):
            cnt[l, 1] = 1
            _finish(l, p_, STATUS_NONFINITE, t0, cnt, active, status, t_fail, nsteps, nfev, njev)
            continue
        for i in range(ns):
            k[0, i, l] = fs[i]
        hh, ok = _hinit(rhs_code, rhs_ninv, rhs_out, reg, l, t0, ys, fs, 4.0, tend[l] - t0, atol, rtol, wy, wf)
        cnt[l, 1] = 2
        h[l] = hh
        active[l] = True
        return nxt
    active[l] = False
    pat[l] = -1
    return nxt
