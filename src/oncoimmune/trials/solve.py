"""Stage 3: solve each patient's trajectory, and again after crossover.

:func:`simulate_patient` takes one planned patient through sampling
(:mod:`~oncoimmune.trials.sample`), the treated model's simulation to the
horizon (saved at the scan days and weekly in between), the outcomes
(:mod:`~oncoimmune.trials.assess`) and crossover: at the first documented
progression, with the arm's crossover probability, the target arm's regimens
start ``delay_days`` later; the patient is simulated again from the start with
both arms' regimens and the second trajectory is used after progression, so
progression-based endpoints are unchanged and overall survival includes
crossover (intention to treat). A failure is recorded, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .assess import SurvivalInputs, assess, derive_outcomes, sld_from_cells_array
from .context import TrialContext, gc_paused
from .plan import PlannedPatient
from .rules import (
    RuleDraws,
    dose_days,
    dose_targets,
    plan_post_progression,
    rule_draws,
    toxicity_stop_day,
    withhold,
)
from .sample import (
    EventDraws,
    _covariates,
    drawn_patient,
    post_progression_regimens,
    presample,
    regimens,
    sample_patient,
)
from ..model.compile import _structure_key
from ..therapy.regimen import treat_regimens
from .templates import NoTemplate, TemplateMismatch, TreatTemplate, flat_dosed

__all__ = ["TRIAL_ENGINES", "simulate_patient", "simulate_patients_batched"]


class _stage:
    """Adds the wall time of a block to ``ctx.cache["stage_seconds"][name]`` (per-stage benchmark figures)."""

    __slots__ = ("ctx", "name", "t0")

    def __init__(self, ctx: TrialContext, name: str) -> None:
        self.ctx, self.name = ctx, name

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        d = self.ctx.cache.setdefault("stage_seconds", {})
        d[self.name] = d.get(self.name, 0.0) + time.perf_counter() - self.t0


class _PatientFailure(Exception):
    """A patient's simulation failed (kept as a failed record, never stops the trial)."""


def _outcome_options(ctx: TrialContext) -> dict[str, Any]:
    """The spec's outcome rules for :func:`~oncoimmune.trials.assess.derive_outcomes` (both paths)."""
    spec = ctx.spec
    return {
        "horizon": ctx.horizon,
        "dropout_per_day": spec.dropout.per_day,
        "background_per_day": spec.background_mortality.per_day,
        "death_rule": spec.death.rule if spec.death is not None else None,
        "death_threshold": spec.death.threshold if spec.death is not None else None,
    }


def _survival_inputs(ctx: TrialContext, patients: Sequence[Any], indices: Sequence[int]) -> SurvivalInputs | None:
    """The TGI-OS link's inputs for ``patients`` (screening ``indices``) when the spec has ``[survival]``.

    Each patient's draw comes from their own stream (:func:`~oncoimmune.trials.survival_link.survival_draws`),
    so a death time does not depend on the shard, the worker or the engine.
    """
    from .survival_link import LinkCovariates, survival_draws

    if ctx.spec.survival is None:
        return None
    link = ctx.cache.get("tgi_os_link")
    if link is None:
        link = ctx.cache["tgi_os_link"] = ctx.spec.survival.build_link()
    return SurvivalInputs(link, survival_draws(ctx.seed, indices), LinkCovariates.of_patients(patients))


def _with_course(
    ctx: TrialContext,
    survival: SurvivalInputs | None,
    arms: Sequence[str],
    doses: Sequence[tuple[np.ndarray, float, Any]],
    u_crossover: np.ndarray,
) -> SurvivalInputs | None:
    """``survival`` with each patient's treatment course when ``[survival] kg_read = "on_treatment"``.

    ``doses``: per patient, the arm's cycle days, toxicity stop day and
    :class:`~oncoimmune.trials.rules.RuleDraws`.
    """
    if survival is None or ctx.spec.survival is None or ctx.spec.survival.kg_read != "on_treatment":
        return survival
    from dataclasses import replace

    from .rules import TreatmentCourse, treatment_course

    course = TreatmentCourse.concat(
        treatment_course(ctx.spec.arm(a), days, tox, u_beyond=float(rd.beyond[0]), u_crossover=float(u))
        for a, (days, tox, rd), u in zip(arms, doses, u_crossover)
    )
    return replace(survival, course=course)


