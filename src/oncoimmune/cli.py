"""Command-line interface: a thin layer over the public API.

.. code-block:: console

    $ oncoimmune models [--json]
    $ oncoimmune describe kuznetsov1994
    $ oncoimmune simulate kuznetsov1994 --days 200 --set T=5e8 --out run1
    $ oncoimmune simulate --spec run1/spec.toml --out run2      # reproduces run1
    $ oncoimmune drugs [--json]
    $ oncoimmune trial examples/keynote024.toml --patients 600 --seed 2016 --out out/kn024 [--workers 2]
    $ oncoimmune simulate kuznetsov1994 --therapy pembrolizumab:200mg:q3w --therapy carboplatin_paclitaxel
    $ oncoimmune serve [--host 127.0.0.1] [--port 8000] [--data DIR]     # the web explorer

``simulate`` writes ``DIR/trajectory.parquet``, ``DIR/trajectory.png`` and
``DIR/spec.toml`` (everything needed to rerun it). The directory is built in a
temporary sibling and renamed at the end, so it is either complete or absent.

Exit codes
----------
0
    Success.
1
    The simulation ran but *failed* (``status = "failed"``: work budget,
    solver failure, non-finite values). Its outputs are still written, with
    the status and reason recorded in the Parquet metadata and the plot
    title, so the failure can be inspected; the reason is printed on stderr.
    Also used when the outputs cannot be written (disk full, permissions).
2
    Bad input (unknown model, parameter or option, a value that is not a
    finite number or out of bounds, ``--days <= 0``, bad ``--set`` syntax,
    an existing output directory without ``--overwrite``): one line on
    stderr naming the field and the fix; nothing is written.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Iterator, NoReturn, Optional, Sequence

import typer
from typer.core import TyperGroup

from . import __version__
from ._errors import OncoimmuneError, SpecFileError


def _typer_error_class(name: str) -> type[Exception]:
    """The click/typer exception class ``name``, found through public ``typer.BadParameter``.

    Typer >= 0.2x vendors click privately; older versions re-export click's
    classes. Walking the MRO of the public class works with both.
    """
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


_ClickException = _typer_error_class("ClickException")
_UsageError = _typer_error_class("UsageError")
_ClickAbort = typer.Abort

__all__ = ["app", "main"]

from ._cli_common import EXIT_BAD_INPUT, EXIT_FAILED_RUN  # noqa: E402
from ._cli_common import fail as _fail  # noqa: E402
from ._cli_common import one_line as _one_line  # noqa: E402


class _OneLineErrorGroup(TyperGroup):
    """Typer group whose usage errors (unknown option, bad value) are one stderr line, exit 2."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _ClickException as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                typer.echo(exc.format_message(), err=True)
                sys.exit(exc.exit_code)
            msg = _one_line(exc.format_message())
            ctx = getattr(exc, "ctx", None)
            if isinstance(exc, _UsageError) and ctx is not None:
                msg += f" (see '{ctx.command_path} --help')"
            typer.echo(f"error: {msg}", err=True)
            sys.exit(exc.exit_code)
        except _ClickAbort:
            typer.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


