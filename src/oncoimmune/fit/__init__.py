"""Parameter estimation from PEtab problems: multistart optimisation with exact gradients, profiles.

>>> from oncoimmune.fit import load_problem, fit                      # doctest: +SKIP
>>> result = fit("examples/petab/kuznetsov_tumour/problem.yaml", n_starts=10, seed=1)   # doctest: +SKIP
>>> result.estimates()                                                 # doctest: +SKIP

:func:`load_problem` reads and checks a PEtab problem (model: SBML or a library
model id), :func:`fit` runs :func:`~oncoimmune.fit.estimate.multistart` and,
optionally, :func:`~oncoimmune.fit.estimate.profile`; :func:`write_results`
writes the tables and figures that ``oncoimmune fit`` writes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from .estimate import CHI2_95_1DF, FitResult, Profile, Start, multistart, profile
from .petab import PetabInputError, PetabProblem, load_problem

__all__ = [
    "CHI2_95_1DF",
    "FitResult",
    "PetabInputError",
    "PetabProblem",
    "Profile",
    "Start",
    "fit",
    "load_problem",
    "multistart",
    "profile",
    "write_results",
]


def fit(problem: str | os.PathLike[str] | PetabProblem, n_starts: int = 10, seed: int = 0, *,
        profiles: bool = True, include_nominal: bool = False) -> FitResult:
    """Estimate the parameters of a PEtab problem.

    Parameters
    ----------
    problem : path or PetabProblem
        The problem YAML (or a loaded problem).
    n_starts : int
        Local optimisations from a seeded Latin hypercube in the bounds.
    seed : int
    profiles : bool
        Also compute profile likelihoods and 95 % intervals of every estimated parameter.
    include_nominal : bool
        Start one optimisation at the nominal values.

    Returns
    -------
    FitResult

    References
    ----------
    .. [1] Schmiester L et al. (2021). PEtab. PLoS Comput Biol 17:e1008646.
    .. [2] Raue A et al. (2009). Bioinformatics 25:1923-1929 (profile likelihood).
    """
    pb = problem if isinstance(problem, PetabProblem) else load_problem(problem)
    res = multistart(pb, n_starts, seed, include_nominal=include_nominal)
    return profile(res) if profiles else res


def _finite(v: float) -> float | None:
    """JSON has no inf/NaN: an unbounded interval end or a failed value is written as null."""
    import math

    return float(v) if math.isfinite(float(v)) else None


def write_results(result: FitResult, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``estimates.tsv``, ``starts.tsv``, ``profiles.tsv``, ``simulation.tsv``, ``summary.json`` and the
    figures ``fit.png``, ``waterfall.png``, ``profiles.png`` into the existing directory ``out``."""
    import pandas as pd

    from ..plots.fit import plot_fit, plot_profiles, plot_waterfall

    d = Path(out)
    pb = result.problem
    files = []
    est = result.estimates()
    est.to_csv(d / "estimates.tsv", sep="\t", index=False)
    result.starts_table().to_csv(d / "starts.tsv", sep="\t", index=False)
    rows = []
    for p in result.profiles:
        for x, f in zip(p.x, p.fval):
            rows.append({"parameterId": p.parameter, "x_scaled": x, "objective": f,
                         "twice_delta": 2 * (f - result.best.fval)})
    pd.DataFrame(rows, columns=["parameterId", "x_scaled", "objective", "twice_delta"]).to_csv(
        d / "profiles.tsv", sep="\t", index=False)
    pb.simulation_table(pb.to_linear(result.best.x)).to_csv(d / "simulation.tsv", sep="\t", index=False)
    summary = {
        "problem": str(pb.path),
        "model": pb.model_label,
        "best_objective": result.best.fval,
        "n_starts": len(result.starts),
        "starts_at_best_1e-3": result.converged_to_best(),
        "converged_starts": int(sum(s.success for s in result.starts)),
        "seed": result.seed,
        "seconds": round(result.seconds, 2),
        "estimates": {r.parameterId: {"value": _finite(r.estimate),
                                      "ci95": [_finite(r.ci95_lower), _finite(r.ci95_upper)]}
                      for r in est.itertuples()},
        "objective": "negative log-likelihood (PEtab v1, including the normalisation constants) plus priors",
    }
    summary["best_objective"] = _finite(result.best.fval)
    (d / "summary.json").write_text(json.dumps(summary, indent=2))
    plot_fit(result).savefig(d / "fit.png", dpi=110)
    plot_waterfall(result).savefig(d / "waterfall.png", dpi=110)
    if result.profiles:
        plot_profiles(result).savefig(d / "profiles.png", dpi=110)
    for name in ("estimates.tsv", "starts.tsv", "profiles.tsv", "simulation.tsv", "summary.json", "fit.png",
                 "waterfall.png", "profiles.png"):
        if (d / name).exists():
            files.append(d / name)
    return files