def _treat(ctx: TrialContext, model: Any, patient: Any, regs: Sequence[Any]) -> Any:
    with _stage(ctx, "treat"):
        return treat_regimens(model, *regs, until=ctx.horizon, weight_kg=patient.weight_kg, bsa_m2=patient.bsa_m2)


def _trajectory(ctx: TrialContext, treated: Any, events: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, Any]:
    """Solve a treated model with ``events`` (its dose events, some perhaps withheld)."""
    from ..simulate import simulate

    with _stage(ctx, "solve"):
        ds = simulate(
            treated.model, ctx.horizon, events=tuple(events), saveat=ctx.grid, rtol=TRIAL_RTOL,
            atol=trial_atol(ctx, treated.model)
        )
    if ds.attrs.get("status") != "ok":
        raise _PatientFailure(f"simulation failed: {ds.attrs.get('status_reason')}")
    y = np.asarray(ds[ctx.burden].values, dtype=float)
    if not ctx.burden_is_observable:
        y = y / ctx.coefficients.tumour_scale.value
    nl = np.asarray(ds[ctx.new_lesion_state].values, dtype=float) if ctx.new_lesion_state else None
    if not np.isfinite(y).all():
        raise _PatientFailure("simulation returned non-finite tumour sizes")
    return y, nl, ds


def _simulate_patient_core(ctx: TrialContext, planned: PlannedPatient) -> dict[str, Any]:
    """Simulate one patient; raises on failure (see :func:`simulate_patient`)."""
    spec = ctx.spec
    with _stage(ctx, "sample"):
        sp = sample_patient(ctx, planned)
    patient, model, rec, draws = sp.patient, sp.model, dict(sp.record), sp.draws
    arm = spec.arm(planned.arm)
    rd = rule_draws(ctx.seed, [planned.index], arm)
    tr = _treat(ctx, model, patient, regimens(ctx, planned.arm, patient))
    days, targets = dose_days(tr.events), dose_targets(tr.events)
    tox_stop = toxicity_stop_day(days, float(rd.cycles[0]))
    y, nl, ds = _trajectory(ctx, tr, withhold(tr.events, tox_stop, targets))
    nfev = int(ds.attrs.get("nfev", 0))
    kw = _outcome_options(ctx)
    kw["follow_up"] = np.array([planned.follow_up_days])
    kw["survival"] = _with_course(ctx, _survival_inputs(ctx, [patient], [planned.index]), [planned.arm],
                                  [(days, tox_stop, rd)], draws.crossover)
    with _stage(ctx, "outcomes"):
        out = derive_outcomes(
            ctx.grid, y[None, :], None if nl is None else nl[None, :], ctx.scan_days, draws, **kw
        )
    fields = _rule_fields(tox_stop)
    if arm.has_post_progression_rules:
        with _stage(ctx, "outcomes"):
            r = assess(ctx.scan_days, out["sums"], out["new_lesions"])
        t_prog = float(r.time_progression[0])
        plan = plan_post_progression(
            arm, t_prog, tox_stop, days, u_crossover=float(draws.crossover[0]), u_beyond=float(rd.beyond[0]),
            u_subsequent=float(rd.subsequent[0]), horizon=ctx.horizon, contact=float(out["last_contact_day"][0]),
        )
        if plan is not None:
            tr2 = _treat(ctx, model, patient, post_progression_regimens(ctx, planned.arm, patient, plan))
            y2, nl2, ds2 = _trajectory(ctx, tr2, withhold(tr2.events, plan.arm_stop, targets))
            nfev += int(ds2.attrs.get("nfev", 0))
            after = ctx.grid > t_prog + 1e-9
            y = np.where(after, y2, y)
            if nl is not None and nl2 is not None:
                nl = np.where(after, nl2, nl)
            # scans up to progression are unchanged by construction; take the new follow-up
            out = derive_outcomes(
                ctx.grid, y[None, :], None if nl is None else nl[None, :], ctx.scan_days, draws, **kw
            )
            fields = _rule_fields(tox_stop, plan)
    rec.update(fields)
    rec.update(
        {
            "sld_mm": np.asarray(out["sums"][0], dtype=float).tolist(),
            "new_lesion": np.asarray(out["new_lesions"][0], dtype=bool).tolist(),
            "death_day": float(out["death_day"][0]),
            "death_cause": str(out["death_cause"][0]),
            "dropout_day": float(out["dropout_day"][0]),
            "last_contact_day": float(out["last_contact_day"][0]),
            "follow_up_day": float(min(planned.follow_up_days, ctx.horizon)),
            "kg_per_day": float(out["kg_per_day"][0]),
            "nfev": nfev,
        }
    )
    return rec


