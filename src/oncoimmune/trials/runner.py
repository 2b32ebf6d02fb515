r"""Run a virtual clinical trial from a :class:`~oncoimmune.trials.spec.TrialSpec`, in shards.

Pipeline
--------
1. **Screen and enrol** (:func:`plan_trial`): patients are drawn in index
   order from the spec's population and tested as in the clinic
   (:func:`oncoimmune.patients.cohort.screen`) until ``n`` are eligible.
2. **Randomise**: permuted blocks of ``randomisation.block_size``, one block
   sequence per stratum of ``randomisation.stratify`` (block ``b`` of the
   stratum labelled ``L`` is permuted by
   ``default_rng(SeedSequence([randomisation.seed, crc32(L), b]))``); without
   strata, :meth:`TrialSpec.allocation`.
3. **Simulate each patient** (:func:`simulate_patient`): link the covariates to
   the model (:func:`~oncoimmune.patients.link.link_patient`), apply the
   library module's ``pretreatment_state`` hook if it has one, add the arm's
   regimens (:func:`~oncoimmune.therapy.regimen.treat_regimens`) and simulate
   to the horizon, saving at the scan days and weekly in between.
4. **Outcomes per patient** (:func:`derive_outcomes`): target-lesion sums at
   the scans (sphere-equivalent diameter of all tumour cells, the RECIST
   convention of :mod:`oncoimmune.patients.link`), new lesions (when the model
   carries a new-lesion hazard state), death (the spec's lethal-burden rule or
   background mortality, whichever first), dropout, and crossover (at the
   first documented progression, with the arm's crossover probability, the
   target arm's regimens start ``delay_days`` later; the patient is simulated
   again from the start with both arms' regimens and the second trajectory is
   used after progression, so progression-based endpoints are unchanged and
   overall survival includes crossover, as in an intention-to-treat analysis).
5. **Endpoints**: RECIST 1.1 (:func:`~oncoimmune.trials.recist.assess_recist`,
   confirmation 28 d, SD minimum 42 d, detection limit :data:`DETECTION_LIMIT_MM`
   for CR) on all patients at once, then
   :func:`~oncoimmune.trials.endpoints.endpoint_table`.
6. **Analysis, figures, report**: responses, Kaplan-Meier, log-rank, Cox
   hazard ratios, comparison with a real trial's patient-level data (for
   KEYNOTE-024 the reconstructed curves, :mod:`oncoimmune.trials.calibration`),
   waterfall/spider/swimmer/KM figures and the HTML report.

Shards and resumption
---------------------
Enrolled patients are cut, in enrolment order, into shards of ``shard_size``.
Each shard is simulated by a worker (in-process, or a
:class:`concurrent.futures.ProcessPoolExecutor` with ``workers`` processes),
written atomically as Parquet with its SHA-256 in ``manifest.json``
(:mod:`oncoimmune.trials.store`). ``resume=True`` skips the shards whose file
matches its checksum. A patient whose simulation fails (or raises) is kept
with ``status = "failed"`` and the reason; they count in the intention-to-treat
denominators (not evaluable, censored at day 0) and in the report.

Determinism
-----------
Everything about patient ``i`` comes from streams keyed by ``(seed, i)``:
covariates and assays (:mod:`oncoimmune.patients.cohort`), parameter draws
(:func:`~oncoimmune.patients.link.sample_parameters`), and the ``events``
stream, from which exactly four numbers are drawn in this order: a uniform for
dropout, a uniform for background death, a uniform for crossover and a
unit exponential for the new-lesion threshold. Results therefore do not depend
on the shard size, the number of workers, or on resuming.

References
----------
.. [1] Eisenhauer EA et al. (2009). RECIST 1.1. Eur J Cancer 45:228-247.
   doi:10.1016/j.ejca.2008.10.026
.. [2] Reck M et al. (2016). N Engl J Med 375:1823-1833 (KEYNOTE-024).
   doi:10.1056/NEJMoa1606774
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import OncoimmuneError
from .._version import __version__
from .recist import DAYS_PER_MONTH
from .spec import TrialSpec

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "DETECTION_LIMIT_MM",
    "EventDraws",
    "PlannedPatient",
    "TrialPlan",
    "TrialResult",
    "TrialRunError",
    "allocate",
    "derive_outcomes",
    "event_draws",
    "plan_trial",
    "run_trial",
    "simulate_patient",
]

#: Non-nodal sums at or below this are recorded as disappeared (CR) (assumption: the smallest
#: lesion a CT reader records, within the 2-5 mm recommended in ``trials.recist``).
DETECTION_LIMIT_MM = 3.0
#: Patients per shard by default.
DEFAULT_SHARD_SIZE = 25
#: Spacing of the saved trajectory between scans (for the time of death), days.
SAVE_EVERY_DAYS = 7.0
#: RECIST settings used by the runner.
RECIST_SETTINGS = {"confirm": True, "confirm_days": 28.0, "sd_min_days": 42.0}

_STRATUM_ATTRS = {
    "ecog": "ecog",
    "histology": "histology",
    "sex": "sex",
    "stage": "stage",
    "prior_lines": "prior_lines",
}


class TrialRunError(OncoimmuneError, ValueError):
    """Bad input to the runner (options, a spec that cannot be simulated); names the field and the fix."""


class _PatientFailure(Exception):
    """A patient's simulation failed (kept as a failed record, never stops the trial)."""


# ---------------------------------------------------------------------------------------------
# planning: screening and randomisation
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedPatient:
    """One enrolled patient: enrolment position, screening index, arm and stratum."""

    position: int
    index: int
    arm: str
    stratum: str


