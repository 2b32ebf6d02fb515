"""Scenarios for the web explorer: a library model, escapes, therapies and parameter changes, solved fast.

A *scenario* is what a page asks for: a library model or an imported SBML model
(:mod:`oncoimmune.web.imported`, id ``sbml_...``), which escape mechanisms
are switched on (and how strongly), which catalogue therapies are given, the
parameter and initial-value changes of the sliders, and how many virtual
patients to draw for a band. Only public functions of :mod:`oncoimmune` are
used: :func:`oncoimmune.library.get_model`, the escape mechanisms of
:mod:`oncoimmune.biology.escape`, :func:`oncoimmune.therapy.parse_therapy` and
:func:`oncoimmune.therapy.treat_regimens`, and the engines
(:func:`oncoimmune.engines.solve_batch`, :func:`oncoimmune.simulate`).

Speed comes from compiling each *structure* once: the model with its escapes and
therapies is built and compiled on the first request and kept in a small LRU
cache; slider moves then only change the parameter vector handed to the batched
engine, which solves one patient in milliseconds and a 1,000-patient band in
well under a second (measured in ``docs/benchmarks.md``, section "Web explorer").

Every error is an :class:`oncoimmune.OncoimmuneError` carrying ``field`` (the
request field, e.g. ``set.T`` or ``therapies[0]``), which the API turns into a
422 response naming that field.

References
----------
.. [1] Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Nonlinear
   dynamics of immunogenic tumors. Bull Math Biol 56:295-321.
   doi:10.1007/BF02460644
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, Sequence

import numpy as np

from .. import OncoimmuneError, simulate
from ..biology.escape import MECHANISMS
from ..engines import solve_batch, unsupported_model_events
from ..library import default_days, default_events, get_model, list_models
from ..therapy import bsa_mosteller, parse_therapy, treat_regimens
from ..therapy.regimen import DEFAULT_PDL1_ENGAGEMENT
from .errors import FieldError
from .imported import DEFAULT_DAYS as SBML_DEFAULT_DAYS
from .imported import get_imported, is_imported_id

__all__ = [
    "ESCAPES",
    "ScenarioError",
    "Structure",
    "band_quantiles",
    "build_structure",
    "run_scenario",
]

#: Escape mechanisms the pages can switch on (immunoediting adds a state and is left to the CLI/Python).
ESCAPES = ("lymphopenia", "pdl1_checkpoint", "antigen_loss")

#: Wall-clock budget of one SciPy reference run (a web request never hangs; the run reports "failed").
SCIPY_MAX_SECONDS = 20.0

#: Quantiles drawn as the band (5-95 % and 25-75 % around the median).
BAND_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


class ScenarioError(FieldError):
    """A scenario that cannot be built or run; ``field`` names the request field."""


@dataclass(frozen=True, eq=False)
class Structure:
    """A built and compiled scenario structure (model with escapes and therapies, its events)."""

    key: tuple[Any, ...]
    model: Any
    compiled: Any
    events: tuple[Any, ...]
    days: float
    build_ms: float


_CACHE: "OrderedDict[tuple[Any, ...], Structure]" = OrderedDict()
_CACHE_SIZE = 64
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _ids() -> tuple[str, ...]:
    return tuple(m["id"] for m in list_models())


def model_ids() -> list[str]:
    """Ids of the library models (the library is fixed once imported)."""
    return list(_ids())


def _check_model(model_id: str) -> None:
    if is_imported_id(model_id):
        if get_imported(model_id) is None:
            raise ScenarioError("model", f"no imported model {model_id!r} on this server (never imported, or dropped "
                                "from memory); import the SBML file again with POST /api/sbml")
        return
    ids = _ids()
    if model_id not in ids:
        raise ScenarioError("model", f"unknown model {model_id!r}; valid choices: {', '.join(ids)}, or an imported "
                            "SBML model's id (POST /api/sbml)")


def base_model(model_id: str) -> Any:
    """The library model, or the imported SBML model, with this id (checked by :func:`_check_model`)."""
    _check_model(model_id)
    if is_imported_id(model_id):
        return get_imported(model_id).model
    return get_model(model_id)


def scenario_default_days(model_id: str) -> float:
    """The default horizon: the library model's default experiment, or 100 time units of an SBML file."""
    return SBML_DEFAULT_DAYS if is_imported_id(model_id) else float(default_days(model_id))