def _rule_fields(tox_stop: float, plan: Any = None) -> dict[str, Any]:
    """The record's treatment-rule columns (see :mod:`oncoimmune.trials.rules`).

    ``crossover``/``crossover_day``; ``toxicity_stop_day`` (the arm's doses stopped for toxicity from this
    day; NaN: not); ``treatment_stop_day`` (the arm's doses withheld from this day, for toxicity or at
    progression; NaN: given as scheduled); ``beyond_progression``; ``subsequent``/``subsequent_day``.
    """
    nan = float("nan")
    stop = tox_stop if plan is None else plan.arm_stop
    return {
        "crossover": bool(plan is not None and plan.crossover_to is not None),
        "crossover_day": float(plan.start) if plan is not None and plan.crossover_to is not None else nan,
        "toxicity_stop_day": float(tox_stop) if np.isfinite(tox_stop) else nan,
        "treatment_stop_day": float(stop) if np.isfinite(stop) else nan,
        "beyond_progression": bool(plan is not None and plan.beyond),
        "subsequent": bool(plan is not None and bool(plan.subsequent)),
        "subsequent_day": float(plan.start) if plan is not None and plan.subsequent else nan,
    }


def simulate_patient(ctx: TrialContext, planned: PlannedPatient) -> dict[str, Any]:
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
        rec = _failure_record(ctx, planned, _reason(exc))
    rec.update(base)
    rec["seconds"] = round(time.perf_counter() - t0, 4)
    return rec



# ---------------------------------------------------------------------------------------------
# the batched path: all patients of a shard in one call per model structure
# ---------------------------------------------------------------------------------------------
#: Engines of the trial runner: "batched" (default; all patients of a shard in one call of
#: :func:`oncoimmune.engines.batched.solve_batch`) and "scipy" (the reference, one patient at a time).
TRIAL_ENGINES = ("batched", "scipy")
#: Relative tolerance of both paths (that of :func:`oncoimmune.simulate.simulate`).
TRIAL_RTOL = 1e-8
#: Method of the batched path: DOP853 lanes, switching a patient that turns stiff to Rodas4 lanes. At
#: this tolerance the 8th-order pair needs fewer evaluations than DOPRI5 ("auto"): on the virtual
#: KEYNOTE-024 (1,000 patients, seed 2016) 5,594 against 8,918 right-hand-side evaluations per
#: pembrolizumab patient, 0.27 against 0.39 ms of solving, with the same error against a run at
#: rtol 1e-12 (docs/benchmarks.md, "Virtual trial end to end").
TRIAL_METHOD = "auto-dop853"


def trial_atol(ctx: TrialContext, model: Any) -> np.ndarray:
    """Absolute tolerance per state of a treated model, the same for every patient and both paths.

    :func:`oncoimmune.engines.tolerance.default_atol` with the scales taken from the
    library model's initial values (not the patient's), so that results do not
    depend on which patients share a batch.
    """
    from ..engines.tolerance import ATOL_CAP, ATOL_PER_SCALE, state_scales

    names = tuple(model.state_names)
    memo = ctx.cache.setdefault("atol", {})
    if names not in memo:
        base = dict(ctx.model.initial_values)
        y0 = np.array([abs(float(base.get(n, 0.0))) for n in names])
        scales = state_scales(y0, [model.state(n).units for n in names])
        memo[names] = np.minimum(ATOL_CAP, ATOL_PER_SCALE * scales)
    return memo[names]


