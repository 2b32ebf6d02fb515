"""Numba kernels of the batched engine (private; see ``engines/batched.py``).

One compiled kernel serves every model: the right-hand side and the Jacobian
arrive as instruction tapes (``engines/tape.py``), i.e. integer and float
arrays, so a new model is new *data*, never new machine code.

Layout of the work
------------------
``solve_chunk`` integrates one chunk of patients without the GIL; the caller
runs chunks in parallel on a thread pool (cheaper to compile than
``prange``). Inside a chunk, ``L`` *lanes* integrate ``L`` patients side by
side with the explicit Dormand-Prince 5(4) pair (or, with methods
``"dop853"`` and ``"auto-dop853"``, the 8th-order pair DOP853 [7]_, whose steps
end on the save points since it has no dense output here; a step shortened to
a save point hands the controller's step on to the next one): each tape instruction
is applied to all lanes at once (a short loop the compiler vectorises), while
every lane keeps its own time, step size, error control, event pointer and save
pointer. A lane whose patient finishes or fails takes the next patient of the
chunk, so a slow patient never holds the others back (no lock-step in time or
step size; lanes only share the *iteration* in which they take a step).

The stiff path is a second group of ``L`` lanes running Hairer & Wanner's
Rodas4 (:func:`ros_iterate`), vectorised over lanes in the same way: the
Jacobian and ``df/dt`` come from a tape of the symbolic derivatives (evaluated
once per accepted step and reused when a step is rejected), the iteration
matrix ``I/(gamma h) - J`` is factorised once per step for all lanes at once
(no pivoting; a lane whose multipliers grow beyond ``R_GROWTH`` is refactorised
with partial pivoting) and the factorisation serves all six stages and the
dense output. A jump (a dose) restarts a Rosenbrock lane's step control:
Hairer's starting step from ``f`` after the jump caps the step from before it,
and the first step after it takes no predictive factor.
Patients move between the groups through two queues of parked
states: with method ``"auto"`` a Dormand-Prince lane whose problem turns stiff
(Hairer's ``h*|lambda|`` test in the error-weighted norm, 15 of the recent accepted steps above 2.8)
parks its patient for a Rosenbrock lane, and a Rosenbrock lane whose steps stay
inside the explicit method's stability region (``h * rho(J) <= 2`` for 15 steps,
``rho`` the error-weighted infinity norm of ``J``; twice as many after each return) sends it back, as LSODA
switches between Adams and BDF. ``"rosenbrock"`` sends every patient to the
Rosenbrock lanes; ``"dopri5"`` never switches (a stiff patient runs until the
work budget is spent and is reported as stiff). When the lanes of a group are
sparse (the chunk drains) the highest active lanes move into free low ones
(whole state, so results do not change) to keep the vector loops short, and
while patients still enter the chunk fewer than ``GATHER`` Rosenbrock patients
wait for company rather than run a nearly empty iteration beside every full one.

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
.. [3] Hairer E, Wanner G (1996). Solving Ordinary Differential Equations II,
   2nd ed., Springer: Section IV.7 (Rosenbrock methods; RODAS, the Rodas4
   coefficients and dense output used here, as in rodas.f).
.. [4] Gustafsson K (1991). Control theoretic techniques for stepsize
   selection in explicit Runge-Kutta methods. ACM TOMS 17:533-554 (PI control).
.. [5] Gustafsson K (1994). Control-theoretic techniques for stepsize selection
   in implicit Runge-Kutta methods. ACM TOMS 20:496-517 (the predictive
   controller of the Rosenbrock lanes).
.. [6] Petzold L (1983). Automatic selection of methods for solving stiff and
   nonstiff systems of ordinary differential equations. SIAM J Sci Stat Comput
   4:136-148 (LSODA's switching in both directions).
.. [7] Hairer E, Norsett SP, Wanner G (1993), as [2]: Section II.10 (DOP853: the pair, its 5th- and
   3rd-order error estimate and step-size control; coefficients in ``_dop853.py``).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import config as numba_config
from numba import njit, types
from numba.extending import intrinsic

from . import _dop853
from ._codes import (  # codes shared with the Python side (numba freezes them as constants)
    EV_STATE,
    METHOD_AUTO,
    METHOD_AUTO8,
    METHOD_DOP853,
    METHOD_ROSENBROCK,
    OP_ADD_EV,
    OP_SET_EV,
    STATUS_BUDGET,
    STATUS_BUDGET_STIFF,
    STATUS_NONFINITE,
    STATUS_OK,
    STATUS_SINGULAR,
    STATUS_STEP_TOO_SMALL,
    numba_cache_dir,
)

# the on-disk cache goes to a per-user folder, never into the source tree (a read-only install or a
# checkout shared between users must not be written to); Numba reads this when a function is decorated
if not numba_config.CACHE_DIR:
    numba_config.CACHE_DIR = numba_cache_dir()

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

# DOP853 (methods "dop853" and "auto-dop853"; coefficients in _dop853.py) -------------
A8, B8, C8, E58, E38 = _dop853.A, _dop853.B, _dop853.C, _dop853.E5, _dop853.E3
#: Hairer's dop853.f controller: no PI term (beta = 0), err^(1/8), the step shrinks at most 3x
#: (fac1 = 0.333) and grows at most 6x (fac2 = 6)
EXPO1_8 = 1.0 / 8.0
FACC1_8 = 1.0 / 0.333
FACC2_8 = 1.0 / 6.0
#: the stiffness threshold of DOP853 (Hairer: 6.1, near its real stability boundary of about 6), lowered
#: in the proportion measured for DOPRI5 below (2.8 / 3.25): a step held by stability settles just under
#: the boundary, where Hairer's value would seldom fire
STIFF_HLAMB8 = 6.1 * 2.8 / 3.25

#: Hairer's stiffness test fires when h*|lambda| exceeds this on STIFF_COUNT of the recent accepted steps.
#: Hairer uses 3.25 (DOPRI5's real stability boundary is about 3.3), but a step held by stability
#: settles at h*rho = 2.9-3.2 under this controller (measured on the stiff cohort of issue 14, whose
#: patients then stayed explicit for the first ~4 weeks); 2.8 catches it within a few dozen steps
STIFF_HLAMB = 2.8
#: minimum step, relative to |t|: 10 units in the last place
HMIN_ULPS = 2.2e-15
#: steps forced through at the minimum size (discontinuities of f) before "step size too small"
MAX_FORCED = 200
STIFF_COUNT = 15
NONSTIFF_RESET = 6
#: fewer Rosenbrock patients than this wait while the Dormand-Prince lanes run full and patients still
#: enter the chunk (one AVX-512 vector of doubles); see solve_chunk
GATHER = 8


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
@njit(**_INLINE)
def _function(op, a):
    """The elementary functions of ``tape.FUNCTIONS`` (opcodes 13-26; libm, no fastmath)."""
    if op == 13:
        return np.sin(a)
    if op == 14:
        return np.cos(a)
    if op == 15:
        return np.tan(a)
    if op == 16:
        return np.arcsin(a)
    if op == 17:
        return np.arccos(a)
    if op == 18:
        return np.arctan(a)
    if op == 19:
        return np.sinh(a)
    if op == 20:
        return np.cosh(a)
    if op == 21:
        return np.tanh(a)
    if op == 22:
        return np.arcsinh(a)
    if op == 23:
        return np.arccosh(a)
    if op == 24:
        return np.arctanh(a)
    if op == 25:
        return np.floor(a)
    return np.ceil(a)


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
        elif op == 12:
            r = a * a
        else:
            r = _function(op, a)
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
        elif op == 12:
            r = a * a
        else:
            r = _function(op, a)
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
        elif op == 12:
            for l in range(lo, L):
                a = reg[ia, l]
                reg[d, l] = a * a
        else:
            for l in range(lo, L):
                reg[d, l] = _function(op, reg[ia, l])


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


# scalar helpers (one lane) -----------------------------------------------------
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


# Dormand-Prince over lanes ------------------------------------------------------
@njit(**_INLINE)
def _combine(out, coefs, n, k, ns, width):
    """``out[:, :width] = sum_j coefs[j] * k[j, :, :width]`` over the non-zero ``coefs[:n]``, left to right
    (one vectorised pass per term; inlined, so no array reference counting)."""
    first = True
    for j in range(n):
        a = coefs[j]
        if a == 0.0:
            continue
        if first:
            for i in range(ns):
                for l in range(width):
                    out[i, l] = a * k[j, i, l]
            first = False
        else:
            for i in range(ns):
                for l in range(width):
                    out[i, l] = out[i, l] + a * k[j, i, l]


@njit(**_JIT)
def solve_chunk(
    start, stop, L, method,
    rhs_code, rhs_out, rhs_reg0, rhs_ninv, jac_code, jac_out, jac_reg0, jac_ninv,
    Y0, P, t0, t1, save, sel,
    ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
    rtol, atol, max_steps, max_nfev,
    out, status, t_fail, nsteps, nfev, njev, nlu, ymax, ymin, t_stiff,
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
    regj = np.empty((jac_reg0.size, 1))  # (unused by _refill's events: use_b is False)
    # the explicit method: Dormand-Prince 5(4) (7 stages, FSAL) or DOP853 (12 stages and the FSAL one)
    high = method == METHOD_DOP853 or method == METHOD_AUTO8
    switching = method == METHOD_AUTO or method == METHOD_AUTO8
    kl = 12 if high else 6  # row of k holding f at the step's end (the next step's k0)
    expo1 = EXPO1_8 if high else EXPO1
    beta = 0.0 if high else BETA
    facc1 = FACC1_8 if high else FACC1
    facc2 = FACC2_8 if high else FACC2
    stiff_hlamb = STIFF_HLAMB8 if high else STIFF_HLAMB
    horder = 7.0 if high else 4.0  # Hairer's starting step: h ~ (0.01 / |f'|)^(1 / (horder + 1))
    hexp = 1.0 / (horder + 1.0)  # (1 / 5.0 is the double 0.2: DOPRI5's restarts are unchanged)
    y = np.zeros((ns, L))
    k = np.zeros((kl + 1, ns, L))
    ksum = np.zeros((ns, L))  # DOP853's stage sums and error combinations
    ksum3 = np.zeros((ns, L))
    wgt = np.zeros((ns, L))  # error weights atol + rtol max(|y|, |y1|) of the step
    svclip = np.zeros(L, dtype=np.bool_)  # DOP853: this step was shortened to land on a save point
    hun = np.zeros(L)  # the step before that shortening
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
    cnt = np.zeros((L, 5), dtype=np.int64)  # steps, nfev, njev, accepted, LU factorisations
    # scalar scratch
    ys = np.empty(ns)
    fs = np.empty(ns)
    wy = np.empty(ns)
    wf = np.empty(ns)
    nxt = start

    handover = np.zeros(L, dtype=np.bool_)

    # the Rosenbrock lanes (Rodas4, vectorised over lanes like the Dormand-Prince ones) ------------
    nregj = jac_reg0.size
    rreg = np.empty((nreg, L))
    rjreg = np.empty((nregj, L))
    for r in range(nreg):
        for l in range(L):
            rreg[r, l] = rhs_reg0[r]
    for r in range(nregj):
        for l in range(L):
            rjreg[r, l] = jac_reg0[r]
    rf = np.zeros((N_RF, L))
    ri = np.zeros((N_RI, L), dtype=np.int64)
    ry = np.zeros((ns, L))
    ryn = np.zeros((ns, L))
    rf0 = np.zeros((ns, L))
    rk = np.zeros((6, ns, L))
    rJ = np.zeros((ns, ns, L))
    rdfdt = np.zeros((ns, L))
    rW = np.zeros((ns, ns, L))
    rdiag = np.zeros((ns, L))
    rpiv = np.zeros((ns, L), dtype=np.int64)
    rb = np.zeros((ns, L))
    # patients parked between the groups (local index q = patient - start) and two FIFO queues:
    # 0 = waiting for a Rosenbrock lane, 1 = waiting to return to a Dormand-Prince lane
    m = stop - start
    pk_y = np.zeros((m, ns))
    pk_par = np.zeros((m, npar))
    pk_f = np.zeros((m, 2))
    pk_i = np.zeros((m, 8), dtype=np.int64)  # (column PK_NRET: returns to Dormand-Prince so far)
    queue = np.zeros((2, max(m, 1)), dtype=np.int64)
    qs = np.zeros(4, dtype=np.int64)  # head, tail of queue 0; head, tail of queue 1
    rwidth = 0

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
                    # park the patient for a Rosenbrock lane
                    q = pat[l] - start
                    for i in range(ns):
                        pk_y[q, i] = y[i, l]
                    for j in range(npar):
                        pk_par[q, j] = reg[1 + ns + j, l]
                    pk_f[q, PK_T] = t[l]
                    pk_f[q, PK_H] = h[l]
                    pk_i[q, PK_EVP] = evp[l]
                    pk_i[q, PK_ISAVE] = isave[l]
                    for c_ in range(5):
                        pk_i[q, PK_CNT + c_] = cnt[l, c_]
                    _queue_push(qs, 0, queue, q)
                    active[l] = False
                    handover[l] = False
                    pat[l] = -1
                if not active[l] and _queue_len(qs, 1) > 0:
                    # a patient that stopped being stiff comes back to Dormand-Prince
                    q = _queue_pop(qs, 1, queue)
                    p_ = start + q
                    pat[l] = p_
                    for c_ in range(5):
                        cnt[l, c_] = pk_i[q, PK_CNT + c_]
                    for j in range(npar):
                        reg[1 + ns + j, l] = pk_par[q, j]
                    eval_col_range(rhs_code, reg, l, 0, rhs_ninv)
                    tq = pk_f[q, PK_T]
                    for i in range(ns):
                        ys[i] = pk_y[q, i]
                        y[i, l] = ys[i]
                        y1[i, l] = ys[i]
                        lymax[i, l] = ymax[p_, i]
                        lymin[i, l] = ymin[p_, i]
                    dirty[l] = True
                    t[l] = tq
                    evp[l] = pk_i[q, PK_EVP]
                    isave[l] = pk_i[q, PK_ISAVE]
                    tend[l] = _segment_end(tq, p_, evp[l], ev_count, ev_time, t1)
                    lfacold[l] = LOG_FACOLD0
                    iasti[l] = 0
                    nonsti[l] = 0
                    rejected[l] = False
                    forced[l] = False
                    nforced[l] = 0
                    handover[l] = False
                    active[l] = True
                    cnt[l, 1] += 1
                    if not _f_lane(rhs_code, rhs_ninv, rhs_out, reg, l, tq, ys, fs):
                        _finish(l, p_, STATUS_NONFINITE, tq, cnt, active, status, t_fail, nsteps, nfev, njev, nlu)
                        continue
                    for i in range(ns):
                        k[0, i, l] = fs[i]
                        k[kl, i, l] = fs[i]
                    h[l] = min(pk_f[q, PK_H], tend[l] - tq)
                    continue
                if not active[l] and nxt < stop:
                    nxt = _refill(
                        l, nxt, stop, method, reg, y, k, t, h, tend, active, rejected, forced, nforced, pat, evp, isave,
                        lfacold, iasti, nonsti, cnt, ys, fs, wy, wf, regj, rhs_code, rhs_out, rhs_ninv,
                        Y0, P, t0, t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
                        rtol, atol, out, status, t_fail, nsteps, nfev, njev, nlu, ymax, ymin, horder,
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
                svclip[l] = False
                if high and isave[l] < nsave:
                    # DOP853 has no dense output here: a step that would pass a save point inside the
                    # segment ends on it (the controller's step is kept for the next one)
                    sv = save[isave[l]]
                    if sv > t[l] and sv < tend[l] and (t[l] + h[l] >= sv or t[l] + 1.0000001 * h[l] >= sv):
                        hun[l] = h[l]
                        h[l] = sv - t[l]
                        svclip[l] = True
                if svclip[l]:
                    hits[l] = False
                elif t[l] + h[l] >= tend[l] or t[l] + 1.0000001 * h[l] >= tend[l]:
                    h[l] = tend[l] - t[l]
                    hits[l] = True
                else:
                    hits[l] = False
            else:
                h[l] = 0.0
        # compaction: when the lanes in use are sparse (a chunk draining, or in "auto" the few
        # patients not with Rosenbrock), the highest active lanes move down into free ones so that the
        # vector loops run over fewer lanes. A lane's whole state moves, so results do not change.
        dp_n = 0  # Dormand-Prince lanes in use
        for l in range(width):
            if active[l]:
                dp_n += 1
        if width >= 8:
            nact = dp_n
            if 4 * nact <= 3 * width:
                lo = 0
                hi = width - 1
                while True:
                    while lo < hi and active[lo]:
                        lo += 1
                    while hi > lo and not active[hi]:
                        hi -= 1
                    if lo >= hi:
                        break
                    _move_dp_lane(hi, lo, reg, y, k, t, h, tend, hits, active, rejected, forced, nforced, pat, evp,
                                  isave, lfacold, iasti, nonsti, cnt, lymax, lymin, dirty, svclip, hun)
                width = 0
                for l in range(L):
                    if active[l]:
                        width = l + 1
        # Rosenbrock lanes: take parked patients, then one step for all of them
        for l in range(L):
            while ri[RI_ACTIVE, l] == 0 and _queue_len(qs, 0) > 0:
                q = _queue_pop(qs, 0, queue)
                _ros_fill(
                    l, q, start, rf, ri, rreg, rjreg, ry, rf0, pk_y, pk_par, pk_f, pk_i,
                    rhs_code, rhs_out, rhs_ninv, jac_code, jac_ninv, ev_count, ev_time, t1, atol, rtol,
                    ys, fs, wy, wf, status, t_fail, nsteps, nfev, njev, nlu,
                )
        rwidth = 0
        nact = 0
        for l in range(L):
            if ri[RI_ACTIVE, l] != 0:
                rwidth = l + 1
                nact += 1
        if rwidth >= 8 and 4 * nact <= 3 * rwidth:
            lo = 0
            hi = rwidth - 1
            while True:
                while lo < hi and ri[RI_ACTIVE, lo] != 0:
                    lo += 1
                while hi > lo and ri[RI_ACTIVE, hi] == 0:
                    hi -= 1
                if lo >= hi:
                    break
                _move_ros_lane(hi, lo, rreg, rjreg, ry, rf0, rJ, rdfdt, rf, ri)
            rwidth = 0
            for l in range(L):
                if ri[RI_ACTIVE, l] != 0:
                    rwidth = l + 1
        # while new patients still enter the chunk, fewer than GATHER Rosenbrock patients wait for
        # more to turn stiff as long as the Dormand-Prince lanes run full: one iteration's fixed
        # cost (the tape interpreter's dispatch, the loops over states) is about the same for one
        # lane as for eight, so a few stiff patients would otherwise add an almost empty iteration
        # to every full one (Kimmel 2021: 3 % of patients turn stiff). Waiting patients keep their
        # state; a result does not depend on when its steps are taken. (The Dormand-Prince lanes
        # never wait: they are refilled while patients enter, and once none enter, waiting would
        # only move their steps to the end of the chunk.)
        ros_go = rwidth > 0 and (nact >= GATHER or dp_n < GATHER or nxt >= stop)
        if ros_go:
            ros_iterate(
                rwidth, method, start, rf, ri, rreg, rjreg, ry, ryn, rf0, rk, rJ, rdfdt, rW, rdiag, rpiv, rb,
                pk_y, pk_par, pk_f, pk_i, qs, queue,
                rhs_code, rhs_out, rhs_ninv, jac_code, jac_out, jac_ninv,
                t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
                rtol, atol, max_steps, max_nfev, out, status, t_fail, nsteps, nfev, njev, nlu, ymax, ymin, ys, fs,
                wy, wf,
            )
        if not any_active:
            if rwidth == 0 and _queue_len(qs, 0) == 0 and _queue_len(qs, 1) == 0 and nxt >= stop:
                break
            continue

        if high:
            # DOP853: stages 2..12, then the 8th-order solution y1 and f there (the FSAL stage k[12]);
            # ysti is the input of stage 12 (at t + h), for the stiffness test
            for s in range(1, 12):
                _combine(ksum, A8[s], s, k, ns, width)
                for i in range(ns):
                    for l in range(width):
                        reg[1 + i, l] = y[i, l] + h[l] * ksum[i, l]
                cs = C8[s]
                for l in range(width):
                    reg[0, l] = t[l] + cs * h[l]
                eval_lanes_from(rhs_code, rhs_ninv, ncode, reg, 0, width)
                if s == 11:
                    for i in range(ns):
                        for l in range(width):
                            ysti[i, l] = reg[1 + i, l]
                for i in range(ns):
                    o = rhs_out[i]
                    for l in range(width):
                        k[s, i, l] = reg[o, l]
            _combine(ksum, B8, 12, k, ns, width)
            for i in range(ns):
                for l in range(width):
                    y1[i, l] = y[i, l] + h[l] * ksum[i, l]
            for i in range(ns):
                for l in range(width):
                    reg[1 + i, l] = y1[i, l]
            for l in range(width):
                reg[0, l] = t[l] + h[l]
            eval_lanes_from(rhs_code, rhs_ninv, ncode, reg, 0, width)
            for i in range(ns):
                o = rhs_out[i]
                for l in range(width):
                    k[12, i, l] = reg[o, l]
        else:
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
        for i in range(ns):  # the error weights atol + rtol max(|y|, |y1|), read by the norms below
            ai = atol[i]
            for l in range(width):
                a0 = abs(y[i, l])
                a1 = abs(y1[i, l])
                wgt[i, l] = ai + rtol * (a0 if a0 >= a1 else a1)  # (not max(): that one stays scalar)
        if high:
            # DOP853's error (Hairer's dop853.f): the 5th-order estimate, damped by the 3rd-order one
            # where that is larger: err = h e5 / sqrt((e5 + 0.01 e3) n), e5 and e3 weighted sums of squares
            _combine(ksum, E58, 12, k, ns, width)
            _combine(ksum3, E38, 12, k, ns, width)
            for l in range(width):
                err[l] = 0.0
                stnum[l] = 0.0
                stden[l] = 0.0
                hlam[l] = 0.0  # (scratch: the 3rd-order sum)
            for i in range(ns):
                for l in range(width):
                    q = ksum[i, l] / wgt[i, l]
                    err[l] += q * q
            for i in range(ns):
                for l in range(width):
                    q = ksum3[i, l] / wgt[i, l]
                    hlam[l] += q * q
            for i in range(ns):
                for l in range(width):
                    d1 = (k[12, i, l] - k[11, i, l]) / wgt[i, l]
                    stnum[l] += d1 * d1
            for i in range(ns):
                for l in range(width):
                    d2 = (y1[i, l] - ysti[i, l]) / wgt[i, l]
                    stden[l] += d2 * d2
            for l in range(width):
                e5 = err[l]
                den = e5 + 0.01 * hlam[l]
                err[l] = h[l] * e5 / np.sqrt(den * ns) if den > 0.0 else 0.0
        else:
            for l in range(width):
                err[l] = 0.0
                stnum[l] = 0.0
                stden[l] = 0.0
            for i in range(ns):
                for l in range(width):
                    q = h[l] * (E1 * k[0, i, l] + E3 * k[2, i, l] + E4 * k[3, i, l] + E5 * k[4, i, l]
                                + E6 * k[5, i, l] + E7 * k[6, i, l]) / wgt[i, l]
                    err[l] += q * q
            # the stiffness test's two norms are weighted like the error norm: in the plain Euclidean
            # norm of Hairer's code a large population (tumour cells ~1e8) hides the stiff direction of a
            # small one, and h*|lambda| came out ~0.01 where it was ~3.3 (de Pillis 2005, measured)
            for i in range(ns):
                for l in range(width):
                    d1 = (k[6, i, l] - k[5, i, l]) / wgt[i, l]
                    stnum[l] += d1 * d1
            for i in range(ns):
                for l in range(width):
                    d2 = (y1[i, l] - ysti[i, l]) / wgt[i, l]
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
            fa = fast_exp(expo1 * lerr[l] - beta * lfacold[l]) / SAFE
            fa = facc2 if fa < facc2 else (facc1 if fa > facc1 else fa)
            hacc[l] = h[l] / fa
        for l in range(width):
            fr = fast_exp(expo1 * lerr[l]) / SAFE
            hrej[l] = h[l] / (facc1 if fr > facc1 else fr)
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
                if svclip[l]:
                    tn = sv  # (t + h may differ from it in the last bit)
                if sv == tn and ((not hits[l]) or tend[l] >= t1):
                    tv = 2.0
                elif sv < tn:
                    tv = (sv - t[l]) / h[l]
            thv[l] = tv
        if high:
            # every save point is a step's end (svclip) or an event's: the value is y1 itself
            for i in range(ns):
                for l in range(width):
                    ysv[i, l] = y1[i, l]
        else:
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
            cnt[l, 1] += kl
            hl = h[l]
            el = err[l]
            p_ = pat[l]
            if not np.isfinite(el):
                _finish(l, p_, STATUS_NONFINITE, t[l], cnt, active, status, t_fail, nsteps, nfev, njev, nlu)
            elif el <= 1.0 or forced[l]:
                if forced[l]:
                    # a discontinuity in f (e.g. step(Tmax - t)): cross it at the minimum step
                    forced[l] = False
                    nforced[l] += 1
                    el = 1.0
                hnew = hacc[l]
                if svclip[l] and hun[l] > hnew:
                    hnew = hun[l]  # a step shortened to a save point: the controller's own step goes on
                if rejected[l]:
                    hnew = min(hnew, hl)
                lfacold[l] = max(lerr[l], LOG_FACOLD0)
                rejected[l] = False
                cnt[l, 3] += 1
                # stiffness test (Hairer): h*|lambda| from the last two stages
                stiff = False
                hlamb = hlam[l]
                if hlamb >= 0.0:
                    if hlamb > stiff_hlamb:
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
                if svclip[l]:
                    tn = save[isave[l]]
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
                        _finish(l, p_, STATUS_OK, tn, cnt, active, status, t_fail, nsteps, nfev, njev, nlu)
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
                            k[kl, i, l] = v  # (y1, k[kl]: what the copy after this loop moves to y, k0)
                            y1[i, l] = y[i, l]
                            if not np.isfinite(v):
                                finite = False
                        if not finite:
                            _finish(l, p_, STATUS_NONFINITE, tn, cnt, active, status, t_fail, nsteps, nfev, njev, nlu)
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
                                    h1 = fast_exp(hexp * fast_log(0.01 / dm))  # (0.01/dm)^(1/5); DOP853: ^(1/8)
                                h[l] = min(hnew, min(100.0 * h0, h1, hmax))
                            else:
                                h[l] = hnew
                if active[l] and stiff:
                    if switching:
                        if not np.isfinite(t_stiff[p_]):
                            t_stiff[p_] = t[l]  # (the first switch)
                        handover[l] = True
                    else:
                        t_stiff[p_] = t[l] if not np.isfinite(t_stiff[p_]) else t_stiff[p_]
                        iasti[l] = 0
            else:
                h[l] = hrej[l]
                rejected[l] = True
                for i in range(ns):  # keep y and k0 through the copy after this loop
                    y1[i, l] = y[i, l]
                    k[kl, i, l] = k[0, i, l]
                hmin = HMIN_ULPS * max(abs(t[l]), 1e-300)
                if h[l] <= hmin:
                    if nforced[l] >= MAX_FORCED:
                        _finish(l, p_, STATUS_STEP_TOO_SMALL, t[l], cnt, active, status, t_fail, nsteps, nfev, njev, nlu)
                    else:
                        h[l] = hmin
                        forced[l] = True
            if active[l] and (cnt[l, 0] >= max_steps or cnt[l, 1] >= max_nfev):
                code = STATUS_BUDGET_STIFF if np.isfinite(t_stiff[p_]) else STATUS_BUDGET
                _finish(l, p_, code, t[l], cnt, active, status, t_fail, nsteps, nfev, njev, nlu)
        # every lane moves to y1 and, first same as last, k0 to k7: the lanes above made this the
        # identity where the step was rejected or an event already set y and k0 (a masked copy
        # would compile to one branch per lane instead of vector moves)
        for i in range(ns):
            for l in range(width):
                y[i, l] = y1[i, l]
        for i in range(ns):
            for l in range(width):
                k[0, i, l] = k[kl, i, l]


@njit(**_JIT)
def _move_dp_lane(a, b, reg, y, k, t, h, tend, hits, active, rejected, forced, nforced, pat, evp, isave, lfacold,
                  iasti, nonsti, cnt, lymax, lymin, dirty, svclip, hun):
    """Move the Dormand-Prince state of active lane ``a`` into free lane ``b`` (compaction)."""
    for r in range(reg.shape[0]):
        reg[r, b] = reg[r, a]
    for i in range(y.shape[0]):
        y[i, b] = y[i, a]
        k[0, i, b] = k[0, i, a]
        lymax[i, b] = lymax[i, a]
        lymin[i, b] = lymin[i, a]
    for c_ in range(cnt.shape[1]):
        cnt[b, c_] = cnt[a, c_]
    t[b] = t[a]
    h[b] = h[a]
    tend[b] = tend[a]
    hits[b] = hits[a]
    rejected[b] = rejected[a]
    forced[b] = forced[a]
    nforced[b] = nforced[a]
    pat[b] = pat[a]
    evp[b] = evp[a]
    isave[b] = isave[a]
    lfacold[b] = lfacold[a]
    iasti[b] = iasti[a]
    nonsti[b] = nonsti[a]
    dirty[b] = dirty[a]
    svclip[b] = svclip[a]
    hun[b] = hun[a]
    active[b] = True
    active[a] = False
    dirty[a] = False
    pat[a] = -1
    h[a] = 0.0
    hits[a] = False


@njit(**_JIT)
def _move_ros_lane(a, b, rreg, rjreg, ry, rf0, rJ, rdfdt, rf, ri):
    """Move the Rosenbrock state of active lane ``a`` into free lane ``b`` (compaction)."""
    for r in range(rreg.shape[0]):
        rreg[r, b] = rreg[r, a]
    for r in range(rjreg.shape[0]):
        rjreg[r, b] = rjreg[r, a]
    ns = ry.shape[0]
    for i in range(ns):
        ry[i, b] = ry[i, a]
        rf0[i, b] = rf0[i, a]
        rdfdt[i, b] = rdfdt[i, a]
        for j in range(ns):
            rJ[i, j, b] = rJ[i, j, a]
    for r in range(rf.shape[0]):
        rf[r, b] = rf[r, a]
    for r in range(ri.shape[0]):
        ri[r, b] = ri[r, a]
    ri[RI_ACTIVE, a] = 0


@njit(**_INLINE)
def _finish(l, p_, code, tt, cnt, active, status, t_fail, nsteps, nfev, njev, nlu):
    nlu[p_] = cnt[l, 4]
    status[p_] = code
    t_fail[p_] = tt
    nsteps[p_] = cnt[l, 0]
    nfev[p_] = cnt[l, 1]
    njev[p_] = cnt[l, 2]
    active[l] = False


@njit(**_JIT)
def _refill(
    l, nxt, stop, method, reg, y, k, t, h, tend, active, rejected, forced, nforced, pat, evp, isave, lfacold, iasti,
    nonsti, cnt, ys, fs, wy, wf, regj, rhs_code, rhs_out, rhs_ninv,
    Y0, P, t0, t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
    rtol, atol, out, status, t_fail, nsteps, nfev, njev, nlu, ymax, ymin, horder,
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
        for q in range(5):
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
            _finish(l, p_, STATUS_NONFINITE, t0, cnt, active, status, t_fail, nsteps, nfev, njev, nlu)
            continue
        for i in range(ns):
            k[0, i, l] = fs[i]
        hh, ok = _hinit(rhs_code, rhs_ninv, rhs_out, reg, l, t0, ys, fs, horder, tend[l] - t0, atol, rtol, wy, wf)
        cnt[l, 1] = 2
        h[l] = hh
        active[l] = True
        return nxt
    active[l] = False
    pat[l] = -1
    return nxt


# Rodas4 over lanes (the stiff path) ------------------------------------------------
# Hairer & Wanner's RODAS (Solving ODEs II, Section IV.7; rodas.f, METH = 1): a stiffly accurate,
# L-stable Rosenbrock method of order 4 with an embedded order-3 solution (the error is the last
# stage's increment) and a continuous extension of order 3 at no extra evaluation. Transformed form:
# every stage solves (I/(gamma h) - J) k_i = f(y + sum_j a_ij k_j) + h d_i df/dt + sum_j c_ij k_j / h.
RG = 0.25
RC2, RC3, RC4 = 0.386, 0.21, 0.63
RD1, RD2, RD3, RD4 = 0.25, -0.1043, 0.1035, -0.3620000000000023e-01
RA21 = 0.1544e01
RA31, RA32 = 0.9466785280815826, 0.2557011698983284
RA41, RA42, RA43 = 0.3314825187068521e01, 0.2896124015972201e01, 0.9986419139977817
RA51, RA52, RA53, RA54 = 0.1221224509226641e01, 0.6019134481288629e01, 0.1253708332932087e02, -0.6878860361058950
RC21 = -0.56688e01
RC31, RC32 = -0.2430093356833875e01, -0.2063599157091915
RC41, RC42, RC43 = -0.1073529058151375, -0.9594562251023355e01, -0.2047028614809616e02
RC51, RC52, RC53, RC54 = 0.7496443313967647e01, -0.1024680431464352e02, -0.3399990352819905e02, 0.1170890893206160e02
RC61, RC62, RC63, RC64, RC65 = (0.8083246795921522e01, -0.7981132988064893e01, -0.3152159432874371e02,
                                0.1631930543123136e02, -0.6058818238834054e01)
RH21, RH22, RH23, RH24, RH25 = (0.1012623508344586e02, -0.7487995877610167e01, -0.3480091861555747e02,
                                -0.7992771707568823e01, 0.1025137723295662e01)
RH31, RH32, RH33, RH34, RH35 = (-0.6762803392801253, 0.6087714651680015e01, 0.1643084320892478e02,
                                0.2476722511418386e02, -0.6594389125716872e01)
#: step-size control (Hairer's rodas.f / Gustafsson's predictive controller): fac in [1/6, 5]
R_FACMIN = 1.0 / 6.0
R_FACMAX = 5.0
#: multipliers above this in the unpivoted LU send the lane to a partially pivoted factorisation
R_GROWTH = 1e3
#: back to Dormand-Prince when h * rho(J) (weighted infinity norm) stays below this for STIFF_COUNT steps
NONSTIFF_HRHO = 2.0

# per-lane float fields of the Rosenbrock lanes (rows of ``rf``)
(RF_T, RF_H, RF_TEND, RF_HOLD, RF_LERROLD, RF_ERR, RF_HNEW, RF_RHO, RF_INV, RF_INVH, RF_ACC, RF_ACC2,
 RF_TH) = range(13)
N_RF = 13
# per-lane int fields (rows of ``ri``); counters as in the Dormand-Prince lanes
(RI_PAT, RI_EVP, RI_ISAVE, RI_ACTIVE, RI_NEEDJ, RI_REJECT, RI_FIRST, RI_NONST, RI_HITS, RI_NFORCED, RI_FORCE,
 RI_PIV, RI_BAD, RI_STEPS, RI_NFEV, RI_NJEV, RI_NACC, RI_NLU) = range(18)
N_RI = 18
# parked patients (between the two lane groups): float fields t, h; int fields evp, isave and the 5 counters
PK_T, PK_H = 0, 1
PK_EVP, PK_ISAVE, PK_CNT = 0, 1, 2
#: column of ``pk_i`` counting a patient's returns from Rosenbrock to Dormand-Prince (the hysteresis)
PK_NRET = 7
#: the return test's count doubles with every return, up to STIFF_COUNT << this
MAX_RET_SHIFT = 8


@njit(**_INLINE)
def _queue_push(qs, which, queue, q):
    m = queue.shape[1]
    queue[which, qs[2 * which + 1] % m] = q
    qs[2 * which + 1] += 1


@njit(**_INLINE)
def _queue_len(qs, which):
    return qs[2 * which + 1] - qs[2 * which]


@njit(**_INLINE)
def _queue_pop(qs, which, queue):
    m = queue.shape[1]
    q = queue[which, qs[2 * which] % m]
    qs[2 * which] += 1
    return q


@njit(**_JIT)
def _lu_pivoted_lane(W, rdiag, piv, l, J, inv):
    """Partially pivoted LU of ``I*inv - J`` into lane ``l`` of ``W`` (unit lower part, multipliers
    stored); ``rdiag`` gets the reciprocals of U's diagonal, ``piv`` the row exchanges. False if singular."""
    n = W.shape[0]
    for i in range(n):
        for j in range(n):
            W[i, j, l] = -J[i, j, l]
        W[i, i, l] += inv
    for k in range(n):
        p = k
        m = abs(W[k, k, l])
        for i in range(k + 1, n):
            if abs(W[i, k, l]) > m:
                m = abs(W[i, k, l])
                p = i
        piv[k, l] = p
        if m == 0.0 or m != m:
            return False
        if p != k:
            for j in range(n):
                tmp = W[k, j, l]
                W[k, j, l] = W[p, j, l]
                W[p, j, l] = tmp
        r = 1.0 / W[k, k, l]
        rdiag[k, l] = r
        for i in range(k + 1, n):
            W[i, k, l] *= r
            f = W[i, k, l]
            for j in range(k + 1, n):
                W[i, j, l] -= f * W[k, j, l]
    return True


