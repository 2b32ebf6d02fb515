"""Demonstrations: escape mechanisms, and a virtual KEYNOTE-024 trial.

Run ``python -m oncoimmune.demo --out out/demo`` (or ``make demo``). It runs
the escape-mechanism demonstration below and then the virtual KEYNOTE-024
(``examples/keynote024.toml``, :data:`DEMO_TRIAL_PATIENTS` patients, the
spec's seed, two worker processes) into ``out/demo/keynote024/`` with its
``report.html`` (:func:`oncoimmune.trials.runner.run_trial`; see
``docs/keynote024.md``). ``--no-trial`` skips the trial.

Escape mechanisms
-----------------
On the
Kuznetsov et al. (1994) model, whose immune system holds a 1e6-cell
challenge dormant, each escape mechanism of :mod:`oncoimmune.biology.escape`
is switched on at increasing strength. For each mechanism the demo

1. simulates tumour trajectories at a few strengths (below and above the threshold),
2. measures the dose-response (tumour size at the end of the run against strength),
3. finds the escape threshold by bisection,

and draws one figure per mechanism plus an overview (which also shows PD-1
blockade releasing the PD-L1 brake but not antigen loss). It writes, under
the output directory,

* ``escape_<mechanism>.png`` and ``escape_overview.png``,
* ``thresholds.csv`` (one row per mechanism) and ``dose_response.csv``,
* ``summary.json`` (thresholds, settings, versions, runtime; the trial's figures),
* ``keynote024/`` (the virtual trial: ``report.html``, ``patients.parquet``,
  ``endpoints.parquet``, ``figures/``, ``manifest.json``).

The directory is built beside its destination and renamed into place at the
end, so a reader never sees a half-written result. An existing directory is
replaced only if it holds a previous demo's ``summary.json`` (or is empty),
or with ``--overwrite``.

References
----------
.. [1] Kuznetsov VA, Makalkin IA, Taylor MA, Perelson AS (1994). Nonlinear
   dynamics of immunogenic tumors. Bull Math Biol 56:295-321. doi:10.1007/BF02460644
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ._version import __version__
from .biology.escape import (
    ESCAPE_CELLS,
    PD1_OCCUPANCY,
    EscapeMechanism,
    antigen_loss,
    dose_response,
    escape_threshold,
    list_mechanisms,
    pdl1_checkpoint,
)
from .library import get_model
from .model.model import Model
from .simulate import _check_ok, simulate

__all__ = ["run_demo", "main"]

_KIND = "oncoimmune.escape_demo"
#: Patients of the demo's virtual KEYNOTE-024 (the real trial randomised 305).
DEMO_TRIAL_PATIENTS = 305
#: The trial spec the demo runs.
DEMO_TRIAL_SPEC = Path(__file__).resolve().parents[2] / "examples" / "keynote024.toml"
#: Strengths of the trajectory panels, as multiples of the measured threshold.
_TRACE_MULTIPLES = (0.0, 0.5, 0.95, 1.05, 1.5)
#: PD-1 receptor occupancy used for the blockade panel (assumption: a high, saturating dose).
_BLOCKADE_OCCUPANCY = 0.9


def _trace(model: Model, days: float, label: str, style: str = "-", color: str | None = None) -> Any:
    from .plots.escape import Trace

    ds = simulate(model, days)
    _check_ok(ds)
    t, y = np.asarray(ds["time"].values), np.asarray(ds[model.tumour_state].values)
    return Trace(label, t, y, style, color)


def _mechanism_data(mech: EscapeMechanism, model: Model, days: float, n_grid: int) -> Any:
    from .plots.escape import MechanismPanelData

    threshold = escape_threshold(mech, model, days=days)
    lo, hi = mech.sweep_range
    strengths = np.linspace(lo, hi, n_grid)
    finals = dose_response(mech, model, strengths, days=days)
    traces = []
    for k in _TRACE_MULTIPLES:
        x = min(k * threshold, hi)
        traces.append(_trace(mech(model, x), days, f"{mech.strength_parameter} = {x:.3g}"))
    return MechanismPanelData(
        name=mech.name,
        title=mech.title,
        strength_label=f"{mech.strength_parameter} ({mech.strength_meaning})",
        traces=traces,
        strengths=strengths,
        finals=finals,
        threshold=threshold,
        escape_cells=ESCAPE_CELLS,
        days=days,
    )


def _csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def _check_replaceable(out: Path, overwrite: bool) -> bool:
    """Whether ``out`` may be replaced; raise if it holds something else."""
    from .io.results import ResultsFileError

    if not out.exists():
        return False
    if not out.is_dir():
        raise ResultsFileError(f"--out {str(out)!r} exists and is not a directory; choose another --out")
    if overwrite or not any(out.iterdir()):
        return True
    try:
        kind = json.loads((out / "summary.json").read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        kind = None
    if kind != _KIND:
        raise ResultsFileError(
            f"--out {str(out)!r} exists and is not a previous escape demo (no summary.json of kind "
            f"{_KIND!r}); pass --overwrite to replace it or choose another --out"
        )
    return True


def run_demo(
    out: str | Path,
    *,
    model_id: str = "kuznetsov1994",
    days: float = 1500.0,
    n_grid: int = 25,
    overwrite: bool = False,
    command: str | None = None,
    trial: bool = True,
    trial_patients: int = DEMO_TRIAL_PATIENTS,
    trial_workers: int | None = None,
    trial_spec: str | Path | None = None,
) -> dict[str, Any]:
    """Run the escape demonstration (and the virtual KEYNOTE-024) and write the results under ``out``.

    Parameters
    ----------
    out : path-like
        Output directory (replaced as a whole; see the module docstring).
    model_id : str
        Library model with a controlled (dormant) baseline.
    days : float
        Horizon of every run.
    n_grid : int
        Strengths per dose-response curve (>= 3).
    overwrite : bool
        Replace ``out`` even if it is not a previous demo's output.
    command : str, optional
        The command line recorded in ``summary.json`` (default: this call).
    trial : bool
        Also run the virtual KEYNOTE-024 into ``out/keynote024``.
    trial_patients : int
        Its patients (default :data:`DEMO_TRIAL_PATIENTS`).
    trial_workers : int, optional
        Worker processes (default: 2 if the machine has two cores, else 1).
    trial_spec : path, optional
        Spec to run instead of ``examples/keynote024.toml``.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    from .io.results import atomic_directory
    from .plots.escape import mechanism_figure, overview_figure, save_png

    if not (isinstance(n_grid, int) and n_grid >= 3):
        from ._errors import ParameterValueError

        raise ParameterValueError(f"n_grid must be a whole number >= 3; got {n_grid!r}")
    t_start = time.perf_counter()
    out = Path(out)
    replace = _check_replaceable(out, overwrite)
    model = get_model(model_id)
    tumour = model.tumour_state
    base_final = float(simulate(model, days, saveat=[0.0, days])[tumour].values[-1])
    if base_final > ESCAPE_CELLS:
        from ._errors import ModelSpecError

        raise ModelSpecError(
            f"model {model_id!r} is not controlled at baseline (tumour {base_final:.3g} > "
            f"{ESCAPE_CELLS:g} after {days:g} d); the escape demo needs a controlled baseline"
        )

    panels = [_mechanism_data(m, model, days, n_grid) for m in list_mechanisms()]

    baseline = _trace(model, days, "baseline (no escape mechanism)", "-", "black")
    escape_traces = [baseline]
    for mech, d in zip(list_mechanisms(), panels):
        x = min(1.25 * d.threshold, mech.sweep_range[1])
        label = f"{mech.name}: {mech.strength_parameter} = {x:.3g}"
        escape_traces.append(_trace(mech(model, x), days, label))

    by_name = {d.name: d for d in panels}
    q = 2.0 * by_name["pdl1_checkpoint"].threshold
    f = 2.0 * by_name["antigen_loss"].threshold
    occ = {PD1_OCCUPANCY: _BLOCKADE_OCCUPANCY}
    m_pd = pdl1_checkpoint(model, q)
    m_both = antigen_loss(m_pd, f)
    blockade_traces = [
        _trace(m_pd, days, f"PD-L1 (q = {q:.3g}), untreated", "-", "tab:blue"),
        _trace(m_pd.with_parameters(occ), days,
               f"PD-L1, anti-PD-1 from day 0 ({_BLOCKADE_OCCUPANCY:.0%} occupancy)", "--", "tab:blue"),
        _trace(m_both, days, f"PD-L1 + antigen loss (f = {f:.3g}), untreated", "-", "tab:red"),
        _trace(m_both.with_parameters(occ), days,
               "PD-L1 + antigen loss, anti-PD-1 from day 0", "--", "tab:red"),
    ]
    blockade_finals = {t.label: float(t.y[-1]) for t in blockade_traces}

    challenge = float(model.state(tumour).initial)
    threshold_rows = [
        [
            m.name,
            m.strength_parameter,
            f"{d.threshold:.6g}",
            m.sweep_range[0],
            m.sweep_range[1],
            days,
            ESCAPE_CELLS,
            challenge,
            m.reversible_by_checkpoint_blockade,
        ]
        for m, d in zip(list_mechanisms(), panels)
    ]
    dose_rows = [
        [d.name, f"{s:.6g}", f"{y:.6g}"] for d in panels for s, y in zip(d.strengths, d.finals)
    ]
    files = [f"escape_{d.name}.png" for d in panels] + [
        "escape_overview.png",
        "thresholds.csv",
        "dose_response.csv",
        "summary.json",
    ]
    summary: dict[str, Any] = {
        "kind": _KIND,
        "model_id": model.id,
        "model_citation": model.citation(),
        "days": days,
        "escape_cells": ESCAPE_CELLS,
        "challenge_cells": challenge,
        "baseline_final_tumour_cells": base_final,
        "thresholds": {
            d.name: {
                "strength_parameter": m.strength_parameter,
                "threshold": d.threshold,
                "meaning": m.strength_meaning,
                "reversible_by_checkpoint_blockade": m.reversible_by_checkpoint_blockade,
            }
            for m, d in zip(list_mechanisms(), panels)
        },
        "blockade_final_tumour_cells": blockade_finals,
        "criterion": f"escaped = tumour > {ESCAPE_CELLS:g} cells at day {days:g}; threshold by bisection "
        "(strength tolerance 1e-4, reported as the escaping end of the bracket)",
        "command": command
        or f"oncoimmune.demo.run_demo({str(out)!r}, model_id={model_id!r}, days={days!r}, n_grid={n_grid!r})",
        "oncoimmune_version": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "files": files,
    }
    with atomic_directory(out, overwrite=replace) as tmp:
        for d in panels:
            save_png(mechanism_figure(d, model_title=model.title), tmp / f"escape_{d.name}.png")
        save_png(
            overview_figure(panels, escape_traces, blockade_traces, escape_cells=ESCAPE_CELLS,
                            model_title=model.title),
            tmp / "escape_overview.png",
        )
        (tmp / "thresholds.csv").write_bytes(
            _csv_bytes(
                ["mechanism", "strength_parameter", "threshold", "sweep_low", "sweep_high", "days",
                 "escape_cells", "challenge_cells", "reversible_by_checkpoint_blockade"],
                threshold_rows,
            )
        )
        (tmp / "dose_response.csv").write_bytes(
            _csv_bytes(["mechanism", "strength", "final_tumour_cells"], dose_rows)
        )
        if trial:
            summary["keynote024"] = _run_trial_demo(tmp / "keynote024", trial_patients, trial_workers, trial_spec)
            files.append("keynote024")
        summary["runtime_s"] = round(time.perf_counter() - t_start, 2)
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _run_trial_demo(out: Path, n: int, workers: int | None, spec_path: str | Path | None) -> dict[str, Any]:
    """The virtual KEYNOTE-024 of the demo (written into ``out``); returns its headline figures."""
    import os

    from .trials.runner import run_trial
    from .trials.write import jsonable as _jsonable
    from .trials.spec import load_trial_spec

    spec = load_trial_spec(spec_path or DEMO_TRIAL_SPEC)
    k = workers if workers is not None else (2 if (os.cpu_count() or 1) >= 2 else 1)
    res = run_trial(spec, out, n_patients=n, seed=spec.seed, workers=k, shard_size=25,
                    progress=sys.stderr.isatty(), command=f"demo: trial {spec.name} --patients {n} --seed {spec.seed}")
    s = res.summary
    keep = {"trial": s["trial"], "n_patients": s["n_patients"], "seed": s["seed"], "workers": k,
            "run_seconds": s["run_seconds"], "failed": s["failed"], "arms": s["arms"],
            "pfs_hr": s.get("pfs_hr"), "os_hr": s.get("os_hr"), "reference": s.get("reference"),
            "report": "keynote024/report.html"}
    return _jsonable(keep)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: ``python -m oncoimmune.demo --out DIR``."""
    ap = argparse.ArgumentParser(
        prog="python -m oncoimmune.demo",
        description="Escape-mechanism demonstration on Kuznetsov et al. 1994: lymphopenia, PD-L1 stop "
        "signals, antigen loss and immunoediting; thresholds by bisection.",
    )
    ap.add_argument("--out", default="out/demo", help="output directory (default: out/demo)")
    ap.add_argument("--days", type=float, default=1500.0, help="horizon in days (default: 1500)")
    ap.add_argument("--grid", type=int, default=25, help="strengths per dose-response curve (default: 25)")
    ap.add_argument("--overwrite", action="store_true", help="replace --out even if it is not a demo output")
    ap.add_argument("--no-trial", action="store_true", help="skip the virtual KEYNOTE-024 trial")
    ap.add_argument("--trial-patients", type=int, default=DEMO_TRIAL_PATIENTS,
                    help=f"patients of the virtual KEYNOTE-024 (default: {DEMO_TRIAL_PATIENTS})")
    ap.add_argument("--workers", type=int, default=None, help="worker processes for the trial (default: 2)")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = ap.parse_args(argv)
    if not (math.isfinite(args.days) and args.days > 0):
        ap.error(f"--days must be a finite number > 0; got {args.days}")
    if args.grid < 3:
        ap.error(f"--grid must be >= 3; got {args.grid}")
    if args.trial_patients < 1:
        ap.error(f"--trial-patients must be >= 1; got {args.trial_patients}")
    if args.workers is not None and args.workers < 1:
        ap.error(f"--workers must be >= 1; got {args.workers}")
    from ._errors import OncoimmuneError

    try:
        summary = run_demo(
            args.out,
            days=args.days,
            n_grid=args.grid,
            overwrite=args.overwrite,
            command=" ".join(["python -m oncoimmune.demo", *argv]),
            trial=not args.no_trial,
            trial_patients=args.trial_patients,
            trial_workers=args.workers,
        )
    except OncoimmuneError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(args.out).resolve()
    print(f"Escape demo on {summary['model_id']} (challenge {summary['challenge_cells']:.3g} cells, "
          f"{summary['days']:g} days; baseline ends at {summary['baseline_final_tumour_cells']:.3g} cells)")
    print(f"Escape thresholds (tumour > {summary['escape_cells']:.0e} cells at day {summary['days']:g}):")
    for name, th in summary["thresholds"].items():
        rev = "reversible" if th["reversible_by_checkpoint_blockade"] else "not reversible"
        print(f"  {name:16s} {th['strength_parameter']:22s} = {th['threshold']:.4g}   "
              f"({th['meaning']}; {rev} by PD-1 blockade)")
    kn = summary.get("keynote024")
    if kn:
        print(f"Virtual {kn['trial']}: {kn['n_patients']} patients, seed {kn['seed']}, {kn['run_seconds']:.0f} s "
              f"on {kn['workers']} worker(s), {kn['failed']} failed")
        for arm, a in kn["arms"].items():
            print(f"  {arm:14s} ORR {100 * a['orr']:.1f} % ({100 * a['orr_ci'][0]:.1f}-{100 * a['orr_ci'][1]:.1f})")
        for arm, h in (kn.get("pfs_hr") or {}).items():
            if isinstance(h, dict) and "hr" in h:
                print(f"  PFS HR {arm} vs {h['vs']}: {h['hr']:.2f} ({h['hr_lo']:.2f}-{h['hr_hi']:.2f}); "
                      "KEYNOTE-024: 0.50 (0.37-0.68)")
    print(f"Wrote {len(summary['files'])} files in {summary['runtime_s']:.1f} s to {out}:")
    for f in summary["files"]:
        print(f"  {out / f}" + ("/report.html (and the trial's tables, figures, manifest)" if f == "keynote024" else ""))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