def _failure_record(ctx: TrialContext, planned: PlannedPatient, reason: str) -> dict[str, Any]:
    m = len(ctx.scan_days)
    rec: dict[str, Any] = {
        "sld_mm": [np.nan] * m,
        "new_lesion": [False] * m,
        "death_day": np.nan,
        "death_cause": "",
        "dropout_day": np.nan,
        "last_contact_day": 0.0,
        "follow_up_day": float(min(planned.follow_up_days, ctx.horizon)),
        "kg_per_day": np.nan,
        **_rule_fields(np.inf),
        "nfev": 0,
        "status": "failed",
        "reason": reason[:500],
    }
    try:  # keep the baseline (known from the covariates) so the patient has a baseline scan
        p = drawn_patient(ctx, planned.index)
        rec.update(_covariates(p))
        rec["sld_mm"][0] = float(sld_from_cells_array([p.tumour_cells])[0])
    except Exception:  # noqa: BLE001, S110 - the covariates are a courtesy; the failure is recorded
        pass
    return rec


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


class _Problem:
    """One patient's treated, compiled problem (a row of a batch); ``events`` may be replaced (doses withheld)."""

    __slots__ = ("cm", "events", "key", "model")

    def __init__(self, model: Any, cm: Any, events: tuple[Any, ...]) -> None:
        self.model = model
        self.cm = cm
        self.events = events
        # patients share a batch when their compiled right-hand sides are the same expressions
        self.key = (cm.state_names, cm.param_names, cm.derivatives, cm.observable_exprs)


def _treated(ctx: TrialContext, model: Any, patient: Any, regs: Sequence[Any]) -> _Problem:
    """:func:`_treat`, compiled for the batched engine."""
    tr = _treat(ctx, model, patient, regs)
    with _stage(ctx, "treat"):
        return _Problem(tr.model, tr.model.compile(), tuple(tr.events))


def _treated_from_template(
    ctx: TrialContext,
    arm: str,
    sp: Any,
    regs: Sequence[Any] | None = None,
    *,
    start: float | None = None,
    texts: tuple[str, ...] | None = None,
) -> _Problem:
    """A patient's treated problem, from the arm's :class:`~oncoimmune.trials.templates.TreatTemplate` where it
    has reproduced the full treatment of two patients, else by treating the patient in full.

    ``regs`` default to the arm's regimens; ``start`` (crossover, subsequent therapy: the day some of
    ``regs`` start for this patient) makes the events those of that start day, never the arm's; ``texts``:
    the therapy texts ``regs`` come from (default the patient's arm's), one template per list of texts.
    """
    if regs is None:
        regs = regimens(ctx, arm, sp.patient)
    templates = ctx.cache.setdefault("treat_templates", {})
    if texts is None:  # the arm's regimens can differ by histology (regimens_by_histology)
        texts = tuple(ctx.spec.arm(sp.planned.arm).regimens_for(getattr(sp.patient, "histology", None)))
    key = (arm, texts, start is not None, _structure_key(sp.model))
    t = templates.get(key)
    if t is not None and t.check.use():
        with _stage(ctx, "treat"):
            got = t.problem(sp.model, regs, start)
        if got is not None:
            return _Problem(t.model, got[0], got[1])
    pb = _treated(ctx, sp.model, sp.patient, regs)
    try:
        if t is None:  # the first patient of this arm and structure
            t = templates[key] = TreatTemplate(
                pb.model, pb.events, flat=flat_dosed(regs), until=ctx.horizon, start=start
            )
        ok = t.reproduces(sp.model, regs, pb.cm, pb.events, start) if t.check.wanted else None
    except Exception as exc:  # noqa: BLE001 - a template that cannot be built is not used; the patient is fine
        ok = False
        ctx.cache.setdefault("template_errors", []).append(f"{arm}: {_reason(exc)}")
        if t is None:
            t = templates[key] = NoTemplate("treatment")
    if ok is not None:
        t.check.record(ok, f"arm {arm!r}, patient {sp.planned.index}")
    return pb


