"""Model events on time alone, lowered onto the dose schedule of the batched and JAX engines.

Most SBML events in published tumour-immune models are dose schedules written as
events: the trigger is a relation on time alone (``t >= c``, ``t > c``,
``t == c`` with ``c`` built from parameters), there is no delay, and each
assignment sets its target to a value computed from parameters, or adds such a
value to it, or multiplies it by one (9 of the 103 BioModels files in the
shared folder have events, and all 9 are of this kind). Such an event fires at
one known time per patient, so it is exactly an :class:`~oncoimmune.model.events.Event`
jump at that time, which every engine applies.

SBML semantics kept (Level 3 Version 2, section 4.12 [1]_): the event fires when
its trigger goes from false to true. At ``t0`` the trigger's value before the
start is its ``initialValue``: a trigger already true at ``t0`` fires at ``t0``
only when ``initialValue`` is false. Afterwards ``t >= c`` and ``t > c`` turn
true once, at ``c``, and stay true (no second firing); ``t == c`` is true at
``c`` only. ``t > c`` turns true just after ``c``: the jump is applied at ``c``
(a value saved at exactly ``c`` is after the jump, as for every dose).
Persistence and ``useValuesFromTriggerTime`` do not matter without a delay, and
the assignments read no state other than their own target, so simultaneous
events commute unless they change the same state; that case (where SBML priorities
or a random order decide) is refused, naming both events.

Anything else (a trigger that reads a state, a delay, an assignment that reads
another state) is refused by the engine with the reason; the SciPy reference
engine runs every event.

References
----------
.. [1] Hucka M et al. (2019). The Systems Biology Markup Language (SBML): Language
   Specification for Level 3 Version 2 Core Release 2. J Integr Bioinform 16:20190021.
   doi:10.1515/jib-2019-0021
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import EngineError
from ..model.compile import CompiledModel
from ..model.expr import Num, Op, Sym, compile_expr, diff, free_symbols, substitute, to_text
from ._codes import OP_ADD_EV, OP_MUL_EV, OP_SET_EV
from .base import model_events_refusal

__all__ = ["TimeEvent", "time_events", "model_event_arrays", "model_event_list", "unsupported_model_events"]

_MIRROR = {"ge": "le", "gt": "lt", "eq": "eq"}


@dataclass(frozen=True)
class TimeEvent:
    """One model event on time alone: fires at ``when`` (relation ``rel``), assignments as jumps."""

    name: str
    rel: str  # "ge", "gt" or "eq"
    when: Any  # Expr of parameters
    initial_value: bool
    assignments: tuple[tuple[int, str, Any], ...]  # (state index, "set"|"add"|"multiply", Expr of parameters)


def _param_only(e: Any, cm: CompiledModel) -> bool:
    fs = free_symbols(e)
    return "t" not in fs and not (fs & set(cm.state_names))


def _lower(cm: CompiledModel, ev: Any) -> TimeEvent | str:
    """The event as a :class:`TimeEvent`, or why it cannot be one."""
    if ev.delay is not None and not (isinstance(ev.delay, Num) and ev.delay.value == 0.0):
        return f"event {ev.name!r} has a delay ({to_text(ev.delay)})"
    trig = ev.trigger
    rel = None
    if isinstance(trig, Op) and trig.op in ("ge", "gt", "eq", "le", "lt") and len(trig.args) == 2:
        a, b = trig.args
        if isinstance(a, Sym) and a.name == "t" and trig.op in ("ge", "gt", "eq") and _param_only(b, cm):
            rel, when = trig.op, b
        elif isinstance(b, Sym) and b.name == "t" and trig.op in ("le", "lt", "eq") and _param_only(a, cm):
            rel, when = {"le": "ge", "lt": "gt", "eq": "eq"}[trig.op], a
    if rel is None:
        return (f"event {ev.name!r} has the trigger {to_text(trig)}, not a relation t >= c, t > c or t == c "
                "on time alone")
    out = []
    states = set(cm.state_names)
    for i, value in zip(ev.targets, ev.values):
        name = cm.state_names[i]
        fs = free_symbols(value)
        if "t" in fs or (fs & states) - {name}:
            return f"event {ev.name!r} assigns {name} := {to_text(value)}, which reads time or another state"
        d = diff(value, name)
        base = substitute(value, {name: Num(0.0)})
        if not _param_only(d, cm) or not _param_only(base, cm):
            return f"event {ev.name!r} assigns {name} := {to_text(value)}, not a set, add or multiply"
        if isinstance(d, Num) and d.value == 0.0:
            out.append((i, "set", base))
        elif isinstance(d, Num) and d.value == 1.0:
            out.append((i, "add", base))
        elif isinstance(base, Num) and base.value == 0.0:
            out.append((i, "multiply", d))
        else:
            return f"event {ev.name!r} assigns {name} := {to_text(value)}, not a set, add or multiply"
    return TimeEvent(ev.name, rel, when, bool(ev.initial_value), tuple(out))


def time_events(cm: CompiledModel, engine: str) -> tuple[TimeEvent, ...]:
    """The model's events as :class:`TimeEvent` (cached), or the engine's refusal naming the first that is not.

    Raises
    ------
    EngineError
        :func:`~oncoimmune.engines.base.model_events_refusal` with the reason.
    """
    ck = ("time_events",)
    if ck not in cm._cache:
        lowered = [_lower(cm, ev) for ev in cm.events]
        bad = [r for r in lowered if isinstance(r, str)]
        cm._cache[ck] = bad[0] if bad else tuple(lowered)
    got = cm._cache[ck]
    if isinstance(got, str):
        raise model_events_refusal(cm, engine, got)
    return got


def unsupported_model_events(cm: CompiledModel) -> str:
    """Why the batched and JAX engines cannot run this model's own events ("" when they can, or it has none).

    >>> unsupported_model_events(model.compile())  # doctest: +SKIP
    "event 'e' has the trigger x > 1, not a relation t >= c, t > c or t == c on time alone"
    """
    if not cm.events:
        return ""
    try:
        time_events(cm, "batched")
    except EngineError:
        return cm._cache[("time_events",)]
    return ""


def _values(cm: CompiledModel, e: Any, P: np.ndarray, t0: float) -> np.ndarray:
    """``e`` (parameters only) for each row of ``P``."""
    f = compile_expr(e, cm.index, np)
    with np.errstate(all="ignore"):
        v = f(t0, np.zeros((cm.n_states, P.shape[0])), P.T)
    return np.broadcast_to(np.asarray(v, dtype=float), (P.shape[0],)).copy()


def _fire_times(cm: CompiledModel, te: TimeEvent, P: np.ndarray, t0: float) -> np.ndarray:
    """When ``te`` fires for each patient (``inf``: never)."""
    c = _values(cm, te.when, P, t0)
    true0 = {"ge": t0 >= c, "gt": t0 > c, "eq": t0 == c}[te.rel]
    later = np.where(c >= t0, c, np.inf)
    out = np.where(true0, t0 if not te.initial_value else np.inf, later)
    out[~np.isfinite(c)] = np.inf
    return out


_OPS = {"add": OP_ADD_EV, "set": OP_SET_EV, "multiply": OP_MUL_EV}


def model_event_arrays(cm: CompiledModel, P: np.ndarray, t0: float, engine: str) -> dict[str, np.ndarray]:
    """The model's events for each patient (rows of ``P``) as arrays of shape ``(n, K)``,
    ``K`` = the number of assignments over all events: ``time`` (``inf`` where an event never
    fires), ``target`` (state index), ``op`` and ``value``. Columns are in the model's event order; ``op`` holds the kernel's codes
    (``OP_ADD_EV``, ``OP_SET_EV``, ``OP_MUL_EV`` of :mod:`oncoimmune.engines._codes`).

    Raises
    ------
    EngineError
        If an event cannot be lowered, or two events change one state at the same time for a patient.
    """
    tes = time_events(cm, engine)
    n = P.shape[0]
    cols_t, cols_i, cols_op, cols_v, owner = [], [], [], [], []
    for k, te in enumerate(tes):
        ft = _fire_times(cm, te, P, t0)
        for i, op, ex in te.assignments:
            cols_t.append(ft)
            cols_i.append(np.full(n, i, dtype=np.int64))
            cols_op.append(np.full(n, _OPS[op], dtype=np.int64))
            cols_v.append(_values(cm, ex, P, t0))
            owner.append(k)
    K = len(cols_t)
    out = {
        "time": np.stack(cols_t, axis=1) if K else np.zeros((n, 0)),
        "target": np.stack(cols_i, axis=1) if K else np.zeros((n, 0), dtype=np.int64),
        "op": np.stack(cols_op, axis=1) if K else np.zeros((n, 0), dtype=np.int64),
        "value": np.stack(cols_v, axis=1) if K else np.zeros((n, 0)),
    }
    for a in range(K):
        for b in range(a + 1, K):
            if owner[a] == owner[b] or cols_i[a][0] != cols_i[b][0]:
                continue
            clash = np.isfinite(cols_t[a]) & (cols_t[a] == cols_t[b])
            if clash.any():
                r = int(np.argmax(clash))
                raise EngineError(
                    f"model {cm.model_id!r}: events {tes[owner[a]].name!r} and {tes[owner[b]].name!r} both change "
                    f"{cm.state_names[cols_i[a][0]]!r} at t={cols_t[a][r]:g} (patient {r}), where SBML priorities or "
                    f"a random order decide; engine {engine!r} does not; use engine='scipy'"
                )
    bad = np.argwhere(np.isfinite(out["time"]) & ~np.isfinite(out["value"]))
    if bad.size:
        r, c = bad[0]
        raise EngineError(f"model {cm.model_id!r}: event {tes[owner[c]].name!r} assigns a non-finite value to "
                          f"{cm.state_names[out['target'][r, c]]!r} for patient {r}; check its parameters")
    return out


def model_event_list(cm: CompiledModel, p: np.ndarray, t0: float, t1: float, engine: str) -> tuple[Any, ...]:
    """The model's events for one parameter vector as :class:`~oncoimmune.model.events.Event` jumps
    (those that fire in ``[t0, t1)``), in the model's order."""
    from ..model.events import Event

    arr = model_event_arrays(cm, np.asarray(p, dtype=float)[None, :], t0, engine)
    names = {v: k for k, v in _OPS.items()}
    out = []
    for c in range(arr["time"].shape[1]):
        t = float(arr["time"][0, c])
        if np.isfinite(t) and t0 <= t < t1:
            out.append(Event(t, cm.state_names[int(arr["target"][0, c])], names[int(arr["op"][0, c])],
                             float(arr["value"][0, c]), label="model event"))
    return tuple(out)