@dataclass(frozen=True)
class TrialPlan:
    """Who is enrolled, in which arm, and how screening went."""

    patients: tuple[PlannedPatient, ...]
    screening: Mapping[str, Any]

    def shards(self, shard_size: int) -> list[dict[str, Any]]:
        """Shard plan: ``[{"id", "positions": [first, stop)}]`` in enrolment order."""
        n = len(self.patients)
        return [
            {"id": k, "positions": [s, min(s + shard_size, n)]} for k, s in enumerate(range(0, n, shard_size))
        ]


def _stratum(patient: Any, factors: Sequence[str]) -> str:
    if not factors:
        return "all"
    return "|".join(f"{f}={getattr(patient, _STRATUM_ATTRS[f])}" for f in factors)


def allocate(spec: TrialSpec, strata: Sequence[str]) -> list[str]:
    """Arms of the enrolled patients (in enrolment order) by stratified permuted blocks.

    Parameters
    ----------
    spec : TrialSpec
    strata : sequence of str
        Stratum label of each enrolled patient (``"all"`` without stratification).

    Returns
    -------
    list of str
        Without ``randomisation.stratify`` this is ``spec.allocation(n)``.
        With it, each stratum has its own sequence of blocks; block ``b`` of the
        stratum labelled ``L`` is permuted by
        ``default_rng(SeedSequence([randomisation.seed, crc32(L), b]))``, so a
        patient's arm depends only on the patients enrolled before them in the
        same stratum.
    """
    n = len(strata)
    if spec.randomisation is None or not spec.randomisation.stratify:
        return list(spec.allocation(n))
    total = sum(a.ratio for a in spec.arms)
    per = spec.randomisation.block_size // total
    block = [a.name for a in spec.arms for _ in range(a.ratio * per)]
    queues: dict[str, list[str]] = {}
    blocks_used: dict[str, int] = {}
    out = []
    for label in strata:
        q = queues.setdefault(label, [])
        if not q:
            b = blocks_used.get(label, 0)
            key = zlib.crc32(label.encode("utf-8"))
            rng = np.random.default_rng(np.random.SeedSequence([spec.randomisation.seed, key, b]))
            q.extend(block[k] for k in rng.permutation(len(block)))
            blocks_used[label] = b + 1
        out.append(q.pop(0))
    return out


def plan_trial(spec: TrialSpec, n_patients: int, seed: int) -> TrialPlan:
    """Screen, enrol and randomise ``n_patients`` (see the module docstring).

    Raises
    ------
    TrialRunError
        If fewer than ``n_patients`` eligible patients are found.
    """
    import warnings

    from ..patients.cohort import screen

    pop = spec.to_population()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sc = screen(pop, seed, n_patients)
    if not sc.complete:
        raise TrialRunError(
            f"population: only {len(sc.enrolled)} of {n_patients} patients were eligible among {sc.screened} "
            f"screened (failures: {dict(sc.failures)}); relax population.inclusion or enrol fewer (--patients)"
        )
    factors = list(spec.randomisation.stratify) if spec.randomisation is not None else []
    strata = [_stratum(p, factors) for p in sc.enrolled]
    arms = allocate(spec, strata)
    patients = tuple(
        PlannedPatient(position=k, index=p.index, arm=a, stratum=s)
        for k, (p, a, s) in enumerate(zip(sc.enrolled, arms, strata))
    )
    return TrialPlan(patients=patients, screening=sc.summary())


# ---------------------------------------------------------------------------------------------
# random events of one patient
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventDraws:
    """The four numbers drawn from a patient's ``events`` stream (arrays over patients).

    Attributes
    ----------
    dropout, background, crossover : ndarray
        Uniforms on [0, 1).
    new_lesion : ndarray
        Unit exponentials (the cumulative new-lesion hazard at which a new
        lesion appears).
    """

    dropout: np.ndarray
    background: np.ndarray
    crossover: np.ndarray
    new_lesion: np.ndarray


def event_draws(seed: int, indices: Sequence[int]) -> EventDraws:
    """Draw each patient's event numbers from ``patient_rng(seed, i, "events")`` (fixed order)."""
    from ..patients.cohort import patient_rng

    rows = []
    for i in indices:
        rng = patient_rng(int(seed), int(i), "events")
        u = rng.random(3)
        rows.append((u[0], u[1], u[2], rng.standard_exponential()))
    a = np.array(rows, dtype=float).reshape(-1, 4)
    return EventDraws(a[:, 0], a[:, 1], a[:, 2], a[:, 3])


# ---------------------------------------------------------------------------------------------
# from trajectories to outcomes (shared with the calibration)
# ---------------------------------------------------------------------------------------------
def sld_from_cells_array(cells: Any) -> np.ndarray:
    """Vectorised :func:`oncoimmune.patients.virtual.sld_from_cells` (mm; negative undershoots -> 0)."""
    from ..biology.observables import CELLS_PER_CM3

    c = np.maximum(np.asarray(cells, dtype=float), 0.0)
    return 10.0 * (6.0 * c / (math.pi * CELLS_PER_CM3)) ** (1.0 / 3.0)


def _first_crossing(grid: np.ndarray, metric: np.ndarray, threshold: float) -> np.ndarray:
    """First time each row of ``metric`` reaches ``threshold`` (log-linear interpolation); inf if never."""
    n = metric.shape[0]
    out = np.full(n, np.inf)
    above = metric >= threshold
    hit = above.any(axis=1)
    j = np.argmax(above, axis=1)
    for r in np.flatnonzero(hit):
        k = int(j[r])
        if k == 0:
            out[r] = grid[0]
            continue
        a, b = metric[r, k - 1], metric[r, k]
        if a > 0 and b > a:
            w = (math.log(threshold) - math.log(a)) / (math.log(b) - math.log(a))
        else:
            w = 1.0
        out[r] = grid[k - 1] + min(max(w, 0.0), 1.0) * (grid[k] - grid[k - 1])
    return out


