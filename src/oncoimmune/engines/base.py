"""Engine contract and registry.

An engine turns a :class:`Problem` (a compiled model, its vectors, the time
span, the save grid and the events) into a :class:`Solution`. Engines never
see a :class:`~oncoimmune.model.Model`.

The contract
------------
Every engine, built in or third party, must:

1. Accept a :class:`Problem`, validated by :meth:`AbstractEngine.solve` before
   ``_solve_impl`` is called (sorted save times inside the span, finite
   vectors of the right length, ``rtol``/``atol`` > 0, a positive budget).
   Validation also applies the model's initial assignments
   (:meth:`~oncoimmune.model.compile.CompiledModel.initial_state`) to ``y0`` with
   the problem's ``p`` at ``t0``, so ``_solve_impl`` starts from the state those
   parameters give; a batched engine does the same per patient.
2. Integrate piecewise between event times using
   :func:`oncoimmune.model.events.segment_times`, applying each event as an
   exact jump at its time; values saved at an event time are those *after*
   the jump (right-continuous).
3. Give results that do not depend on the save grid (dense output or
   interpolation, never a step size derived from the grid).
4. Count its work (right-hand-side evaluations in ``nfev``) and stop when
   ``problem.max_nfev`` is exceeded or, if set, ``problem.max_seconds`` of
   wall-clock time have passed, reporting ``status="failed"`` with the
   reason. It must never hang.
5. Never raise for a numerical failure: report ``status="failed"`` with a
   one-line reason (solver message, non-finite value, budget, a population
   below ``-tolerance``) and fill unsaved points with NaN. Raise only for
   misuse (:class:`~oncoimmune._errors.EngineError`).
6. Evaluate the model as written (no hidden floor: flooring a population at
   zero inside the right-hand side removes the restoring force that brings a
   round-off undershoot back to zero); clip saved undershoots smaller than the
   solver tolerance to exactly zero and report larger ones.
7. Be registered under a unique name with :func:`register_engine`.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from .._errors import EngineError, UnknownNameError
from ..model.compile import CompiledModel
from ..model.events import Event, sort_events
from ..model.expr import to_text
from .tolerance import default_atol, tolerance_warnings

__all__ = ["AbstractEngine", "Problem", "Solution", "register_engine", "get_engine", "ENGINES", "model_events_refusal"]


@dataclass(frozen=True, eq=False)
class Problem:
    """Everything an engine needs for one run."""

    compiled: CompiledModel
    y0: np.ndarray
    p: np.ndarray
    t0: float
    t1: float
    saveat: np.ndarray
    events: tuple[Event, ...] = ()
    rtol: float = 1e-8
    #: absolute tolerance: one number for every state, one per state, or None for the per-state
    #: default :func:`oncoimmune.engines.tolerance.default_atol`; engines see a per-state array
    atol: float | np.ndarray | None = None
    max_nfev: int = 2_000_000
    method: str | None = None
    max_seconds: float | None = None
    options: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Solution:
    """What an engine returns: the saved trajectory and how the run went."""

    t: np.ndarray
    y: np.ndarray  # shape (n_times, n_states)
    status: str  # "ok" or "failed"
    reason: str
    nfev: int
    njev: int = 0
    nsteps: int = 0
    engine: str = ""
    method: str = ""
    #: one line per state that sat below its absolute tolerance and grew back (see engines.tolerance)
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class AbstractEngine(abc.ABC):
    """Base of every engine; see the module docstring for the numbered contract."""

    name: ClassVar[str] = "abstract"
    methods: ClassVar[tuple[str, ...]] = ()
    default_method: ClassVar[str] = ""

    def solve(self, problem: Problem) -> Solution:
        """Validate ``problem`` (contract item 1), run ``_solve_impl``, add the tolerance warnings.

        ``problem.atol`` reaches ``_solve_impl`` as a per-state array (``None``
        becomes :func:`~oncoimmune.engines.tolerance.default_atol`).
        """
        problem = self._validate(problem)
        sol = self._solve_impl(problem)
        warn = tolerance_warnings(sol.y, problem.atol, problem.compiled.state_names)
        return dataclasses.replace(sol, warnings=tuple(sol.warnings) + warn) if warn else sol

    @abc.abstractmethod
    def _solve_impl(self, problem: Problem) -> Solution:
        """Integrate; must honour items 2-6 of the contract."""

    def _validate(self, pb: Problem) -> Problem:
        cm = pb.compiled
        if np.shape(pb.y0) != (cm.n_states,):
            raise EngineError(f"y0 must have shape ({cm.n_states},); got {np.shape(pb.y0)}")
        if np.shape(pb.p) != (cm.n_params,):
            raise EngineError(f"p must have shape ({cm.n_params},); got {np.shape(pb.p)}")
        if not np.all(np.isfinite(pb.p)):
            bad = cm.param_names[int(np.argmin(np.isfinite(pb.p)))]
            raise EngineError(f"parameter {bad!r} is not finite")
        if cm.initial_exprs:
            pb = dataclasses.replace(pb, y0=cm.initial_state(pb.p, pb.y0, float(pb.t0)))
        if not np.all(np.isfinite(pb.y0)):
            k = int(np.argmin(np.isfinite(pb.y0)))
            by = " (from its initial assignment; check the parameters it reads)" if any(
                i == k for i, _ in cm.initial_exprs) else ""
            raise EngineError(f"initial value of state {cm.state_names[k]!r} is not finite{by}")
        if not (math.isfinite(pb.t0) and math.isfinite(pb.t1) and pb.t1 > pb.t0):
            raise EngineError(f"time span must satisfy t0 < t1 (finite); got [{pb.t0}, {pb.t1}]")
        s = np.asarray(pb.saveat, dtype=float)
        if s.ndim != 1 or s.size == 0:
            raise EngineError("saveat must be a non-empty 1-D array of times; nothing would be saved")
        if np.any(np.diff(s) <= 0):
            i = int(np.argmax(np.diff(s) <= 0)) + 1
            raise EngineError(f"saveat must be strictly increasing; got {s[i]} at index {i}")
        if s[0] < pb.t0 - 1e-12 or s[-1] > pb.t1 + 1e-12:
            raise EngineError(
                f"saveat must lie within [{pb.t0}, {pb.t1}] days; got [{s[0]}, {s[-1]}]"
            )
        if not (math.isfinite(pb.rtol) and pb.rtol > 0):
            raise EngineError(f"rtol must be a finite number > 0; got rtol={pb.rtol}")
        if pb.atol is None:
            atol = default_atol(cm, pb.y0)
        else:
            if np.shape(pb.atol) not in ((), (cm.n_states,)):
                raise EngineError(
                    f"atol must be a number or one value per state ({cm.n_states}, in the order "
                    f"{cm.state_names}); got shape {np.shape(pb.atol)}"
                )
            atol = np.broadcast_to(np.asarray(pb.atol, dtype=float), (cm.n_states,)).copy()
            if not np.all(np.isfinite(atol) & (atol > 0)):
                raise EngineError(f"atol must be finite and > 0 for every state; got atol={pb.atol}")
        if self.methods and pb.method is not None and pb.method not in self.methods:
            raise UnknownNameError(f"method of engine {self.name!r}", pb.method, self.methods)
        if int(pb.max_nfev) <= 0:
            raise EngineError(f"max_nfev (work budget) must be > 0; got {pb.max_nfev}")
        if pb.max_seconds is not None and not (math.isfinite(pb.max_seconds) and pb.max_seconds > 0):
            raise EngineError(f"max_seconds must be a finite number > 0 or None; got {pb.max_seconds}")
        sort_events(pb.events)
        for e in pb.events:
            if e.kind == "state":
                cm.state_index(e.target)
            else:
                cm.param_index(e.target)
        return dataclasses.replace(pb, atol=atol)


ENGINES: dict[str, type[AbstractEngine]] = {}


def register_engine(cls: type[AbstractEngine]) -> type[AbstractEngine]:
    """Class decorator: make an engine available by its ``name``."""
    if not (isinstance(cls, type) and issubclass(cls, AbstractEngine)):
        raise EngineError("register_engine expects a subclass of AbstractEngine")
    ENGINES[cls.name] = cls
    return cls


def get_engine(engine: str | AbstractEngine | type[AbstractEngine]) -> AbstractEngine:
    """Resolve ``"scipy"`` (or an engine instance/class) to an engine instance."""
    if isinstance(engine, AbstractEngine):
        return engine
    if isinstance(engine, type) and issubclass(engine, AbstractEngine):
        return engine()
    if isinstance(engine, str) and engine in ENGINES:
        return ENGINES[engine]()
    raise UnknownNameError("engine", str(engine), sorted(ENGINES))


def model_events_refusal(cm: CompiledModel, engine: str, reason: str = "") -> EngineError:
    """The error an engine raises for a model with triggered events it cannot run.

    Names the construct (the model's state-dependent events, SBML ``<event>``), the first one
    with its trigger, why (``reason``) and the fix (``engine='scipy'``, which runs them all).
    The batched and JAX engines run the events that are dose schedules in disguise (a trigger on
    time alone, no delay; :mod:`oncoimmune.engines._time_events`) and refuse the others.
    """
    ev = cm.events[0]
    more = f" and {len(cm.events) - 1} more" if len(cm.events) > 1 else ""
    why = f" ({reason}; only triggers t >= c, t > c or t == c on time alone, without delay, whose assignments " \
          "set, add or multiply by values of the parameters, run there)" if reason else ""
    return EngineError(
        f"model {cm.model_id!r} has state-dependent event(s) (SBML <event>: a trigger watched during "
        f"integration), e.g. {ev.name!r} when {to_text(ev.trigger)}{more}; engine {engine!r} does not run "
        f"them{why}. Use engine='scipy' (the reference engine locates triggers and runs delays, priorities and "
        "persistence); dose schedules given as events= run on every engine"
    )


def apply_events(y: np.ndarray, p: np.ndarray, events: tuple[Event, ...], cm: CompiledModel) -> None:
    """Apply jumps in place (shared by engines)."""
    for e in events:
        if e.kind == "state":
            i = cm.state_index(e.target)
            if e.op == "add":
                y[i] += e.value
            elif e.op == "set":
                y[i] = e.value
            else:
                y[i] *= e.value
            if cm.nonnegative[i] and y[i] < 0:
                y[i] = 0.0
        else:
            j = cm.param_index(e.target)
            p[j] = p[j] + e.value if e.op == "add" else e.value