def _solve_batches(ctx: TrialContext, problems: Sequence[_Problem]) -> tuple[np.ndarray, Any, np.ndarray, list[str]]:
    """Solve ``problems`` grouped by structure; burden (n, m), new-lesion hazard or None, nfev, reasons."""
    from ..engines.batched import solve_batch

    n, m = len(problems), ctx.grid.size
    burden = np.full((n, m), np.nan)
    nl = np.full((n, m), np.nan) if ctx.new_lesion_state else None
    nfev = np.zeros(n, dtype=np.int64)
    reasons = [""] * n
    groups: dict[Any, list[int]] = {}
    for k, pb in enumerate(problems):
        groups.setdefault(pb.key, []).append(k)
    templates = ctx.cache.setdefault("batched_templates", {})
    for key, rows in groups.items():
        cm = templates.setdefault(key, problems[rows[0]].cm)  # tapes are cached on the template
        Y0 = np.stack([problems[k].cm.y0 for k in rows])
        P = np.stack([problems[k].cm.p0 for k in rows])
        sol = solve_batch(
            cm,
            Y0,
            P,
            t1=ctx.horizon,
            saveat=ctx.grid,
            events=[problems[k].events for k in rows],
            rtol=TRIAL_RTOL,
            atol=trial_atol(ctx, problems[rows[0]].model),
            method=TRIAL_METHOD,
            threads=1,
        )
        y = np.moveaxis(sol.y, 2, 0)  # (n_states, n_rows, m)
        if ctx.burden_is_observable:
            g = cm.observables(np)
            used = _observable_parameters(cm)
            pt = _parameters_over_time(cm, P, [problems[k].events for k in rows], ctx.grid, used)
            with np.errstate(all="ignore"):
                b = np.asarray(g(ctx.grid, y, pt)[cm.observable_names.index(ctx.burden)], dtype=float)
        else:
            b = y[cm.state_index(ctx.burden)] / ctx.coefficients.tumour_scale.value
        burden[rows] = b
        if nl is not None:
            nl[rows] = y[cm.state_index(ctx.new_lesion_state)]
        nfev[rows] = sol.nfev
        for j, k in enumerate(rows):
            if not sol.ok[j]:
                reasons[k] = f"simulation failed: {sol.reason(j)}"
            elif not np.isfinite(burden[k]).all():
                reasons[k] = "simulation returned non-finite tumour sizes"
    return burden, nl, nfev, reasons


def _observable_parameters(cm: Any) -> frozenset[str]:
    """Names of the parameters the model's observables read (cached on the compiled structure)."""
    from ..model.expr import free_symbols

    key = ("observable_parameters",)
    hit = cm._cache.get(key)
    if hit is None:
        names = set().union(*(free_symbols(e) for e in cm.observable_exprs)) if cm.observable_exprs else set()
        hit = cm._cache[key] = frozenset(n for n in names if n in set(cm.param_names))
    return hit


def _parameters_over_time(
    cm: Any, P: np.ndarray, events: Sequence[Sequence[Any]], t: np.ndarray, used: Any = None
) -> np.ndarray:
    """Parameters in force at each save time, shape (n_params, n, len(t)) (events may set parameters).

    ``used``: the names of the parameters the caller reads (default all); events
    setting other parameters are skipped (their rows keep the starting values).
    """
    if used is not None and not used:  # nothing reads them: the starting values, as a read-only view (no copy)
        return np.broadcast_to(P.T[:, :, None], (P.shape[1], P.shape[0], t.size))
    pt = np.repeat(P.T[:, :, None], t.size, axis=2)
    index = {n: k for k, n in enumerate(cm.param_names)}
    for i, evs in enumerate(events):
        for e in evs:  # sorted by time, applied in order as the engines do
            if e.kind == "parameter" and (used is None or e.target in used):
                j = index[e.target] if e.target in index else cm.param_index(e.target)  # the latter raises
                a = int(np.searchsorted(t, e.time, side="left"))  # t is sorted: t[a:] >= e.time
                if a == t.size:
                    continue
                if e.op == "add":
                    pt[j, i, a:] += e.value
                else:
                    pt[j, i, a:] = e.value
    return pt


