"""Running the per-patient stages shard by shard (in-process or in worker processes).

A shard is a run of enrolled patients in enrolment order; :func:`run_shard`
simulates them (:func:`~oncoimmune.trials.solve.simulate_patient`) and writes
the shard file atomically (:func:`~oncoimmune.trials.store.write_shard_file`).
Jobs carry plain data only (the spec's TOML text, integers and strings).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .context import TrialRunError, context_for
from .pool import _die_with_parent, _noop, _pool  # noqa: F401 - the pool lives in .pool (plan uses it too)
from .plan import PlannedPatient
from .solve import TRIAL_ENGINES, simulate_patient, simulate_patients_batched

__all__ = ["run_shard"]

_context = context_for


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
    engine: str = "batched",
) -> dict[str, Any]:
    """Simulate one shard and write it atomically; return its manifest entry.

    Parameters
    ----------
    spec_toml : str
        The spec as TOML (plain data crosses the process boundary).
    seed : int
    root, relpath : str
        Run directory and the shard's relative path.
    patients : sequence of (position, index, arm, stratum[, follow_up_days])
        ``follow_up_days`` (days to the data cut-off) defaults to the horizon.
    on_patient : callable, optional
        Called after each patient (progress, in-process only).
    engine : {"batched", "scipy"}
        ``"batched"``: all patients in one batched solve per model structure
        (:func:`~oncoimmune.trials.solve.simulate_patients_batched`);
        ``"scipy"``: the reference engine, one patient at a time
        (:func:`~oncoimmune.trials.solve.simulate_patient`).

    Returns
    -------
    dict
        ``file``, ``sha256``, ``bytes``, ``patients``, ``failed``, ``seconds`` and
        ``stage_seconds`` (wall time in ``sample``, ``treat``, ``solve``, ``outcomes``, ``write``).
    """
    from .store import write_shard_file

    t0 = time.perf_counter()
    ctx = _context(spec_toml, seed)
    ctx.cache["stage_seconds"] = {}
    planned = [PlannedPatient(int(p[0]), int(p[1]), str(p[2]), str(p[3]), *(float(f) for f in p[4:5]))
               for p in patients]
    if engine == "batched":
        recs = simulate_patients_batched(ctx, planned)
        if on_patient is not None:
            for _ in recs:
                on_patient()
    elif engine == "scipy":
        recs = []
        for pp in planned:
            recs.append(simulate_patient(ctx, pp))
            if on_patient is not None:
                on_patient()
    else:
        raise TrialRunError(f"--engine must be one of {', '.join(TRIAL_ENGINES)}; got {engine!r}")
    t_w = time.perf_counter()
    entry = write_shard_file(root, relpath, _records_frame(recs))
    ctx.cache["stage_seconds"]["write"] = time.perf_counter() - t_w
    entry.update(
        patients=len(recs),
        failed=sum(r["status"] != "ok" for r in recs),
        seconds=round(time.perf_counter() - t0, 3),
        stage_seconds={k: round(v, 4) for k, v in ctx.cache["stage_seconds"].items()},
    )
    return entry


def _run_shard_job(args: tuple[Any, ...]) -> tuple[int, dict[str, Any]]:
    shard_id, spec_toml, seed, root, relpath, patients, *rest = args
    return shard_id, run_shard(spec_toml, seed, root, relpath, patients, engine=rest[0] if rest else "batched")


