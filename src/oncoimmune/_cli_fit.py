"""``oncoimmune fit PROBLEM.yaml --out DIR``: estimate the parameters of a PEtab problem.

Writes ``DIR/estimates.tsv`` (one row per estimated parameter: estimate, bounds, profile-likelihood 95 %
interval), ``DIR/starts.tsv`` (objective, optimiser status and message, work, start and end point of every
start), ``DIR/profiles.tsv``, ``DIR/simulation.tsv`` (PEtab simulation table at the estimate),
``DIR/summary.json`` and the figures ``fit.png``, ``waterfall.png``, ``profiles.png``. Bad input (a table with
an unknown id, NaN, bounds the wrong way round, a parameter without a scale, ...) exits 2 with one line naming
the file, line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``fit`` command to ``app``."""
    from ._cli_common import EXIT_FAILED_RUN
    from ._cli_common import fail as _fail

    @app.command("fit")
    def fit_cmd(
        problem: Annotated[Path, typer.Argument(help="PEtab problem YAML (model: SBML or 'oncoimmune_model: ID').",
                                                metavar="PROBLEM.yaml")],
        out: Annotated[Path, typer.Option("--out", help="Output directory.", metavar="DIR")] = Path("fit"),
        starts: Annotated[int, typer.Option("--starts", min=1, help="Multistart local optimisations.",
                                            metavar="N")] = 10,
        seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the start points.")] = 0,
        profiles: Annotated[bool, typer.Option("--profiles/--no-profiles",
                                               help="Profile likelihoods and 95 % intervals.")] = True,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace DIR if it exists.")] = False,
    ) -> None:
        """Fit a PEtab problem: multistart L-BFGS-B with exact gradients, profiles, tables and figures in DIR."""
        from ._errors import OncoimmuneError
        from .fit import fit, load_problem, write_results
        from .io.results import atomic_directory, check_output_dir

        try:
            check_output_dir(out, overwrite=overwrite)
        except OncoimmuneError as exc:
            _fail(f"--out: {exc}")
        try:
            pb = load_problem(problem)
        except OncoimmuneError as exc:
            _fail(str(exc))
        try:
            result = fit(pb, starts, seed, profiles=profiles)
        except OncoimmuneError as exc:
            _fail(str(exc), EXIT_FAILED_RUN)
        try:
            with atomic_directory(out, overwrite=overwrite) as tmp:
                write_results(result, tmp)
        except OSError as exc:
            _fail(f"--out: cannot write {str(out)!r}: {exc}", EXIT_FAILED_RUN)
        b = result.best
        typer.echo(f"{problem}: best objective {b.fval:.8g} ({result.converged_to_best()} of {len(result.starts)} "
                   f"starts within 1e-3; {result.seconds:.1f} s)")
        typer.echo(result.estimates()[["parameterId", "estimate", "ci95_lower", "ci95_upper"]].to_string(
            index=False, float_format=lambda v: f"{v:.4g}"))
        typer.echo(f"wrote {out}/estimates.tsv, starts.tsv, profiles.tsv, simulation.tsv, summary.json, fit.png, "
                   "waterfall.png" + (", profiles.png" if profiles else ""))
        if not b.success:
            typer.echo(f"warning: the best start did not report convergence: {b.message}", err=True)
