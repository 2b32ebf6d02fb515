r"""Multistart local optimisation and profile likelihoods for a :class:`~oncoimmune.fit.petab.PetabProblem`.

Starts are drawn uniformly within the bounds on the parameter scale (a Latin
hypercube, seeded); each is optimised by L-BFGS-B [1]_ with the exact
gradient of :meth:`PetabProblem.objective` (forward sensitivities). Profiles
[2]_ fix one parameter on a grid stepping away from the optimum and
re-optimise the others from the previous point; the 95 % interval is where
``2 (J - J_min)`` stays below the chi-square quantile with one degree of
freedom (3.84), found by linear interpolation between grid points.

References
----------
.. [1] Byrd RH, Lu P, Nocedal J, Zhu C (1995). A limited memory algorithm for
   bound constrained optimization. SIAM J Sci Comput 16:1190-1208.
.. [2] Raue A, Kreutz C, Maiwald T, et al. (2009). Structural and practical
   identifiability analysis of partially observed dynamical models by
   exploiting the profile likelihood. Bioinformatics 25:1923-1929.
   doi:10.1093/bioinformatics/btp358
.. [3] Villaverde AF, Fröhlich F, Weindl D, Hasenauer J, Banga JR (2019).
   Benchmarking optimization methods for parameter estimation in large
   kinetic models. Bioinformatics 35:830-838 (multistart local optimisation
   with gradients as the reference strategy).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .petab import PetabProblem

__all__ = ["FitResult", "Start", "Profile", "multistart", "profile"]

#: chi-square 0.95 quantile, 1 degree of freedom (pointwise 95 % profile intervals).
CHI2_95_1DF = 3.841458820694124


@dataclass(frozen=True)
class Start:
    """One local optimisation."""

    index: int
    x0: np.ndarray
    x: np.ndarray
    fval: float
    fval0: float
    success: bool
    status: int
    message: str
    nfev: int
    nit: int
    seconds: float
    grad_norm: float


@dataclass(frozen=True)
class Profile:
    """A profile likelihood of one parameter (scaled grid ``x`` and objective ``fval``)."""

    parameter: str
    x: np.ndarray
    fval: np.ndarray
    ci: tuple[float, float]
    ci_scaled: tuple[float, float]
    bounded: tuple[bool, bool]


@dataclass(frozen=True)
class FitResult:
    """Multistart result, sorted by objective value (best first)."""

    problem: PetabProblem
    starts: tuple[Start, ...]
    seed: int
    seconds: float
    profiles: tuple[Profile, ...] = field(default=())

    @property
    def best(self) -> Start:
        return self.starts[0]

    def estimates(self) -> Any:
        """Table of estimates: id, scale, estimate (linear and scaled), bounds, nominal, profile CI."""
        import pandas as pd

        pb = self.problem
        lin = pb.to_linear(self.best.x)
        prof = {p.parameter: p for p in self.profiles}
        rows = []
        for i, pid in enumerate(pb.estimated):
            pr = prof.get(pid)
            rows.append({
                "parameterId": pid,
                "parameterScale": pb.scales[i],
                "estimate": lin[i],
                "estimate_scaled": self.best.x[i],
                "lowerBound": pb.lower[i],
                "upperBound": pb.upper[i],
                "nominalValue": pb.nominal[pid],
                "ci95_lower": pr.ci[0] if pr else math.nan,
                "ci95_upper": pr.ci[1] if pr else math.nan,
                "at_bound": bool(np.isclose(self.best.x[i], pb.bounds_scaled[i]).any()),
            })
        return pd.DataFrame(rows)

    def starts_table(self) -> Any:
        """One row per start: objective, optimiser status and message, work, and the start and end points."""
        import pandas as pd

        pb = self.problem
        rows = []
        for rank, s in enumerate(self.starts):
            row = {"rank": rank, "start": s.index, "objective": s.fval, "objective_start": s.fval0,
                   "converged": s.success, "status": s.status, "message": s.message, "nfev": s.nfev,
                   "iterations": s.nit, "grad_norm": s.grad_norm, "seconds": round(s.seconds, 3)}
            for i, pid in enumerate(pb.estimated):
                row[f"x0_{pid}"] = s.x0[i]
            for i, pid in enumerate(pb.estimated):
                row[f"x_{pid}"] = s.x[i]
            rows.append(row)
        return pd.DataFrame(rows)

    def converged_to_best(self, tol: float = 1e-3) -> int:
        """Starts whose objective is within ``tol`` (absolute) of the best."""
        return int(sum(abs(s.fval - self.best.fval) <= tol for s in self.starts))


def _optimise(pb: PetabProblem, x0: np.ndarray, bounds: np.ndarray, fixed: dict[int, float] | None = None,
              maxiter: int = 500) -> Any:
    from scipy.optimize import minimize

    fixed = fixed or {}
    free = np.array([i for i in range(pb.n_par) if i not in fixed], dtype=int)

    def full(z: np.ndarray) -> np.ndarray:
        x = np.empty(pb.n_par)
        x[free] = z
        for i, v in fixed.items():
            x[i] = v
        return x

    def fg(z: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = pb.objective(full(z))
        if not math.isfinite(f):
            return 1e300, np.zeros(free.size)
        return f, np.nan_to_num(g[free])

    res = minimize(fg, x0[free], jac=True, method="L-BFGS-B", bounds=bounds[free],
                   options={"maxiter": maxiter, "ftol": 1e-12, "gtol": 1e-6})
    return res, full(res.x)


def multistart(problem: PetabProblem, n_starts: int = 10, seed: int = 0, *, include_nominal: bool = False,
               maxiter: int = 500) -> FitResult:
    """Run ``n_starts`` local optimisations from a seeded Latin hypercube within the bounds.

    Parameters
    ----------
    problem : PetabProblem
    n_starts : int
        Number of starts (>= 1).
    seed : int
        Seeds the start points.
    include_nominal : bool
        Make the first start the nominal values of the parameter table.
    maxiter : int
        Iteration limit per start.
    """
    from scipy.stats import qmc

    if int(n_starts) < 1:
        raise ValueError(f"n_starts must be >= 1; got {n_starts}")
    b = problem.bounds_scaled
    U = qmc.LatinHypercube(d=problem.n_par, seed=np.random.default_rng(int(seed))).random(int(n_starts))
    X0 = b[:, 0] + U * (b[:, 1] - b[:, 0])
    if include_nominal:
        X0[0] = np.clip(problem.nominal_scaled(), b[:, 0], b[:, 1])
    t_all = time.perf_counter()
    starts = []
    for i, x0 in enumerate(X0):
        t0 = time.perf_counter()
        f0, _ = problem.objective(x0, gradient=False)
        res, x = _optimise(problem, x0, b, maxiter=maxiter)
        f = float(res.fun) if res.fun < 1e299 else math.inf
        starts.append(Start(i, x0, x, f, f0, bool(res.success), int(res.status), str(res.message), int(res.nfev),
                            int(res.nit), time.perf_counter() - t0, float(np.linalg.norm(res.jac))))
    starts.sort(key=lambda s: (not math.isfinite(s.fval), s.fval))
    return FitResult(problem, tuple(starts), int(seed), time.perf_counter() - t_all)


def profile(result: FitResult, parameters: list[str] | None = None, *, step: float = 0.01, max_points: int = 30,
            threshold: float = CHI2_95_1DF) -> FitResult:
    """Profile likelihoods of ``parameters`` (default: all estimated) around the best start.

    From the optimum the fixed parameter steps outwards on its scale; the first
    step is ``step`` times the bounds' width, and each next step is scaled so
    that ``2 (J - J_min)`` rises by about a quarter of ``threshold`` per step
    (at most doubling or halving). A side ends when ``2 (J - J_min)`` exceeds
    ``1.5 * threshold``, at a bound, or after ``max_points`` points. Returns a
    new result with the profiles.
    """
    pb = result.problem
    b = pb.bounds_scaled
    xb, fb = result.best.x, result.best.fval
    names = parameters or list(pb.estimated)
    target = threshold / 4.0
    profs = []
    for name in names:
        i = pb.estimated.index(name)
        width = b[i, 1] - b[i, 0]
        pts = [(xb[i], fb)]
        hit = [False, False]
        for side, sgn in ((0, -1.0), (1, 1.0)):
            x = xb.copy()
            v, f_prev, h = xb[i], fb, step * width
            n_side, retries = 0, 0
            while n_side < int(max_points):
                v_try = v + sgn * h
                at_bound = (sgn < 0 and v_try <= b[i, 0]) or (sgn > 0 and v_try >= b[i, 1])
                if at_bound:
                    v_try = b[i, 0] if sgn < 0 else b[i, 1]
                x_try = x.copy()
                x_try[i] = v_try
                res, x_new = _optimise(pb, x_try, b, fixed={i: v_try}, maxiter=200)
                f = float(res.fun)
                if n_side < 2 and 2 * (f - fb) > 1.5 * threshold and retries < 8:
                    h /= 4.0  # overshot before resolving the crossing: smaller step
                    retries += 1
                    continue
                v, x = v_try, x_new
                n_side += 1
                pts.append((v, f))
                if 2 * (f - fb) > 1.5 * threshold or at_bound:
                    hit[side] = bool(at_bound)
                    break
                rise = max(2 * (f - f_prev), 1e-9)
                h *= float(np.clip(target / rise, 0.5, 2.0))
                f_prev = f
        pts.sort()
        xs = np.array([p[0] for p in pts])
        fs = np.array([p[1] for p in pts])
        ci_s = _crossings(xs, 2 * (fs - fb), threshold, xb[i])
        lin = pb.to_linear(np.tile(xb, (2, 1)))
        for j, c in enumerate(ci_s):
            tmp = xb.copy()
            tmp[i] = c
            lin[j] = pb.to_linear(tmp)
        ci = (float(lin[0, i]) if math.isfinite(ci_s[0]) else -math.inf,
              float(lin[1, i]) if math.isfinite(ci_s[1]) else math.inf)
        profs.append(Profile(name, xs, fs, ci, ci_s, (bool(hit[0]), bool(hit[1]))))
    return FitResult(pb, result.starts, result.seed, result.seconds, tuple(profs))


def _crossings(x: np.ndarray, d: np.ndarray, thr: float, x_opt: float) -> tuple[float, float]:
    """Where ``d`` (2 x objective difference) crosses ``thr`` left and right of ``x_opt``; inf if never."""
    lo, hi = -math.inf, math.inf
    k = int(np.argmin(np.abs(x - x_opt)))
    for j in range(k, 0, -1):
        if d[j - 1] >= thr > d[j]:
            lo = x[j - 1] + (thr - d[j - 1]) * (x[j] - x[j - 1]) / (d[j] - d[j - 1])
            break
    for j in range(k, x.size - 1):
        if d[j + 1] >= thr > d[j]:
            hi = x[j] + (thr - d[j]) * (x[j + 1] - x[j]) / (d[j + 1] - d[j])
            break
    return lo, hi
