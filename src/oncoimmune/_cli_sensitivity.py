"""``oncoimmune sensitivity``: Sobol, Morris or PRCC over a model output, a trial endpoint or a test function.

.. code-block:: console

    $ oncoimmune sensitivity kuznetsov1994 --param n=5e-8:2e-7 --param a=0.1:0.3 --param T=1e5:1e7:log \\
          --output T --days 300 --log10 --method sobol --n 4096 --seed 1 --out sa-kuz
    $ oncoimmune sensitivity ishigami --method sobol --n 4096 --out sa-ishigami      # the analytic check
    $ oncoimmune sensitivity examples/keynote024.toml --param k_kill=0.005:0.05:log \\
          --param f_res=0.05:0.5 --endpoint orr --method morris --n 6 --patients 150 --out sa-orr

Writes ``DIR/indices.csv`` (one row per factor), ``DIR/indices.json`` (with the
run's settings), ``DIR/samples.parquet`` (the design and the outputs) and
``DIR/sensitivity.png``. Bad input exits 2 with one line naming the option.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

__all__ = ["register"]


def _parse_param(text: str) -> tuple[str, float, float, bool]:
    name, sep, rng = text.partition("=")
    parts = rng.split(":")
    if not sep or not name or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("log", "lin")):
        raise ValueError(f"--param {text!r}: expected NAME=LO:HI or NAME=LO:HI:log, e.g. --param g=0.001:0.1:log")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"--param {text!r}: LO and HI must be numbers, e.g. --param g=0.001:0.1") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"--param {text!r}: LO and HI must be finite numbers")
    if not lo < hi:
        raise ValueError(f"--param {text!r}: LO must be below HI; swap them")
    log = len(parts) == 3 and parts[2] == "log"
    if log and lo <= 0:
        raise ValueError(f"--param {text!r}: a log range needs LO > 0")
    return name.strip(), lo, hi, log


def register(app: typer.Typer) -> None:
    """Add the ``sensitivity`` command to ``app``."""
    from ._cli_common import EXIT_FAILED_RUN
    from ._cli_common import fail as _fail

    @app.command("sensitivity")
    def sensitivity_cmd(
        target: Annotated[str, typer.Argument(
            help="Library model id, a trial spec (.toml, endpoints as a function of population hyperparameters), "
                 "or 'ishigami' (analytic check).", metavar="MODEL|SPEC.toml|ishigami")],
        param: Annotated[Optional[list[str]], typer.Option(
            "--param", help="Factor and range NAME=LO:HI[:log] (repeatable): a parameter or initial value, or a "
                            "trial hyperparameter.", metavar="NAME=LO:HI")] = None,
        output: Annotated[Optional[str], typer.Option(
            "--output", help="Model state or observable (models only).", metavar="NAME")] = None,
        statistic: Annotated[str, typer.Option(
            "--statistic", help="value (at --at), final, min, max or mean over the run.")] = "value",
        at: Annotated[Optional[float], typer.Option("--at", help="Day of --statistic value.", metavar="D")] = None,
        days: Annotated[Optional[float], typer.Option("--days", help="Horizon in days (models).", metavar="D")] = None,
        log10: Annotated[bool, typer.Option("--log10", help="Analyse log10 of the output.")] = False,
        therapy: Annotated[Optional[list[str]], typer.Option(
            "--therapy", help="Treat the model with DRUG[:DOSE][:SCHEDULE] (repeatable).", metavar="SPEC")] = None,
        endpoint: Annotated[str, typer.Option(
            "--endpoint", help="Trial endpoint: orr, pfs_median, pfs_hr or os_hr (trial specs).")] = "orr",
        arm: Annotated[Optional[str], typer.Option("--arm", help="Trial arm (default: the first).")] = None,
        patients: Annotated[int, typer.Option(
            "--patients", min=10, help="Fixed cohort size for trial endpoints.", metavar="N")] = 200,
        method: Annotated[str, typer.Option("--method", help="sobol, morris or prcc.")] = "sobol",
        n: Annotated[Optional[int], typer.Option(
            "--n", min=2, help="Sobol base sample (power of 2; default 1024), Morris trajectories (default 20), "
                               "PRCC sample (default 1000).", metavar="N")] = None,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the design and bootstrap.")] = 0,
        out: Annotated[Path, typer.Option("--out", help="Output directory.", metavar="DIR")] = Path("sensitivity"),
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace DIR if it exists.")] = False,
    ) -> None:
        """Global sensitivity (Sobol/Morris with SALib, PRCC): DIR/indices.csv, indices.json, sensitivity.png."""
        from ._errors import OncoimmuneError
        from .io.results import atomic_directory, check_output_dir
        from .sensitivity import METHODS, model_output, run, trial_endpoint
        from .sensitivity.test_functions import ISHIGAMI_BOUNDS, ishigami, ishigami_indices

        if method not in METHODS:
            _fail(f"--method: unknown method {method!r}; valid choices: {', '.join(METHODS)}")
        try:
            parsed = [_parse_param(p) for p in (param or [])]
        except ValueError as exc:
            _fail(str(exc))
        names = [p[0] for p in parsed]
        if len(set(names)) != len(names):
            _fail(f"--param: a factor is given twice ({names}); give each once")
        try:
            check_output_dir(out, overwrite=overwrite)
        except OncoimmuneError as exc:
            _fail(f"--out: {exc}")
        nn = n if n is not None else {"sobol": 1024, "morris": 20, "prcc": 1000}[method]
        reference = None
        settings: dict[str, Any] = {"target": target, "method": method, "n": nn, "seed": seed,
                                    "command": "oncoimmune " + " ".join(sys.argv[1:])}
        try:
            if target == "ishigami":
                if parsed:
                    _fail("--param: the Ishigami function has fixed factors x1, x2, x3 on (-pi, pi); omit --param")
                bounds = dict(ISHIGAMI_BOUNDS)
                f: Any = ishigami
                log: set[str] = set()
                reference = ishigami_indices()
                what = "Ishigami function (a=7, b=0.1)"
            else:
                if not parsed:
                    _fail("--param: give at least one factor NAME=LO:HI")
                bounds = {nm: (lo, hi) for nm, lo, hi, _ in parsed}
                log = {nm for nm, _, _, lg in parsed if lg}
                if target.endswith(".toml"):
                    from .trials.spec import load_trial_spec

                    spec = load_trial_spec(target)
                    f = trial_endpoint(spec, names, endpoint, arm=arm, n_patients=patients)
                    what = f"{endpoint} ({f.__doc__})"
                    settings.update(endpoint=endpoint, arm=arm, patients=patients, engine="batched")
                else:
                    from .library import default_days, get_model

                    if output is None:
                        _fail("--output: name the state or observable to analyse (e.g. --output T)")
                    model = get_model(target)
                    d = days if days is not None else default_days(target)
                    events: tuple[Any, ...] = ()
                    if therapy:
                        from .therapy.regimen import treat_regimens

                        tr = treat_regimens(model, *therapy, until=d)
                        model, events = tr.model, tuple(tr.events)
                    f = model_output(model, names, output, days=d, statistic=statistic, at=at, events=events,
                                     log10=log10)
                    what = f.describe()
                    settings.update(output=output, statistic=statistic, at=at, days=d, log10=log10,
                                    therapy=list(therapy or []))
            res = run(method, f, bounds, nn, seed, log=log)
        except OncoimmuneError as exc:
            _fail(str(exc))
        try:
            import pandas as pd

            from .plots.sensitivity import save_sensitivity_plot

            with atomic_directory(out, overwrite=overwrite) as tmp:
                res.table().rename_axis("factor").to_csv(tmp / "indices.csv")
                doc = {**res.to_dict(), "output": what, "settings": settings,
                       "bounds": {k: list(v) for k, v in bounds.items()}}
                if reference is not None:
                    doc["analytic"] = reference
                (tmp / "indices.json").write_text(json.dumps(doc, indent=2))
                df = pd.DataFrame(res.X, columns=list(res.names))
                df["y"] = res.y
                df.to_parquet(tmp / "samples.parquet", index=False)
                save_sensitivity_plot(res, tmp / "sensitivity.png", title=f"{method}: {what}", reference=reference)
        except OSError as exc:
            _fail(f"--out: cannot write {str(out)!r}: {exc}", EXIT_FAILED_RUN)
        typer.echo(f"{method} of {what}: {res.n_evaluations} evaluations in {res.seconds:.2f} s")
        typer.echo(res.table().to_string(float_format=lambda v: f"{v:.4g}"))
        typer.echo(f"wrote {out}/indices.csv, indices.json, samples.parquet, sensitivity.png")
