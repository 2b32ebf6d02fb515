"""Compiled form of a model: what engines see.

A :class:`CompiledModel` holds index maps, the default state and parameter
vectors, and the right-hand side, Jacobian and observables as expression
trees (observables inlined). ``rhs(xp)`` turns them into one function
``f(t, y, p)`` for the array namespace ``xp`` (NumPy or ``jax.numpy``), so
every engine uses the same definition.  Engines never see a ``Model``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np

from .._errors import UnknownNameError
from .._errors import ModelSpecError
from .expr import Expr, Op, Sym, compile_expr, diff, evaluate, free_symbols, substitute

__all__ = ["CompiledModel", "CompiledEvent"]


@dataclass(frozen=True, eq=False)
class CompiledEvent:
    """A :class:`~oncoimmune.model.events.TriggeredEvent` with observables inlined
    and its targets as state indices."""

    name: str
    trigger: Expr
    targets: tuple[int, ...]
    values: tuple[Expr, ...]
    delay: Expr | None
    priority: Expr | None
    persistent: bool
    initial_value: bool
    use_values_from_trigger_time: bool

RHS = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True, eq=False)
class CompiledModel:
    """Index maps, default vectors and the model's equations, ready to evaluate.

    Attributes
    ----------
    model_id : str
    state_names, param_names, observable_names : tuple of str
    y0 : ndarray, shape (n_states,)
        Default initial state.
    p0 : ndarray, shape (n_params,)
        Default parameter vector.
    nonnegative : ndarray of bool, shape (n_states,)
    derivatives : tuple of Expr
        ``d(state_i)/dt`` with observables inlined.
    observable_exprs : tuple of Expr
    """

    model_id: str
    state_names: tuple[str, ...]
    param_names: tuple[str, ...]
    observable_names: tuple[str, ...]
    y0: np.ndarray
    p0: np.ndarray
    nonnegative: np.ndarray
    derivatives: tuple[Expr, ...]
    observable_exprs: tuple[Expr, ...]
    state_units: tuple[str, ...] = ()
    observable_units: tuple[str, ...] = ()
    stiff: bool = False
    events: tuple[CompiledEvent, ...] = ()
    initial_exprs: tuple[tuple[int, Expr], ...] = ()
    time_units: str = "day"
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_model(cls, model: Any) -> "CompiledModel":
        """Compile ``model``; models that differ only in values share one compiled structure.

        The equations, index maps and every evaluator built from them (right-hand
        side, Jacobian, tapes) depend on the model's structure, not on its
        parameter or initial values, so a model whose structure was compiled
        before (in this process) reuses that work and only its value vectors
        are new. A virtual trial compiles one model per patient, all of the same
        structure per arm.
        """
        key = _structure_key(model)
        with _LOCK:
            template = _STRUCTURES.get(key) if key is not None else None
            if template is not None:
                _STRUCTURES.move_to_end(key)
        if template is not None:
            return template._with_values(
                np.array([s.initial for s in model.states], dtype=float),
                np.array([p.value for p in model.parameters], dtype=float),
            )
        cm = cls._build(model)
        if key is not None:
            with _LOCK:
                _STRUCTURES[key] = cm
                while len(_STRUCTURES) > _MAX_STRUCTURES:
                    _STRUCTURES.popitem(last=False)
        return cm

    def _with_values(self, y0: np.ndarray, p0: np.ndarray) -> "CompiledModel":
        """This structure with other default vectors (evaluators and derived expressions shared)."""
        new = object.__new__(type(self))  # shallow copy: shares _cache and the cached properties
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "p0", p0)
        object.__setattr__(new, "y0", new.initial_state(p0, y0) if self.initial_exprs else y0)
        return new

    @classmethod
    def _build(cls, model: Any) -> "CompiledModel":
        inl = model._inlined_observables
        snames = model.state_names

        def inline(e: Expr | None) -> Expr | None:
            return None if e is None else substitute(e, inl)

        events = tuple(
            CompiledEvent(
                name=ev.name,
                trigger=inline(ev.trigger),
                targets=tuple(snames.index(k) for k, _ in ev.assignments),
                values=tuple(inline(x) for _, x in ev.assignments),
                delay=inline(ev.delay),
                priority=inline(ev.priority),
                persistent=ev.persistent,
                initial_value=ev.initial_value,
                use_values_from_trigger_time=ev.use_values_from_trigger_time,
            )
            for ev in model.events
        )
        initial_exprs = _order_initial(
            model.id, snames, {k: substitute(x, inl) for k, x in model.initial_assignments}
        )
        cm = cls(
            model_id=model.id,
            state_names=model.state_names,
            param_names=model.parameter_names,
            observable_names=model.observable_names,
            y0=np.array([s.initial for s in model.states], dtype=float),
            p0=np.array([p.value for p in model.parameters], dtype=float),
            nonnegative=np.array([s.nonnegative for s in model.states], dtype=bool),
            derivatives=tuple(model.derivative(s, inline=True) for s in model.state_names),
            observable_exprs=tuple(inl[o] for o in model.observable_names),
            state_units=tuple(s.units for s in model.states),
            observable_units=tuple(o.units for o in model.observables),
            stiff=bool(model.stiff),
            events=events,
            initial_exprs=initial_exprs,
            time_units=getattr(model, "time_units", "day"),
        )
        if initial_exprs:
            object.__setattr__(cm, "y0", cm.initial_state(cm.p0, cm.y0))
        return cm

    def initial_state(self, p: np.ndarray, y0: np.ndarray | None = None, t0: float = 0.0) -> np.ndarray:
        """Initial state for the parameter vector ``p``: ``y0`` (default: the
        model's values) with the initial assignments evaluated in dependency order at time ``t0``.

        Every engine calls this (or :meth:`initial_state_fn` for a cohort) on the
        state it is given, so a state with an initial assignment (SBML
        ``initialAssignment``) follows each patient's parameters; to fix such a
        state's value yourself, drop the assignment with ``Model.with_initial``.
        """
        y = np.array(self.y0 if y0 is None else y0, dtype=float)
        if not self.initial_exprs:
            return y
        values = dict(zip(self.param_names, (float(v) for v in p)))
        values.update(zip(self.state_names, (float(v) for v in y)))
        values["t"] = float(t0)
        for i, ex in self.initial_exprs:
            y[i] = evaluate(ex, values)
            values[self.state_names[i]] = y[i]
        return y

    def initial_state_fn(self, xp: Any = np) -> RHS:
        """``g(t0, y, p) -> y`` with the initial assignments applied in dependency order.

        The cohort form of :meth:`initial_state`: ``y`` of shape ``(n_states,)`` or
        ``(n_states, batch)`` and ``p`` of shape ``(n_params,)`` or ``(n_params, batch)``;
        with ``xp=jax.numpy`` it is a pure JAX function (differentiable in ``p``).
        The input ``y`` is not modified. Without initial assignments ``g`` returns ``y``.
        """
        ck = ("init", xp.__name__)
        if ck in self._cache:
            return self._cache[ck]
        fs = [(i, compile_expr(e, self.index, xp)) for i, e in self.initial_exprs]
        if xp is np:

            def g(t: Any, y: Any, p: Any) -> Any:
                y = np.array(y, dtype=float)
                with np.errstate(all="ignore"):
                    for i, f in fs:
                        y[i] = f(t, y, p)
                return y

        else:

            def g(t: Any, y: Any, p: Any) -> Any:
                for i, f in fs:
                    y = y.at[i].set(xp.broadcast_to(xp.asarray(f(t, y, p), dtype=y.dtype), y.shape[1:]))
                return y

        self._cache[ck] = g
        return g

    @property
    def n_states(self) -> int:
        return len(self.state_names)

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @cached_property
    def index(self) -> dict[str, tuple[str, int]]:
        idx: dict[str, tuple[str, int]] = {n: ("y", i) for i, n in enumerate(self.state_names)}
        idx.update({n: ("p", j) for j, n in enumerate(self.param_names)})
        return idx

    def state_index(self, name: str) -> int:
        try:
            return self.state_names.index(name)
        except ValueError:
            raise UnknownNameError(f"state of model {self.model_id!r}", name, self.state_names) from None

    def param_index(self, name: str) -> int:
        try:
            return self.param_names.index(name)
        except ValueError:
            raise UnknownNameError(
                f"parameter of model {self.model_id!r}", name, self.param_names
            ) from None

    def parameter_vector(self, values: dict[str, float] | None = None) -> np.ndarray:
        """Default parameters with some replaced by name."""
        p = self.p0.copy()
        for k, v in (values or {}).items():
            p[self.param_index(k)] = v
        return p

    @cached_property
    def time_breakpoints(self) -> tuple[Expr, ...]:
        """Times at which the right-hand side may jump: ``c`` for every relation ``t < c`` (``<=``,
        ``>``, ``>=``, ``==``, ``!=``) and every ``step(t - c)`` or ``step(c - t)`` inside a derivative,
        where ``c`` depends on parameters only
        (e.g. the start and end of an infusion written with ``piecewise``). Engines stop and
        restart there, so a pulse shorter than a step is never stepped over."""
        states = set(self.state_names)
        out: dict[str, Expr] = {}
        stack = list(self.derivatives)
        seen: set[int] = set()
        while stack:
            n = stack.pop()
            if id(n) in seen or not isinstance(n, Op):
                continue
            seen.add(id(n))
            pairs: tuple[tuple[Expr, Expr], ...] = ()
            if n.op in ("lt", "le", "gt", "ge", "eq", "ne"):
                a, b = n.args
                pairs = ((a, b), (b, a))
            elif n.op == "step" and isinstance(n.args[0], Op) and n.args[0].op == "sub":
                a, b = n.args[0].args  # step(t - c) and step(c - t) jump at t = c
                pairs = ((a, b), (b, a))
            if pairs:
                for x, c in pairs:
                    if isinstance(x, Sym) and x.name == "t":
                        fs = free_symbols(c)
                        if "t" not in fs and not (fs & states):
                            out.setdefault(repr(c), c)
            stack.extend(n.args)
        return tuple(out.values())

    def breakpoint_times(self, p: np.ndarray) -> np.ndarray:
        """:attr:`time_breakpoints` evaluated for the parameter vector ``p`` (sorted, finite)."""
        if not self.time_breakpoints:
            return np.zeros(0)
        values = dict(zip(self.param_names, (float(v) for v in p)))
        ts = [evaluate(e, values) for e in self.time_breakpoints]
        return np.array(sorted(t for t in ts if np.isfinite(t)))

    @cached_property
    def jacobian_exprs(self) -> tuple[tuple[Expr, ...], ...]:
        """Symbolic Jacobian ``J[i][j] = d f_i / d y_j``."""
        return tuple(tuple(diff(f, s) for s in self.state_names) for f in self.derivatives)

    # evaluators ------------------------------------------------------------------
    def _vector_fn(self, key: str, exprs: tuple[Expr, ...], xp: Any) -> RHS:
        ck = (key, xp.__name__)
        if ck in self._cache:
            return self._cache[ck]
        fs = [compile_expr(e, self.index, xp) for e in exprs]
        if xp is np:

            def f(t: Any, y: Any, p: Any) -> Any:
                vals = [fi(t, y, p) for fi in fs]
                if np.ndim(y) == 1:
                    return np.array(vals, dtype=float)
                shape = np.shape(y)[1:]
                return np.stack([np.broadcast_to(v, shape) for v in vals])

        else:

            def f(t: Any, y: Any, p: Any) -> Any:
                vals = [fi(t, y, p) for fi in fs]
                shape = xp.shape(y)[1:]
                return xp.stack([xp.broadcast_to(xp.asarray(v, dtype=y.dtype), shape) for v in vals])

        self._cache[ck] = f
        return f

    def rhs(self, xp: Any = np) -> RHS:
        """``f(t, y, p) -> dy/dt``; ``y`` of shape ``(n_states,)`` or ``(n_states, batch)``."""
        return self._vector_fn("rhs", self.derivatives, xp)

    def derivative(self, state: str, xp: Any = np) -> RHS:
        """``f(t, y, p)`` giving the time derivative of one state only (an array of one value)."""
        i = self.state_index(state)
        return self._vector_fn(f"d{state}/dt", (self.derivatives[i],), xp)

    def observables(self, xp: Any = np) -> RHS:
        """``g(t, y, p) -> observables`` of shape ``(n_obs, ...)``."""
        return self._vector_fn("obs", self.observable_exprs, xp)

    def jacobian(self, xp: Any = np) -> RHS:
        """``J(t, y, p)`` of shape ``(n_states, n_states)`` (single patient)."""
        ck = ("jac", xp.__name__)
        if ck in self._cache:
            return self._cache[ck]
        flat = tuple(e for row in self.jacobian_exprs for e in row)
        g = self._vector_fn("jacflat", flat, xp)
        n = self.n_states

        def J(t: Any, y: Any, p: Any) -> Any:
            return g(t, y, p).reshape((n, n) + tuple(np.shape(y)[1:]))

        self._cache[ck] = J
        return J


#: Compiled structures by :func:`_structure_key` (least recently used dropped first).
_STRUCTURES: "OrderedDict[tuple[Any, ...], CompiledModel]" = OrderedDict()
_MAX_STRUCTURES = 64
_LOCK = threading.Lock()


def _structure_key(model: Any) -> StructureKey | None:
    """Everything :meth:`CompiledModel.from_model` reads except values; None if unhashable.

    Kept on the model (``_structure_key`` in its ``__dict__``): value-only copies
    (``Model._evolve``) share it, and drop it when they change a field it reads.
    """
    d = getattr(model, "__dict__", None)
    if d is not None and "_structure_key" in d:
        return d["_structure_key"]
    key = _compute_structure_key(model)
    if key is not None:
        key = _canonical(key)
    if d is not None:
        d["_structure_key"] = key
    return key


#: One instance per structure key seen (least recently used dropped first), see :func:`_canonical`.
_KEYS: "OrderedDict[StructureKey, StructureKey]" = OrderedDict()
_MAX_KEYS = 256


def _canonical(key: StructureKey) -> StructureKey:
    """The instance of ``key`` computed first (an equal key computed later is replaced by it).

    Models built apart with the same structure (the trial's pre-flight patient,
    the linked-model template, a spot-checked patient) compute equal keys that
    are different objects; every dictionary lookup between them then compares
    the whole structure (every term). With one instance per structure the
    lookups end at the identity test; the full comparison is made once, here.
    """
    with _LOCK:
        hit = _KEYS.get(key)
        if hit is None:
            _KEYS[key] = hit = key
            while len(_KEYS) > _MAX_KEYS:
                _KEYS.popitem(last=False)
        else:
            _KEYS.move_to_end(hit)
    return hit


class StructureKey:
    """A model's structure as a dictionary key, hashed once.

    The key is a large tuple (terms, observables, events, ...); Python does not
    cache tuple hashes, so a virtual trial that looks up thousands of patient
    models per second would rehash it each time. Value-only copies of a model
    share one instance, so most lookups end at the identity test.
    """

    __slots__ = ("parts", "_hash")

    def __init__(self, parts: tuple[Any, ...]) -> None:
        self.parts = parts
        self._hash = hash(parts)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, StructureKey):
            return NotImplemented
        return self._hash == other._hash and self.parts == other.parts

    def __repr__(self) -> str:
        return f"StructureKey({self.parts[0]!r}, hash={self._hash})"

    def __reduce__(self) -> tuple[Any, ...]:
        # the hash is recomputed where the key is unpickled (``str`` hashes differ between processes)
        return (StructureKey, (self.parts,))


def _compute_structure_key(model: Any) -> StructureKey | None:
    key = (
        model.id,
        tuple((s.name, s.nonnegative, s.units) for s in model.states),
        model.parameter_names,
        model.terms,
        model.observables,
        model.events,
        model.initial_assignments,
        bool(model.stiff),
        getattr(model, "time_units", "day"),
    )
    try:
        return StructureKey(key)
    except TypeError:
        return None


def _order_initial(model_id: str, snames: tuple[str, ...], exprs: dict[str, Expr]) -> tuple[tuple[int, Expr], ...]:
    """Initial assignments in an order where each reads only values already computed."""
    order: list[tuple[int, Expr]] = []
    mark: dict[str, int] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if mark.get(name) == 2:
            return
        if mark.get(name) == 1:
            raise ModelSpecError(
                f"Model {model_id!r}: initial assignments depend on each other in a cycle: "
                + " -> ".join(path + (name,))
            )
        mark[name] = 1
        for dep in sorted(free_symbols(exprs[name]) & exprs.keys()):
            visit(dep, path + (name,))
        mark[name] = 2
        order.append((snames.index(name), exprs[name]))

    for name in exprs:
        visit(name, ())
    return tuple(order)