app = typer.Typer(
    name="oncoimmune",
    cls=_OneLineErrorGroup,
    help="Simulate how the immune system fights cancer and how immunotherapy changes that fight.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@contextmanager
def _bad_input(field: str | None = None) -> Iterator[None]:
    """Turn oncoimmune errors into one stderr line and exit code 2."""
    try:
        yield
    except OncoimmuneError as exc:
        _fail(f"{field}: {exc}" if field else str(exc))


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"oncoimmune {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Simulate how the immune system fights cancer and how immunotherapy changes that fight."""


# models / describe -------------------------------------------------------------------------------------


@app.command("models")
def models_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the library models: id, title and citation."""
    from rich.console import Console
    from rich.table import Table

    from .library import list_models

    rows = list_models()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="oncoimmune library models", show_lines=True)
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("citation")
    for r in rows:
        table.add_row(r["id"], r["title"], r["citation"])
    Console().print(table)


@app.command("describe")
def describe_cmd(
    model: Annotated[
        Optional[str], typer.Argument(help="Library model id (see `oncoimmune models`).", metavar="MODEL")
    ] = None,
    sbml: Annotated[Optional[Path], typer.Option("--sbml", help="Describe an SBML file instead.", metavar="FILE")] = None,
) -> None:
    """Print a model's equations, processes, parameters with sources, and references."""
    from .library import get_model

    if sbml is not None:
        from ._cli_sbml import describe_sbml

        return describe_sbml(sbml)
    if model is None:
        _fail("MODEL: give a library model id (see `oncoimmune models`) or --sbml FILE")

    with _bad_input("MODEL"):
        m = get_model(model)
    typer.echo(m.describe())


# simulate ----------------------------------------------------------------------------------------------

#: spec field -> how the CLI spells it (for error messages)
_OPTION_NAMES = {
    "model": "MODEL",
    "days": "--days",
    "engine": "--engine",
    "method": "--method",
    "rtol": "--rtol",
    "atol": "--atol",
    "max_nfev": "--max-nfev",
    "seed": "--seed",
    "default_events": "--default-events/--no-default-events",
    "set": "--set",
    "therapies": "--therapy",
    "weight_kg": "--weight",
    "height_cm": "--height",
}


def parse_set(items: Sequence[str]) -> dict[str, float]:
    """Parse ``--set NAME=VALUE`` items into a mapping.

    Parameters
    ----------
    items : sequence of str
        E.g. ``["T=5e8", "s=1.3e4"]``.

    Returns
    -------
    dict of str to float

    Raises
    ------
    SpecFileError
        For a missing ``=``, an empty name, a value that is not a number, or
        a name given twice (``field`` is ``"set"`` or ``"set.NAME"``).
    """
    from .io.spec import spec_error

    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise spec_error("set", f"expected NAME=VALUE, e.g. --set T=1e6; got {item!r}")
        try:
            value = float(raw)
        except ValueError:
            raise spec_error(f"set.{name}", f"value must be a number, e.g. --set {name}=1e6; got {raw!r}") from None
        if name in out:
            raise spec_error(f"set.{name}", f"given twice ({out[name]:g} and {value:g}); give each name once")
        out[name] = value
    return out


#: spec field -> an example of the option (the fix shown in error messages)
_OPTION_EXAMPLES = {
    "days": "--days 100",
    "rtol": "--rtol 1e-8",
    "atol": "--atol 1e-10",
    "max_nfev": "--max-nfev 2000000",
    "seed": "--seed 1",
    "set": "--set T=1e6",
    "weight_kg": "--weight 70",
    "height_cm": "--height 170",
}


def _cli_message(exc: SpecFileError) -> str:
    """A spec error in CLI terms: ``--set T: ...; e.g. --set T=1e6``."""
    field = str(getattr(exc, "field", ""))
    reason = str(getattr(exc, "reason", exc))
    top, _, rest = field.partition(".")
    top = top.split("[", 1)[0]
    opt = _OPTION_NAMES.get(top, field)
    if rest:
        opt = f"{opt} {rest}"
    example = _OPTION_EXAMPLES.get(top)
    if example and "e.g." not in reason and "valid choices" not in reason:
        reason += f"; e.g. {example}" if top != "set" else f"; e.g. --set {rest or 'T'}=1e6"
    return f"{opt}: {reason}"


@app.command("simulate")
def simulate_cmd(
    model: Annotated[
        Optional[str], typer.Argument(
            help="Library model id (see `oncoimmune models`); optional with --spec.", metavar="MODEL"
        )
    ] = None,
    spec_file: Annotated[
        Optional[Path],
        typer.Option("--spec", help="Rerun a spec.toml; other options given override its fields.", metavar="FILE"),
    ] = None,
    days: Annotated[
        Optional[float],
        typer.Option("--days", help="Days to simulate (> 0); default: the model's default experiment.", metavar="D"),
    ] = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option(
            "--set",
            help="Set a parameter or initial value, e.g. --set T=5e8 (repeatable).",
            metavar="NAME=VALUE",
        ),
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option("--out", help="Output directory; default ./<model id>.", metavar="DIR"),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace DIR if it exists.")] = False,
    engine: Annotated[Optional[str], typer.Option("--engine", help="Engine name; default scipy.")] = None,
    method: Annotated[
        Optional[str], typer.Option("--method", help="Engine method (scipy: LSODA, BDF, Radau, DOP853, RK45).")
    ] = None,
    rtol: Annotated[Optional[float], typer.Option("--rtol", help="Relative tolerance; default 1e-8.")] = None,
    atol: Annotated[
        Optional[float],
        typer.Option("--atol", help="Absolute tolerance for every state; default: per state, min(1e-10, 1e-16 x its size)."),
    ] = None,
    max_nfev: Annotated[
        Optional[int], typer.Option("--max-nfev", help="Work budget in right-hand-side evaluations.")
    ] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed recorded in the provenance.")] = None,
    default_events: Annotated[
        Optional[bool],
        typer.Option(
            "--default-events/--no-default-events",
            help="Apply the model's published default experiment (e.g. an infusion); default on.",
            show_default=False,
        ),
    ] = None,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="Draw trajectory.png.")] = True,
    therapy: Annotated[
        Optional[list[str]],
        typer.Option(
            "--therapy",
            help="Treat with DRUG[:DOSE][:SCHEDULE], e.g. pembrolizumab:200mg:q3w, rituximab:375mg/m2:weekly*4, "
            "carboplatin_paclitaxel (repeatable; see `oncoimmune drugs`).",
            metavar="SPEC",
        ),
    ] = None,
    weight: Annotated[
        Optional[float], typer.Option("--weight", help="Patient weight in kg (default 70).", metavar="KG")
    ] = None,
    height: Annotated[
        Optional[float], typer.Option("--height", help="Patient height in cm for the BSA (default 170).", metavar="CM")
    ] = None,
    sbml: Annotated[
        Optional[Path],
        typer.Option("--sbml", help="Simulate an SBML file instead (--days in the file's time units).", metavar="FILE"),
    ] = None,
) -> None:
    """Simulate a library model and write DIR/trajectory.parquet, DIR/trajectory.png and DIR/spec.toml.

    Bad input exits 2 and writes nothing. A run that fails numerically exits 1
    but still writes its outputs, with status "failed" and the reason recorded.

    With --therapy the model is treated first (doses until --days). An anti-PD-1 or
    anti-PD-L1 drug on a model without the PD-L1 brake gets the brake with
    pdl1_engagement=1 (a scenario default, said on stderr); change it with
    --set pdl1_engagement=Q.
    """
    from .io import SimulationSpec, check_output_dir, load_spec, write_run

    if sbml is not None:
        from ._cli_sbml import simulate_sbml

        return simulate_sbml(sbml, days, out, overwrite, plot, rtol, atol, method, engine, set_)
    # 1. the spec: file, then command-line overrides; all validated before anything is written
    data: dict[str, Any] = {}
    if spec_file is not None:
        with _bad_input("--spec"):
            base = load_spec(spec_file)
        data = base.model_dump(exclude_none=True)
        if base.oncoimmune_version != __version__:
            typer.echo(
                f"warning: {spec_file} was written by oncoimmune {base.oncoimmune_version}; "
                f"this is {__version__}, results may differ",
                err=True,
            )
        if model is not None and model != base.model:
            _fail(f"MODEL: {model!r} differs from the spec's model {base.model!r}; omit MODEL or edit the spec")
    elif model is None:
        _fail("MODEL: give a library model id (see `oncoimmune models`) or --spec FILE")
    try:
        overrides = parse_set(set_ or [])
    except SpecFileError as exc:
        _fail(_cli_message(exc))
    given = {
        "model": model,
        "days": days,
        "engine": engine,
        "method": method,
        "rtol": rtol,
        "atol": atol,
        "max_nfev": max_nfev,
        "seed": seed,
        "default_events": default_events,
        "therapies": list(therapy) if therapy else None,
        "weight_kg": weight,
        "height_cm": height,
    }
    data.update({k: v for k, v in given.items() if v is not None})
    if "days" not in data:
        from .library import default_days

        with _bad_input("MODEL"):
            data["days"] = default_days(data["model"])
    data["set"] = {**data.get("set", {}), **overrides}
    data["oncoimmune_version"] = __version__
    try:
        spec = SimulationSpec(**data)
    except SpecFileError as exc:
        _fail(_cli_message(exc))

    out_dir = out if out is not None else Path(spec.model)
    with _bad_input("--out"):
        check_output_dir(out_dir, overwrite=overwrite)
    if spec.therapies:
        from .library import get_model
        from .therapy.regimen import DEFAULT_PDL1_ENGAGEMENT, needs_pdl1_brake

        if needs_pdl1_brake(get_model(spec.model), spec.regimens()) and "pdl1_engagement" not in spec.set:
            typer.echo(
                f"note: {spec.model} has no PD-L1 brake; added it with pdl1_engagement="
                f"{DEFAULT_PDL1_ENGAGEMENT:g} (a scenario default; change it with --set pdl1_engagement=Q)",
                err=True,
            )

    # 2. run (in memory), 3. write the directory atomically
    with _bad_input():
        ds = spec.run()
    try:
        from .plots.trajectory import save_trajectory_plot

        write_run(ds, spec, out_dir, overwrite=overwrite, plot=save_trajectory_plot if plot else None)
    except OncoimmuneError as exc:
        _fail(f"--out: {exc}")
    except OSError as exc:
        _fail(f"--out: cannot write {str(out_dir)!r}: {exc.strerror or exc}", EXIT_FAILED_RUN)

    status = ds.attrs.get("status")
    if status != "ok":
        _fail(
            f"simulation failed: {ds.attrs.get('status_reason')}; outputs with status 'failed' written to {out_dir}",
            EXIT_FAILED_RUN,
        )
    typer.echo(f"wrote {out_dir} (trajectory.parquet{', trajectory.png' if plot else ''}, spec.toml); status ok")
    for name in ds.data_vars:
        v = float(ds[name].values[-1])
        units = ds[name].attrs.get("units", "")
        typer.echo(f"  {name} at day {float(ds['time'].values[-1]):g}: {v:.4g} {units}".rstrip())


