"""Background virtual-trial jobs, kept on disk under the server's data directory.

Layout under ``DATA/jobs/<id>/`` (``id`` is a random 32-hex-digit token made by
the server; nothing a request sends becomes part of a path):

* ``job.json``: the request (trial, patients, seed), the shard size, the state
  (``queued``, ``running``, ``done``, ``failed``, ``cancelled``), times, the
  worker's process id and, when failed, the reason. Rewritten atomically.
* ``run/``: the trial run directory written by
  :func:`oncoimmune.trials.run_trial` (shards with checksums and a manifest,
  then ``patients.parquet``, ``endpoints.parquet``, ``report.html``,
  ``figures/*.png``, ``summary.json``), plus ``endpoints.csv`` and
  ``patients.csv`` written by the job at the end.

Each job runs in its own *process* (``multiprocessing`` with the ``spawn``
start method), so a trial never holds the web server's interpreter. Progress is
read from the run's ``manifest.json`` (patients in finished shards). When the
server starts and finds a job that was ``queued`` or ``running`` but whose
process is gone (the server was stopped or killed), it restarts it with
``resume=True``: finished shards are kept (their checksums verified), as with
``oncoimmune trial --resume``.
"""

from __future__ import annotations

import datetime as _dt
import json
import multiprocessing as mp
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any, Mapping

from .. import OncoimmuneError, __version__

__all__ = ["JOB_ID", "JobLimitError", "JobStore", "TRIALS", "trial_spec"]

#: A job id: 32 lowercase hex digits (``secrets.token_hex(16)``).
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
ACTIVE = ("queued", "running")

#: Bundled trial specs the web can run: key -> (title, description).
TRIALS: dict[str, dict[str, str]] = {
    "keynote024": {
        "title": "KEYNOTE-024 (virtual)",
        "description": "Pembrolizumab against platinum chemotherapy as first treatment for advanced non-small-cell "
        "lung cancer with PD-L1 on at least half of the tumour cells (Reck et al. 2016).",
        "citation": "Reck M et al. (2016) N Engl J Med 375:1823-1833. doi:10.1056/NEJMoa1606774",
    },
}

#: Downloadable outputs of a finished job: public name -> path inside ``run/``.
OUTPUTS: dict[str, str] = {
    "report.html": "report.html",
    "endpoints.parquet": "endpoints.parquet",
    "patients.parquet": "patients.parquet",
    "scans.parquet": "scans.parquet",
    "endpoints.csv": "endpoints.csv",
    "patients.csv": "patients.csv",
    "summary.json": "summary.json",
}


class JobLimitError(OncoimmuneError, ValueError):
    """Too many jobs at once; ``field`` is ``"concurrent_jobs"``."""

    field = "concurrent_jobs"


def trial_spec(name: str) -> Any:
    """The bundled :class:`~oncoimmune.trials.TrialSpec` ``name`` (see :data:`TRIALS`)."""
    from ..trials import example_spec

    return example_spec(name)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _pid_alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of this process still "exists": reap it if it is ours
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _run_job(job_dir: str) -> None:
    """Body of a job's process: run the trial, write the CSV copies, record the final state."""
    d = Path(job_dir)
    job = _read_json(d / "job.json")
    run = d / "run"
    try:
        from ..trials import run_trial

        job.update(state="running", started=job.get("started") or _now(), pid=os.getpid())
        _write_json(d / "job.json", job)
        resume = (run / "manifest.json").is_file()
        run_trial(
            trial_spec(job["trial"]),
            run,
            n_patients=int(job["patients"]),
            seed=int(job["seed"]),
            shard_size=int(job["shard_size"]),
            resume=resume,
            overwrite=not resume,
            progress=False,
            command=f"web job {d.name}: trial={job['trial']} patients={job['patients']} seed={job['seed']}",
        )
        import numpy as np
        import pandas as pd

        for name in ("endpoints", "patients"):
            frame = pd.read_parquet(run / f"{name}.parquet")
            for col in frame.columns:  # list-valued columns as JSON text in the CSV
                if frame[col].dtype == object and frame[col].map(lambda v: hasattr(v, "__len__") and not
                                                                  isinstance(v, str)).any():
                    frame[col] = frame[col].map(lambda v: json.dumps(np.asarray(v).tolist()) if v is not None else "")
            tmp = run / f".{name}.csv.tmp"
            frame.to_csv(tmp, index=False)
            os.replace(tmp, run / f"{name}.csv")
        job.update(state="done", finished=_now())
    except BaseException as exc:  # noqa: BLE001 - any failure is recorded, then the process exits non-zero
        job.update(state="failed", finished=_now(), error=" ".join(f"{type(exc).__name__}: {exc}".split())[:500])
        _write_json(d / "job.json", job)
        raise SystemExit(1) from None
    _write_json(d / "job.json", job)


