r"""Global sensitivity analysis of any vectorised function: Sobol, Morris, PRCC.

Every method takes a vectorised function ``f(X) -> y`` (``X`` of shape
``(n, k)``, one column per factor in the order of ``bounds``; ``y`` of shape
``(n,)``), the factor ranges ``bounds = {name: (lo, hi)}``, a sample size and a
seed, and returns a :class:`SensitivityResult`: a read-only mapping from index
name (``"S1"``, ``"ST"``, ``"S1_conf"``, ...) to ``{factor: value}``.
Sampling and the estimators are SALib's [1]_ (Saltelli/Jansen estimators for
Sobol [2]_ [3]_, elementary effects for Morris [4]_ [5]_); PRCC [6]_ uses a
Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`) and rank
regression.

A factor whose range spans orders of magnitude can be sampled uniformly in its
logarithm (``log={name}``): the sampler works on ``log(lo), log(hi)`` and ``f``
receives the natural values.

References
----------
.. [1] Herman J, Usher W (2017). SALib: an open-source Python library for
   sensitivity analysis. J Open Source Softw 2(9):97. doi:10.21105/joss.00097
.. [2] Saltelli A (2002). Making best use of model evaluations to compute
   sensitivity indices. Comput Phys Commun 145:280-297.
   doi:10.1016/S0010-4655(02)00280-1
.. [3] Saltelli A, Annoni P, Azzini I, et al. (2010). Variance based
   sensitivity analysis of model output. Design and estimator for the total
   sensitivity index. Comput Phys Commun 181:259-270.
   doi:10.1016/j.cpc.2009.09.018
.. [4] Morris MD (1991). Factorial sampling plans for preliminary
   computational experiments. Technometrics 33:161-174.
.. [5] Campolongo F, Cariboni J, Saltelli A (2007). An effective screening
   design for sensitivity analysis of large models. Environ Model Softw
   22:1509-1518. doi:10.1016/j.envsoft.2006.10.004
.. [6] Marino S, Hogue IB, Ray CJ, Kirschner DE (2008). A methodology for
   performing global uncertainty and sensitivity analysis in systems biology.
   J Theor Biol 254:178-196. doi:10.1016/j.jtbi.2008.04.011
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import OncoimmuneError

__all__ = [
    "SensitivityError",
    "SensitivityResult",
    "METHODS",
    "morris",
    "prcc",
    "sobol",
    "run",
]

#: Methods by name (``run(method=...)``, the CLI's ``--method``).
METHODS = ("sobol", "morris", "prcc")


class SensitivityError(OncoimmuneError, ValueError):
    """Bad input to a sensitivity analysis (bounds, sample size, a function that returns the wrong shape)."""


@dataclass(frozen=True)
class SensitivityResult(Mapping[str, Mapping[str, float]]):
    """Indices of one analysis: a mapping ``index name -> {factor: value}``.

    Attributes
    ----------
    method : str
        ``"sobol"``, ``"morris"`` or ``"prcc"``.
    names : tuple of str
        The factors, in the order of ``bounds``.
    indices : dict
        ``{"S1": {name: value}, "S1_conf": {...}, ...}``; ``*_conf`` entries are
        half-widths of the ``conf_level`` confidence interval (Sobol, Morris);
        PRCC gives ``PRCC_lo``/``PRCC_hi`` and ``p``.
    n_evaluations : int
        Calls of ``f`` (rows of ``X``).
    seed : int
    conf_level : float
    seconds : float
        Wall time of the evaluations of ``f``.
    output_variance : float
        Sample variance of ``y``.
    X, y : ndarray
        The design and the outputs (kept for plots and reuse).
    """

    method: str
    names: tuple[str, ...]
    indices: Mapping[str, Mapping[str, float]]
    n_evaluations: int
    seed: int
    conf_level: float
    seconds: float
    output_variance: float
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Mapping[str, float]:
        try:
            return self.indices[key]
        except KeyError:
            raise KeyError(f"{key!r}: this {self.method} result has {', '.join(self.indices)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.indices)

    def __len__(self) -> int:
        return len(self.indices)

    def table(self) -> Any:
        """The indices as a :class:`pandas.DataFrame`, one row per factor."""
        import pandas as pd

        return pd.DataFrame({k: [v[n] for n in self.names] for k, v in self.indices.items()}, index=list(self.names))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no samples)."""
        return {
            "method": self.method,
            "factors": list(self.names),
            "indices": {k: {n: _num(v[n]) for n in self.names} for k, v in self.indices.items()},
            "n_evaluations": self.n_evaluations,
            "seed": self.seed,
            "conf_level": self.conf_level,
            "seconds": round(self.seconds, 4),
            "output_variance": _num(self.output_variance),
            **{k: v for k, v in self.meta.items()},
        }


