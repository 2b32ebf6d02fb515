"""Batched engine: whole cohorts through one compiled kernel.

A model is compiled once into instruction tapes (:mod:`oncoimmune.engines.tape`)
and ``N`` patients, each with its own parameter vector, initial state and
events, are integrated by a Numba kernel that interprets the tapes
(``engines/_kernels.py``). Nothing is generated or compiled per model: the
kernel is compiled once per machine (``cache=True``) and serves every model.

* **Per-patient step-size control.** Patients run in *lanes* that share tape
  instructions but keep their own time, step, error control, event and save
  pointers; a finished lane takes the next patient, so one slow patient never
  slows the others.
* **Exact dosing.** Each patient is integrated piecewise between its own event
  times (the :func:`~oncoimmune.model.events.segment_times` rule: events at
  ``t0`` first, events at or after ``t1`` ignored, values saved at an event
  time are after the jump).
* **Statuses per patient.** ``ok`` or ``failed`` with a code and the time, a
  work budget in steps and in right-hand-side evaluations; one blow-up never
  stops the cohort.
* **Stiffness.** Method ``"auto"`` runs Dormand-Prince 5(4) and moves a
  patient that turns stiff to Rodas4 lanes (Rosenbrock, order 4, L-stable,
  with the symbolic Jacobian from the tape and one LU per step for all lanes
  at once), and back when its steps are inside the explicit method's
  stability region again, per patient, as LSODA does. ``"dopri5"`` never switches (a
  stiff patient runs into the budget and is reported as stiff);
  ``"rosenbrock"`` uses the implicit method throughout. ``"auto-dop853"`` and
  ``"dop853"`` use the 8th-order pair DOP853 (Hairer, Norsett & Wanner 1993, Section II.10;
  ``engines/_dop853.py``) as the explicit
  method: about 1.6x fewer evaluations at ``rtol = 1e-8`` (the trial runner's
  tolerance).
* **Streaming.** :func:`iter_solve_batch` yields chunks, so a million patients
  never sit in memory at once; ``save_states`` keeps only the states you need.

Examples
--------
>>> import numpy as np
>>> from oncoimmune.library import get_model
>>> from oncoimmune.engines.batched import solve_batch
>>> cm = get_model("kuznetsov1994").compile()
>>> P = np.tile(cm.p0, (3, 1)); P[:, cm.param_index("n")] *= [0.5, 1.0, 2.0]
>>> sol = solve_batch(cm, cm.y0, P, t1=100.0, saveat=np.arange(101.0), rtol=1e-6)
>>> sol.y.shape, bool(sol.ok.all())
((3, 101, 2), True)
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from .._errors import EngineError, UnknownNameError
from ..model.compile import CompiledModel
from ..model.events import Event, sort_events
from ..model.expr import diff
from ._time_events import model_event_arrays, time_events
from .base import AbstractEngine, Problem, Solution, register_engine
from .tape import Tape, build_tape, rhs_tape

from ._codes import (  # codes shared with the kernels (one home, so neither module imports the other)
    EV_PARAM,
    EV_STATE,
    METHOD_AUTO,
    METHOD_AUTO8,
    METHOD_DOP853,
    METHOD_DOPRI5,
    METHOD_ROSENBROCK,
    OP_ADD_EV,
    OP_MUL_EV,
    OP_SET_EV,
    STATUS_BUDGET,
    STATUS_BUDGET_STIFF,
    STATUS_NEGATIVE,
    STATUS_NONFINITE,
    STATUS_NOT_RUN,
    STATUS_OK,
    STATUS_SINGULAR,
    STATUS_STEP_TOO_SMALL,
    numba_cache_dir,
)

__all__ = ["BatchedEngine", "BatchSolution", "solve_batch", "iter_solve_batch", "STATUS_REASONS", "METHODS"]

METHODS = {
    "auto": METHOD_AUTO,
    "dopri5": METHOD_DOPRI5,
    "rosenbrock": METHOD_ROSENBROCK,
    "dop853": METHOD_DOP853,
    "auto-dop853": METHOD_AUTO8,
}

#: status code -> short reason (the full reason adds the time and the advice)
STATUS_REASONS = {
    STATUS_OK: "",
    STATUS_BUDGET: "work budget exceeded",
    STATUS_NONFINITE: "non-finite derivative",
    STATUS_STEP_TOO_SMALL: "step size too small",
    STATUS_BUDGET_STIFF: "work budget exceeded: the problem is stiff",
    STATUS_SINGULAR: "singular iteration matrix",
    STATUS_NEGATIVE: "population went negative",
    STATUS_NOT_RUN: "not run",
}

_ADVICE = {
    STATUS_BUDGET: "raise max_steps/max_nfev or check the parameters",
    STATUS_BUDGET_STIFF: "use method='auto' or 'rosenbrock', or the reference engine (engine='scipy')",
    STATUS_STEP_TOO_SMALL: "the solution may blow up; check the parameters",
    STATUS_NEGATIVE: "tighten rtol/atol or check the parameters",
}


def jacobian_t_tape(cm: CompiledModel) -> Tape:
    """Tape of the Jacobian (row-major, ``n*n`` outputs) followed by ``df/dt`` (``n`` outputs)."""
    ck = ("tape", "jac_t")
    if ck not in cm._cache:
        exprs = tuple(e for row in cm.jacobian_exprs for e in row) + tuple(diff(f, "t") for f in cm.derivatives)
        cm._cache[ck] = build_tape(exprs, cm.index, cm.n_states, cm.n_params)
    return cm._cache[ck]


@dataclass(frozen=True, eq=False)
class BatchSolution:
    """Saved trajectories of a cohort and how each patient's run went.

    Attributes
    ----------
    t : ndarray, shape (n_times,)
        Save grid (days), shared by all patients.
    y : ndarray, shape (n_patients, n_times, n_saved_states)
        Saved values (after the jump at event times); NaN after a failure.
    states : tuple of str
        Names of the saved states (the last axis of ``y``).
    status : ndarray of int8, shape (n_patients,)
        0 ok; otherwise a code of :data:`STATUS_REASONS`.
    t_fail : ndarray, shape (n_patients,)
        Time at which a failed run stopped (``t1`` for ok runs).
    nsteps, nfev, njev : ndarray of int64
        Steps tried (accepted and rejected), right-hand-side and Jacobian evaluations.
    nlu : ndarray of int64
        LU factorisations of the Rosenbrock iteration matrix (one per attempted implicit step).
    t_stiff : ndarray, shape (n_patients,)
        When the patient was first found stiff (for ``"auto"``: first moved to
        the Rosenbrock lanes); NaN if never.
    ymax : ndarray, shape (n_patients, n_states)
        ``max |y_i|`` over the accepted steps (the scale of the clipping rule).
    method : str
    negative_state : ndarray of int64
        For status ``NEGATIVE``, the index of the offending state (else -1).
    """

    t: np.ndarray
    y: np.ndarray
    states: tuple[str, ...]
    status: np.ndarray
    t_fail: np.ndarray
    nsteps: np.ndarray
    nfev: np.ndarray
    njev: np.ndarray
    t_stiff: np.ndarray
    ymax: np.ndarray
    method: str
    all_states: tuple[str, ...] = ()
    negative_state: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    nlu: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_patients(self) -> int:
        return int(self.status.shape[0])

    @property
    def ok(self) -> np.ndarray:
        """Boolean mask of patients whose run ended ``ok``."""
        return self.status == STATUS_OK

    def reason(self, i: int) -> str:
        """One-line reason for patient ``i`` (``""`` if ok)."""
        code = int(self.status[i])
        if code == STATUS_OK:
            return ""
        base = STATUS_REASONS.get(code, f"status {code}")
        if code == STATUS_NEGATIVE:
            j = int(self.negative_state[i]) if self.negative_state.size else -1
            name = self.all_states[j] if 0 <= j < len(self.all_states) else "?"
            return f"population {name!r} went negative at a saved time; {_ADVICE[code]}"
        if code in (STATUS_BUDGET, STATUS_BUDGET_STIFF):
            msg = f"{base}: {int(self.nsteps[i])} steps, {int(self.nfev[i])} evaluations by t={self.t_fail[i]:.6g} d"
        else:
            msg = f"{base} at t={self.t_fail[i]:.6g} d"
        return f"{msg}; {_ADVICE[code]}" if code in _ADVICE else msg

    def reasons(self) -> list[str]:
        """Reasons of every patient (``""`` for ok runs)."""
        return [self.reason(i) for i in range(self.n_patients)]

    def state(self, name: str) -> np.ndarray:
        """``y[:, :, k]`` for the saved state ``name``, shape (n_patients, n_times)."""
        if name not in self.states:
            raise UnknownNameError("saved state", name, self.states)
        return self.y[:, :, self.states.index(name)]


# input handling ----------------------------------------------------------------
def _as_matrix(what: str, a: Any, n_cols: int, names: Sequence[str]) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != n_cols:
        raise EngineError(
            f"{what} must have shape (n_patients, {n_cols}) or ({n_cols},) in the order {tuple(names)}; "
            f"got shape {np.shape(a)}"
        )
    if not np.all(np.isfinite(arr)):
        r, c = np.argwhere(~np.isfinite(arr))[0]
        raise EngineError(f"{what}[{r}, {c}] ({names[c]!r}) is not finite; every value must be a finite number")
    return arr


def _encode_events(cm: CompiledModel, evs: Sequence[Event]) -> list[tuple[float, int, int, int, float]]:
    rows = []
    for e in sort_events(evs):
        if e.kind == "state":
            kind, tgt = EV_STATE, cm.state_index(e.target)
        else:
            kind, tgt = EV_PARAM, cm.param_index(e.target)
        op = {"add": OP_ADD_EV, "set": OP_SET_EV, "multiply": OP_MUL_EV}[e.op]
        rows.append((e.time, kind, tgt, op, e.value))
    return rows


def _owned(a: np.ndarray) -> np.ndarray:
    """A writable C-contiguous copy when needed: the kernel is compiled for exactly one array type,
    and a read-only broadcast view would be a second type (and a second compilation)."""
    return np.require(a, requirements=["C", "W", "O"])


@dataclass(frozen=True, eq=False)
class _EventTable:
    count: np.ndarray  # (n,)
    time: np.ndarray  # (n, E)
    kind: np.ndarray
    target: np.ndarray
    op: np.ndarray
    value: np.ndarray

    def rows(self, lo: int, hi: int) -> tuple[np.ndarray, ...]:
        return tuple(
            _owned(a[lo:hi]) for a in (self.count, self.time, self.kind, self.target, self.op, self.value)
        )


def _event_table(cm: CompiledModel, n: int, events: Any, event_values: Any) -> _EventTable:
    """Events as padded per-patient arrays; a shared schedule is stored once and broadcast."""
    per_patient = (
        events is not None
        and not isinstance(events, Event)
        and len(events) > 0
        and not isinstance(events[0], Event)
    )
    if isinstance(events, Event):
        events = (events,)
    if not per_patient:
        rows = _encode_events(cm, tuple(events or ()))
        E = max(1, len(rows))
        count = np.full(n, len(rows), dtype=np.int64)
        arr = np.array(rows, dtype=float).reshape(-1, 5) if rows else np.zeros((0, 5))
        time = np.zeros(E)
        kind = np.zeros(E, dtype=np.int64)
        target = np.zeros(E, dtype=np.int64)
        op = np.zeros(E, dtype=np.int64)
        value = np.zeros(E)
        if rows:
            time[:], kind[:], target[:], op[:], value[:] = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4]
        values = np.broadcast_to(value, (n, E))
        if event_values is not None:
            v = np.asarray(event_values, dtype=float)
            if v.ndim == 1:
                v = v[None, :]
            if v.shape not in ((n, len(rows)), (1, len(rows))) or len(rows) == 0:
                raise EngineError(
                    f"event_values must have shape (n_patients, n_events) = ({n}, {len(rows)}), one value per "
                    f"event of the shared schedule in time order; got shape {np.shape(event_values)}"
                )
            if not np.all(np.isfinite(v)):
                raise EngineError("event_values must all be finite")
            values = np.broadcast_to(v, (n, E))
        return _EventTable(
            count,
            np.broadcast_to(time, (n, E)),
            np.broadcast_to(kind, (n, E)),
            np.broadcast_to(target, (n, E)),
            np.broadcast_to(op, (n, E)),
            values,
        )
    if event_values is not None:
        raise EngineError(
            "event_values applies to a shared schedule only; with per-patient event lists put the values in the Events"
        )
    if len(events) != n:
        raise EngineError(
            f"events given per patient must have one sequence per patient ({n}); got {len(events)}"
        )
    encoded = [_encode_events(cm, tuple(ev)) for ev in events]
    E = max(1, max(len(r) for r in encoded))
    count = np.array([len(r) for r in encoded], dtype=np.int64)
    full = np.zeros((n, E, 5))
    for i, r in enumerate(encoded):
        if r:
            full[i, : len(r)] = r
    return _EventTable(
        count,
        full[:, :, 0].copy(),
        full[:, :, 1].astype(np.int64),
        full[:, :, 2].astype(np.int64),
        full[:, :, 3].astype(np.int64),
        full[:, :, 4].copy(),
    )


def _check_common(cm: CompiledModel, t0: float, t1: float, saveat: Any, rtol: float, atol: Any, max_steps: int,
                  max_nfev: int, method: str, lanes: int) -> tuple[np.ndarray, np.ndarray]:
    if cm.events:
        time_events(cm, "batched")  # the refusal, naming the event, unless every event is on time alone
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
        raise EngineError(f"time span must satisfy t0 < t1 (finite, days); got t0={t0}, t1={t1}")
    s = np.asarray(saveat, dtype=float)
    if s.ndim != 1 or s.size == 0:
        raise EngineError("saveat must be a non-empty 1-D array of times; nothing would be saved")
    if np.any(np.diff(s) <= 0):
        i = int(np.argmax(np.diff(s) <= 0)) + 1
        raise EngineError(f"saveat must be strictly increasing; got {s[i]} at index {i}")
    if s[0] < t0 or s[-1] > t1:
        raise EngineError(f"saveat must lie within [{t0}, {t1}] days; got [{s[0]}, {s[-1]}]")
    if not (rtol > 0 and math.isfinite(rtol)):
        raise EngineError(f"rtol must be a finite number > 0; got {rtol}")
    if np.shape(atol) not in ((), (cm.n_states,)):
        raise EngineError(f"atol must be a number or one value per state ({cm.n_states}); got shape {np.shape(atol)}")
    a = np.broadcast_to(np.asarray(atol, dtype=float), (cm.n_states,)).copy()
    if not np.all((a > 0) & np.isfinite(a)):
        raise EngineError(f"atol must be finite and > 0 for every state; got {atol}")
    if int(max_steps) <= 0 or int(max_nfev) <= 0:
        raise EngineError(f"max_steps and max_nfev (work budget) must be > 0; got {max_steps}, {max_nfev}")
    if method not in METHODS:
        raise UnknownNameError("method of engine 'batched'", method, tuple(METHODS))
    if int(lanes) < 1:
        raise EngineError(f"lanes must be >= 1; got {lanes}")
    return s, a


def iter_solve_batch(
    compiled: CompiledModel,
    Y0: Any,
    P: Any,
    *,
    t1: float,
    saveat: Any,
    t0: float = 0.0,
    events: Any = None,
    event_values: Any = None,
    save_states: Sequence[str] | None = None,
    rtol: float = 1e-6,
    atol: Any = 1e-6,
    method: str = "auto",
    max_steps: int = 100_000,
    max_nfev: int = 2_000_000,
    lanes: int = 64,
    threads: int | None = None,
    chunk_size: int = 20_000,
    dtype: Any = np.float64,
) -> Iterator[tuple[slice, BatchSolution]]:
    """Solve a cohort chunk by chunk; yields ``(patients, BatchSolution)`` per chunk.

    Takes the arguments of :func:`solve_batch` plus ``chunk_size``, the number
    of patients held in memory at once. Patients ``patients.start`` to
    ``patients.stop - 1`` of the inputs are in each chunk.
    """
    cm = compiled
    if not isinstance(cm, CompiledModel):
        raise EngineError(f"compiled must be a CompiledModel (model.compile()); got {type(cm).__name__}")
    save, atol_v = _check_common(cm, float(t0), float(t1), saveat, float(rtol), atol, max_steps, max_nfev, method, lanes)
    Y = _as_matrix("Y0", Y0, cm.n_states, cm.state_names)
    Pm = _as_matrix("P", P, cm.n_params, cm.param_names)
    n = max(Y.shape[0], Pm.shape[0])
    if event_values is not None and np.ndim(event_values) == 2:
        n = max(n, int(np.shape(event_values)[0]))
    if events is not None and not isinstance(events, Event) and len(events) and not isinstance(events[0], Event):
        n = max(n, len(events))
    for what, m in (("Y0", Y), ("P", Pm)):
        if m.shape[0] not in (1, n):
            raise EngineError(f"{what} has {m.shape[0]} rows but the cohort has {n} patients; give 1 or {n} rows")
    if cm.initial_exprs:
        Y = _initial_states(cm, Y, Pm, float(t0))
    neg = np.argwhere(cm.nonnegative[None, :] & (Y < 0))
    if neg.size:
        r, c = neg[0]
        raise EngineError(f"Y0[{r}, {c}]: population {cm.state_names[c]!r} must be >= 0; got {Y[r, c]}")
    if save_states is None:
        sel = np.arange(cm.n_states, dtype=np.int64)
    else:
        sel = np.array([cm.state_index(s) for s in save_states], dtype=np.int64)
    if int(chunk_size) < 1:
        raise EngineError(f"chunk_size must be >= 1; got {chunk_size}")
    evt = _event_table(cm, n, events, event_values)
    if cm.events:
        evt = _with_model_events(cm, evt, Pm, n, float(t0))
    rt = rhs_tape(cm)
    jt = jacobian_t_tape(cm)
    args_tapes = (
        *(_owned(a) for a in (rt.code, rt.outputs, rt.initial_registers())),
        int(rt.n_invariant),
        *(_owned(a) for a in (jt.code, jt.outputs, jt.initial_registers())),
        int(jt.n_invariant),
    )
    mcode = METHODS[method]
    nthreads = _n_threads(threads)
    nonneg = np.ascontiguousarray(cm.nonnegative, dtype=np.bool_)
    for lo in range(0, n, int(chunk_size)):
        hi = min(n, lo + int(chunk_size))
        m = hi - lo
        Yc = _owned(np.broadcast_to(Y if Y.shape[0] == 1 else Y[lo:hi], (m, cm.n_states)))
        Pc = _owned(np.broadcast_to(Pm if Pm.shape[0] == 1 else Pm[lo:hi], (m, cm.n_params)))
        ev = evt.rows(lo, hi)
        L = int(min(int(lanes), 1 << max(0, (m - 1).bit_length())))
        # jobs for the thread pool: about 2 per thread (the last ones balance the load), but never
        # fewer than 16 lanes' worth of patients: a job starts and ends with idle lanes, and with
        # method "auto" its two lane groups fill and drain at different times (stiff cohort of
        # issue 14, one thread, 2,048 patients: jobs of 512 / 1,024 / 2,048 patients gave auto 0.223 /
        # 0.206 / 0.204 and rosenbrock 0.204 / 0.194 / 0.195 CPU ms per patient)
        per = max(16 * L, -(-m // (2 * nthreads)))
        bounds = np.unique(np.r_[np.arange(0, m, per), m]).astype(np.int64)
        out = np.empty((m, save.size, sel.size))  # the kernel writes every row (NaN where not reached)
        status = np.full(m, STATUS_NOT_RUN, dtype=np.int64)
        t_fail = np.full(m, np.nan)
        nsteps = np.zeros(m, dtype=np.int64)
        nfev = np.zeros(m, dtype=np.int64)
        njev = np.zeros(m, dtype=np.int64)
        nlu = np.zeros(m, dtype=np.int64)
        ymax = np.zeros((m, cm.n_states))
        ymin = np.full((m, cm.n_states), np.inf)
        t_stiff = np.full(m, np.nan)
        args = (
            *args_tapes, Yc, Pc, float(t0), float(t1), _owned(save), sel, *ev, nonneg,
            float(rtol), atol_v, int(max_steps), int(max_nfev),
            out, status, t_fail, nsteps, nfev, njev, nlu, ymax, ymin, t_stiff,
        )
        _run_chunks(bounds, L, mcode, args, nthreads)
        negative_state = _negative_populations(cm, status, ymax, ymin, atol_v, float(rtol))
        yield slice(lo, hi), BatchSolution(
            t=save,
            y=out if dtype == np.float64 else out.astype(dtype),
            states=tuple(cm.state_names[i] for i in sel),
            status=status.astype(np.int8),
            t_fail=t_fail,
            nsteps=nsteps,
            nfev=nfev,
            njev=njev,
            nlu=nlu,
            t_stiff=t_stiff,
            ymax=ymax,
            method=method,
            all_states=cm.state_names,
            negative_state=negative_state,
        )


def _with_model_events(cm: CompiledModel, evt: _EventTable, P: np.ndarray, n: int, t0: float) -> _EventTable:
    """``evt`` with the model's own events on time alone (:mod:`._time_events`) added per patient, in time
    order; at equal times the given schedule's events come first."""
    me = model_event_arrays(cm, np.ascontiguousarray(np.broadcast_to(P, (n, cm.n_params))), t0, "batched")
    K = me["time"].shape[1]
    if K == 0:
        return evt
    E = evt.time.shape[1]
    user_time = np.where(np.arange(E)[None, :] < evt.count[:, None], evt.time, np.inf)

    def cat(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([np.broadcast_to(a, (n, E)), b], axis=1)

    time = cat(user_time, me["time"])
    order = np.argsort(time, axis=1, kind="stable")

    def take(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a, order, axis=1)

    return _EventTable(
        (evt.count + K).astype(np.int64),
        take(time),
        take(cat(evt.kind, np.full((n, K), EV_STATE, dtype=np.int64))),
        take(cat(evt.target, me["target"])),
        take(cat(evt.op, me["op"])),
        take(cat(evt.value, me["value"])),
    )


def _initial_states(cm: CompiledModel, Y: np.ndarray, P: np.ndarray, t0: float) -> np.ndarray:
    """Each patient's initial state: ``Y`` with the model's initial assignments evaluated on that
    patient's parameters (one row when ``Y`` and ``P`` both have one row, else one per patient).
    A non-finite value is left for the kernel, which reports that patient failed (the cohort runs on)."""
    n = max(Y.shape[0], P.shape[0])
    Yb = np.broadcast_to(Y, (n, cm.n_states))
    Pb = np.broadcast_to(P, (n, cm.n_params))
    return np.ascontiguousarray(cm.initial_state_fn(np)(t0, Yb.T, Pb.T).T)


def _n_threads(threads: int | None) -> int:
    if threads is None:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    if int(threads) < 1:
        raise EngineError(f"threads must be >= 1; got {threads}")
    return int(threads)


def _kernels() -> Any:
    """The Numba kernels, imported on first use (numba is needed only to solve).

    Numba's on-disk cache goes to :func:`numba_cache_dir` (set before the kernels'
    module is imported, since Numba picks the cache location when a function is
    decorated), unless the user configured one for Numba.
    """
    try:
        import numba

        if not numba.config.CACHE_DIR:
            numba.config.CACHE_DIR = numba_cache_dir()
        from . import _kernels as kernels
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EngineError(
            "engine 'batched' needs numba: pip install numba (or oncoimmune[batched]); "
            f"import failed with: {exc}"
        ) from None
    return kernels


def _run_chunks(bounds: np.ndarray, L: int, mcode: int, args: tuple, nthreads: int) -> None:
    """Run the kernel on each chunk; chunks go to a thread pool (the kernel releases the GIL)."""
    K = _kernels()
    jobs = [(int(bounds[c]), int(bounds[c + 1])) for c in range(bounds.size - 1)]
    if nthreads == 1 or len(jobs) == 1:
        for lo, hi in jobs:
            K.solve_chunk(lo, hi, L, mcode, *args)
        return
    with ThreadPoolExecutor(max_workers=min(nthreads, len(jobs))) as pool:
        for f in [pool.submit(K.solve_chunk, lo, hi, L, mcode, *args) for lo, hi in jobs]:
            f.result()


def _negative_populations(cm: CompiledModel, status: np.ndarray, ymax: np.ndarray, ymin: np.ndarray,
                          atol: np.ndarray, rtol: float) -> np.ndarray:
    """Contract item 6: fail runs whose populations undershoot by more than 10*(atol+rtol*max|y|).

    The kernel already wrote saved undershoots as 0 (``_kernels._store``); ``ymin``
    holds the unclipped minimum over the saved values. Returns the offending
    state per patient (-1 if none).
    """
    tol = 10.0 * (atol[None, :] + rtol * ymax)
    nn = cm.nonnegative
    bad = (ymin < -tol) & nn[None, :] & np.isfinite(ymin)
    hit = bad.any(axis=1) & (status == STATUS_OK)
    negative_state = np.full(status.shape[0], -1, dtype=np.int64)
    if hit.any():
        negative_state[hit] = np.argmax(bad[hit], axis=1)
        status[hit] = STATUS_NEGATIVE
    return negative_state


def solve_batch(
    compiled: CompiledModel,
    Y0: Any,
    P: Any,
    *,
    t1: float,
    saveat: Any,
    t0: float = 0.0,
    events: Any = None,
    event_values: Any = None,
    save_states: Sequence[str] | None = None,
    rtol: float = 1e-6,
    atol: Any = 1e-6,
    method: str = "auto",
    max_steps: int = 100_000,
    max_nfev: int = 2_000_000,
    lanes: int = 64,
    threads: int | None = None,
    dtype: Any = np.float64,
) -> BatchSolution:
    """Integrate a cohort: one compiled model, a parameter vector and an initial state per patient.

    Parameters
    ----------
    compiled : CompiledModel
        ``model.compile()``.
    Y0 : array, shape (n_patients, n_states) or (n_states,)
        Initial states in the order ``compiled.state_names`` (one row is shared).
        States with an initial assignment (``compiled.initial_exprs``, e.g. from an
        SBML ``initialAssignment``) are recomputed from each patient's parameters,
        as every engine does (engine contract item 1).
    P : array, shape (n_patients, n_params) or (n_params,)
        Parameters in the order ``compiled.param_names`` (one row is shared).
    t1 : float
        End of the horizon (days).
    saveat : array
        Save grid shared by all patients, strictly increasing within ``[t0, t1]``.
    t0 : float
        Start (days).
    events : sequence of Event, or sequence of sequences of Event, optional
        One schedule shared by every patient, or one list per patient.
    event_values : array, shape (n_patients, n_events), optional
        Per-patient values of the shared schedule's events (in time order),
        e.g. weight-based doses.
    save_states : sequence of str, optional
        Keep only these states (default: all).
    rtol : float
        Relative tolerance.
    atol : float or array (n_states,)
        Absolute tolerance (per state if an array).
    method : {"auto", "dopri5", "rosenbrock", "dop853", "auto-dop853"}
        ``auto``: Dormand-Prince 5(4), switching each patient to Rodas4 while it is
        stiff and back when it is not; ``dopri5``: explicit only;
        ``rosenbrock``: Rodas4 throughout; ``dop853`` and ``auto-dop853``: the
        same with the 8th-order pair DOP853 as the explicit method, cheaper at
        tight tolerances (``rtol <= 1e-8``) on non-stiff problems. DOP853
        has no dense output here: its steps end on the save points, so
        a different ``saveat`` changes the steps (values agree to the
        tolerance, not bit for bit, where DOPRI5 is grid-independent).
    max_steps, max_nfev : int
        Per-patient work budget (steps tried; right-hand-side evaluations).
    lanes : int
        Patients integrated side by side by each thread (the width of the
        tape interpreter's vector loops); 64 measured best on x86-64 (AVX-512),
        about 5 % faster than 32. Results do not depend on it.
    threads : int, optional
        Worker threads (default: the CPUs available to this process). Results
        do not depend on it.
    dtype : numpy dtype
        Of the returned ``y`` (``float32`` halves the memory).

    Returns
    -------
    BatchSolution

    Raises
    ------
    EngineError, UnknownNameError
        For misuse (shapes, tolerances, names); numerical failures are statuses.
    """
    parts = list(
        iter_solve_batch(
            compiled, Y0, P, t1=t1, saveat=saveat, t0=t0, events=events, event_values=event_values,
            save_states=save_states, rtol=rtol, atol=atol, method=method, max_steps=max_steps,
            max_nfev=max_nfev, lanes=lanes, threads=threads, chunk_size=1 << 62, dtype=dtype,
        )
    )
    return parts[0][1]


@register_engine
class BatchedEngine(AbstractEngine):
    """Compiled engine (Numba, tape interpreter): cohorts via :func:`solve_batch`, single runs via ``solve``.

    ``Problem.options`` may hold ``lanes`` (int) and ``max_steps`` (int).
    """

    name = "batched"
    methods = tuple(METHODS)
    default_method = "auto"
    _options = ("lanes", "max_steps")

    def _solve_impl(self, pb: Problem) -> Solution:
        unknown = sorted(set(pb.options) - set(self._options))
        if unknown:
            raise EngineError(
                f"engine 'batched' got unknown option(s) {unknown}; valid options: {', '.join(self._options)}"
            )
        method = pb.method or self.default_method
        sol = solve_batch(
            pb.compiled,
            np.asarray(pb.y0, dtype=float),
            np.asarray(pb.p, dtype=float),
            t0=float(pb.t0),
            t1=float(pb.t1),
            saveat=np.asarray(pb.saveat, dtype=float),
            events=tuple(pb.events),
            rtol=float(pb.rtol),
            atol=np.asarray(pb.atol, dtype=float),
            method=method,
            max_steps=int(pb.options.get("max_steps", 10 * int(pb.max_nfev))),
            max_nfev=int(pb.max_nfev),
            lanes=int(pb.options.get("lanes", 1)),
        )
        return Solution(
            t=sol.t,
            y=sol.y[0],
            status="ok" if bool(sol.ok[0]) else "failed",
            reason=sol.reason(0),
            nfev=int(sol.nfev[0]),
            njev=int(sol.njev[0]),
            nsteps=int(sol.nsteps[0]),
            engine=self.name,
            method=method,
        )
