"""Running trial shards on a Dask cluster, and a digest that proves nothing was lost.

By default a :class:`distributed.LocalCluster` is started on this machine,
bound to ``127.0.0.1`` (never a public interface); ``scheduler="tcp://HOST:PORT"``
uses an existing cluster instead. Each shard is one task: the worker simulates
its patients and writes the shard file itself, atomically (temporary file,
fsync, rename), and returns the manifest entry (file, SHA-256, counts); the
driver registers the entry in the manifest. So:

* a worker killed mid-shard leaves no shard file (at most a temporary file,
  ignored), Dask re-runs the task on another worker (``retries``), and the
  rewritten shard is byte-for-byte the same because patients are deterministic;
* a driver killed mid-trial leaves a manifest listing only finished shards,
  each with its checksum, and ``run_trial(..., resume=True)`` skips them;
* the results digest (:func:`results_digest`) is computed from the patients'
  records in a canonical order, so it is identical for any number of workers,
  any shard size and any interruption pattern.

Tasks carry only plain data (the spec as TOML text, integers and strings);
Dask serialises them itself. Nothing here unpickles user input.

References
----------
.. [1] Rocklin M (2015). Dask: parallel computation with blocked algorithms
   and task scheduling. Proc 14th Python in Science Conf, 130-136.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .._errors import OncoimmuneError

__all__ = ["DistributedRunError", "check_scheduler", "results_digest", "run_shards_on_dask"]


class DistributedRunError(OncoimmuneError, RuntimeError):
    """The cluster could not be reached or a shard kept failing."""


def _dask() -> tuple[Any, Any, Any]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise DistributedRunError(
            "the Dask executor needs the 'dask' extra: pip install 'oncoimmune[dask]'"
        ) from None
    return Client, LocalCluster, as_completed


def check_scheduler(scheduler: str, timeout: str = "10s") -> None:
    """Connect to ``scheduler`` once and disconnect, so a run fails before anything is written.

    Raises
    ------
    DistributedRunError
        If the address is malformed or the scheduler cannot be reached.
    """
    Client, _, _ = _dask()
    if not (isinstance(scheduler, str) and "://" in scheduler):
        raise DistributedRunError(f"--scheduler must be an address such as tcp://127.0.0.1:8786; got {scheduler!r}")
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise DistributedRunError(f"--scheduler {scheduler!r}: cannot connect ({exc}); nothing was written") from None
    client.close()


def run_shards_on_dask(
    jobs: Sequence[tuple[Any, ...]],
    register: Callable[[int, dict[str, Any]], None],
    *,
    scheduler: str | None = None,
    workers: int = 2,
    retries: int = 3,
    on_shard: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Run shard jobs on Dask and register each finished shard as it completes.

    Parameters
    ----------
    jobs : sequence of tuple
        ``(shard_id, spec_toml, seed, root, relpath, patients)`` as built by
        :func:`oncoimmune.trials.runner.run_trial`.
    register : callable
        ``register(shard_id, entry)``, called in the driver for each finished shard.
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:port``). Default: a
        LocalCluster with ``workers`` single-threaded worker processes on 127.0.0.1.
    workers : int
        Workers of the LocalCluster (ignored with ``scheduler``).
    retries : int
        How often a task lost with its worker is re-run elsewhere.
    on_shard : callable, optional
        Called with each entry after registration (progress).

    Raises
    ------
    DistributedRunError
        If the scheduler cannot be reached, or a shard fails after its retries.
    """
    from .shards import _run_shard_job

    Client, LocalCluster, as_completed = _dask()
    if scheduler is not None and not (isinstance(scheduler, str) and "://" in scheduler):
        raise DistributedRunError(f"--scheduler must be an address such as tcp://127.0.0.1:8786; got {scheduler!r}")
    cluster = None
    try:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=int(workers),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=":0",
                silence_logs=40,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise DistributedRunError(f"--scheduler {scheduler!r}: cannot connect ({exc})") from None
        try:
            run_token = uuid.uuid4().hex[:12]  # unique task keys, even on a shared cluster
            running = as_completed(
                [
                    client.submit(_run_shard_job, job, key=f"oncoimmune-shard-{run_token}-{job[0]}", retries=retries)
                    for job in jobs
                ]
            )
            for fut in running:
                try:
                    shard_id, entry = fut.result()
                except OncoimmuneError:
                    raise
                except Exception as exc:  # a task that failed after its retries
                    raise DistributedRunError(f"a shard failed on the cluster: {type(exc).__name__}: {exc}") from exc
                register(shard_id, entry)
                # the shard is on disk and registered: drop the result, or the scheduler would recompute it
                # (and rewrite the file under its registered checksum) if the worker holding it dies later
                fut.release()
                if on_shard is not None:
                    on_shard(entry)
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def _canonical_bytes(values: np.ndarray) -> bytes:
    if values.dtype.kind == "f":
        v = np.asarray(values, dtype="<f8").copy()
        v[np.isnan(v)] = np.nan  # one NaN bit pattern
        return v.tobytes()
    if values.dtype.kind in "iub":
        return np.asarray(values, dtype="<i8").tobytes()
    parts = []
    for x in values:
        if isinstance(x, (list, tuple, np.ndarray)):
            arr = np.asarray(x)
            parts.append(_canonical_bytes(arr.reshape(-1)).hex() if arr.size else "")
        else:
            parts.append("" if x is None else repr(x) if isinstance(x, float) else str(x))
    return "\x1f".join(parts).encode("utf-8")


def results_digest(frame: Any, *, exclude: Iterable[str] = ("seconds",)) -> str:
    """SHA-256 of the per-patient records in a canonical order.

    Rows are sorted by ``patient_id`` and columns by name; floats are hashed by
    their IEEE-754 bytes (one NaN pattern), so the digest is the same for any
    worker count, shard size or resume pattern, and changes if any patient is
    lost, duplicated or different. Columns in ``exclude`` (wall-clock timings)
    are left out.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame; got {type(frame).__name__}")
    drop = [c for c in exclude if c in frame.columns]
    df = frame.drop(columns=drop)
    if "patient_id" in df.columns:
        df = df.sort_values("patient_id", kind="stable")
    h = hashlib.sha256()
    h.update(f"rows={len(df)}".encode())
    for col in sorted(df.columns):
        h.update(b"\x1e" + col.encode("utf-8") + b"\x1d")
        h.update(_canonical_bytes(df[col].to_numpy()))
    return h.hexdigest()