@njit(**_INLINE)
def _lu_solve_lanes(W, rdiag, piv, ri, b, width, anypiv):
    """Solve ``W x = b`` in place for every lane (``b``: (n, L)); lanes with ``ri[RI_PIV]`` were pivoted."""
    n = W.shape[0]
    if anypiv:
        for l in range(width):
            if ri[RI_PIV, l] != 0:
                for k in range(n):
                    p = piv[k, l]
                    if p != k:
                        tmp = b[k, l]
                        b[k, l] = b[p, l]
                        b[p, l] = tmp
    for i in range(1, n):
        for j in range(i):
            for l in range(width):
                b[i, l] -= W[i, j, l] * b[j, l]
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            for l in range(width):
                b[i, l] -= W[i, j, l] * b[j, l]
        for l in range(width):
            b[i, l] *= rdiag[i, l]


@njit(**_JIT)
def _ros_finish(l, code, tt, ri, status, t_fail, nsteps, nfev, njev, nlu):
    p_ = ri[RI_PAT, l]
    status[p_] = code
    t_fail[p_] = tt
    nsteps[p_] = ri[RI_STEPS, l]
    nfev[p_] = ri[RI_NFEV, l]
    njev[p_] = ri[RI_NJEV, l]
    nlu[p_] = ri[RI_NLU, l]
    ri[RI_ACTIVE, l] = 0


