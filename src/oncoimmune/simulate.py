"""``simulate``: the verb joining a model, events and an engine.

Returns an :class:`xarray.Dataset` with one variable per state and
observable over ``time`` (days), and its provenance in ``attrs``: model id,
parameter and initial values, events, engine, tolerances, seed, package
version and the run's status.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any, Iterable, Mapping

import numpy as np
import xarray as xr

from ._errors import EngineError, ParameterValueError
from ._version import __version__
from .engines.base import AbstractEngine, Problem, get_engine
from .model.events import Event, sort_events
from .model.model import Model

__all__ = ["simulate", "default_saveat"]


#: Most points a default (daily) save grid may hold: 5 million days, about 13,700 years.
MAX_SAVE_POINTS = 5_000_000


def default_saveat(days: float, points_per_day: int = 1) -> np.ndarray:
    """A daily grid ``0, 1, ..., days`` (plus ``days`` itself if fractional)."""
    n = int(math.floor(days * points_per_day + 1e-9))
    grid = np.arange(n + 1) / points_per_day
    if grid[-1] < days - 1e-12:
        grid = np.append(grid, days)
    return grid


def simulate(
    model: Model,
    days: float,
    *,
    events: Iterable[Event] = (),
    saveat: Iterable[float] | None = None,
    parameters: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    engine: str | AbstractEngine = "scipy",
    method: str | None = None,
    rtol: float = 1e-8,
    atol: float | Iterable[float] | None = None,
    max_nfev: int = 2_000_000,
    max_seconds: float | None = None,
    seed: int | None = None,
) -> xr.Dataset:
    """Simulate ``model`` for ``days`` days.

    Parameters
    ----------
    model : Model
        The (possibly composed) model.
    days : float
        Horizon in days (> 0).
    events : iterable of Event, optional
        Doses, challenges, infusion switches (exact jumps).
    saveat : iterable of float, optional
        Output times in days; default daily from 0 to ``days``. Results do not
        depend on this grid.
    parameters, initial : mapping, optional
        Overrides by name, validated like :meth:`Model.with_parameters`.
    engine : str or AbstractEngine
        ``"scipy"`` (reference) or any registered engine.
    method : str, optional
        Engine-specific integration method (``"LSODA"``, ``"BDF"``, ...).
    rtol : float
        Relative tolerance.
    atol : float, sequence of float (one per state) or None
        Absolute tolerance. ``None`` (default): per state, scaled by the
        state's typical magnitude (:func:`oncoimmune.engines.tolerance.default_atol`).
        A state that sits below its absolute tolerance and grows back is
        reported in ``attrs["status_warning"]``.
    max_nfev : int
        Work budget: right-hand-side evaluations before the run is failed.
    max_seconds : float, optional
        Wall-clock budget in seconds (none by default).
    seed : int, optional
        Recorded in the provenance (deterministic models use no randomness).

    Returns
    -------
    xarray.Dataset
        ``attrs["status"]`` is ``"ok"`` or ``"failed"`` (then
        ``attrs["status_reason"]`` says why and unsaved points are NaN).
    """
    try:
        days = float(days)
    except (TypeError, ValueError):
        raise ParameterValueError(f"days must be a number > 0; got {days!r}") from None
    if not math.isfinite(days) or days <= 0:
        raise ParameterValueError(f"days must be a finite number > 0; got {days!r}")
    if saveat is None and days > MAX_SAVE_POINTS:
        raise ParameterValueError(
            f"days must be at most {MAX_SAVE_POINTS:,} with the daily save grid (it would hold "
            f"{days:.3g} points); simulate fewer days or pass a coarser saveat"
        )
    if parameters:
        model = model.with_parameters(parameters)
    if initial:
        model = model.with_initial(initial)
    cm = model.compile()
    save = default_saveat(days) if saveat is None else np.asarray(list(saveat), dtype=float)
    evs = sort_events(events)
    eng = get_engine(engine)
    problem = Problem(
        compiled=cm,
        y0=cm.y0.copy(),
        p=cm.p0.copy(),
        t0=0.0,
        t1=days,
        saveat=save,
        events=evs,
        rtol=float(rtol),
        atol=None if atol is None else np.asarray(atol, dtype=float),
        max_nfev=int(max_nfev),
        method=method,
        max_seconds=None if max_seconds is None else float(max_seconds),
    )
    sol = eng.solve(problem)
    return to_dataset(model, sol, problem, seed=seed)


def to_dataset(model: Model, sol: Any, problem: Problem, *, seed: int | None = None) -> xr.Dataset:
    """Package an engine :class:`~oncoimmune.engines.Solution` as a labelled Dataset."""
    cm = problem.compiled
    from .engines.tolerance import default_atol

    atol_vector = (
        default_atol(cm, problem.y0)
        if problem.atol is None
        else np.broadcast_to(np.asarray(problem.atol, dtype=float), (cm.n_states,))
    )
    data_vars: dict[str, Any] = {}
    for i, s in enumerate(model.states):
        data_vars[s.name] = ("time", sol.y[:, i], {"units": s.units, "long_name": s.description})
    if cm.observable_names:
        g = cm.observables(np)
        y = sol.y.T  # (n_states, n_times)
        # parameter vector as in force at each save time (events may set parameters)
        pmat = _parameters_over_time(problem, sol.t)
        with np.errstate(all="ignore"):
            obs = g(sol.t, y, pmat)
        for k, o in enumerate(model.observables):
            data_vars[o.name] = ("time", np.asarray(obs[k], dtype=float), {"units": o.units, "long_name": o.description})
    ds = xr.Dataset(data_vars, coords={"time": ("time", sol.t, {"units": "day"})})
    ds.attrs.update(
        {
            "model_id": model.id,
            "model_title": model.title,
            "citation": model.citation(),
            "parameters": json.dumps(model.parameter_values),
            "initial": json.dumps(model.initial_values),
            "events": json.dumps([e.to_dict() for e in problem.events]),
            "engine": sol.engine,
            "method": sol.method,
            "rtol": problem.rtol,
            "atol": json.dumps([float(a) for a in atol_vector]),
            "status_warning": " ".join(sol.warnings),
            "max_nfev": problem.max_nfev,
            "nfev": sol.nfev,
            "status": sol.status,
            "status_reason": sol.reason,
            "seed": "none" if seed is None else int(seed),
            "oncoimmune_version": __version__,
            "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
    )
    if model.tumour_state:
        ds.attrs["tumour_state"] = model.tumour_state
    return ds


def _parameters_over_time(problem: Problem, t: np.ndarray) -> np.ndarray:
    p = np.repeat(np.asarray(problem.p, dtype=float)[:, None], t.size, axis=1)
    for e in problem.events:  # sorted by time, applied in order as the engine does
        if e.kind == "parameter":
            j = problem.compiled.param_index(e.target)
            after = t >= e.time
            p[j, after] = p[j, after] + e.value if e.op == "add" else e.value
    return p


def _check_ok(ds: xr.Dataset) -> None:
    if ds.attrs.get("status") != "ok":
        raise EngineError(f"simulation failed: {ds.attrs.get('status_reason')}")
