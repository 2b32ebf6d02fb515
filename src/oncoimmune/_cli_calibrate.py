"""``oncoimmune calibrate``: the joint calibration of the clinical NSCLC model (and leave-one-trial-out)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the ``calibrate`` command to ``app``."""

    @app.command("calibrate")
    def calibrate_cmd(
        n: Annotated[int, typer.Option("--n", help="Calibration patients per trial (each simulated in every arm).")] = 200,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the calibration cohorts (never used for reporting).")] = 240_024,
        trials: Annotated[
            Optional[str], typer.Option("--trials", help="Comma-separated trials to fit: keynote024,keynote010,oak.")
        ] = None,
        leave_one_out: Annotated[
            bool, typer.Option("--leave-one-out", help="Also fit on each pair of trials and predict the third.")
        ] = False,
        out: Annotated[Path, typer.Option("--out", help="Directory for calibration.json.")] = Path("out/calibration"),
        write: Annotated[
            bool, typer.Option("--write", help="Write the fitted values to oncoimmune/data/nsclc_joint_calibration.json.")
        ] = False,
        maxfev: Annotated[
            str, typer.Option("--maxfev", help="Evaluations per stage: chemotherapy,immunity,survival.")
        ] = "50,50,250",
    ) -> None:
        """Fit the clinical NSCLC model jointly to KEYNOTE-024, KEYNOTE-010 and OAK (docs/trial-validation.md)."""
        from . import _calibration_data
        from ._version import __version__
        from .trials import joint as J

        keys = [k.strip() for k in (trials or ",".join(J.TRIALS)).split(",") if k.strip()]
        bad = [k for k in keys if k not in J.TRIALS]
        if bad:
            typer.echo(f"error: --trials: unknown trial {bad[0]!r}; choose from {', '.join(J.TRIALS)}", err=True)
            raise typer.Exit(2)
        try:
            budget = dict(zip(("chemotherapy", "immunity", "survival"), (int(x) for x in maxfev.split(","))))
        except ValueError:
            typer.echo("error: --maxfev: give three integers, e.g. 70,50,300", err=True)
            raise typer.Exit(2) from None
        if n < 20:
            typer.echo("error: --n: give at least 20 patients per trial", err=True)
            raise typer.Exit(2)
        t0 = time.perf_counter()
        cohorts = {k: J.JointCohort.build(k, n=n, seed=seed) for k in keys}
        typer.echo(f"cohorts built ({n} patients per trial) in {time.perf_counter() - t0:.0f} s", err=True)
        start = J.start_theta()
        fit = J.calibrate(list(cohorts.values()), theta0=start, maxfev=budget)
        result = {
            "theta": fit["theta"],
            "stages": fit["stages"],
            "fitted_on": keys,
            "evaluation": {k: J.evaluate(c, fit["theta"]) for k, c in cohorts.items()},
        }
        if leave_one_out and len(keys) > 1:
            result["leave_one_out"] = {}
            for k in keys:
                others = [c for kk, c in cohorts.items() if kk != k]
                f2 = J.calibrate(others, theta0=start, maxfev=budget)
                result["leave_one_out"][k] = {"theta": f2["theta"], "stages": f2["stages"],
                                              "prediction": J.evaluate(cohorts[k], f2["theta"])}
        result["provenance"] = {
            "command": f"oncoimmune calibrate --n {n} --seed {seed} --trials {','.join(keys)} --maxfev {maxfev}"
            + (" --leave-one-out" if leave_one_out else ""),
            "n_per_trial": n,
            "seed": seed,
            "seconds": round(time.perf_counter() - t0, 1),
            "version": __version__,
        }
        out.mkdir(parents=True, exist_ok=True)
        (out / "calibration.json").write_text(json.dumps(result, indent=1, default=_jsonable), encoding="utf-8")
        typer.echo(f"wrote {out / 'calibration.json'} ({result['provenance']['seconds']:.0f} s)")
        if write:
            data = {"theta": fit["theta"], "provenance": result["provenance"], "stages": fit["stages"]}
            if "leave_one_out" in result:
                data["leave_one_out"] = {k: {"theta": v["theta"]} for k, v in result["leave_one_out"].items()}
            _calibration_data.PATH.parent.mkdir(parents=True, exist_ok=True)
            _calibration_data.PATH.write_text(json.dumps(data, indent=1, default=_jsonable), encoding="utf-8")
            typer.echo(f"wrote {_calibration_data.PATH}")


def run_clinical_spec(spec: object, out: Path, *, patients: int | None, seed: int | None) -> None:
    """``oncoimmune trial SPEC`` for a spec with ``[survival]``: the clinical path (batched, TGI-OS link).

    Used until the sharded runner applies ``[survival]`` and ``[accrual]``; ``--workers``, ``--resume`` and
    the Dask options do not apply to this path (docs/trial-validation.md).
    """
    from .trials.joint import run_clinical_trial

    t0 = time.perf_counter()
    try:
        s = run_clinical_trial(spec, out, n=patients, seed=seed)
    except Exception as exc:  # noqa: BLE001 - one line, exit 2 (bad input)
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{s['spec']}: {sum(s['n'].values())} patients (seed {s['seed']}), clinical path "
               f"(TGI-OS link), {time.perf_counter() - t0:.0f} s")
    for arm, r in s["arms"].items():
        typer.echo(f"  {arm}: n {s['n'][arm]}, ORR {100 * r['orr']:.1f} %, median PFS {r['pfs_median']:.1f} mo, "
                   f"median OS {r['os_median']:.1f} mo, OS at 12 mo {100 * r['os12']:.0f} %")
    for arm, hr in s.get("os_hr_ci", {}).items():
        p = s["pfs_hr_ci"][arm]
        typer.echo(f"  {arm} vs control: PFS HR {p[0]:.2f} ({p[1]:.2f}-{p[2]:.2f}), OS HR {hr[0]:.2f} "
                   f"({hr[1]:.2f}-{hr[2]:.2f})")
    for row in s.get("comparison", []):
        if row["ok"] is False:
            typer.echo(f"  vs {s['published']}: {row['figure']} {row['arm']}: virtual {row['virtual']:.3g}, "
                       f"published {row['published']}: OUTSIDE")
    typer.echo(f"Wrote endpoints.parquet, summary.json, spec.toml to {out}")


def _jsonable(x: object) -> object:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    return v if v == v and abs(v) != float("inf") else None
