"""On-disk layout of a virtual-trial run: shards, checksums, a manifest, resumption.

A run directory holds

* ``manifest.json``: what is being run (a fingerprint of the spec text, the
  seed, the number of patients and the shard size, the package version), the
  plan of shards, and one entry per finished shard (file, SHA-256 checksum,
  patients, failures, seconds);
* ``shards/shard-NNNNN.parquet``: the per-patient records of one shard;
* at the end, the trial outputs (``patients.parquet``, ``endpoints.parquet``,
  ``report.html``, ``figures/``) written by the runner.

Every file is written atomically (temporary file, fsync, rename:
:func:`oncoimmune.io.results.atomic_write`), and the manifest is rewritten
atomically after each shard, so an interrupted run leaves only finished
shards, each registered with its checksum. :meth:`TrialStore.open` with
``resume=True`` checks the fingerprint (a different spec, seed, size or shard
size is refused, naming what differs) and :meth:`TrialStore.done` reports
the shards whose file exists and matches its checksum; the runner skips those.

Nothing here uses pickle: shards are Parquet, the manifest is JSON.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ResultsFileError
from .._version import __version__
from ..io.results import atomic_write

__all__ = [
    "FORMAT",
    "MANIFEST_FILE",
    "SHARD_DIR",
    "RunConfig",
    "TrialStore",
    "file_sha256",
]

MANIFEST_FILE = "manifest.json"
SHARD_DIR = "shards"
FORMAT = "oncoimmune.trial/1"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class RunConfig:
    """What defines a run's results (two runs with equal configs give identical endpoints).

    Parameters
    ----------
    spec_toml : str
        The trial spec as TOML (``TrialSpec.to_toml()``).
    seed : int
        Trial seed.
    n_patients : int
        Patients enrolled.
    shard_size : int
        Patients per shard (does not change the results, but fixes the shard files).
    engine : str
        Solve path of the trial runner (``"batched"`` or ``"scipy"``); shards of
        one run all come from one path.
    """

    spec_toml: str
    seed: int
    n_patients: int
    shard_size: int
    engine: str = "scipy"

    def fingerprint(self) -> dict[str, Any]:
        """The fields compared on resume (the spec by its SHA-256)."""
        return {
            "spec_sha256": hashlib.sha256(self.spec_toml.encode("utf-8")).hexdigest(),
            "seed": int(self.seed),
            "n_patients": int(self.n_patients),
            "shard_size": int(self.shard_size),
            "engine": str(self.engine),
            "oncoimmune_version": __version__,
        }


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n"
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


class TrialStore:
    """A run directory: create or resume it, register shards, list finished ones.

    ``TrialStore(path)`` reads an existing manifest (to inspect a run, e.g.
    :meth:`read_shards`); :meth:`open` creates, resumes or replaces the run.
    """

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self.manifest: dict[str, Any] = {}
        if self.manifest_path.is_file():
            try:
                self.manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.manifest = {}

    # -- paths -------------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_FILE

    def shard_file(self, shard_id: int) -> str:
        """Path of shard ``shard_id`` relative to the run directory."""
        return f"{SHARD_DIR}/shard-{int(shard_id):05d}.parquet"

    # -- lifecycle ---------------------------------------------------------------------
    @staticmethod
    def previous_config(root: str | os.PathLike[str]) -> dict[str, Any]:
        """The ``config`` of the run in ``root`` (empty if there is none or it cannot be read)."""
        try:
            data = json.loads((Path(root) / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        cfg = data.get("config", {}) if isinstance(data, dict) else {}
        return cfg if isinstance(cfg, dict) else {}

    @staticmethod
    def check_destination(root: str | os.PathLike[str], *, resume: bool, overwrite: bool) -> str:
        """Decide what to do with ``root`` before anything is written.

        Returns
        -------
        str
            ``"new"`` (absent or empty), ``"resume"`` (a run directory to
            continue) or ``"replace"`` (a previous run directory to clear).

        Raises
        ------
        ResultsFileError
            If ``root`` is a file, or a non-empty directory that is not a
            trial run (or is one, without ``--resume``/``--overwrite``).
        """
        p = Path(root)
        if p.is_symlink() or (p.exists() and not p.is_dir()):
            raise ResultsFileError(
                f"--out {os.fspath(p)!r} exists and is not a directory; choose another --out"
            )
        q = p.absolute()
        while not q.exists() and q != q.parent:
            q = q.parent
        if not q.is_dir() or not os.access(q, os.W_OK | os.X_OK):
            raise ResultsFileError(
                f"--out {os.fspath(p)!r}: {os.fspath(q)!r} is not a writable directory; choose another --out"
            )
        if not p.exists() or not any(p.iterdir()):
            return "new"
        is_run = (p / MANIFEST_FILE).is_file()
        if not is_run:
            raise ResultsFileError(
                f"--out {os.fspath(p)!r} exists, is not empty and is not a trial run (no {MANIFEST_FILE}); "
                "choose another --out"
            )
        if resume:
            return "resume"
        if overwrite:
            return "replace"
        raise ResultsFileError(
            f"--out {os.fspath(p)!r} holds a trial run already; pass --resume to continue it, --overwrite to "
            "replace it, or choose another --out"
        )

    def open(self, config: RunConfig, plan: Sequence[Mapping[str, Any]], *, mode: str) -> None:
        """Create, resume or replace the run directory (see :meth:`check_destination`).

        Parameters
        ----------
        config : RunConfig
        plan : sequence of mapping
            One entry per shard: ``{"id", "positions": [first, stop)}``.
        mode : {"new", "resume", "replace"}

        Raises
        ------
        ResultsFileError
            On resume, if the manifest is unreadable or was written for a
            different configuration (the message names the differing field).
        """
        fp = config.fingerprint()
        if mode == "resume":
            try:
                old = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ResultsFileError(
                    f"--resume: cannot read {os.fspath(self.manifest_path)!r} ({exc}); use --overwrite to start again"
                ) from None
            if old.get("format") != FORMAT:
                raise ResultsFileError(
                    f"--resume: {os.fspath(self.manifest_path)!r} is not a {FORMAT} manifest; use --overwrite"
                )
            prev = old.get("config", {})
            for key, value in fp.items():
                if prev.get(key) != value:
                    raise ResultsFileError(
                        f"--resume: the run in {os.fspath(self.root)!r} used {key}={prev.get(key)!r}, this run "
                        f"{key}={value!r}; resume with the same spec, --seed, --patients, --shard-size and --engine, or "
                        "pass --overwrite to start again"
                    )
            self.manifest = old
            self.manifest["plan"] = [dict(p) for p in plan]
            self.manifest["complete"] = False
            self.manifest.setdefault("shards", {})
            self.manifest["resumed_utc"] = _now()
        else:
            if mode == "replace":
                for name in os.listdir(self.root):
                    target = self.root / name
                    if target.is_dir() and not target.is_symlink():
                        shutil.rmtree(target)
                    else:
                        target.unlink()
            self.root.mkdir(parents=True, exist_ok=True)
            self.manifest = {
                "format": FORMAT,
                "config": fp,
                "created_utc": _now(),
                "plan": [dict(p) for p in plan],
                "shards": {},
                "complete": False,
                "outputs": {},
            }
        (self.root / SHARD_DIR).mkdir(exist_ok=True)
        if mode == "resume":  # files the manifest does not list (a dead run's workers) are not results
            listed = {Path(e["file"]).name for e in self.manifest.get("shards", {}).values()}
            for f in (self.root / SHARD_DIR).iterdir():
                if f.is_file() and f.name not in listed:
                    f.unlink()
        if mode != "resume":
            data = config.spec_toml.encode("utf-8")
            atomic_write(self.root / "spec.toml", lambda f: f.write(data))
        self._save()

    def _save(self) -> None:
        _write_json(self.manifest_path, self.manifest)

    # -- shards ------------------------------------------------------------------------
    def done(self) -> set[int]:
        """Shards registered in the manifest whose file exists and matches its checksum."""
        out = set()
        for key, entry in self.manifest.get("shards", {}).items():
            path = self.root / entry["file"]
            if path.is_file() and file_sha256(path) == entry.get("sha256"):
                out.add(int(key))
        return out

    def register(self, shard_id: int, entry: Mapping[str, Any]) -> None:
        """Record a finished shard (its file must already be in place) and rewrite the manifest."""
        path = self.root / entry["file"]
        if not path.is_file():
            raise ResultsFileError(
                f"shard file {os.fspath(path)!r} is missing; it must be written before it is registered"
            )
        self.manifest.setdefault("shards", {})[str(int(shard_id))] = dict(entry)
        self._save()

    def read_shards(self) -> Any:
        """All registered shards as one DataFrame, in shard order (checksums verified).

        Raises
        ------
        ResultsFileError
            If a shard is missing or its checksum does not match.
        """
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = []
        for key in sorted(self.manifest.get("shards", {}), key=int):
            entry = self.manifest["shards"][key]
            path = self.root / entry["file"]
            if not path.is_file() or file_sha256(path) != entry.get("sha256"):
                raise ResultsFileError(
                    f"shard {key} ({os.fspath(path)!r}) is missing or does not match its checksum; rerun with --resume"
                )
            tables.append(pq.read_table(path))
        if not tables:
            raise ResultsFileError("no shards were written")
        try:  # one conversion to pandas for all shards (per shard it took twice as long for 1,000 shards)
            frame = pa.concat_tables(tables).to_pandas()
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # shards of different schemas (a run resumed across versions)
            frame = pd.concat([t.to_pandas() for t in tables], ignore_index=True)
        return _shared_strings(frame)

    def write_output(self, name: str, data: bytes) -> Path:
        """Write an output file atomically and record its checksum in the manifest."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: f.write(data))
        self.manifest.setdefault("outputs", {})[name] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        return path

    def finish(self, summary: Mapping[str, Any]) -> None:
        """Mark the run complete with a summary and rewrite the manifest."""
        self.manifest["complete"] = True
        self.manifest["finished_utc"] = _now()
        self.manifest["summary"] = dict(summary)
        self._save()