def derive_outcomes(
    grid: np.ndarray,
    burden: np.ndarray,
    new_lesion_hazard: np.ndarray | None,
    scan_days: np.ndarray,
    draws: EventDraws,
    *,
    horizon: float,
    dropout_per_day: float,
    background_per_day: float,
    death_rule: str | None,
    death_threshold: float | None,
) -> dict[str, np.ndarray]:
    """Scans, new lesions, death, dropout and last contact from tumour trajectories.

    Parameters
    ----------
    grid : ndarray, shape (m,)
        Save times (days), containing every scan day.
    burden : ndarray, shape (n, m)
        Tumour cells.
    new_lesion_hazard : ndarray, shape (n, m), optional
        Cumulative new-lesion hazard; a new lesion is found at the first scan
        (after baseline) at which it has reached the patient's exponential draw.
    scan_days : ndarray, shape (k,)
        Scan days, 0 (baseline) first.
    draws : EventDraws
    horizon : float
        Days of follow-up.
    dropout_per_day, background_per_day : float
        Constant hazards (exponential times from the uniforms: ``-log(u)/h``).
    death_rule : {"tumour_cells_above", "sld_above"} or None
    death_threshold : float or None

    Returns
    -------
    dict of ndarray
        ``sums`` (n, k) mm, NaN after death or last contact; ``new_lesions``
        (n, k) bool; ``death_day`` (NaN: alive at the horizon);
        ``death_cause`` ("tumour", "background" or ""); ``dropout_day`` (NaN:
        none); ``last_contact_day``.
    """
    grid = np.asarray(grid, dtype=float)
    burden = np.atleast_2d(np.asarray(burden, dtype=float))
    n = burden.shape[0]
    sld = sld_from_cells_array(burden)
    idx = np.searchsorted(grid, scan_days)
    if not np.allclose(grid[np.minimum(idx, grid.size - 1)], scan_days):
        raise TrialRunError("internal: the save grid must contain every scan day")
    with np.errstate(divide="ignore"):
        t_drop = -np.log(draws.dropout) / dropout_per_day if dropout_per_day > 0 else np.full(n, np.inf)
        t_bg = (
            -np.log(draws.background) / background_per_day if background_per_day > 0 else np.full(n, np.inf)
        )
    if death_rule is None or death_threshold is None:
        t_tum = np.full(n, np.inf)
    else:
        metric = burden if death_rule == "tumour_cells_above" else sld
        t_tum = _first_crossing(grid, metric, float(death_threshold))
    t_death = np.fmin(t_tum, t_bg)
    death = np.where(t_death <= horizon, t_death, np.nan)
    cause = np.where(np.isnan(death), "", np.where(t_tum <= t_bg, "tumour", "background"))
    dropout = np.where(t_drop < np.fmin(t_death, horizon), t_drop, np.nan)
    contact = np.where(np.isnan(dropout), horizon, dropout)
    contact = np.where(np.isfinite(death), np.fmin(contact, death), contact)
    sums = sld[:, idx].copy()
    observed = scan_days[None, :] <= contact[:, None] + 1e-9
    sums[~observed] = np.nan
    if new_lesion_hazard is not None:
        cum = np.atleast_2d(np.asarray(new_lesion_hazard, dtype=float))[:, idx]
        nl = (cum >= draws.new_lesion[:, None]) & observed
        nl[:, 0] = False
    else:
        nl = np.zeros_like(sums, dtype=bool)
    return {
        "sums": sums,
        "new_lesions": nl,
        "death_day": death,
        "death_cause": cause.astype(object),
        "dropout_day": dropout,
        "last_contact_day": contact,
    }


def assess(scan_days: np.ndarray, sums: np.ndarray, new_lesions: np.ndarray) -> Any:
    """RECIST 1.1 with the runner's settings (:data:`RECIST_SETTINGS`, :data:`DETECTION_LIMIT_MM`)."""
    from .recist import assess_recist

    return assess_recist(
        scan_days,
        sums,
        new_lesions=new_lesions,
        detection_limit_mm=DETECTION_LIMIT_MM,
        origin=0.0,
        **RECIST_SETTINGS,
    )


# ---------------------------------------------------------------------------------------------
# one patient
# ---------------------------------------------------------------------------------------------
def _library_hooks(model_id: str) -> Mapping[str, Callable[..., Any]]:
    from ..library import _module  # the registry's module lookup (hooks are optional module attributes)

    mod = _module(model_id)
    hooks = dict(getattr(mod, "HOOKS", {}))
    if "pretreatment_state" not in hooks and hasattr(mod, "pretreatment_state"):
        hooks["pretreatment_state"] = mod.pretreatment_state
    return hooks


@dataclass
class _Context:
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

    @classmethod
    def build(cls, spec: TrialSpec, seed: int) -> _Context:
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


def _shift(regimen: Any, days: float) -> Any:
    """A regimen whose first administration is ``days`` later."""
    from ..therapy.regimen import ChemotherapyCourse, Regimen

    if days == 0:
        return regimen
    if isinstance(regimen, Regimen):
        return dataclasses.replace(
            regimen,
            phases=tuple(dataclasses.replace(p, start_day=p.start_day + days) for p in regimen.phases),
        )
    if isinstance(regimen, ChemotherapyCourse):
        start = regimen.start_day if regimen.start_day is not None else regimen.regimen.schedule.start_day
        return dataclasses.replace(regimen, start_day=start + days)
    raise TrialRunError(f"cannot shift a regimen of type {type(regimen).__name__}")


def _trajectory(
    ctx: _Context, model: Any, patient: Any, regimens: Sequence[Any]
) -> tuple[np.ndarray, np.ndarray, Any]:
    from ..simulate import simulate
    from ..therapy.regimen import treat_regimens

    tr = treat_regimens(
        model, *regimens, until=ctx.horizon, weight_kg=patient.weight_kg, bsa_m2=patient.bsa_m2
    )
    ds = simulate(tr.model, ctx.horizon, events=tr.events, saveat=ctx.grid)
    if ds.attrs.get("status") != "ok":
        raise _PatientFailure(f"simulation failed: {ds.attrs.get('status_reason')}")
    y = np.asarray(ds[ctx.burden].values, dtype=float)
    if not ctx.burden_is_observable:
        y = y / ctx.coefficients.tumour_scale.value
    nl = np.asarray(ds[ctx.new_lesion_state].values, dtype=float) if ctx.new_lesion_state else None
    if not np.isfinite(y).all():
        raise _PatientFailure("simulation returned non-finite tumour sizes")
    return y, nl, ds


