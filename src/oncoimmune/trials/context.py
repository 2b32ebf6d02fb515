"""Stage 0 of a trial run: what every patient of one trial shares.

:class:`TrialContext` is built once per process (driver and each worker) from
the spec's TOML text and the seed: the population, the library model and its
trial hooks, the scan days and the save grid. It also holds the runner's fixed
settings (RECIST detection limit, save spacing) and its error class.

The stages of a run, each in its own module, in the order they run:
:mod:`~oncoimmune.trials.plan` (screen, enrol, randomise) ->
:mod:`~oncoimmune.trials.sample` (covariates, parameters, regimens, event
draws) -> :mod:`~oncoimmune.trials.solve` (trajectories, crossover) ->
:mod:`~oncoimmune.trials.assess` (scans, deaths, RECIST, endpoints) ->
:mod:`~oncoimmune.trials.analyse` (summaries, hazard ratios, comparison) ->
:mod:`~oncoimmune.trials.write` (tables, figures, report);
:mod:`~oncoimmune.trials.shards` and :mod:`~oncoimmune.trials.execute` run
the per-patient stages shard by shard, and :mod:`~oncoimmune.trials.runner`
joins them in :func:`~oncoimmune.trials.runner.run_trial`.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import OncoimmuneError
from .spec import TrialSpec

__all__ = [
    "DEFAULT_BATCHED_SHARD_SIZE",
    "DEFAULT_SHARD_SIZE",
    "DETECTION_LIMIT_MM",
    "MAX_HORIZON_MONTHS",
    "MAX_PATIENTS",
    "RECIST_SETTINGS",
    "SAVE_EVERY_DAYS",
    "TrialContext",
    "TrialRunError",
    "context_for",
]

#: lesion a CT reader records, within the 2-5 mm recommended in ``trials.recist``).
DETECTION_LIMIT_MM = 3.0
#: Patients per shard by default (reference engine, one patient at a time).
DEFAULT_SHARD_SIZE = 25
#: Patients per shard by default with the batched engine (one batched solve per shard).
DEFAULT_BATCHED_SHARD_SIZE = 1000
#: Most patients one run may enrol (the plan of all enrolled patients is held in memory, about
#: 0.3 kB each, and about 4-5 are screened per enrolment in KEYNOTE-024).
MAX_PATIENTS = 10_000_000
#: Longest trial horizon, months (100 years: beyond any human follow-up).
MAX_HORIZON_MONTHS = 1200.0
#: Spacing of the saved trajectory between scans (for the time of death), days.
SAVE_EVERY_DAYS = 7.0
#: RECIST settings used by the runner.
RECIST_SETTINGS = {"confirm": True, "confirm_days": 28.0, "sd_min_days": 42.0}


class TrialRunError(OncoimmuneError, ValueError):
    """Bad input to the runner (options, a spec that cannot be simulated); names the field and the fix."""


def _library_hooks(model_id: str) -> Mapping[str, Callable[..., Any]]:
    """The library module's trial hooks. ``pretreatment_state(model, patient)`` receives the linked model and
    the :class:`~oncoimmune.patients.virtual.VirtualPatient` (covariate effects such as the line of therapy)."""
    from ..library import _module  # the registry's module lookup (hooks are optional module attributes)

    mod = _module(model_id)
    hooks = dict(getattr(mod, "HOOKS", {}))
    if "pretreatment_state" not in hooks and hasattr(mod, "pretreatment_state"):
        hooks["pretreatment_state"] = mod.pretreatment_state
    return hooks



@dataclass
class TrialContext:
    """What every patient of one trial shares (built once per worker process)."""

    spec: TrialSpec
    seed: int
    population: Any
    model: Any
    coefficients: Any
    hooks: Mapping[str, Callable[..., Any]]
    scan_days: np.ndarray
    grid: np.ndarray
    horizon: float
    burden: str
    burden_is_observable: bool
    new_lesion_state: str | None
    #: per-process memo of the solve stage (e.g. the batched engine's compiled templates)
    cache: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, spec: TrialSpec, seed: int) -> TrialContext:
        model = spec.build_model()
        horizon = spec.horizon_days
        scans = np.array((0.0, *spec.assessment_days()), dtype=float)
        weekly = np.arange(0.0, horizon, SAVE_EVERY_DAYS)
        grid = np.unique(np.concatenate([scans, weekly, [horizon]]))
        mod = importlib.import_module(f"oncoimmune.library.{_module_name(spec.model.id)}")
        burden = getattr(mod, "BURDEN", None)
        if burden is not None and burden in model.observable_names:
            b, is_obs = burden, True
        else:
            b, is_obs = model.tumour_state, False
        nl = getattr(mod, "NEW_LESION_STATE", None)
        return cls(
            spec=spec,
            seed=int(seed),
            population=spec.to_population(),
            model=model,
            coefficients=spec.link_coefficients(),
            hooks=_library_hooks(spec.model.id),
            scan_days=scans,
            grid=grid,
            horizon=horizon,
            burden=b,
            burden_is_observable=is_obs,
            new_lesion_state=nl if nl in model.state_names else None,
        )


def _module_name(model_id: str) -> str:
    from ..library import _modules

    return _modules()[model_id]


_CONTEXTS: dict[tuple[str, int], TrialContext] = {}


def context_for(spec_toml: str, seed: int) -> TrialContext:
    """The context of ``(spec_toml, seed)``, built once per process (one trial at a time is cached)."""
    key = (spec_toml, int(seed))
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        _CONTEXTS.clear()
        ctx = _CONTEXTS[key] = TrialContext.build(TrialSpec.from_toml(spec_toml), seed)
    return ctx



#: Former private name, kept for callers of ``runner._Context``.
_Context = TrialContext


@contextlib.contextmanager
def gc_paused() -> Any:
    """Pause the cyclic garbage collector (reference counting still frees almost everything).

    Screening and a shard allocate many small objects (outcomes, patient models,
    events, records) while the process holds many more; the collector's passes
    over them cost about a third of the sampling stage. Cycles made meanwhile
    are collected when it resumes.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