def write_shard_file(root: str | os.PathLike[str], relpath: str, frame: Any) -> dict[str, Any]:
    """Write one shard's records as Parquet atomically; return ``{"file", "sha256", "bytes"}``.

    Called by workers (each writes its own shard; only the parent writes the manifest).
    """
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    data = buf.getvalue()
    path = Path(root) / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: f.write(data))
    return {"file": relpath, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


__all__ += ["write_shard_file"]


def _shared_strings(frame: Any) -> Any:
    """``frame`` with each text column's repeated values held once (same dtype and values).

    Parquet gives every row its own string object; a column such as ``arm`` or
    ``status`` has a handful of distinct values, so a million-patient table
    would hold millions of copies of them (about 60 bytes each, per column).
    """
    import pandas as pd

    for col in frame.columns:
        c = frame[col]
        if c.dtype != object or len(c) == 0 or not isinstance(c.iloc[0], str):
            continue
        codes, uniques = pd.factorize(c, use_na_sentinel=True)
        if len(uniques) > len(c) // 4:  # mostly distinct: nothing to share
            continue
        vals = np.asarray(uniques, dtype=object)
        out = np.empty(len(c), dtype=object)
        ok = codes >= 0
        out[ok] = vals[codes[ok]]
        out[~ok] = c.to_numpy()[~ok]
        frame[col] = out
    return frame