def _regimens(ctx: _Context, arm: str, patient: Any, start: float = 0.0) -> list[Any]:
    from ..therapy.regimen import parse_therapy

    return [
        _shift(parse_therapy(text, weight_kg=patient.weight_kg, bsa_m2=patient.bsa_m2), start)
        for text in ctx.spec.arm(arm).regimens
    ]


def _covariates(p: Any) -> dict[str, Any]:
    return {
        "age": float(p.age),
        "sex": str(p.sex),
        "ecog": int(p.ecog),
        "histology": str(p.histology),
        "stage": str(p.stage),
        "weight_kg": float(p.weight_kg),
        "bsa_m2": float(p.bsa_m2),
        "lymphocytes": float(p.lymphocytes),
        "pdl1_tps": float(p.biomarkers.get("pdl1", np.nan))
        if p.biomarkers.get("pdl1") is not None
        else np.nan,
        "tmb": float(p.biomarkers.get("tmb", np.nan)) if p.biomarkers.get("tmb") is not None else np.nan,
        "baseline_sld_mm": float(p.burden.value) if p.burden.measure == "sld" else np.nan,
        "tumour_cells": float(p.tumour_cells),
    }


def _simulate_patient_core(ctx: _Context, planned: PlannedPatient) -> dict[str, Any]:
    """Simulate one patient; raises on failure (see :func:`simulate_patient`)."""
    from ..patients.cohort import run_assays, sample_patient
    from ..patients.link import link_patient

    spec = ctx.spec
    patient = run_assays(ctx.population, sample_patient(ctx.population, ctx.seed, planned.index))
    rec: dict[str, Any] = _covariates(patient)
    draws = event_draws(ctx.seed, [planned.index])
    lp = link_patient(ctx.model, patient, escape_mechanisms=spec.model.escape, coefficients=ctx.coefficients)
    model = lp.model
    hook = ctx.hooks.get("pretreatment_state")
    if hook is not None:
        model = hook(model)
    rec.update({f"strength_{k}": float(v) for k, v in lp.strengths.items()})
    rec.update({f"param_{k}": float(v) for k, v in lp.parameters.items()})
    y, nl, ds = _trajectory(ctx, model, patient, _regimens(ctx, planned.arm, patient))
    nfev = int(ds.attrs.get("nfev", 0))
    kw = {
        "horizon": ctx.horizon,
        "dropout_per_day": spec.dropout.per_day,
        "background_per_day": spec.background_mortality.per_day,
        "death_rule": spec.death.rule if spec.death is not None else None,
        "death_threshold": spec.death.threshold if spec.death is not None else None,
    }
    out = derive_outcomes(
        ctx.grid, y[None, :], None if nl is None else nl[None, :], ctx.scan_days, draws, **kw
    )
    crossed, cross_day = False, np.nan
    xo = spec.arm(planned.arm).crossover
    if xo is not None:
        r = assess(ctx.scan_days, out["sums"], out["new_lesions"])
        t_prog = float(r.time_progression[0])
        if np.isfinite(t_prog) and draws.crossover[0] < xo.probability:
            t_x = t_prog + xo.delay_days
            if t_x < ctx.horizon and not (out["last_contact_day"][0] < t_x):
                regs = _regimens(ctx, planned.arm, patient) + _regimens(ctx, xo.to_arm, patient, start=t_x)
                y2, nl2, ds2 = _trajectory(ctx, model, patient, regs)
                nfev += int(ds2.attrs.get("nfev", 0))
                after = ctx.grid > t_prog + 1e-9
                y = np.where(after, y2, y)
                if nl is not None and nl2 is not None:
                    nl = np.where(after, nl2, nl)
                out2 = derive_outcomes(
                    ctx.grid, y[None, :], None if nl is None else nl[None, :], ctx.scan_days, draws, **kw
                )
                # scans up to progression are unchanged by construction; take the new follow-up
                out = out2
                crossed, cross_day = True, t_x
    rec.update(
        {
            "sld_mm": [float(v) for v in out["sums"][0]],
            "new_lesion": [bool(v) for v in out["new_lesions"][0]],
            "death_day": float(out["death_day"][0]),
            "death_cause": str(out["death_cause"][0]),
            "dropout_day": float(out["dropout_day"][0]),
            "last_contact_day": float(out["last_contact_day"][0]),
            "crossover": crossed,
            "crossover_day": float(cross_day),
            "nfev": nfev,
        }
    )
    return rec


def simulate_patient(ctx: _Context, planned: PlannedPatient) -> dict[str, Any]:
    """One patient's record; a failure is recorded (``status``, ``reason``), never raised.

    Returns
    -------
    dict
        Identifiers, arm, stratum, covariates, drawn parameters, scan sums
        (``sld_mm``, baseline first), ``new_lesion`` flags, death, dropout,
        last contact, crossover, ``status`` (``"ok"``/``"failed"``) and ``reason``.
    """
    t0 = time.perf_counter()
    base = {
        "patient_id": planned.position,
        "patient_index": planned.index,
        "arm": planned.arm,
        "stratum": planned.stratum,
    }
    try:
        rec = _simulate_patient_core(ctx, planned)
        rec.update(status="ok", reason="")
    except Exception as exc:  # noqa: BLE001 - a failed patient never stops the trial
        m = len(ctx.scan_days)
        rec = {
            "sld_mm": [np.nan] * m,
            "new_lesion": [False] * m,
            "death_day": np.nan,
            "death_cause": "",
            "dropout_day": np.nan,
            "last_contact_day": 0.0,
            "crossover": False,
            "crossover_day": np.nan,
            "nfev": 0,
            "status": "failed",
            "reason": f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500],
        }
        try:  # keep the baseline (known from the covariates) so the patient has a baseline scan
            from ..patients.cohort import run_assays, sample_patient

            p = run_assays(ctx.population, sample_patient(ctx.population, ctx.seed, planned.index))
            rec.update(_covariates(p))
            rec["sld_mm"][0] = float(sld_from_cells_array([p.tumour_cells])[0])
        except Exception:  # noqa: BLE001, S110 - the covariates are a courtesy; the failure is recorded
            pass
    rec.update(base)
    rec["seconds"] = round(time.perf_counter() - t0, 4)
    return rec