def _num(v: float) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def _require_salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise SensitivityError("Sobol and Morris need SALib: pip install SALib (or oncoimmune[fit])") from None


# input checks ----------------------------------------------------------------------------------
def _problem(bounds: Mapping[str, tuple[float, float]], log: Collection[str]) -> tuple[dict[str, Any], np.ndarray]:
    if not isinstance(bounds, Mapping) or not bounds:
        raise SensitivityError("bounds must be a non-empty mapping {name: (lo, hi)}")
    names, rows, is_log = [], [], []
    unknown = sorted(set(log) - set(bounds))
    if unknown:
        raise SensitivityError(f"log names {unknown} are not in bounds; valid: {', '.join(bounds)}")
    for name, b in bounds.items():
        try:
            lo, hi = (float(b[0]), float(b[1]))
        except (TypeError, ValueError, IndexError):
            raise SensitivityError(f"bounds[{name!r}] must be a pair (lo, hi) of numbers; got {b!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise SensitivityError(f"bounds[{name!r}] must be finite; got ({lo}, {hi})")
        if not lo < hi:
            raise SensitivityError(f"bounds[{name!r}] must satisfy lo < hi; got ({lo}, {hi}): swap them")
        if name in log:
            if lo <= 0:
                raise SensitivityError(f"bounds[{name!r}] is sampled in log scale and needs lo > 0; got {lo}")
            lo, hi = math.log(lo), math.log(hi)
        names.append(str(name))
        rows.append([lo, hi])
        is_log.append(name in log)
    return {"num_vars": len(names), "names": names, "bounds": rows}, np.array(is_log, dtype=bool)


def _natural(U: np.ndarray, is_log: np.ndarray) -> np.ndarray:
    X = np.array(U, dtype=float, copy=True)
    X[:, is_log] = np.exp(X[:, is_log])
    return X


def _evaluate(f: Callable[[np.ndarray], Any], X: np.ndarray) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    y = np.asarray(f(X), dtype=float)
    dt = time.perf_counter() - t0
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (X.shape[0],):
        raise SensitivityError(
            f"f must return one value per row of X, shape ({X.shape[0]},); got shape {y.shape}"
        )
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.argmax(bad))
        raise SensitivityError(
            f"f returned {int(bad.sum())} non-finite value(s) of {y.size} (first at row {i}, X = "
            f"{np.array2string(X[i], precision=4)}); narrow the bounds or make the output finite"
        )
    return y, dt


def _check_n(n: int, what: str, minimum: int) -> int:
    if int(n) != n or int(n) < minimum:
        raise SensitivityError(f"{what} must be an integer >= {minimum}; got {n}")
    return int(n)


def _check_conf(conf_level: float) -> float:
    if not 0.0 < float(conf_level) < 1.0:
        raise SensitivityError(f"conf_level must lie in (0, 1); got {conf_level}")
    return float(conf_level)