@njit(**_JIT)
def _ros_fill(
    l, q, start, rf, ri, rreg, rjreg, ry, rf0, pk_y, pk_par, pk_f, pk_i,
    rhs_code, rhs_out, rhs_ninv, jac_code, jac_ninv, ev_count, ev_time, t1, atol, rtol, ys, fs, wy, wf,
    status, t_fail, nsteps, nfev, njev, nlu,
):
    """Start parked patient ``q`` (local index) in Rosenbrock lane ``l``."""
    ns = ry.shape[0]
    npar = pk_par.shape[1]
    p_ = start + q
    ri[RI_PAT, l] = p_
    for j in range(npar):
        rreg[1 + ns + j, l] = pk_par[q, j]
        rjreg[1 + ns + j, l] = pk_par[q, j]
    eval_col_range(rhs_code, rreg, l, 0, rhs_ninv)
    eval_col_range(jac_code, rjreg, l, 0, jac_ninv)
    t = pk_f[q, PK_T]
    rf[RF_T, l] = t
    ri[RI_EVP, l] = pk_i[q, PK_EVP]
    ri[RI_ISAVE, l] = pk_i[q, PK_ISAVE]
    ri[RI_STEPS, l] = pk_i[q, PK_CNT]
    ri[RI_NFEV, l] = pk_i[q, PK_CNT + 1]
    ri[RI_NJEV, l] = pk_i[q, PK_CNT + 2]
    ri[RI_NACC, l] = pk_i[q, PK_CNT + 3]
    ri[RI_NLU, l] = pk_i[q, PK_CNT + 4]
    for i in range(ns):
        ys[i] = pk_y[q, i]
        ry[i, l] = ys[i]
    tend = _segment_end(t, p_, ri[RI_EVP, l], ev_count, ev_time, t1)
    rf[RF_TEND, l] = tend
    ri[RI_ACTIVE, l] = 1
    ok = _f_lane(rhs_code, rhs_ninv, rhs_out, rreg, l, t, ys, fs)
    ri[RI_NFEV, l] += 1
    if not ok:
        _ros_finish(l, STATUS_NONFINITE, t, ri, status, t_fail, nsteps, nfev, njev, nlu)
        return
    for i in range(ns):
        rf0[i, l] = fs[i]
    h = pk_f[q, PK_H]
    if not (h > 0.0):
        h, ok = _hinit(rhs_code, rhs_ninv, rhs_out, rreg, l, t, ys, fs, 3.0, tend - t, atol, rtol, wy, wf)
        ri[RI_NFEV, l] += 1
        if not ok:
            h = 1e-6 * (tend - t)
    rf[RF_H, l] = min(h, tend - t)
    ri[RI_NEEDJ, l] = 1
    ri[RI_REJECT, l] = 0
    ri[RI_FIRST, l] = 1
    ri[RI_NONST, l] = 0
    ri[RI_NFORCED, l] = 0
    ri[RI_FORCE, l] = 0
    rf[RF_LERROLD, l] = 0.0
    rf[RF_HOLD, l] = h