# ---------------------------------------------------------------------------------------------
# shards (run in-process or in worker processes)
# ---------------------------------------------------------------------------------------------
_CONTEXTS: dict[tuple[str, int], _Context] = {}


def _context(spec_toml: str, seed: int) -> _Context:
    key = (spec_toml, int(seed))
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        _CONTEXTS.clear()
        ctx = _CONTEXTS[key] = _Context.build(TrialSpec.from_toml(spec_toml), seed)
    return ctx


def _records_frame(records: Sequence[Mapping[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame(list(records))


def run_shard(
    spec_toml: str,
    seed: int,
    root: str,
    relpath: str,
    patients: Sequence[tuple[int, int, str, str]],
    on_patient: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Simulate one shard and write it atomically; return its manifest entry.

    Parameters
    ----------
    spec_toml : str
        The spec as TOML (plain data crosses the process boundary).
    seed : int
    root, relpath : str
        Run directory and the shard's relative path.
    patients : sequence of (position, index, arm, stratum)
    on_patient : callable, optional
        Called after each patient (progress, in-process only).

    Returns
    -------
    dict
        ``file``, ``sha256``, ``bytes``, ``patients``, ``failed``, ``seconds``.
    """
    from .store import write_shard_file

    t0 = time.perf_counter()
    ctx = _context(spec_toml, seed)
    recs = []
    for pos, idx, arm, stratum in patients:
        recs.append(simulate_patient(ctx, PlannedPatient(int(pos), int(idx), str(arm), str(stratum))))
        if on_patient is not None:
            on_patient()
    entry = write_shard_file(root, relpath, _records_frame(recs))
    entry.update(
        patients=len(recs),
        failed=sum(r["status"] != "ok" for r in recs),
        seconds=round(time.perf_counter() - t0, 3),
    )
    return entry


def _run_shard_job(args: tuple[Any, ...]) -> tuple[int, dict[str, Any]]:
    shard_id, spec_toml, seed, root, relpath, patients = args
    return shard_id, run_shard(spec_toml, seed, root, relpath, patients)


# ---------------------------------------------------------------------------------------------
# analysis of the finished trial
# ---------------------------------------------------------------------------------------------
@dataclass
class TrialResult:
    """A finished virtual trial.

    Attributes
    ----------
    out : Path
        Run directory.
    patients, endpoints : pandas.DataFrame
        One row per patient (``patients.parquet``, ``endpoints.parquet``).
    recist : RecistResult
    summary : dict
        Response, survival and comparison figures (``summary.json``).
    comparisons : list
        :class:`~oncoimmune.analysis.survival.TrialComparison` (PFS, OS) or empty.
    shards_run, shards_skipped : list of int
    files : list of str
        Outputs written, relative to ``out``.
    """

    out: Path
    patients: Any
    endpoints: Any
    recist: Any
    summary: dict[str, Any]
    comparisons: list[Any] = field(default_factory=list)
    shards_run: list[int] = field(default_factory=list)
    shards_skipped: list[int] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def control_arm(spec: TrialSpec) -> str | None:
    """The reference arm for hazard ratios: the arm patients cross over *from*, else the last arm."""
    if len(spec.arms) < 2:
        return None
    sources = [a.name for a in spec.arms if a.crossover is not None]
    return sources[0] if len(sources) == 1 else spec.arms[-1].name


def _endpoints(frame: Any, scan_days: np.ndarray) -> tuple[Any, Any]:
    from .endpoints import endpoint_table

    sums = np.array([np.asarray(v, dtype=float) for v in frame["sld_mm"]])
    nl = np.array([np.asarray(v, dtype=bool) for v in frame["new_lesion"]])
    r = assess(scan_days, sums, nl)
    table = endpoint_table(
        r,
        arm=list(frame["arm"].astype(str)),
        death_days=frame["death_day"].to_numpy(dtype=float),
        last_contact_days=frame["last_contact_day"].to_numpy(dtype=float),
        patient_id=list(frame["patient_id"].astype(int)),
    )
    for col in ("status", "reason", "patient_index", "stratum", "crossover", "death_cause"):
        table[col] = frame[col].to_numpy()
    table["crossover_months"] = frame["crossover_day"].to_numpy(dtype=float) / DAYS_PER_MONTH
    table["new_lesion_progression"] = [
        bool(np.isfinite(tp) and flags[int(np.searchsorted(scan_days, tp))])
        for tp, flags in zip(r.time_progression, nl)
    ]
    return table, r


def _hr_row(table: Any, time: str, event: str, reference: str) -> dict[str, Any]:
    from ..analysis.survival import hazard_ratios

    try:
        hr = hazard_ratios(table, time=time, event=event, reference=reference)
    except OncoimmuneError as exc:
        return {"error": str(exc)}
    return {
        a: {
            "hr": float(r.hr),
            "hr_lo": float(r.hr_lo),
            "hr_hi": float(r.hr_hi),
            "p": float(r.p),
            "vs": reference,
        }
        for a, r in hr.iterrows()
    }


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def summarise(table: Any, reference: str | None) -> dict[str, Any]:
    """Response and survival figures of an endpoint table (plain data)."""
    from ..analysis.survival import survival_summary
    from .endpoints import response_summary

    ok = table
    rs = response_summary(ok)
    out: dict[str, Any] = {"arms": {}}
    for arm, r in rs.iterrows():
        out["arms"][arm] = {
            "n": int(r.n),
            **{c: int(r[c]) for c in ("CR", "PR", "SD", "PD", "NE")},
            "orr": float(r.orr),
            "orr_ci": [float(r.orr_lo), float(r.orr_hi)],
            "dcr": float(r.dcr),
        }
    for ep in ("pfs", "os"):
        s = survival_summary(ok, time=f"{ep}_months", event=f"{ep}_event", at=(6.0, 12.0))
        for arm, r in s.iterrows():
            out["arms"][arm][ep] = {
                "events": int(r.events),
                "median_months": _finite(r["median"]),
                "median_ci": [_finite(r["median_lo"]), _finite(r["median_hi"])],
                "surv_6": float(r["surv_6"]),
                "surv_12": float(r["surv_12"]),
            }
        if reference is not None and len(rs) > 1:
            out[f"{ep}_hr"] = _hr_row(ok, f"{ep}_months", f"{ep}_event", reference)
    out["failed"] = int((table["status"] != "ok").sum())
    return out


def _figures(table: Any, recist: Any, comparisons: Sequence[Any], reference: str | None) -> dict[str, Any]:
    from ..plots.trials import plot_km, plot_spider, plot_swimmer, plot_waterfall

    figs = {
        "waterfall.png": plot_waterfall(table),
        "spider.png": plot_spider(recist),
        "swimmer.png": plot_swimmer(table),
        "km_pfs.png": plot_km(
            table,
            time="pfs_months",
            event="pfs_event",
            reference=reference,
            ylabel="Progression-free survival",
            title="PFS: Kaplan-Meier",
        ),
        "km_os.png": plot_km(
            table,
            time="os_months",
            event="os_event",
            reference=reference,
            ylabel="Overall survival",
            title="OS: Kaplan-Meier",
        ),
    }
    for comp in comparisons:
        figs[f"overlay_{comp.endpoint.lower()}.png"] = comp.figure()
    return figs


# ---------------------------------------------------------------------------------------------
# the run
# ---------------------------------------------------------------------------------------------
def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise TrialRunError(f"{name} must be a whole number >= {low}; got {value!r}")
    return int(value)


def _progress(enabled: bool, total: int) -> Any:
    import contextlib

    if not enabled:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("[bold]virtual trial"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("patients"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )


def run_trial(
    spec: TrialSpec,
    out: str | os.PathLike[str],
    *,
    n_patients: int | None = None,
    seed: int | None = None,
    shard_size: int = DEFAULT_SHARD_SIZE,
    workers: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
    reference: Any = "auto",
    report: bool = True,
    figures: bool = True,
    command: str | None = None,
) -> TrialResult:
    """Run a virtual trial and write its outputs under ``out``.

    Parameters
    ----------
    spec : TrialSpec
    out : path-like
        Run directory (created; see :mod:`oncoimmune.trials.store`).
    n_patients : int, optional
        Patients to enrol (default ``spec.n_patients``).
    seed : int, optional
        Trial seed (default ``spec.seed``).
    shard_size : int
        Patients per shard (results do not depend on it).
    workers : int
        1: in-process; more: that many worker processes (results do not depend on it).
    executor : {"local", "dask"}
        ``"local"``: in-process or a :class:`concurrent.futures.ProcessPoolExecutor`;
        ``"dask"``: one task per shard on a Dask cluster
        (:func:`oncoimmune.trials.distributed.run_shards_on_dask`; a LocalCluster of
        ``workers`` processes on 127.0.0.1 unless ``scheduler`` is given).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``); implies ``executor="dask"``.
    resume : bool
        Continue the run in ``out``: finished shards (checksums verified) are skipped.
    overwrite : bool
        Replace a previous run in ``out``.
    progress : bool
        Show a rich progress bar on stderr.
    reference : "auto", ReferenceTrial or None
        Real trial to compare with; ``"auto"`` looks it up from the spec's name
        (:func:`oncoimmune.trials.calibration.reference_for`).
    report, figures : bool
        Write ``report.html`` and ``figures/*.png``.
    command : str, optional
        Command line recorded in the report.

    Returns
    -------
    TrialResult

    Raises
    ------
    TrialRunError
        For invalid options or a spec that cannot be simulated (checked on one
        patient per arm before anything is written).
    ResultsFileError
        If ``out`` cannot be used (exists without ``resume``/``overwrite``, or
        belongs to a different run).
    """

    from .store import RunConfig, TrialStore

    t_start = time.perf_counter()
    if not isinstance(spec, TrialSpec):
        raise TrialRunError(f"spec must be a TrialSpec (load_trial_spec(path)); got {type(spec).__name__}")
    n = _check_int("--patients", spec.n_patients if n_patients is None else n_patients, 1)
    s = _check_int("--seed", spec.seed if seed is None else seed, 0)
    shard_size = _check_int("--shard-size", shard_size, 1)
    workers = _check_int("--workers", workers, 1)
    if scheduler is not None:
        executor = "dask"
    if executor not in ("local", "dask"):
        raise TrialRunError(f"--executor must be 'local' or 'dask'; got {executor!r}")
    if scheduler is not None and not (isinstance(scheduler, str) and "://" in scheduler):
        from .distributed import DistributedRunError

        raise DistributedRunError(
            f"--scheduler must be an address such as tcp://127.0.0.1:8786; got {scheduler!r}"
        )
    mode = TrialStore.check_destination(out, resume=resume, overwrite=overwrite)

    spec_toml = spec.to_toml()
    ctx = _context(spec_toml, s)
    plan = plan_trial(spec, n, s)
    _preflight(ctx, plan)
    ref = _resolve_reference(spec, reference)

    store = TrialStore(out)
    shard_plan = plan.shards(shard_size)
    store.open(RunConfig(spec_toml, s, n, shard_size), shard_plan, mode=mode)
    done = store.done() if mode == "resume" else set()
    todo = [sh for sh in shard_plan if sh["id"] not in done]
    root = os.fspath(store.root)

    def jobs() -> list[tuple[Any, ...]]:
        out_jobs = []
        for sh in todo:
            a, b = sh["positions"]
            pts = [(p.position, p.index, p.arm, p.stratum) for p in plan.patients[a:b]]
            out_jobs.append((sh["id"], spec_toml, s, root, store.shard_file(sh["id"]), pts))
        return out_jobs

    n_todo = sum(sh["positions"][1] - sh["positions"][0] for sh in todo)
    pool = _pool(workers) if executor == "local" and workers > 1 and len(todo) > 1 else None
    try:
        with _progress(progress, n) as bar:
            task = None
            if bar is not None:
                task = bar.add_task("patients", total=n, completed=n - n_todo)
            if executor == "dask":
                from .distributed import run_shards_on_dask

                def advance(entry: Mapping[str, Any]) -> None:
                    if bar is not None:
                        bar.advance(task, entry["patients"])

                run_shards_on_dask(
                    jobs(), store.register, scheduler=scheduler, workers=workers, on_shard=advance
                )
            elif pool is None:
                for job in jobs():
                    shard_id = job[0]
                    tick = (lambda: bar.advance(task)) if bar is not None else None
                    entry = run_shard(*job[1:], on_patient=tick)
                    store.register(shard_id, entry)
            else:
                import concurrent.futures as cf

                futures = [pool.submit(_run_shard_job, job) for job in jobs()]
                for fut in cf.as_completed(futures):
                    shard_id, entry = fut.result()
                    store.register(shard_id, entry)
                    if bar is not None:
                        bar.advance(task, entry["patients"])
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    frame = store.read_shards().sort_values("patient_id", kind="stable").reset_index(drop=True)
    table, recist = _endpoints(frame, ctx.scan_days)
    reference_arm = control_arm(spec)
    summary = summarise(table, reference_arm)
    comparisons: list[Any] = []
    if ref is not None:
        try:
            comparisons = ref.compare(table)
        except OncoimmuneError as exc:  # e.g. a tiny trial with an arm without events
            summary["reference_error"] = f"comparison with {ref.name} not possible: {exc}"
        summary["reference"] = ref.summary(table, comparisons)
    run_seconds = time.perf_counter() - t_start
    summary.update(
        {
            "trial": spec.name,
            "seed": s,
            "n_patients": n,
            "screening": dict(plan.screening),
            "shards": {
                "size": shard_size,
                "total": len(shard_plan),
                "run": [sh["id"] for sh in todo],
                "skipped": sorted(done),
            },
            "workers": workers,
            "executor": executor,
            "run_seconds": round(run_seconds, 2),
            "oncoimmune_version": __version__,
            "reference_arm": reference_arm,
        }
    )
    patients = frame.drop(columns=["sld_mm", "new_lesion"])
    scans = _scans_long(frame, ctx.scan_days)
    files = []
    for name, df in (("patients.parquet", patients), ("endpoints.parquet", table), ("scans.parquet", scans)):
        store.write_output(name, _parquet_bytes(df))
        files.append(name)
    if figures or report:
        import matplotlib

        matplotlib.use("Agg", force=False)
    if figures:
        from ..plots.trials import figure_png

        for name, fig in _figures(table, recist, comparisons, reference_arm).items():
            store.write_output(f"figures/{name}", figure_png(fig, dpi=110))
            files.append(f"figures/{name}")
    if report:
        from .report import render_report

        html_text = render_report(
            table,
            recist=recist,
            comparisons=comparisons,
            spec=spec_toml,
            seed=s,
            title=f"{spec.name}: virtual trial report",
            reference=reference_arm,
            at=(0.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0),
            run_seconds=run_seconds,
            provenance=_provenance(spec, plan, summary, ref, table, command),
        )
        store.write_output("report.html", html_text.encode("utf-8"))
        files.append("report.html")
    store.write_output("summary.json", (json.dumps(_jsonable(summary), indent=2) + "\n").encode("utf-8"))
    files.append("summary.json")
    store.finish(_jsonable({k: summary[k] for k in ("arms", "failed", "seed", "n_patients") if k in summary}))
    return TrialResult(
        out=store.root,
        patients=patients,
        endpoints=table,
        recist=recist,
        summary=summary,
        comparisons=comparisons,
        shards_run=[sh["id"] for sh in todo],
        shards_skipped=sorted(done),
        files=files,
    )


def _noop() -> int:
    return os.getpid()


def _pool(workers: int) -> Any:
    """A process pool, its workers started now (before any progress-bar thread exists).

    ``fork`` where the platform has it and this process runs no other thread
    (no re-import of the caller's main module, so a plain script may call
    :func:`run_trial` with workers); otherwise ``spawn`` (forking a process
    with threads, e.g. after JAX is imported, can deadlock; a script then
    needs the ``if __name__ == "__main__":`` guard). Workers receive plain
    data only (the spec's TOML text, indices) and write their shard files
    themselves.
    """
    import concurrent.futures as cf
    import multiprocessing as mp
    import threading

    fork_ok = "fork" in mp.get_all_start_methods() and threading.active_count() == 1
    method = "fork" if fork_ok else "spawn"
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method))
    for f in [pool.submit(_noop) for _ in range(workers)]:
        f.result()
    return pool


def _parquet_bytes(df: Any) -> bytes:
    import io

    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _scans_long(frame: Any, scan_days: np.ndarray) -> Any:
    import pandas as pd

    rows = []
    for pid, arm, sums, nl in zip(frame["patient_id"], frame["arm"], frame["sld_mm"], frame["new_lesion"]):
        for d, v, f in zip(scan_days, sums, nl):
            rows.append((int(pid), str(arm), float(d), float(v), bool(f)))
    return pd.DataFrame(rows, columns=["patient_id", "arm", "day", "sld_mm", "new_lesion"])


def _jsonable(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _preflight(ctx: _Context, plan: TrialPlan) -> None:
    """Build the treated model of the first patient of each arm; a failure is a spec error."""
    from ..patients.cohort import run_assays, sample_patient
    from ..patients.link import link_patient
    from ..therapy.regimen import treat_regimens

    seen: set[str] = set()
    for p in plan.patients:
        if p.arm in seen:
            continue
        seen.add(p.arm)
        where = f"arms[{[a.name for a in ctx.spec.arms].index(p.arm)}]"
        try:
            patient = run_assays(ctx.population, sample_patient(ctx.population, ctx.seed, p.index))
            lp = link_patient(
                ctx.model, patient, escape_mechanisms=ctx.spec.model.escape, coefficients=ctx.coefficients
            )
            m = lp.model
            hook = ctx.hooks.get("pretreatment_state")
            if hook is not None:
                m = hook(m)
            treat_regimens(
                m,
                *_regimens(ctx, p.arm, patient),
                until=ctx.horizon,
                weight_kg=patient.weight_kg,
                bsa_m2=patient.bsa_m2,
            )
            xo = ctx.spec.arm(p.arm).crossover
            if xo is not None:
                regs = _regimens(ctx, p.arm, patient) + _regimens(ctx, xo.to_arm, patient, start=1.0)
                treat_regimens(
                    m, *regs, until=ctx.horizon, weight_kg=patient.weight_kg, bsa_m2=patient.bsa_m2
                )
        except OncoimmuneError as exc:
            raise TrialRunError(
                f"{where} ({p.arm!r}): the model {ctx.spec.model.id!r} cannot be treated with this arm's "
                f"regimens: {exc}"
            ) from None


def _resolve_reference(spec: TrialSpec, reference: Any) -> Any:
    if reference is None:
        return None
    if isinstance(reference, str):
        if reference != "auto":
            raise TrialRunError(f"reference must be 'auto', a ReferenceTrial or None; got {reference!r}")
        from .calibration import reference_for

        return reference_for(spec)
    return reference


def _provenance(
    spec: TrialSpec, plan: TrialPlan, summary: Mapping[str, Any], ref: Any, table: Any, command: str | None
) -> dict[str, Any]:
    from ..library import get_model

    model = get_model(spec.model.id)
    sc = plan.screening
    failed = table[table["status"] != "ok"]
    reasons = failed["reason"].value_counts().head(5)
    prov: dict[str, Any] = {
        "trial": spec.name,
        "model": f"{model.id}: {model.title}",
        "engine": "SciPy reference engine (LSODA), rtol 1e-8, atol 1e-10, one patient at a time",
        "screening": f"{sc['screened']} screened, {sc['enrolled']} enrolled; failures by criterion: "
        f"{sc['failures_by_criterion']}",
        "patients failed (simulation)": f"{len(failed)}"
        + (f": {'; '.join(f'{r} ({c})' for r, c in reasons.items())}" if len(failed) else ""),
        "shards": f"{summary['shards']['total']} of {summary['shards']['size']} patients; run now: "
        f"{len(summary['shards']['run'])}, skipped (resumed): {len(summary['shards']['skipped'])}; "
        f"workers: {summary['workers']}",
        "RECIST": f"detection limit {DETECTION_LIMIT_MM:g} mm (CR); new lesions from the model's hazard",
        "crossover": f"{int(table['crossover'].sum())} patients crossed over",
    }
    try:
        from ..library import _module

        mod = _module(spec.model.id)
        if hasattr(mod, "describe_calibration"):
            prov["calibration"] = (
                "population hyperparameters "
                + json.dumps(mod.describe_calibration())
                + "; see docs/keynote024.md (fit: Laleh 2022 docetaxel lesions -> growth rate; KEYNOTE-024 "
                "PFS curves of both arms and the two ORRs -> the rest; held out: OS, PFS hazard ratio)"
            )
    except Exception:  # noqa: BLE001, S110 # pragma: no cover - provenance is best effort
        pass
    if ref is not None:
        prov["real trial"] = ref.describe()
        rsum = summary.get("reference") or {}
        lines = []
        for arm, o in rsum.get("orr", {}).items():
            lines.append(
                f"ORR {arm}: virtual {100 * o['virtual']:.1f} % ({100 * o['virtual_ci'][0]:.1f}-"
                f"{100 * o['virtual_ci'][1]:.1f}) vs published {100 * o['published']:.1f} % "
                f"({100 * o['published_ci'][0]:.1f}-{100 * o['published_ci'][1]:.1f}): "
                f"{'inside' if o['inside_published_ci'] else 'OUTSIDE'} the published CI"
            )
        for ep, rows in rsum.get("hazard_ratios", {}).items():
            if "virtual" in rows and "published" in rows:
                v, pub = rows["virtual"], rows["published"]
                lines.append(
                    f"{ep.upper()} HR: virtual {v['hr']:.2f} ({v['ci'][0]:.2f}-{v['ci'][1]:.2f}) vs published "
                    f"{pub['hr']:.2f} ({pub['ci'][0]:.2f}-{pub['ci'][1]:.2f}): "
                    f"{'inside' if rows['inside_published_ci'] else 'OUTSIDE'} the published CI"
                )
        if lines:
            prov["virtual vs published"] = "; ".join(lines)
        if summary.get("reference_error"):
            prov["comparison"] = summary["reference_error"]
    if command:
        prov["command"] = command
    return prov
