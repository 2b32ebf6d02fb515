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
        n: Annotated[int, typer.Option("--n", help="Calibration patients per trial (each simulated in every arm).")] = 300,
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
            str, typer.Option("--maxfev", help="Evaluations per stage: chemotherapy,immunity,survival[,joint] "
                              "(joint: every parameter together at the end; left out "
                              "or 0: no joint stage, the three stages alone, as fitted until 2026-12-07 22:29 UTC).")
        ] = "50,50,250,250",
        priors: Annotated[
            bool, typer.Option("--priors/--no-priors", help="Add the contrasts' weak priors to the objective "
                               "(oncoimmune.trials.joint.PRIORS; --no-priors fits without, as before 2026-12-07).")
        ] = True,
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
            counts = [int(x) for x in maxfev.split(",")]
        except ValueError:
            counts = []
        if len(counts) not in (3, 4) or min(counts[:3]) < 1 or min(counts) < 0:
            typer.echo(f"error: --maxfev: give three integers >= 1 (chemotherapy,immunity,survival) and optionally "
                       f"a fourth >= 0 (joint), e.g. 50,50,250,250; got {maxfev!r}", err=True)
            raise typer.Exit(2)
        budget = dict(zip(("chemotherapy", "immunity", "survival", "joint"), counts))
        stages = ("chemotherapy", "immunity", "survival") + (("joint",) if budget.get("joint", 0) > 0 else ())
        if n < 20:
            typer.echo("error: --n: give at least 20 patients per trial", err=True)
            raise typer.Exit(2)
        t0 = time.perf_counter()
        cohorts = {k: J.JointCohort.build(k, n=n, seed=seed) for k in keys}
        typer.echo(f"cohorts built ({n} patients per trial) in {time.perf_counter() - t0:.0f} s", err=True)
        start = J.start_theta()
        pri = None if priors else {}
        fit = J.calibrate(list(cohorts.values()), theta0=start, stages=stages, maxfev=budget, priors=pri)
        result = {
            "theta": fit["theta"],
            "stages": fit["stages"],
            "fitted_on": keys,
            "evaluation": {k: J.evaluate(c, fit["theta"]) for k, c in cohorts.items()},
        }
        if leave_one_out and len(keys) > 1:
            result["leave_one_out"] = J.leave_one_out(cohorts, theta0=start, stages=stages, maxfev=budget, priors=pri)
        result["provenance"] = {
            "command": f"oncoimmune calibrate --n {n} --seed {seed} --trials {','.join(keys)} --maxfev {maxfev}"
            + (" --leave-one-out" if leave_one_out else "") + ("" if priors else " --no-priors"),
            "priors": {k: {"centre": p.centre if not callable(p.centre) else "per_cycle_equivalent_potency",
                           "sd": p.sd, "scale": "log" if p.log else "linear", "why": p.why}
                       for k, p in (J.PRIORS if priors else {}).items()},
            "n_per_trial": n,
            "seed": seed,
            "search": dict(J.SEARCH),
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


def _jsonable(x: object) -> object:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    return v if v == v and abs(v) != float("inf") else None