def build_structure(
    model_id: str,
    days: float,
    *,
    escapes: Mapping[str, float] | None = None,
    therapies: Sequence[str] = (),
    weight_kg: float = 70.0,
    height_cm: float = 170.0,
    use_default_events: bool = True,
) -> Structure:
    """Build (or fetch from the cache) the compiled model of a scenario.

    Parameters
    ----------
    model_id : str
        Library model id.
    days : float
        Horizon; therapies are dosed until it.
    escapes : mapping of str to float, optional
        Escape mechanism -> strength (see :data:`ESCAPES`).
    therapies : sequence of str
        ``DRUG[:DOSE][:SCHEDULE]`` texts (see ``oncoimmune drugs``). A PD-1/PD-L1
        blocker on a model without the PD-L1 brake gets the brake with the
        CLI's scenario default ``DEFAULT_PDL1_ENGAGEMENT`` (as ``oncoimmune simulate``).
    weight_kg, height_cm : float
        The patient, for weight- and BSA-based doses.
    use_default_events : bool
        Apply the model's published default experiment (e.g. a cell infusion).

    Returns
    -------
    Structure

    Raises
    ------
    ScenarioError
        Naming ``model``, ``escapes.NAME`` or ``therapies[i]``.
    """
    _check_model(model_id)
    imported = is_imported_id(model_id)
    if imported and (escapes or therapies):
        field = "escapes" if escapes else "therapies"
        raise ScenarioError(field, "escape mechanisms and catalogue therapies compose onto library models in the "
                            "explorer; for an imported SBML model compose them in Python (docs/sbml.md)")
    esc = tuple(sorted((escapes or {}).items()))
    key = (model_id, float(days), esc, tuple(therapies), float(weight_kg), float(height_cm), bool(use_default_events))
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    t0 = time.perf_counter()
    model = base_model(model_id)
    for name, strength in esc:
        if name not in ESCAPES:
            raise ScenarioError(f"escapes.{name}", f"unknown escape mechanism; valid choices: {', '.join(ESCAPES)}")
        try:
            model = MECHANISMS[name].apply(model, float(strength))
        except OncoimmuneError as exc:
            raise ScenarioError(f"escapes.{name}", str(exc)) from None
    regimens = []
    bsa = bsa_mosteller(height_cm, weight_kg)
    for i, text in enumerate(therapies):
        try:
            regimens.append(parse_therapy(text, weight_kg=weight_kg, bsa_m2=bsa, until=days))
        except OncoimmuneError as exc:
            raise ScenarioError(f"therapies[{i}]", str(exc)) from None
    events: tuple[Any, ...] = tuple(default_events(model_id)) if use_default_events and not imported else ()
    if regimens:
        try:
            treated = treat_regimens(model, *regimens, until=days, pdl1_engagement=DEFAULT_PDL1_ENGAGEMENT)
        except OncoimmuneError as exc:
            raise ScenarioError("therapies", str(exc)) from None
        model = treated.model
        events = events + tuple(treated.events)
    compiled = model.compile()
    st = Structure(key, model, compiled, events, float(days), 1e3 * (time.perf_counter() - t0))
    with _LOCK:
        _CACHE[key] = st
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return st