# drugs -------------------------------------------------------------------------------------------------


@app.command("drugs")
def drugs_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the drug catalogue: name, classes, target, label schedule and PK source."""
    from rich.console import Console
    from rich.table import Table

    from .therapy.catalogue import list_catalogue
    from .therapy.cytotoxic import list_cytotoxics

    rows = list_catalogue() + list_cytotoxics()
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="oncoimmune drug catalogue (use as --therapy NAME[:DOSE][:SCHEDULE])", show_lines=True)
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("classes")
    table.add_column("target")
    table.add_column("label schedule (default)")
    table.add_column("PK source")
    for r in rows:
        if not r["simulable"]:
            name = r["name"] + "\n(label only: PK not encoded, kept out of simulation)"
        else:
            name = r["name"] + ("" if r["mechanism_available"] else "\n(mechanism not yet available)")
        table.add_row(
            name,
            ", ".join(r["classes"]),
            r["target"],
            r["label_schedule"],
            r["pk_source"].split(",")[0] if r["pk_source"] else "",
        )
    Console(width=160).print(table)


# eligible ----------------------------------------------------------------------------------------------


@app.command("eligible")
def eligible_cmd(
    cancer: Annotated[
        str, typer.Option("--cancer", help="Cancer type or everyday name (nsclc, bladder, kidney, ...); 'list' lists them.")
    ],
    stage: Annotated[Optional[str], typer.Option("--stage", help="Stage, e.g. IV, IIIB, IV-M1a.")] = None,
    pdl1: Annotated[Optional[float], typer.Option("--pdl1", help="PD-L1 tumour proportion score, %.")] = None,
    msi: Annotated[Optional[str], typer.Option("--msi", help="MSI status: high or stable.")] = None,
    age: Annotated[Optional[float], typer.Option("--age", help="Age in years.")] = None,
    prior_lines: Annotated[
        Optional[int], typer.Option("--prior-lines", help="Number of earlier lines of treatment.")
    ] = None,
    prior: Annotated[
        Optional[list[str]], typer.Option("--prior", help="An earlier treatment (repeatable).")
    ] = None,
    region: Annotated[str, typer.Option("--region", help="uk (NICE/MHRA, default) or us (FDA).")] = "uk",
    setting: Annotated[
        Optional[str], typer.Option("--setting", help="advanced, adjuvant or neoadjuvant (where it matters).")
    ] = None,
    histology: Annotated[
        Optional[str], typer.Option("--histology", help="e.g. squamous or non-squamous for NSCLC.")
    ] = None,
    tmb: Annotated[Optional[float], typer.Option("--tmb", help="Tumour mutational burden, mut/Mb.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    her2: Annotated[
        Optional[str], typer.Option("--her2", help="HER2 result: positive, negative, 3+, '2+ ISH+', ...")
    ] = None,
    cps: Annotated[
        Optional[float], typer.Option("--cps", help="PD-L1 combined positive score (CPS), 0-100.")
    ] = None,
    pdl1_ic: Annotated[
        Optional[float], typer.Option("--pdl1-ic", help="PD-L1 on immune cells (SP142 IC), % of tumour area.")
    ] = None,
    cd19: Annotated[Optional[str], typer.Option("--cd19", help="CD19 on the cancer cells: positive or negative.")] = None,
    cd20: Annotated[Optional[str], typer.Option("--cd20", help="CD20 on the cancer cells: positive or negative.")] = None,
    bcma: Annotated[Optional[str], typer.Option("--bcma", help="BCMA on myeloma cells: positive or negative.")] = None,
    dmmr: Annotated[
        Optional[str], typer.Option("--dmmr", help="Mismatch-repair deficient: yes (dMMR) or no (pMMR).")
    ] = None,
) -> None:
    """Which immunotherapies could this patient have, and why not the others (with sources).

    `--cancer list` lists the cancer types and the names accepted for them.
    Information, not medical advice.
    """
    from .patients import check_eligibility
    from .patients.cancers import list_cancers

    if cancer.strip().lower() == "list":
        typer.echo(list_cancers())
        return
    with _bad_input():
        report = check_eligibility(
            cancer,
            stage=stage,
            pdl1=pdl1,
            msi=msi,
            age=age,
            prior_lines=prior_lines,
            prior=tuple(prior or ()),
            region=region,
            setting=setting,
            histology=histology,
            tmb=tmb,
            her2=her2,
            cps=cps,
            pdl1_ic=pdl1_ic,
            cd19=cd19,
            cd20=cd20,
            bcma=bcma,
            dmmr=dmmr,
        )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(report.to_text())


# trial -------------------------------------------------------------------------------------------------


@app.command("trial")
def trial_cmd(
    spec: Annotated[Path, typer.Argument(help="Trial spec (TOML), e.g. examples/keynote024.toml.", metavar="SPEC.toml")],
    patients: Annotated[
        Optional[int], typer.Option("--patients", min=1, help="Patients to enrol (default: the spec's n_patients).",
                                    metavar="N")
    ] = None,
    seed: Annotated[
        Optional[int], typer.Option("--seed", min=0, help="Trial seed (default: the spec's seed).", metavar="S")
    ] = None,
    out: Annotated[
        Optional[Path], typer.Option("--out", help="Output directory (default: trial-<spec name>).", metavar="DIR")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run in DIR: finished shards are skipped.")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes (1: in this process).", metavar="K")
    ] = 1,
    shard_size: Annotated[
        Optional[int],
        typer.Option(
            "--shard-size",
            min=1,
            help="Patients per shard (default: batched 50-1000, at least two shards per worker; scipy 25).",
            metavar="M",
        ),
    ] = None,
    engine: Annotated[
        Optional[str],
        typer.Option("--engine", help="batched (default: all patients of a shard in one solve) or scipy (the "
                     "reference, one patient at a time); --resume keeps the run's."),
    ] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a previous trial run in DIR.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write report.html and figures/ (off: tables and summary only).")
    ] = True,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="local (this machine's processes) or dask (a LocalCluster on 127.0.0.1 with --workers workers).",
        ),
    ] = "local",
    scheduler: Annotated[
        Optional[str],
        typer.Option("--scheduler", help="Address of an existing Dask scheduler (implies --executor dask).",
                     metavar="tcp://HOST:PORT"),
    ] = None,
) -> None:
    """Run a virtual clinical trial: DIR/patients.parquet, DIR/endpoints.parquet, DIR/report.html, DIR/figures.

    Patients are simulated in shards (each written with its checksum and
    registered in DIR/manifest.json); --resume skips finished shards. Results
    do not depend on --workers or --shard-size. A patient whose simulation
    fails is recorded with the reason and counted in the report. Bad input
    exits 2 and writes nothing.
    """
    from .io.results import ResultsFileError
    from .trials.runner import run_trial
    from .trials.spec import load_trial_spec

    with _bad_input("SPEC.toml"):
        trial_spec = load_trial_spec(spec)
    out_dir = out if out is not None else Path(f"trial-{spec.stem}")
    command = "oncoimmune trial " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else None
    try:
        result = run_trial(
            trial_spec,
            out_dir,
            n_patients=patients,
            seed=seed,
            shard_size=shard_size,
            workers=workers,
            engine=engine,
            resume=resume,
            overwrite=overwrite,
            progress=progress,
            report=report,
            figures=report,
            command=command,
            executor="dask" if scheduler is not None else executor,
            scheduler=scheduler,
        )
    except ResultsFileError as exc:  # --out/--resume problems are found before anything is written
        _fail(str(exc), EXIT_BAD_INPUT if _is_destination_error(exc) else EXIT_FAILED_RUN)
    except OncoimmuneError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write the outputs in {str(out_dir)!r}: {exc}", EXIT_FAILED_RUN)
    _print_trial_summary(result)


def _is_destination_error(exc: Exception) -> bool:
    msg = str(exc)
    return msg.startswith("--out") or msg.startswith("--resume")


def _print_trial_summary(result: Any) -> None:
    s = result.summary
    typer.echo(f"{s['trial']}: {s['n_patients']} patients, seed {s['seed']}, {s['run_seconds']:.1f} s "
               f"({len(result.shards_run)} shard(s) run, {len(result.shards_skipped)} skipped)")
    for arm, a in s["arms"].items():
        lo, hi = a["orr_ci"]
        pfs, os_ = a["pfs"]["median_months"], a["os"]["median_months"]
        typer.echo(
            f"  {arm:16s} n={a['n']:4d}  ORR {100 * a['orr']:5.1f} % ({100 * lo:.1f}-{100 * hi:.1f})  "
            f"median PFS {'NR' if pfs is None else f'{pfs:.1f} mo'}  median OS {'NR' if os_ is None else f'{os_:.1f} mo'}"
        )
    for ep in ("pfs", "os"):
        for arm, h in s.get(f"{ep}_hr", {}).items():
            if isinstance(h, dict) and "hr" in h:
                typer.echo(f"  {ep.upper()} HR {arm} vs {h['vs']}: {h['hr']:.2f} ({h['hr_lo']:.2f}-{h['hr_hi']:.2f})")
            elif arm == "error":
                typer.echo(f"  {ep.upper()} HR: not estimable ({h})")
    rules = s.get("outcome_rules") or {}
    rule = (rules.get("overall_survival") or {}).get("rule")
    if rule:
        acc = rules.get("accrual")
        cut = (f"data cut-off {acc['cutoff_months']:g} months (enrolment over {acc['months']:g})" if acc
               else "no data cut-off (followed to the horizon)")
        typer.echo(f"  overall survival: {'TGI-OS link [survival]' if rule == 'tgi_os' else rule}; {cut}")
    for row in s.get("comparison", []):
        if row["ok"] is False:
            typer.echo(f"  vs {s['published']}: {row['figure']} {row['arm']}: virtual {row['virtual']:.3g}, "
                       f"published {row['published']}: OUTSIDE")
    if s.get("reference_missing"):
        typer.echo(f"  note: {s['reference_missing']}")
    if s.get("failed"):
        typer.echo(f"  {s['failed']} patient(s) failed; see the report and endpoints.parquet (status, reason)")
    ref = s.get("reference")
    if ref:
        for arm, o in ref.get("orr", {}).items():
            typer.echo(f"  vs {ref['name']}: ORR {arm} {100 * o['published']:.1f} % "
                       f"({100 * o['published_ci'][0]:.1f}-{100 * o['published_ci'][1]:.1f}): "
                       f"{'inside' if o['inside_published_ci'] else 'OUTSIDE'}")
        pfs = ref.get("hazard_ratios", {}).get("pfs", {})
        if "published" in pfs:
            typer.echo(f"  vs {ref['name']}: PFS HR {pfs['published']['hr']:.2f} "
                       f"({pfs['published']['ci'][0]:.2f}-{pfs['published']['ci'][1]:.2f}): "
                       f"{'inside' if pfs['inside_published_ci'] else 'OUTSIDE'}")
    made = ("report.html, " if "report.html" in result.files else "") + "patients.parquet, endpoints.parquet, " + (
        "figures/, " if any(f.startswith("figures") for f in result.files) else "")
    typer.echo(f"Wrote {len(result.files)} files to {result.out}: {made}manifest.json")


from . import _cli_fit, _cli_sbml, _cli_sensitivity  # noqa: E402  (commands in their own modules)
from ._cli_calibrate import register as _register_calibrate  # noqa: E402

_cli_sensitivity.register(app)
_cli_sbml.register(app)
_register_calibrate(app)
_cli_fit.register(app)

from ._cli_web import register as _register_web  # noqa: E402

_register_web(app)


def main() -> None:
    """Entry point for ``python -m oncoimmune``."""
    app(prog_name="oncoimmune")

