"""Simulation results on disk: ``trajectory.parquet`` and run directories.

A trajectory file is a Parquet table with a ``time`` column (days) followed by
one float64 column per state and observable, in model order. The Dataset's
provenance (``attrs``: model id, parameter values, engine, tolerances, status,
seed, version, ...) is stored as JSON in the Parquet schema metadata under
``b"oncoimmune.attrs"``; each column's ``units`` and ``long_name`` sit in its
field metadata. :func:`read_trajectory` gives the Dataset back, bit for bit.

Every write is atomic: a temporary file in the same directory, ``fsync``,
then :func:`os.replace`. A run directory (:func:`write_run`) is built in a
temporary sibling directory and renamed into place at the end, so a reader
sees either the complete directory or none.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import IO, Any, Callable, Iterator

import numpy as np

from .._errors import ResultsFileError

__all__ = [
    "ResultsFileError",
    "TRAJECTORY_FILE",
    "PLOT_FILE",
    "SPEC_FILE",
    "atomic_write",
    "atomic_directory",
    "check_output_dir",
    "write_trajectory",
    "read_trajectory",
    "write_run",
]

TRAJECTORY_FILE = "trajectory.parquet"
PLOT_FILE = "trajectory.png"
SPEC_FILE = "spec.toml"

_ATTRS_KEY = b"oncoimmune.attrs"
_FORMAT_KEY = b"oncoimmune.format"
_FORMAT = b"trajectory/1"


# atomic writes ---------------------------------------------------------------------------------------


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry to disk (best effort; not possible on every platform)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], Any]) -> Path:
    """Write a file atomically: ``write(f)`` to a temp file beside ``path``, fsync, ``os.replace``.

    Parameters
    ----------
    path : path-like
        Destination; its directory must exist.
    write : callable
        Called with a binary file object open for writing.

    Returns
    -------
    pathlib.Path
        ``path``. On any error the destination is untouched and the temp file removed.
    """
    dest = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(dest.parent)
    return dest


def check_output_dir(path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Refuse an output directory that exists (unless ``overwrite``) or is a file.

    Raises
    ------
    ResultsFileError
        With the fix (``overwrite=True`` / ``--overwrite``, or another directory).
    """
    p = Path(path)
    if p.is_symlink() or p.exists():
        if not p.is_dir() or p.is_symlink():
            raise ResultsFileError(
                f"output {os.fspath(p)!r} exists and is not a directory; remove it or choose another --out"
            )
        if not overwrite:
            raise ResultsFileError(
                f"output directory {os.fspath(p)!r} exists already; pass --overwrite (overwrite=True) "
                "to replace it or choose another --out"
            )
    return p


def _make_parents(parent: Path) -> list[Path]:
    """``mkdir -p parent``; return the directories created, outermost first."""
    missing: list[Path] = []
    d = parent
    while not d.exists():
        missing.append(d)
        if d.parent == d:
            break
        d = d.parent
    created: list[Path] = []
    for d in reversed(missing):
        try:
            d.mkdir()
        except FileExistsError:
            continue
        created.append(d)
    return created


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Build a directory in a temporary sibling, then rename it into place.

    On success the sibling becomes ``path`` (an existing ``path`` is replaced
    only with ``overwrite=True``). On any error the sibling, and any parent
    directories created for it, are removed: nothing half-written is left.

    Parameters
    ----------
    path : path-like
        The final directory.
    overwrite : bool
        Replace an existing directory.

    Yields
    ------
    pathlib.Path
        The temporary directory to write into.

    Notes
    -----
    Replacing an existing directory takes two renames (old aside, new into
    place); between them ``path`` briefly does not exist, and if the second
    rename fails the old directory is put back.
    """
    dest = Path(os.path.abspath(path))
    check_output_dir(dest, overwrite=overwrite)
    created = _make_parents(dest.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    except BaseException:
        _remove_created(created)
        raise
    try:
        yield tmp
        _fsync_dir(tmp)
        if dest.exists():
            check_output_dir(dest, overwrite=overwrite)
            old = dest.parent / f".{dest.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(dest, old)
            try:
                os.replace(tmp, dest)
            except BaseException:
                os.replace(old, dest)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_created(created)
        raise


def _remove_created(created: list[Path]) -> None:
    for d in reversed(created):
        with contextlib.suppress(OSError):
            d.rmdir()


# trajectory.parquet ---------------------------------------------------------------------------------


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"attribute value of type {type(x).__name__} is not JSON-serialisable")


def write_trajectory(ds: Any, path: str | os.PathLike[str]) -> Path:
    """Write a simulation Dataset as a Parquet table, atomically.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`oncoimmune.simulate`: a ``time`` coordinate (days)
        and data variables over ``time`` only.
    path : path-like
        The file to write, conventionally ``DIR/trajectory.parquet``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ResultsFileError
        If ``ds`` has no ``time`` coordinate or a variable has other dimensions.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if "time" not in ds.coords or ds["time"].ndim != 1:
        raise ResultsFileError("ds must have a 1-D 'time' coordinate (days); pass a result of simulate()")
    names = [str(n) for n in ds.data_vars]
    for n in names:
        if ds[n].dims != ("time",):
            raise ResultsFileError(
                f"variable {n!r} has dimensions {ds[n].dims}; a trajectory file holds variables over "
                "('time',) only; select one patient first (ds.isel(...))"
            )
    fields = []
    arrays = []
    for n in ["time"] + names:
        da = ds[n]
        meta = {k: str(v) for k, v in da.attrs.items() if k in ("units", "long_name")}
        fields.append(pa.field(n, pa.float64(), metadata=meta or None))
        arrays.append(pa.array(np.asarray(da.values, dtype=np.float64)))
    try:
        attrs = json.dumps(dict(ds.attrs), default=_json_default)
    except TypeError as exc:
        raise ResultsFileError(f"ds.attrs cannot be stored as provenance: {exc}; use numbers and strings") from None
    schema = pa.schema(fields, metadata={_FORMAT_KEY: _FORMAT, _ATTRS_KEY: attrs.encode("utf-8")})
    table = pa.Table.from_arrays(arrays, schema=schema)
    return atomic_write(path, lambda f: pq.write_table(table, f))