def simulate_patients_batched(ctx: TrialContext, planned: Sequence[PlannedPatient]) -> list[dict[str, Any]]:
    """Every patient of ``planned`` through the batched engine: one solve per model structure.

    The same stages as :func:`simulate_patient` (sample, treat, solve, outcomes,
    crossover), with the solves of all patients (and then of all patients who
    cross over) made in one call of :func:`oncoimmune.engines.batched.solve_batch`
    each, with each patient's own parameters, initial state and dose events.
    Tolerances are those of the reference path (:data:`TRIAL_RTOL`,
    :func:`trial_atol`). Returns the records :func:`simulate_patient` would,
    in the order of ``planned``.
    """
    with gc_paused():
        return _simulate_batched(ctx, planned)


@dataclass
class _Shard:
    """A shard's patients on their way through the batched stages (rows index ``planned``)."""

    ctx: TrialContext
    planned: Sequence[PlannedPatient]
    recs: list[Any]  # the finished record of each patient (None until done)
    sampled: list[Any] = field(default_factory=list)
    arm_doses: list[Any] = field(default_factory=list)  # (dose days, targets, toxicity stop day, RuleDraws)
    problems: list[_Problem] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)  # patients still in the run, in problem order

    def fail(self, k: int, reason: str) -> None:
        self.recs[k] = _failure_record(self.ctx, self.planned[k], reason)


def _simulate_batched(ctx: TrialContext, planned: Sequence[PlannedPatient]) -> list[dict[str, Any]]:
    """The stages of :func:`simulate_patients_batched`, top to bottom."""
    t0 = time.perf_counter()
    n = len(planned)
    sh = _Shard(ctx, planned, [None] * n, [None] * n, [None] * n)
    _sample_and_treat(sh)
    if sh.rows:
        with _stage(ctx, "solve"):
            burden, nl, nfev, reasons = _solve_batches(ctx, sh.problems)
        keep = []
        for j, reason in enumerate(reasons):
            if reason:
                sh.fail(sh.rows[j], reason)
            else:
                keep.append(j)
        sh.rows = [sh.rows[j] for j in keep]
        if sh.rows:
            _finish(sh, burden[keep], None if nl is None else nl[keep], nfev[keep])
    share = round((time.perf_counter() - t0) / max(n, 1), 4)
    final = []
    for pp, rec in zip(planned, sh.recs):
        assert rec is not None
        rec.update({"patient_id": pp.position, "patient_index": pp.index, "arm": pp.arm, "stratum": pp.stratum})
        rec["seconds"] = share
        final.append(rec)
    return final


def _sample_and_treat(sh: _Shard) -> None:
    """Sample every patient (in lanes where possible) and build their treated problem."""
    ctx, spec = sh.ctx, sh.ctx.spec
    with _stage(ctx, "sample"):
        pre = presample(ctx, sh.planned)
        rds = _shard_rule_draws(ctx, sh.planned)
    for k, pp in enumerate(sh.planned):
        try:
            with _stage(ctx, "sample"):
                sp = sample_patient(ctx, pp, pre.get(pp.index))
            pb = _treated_from_template(ctx, pp.arm, sp)
            days, targets = _dose_schedule(ctx, pb.events)
            rd = rds[k] if rds is not None else rule_draws(ctx.seed, [pp.index], spec.arm(pp.arm))
            tox = toxicity_stop_day(days, float(rd.cycles[0]))
            pb.events = withhold(pb.events, tox, targets)
        except TemplateMismatch:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed patient never stops the trial
            sh.fail(k, _reason(exc))
            continue
        sh.sampled[k] = sp
        sh.arm_doses[k] = (days, targets, tox, rd)
        sh.problems.append(pb)
        sh.rows.append(k)


