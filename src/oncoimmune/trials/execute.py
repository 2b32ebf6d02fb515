"""Dispatch the shards of a run: in-process, a process pool, or a Dask cluster.

:func:`execute_shards` hands each shard job (plain data:
``(shard_id, spec_toml, seed, root, relpath, patients)``) to
:func:`~oncoimmune.trials.shards.run_shard` and registers the returned manifest
entry in the store as each shard finishes, so a run killed at any point leaves
a manifest listing only finished shards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .shards import _pool, _run_shard_job, run_shard

__all__ = ["execute_shards"]


def _progress(enabled: bool, total: int) -> Any:
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


def execute_shards(
    jobs: Sequence[tuple[Any, ...]],
    register: Callable[[int, dict[str, Any]], None],
    *,
    executor: str,
    workers: int,
    scheduler: str | None,
    progress: bool,
    total: int,
    done: int,
) -> None:
    """Run ``jobs`` and ``register(shard_id, entry)`` each as it finishes.

    Parameters
    ----------
    jobs : sequence of tuple
        ``(shard_id, spec_toml, seed, root, relpath, patients, engine)``.
    register : callable
        Records a finished shard in the manifest (driver side).
    executor : {"local", "dask"}
    workers : int
        Worker processes (``"local"``: a process pool when more than one job; ``"dask"``: LocalCluster size).
    scheduler : str, optional
        Address of an existing Dask scheduler.
    progress : bool
        Rich progress bar on stderr.
    total, done : int
        Patients in the trial, and already finished (resumed), for the progress bar.
    """
    pool = _pool(workers) if executor == "local" and workers > 1 and len(jobs) > 1 else None
    try:
        with _progress(progress, total) as bar:
            task = None
            if bar is not None:
                task = bar.add_task("patients", total=total, completed=done)
            if executor == "dask":
                from .distributed import run_shards_on_dask

                def advance(entry: Mapping[str, Any]) -> None:
                    if bar is not None:
                        bar.advance(task, entry["patients"])

                run_shards_on_dask(jobs, register, scheduler=scheduler, workers=workers, on_shard=advance)
            elif pool is None:
                for job in jobs:
                    shard_id = job[0]
                    tick = (lambda: bar.advance(task)) if bar is not None else None
                    entry = run_shard(*job[1:6], on_patient=tick, engine=job[6] if len(job) > 6 else "batched")
                    register(shard_id, entry)
            else:
                import concurrent.futures as cf

                futures = [pool.submit(_run_shard_job, job) for job in jobs]
                for fut in cf.as_completed(futures):
                    shard_id, entry = fut.result()
                    register(shard_id, entry)
                    if bar is not None:
                        bar.advance(task, entry["patients"])
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