def read_trajectory(path: str | os.PathLike[str]) -> Any:
    """Read a trajectory written by :func:`write_trajectory` back as a Dataset.

    Parameters
    ----------
    path : path-like
        A ``trajectory.parquet`` file, or a run directory holding one.

    Returns
    -------
    xarray.Dataset
        Same variables, order, values, variable attributes and ``attrs``.

    Raises
    ------
    ResultsFileError
        If the file is missing or is not an oncoimmune trajectory.
    """
    import pyarrow.parquet as pq
    import xarray as xr

    p = Path(path)
    if p.is_dir():
        p = p / TRAJECTORY_FILE
    if not p.is_file():
        raise ResultsFileError(f"trajectory file {os.fspath(p)!r} does not exist; check the path")
    try:
        table = pq.read_table(p)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise ResultsFileError(f"{os.fspath(p)!r} is not a readable Parquet file: {exc}") from None
    meta = table.schema.metadata or {}
    if meta.get(_FORMAT_KEY) != _FORMAT or "time" not in table.column_names:
        raise ResultsFileError(
            f"{os.fspath(p)!r} is not an oncoimmune trajectory (no {_FORMAT.decode()} metadata or no "
            "'time' column); write it with oncoimmune.io.write_trajectory"
        )
    attrs = json.loads(meta.get(_ATTRS_KEY, b"{}").decode("utf-8"))

    def col_attrs(name: str) -> dict[str, str]:
        fm = table.schema.field(name).metadata or {}
        return {k.decode(): v.decode() for k, v in fm.items()}

    time = table.column("time").to_numpy()
    data_vars = {
        n: ("time", table.column(n).to_numpy(), col_attrs(n)) for n in table.column_names if n != "time"
    }
    return xr.Dataset(data_vars, coords={"time": ("time", time, col_attrs("time"))}, attrs=attrs)


# run directories -------------------------------------------------------------------------------------


def write_run(
    ds: Any,
    spec: Any,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    plot: Any = None,
) -> Path:
    """Write a complete run directory: trajectory, plot and the spec to rerun it.

    ``out/trajectory.parquet``, ``out/trajectory.png`` (if ``plot`` is given) and
    ``out/spec.toml`` are built in a temporary sibling directory and renamed
    into place at the end (see :func:`atomic_directory`).

    Parameters
    ----------
    ds : xarray.Dataset
        The result (a failed run is written too; its status is in the
        Parquet metadata and the plot title).
    spec : SimulationSpec
        What was run; written resolved (method used, current version).
    out : path-like
        The run directory.
    overwrite : bool
        Replace an existing directory.
    plot : callable, optional
        ``plot(ds, path)`` draws ``trajectory.png``, e.g.
        :func:`oncoimmune.plots.trajectory.save_trajectory_plot` (``io`` never
        imports ``plots``: the caller passes the drawing function).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    resolved = spec.resolved(ds)
    with atomic_directory(out, overwrite=overwrite) as tmp:
        write_trajectory(ds, tmp / TRAJECTORY_FILE)
        if plot is not None:
            plot(ds, tmp / PLOT_FILE)
        resolved.write(tmp / SPEC_FILE)
    return Path(out)
