"""Baselines for the engine benchmarks: numbalsoda's LSODA and a hand-written Numba DOPRI5, per-patient loops.

Both integrate the model's right-hand side as a user would write it by hand:
the derivatives of the compiled model are printed as straight Python source
(:func:`rhs_source`; ``x^2`` as ``x*x``, as the package's own evaluator does)
and compiled by Numba, once as a plain ``@njit`` function for DOPRI5 and once
wrapped as a C callback for numbalsoda. Doses are exact: each patient is
integrated piecewise between its event times (the package's segment rule,
values saved at an event time are after the jump), the loop over patients is
inside Numba, and one thread runs it (a user's loop).

* :func:`lsoda_loop`: numbalsoda's ``lsoda`` (the ODEPACK LSODA algorithm,
  Adams/BDF with automatic stiffness switching, via a C++ port), one call per
  segment with the segment's save points as ``t_eval``.
* :func:`dopri5_loop`: Dormand-Prince 5(4) with Hairer's PI step control,
  starting step and 4th-order dense output (Hairer, Norsett & Wanner, Solving
  ODEs I, II.4-II.6), scalar, one patient at a time.

References
----------
.. [1] Hindmarsh AC (1983). ODEPACK. Petzold LR (1983). Automatic selection of methods for solving stiff and
   nonstiff systems of ordinary differential equations. SIAM J Sci Stat Comput 4:136-148.
.. [2] numbalsoda, https://github.com/Nicholaswogan/numbalsoda (LSODA in C++, callable from Numba).
.. [3] Hairer E, Norsett SP, Wanner G (1993). Solving Ordinary Differential Equations I, 2nd ed., Springer.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from oncoimmune.model.compile import CompiledModel
from oncoimmune.model.events import sort_events
from oncoimmune.model.expr import Expr, Num, Op, Sym

_BIN = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def expr_source(e: Expr, names: dict[str, str]) -> str:
    """Python source of an expression tree (``names`` maps symbols to local variable names)."""
    if isinstance(e, Num):
        return repr(float(e.value))
    if isinstance(e, Sym):
        return "t" if e.name == "t" else names[e.name]
    assert isinstance(e, Op)
    a = [expr_source(x, names) for x in e.args]
    if e.op in _BIN:
        return f"({a[0]} {_BIN[e.op]} {a[1]})"
    if e.op == "neg":
        return f"(-{a[0]})"
    if e.op == "pow":
        if isinstance(e.args[1], Num) and e.args[1].value == 2.0:
            return f"({a[0]} * {a[0]})"
        return f"({a[0]} ** {a[1]})"
    if e.op == "square":
        return f"({a[0]} * {a[0]})"
    if e.op in ("exp", "log", "sqrt"):
        return f"math.{e.op}({a[0]})"
    if e.op == "max":
        return f"max({a[0]}, {a[1]})"
    if e.op == "min":
        return f"min({a[0]}, {a[1]})"
    if e.op == "step":
        return f"(1.0 if {a[0]} > 0.0 else 0.0)"
    raise ValueError(f"no source for operation {e.op!r}")


def rhs_source(cm: CompiledModel) -> str:
    """Source of ``f(t, y, p, dy)`` and its numbalsoda C callback ``f_c`` for the compiled model."""
    names = {}
    lines = ["import math", "from numba import njit, cfunc, carray", "from numbalsoda import lsoda_sig", "",
             "@njit(cache=False, error_model='numpy')", "def f(t, y, p, dy):"]
    for i, s in enumerate(cm.state_names):
        names[s] = f"y_{i}"
        lines.append(f"    y_{i} = y[{i}]")
    for j, s in enumerate(cm.param_names):
        names[s] = f"p_{j}"
        lines.append(f"    p_{j} = p[{j}]")
    for i, d in enumerate(cm.derivatives):
        lines.append(f"    dy[{i}] = {expr_source(d, names)}")
    n, m = cm.n_states, cm.n_params
    lines += ["", "@cfunc(lsoda_sig, error_model='numpy')", "def f_c(t, u_, du_, p_):",
              f"    f(t, carray(u_, ({n},)), carray(p_, ({m},)), carray(du_, ({n},)))", ""]
    return "\n".join(lines)


def rhs_module(cm: CompiledModel) -> Any:
    """Import the generated source as a module (a file, so Numba sees ordinary Python)."""
    d = Path(tempfile.mkdtemp(prefix="oncoimmune_bench_"))
    path = d / "generated_rhs.py"
    path.write_text(rhs_source(cm))
    spec = importlib.util.spec_from_file_location(f"generated_rhs_{id(cm)}", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = mod  # type: ignore[union-attr]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def event_arrays(cm: CompiledModel, events) -> tuple[np.ndarray, ...]:
    """Events as arrays: time, kind (0 state, 1 parameter), target index, op (0 add, 1 set, 2 multiply), value."""
    evs = sort_events(tuple(events))
    t = np.array([e.time for e in evs], dtype=float)
    kind = np.array([0 if e.kind == "state" else 1 for e in evs], dtype=np.int64)
    tgt = np.array([cm.state_index(e.target) if e.kind == "state" else cm.param_index(e.target) for e in evs],
                   dtype=np.int64)
    op = np.array([{"add": 0, "set": 1, "multiply": 2}[e.op] for e in evs], dtype=np.int64)
    val = np.array([e.value for e in evs], dtype=float)
    return t, kind, tgt, op, val


@functools.lru_cache(maxsize=None)
def _kernels():
    from numba import njit
    from numbalsoda import lsoda

    @njit(cache=False)
    def apply_events(t, e, ev_t, ev_kind, ev_tgt, ev_op, ev_val, y, p, nonneg):
        while e < ev_t.size and ev_t[e] == t:
            i = ev_tgt[e]
            if ev_kind[e] == 0:
                if ev_op[e] == 0:
                    y[i] += ev_val[e]
                elif ev_op[e] == 1:
                    y[i] = ev_val[e]
                else:
                    y[i] *= ev_val[e]
                if nonneg[i] and y[i] < 0.0:
                    y[i] = 0.0
            else:
                p[i] = p[i] + ev_val[e] if ev_op[e] == 0 else ev_val[e]
            e += 1
        return e

    @njit(cache=False)
    def lsoda_run(funcptr, Y0, P, ev_t, ev_kind, ev_tgt, ev_op, ev_val, nonneg, save, t0, t1, rtol, atol, out):
        n = P.shape[0]
        ok = np.ones(n, dtype=np.bool_)
        for k in range(n):
            y = Y0[k].copy()
            p = P[k].copy()
            t = t0
            e = 0
            while e < ev_t.size and ev_t[e] < t0:
                e += 1
            isv = 0
            while True:
                e = apply_events(t, e, ev_t, ev_kind, ev_tgt, ev_op, ev_val, y, p, nonneg)
                while isv < save.size and save[isv] == t:
                    out[k, isv] = y
                    isv += 1
                tb = ev_t[e] if (e < ev_t.size and ev_t[e] < t1) else t1
                last = tb >= t1
                j = isv
                while j < save.size and (save[j] < tb or (last and save[j] == tb)):
                    j += 1
                te = np.empty(j - isv + 2)
                te[0] = t
                te[1 : 1 + j - isv] = save[isv:j]
                te[-1] = tb
                usol, success = lsoda(funcptr, y, te, data=p, rtol=rtol, atol=atol, mxstep=1000000)
                if not success:
                    ok[k] = False
                    out[k, isv:] = np.nan
                    break
                for q in range(j - isv):
                    out[k, isv + q] = usol[1 + q]
                isv = j
                y = usol[te.size - 1].copy()
                t = tb
                if last:
                    break
        return ok

    return apply_events, lsoda_run


def lsoda_loop(mod: Any, cm: CompiledModel, Y0: np.ndarray, P: np.ndarray, events, save: np.ndarray, t1: float,
               rtol: float, atol: float) -> tuple[np.ndarray, np.ndarray]:
    """numbalsoda LSODA over the patients (one thread); returns ``(y, ok)``, ``y`` of shape (n, len(save), n_states)."""
    _, run = _kernels()
    ev = event_arrays(cm, events)
    out = np.full((P.shape[0], save.size, cm.n_states), np.nan)
    Y = np.ascontiguousarray(np.broadcast_to(Y0, (P.shape[0], cm.n_states)))
    ok = run(mod.f_c.address, Y, np.ascontiguousarray(P), *ev, np.asarray(cm.nonnegative, dtype=np.bool_),
             np.asarray(save, dtype=float), 0.0, float(t1), float(rtol), float(atol), out)
    return out, ok


@functools.lru_cache(maxsize=None)
def _dopri_kernel():
    import math

    from numba import njit

    apply_events, _ = _kernels()
    c2, c3, c4, c5 = 1 / 5, 3 / 10, 4 / 5, 8 / 9
    a21 = 1 / 5
    a31, a32 = 3 / 40, 9 / 40
    a41, a42, a43 = 44 / 45, -56 / 15, 32 / 9
    a51, a52, a53, a54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
    a61, a62, a63, a64, a65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
    a71, a73, a74, a75, a76 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
    e1, e3, e4, e5, e6, e7 = 71 / 57600, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40
    d1, d3, d4, d5 = -12715105075 / 11282082432, 87487479700 / 32700410799, -10690763975 / 1880347072, \
        701980252875 / 199316789632
    d6, d7 = -1453857185 / 822651844, 69997945 / 29380423

    @njit(cache=False, error_model="numpy")
    def run(f, Y0, P, ev_t, ev_kind, ev_tgt, ev_op, ev_val, nonneg, save, t0, t1, rtol, atol, out, stats):
        npat = P.shape[0]
        n = Y0.shape[1]
        k1 = np.empty(n)
        k2 = np.empty(n)
        k3 = np.empty(n)
        k4 = np.empty(n)
        k5 = np.empty(n)
        k6 = np.empty(n)
        k7 = np.empty(n)
        yt = np.empty(n)
        y1 = np.empty(n)
        for k in range(npat):
            y = Y0[k].copy()
            p = P[k].copy()
            t = t0
            e = 0
            isv = 0
            nst = 0
            failed = False
            h = 0.0
            while not failed:
                e = apply_events(t, e, ev_t, ev_kind, ev_tgt, ev_op, ev_val, y, p, nonneg)
                while isv < save.size and save[isv] == t:
                    out[k, isv] = y
                    isv += 1
                tb = ev_t[e] if (e < ev_t.size and ev_t[e] < t1) else t1
                last = tb >= t1
                f(t, y, p, k1)
                # Hairer's starting step
                d0 = 0.0
                dd1 = 0.0
                for i in range(n):
                    sc = atol + rtol * abs(y[i])
                    d0 += (y[i] / sc) ** 2
                    dd1 += (k1[i] / sc) ** 2
                d0 = math.sqrt(d0 / n)
                dd1 = math.sqrt(dd1 / n)
                h0 = 1e-6 if (d0 < 1e-5 or dd1 < 1e-5) else 0.01 * d0 / dd1
                h0 = min(h0, tb - t)
                for i in range(n):
                    yt[i] = y[i] + h0 * k1[i]
                f(t + h0, yt, p, k2)
                d2 = 0.0
                for i in range(n):
                    d2 += ((k2[i] - k1[i]) / (atol + rtol * abs(y[i]))) ** 2
                d2 = math.sqrt(d2 / n) / h0
                dm = max(dd1, d2)
                h1 = max(1e-6, h0 * 1e-3) if dm <= 1e-15 else (0.01 / dm) ** 0.2
                h = min(100 * h0, h1, tb - t)
                facold = 1e-4
                reject = False
                while t < tb:
                    hit = False
                    if t + 1.0000001 * h >= tb:
                        h = tb - t
                        hit = True
                    nst += 1
                    if nst > 2_000_000:
                        failed = True
                        break
                    for i in range(n):
                        yt[i] = y[i] + h * a21 * k1[i]
                    f(t + c2 * h, yt, p, k2)
                    for i in range(n):
                        yt[i] = y[i] + h * (a31 * k1[i] + a32 * k2[i])
                    f(t + c3 * h, yt, p, k3)
                    for i in range(n):
                        yt[i] = y[i] + h * (a41 * k1[i] + a42 * k2[i] + a43 * k3[i])
                    f(t + c4 * h, yt, p, k4)
                    for i in range(n):
                        yt[i] = y[i] + h * (a51 * k1[i] + a52 * k2[i] + a53 * k3[i] + a54 * k4[i])
                    f(t + c5 * h, yt, p, k5)
                    for i in range(n):
                        yt[i] = y[i] + h * (a61 * k1[i] + a62 * k2[i] + a63 * k3[i] + a64 * k4[i] + a65 * k5[i])
                    f(t + h, yt, p, k6)
                    for i in range(n):
                        y1[i] = y[i] + h * (a71 * k1[i] + a73 * k3[i] + a74 * k4[i] + a75 * k5[i] + a76 * k6[i])
                    f(t + h, y1, p, k7)
                    err = 0.0
                    for i in range(n):
                        sc = atol + rtol * max(abs(y[i]), abs(y1[i]))
                        q = h * (e1 * k1[i] + e3 * k3[i] + e4 * k4[i] + e5 * k5[i] + e6 * k6[i] + e7 * k7[i]) / sc
                        err += q * q
                    err = math.sqrt(err / n)
                    if not np.isfinite(err):
                        failed = True
                        break
                    fac11 = err ** 0.17
                    if err <= 1.0:
                        fac = fac11 / facold ** 0.04
                        fac = max(0.1, min(5.0, fac / 0.9))
                        hnew = h / fac
                        facold = max(err, 1e-4)
                        tn = tb if hit else t + h
                        while isv < save.size and (save[isv] < tn or (last and save[isv] == tn)):
                            s = save[isv]
                            if s == tn:
                                out[k, isv] = y1
                            else:
                                th = (s - t) / h
                                th1 = 1.0 - th
                                for i in range(n):
                                    dy = y1[i] - y[i]
                                    bspl = h * k1[i] - dy
                                    dk = h * (d1 * k1[i] + d3 * k3[i] + d4 * k4[i] + d5 * k5[i] + d6 * k6[i]
                                              + d7 * k7[i])
                                    out[k, isv, i] = y[i] + th * (dy + th1 * (bspl + th * ((dy - h * k7[i] - bspl)
                                                                                         + th1 * dk)))
                            isv += 1
                        for i in range(n):
                            y[i] = y1[i]
                            k1[i] = k7[i]
                        t = tn
                        if reject:
                            hnew = min(hnew, h)
                        reject = False
                        h = hnew
                    else:
                        h = h / min(5.0, fac11 / 0.9)
                        reject = True
                if last or failed:
                    break
            if failed:
                out[k, isv:] = np.nan
            stats[k] = nst
        return 0

    return run


def dopri5_loop(mod: Any, cm: CompiledModel, Y0: np.ndarray, P: np.ndarray, events, save: np.ndarray, t1: float,
                rtol: float, atol: float) -> tuple[np.ndarray, np.ndarray]:
    """The hand-written DOPRI5 over the patients (one thread); returns ``(y, steps)``."""
    run = _dopri_kernel()
    ev = event_arrays(cm, events)
    out = np.full((P.shape[0], save.size, cm.n_states), np.nan)
    steps = np.zeros(P.shape[0], dtype=np.int64)
    Y = np.ascontiguousarray(np.broadcast_to(Y0, (P.shape[0], cm.n_states)))
    run(mod.f, Y, np.ascontiguousarray(P), *ev, np.asarray(cm.nonnegative, dtype=np.bool_),
        np.asarray(save, dtype=float), 0.0, float(t1), float(rtol), float(atol), out, steps)
    return out, steps