def _shard_rule_draws(ctx: TrialContext, planned: Sequence[PlannedPatient]) -> list[RuleDraws] | None:
    """Each patient's :func:`~oncoimmune.trials.rules.rule_draws` (one call per arm; every patient has their
    own streams, so the numbers are those of one call per patient); None if a call fails (then per patient)."""
    by_arm: dict[str, list[int]] = {}
    for k, pp in enumerate(planned):
        by_arm.setdefault(pp.arm, []).append(k)
    out: list[Any] = [None] * len(planned)
    try:
        for arm, ks in by_arm.items():
            rd = rule_draws(ctx.seed, [planned[k].index for k in ks], ctx.spec.arm(arm))
            for j, k in enumerate(ks):
                out[k] = RuleDraws(rd.cycles[j : j + 1], rd.beyond[j : j + 1], rd.subsequent[j : j + 1])
    except Exception:  # noqa: BLE001 - a patient whose draw fails fails on their own (per-patient path)
        return None
    return out


def _dose_schedule(ctx: TrialContext, events: tuple[Any, ...]) -> tuple[np.ndarray, frozenset[str]]:
    """:func:`~oncoimmune.trials.rules.dose_days` and :func:`~oncoimmune.trials.rules.dose_targets` of ``events``.

    A template's patients share one tuple of events (flat doses), so the answer is kept for the last
    tuples seen, by identity (the tuple itself is held, so its id cannot be reused by another).
    """
    memo = ctx.cache.setdefault("dose_schedule", {})
    hit = memo.get(id(events))
    if hit is not None and hit[0] is events:
        return hit[1], hit[2]
    days, targets = dose_days(events), dose_targets(events)
    days.flags.writeable = False  # shared by the patients of a template
    if len(memo) >= 16:
        memo.clear()
    memo[id(events)] = (events, days, targets)
    return days, targets


def _finish(sh: _Shard, burden: np.ndarray, nl: Any, nfev: np.ndarray) -> None:
    """Outcomes from the solved trajectories, post-progression re-simulation, then the records."""
    ctx, planned, rows = sh.ctx, sh.planned, sh.rows
    kw = _outcome_options(ctx)
    draws = EventDraws.concat([sh.sampled[k].draws for k in rows])
    kw["follow_up"] = np.array([planned[k].follow_up_days for k in rows])
    kw["survival"] = _with_course(
        ctx, _survival_inputs(ctx, [sh.sampled[k].patient for k in rows], [planned[k].index for k in rows]),
        [planned[k].arm for k in rows],
        [(sh.arm_doses[k][0], sh.arm_doses[k][2], sh.arm_doses[k][3]) for k in rows],
        draws.crossover,
    )
    with _stage(ctx, "outcomes"):
        out = derive_outcomes(ctx.grid, burden, nl, ctx.scan_days, draws, **kw)
    fields = [_rule_fields(sh.arm_doses[k][2]) for k in rows]
    if _post_progression(sh, out, draws, burden, nl, nfev, fields):
        # scans up to progression are unchanged by construction; take the new follow-up
        out = derive_outcomes(ctx.grid, burden, nl, ctx.scan_days, draws, **kw)
    # whole columns as Python values once (tolist gives each row's list and each element's float())
    sums, lesions = np.asarray(out["sums"], dtype=float).tolist(), np.asarray(out["new_lesions"], dtype=bool).tolist()
    death, dropout, contact, kg = (
        np.asarray(out[c], dtype=float).tolist() for c in ("death_day", "dropout_day", "last_contact_day", "kg_per_day")
    )
    for j, k in enumerate(rows):
        if sh.recs[k] is not None:  # failed in the post-progression re-simulation
            continue
        rec = dict(sh.sampled[k].record)
        rec.update(
            {
                "sld_mm": sums[j],
                "new_lesion": lesions[j],
                "death_day": death[j],
                "death_cause": str(out["death_cause"][j]),
                "dropout_day": dropout[j],
                "last_contact_day": contact[j],
                "follow_up_day": float(min(planned[k].follow_up_days, ctx.horizon)),
                "kg_per_day": kg[j],
                **fields[j],
                "nfev": int(nfev[j]),
                "status": "ok",
                "reason": "",
            }
        )
        sh.recs[k] = rec