# methods ---------------------------------------------------------------------------------------
def sobol(
    f: Callable[[np.ndarray], Any],
    bounds: Mapping[str, tuple[float, float]],
    n: int = 1024,
    seed: int = 0,
    *,
    log: Collection[str] = (),
    conf_level: float = 0.95,
    num_resamples: int = 200,
    second_order: bool = False,
) -> SensitivityResult:
    """Sobol first-order (``S1``) and total (``ST``) indices with bootstrap confidence intervals.

    Parameters
    ----------
    f : callable
        Vectorised model ``f(X) -> y``, ``X`` of shape ``(m, k)`` with the
        columns in the order of ``bounds``, ``y`` of shape ``(m,)``.
    bounds : mapping
        ``{name: (lo, hi)}``, uniform ranges.
    n : int
        Base sample size (a power of two, the Sobol' sequence's balance
        property); ``f`` is evaluated on ``n (k + 2)`` points (``n (2k + 2)``
        with ``second_order``).
    seed : int
        Seeds the scrambled Sobol' sequence and the bootstrap.
    log : collection of str
        Factors sampled uniformly in their logarithm.
    conf_level : float
        Level of the bootstrap intervals (``S1_conf``, ``ST_conf`` are the
        half-widths).
    num_resamples : int
        Bootstrap resamples.
    second_order : bool
        Also estimate ``S2`` (pairs, keyed ``"a,b"``).

    Returns
    -------
    SensitivityResult
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (and ``S2``, ``S2_conf``).

    References
    ----------
    .. [1] Saltelli A et al. (2010). Comput Phys Commun 181:259-270 (estimators used by SALib).
    """
    _require_salib()
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample

    problem, is_log = _problem(bounds, log)
    n = _check_n(n, "n", 2)
    if n & (n - 1):
        raise SensitivityError(f"n must be a power of two for the Sobol' sequence (e.g. {1 << n.bit_length()}); got {n}")
    conf_level = _check_conf(conf_level)
    U = sobol_sample.sample(problem, n, calc_second_order=second_order, scramble=True, seed=int(seed))
    X = _natural(U, is_log)
    y, dt = _evaluate(f, X)
    if np.var(y) == 0:
        raise SensitivityError("the output does not vary over the bounds (variance 0); Sobol indices are undefined")
    Si = sobol_analyze.analyze(
        problem, y, calc_second_order=second_order, num_resamples=int(num_resamples),
        conf_level=conf_level, print_to_console=False, seed=int(seed),
    )
    names = tuple(problem["names"])
    idx: dict[str, dict[str, float]] = {}
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        idx[key] = {nm: float(v) for nm, v in zip(names, Si[key])}
    if second_order:
        for key in ("S2", "S2_conf"):
            idx[key] = {
                f"{names[i]},{names[j]}": float(Si[key][i, j])
                for i in range(len(names)) for j in range(i + 1, len(names))
            }
    return SensitivityResult("sobol", names, idx, int(y.size), int(seed), conf_level, dt, float(np.var(y)), X, y,
                             {"base_n": n, "log": sorted(log)})


def morris(
    f: Callable[[np.ndarray], Any],
    bounds: Mapping[str, tuple[float, float]],
    n: int = 20,
    seed: int = 0,
    *,
    log: Collection[str] = (),
    num_levels: int = 4,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
) -> SensitivityResult:
    """Morris elementary effects: ``mu``, ``mu_star`` (with CI half-width ``mu_star_conf``) and ``sigma``.

    Parameters
    ----------
    f, bounds, seed, log, conf_level
        As in :func:`sobol`.
    n : int
        Trajectories; ``f`` is evaluated ``n (k + 1)`` times.
    num_levels : int
        Grid levels ``p`` (even); the step is ``p / (2 (p - 1))`` of the range.
    num_resamples : int
        Bootstrap resamples of ``mu_star_conf``.

    Returns
    -------
    SensitivityResult
        ``mu``, ``mu_star``, ``mu_star_conf``, ``sigma``; also
        ``mu_star_scaled`` (``mu_star`` over the output's standard deviation),
        comparable across outputs.

    References
    ----------
    .. [1] Morris MD (1991). Technometrics 33:161-174.
    .. [2] Campolongo F et al. (2007). Environ Model Softw 22:1509-1518 (``mu_star``).
    """
    _require_salib()
    from SALib.analyze import morris as morris_analyze
    from SALib.sample import morris as morris_sample

    problem, is_log = _problem(bounds, log)
    n = _check_n(n, "n (trajectories)", 2)
    if int(num_levels) < 2 or int(num_levels) % 2:
        raise SensitivityError(f"num_levels must be an even integer >= 2; got {num_levels}")
    conf_level = _check_conf(conf_level)
    U = morris_sample.sample(problem, n, num_levels=int(num_levels), seed=int(seed))
    X = _natural(U, is_log)
    y, dt = _evaluate(f, X)
    Si = morris_analyze.analyze(
        problem, U, y, num_resamples=int(num_resamples), conf_level=conf_level,
        print_to_console=False, num_levels=int(num_levels), seed=int(seed),
    )
    names = tuple(problem["names"])
    sd = float(np.std(y))
    idx = {key: {nm: float(v) for nm, v in zip(names, Si[key])} for key in ("mu", "mu_star", "mu_star_conf", "sigma")}
    idx["mu_star_scaled"] = {nm: (v / sd if sd > 0 else math.nan) for nm, v in idx["mu_star"].items()}
    return SensitivityResult("morris", names, idx, int(y.size), int(seed), conf_level, dt, float(np.var(y)), X, y,
                             {"trajectories": n, "num_levels": int(num_levels), "log": sorted(log)})