@njit(**_JIT)
def ros_iterate(
    width, method, start, rf, ri, rreg, rjreg, ry, ryn, rf0, rk, rJ, rdfdt, rW, rdiag, rpiv, rb,
    pk_y, pk_par, pk_f, pk_i, qs, queue,
    rhs_code, rhs_out, rhs_ninv, jac_code, jac_out, jac_ninv,
    t1, save, sel, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, nonneg,
    rtol, atol, max_steps, max_nfev, out, status, t_fail, nsteps, nfev, njev, nlu, ymax, ymin, ys, fs,
    wy, wf,
):
    """One Rodas4 step (attempt) for every active Rosenbrock lane ``0..width-1``.

    Vectorised over lanes: the Jacobian tape (for lanes that need a new
    Jacobian: after an accepted step or an event; a rejected step reuses it),
    the iteration matrix and its LU factorisation (unpivoted, with a partially
    pivoted fallback per lane when a multiplier exceeds ``R_GROWTH``), six
    right-hand-side evaluations, the triangular solves, the error norm and the
    step-size controller. Per lane: acceptance, dense output at save points,
    events, and (method ``auto``) the hand-back to Dormand-Prince when
    ``h * rho(J)`` has stayed below :data:`NONSTIFF_HRHO` for
    :data:`STIFF_COUNT` steps, ``rho`` the infinity norm of the Jacobian scaled
    by the error weights (an upper bound of its spectral radius).
    """
    ns = ry.shape[0]
    ncode = rhs_code.shape[0]
    njcode = jac_code.shape[0]
    nsave = save.size
    nsel = sel.size
    # step to the segment end if close; inactive lanes get harmless values
    anyj = False
    for l in range(width):
        if ri[RI_ACTIVE, l] != 0:
            t = rf[RF_T, l]
            h = rf[RF_H, l]
            te = rf[RF_TEND, l]
            if t + h >= te or t + 1.0000001 * h >= te:
                rf[RF_H, l] = te - t
                ri[RI_HITS, l] = 1
            else:
                ri[RI_HITS, l] = 0
            if ri[RI_NEEDJ, l] != 0:
                anyj = True
        else:
            rf[RF_H, l] = 1.0
            ri[RI_NEEDJ, l] = 0
            ri[RI_HITS, l] = 0
    # Jacobian and df/dt where needed ---------------------------------------------------
    if anyj:
        for l in range(width):
            rjreg[0, l] = rf[RF_T, l]
        for i in range(ns):
            for l in range(width):
                rjreg[1 + i, l] = ry[i, l]
        eval_lanes_from(jac_code, jac_ninv, njcode, rjreg, 0, width)
        # copied for every lane: a lane that reuses its Jacobian (after a rejected step) gets the same
        # values again (same t, y and parameters), and unmasked copies are vector moves
        for i in range(ns):
            for j in range(ns):
                o = jac_out[i * ns + j]
                for l in range(width):
                    rJ[i, j, l] = rjreg[o, l]
            o = jac_out[ns * ns + i]
            for l in range(width):
                rdfdt[i, l] = rjreg[o, l]
        # finiteness for all lanes at once: x * 0 is 0 unless x is infinite or NaN
        for l in range(width):
            rf[RF_ACC, l] = 0.0
        for i in range(ns):
            for l in range(width):
                rf[RF_ACC, l] += rdfdt[i, l] * 0.0
            for j in range(ns):
                for l in range(width):
                    rf[RF_ACC, l] += rJ[i, j, l] * 0.0
        if method == METHOD_AUTO or method == METHOD_AUTO8:
            # rho: infinity norm of D^-1 J D, D the error weights (same eigenvalues as J), all lanes at
            # once (rdiag is scratch until the factorisation below)
            for j in range(ns):
                aj = atol[j]
                for l in range(width):
                    rdiag[j, l] = aj + rtol * abs(ry[j, l])
            for l in range(width):
                rf[RF_RHO, l] = 0.0
            for i in range(ns):
                for l in range(width):
                    rf[RF_ACC2, l] = 0.0
                for j in range(ns):
                    for l in range(width):
                        rf[RF_ACC2, l] += abs(rJ[i, j, l]) * rdiag[j, l]
                for l in range(width):
                    sr = rf[RF_ACC2, l] / rdiag[i, l]
                    rf[RF_RHO, l] = sr if sr > rf[RF_RHO, l] else rf[RF_RHO, l]
        for l in range(width):
            if ri[RI_NEEDJ, l] != 0:
                ri[RI_NJEV, l] += 1
                ri[RI_NEEDJ, l] = 0  # a rejected step retries with this Jacobian
                if rf[RF_ACC, l] != 0.0:
                    _ros_finish(l, STATUS_NONFINITE, rf[RF_T, l], ri, status, t_fail, nsteps, nfev, njev, nlu)
                    rf[RF_H, l] = 1.0
    # iteration matrix and its LU factorisation, all lanes at once (no pivoting) ------------
    for l in range(width):
        rf[RF_INV, l] = 1.0 / (RG * rf[RF_H, l])
    for l in range(width):
        rf[RF_INVH, l] = 1.0 / rf[RF_H, l]  # (the stages multiply by it: one division per lane, not 30)
    for i in range(ns):
        for j in range(ns):
            for l in range(width):
                rW[i, j, l] = -rJ[i, j, l]
        for l in range(width):
            rW[i, i, l] += rf[RF_INV, l]
    for l in range(width):
        rb[0, l] = 0.0  # (scratch: largest multiplier per lane)
    for k in range(ns):
        for l in range(width):
            rdiag[k, l] = 1.0 / rW[k, k, l]
        for i in range(k + 1, ns):
            for l in range(width):
                rW[i, k, l] *= rdiag[k, l]
            for l in range(width):
                a = abs(rW[i, k, l])
                rb[0, l] = a if (a > rb[0, l] or a != a) else rb[0, l]
            for j in range(k + 1, ns):
                for l in range(width):
                    rW[i, j, l] -= rW[i, k, l] * rW[k, j, l]
    anypiv = False
    for l in range(width):
        ri[RI_PIV, l] = 0
        ri[RI_BAD, l] = 0
        if ri[RI_ACTIVE, l] == 0:
            continue
        ri[RI_NLU, l] += 1
        bad = not (rb[0, l] <= R_GROWTH)
        if not bad:
            for k in range(ns):
                if not np.isfinite(rdiag[k, l]):
                    bad = True
        if bad:
            ri[RI_PIV, l] = 1
            anypiv = True
            if not _lu_pivoted_lane(rW, rdiag, rpiv, l, rJ, rf[RF_INV, l]):
                ri[RI_BAD, l] = 1  # singular: the lane retries with a smaller step below
                ri[RI_PIV, l] = 0
                for k in range(ns):
                    rdiag[k, l] = 0.0
    # the six stages ----------------------------------------------------------------------
    # stage 1 (each stage's right-hand side is built in rk[s] and solved in place there)
    k0 = rk[0]
    for i in range(ns):
        for l in range(width):
            k0[i, l] = rf0[i, l] + rf[RF_H, l] * RD1 * rdfdt[i, l]
    _lu_solve_lanes(rW, rdiag, rpiv, ri, k0, width, anypiv)
    for s in range(1, 6):
        if s == 1:
            c = RC2
            for i in range(ns):
                for l in range(width):
                    rreg[1 + i, l] = ry[i, l] + RA21 * rk[0, i, l]
        elif s == 2:
            c = RC3
            for i in range(ns):
                for l in range(width):
                    rreg[1 + i, l] = ry[i, l] + RA31 * rk[0, i, l] + RA32 * rk[1, i, l]
        elif s == 3:
            c = RC4
            for i in range(ns):
                for l in range(width):
                    rreg[1 + i, l] = ry[i, l] + RA41 * rk[0, i, l] + RA42 * rk[1, i, l] + RA43 * rk[2, i, l]
        elif s == 4:
            c = 1.0
            for i in range(ns):
                for l in range(width):
                    ryn[i, l] = ry[i, l] + RA51 * rk[0, i, l] + RA52 * rk[1, i, l] + RA53 * rk[2, i, l] \
                        + RA54 * rk[3, i, l]
            for i in range(ns):
                for l in range(width):
                    rreg[1 + i, l] = ryn[i, l]
        else:
            c = 1.0
            for i in range(ns):
                for l in range(width):
                    ryn[i, l] = ryn[i, l] + rk[4, i, l]
            for i in range(ns):
                for l in range(width):
                    rreg[1 + i, l] = ryn[i, l]
        for l in range(width):
            rreg[0, l] = rf[RF_T, l] + c * rf[RF_H, l]
        eval_lanes_from(rhs_code, rhs_ninv, ncode, rreg, 0, width)
        ks = rk[s]
        for i in range(ns):
            o = rhs_out[i]
            if s == 1:
                for l in range(width):
                    ks[i, l] = rreg[o, l] + rf[RF_H, l] * RD2 * rdfdt[i, l] + RC21 * rk[0, i, l] * rf[RF_INVH, l]
            elif s == 2:
                for l in range(width):
                    ks[i, l] = rreg[o, l] + rf[RF_H, l] * RD3 * rdfdt[i, l] + (
                        RC31 * rk[0, i, l] + RC32 * rk[1, i, l]) * rf[RF_INVH, l]
            elif s == 3:
                for l in range(width):
                    ks[i, l] = rreg[o, l] + rf[RF_H, l] * RD4 * rdfdt[i, l] + (
                        RC41 * rk[0, i, l] + RC42 * rk[1, i, l] + RC43 * rk[2, i, l]) * rf[RF_INVH, l]
            elif s == 4:
                for l in range(width):
                    ks[i, l] = rreg[o, l] + (RC51 * rk[0, i, l] + RC52 * rk[1, i, l] + RC53 * rk[2, i, l]
                                             + RC54 * rk[3, i, l]) * rf[RF_INVH, l]
            else:
                for l in range(width):
                    ks[i, l] = rreg[o, l] + (RC61 * rk[0, i, l] + RC62 * rk[1, i, l] + RC63 * rk[2, i, l]
                                             + RC64 * rk[3, i, l] + RC65 * rk[4, i, l]) * rf[RF_INVH, l]
        _lu_solve_lanes(rW, rdiag, rpiv, ri, ks, width, anypiv)
    # new solution, error (the last increment), controller --------------------------------
    for i in range(ns):
        for l in range(width):
            ryn[i, l] = ryn[i, l] + rk[5, i, l]
    for l in range(width):
        rf[RF_ERR, l] = 0.0
    for i in range(ns):
        ai = atol[i]
        for l in range(width):
            a0 = abs(ry[i, l])
            a1 = abs(ryn[i, l])
            q = rk[5, i, l] / (ai + rtol * (a0 if a0 >= a1 else a1))
            rf[RF_ERR, l] += q * q
    for l in range(width):
        rf[RF_ERR, l] = np.sqrt(rf[RF_ERR, l] / ns)
    # f at the new point (the next step's first stage; wasted on rejected lanes)
    for i in range(ns):
        for l in range(width):
            rreg[1 + i, l] = ryn[i, l]
    for l in range(width):
        rreg[0, l] = rf[RF_T, l] + rf[RF_H, l]
    eval_lanes_from(rhs_code, rhs_ninv, ncode, rreg, 0, width)
    # proposals: hnew = h / fac, fac = clip(err^(1/4) / SAFE); accepted steps after the first also
    # take Gustafsson's predictive factor (h_old/h) (err^2/err_old)^(1/4) / SAFE if it is larger
    for l in range(width):
        el = rf[RF_ERR, l]
        lerr = fast_log(el if el > 0.0 else 0.0)
        fac = fast_exp(0.25 * lerr) / SAFE
        fac = R_FACMIN if fac < R_FACMIN else (R_FACMAX if fac > R_FACMAX else fac)
        if el <= 1.0 and ri[RI_FIRST, l] == 0:
            fp = rf[RF_HOLD, l] / rf[RF_H, l] * fast_exp(0.25 * (2.0 * lerr - rf[RF_LERROLD, l])) / SAFE
            fp = R_FACMIN if fp < R_FACMIN else (R_FACMAX if fp > R_FACMAX else fp)
            fac = fp if fp > fac else fac
        rf[RF_HNEW, l] = rf[RF_H, l] / fac
    # the first save point inside each accepted step, all lanes at once (as in the Dormand-Prince
    # lanes): its place (2.0 = at the step's end, where the value is ryn itself; < 0: none) and the
    # continuous extension there, into rb; further save points of a long step are done lane by lane
    for l in range(width):
        tv = -1.0
        el = rf[RF_ERR, l]
        isv = ri[RI_ISAVE, l]
        accepted = ri[RI_BAD, l] == 0 and np.isfinite(el) and (el <= 1.0 or ri[RI_FORCE, l] != 0)
        if ri[RI_ACTIVE, l] != 0 and accepted and isv < nsave:
            hits = ri[RI_HITS, l] != 0
            tn = rf[RF_TEND, l] if hits else rf[RF_T, l] + rf[RF_H, l]
            sv = save[isv]
            if sv == tn and ((not hits) or rf[RF_TEND, l] >= t1):
                tv = 2.0
            elif sv < tn:
                tv = (sv - rf[RF_T, l]) / rf[RF_H, l]
        rf[RF_TH, l] = tv
    for i in range(ns):
        for l in range(width):
            th = rf[RF_TH, l]
            th1 = 1.0 - th
            c3 = (RH21 * rk[0, i, l] + RH22 * rk[1, i, l] + RH23 * rk[2, i, l] + RH24 * rk[3, i, l]
                  + RH25 * rk[4, i, l])
            c4 = (RH31 * rk[0, i, l] + RH32 * rk[1, i, l] + RH33 * rk[2, i, l] + RH34 * rk[3, i, l]
                  + RH35 * rk[4, i, l])
            yd = ry[i, l] * th1 + th * (ryn[i, l] + th1 * (c3 + th * c4))
            rb[i, l] = ryn[i, l] if th == 2.0 else yd
    # per-lane decisions ----------------------------------------------------------------------
    for l in range(width):
        if ri[RI_ACTIVE, l] == 0:
            continue
        ri[RI_STEPS, l] += 1
        ri[RI_NFEV, l] += 6
        t = rf[RF_T, l]
        h = rf[RF_H, l]
        el = rf[RF_ERR, l]
        p_ = ri[RI_PAT, l]
        hmin = HMIN_ULPS * max(abs(t), 1e-300)
        if ri[RI_BAD, l] != 0:
            rf[RF_H, l] = 0.5 * h
            ri[RI_REJECT, l] = 1
            if 0.5 * h <= hmin:
                _ros_finish(l, STATUS_SINGULAR, t, ri, status, t_fail, nsteps, nfev, njev, nlu)
        elif not np.isfinite(el):
            rf[RF_H, l] = 0.25 * h
            ri[RI_REJECT, l] = 1
            if 0.25 * h <= hmin:
                _ros_finish(l, STATUS_NONFINITE, t, ri, status, t_fail, nsteps, nfev, njev, nlu)
        elif el <= 1.0 or ri[RI_FORCE, l] != 0:
            if ri[RI_FORCE, l] != 0:
                ri[RI_FORCE, l] = 0
                ri[RI_NFORCED, l] += 1
                el = 1.0
            ri[RI_NACC, l] += 1
            hits = ri[RI_HITS, l] != 0
            te = rf[RF_TEND, l]
            tn = te if hits else t + h
            # save points in this step: the continuous extension of order 3
            own_end = (not hits) or te >= t1
            isv = ri[RI_ISAVE, l]
            if rf[RF_TH, l] >= 0.0:
                for i in range(ns):
                    v = rb[i, l]
                    if v < ymin[p_, i]:
                        ymin[p_, i] = v
                for q in range(nsel):
                    v = rb[sel[q], l]
                    if nonneg[sel[q]] and v < 0.0:
                        v = 0.0
                    out[p_, isv, q] = v
                isv += 1
            while isv < nsave and (save[isv] < tn or (own_end and save[isv] == tn)):
                sv = save[isv]
                if sv == tn:
                    for i in range(ns):
                        ys[i] = ryn[i, l]
                else:
                    th = (sv - t) / h
                    th1 = 1.0 - th
                    for i in range(ns):
                        c3 = (RH21 * rk[0, i, l] + RH22 * rk[1, i, l] + RH23 * rk[2, i, l] + RH24 * rk[3, i, l]
                              + RH25 * rk[4, i, l])
                        c4 = (RH31 * rk[0, i, l] + RH32 * rk[1, i, l] + RH33 * rk[2, i, l] + RH34 * rk[3, i, l]
                              + RH35 * rk[4, i, l])
                        ys[i] = ry[i, l] * th1 + th * (ryn[i, l] + th1 * (c3 + th * c4))
                for i in range(ns):
                    if ys[i] < ymin[p_, i]:
                        ymin[p_, i] = ys[i]
                for q in range(nsel):
                    v = ys[sel[q]]
                    if nonneg[sel[q]] and v < 0.0:
                        v = 0.0
                    out[p_, isv, q] = v
                isv += 1
            ri[RI_ISAVE, l] = isv
            finite = True
            for i in range(ns):
                ry[i, l] = ryn[i, l]
                a = abs(ryn[i, l])
                if a > ymax[p_, i]:
                    ymax[p_, i] = a
                v = rreg[rhs_out[i], l]
                rf0[i, l] = v
                if not np.isfinite(v):
                    finite = False
            hnew = rf[RF_HNEW, l]
            if ri[RI_REJECT, l] != 0:
                hnew = min(hnew, h)
            ri[RI_REJECT, l] = 0
            ri[RI_FIRST, l] = 0
            rf[RF_HOLD, l] = h
            rf[RF_LERROLD, l] = fast_log(el if el > 0.01 else 0.01)
            ri[RI_NEEDJ, l] = 1
            rf[RF_T, l] = tn
            rf[RF_H, l] = hnew
            if not finite:
                _ros_finish(l, STATUS_NONFINITE, tn, ri, status, t_fail, nsteps, nfev, njev, nlu)
                continue
            if hits:
                if tn >= t1:
                    _ros_finish(l, STATUS_OK, tn, ri, status, t_fail, nsteps, nfev, njev, nlu)
                    continue
                # event: jump, parameters into both register files, saves after the jump
                for i in range(ns):
                    ys[i] = ry[i, l]
                e0 = ri[RI_EVP, l]
                e = _apply_events_at(tn, p_, e0, ev_count, ev_time, ev_kind, ev_target, ev_op, ev_value, ys,
                                     nonneg, rreg, l, rjreg, False)
                for ee in range(e0, e):
                    if ev_kind[p_, ee] != EV_STATE:
                        r = 1 + ns + ev_target[p_, ee]
                        rjreg[r, l] = rreg[r, l]
                if e > e0:
                    eval_col_range(rhs_code, rreg, l, 0, rhs_ninv)
                    eval_col_range(jac_code, rjreg, l, 0, jac_ninv)
                ri[RI_EVP, l] = e
                for i in range(ns):
                    ry[i, l] = ys[i]
                ri[RI_ISAVE, l] = _save_at(p_, ri[RI_ISAVE, l], tn, ys, save, sel, nonneg, out, ymin)
                te = _segment_end(tn, p_, e, ev_count, ev_time, t1)
                rf[RF_TEND, l] = te
                if not _f_lane(rhs_code, rhs_ninv, rhs_out, rreg, l, tn, ys, fs):
                    ri[RI_NFEV, l] += 1
                    _ros_finish(l, STATUS_NONFINITE, tn, ri, status, t_fail, nsteps, nfev, njev, nlu)
                    continue
                ri[RI_NFEV, l] += 1
                for i in range(ns):
                    rf0[i, l] = fs[i]
                # the jump restarts the integration: Hairer's starting step from f at the jump (one
                # evaluation) caps the step from before it, and the first step after it takes no
                # predictive factor (h_old/h would be the pre-dose step over the restart step). Carrying
                # the pre-dose step over cost 4 rejected steps at every dose of the stiff cohort and
                # the predictive factor then cut the accepted step 5x (measured, issue 14).
                h0, ok = _hinit(rhs_code, rhs_ninv, rhs_out, rreg, l, tn, ys, fs, 3.0, te - tn, atol, rtol,
                                wy, wf)
                ri[RI_NFEV, l] += 1
                rf[RF_H, l] = min(hnew, h0) if ok else min(hnew, te - tn)
                ri[RI_FIRST, l] = 1
            elif method == METHOD_AUTO or method == METHOD_AUTO8:
                # back to the explicit method once the problem has stopped being stiff
                if h * rf[RF_RHO, l] <= NONSTIFF_HRHO:
                    ri[RI_NONST, l] += 1
                else:
                    ri[RI_NONST, l] = 0
                q = p_ - start
                nret = pk_i[q, PK_NRET]
                if ri[RI_NONST, l] >= (STIFF_COUNT << (nret if nret < MAX_RET_SHIFT else MAX_RET_SHIFT)):
                    # hysteresis: a patient that came back before must show twice as many explicit-stable
                    # steps this time (a dose transient resolved with small Rosenbrock steps is not the
                    # end of stiffness; without it the stiff cohort went back and forth at every dose)
                    pk_i[q, PK_NRET] = nret + 1
                    for i in range(ns):
                        pk_y[q, i] = ry[i, l]
                    for j in range(pk_par.shape[1]):
                        pk_par[q, j] = rreg[1 + ns + j, l]
                    pk_f[q, PK_T] = tn
                    pk_f[q, PK_H] = hnew
                    pk_i[q, PK_EVP] = ri[RI_EVP, l]
                    pk_i[q, PK_ISAVE] = ri[RI_ISAVE, l]
                    pk_i[q, PK_CNT] = ri[RI_STEPS, l]
                    pk_i[q, PK_CNT + 1] = ri[RI_NFEV, l]
                    pk_i[q, PK_CNT + 2] = ri[RI_NJEV, l]
                    pk_i[q, PK_CNT + 3] = ri[RI_NACC, l]
                    pk_i[q, PK_CNT + 4] = ri[RI_NLU, l]
                    _queue_push(qs, 1, queue, q)
                    ri[RI_ACTIVE, l] = 0
                    continue
        else:
            hn = rf[RF_HNEW, l]
            rf[RF_H, l] = hn
            ri[RI_REJECT, l] = 1
            if hn <= hmin:
                if ri[RI_NFORCED, l] >= MAX_FORCED:
                    _ros_finish(l, STATUS_STEP_TOO_SMALL, t, ri, status, t_fail, nsteps, nfev, njev, nlu)
                else:
                    rf[RF_H, l] = hmin
                    ri[RI_FORCE, l] = 1
        if ri[RI_ACTIVE, l] != 0 and (ri[RI_STEPS, l] >= max_steps or ri[RI_NFEV, l] >= max_nfev):
            _ros_finish(l, STATUS_BUDGET, rf[RF_T, l], ri, status, t_fail, nsteps, nfev, njev, nlu)
