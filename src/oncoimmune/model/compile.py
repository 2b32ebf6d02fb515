"""Compiled form of a model: what engines see.

A :class:`CompiledModel` holds index maps, the default state and parameter
vectors, and the right-hand side, Jacobian and observables as expression
trees (observables inlined). ``rhs(xp)`` turns them into one function
``f(t, y, p)`` for the array namespace ``xp`` (NumPy or ``jax.numpy``), so
every engine uses the same definition.  Engines never see a ``Model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import numpy as np

from .._errors import UnknownNameError
from .expr import Expr, compile_expr, diff

__all__ = ["CompiledModel"]

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
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_model(cls, model: Any) -> "CompiledModel":
        inl = model._inlined_observables
        return cls(
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
        )

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
