"""Integration with events that belong to the model (:class:`~oncoimmune.model.events.TriggeredEvent`).

Used by the SciPy reference engine when a compiled model carries events. The
semantics are those of SBML Level 3 [1]_ (section 4.12):

1. An event is *triggered* when its trigger changes from false to true. The
   value just before the start is the event's ``initial_value``, so an event
   whose trigger holds at ``t0`` fires at ``t0`` only if ``initial_value`` is
   false.
2. Its delay is evaluated when triggered; the execution is queued for
   ``t + delay``. With ``use_values_from_trigger_time`` the assigned values are
   computed when triggered, otherwise when executed.
3. A non-persistent event's pending executions are cancelled when its
   trigger turns false before they run.
4. At one instant, the ready executions run one at a time, highest priority
   first (no priority ranks lowest; ties in the order they were triggered);
   after each, every trigger is re-evaluated, so an execution may trigger or
   cancel others at the same instant. Executions whose priorities are set and
   equal go in random order, as SBML requires, drawn from a generator seeded
   with 0 so that every run gives the same answer.
5. Between instants the ODE is integrated with the chosen SciPy method; a
   trigger change inside a step is located on the step's dense output (regula
   falsi on the trigger's relations, then bisection) to within a few ulps of
   time, and the solver restarts there. The solver also stops and restarts at
   the model's time breakpoints (:attr:`CompiledModel.time_breakpoints`, e.g.
   the ends of an infusion written with ``piecewise``).

Timed jumps (:class:`~oncoimmune.model.events.Event`, doses) are applied at
their times before the model's events of that instant are checked.

References
----------
.. [1] Hucka et al. (2019). SBML Level 3 Version 2 Core Release 2.
   J Integr Bioinform 16:20190021, section 4.12.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..model.expr import Expr, Op, compile_expr
from ._scipy_common import Budget, CountedProblem, NonFinite, check_nonnegative, failure_reason
from .base import Problem, Solution, apply_events

__all__ = ["solve_triggered"]


@dataclass
class _Pending:
    time: float
    k: int
    values: np.ndarray | None
    seq: int


def _relations(e: Expr) -> list[Expr]:
    """``a - b`` for every relation ``a < b`` (etc.) inside a trigger: continuous functions whose
    sign changes where the trigger can change, so their roots can be found by regula falsi."""
    out: list[Expr] = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, Op):
            if n.op in ("lt", "le", "gt", "ge", "eq", "ne"):
                out.append(n.args[0] - n.args[1])
            else:
                stack.extend(n.args)
    return out


def _illinois(g: Any, lo: float, hi: float, glo: float, ghi: float, tol: float) -> float:
    """Root of ``g`` in ``[lo, hi]`` (sign change given) by the Illinois variant of regula falsi."""
    side = 0
    for _ in range(60):
        if hi - lo <= tol:
            break
        m = (lo * ghi - hi * glo) / (ghi - glo)
        if not (lo < m < hi):
            m = 0.5 * (lo + hi)
        gm = g(m)
        if gm == 0.0:
            return m
        if (gm > 0) == (ghi > 0):
            hi, ghi = m, gm
            if side == -1:
                glo *= 0.5
            side = -1
        else:
            lo, glo = m, gm
            if side == 1:
                ghi *= 0.5
            side = 1
    return hi


def _fn(e: Any, cm: Any) -> Any:
    return None if e is None else compile_expr(e, cm.index, np)


def solve_triggered(pb: Problem, method: str, solver_cls: Any, engine_name: str) -> Solution:
    """Integrate ``pb`` whose compiled model has triggered events (see the module notes)."""
    cm = pb.compiled
    cp = CountedProblem(pb, method, quiet=False)  # the whole loop runs under np.errstate(all="ignore")
    p, y, save, out, counter = cp.p, cp.y, cp.save, cp.out, cp.counter
    rhs, jac, jac_fn = cp.rhs, cp.jac, cp.jac_fn

    evs = cm.events
    trig_all = cm._vector_fn("event_triggers", tuple(e.trigger for e in evs), np)
    rng = np.random.default_rng(0)
    rels = [[compile_expr(r, cm.index, np) for r in _relations(e.trigger)] for e in evs]
    delay = [_fn(e.delay, cm) for e in evs]
    prio = [_fn(e.priority, cm) for e in evs]
    vals = [[_fn(x, cm) for x in e.values] for e in evs]
    targets = [np.array(e.targets, dtype=int) for e in evs]
    prev = [bool(e.initial_value) for e in evs]
    queue: list[_Pending] = []
    seq = [0]

    def value(fn: Any, t: float, yy: np.ndarray) -> float:
        return float(fn(t, yy, p))

    def triggers(t: float, yy: np.ndarray) -> list[bool]:
        return (trig_all(t, yy, p) != 0.0).tolist()

    def assigned(k: int, t: float) -> np.ndarray:
        return np.array([value(g, t, y) for g in vals[k]], dtype=float)

    def check(t: float) -> None:
        cur = triggers(t, y)
        for k, c in enumerate(cur):
            if c and not prev[k]:
                d = 0.0 if delay[k] is None else value(delay[k], t, y)
                if not math.isfinite(d) or d < 0:
                    raise NonFinite(t, f"delay of event {evs[k].name!r} ({d})")
                v = assigned(k, t) if evs[k].use_values_from_trigger_time else None
                queue.append(_Pending(t + d, k, v, seq[0]))
                seq[0] += 1
            elif not c and prev[k] and not evs[k].persistent:
                queue[:] = [q for q in queue if q.k != k]
            prev[k] = c

    def instant(t: float) -> None:
        check(t)
        tol = 4 * np.finfo(float).eps * max(1.0, abs(t))
        for _ in range(100_000):
            ready = [q for q in queue if q.time <= t + tol]
            if not ready:
                return
            def prio_of(q: _Pending) -> float:
                pr = -math.inf if prio[q.k] is None else value(prio[q.k], t, y)
                return -math.inf if math.isnan(pr) else pr

            prs = [prio_of(q) for q in ready]
            top = max(prs)
            best = [q for q, pr in zip(ready, prs) if pr == top]
            if len(best) > 1 and top != -math.inf:
                q = best[int(rng.integers(len(best)))]  # equal set priorities: random order (SBML 4.12.6)
            else:
                q = min(best, key=lambda x: x.seq)
            queue.remove(q)
            v = q.values if q.values is not None else assigned(q.k, t)
            y[targets[q.k]] = v
            if not np.all(np.isfinite(y)):
                raise NonFinite(t, f"state after event {evs[q.k].name!r}")
            check(t)
        raise NonFinite(t, "event cascade (more than 100000 executions at one instant)")

    flat_rels = [g for gs in rels for g in gs]
    rel_all = cm._vector_fn("event_relations", tuple(r for e in evs for r in _relations(e.trigger)), np) \
        if flat_rels else None

    def rel_signs(t: float, yy: np.ndarray) -> np.ndarray:
        return np.asarray(rel_all(t, yy, p)) > 0.0

    def bisect(lo: float, hi: float, dense: Any) -> float:
        """Earliest time in ``(lo, hi]`` with a trigger different from ``prev`` (true at ``hi``)."""
        eps = 1e-14 * max(1.0, abs(hi))
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi or hi - lo <= eps:
                break
            if triggers(mid, dense(mid)) != prev:
                hi = mid
            else:
                lo = mid
        return hi

    def find_change(lo: float, hi: float, dense: Any, y_lo: np.ndarray, y_hi: np.ndarray) -> float | None:
        """Earliest trigger change in ``(lo, hi]``, also one that is on and off again within the
        step: every relation of a trigger whose sign differs at the ends is solved for its root
        (regula falsi on the dense output) and the triggers are checked just after each root."""
        changed_end = triggers(hi, y_hi) != prev
        roots: list[float] = []
        if rel_all is not None:
            sa, sb = rel_signs(lo, y_lo), rel_signs(hi, y_hi)
            if np.any(sa != sb):
                ga, gb = np.asarray(rel_all(lo, y_lo, p)), np.asarray(rel_all(hi, y_hi, p))
                for j in np.nonzero(sa != sb)[0]:
                    g = flat_rels[j]
                    if not (math.isfinite(ga[j]) and math.isfinite(gb[j])) or ga[j] == gb[j]:
                        continue
                    roots.append(_illinois(lambda tt, g=g: float(g(tt, dense(tt), p)), lo, hi,
                                           float(ga[j]), float(gb[j]), 1e-15 * max(1.0, abs(hi))))
        if not changed_end and not roots:
            return None
        start = lo
        for r in sorted(roots):
            d = 4e-14 * max(1.0, abs(r))
            a, b = max(start, r - d), min(hi, r + d)
            if a > start and triggers(a, dense(a)) != prev:
                return bisect(start, a, dense)  # something changed before this root
            if start < r <= hi and triggers(r, dense(r)) != prev:
                return r  # true at the root itself (e.g. an equality such as time == 20)
            if triggers(b, dense(b)) != prev:
                return bisect(a, b, dense)
            start = b
        if changed_end:
            return bisect(start, hi, dense)
        return None

    doses = sorted(pb.events, key=lambda e: e.time)
    dose_times = sorted({e.time for e in doses if pb.t0 <= e.time <= pb.t1})
    breaks = [float(b) for b in cm.breakpoint_times(p) if pb.t0 < b < pb.t1]

    def apply_doses(t: float) -> None:
        at = tuple(e for e in doses if e.time == t)
        if at:
            apply_events(y, p, at, cm)

    def save_at(t: float, upto_inclusive: bool, dense: Any = None, t_from: float = -math.inf) -> None:
        """Fill save points in (t_from, t) [or up to t inclusive] from dense output, or y at t."""
        tol = 1e-12 * max(1.0, abs(t))
        if dense is None:
            m = np.abs(save - t) <= tol
            out[m] = y
            return
        m = (save > t_from + tol) & ((save <= t + tol) if upto_inclusive else (save < t - tol))
        if np.any(m):
            out[m] = np.atleast_2d(dense(save[m])).T

    status, reason = "ok", ""
    nsteps = 0
    t = float(pb.t0)
    quiet = np.errstate(all="ignore")
    quiet.__enter__()
    try:
        apply_doses(t)
        instant(t)
        save_at(t, True)
        while t < pb.t1 and status == "ok":
            future = [q.time for q in queue if q.time > t] + [d for d in dose_times if d > t] + [pb.t1]
            future += [b for b in breaks if b > t]
            t_next = min(future)
            kw = {"jac": jac} if jac_fn is not None else {}
            solver = solver_cls(rhs, t, y.copy(), t_next, rtol=pb.rtol, atol=pb.atol, **kw, **pb.options)
            hit = None
            y_old = y.copy()
            while solver.status == "running":
                t_old = solver.t
                msg = solver.step()
                if solver.status == "failed":
                    status = "failed"
                    reason = f"solver {method} stopped at t={solver.t:.6g}: {msg}"
                    break
                nsteps += 1
                if not np.all(np.isfinite(solver.y)):
                    status, reason = "failed", f"non-finite state at t={solver.t:.6g}"
                    break
                dense = solver.dense_output()
                if evs:
                    found = find_change(t_old, solver.t, dense, y_old, solver.y)
                    if found is not None:
                        hit = found
                        save_at(hit, False, dense, t_old)
                        y[:] = dense(hit) if hit < solver.t else solver.y
                        break
                y_old = np.array(solver.y)
                save_at(solver.t, solver.status == "running", dense, t_old)
            if status != "ok":
                break
            if hit is not None:
                t = hit
                if t >= t_next:
                    # a trigger found at the very end of the segment, where doses are due: apply them
                    # too (before the events, as the batched engine does), or they would be skipped
                    t = t_next
                    apply_doses(t)
            else:
                t = t_next
                y[:] = solver.y
                apply_doses(t)
            instant(t)
            save_at(t, True)
    except (Budget, NonFinite, ArithmeticError, ValueError) as exc:
        status, reason = "failed", failure_reason(exc, pb, method, f"after t={t:g} d")
    finally:
        quiet.__exit__(None, None, None)
    # contract item 6: clip round-off undershoots of populations, report larger ones
    status, reason = check_nonnegative(pb, out, save, status, reason)
    return Solution(
        t=save,
        y=out,
        status=status,
        reason=reason,
        nfev=counter["nfev"],
        njev=counter["njev"],
        nsteps=nsteps,
        engine=engine_name,
        method=method,
    )