def _overrides(st: Structure, values: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Parameter vector and initial state with ``values`` applied, each checked against its bounds."""
    cm, model = st.compiled, st.model
    p, y0 = np.array(cm.p0, dtype=float), np.array(cm.y0, dtype=float)
    for name, value in values.items():
        field = f"set.{name}"
        v = float(value)
        if not math.isfinite(v):
            raise ScenarioError(field, f"must be a finite number; got {value!r}")
        if name in model.parameter_names:
            lo, hi = model.parameter(name).bounds
            if not lo <= v <= hi:
                raise ScenarioError(field, f"must be within [{lo:g}, {hi:g}]; got {v:g}")
            p[cm.param_index(name)] = v
        elif name in model.state_names:
            if any(k == name for k, _ in model.initial_assignments):
                raise ScenarioError(field, f"the initial value of {name!r} is computed from the parameters by its "
                                    "initial assignment; change those parameters instead")
            if v < 0:
                raise ScenarioError(field, f"an initial population must be >= 0; got {v:g}")
            y0[model.state_names.index(name)] = v
        else:
            names = sorted(model.parameter_names) + sorted(model.state_names)
            raise ScenarioError(field, f"unknown parameter or state of {model.id!r}; valid names: {', '.join(names)}")
    return p, y0


def _grid(days: float, points: int) -> np.ndarray:
    grid = np.linspace(0.0, days, int(points))
    grid[-1] = days
    return grid


def _draw(st: Structure, p: np.ndarray, n: int, cv: float, seed: int, vary: Sequence[str]) -> np.ndarray:
    """``n`` parameter vectors: log-normal with median ``p`` and coefficient of variation ``cv`` on ``vary``.

    A parameter whose :class:`~oncoimmune.Distribution` is log-normal or normal
    keeps its own published CV; draws are clipped to the parameter's bounds.
    The stream is ``numpy.random.default_rng(SeedSequence(seed))``.
    """
    cm, model = st.compiled, st.model
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    P = np.tile(p, (n, 1))
    for name in vary:
        j = cm.param_index(name)
        par = model.parameter(name)
        dist = par.distribution
        c = dist.cv if dist.kind in ("lognormal", "normal") and dist.cv > 0 else cv
        if c <= 0 or p[j] == 0:
            continue
        sigma = math.sqrt(math.log1p(c * c))
        P[:, j] = p[j] * np.exp(sigma * rng.standard_normal(n))
        lo, hi = par.bounds
        P[:, j] = np.clip(P[:, j], lo, hi)
    return P


def default_vary(st: Structure, base_model_id: str) -> list[str]:
    """The parameters varied in a band by default: those of the library model itself (not drugs or escapes)."""
    base = base_model(base_model_id)
    return [n for n in base.parameter_names if n in st.model.parameter_names]


def band_quantiles(y: np.ndarray) -> dict[str, list[list[float]]]:
    """Quantiles :data:`BAND_QUANTILES` over patients (axis 0), NaN-aware, per time and state."""
    with np.errstate(all="ignore"):
        q = np.nanquantile(y, BAND_QUANTILES, axis=0)  # (nq, n_times, n_states)
    return q


def _clean(a: np.ndarray) -> list[float | None]:
    """Values as a JSON-ready list, non-finite values as ``None``."""
    a = np.asarray(a, dtype=float)
    if np.isfinite(a).all():
        return a.tolist()
    return [None if not math.isfinite(x) else x for x in a.tolist()]


def run_scenario(
    model_id: str,
    *,
    days: float | None = None,
    set_values: Mapping[str, float] | None = None,
    escapes: Mapping[str, float] | None = None,
    therapies: Sequence[str] = (),
    weight_kg: float = 70.0,
    height_cm: float = 170.0,
    use_default_events: bool = True,
    patients: int = 1,
    cv: float = 0.2,
    seed: int = 0,
    vary: Sequence[str] | None = None,
    engine: str = "batched",
    points: int = 201,
    rtol: float = 1e-6,
) -> dict[str, Any]:
    """Simulate a scenario and return plain data for the JSON API.

    Parameters
    ----------
    model_id : str
        Library model id.
    days : float, optional
        Horizon (default: the model's default experiment).
    set_values : mapping, optional
        Parameter and initial-value changes by name (checked against bounds).
    escapes, therapies, weight_kg, height_cm, use_default_events
        See :func:`build_structure`.
    patients : int
        1: one trajectory; more: a band of virtual patients (quantiles).
    cv : float
        Between-patient coefficient of variation for parameters without a
        published distribution (band only).
    seed : int
        Seed of the band's draws.
    vary : sequence of str, optional
        Parameters drawn for the band (default: the library model's own).
    engine : {"batched", "scipy"}
        ``"batched"`` (compiled, fast) or the SciPy reference engine (one patient).
    points : int
        Output points (evenly spaced from 0 to ``days``).
    rtol : float
        Relative tolerance (absolute tolerance 1e-6 for the batched engine).

    Returns
    -------
    dict
        ``time``, ``states`` (name -> values; for a band, name -> quantile name
        -> values), ``units``, ``status``, ``timing_ms``, ``evidence``.
    """
    _check_model(model_id)
    if days is None:
        days = scenario_default_days(model_id)
    st = build_structure(
        model_id, days, escapes=escapes, therapies=therapies, weight_kg=weight_kg, height_cm=height_cm,
        use_default_events=use_default_events,
    )
    p, y0 = _overrides(st, set_values or {})
    grid = _grid(st.days, points)
    model, cm = st.model, st.compiled
    note = ""
    why = unsupported_model_events(cm) if engine == "batched" else ""
    if why:
        # model events other than dose schedules on time alone run on the SciPy reference engine only
        if patients > 1:
            raise ScenarioError("patients", f"model {model_id!r} has events (SBML <event>) that only the SciPy "
                                f"reference engine runs, one patient at a time ({why}); ask for patients = 1")
        engine = "scipy"
        note = f"the model's events run on the SciPy reference engine only ({why}), so this run used it"
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "model": model_id,
        "title": model.title,
        "days": st.days,
        "patients": int(patients),
        "engine": engine,
        "engine_note": note,
        "time": grid.tolist(),
        "time_units": "day" if not is_imported_id(model_id) else getattr(model, "time_units", "time unit of the file"),
        "units": {s.name: s.units for s in model.states},
        "descriptions": {s.name: s.description for s in model.states},
        "tumour_state": model.tumour_state or None,
        "escapes": dict(escapes or {}),
        "therapies": list(therapies),
        "evidence": [str(r) for r in model.references],
    }
    if patients == 1:
        if engine == "scipy":
            values = dict(set_values or {})
            ds = simulate(
                model, st.days, events=st.events, saveat=grid,
                parameters={k: v for k, v in values.items() if k in model.parameter_names},
                initial={k: v for k, v in values.items() if k in model.state_names},
                rtol=1e-8, atol=1e-10, max_seconds=SCIPY_MAX_SECONDS,
            )
            out["states"] = {s: _clean(np.asarray(ds[s].values)) for s in model.state_names}
            out["status"] = ds.attrs["status"]
            out["status_reason"] = ds.attrs.get("status_reason") or ""
        else:
            sol = solve_batch(cm, y0, p, t1=st.days, saveat=grid, events=st.events, rtol=rtol, atol=1e-6, threads=1)
            out["states"] = {s: _clean(sol.y[0, :, i]) for i, s in enumerate(sol.states)}
            out["status"] = "ok" if bool(sol.ok[0]) else "failed"
            out["status_reason"] = sol.reason(0)
    else:
        if engine != "batched":
            raise ScenarioError("engine", "a band of patients needs engine 'batched'")
        names = list(vary) if vary else default_vary(st, model_id)
        for i, name in enumerate(names):
            if name not in model.parameter_names:
                raise ScenarioError(f"vary[{i}]", f"unknown parameter of {model_id!r}; valid names: "
                                    f"{', '.join(sorted(model.parameter_names))}")
        P = _draw(st, p, int(patients), float(cv), int(seed), names)
        sol = solve_batch(cm, y0, P, t1=st.days, saveat=grid, events=st.events, rtol=rtol, atol=1e-6)
        q = band_quantiles(np.asarray(sol.y, dtype=float))
        labels = [f"q{int(round(100 * x)):02d}" for x in BAND_QUANTILES]
        out["states"] = {
            s: {lab: _clean(q[k, :, i]) for k, lab in enumerate(labels)} for i, s in enumerate(sol.states)
        }
        n_ok = int(np.count_nonzero(sol.ok))
        out["status"] = "ok" if n_ok == patients else "partial"
        out["status_reason"] = "" if n_ok == patients else f"{patients - n_ok} of {patients} patients failed"
        out["n_ok"] = n_ok
        out["vary"] = names
        out["cv"] = float(cv)
        out["seed"] = int(seed)
    out["timing_ms"] = {"solve": round(1e3 * (time.perf_counter() - t0), 2), "build": round(st.build_ms, 2)}
    return out
