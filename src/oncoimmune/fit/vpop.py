r"""Virtual populations: plausible patients, then Allen/Rieger acceptance to match an observed distribution.

Step 1, plausible patients (Allen et al. 2016 [1]_, "plausible population"):
parameters are drawn uniformly (or log-uniformly) within their bounds from a
seeded Sobol' sequence, every candidate is simulated (any vectorised
``f(X) -> Y``, e.g. the batched engine), and those whose outputs all lie in
physiological ranges are kept.

Step 2, selection (Allen et al. 2016, "virtual population"): each plausible
patient ``i`` with outputs ``y_i`` is accepted with probability

.. math:: p_i = \min\big(1,\ \beta\, r_i / \max_j r_j\big), \qquad
          r_i = \frac{\phi_{target}(y_i)}{\hat\rho_{plausible}(y_i)}

where ``phi_target`` is a multivariate normal fitted to the observed data (on
the chosen output transformation, e.g. log) and ``rho_plausible`` a Gaussian
kernel density estimate of the plausible outputs, so that the accepted
outputs follow the target density. The scaling ``beta`` trades the size of
the virtual population against its fit; as in [1]_ it is chosen on a grid to
maximise the goodness of fit, here the smallest Kolmogorov-Smirnov p-value
over the outputs (each output's accepted sample against the observed one),
among populations of at least ``min_size`` patients. One seeded uniform
number per plausible patient makes the selection reproducible.

References
----------
.. [1] Allen RJ, Rieger TR, Musante CJ (2016). Efficient generation and
   selection of virtual populations in quantitative systems pharmacology
   models. CPT Pharmacometrics Syst Pharmacol 5:140-146. doi:10.1002/psp4.12063
.. [2] Rieger TR, Allen RJ, Bystricky L, et al. (2018). Improving the
   generation and selection of virtual populations in quantitative systems
   pharmacology models. Prog Biophys Mol Biol 139:15-22.
   doi:10.1016/j.pbiomolbio.2018.06.002
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import OncoimmuneError

__all__ = ["PlausiblePopulation", "VirtualPopulation", "VpopError", "plausible_population", "select_vpop"]


class VpopError(OncoimmuneError, ValueError):
    """Bad input to virtual-population generation (bounds, ranges, target data)."""


@dataclass(frozen=True)
class PlausiblePopulation:
    """Candidates, their outputs, and which are plausible (outputs in range)."""

    names: tuple[str, ...]
    outputs: tuple[str, ...]
    X: np.ndarray
    Y: np.ndarray
    plausible: np.ndarray
    seed: int

    @property
    def Xp(self) -> np.ndarray:
        return self.X[self.plausible]

    @property
    def Yp(self) -> np.ndarray:
        return self.Y[self.plausible]


@dataclass(frozen=True)
class VirtualPopulation:
    """The selected patients (parameters and outputs) with the goodness of fit of the selection."""

    names: tuple[str, ...]
    outputs: tuple[str, ...]
    X: np.ndarray
    Y: np.ndarray
    beta: float
    seed: int
    ks: Mapping[str, tuple[float, float]]
    ks_plausible: Mapping[str, tuple[float, float]]
    n_plausible: int
    transform: Mapping[str, str]
    scan: Sequence[tuple[float, int, float]] = field(default=())

    def table(self) -> Any:
        """One row per virtual patient: parameter columns then output columns."""
        import pandas as pd

        df = pd.DataFrame(self.X, columns=list(self.names))
        for j, o in enumerate(self.outputs):
            df[o] = self.Y[:, j]
        return df

    def goodness_of_fit(self) -> Any:
        """Per output: K-S statistic and p-value of the virtual and of the plausible population vs the data."""
        import pandas as pd

        return pd.DataFrame({
            "ks_vpop": {o: self.ks[o][0] for o in self.outputs},
            "p_vpop": {o: self.ks[o][1] for o in self.outputs},
            "ks_plausible": {o: self.ks_plausible[o][0] for o in self.outputs},
            "p_plausible": {o: self.ks_plausible[o][1] for o in self.outputs},
        })


def plausible_population(
    f: Callable[[np.ndarray], Any],
    bounds: Mapping[str, tuple[float, float]],
    outputs: Sequence[str],
    ranges: Mapping[str, tuple[float, float]],
    n: int,
    seed: int = 0,
    *,
    log: Collection[str] = (),
) -> PlausiblePopulation:
    """Sample ``n`` candidates in ``bounds`` (scrambled Sobol', seeded), simulate, keep outputs within ``ranges``.

    Parameters
    ----------
    f : callable
        ``f(X) -> Y``: ``X`` of shape ``(n, k)`` (columns in the order of
        ``bounds``), ``Y`` of shape ``(n, len(outputs))``; NaN marks a failed run.
    bounds : mapping
        ``{parameter: (lo, hi)}``.
    outputs : sequence of str
        Names of the columns of ``Y``.
    ranges : mapping
        ``{output: (lo, hi)}`` physiological ranges (outputs not named are unconstrained).
    n : int
    seed : int
    log : collection of str
        Parameters sampled log-uniformly.
    """
    from scipy.stats import qmc

    names = tuple(bounds)
    if not names:
        raise VpopError("bounds must name at least one parameter")
    lo, hi = [], []
    for k, (a, b) in bounds.items():
        a, b = float(a), float(b)
        if not (math.isfinite(a) and math.isfinite(b) and a < b):
            raise VpopError(f"bounds[{k!r}] must be finite with lo < hi; got ({a}, {b})")
        if k in log:
            if a <= 0:
                raise VpopError(f"bounds[{k!r}] is log-uniform and needs lo > 0; got {a}")
            a, b = math.log(a), math.log(b)
        lo.append(a)
        hi.append(b)
    for o in ranges:
        if o not in outputs:
            raise VpopError(f"ranges names output {o!r}, which is not in outputs {list(outputs)}")
    if int(n) < 2:
        raise VpopError(f"n must be >= 2; got {n}")
    U = qmc.Sobol(d=len(names), scramble=True, seed=np.random.default_rng(int(seed))).random(int(n))
    X = qmc.scale(U, lo, hi)
    for j, k in enumerate(names):
        if k in log:
            X[:, j] = np.exp(X[:, j])
    Y = np.asarray(f(X), dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.shape != (X.shape[0], len(outputs)):
        raise VpopError(f"f must return shape ({X.shape[0]}, {len(outputs)}); got {Y.shape}")
    ok = np.all(np.isfinite(Y), axis=1)
    for o, (a, b) in ranges.items():
        j = list(outputs).index(o)
        ok &= (Y[:, j] >= a) & (Y[:, j] <= b)
    return PlausiblePopulation(names, tuple(outputs), X, Y, ok, int(seed))


def _tr(v: np.ndarray, how: str) -> np.ndarray:
    if how == "log":
        return np.log(v)
    if how == "log10":
        return np.log10(v)
    return v


def select_vpop(
    plausible: PlausiblePopulation,
    target: Any,
    *,
    transform: Mapping[str, str] | None = None,
    seed: int = 0,
    min_size: int = 50,
    betas: Sequence[float] | None = None,
) -> VirtualPopulation:
    """Allen/Rieger acceptance of plausible patients so that their outputs match ``target`` (module docstring).

    Parameters
    ----------
    plausible : PlausiblePopulation
    target : mapping or DataFrame
        Observed data: a column per output (paired samples, one row per observed patient).
    transform : mapping, optional
        ``{output: "lin" | "log" | "log10"}`` for the normal fit (default lin).
    seed : int
        Seeds the acceptance draws.
    min_size : int
        Smallest acceptable virtual population.
    betas : sequence of float, optional
        Scaling factors tried (default ``logspace(0, 3, 31)``).

    Raises
    ------
    VpopError
        If the target lacks an output, has too few rows, or no beta gives ``min_size`` patients.
    """
    import pandas as pd
    from scipy import stats

    outs = plausible.outputs
    tf = {o: (transform or {}).get(o, "lin") for o in outs}
    T = pd.DataFrame(target)
    missing = [o for o in outs if o not in T.columns]
    if missing:
        raise VpopError(f"target lacks output(s) {missing}; columns: {list(T.columns)}")
    T = T[list(outs)].dropna()
    if len(T) < len(outs) + 2:
        raise VpopError(f"target needs at least {len(outs) + 2} complete rows; got {len(T)}")
    Yp = plausible.Yp
    Xp = plausible.Xp
    if len(Yp) < max(10, len(outs) + 2):
        raise VpopError(f"only {len(Yp)} plausible patients; widen the bounds or ranges, or sample more")
    Zt = np.column_stack([_tr(T[o].to_numpy(dtype=float), tf[o]) for o in outs])
    Zp = np.column_stack([_tr(Yp[:, j], tf[o]) for j, o in enumerate(outs)])
    if not (np.all(np.isfinite(Zt)) and np.all(np.isfinite(Zp))):
        raise VpopError("a log transform met a value <= 0; use transform 'lin' for that output")
    mu, cov = Zt.mean(axis=0), np.atleast_2d(np.cov(Zt, rowvar=False))
    dens_t = stats.multivariate_normal(mu, cov, allow_singular=True).pdf(Zp)
    dens_p = stats.gaussian_kde(Zp.T)(Zp.T)
    r = np.where(dens_p > 0, dens_t / dens_p, 0.0)
    r = r / r.max()
    u = np.random.default_rng(int(seed)).random(len(r))
    grid = list(betas) if betas is not None else list(np.logspace(0, 3, 31))

    def ks(sel: np.ndarray) -> dict[str, tuple[float, float]]:
        out = {}
        for j, o in enumerate(outs):
            res = stats.ks_2samp(Yp[sel, j], T[o].to_numpy(dtype=float))
            out[o] = (float(res.statistic), float(res.pvalue))
        return out

    best = None
    scan = []
    for b in grid:
        sel = u < np.minimum(1.0, b * r)
        if sel.sum() < int(min_size):
            scan.append((float(b), int(sel.sum()), math.nan))
            continue
        k = ks(sel)
        score = min(p for _, p in k.values())
        scan.append((float(b), int(sel.sum()), score))
        if best is None or score > best[0]:
            best = (score, float(b), sel, k)
    if best is None:
        raise VpopError(f"no scaling factor gives >= {min_size} virtual patients (plausible: {len(Yp)}); "
                        "sample more plausible patients or lower min_size")
    _, b, sel, k = best
    return VirtualPopulation(
        plausible.names, outs, Xp[sel], Yp[sel], b, int(seed), k, ks(np.ones(len(Yp), dtype=bool)), len(Yp), tf,
        tuple(scan),
    )


def laleh_baseline_and_growth(arms: Sequence[str] | None = None, path: Any = None, floor_mm: float = 2.0) -> Any:
    """Observed baseline lesion volume (mm^3) and early growth rate (1/day) per lesion of Laleh et al. 2022.

    Volume ``pi D^3 / 6`` from the longest diameter ``D`` (floored at ``floor_mm``, as in
    :mod:`oncoimmune.trials.calibration`); growth rate ``log(V_2 / V_1) / (t_2 - t_1)`` between the first two
    scans. ``arms``: ``Study_Arm`` labels to keep (default all).
    """
    import json as _json

    import pandas as pd

    if path is None:
        from ..trials.calibration import shared_data_dir

        base = shared_data_dir()
        if base is None:
            raise VpopError("Laleh 2022 lesions: set ONCOIMMUNE_SHARED_DATA to the shared data folder")
        path = base / "tumour-kinetics" / "laleh-2022" / "lesions.csv"
    df = pd.read_csv(path)
    if arms is not None:
        df = df[df["Study_Arm"].isin(list(arms))]
    rows = []
    for r in df.itertuples():
        t = np.asarray(_json.loads(r.T_days), dtype=float)
        d = np.maximum(np.asarray(_json.loads(r.Lesion_diam), dtype=float), floor_mm)
        if t.size < 2 or t[1] <= t[0]:
            continue
        v = math.pi * d**3 / 6.0
        rows.append({"lesion": r.Pt_hashID, "arm": r.Study_Arm, "baseline_volume_mm3": v[0],
                     "growth_rate_per_day": math.log(v[1] / v[0]) / (t[1] - t[0])})
    return pd.DataFrame(rows)
