"""JAX/diffrax engine: the differentiable path for calibration and GPUs.

:class:`JaxEngine` implements the numbered engine contract of
:mod:`oncoimmune.engines.base` for one :class:`~oncoimmune.engines.base.Problem`
with :func:`diffrax.diffeqsolve`, using the same compiled right-hand side as
the SciPy reference (``compiled.rhs(jax.numpy)``). :func:`solve_final` is the
calibration hook: a pure JAX function of the parameters that can be used under
:func:`jax.grad`.

Notes
-----
* **Precision.** Importing this module does nothing to JAX; the first solve
  calls ``jax.config.update("jax_enable_x64", True)`` because the reference
  agreement (and tolerances like ``rtol=1e-10``) need float64. This is a
  process-wide JAX setting.
* **Events.** The horizon is split with :func:`~oncoimmune.model.events.segment_times`;
  each segment is one ``diffeqsolve`` and the jumps are applied between
  segments in NumPy with :func:`~oncoimmune.engines.base.apply_events`
  (exact, right-continuous).
* **Work budget.** diffrax counts steps, not right-hand-side evaluations.
  ``problem.max_nfev`` is mapped to ``max_steps = max_nfev // k`` with ``k``
  the evaluations per step of the method (6 for Tsit5, FSAL; 7 stages times
  about 3 Newton iterations, 21, for Kvaerno5). The budget is shared across
  segments; the reported ``nfev`` is ``k * steps`` (an estimate).
  ``max_seconds`` is checked between segments only (a running ``diffeqsolve``
  cannot be interrupted).
* **Failures.** ``throw=False``: a non-successful diffrax result code becomes
  ``status="failed"`` with its message; save points not reached are NaN.

References
----------
.. [1] Kidger (2021). On Neural Differential Equations. PhD thesis, Oxford (diffrax).
.. [2] Tsitouras (2011). Runge-Kutta pairs of order 5(4) satisfying only the
   first column simplifying assumption. Comput. Math. Appl. 62:770-775.
.. [3] Kværnø (2004). Singly diagonally implicit Runge-Kutta methods with an
   explicit first stage. BIT 44:489-502.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .._errors import EngineError
from ..model.compile import CompiledModel
from ..model.events import segment_times
from ._time_events import model_event_list
from .base import AbstractEngine, Problem, Solution, apply_events, model_events_refusal, register_engine

__all__ = ["JaxEngine", "solve_final"]

#: right-hand-side evaluations per step used to map ``max_nfev`` to ``max_steps``
EVALS_PER_STEP = {"Tsit5": 6, "Kvaerno5": 21}


def _jax() -> tuple[Any, Any, Any, Any]:
    """Import JAX, diffrax and equinox lazily and switch JAX to float64."""
    try:
        import diffrax
        import equinox as eqx
        import jax
        import jax.numpy as jnp
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EngineError(
            "engine 'jax' needs the optional packages jax, diffrax and equinox; install them "
            f"(pip install jax diffrax equinox): {exc}"
        ) from None
    jax.config.update("jax_enable_x64", True)
    return jax, jnp, diffrax, eqx


def _solver(diffrax: Any, method: str) -> Any:
    return diffrax.Tsit5() if method == "Tsit5" else diffrax.Kvaerno5()


_SEGMENT_CACHE: dict[Any, Any] = {}
_CACHE_SIZE = 32


def _segment_fn(cm: CompiledModel, method: str) -> Any:
    """A jitted ``(y, p, ta, tb, ts, rtol, atol, max_steps) -> (ts, ys, result, steps)``.

    ``max_steps`` is static; ``ts`` is padded by the caller to a power-of-two
    length so that few shapes are compiled. Cached by the model's equations
    (expression trees compare structurally), so recompiling the same model, as
    :func:`~oncoimmune.simulate` does on every call, reuses the JIT.
    """
    key = (method, cm.state_names, cm.param_names, cm.derivatives)
    try:
        return _SEGMENT_CACHE[key]
    except (KeyError, TypeError):
        pass
    _, jnp, diffrax, eqx = _jax()
    rhs = cm.rhs(jnp)
    term = diffrax.ODETerm(lambda t, y, args: rhs(t, y, args))
    solver = _solver(diffrax, method)

    @eqx.filter_jit
    def run(y, p, ta, tb, ts, rtol, atol, max_steps):
        sol = diffrax.diffeqsolve(
            term,
            solver,
            t0=ta,
            t1=tb,
            dt0=None,
            y0=y,
            args=p,
            saveat=diffrax.SaveAt(ts=ts),
            stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
            max_steps=max_steps,
            throw=False,
        )
        return sol.ts, sol.ys, sol.result == diffrax.RESULTS.successful, sol.result, sol.stats["num_steps"]

    try:
        if len(_SEGMENT_CACHE) >= _CACHE_SIZE:
            _SEGMENT_CACHE.pop(next(iter(_SEGMENT_CACHE)))
        _SEGMENT_CACHE[key] = run
    except TypeError:  # pragma: no cover - unhashable expression: no caching
        pass
    return run


def _result_message(diffrax: Any, result: Any) -> str:
    """One-line text of a diffrax result code."""
    for name in ("max_steps_reached", "singular", "breakdown", "internal_error"):
        code = getattr(diffrax.RESULTS, name, None)
        if code is not None and bool(result == code):
            return {
                "max_steps_reached": "maximum number of steps reached",
                "singular": "singular linear system in the implicit solve",
                "breakdown": "nonlinear solver did not converge",
                "internal_error": "internal error",
            }[name]
    try:
        return str(diffrax.RESULTS[result])
    except (KeyError, TypeError, ValueError, IndexError):  # pragma: no cover - best effort
        return "diffrax returned an unsuccessful result"


@register_engine
class JaxEngine(AbstractEngine):
    """diffrax engine (default ``Tsit5``; ``Kvaerno5`` for models marked stiff).

    See the module docstring for how events, the work budget and failures map
    onto diffrax. Per-problem ``options`` are not accepted.
    """

    name = "jax"
    methods = ("Tsit5", "Kvaerno5")
    default_method = "Tsit5"

    def _solve_impl(self, pb: Problem) -> Solution:
        if pb.options:
            raise EngineError(f"options are not supported by engine 'jax'; got {sorted(pb.options)}")
        cm = pb.compiled
        events = tuple(pb.events)
        if cm.events:  # the model's events on time alone as jumps (or the refusal naming the event)
            events = events + model_event_list(cm, pb.p, float(pb.t0), float(pb.t1), "jax")
        _, jnp, diffrax, _ = _jax()
        method = pb.method or ("Kvaerno5" if cm.stiff else self.default_method)
        k = EVALS_PER_STEP[method]
        run = _segment_fn(cm, method)
        p = np.array(pb.p, dtype=float)
        y = np.array(pb.y0, dtype=float)
        save = np.asarray(pb.saveat, dtype=float)
        out = np.full((save.size, cm.n_states), np.nan)
        budget_steps = max(1, int(pb.max_nfev) // k)
        steps_left = budget_steps
        deadline = None if pb.max_seconds is None else time.monotonic() + float(pb.max_seconds)
        nsteps = 0
        scale = np.abs(y).copy()
        status, reason = "ok", ""
        segments = segment_times(pb.t0, pb.t1, events)
        for i, (ta, tb, evs) in enumerate(segments):
            apply_events(y, p, evs, cm)
            last = i == len(segments) - 1
            mask = (save >= ta) & ((save <= tb) if last else (save < tb))
            idx = np.nonzero(mask)[0]
            out[idx[save[idx] - ta < 1e-12]] = y
            pending = idx[save[idx] - ta >= 1e-12]
            if deadline is not None and time.monotonic() > deadline:
                status = "failed"
                reason = f"work budget exceeded: more than {pb.max_seconds:g} s (max_seconds) before t={tb:g} d"
                break
            # save points of this segment, then tb (for the next segment's start),
            # padded with tb to a power-of-two length to limit recompilation
            ts = np.concatenate([save[pending], [tb]])
            n = 1 << int(np.ceil(np.log2(ts.size)))
            ts = np.concatenate([ts, np.full(n - ts.size, tb)])
            # max_steps is static: the whole budget each time (one compilation),
            # the running total is checked below
            ts_j, ys_j, ok, result, used = run(
                jnp.asarray(y), jnp.asarray(p), jnp.asarray(ta, dtype=float), jnp.asarray(tb, dtype=float),
                jnp.asarray(ts), jnp.asarray(pb.rtol, dtype=float), jnp.asarray(pb.atol, dtype=float),
                budget_steps,
            )
            ts_np, ys_np = np.asarray(ts_j), np.asarray(ys_j)
            used = int(used)
            nsteps += used
            steps_left -= used
            reached = np.isfinite(ts_np) & np.all(np.isfinite(ys_np), axis=1)
            m = pending.size
            good = reached[:m]
            out[pending[good]] = ys_np[:m][good]
            if np.any(good):
                scale = np.maximum(scale, np.max(np.abs(ys_np[:m][good]), axis=0))
            if not bool(ok):
                status = "failed"
                msg = _result_message(diffrax, result)
                if msg == "maximum number of steps reached":
                    reason = (
                        f"work budget exceeded: more than {pb.max_nfev} right-hand-side evaluations "
                        f"(max_nfev, {k} per {method} step) before t={tb:g} d"
                    )
                else:
                    reason = f"solver {method} failed in [{ta:g}, {tb:g}] d: {msg}"
                break
            if not np.all(reached):
                status, reason = "failed", f"non-finite state in [{ta:g}, {tb:g}] d"
                break
            y = np.array(ys_np[-1], dtype=float)
            if steps_left < 0:
                status = "failed"
                reason = f"work budget exceeded: more than {pb.max_nfev} right-hand-side evaluations (max_nfev) before t={tb:g} d"
                break
        if status == "failed":
            # diffrax marks unreached points with inf; the contract says NaN
            out[~np.isfinite(out)] = np.nan
        tol = 10.0 * (pb.atol + pb.rtol * scale)
        for j in np.nonzero(cm.nonnegative)[0]:
            col = out[:, j]
            finite = np.isfinite(col)
            if status == "ok" and np.any(col[finite] < -tol[j]):
                r = int(np.nonzero(finite & (col < -tol[j]))[0][0])
                status = "failed"
                reason = (
                    f"population {cm.state_names[j]!r} went negative ({col[r]:.3g}) at t={save[r]:g} d; "
                    "tighten rtol/atol or check the parameters"
                )
            col[finite & (col < 0)] = 0.0
        return Solution(
            t=save, y=out, status=status, reason=reason, nfev=k * nsteps, njev=0,
            nsteps=nsteps, engine=self.name, method=method,
        )


def solve_final(
    compiled: CompiledModel,
    y0: Any,
    p: Any,
    t1: float,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    *,
    t0: float = 0.0,
    method: str = "Tsit5",
    max_steps: int = 100_000,
) -> Any:
    """State at ``t1`` as a JAX array, differentiable with respect to ``y0`` and ``p``.

    The calibration hook: no events, no status, pure JAX, so it composes with
    :func:`jax.grad`, :func:`jax.jit` and :func:`jax.vmap`. Gradients use
    diffrax's default adjoint (recursive checkpointing, i.e. differentiating
    through the solver steps).

    Parameters
    ----------
    compiled : CompiledModel
        The compiled model.
    y0 : array_like, shape (n_states,)
        Initial state; states with an initial assignment (``compiled.initial_exprs``)
        are recomputed from ``p`` in JAX, so gradients flow through them.
    p : array_like, shape (n_params,)
        Parameter vector (in ``compiled.param_names`` order).
    t1 : float
        Final time in days (> ``t0``).
    rtol, atol : float
        Tolerances of the PID step-size controller.
    t0 : float, optional
        Start time in days (default 0).
    method : {"Tsit5", "Kvaerno5"}
        diffrax solver.
    max_steps : int
        Step limit; when reached the result is NaN (no exception), so a failed
        solve is visible to an optimiser.

    Returns
    -------
    jax.Array, shape (n_states,)
        State at ``t1``.

    Raises
    ------
    EngineError
        If ``method`` is unknown or ``t1 <= t0``.
    """
    if method not in EVALS_PER_STEP:
        raise EngineError(f"method must be one of {tuple(EVALS_PER_STEP)}; got {method!r}")
    if compiled.events:
        raise model_events_refusal(compiled, "jax (solve_final)", "solve_final runs without events")
    if not float(t1) > float(t0):
        raise EngineError(f"t1 must be greater than t0; got t0={t0}, t1={t1}")
    _, jnp, diffrax, _ = _jax()
    rhs = compiled.rhs(jnp)
    y0 = jnp.asarray(y0, dtype=jnp.float64)
    p = jnp.asarray(p, dtype=jnp.float64)
    if compiled.initial_exprs:
        y0 = compiled.initial_state_fn(jnp)(float(t0), y0, p)
    sol = diffrax.diffeqsolve(
        diffrax.ODETerm(lambda t, y, args: rhs(t, y, args)),
        _solver(diffrax, method),
        t0=float(t0),
        t1=float(t1),
        dt0=None,
        y0=y0,
        args=p,
        saveat=diffrax.SaveAt(t1=True),
        stepsize_controller=diffrax.PIDController(rtol=rtol, atol=atol),
        max_steps=int(max_steps),
        throw=False,
    )
    ok = sol.result == diffrax.RESULTS.successful
    return jnp.where(ok, sol.ys[-1], jnp.nan)
