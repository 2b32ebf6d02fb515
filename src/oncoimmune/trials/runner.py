r"""Run a virtual clinical trial from a :class:`~oncoimmune.trials.spec.TrialSpec`, in shards.

:func:`run_trial` reads top to bottom as the stages of a run, each in its own
module: plan (:mod:`~oncoimmune.trials.plan`) -> sample
(:mod:`~oncoimmune.trials.sample`) -> solve (:mod:`~oncoimmune.trials.solve`,
run shard by shard by :mod:`~oncoimmune.trials.shards` and
:mod:`~oncoimmune.trials.execute`) -> assess (:mod:`~oncoimmune.trials.assess`)
-> analyse (:mod:`~oncoimmune.trials.analyse`) -> write
(:mod:`~oncoimmune.trials.write`). The names below are re-exported here for
existing callers.

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
   carries a new-lesion hazard state), death (``[survival]``: the TGI-OS link of
   :mod:`~oncoimmune.trials.survival_link`, from the growth rate before the
   first documented progression and the patient's own draw; otherwise the
   spec's ``[death]`` lethal-burden rule; and background mortality, whichever
   first), dropout, the data cut-off (``[accrual]``: patient ``k`` of ``n`` in
   enrolment order is followed for ``cutoff - accrual * k / n`` months, and
   scans, progression and death after it are censored), and crossover (at the
   first documented progression, with the arm's crossover probability, the
   target arm's regimens start ``delay_days`` later; the patient is simulated
   again from the start with both arms' regimens and the second trajectory is
   used after progression, so progression-based endpoints are unchanged and
   overall survival includes crossover, as in an intention-to-treat analysis).
   The arm's treatment rules (:mod:`~oncoimmune.trials.rules`: toxicity
   discontinuation, until progression, treatment beyond progression,
   subsequent therapy) withhold doses and start later-line regimens the same way.
   ``summary.json`` records the rules applied (``outcome_rules``).
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
unit exponential for the new-lesion threshold; the TGI-OS link's normal draw
comes from a stream of its own (``patient_rng(seed, i, "events", "survival")``), and so
do the treatment rules' numbers (``"events", "toxicity"``, ``"beyond"``, ``"subsequent"``).
Results therefore do not depend on the shard size, the number of workers, or on
resuming. (A patient's follow-up under ``[accrual]`` depends on their enrolment
position and the trial size, as in a real trial.)

References
----------
.. [1] Eisenhauer EA et al. (2009). RECIST 1.1. Eur J Cancer 45:228-247.
   doi:10.1016/j.ejca.2008.10.026
.. [2] Reck M et al. (2016). N Engl J Med 375:1823-1833 (KEYNOTE-024).
   doi:10.1056/NEJMoa1606774
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .analyse import (  # noqa: F401
    analyse_trial,
    control_arm,
    outcome_rules,
    provenance,
    reference_missing,
    resolve_reference,
    summarise,
)
from .assess import assess, derive_outcomes, endpoints, sld_from_cells_array  # noqa: F401
from .context import (  # noqa: F401
    MAX_HORIZON_MONTHS,
    MAX_PATIENTS,
    DEFAULT_BATCHED_SHARD_SIZE,
    DEFAULT_SHARD_SIZE,
    DETECTION_LIMIT_MM,
    RECIST_SETTINGS,
    SAVE_EVERY_DAYS,
    TrialContext,
    TrialRunError,
    context_for,
)
from .execute import execute_shards
from .plan import PlannedPatient, TrialPlan, allocate, plan_trial  # noqa: F401
from .sample import EventDraws, event_draws, preflight, regimens
from .shards import _run_shard_job, run_shard  # noqa: F401
from .solve import TRIAL_ENGINES, _simulate_patient_core, simulate_patient, simulate_patients_batched  # noqa: F401
from .spec import TrialSpec
from .write import _jsonable, write_outputs  # noqa: F401

__all__ = [
    "DEFAULT_BATCHED_SHARD_SIZE",
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

# former private names, kept for existing callers (tests, demo)
_Context = TrialContext
_context = context_for
_regimens = regimens
_endpoints = endpoints


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


#: Conservative bytes per patient written (shard records, patient, endpoint and scan tables):
#: measured about 1.4 kB per patient with 17 scans for KEYNOTE-024 (60 patients, 86 kB); twice that.
_BYTES_PER_PATIENT, _BYTES_PER_SCAN = 2000, 40


def estimated_output_bytes(n_patients: int, n_scans: int) -> int:
    """Upper estimate of what a run of ``n_patients`` writes (shards plus tables; figures excluded)."""
    return int(n_patients) * (_BYTES_PER_PATIENT + _BYTES_PER_SCAN * int(n_scans))


def check_disk_space(out: str | os.PathLike[str], n_patients: int, n_scans: int) -> None:
    """Refuse a run whose estimated output exceeds the free space where ``out`` will be written.

    Raises
    ------
    TrialRunError
        Naming ``--patients``, the estimate and the free space.
    """
    import shutil

    p = Path(out).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    free = shutil.disk_usage(p).free
    need = estimated_output_bytes(n_patients, n_scans)
    if need > free:
        raise TrialRunError(
            f"--patients {n_patients:,}: the outputs would take about {need / 2**30:.1f} GiB but {os.fspath(p)!r} "
            f"has {free / 2**30:.1f} GiB free; enrol fewer patients or choose another --out"
        )


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise TrialRunError(f"{name} must be a whole number >= {low}; got {value!r}")
    return int(value)


def run_trial(
    spec: TrialSpec,
    out: str | os.PathLike[str],
    *,
    n_patients: int | None = None,
    seed: int | None = None,
    shard_size: int | None = None,
    workers: int = 1,
    engine: str | None = None,
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
    shard_size : int, optional
        Patients per shard (results do not depend on it); default
        :data:`DEFAULT_SHARD_SIZE` for ``engine="scipy"``; for ``"batched"``
        at least two shards per worker, of 50 to :data:`DEFAULT_BATCHED_SHARD_SIZE`
        patients.
    workers : int
        1: in-process; more: that many worker processes (results do not depend on it).
    engine : {"batched", "scipy"}, optional
        ``"batched"`` (default; on ``resume``, the run's own): all patients of a shard solved together by the
        batched engine, each with their own parameters and doses
        (:func:`~oncoimmune.trials.solve.simulate_patients_batched`);
        ``"scipy"``: the reference engine, one patient at a time. Both give the
        same endpoints (``tests/trials/test_engine_equivalence.py``).
    executor : {"local", "dask"}
        ``"local"``: in-process or a :class:`concurrent.futures.ProcessPoolExecutor`;
        ``"dask"``: one task per shard on a Dask cluster
        (:func:`oncoimmune.trials.distributed.run_shards_on_dask`; a LocalCluster of
        ``workers`` processes on 127.0.0.1 unless ``scheduler`` is given).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:port``); implies ``executor="dask"``.
    resume : bool
        Continue the run in ``out``: finished shards (checksums verified) are skipped.
        ``n_patients``, ``seed``, ``shard_size`` and ``engine`` left out are
        taken from the run's manifest.
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
    # options and destination (nothing written yet)
    if not isinstance(spec, TrialSpec):
        raise TrialRunError(f"spec must be a TrialSpec (load_trial_spec(path)); got {type(spec).__name__}")
    if resume:  # options left out continue the run as it was started
        prev = TrialStore.previous_config(out)
        n_patients = prev.get("n_patients") if n_patients is None else n_patients
        seed = prev.get("seed") if seed is None else seed
        shard_size = prev.get("shard_size") if shard_size is None else shard_size
        engine = prev.get("engine") if engine is None else engine
    engine = "batched" if engine is None else engine
    n = _check_int("--patients", spec.n_patients if n_patients is None else n_patients, 1)
    if n > MAX_PATIENTS:
        raise TrialRunError(
            f"--patients (or n_patients) must be at most {MAX_PATIENTS:,}; got {n:,} (the enrolment plan is held "
            "in memory): run several trials with different --seed values instead"
        )
    if spec.horizon_months > MAX_HORIZON_MONTHS:
        raise TrialRunError(
            f"horizon_months must be at most {MAX_HORIZON_MONTHS:g} (100 years); got {spec.horizon_months:g}"
        )
    s = _check_int("--seed", spec.seed if seed is None else seed, 0)
    if engine not in TRIAL_ENGINES:
        raise TrialRunError(f"--engine must be one of {', '.join(TRIAL_ENGINES)}; got {engine!r}")
    workers = _check_int("--workers", workers, 1)
    if shard_size is None:  # batched: big shards, but at least two per worker so that all work
        n_hint = spec.n_patients if n_patients is None else n_patients
        per = -(-int(n_hint) // (2 * workers)) if isinstance(n_hint, (int, np.integer)) and n_hint > 0 else 1
        shard_size = min(DEFAULT_BATCHED_SHARD_SIZE, max(50, per)) if engine == "batched" else DEFAULT_SHARD_SIZE
    shard_size = _check_int("--shard-size", shard_size, 1)
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
    check_disk_space(out, n, len(spec.assessment_days()) + 1)
    if scheduler is not None:  # reach the cluster before anything is written
        from .distributed import check_scheduler

        check_scheduler(scheduler)

    # 1. plan: screen, enrol, randomise; check each arm can be treated
    spec_toml = spec.to_toml()
    ctx = context_for(spec_toml, s)
    plan = plan_trial(spec, n, s, workers=workers if executor == "local" else 1)
    preflight(ctx, plan)
    ref = resolve_reference(spec, reference)
    missing = reference_missing(spec) if ref is None and isinstance(reference, str) else None
    stage = {"plan": time.perf_counter() - t_start}

    # 2-3. sample and solve, shard by shard (each shard written atomically and registered)
    store = TrialStore(out)
    shard_plan = plan.shards(shard_size)
    store.open(RunConfig(spec_toml, s, n, shard_size, engine), shard_plan, mode=mode)
    done = store.done() if mode == "resume" else set()
    todo = [sh for sh in shard_plan if sh["id"] not in done]
    root = os.fspath(store.root)
    jobs = []
    for sh in todo:
        a, b = sh["positions"]
        pts = [(p.position, p.index, p.arm, p.stratum, p.follow_up_days) for p in plan.patients[a:b]]
        jobs.append((sh["id"], spec_toml, s, root, store.shard_file(sh["id"]), pts, engine))
    n_todo = sum(sh["positions"][1] - sh["positions"][0] for sh in todo)
    execute_shards(
        jobs,
        store.register,
        executor=executor,
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        total=n,
        done=n - n_todo,
    )

    for sh in todo:  # the shards' own stage times (summed over workers: CPU-side seconds)
        for k, v in store.manifest["shards"][str(sh["id"])].get("stage_seconds", {}).items():
            stage[f"shard_{k}"] = stage.get(f"shard_{k}", 0.0) + float(v)

    # 4. assess: RECIST and endpoints on all patients at once
    t = time.perf_counter()
    frame = store.read_shards()
    if not frame["patient_id"].is_monotonic_increasing:  # shards hold consecutive positions, in order
        frame = frame.sort_values("patient_id", kind="stable").reset_index(drop=True)
    table, recist = endpoints(frame, ctx.scan_days)
    stage["assess"] = time.perf_counter() - t

    # 5. analyse: responses, survival, hazard ratios, comparison with the real trial
    shards = {"size": shard_size, "total": len(shard_plan), "run": [sh["id"] for sh in todo], "skipped": sorted(done)}
    summary, comparisons = analyse_trial(
        spec, table, ref, plan, seed=s, shards=shards, workers=workers, executor=executor, t_start=t_start
    )
    summary["engine"] = engine
    from .joint import published_comparison, sp142_level_of

    nan = np.full(len(frame), np.nan)
    pub = published_comparison(
        spec, table, {"pdl1_tps": frame["pdl1_tps"].to_numpy(dtype=float) if "pdl1_tps" in frame else nan,
                      "squamous": (frame["histology"] == "squamous").to_numpy(dtype=float)
                      if "histology" in frame else nan,
                      "sp142_level": sp142_level_of(frame["pdl1_sp142"]) if "pdl1_sp142" in frame else nan}
    )
    if pub is not None:  # KEYNOTE-010, OAK, ...: the published figures of the joint calibration's trials
        summary.update(pub)
    if missing:
        summary["reference_missing"] = missing
    stage["analyse"] = time.perf_counter() - t - stage["assess"]
    summary["stage_seconds"] = stage  # plan, shard_* (sample, treat, solve, outcomes, write), assess, analyse

    # 6. write: tables, figures, report, summary; the manifest is marked finished
    t = time.perf_counter()
    stage["write"] = 0.0  # measured below, after summary.json is written (see TrialResult.summary)
    patients, files = write_outputs(
        store,
        frame,
        table,
        recist,
        summary,
        comparisons,
        scan_days=ctx.scan_days,
        spec_toml=spec_toml,
        seed=s,
        title=f"{spec.name}: virtual trial report",
        provenance=provenance(spec, plan, summary, ref, table, command) if report else None,
        figures_on=figures,
        report_on=report,
    )
    stage["write"] = time.perf_counter() - t
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