class JobStore:
    """The jobs of one server: create, watch, resume, cancel, list their outputs.

    Parameters
    ----------
    root : path-like
        The server's data directory (``--data``); jobs live in ``root/jobs``.
    max_concurrent : int
        Jobs queued or running at once; one more is refused with :class:`JobLimitError`.
    """

    def __init__(self, root: str | os.PathLike[str], max_concurrent: int = 2):
        self.root = Path(root).resolve() / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_concurrent = int(max_concurrent)
        self._lock = threading.Lock()
        self._procs: dict[str, Any] = {}
        self._cancelling: set[str] = set()
        self._ctx = mp.get_context("spawn")

    # paths (ids are checked, never trusted) ---------------------------------------------------
    def _dir(self, job_id: str) -> Path | None:
        if not isinstance(job_id, str) or not JOB_ID.match(job_id):
            return None
        d = self.root / job_id
        return d if (d / "job.json").is_file() else None

    # lifecycle ---------------------------------------------------------------------------------
    def create(self, trial: str, patients: int, seed: int) -> dict[str, Any]:
        """Start a job; returns its status. Raises :class:`JobLimitError` when too many are active."""
        if trial not in TRIALS:
            raise OncoimmuneError(f"unknown trial {trial!r}; valid choices: {', '.join(TRIALS)}")
        with self._lock:
            active = [j for j in self.list() if j["state"] in ACTIVE]
            if len(active) >= self.max_concurrent:
                raise JobLimitError(
                    f"{len(active)} jobs are already queued or running (the limit is {self.max_concurrent}); "
                    "wait for one to finish or cancel it"
                )
            job_id = secrets.token_hex(16)
            d = self.root / job_id
            d.mkdir()
            job = {
                "id": job_id,
                "trial": trial,
                "patients": int(patients),
                "seed": int(seed),
                "shard_size": max(1, min(25, int(patients) // 10 or 1)),
                "state": "queued",
                "created": _now(),
                "oncoimmune_version": __version__,
            }
            _write_json(d / "job.json", job)
            self._start(job_id)
        return self.status(job_id) or job

    def _start(self, job_id: str) -> None:
        proc = self._ctx.Process(target=_run_job, args=(str(self.root / job_id),), daemon=False,
                                 name=f"oncoimmune-job-{job_id[:8]}")
        proc.start()
        self._procs[job_id] = proc
        d = self.root / job_id
        job = _read_json(d / "job.json")
        if job.get("state") == "queued":
            job["pid"] = proc.pid
            _write_json(d / "job.json", job)
        threading.Thread(target=self._watch, args=(job_id, proc), daemon=True).start()

    def _watch(self, job_id: str, proc: Any) -> None:
        proc.join()
        d = self.root / job_id
        with self._lock:
            if job_id not in self._cancelling:  # a cancelled job is recorded by cancel()
                job = _read_json(d / "job.json")
                if job.get("state") in ACTIVE:  # the process died without recording an outcome
                    job.update(state="failed", finished=_now(),
                               error=f"worker process exited with code {proc.exitcode}")
                    _write_json(d / "job.json", job)
            if self._procs.get(job_id) is proc:
                self._procs.pop(job_id, None)

    def resume_interrupted(self) -> list[str]:
        """Restart (with ``resume``) jobs left ``queued``/``running`` by a stopped server; returns their ids."""
        restarted = []
        for job in self.list():
            if job["state"] in ACTIVE and job["id"] not in self._procs and not _pid_alive(job.get("pid")):
                self._start(job["id"])
                restarted.append(job["id"])
        return restarted

    def cancel(self, job_id: str) -> dict[str, Any] | None:
        """Stop a running job (its finished shards stay on disk); ``None`` if there is no such job."""
        d = self._dir(job_id)
        if d is None:
            return None
        with self._lock:
            job = _read_json(d / "job.json")
            if job.get("state") not in ACTIVE:
                return self.status(job_id)
            self._cancelling.add(job_id)
            proc = self._procs.get(job_id)
        if proc is not None:
            proc.terminate()
            proc.join(timeout=10)
        with self._lock:
            job = _read_json(d / "job.json")
            job.update(state="cancelled", finished=_now())
            _write_json(d / "job.json", job)
        return self.status(job_id)

    def shutdown(self) -> None:
        """Terminate running job processes (they resume when the server starts again)."""
        for proc in list(self._procs.values()):
            proc.terminate()
        for proc in list(self._procs.values()):
            proc.join(timeout=10)

    # reading -----------------------------------------------------------------------------------
    def list(self) -> list[dict[str, Any]]:
        """Every job's ``job.json``, newest first."""
        jobs = []
        for d in self.root.iterdir():
            if JOB_ID.match(d.name) and (d / "job.json").is_file():
                j = _read_json(d / "job.json")
                if j:
                    jobs.append(j)
        return sorted(jobs, key=lambda j: j.get("created", ""), reverse=True)

    def status(self, job_id: str) -> dict[str, Any] | None:
        """A job's state and progress (patients in finished shards), or ``None``."""
        d = self._dir(job_id)
        if d is None:
            return None
        job = _read_json(d / "job.json")
        manifest = _read_json(d / "run" / "manifest.json")
        shards = manifest.get("shards") or {}
        done = sum(int(s.get("patients", 0)) for s in shards.values()) if isinstance(shards, dict) else 0
        n = int(job.get("patients", 0)) or 1
        job["progress"] = {
            "patients_done": done,
            "patients": n,
            "fraction": 1.0 if job.get("state") == "done" else round(min(done / n, 1.0) * 0.95, 4),
            "stage": {
                "queued": "waiting to start",
                "running": "simulating patients" if done < n else "analysing and drawing the report",
                "done": "finished",
                "failed": "failed",
                "cancelled": "cancelled",
            }.get(job.get("state", ""), ""),
        }
        job["files"] = sorted(self.files(job_id) or {}) if job.get("state") == "done" else []
        job.pop("pid", None)
        return job

    def files(self, job_id: str) -> dict[str, Path] | None:
        """Downloadable outputs of a finished job: public name -> path (built here, never from a request)."""
        d = self._dir(job_id)
        if d is None:
            return None
        run = d / "run"
        out = {name: run / rel for name, rel in OUTPUTS.items() if (run / rel).is_file()}
        fig = run / "figures"
        if fig.is_dir():
            for p in sorted(fig.iterdir()):
                if re.match(r"^[a-z0-9_]+\.png$", p.name) and p.is_file():
                    out[p.name] = p
        return out

    def summary(self, job_id: str) -> dict[str, Any] | None:
        """``summary.json`` of a finished job, or ``None``."""
        files = self.files(job_id) or {}
        p = files.get("summary.json")
        return _read_json(p) if p is not None else None