def _post_progression_texts(ctx: TrialContext, arm: str, patient: Any, plan: Any) -> tuple[str, ...]:
    """The therapy texts of :func:`~oncoimmune.trials.sample.post_progression_regimens` (each arm's for the
    patient's histology), so that a template is never shared by patients given other regimens."""
    h = getattr(patient, "histology", None)
    texts = tuple(ctx.spec.arm(arm).regimens_for(h))
    if plan.crossover_to is not None:
        texts += ("->",) + tuple(ctx.spec.arm(plan.crossover_to).regimens_for(h))
    return texts + ("+",) + tuple(plan.subsequent) if plan.subsequent else texts


def _post_progression(
    sh: _Shard, out: Any, draws: EventDraws, burden: np.ndarray, nl: Any, nfev: np.ndarray, fields: list[Any]
) -> bool:
    """Crossover, stopping at progression, treatment beyond it, subsequent therapy.

    The patients whose trajectory after progression changes are re-simulated
    together; their burden (and new-lesion hazard, evaluations, rule fields) after
    progression are replaced in place. Returns whether any patient was re-simulated.
    """
    ctx, spec, planned, rows = sh.ctx, sh.ctx.spec, sh.planned, sh.rows
    has_rules = np.array([spec.arm(planned[k].arm).has_post_progression_rules for k in rows])
    if not has_rules.any():
        return False
    with _stage(ctx, "outcomes"):
        r = assess(ctx.scan_days, out["sums"], out["new_lesions"])
    xo_rows, xo_problems, xo_plans, xo_prog = [], [], [], []
    for j in np.flatnonzero(has_rules):
        k = rows[j]
        days, targets, tox, rd = sh.arm_doses[k]
        t_prog = float(r.time_progression[j])
        plan = plan_post_progression(
            spec.arm(planned[k].arm), t_prog, tox, days, u_crossover=float(draws.crossover[j]),
            u_beyond=float(rd.beyond[0]), u_subsequent=float(rd.subsequent[0]), horizon=ctx.horizon,
            contact=float(out["last_contact_day"][j]),
        )
        if plan is None:
            continue
        sp = sh.sampled[k]
        try:
            regs = post_progression_regimens(ctx, planned[k].arm, sp.patient, plan)
            label = f"{planned[k].arm}->{plan.crossover_to or '+'.join(plan.subsequent) or 'stop'}"
            start = plan.start if np.isfinite(plan.start) else None  # NaN: nothing starts (doses withheld only)
            texts = _post_progression_texts(ctx, planned[k].arm, sp.patient, plan)
            pb = _treated_from_template(ctx, label, sp, regs, start=start, texts=texts)
            pb.events = withhold(pb.events, plan.arm_stop, targets)
            xo_problems.append(pb)
        except TemplateMismatch:
            raise
        except Exception as exc:  # noqa: BLE001
            sh.fail(k, _reason(exc))
            continue
        xo_rows.append(j)
        xo_plans.append(plan)
        xo_prog.append(t_prog)
    if not xo_rows:
        return False
    with _stage(ctx, "solve"):
        b2, nl2, nfev2, reasons2 = _solve_batches(ctx, xo_problems)
    for q, j in enumerate(xo_rows):
        k = rows[j]
        if reasons2[q]:
            sh.fail(k, reasons2[q])
            continue
        after = ctx.grid > xo_prog[q] + 1e-9
        burden[j] = np.where(after, b2[q], burden[j])
        if nl is not None and nl2 is not None:
            nl[j] = np.where(after, nl2[q], nl[j])
        nfev[j] += nfev2[q]
        fields[j] = _rule_fields(sh.arm_doses[k][2], xo_plans[q])
    return True
