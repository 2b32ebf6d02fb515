"""CLI for SBML: ``describe --sbml``, ``simulate --sbml`` and ``sbml-suite``.

Registered on the main app by :func:`register`; ``describe`` and ``simulate``
hand over here when ``--sbml FILE`` is given.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

__all__ = ["register", "describe_sbml", "simulate_sbml"]


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"error: {' '.join(str(msg).split())}", err=True)
    raise typer.Exit(code)


def _load(path: Path) -> Any:
    from ._errors import OncoimmuneError
    from .io.sbml import from_sbml

    try:
        return from_sbml(path)
    except OncoimmuneError as exc:
        _fail(f"--sbml: {exc}")


def describe_sbml(path: Path) -> None:
    """Print the imported model's equations, parameters, events and notes."""
    typer.echo(_load(path).describe())


def simulate_sbml(path: Path, days: float | None, out: Path | None, overwrite: bool, plot: bool,
                  rtol: float | None, atol: float | None, method: str | None, engine: str | None,
                  set_: list[str] | None) -> None:
    """Simulate an SBML file; time (``--days``) is in the file's own time units."""
    from ._errors import OncoimmuneError
    from .io.results import PLOT_FILE, TRAJECTORY_FILE, atomic_directory, check_output_dir, write_trajectory
    from .simulate import simulate

    if days is None:
        _fail("--days: give the end time, in the SBML file's time units (e.g. --days 100)")
    if out is None:
        _fail("--out: give an output directory for the SBML run")
    model = _load(path)
    values: dict[str, float] = {}
    for item in set_ or []:
        if "=" not in item:
            _fail(f"--set: expected NAME=VALUE; got {item!r}")
        k, v = item.split("=", 1)
        try:
            values[k.strip()] = float(v)
        except ValueError:
            _fail(f"--set: value of {k.strip()!r} must be a number; got {v!r}")
    try:
        check_output_dir(out, overwrite=overwrite)
        if values:
            model = model.with_values(values)
        ds = simulate(model, days, engine=engine or "scipy", method=method, rtol=rtol or 1e-8, atol=atol or 1e-10)
    except OncoimmuneError as exc:
        _fail(str(exc))
    ds.time.attrs["units"] = model.time_units
    ds.attrs["time_units"] = model.time_units
    ds.attrs["sbml_file"] = str(path)
    with atomic_directory(out, overwrite=overwrite) as tmp:
        write_trajectory(ds, tmp / TRAJECTORY_FILE)
        if plot:
            from .plots.trajectory import save_trajectory_plot

            save_trajectory_plot(ds, tmp / PLOT_FILE)
        shutil.copyfile(path, tmp / "model.xml")
        (tmp / "run.json").write_text(json.dumps(
            {"sbml": str(path), "end_time": days, "time_units": model.time_units, "set": values,
             "engine": ds.attrs["engine"], "method": ds.attrs["method"], "rtol": ds.attrs["rtol"],
             "atol": ds.attrs["atol"], "status": ds.attrs["status"], "status_reason": ds.attrs["status_reason"]},
            indent=2))
    if ds.attrs["status"] != "ok":
        _fail(f"simulation failed: {ds.attrs['status_reason']}; outputs written to {out}", 1)
    typer.echo(f"wrote {out} (trajectory.parquet{', trajectory.png' if plot else ''}, model.xml, run.json); "
               f"status ok; time in {model.time_units}")


def register(app: typer.Typer) -> None:
    """Add ``sbml-suite`` to ``app``."""

    @app.command("sbml-suite")
    def sbml_suite_cmd(
        cases_dir: Annotated[Path, typer.Argument(help="The suite's cases/ folder (NNNNN/ subfolders).",
                                                  metavar="CASES_DIR")],
        out: Annotated[Path, typer.Option("--out", help="Output folder for NNNNN.csv and summary.csv.",
                                          metavar="DIR")],
        cases: Annotated[Optional[str], typer.Option("--cases", help="Cases to run, e.g. 1-1821 or 1,5,10-20.",
                                                     metavar="RANGE")] = None,
        workers: Annotated[int, typer.Option("--workers", help="Processes to run cases in (default 1).")] = 1,
    ) -> None:
        """Run SBML Test Suite cases; write DIR/NNNNN.csv per case and DIR/summary.csv (case,status,reason)."""
        from collections import Counter

        from .io.sbml_suite import parse_case_range, run_suite

        if not cases_dir.is_dir():
            _fail(f"CASES_DIR: {str(cases_dir)!r} is not a folder (expected the suite's cases/ folder)")
        wanted = None
        if cases:
            try:
                wanted = parse_case_range(cases)
            except ValueError as exc:
                _fail(f"--cases: {exc}; use e.g. 1-1821 or 1,5,10-20")
        if workers < 1:
            _fail(f"--workers: must be >= 1; got {workers}")
        results = run_suite(cases_dir, out, wanted, progress=True, workers=workers)
        if not results:
            _fail(f"--cases: no case folders matched in {cases_dir}")
        c = Counter(r.status for r in results)
        typer.echo(
            f"{len(results)} cases: {c.get('pass', 0)} pass, {c.get('fail', 0)} fail, "
            f"{c.get('unsupported', 0)} unsupported, {c.get('error', 0)} error; wrote {out}/summary.csv"
        )