def prcc(
    f: Callable[[np.ndarray], Any],
    bounds: Mapping[str, tuple[float, float]],
    n: int = 1000,
    seed: int = 0,
    *,
    log: Collection[str] = (),
    conf_level: float = 0.95,
) -> SensitivityResult:
    """Partial rank correlation coefficients on a Latin hypercube sample (Marino et al. 2008).

    Each factor's rank and the output's rank are regressed on the ranks of the
    other factors; PRCC is the Pearson correlation of the two residuals. The
    p-value is the t test with ``n - 2 - (k - 1)`` degrees of freedom
    (Marino 2008, eq. 8); the interval is Fisher's z transform with
    ``n - 3 - (k - 1)`` degrees of freedom.

    Parameters
    ----------
    f, bounds, seed, log, conf_level
        As in :func:`sobol`.
    n : int
        Latin hypercube size (``> k + 3``).

    Returns
    -------
    SensitivityResult
        ``PRCC``, ``PRCC_lo``, ``PRCC_hi``, ``p``.

    References
    ----------
    .. [1] Marino S et al. (2008). J Theor Biol 254:178-196, section 2.4 and eq. 8.
    .. [2] McKay MD, Beckman RJ, Conover WJ (1979). Technometrics 21:239-245 (Latin hypercube).
    """
    from scipy import stats
    from scipy.stats import qmc

    problem, is_log = _problem(bounds, log)
    k = problem["num_vars"]
    n = _check_n(n, "n", k + 4)
    conf_level = _check_conf(conf_level)
    lo = np.array([b[0] for b in problem["bounds"]])
    hi = np.array([b[1] for b in problem["bounds"]])
    U = qmc.scale(qmc.LatinHypercube(d=k, seed=np.random.default_rng(int(seed))).random(n), lo, hi)
    X = _natural(U, is_log)
    y, dt = _evaluate(f, X)
    R = np.column_stack([stats.rankdata(X[:, j]) for j in range(k)])
    ry = stats.rankdata(y)
    z = stats.norm.ppf(0.5 + conf_level / 2.0)
    names = tuple(problem["names"])
    out: dict[str, dict[str, float]] = {"PRCC": {}, "PRCC_lo": {}, "PRCC_hi": {}, "p": {}}
    for j, nm in enumerate(names):
        others = np.column_stack([np.ones(n), np.delete(R, j, axis=1)])
        rx = R[:, j] - others @ np.linalg.lstsq(others, R[:, j], rcond=None)[0]
        rr = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        denom = math.sqrt(float(rx @ rx) * float(rr @ rr))
        r = float(rx @ rr) / denom if denom > 0 else math.nan
        dof = n - 2 - (k - 1)
        if math.isfinite(r) and abs(r) < 1:
            t = r * math.sqrt(dof / (1.0 - r * r))
            p = float(2.0 * stats.t.sf(abs(t), dof))
            zr, se = math.atanh(r), 1.0 / math.sqrt(max(n - 3 - (k - 1), 1))
            lo_r, hi_r = math.tanh(zr - z * se), math.tanh(zr + z * se)
        else:
            p, lo_r, hi_r = (0.0, r, r) if math.isfinite(r) else (math.nan, math.nan, math.nan)
        out["PRCC"][nm], out["PRCC_lo"][nm], out["PRCC_hi"][nm], out["p"][nm] = r, lo_r, hi_r, p
    return SensitivityResult("prcc", names, out, int(y.size), int(seed), conf_level, dt, float(np.var(y)), X, y,
                             {"log": sorted(log)})


def run(method: str, f: Callable[[np.ndarray], Any], bounds: Mapping[str, tuple[float, float]], n: int,
        seed: int = 0, **options: Any) -> SensitivityResult:
    """Dispatch to :func:`sobol`, :func:`morris` or :func:`prcc` by name."""
    table = {"sobol": sobol, "morris": morris, "prcc": prcc}
    if method not in table:
        from .._errors import UnknownNameError

        raise UnknownNameError("sensitivity method", method, METHODS)
    return table[method](f, bounds, n, seed, **options)
